#!/usr/bin/env bash
# The back office at scale (issue 13, office.md §2): a demo merchant with 1,000,000 cards (200,000 of
# them with a customer) and 10,000,000 bookings (5,000,000 loyalty transactions over two years), on
# SQLite; then the server time of its pages, measured as time to first byte over loopback with curl
# (one page at a time, RUNS times each; the slowest and the median are reported). Every loyalty
# transaction belongs to a Smart Transaction (a cash sale at the demo register with a one-line basket
# of 1,00–50,99 €), so the transactions pages list 5,000,000 of them.
#
# The rows are written straight into the database with sqlite3 (an import of this size through the
# API would take hours); balances are not those of the ledger (`loyalpos check` would say so), the
# pages only read. Usage: bench/office.sh [OUT.txt]; CARDS, LTXS, RUNS override the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
CARDS="${CARDS:-1000000}"
LTXS="${LTXS:-5000000}"
RUNS="${RUNS:-15}"
out="${1:-bench/office.txt}"
dir=$(mktemp -d /tmp/loyalpos-office-bench.XXXXXX)
db="$dir/loyalpos.db"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

cargo build --release --quiet -p loyalpos
bin=target/release/loyalpos

start_server() {
    "$bin" --database "sqlite:$db" serve --demo --listen 127.0.0.1:0 --stomp-listen off \
        > "$dir/server.out" 2> "$dir/server.err" &
    server_pid=$!
    for _ in $(seq 1 200); do
        base=$(sed -n 's/^loyalpos listening on //p' "$dir/server.out")
        [ -n "$base" ] && return
        sleep 0.05
    done
    echo "the server did not start" >&2; exit 1
}

# The demo tenant and its schema, then the bulk rows.
start_server; kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
t0=$SECONDS
sqlite3 -bail "$db" <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $CARDS)
INSERT INTO cards (id, cardnumber, created)
SELECT printf('CRD_BENCH%025d', i), printf('9276%012d', i), 1700000000 + i FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $CARDS / 5)
INSERT INTO customers (id, merchant_id, merchant_contact, customernumber, note, consent, additional_data, created)
SELECT printf('CUS_BENCH%025d', i), 'MRC_35SZ3R5GGQQP4T0U2T5GFAN9P6C4PG',
       printf('{"forename":"Kunde","surname":"Nummer%d","email":"kunde%d@example.com"}', i, i),
       printf('K%d', i), NULL, NULL, NULL, 1700000000 + i FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $CARDS)
INSERT INTO merchantcards (id, merchant_id, card_id, cardgroup_id, created_for_merchant_id,
    created_for_store_id, customer_id, customer_assignment_date, is_base_card, cash_balance,
    bonus_balance, points, last_usage, last_charge, stock_status, lock_status, lock_reason,
    lock_note, expiry_date, csc_hash, passcode_hash, created)
SELECT printf('MCD_BENCH%025d', i), 'MRC_35SZ3R5GGQQP4T0U2T5GFAN9P6C4PG', printf('CRD_BENCH%025d', i),
       'CRG_442AC7B8XCVU3XG2NX9E5XHJWH4CRK', 'MRC_35SZ3R5GGQQP4T0U2T5GFAN9P6C4PG',
       'STO_2ZCZRU9V6U8QA7B49K94667UP6C4PJ',
       CASE WHEN i % 5 = 0 THEN printf('CUS_BENCH%025d', i / 5) END, NULL, 0, 2500, 400, 0, NULL, NULL,
       'active', 'unlocked', NULL, NULL, NULL, NULL, NULL, 1700000000 + i FROM n;
COMMIT;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $LTXS)
INSERT INTO loyalty_transactions (id, merchant_id, merchantcard_id, cardgroup_id, store_id, trans_id,
    tid, status, amount, currency, balance, description, purpose, additional_data, receipt, figures,
    is_cancelling, revenue, smart_transaction_id, parent_id, child_id, created, last_change)
