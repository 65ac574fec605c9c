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
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::letter::{self, Letter, LetterKind};
use crate::request::{self, NewEvent, Via};
use crate::status::{EventKind, Status};
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

fn event_for(kind: LetterKind) -> EventKind {
    match kind {
        LetterKind::Request => EventKind::Sent,
        LetterKind::Followup => EventKind::FollowedUp,
        LetterKind::Appeal => EventKind::Appealed,
    }
}

/// Sends one letter exactly once. Errors before the server is contacted (no email, wrong
/// status, already sent) are returned as `Err`; a delivery failure is an `Outcome` with an error.
pub fn send(
    conn: &mut Connection,
    code: &str,
    kind: LetterKind,
    mailer: &mut dyn Mailer,
    sender: &Sender,
    today: NaiveDate,
) -> Result<Outcome> {
    let req = request::find(conn, code)?;
    let allowed = match kind {
        LetterKind::Request => req.status == Status::Draft,
        LetterKind::Followup => req.status.can_be_overdue() || req.status.is_waiting_on_us(),
        LetterKind::Appeal => crate::status::next(req.status, EventKind::Appealed, None).is_ok(),
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
    let letter = letter::letter(conn, code, kind, today)?;
    let message_id = new_message_id(&req.tracking_code, sender);
    let msg = message(&letter, sender, &message_id)?;
    let to = letter.to.clone().unwrap_or_default();

    // Step 1: committed as 'sending' before the server is contacted.
    let comm_id = {
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO communications (request_id, direction, letter, channel, state, message_id, from_addr,
                                         to_addr, subject, body, created_on)
             VALUES (?1, 'outbound', ?2, ?3, 'sending', ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                req.id,
                kind,
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
    let tx = conn.transaction()?;
    let error = match delivered {
        Ok(()) => {
            tx.execute(
                "UPDATE communications SET state = 'sent', sent_on = ?2 WHERE id = ?1",
                params![comm_id, today],
            )?;
            let mut e = NewEvent::new(event_for(kind), today);
            e.via = Some(Via::Email);
            e.note = Some(format!(
                "{} to {to}, Message-ID {message_id}",
                if mailer.channel() == "file" { "written as .eml" } else { "emailed" }
            ));
            request::log_in(&tx, &req.tracking_code, &e, today)?;
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

/// A message left in 'sending': the process stopped between starting and finishing the send.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Pending {
    pub communication_id: i64,
    pub tracking_code: String,
    pub letter: LetterKind,
    pub to: Option<String>,
    pub message_id: Option<String>,
    pub created_on: NaiveDate,
}

pub fn pending(conn: &Connection) -> Result<Vec<Pending>> {
    let mut stmt = conn.prepare(
        "SELECT c.id, r.tracking_code, c.letter, c.to_addr, c.message_id, c.created_on
         FROM communications c JOIN requests r ON r.id = c.request_id
         WHERE c.state = 'sending' ORDER BY r.tracking_code, c.id",
    )?;
    let v = stmt
        .query_map([], |r| {
            Ok(Pending {
                communication_id: r.get(0)?,
                tracking_code: r.get(1)?,
                letter: r.get(2)?,
                to: r.get(3)?,
                message_id: r.get(4)?,
                created_on: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}

/// Settles a message left in 'sending': it went out (log it as sent on the day it was sent) or
/// it did not (mark it abandoned, so it can be sent again).
pub fn resolve(conn: &mut Connection, code: &str, was_sent: bool, today: NaiveDate) -> Result<Pending> {
    let req = request::find(conn, code)?;
    let p = pending(conn)?
        .into_iter()
        .find(|p| p.tracking_code == req.tracking_code)
        .ok_or_else(|| Error::invalid(format!("{}: no message is waiting to be settled", req.tracking_code)))?;
    let tx = conn.transaction()?;
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
        request::log_in(&tx, &req.tracking_code, &e, today)?;
    } else {
        tx.execute(
            "UPDATE communications SET state = 'abandoned', error = ?2 WHERE id = ?1",
            params![p.communication_id, format!("settled as not sent on {today}")],
        )?;
    }
    tx.commit()?;
    Ok(p)
}

/// One row of the outbox: a draft waiting to go, or an outbound message in any state.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct OutboxRow {
    pub tracking_code: String,
    pub agency_name: String,
    pub letter: String,
    pub state: String,
    pub channel: String,
    pub to: Option<String>,
    pub created_on: Option<NaiveDate>,
    pub sent_on: Option<NaiveDate>,
    pub attempts: i64,
    pub error: Option<String>,
    pub message_id: Option<String>,
}

/// Queued drafts (agencies with email, not yet sent), then messages by state and code.
pub fn outbox(conn: &Connection, campaign: Option<&str>) -> Result<Vec<OutboxRow>> {
    let campaign_id = campaign.map(|c| crate::campaign::get(conn, c)).transpose()?.map(|c| c.id);
    let mut rows = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT r.tracking_code, a.name, a.email FROM requests r JOIN agencies a ON a.id = r.agency_id
         WHERE r.status = 'draft' AND a.email IS NOT NULL AND (?1 IS NULL OR r.campaign_id = ?1)
           AND NOT EXISTS (SELECT 1 FROM communications c WHERE c.request_id = r.id AND c.state = 'sending')
         ORDER BY r.tracking_code",
    )?;
    for row in stmt.query_map([campaign_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?)))? {
        let (code, name, to) = row?;
        rows.push(OutboxRow {
            tracking_code: code,
            agency_name: name,
            letter: "request".into(),
            state: "queued".into(),
            channel: "email".into(),
            to,
            created_on: None,
            sent_on: None,
            attempts: 0,
            error: None,
            message_id: None,
        });
    }
    let mut stmt = conn.prepare(
        "SELECT r.tracking_code, a.name, c.letter, c.state, c.channel, c.to_addr, c.created_on, c.sent_on, c.attempts,
                c.error, c.message_id
         FROM communications c JOIN requests r ON r.id = c.request_id JOIN agencies a ON a.id = r.agency_id
         WHERE c.direction = 'outbound' AND (?1 IS NULL OR r.campaign_id = ?1)
         ORDER BY CASE c.state WHEN 'sending' THEN 0 WHEN 'failed' THEN 1 WHEN 'sent' THEN 2 ELSE 3 END,
                  r.tracking_code, c.id",
    )?;
    for row in stmt.query_map([campaign_id], |r| {
        Ok(OutboxRow {
            tracking_code: r.get(0)?,
            agency_name: r.get(1)?,
            letter: r.get(2)?,
            state: r.get(3)?,
            channel: r.get(4)?,
            to: r.get(5)?,
            created_on: r.get(6)?,
            sent_on: r.get(7)?,
            attempts: r.get(8)?,
            error: r.get(9)?,
            message_id: r.get(10)?,
        })
    })? {
        rows.push(row?);
    }
    Ok(rows)
}

/// The draft requests a send would pick, split by how they can go.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Drafts whose agency has an email.
    pub by_email: Vec<String>,
    /// Drafts whose agency has no email: to send by mail or portal.
    pub by_hand: Vec<String>,
    /// Named requests that are not drafts, with why they are skipped.
    pub skipped: Vec<(String, String)>,
    /// Messages left in 'sending' by an earlier run.
    pub unsettled: Vec<Pending>,
}

/// Which requests `send` would send: the named codes, or a campaign's drafts.
pub fn plan(conn: &Connection, codes: &[String], campaign: Option<&str>) -> Result<Plan> {
    let unsettled = pending(conn)?;
    let stuck: Vec<&str> = unsettled.iter().map(|p| p.tracking_code.as_str()).collect();
    let mut plan = Plan::default();
    let requests: Vec<request::Request> = if codes.is_empty() {
        let slug = campaign.ok_or_else(|| Error::invalid("name tracking codes or --campaign SLUG"))?;
        let c = crate::campaign::get(conn, slug)?;
        let mut stmt =
            conn.prepare("SELECT tracking_code FROM requests WHERE campaign_id = ?1 AND status = 'draft'")?;
        let codes = stmt.query_map([c.id], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        codes.iter().map(|code| request::find(conn, code)).collect::<Result<Vec<_>>>()?
    } else {
        codes.iter().map(|c| request::find(conn, c)).collect::<Result<Vec<_>>>()?
    };
    let mut requests = requests;
    requests.sort_by(|a, b| a.tracking_code.cmp(&b.tracking_code));
    for r in requests {
        if r.status != Status::Draft {
            plan.skipped.push((r.tracking_code.clone(), format!("already {}", r.status)));
        } else if stuck.contains(&r.tracking_code.as_str()) {
            // Reported in `unsettled`; never re-sent silently.
        } else if r.agency_email.is_some() {
            plan.by_email.push(r.tracking_code);
        } else {
            plan.by_hand.push(r.tracking_code);
        }
    }
    plan.unsettled = unsettled;
    Ok(plan)
}

/// Requests that need chasing on `today`, for `followup`.
#[derive(Debug, Clone, Serialize)]
pub struct Chase {
    pub tracking_code: String,
    pub agency_name: String,
    pub agency_email: Option<String>,
    pub state: String,
    pub status: Status,
    pub sent_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub followup_on: Option<NaiveDate>,
    pub overdue_days: Option<i64>,
    /// Which follow-up this would be (1 = first).
    pub followup_number: u32,
    /// Enough follow-ups went unanswered: appeal where the law provides one.
    pub ready_to_appeal: bool,
    pub appeal: crate::law::Appeal,
}

/// Open requests past their follow-up date (overdue, or past the campaign's interval where the
/// law sets no period), not waiting on us, not before an agency's own estimate, and not chased
/// already today.
pub fn to_chase(conn: &Connection, campaign: Option<&str>, today: NaiveDate) -> Result<Vec<Chase>> {
    let threshold = crate::config::number(conn, "policy.followups_before_appeal")?;
    let list =
        request::list(conn, &request::Filter { campaign: campaign.map(String::from), ..Default::default() }, today)?;
    let mut out = Vec::new();
    for l in list {
        let r = &l.request;
        if !r.status.can_be_overdue() || r.followup_on.is_none_or(|f| f > today) {
            continue;
        }
        let chased_today: bool = conn
            .query_row(
                "SELECT 1 FROM communications WHERE request_id = ?1 AND letter = 'followup' AND created_on = ?2
                   AND state IN ('sending', 'sent')",
                params![r.id, today],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if chased_today {
            continue;
        }
        let law = crate::law::get(conn, &r.state)?;
        out.push(Chase {
            tracking_code: r.tracking_code.clone(),
            agency_name: r.agency_name.clone(),
            agency_email: r.agency_email.clone(),
            state: r.state.clone(),
            status: r.status,
            sent_on: r.sent_on,
            due_on: r.due_on,
            followup_on: r.followup_on,
            overdue_days: l.overdue_days,
            followup_number: r.followups + 1,
            ready_to_appeal: r.followups >= threshold && r.status != Status::Appealing,
            appeal: law.appeal(),
        });
    }
    out.sort_by(|a, b| b.overdue_days.cmp(&a.overdue_days).then(a.tracking_code.cmp(&b.tracking_code)));
    Ok(out)
}

/// Records a follow-up letter written to a file for posting, as a communication and an event.
pub fn record_paper(conn: &mut Connection, letter: &Letter, path: &str, today: NaiveDate) -> Result<()> {
    let req = request::find(conn, &letter.tracking_code)?;
    let tx = conn.transaction()?;
    tx.execute(
        "INSERT INTO communications (request_id, direction, letter, channel, state, to_addr, subject, body,
                                     created_on, sent_on)
         VALUES (?1, 'outbound', ?2, 'mail', 'sent', NULL, ?3, ?4, ?5, ?5)",
        params![req.id, letter.kind, letter.subject, letter.body, today],
    )?;
    let mut e = NewEvent::new(event_for(letter.kind), today);
    e.via = Some(Via::Mail);
    e.note = Some(format!("written to {path} for posting"));
    request::log_in(&tx, &req.tracking_code, &e, today)?;
    tx.commit()?;
    Ok(())
}
