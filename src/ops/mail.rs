//! Intake of replies: messages from .eml files, mbox files and Maildir folders, matched to
//! requests, stored as inbound communications with their attachments. Importing the same message
//! twice changes nothing.
//!
//! Every message is classified (`core::reply::classify`) and keeps its kind. Only a reply counts
//! as a person at the agency answering: it acknowledges a request awaiting acknowledgement and
//! vouches for its sender's address (a new address is offered as an unconfirmed contact). A
//! bounce is tied to the letter it reports (its returned Message-ID, else the address that
//! failed) and, when permanent, marks the letter bounced and the address failing; it never
//! acknowledges. An out-of-office changes nothing; an automatic receipt acknowledges with the
//! agency's reference. Portal mail counts as the agency answering (the portal posts its
//! messages): it records the portal's number, acknowledges with it, and later portal mail is
//! matched by it.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use mail_parser::{Address, HeaderValue, MessageParser, MimeHeaders};
use regex::Regex;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::core::letter::LetterKind;
use crate::core::reply::{Bounce, MailKind};
use crate::core::status::{EventKind, Status};
use crate::store::contacts;
use crate::store::files::{FileStore, sha256_hex};
use crate::store::mail::{self as mail_store, BounceRecord, LetterRef};
use crate::store::request::{self, NewEvent, Via};
use crate::{Error, Result};

/// How a message was tied to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatchedBy {
    InReplyTo,
    TrackingCode,
    PlusAddress,
    Sender,
    Assigned,
    /// A bounce, by the Message-ID of our letter it returns.
    BouncedMessageId,
    /// A bounce, by the address that failed (our latest letter to it).
    BouncedRecipient,
    /// Portal mail, by the portal's number recorded from its earlier mail.
    PortalNumber,
    /// By the agency's reference for the request.
    AgencyReference,
}

impl MatchedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchedBy::InReplyTo => "in-reply-to",
            MatchedBy::TrackingCode => "tracking-code",
            MatchedBy::PlusAddress => "plus-address",
            MatchedBy::Sender => "sender",
            MatchedBy::Assigned => "assigned",
            MatchedBy::BouncedMessageId => "bounced-message-id",
            MatchedBy::BouncedRecipient => "bounced-recipient",
            MatchedBy::PortalNumber => "portal-number",
            MatchedBy::AgencyReference => "agency-reference",
        }
    }
}

/// What importing one message did.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Imported {
    pub source: String,
    pub communication_id: Option<i64>,
    pub from: String,
    pub subject: String,
    pub date: NaiveDate,
    pub tracking_code: Option<String>,
    pub matched_by: Option<MatchedBy>,
    pub duplicate: bool,
    pub attachments: usize,
    /// The request moved from awaiting_ack to awaiting_response.
    pub acknowledged: bool,
    /// What the message is: "reply" (a person wrote it), "bounce" (a delivery failure report),
    /// "autoreply" (out-of-office, automatic receipt) or "portal" (a records portal's notice).
    /// Only replies and portal mail count as the agency answering.
    pub kind: String,
    /// For portal mail: the portal (NextRequest, GovQA, JustFOIA...).
    pub portal: Option<String>,
    /// The portal's number for the request, or the agency's reference an automatic receipt gives.
    pub reference: Option<String>,
    /// For a delivery report: what failed, and whether our letter is now marked bounced.
    pub bounce: Option<BounceSummary>,
    /// A new address at the request's agency that replied, offered as an unconfirmed contact.
    pub offered_contact: Option<String>,
}

/// What a delivery report said about one of our letters.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BounceSummary {
    /// The letter it is about, when found: request, followup, appeal...
    pub letter: Option<LetterKind>,
    /// The address that letter went to.
    pub to: Option<String>,
    /// The address the report says failed.
    pub failed_recipient: Option<String>,
    /// The server's status code, e.g. "5.1.1".
    pub status: Option<String>,
    /// False for a delay: the server is still trying, and nothing changes.
    pub permanent: bool,
    /// The letter is now marked bounced (a permanent failure of a letter that went out).
    pub letter_bounced: bool,
}

/// A message that could not be imported, and why. The others are imported all the same.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Skipped {
    /// The file (an .eml file, an mbox file or a Maildir entry) or folder it is in.
    pub source: String,
    /// Its number in an mbox file, 1 for the first.
    pub message: Option<usize>,
    /// The byte offset of its "From " line in an mbox file.
    pub offset: Option<u64>,
    pub reason: String,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.source)?;
        if let Some(n) = self.message {
            write!(f, " message {n}")?;
        }
        if let Some(o) = self.offset {
            write!(f, " (byte {o})")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// What importing a mailbox did: each message imported (or found already imported), and each
/// one skipped.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ImportReport {
    pub imported: Vec<Imported>,
    pub skipped: Vec<Skipped>,
}

