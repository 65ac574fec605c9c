#!/usr/bin/env bash
# `foiatrack report responses` over 1,000,000 requests and 5,000,000 events, against the same
# aggregates written by hand in sqlite3, in the same run. Usage: scripts/report-bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work="${KEEP_DIR:-$(mktemp -d)}"
mkdir -p "$work"
[ -n "${KEEP_DIR:-}" ] || trap 'rm -rf "$work"' EXIT
rm -f "$work/bench.db" "$work/bench.db-wal" "$work/bench.db-shm"
command -v sqlite3 >/dev/null || { echo "needs sqlite3 (apt-get install sqlite3)"; exit 1; }
cargo build --release --quiet
bin="$PWD/target/release/foiatrack"
db="$work/bench.db"
export FOIATRACK_DB="$db" FOIATRACK_TODAY=2026-06-01
"$bin" init >/dev/null
echo "generating 10,000 agencies, 100 campaigns, 1,000,000 requests, 5,000,000 events..."
sqlite3 "$db" <<'SQL'
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000),
     codes AS (SELECT code, row_number() OVER (ORDER BY code) - 1 AS k FROM laws)
INSERT INTO agencies (key, name, state, kind, population, email)
SELECT 'agency-' || i, 'Agency ' || i, (SELECT code FROM codes WHERE k = i % 52),
       CASE i % 3 WHEN 0 THEN 'city' WHEN 1 THEN 'county' ELSE 'school_district' END, 1000 + i * 37,
       'records@agency-' || i || '.example.org'
FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
INSERT INTO campaigns (slug, title, records, code_prefix, created_on)
SELECT 'c' || i, 'Campaign ' || i, 'All purchases', 'C' || i, '2026-01-01' FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999999)
INSERT INTO requests (id, campaign_id, agency_id, seq, tracking_code, created_on, status, sent_on, due_on,
                      first_response_on, closed_on, followups, fee_cents)
SELECT i + 1, i / 10000 + 1, i % 10000 + 1, i % 10000 + 1, 'C' || (i / 10000 + 1) || '-' || printf('%04d', i % 10000 + 1),
       '2026-01-05',
       CASE i % 10 WHEN 0 THEN 'awaiting_ack' WHEN 1 THEN 'awaiting_response' WHEN 2 THEN 'payment_required'
                   WHEN 3 THEN 'rejected' WHEN 4 THEN 'no_records' WHEN 5 THEN 'partial' ELSE 'completed' END,
       date('2026-01-05', '+' || (i % 60) || ' days'),
       date('2026-01-05', '+' || (i % 60 + 14) || ' days'),
       CASE WHEN i % 10 = 0 THEN NULL ELSE date('2026-01-05', '+' || (i % 60 + 3) || ' days') END,
       CASE WHEN i % 10 IN (3, 4) OR i % 10 >= 6 THEN date('2026-01-05', '+' || (i % 60 + 30) || ' days') END,
       i % 3, CASE WHEN i % 10 = 2 THEN 2500 END
FROM n;
INSERT INTO request_metrics (request_id, days_to_first_response, days_to_completion, stopped_days, appealed, responded)
SELECT id, CASE WHEN first_response_on IS NULL THEN NULL ELSE 2 + id % 5 END,
       CASE WHEN status = 'completed' THEN 18 + id % 20 END, 0, 0, first_response_on IS NOT NULL FROM requests;
WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < 4)
INSERT INTO events (request_id, kind, on_date, recorded_on)
SELECT r.id, CASE k.j WHEN 0 THEN 'sent' WHEN 1 THEN 'acknowledged' WHEN 2 THEN 'note' WHEN 3 THEN 'followed-up' ELSE 'note' END,
       r.sent_on, r.sent_on
FROM requests r, k;
COMMIT;
ANALYZE;
SQL
sqlite3 "$db" "SELECT (SELECT COUNT(*) FROM requests) || ' requests, ' || (SELECT COUNT(*) FROM events) || ' events'"
now() { date +%s.%N; }
"$bin" report responses --format json --out "$work/warm.json" 2>/dev/null   # warm the page cache
t0=$(now); "$bin" report responses --format json --out "$work/report.json" 2>/dev/null; t1=$(now)
t2=$(now)
sqlite3 "$db" >/dev/null <<'SQL'
SELECT status, COUNT(*) FROM requests WHERE sent_on IS NOT NULL GROUP BY status;
SELECT COUNT(*) FROM requests r JOIN request_metrics m ON m.request_id = r.id WHERE r.sent_on IS NOT NULL AND m.responded = 1;
SELECT COUNT(*), SUM(fee_cents) FROM requests WHERE fee_cents IS NOT NULL;
SELECT COUNT(*) FROM requests WHERE due_on < '2026-06-01' AND status IN ('awaiting_ack','awaiting_response','partial','appealing');
SELECT a.state, COUNT(*), SUM(r.first_response_on IS NOT NULL), SUM(r.status = 'completed') FROM requests r CROSS JOIN agencies a ON a.id = r.agency_id WHERE r.sent_on IS NOT NULL GROUP BY a.state;
SELECT a.kind, COUNT(*), SUM(r.first_response_on IS NOT NULL), SUM(r.status = 'completed') FROM requests r CROSS JOIN agencies a ON a.id = r.agency_id WHERE r.sent_on IS NOT NULL GROUP BY a.kind;
SELECT days_to_first_response FROM request_metrics WHERE days_to_first_response IS NOT NULL ORDER BY 1 LIMIT 1 OFFSET (SELECT COUNT(*) / 2 FROM request_metrics WHERE days_to_first_response IS NOT NULL);
SELECT days_to_completion FROM request_metrics WHERE days_to_completion IS NOT NULL ORDER BY 1 LIMIT 1 OFFSET (SELECT COUNT(*) / 2 FROM request_metrics WHERE days_to_completion IS NOT NULL);
SELECT r.tracking_code, a.name, r.sent_on, r.followups FROM requests r CROSS JOIN agencies a ON a.id = r.agency_id WHERE r.first_response_on IS NULL AND r.sent_on IS NOT NULL;
SQL
t3=$(now)
python3 - "$t0" "$t1" "$t2" "$t3" "$work/report.json" <<'PY'
import json, sys
t0, t1, t2, t3 = map(float, sys.argv[1:5])
r = json.load(open(sys.argv[5]))
print(f"report: sent {r['sent']:,}, responded {r['responded']:,}, overdue {r['overdue']:,}, non-responders {len(r['non_responders']):,}")
print(f"foiatrack report responses (JSON): {t1 - t0:.2f} s")
print(f"same aggregates by hand in sqlite3: {t3 - t2:.2f} s")
PY
