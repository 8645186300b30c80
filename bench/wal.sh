#!/usr/bin/env bash
# Where PostgreSQL's WAL goes during the register flow (BENCHMARKS.md "Where a flow's cost goes now"):
# 3 servers on a fresh database, `loyalpos bench` (32 registers, 300 cards) for SECS seconds after a
# short warm-up, then the WAL written in that window per flow, by record type and by relation
# (pg_walinspect, PostgreSQL 15 or later). Needs a local PostgreSQL (LOYALPOS_BENCH_PG, default
# postgres://postgres@127.0.0.1:5432). Prints to stdout; writes nothing in the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${LOYALPOS_BENCH_PG:-postgres://postgres@127.0.0.1:5432}
SECS=${SECS:-8}
DB=loyalpos_wal
BIN=target/release/loyalpos
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done
    psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

cargo build --release -q -p loyalpos
source bench/servers.sh   # the scripts run from the repository root
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -qc "CREATE DATABASE $DB" >/dev/null
psql "$PG/$DB" -qc "CREATE EXTENSION pg_walinspect" >/dev/null
for port in 18092 18093 18094; do serve "$PG/$DB" "$port" --demo; done
targets=http://127.0.0.1:18092,http://127.0.0.1:18093,http://127.0.0.1:18094
# The warm-up issues the cards, so that the window holds register flows only.
"$BIN" bench --target "$targets" --concurrency 8 --duration 2 --cards 300 >/dev/null 2>&1
from=$(psql "$PG/$DB" -Atc "SELECT pg_current_wal_lsn()")
flows=$("$BIN" bench --target "$targets" --concurrency 32 --duration "$SECS" --cards 300 2>/dev/null \
    | awk '/^flows/ {print $2}')
to=$(psql "$PG/$DB" -Atc "SELECT pg_current_wal_lsn()")
stop_all
echo "# $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD), $SECS s, $flows flows"
psql "$PG/$DB" -Atc "SELECT 'WAL per flow: ' || round(pg_wal_lsn_diff('$to', '$from') / $flows) || ' bytes'"
psql "$PG/$DB" -c "SELECT \"resource_manager/record_type\" AS record, count,
        round(combined_size::numeric / $flows) AS bytes_per_flow
    FROM pg_get_wal_stats('$from', '$to', true) ORDER BY combined_size DESC LIMIT 10"
psql "$PG/$DB" -c "WITH r AS (
        SELECT substring(block_ref FROM 'rel [0-9]+/[0-9]+/([0-9]+)')::oid AS node,
               record_length + fpi_length AS size
        FROM pg_get_wal_records_info('$from', '$to'))
    SELECT COALESCE(t.relname || ' (TOAST)', c.relname, r.node::text) AS relation, count(*) AS records,
           round(sum(r.size)::numeric / $flows) AS bytes_per_flow
    FROM r LEFT JOIN pg_class c ON c.relfilenode = r.node
    LEFT JOIN pg_class t ON t.reltoastrelid = c.oid AND c.relname LIKE 'pg_toast%'
    GROUP BY 1 ORDER BY 3 DESC NULLS LAST LIMIT 16"