/// Imports every message at `path`: a Maildir folder, an mbox file or a single .eml file. A
/// message that cannot be read or imported (not an email, refused by the request's history) is
/// skipped and reported, and the others are imported; only a failing database or files folder
/// stops the import.
pub fn import_path(conn: &mut Connection, store: &FileStore, path: &Path, today: NaiveDate) -> Result<ImportReport> {
    import_path_as(conn, store, path, &path.display().to_string(), today)
}

/// [`import_path`] for a file saved under another name (an upload kept in a temporary folder):
/// messages are recorded and reported as coming from `shown`.
pub fn import_path_as(
    conn: &mut Connection,
    store: &FileStore,
    path: &Path,
    shown: &str,
    today: NaiveDate,
) -> Result<ImportReport> {
    let mut report = ImportReport::default();
    let shown = shown.to_string();
    let skip = |report: &mut ImportReport, source: &str, at: Option<(usize, u64)>, reason: String| {
        report.skipped.push(Skipped {
            source: source.to_string(),
            message: at.map(|(n, _)| n),
            offset: at.map(|(_, o)| o),
            reason,
        })
    };
    let mut one = |report: &mut ImportReport, raw: &[u8], name: &str, source: &str, at: Option<(usize, u64)>| {
        match import_message(conn, store, raw, name, today) {
            Ok(i) => report.imported.push(i),
            Err(e) if skippable(&e) => skip(report, source, at, e.to_string()),
            Err(e) => return Err(e),
        }
        Ok(())
    };
    if path.is_dir() {
        match maildir(path) {
            Err(reason) => skip(&mut report, &shown, None, reason),
            Ok(entries) => {
                for (name, contents) in entries {
                    match contents {
                        Ok(raw) => one(&mut report, &raw, &name, &name, None)?,
                        Err(e) => skip(&mut report, &name, None, format!("cannot read it: {e}")),
                    }
                }
            }
        }
        return Ok(report);
    }
    let raw = match std::fs::read(path) {
        Ok(raw) => raw,
        Err(e) => {
            skip(&mut report, &shown, None, format!("cannot read it: {e}"));
            return Ok(report);
        }
    };
    if raw.starts_with(b"From ") {
        for m in mbox_messages(&raw) {
            let name = format!("{shown}#{}", m.number);
            one(&mut report, &m.contents, &name, &shown, Some((m.number, m.offset)))?;
        }
    } else {
        one(&mut report, &raw, &shown, &shown, None)?;
    }
    Ok(report)
}

/// Whether an error is about the message (skip it, import the others) rather than about the
/// database or the files folder (stop).
fn skippable(e: &Error) -> bool {
    match e {
        Error::Invalid(_) | Error::NotFound { .. } | Error::Import { .. } => true,
        Error::Db(rusqlite::Error::SqliteFailure(f, _)) => f.code == rusqlite::ErrorCode::ConstraintViolation,
        _ => false,
    }
}

/// The messages of a Maildir folder (`cur/` and `new/`, not dot files), by path; an entry that
/// cannot be read is returned with its error.
#[allow(clippy::type_complexity)]
fn maildir(path: &Path) -> std::result::Result<Vec<(String, std::io::Result<Vec<u8>>)>, String> {
    let mut out = Vec::new();
    for sub in ["cur", "new"] {
        let dir = path.join(sub);
        if !dir.is_dir() {
            return Err(format!("not a Maildir folder (no {sub}/ in it)"));
        }
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("cannot read {sub}/: {e}"))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot read {sub}/: {e}"))?;
            let p = entry.path();
            if entry.file_name().as_encoded_bytes().starts_with(b".") || !p.is_file() {
                continue;
            }
            out.push((p.display().to_string(), std::fs::read(&p)));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// One message of an mbox file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct MboxMessage {
    /// 1 for the first message of the file.
    number: usize,
    /// The byte offset of its "From " line.
    offset: u64,
    /// The message, without its "From " line, `>From ` unquoted.
    contents: Vec<u8>,
}

/// Whether a line (from an mbox file) is a message separator: `From ADDRESS DATE`, with the
/// date as mbox writers put it (`Thu Mar  5 10:00:00 2026`, optionally with a zone, or
/// `Thu, 05 Mar 2026 10:00:00 +0000`). A line of text that starts with "From " but is not one
/// ("From the attached files you can see") belongs to the message it is in.
fn is_separator(line: &[u8]) -> bool {
    static RE: std::sync::OnceLock<regex::bytes::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        let day = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*";
        let month = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*";
        let time = r"\d{1,2}:\d{2}(?::\d{2})?";
        let zone = r"(?:[a-z]{1,5}|[+-]\d{4})";
        regex::bytes::Regex::new(&format!(
            r"(?i)^From (?:\S+[ \t]+)?{day},?[ \t]+(?:{month}[ \t]+\d{{1,2}}[ \t]+{time}(?:[ \t]+{zone})?[ \t]+\d{{4}}|\d{{1,2}}[ \t]+{month}[ \t]+\d{{4}}[ \t]+{time})(?:[ \t].*)?\r?\n?$"
        ))
        .expect("a valid pattern")
    })
    .is_match(line)
}