SELECT printf('LTX_BENCH%025d', i), 'MRC_35SZ3R5GGQQP4T0U2T5GFAN9P6C4PG',
       printf('MCD_BENCH%025d', 1 + i % $CARDS), 'CRG_442AC7B8XCVU3XG2NX9E5XHJWH4CRK',
       'STO_2ZCZRU9V6U8QA7B49K94667UP6C4PJ', 100000000 + i, NULL, 'ok', 80, 'EUR', 2900, 'Umsatz',
       NULL, NULL, '[]', NULL, 0, 796, printf('STX_BENCH%025d', i), NULL, NULL,
       strftime('%s', 'now') - 63072000 + CAST(i * (63072000.0 / $LTXS) AS INTEGER),
       strftime('%s', 'now') FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $LTXS)
INSERT INTO bookings (ltx_id, seq, merchantcard_id, kind, balance_kind, amount)
SELECT printf('LTX_BENCH%025d', i), s.seq, printf('MCD_BENCH%025d', 1 + i % $CARDS), s.kind, s.balance, s.amount
FROM n, (SELECT 0 AS seq, 'bonus_collected' AS kind, 'bonus' AS balance, 80 AS amount
         UNION ALL SELECT 1, 'cash_spent', 'cash', -100) s;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $LTXS)
INSERT INTO smart_transactions (id, merchant_id, status, device_id, receipt_number, trans_id, doc,
    created, updated, merchant_ref, transaction_ref)
SELECT printf('STX_BENCH%025d', i), 'MRC_35SZ3R5GGQQP4T0U2T5GFAN9P6C4PG', 'ok',
       'SDV_2YJDXYESB2YBHECVB5GQGSYPNM8UA6', NULL, CAST(100000000 + i AS TEXT),
       printf('{"contract_id":"GCR_9OIH9JOL8KIV5PFJBEOS2NN8TCM1DF","store_id":"STO_2ZCZRU9V6U8QA7B49K94667UP6C4PJ","device_destination_id":null,"lines":[{"id":1,"parent":null,"articleNumber":"30037","ean":"","desc":"Sandwich Romano","quantity":1,"priceOne":%d,"tax":7,"group":[],"serialNumber":null,"item_type":"article","reference_id":null,"contract_id":null,"sum":null,"sub_basket":null,"plan_id":null,"start_at":null}],"basket_type":"default","sum":%d,"gratuity":null,"currency":"EUR","idents":[{"kind":"card","value":"9276%012d","issued_cardnumber":null}],"merchant_ref":null,"transaction_ref":null,"intent":null,"is_demo":false,"payment_method":"cash","echo":{},"plan":null,"transactions":["LTX_BENCH%025d"],"receipt":[{"type":"separator","value":{"caption":"Kundenkarte"}},{"type":"name-value","value":{"name":"Kartennummer: ","value":"9276%012d","decoration":[]}},{"type":"name-value","value":{"name":"TA Code: ","value":"%d","decoration":[]}}],"terminal_amount":null}',
              100 + i % 5000, 100 + i % 5000, 1 + i % $CARDS, i, 1 + i % $CARDS, 100000000 + i),
       created, created, NULL, NULL
FROM (SELECT i, strftime('%s', 'now') - 63072000 + CAST(i * (63072000.0 / $LTXS) AS INTEGER) AS created FROM n);
COMMIT;
-- Every booking sets its card's last_usage: the last booking's time.
UPDATE merchantcards SET last_usage = (SELECT MAX(l.created) FROM loyalty_transactions l
    WHERE l.merchant_id = merchantcards.merchant_id AND l.merchantcard_id = merchantcards.id)
WHERE id LIKE 'MCD_BENCH%';
ANALYZE;
SQL
gen_seconds=$((SECONDS - t0))

