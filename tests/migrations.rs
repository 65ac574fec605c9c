//! A fresh database (built from schema.sql) and one migrated step by step from version 1 must
//! end with the same schema.

use foiatrack::store::db;
use rusqlite::Connection;

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
    let fresh = db::open_in_memory().unwrap();
    assert_eq!(db::user_version(&fresh).unwrap(), db::latest_version());
    for start in 1..=db::latest_version() {
        let mut old = Connection::open_in_memory().unwrap();
        db::migrate_from(&mut old, 0, start).unwrap();
        assert_eq!(db::user_version(&old).unwrap(), start);
        db::migrate(&mut old).unwrap();
        assert_eq!(db::user_version(&old).unwrap(), db::latest_version());
        assert_eq!(describe(&fresh), describe(&old), "schema differs when migrating from version {start}");
        assert_eq!(normalized_sql(&fresh), normalized_sql(&old), "CREATE text differs from version {start}");
    }
}

#[test]
fn a_newer_database_is_refused() {
    let mut conn = Connection::open_in_memory().unwrap();
    conn.pragma_update(None, "user_version", db::latest_version() + 1).unwrap();
    let err = db::migrate(&mut conn).unwrap_err().to_string();
    assert!(err.contains("newer than this foiatrack knows"), "{err}");
}

#[test]
fn open_sets_wal_foreign_keys_and_busy_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let conn = db::open(&dir.path().join("x.db")).unwrap();
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
    assert_eq!(fk, 1);
    let timeout: i64 = conn.query_row("PRAGMA busy_timeout", [], |r| r.get(0)).unwrap();
    assert!(timeout >= 5000);
}
