//! Opening the database: pragmas, then versioned migrations (`PRAGMA user_version`).
//!
//! A fresh database is built from `schema.sql` in one go; an older one walks the numbered
//! migrations. `tests/migrations.rs` proves both end with the same schema. Only `init` creates a
//! database, and any SQLite file that is not foiatrack's is refused untouched. A database on a
//! read-only mount opens read-only, so reading commands still work.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction};

use crate::{Error, Result};

/// The canonical schema, for fresh databases.
pub const SCHEMA: &str = include_str!("../../schema.sql");

/// Written to `PRAGMA application_id` ("FOIA"), so a foiatrack database says what it is.
pub const APPLICATION_ID: i32 = 0x464F_4941;

/// Migration N (1-based) brings a database from version N-1 to N.
pub const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/001_foundation.sql"),
    include_str!("../../migrations/002_workflow.sql"),
    include_str!("../../migrations/003_letters.sql"),
    include_str!("../../migrations/004_intake.sql"),
    include_str!("../../migrations/005_metrics.sql"),
    include_str!("../../migrations/006_people.sql"),
    include_str!("../../migrations/007_laws_v2.sql"),
    include_str!("../../migrations/008_vendor_map.sql"),
    include_str!("../../migrations/009_page_indexes.sql"),
    include_str!("../../migrations/010_mail_kinds.sql"),
    include_str!("../../migrations/011_mailbox_state.sql"),
    include_str!("../../migrations/012_suggestions.sql"),
    include_str!("../../migrations/013_overdue_order.sql"),
];

/// How long a writer waits for another writer before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Recomputes every request's derived figures inside a migration step that adds one. Passed in
/// by the layer that owns the projection, so storage does not depend on it.
pub type Recompute<'a> = &'a dyn Fn(&Transaction<'_>) -> Result<()>;

/// The schema version this build writes.
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Creates a database, or opens and migrates an existing foiatrack one (`init`).
pub fn create_or_open(path: &Path, recompute: Recompute<'_>) -> Result<Connection> {
    if path.exists() {
        return open_existing(path, recompute);
    }
    let mut conn = Connection::open(path)?;
    configure(&conn, false)?;
    migrate(&mut conn, recompute)?;
    Ok(conn)
}

/// Opens an existing foiatrack database; refuses to create one, so a typo in `--db` is not a new
/// empty file, and refuses any other SQLite file without touching it.
pub fn open_existing(path: &Path, recompute: Recompute<'_>) -> Result<Connection> {
    if !path.is_file() {
        return Err(Error::NoDatabase(path.display().to_string()));
    }
    let read_only = !writable(path);
    let conn = if read_only { open_read_only(path)? } else { Connection::open_with_flags(path, rw_flags())? };
    check_is_ours(&conn, path)?;
    configure(&conn, read_only)?;
    let mut conn = conn;
    if read_only {
        if user_version(&conn)? != latest_version() {
            return Err(Error::invalid(format!(
                "{} is read-only and needs an upgrade to schema version {}; copy it somewhere writable and run `foiatrack init`",
                path.display(),
                latest_version()
            )));
        }
    } else {
        migrate(&mut conn, recompute)?;
    }
    Ok(conn)
}

/// A second connection to a database another connection already opened (and migrated).
pub fn open_reader(path: &Path) -> Result<Connection> {
    let conn = if writable(path) { Connection::open_with_flags(path, rw_flags())? } else { open_read_only(path)? };
    configure(&conn, true)?;
    Ok(conn)
}

/// An in-memory database, migrated; for tests and benchmarks.
pub fn open_in_memory(recompute: Recompute<'_>) -> Result<Connection> {
    let mut conn = Connection::open_in_memory()?;
    configure(&conn, false)?;
    migrate(&mut conn, recompute)?;
    Ok(conn)
}

fn rw_flags() -> OpenFlags {
    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX
}

/// Whether the file and its folder (where SQLite keeps the WAL and shared-memory files) can be
/// written.
fn writable(path: &Path) -> bool {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    access_w(path) && access_w(dir)
}

/// `access(W_OK)`: false on a read-only mount even for root, and cheap enough for every request.
fn access_w(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else { return false };
    // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

/// Read-only and immutable: on a read-only mount SQLite cannot create the WAL's shared-memory
/// file, so it is told nothing else will change the file while we read it.
fn open_read_only(path: &Path) -> Result<Connection> {
    let abs = std::fs::canonicalize(path).map_err(|source| Error::Read { path: path.display().to_string(), source })?;
    let uri = format!(
        "file:{}?mode=ro&immutable=1",
        percent_encoding::utf8_percent_encode(&abs.to_string_lossy(), percent_encoding::NON_ALPHANUMERIC)
            .to_string()
            .replace("%2F", "/")
    );
    Ok(Connection::open_with_flags(uri, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI)?)
}

/// Refuses a file that is not a foiatrack database: another application's id, or a schema
/// without foiatrack's tables. An empty file (what a failed `touch` leaves) is refused too.
fn check_is_ours(conn: &Connection, path: &Path) -> Result<()> {
    let not_ours = |why: &str| {
        Error::invalid(format!(
            "{} is not a foiatrack database ({why}); it was left untouched. Create one with `foiatrack --db NEW.db init`",
            path.display()
        ))
    };
    let app_id: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0)).map_err(|_| not_ours("not SQLite"))?;
    if app_id == APPLICATION_ID {
        return Ok(());
    }
    if app_id != 0 {
        return Err(not_ours("it belongs to another application"));
    }
    // Databases made before the application id was written: recognise them by their tables.
    let ours: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('laws', 'agencies', 'requests', 'events')",
            [],
            |r| r.get(0),
        )
        .map_err(|_| not_ours("not SQLite"))?;
    if ours == 4 && user_version(conn)? > 0 { Ok(()) } else { Err(not_ours("it has no foiatrack tables")) }
}

