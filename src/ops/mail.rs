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
use crate::store::files::{FileStore, Staged, sha256_hex};
use crate::store::mail::{self as mail_store, BounceRecord, LetterRef};
use crate::store::request::{self, NewEvent, Via};
use crate::{Error, Result};

use super::mailbox;
pub use super::mailbox::MAX_MESSAGE_BYTES;

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

impl Imported {
    /// How a matched message was tied to its request: "by tracking-code" or "by sender,
    /// acknowledged" when it acknowledged the request; `None` when it matched none.
    pub fn matched_note(&self) -> Option<String> {
        let by = self.matched_by.filter(|_| self.tracking_code.is_some())?;
        Some(format!("by {}{}", by.as_str(), if self.acknowledged { ", acknowledged" } else { "" }))
    }

    /// What the message is, to put before what it matched: nothing for a reply, else its kind
    /// and what it says ("BOUNCE, request letter to x@y failed (5.1.1): "). Raw text from the
    /// message: escape it for where it is shown.
    pub fn kind_note(&self) -> String {
        match self.kind.as_str() {
            "bounce" => match &self.bounce {
                Some(b) if !b.permanent => format!(
                    "delivery delayed{}, nothing changed: ",
                    b.status.as_deref().map(|s| format!(" ({s})")).unwrap_or_default()
                ),
                Some(b) => {
                    let what = match (&b.letter, &b.to) {
                        (Some(l), Some(to)) => format!("{l} letter to {to}"),
                        _ => b.failed_recipient.clone().unwrap_or_else(|| "a letter".into()),
                    };
                    let status = b.status.as_deref().map(|s| format!(" ({s})")).unwrap_or_default();
                    format!("BOUNCE, {what} failed{status}: ")
                }
                None => "BOUNCE: ".into(),
            },
            "autoreply" => match &self.reference {
                Some(r) => format!("automatic reply, reference {r}: "),
                None => "automatic reply: ".into(),
            },
            "portal" => format!(
                "{} notice{}: ",
                self.portal.as_deref().unwrap_or("portal"),
                self.reference.as_deref().map(|r| format!(" {r}")).unwrap_or_default()
            ),
            _ => String::new(),
        }
    }
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

/// What importing one message came to, as [`import_path_each`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Imported(Box<Imported>),
    Skipped(Skipped),
}

/// Imports every message at `path`: a Maildir folder, an mbox file or a single .eml file. A
/// message that cannot be read or imported (not an email, refused by the request's history,
/// larger than [`MAX_MESSAGE_BYTES`]) is skipped and reported, and the others are imported;
/// only a failing database or files folder stops the import (what was imported before stays).
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
    import_path_each(conn, store, path, shown, today, &mut |o| {
        match o {
            Outcome::Imported(i) => report.imported.push(*i),
            Outcome::Skipped(s) => report.skipped.push(s),
        }
        Ok(())
    })?;
    Ok(report)
}

/// Messages written in one transaction, at most...
const BATCH_MESSAGES: usize = 500;
/// ... or for at most this long, whichever comes first: an import stopped midway loses at most
/// this much work, and other writers wait at most this long.
const BATCH_TIME: std::time::Duration = std::time::Duration::from_millis(250);
/// Bytes of read messages waiting for the writer, at most (a single larger message still
/// passes, alone).
const QUEUED_BYTES: usize = 16 << 20;

/// One message on its way from the reading thread to the writing one.
struct Item {
    /// Where it is recorded as coming from: the file, `FILE#N` in an mbox, a Maildir entry.
    name: String,
    /// Where a skipped message is said to be: the file, the mbox or the Maildir entry.
    source: String,
    /// Its number and offset in an mbox file.
    at: Option<(usize, u64)>,
    /// The message read, or why it cannot be (a skippable error), or what failed in the files
    /// folder (an error that stops the import).
    parsed: Result<Box<Parsed>>,
    /// What it holds of the queue's bytes.
    bytes: usize,
}

