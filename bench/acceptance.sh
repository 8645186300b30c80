#!/usr/bin/env bash
# The measurements of BENCHMARKS.md "One command, one unit of work", in one run on this machine:
#   1. the register flow against loyalpos and the lean reference, side by side (../shared/bench/compare.sh);
#   2. an authenticated GET of a merchant against loyalpos's own GET /health (wrk);
#   3. SQLite paced at half of the flow peak: p99 per request (loyalpos bench --rate);
#   4. PostgreSQL, 3 processes, flows over 300 cards (the mixed flow, then create + start/cash only),
#      and pgbench TPC-B on the same PostgreSQL.
# Needs wrk, pgbench and a local PostgreSQL (LOYALPOS_BENCH_PG, default postgres://postgres@127.0.0.1:5432).
# Writes bench/acceptance.txt. SECS sets the seconds per point (default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${LOYALPOS_BENCH_PG:-postgres://postgres@127.0.0.1:5432}
SECS=${SECS:-20}
OUT=bench/acceptance.txt
BIN=target/release/loyalpos
SHARED=${LOYALPOS_SHARED:-../shared}
TOKEN=qb56tjj1bcvo9n2nj4u38k84lo
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

cargo build --release -q -p loyalpos
: > "$OUT"
log() { echo "$*" | tee -a "$OUT"; }
log "# $(date -u +%FT%TZ) $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(uname -r), commit $(git rev-parse --short HEAD), $SECS s per point"

source bench/servers.sh   # the scripts run from the repository root
rps() { wrk -t2 -c32 -d"${SECS}s" "$@" 2>&1 | grep -oP 'Requests/sec:\s+\K[0-9.]+'; }

# 1 and 2: SQLite, one process, the demo tenant
serve "sqlite:$WORK/demo.db" 18091 --demo
log "## 1. register flow (create with card + start/cash), wrk -t2 -c32, loyalpos vs lean reference"
bash "$SHARED/bench/compare.sh" http://127.0.0.1:18091 "$SECS" | tee -a "$OUT"
log "## 2. GET /General/Merchants/me (authenticated) vs GET /health, wrk -t2 -c32"
health=$(rps http://127.0.0.1:18091/health)
merchant=$(rps -H "Authorization: Bearer $TOKEN" http://127.0.0.1:18091/api/v2/General/Merchants/me)
log "health=$health/s merchant=$merchant/s ratio=$(awk "BEGIN {printf \"%.2f\", $merchant / $health}")"
log "## 3. SQLite paced at half of the flow peak (loyalpos bench, 32 registers)"
"$BIN" bench --target http://127.0.0.1:18091 --concurrency 32 --duration "$SECS" --server-pid "${PIDS[0]}" 2>/dev/null | tee "$WORK/peak" | tee -a "$OUT"
peak=$(awk '/^flows/ {print $3}' "$WORK/peak")
"$BIN" bench --target http://127.0.0.1:18091 --concurrency 32 --duration "$SECS" --rate "$(awk "BEGIN {print $peak / 2}")" 2>/dev/null | tee -a "$OUT"
log "store: $(curl -s http://127.0.0.1:18091/metrics | grep -E '^loyalpos_(store_(statements|units|commits)_total|cache_(hits|misses)_total|process_resident)' | tr '\n' ' ')"
stop_all

# 4: PostgreSQL, three processes on one database, then pgbench on the same server
# The mixed flow (half of the flows apply the card first, baskets of 3–10 lines), then the issue's
# flow (create with a card + start/cash, baskets of 3 lines as the docs' one), each on a fresh database.
pg_flows() {
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS loyalpos_accept WITH (FORCE)" -qc "CREATE DATABASE loyalpos_accept" >/dev/null
  for port in 18092 18093 18094; do serve "$PG/loyalpos_accept" "$port" --demo; done
  "$BIN" bench --target http://127.0.0.1:18092,http://127.0.0.1:18093,http://127.0.0.1:18094 --concurrency 32 \
    --duration "$SECS" --cards 300 "$@" 2>/dev/null | tee -a "$OUT"
  stop_all
}
log "## 4. PostgreSQL, 3 processes, 300 cards (loyalpos bench, 32 registers), the mixed flow"
pg_flows
log "## 4b. the same, the issue's flow: create with a card + start/cash, 3 lines (--pre-ratio 0 --basket-max 3)"
pg_flows --pre-ratio 0 --basket-max 3
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS pgbench_accept WITH (FORCE)" -qc "CREATE DATABASE pgbench_accept" >/dev/null
pgbench -q -i -s 10 "$PG/pgbench_accept" >/dev/null 2>&1
log "## pgbench TPC-B -s 10 -c 8 -j 2 -T $SECS"
pgbench -c 8 -j 2 -T "$SECS" "$PG/pgbench_accept" 2>/dev/null | grep -E "^tps|latency average" | tee -a "$OUT"
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS loyalpos_accept WITH (FORCE)" -qc "DROP DATABASE IF EXISTS pgbench_accept WITH (FORCE)" >/dev/null
