# Durable webhook ingestion (sourced by benches/run.sh after the read and spend workloads).
# The server runs as the Stripe provider with a known endpoint secret, so every delivery is a
# real signed Stripe event; it never calls Stripe (these events need nothing fetched).

stripe_settings=(BILLING_PROVIDER=stripe STRIPE_SECRET_KEY=sk_test_bench STRIPE_WEBHOOK_SECRET=whsec_bench
  STRIPE_API_BASE=http://127.0.0.1:9/)
events_for() { WEBHOOK_SECRET=whsec_bench BENCH_RUN="$1" python3 "$root/benches/webhook_events.py" "${@:2}"; }
run_id="b$(date +%s)"

# SQLite: one instance, a fresh database.
db="$work/webhooks.db"
port="$(free_port)"
hooks="$(start_server "$port" "${stripe_settings[@]}" DATABASE_URL="$db")"
servers+=("$hooks")
events_for x sql-mix one 1 | sqlite3 "$db"
events_for x sql-mix mix "$MIX_WORKSPACES" | sqlite3 "$db"
one="$(sql "$db" "SELECT id FROM workspaces WHERE name = 'one-0';")"
first="$(sql "$db" "SELECT MIN(id) FROM workspaces WHERE name LIKE 'mix-%';")"

events_for "${run_id}o" one "$one" "$EVENTS" >"$work/one.events"
result="$(deliver "$db" "evt_${run_id}o_" "$EVENTS" "$work/one.events" "http://127.0.0.1:$port")"
report_webhooks "webhooks, 1 workspace (${CONNECTIONS_WEBHOOK}c)" "$db" "evt_${run_id}o_" "$EVENTS" "$result" "$hooks"
ended="$(sql "$db" "SELECT COUNT(*) FROM ended_subscriptions WHERE workspace_id = $one;")"
[ "$ended" -eq "$EVENTS" ] || { echo "  ended subscriptions: $ended, expected $EVENTS" | tee -a "$out"; reconciled=false; }

per=$((EVENTS / MIX_WORKSPACES))
events_for "${run_id}m" mix "$first" "$MIX_WORKSPACES" "$per" >"$work/mix.events"
result="$(deliver "$db" "evt_${run_id}m_" "$EVENTS" "$work/mix.events" "http://127.0.0.1:$port")"
report_webhooks "webhooks, $MIX_WORKSPACES workspaces (${CONNECTIONS_WEBHOOK}c)" "$db" "evt_${run_id}m_" "$EVENTS" "$result" "$hooks"
# Order within a workspace: every workspace must end on its last renewal, whatever order the
# 64 connections delivered them in.
ends="$(sql "$db" "SELECT COUNT(DISTINCT current_period_end) FROM workspaces WHERE name LIKE 'mix-%';")"
[ "$ends" -eq 1 ] || { echo "  ORDER: the mix's workspaces end on $ends different periods" | tee -a "$out"; reconciled=false; }

# PostgreSQL: two instances on one fresh database, the 1,000-workspace mix split between them.
if [ -n "${BENCH_DATABASE_URL:-}" ]; then
  pg_db="tollgate_bench_$$"
  psql "$BENCH_DATABASE_URL" -qc "CREATE DATABASE $pg_db" >/dev/null
  pg_url="${BENCH_DATABASE_URL%/*}/$pg_db"
  ports=("$(free_port)" "$(free_port)")
  pids=()
  for p in "${ports[@]}"; do
    pid="$(start_server "$p" "${stripe_settings[@]}" DATABASE_URL="$pg_url")"
    servers+=("$pid")
    pids+=("$pid")
  done
  events_for x sql-mix mix "$MIX_WORKSPACES" | psql "$pg_url" -q >/dev/null
  first="$(sql "$pg_url" "SELECT MIN(id) FROM workspaces WHERE name LIKE 'mix-%';")"
  events_for "${run_id}p" mix "$first" "$MIX_WORKSPACES" "$per" >"$work/pg.events"
  result="$(deliver "$pg_url" "evt_${run_id}p_" "$EVENTS" "$work/pg.events" "http://127.0.0.1:${ports[0]}" "http://127.0.0.1:${ports[1]}")"
  report_webhooks "PostgreSQL, 2 instances, mix (${CONNECTIONS_WEBHOOK}c)" "$pg_url" "evt_${run_id}p_" "$EVENTS" "$result" "${pids[@]}"
  ends="$(sql "$pg_url" "SELECT COUNT(DISTINCT current_period_end) FROM workspaces WHERE name LIKE 'mix-%';")"
  [ "$ends" -eq 1 ] || { echo "  ORDER: the mix's workspaces end on $ends different periods" | tee -a "$out"; reconciled=false; }
fi
