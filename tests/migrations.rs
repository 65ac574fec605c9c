//! A fresh database (built from schema.sql) and one migrated step by step from version 1 must
//! end with the same schema.

use foiatrack::projection::{Scope, recompute};
use foiatrack::store::db;
use rusqlite::{Connection, Transaction};

/// What the operations layer passes to migrations: recompute every request.
fn all(tx: &Transaction<'_>) -> foiatrack::Result<()> {
    recompute(tx, Scope::All).map(|_| ())
}

/// Tables, columns (with types, defaults, keys), indexes and foreign keys, as text.
fn describe(conn: &Connection) -> String {
    let mut out = String::new();
    let mut stmt = conn
        .prepare("SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
        .unwrap();
    let objects: Vec<(String, String, String)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
    for (kind, name, table) in objects {
        out += &format!("{kind} {name} on {table}\n");
        let pragmas: &[&str] = match kind.as_str() {
            "table" => &["table_xinfo", "foreign_key_list", "index_list"],
            "index" => &["index_xinfo"],
            _ => &[],
        };
        for p in pragmas {
            let mut s = conn.prepare(&format!("SELECT * FROM pragma_{p}(?1)")).unwrap();
            let n = s.column_count();
            let rows = s
                .query_map([&name], |r| {
                    Ok((0..n).map(|i| format!("{:?}", r.get_ref(i).unwrap())).collect::<Vec<_>>().join(","))
                })
                .unwrap();
            for row in rows {
                out += &format!("  {p}: {}\n", row.unwrap());
            }
        }
    }
    out
}

/// The CHECK constraints live only in the CREATE text; compare it with whitespace and comments folded.
fn normalized_sql(conn: &Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap();
    stmt.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|s| {
            s.unwrap()
                .lines()
                .map(|l| l.split("--").next().unwrap())
                .collect::<Vec<_>>()
                .join(" ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

#[test]
fn fresh_and_migrated_schemas_are_the_same() {
    let fresh = db::open_in_memory(&all).unwrap();
    assert_eq!(db::user_version(&fresh).unwrap(), db::latest_version());
    for start in 1..=db::latest_version() {
        let mut old = Connection::open_in_memory().unwrap();
        db::migrate_from(&mut old, 0, start, &all).unwrap();
        assert_eq!(db::user_version(&old).unwrap(), start);
        db::migrate(&mut old, &all).unwrap();
        assert_eq!(db::user_version(&old).unwrap(), db::latest_version());
        assert_eq!(describe(&fresh), describe(&old), "schema differs when migrating from version {start}");
        assert_eq!(normalized_sql(&fresh), normalized_sql(&old), "CREATE text differs from version {start}");
    }
}

#[test]
fn a_newer_database_is_refused() {
    let mut conn = Connection::open_in_memory().unwrap();
    conn.pragma_update(None, "user_version", db::latest_version() + 1).unwrap();
    let err = db::migrate(&mut conn, &all).unwrap_err().to_string();
    assert!(err.contains("newer than this foiatrack knows"), "{err}");
}

#[test]
fn open_sets_wal_foreign_keys_and_busy_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let conn = foiatrack::ops::database::create_or_open(&dir.path().join("x.db")).unwrap();
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
    assert_eq!(fk, 1);
    let timeout: i64 = conn.query_row("PRAGMA busy_timeout", [], |r| r.get(0)).unwrap();
    assert!(timeout >= 5000);
}

#[test]
fn a_version_4_database_with_requests_and_events_migrates_and_gains_its_figures() {
    let mut conn = Connection::open_in_memory().unwrap();
    db::migrate_from(&mut conn, 0, 4, &all).unwrap();
    conn.execute_batch(
        "INSERT INTO laws (code, law_name, short_name, citation, response_days, day_type)
             VALUES ('CO', 'Colorado Open Records Act', 'CORA', 'C.R.S. 24-72-201', 3, 'business');
         INSERT INTO agencies (key, name, state) VALUES ('denver-co', 'City of Denver', 'CO');
         INSERT INTO campaigns (slug, title, records, code_prefix, created_on)
             VALUES ('amz', 'Amazon', 'All purchases', 'AMZ', '2026-03-01');
         INSERT INTO requests (campaign_id, agency_id, seq, tracking_code, created_on)
             VALUES (1, 1, 1, 'AMZ-0001', '2026-03-01');
         INSERT INTO events (request_id, kind, on_date, recorded_on) VALUES (1, 'sent', '2026-03-02', '2026-03-02');
         INSERT INTO events (request_id, kind, on_date, recorded_on) VALUES (1, 'acknowledged', '2026-03-04', '2026-03-04');
         INSERT INTO events (request_id, kind, on_date, recorded_on) VALUES (1, 'completed', '2026-03-09', '2026-03-09');",
    )
    .unwrap();
    db::migrate(&mut conn, &all).unwrap();
    assert_eq!(db::user_version(&conn).unwrap(), db::latest_version());
    let (status, due, first): (String, String, i64) = conn
        .query_row(
            "SELECT r.status, r.due_on, m.days_to_first_response FROM requests r
             JOIN request_metrics m ON m.request_id = r.id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    // Sent Monday 2 March; 3 business days: due Thursday 5 March; answered after 2 business days.
    assert_eq!((status.as_str(), due.as_str(), first), ("completed", "2026-03-05", 2));
    assert!(foiatrack::projection::cache_mismatches(&conn).unwrap().is_empty());
    let events: i64 = conn.query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0)).unwrap();
    assert_eq!(events, 3);
}

#[test]
fn another_sqlite_file_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    let other = Connection::open(&path).unwrap();
    other.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me');").unwrap();
    drop(other);
    let before = std::fs::read(&path).unwrap();
    let err = foiatrack::ops::database::open(&path).unwrap_err().to_string();
    assert!(err.contains("is not a foiatrack database") && err.contains("left untouched"), "{err}");
    assert!(err.len() < 300, "one sentence, no schema dump: {err}");
    assert_eq!(std::fs::read(&path).unwrap(), before, "the file must not change");
    assert!(!dir.path().join("notes.db-wal").exists());
}

/// A database someone analyzed keeps its statistics: an index a migration adds gets its own, so
/// SQLite does not weigh it by guesses against analyzed ones. Without statistics, none are made.
#[test]
fn an_index_added_to_an_analyzed_database_is_analyzed_too() {
    let with_requests = |version: i64| {
        let mut conn = Connection::open_in_memory().unwrap();
        db::migrate_from(&mut conn, 0, version, &all).unwrap();
        conn.execute_batch(
            "INSERT OR IGNORE INTO laws (code, law_name, short_name, citation, response_days, day_type)
                 VALUES ('CO', 'Colorado Open Records Act', 'CORA', 'C.R.S. 24-72-201', 3, 'business');
             INSERT INTO agencies (key, name, state) VALUES ('denver-co', 'City of Denver', 'CO');
             INSERT INTO agencies (key, name, state) VALUES ('boulder-co', 'City of Boulder', 'CO');
             INSERT INTO campaigns (slug, title, records, code_prefix, created_on)
                 VALUES ('amz', 'Amazon', 'All purchases', 'AMZ', '2026-03-01');
             INSERT INTO requests (campaign_id, agency_id, seq, tracking_code, created_on)
                 VALUES (1, 1, 1, 'AMZ-0001', '2026-03-01');
             INSERT INTO requests (campaign_id, agency_id, seq, tracking_code, created_on)
                 VALUES (1, 2, 2, 'AMZ-0002', '2026-03-01');",
        )
        .unwrap();
        conn
    };
    let stats = |conn: &Connection| -> Vec<String> {
        let mut s = conn.prepare("SELECT idx FROM sqlite_stat1 WHERE tbl = 'requests' ORDER BY idx").unwrap();
        s.query_map([], |r| r.get::<_, String>(0)).unwrap().map(Result::unwrap).collect()
    };
    let mut conn = with_requests(12);
    conn.execute_batch("ANALYZE").unwrap();
    let before = stats(&conn);
    db::migrate(&mut conn, &all).unwrap();
    // Version 13 replaced requests_campaign_status_due: its statistics went with the old index
    // and came back with the new one.
    assert_eq!(stats(&conn), before);
    assert!(before.contains(&"requests_campaign_status_due".to_string()), "{before:?}");

    let mut plain = with_requests(12);
    db::migrate(&mut plain, &all).unwrap();
    let analyzed: bool = plain
        .query_row("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1')", [], |r| r.get(0))
        .unwrap();
    assert!(!analyzed);
}
