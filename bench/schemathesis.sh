#!/usr/bin/env bash
# Property-based API test of the served OpenAPI document (GitHub issue 11): schemathesis generates
# valid and invalid requests for every operation of GET /api/v2/openapi.json and runs all of its
# checks (no 5xx, status codes, content types, response schemas, negative data rejected, …)
# against `serve --demo` on a fresh SQLite file, authenticated with the demo's pinned token.
#
# Not part of CI: the run is random and takes minutes. Needs Python 3; installs schemathesis into
# a virtualenv (SCHEMATHESIS_VENV, default target/schemathesis-venv) on first use.
# MAX_TIME bounds the run in seconds (default 240); extra arguments go to `schemathesis run`
# (e.g. --seed 1, --include-path-regex Smart). The report lands in target/schemathesis/.
# SKIP_BUILD=1 runs target/debug/loyalpos as it is (while another cargo command holds the build).
set -euo pipefail
cd "$(dirname "$0")/.."
MAX_TIME=${MAX_TIME:-240}
PORT=${PORT:-18099}
# The pinned demo token by default. MERCHANT=1 uses a token of the docs' merchant client instead
# (client_credentials), which may write stores, devices and card groups, e.g.
#   MERCHANT=1 MAX_TIME=90 bench/schemathesis.sh --include-path-regex '(Stores|Devices)'
TOKEN=qb56tjj1bcvo9n2nj4u38k84lo
MERCHANT_CLIENT_ID=00563697073442633035025909838580
MERCHANT_CLIENT_SECRET=3382456441636938321687549172178382320163695870914358804052148567
VENV=${SCHEMATHESIS_VENV:-target/schemathesis-venv}
OUT=target/schemathesis
WORK=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

if [ ! -x "$VENV/bin/schemathesis" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q schemathesis
fi
[ -n "${SKIP_BUILD:-}" ] || cargo build -q -p loyalpos
mkdir -p "$OUT"
target/debug/loyalpos serve --stomp-listen off --demo --listen "127.0.0.1:$PORT" --database "sqlite:$WORK/st.db" \
  > "$WORK/out" 2> "$OUT/server.log" &
PID=$!
for _ in $(seq 100); do grep -q listening "$WORK/out" 2>/dev/null && break; sleep 0.1; done
if [ "${MERCHANT:-0}" = 1 ]; then
  TOKEN=$(curl -s "http://127.0.0.1:$PORT/oauth/token" -H 'Content-Type: application/json' \
    -d "{\"grant_type\":\"client_credentials\",\"client_id\":\"$MERCHANT_CLIENT_ID\",\"client_secret\":\"$MERCHANT_CLIENT_SECRET\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
fi

# --workers 2: the machine the project is measured on has two cores.
"$VENV/bin/schemathesis" run "http://127.0.0.1:$PORT/api/v2/openapi.json" \
  --url "http://127.0.0.1:$PORT" \
  --header "Authorization: Bearer $TOKEN" \
  --checks all \
  --max-time "$MAX_TIME" \
  --workers 2 \
  --request-timeout 10 \
  --no-color \
  --report junit,ndjson --report-dir "$OUT" \
  "$@"
