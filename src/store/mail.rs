//! Intake of replies: messages from .eml files, mbox files and Maildir folders, matched to
//! requests, stored as inbound communications with their attachments. Importing the same message
//! twice changes nothing.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

use crate::core::letter::{LetterKind, kind_from_subject};
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
    /// For a message received: reply, bounce, autoreply or portal.
    pub kind: Option<String>,
    /// What the message is or what became of it, in a few words ("automatic reply", "bounced on
    /// 2026-03-05 (5.1.1)"); none for a plain reply or a letter delivered.
    pub note: Option<String>,
}

pub fn correspondence(conn: &Connection, request_id: i64) -> Result<Vec<Correspondence>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT c.id, c.direction, c.created_on, c.from_addr, c.to_addr, c.subject, c.state, c.body, {KIND_COLUMNS}
         FROM communications c {KIND_JOINS} WHERE c.request_id = ?1 ORDER BY c.created_on, c.id"
    ))?;
    let v = stmt
        .query_map([request_id], |r| {
            let (kind, note) = kind_note(r, 8)?;
            Ok(Correspondence {
                id: r.get(0)?,
                direction: r.get(1)?,
                date: r.get(2)?,
                from: r.get(3)?,
                to: r.get(4)?,
                subject: r.get(5)?,
                state: r.get(6)?,
                body: r.get(7)?,
                kind,
                note,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}

/// The columns `kind_note` reads, for a query over `communications c` with `KIND_JOINS`.
pub const KIND_COLUMNS: &str = "c.kind, bc.created_on, lb.status, c.resends IS NOT NULL, b.permanent, b.status,
    b.recipient, b.letter_id IS NOT NULL, dk.portal, dk.reference, COALESCE(dk.receipt, 0)";
pub const KIND_JOINS: &str = "LEFT JOIN communications bc ON bc.id = c.bounced_by
    LEFT JOIN bounces lb ON lb.communication_id = c.bounced_by
    LEFT JOIN bounces b ON b.communication_id = c.id
    LEFT JOIN inbound_details dk ON dk.communication_id = c.id";

/// A message's kind and what it is in a few words, from `KIND_COLUMNS` starting at column `at`.
pub fn kind_note(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<(Option<String>, Option<String>)> {
    let kind: Option<String> = r.get(at)?;
    let bounced_on: Option<NaiveDate> = r.get(at + 1)?;
    let bounced_status: Option<String> = r.get(at + 2)?;
    let resent: bool = r.get(at + 3)?;
    let permanent: Option<bool> = r.get(at + 4)?;
    let status: Option<String> = r.get(at + 5)?;
    let recipient: Option<String> = r.get(at + 6)?;
    let tied: bool = r.get::<_, Option<bool>>(at + 7)?.unwrap_or(false);
    let portal: Option<String> = r.get(at + 8)?;
    let reference: Option<String> = r.get(at + 9)?;
    let receipt: bool = r.get(at + 10)?;
    let code = |s: &Option<String>| s.as_deref().map(|s| format!(" ({s})")).unwrap_or_default();
    let note = match kind.as_deref() {
        None => match bounced_on {
            Some(on) => Some(format!("bounced on {on}{}", code(&bounced_status))),
            None if resent => Some("sent again after a bounce".into()),
            None => None,
        },
        Some("bounce") if permanent == Some(false) => {
            Some(format!("delivery delayed{}; the server is still trying", code(&status)))
        }
        Some("bounce") => {
            let to = recipient.map(|r| format!(" to {r}")).unwrap_or_default();
            let which = if tied { "our letter" } else { "a message" };
            Some(format!("delivery failure: {which}{to} was not delivered{}", code(&status)))
        }
        Some("autoreply") if receipt => {
            Some(format!("automatic receipt{}", reference.map(|r| format!(", reference {r}")).unwrap_or_default()))
        }
        Some("autoreply") => Some("automatic reply".into()),
        Some("portal") => Some(format!(
            "{} notice{}",
            portal.as_deref().unwrap_or("portal"),
            reference.map(|r| format!(", number {r}")).unwrap_or_default()
        )),
        Some(_) => None,
    };
    Ok((kind, note))
}

// ---------------------------------------------------------------------------------------------
// Bounces, portal numbers and references

/// One of our letters, as a delivery report names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterRef {
    pub id: i64,
    pub request_id: i64,
    pub agency_id: i64,
    pub tracking_code: String,
    pub letter: LetterKind,
    pub to: Option<String>,
}

const LETTER: &str = "SELECT c.id, c.request_id, r.agency_id, r.tracking_code, c.letter, c.subject, c.to_addr
    FROM communications c JOIN requests r ON r.id = c.request_id";

fn letter_ref(r: &rusqlite::Row<'_>) -> rusqlite::Result<LetterRef> {
    Ok(LetterRef {
        id: r.get(0)?,
        request_id: r.get(1)?,
        agency_id: r.get(2)?,
        tracking_code: r.get(3)?,
        letter: kind_from_subject(r.get(4)?, &r.get::<_, String>(5)?),
        to: r.get(6)?,
    })
}

/// The letter we sent with this Message-ID (`<id@host>`), if any.
pub fn letter_by_message_id(conn: &Connection, message_id: &str) -> Result<Option<LetterRef>> {
    Ok(conn
        .prepare_cached(&format!(
            "{LETTER} WHERE c.message_id = ?1 AND c.direction = 'outbound' AND c.state IN ('sending', 'sent')"
        ))?
        .query_row([message_id], letter_ref)
        .optional()?)
}

/// Our most recent letter to `address` (any case) that went out, if any.
pub fn latest_letter_to(conn: &Connection, address: &str) -> Result<Option<LetterRef>> {
    Ok(conn
        .prepare_cached(&format!(
            "{LETTER} WHERE c.direction = 'outbound' AND c.state IN ('sending', 'sent') AND lower(c.to_addr) = ?1
             ORDER BY COALESCE(c.sent_on, c.created_on) DESC, c.id DESC LIMIT 1"
        ))?
        .query_row([address.to_ascii_lowercase()], letter_ref)
        .optional()?)
}

/// The latest letter that went out by email on a request, for a bounce assigned by hand.
pub fn latest_letter(conn: &Connection, request_id: i64) -> Result<Option<LetterRef>> {
    Ok(conn
        .prepare_cached(&format!(
            "{LETTER} WHERE c.request_id = ?1 AND c.direction = 'outbound' AND c.state IN ('sending', 'sent')
               AND c.to_addr IS NOT NULL
             ORDER BY COALESCE(c.sent_on, c.created_on) DESC, c.id DESC LIMIT 1"
        ))?
        .query_row([request_id], letter_ref)
        .optional()?)
}

/// What a delivery report says, as stored beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BounceRecord {
    /// The letter it is about, when found.
    pub letter_id: Option<i64>,
    pub recipient: Option<String>,
    pub status: Option<String>,
    pub permanent: bool,
}

/// Stores what the report `report_id` says; a permanent failure also marks its letter as
/// bounced (the first report wins). Returns whether the letter was marked.
pub fn record_bounce(tx: &Transaction<'_>, report_id: i64, b: &BounceRecord) -> Result<bool> {
    tx.execute(
        "INSERT INTO bounces (communication_id, letter_id, recipient, status, permanent) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (communication_id) DO UPDATE SET letter_id = excluded.letter_id",
        params![report_id, b.letter_id, b.recipient, b.status, b.permanent],
    )?;
    let Some(letter) = b.letter_id.filter(|_| b.permanent) else { return Ok(false) };
    let n = tx.execute(
        "UPDATE communications SET bounced_by = ?2
         WHERE id = ?1 AND direction = 'outbound' AND bounced_by IS NULL AND state IN ('sending', 'sent')",
        params![letter, report_id],
    )?;
    Ok(n == 1)
}

/// The stored report of a bounce message, if it is one.
pub fn bounce_record(conn: &Connection, report_id: i64) -> Result<Option<BounceRecord>> {
    Ok(conn
        .query_row(
            "SELECT letter_id, recipient, status, permanent FROM bounces WHERE communication_id = ?1",
            [report_id],
            |r| {
                Ok(BounceRecord { letter_id: r.get(0)?, recipient: r.get(1)?, status: r.get(2)?, permanent: r.get(3)? })
            },
        )
        .optional()?)
}

/// Keeps a portal's number for a request, with the message it came in (the first one wins).
pub fn record_portal_number(
    tx: &Transaction<'_>,
    request_id: i64,
    portal: &str,
    number: &str,
    message_id: i64,
) -> Result<()> {
    tx.execute(
        "INSERT INTO request_portal_numbers (request_id, portal, number, first_seen_comm) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (request_id, portal, number) DO NOTHING",
        params![request_id, portal, number, message_id],
    )?;
    Ok(())
}

/// The one request a portal's number belongs to, as it came from this sender (address and
/// name: NextRequest sends every city's mail from one address, and numbers repeat between
/// cities). `None` when no request, or more than one, has it.
pub fn request_by_portal_number(
    conn: &Connection,
    portal: &str,
    number: &str,
    from: &str,
    from_name: &str,
) -> Result<Option<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT r.tracking_code FROM request_portal_numbers p JOIN requests r ON r.id = p.request_id
         JOIN communications c ON c.id = p.first_seen_comm LEFT JOIN inbound_details d ON d.communication_id = c.id
         WHERE p.number = ?1 AND p.portal = ?2 AND lower(COALESCE(c.from_addr, '')) = ?3
           AND lower(trim(COALESCE(d.from_name, ''))) = ?4
         LIMIT 2",
    )?;
    let codes = stmt
        .query_map(params![number, portal, from.to_ascii_lowercase(), from_name.trim().to_lowercase()], |r| {
            r.get::<_, String>(0)
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(if codes.len() == 1 { codes.into_iter().next() } else { None })
}

/// The one sent request whose agency reference is exactly `reference`, if exactly one has it. A
/// reference learned from a portal's mail is that portal's to match (by its sender, above), so
/// the same number from another portal account does not match here.
pub fn request_by_reference(conn: &Connection, reference: &str) -> Result<Option<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT tracking_code FROM requests
         WHERE lower(agency_reference) = lower(?1) AND agency_reference = ?1 AND status <> 'draft'
           AND NOT EXISTS (SELECT 1 FROM request_portal_numbers p WHERE p.request_id = requests.id AND p.number = ?1)
         LIMIT 2",
    )?;
    let codes = stmt.query_map([reference.trim()], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(if codes.len() == 1 { codes.into_iter().next() } else { None })
}

/// A records portal's number for a request.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PortalNumber {
    pub portal: String,
    pub number: String,
}

