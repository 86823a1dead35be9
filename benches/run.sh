#!/usr/bin/env bash
# Throughput, raw latency and memory of Tollgate on a release build, measured with wrk on
# loopback: the hot read paths, credit spending, and durable webhook ingestion (20,000 signed
# events for one workspace, and 20,000 spread over 1,000 workspaces), each checked against
# the database afterwards. With BENCH_DATABASE_URL=postgres://… it also runs two instances on
# one fresh PostgreSQL database; BENCH_KEEP=1 keeps the databases and server logs.
# Usage: benches/run.sh [seconds per read endpoint, default 10]
# — prints a table and writes benches/results/<date>.txt. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

DURATION="${1:-10}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
CONSUME_CONNECTIONS="${CONSUME_CONNECTIONS:-64}"
CONNECTIONS_WEBHOOK="${CONNECTIONS_WEBHOOK:-64}"
EVENTS="${EVENTS:-20000}"
MIX_WORKSPACES="${MIX_WORKSPACES:-1000}"
for tool in wrk sqlite3 psql; do
  command -v "$tool" >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${tool/psql/postgresql-client}" >/dev/null; }
done
source "$root/benches/lib.sh"

cargo build --release --locked --bin tollgate
work="$(mktemp -d)"
servers=()
pg_db=""
cleanup() {
  [ ${#servers[@]} -eq 0 ] || kill "${servers[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  if [ -n "${BENCH_KEEP:-}" ]; then
    echo "kept $work${pg_db:+ and the database $pg_db} (BENCH_KEEP)"
    return
  fi
  [ -z "$pg_db" ] || psql "$BENCH_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $pg_db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
settings=(HOST=127.0.0.1 DATABASE_URL="$work/bench.db" RUST_LOG=error
  SESSION_KEY="$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')" CATALOG_PATH="$root/catalog.toml")
port="$(free_port)"
base="http://127.0.0.1:$port"
server="$(start_server "$port")"
servers+=("$server")

mkdir -p benches/results
out="benches/results/$(date -u +%Y%m%dT%H%M%SZ).txt"
reconciled=true
{
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(git rev-parse --short HEAD)"
  echo "this disk: $(fsync_rate) single-row durable SQLite commits/s (WAL, synchronous = FULL)"
} | tee "$out"

# A signed-in session for the workspace pages.
jar="$work/cookies"
token() { curl -s -b "$jar" -c "$jar" "$base$1" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n1; }
csrf="$(token /signup)"
location="$(curl -s -o /dev/null -w '%{redirect_url}' -b "$jar" -c "$jar" --data-urlencode "csrf_token=$csrf" \
  --data-urlencode "email=bench@example.com" --data-urlencode "password=correct horse battery" "$base/signup")"
billing="${location#"$base"}"
# The first page after signing up adds the CSRF token to the session cookie; a browser keeps the
# cookie it was sent, so the pages below are measured with that one.
curl -s -o /dev/null -b "$jar" -c "$jar" "$location"
cookie="$(awk '$6=="tollgate_session"{print "tollgate_session=" $7}' "$jar")"

printf '%-34s %10s %10s %10s\n' workload "per second" "p50" "p99" | tee -a "$out"
ws="${billing#/w/}"
ws="${ws%/billing}"
settings_page="${billing%/billing}/settings"
# "anon " entries are fetched without the session cookie.
for entry in "anon /healthz" "anon /pricing" /pricing "$billing" "$settings_page" /api/me; do
  path="${entry#anon }"
  header=(-H "Cookie: $cookie")
  label="GET $path (signed in)"
  if [ "$entry" != "$path" ]; then header=(); label="GET $path"; fi
  result="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "${header[@]}" "$base$path")"
  rps="$(awk '/Requests\/sec/{print $2}' <<<"$result")"
  [ "$path" = /healthz ] && healthz_rps="$rps"
  share="$(awk -v r="$rps" -v h="$healthz_rps" 'BEGIN { printf "%.0f%%", 100 * r / h }')"
  non2xx="$(non2xx_of "$result")"
  printf '%-34s %10s %10s %10s  %s\n' "$(sed "s#/w/$ws/#/w/{id}/#" <<<"$label")" "$rps" "$(p50_of "$result")" "$(p99_of "$result")" \
    "requests/s ($share of /healthz); non-2xx: ${non2xx:-0}; peak RSS $(peak_rss "$server")" | tee -a "$out"
done

# Credit spending: CONSUME_CONNECTIONS connections spending one credit each against one
# workspace through an API key. API keys come with Pro: start its trial through the
# sandbox checkout, make a key on the settings page, and grant enough purchased credits
# that the run measures spends rather than refusals.
csrf="$(token "$billing")"
checkout="$(curl -s -o /dev/null -w '%{redirect_url}' -b "$jar" -c "$jar" --data-urlencode "csrf_token=$csrf" \
  --data-urlencode plan=pro --data-urlencode interval=month "$base/w/$ws/checkout")"
csrf="$(token "${checkout#"$base"}")"
curl -s -o /dev/null -L -b "$jar" -c "$jar" --data-urlencode "csrf_token=$csrf" \
  --data-urlencode "card=4242 4242 4242 4242" "$checkout/pay"
csrf="$(token "/w/$ws/settings")"
curl -s -o /dev/null -b "$jar" -c "$jar" --data-urlencode "csrf_token=$csrf" --data-urlencode name=bench "$base/w/$ws/api-keys"
key="$(curl -s -b "$jar" -c "$jar" "$base/w/$ws/settings" | sed -n 's/.*data-testid="new-api-key">\(tgk_[A-Za-z0-9_-]*\)<.*/\1/p' | head -n1)"
[ -n "$key" ] || { echo "could not create an API key for workspace $ws" >&2; exit 1; }
(cd "$work" && env "${settings[@]}" "$root/target/release/tollgate" credits adjust "$ws" purchased 100000000 benchmark credits >/dev/null)

ledger_spent() {
  sqlite3 "$work/bench.db" "SELECT COALESCE(-SUM(delta), 0) FROM credit_ledger WHERE workspace_id = $ws AND reason LIKE 'spent%';"
}
answered_200() {
  sqlite3 "$work/bench.db" "SELECT COUNT(*) FROM credit_spends WHERE workspace_id = $ws AND status = 200;"
}
before="$(ledger_spent)"
answered_before="$(answered_200)"
result="$(TOLLGATE_KEY="$key" BENCH_RUN="$(date +%s)" wrk -t"$THREADS" -c"$CONSUME_CONNECTIONS" -d"${DURATION}s" --latency \
  -s "$root/benches/consume.lua" "$base")"
# wrk stops with requests in flight: the server still commits them, wrk never counts them.
sleep 2
in_ledger="$(($(ledger_spent) - before))"
answered="$(($(answered_200) - answered_before))"
spent="$(sed -n 's/^CONSUME spent=\([0-9]*\).*/\1/p' <<<"$result")"
spent="${spent:-0}"
other="$(sed -n 's/^CONSUME .* other=\([0-9]*\).*/\1/p' <<<"$result")"
seconds="$(awk '/requests in/{for (i = 1; i <= NF; i++) if ($i == "in") {sub(/s,?$/, "", $(i + 1)); print $(i + 1)}}' <<<"$result")"
p50="$(p50_of "$result")"
p99="$(p99_of "$result")"
non2xx="$(non2xx_of "$result")"
spends_per_second="$(awk -v n="$spent" -v s="${seconds:-0}" 'BEGIN { if (s > 0) printf "%.2f", n / s; else print "n/a" }')"
# Every 200 the server answered is one ledger spend; wrk saw all of them but those still in
# flight when it stopped (at most one per connection).
in_flight="$((in_ledger - spent))"
if [ "$in_ledger" -eq "$answered" ] && [ "$in_flight" -ge 0 ] && [ "$in_flight" -le "$CONSUME_CONNECTIONS" ]; then
  check="ledger ok: $in_ledger spent = $answered answered 200 ($spent received, $in_flight in flight at the stop)"
else
  check="LEDGER MISMATCH: $in_ledger spent in the ledger, $answered answered 200, $spent received"
  reconciled=false
fi
printf '%-34s %10s %10s %10s  %s\n' "POST credits/consume (${CONSUME_CONNECTIONS}c)" "$spends_per_second" "$p50" "$p99" \
  "spends/s; non-2xx: ${non2xx:-0}; other errors: ${other:-0}; peak RSS $(peak_rss "$server"); $check" | tee -a "$out"

source "$root/benches/webhooks.sh"
echo "wrote $out"
"$reconciled"
