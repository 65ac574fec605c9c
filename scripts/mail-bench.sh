#!/usr/bin/env bash
# Mail import speed: `foiatrack mail import` of a generated mailbox of small, realistic messages
# (20,000 by default, scripts/gen_mail.py: replies matched by thread or tracking code, automatic
# replies, records attached, delivery failures, unmatched mail), as one mbox file and as a Maildir
# folder of as many files, against Python's standard `mailbox` + `email` (policy=default) storing
# the same messages into SQLite (scripts/mail_bench_peer.py), in the same run, RUNS times each
# (3 by default), alternating. Reports wall time (range and median), the speed-up, CPU time and
# peak memory (/usr/bin/time), and foiatrack's peak memory for mailboxes a quarter and four times
# the size (timed once each), to show it does not grow with the mailbox.
# Usage: scripts/mail-bench.sh [MESSAGES] [RUNS]
# FOIATRACK_BASELINE=/path/to/another/foiatrack times that binary too, in the same rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-20000}"
runs="${2:-3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)"; exit 1; }
command -v sqlite3 >/dev/null || { echo "needs sqlite3 (apt-get install sqlite3)"; exit 1; }
cargo build --release --quiet
bin="$PWD/target/release/foiatrack"
base="${FOIATRACK_BASELINE:-}"

# The database every import starts from: 200 agencies, a campaign whose letters went out on
# 30 January (as .eml files in an outbox, so replies can quote their Message-IDs). Made by the
# baseline when there is one (an older schema), and opened once by each binary before timing
# (so a migration is not timed).
first="${base:-$bin}"
(
    export FOIATRACK_DB="$work/template.db" FOIATRACK_TODAY=2026-01-30
    python3 - "$work/agencies.csv" <<'PY'
import csv, sys
with open(sys.argv[1], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["key", "name", "state", "kind", "email"])
    for i in range(1, 201):
        w.writerow([f"town-{i:03d}", f"Town of Example {i}", "VT", "city", f"clerk@town{i:03d}.example.org"])
PY
    "$first" init >/dev/null
    "$first" agency import "$work/agencies.csv" >/dev/null
    "$first" config set requester.email records@newsroom.example.net >/dev/null
    "$first" config set requester.name "Jane Reporter" >/dev/null
    "$first" campaign new bench --title Purchases --records "All purchase card records for 2025" --code-prefix BENCH >/dev/null
    "$first" campaign add bench --all >/dev/null
    "$first" send --campaign bench --outbox "$work/outbox" >/dev/null
)
export FOIATRACK_TODAY=2026-04-01
cp "$work/template.db" "$work/template-ours.db"
FOIATRACK_DB="$work/template-ours.db" "$bin" mail unmatched >/dev/null
if [ -n "$base" ]; then
    cp "$work/template.db" "$work/template-base.db"
    FOIATRACK_DB="$work/template-base.db" "$base" mail unmatched >/dev/null
fi
python3 scripts/gen_mail.py "$n" "$work/outbox" "$work/box.mbox" "$work/maildir"
python3 scripts/gen_mail.py $((n / 4)) "$work/outbox" "$work/small.mbox" "$work/small-maildir"
python3 scripts/gen_mail.py $((n * 4)) "$work/outbox" "$work/big.mbox" "$work/big-maildir"