/// The portal numbers recorded for a request, first seen first.
pub fn portal_numbers(conn: &Connection, request_id: i64) -> Result<Vec<PortalNumber>> {
    let mut stmt = conn.prepare_cached(
        "SELECT portal, number FROM request_portal_numbers WHERE request_id = ?1 ORDER BY first_seen_comm, number",
    )?;
    let v = stmt
        .query_map([request_id], |r| Ok(PortalNumber { portal: r.get(0)?, number: r.get(1)? }))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}

/// A letter that bounced and has not been sent again: the agency never got it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BouncedLetter {
    pub tracking_code: String,
    pub agency_key: String,
    pub agency_name: String,
    /// The letter: request, followup, appeal...
    pub letter: LetterKind,
    /// The address it went to.
    pub to: String,
    pub sent_on: Option<NaiveDate>,
    pub message_id: Option<String>,
    /// The day the delivery report came.
    pub on: NaiveDate,
    /// The server's status code (e.g. 5.1.1), when the report gives one.
    pub status: Option<String>,
    /// The address the report says failed, when it is not `to` (a forwarding address).
    pub failed_recipient: Option<String>,
    /// How to send it again.
    pub resend: String,
    #[serde(skip)]
    pub letter_id: i64,
    #[serde(skip)]
    pub report_id: i64,
}

