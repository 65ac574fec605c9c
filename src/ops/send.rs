//! Outbound email: building messages from letters, and sending each exactly once.
//!
//! Every send is recorded as an outbound communication in state `sending` and committed before
//! the server is contacted; once the server accepts the message it is marked `sent` and the
//! request's event (`sent` or `followed-up`) is logged in the same transaction. A message left
//! in `sending` (the process died mid-send) is never re-sent silently: `resolve` settles it.

use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDate;
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport};
use rusqlite::{Connection, params};
use serde::Serialize;

use crate::core::letter::{Letter, LetterKind};
use crate::core::status::{EventKind, Status};
use crate::ops::request::log_in;
use crate::store::outbox::{Pending, pending};
use crate::store::request::{self, NewEvent, Via};
use crate::{Error, Result};

/// Who the mail comes from, and where replies should go.
#[derive(Debug, Clone)]
pub struct Sender {
    pub from: Mailbox,
    /// A Reply-To pattern with `{code}`, e.g. `records+{code}@org.example`.
    pub reply_to: Option<String>,
}

impl Sender {
    pub fn new(from: &str, reply_to: Option<&str>) -> Result<Self> {
        let from: Mailbox = from
            .trim()
            .parse()
            .map_err(|e| Error::invalid(format!("FOIATRACK_FROM '{from}' is not an address: {e}")))?;
        if let Some(r) = reply_to {
            let sample = r.replace("{code}", "AMZ16-0001");
            sample
                .parse::<Mailbox>()
                .map_err(|e| Error::invalid(format!("FOIATRACK_REPLY_TO '{r}' does not make an address: {e}")))?;
        }
        Ok(Sender { from, reply_to: reply_to.map(String::from) })
    }

    fn domain(&self) -> String {
        self.from.email.domain().to_string()
    }
}

/// Something that delivers a message or says why not.
pub trait Mailer {
    /// Delivers; the error is the server's answer (never a credential).
    fn deliver(&mut self, code: &str, msg: &Message) -> std::result::Result<(), String>;
    /// The channel recorded for what this mailer delivers.
    fn channel(&self) -> &'static str;
}

/// A real SMTP server, from lettre's URL form (`smtp://`, `smtps://`, `?tls=required`).
pub struct SmtpMailer {
    transport: SmtpTransport,
}

impl SmtpMailer {
    /// `password` comes from the environment and is never stored or printed.
    pub fn new(url: &str, password: Option<&str>) -> Result<Self> {
        // The URL may hold credentials: errors name the problem, never the URL.
        let parsed =
            url::Url::parse(url).map_err(|e| Error::invalid(format!("FOIATRACK_SMTP_URL is not a valid URL ({e})")))?;
        let mut builder = SmtpTransport::from_url(url).map_err(|e| {
            Error::invalid(format!(
                "FOIATRACK_SMTP_URL is not a usable SMTP URL ({}); use e.g. smtps://user@smtp.example.org or smtp://user@host:587?tls=required",
                redact(&e.to_string(), password)
            ))
        })?;
        if let Some(pw) = password.filter(|p| !p.is_empty()) {
            let user = percent_encoding::percent_decode_str(parsed.username())
                .decode_utf8()
                .map_err(|_| Error::invalid("the user name in FOIATRACK_SMTP_URL is not valid UTF-8"))?
                .into_owned();
            if user.is_empty() {
                return Err(Error::invalid(
                    "FOIATRACK_SMTP_PASSWORD is set but FOIATRACK_SMTP_URL names no user (smtps://USER@host)",
                ));
            }
            builder = builder.credentials(Credentials::new(user, pw.to_string()));
        }
        Ok(SmtpMailer { transport: builder.timeout(Some(Duration::from_secs(30))).build() })
    }
}

/// Removes a secret from a message before it is shown.
fn redact(text: &str, secret: Option<&str>) -> String {
    match secret.filter(|s| !s.is_empty()) {
        Some(s) => text.replace(s, "********"),
        None => text.to_string(),
    }
}

impl Mailer for SmtpMailer {
    fn deliver(&mut self, _code: &str, msg: &Message) -> std::result::Result<(), String> {
        self.transport.send(msg).map(|_| ()).map_err(|e| e.to_string())
    }
    fn channel(&self) -> &'static str {
        "email"
    }
}

/// Writes each message as an .eml file named by tracking code, instead of connecting.
pub struct FileMailer {
    pub dir: PathBuf,
}

