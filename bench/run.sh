#!/usr/bin/env bash
# The benchmark matrix of BENCHMARKS.md, in one run on this machine. Needs a local PostgreSQL
# (LOYALPOS_BENCH_PG, default postgres://postgres@127.0.0.1:5432) and pgbench. Writes bench/results.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${LOYALPOS_BENCH_PG:-postgres://postgres@127.0.0.1:5432}
DURATION=${DURATION:-30}
CONC=${CONC:-32}
FROM=${FROM:-sqlite}   # first section to run: sqlite, cards, postgres, pgbench, long
LONG=${LONG:-300}
OUT=bench/results.txt
BIN=target/release/loyalpos
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

cargo build --release -q
[ "$FROM" = sqlite ] && : > "$OUT"
log() { echo "$*" | tee -a "$OUT"; }
log "# $(date -u +%FT%TZ) $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(uname -r), from section $FROM"
# at SECTION: true when this section (or an earlier FROM) should run
sections=(sqlite cards postgres pgbench long)
at() { local want=$1 started=0; for s in "${sections[@]}"; do [ "$s" = "$FROM" ] && started=1; [ "$s" = "$want" ] && return $((1 - started)); done; return 1; }

source bench/servers.sh   # the scripts run from the repository root
pgdb() { psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -qc "CREATE DATABASE $1" >/dev/null; echo "$PG/$1"; }
bench() { log "## $1"; shift; "$BIN" bench "$@" 2>/dev/null | tee -a "$OUT"; log ""; }

# 1. SQLite, one process: peak, then paced at half of peak
if at sqlite; then
serve "sqlite:$WORK/a.db" 18081 --demo
bench "SQLite, 1 process, peak" --target http://127.0.0.1:18081 --concurrency "$CONC" --duration "$DURATION" --server-pid "${PIDS[0]}"
PEAK=$(awk '/^flows/ {v=$3} END {print v}' "$OUT")
bench "SQLite, 1 process, Idempotency-Key on every request" --target http://127.0.0.1:18081 --concurrency "$CONC" --duration "$DURATION" --idempotency-keys
bench "SQLite, 1 process, paced at half of peak" --target http://127.0.0.1:18081 --concurrency "$CONC" --duration "$DURATION" --rate "$(awk "BEGIN {print $PEAK/2}")"
for lines in 3 10 50; do
  bench "SQLite, basket of $lines lines" --target http://127.0.0.1:18081 --concurrency "$CONC" --duration 15 --basket-min $lines --basket-max $lines
done
stop_all
fi

# 2. Number of cards in the database (the flows use 100 of them); the CLI issues ≤ 100000 per call
if at cards; then
for n in 10 100000 1000000; do
  "$BIN" --database "sqlite:$WORK/cards$n.db" migrate >/dev/null
  serve "sqlite:$WORK/cards$n.db" 18082 --demo; stop_all
  start=$(date +%s)
  left=$n
  while [ "$left" -gt 0 ]; do
    batch=$(( left < 100000 ? left : 100000 ))
    "$BIN" --database "sqlite:$WORK/cards$n.db" cards issue --cardgroup CRG_442AC7B8XCVU3XG2NX9E5XHJWH4CRK --count "$batch" > /dev/null
    left=$(( left - batch ))
  done
  log "$(( $(date +%s) - start )) s to issue $n cards"
  serve "sqlite:$WORK/cards$n.db" 18082 --demo
  bench "SQLite with $n extra cards in the database" --target http://127.0.0.1:18082 --concurrency "$CONC" --duration 15
  stop_all
done
fi

# 3. PostgreSQL: 1 and 3 processes on one database
if at postgres; then
URL=$(pgdb loyalpos_bench1)
serve "$URL" 18083 --demo
bench "PostgreSQL, 1 process" --target http://127.0.0.1:18083 --concurrency "$CONC" --duration "$DURATION" --server-pid "${PIDS[0]}"
bench "PostgreSQL, 1 process, Idempotency-Key on every request" --target http://127.0.0.1:18083 --concurrency "$CONC" --duration "$DURATION" --idempotency-keys
stop_all
URL=$(pgdb loyalpos_bench3)
serve "$URL" 18084 --demo; serve "$URL" 18085 --demo; serve "$URL" 18086 --demo
bench "PostgreSQL, 3 processes" --target http://127.0.0.1:18084,http://127.0.0.1:18085,http://127.0.0.1:18086 --concurrency "$CONC" --duration "$DURATION"
stop_all
fi

# 4. pgbench TPC-B on the same PostgreSQL, default durable settings
if at pgbench; then
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS pgbench_loyalpos WITH (FORCE)" -qc "CREATE DATABASE pgbench_loyalpos" >/dev/null
pgbench -q -i -s 10 "$PG/pgbench_loyalpos" >/dev/null 2>&1
log "## pgbench -c 8 -j 2 -T $DURATION"
pgbench -c 8 -j 2 -T "$DURATION" "$PG/pgbench_loyalpos" 2>/dev/null | grep -E "tps|latency" | tee -a "$OUT"
log ""
fi

# 5. Memory over a long run (SQLite), sampled every 30 s
if at long; then
serve "sqlite:$WORK/long.db" 18087 --demo
( for _ in $(seq $((LONG / 30))); do sleep 30; log "RSS $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/"${PIDS[0]}"/status)"; done ) &
sampler=$!
bench "SQLite, long run of $LONG s" --target http://127.0.0.1:18087 --concurrency "$CONC" --duration "$LONG" --server-pid "${PIDS[0]}"
wait "$sampler"   # not a bare wait: the server is a background job too
stop_all
fi
