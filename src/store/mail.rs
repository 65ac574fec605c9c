//! Intake of replies: messages from .eml files, mbox files and Maildir folders, matched to
//! requests, stored as inbound communications with their attachments. Importing the same message
//! twice changes nothing.

use chrono::NaiveDate;
use rusqlite::Connection;
use serde::Serialize;

use crate::store::files::FileStore;
use crate::store::request::{self};
use crate::{Error, Result};

/// An inbound message not tied to any request.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Unmatched {
    pub id: i64,
    pub date: NaiveDate,
    pub from: String,
    pub subject: String,
    pub attachments: i64,
    pub source: String,
}

pub fn unmatched(conn: &Connection) -> Result<Vec<Unmatched>> {
    let mut stmt = conn.prepare(
        "SELECT c.id, c.created_on, c.from_addr, c.subject, d.source,
                (SELECT COUNT(*) FROM attachments a WHERE a.communication_id = c.id)
         FROM communications c JOIN inbound_details d ON d.communication_id = c.id
         WHERE c.direction = 'inbound' AND c.request_id IS NULL ORDER BY c.created_on, c.id",
    )?;
    let v = stmt
        .query_map([], |r| {
            Ok(Unmatched {
                id: r.get(0)?,
                date: r.get(1)?,
                from: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                subject: r.get(3)?,
                source: r.get(4)?,
                attachments: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}

/// A file that came with a reply to a request.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Attachment {
    /// 1-based, in the order received.
    pub number: usize,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub received_on: NaiveDate,
    pub from: String,
}

pub fn attachments(conn: &Connection, code: &str) -> Result<Vec<Attachment>> {
    let req = request::find(conn, code)?;
    let mut stmt = conn.prepare(
        "SELECT a.file_name, a.content_type, f.size, a.sha256, c.created_on, COALESCE(c.from_addr, '')
         FROM attachments a JOIN communications c ON c.id = a.communication_id JOIN files f ON f.sha256 = a.sha256
         WHERE c.request_id = ?1 ORDER BY c.created_on, a.id",
    )?;
    let v = stmt
        .query_map([req.id], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v.into_iter()
        .enumerate()
        .map(|(i, (file_name, content_type, size, sha256, received_on, from))| Attachment {
            number: i + 1,
            file_name,
            content_type,
            size,
            sha256,
            received_on,
            from,
        })
        .collect())
}

/// The stored path of attachment `n` of a request.
pub fn attachment_path(
    conn: &Connection,
    store: &FileStore,
    code: &str,
    n: usize,
) -> Result<(Attachment, std::path::PathBuf)> {
    let all = attachments(conn, code)?;
    let a = all
        .into_iter()
        .find(|a| a.number == n)
        .ok_or_else(|| Error::invalid(format!("{code} has no attachment {n}; see `foiatrack request files {code}`")))?;
    let path = store.path(&a.sha256);
    Ok((a, path))
}

/// Messages to and from a request, oldest first, for `request show`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Correspondence {
    pub id: i64,
    pub direction: String,
    pub date: NaiveDate,
    pub from: Option<String>,
    pub to: Option<String>,
    pub subject: String,
    pub state: String,
    pub body: String,
}

pub fn correspondence(conn: &Connection, request_id: i64) -> Result<Vec<Correspondence>> {
    let mut stmt = conn.prepare(
        "SELECT id, direction, created_on, from_addr, to_addr, subject, state, body FROM communications
         WHERE request_id = ?1 ORDER BY created_on, id",
    )?;
    let v = stmt
        .query_map([request_id], |r| {
            Ok(Correspondence {
                id: r.get(0)?,
                direction: r.get(1)?,
                date: r.get(2)?,
                from: r.get(3)?,
                to: r.get(4)?,
                subject: r.get(5)?,
                state: r.get(6)?,
                body: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}
