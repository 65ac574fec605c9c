//! People who may sign in to the web workspace.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

use crate::{Error, Result};

/// A user as listed (never with the hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub name: String,
    pub role: String,
    pub created_on: String,
}

pub fn list(conn: &Connection) -> Result<Vec<User>> {
    let mut stmt = conn.prepare("SELECT name, role, created_on FROM users ORDER BY name")?;
    let v = stmt
        .query_map([], |r| Ok(User { name: r.get(0)?, role: r.get(1)?, created_on: r.get(2)? }))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}

/// The role and password hash of a user, for signing in.
pub fn credentials(conn: &Connection, name: &str) -> Result<Option<(String, String)>> {
    Ok(conn
        .query_row("SELECT role, password_hash FROM users WHERE name = ?1", [name], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?)
}

/// Adds a user, or changes the role and password of one that exists.
pub fn save(tx: &Transaction<'_>, name: &str, role: &str, hash: &str, today: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO users (name, role, password_hash, created_on) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (name) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash",
        params![name, role, hash, today],
    )?;
    Ok(())
}

pub fn remove(tx: &Transaction<'_>, name: &str) -> Result<()> {
    if tx.execute("DELETE FROM users WHERE name = ?1", [name])? == 0 {
        return Err(Error::NotFound { what: "user", key: name.to_string() });
    }
    Ok(())
}
