# Shared by bench/run.sh and bench/acceptance.sh (sourced): start loyalpos servers and stop them all.
# The caller sets BIN (the binary), WORK (a scratch directory) and PIDS=(); STOMP_LISTEN (default off)
# is the STOMP listener of the next server.

# serve DB_URL PORT [extra…] — starts a server, waits for its ready line, records its pid
serve() {
  local url=$1 port=$2; shift 2
  "$BIN" serve --stomp-listen "${STOMP_LISTEN:-off}" --listen "127.0.0.1:$port" --database "$url" "$@" > "$WORK/out.$port" 2> "$WORK/err.$port" &
  PIDS+=($!)
  for _ in $(seq 100); do grep -q listening "$WORK/out.$port" 2>/dev/null && return; sleep 0.1; done
  echo "server on $port did not start"; cat "$WORK/err.$port"; exit 1
}
stop_all() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; PIDS=(); }
