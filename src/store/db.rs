//! Opening the database: pragmas, then versioned migrations (`PRAGMA user_version`).
//!
//! A fresh database is built from `schema.sql` in one go; an older one walks the numbered
//! migrations. `tests/migrations.rs` proves both end with the same schema.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use crate::{Error, Result};

/// The canonical schema, for fresh databases.
pub const SCHEMA: &str = include_str!("../../schema.sql");

/// Migration N (1-based) brings a database from version N-1 to N.
pub const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/001_foundation.sql"),
    include_str!("../../migrations/002_workflow.sql"),
    include_str!("../../migrations/003_letters.sql"),
    include_str!("../../migrations/004_intake.sql"),
    include_str!("../../migrations/005_metrics.sql"),
];

/// The schema version this build writes.
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Opens an existing database; refuses to create one, so a typo in `--db` is not a new empty file.
pub fn open_existing(path: &Path) -> Result<Connection> {
    if !path.exists() {
        return Err(Error::NoDatabase(path.display().to_string()));
    }
    open(path)
}

/// Opens (creating if needed) and migrates.
pub fn open(path: &Path) -> Result<Connection> {
    let mut conn = Connection::open(path)?;
    configure(&conn)?;
    migrate(&mut conn)?;
    Ok(conn)
}

/// An in-memory database, migrated; for tests and benchmarks.
pub fn open_in_memory() -> Result<Connection> {
    let mut conn = Connection::open_in_memory()?;
    configure(&conn)?;
    migrate(&mut conn)?;
    Ok(conn)
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    // journal_mode answers with a row, so it is queried rather than executed.
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    // Memory-mapped reads and a 64 MiB page cache: reports scan every request.
    conn.execute_batch(
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -65536;",
    )?;
    Ok(())
}

pub fn user_version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Brings the schema to the latest version, each step in its own transaction.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    let version = user_version(conn)?;
    let latest = latest_version();
    if version > latest {
        return Err(Error::invalid(format!(
            "this database has schema version {version}, newer than this foiatrack knows ({latest}); upgrade foiatrack"
        )));
    }
    if version == 0 {
        let tx = conn.transaction()?;
        tx.execute_batch(SCHEMA)?;
        tx.pragma_update(None, "user_version", latest)?;
        tx.commit()?;
        return Ok(());
    }
    migrate_from(conn, version, latest)
}

/// Applies migrations `from+1 ..= to`. Public so the migration test can stop at any version.
pub fn migrate_from(conn: &mut Connection, from: i64, to: i64) -> Result<()> {
    for v in (from + 1)..=to {
        let tx = conn.transaction()?;
        tx.execute_batch(MIGRATIONS[(v - 1) as usize])?;
        tx.pragma_update(None, "user_version", v)?;
        if v == 5 {
            // The report figures are new in version 5: compute them for existing requests.
            crate::projection::recompute(&tx, crate::projection::Scope::All)?;
        }
        tx.commit()?;
    }
    Ok(())
}