/// Letters that bounced.
const BOUNCED_ANY: &str =
    "SELECT r.tracking_code, a.key, a.name, l.letter, l.subject, COALESCE(l.to_addr, ''), l.sent_on,
        l.message_id, bc.created_on, b.status, b.recipient, l.id, bc.id
    FROM communications l
    JOIN requests r ON r.id = l.request_id JOIN agencies a ON a.id = r.agency_id
    JOIN communications bc ON bc.id = l.bounced_by
    LEFT JOIN bounces b ON b.communication_id = bc.id
    WHERE l.bounced_by IS NOT NULL AND l.direction = 'outbound'";

/// A bounced letter is shown until it is sent again (`send --resend`), the agency replies (or its
/// portal writes) after the report, or the request is closed.
const UNRESOLVED: &str = " AND r.status NOT IN ('completed', 'rejected', 'no_records', 'withdrawn')
      AND NOT EXISTS (SELECT 1 FROM communications n WHERE n.resends = l.id AND n.state IN ('sending', 'sent'))
      AND NOT EXISTS (SELECT 1 FROM communications i WHERE i.request_id = l.request_id AND i.direction = 'inbound'
                        AND i.kind IN ('reply', 'portal') AND i.id > bc.id)";

fn bounced_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<BouncedLetter> {
    let code: String = r.get(0)?;
    let to: String = r.get(5)?;
    let failed: Option<String> = r.get(10)?;
    Ok(BouncedLetter {
        resend: format!("foiatrack send --resend {code} --to ADDRESS"),
        tracking_code: code,
        agency_key: r.get(1)?,
        agency_name: r.get(2)?,
        letter: kind_from_subject(r.get(3)?, &r.get::<_, String>(4)?),
        sent_on: r.get(6)?,
        message_id: r.get(7)?,
        on: r.get(8)?,
        status: r.get(9)?,
        failed_recipient: failed.filter(|f| !f.eq_ignore_ascii_case(&to)),
        to,
        letter_id: r.get(11)?,
        report_id: r.get(12)?,
    })
}