/// The bytes of read messages waiting for the writer, bounded: the reader waits while the queue
/// is full, and gives up once the writer has stopped.
#[derive(Default)]
struct Queue {
    state: std::sync::Mutex<QueueState>,
    changed: std::sync::Condvar,
}

#[derive(Default)]
struct QueueState {
    bytes: usize,
    stopped: bool,
    /// The reader waits for room (so giving some back wakes it).
    waiting: bool,
}

impl Queue {
    fn state(&self) -> std::sync::MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `n` more bytes fit without waiting.
    fn has_room(&self, n: usize) -> bool {
        let s = self.state();
        s.bytes == 0 || s.bytes + n <= QUEUED_BYTES
    }

    /// Waits for room for `n` bytes; false once the writer has stopped.
    fn take(&self, n: usize) -> bool {
        let mut s = self.state();
        while s.bytes > 0 && s.bytes + n > QUEUED_BYTES && !s.stopped {
            s.waiting = true;
            s = self.changed.wait(s).unwrap_or_else(|e| e.into_inner());
        }
        s.waiting = false;
        s.bytes += n;
        !s.stopped
    }

    fn give_back(&self, n: usize) {
        let mut s = self.state();
        s.bytes = s.bytes.saturating_sub(n);
        if s.waiting {
            self.changed.notify_all();
        }
    }

    fn stop(&self) {
        self.state().stopped = true;
        self.changed.notify_all();
    }
}

/// [`import_path_as`], reporting each message as it is committed instead of collecting them, so
/// memory does not grow with the mailbox: messages are read, parsed and classified on one thread
/// while this one stores them, [`BATCH_MESSAGES`] (or [`BATCH_TIME`]) to a transaction, each
/// message under its own savepoint (a message refused is rolled back alone and reported
/// skipped). `each` hears of a message only once its transaction has committed.
pub fn import_path_each(
    conn: &mut Connection,
    store: &FileStore,
    path: &Path,
    shown: &str,
    today: NaiveDate,
    each: &mut dyn FnMut(Outcome) -> Result<()>,
) -> Result<()> {
    let cache: i64 = conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
    let mmap: i64 = conn.query_row("PRAGMA mmap_size", [], |r| r.get(0))?;
    conn.execute_batch(&format!("PRAGMA cache_size = -{IMPORT_CACHE_KIB}; PRAGMA mmap_size = 0"))?;
    let imported = read_and_write(conn, store, path, shown, today, each);
    conn.execute_batch(&format!("PRAGMA cache_size = {cache}; PRAGMA mmap_size = {mmap}"))?;
    imported
}

/// [`import_path_each`]'s two threads: one reads, one writes.
fn read_and_write(
    conn: &mut Connection,
    store: &FileStore,
    path: &Path,
    shown: &str,
    today: NaiveDate,
    each: &mut dyn FnMut(Outcome) -> Result<()>,
) -> Result<()> {
    let (to_writer, items) = std::sync::mpsc::sync_channel::<Vec<Item>>(8);
    let queue = &Queue::default();
    let (read, written) = std::thread::scope(|scope| {
        let reader = scope.spawn(move || read_messages(store, path, shown, today, to_writer, queue));
        let written = write_messages(conn, store, today, &items, queue, each);
        // A reader still sending after the writer stopped stops at its next message.
        queue.stop();
        drop(items);
        (reader.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), written)
    });
    written?;
    read
}

/// The page cache of a connection importing mail, in KiB. An import writes and looks things up
/// by index: it needs neither the reports' larger cache nor memory-mapped reads, and with either
/// the import's memory would grow with the database (mapped pages count as the process's).
const IMPORT_CACHE_KIB: i64 = 8 * 1024;

/// Messages are passed to the writer this many at a time (or fewer, see [`QUEUED_BYTES`]).
const CHUNK_MESSAGES: usize = 64;

