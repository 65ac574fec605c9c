#!/usr/bin/env bash
# Regenerates tests/fixtures/state_holidays_expected.tsv, the expected office-closure days that
# the tests in src/core/holiday_rules.rs compare against.
#
# It runs the reference evaluator (state_holidays_eval.py, which needs python3 and python-dateutil)
# against this repository's copy of data/state_holidays.csv, for every state in that file and every
# year from 2020 to 2030. The evaluator reads the csv that sits next to it, so both are copied into a
# temporary directory first.
#
# Output lines: STATE<TAB>YYYY-MM-DD<TAB>name, in state order, then year, then date.
#
# One deliberate change to the evaluator's output: a line is kept only when its date falls in the
# year that was asked for. The evaluator prints New Year's Day observed on the preceding Friday
# twice: for year Y as "YYYY-12-31 New Year's Day (next, observed)" and again, under year Y+1, as
# "YYYY-12-31 New Year's Day". The module reports a day only in the calendar year it falls in.
#
# Usage: scripts/state_holidays_expected.sh [path/to/state_holidays_eval.py]
#        (default: /work/shared/data/state_holidays_eval.py, or $STATE_HOLIDAYS_EVAL)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
evaluator=${1:-${STATE_HOLIDAYS_EVAL:-/work/shared/data/state_holidays_eval.py}}
out="$repo/tests/fixtures/state_holidays_expected.tsv"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$evaluator" "$tmp/state_holidays_eval.py"
cp "$repo/data/state_holidays.csv" "$tmp/state_holidays.csv"

states=$(python3 -c 'import csv, sys
print("\n".join(sorted({r["state"] for r in csv.DictReader(open(sys.argv[1], newline=""))})))' \
    "$tmp/state_holidays.csv")

dropped=0
: >"$tmp/expected.tsv"
for state in $states; do
    for year in $(seq 2020 2030); do
        # Evaluator lines look like "2027-12-31 Fri New Year's Day (next, observed)".
        python3 "$tmp/state_holidays_eval.py" "$state" "$year" >"$tmp/one.txt"
        awk -v st="$state" -v yr="$year" -v drop="$tmp/dropped.txt" '
            {
                if ($1 !~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]$/ || NF < 3) {
                    print "unexpected evaluator line: " $0 > "/dev/stderr"; exit 1
                }
                name = $0; sub(/^[^ ]+ [^ ]+ /, "", name)
                if (substr($1, 1, 4) == yr) print st "\t" $1 "\t" name
                else print st "\t" yr "\t" $0 >> drop
            }' "$tmp/one.txt" >>"$tmp/expected.tsv"
    done
done
if [ -f "$tmp/dropped.txt" ]; then
    dropped=$(wc -l <"$tmp/dropped.txt")
    echo "left out $dropped evaluator lines dated outside the requested year, e.g.:" >&2
    head -3 "$tmp/dropped.txt" >&2
fi
mv "$tmp/expected.tsv" "$out"
echo "wrote $(wc -l <"$out") lines to $out" >&2
