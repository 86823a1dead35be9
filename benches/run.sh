#!/usr/bin/env bash
# Throughput of the hot read paths and of credit spending on a release build, measured with
# wrk on loopback. Usage: benches/run.sh [seconds per endpoint, default 10] — prints a table
# and writes benches/results/<date>.txt. Not part of CI (a release build takes ~8 minutes here).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

DURATION="${1:-10}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
CONSUME_CONNECTIONS="${CONSUME_CONNECTIONS:-64}"
for tool in wrk sqlite3; do
  command -v "$tool" >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool" >/dev/null; }
done

cargo build --release --locked --bin tollgate
work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
settings=(HOST=127.0.0.1 PORT="$port" DATABASE_URL="$work/bench.db" RUST_LOG=error
  SESSION_KEY="$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')" CATALOG_PATH="$root/catalog.toml")
# `exec` so that $! is the server itself, which the trap stops.
(cd "$work" && exec env "${settings[@]}" "$root/target/release/tollgate") &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -fs "$base/healthz" >/dev/null && break; sleep 0.1; done

# A signed-in session for the workspace pages.
jar="$work/cookies"
token() { curl -s -b "$jar" -c "$jar" "$base$1" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n1; }
csrf="$(token /signup)"
location="$(curl -s -o /dev/null -w '%{redirect_url}' -b "$jar" -c "$jar" --data-urlencode "csrf_token=$csrf" \
  --data-urlencode "email=bench@example.com" --data-urlencode "password=correct horse battery" "$base/signup")"
billing="${location#"$base"}"
cookie="$(awk '$6=="tollgate_session"{print "tollgate_session=" $7}' "$jar")"

mkdir -p benches/results
out="benches/results/$(date -u +%Y%m%dT%H%M%SZ).txt"
printf '%-24s %12s %12s %12s\n' endpoint requests/s "p50 latency" "p99 latency" | tee "$out"
for path in /healthz /pricing "$billing" "/api/me"; do
  header=()
  [ "$path" = /healthz ] || [ "$path" = /pricing ] || header=(-H "Cookie: $cookie")
  result="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "${header[@]}" "$base$path")"
  rps="$(awk '/Requests\/sec/{print $2}' <<<"$result")"
  p50="$(awk '$1=="50%"{print $2}' <<<"$result")"
  p99="$(awk '$1=="99%"{print $2}' <<<"$result")"
  non2xx="$(awk '/Non-2xx/{print $NF}' <<<"$result")"
  printf '%-24s %12s %12s %12s %s\n' "$path" "$rps" "$p50" "$p99" "${non2xx:+(non-2xx: $non2xx)}" | tee -a "$out"
done

# Credit spending: CONSUME_CONNECTIONS connections spending one credit each against one
# workspace through an API key. API keys come with Pro: start its trial through the
# sandbox checkout, make a key on the settings page, and grant enough purchased credits
# that the run measures spends rather than refusals.
ws="${billing#/w/}"
ws="${ws%/billing}"
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
p50="$(awk '$1=="50%"{print $2}' <<<"$result")"
p99="$(awk '$1=="99%"{print $2}' <<<"$result")"
non2xx="$(awk '/Non-2xx/{print $NF}' <<<"$result")"
spends_per_second="$(awk -v n="$spent" -v s="${seconds:-0}" 'BEGIN { if (s > 0) printf "%.2f", n / s; else print "n/a" }')"
# Every 200 the server answered is one ledger spend; wrk saw all of them but those still in
# flight when it stopped (at most one per connection).
in_flight="$((in_ledger - spent))"
if [ "$in_ledger" -eq "$answered" ] && [ "$in_flight" -ge 0 ] && [ "$in_flight" -le "$CONSUME_CONNECTIONS" ]; then
  check="ledger ok: $in_ledger spent = $answered answered 200 ($spent received, $in_flight in flight at the stop)"
  reconciled=true
else
  check="LEDGER MISMATCH: $in_ledger spent in the ledger, $answered answered 200, $spent received"
  reconciled=false
fi
printf '%-24s %12s %12s %12s %s\n' "POST consume (${CONSUME_CONNECTIONS}c)" "$spends_per_second" "$p50" "$p99" \
  "spends/s; non-2xx: ${non2xx:-0}; other errors: ${other:-0}; $check" | tee -a "$out"
echo "wrote $out"
"$reconciled"