/// The reader's end of the queue: messages go in chunks, within the queue's bytes.
struct ToWriter<'q> {
    out: std::sync::mpsc::SyncSender<Vec<Item>>,
    queue: &'q Queue,
    chunk: Vec<Item>,
}

impl ToWriter<'_> {
    /// Queues one message; false once the writer has stopped.
    fn send(&mut self, item: Item) -> bool {
        // The writer frees room only as chunks reach it: pass this one on before waiting.
        if !self.queue.has_room(item.bytes) && !self.flush() {
            return false;
        }
        if !self.queue.take(item.bytes) {
            return false;
        }
        self.chunk.push(item);
        self.chunk.len() < CHUNK_MESSAGES || self.flush()
    }

    fn flush(&mut self) -> bool {
        self.chunk.is_empty() || self.out.send(std::mem::take(&mut self.chunk)).is_ok()
    }
}

/// The reading side: every message at `path` read (streamed from an mbox file), parsed and
/// classified, its attachments staged in the files folder, in order, passed on to the writer.
fn read_messages(
    store: &FileStore,
    path: &Path,
    shown: &str,
    today: NaiveDate,
    out: std::sync::mpsc::SyncSender<Vec<Item>>,
    queue: &Queue,
) -> Result<()> {
    let mut to_writer = ToWriter { out, queue, chunk: Vec::new() };
    let mut send = |name: String, source: &str, at: Option<(usize, u64)>, raw: std::result::Result<&[u8], String>| {
        let parsed = match raw {
            Ok(raw) => parse_message(raw, today, store).map(Box::new),
            Err(reason) => Err(Error::Invalid(reason)),
        };
        let bytes = parsed.as_ref().map_or(0, |p| p.size);
        to_writer.send(Item { name, source: source.to_string(), at, parsed, bytes })
    };
    if path.is_dir() {
        match mailbox::maildir_files(path) {
            Err(reason) => {
                send(shown.to_string(), shown, None, Err(reason));
            }
            Ok(files) => {
                for file in files {
                    let file = match file {
                        Ok(file) => file,
                        Err(reason) => {
                            send(shown.to_string(), shown, None, Err(reason));
                            break;
                        }
                    };
                    let name = file.display().to_string();
                    let raw = match mailbox::read_message_file(&file) {
                        Ok(Ok(raw)) => Ok(raw),
                        Ok(Err(size)) => Err(mailbox::too_large(size)),
                        Err(e) => Err(format!("cannot read it: {e}")),
                    };
                    if !send(name.clone(), &name, None, raw.as_deref().map_err(String::clone)) {
                        break;
                    }
                }
            }
        }
        to_writer.flush();
        return Ok(());
    }
    let opened = std::fs::File::open(path).and_then(|f| {
        let mut r = std::io::BufReader::with_capacity(1 << 16, f);
        let mbox = std::io::BufRead::fill_buf(&mut r)?.starts_with(b"From ");
        Ok((r, mbox))
    });
    match opened {
        Err(e) => {
            send(shown.to_string(), shown, None, Err(format!("cannot read it: {e}")));
        }
        Ok((_, false)) => {
            let raw = match mailbox::read_message_file(path) {
                Ok(Ok(raw)) => Ok(raw),
                Ok(Err(size)) => Err(mailbox::too_large(size)),
                Err(e) => Err(format!("cannot read it: {e}")),
            };
            send(shown.to_string(), shown, None, raw.as_deref().map_err(String::clone));
        }
        Ok((reader, true)) => {
            let mut messages = mailbox::MboxReader::new(reader);
            let mut last = (0, 0);
            while let Some(m) = messages.next_message() {
                let sent = match m {
                    Ok(m) => {
                        last = (m.number, m.offset);
                        let name = format!("{shown}#{}", m.number);
                        let raw = m.contents.as_deref().map_err(|size| mailbox::too_large(*size));
                        send(name, shown, Some((m.number, m.offset)), raw)
                    }
                    // The rest of the file cannot be read: said once, after the last message read.
                    Err(e) => send(
                        shown.to_string(),
                        shown,
                        Some((last.0 + 1, last.1)),
                        Err(format!("cannot read the rest of the file: {e}")),
                    ),
                };
                if !sent {
                    break;
                }
            }
        }
    }
    to_writer.flush();
    Ok(())
}

