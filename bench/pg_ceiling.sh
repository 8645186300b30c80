#!/usr/bin/env bash
# What this PostgreSQL allows the register flow, against pgbench TPC-B (BENCHMARKS.md "The flow's SQL
# alone"): in one run,
#   1. loyalpos, 3 processes, the issue's flow (create with a card + start/cash, 3-line baskets) over
#      300 cards, 32 registers — this also leaves the schema and realistic rows behind;
#   2. the same flow's SQL replayed by pgbench (bench/sql/flow.sql; no HTTP, no application work),
#      pipelined as loyalpos sends it with 8 and 32 clients, once statement by statement, once
#      without the outbox's INSERTs, and once with one commit per flow instead of two;
#   3. pgbench TPC-B (scale 10, -c 8 -j 2).
# Needs pgbench and a local PostgreSQL (LOYALPOS_BENCH_PG, default postgres://postgres@127.0.0.1:5432).
# Prints to stdout; writes nothing in the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${LOYALPOS_BENCH_PG:-postgres://postgres@127.0.0.1:5432}
SECS=${SECS:-10}
DB=loyalpos_ceiling
BIN=target/release/loyalpos
MERCHANT=MRC_35SZ3R5GGQQP4T0U2T5GFAN9P6C4PG   # the demo tenant's merchant and register
DEVICE=SDV_2YJDXYESB2YBHECVB5GQGSYPNM8UA6
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done
    psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -qc "DROP DATABASE IF EXISTS pgbench_ceiling WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

cargo build --release -q -p loyalpos
source bench/servers.sh   # the scripts run from the repository root
echo "# $(date -u +%FT%TZ) $(nproc) cores, commit $(git rev-parse --short HEAD), $SECS s per point"
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -qc "CREATE DATABASE $DB" >/dev/null 2>&1
for port in 18092 18093 18094; do serve "$PG/$DB" "$port" --demo; done
echo "## 1. loyalpos, 3 processes, create + start/cash, 300 cards, 32 registers"
"$BIN" bench --target http://127.0.0.1:18092,http://127.0.0.1:18093,http://127.0.0.1:18094 --concurrency 32 \
    --duration "$SECS" --cards 300 --pre-ratio 0 --basket-max 3 2>/dev/null | grep -E "^flows"
stop_all

# Rows to replay with: the run's cards (numbered for pgbench's random), a document before and after
# start, one packed event of each kind, one loyalty transaction.
psql "$PG/$DB" -q <<SQL
CREATE TABLE bench_cards AS SELECT row_number() OVER (ORDER BY c.cardnumber) AS k, c.cardnumber, mc.id AS mcid
    FROM merchantcards mc JOIN cards c ON c.id = mc.card_id
    WHERE mc.merchant_id = '$MERCHANT' AND mc.last_usage IS NOT NULL;
ALTER TABLE bench_cards ADD PRIMARY KEY (k);
CREATE TABLE bench_vals AS SELECT
    (SELECT doc FROM smart_transactions WHERE status = 'created' LIMIT 1) AS doc_created,
    (SELECT doc FROM smart_transactions WHERE status = 'ok' LIMIT 1) AS doc_ok,
    (SELECT packed FROM events WHERE target = 'smart.transactions' AND kind = 'added' LIMIT 1) AS p_added,
    (SELECT packed FROM events WHERE target = 'smart.transactions' AND kind = 'changed' LIMIT 1) AS p_changed,
    (SELECT packed FROM events WHERE target = 'loyalty.transactions' LIMIT 1) AS p_ltx,
    (SELECT packed FROM events WHERE target = 'loyalty.merchantcards' LIMIT 1) AS p_mc;
CREATE TABLE bench_ltx AS SELECT * FROM loyalty_transactions LIMIT 1;
SQL
cards=$(psql "$PG/$DB" -Atc "SELECT count(*) FROM bench_cards")
replay() {
    local clients=$1 script=$2
    pgbench -n -M prepared -c "$clients" -j 2 -T "$SECS" -D merchant="$MERCHANT" -D device="$DEVICE" \
        -D cards="$cards" -f "$script" "$PG/$DB" 2>&1 | grep -E "^tps|failed"
}
echo "## 2. the flow's SQL replayed by pgbench ($cards cards), flows/s"
echo "-c 8, pipelined as loyalpos sends it:";  replay 8 bench/sql/flow.sql
echo "-c 32, pipelined:"; replay 32 bench/sql/flow.sql
grep -v "pipeline$" bench/sql/flow.sql > "$WORK/one_by_one.sql"
echo "-c 8, each statement a round trip of its own:"; replay 8 "$WORK/one_by_one.sql"
grep -v "INSERT INTO events" bench/sql/flow.sql > "$WORK/no_outbox.sql"
echo "-c 32, pipelined, without the outbox's INSERTs:"; replay 32 "$WORK/no_outbox.sql"
# Without the create's COMMIT and the start's BEGIN: one commit per flow, the most that batching
# several commands into one transaction could save on commits.
awk '/^COMMIT;$/ && !c++ { next } /^BEGIN;$/ && b++ == 1 { next } { print }' bench/sql/flow.sql > "$WORK/one_commit.sql"
echo "-c 8, pipelined, one commit per flow:"; replay 8 "$WORK/one_commit.sql"

echo "## 3. pgbench TPC-B -s 10 -c 8 -j 2"
psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS pgbench_ceiling WITH (FORCE)" -qc "CREATE DATABASE pgbench_ceiling" >/dev/null 2>&1
pgbench -q -i -s 10 "$PG/pgbench_ceiling" >/dev/null 2>&1
pgbench -c 8 -j 2 -T "$SECS" "$PG/pgbench_ceiling" 2>/dev/null | grep -E "^tps"
