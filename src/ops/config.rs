//! Settings: the requester profile that signs letters, and policy numbers.

use rusqlite::Connection;

use crate::Result;
use crate::store::config;

/// Sets (or, with an empty value, clears) one setting.
pub fn set(conn: &mut Connection, name: &str, value: &str) -> Result<()> {
    let tx = super::begin(conn)?;
    config::set(&tx, name, value)?;
    tx.commit()?;
    Ok(())
}