/// A transaction of the writer, with the files its messages add (staged, placed just before the
/// commit) and what it will report once committed.
struct Batch<'c> {
    tx: rusqlite::Transaction<'c>,
    started: std::time::Instant,
    messages: usize,
    files: Vec<Staged>,
    /// The hashes of `files`, so a file two messages carry is staged once.
    hashes: std::collections::HashSet<String>,
    outcomes: Vec<Outcome>,
    lookups: Lookups,
    /// The requests its messages matched, to recompute before the commit.
    touched: std::collections::BTreeSet<i64>,
}

impl<'c> Batch<'c> {
    fn begin(conn: &'c mut Connection) -> Result<Self> {
        let tx = super::begin(conn)?;
        let lookups = Lookups::new(&tx)?;
        Ok(Batch {
            tx,
            started: std::time::Instant::now(),
            messages: 0,
            files: Vec::new(),
            hashes: Default::default(),
            outcomes: Vec::new(),
            lookups,
            touched: Default::default(),
        })
    }

    /// Places the batch's files (synced first) and commits; a failed commit removes the files it
    /// placed. Returns what the batch did, to report.
    fn commit(self) -> Result<Vec<Outcome>> {
        for id in &self.touched {
            crate::projection::recompute(&self.tx, crate::projection::Scope::Request(*id))?;
        }
        let placed = place_files(self.files)?;
        if let Err(e) = self.tx.commit() {
            remove_created(&placed);
            return Err(e.into());
        }
        Ok(self.outcomes)
    }
}

/// Moves staged files (durable already) to their place: returns the files that were not there
/// yet. On any failure the ones placed are removed again (and the rest, still staged, go when
/// dropped).
fn place_files(files: Vec<Staged>) -> Result<Vec<PathBuf>> {
    let mut created = Vec::new();
    for f in files {
        let existed = f.destination().exists();
        match f.keep() {
            Ok(p) if !existed => created.push(p),
            Ok(_) => {}
            Err(e) => {
                remove_created(&created);
                return Err(e);
            }
        }
    }
    Ok(created)
}

/// The writing side: stores each message as it comes, batch by batch.
fn write_messages(
    conn: &mut Connection,
    store: &FileStore,
    today: NaiveDate,
    items: &std::sync::mpsc::Receiver<Vec<Item>>,
    queue: &Queue,
    each: &mut dyn FnMut(Outcome) -> Result<()>,
) -> Result<()> {
    let mut items = items.iter().inspect(|chunk| queue.give_back(chunk.iter().map(|i| i.bytes).sum())).flatten();
    while let Some(first) = items.next() {
        if let Err(e) = &first.parsed {
            if !skippable(e) {
                return Err(first.parsed.err().expect("an error"));
            }
            // Nothing to write: said at once.
            each(first.skipped(e.to_string()))?;
            continue;
        }
        let mut b = Batch::begin(conn)?;
        let mut next = Some(first);
        while let Some(item) = next.take() {
            if let Some(fatal) = b.store(store, today, item)? {
                // What was imported before the failure stays.
                b.commit()?.into_iter().try_for_each(&mut *each)?;
                return Err(fatal);
            }
            if b.messages < BATCH_MESSAGES && b.started.elapsed() < BATCH_TIME {
                next = items.next();
            }
        }
        b.commit()?.into_iter().try_for_each(&mut *each)?;
    }
    Ok(())
}

impl Item {
    fn skipped(&self, reason: String) -> Outcome {
        Outcome::Skipped(Skipped {
            source: self.source.clone(),
            message: self.at.map(|(n, _)| n),
            offset: self.at.map(|(_, o)| o),
            reason,
        })
    }
}

