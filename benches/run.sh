#!/usr/bin/env bash
# Throughput of the hot read paths on a release build, measured with wrk on loopback.
# Usage: benches/run.sh [seconds per endpoint, default 10] — prints a table and writes
# benches/results/<date>.txt. Not part of CI (a release build takes ~8 minutes here).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

DURATION="${1:-10}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

cargo build --release --locked --bin tollgate
work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
(cd "$work" && HOST=127.0.0.1 PORT="$port" DATABASE_URL="$work/bench.db" RUST_LOG=error \
  SESSION_KEY="$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')" CATALOG_PATH="$root/catalog.toml" \
  "$root/target/release/tollgate") &
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
echo "wrote $out"