fn configure(conn: &Connection, read_only: bool) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Room for the statements an import runs for every message.
    conn.set_prepared_statement_cache_capacity(64);
    // A web page runs a few dozen distinct statements; keep them all prepared (the default
    // cache of 16 would prepare some again on every page).
    conn.set_prepared_statement_cache_capacity(128);
    // The same plan whatever values are bound. Without this, SQLite marks a statement to be
    // prepared again when a bound value changes (any `LIMIT ?`, among others), and the
    // statement cache clearing the bindings of a returned statement then expires it: every
    // cached statement would be parsed again on each use (a third of a web page's time).
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    if !read_only {
        // journal_mode answers with a row, so it is queried rather than executed.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    }
    // Memory-mapped reads and a 64 MiB page cache: reports scan every request.
    conn.execute_batch(
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -65536;",
    )?;
    Ok(())
}

/// Who is acting on this connection (one per CLI process, one per web request): every event
/// written through it records the name. Kept in a temporary table, so it never reaches the file.
pub fn set_actor(conn: &Connection, name: &str) -> Result<()> {
    let name: String = name.chars().filter(|c| !c.is_control()).take(64).collect();
    let name = if name.trim().is_empty() { "unknown".to_string() } else { name.trim().to_string() };
    conn.execute_batch("CREATE TEMP TABLE IF NOT EXISTS acting_as (name TEXT NOT NULL); DELETE FROM temp.acting_as;")?;
    conn.execute("INSERT INTO temp.acting_as (name) VALUES (?1)", [name])?;
    Ok(())
}

pub fn user_version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Brings the schema to the latest version, each step in its own transaction.
pub fn migrate(conn: &mut Connection, recompute: Recompute<'_>) -> Result<()> {
    let version = user_version(conn)?;
    let latest = latest_version();
    if version > latest {
        return Err(Error::invalid(format!(
            "this database has schema version {version}, newer than this foiatrack knows ({latest}); upgrade foiatrack"
        )));
    }
    if version == 0 {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(SCHEMA)?;
        tx.pragma_update(None, "user_version", latest)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.commit()?;
        return Ok(());
    }
    migrate_from(conn, version, latest, recompute)
}

/// Gives statistics to the indexes a migration added to tables that have them. Nothing in
/// foiatrack runs ANALYZE, but a database someone analyzed keeps its statistics, and SQLite
/// weighs an index without them by guesses against analyzed ones: on a million requests the
/// home page became a hundred times slower until the new index was analyzed too.
fn analyze_new_indexes(tx: &Transaction<'_>) -> Result<()> {
    let analyzed: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1')",
        [],
        |r| r.get(0),
    )?;
    if !analyzed {
        return Ok(());
    }
    let mut stmt = tx.prepare(
        "SELECT i.name FROM sqlite_master i
         WHERE i.type = 'index' AND i.sql IS NOT NULL
           AND i.tbl_name IN (SELECT tbl FROM sqlite_stat1)
           AND i.name NOT IN (SELECT idx FROM sqlite_stat1 WHERE idx IS NOT NULL)",
    )?;
    let names = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
    for name in names {
        // An index name from the schema itself, quoted as an identifier.
        tx.execute_batch(&format!("ANALYZE \"{}\"", name.replace('"', "\"\"")))?;
    }
    Ok(())
}

/// Applies migrations `from+1 ..= to`. Public so the migration test can stop at any version.
pub fn migrate_from(conn: &mut Connection, from: i64, to: i64, recompute: Recompute<'_>) -> Result<()> {
    let mut figures_added = false;
    for v in (from + 1)..=to {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Another process may have migrated while we waited for the lock.
        if user_version(&tx)? >= v {
            continue;
        }
        tx.execute_batch(MIGRATIONS[(v - 1) as usize])?;
        analyze_new_indexes(&tx)?;
        tx.pragma_update(None, "user_version", v)?;
        if v == 7 {
            // The appeal routes and law scopes are new in version 7: load them with the tables.
            crate::store::law::load_builtin_routes(&tx)?;
        }
        tx.commit()?;
        // The report figures are new in version 5; in version 7 who each period binds moves due
        // dates (a Montana city is no longer on the state agencies' 5 business days).
        figures_added |= v == 5 || v == 7;
    }
    if figures_added && to == latest_version() {
        // Computed once the schema is complete, since the replay reads today's tables; a crash
        // before this commit leaves figures that `doctor --fix` recomputes.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        recompute(&tx)?;
        tx.commit()?;
    }
    let app_id: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    if app_id == 0 {
        conn.pragma_update(None, "application_id", APPLICATION_ID)?;
    }
    Ok(())
}