impl Batch<'_> {
    /// Stores one message under its own savepoint. A message that cannot be imported is rolled
    /// back alone and reported skipped; a failure of the database or the files folder is rolled
    /// back alone too and returned as `Ok(Some(error))`, for the caller to commit what came
    /// before and stop.
    fn store(&mut self, store: &FileStore, today: NaiveDate, mut item: Item) -> Result<Option<Error>> {
        self.messages += 1;
        let parsed = match &mut item.parsed {
            Ok(p) => p,
            Err(e) if skippable(e) => {
                let reason = e.to_string();
                self.outcomes.push(item.skipped(reason));
                return Ok(None);
            }
            Err(_) => return Ok(item.parsed.err()),
        };
        self.tx.execute_batch("SAVEPOINT message")?;
        let (mut files, mut touched) = (Vec::new(), Vec::new());
        let stored = store_parsed(
            &self.tx,
            store,
            parsed,
            &item.name,
            today,
            &self.lookups,
            &self.hashes,
            &mut files,
            &mut touched,
        );
        match stored {
            Ok(i) => {
                self.tx.execute_batch("RELEASE message")?;
                self.touched.extend(touched);
                self.hashes.extend(files.iter().map(|f| f.sha256.clone()));
                self.files.extend(files);
                self.outcomes.push(Outcome::Imported(Box::new(i)));
                Ok(None)
            }
            Err(e) => {
                drop(files);
                self.tx.execute_batch("ROLLBACK TO message; RELEASE message")?;
                if !skippable(&e) {
                    return Ok(Some(e));
                }
                self.outcomes.push(item.skipped(e.to_string()));
                Ok(None)
            }
        }
    }
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
fn find_request(conn: &Connection, c: &Clues<'_>, lookups: &Lookups) -> Result<Option<(String, MatchedBy)>> {
    for id in c.thread_ids {
        let bracketed = format!("<{}>", id.trim_matches(['<', '>']));
        let code: Option<String> = conn
            .prepare_cached(
                "SELECT r.tracking_code FROM communications c JOIN requests r ON r.id = c.request_id
                 WHERE c.message_id = ?1",
            )?
            .query_row([&bracketed], |r| r.get(0))
            .optional()?;
        if let Some(code) = code {
            return Ok(Some((code, MatchedBy::InReplyTo)));
        }
    }
    if let Some(re) = &lookups.codes {
        for text in [c.subject, c.body] {
            if let Some(code) = codes_in(conn, re, text)?.into_iter().next() {
                return Ok(Some((code, MatchedBy::TrackingCode)));
            }
        }
        for addr in c.recipients {
            if let Some((local, _)) = addr.split_once('@')
                && let Some((_, tag)) = local.split_once('+')
                && let Some(code) = codes_in(conn, re, tag)?.into_iter().next()
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
    // The agencies whose address is at the sender's domain (an indexed lookup; an agency's
    // address has one '@', so this is every address ending in "@domain").
    let mut stmt = conn.prepare_cached(
        "SELECT id, lower(email) FROM agencies WHERE lower(substr(email, instr(email, '@') + 1)) = ?1",
    )?;
    let agencies = stmt
        .query_map([&domain], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
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
    let mut stmt = conn.prepare_cached("SELECT tracking_code, status FROM requests WHERE agency_id = ?1")?;
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
/// address that failed (our latest letter to it sent no later than the report: a report cannot be
/// about a letter that went out after it).
fn letter_for_bounce(conn: &Connection, b: &Bounce, on: NaiveDate) -> Result<Option<(LetterRef, MatchedBy)>> {
    if let Some(id) = &b.original_message_id
        && let Some(l) = mail_store::letter_by_message_id(conn, id)?
    {
        return Ok(Some((l, MatchedBy::BouncedMessageId)));
    }
    for r in &b.failed_recipients {
        if let Some(l) = mail_store::latest_letter_to(conn, r, on)? {
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

/// An attachment as read from a message.
struct Attachment {
    name: String,
    content_type: String,
    sha256: String,
    size: u64,
    /// Its copy, staged in the files folder by the reader; none when the files folder had it
    /// already.
    file: Option<Staged>,
}

/// A message read and understood, ready to be stored: everything [`import_message`] takes from
/// the raw bytes (parsing, classifying, hashing), done apart from the database so a reading
/// thread does it while the writer stores the messages before.
struct Parsed {
    /// Bytes it holds, about (for the queue between reader and writer).
    size: usize,
    content_sha: String,
    message_id: Option<String>,
    from: String,
    to: Vec<String>,
    cc: Vec<String>,
    subject: String,
    body: String,
    date: NaiveDate,
    in_reply_to: Option<String>,
    thread_ids: Vec<String>,
    kind: MailKind,
    k: KindFacts,
    attachments: Vec<Attachment>,
}

/// Parses and classifies one raw message (dated `today` when it says no date), and stages the
/// attachments the files folder does not have yet (a failure there stops the import).
fn parse_message(raw: &[u8], today: NaiveDate, store: &FileStore) -> Result<Parsed> {
    let msg = MessageParser::default()
        .parse(raw)
        // At least one header line with a well-formed name (visible ASCII, no colon).
        .filter(|m| {
            m.headers()
                .iter()
                .any(|h| !h.name().is_empty() && h.name().bytes().all(|b| b.is_ascii_graphic() && b != b':'))
        })
        .ok_or_else(|| Error::invalid("not an email message (no header lines)"))?;
    if msg.from().and_then(|a| a.first()).and_then(|a| a.address()).is_none_or(|a| a.trim().is_empty()) {
        // A file of "name: value" lines is not mail; without a sender nothing can vouch for it.
        return Err(Error::invalid("not an email message (no From: address)"));
    }
    let facts = crate::ops::mail_facts::mail_facts(&msg);
    let kind = crate::core::reply::classify(&facts);
    let k = KindFacts::of(&kind, &facts.from_name);
    let mut thread_ids = id_list(msg.in_reply_to());
    let in_reply_to = thread_ids.first().cloned();
    thread_ids.extend(id_list(msg.references()));
    let mut attachments = Vec::new();
    for (i, part) in msg.attachments().enumerate() {
        let bytes = part.contents();
        let sha256 = sha256_hex(bytes);
        let file = if store.path(&sha256).exists() { None } else { Some(store.stage_bytes(bytes)?) };
        attachments.push(Attachment {
            name: part.attachment_name().map(str::to_string).unwrap_or_else(|| format!("attachment-{}", i + 1)),
            content_type: part
                .content_type()
                .map(|c| match c.subtype() {
                    Some(sub) => format!("{}/{}", c.ctype(), sub),
                    None => c.ctype().to_string(),
                })
                .unwrap_or_else(|| "application/octet-stream".into()),
            sha256,
            size: bytes.len() as u64,
            file,
        });
    }
    let body = msg.body_text(0).map(|b| b.into_owned()).unwrap_or_default();
    Ok(Parsed {
        size: raw.len() + body.len(),
        content_sha: sha256_hex(raw),
        message_id: msg.message_id().map(|id| format!("<{}>", id.trim_matches(['<', '>']))),
        from: msg.from().and_then(|a| a.first()).and_then(|a| a.address()).unwrap_or("").to_ascii_lowercase(),
        to: addresses(msg.to()),
        cc: addresses(msg.cc()),
        subject: msg.subject().unwrap_or("").to_string(),
        body,
        // The message's own date, when it has a readable one within the dates foiatrack
        // accepts (1900-2199); otherwise the day it was imported.
        date: msg
            .date()
            .and_then(|d| NaiveDate::from_ymd_opt(d.year as i32, d.month as u32, d.day as u32))
            .filter(|d| crate::core::dates::in_bounds(*d))
            .unwrap_or(today),
        in_reply_to,
        thread_ids,
        kind,
        k,
        attachments,
    })
}

/// What matching reads once per transaction instead of once per message.
struct Lookups {
    /// The tracking codes of every campaign (see [`code_pattern`]).
    codes: Option<Regex>,
}

impl Lookups {
    fn new(conn: &Connection) -> Result<Self> {
        Ok(Lookups { codes: code_pattern(conn)? })
    }
}

/// The communication a message was imported as already, by its Message-ID (ours or a reply's)
/// or its content hash (for messages without one): its id and kind. Two indexed lookups; the
/// first communication when both find one.
fn already_imported(
    conn: &Connection,
    message_id: Option<&str>,
    content_sha: &str,
) -> Result<Option<(i64, Option<String>)>> {
    let by_id: Option<(i64, Option<String>)> = match message_id {
        Some(id) => conn
            .prepare_cached("SELECT id, kind FROM communications WHERE message_id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?,
        None => None,
    };
    let by_hash: Option<(i64, Option<String>)> = conn
        .prepare_cached(
            "SELECT c.id, c.kind FROM inbound_details d JOIN communications c ON c.id = d.communication_id
             WHERE d.content_sha256 = ?1",
        )?
        .query_row([content_sha], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(match (by_id, by_hash) {
        (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
        (a, b) => a.or(b),
    })
}

/// Imports one raw message, in a transaction of its own.
pub fn import_message(
    conn: &mut Connection,
    store: &FileStore,
    raw: &[u8],
    source: &str,
    today: NaiveDate,
) -> Result<Imported> {
    let mut parsed = parse_message(raw, today, store)?;
    let tx = super::begin(conn)?;
    let lookups = Lookups::new(&tx)?;
    let (mut files, mut touched) = (Vec::new(), Vec::new());
    let imported =
        store_parsed(&tx, store, &mut parsed, source, today, &lookups, &Default::default(), &mut files, &mut touched)?;
    for id in touched {
        crate::projection::recompute(&tx, crate::projection::Scope::Request(id))?;
    }
    let placed = place_files(files)?;
    if let Err(e) = tx.commit() {
        remove_created(&placed);
        return Err(e.into());
    }
    Ok(imported)
}

/// Stores a parsed message inside the caller's transaction: matched to a request, with its
/// attachments staged into `files` (the caller places them before it commits; `staged` are the
/// hashes its transaction staged already) and what its kind means for the request applied. The
/// request it matched goes into `touched`: the caller recomputes its figures before committing
/// (once for all the messages of a transaction that match it).
#[allow(clippy::too_many_arguments)]
fn store_parsed(
    tx: &rusqlite::Transaction<'_>,
    store: &FileStore,
    p: &mut Parsed,
    source: &str,
    today: NaiveDate,
    lookups: &Lookups,
    staged: &std::collections::HashSet<String>,
    files: &mut Vec<Staged>,
    touched: &mut Vec<i64>,
) -> Result<Imported> {
    let mut imported = Imported {
        source: source.to_string(),
        communication_id: None,
        from: p.from.clone(),
        subject: p.subject.clone(),
        date: p.date,
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
    if let Some((id, kind)) = already_imported(tx, p.message_id.as_deref(), &p.content_sha)? {
        imported.duplicate = true;
        imported.communication_id = Some(id);
        imported.kind = kind.unwrap_or_else(|| "reply".into());
        return Ok(imported);
    }
    let k = &p.k;
    imported.kind = k.kind.clone();
    imported.portal = k.portal.clone();
    imported.reference = k.reference.clone();

    let recipients: Vec<String> = p.to.iter().chain(p.cc.iter()).cloned().collect();
    let clues = Clues {
        thread_ids: &p.thread_ids,
        subject: &p.subject,
        body: &p.body,
        recipients: &recipients,
        from: &p.from,
        from_name: &k.from_name,
        portal: k.portal.as_deref(),
        number: k.reference.as_deref(),
    };
    let (letter, matched) = match &p.kind {
        MailKind::Bounce(b) => match letter_for_bounce(tx, b, p.date)? {
            Some((l, by)) => {
                let code = l.tracking_code.clone();
                (Some(l), Some((code, by)))
            }
            None => (None, find_request(tx, &clues, lookups)?),
        },
        _ => (None, find_request(tx, &clues, lookups)?),
    };

    let req: Option<request::Request> = match &matched {
        Some((code, _)) => Some(request::find(tx, code)?),
        None => None,
    };
    tx.prepare_cached(
        "INSERT INTO communications (request_id, direction, channel, state, message_id, from_addr, to_addr, subject,
                                     body, created_on, kind)
         VALUES (?1, 'inbound', 'email', 'received', ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        req.as_ref().map(|r| r.id),
        p.message_id,
        p.from,
        p.to.join(", "),
        p.subject,
        p.body,
        p.date,
        k.kind
    ])?;
    let comm_id = tx.last_insert_rowid();
    tx.prepare_cached(
        "INSERT INTO inbound_details (communication_id, cc, in_reply_to, refs, content_sha256, matched_by, source,
                                      from_name, portal, reference, receipt)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        comm_id,
        (!p.cc.is_empty()).then(|| p.cc.join(", ")),
        p.in_reply_to,
        (!p.thread_ids.is_empty()).then(|| p.thread_ids.join(" ")),
        p.content_sha,
        matched.as_ref().map(|(_, by)| by.as_str()),
        source,
        (!k.from_name.is_empty()).then_some(k.from_name.as_str()),
        k.portal,
        k.reference,
        k.receipt
    ])?;
    for a in &mut p.attachments {
        // A file is kept once: not when it is in the files folder already, or staged by this
        // transaction (the copy the reader staged then goes).
        let known =
            staged.contains(&a.sha256) || files.iter().any(|f| f.sha256 == a.sha256) || store.path(&a.sha256).exists();
        match a.file.take() {
            Some(file) if !known => {
                file.record(tx)?;
                files.push(file);
            }
            None if !known => {
                return Err(Error::invalid(format!(
                    "its attachment '{}' was in the files folder when it was read, and is gone; import it again",
                    a.name
                )));
            }
            _ => {
                tx.prepare_cached("INSERT OR IGNORE INTO files (sha256, size) VALUES (?1, ?2)")?
                    .execute(params![a.sha256, a.size as i64])?;
            }
        }
        tx.prepare_cached(
            "INSERT INTO attachments (communication_id, sha256, file_name, content_type) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![comm_id, a.sha256, a.name, a.content_type])?;
        imported.attachments += 1;
    }
    if let MailKind::Bounce(b) = &p.kind {
        imported.bounce = Some(store_bounce(tx, comm_id, b, letter.as_ref(), req.as_ref(), p.date)?);
    }
    if let (Some(req), Some((code, by))) = (&req, &matched) {
        let applied = apply_kind(tx, comm_id, req, *by, k, &p.from, p.date, today)?;
        imported.acknowledged = applied.acknowledged;
        imported.offered_contact = applied.offered_contact;
        touched.push(req.id);
        imported.tracking_code = Some(code.clone());
        imported.matched_by = Some(*by);
    }
    imported.communication_id = Some(comm_id);
    Ok(imported)
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
    let agency_id: i64 =
        tx.prepare_cached("SELECT agency_id FROM requests WHERE id = ?1")?.query_row([req.id], |r| r.get(0))?;
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
                let mut reader = mailbox::MboxReader::new(mbox.as_slice());
                while let Some(m) = reader.next_message() {
                    let _ = import_message(&mut conn, &store, m.unwrap().contents.as_deref().unwrap(), "prop", today);
                }
                let _ = import_message(&mut conn, &store, &raw, "prop", today);
            }
        }
    }
}
