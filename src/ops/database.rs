//! The database as a whole: opening it (migrations recompute through the projection), a
//! consistent backup while others write, and `doctor`'s checks.

use std::path::Path;

use rusqlite::{Connection, Transaction};

use crate::Result;
use crate::projection::{self, Scope};
use crate::store::db;

fn recompute_all(tx: &Transaction<'_>) -> Result<()> {
    projection::recompute(tx, Scope::All).map(|_| ())
}

/// Creates a database or brings an existing foiatrack one up to date (`init`).
pub fn create_or_open(path: &Path) -> Result<Connection> {
    db::create_or_open(path, &recompute_all)
}

/// Opens an existing foiatrack database, migrating it if it is older.
pub fn open(path: &Path) -> Result<Connection> {
    db::open_existing(path, &recompute_all)
}

/// An in-memory database, for tests and benchmarks.
pub fn open_in_memory() -> Result<Connection> {
    db::open_in_memory(&recompute_all)
}

/// What `backup` copied.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BackupReport {
    pub database: String,
    pub files_copied: usize,
    /// Files the copied database refers to that were not in the files folder.
    pub files_missing: Vec<String>,
}

/// A consistent copy of the database (SQLite's online backup, page by page, safe while other
/// commands write: it restarts on a change and never blocks writers for long) and of the files
/// it refers to, beside `dest` as `dest`'s own files folder.
pub fn backup(conn: &Connection, source_db: &Path, dest: &Path) -> Result<BackupReport> {
    use crate::Error;
    if dest.exists() {
        return Err(Error::invalid(format!("{} exists already; choose a new file for the backup", dest.display())));
    }
    let tmp = dest.with_extension("backup-tmp");
    let _ = std::fs::remove_file(&tmp);
    let result = (|| -> Result<BackupReport> {
        let mut out = Connection::open(&tmp)?;
        {
            let b = rusqlite::backup::Backup::new(conn, &mut out)?;
            b.run_to_completion(256, std::time::Duration::from_millis(5), None)?;
        }
        out.execute_batch("PRAGMA journal_mode = DELETE;")?;
        let referenced = referenced_files(&out)?;
        drop(out);
        let from = crate::store::files::FileStore::beside(source_db);
        let to = crate::store::files::FileStore::beside(dest);
        let mut report =
            BackupReport { database: dest.display().to_string(), files_copied: 0, files_missing: Vec::new() };
        for sha in referenced {
            let src = from.path(&sha);
            if !src.exists() {
                report.files_missing.push(sha);
                continue;
            }
            let target = to.path(&sha);
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|source| Error::Read { path: dir.display().to_string(), source })?;
            }
            std::fs::copy(&src, &target)
                .map_err(|source| Error::Read { path: target.display().to_string(), source })?;
            report.files_copied += 1;
        }
        std::fs::rename(&tmp, dest).map_err(|source| Error::Read { path: dest.display().to_string(), source })?;
        Ok(report)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Every file hash the database refers to.
fn referenced_files(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT sha256 FROM files ORDER BY sha256")?;
    let v = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(v)
}

/// What `doctor` found.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Checkup {
    /// `PRAGMA integrity_check` and `foreign_key_check` findings; empty when sound.
    pub integrity: Vec<String>,
    /// Requests whose cached figures differ from a full replay of their events.
    pub derived_mismatches: Vec<String>,
    /// Files the database refers to that are not in the files folder.
    pub files_missing: Vec<String>,
    /// Files in the folder that nothing refers to (left by an interrupted import).
    pub files_unreferenced: Vec<String>,
    /// What `--fix` changed.
    pub fixed: Vec<String>,
}

impl Checkup {
    pub fn is_healthy(&self) -> bool {
        self.integrity.is_empty()
            && self.derived_mismatches.is_empty()
            && self.files_missing.is_empty()
            && self.files_unreferenced.is_empty()
    }
}

/// Checks the database and its files; with `fix`, recomputes derived figures that disagree
/// with the events and removes unreferenced files (never anything the database refers to).
pub fn doctor(conn: &mut Connection, db_path: &Path, fix: bool) -> Result<Checkup> {
    let mut c = Checkup::default();
    {
        let mut stmt = conn.prepare("PRAGMA integrity_check")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        c.integrity.extend(rows.into_iter().filter(|r| r != "ok"));
        let mut stmt = conn.prepare("PRAGMA foreign_key_check")?;
        let rows = stmt
            .query_map([], |r| {
                Ok(format!(
                    "{} row {} refers to a missing {}",
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        c.integrity.extend(rows);
    }
    c.derived_mismatches = projection::cache_mismatches(conn)?;
    let store = crate::store::files::FileStore::beside(db_path);
    let referenced: std::collections::BTreeSet<String> = referenced_files(conn)?.into_iter().collect();
    for sha in &referenced {
        if !store.path(sha).exists() {
            c.files_missing.push(sha.clone());
        }
    }
    if let Ok(dirs) = std::fs::read_dir(&store.root) {
        for dir in dirs.flatten() {
            // A file at the top (a temporary left by a killed import) is never referenced.
            if dir.path().is_file() {
                c.files_unreferenced.push(dir.path().display().to_string());
                continue;
            }
            for f in std::fs::read_dir(dir.path()).into_iter().flatten().flatten() {
                let name = f.file_name().to_string_lossy().into_owned();
                if !referenced.contains(&name) {
                    c.files_unreferenced.push(f.path().display().to_string());
                }
            }
        }
    }
    c.files_unreferenced.sort();
    if fix {
        if !c.derived_mismatches.is_empty() {
            let tx = super::begin(conn)?;
            let n = projection::recompute(&tx, Scope::All)?;
            tx.commit()?;
            c.fixed.push(format!("recomputed the derived figures of {n} requests"));
        }
        for path in &c.files_unreferenced {
            if std::fs::remove_file(path).is_ok() {
                c.fixed.push(format!("removed unreferenced file {path}"));
            }
        }
    }
    Ok(c)
}
