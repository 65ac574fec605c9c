#!/usr/bin/env bash
# End-to-end ingest speed: `foiatrack data import` of a generated 1,000,000-row p-card CSV,
# against sqlite3's `.import` of the same file into a bare table (the speed of light for
# loading a CSV into SQLite), in the same run. Usage: scripts/ingest-bench.sh [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-1000000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
command -v sqlite3 >/dev/null || { echo "needs sqlite3 (apt-get install sqlite3)"; exit 1; }
cargo build --release --quiet
bin="$PWD/target/release/foiatrack"
python3 scripts/gen_pcard.py "$rows" "$work/pcard.csv"
export FOIATRACK_DB="$work/bench.db" FOIATRACK_TODAY=2026-03-02
"$bin" init >/dev/null
"$bin" agency add --name "Bench City" --state CO --email records@bench.example.org >/dev/null
"$bin" campaign new bench --title Bench --records "All purchases" --code-prefix BENCH --vendor-pattern 'amazon|amzn' >/dev/null
"$bin" campaign add bench --all >/dev/null
now() { date +%s.%N; }
t0=$(now); "$bin" data import BENCH-0001 "$work/pcard.csv" >/dev/null; t1=$(now)
t2=$(now); sqlite3 "$work/light.db" ".mode csv" ".import $work/pcard.csv pcard"; t3=$(now)
python3 - "$rows" "$t0" "$t1" "$t2" "$t3" <<'PY'
import sys
rows, t0, t1, t2, t3 = int(sys.argv[1]), *map(float, sys.argv[2:])
ours, light = t1 - t0, t3 - t2
print(f"foiatrack data import: {rows:,} rows in {ours:.2f} s = {rows/ours:,.0f} rows/s")
print(f"sqlite3 .import:       {rows:,} rows in {light:.2f} s = {rows/light:,.0f} rows/s")
print(f"ratio: {light/ours:.2f} of .import's rate")
PY
