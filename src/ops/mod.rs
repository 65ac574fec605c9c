//! Operations: the use cases, and the only way anything in the database changes. Each opens
//! one `BEGIN IMMEDIATE` transaction (a second writer waits on the busy timeout rather than
//! failing), writes, recomputes what the change touched, and commits. The CLI, the demo and the
//! web server call these and nothing lower to change data.

pub mod agency;
pub mod campaign;
pub mod config;
pub mod contacts;
pub mod data;
pub mod database;
pub mod fetch;
pub mod holiday;
pub mod law;
pub mod mail;
pub mod mail_facts;
pub mod mailbox;
pub mod request;
pub mod send;
pub mod settings;
pub mod suggest;
pub mod users;
pub mod vendors;

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::Result;

/// Starts a write: `BEGIN IMMEDIATE` takes the write lock now, so a concurrent writer waits
/// here (busy timeout) instead of failing later when it upgrades a read lock.
pub fn begin(conn: &mut Connection) -> Result<Transaction<'_>> {
    Ok(conn.transaction_with_behavior(TransactionBehavior::Immediate)?)
}
