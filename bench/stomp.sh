#!/usr/bin/env bash
# The STOMP measurements of BENCHMARKS.md "Push" (issue 12), in one run on this machine, SQLite, the demo tenant:
#   1. register flows over REST and over STOMP (SDK SEND frames), 32 registers each — over STOMP once with every
#      event the register's token may see, once subscribed to terminal messages only;
#   2. event fan-out: LISTENERS (default 1000) STOMP connections that only receive the merchant's events while
#      32 registers run flows over REST — events delivered per second, delivery latency, server RSS and CPU —
#      unpaced, then paced at 5, 10 and 20 flows/s.
# Writes bench/stomp.txt. SECS sets the seconds per point (default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${SECS:-20}
LISTENERS=${LISTENERS:-1000}
OUT=bench/stomp.txt
BIN=target/release/loyalpos
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
ulimit -n 20000   # a thousand listeners and the registers, on both ends

cargo build --release -q -p loyalpos
: > "$OUT"
log() { echo "$*" | tee -a "$OUT"; }
log "# $(date -u +%FT%TZ) $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(uname -r), commit $(git rev-parse --short HEAD), $SECS s per point"
source bench/servers.sh

bench() { "$BIN" bench --target http://127.0.0.1:18095 --stomp 127.0.0.1:18096 --concurrency 32 --duration "$SECS" \
  --server-pid "${PIDS[0]}" "$@" 2>/dev/null | tee -a "$OUT"; }
fresh() { stop_all; rm -f "$WORK"/demo.db*; STOMP_LISTEN=127.0.0.1:18096 serve "sqlite:$WORK/demo.db" 18095 --demo; }

fresh
log "## 1a. flows over REST (32 registers)"
bench
fresh
log "## 1b. flows over STOMP (32 registers, one connection each, SDK SEND frames)"
bench --over-stomp
fresh
log "## 1c. flows over STOMP, registers subscribed to terminal messages only (selector target = 'general.notifications')"
bench --over-stomp --register-selector "target = 'general.notifications'"
fresh
log "## 2. event fan-out: $LISTENERS STOMP listeners while 32 registers run flows over REST"
bench --listeners "$LISTENERS"
for rate in 5 10 20; do
  fresh
  log "## 2 at $rate flows/s: the same, the registers paced"
  bench --listeners "$LISTENERS" --rate "$rate"
done
log "store: $(curl -s http://127.0.0.1:18095/metrics | grep -E '^loyalpos_(store_(statements|relay_statements|units|commits)_total|process_resident)' | tr '\n' ' ')"
stop_all