/// The request's latest letter that bounced and still needs sending again, if any.
pub fn bounced_letter(conn: &Connection, request_id: i64) -> Result<Option<BouncedLetter>> {
    Ok(conn
        .prepare_cached(&format!("{BOUNCED_ANY}{UNRESOLVED} AND l.request_id = ?1 ORDER BY bc.id DESC LIMIT 1"))?
        .query_row([request_id], bounced_row)
        .optional()?)
}

/// Requests with a letter that bounced (the latest such letter of each), newest report first,
/// at most `limit`, in one campaign when given.
pub fn bounced_letters(conn: &Connection, campaign_id: Option<i64>, limit: usize) -> Result<Vec<BouncedLetter>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{BOUNCED_ANY}{UNRESOLVED} AND (?1 IS NULL OR r.campaign_id = ?1) ORDER BY bc.created_on DESC, bc.id DESC"
    ))?;
    let mut out: Vec<BouncedLetter> = Vec::new();
    let mut rows = stmt.query(params![campaign_id])?;
    while let Some(r) = rows.next()? {
        let b = bounced_row(r)?;
        if !out.iter().any(|o| o.tracking_code == b.tracking_code) {
            out.push(b);
        }
        if out.len() >= limit {
            break;
        }
    }
    Ok(out)
}

/// The bounced letter with this id, whether or not it was sent again since.
pub fn bounced_by_id(conn: &Connection, letter_id: i64) -> Result<Option<BouncedLetter>> {
    Ok(conn.prepare_cached(&format!("{BOUNCED_ANY} AND l.id = ?1"))?.query_row([letter_id], bounced_row).optional()?)
}

/// The subject and text of a letter as it was sent.
pub fn letter_text(conn: &Connection, letter_id: i64) -> Result<(String, String)> {
    Ok(conn.query_row("SELECT subject, body FROM communications WHERE id = ?1", [letter_id], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?)
}
