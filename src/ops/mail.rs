//! Intake of replies: messages from .eml files, mbox files and Maildir folders, matched to
//! requests, stored as inbound communications with their attachments. Importing the same message
//! twice changes nothing.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use mail_parser::{Address, HeaderValue, MessageParser, MimeHeaders};
use regex::Regex;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::core::status::{EventKind, Status};
use crate::store::files::{FileStore, sha256_hex};
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
}

impl MatchedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchedBy::InReplyTo => "in-reply-to",
            MatchedBy::TrackingCode => "tracking-code",
            MatchedBy::PlusAddress => "plus-address",
            MatchedBy::Sender => "sender",
            MatchedBy::Assigned => "assigned",
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

/// Finds the request a message belongs to, trying the methods in order of reliability.
fn find_request(
    conn: &Connection,
    thread_ids: &[String],
    subject: &str,
    body: &str,
    recipients: &[String],
    from: &str,
) -> Result<Option<(String, MatchedBy)>> {
    for id in thread_ids {
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
        for text in [subject, body] {
            if let Some(code) = codes_in(conn, &re, text)?.into_iter().next() {
                return Ok(Some((code, MatchedBy::TrackingCode)));
            }
        }
        for addr in recipients {
            if let Some((local, _)) = addr.split_once('@')
                && let Some((_, tag)) = local.split_once('+')
                && let Some(code) = codes_in(conn, &re, tag)?.into_iter().next()
            {
                return Ok(Some((code, MatchedBy::PlusAddress)));
            }
        }
    }
    // The sender: an agency's exact address, else its domain, and only when that agency has
    // exactly one open request.
    let domain = from.split_once('@').map(|(_, d)| d.to_string()).unwrap_or_default();
    if domain.is_empty() {
        return Ok(None);
    }
    let mut stmt = conn.prepare("SELECT id, lower(email) FROM agencies WHERE email IS NOT NULL")?;
    let agencies = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let exact: Vec<i64> = agencies.iter().filter(|(_, e)| e == from).map(|(id, _)| *id).collect();
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
    };

    let existing: Option<i64> = conn
        .query_row(
            "SELECT c.id FROM communications c LEFT JOIN inbound_details d ON d.communication_id = c.id
             WHERE (?1 IS NOT NULL AND c.message_id = ?1) OR d.content_sha256 = ?2",
            params![message_id, content_sha],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(id) = existing {
        imported.duplicate = true;
        imported.communication_id = Some(id);
        return Ok(imported);
    }

    let mut thread_ids = id_list(msg.in_reply_to());
    thread_ids.extend(id_list(msg.references()));
    let recipients: Vec<String> = to.iter().chain(cc.iter()).cloned().collect();
    let matched = find_request(conn, &thread_ids, &subject, &body, &recipients, &from)?;

    // Files this import adds to the files folder: removed again unless the transaction commits,
    // so a refused or failed import leaves nothing behind.
    let mut created: Vec<PathBuf> = Vec::new();
    let stored = (|| -> Result<i64> {
        let tx = super::begin(conn)?;
        let request_id: Option<i64> = match &matched {
            Some((code, _)) => Some(request::find(&tx, code)?.id),
            None => None,
        };
        tx.execute(
            "INSERT INTO communications (request_id, direction, channel, state, message_id, from_addr, to_addr, subject,
                                         body, created_on)
             VALUES (?1, 'inbound', 'email', 'received', ?2, ?3, ?4, ?5, ?6, ?7)",
            params![request_id, message_id, from, to.join(", "), subject, body, date],
        )?;
        let comm_id = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO inbound_details (communication_id, cc, in_reply_to, refs, content_sha256, matched_by, source)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                comm_id,
                (!cc.is_empty()).then(|| cc.join(", ")),
                id_list(msg.in_reply_to()).first(),
                (!thread_ids.is_empty()).then(|| thread_ids.join(" ")),
                content_sha,
                matched.as_ref().map(|(_, by)| by.as_str()),
                source
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
        if let Some((code, by)) = &matched {
            imported.acknowledged = acknowledge_if_first(&tx, code, date, &from, by.as_str(), today)?;
            crate::projection::recompute(&tx, crate::projection::Scope::Request(request::find(&tx, code)?.id))?;
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

/// A first reply to a request still awaiting acknowledgement acknowledges it, dated by the
/// message (never before the sending, never after today). Other status changes stay a human call.
fn acknowledge_if_first(
    tx: &rusqlite::Transaction<'_>,
    code: &str,
    date: NaiveDate,
    from: &str,
    how: &str,
    today: NaiveDate,
) -> Result<bool> {
    let req = request::find(tx, code)?;
    if req.status != Status::AwaitingAck {
        return Ok(false);
    }
    let on = date.max(req.sent_on.unwrap_or(date)).min(today);
    let mut e = NewEvent::new(EventKind::Acknowledged, on);
    e.via = Some(Via::Email);
    e.note = Some(format!("reply from {from} (matched by {how})"));
    crate::ops::request::log_in(tx, code, &e, today)?;
    Ok(true)
}

/// Ties an unmatched message to a request by hand.
pub fn assign(conn: &mut Connection, id: i64, code: &str, today: NaiveDate) -> Result<Imported> {
    let req = request::find(conn, code)?;
    let row: Option<(Option<i64>, NaiveDate, String, String)> = conn
        .query_row(
            "SELECT request_id, created_on, COALESCE(from_addr, ''), subject FROM communications
             WHERE id = ?1 AND direction = 'inbound'",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((current, date, from, subject)) = row else {
        return Err(Error::NotFound { what: "inbound message", key: id.to_string() });
    };
    if current.is_some() {
        return Err(Error::invalid(format!("message {id} is already tied to a request")));
    }
    let tx = super::begin(conn)?;
    tx.execute("UPDATE communications SET request_id = ?2 WHERE id = ?1", params![id, req.id])?;
    tx.execute("UPDATE inbound_details SET matched_by = 'assigned' WHERE communication_id = ?1", [id])?;
    let acknowledged = acknowledge_if_first(&tx, &req.tracking_code, date, &from, "hand", today)?;
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
        acknowledged,
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
