#!/usr/bin/env bash
# Instructions per register flow, per thread of the server, counted by valgrind's callgrind: unlike
# flows per second on this machine's noisy disk and neighbours, the count repeats for the same binary
# and workload (BENCHMARKS.md, "the allocator": 671.6 M and 672.2 M in two runs), so it can judge a
# change of a few per cent. Time spent waiting (fsync, locks) is not counted.
# Usage: bench/callgrind.sh [BIN] [FLOWS]   (default target/release/loyalpos, 400 flows)
# Prints one line per busy thread: its number, instructions, instructions per flow. The SQLite
# writer is the busiest by far. Needs valgrind. The callgrind files stay in $OUT_DIR (default a temp dir).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/loyalpos}
FLOWS=${2:-400}
OUT_DIR=${OUT_DIR:-$(mktemp -d)}
WORK=$(mktemp -d)
mkdir -p "$OUT_DIR"
PORT=18095
trap 'kill "$server" 2>/dev/null || true; rm -rf "$WORK"' EXIT
command -v valgrind >/dev/null || { echo "valgrind is missing (Debian package valgrind)"; exit 1; }

valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$OUT_DIR/cg.out" \
  "$BIN" serve --demo --stomp-listen off --database "sqlite:$WORK/demo.db" --listen "127.0.0.1:$PORT" \
  > "$WORK/out" 2> "$WORK/err" &
server=$!
for _ in $(seq 600); do grep -q listening "$WORK/out" 2>/dev/null && break; sleep 0.2; done
grep -q listening "$WORK/out" || { echo "the server did not start"; cat "$WORK/err"; exit 1; }

# Every flow alike: one card, three lines, no preTransaction; the same seed sends the same flows.
flows() {
  "$BIN" bench --target "http://127.0.0.1:$PORT" --concurrency 16 --flows "$1" --duration 3600 --cards 1 \
    --pre-ratio 0 --basket-min 3 --basket-max 3 --seed 7 > /dev/null 2>&1
}
flows 80                                   # warm-up: statement and row caches, the first pages
callgrind_control --zero "$server" > /dev/null 2>&1
flows "$FLOWS"
callgrind_control --dump "$server" > /dev/null 2>&1
kill "$server"; wait "$server" 2>/dev/null || true

# The dump after --zero: one file per thread (cg.out.1-NN).
for f in "$OUT_DIR"/cg.out.1-*; do
  total=$(awk '/^(summary|totals):/ {print $2; exit}' "$f")
  [ -n "$total" ] && [ "$total" -gt 1000000 ] || continue
  tid=$(awk '/^thread:/ {print $2; exit}' "$f")
  printf '%-10s %14d instructions %10d per flow\n' "thread $tid" "$total" $((total / FLOWS))
done
echo "callgrind files: $OUT_DIR"