timed() { # timed LABEL COMMAND...: appends "LABEL wall cpu maxrss_kib" to $work/times
    local label="$1"
    shift
    if ! /usr/bin/time -o "$work/t" -f "%e %U %S %M" "$@" >"$work/out" 2>"$work/err"; then
        echo "$label failed:"
        tail -5 "$work/err"
        exit 1
    fi
    read -r wall user sys rss <"$work/t"
    echo "$label $wall $(python3 -c "print($user + $sys)") $rss" >>"$work/times"
}
ours() { # ours LABEL BINARY TEMPLATE MAILBOX: a fresh copy of the template, then the timed import
    rm -rf "$work/run.db" "$work/run.db-wal" "$work/run.db-shm" "$work/run.files"
    cp "$3" "$work/run.db"
    FOIATRACK_DB="$work/run.db" timed "$1" "$2" mail import "$4"
}
python_peer() { # python_peer LABEL MAILBOX
    rm -rf "$work/py.db" "$work/py.db.files"
    timed "$1" python3 scripts/mail_bench_peer.py "$2" "$work/py.db"
}
: >"$work/times"
for _ in $(seq "$runs"); do
    for fmt in mbox maildir; do
        box="$work/box.mbox"
        [ "$fmt" = maildir ] && box="$work/maildir"
        ours "foiatrack/$fmt" "$bin" "$work/template-ours.db" "$box"
        stored=$(sqlite3 "$work/run.db" "SELECT COUNT(*) || ' stored, ' || COUNT(request_id) || ' matched' FROM communications WHERE direction = 'inbound'")
        echo "check/$fmt foiatrack: $stored" >>"$work/checks"
        python_peer "python/$fmt" "$box"
        echo "check/$fmt python: $(cat "$work/out")" >>"$work/checks"
        if [ -n "$base" ]; then
            ours "baseline/$fmt" "$base" "$work/template-base.db" "$box"
        fi
    done
done
ours "foiatrack/mbox-quarter" "$bin" "$work/template-ours.db" "$work/small.mbox"
ours "foiatrack/maildir-quarter" "$bin" "$work/template-ours.db" "$work/small-maildir"
ours "foiatrack/mbox-4x" "$bin" "$work/template-ours.db" "$work/big.mbox"
ours "foiatrack/maildir-4x" "$bin" "$work/template-ours.db" "$work/big-maildir"
python_peer "python/mbox-quarter" "$work/small.mbox"
sort -u "$work/checks"
python3 - "$n" "$work/times" "$(du -sm "$work/box.mbox" | cut -f1)" <<'PY'
import statistics, sys
n, path, size = int(sys.argv[1]), sys.argv[2], sys.argv[3]
runs = {}
for line in open(path):
    label, wall, cpu, rss = line.split()
    runs.setdefault(label, []).append((float(wall), float(cpu), int(rss)))
def line(label, what):
    rs = runs[label]
    walls = [r[0] for r in rs]
    med = statistics.median(walls)
    print(f"  {what:40} {min(walls):6.2f}-{max(walls):6.2f} s (median {med:6.2f} s, {n / med:8,.0f} msg/s), "
          f"CPU {min(r[1] for r in rs):.2f}-{max(r[1] for r in rs):.2f} s, peak memory {max(r[2] for r in rs) / 1024:.0f} MiB"
          f"  [{len(rs)} runs]")
    return med
for fmt, what in [("mbox", f"one mbox file of {size} MiB"), ("maildir", "a Maildir folder")]:
    print(f"{n:,} messages, {what}:")
    ours = line(f"foiatrack/{fmt}", "foiatrack mail import")
    py = line(f"python/{fmt}", "python mailbox + email (policy default)")
    if f"baseline/{fmt}" in runs:
        b = line(f"baseline/{fmt}", "baseline foiatrack mail import")
        print(f"  baseline: {py / b:.1f} times Python's speed")
    print(f"  foiatrack: {py / ours:.1f} times Python's speed (median against median)")
mem = lambda label: max(r[2] for r in runs[label]) / 1024
print(f"peak memory by mailbox size: foiatrack mbox {n // 4:,}: {mem('foiatrack/mbox-quarter'):.0f} MiB, "
      f"{n:,}: {mem('foiatrack/mbox'):.0f} MiB, {n * 4:,}: {mem('foiatrack/mbox-4x'):.0f} MiB; "
      f"Maildir {n // 4:,}: {mem('foiatrack/maildir-quarter'):.0f} MiB, {n:,}: {mem('foiatrack/maildir'):.0f} MiB, "
      f"{n * 4:,}: {mem('foiatrack/maildir-4x'):.0f} MiB; python mbox {n // 4:,}: {mem('python/mbox-quarter'):.0f} MiB, "
      f"{n:,}: {mem('python/mbox'):.0f} MiB")
PY