/// Splits an mbox file into its messages. The first line always starts one; after that only
/// lines that look like separators do. Lines quoted as `>From `, `>>From ` lose one `>`.
fn mbox_messages(raw: &[u8]) -> Vec<MboxMessage> {
    let mut out: Vec<MboxMessage> = Vec::new();
    let mut offset = 0u64;
    for line in raw.split_inclusive(|b| *b == b'\n') {
        let starts = line.starts_with(b"From ") && (out.is_empty() || is_separator(line));
        if starts {
            out.push(MboxMessage { number: out.len() + 1, offset, contents: Vec::new() });
        } else if let Some(m) = out.last_mut() {
            let quotes = line.iter().take_while(|b| **b == b'>').count();
            if quotes > 0 && line[quotes..].starts_with(b"From ") {
                m.contents.extend_from_slice(&line[1..]);
            } else {
                m.contents.extend_from_slice(line);
            }
        }
        offset += line.len() as u64;
    }
    out
}

fn addresses(a: Option<&Address<'_>>) -> Vec<String> {
    a.map(|a| a.iter().filter_map(|x| x.address()).map(|s| s.to_ascii_lowercase()).collect()).unwrap_or_default()
}

fn id_list(v: &HeaderValue<'_>) -> Vec<String> {
    match v {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(l) => l.iter().map(|s| s.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// A pattern for the tracking codes of every campaign: tolerant of case, brackets and spacing
/// ("[amz16 - 0007]", "AMZ16-0007", "amz16 0007").
pub fn code_pattern(conn: &Connection) -> Result<Option<Regex>> {
    let mut stmt = conn.prepare("SELECT code_prefix FROM campaigns ORDER BY length(code_prefix) DESC")?;
    let prefixes = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
    if prefixes.is_empty() {
        return Ok(None);
    }
    let alt = prefixes.iter().map(|p| regex::escape(p)).collect::<Vec<_>>().join("|");
    let re = Regex::new(&format!(r"(?i)(?:^|[^a-z0-9])({alt})\s*[-_–]?\s*(\d{{4}})(?:[^0-9]|$)"))
        .map_err(|e| Error::invalid(format!("tracking code pattern: {e}")))?;
    Ok(Some(re))
}

/// Every existing tracking code in `text`, in order.
fn codes_in(conn: &Connection, re: &Regex, text: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for c in re.captures_iter(text) {
        let code = format!("{}-{}", c[1].to_ascii_uppercase(), &c[2]);
        if request::find(conn, &code).is_ok() && !out.contains(&code) {
            out.push(code);
        }
    }
    Ok(out)
}

fn is_open(status: Status) -> bool {
    status != Status::Draft && !status.is_terminal()
}

/// What a message offers for matching it to a request.
struct Clues<'a> {
    thread_ids: &'a [String],
    subject: &'a str,
    body: &'a str,
    recipients: &'a [String],
    from: &'a str,
    from_name: &'a str,
    /// The records portal that sent it, if it is portal mail.
    portal: Option<&'a str>,
    /// The portal's number for the request, or the agency's reference an automatic receipt gives.
    number: Option<&'a str>,
}

/// Finds the request a message belongs to, trying the methods in order of reliability. Every
/// method is certain: an exact Message-ID, tracking code, portal number or reference, or the
/// sender when its agency has exactly one open request.
fn find_request(conn: &Connection, c: &Clues<'_>) -> Result<Option<(String, MatchedBy)>> {
    for id in c.thread_ids {
        let bracketed = format!("<{}>", id.trim_matches(['<', '>']));
        let code: Option<String> = conn
            .query_row(
                "SELECT r.tracking_code FROM communications c JOIN requests r ON r.id = c.request_id
                 WHERE c.message_id = ?1",
                [&bracketed],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(code) = code {
            return Ok(Some((code, MatchedBy::InReplyTo)));
        }
    }
    if let Some(re) = code_pattern(conn)? {
        for text in [c.subject, c.body] {
            if let Some(code) = codes_in(conn, &re, text)?.into_iter().next() {
                return Ok(Some((code, MatchedBy::TrackingCode)));
            }
        }
        for addr in c.recipients {
            if let Some((local, _)) = addr.split_once('@')
                && let Some((_, tag)) = local.split_once('+')
                && let Some(code) = codes_in(conn, &re, tag)?.into_iter().next()
            {
                return Ok(Some((code, MatchedBy::PlusAddress)));
            }
        }
    }
    // Portal mail by the portal's number: as recorded from the same portal sender, else as the
    // agency reference of exactly one request (staff logged the portal's number by hand). An
    // automatic receipt's reference is new (it announces it), so it is not matched by it.
    if let (Some(portal), Some(number)) = (c.portal, c.number) {
        if let Some(code) = mail_store::request_by_portal_number(conn, portal, number, c.from, c.from_name)? {
            return Ok(Some((code, MatchedBy::PortalNumber)));
        }
        if let Some(code) = mail_store::request_by_reference(conn, number)? {
            return Ok(Some((code, MatchedBy::AgencyReference)));
        }
    }
    // The sender: an agency's exact address (or a contact known good), else its domain, and only
    // when that agency has exactly one open request.
    let from = c.from;
    let domain = from.split_once('@').map(|(_, d)| d.to_string()).unwrap_or_default();
    if domain.is_empty() {
        return Ok(None);
    }
    let mut stmt = conn.prepare("SELECT id, lower(email) FROM agencies WHERE email IS NOT NULL")?;
    let agencies = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut exact: Vec<i64> = agencies.iter().filter(|(_, e)| e == from).map(|(id, _)| *id).collect();
    let mut stmt =
        conn.prepare_cached("SELECT agency_id FROM agency_contacts WHERE address = ?1 AND state = 'good'")?;
    for id in stmt.query_map([from], |r| r.get::<_, i64>(0))? {
        let id = id?;
        if !exact.contains(&id) {
            exact.push(id);
        }
    }
    let by_domain: Vec<i64> =
        agencies.iter().filter(|(_, e)| e.ends_with(&format!("@{domain}"))).map(|(id, _)| *id).collect();
    let agency = match (exact.as_slice(), by_domain.as_slice()) {
        ([one], _) => *one,
        ([], [one]) => *one,
        _ => return Ok(None),
    };
    let mut stmt = conn.prepare("SELECT tracking_code, status FROM requests WHERE agency_id = ?1")?;
    let open: Vec<String> = stmt
        .query_map([agency], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Status>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .filter(|(_, s)| is_open(*s))
        .map(|(c, _)| c)
        .collect();
    Ok(match open.as_slice() {
        [one] => Some((one.clone(), MatchedBy::Sender)),
        _ => None,
    })
}

/// The letter a delivery report is about: by the Message-ID of our letter it returns, else by the
/// address that failed (our latest letter to it).
fn letter_for_bounce(conn: &Connection, b: &Bounce) -> Result<Option<(LetterRef, MatchedBy)>> {
    if let Some(id) = &b.original_message_id
        && let Some(l) = mail_store::letter_by_message_id(conn, id)?
    {
        return Ok(Some((l, MatchedBy::BouncedMessageId)));
    }
    for r in &b.failed_recipients {
        if let Some(l) = mail_store::latest_letter_to(conn, r)? {
            return Ok(Some((l, MatchedBy::BouncedRecipient)));
        }
    }
    Ok(None)
}

/// What a message's kind carries, as stored with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct KindFacts {
    kind: String,
    from_name: String,
    portal: Option<String>,
    /// The portal's number, or the agency's reference an automatic receipt gives.
    reference: Option<String>,
    /// An automatic receipt acknowledging the request.
    receipt: bool,
}

impl KindFacts {
    fn of(kind: &MailKind, from_name: &str) -> Self {
        let clean = |s: &Option<String>| {
            s.as_deref().map(str::trim).filter(|s| !s.is_empty() && s.len() <= 64).map(str::to_string)
        };
        let mut k = KindFacts {
            kind: kind.as_str().to_string(),
            from_name: from_name.trim().to_string(),
            ..Default::default()
        };
        match kind {
            MailKind::Portal(p) => {
                k.portal = Some(p.portal.to_string());
                k.reference = clean(&p.request_number);
            }
            MailKind::AutoReply(a) => {
                k.receipt = a.acknowledgement;
                k.reference = clean(&a.reference);
            }
            MailKind::Reply | MailKind::Bounce(_) => {}
        }
        k
    }
}

/// Imports one raw message.
pub fn import_message(
    conn: &mut Connection,
    store: &FileStore,
    raw: &[u8],
    source: &str,
    today: NaiveDate,
) -> Result<Imported> {
    let msg = MessageParser::default()
        .parse(raw)
        // At least one header line with a well-formed name (visible ASCII, no colon).
        .filter(|m| {
            m.headers()
                .iter()
                .any(|h| !h.name().is_empty() && h.name().bytes().all(|b| b.is_ascii_graphic() && b != b':'))
        })
        .ok_or_else(|| Error::invalid("not an email message (no header lines)"))?;
    let content_sha = sha256_hex(raw);
    let message_id = msg.message_id().map(|id| format!("<{}>", id.trim_matches(['<', '>'])));
    let from = msg.from().and_then(|a| a.first()).and_then(|a| a.address()).unwrap_or("").to_ascii_lowercase();
    let to = addresses(msg.to());
    let cc = addresses(msg.cc());
    let subject = msg.subject().unwrap_or("").to_string();
    let body = msg.body_text(0).map(|b| b.into_owned()).unwrap_or_default();
    let date =
        msg.date().and_then(|d| NaiveDate::from_ymd_opt(d.year as i32, d.month as u32, d.day as u32)).unwrap_or(today);
    let mut imported = Imported {
        source: source.to_string(),
        communication_id: None,
        from: from.clone(),
        subject: subject.clone(),
        date,
        tracking_code: None,
        matched_by: None,
        duplicate: false,
        attachments: 0,
        acknowledged: false,
        kind: "reply".into(),
        portal: None,
        reference: None,
        bounce: None,
        offered_contact: None,
    };

    let existing: Option<(i64, Option<String>)> = conn
        .query_row(
            "SELECT c.id, c.kind FROM communications c LEFT JOIN inbound_details d ON d.communication_id = c.id
             WHERE (?1 IS NOT NULL AND c.message_id = ?1) OR d.content_sha256 = ?2",
            params![message_id, content_sha],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((id, kind)) = existing {
        imported.duplicate = true;
        imported.communication_id = Some(id);
        imported.kind = kind.unwrap_or_else(|| "reply".into());
        return Ok(imported);
    }

    let facts = crate::ops::mail_facts::mail_facts(&msg);
    let kind = crate::core::reply::classify(&facts);
    let k = KindFacts::of(&kind, &facts.from_name);
    imported.kind = k.kind.clone();
    imported.portal = k.portal.clone();
    imported.reference = k.reference.clone();

    let mut thread_ids = id_list(msg.in_reply_to());
    thread_ids.extend(id_list(msg.references()));
    let recipients: Vec<String> = to.iter().chain(cc.iter()).cloned().collect();
    let clues = Clues {
        thread_ids: &thread_ids,
        subject: &subject,
        body: &body,
        recipients: &recipients,
        from: &from,
        from_name: &k.from_name,
        portal: k.portal.as_deref(),
        number: k.reference.as_deref(),
    };
    let (letter, matched) = match &kind {
        MailKind::Bounce(b) => match letter_for_bounce(conn, b)? {
            Some((l, by)) => {
                let code = l.tracking_code.clone();
                (Some(l), Some((code, by)))
            }
            None => (None, find_request(conn, &clues)?),
        },
        _ => (None, find_request(conn, &clues)?),
    };

    // Files this import adds to the files folder: removed again unless the transaction commits,
    // so a refused or failed import leaves nothing behind.
    let mut created: Vec<PathBuf> = Vec::new();
    let stored = (|| -> Result<i64> {
        let tx = super::begin(conn)?;
        let req: Option<request::Request> = match &matched {
            Some((code, _)) => Some(request::find(&tx, code)?),
            None => None,
        };
        tx.execute(
            "INSERT INTO communications (request_id, direction, channel, state, message_id, from_addr, to_addr, subject,
                                         body, created_on, kind)
             VALUES (?1, 'inbound', 'email', 'received', ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![req.as_ref().map(|r| r.id), message_id, from, to.join(", "), subject, body, date, k.kind],
        )?;
        let comm_id = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO inbound_details (communication_id, cc, in_reply_to, refs, content_sha256, matched_by, source,
                                          from_name, portal, reference, receipt)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                comm_id,
                (!cc.is_empty()).then(|| cc.join(", ")),
                id_list(msg.in_reply_to()).first(),
                (!thread_ids.is_empty()).then(|| thread_ids.join(" ")),
                content_sha,
                matched.as_ref().map(|(_, by)| by.as_str()),
                source,
                (!k.from_name.is_empty()).then_some(k.from_name.as_str()),
                k.portal,
                k.reference,
                k.receipt
            ],
        )?;
        for (i, part) in msg.attachments().enumerate() {
            let bytes = part.contents();
            let path = store.path(&sha256_hex(bytes));
            let existed = path.exists();
            let sha = store.put(&tx, bytes)?;
            if !existed && path.exists() {
                created.push(path);
            }
            let name = part.attachment_name().map(str::to_string).unwrap_or_else(|| format!("attachment-{}", i + 1));
            let ctype = part
                .content_type()
                .map(|c| match c.subtype() {
                    Some(sub) => format!("{}/{}", c.ctype(), sub),
                    None => c.ctype().to_string(),
                })
                .unwrap_or_else(|| "application/octet-stream".into());
            tx.execute(
                "INSERT INTO attachments (communication_id, sha256, file_name, content_type) VALUES (?1, ?2, ?3, ?4)",
                params![comm_id, sha, name, ctype],
            )?;
            imported.attachments += 1;
        }
        if let MailKind::Bounce(b) = &kind {
            imported.bounce = Some(store_bounce(&tx, comm_id, b, letter.as_ref(), req.as_ref(), date)?);
        }
        if let (Some(req), Some((code, by))) = (&req, &matched) {
            let applied = apply_kind(&tx, comm_id, req, *by, &k, &from, date, today)?;
            imported.acknowledged = applied.acknowledged;
            imported.offered_contact = applied.offered_contact;
            crate::projection::recompute(&tx, crate::projection::Scope::Request(req.id))?;
            imported.tracking_code = Some(code.clone());
            imported.matched_by = Some(*by);
        }
        tx.commit()?;
        Ok(comm_id)
    })();
    match stored {
        Ok(id) => {
            imported.communication_id = Some(id);
            Ok(imported)
        }
        Err(e) => {
            remove_created(&created);
            Err(e)
        }
    }
}

/// Removes files an import added to the files folder (and their folder, when that is empty).
fn remove_created(created: &[PathBuf]) {
    for path in created {
        let _ = std::fs::remove_file(path);
        if let Some(dir) = path.parent() {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Keeps what a delivery report says and, for a permanent failure of one of our letters, marks
/// the letter bounced and the address failing for the agency. A delay changes nothing.
fn store_bounce(
    tx: &rusqlite::Transaction<'_>,
    report_id: i64,
    b: &Bounce,
    letter: Option<&LetterRef>,
    req: Option<&request::Request>,
    date: NaiveDate,
) -> Result<BounceSummary> {
    let letter_to = letter.and_then(|l| l.to.as_deref()).map(str::to_ascii_lowercase);
    // The address that failed: the one our letter went to when the report names it, else the first
    // one the report names, else our letter's.
    let recipient = match &letter_to {
        Some(to) if b.failed_recipients.contains(to) => Some(to.clone()),
        _ => b.failed_recipients.first().cloned().or_else(|| letter_to.clone()),
    };
    let record = BounceRecord {
        letter_id: letter.map(|l| l.id),
        recipient: recipient.clone(),
        status: b.status.clone(),
        permanent: b.permanent,
    };
    let marked = tie_bounce(tx, report_id, &record, letter, req, date)?;
    Ok(BounceSummary {
        letter: letter.map(|l| l.letter),
        to: letter.and_then(|l| l.to.clone()),
        failed_recipient: recipient,
        status: b.status.clone(),
        permanent: b.permanent,
        letter_bounced: marked,
    })
}

/// Stores a bounce's record; a permanent one marks its letter bounced and the address the letter
/// went to (or, without a letter, a known address the report names) failing for the agency.
fn tie_bounce(
    tx: &rusqlite::Transaction<'_>,
    report_id: i64,
    record: &BounceRecord,
    letter: Option<&LetterRef>,
    req: Option<&request::Request>,
    date: NaiveDate,
) -> Result<bool> {
    let marked = mail_store::record_bounce(tx, report_id, record)?;
    if !record.permanent {
        return Ok(false);
    }
    let status = record.status.as_deref().map(|s| format!(" ({s})")).unwrap_or_default();
    if let Some(l) = letter
        && let Some(to) = l.to.as_deref().and_then(|t| contacts::normalize(t).ok())
    {
        let note = format!("the {} letter of {} to it bounced on {date}{status}", l.letter, l.tracking_code);
        contacts::bounced(tx, l.agency_id, &to, date, &note)?;
    } else if let (Some(req), Some(r)) = (req, &record.recipient) {
        let agency_id: i64 = tx.query_row("SELECT agency_id FROM requests WHERE id = ?1", [req.id], |x| x.get(0))?;
        if contacts::get(tx, agency_id, r)?.is_some() {
            contacts::bounced(tx, agency_id, r, date, &format!("a message to it bounced on {date}{status}"))?;
        }
    }
    Ok(marked)
}

/// What a matched message did to its request.
#[derive(Debug, Default)]
struct Applied {
    acknowledged: bool,
    offered_contact: Option<String>,
}

/// What a message's kind means for the request it is matched to. A reply acknowledges a request
/// awaiting acknowledgement and vouches for its sender's address; an automatic receipt
/// acknowledges with the agency's reference; portal mail records the portal's number and
/// acknowledges with it; an out-of-office or a bounce changes nothing here.
#[allow(clippy::too_many_arguments)]
fn apply_kind(
    tx: &rusqlite::Transaction<'_>,
    comm_id: i64,
    req: &request::Request,
    by: MatchedBy,
    k: &KindFacts,
    from: &str,
    date: NaiveDate,
    today: NaiveDate,
) -> Result<Applied> {
    let mut out = Applied::default();
    let code = req.tracking_code.as_str();
    let how = if by == MatchedBy::Assigned { "hand" } else { by.as_str() };
    match k.kind.as_str() {
        "reply" => {
            out.acknowledged = acknowledge_if_first(
                tx,
                code,
                date,
                format!("reply from {from} (matched by {how})"),
                None,
                Via::Email,
                today,
            )?;
            out.offered_contact = vouch_for(tx, req, from, date)?;
        }
        "autoreply" if k.receipt => {
            let note = format!("automatic receipt from {from} (matched by {how})");
            out.acknowledged =
                acknowledge_if_first(tx, code, date, note.clone(), k.reference.as_deref(), Via::Email, today)?;
            if !out.acknowledged {
                keep_reference(tx, code, date, note, k.reference.as_deref(), Via::Email, today)?;
            }
        }
        "portal" => {
            let portal = k.portal.as_deref().unwrap_or("portal");
            if let Some(n) = &k.reference {
                mail_store::record_portal_number(tx, req.id, portal, n, comm_id)?;
            }
            let note = format!("{portal} notice from {from} (matched by {how})");
            out.acknowledged =
                acknowledge_if_first(tx, code, date, note.clone(), k.reference.as_deref(), Via::Portal, today)?;
            if !out.acknowledged {
                keep_reference(tx, code, date, note, k.reference.as_deref(), Via::Portal, today)?;
            }
        }
        _ => {}
    }
    Ok(out)
}

/// A reply from `from` at the request's agency: a known address is good, a new one is offered as
/// an unconfirmed contact (returned). Our own address (a colleague forwarding) is left out.
fn vouch_for(
    tx: &rusqlite::Transaction<'_>,
    req: &request::Request,
    from: &str,
    date: NaiveDate,
) -> Result<Option<String>> {
    let Ok(address) = contacts::normalize(from) else { return Ok(None) };
    let ours =
        crate::store::config::get(tx, "requester.email")?.is_some_and(|e| e.trim().eq_ignore_ascii_case(&address));
    if ours {
        return Ok(None);
    }
    let agency_id: i64 = tx.query_row("SELECT agency_id FROM requests WHERE id = ?1", [req.id], |r| r.get(0))?;
    Ok(match contacts::reply_from(tx, agency_id, &address, date)? {
        contacts::ReplySeen::Offered => Some(address),
        _ => None,
    })
}

/// A message that acknowledges a request still awaiting acknowledgement acknowledges it (with the
/// agency's reference, if it gives one), dated by the message (never before the sending, never
/// after today). Other status changes stay a human call.
fn acknowledge_if_first(
    tx: &rusqlite::Transaction<'_>,
    code: &str,
    date: NaiveDate,
    note: String,
    reference: Option<&str>,
    via: Via,
    today: NaiveDate,
) -> Result<bool> {
    let req = request::find(tx, code)?;
    if req.status != Status::AwaitingAck {
        return Ok(false);
    }
    let on = date.max(req.sent_on.unwrap_or(date)).min(today);
    let mut e = NewEvent::new(EventKind::Acknowledged, on);
    e.via = Some(via);
    e.note = Some(note);
    e.reference = reference.map(str::to_string);
    crate::ops::request::log_in(tx, code, &e, today)?;
    Ok(true)
}

/// A reference or portal number given after the acknowledgement, when the request has none yet,
/// is kept with a note (its `reference` becomes the request's agency reference).
#[allow(clippy::too_many_arguments)]
fn keep_reference(
    tx: &rusqlite::Transaction<'_>,
    code: &str,
    date: NaiveDate,
    note: String,
    reference: Option<&str>,
    via: Via,
    today: NaiveDate,
) -> Result<()> {
    let Some(reference) = reference else { return Ok(()) };
    let req = request::find(tx, code)?;
    if req.status == Status::Draft || req.agency_reference.is_some() {
        return Ok(());
    }
    let on = date.max(req.sent_on.unwrap_or(date)).min(today);
    let mut e = NewEvent::new(EventKind::Note, on);
    e.via = Some(via);
    e.note = Some(format!("{note}: gives the reference {reference}"));
    e.reference = Some(reference.to_string());
    crate::ops::request::log_in(tx, code, &e, today)?;
    Ok(())
}

/// Ties an unmatched message to a request by hand; its kind means what it would have meant had
/// it been matched on import (a bounce is tied to the request's latest letter when that letter
/// went to the address that failed).
pub fn assign(conn: &mut Connection, id: i64, code: &str, today: NaiveDate) -> Result<Imported> {
    let req = request::find(conn, code)?;
    type Row =
        (Option<i64>, NaiveDate, String, String, Option<String>, Option<String>, Option<String>, Option<String>, bool);
    let row: Option<Row> = conn
        .query_row(
            "SELECT c.request_id, c.created_on, COALESCE(c.from_addr, ''), c.subject, c.kind, d.from_name, d.portal,
                    d.reference, COALESCE(d.receipt, 0)
             FROM communications c LEFT JOIN inbound_details d ON d.communication_id = c.id
             WHERE c.id = ?1 AND c.direction = 'inbound'",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?)),
        )
        .optional()?;
    let Some((current, date, from, subject, kind, from_name, portal, reference, receipt)) = row else {
        return Err(Error::NotFound { what: "inbound message", key: id.to_string() });
    };
    if current.is_some() {
        return Err(Error::invalid(format!("message {id} is already tied to a request")));
    }
    let k = KindFacts {
        kind: kind.unwrap_or_else(|| "reply".into()),
        from_name: from_name.unwrap_or_default(),
        portal,
        reference,
        receipt,
    };
    let tx = super::begin(conn)?;
    tx.execute("UPDATE communications SET request_id = ?2 WHERE id = ?1", params![id, req.id])?;
    tx.execute("UPDATE inbound_details SET matched_by = 'assigned' WHERE communication_id = ?1", [id])?;
    let mut bounce = None;
    if k.kind == "bounce"
        && let Some(mut record) = mail_store::bounce_record(&tx, id)?
    {
        let letter = mail_store::latest_letter(&tx, req.id)?.filter(|l| match (&record.recipient, &l.to) {
            (Some(r), Some(to)) => r.eq_ignore_ascii_case(to),
            (None, Some(_)) => true,
            _ => false,
        });
        record.letter_id = letter.as_ref().map(|l| l.id);
        let marked = tie_bounce(&tx, id, &record, letter.as_ref(), Some(&req), date)?;
        bounce = Some(BounceSummary {
            letter: letter.as_ref().map(|l| l.letter),
            to: letter.and_then(|l| l.to),
            failed_recipient: record.recipient,
            status: record.status,
            permanent: record.permanent,
            letter_bounced: marked,
        });
    }
    let applied = apply_kind(&tx, id, &req, MatchedBy::Assigned, &k, &from, date, today)?;
    crate::projection::recompute(&tx, crate::projection::Scope::Request(req.id))?;
    tx.commit()?;
    Ok(Imported {
        source: String::new(),
        communication_id: Some(id),
        from,
        subject,
        date,
        tracking_code: Some(req.tracking_code),
        matched_by: Some(MatchedBy::Assigned),
        duplicate: false,
        attachments: 0,
        acknowledged: applied.acknowledged,
        kind: k.kind,
        portal: k.portal,
        reference: k.reference,
        bounce,
        offered_contact: applied.offered_contact,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_look_like_from_address_date() {
        for yes in [
            "From clerk@agency.example.org Thu Mar 05 10:00:00 2026\n",
            "From clerk@agency.example.org Thu Mar  5 10:00:00 2026\r\n",
            "From MAILER-DAEMON Fri Jul  8 12:08:34 2011",
            "From - Mon Jan 05 09:00:00 2026\n",
            "From a@b.example Thu Mar 05 10:00 2026\n",
            "From a@b.example Thu Mar 05 10:00:00 +0000 2026\n",
            "From a@b.example Thu Mar 05 10:00:00 PST 2026\n",
            "From a@b.example Thu Mar 05 10:00:00 2026 remote from somewhere\n",
            "From a@b.example Thu, 05 Mar 2026 10:00:00 +0000\n",
            "From Thu Mar 05 10:00:00 2026\n",
        ] {
            assert!(is_separator(yes.as_bytes()), "{yes:?}");
        }
        for no in [
            "From the attached spreadsheet you can see the purchases.\n",
            "From 2016 to 2017 we bought nothing from Amazon.\n",
            "From: clerk@agency.example.org\n",
            "From clerk@agency.example.org\n",
            "From Monday on, Thu Mar 05 10:00:00 2026 is the date\n",
            "From clerk@agency.example.org on Thu Mar 05 10:00:00 2026\n",
            ">From clerk@agency.example.org Thu Mar 05 10:00:00 2026\n",
        ] {
            assert!(!is_separator(no.as_bytes()), "{no:?}");
        }
    }

    #[test]
    fn mbox_splits_only_at_separators_and_unquotes() {
        let raw = b"From a@x.example Thu Mar 05 10:00:00 2026\nSubject: one\n\nFrom the records:\n>From here\n>>From there\n\nFrom b@x.example Fri Mar 06 10:00:00 2026\nSubject: two\n\nbody\n";
        let m = mbox_messages(raw);
        assert_eq!(m.len(), 2);
        assert_eq!((m[0].number, m[0].offset), (1, 0));
        assert_eq!(m[0].contents, b"Subject: one\n\nFrom the records:\nFrom here\n>From there\n\n");
        assert_eq!(m[1].number, 2);
        assert_eq!(m[1].offset, raw.windows(6).position(|w| w == b"From b").unwrap() as u64);
        assert_eq!(m[1].contents, b"Subject: two\n\nbody\n");
        // The first line starts a message even when it is not a well-formed separator.
        assert_eq!(mbox_messages(b"From nobody\nSubject: x\n\ny\n").len(), 1);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// The mail reader never panics: any bytes split as an mbox, and each piece imported as
        /// a message into a real (in-memory) database, give messages or errors, never a crash.
        #[test]
        fn the_mail_reader_never_panics_on_arbitrary_bytes(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048),
            header in "(From|Subject|To|Date|Message-ID|Content-Type): [ -~]{0,60}",
        ) {
            let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
            let dir = tempfile::tempdir().unwrap();
            let store = FileStore { root: dir.path().join("files") };
            let mut conn = crate::ops::database::open_in_memory().unwrap();
            for raw in [bytes.clone(), [header.as_bytes(), b"\r\n\r\n", &bytes].concat()] {
                let mut mbox = b"From a@x.example Thu Mar 05 10:00:00 2026\n".to_vec();
                mbox.extend_from_slice(&raw);
                for m in mbox_messages(&mbox) {
                    let _ = import_message(&mut conn, &store, &m.contents, "prop", today);
                }
                let _ = import_message(&mut conn, &store, &raw, "prop", today);
            }
        }
    }
}
