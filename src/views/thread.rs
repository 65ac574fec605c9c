//! Correspondence as a thread: the letters sent and the replies received for a request, each with
//! its attachments (by id), the messages not yet tied to a request, and one stored attachment
//! looked up by its id (the only way the web serves a file: never by a name from outside).

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use crate::Result;
use crate::store::files::FileStore;

/// A file that came with a message, named by its id.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AttachmentRef {
    pub id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
}

/// One message of a thread.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Message {
    pub id: i64,
    /// "outbound" or "inbound".
    pub direction: String,
    /// For letters sent: "request", "followup" or "appeal".
    pub letter: Option<String>,
    pub channel: String,
    pub state: String,
    pub date: NaiveDate,
    pub from: Option<String>,
    pub to: Option<String>,
    pub subject: String,
    pub body: String,
    pub error: Option<String>,
    /// For replies: the file or mailbox it was imported from, and how it was matched.
    pub source: Option<String>,
    pub matched_by: Option<String>,
    pub attachments: Vec<AttachmentRef>,
    /// For messages received: reply, bounce, autoreply or portal.
    pub kind: Option<String>,
    /// What the message is or what became of it ("automatic reply", "bounced on ..."), if more
    /// than a plain reply or a letter delivered.
    pub note: Option<String>,
}

fn select() -> String {
    format!(
        "SELECT c.id, c.direction, c.letter, c.channel, c.state, c.created_on, c.from_addr, c.to_addr,
            c.subject, c.body, c.error, d.source, d.matched_by, {}
        FROM communications c LEFT JOIN inbound_details d ON d.communication_id = c.id {}",
        crate::store::mail::KIND_COLUMNS,
        crate::store::mail::KIND_JOINS
    )
}

fn messages(conn: &Connection, filter: &str, arg: Option<i64>) -> Result<Vec<Message>> {
    let mut stmt = conn.prepare(&format!("{} WHERE {filter} ORDER BY c.created_on, c.id", select()))?;
    let map = |r: &rusqlite::Row<'_>| {
        let (kind, note) = crate::store::mail::kind_note(r, 13)?;
        Ok(Message {
            kind,
            note,
            id: r.get(0)?,
            direction: r.get(1)?,
            letter: r.get(2)?,
            channel: r.get(3)?,
            state: r.get(4)?,
            date: r.get(5)?,
            from: r.get(6)?,
            to: r.get(7)?,
            subject: r.get(8)?,
            body: r.get(9)?,
            error: r.get(10)?,
            source: r.get(11)?,
            matched_by: r.get(12)?,
            attachments: Vec::new(),
        })
    };
    let mut list = match arg {
        Some(a) => stmt.query_map([a], map)?.collect::<rusqlite::Result<Vec<_>>>()?,
        None => stmt.query_map([], map)?.collect::<rusqlite::Result<Vec<_>>>()?,
    };
    let mut att = conn.prepare(
        "SELECT a.id, a.file_name, a.content_type, f.size FROM attachments a JOIN files f ON f.sha256 = a.sha256
         WHERE a.communication_id = ?1 ORDER BY a.id",
    )?;
    for m in &mut list {
        m.attachments = att
            .query_map([m.id], |r| {
                Ok(AttachmentRef { id: r.get(0)?, file_name: r.get(1)?, content_type: r.get(2)?, size: r.get(3)? })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
    }
    Ok(list)
}

/// The letters and replies of a request, oldest first, with their attachments.
pub fn thread(conn: &Connection, code: &str) -> Result<Vec<Message>> {
    let req = crate::store::request::find(conn, code)?;
    messages(conn, "c.request_id = ?1", Some(req.id))
}

/// Replies tied to no request, oldest first, with their bodies and attachments.
pub fn unmatched(conn: &Connection) -> Result<Vec<Message>> {
    messages(conn, "c.direction = 'inbound' AND c.request_id IS NULL", None)
}

/// `limit` of the messages waiting to be matched from `offset`, oldest first: a page of the
/// queue, read through its index whatever the queue holds.
pub fn unmatched_page(conn: &Connection, limit: u32, offset: u32) -> Result<Vec<Message>> {
    // Two numbers of ours, not text from outside.
    let filter = format!(
        "c.id IN (SELECT id FROM communications WHERE direction = 'inbound' AND request_id IS NULL
                  ORDER BY created_on, id LIMIT {limit} OFFSET {offset})"
    );
    messages(conn, &filter, None)
}

/// A stored attachment, found by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAttachment {
    pub id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub path: std::path::PathBuf,
    /// The request its message belongs to, if any.
    pub tracking_code: Option<String>,
}

/// The attachment with this id and where its bytes are, or `None`.
pub fn attachment(conn: &Connection, store: &FileStore, id: i64) -> Result<Option<StoredAttachment>> {
    let row = conn
        .query_row(
            "SELECT a.file_name, a.content_type, f.size, a.sha256, r.tracking_code
             FROM attachments a JOIN files f ON f.sha256 = a.sha256
             JOIN communications c ON c.id = a.communication_id LEFT JOIN requests r ON r.id = c.request_id
             WHERE a.id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            },
        )
        .optional()?;
    Ok(row.map(|(file_name, content_type, size, sha, tracking_code)| StoredAttachment {
        id,
        file_name,
        content_type,
        size,
        path: store.path(&sha),
        tracking_code,
    }))
}

/// The attachments of a request's replies that look like spending files (CSV, XLSX, XLS), for
/// "import an attachment".
pub fn spreadsheet_attachments(conn: &Connection, code: &str) -> Result<Vec<AttachmentRef>> {
    Ok(thread(conn, code)?
        .into_iter()
        .filter(|m| m.direction == "inbound")
        .flat_map(|m| m.attachments)
        .filter(|a| {
            let n = a.file_name.to_ascii_lowercase();
            n.ends_with(".csv")
                || n.ends_with(".xlsx")
                || n.ends_with(".xls")
                || n.ends_with(".tsv")
                || n.ends_with(".txt")
                || a.content_type.contains("csv")
                || a.content_type.contains("spreadsheet")
                || a.content_type.contains("excel")
        })
        .collect())
}
