//! The database as a whole: opening it (migrations recompute through the projection), a
//! consistent backup while others write, and `doctor`'s checks.

use std::path::Path;

use rusqlite::{Connection, Transaction};

use crate::projection::{self, Scope};
use crate::store::db;
use crate::Result;

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
