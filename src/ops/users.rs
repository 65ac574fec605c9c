//! Managing the people who may sign in.

use chrono::NaiveDate;
use rusqlite::Connection;

use crate::core::password;
use crate::store::users;
use crate::{Error, Result};

pub const ROLES: [&str; 3] = ["admin", "staff", "viewer"];

/// Adds a user (or resets an existing one's role and password).
pub fn add(conn: &mut Connection, name: &str, role: &str, password: &str, today: NaiveDate) -> Result<()> {
    let name = name.trim();
    if name.is_empty() || name.len() > 64 || name.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(Error::invalid(format!(
            "'{}' is not a usable user name: 1 to 64 characters, no spaces",
            name.escape_debug()
        )));
    }
    if !ROLES.contains(&role) {
        return Err(Error::invalid(format!("unknown role '{role}'; use admin, staff or viewer")));
    }
    let hash = password::hash(password).map_err(Error::Invalid)?;
    let tx = super::begin(conn)?;
    users::save(&tx, name, role, &hash, &today.to_string())?;
    tx.commit()?;
    Ok(())
}

/// Removes a user.
pub fn remove(conn: &mut Connection, name: &str) -> Result<()> {
    let tx = super::begin(conn)?;
    users::remove(&tx, name.trim())?;
    tx.commit()?;
    Ok(())
}

/// The role of `name` if `password` is theirs.
pub fn check(conn: &Connection, name: &str, password: &str) -> Result<Option<String>> {
    Ok(users::credentials(conn, name.trim())?
        .filter(|(_, hash)| password::verify(password, hash))
        .map(|(role, _)| role))
}
