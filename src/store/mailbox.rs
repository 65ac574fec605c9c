//! Where `mail fetch` is in each IMAP folder: the folder's UIDVALIDITY, the last UID it read, and
//! which process is reading it now (`mailbox_state`).

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

use crate::Result;

/// One IMAP folder: the user logged in as, the server (its host name in lowercase and its port,
/// `imap.example.org:993`) and the folder's name as the server knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FolderKey {
    pub account: String,
    pub host: String,
    pub folder: String,
}

/// What is remembered about one folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailboxState {
    pub key: FolderKey,
    pub uidvalidity: u32,
    /// Every message with a UID up to this one has been read (imported, found already imported,
    /// or skipped and reported).
    pub last_uid: u32,
    pub updated_on: NaiveDate,
    /// The process reading the folder ("pid 4242 on HOST"), while its claim lasts.
    pub claimed_by: Option<String>,
    /// Until when (Unix seconds) the claim holds unless renewed.
    pub claimed_until: Option<i64>,
}

const COLUMNS: &str = "account, host, folder, uidvalidity, last_uid, updated_on, claimed_by, claimed_until";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MailboxState> {
    Ok(MailboxState {
        key: FolderKey { account: r.get(0)?, host: r.get(1)?, folder: r.get(2)? },
        uidvalidity: r.get(3)?,
        last_uid: r.get(4)?,
        updated_on: r.get(5)?,
        claimed_by: r.get(6)?,
        claimed_until: r.get(7)?,
    })
}

/// The state of one folder, if it was ever fetched.
pub fn get(conn: &Connection, key: &FolderKey) -> Result<Option<MailboxState>> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM mailbox_state WHERE account = ?1 AND host = ?2 AND folder = ?3"),
            params![key.account, key.host, key.folder],
            row,
        )
        .optional()?)
}

/// Every folder ever fetched, by host, account and folder.
pub fn list(conn: &Connection) -> Result<Vec<MailboxState>> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM mailbox_state ORDER BY host, account, folder"))?;
    let v = stmt.query_map([], row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}

/// Starts (or restarts, after the server changed its UIDVALIDITY) reading a folder from its first
/// message, claimed by `claimed_by` until `claimed_until`.
pub fn start(
    tx: &Transaction<'_>,
    key: &FolderKey,
    uidvalidity: u32,
    claimed_by: &str,
    claimed_until: i64,
    today: NaiveDate,
) -> Result<()> {
    tx.execute(
        "INSERT INTO mailbox_state (account, host, folder, uidvalidity, last_uid, updated_on, claimed_by, claimed_until)
         VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, ?7)
         ON CONFLICT (account, host, folder) DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = 0,
             updated_on = excluded.updated_on, claimed_by = excluded.claimed_by, claimed_until = excluded.claimed_until",
        params![key.account, key.host, key.folder, uidvalidity, today, claimed_by, claimed_until],
    )?;
    Ok(())
}

/// Claims a folder already known, for `claimed_by` until `claimed_until` (also a renewal).
pub fn claim(tx: &Transaction<'_>, key: &FolderKey, claimed_by: &str, claimed_until: i64) -> Result<()> {
    tx.execute(
        "UPDATE mailbox_state SET claimed_by = ?4, claimed_until = ?5 WHERE account = ?1 AND host = ?2 AND folder = ?3",
        params![key.account, key.host, key.folder, claimed_by, claimed_until],
    )?;
    Ok(())
}

/// Gives up the claim, if `claimed_by` still holds it.
pub fn release(tx: &Transaction<'_>, key: &FolderKey, claimed_by: &str) -> Result<()> {
    tx.execute(
        "UPDATE mailbox_state SET claimed_by = NULL, claimed_until = NULL
         WHERE account = ?1 AND host = ?2 AND folder = ?3 AND claimed_by = ?4",
        params![key.account, key.host, key.folder, claimed_by],
    )?;
    Ok(())
}

/// Records that every message up to `uid` has been read, while the folder still has
/// `uidvalidity`. Never moves backwards, so running it again, late or twice is harmless.
/// Returns whether the row was the one meant (same UIDVALIDITY).
pub fn advance(tx: &Transaction<'_>, key: &FolderKey, uidvalidity: u32, uid: u32, today: NaiveDate) -> Result<bool> {
    let n = tx.execute(
        "UPDATE mailbox_state SET last_uid = max(last_uid, ?5), updated_on = ?6
         WHERE account = ?1 AND host = ?2 AND folder = ?3 AND uidvalidity = ?4",
        params![key.account, key.host, key.folder, uidvalidity, uid, today],
    )?;
    Ok(n == 1)
}