impl FileMailer {
    pub fn new(dir: PathBuf) -> Result<Self> {
        std::fs::create_dir_all(&dir).map_err(|source| Error::Read { path: dir.display().to_string(), source })?;
        Ok(FileMailer { dir })
    }
}

impl Mailer for FileMailer {
    fn deliver(&mut self, code: &str, msg: &Message) -> std::result::Result<(), String> {
        let safe: String = code.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).collect();
        let mut path = self.dir.join(format!("{safe}.eml"));
        let mut n = 2;
        while path.exists() {
            path = self.dir.join(format!("{safe}-{n}.eml"));
            n += 1;
        }
        std::fs::write(&path, msg.formatted()).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
    fn channel(&self) -> &'static str {
        "file"
    }
}

/// Builds the email for a letter.
pub fn message(letter: &Letter, sender: &Sender, message_id: &str) -> Result<Message> {
    let to = letter
        .to
        .as_deref()
        .ok_or_else(|| Error::invalid(format!("{} has no email address to send to", letter.agency_key)))?;
    let to: Mailbox =
        to.parse().map_err(|e| Error::invalid(format!("the agency's email '{to}' is not an address: {e}")))?;
    let mut b = Message::builder()
        .from(sender.from.clone())
        .to(to)
        .subject(letter.subject.clone())
        .message_id(Some(message_id.to_string()))
        .header(ContentType::TEXT_PLAIN);
    if let Some(pattern) = &sender.reply_to {
        let addr = pattern.replace("{code}", &letter.tracking_code);
        b = b.reply_to(addr.parse().map_err(|e| Error::invalid(format!("reply-to '{addr}': {e}")))?);
    }
    b.body(letter.body.clone()).map_err(|e| Error::invalid(format!("cannot build the email: {e}")))
}

fn new_message_id(code: &str, sender: &Sender) -> String {
    format!("<{}.{}@{}>", code, uuid::Uuid::new_v4().simple(), sender.domain())
}

/// What happened to one message.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Outcome {
    pub tracking_code: String,
    pub to: String,
    pub message_id: String,
    pub letter: LetterKind,
    /// `None` when delivered; the server's answer when not.
    pub error: Option<String>,
}

/// The event a letter logs once it has gone out. An appeal or a petition is filed: `appealed`
/// (the request is then tracked as appealing). A notice of intent to sue or a final demand files
/// nothing and starts no period the agency must meet, so it is logged as a `note` naming the
/// letter, and the status stays as it was.
pub fn event_for(kind: LetterKind) -> EventKind {
    match kind {
        LetterKind::Request => EventKind::Sent,
        LetterKind::Followup => EventKind::FollowedUp,
        LetterKind::Appeal | LetterKind::Petition => EventKind::Appealed,
        LetterKind::NoticeOfIntent | LetterKind::FinalDemand => EventKind::Note,
    }
}

/// The note an event for a letter carries: what went, and how.
fn event_note(kind: LetterKind, how: String) -> String {
    match event_for(kind) {
        EventKind::Note => format!("{} ({kind}) {how}", capitalize_first(kind.describe())),
        _ => how,
    }
}