start_server
jar="$dir/cookies"
curl -s -o /dev/null -c "$jar" -d 'username=johns-bakery&password=demo' "$base/office/signin"

# The median and the slowest time to first byte of RUNS requests of a page, in milliseconds.
measure() {
    local label=$1 path=$2
    local times
    times=$(for _ in $(seq 1 "$RUNS"); do
        curl -s -o /dev/null -b "$jar" -w '%{http_code} %{time_starttransfer}\n' "$base$path"
    done)
    if echo "$times" | grep -qv '^200 '; then
        echo "$label: not 200: $(echo "$times" | head -1)" >&2; exit 1
    fi
    echo "$times" | awk -v label="$label" -v path="$path" '{ t[NR] = $2 * 1000 } END {
        n = asort(t); printf "%-34s median %7.1f ms   slowest %7.1f ms   %s\n", label, t[int((n + 1) / 2)], t[n], path }'
}

{
    echo "# bench/office.sh, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, SQLite, release build"
    echo "# $CARDS cards ($((CARDS / 5)) with a customer), $LTXS loyalty transactions with $((LTXS * 2)) bookings over two years;"
    echo "# database $(du -h "$db" | cut -f1), written in ${gen_seconds} s; $RUNS requests per page, one at a time"
    measure "cards: first page of all" "/office/cards"
    measure "cards: page 400 of all" "/office/cards?q=&page=400"
    measure "cards: whole number" "/office/cards?q=9276000000471100"
    measure "cards: last 4 digits" "/office/cards?q=4711"
    measure "cards: last 6 digits" "/office/cards?q=654321"
    measure "cards: customer e-mail" "/office/cards?q=kunde4711@example.com"
    measure "cards: customer number" "/office/cards?q=K4711"
    measure "card page (5 bookings)" "/office/cards/MCD_BENCH0000000000000000000471100"
    first=$(curl -s -o /dev/null -b "$jar" -w '%{time_starttransfer}' "$base/office/dashboard")
    awk -v t="$first" 'BEGIN { printf "%-34s once    %7.1f ms   (sums the 29 ended days and keeps them)\n", "dashboard: first visit", t * 1000 }'
    measure "dashboard (30 days, 20 newest)" "/office/dashboard"
    measure "audit" "/office/audit"
    measure "transactions: first page of all" "/office/transactions"
    measure "transactions: page 400 of all" "/office/transactions?page=400"
    measure "transactions: one day" "/office/transactions?day=$(date -d yesterday +%F)"
    measure "transactions: one day, page 100" "/office/transactions?day=$(date -d yesterday +%F)&page=100"
    measure "transactions: one card" "/office/transactions?card=9276000000471100"
    measure "transactions: status ok, device" "/office/transactions?status=ok&device=SDV_2YJDXYESB2YBHECVB5GQGSYPNM8UA6"
    measure "transactions: amount 7,00-7,10 €" "/office/transactions?min=7&max=7,10"
    measure "transactions: amount, one day" "/office/transactions?day=$(date -d yesterday +%F)&min=7&max=7,10"
    measure "transactions: a store" "/office/transactions?store=STO_2ZCZRU9V6U8QA7B49K94667UP6C4PJ"
    measure "transaction page" "/office/transactions/STX_BENCH0000000000000000000471100"
    measure "end of day: one day" "/office/reports/end-of-day?from=$(date -d yesterday +%F)&to=$(date -d yesterday +%F)"
    measure "end of day: 31 days" "/office/reports/end-of-day?from=$(date -d '31 days ago' +%F)&to=$(date -d yesterday +%F)"
    measure "bookings page of one day (first 500 rows)" "/office/reports/bookings?from=$(date -d yesterday +%F)&to=$(date -d yesterday +%F)"
    measure "bookings CSV of one day (~6,850 rows)" "/office/reports/bookings.csv?from=$(date -d yesterday +%F)&to=$(date -d yesterday +%F)"
} | tee "$out"
