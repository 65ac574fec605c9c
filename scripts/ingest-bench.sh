#!/usr/bin/env bash
# End-to-end ingest speed: `foiatrack data import` of a generated p-card CSV (1,000,000 rows by
# default) against sqlite3's `.import` of the same file into a bare table (the speed of light for
# loading a CSV into SQLite), in the same run, RUNS times each (3 by default), alternating.
# Reports wall time (range and median), rows per second at the median, CPU time and peak memory.
# Usage: scripts/ingest-bench.sh [ROWS] [RUNS]
# FOIATRACK_BASELINE=/path/to/another/foiatrack times that binary too, in the same rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-1000000}"
runs="${2:-3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
command -v sqlite3 >/dev/null || { echo "needs sqlite3 (apt-get install sqlite3)"; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)"; exit 1; }
cargo build --release --quiet
bin="$PWD/target/release/foiatrack"
python3 scripts/gen_pcard.py "$rows" "$work/pcard.csv"
export FOIATRACK_TODAY=2026-03-02
fresh() { # fresh BIN DB: a database with one request to import into (not timed)
    rm -rf "$2" "${2%.db}.files"
    FOIATRACK_DB="$2" "$1" init >/dev/null
    FOIATRACK_DB="$2" "$1" agency add --name "Bench City" --state CO --email records@bench.example.org >/dev/null
    FOIATRACK_DB="$2" "$1" campaign new bench --title Bench --records "All purchases" --code-prefix BENCH --vendor-pattern 'amazon|amzn' >/dev/null
    FOIATRACK_DB="$2" "$1" campaign add bench --all >/dev/null
}
timed() { # timed LABEL COMMAND...: one line "LABEL wall user sys maxrss_kib" to $work/times
    local label="$1"; shift
    /usr/bin/time -o "$work/t" -f "%e %U %S %M" "$@" >/dev/null
    echo "$label $(cat "$work/t")" >>"$work/times"
}
: >"$work/times"
for _ in $(seq "$runs"); do
    fresh "$bin" "$work/bench.db"
    FOIATRACK_DB="$work/bench.db" timed foiatrack "$bin" data import BENCH-0001 "$work/pcard.csv"
    rm -f "$work/light.db"
    timed sqlite3 sqlite3 "$work/light.db" ".mode csv" ".import $work/pcard.csv pcard"
    if [ -n "${FOIATRACK_BASELINE:-}" ]; then
        fresh "$FOIATRACK_BASELINE" "$work/base.db"
        FOIATRACK_DB="$work/base.db" timed baseline "$FOIATRACK_BASELINE" data import BENCH-0001 "$work/pcard.csv"
    fi
done
python3 - "$rows" "$work/times" <<'PY'
import statistics, sys
rows, path = int(sys.argv[1]), sys.argv[2]
runs = {}
for line in open(path):
    label, wall, user, sys_, rss = line.split()
    runs.setdefault(label, []).append((float(wall), float(user) + float(sys_), int(rss)))
names = {"foiatrack": "foiatrack data import", "sqlite3": "sqlite3 .import", "baseline": "baseline data import"}
med = {}
for label, rs in runs.items():
    walls = [r[0] for r in rs]
    med[label] = statistics.median(walls)
    print(f"{names[label]:22} {rows:,} rows: {min(walls):.2f}-{max(walls):.2f} s (median {med[label]:.2f} s = "
          f"{rows / med[label]:,.0f} rows/s), CPU {min(r[1] for r in rs):.2f}-{max(r[1] for r in rs):.2f} s, "
          f"peak memory {max(r[2] for r in rs) / 1024:.0f} MiB  [{len(rs)} runs]")
print(f"ratio: {med['sqlite3'] / med['foiatrack']:.2f} of .import's rate (median against median)")
if "baseline" in med:
    print(f"baseline ratio: {med['sqlite3'] / med['baseline']:.2f} of .import's rate")
PY
