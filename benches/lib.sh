# Helpers for benches/run.sh (sourced): starting servers, reading the database, driving wrk.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_server PORT VAR=VALUE… — starts the release binary in $work with the common settings
# plus the given ones, waits for /healthz, and prints its pid.
start_server() {
  local port="$1"
  shift
  (cd "$work" && exec env "${settings[@]}" PORT="$port" "$@" "$root/target/release/tollgate" >>"$work/server.log" 2>&1) &
  local pid=$!
  for _ in $(seq 200); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null || { echo "the server on port $port did not start:" >&2; tail -5 "$work/server.log" >&2; exit 1; }
  echo "$pid"
}

# Peak resident memory of a process so far (VmHWM), in MB.
peak_rss() { awk '/VmHWM/{printf "%.1f MB", $2 / 1024}' "/proc/$1/status"; }

# Debian's `psql` is a Perl wrapper that costs more CPU to start than the query it runs; the
# polling below calls it several times a second beside the server being measured.
PSQL="$(ls -d /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n1)"
PSQL="${PSQL:-psql}"

# sql DATABASE_URL QUERY — one value from SQLite (a path) or PostgreSQL (a postgres:// URL).
sql() {
  case "$1" in
    postgres://* | postgresql://*) "$PSQL" "$1" -Atqc "$2" ;;
    *) sqlite3 "$1" "$2" ;;
  esac
}

# Seconds between the first delivery received and the last one processed, for event ids with
# the given prefix: the server-side window in which they were made durable.
ingest_seconds() {
  case "$1" in
    postgres://* | postgresql://*)
      sql "$1" "SELECT EXTRACT(EPOCH FROM MAX(COALESCE(processed_at, received_at)) - MIN(received_at)) FROM billing_events WHERE event_id LIKE '$2%';" ;;
    *)
      sql "$1" "SELECT (julianday(MAX(COALESCE(processed_at, received_at))) - julianday(MIN(received_at))) * 86400 FROM billing_events WHERE event_id LIKE '$2%';" ;;
  esac
}

# This disk's rate of single-row durable commits (SQLite WAL, synchronous = FULL, one
# transaction per row), measured for two seconds in $work: what one commit per event allows.
fsync_rate() {
  python3 - "$work/fsync.db" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=FULL")
db.execute("CREATE TABLE t (v INTEGER)")
n, start = 0, time.monotonic()
while time.monotonic() - start < 2:
    db.execute("BEGIN"); db.execute("INSERT INTO t VALUES (?)", (n,)); db.execute("COMMIT"); n += 1
print(f"{n / (time.monotonic() - start):.0f}")
PY
}

# wrk_field RESULT — p50, p99 and non-2xx of a wrk --latency run (wrk's own percentiles are raw
# response times: plain wrk does not apply wrk2's coordinated-omission correction).
p50_of() { awk '$1=="50%"{print $2}' <<<"$1"; }
p99_of() { awk '$1=="99%"{print $2}' <<<"$1"; }
non2xx_of() { awk '/Non-2xx/{print $NF}' <<<"$1"; }