fn capitalize_first(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

/// Sends one letter exactly once. Errors before the server is contacted (no email, wrong
/// status, already sent) are returned as `Err`; a delivery failure is an `Outcome` with an error.
pub fn send(
    conn: &mut Connection,
    letter: &Letter,
    mailer: &mut dyn Mailer,
    sender: &Sender,
    today: NaiveDate,
) -> Result<Outcome> {
    let kind = letter.kind;
    let req = request::find(conn, &letter.tracking_code)?;
    let allowed = match kind {
        LetterKind::Request => req.status == Status::Draft,
        LetterKind::Followup => req.status.can_be_overdue() || req.status.is_waiting_on_us(),
        LetterKind::Appeal | LetterKind::Petition => {
            crate::core::status::next(req.status, EventKind::Appealed, None).is_ok()
        }
        LetterKind::NoticeOfIntent | LetterKind::FinalDemand => req.status != Status::Draft,
    };
    if !allowed {
        return Err(Error::invalid(format!(
            "{}: a {kind} letter cannot go out while the request is {}",
            req.tracking_code, req.status
        )));
    }
    if let Some(p) = pending(conn)?.into_iter().find(|p| p.tracking_code == req.tracking_code) {
        return Err(Error::invalid(format!(
            "{}: a {} message from {} is still marked 'sending'; settle it first with `foiatrack send --resolve {} --was-sent|--not-sent`",
            p.tracking_code, p.letter, p.created_on, p.tracking_code
        )));
    }
    let message_id = new_message_id(&req.tracking_code, sender);
    let msg = message(letter, sender, &message_id)?;
    let to = letter.to.clone().unwrap_or_default();

    // Step 1: committed as 'sending' before the server is contacted.
    let comm_id = {
        let tx = super::begin(conn)?;
        tx.execute(
            "INSERT INTO communications (request_id, direction, letter, channel, state, message_id, from_addr,
                                         to_addr, subject, body, created_on)
             VALUES (?1, 'outbound', ?2, ?3, 'sending', ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                req.id,
                kind.stored(),
                mailer.channel(),
                message_id,
                sender.from.to_string(),
                to,
                letter.subject,
                letter.body,
                today
            ],
        )
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                Error::invalid(format!("{}: this {kind} letter has gone out already", req.tracking_code))
            }
            other => other.into(),
        })?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        id
    };

    // Step 2: the server.
    let delivered = mailer.deliver(&req.tracking_code, &msg);

    // Step 3: record what the server said.
    let tx = super::begin(conn)?;
    let error = match delivered {
        Ok(()) => {
            tx.execute(
                "UPDATE communications SET state = 'sent', sent_on = ?2 WHERE id = ?1",
                params![comm_id, today],
            )?;
            let mut e = NewEvent::new(event_for(kind), today);
            e.via = Some(Via::Email);
            e.note = Some(event_note(
                kind,
                format!(
                    "{} to {to}, Message-ID {message_id}",
                    if mailer.channel() == "file" { "written as .eml" } else { "emailed" }
                ),
            ));
            log_in(&tx, &req.tracking_code, &e, today)?;
            None
        }
        Err(answer) => {
            tx.execute(
                "UPDATE communications SET state = 'failed', error = ?2 WHERE id = ?1",
                params![comm_id, answer],
            )?;
            Some(answer)
        }
    };
    tx.commit()?;
    Ok(Outcome { tracking_code: req.tracking_code, to, message_id, letter: kind, error })
}

/// Settles a message left in 'sending': it went out (log it as sent on the day it was sent) or
/// it did not (mark it abandoned, so it can be sent again).
pub fn resolve(conn: &mut Connection, code: &str, was_sent: bool, today: NaiveDate) -> Result<Pending> {
    let req = request::find(conn, code)?;
    let p = pending(conn)?
        .into_iter()
        .find(|p| p.tracking_code == req.tracking_code)
        .ok_or_else(|| Error::invalid(format!("{}: no message is waiting to be settled", req.tracking_code)))?;
    let tx = super::begin(conn)?;
    if was_sent {
        tx.execute(
            "UPDATE communications SET state = 'sent', sent_on = created_on WHERE id = ?1",
            [p.communication_id],
        )?;
        let mut e = NewEvent::new(event_for(p.letter), p.created_on);
        e.via = Some(Via::Email);
        e.note = Some(format!(
            "settled as sent on {today}: to {}, Message-ID {}",
            p.to.clone().unwrap_or_default(),
            p.message_id.clone().unwrap_or_default()
        ));
        log_in(&tx, &req.tracking_code, &e, today)?;
    } else {
        tx.execute(
            "UPDATE communications SET state = 'abandoned', error = ?2 WHERE id = ?1",
            params![p.communication_id, format!("settled as not sent on {today}")],
        )?;
    }
    tx.commit()?;
    Ok(p)
}

/// Records a follow-up letter written to a file for posting, as a communication and an event.
pub fn record_paper(conn: &mut Connection, letter: &Letter, path: &str, today: NaiveDate) -> Result<()> {
    let req = request::find(conn, &letter.tracking_code)?;
    let tx = super::begin(conn)?;
    tx.execute(
        "INSERT INTO communications (request_id, direction, letter, channel, state, to_addr, subject, body,
                                     created_on, sent_on)
         VALUES (?1, 'outbound', ?2, 'mail', 'sent', NULL, ?3, ?4, ?5, ?5)",
        params![req.id, letter.kind.stored(), letter.subject, letter.body, today],
    )?;
    let mut e = NewEvent::new(event_for(letter.kind), today);
    e.via = Some(Via::Mail);
    e.note = Some(event_note(letter.kind, format!("written to {path} for posting")));
    log_in(&tx, &req.tracking_code, &e, today)?;
    tx.commit()?;
    Ok(())
}
