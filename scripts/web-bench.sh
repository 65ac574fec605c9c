#!/usr/bin/env bash
# The web workspace under load: `foiatrack serve` on the 1,000,000-request database that
# scripts/report-bench.sh builds, signed in, and 50 concurrent clients (wrk) on the home page,
# a campaign of 10,000 requests (first page, a deep page, sorted by due date and by business days
# overdue), one request's page, and the server's own stylesheet for comparison, in the same run.
# Prints p50/p99 latency and throughput per page. Goal: p99 < 100 ms on 2 cores.
#
# Usage: scripts/web-bench.sh
#   BENCH_DB=/path/bench.db  reuse a database built earlier (KEEP_DIR=dir scripts/report-bench.sh)
#   DURATION=10s CONNECTIONS=50 THREADS=1 PORT=18080  load settings
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "needs wrk (apt-get install -y wrk)"; exit 1; }
command -v sqlite3 >/dev/null || { echo "needs sqlite3 (apt-get install -y sqlite3)"; exit 1; }
duration="${DURATION:-10s}"
connections="${CONNECTIONS:-50}"
threads="${THREADS:-1}"
port="${PORT:-18080}"
work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

if [ -n "${BENCH_DB:-}" ] && [ -f "$BENCH_DB" ]; then
    db="$BENCH_DB"
    cargo build --release --quiet
else
    # The same database as the report benchmark, built by it (and kept here for this run).
    echo "building the 1,000,000-request database with scripts/report-bench.sh..."
    KEEP_DIR="$work/db" scripts/report-bench.sh
    db="$work/db/bench.db"
fi
bin="$PWD/target/release/foiatrack"
sqlite3 "$db" "SELECT 'database: ' || (SELECT COUNT(*) FROM requests) || ' requests, ' || (SELECT COUNT(*) FROM events) || ' events, ' || (SELECT COUNT(*) FROM campaigns) || ' campaigns'"

FOIATRACK_DB="$db" FOIATRACK_TODAY=2026-06-01 "$bin" serve --bind "127.0.0.1:$port" >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
# The first start on an older database migrates it first (minutes on a million requests).
for _ in $(seq 1 1200); do
    [ -s "$work/serve.out" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.5
done
link="$(head -n1 "$work/serve.out")"
[ -n "$link" ] || { echo "the server did not start:"; cat "$work/serve.err"; exit 1; }
base="http://127.0.0.1:$port"
cookie="$(curl -s -o /dev/null -D - "$link" | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \(ft_session=[^;]*\).*/\1/p')"
[ -n "$cookie" ] || { echo "could not sign in with $link"; exit 1; }

pages=(
    "/assets/app.css"
    "/"
    "/campaigns/c50"
    "/campaigns/c50?page=150"
    "/campaigns/c50?sort=due&dir=desc"
    "/campaigns/c50?sort=overdue"
    "/campaigns/c50?status=awaiting_response&state=CO"
    "/requests/C50-0001"
)
# The server's own CPU time (user + system, in clock ticks), to tell its cost from the machine's load.
ticks() { awk '{ print $14 + $15 }' "/proc/$server_pid/stat"; }
hz="$(getconf CLK_TCK)"
printf '\n%-48s %6s %9s %9s %9s %11s %12s\n' "page" "status" "one (ms)" "p50 (ms)" "p99 (ms)" "requests/s" "CPU ms/req"
for p in "${pages[@]}"; do
    code="$(curl -s -o "$work/page" -w '%{http_code}' -H "Cookie: $cookie" "$base$p")"
    one="$(curl -s -o /dev/null -w '%{time_total}' -H "Cookie: $cookie" "$base$p" | awk '{printf "%.1f", $1 * 1000}')"
    if [ "$code" != "200" ]; then
        printf '%-48s %6s %9s %9s %9s %11s %12s\n' "$p" "$code" "$one" "-" "-" "-" "(not a page here)"
        continue
    fi
    before="$(ticks)"
    wrk -t"$threads" -c"$connections" -d"$duration" --latency -H "Cookie: $cookie" "$base$p" >"$work/wrk.out" 2>&1 || true
    after="$(ticks)"
    to_ms() { awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.1f", v }'; }
    p50="$(awk '$1 == "50%" { print $2 }' "$work/wrk.out" | to_ms)"
    p99="$(awk '$1 == "99%" { print $2 }' "$work/wrk.out" | to_ms)"
    rps="$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$work/wrk.out")"
    total="$(awk '/requests in/ { print $1 }' "$work/wrk.out")"
    cpu="$(awk -v b="$before" -v a="$after" -v n="$total" -v hz="$hz" 'BEGIN { if (n > 0) printf "%.2f", (a - b) * 1000 / hz / n; else print "-" }')"
    errors="$(awk '/Non-2xx|Socket errors/ { $1 = $1; print }' "$work/wrk.out" | tr '\n' ' ')"
    printf '%-48s %6s %9s %9s %9s %11s %12s %s\n' "$p" "$code" "$one" "$p50" "$p99" "$rps" "$cpu" "$errors"
done
echo
echo "($connections connections, $threads wrk thread(s), $duration each, on $(nproc) cores shared by the server and wrk;"
echo " 'one' is a single request alone; CPU ms/req is the server's own CPU time per answer; load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