# deliver DATABASE_URL PREFIX COUNT FILE URL… — sends FILE's pre-signed webhooks with one wrk
# per URL (CONNECTIONS_WEBHOOK split between them, each sending its share of the lines), and
# stops them once the database holds COUNT events with ids starting with PREFIX. Prints the
# wrk outputs, separated by lines of dashes.
deliver() {
  local db="$1" prefix="$2" count="$3" file="$4"
  shift 4
  local n=$# i=0 pids=() outs=() before
  # Polled by primary key, not by the ids' prefix: a scan of every stored event several times
  # a second would take its CPU from the server being measured.
  before="$(sql "$db" "SELECT COALESCE(MAX(id), 0) FROM billing_events;")"
  for url in "$@"; do
    local part="$work/part.$i" out="$work/wrk.$i"
    # A random but repeatable split (the same seed in every awk), as a load balancer would
    # spread one workspace's deliveries over the instances.
    awk -v n="$n" -v i="$i" 'BEGIN { srand(7) } int(rand() * n) == i' "$file" >"$part"
    # One connection per wrk thread: a thread that has sent its share stops with nothing in
    # flight, so no delivery is cut off.
    local conns=$((CONNECTIONS_WEBHOOK / n))
    # Each wrk thread's share in a file of its own (webhooks.lua reads "$part.<thread>").
    awk -v n="$conns" -v part="$part" '{ print > (part "." ((NR - 1) % n + 1)) }' "$part"
    EVENTS_FILE="$part" wrk -t"$conns" -c"$conns" -d300s --latency \
      -s "$root/benches/webhooks.lua" "$url" >"$out" 2>&1 &
    pids+=("$!")
    outs+=("$out")
    i=$((i + 1))
  done
  for _ in $(seq 1200); do
    sleep 0.25
    [ "$(sql "$db" "SELECT COUNT(*) FROM billing_events WHERE id > $before;")" -ge "$count" ] && break
  done
  # The exact set, by the ids' prefix, once they all seem to be in.
  for _ in $(seq 100); do
    [ "$(sql "$db" "SELECT COUNT(*) FROM billing_events WHERE event_id LIKE '$prefix%';")" -ge "$count" ] && break
    sleep 0.25
  done
  # wrk prints its report on SIGINT; its threads have stopped on their own by now.
  kill -INT "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  for out in "${outs[@]}"; do cat "$out"; echo "----"; done
}

# report_webhooks LABEL DATABASE_URL PREFIX COUNT WRK_OUTPUT PIDS… — one table line: durable
# events/s over the server-side window, the worst p50/p99 of the wrk runs, answers that were
# not 200, peak RSS, and the exactly-once check read back from the database.
report_webhooks() {
  local label="$1" db="$2" prefix="$3" count="$4" result="$5"
  shift 5
  local stored distinct bad seconds rate p50 p99 ok failed rss=""
  stored="$(sql "$db" "SELECT COUNT(*) FROM billing_events WHERE event_id LIKE '$prefix%';")"
  distinct="$(sql "$db" "SELECT COUNT(DISTINCT event_id) FROM billing_events WHERE event_id LIKE '$prefix%';")"
  bad="$(sql "$db" "SELECT COUNT(*) FROM billing_events WHERE event_id LIKE '$prefix%' AND status NOT IN ('processed', 'ignored');")"
  seconds="$(ingest_seconds "$db" "$prefix")"
  rate="$(awk -v n="$stored" -v s="$seconds" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "n/a" }')"
  p50="$(p50_of "$result" | sort -h | tail -n1)"
  p99="$(p99_of "$result" | sort -h | tail -n1)"
  ok="$(sed -n 's/^WEBHOOKS ok=\([0-9]*\).*/\1/p' <<<"$result" | awk '{ s += $1 } END { print s + 0 }')"
  failed="$(sed -n 's/^WEBHOOKS .* failed=\([0-9]*\).*/\1/p' <<<"$result" | awk '{ s += $1 } END { print s + 0 }')"
  for pid in "$@"; do rss="${rss:+$rss + }$(peak_rss "$pid")"; done
  local check="exactly once: $stored stored of $count, $distinct distinct, $bad not processed"
  if [ "$stored" -ne "$count" ] || [ "$distinct" -ne "$count" ] || [ "$bad" -ne 0 ] || [ "${failed:-0}" -ne 0 ]; then
    check="FAILED $check"
    reconciled=false
  fi
  printf '%-34s %10s %10s %10s  %s\n' "$label" "$rate" "$p50" "$p99" \
    "events/s over $(printf %.1f "$seconds")s; 200s: ${ok:-0}; not 200: ${failed:-0}; peak RSS $rss; $check" | tee -a "$out"
}
