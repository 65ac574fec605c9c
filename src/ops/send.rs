//! Outbound email: building messages from letters, and sending each exactly once.
//!
//! Every send is recorded as an outbound communication in state `sending` and committed before
//! the server is contacted; once the server accepts the message it is marked `sent` and the
//! request's event (`sent` or `followed-up`) is logged in the same transaction. A message left
//! in `sending` (the process died mid-send) is never re-sent silently: `resolve` settles it.

use std::borrow::Cow;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use chrono::NaiveDate;
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport};
use regex::Regex;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::core::letter::{Letter, LetterKind};
use crate::core::status::{EventKind, Status};
use crate::ops::request::log_in;
use crate::store::contacts;
use crate::store::mail as mail_store;
use crate::store::outbox::{Pending, pending};
use crate::store::request::{self, NewEvent, Via};
use crate::{Error, Result};

/// Text from outside (a mail server, a sender, an agency list) made safe to print on a
/// terminal: control characters (C0, DEL, C1) and bidirectional-override marks become visible
/// escapes (`\x1b`, `\u{202e}`), so an answer cannot move the cursor, retitle the window or hide
/// text. Everything else is kept as it is.
pub fn visible(text: &str) -> Cow<'_, str> {
    fn hidden(c: char) -> bool {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    }
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !hidden(c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    Cow::Owned(out)
}

/// Who the mail comes from, and where replies should go.
#[derive(Debug, Clone)]
pub struct Sender {
    pub from: Mailbox,
    /// A Reply-To pattern with `{code}`, e.g. `records+{code}@org.example`.
    pub reply_to: Option<String>,
}

impl Sender {
    pub fn new(from: &str, reply_to: Option<&str>) -> Result<Self> {
        if from.chars().any(char::is_control) {
            return Err(Error::invalid(format!("FOIATRACK_FROM '{}' contains a control character", visible(from))));
        }
        let from: Mailbox = from
            .trim()
            .parse()
            .map_err(|e| Error::invalid(format!("FOIATRACK_FROM '{}' is not an address: {e}", visible(from))))?;
        if let Some(r) = reply_to {
            if r.chars().any(char::is_control) {
                return Err(Error::invalid(format!(
                    "FOIATRACK_REPLY_TO '{}' contains a control character",
                    visible(r)
                )));
            }
            let sample = r.replace("{code}", "AMZ16-0001");
            sample.parse::<Mailbox>().map_err(|e| {
                Error::invalid(format!("FOIATRACK_REPLY_TO '{}' does not make an address: {e}", visible(r)))
            })?;
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
    /// Removes the credential from every answer of the server.
    redactor: Redactor,
}

/// The query parameter of `FOIATRACK_SMTP_URL` that allows a password over a connection that is
/// not encrypted, to a host other than this machine: `smtp://user@host:25?allow_plaintext=true`.
pub const ALLOW_PLAINTEXT: &str = "allow_plaintext";

impl SmtpMailer {
    /// `password` comes from the environment and is never stored or printed. A password (from
    /// here or from the URL) only goes over an encrypted connection (`smtps://`, or `smtp://` with
    /// `?tls=required`), to this machine (127.0.0.0/8, ::1, localhost), or where the URL says
    /// `?allow_plaintext=true`.
    pub fn new(url: &str, password: Option<&str>) -> Result<Self> {
        // The URL may hold credentials: errors name the problem, never the URL.
        let parsed =
            url::Url::parse(url).map_err(|e| Error::invalid(format!("FOIATRACK_SMTP_URL is not a valid URL ({e})")))?;
        let decode = |s: &str, what: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(Cow::into_owned)
                .map_err(|_| Error::invalid(format!("the {what} in FOIATRACK_SMTP_URL is not valid UTF-8")))
        };
        let user = decode(parsed.username(), "user name")?;
        let password = match password.filter(|p| !p.is_empty()) {
            Some(pw) => Some(pw.to_string()),
            None => parsed.password().map(|p| decode(p, "password")).transpose()?.filter(|p| !p.is_empty()),
        };
        let redactor = match &password {
            Some(pw) => Redactor::new(&user, pw),
            None => Redactor::default(),
        };
        if password.is_some() {
            if user.is_empty() {
                return Err(Error::invalid(
                    "FOIATRACK_SMTP_PASSWORD is set but FOIATRACK_SMTP_URL names no user (smtps://USER@host)",
                ));
            }
            check_encrypted(&parsed)?;
        }
        let mut builder = SmtpTransport::from_url(url).map_err(|e| {
            Error::invalid(format!(
                "FOIATRACK_SMTP_URL is not a usable SMTP URL ({}); use e.g. smtps://user@smtp.example.org or smtp://user@host:587?tls=required",
                visible(&redactor.redact(&e.to_string()))
            ))
        })?;
        if let Some(pw) = password {
            builder = builder.credentials(Credentials::new(user, pw));
        }
        Ok(SmtpMailer { transport: builder.timeout(Some(Duration::from_secs(30))).build(), redactor })
    }
}

/// A URL's query parameter.
fn query(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// Whether the host is this machine: 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z) or localhost.
pub fn is_loopback(url: &url::Url) -> bool {
    let ip = |ip: IpAddr| match ip {
        IpAddr::V4(a) => a.is_loopback(),
        IpAddr::V6(a) => a.is_loopback() || a.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    };
    match url.host() {
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => ip(IpAddr::V6(a)),
        // For `smtp:` (not a scheme the URL standard knows) an IPv4 address stays a name.
        Some(url::Host::Domain(d)) => {
            d.eq_ignore_ascii_case("localhost") || d.eq_ignore_ascii_case("localhost.") || d.parse().is_ok_and(ip)
        }
        None => false,
    }
}

/// Refuses to send a password in clear text to another machine unless the URL says so.
fn check_encrypted(url: &url::Url) -> Result<()> {
    let tls = query(url, "tls");
    if url.scheme() == "smtps" || (url.scheme() == "smtp" && tls.as_deref() == Some("required")) {
        return Ok(());
    }
    let allowed = match query(url, ALLOW_PLAINTEXT).as_deref() {
        None | Some("false") | Some("0") | Some("no") => false,
        Some("true") | Some("1") | Some("yes") => true,
        Some(_) => {
            return Err(Error::invalid(format!("{ALLOW_PLAINTEXT} in FOIATRACK_SMTP_URL must be true or false")));
        }
    };
    if allowed || is_loopback(url) {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "refusing to send the SMTP password to {} over a connection that is not encrypted: use smtps://, or smtp://...?tls=required for STARTTLS, or add ?{ALLOW_PLAINTEXT}=true to FOIATRACK_SMTP_URL to send it in clear anyway",
        visible(url.host_str().unwrap_or("the server"))
    )))
}

/// Removes a credential from a server's answer, in every form it could take there: the user
/// name and the password as they are, percent- and form-encoded, in base64 (standard and
/// URL-safe, with and without padding: what AUTH LOGIN sends), and the base64 of
/// `\0user\0password` and `user\0user\0password` (AUTH PLAIN); matched without regard to
/// case. A base64 word whose decoding holds a NUL between printable text, the user or the
/// password, or a piece of the password, goes too: an answer that echoes part of an AUTH line.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    forms: Option<Regex>,
    secrets: Vec<Vec<u8>>,
    password: Vec<u8>,
}

const REDACTED: &str = "********";

impl Redactor {
    pub fn new(user: &str, password: &str) -> Self {
        let mut forms: Vec<String> = Vec::new();
        let secrets: Vec<&str> = [user, password].into_iter().filter(|s| !s.is_empty()).collect();
        let add_base64 = |forms: &mut Vec<String>, bytes: &[u8]| {
            for url_safe in [false, true] {
                let b = base64_encode(bytes, url_safe);
                forms.push(b.trim_end_matches('=').to_string());
                forms.push(b);
            }
        };
        for s in &secrets {
            forms.push(s.to_string());
            let pct = percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
            forms.push(pct.replace("%20", "+"));
            forms.push(pct);
            add_base64(&mut forms, s.as_bytes());
        }
        if !password.is_empty() {
            add_base64(&mut forms, format!("\0{user}\0{password}").as_bytes());
            add_base64(&mut forms, format!("{user}\0{user}\0{password}").as_bytes());
        }
        forms.retain(|f| !f.is_empty());
        forms.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        forms.dedup();
        let pattern = (!forms.is_empty())
            .then(|| {
                Regex::new(&format!("(?i){}", forms.iter().map(|f| regex::escape(f)).collect::<Vec<_>>().join("|")))
            })
            .and_then(|r| r.ok());
        Redactor {
            forms: pattern,
            secrets: secrets.iter().map(|s| s.to_ascii_lowercase().into_bytes()).collect(),
            password: password.to_ascii_lowercase().into_bytes(),
        }
    }

    pub fn redact(&self, text: &str) -> String {
        let Some(forms) = &self.forms else { return text.to_string() };
        let text = forms.replace_all(text, REDACTED);
        static WORD: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
        let word = WORD.get_or_init(|| Regex::new(r"[A-Za-z0-9+/_-]{4,}=*").expect("a valid pattern"));
        word.replace_all(
            &text,
            |c: &regex::Captures<'_>| {
                if self.leaks(&c[0]) { REDACTED.to_string() } else { c[0].to_string() }
            },
        )
        .into_owned()
    }

    /// Whether a base64-looking word decodes to (part of) a credential.
    fn leaks(&self, word: &str) -> bool {
        let Some(bytes) = base64_decode(word) else { return false };
        let lower = bytes.to_ascii_lowercase();
        let contains = |hay: &[u8], needle: &[u8]| !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle);
        let auth_plain = bytes.contains(&0)
            && bytes.iter().any(|b| *b != 0)
            && std::str::from_utf8(&bytes).is_ok_and(|s| s.chars().all(|c| c == '\0' || !c.is_control()));
        auth_plain
            || self.secrets.iter().any(|s| contains(&lower, s))
            || (lower.len() >= 3 && contains(&self.password, &lower))
    }
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(bytes: &[u8], url_safe: bool) -> String {
    let alphabet = |i: u32| -> char {
        let c = BASE64[(i & 63) as usize] as char;
        match (url_safe, c) {
            (true, '+') => '-',
            (true, '/') => '_',
            _ => c,
        }
    };
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (*b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() { out.push(alphabet(n >> (18 - 6 * i))) } else { out.push('=') }
        }
    }
    out
}

/// Decodes standard or URL-safe base64, with or without padding; `None` when it is not.
fn base64_decode(word: &str) -> Option<Vec<u8>> {
    let digits: Vec<u32> = word
        .trim_end_matches('=')
        .bytes()
        .map(|c| match c {
            b'-' => Some(62),
            b'_' => Some(63),
            _ => BASE64.iter().position(|x| *x == c).map(|p| p as u32),
        })
        .collect::<Option<_>>()?;
    if digits.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, d)| n | d << (18 - 6 * i));
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

impl Mailer for SmtpMailer {
    fn deliver(&mut self, _code: &str, msg: &Message) -> std::result::Result<(), String> {
        self.transport.send(msg).map(|_| ()).map_err(|e| self.redactor.redact(&e.to_string()))
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

/// The agency's address of a letter, checked: no control characters, no spaces, one `@`, a
/// domain with a dot. An address the agency list should have refused (an older import) fails
/// here, naming the request, before anything is recorded or sent.
pub fn recipient(letter: &Letter) -> Result<Mailbox> {
    let to = letter.to.as_deref().ok_or_else(|| {
        Error::invalid(format!("{}: {} has no email address to send to", letter.tracking_code, letter.agency_key))
    })?;
    let bad = |why: &str| {
        Error::invalid(format!(
            "{}: the email of {} \"{}\" {why}; correct it with `foiatrack agency edit {} --email ...`",
            letter.tracking_code,
            letter.agency_key,
            visible(to),
            letter.agency_key
        ))
    };
    if to.chars().any(char::is_control) {
        return Err(bad("contains a control character"));
    }
    if !crate::store::agency::valid_email(to) {
        return Err(bad("is not a valid address"));
    }
    to.parse().map_err(|e: lettre::address::AddressError| bad(&format!("is not an address ({e})")))
}

/// The Date header of a message written or sent on `today`: noon UTC of that day. Set from
/// `--today`, never the machine's clock, so the same command writes the same .eml files; the
/// servers add the real time in their Received headers.
pub fn date_header(today: NaiveDate) -> SystemTime {
    SystemTime::from(today.and_hms_opt(12, 0, 0).expect("noon exists").and_utc())
}

/// Builds the email for a letter, dated `today` (see [`date_header`]).
pub fn message_on(letter: &Letter, sender: &Sender, message_id: &str, today: NaiveDate) -> Result<Message> {
    builder(letter, sender, message_id)?
        .date(date_header(today))
        .body(letter.body.clone())
        .map_err(|e| Error::invalid(format!("cannot build the email: {e}")))
}

/// Builds the email for a letter, dated by the machine's clock (a preview; what is written by
/// `send` or sent uses [`message_on`]).
pub fn message(letter: &Letter, sender: &Sender, message_id: &str) -> Result<Message> {
    builder(letter, sender, message_id)?
        .body(letter.body.clone())
        .map_err(|e| Error::invalid(format!("cannot build the email: {e}")))
}

fn builder(letter: &Letter, sender: &Sender, message_id: &str) -> Result<lettre::message::MessageBuilder> {
    let to = recipient(letter)?;
    let mut b = Message::builder()
        .from(sender.from.clone())
        .to(to)
        .subject(letter.subject.clone())
        .message_id(Some(message_id.to_string()))
        .header(ContentType::TEXT_PLAIN);
    if let Some(pattern) = &sender.reply_to {
        let addr = pattern.replace("{code}", &letter.tracking_code);
        b = b.reply_to(addr.parse().map_err(|e| Error::invalid(format!("reply-to '{}': {e}", visible(&addr))))?);
    }
    Ok(b)
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
/// " (why)" for a failing address, from its note, or nothing.
fn failing_why(c: &contacts::Contact) -> String {
    c.note.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(|n| format!(" ({})", visible(n))).unwrap_or_default()
}

/// A letter is not sent to an address known to bounce: it would bounce again and the request's
/// clock would run on a letter nobody received.
fn refuse_failing_address(conn: &Connection, req: &request::Request, to: Option<&str>) -> Result<()> {
    let Some(to) = to.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(()) };
    let agency_id: i64 = conn.query_row("SELECT agency_id FROM requests WHERE id = ?1", [req.id], |r| r.get(0))?;
    if let Some(c) = contacts::get(conn, agency_id, &to.to_ascii_lowercase())?
        && c.state == contacts::ContactState::Failing
    {
        return Err(Error::invalid(format!(
            "{}: {} is marked failing for {}{}; letters bounce there. Send a bounced letter again with `foiatrack send --resend {} --to ADDRESS --make-main`, or make a working address the agency's main one (`foiatrack agency edit {} --email ADDRESS`)",
            req.tracking_code,
            visible(to),
            req.agency_key,
            failing_why(&c),
            req.tracking_code,
            req.agency_key
        )));
    }
    Ok(())
}

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
    refuse_failing_address(conn, &req, letter.to.as_deref())?;
    let message_id = new_message_id(&req.tracking_code, sender);
    let msg = message_on(letter, sender, &message_id, today)?;
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
    let resends: Option<i64> =
        conn.query_row("SELECT resends FROM communications WHERE id = ?1", [p.communication_id], |r| r.get(0))?;
    let bounced = match resends {
        Some(id) => mail_store::bounced_by_id(conn, id)?,
        None => None,
    };
    let tx = super::begin(conn)?;
    if was_sent && let Some(b) = &bounced {
        // A letter sent again after a bounce: logged as a resend, not as a second letter.
        tx.execute(
            "UPDATE communications SET state = 'sent', sent_on = created_on WHERE id = ?1",
            [p.communication_id],
        )?;
        let to = p.to.clone().unwrap_or_default();
        let id = p.message_id.clone().unwrap_or_default();
        record_resent(
            &tx,
            &req,
            b,
            &format!("settled as sent on {today}: to {to}, Message-ID {id}"),
            p.created_on,
            today,
        )?;
        if let Ok(address) = contacts::normalize(&to) {
            let agency_id: i64 =
                tx.query_row("SELECT agency_id FROM requests WHERE id = ?1", [req.id], |r| r.get(0))?;
            let note =
                format!("the {} letter was sent here on {} after it bounced from {}", b.letter, p.created_on, b.to);
            contacts::add(
                &tx,
                agency_id,
                &address,
                contacts::ContactState::Unconfirmed,
                contacts::ContactSource::Resend,
                p.created_on,
                Some(&note),
            )?;
        }
    } else if was_sent {
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

/// What sending a bounced letter again did.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Resent {
    pub tracking_code: String,
    pub letter: LetterKind,
    /// The new address.
    pub to: String,
    pub message_id: String,
    /// Where the letter that bounced went, and when.
    pub bounced_to: String,
    pub bounced_sent_on: Option<NaiveDate>,
    /// `None` when delivered; the server's answer when not (the letter stays bounced).
    pub error: Option<String>,
    /// For a request letter: the request now counts as sent on the day it was sent again (the
    /// agency never got the first one), so its due date counts from then. False when a later
    /// event stands in the way (the resend is then logged as a note).
    pub clock_restarted: bool,
    pub due_on: Option<NaiveDate>,
    /// The new address became the agency's main address (`--make-main`).
    pub made_main: bool,
    /// The agency's main address, when it is known failing and stays the main one.
    pub main_failing: Option<String>,
}

/// Sends a request's bounced letter again (same subject and text, a new Message-ID) to another
/// address, exactly once, as `send` does: recorded as 'sending' and committed before the server
/// is contacted, marked sent once it accepts. The address is checked like an agency's, must not
/// be the one that bounced or one known failing, and becomes an (unconfirmed) contact of the
/// agency, and its main address with `make_main`. Refused when the request has no bounced letter
/// waiting (a second resend finds none).
pub fn resend(
    conn: &mut Connection,
    code: &str,
    to: &str,
    make_main: bool,
    mailer: &mut dyn Mailer,
    sender: &Sender,
    today: NaiveDate,
) -> Result<Resent> {
    let ResendPlan { req, bounced: b, address, normalized, agency_id } = resend_plan(conn, code, to)?;
    let address = address.as_str();
    let code = req.tracking_code.clone();
    let (subject, body) = mail_store::letter_text(conn, b.letter_id)?;
    let letter = Letter {
        kind: b.letter,
        tracking_code: code.clone(),
        agency_key: req.agency_key.clone(),
        to: Some(address.to_string()),
        subject: subject.clone(),
        body: body.clone(),
        notes: Vec::new(),
    };
    let message_id = new_message_id(&code, sender);
    let msg = message_on(&letter, sender, &message_id, today)?;

    // Step 1: committed as 'sending' before the server is contacted. The bounced letter is sent
    // again at most once: the database refuses a second live resend of it.
    let comm_id = {
        let tx = super::begin(conn)?;
        tx.execute(
            "INSERT INTO communications (request_id, direction, letter, channel, state, message_id, from_addr,
                                         to_addr, subject, body, created_on, resends)
             VALUES (?1, 'outbound', ?2, ?3, 'sending', ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                req.id,
                b.letter.stored(),
                mailer.channel(),
                message_id,
                sender.from.to_string(),
                address,
                subject,
                body,
                today,
                b.letter_id
            ],
        )
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                Error::invalid(format!("{code}: the bounced {} letter has been sent again already", b.letter))
            }
            other => other.into(),
        })?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        id
    };

    // Step 2: the server.
    let delivered = mailer.deliver(&code, &msg);

    // Step 3: record what the server said.
    let tx = super::begin(conn)?;
    let mut out = Resent {
        tracking_code: code.clone(),
        letter: b.letter,
        to: address.to_string(),
        message_id: message_id.clone(),
        bounced_to: b.to.clone(),
        bounced_sent_on: b.sent_on,
        error: None,
        clock_restarted: false,
        due_on: None,
        made_main: false,
        main_failing: None,
    };
    match delivered {
        Ok(()) => {
            tx.execute(
                "UPDATE communications SET state = 'sent', sent_on = ?2 WHERE id = ?1",
                params![comm_id, today],
            )?;
            let how = format!(
                "{} to {address}, Message-ID {message_id}",
                if mailer.channel() == "file" { "written as .eml" } else { "emailed" }
            );
            out.clock_restarted = record_resent(&tx, &req, &b, &how, today, today)?;
            let note = format!("the {} letter was sent here on {today} after it bounced from {}", b.letter, b.to);
            contacts::add(
                &tx,
                agency_id,
                &normalized,
                contacts::ContactState::Unconfirmed,
                contacts::ContactSource::Resend,
                today,
                Some(&note),
            )?;
            if make_main {
                contacts::make_main(&tx, agency_id, address)?;
                out.made_main = true;
            } else if let Some(main) = req.agency_email.as_deref().and_then(|m| contacts::normalize(m).ok())
                && contacts::get(&tx, agency_id, &main)?.is_some_and(|c| c.state == contacts::ContactState::Failing)
            {
                out.main_failing = Some(main);
            }
            out.due_on = request::find(&tx, &code)?.due_on;
        }
        Err(answer) => {
            tx.execute(
                "UPDATE communications SET state = 'failed', error = ?2 WHERE id = ?1",
                params![comm_id, answer],
            )?;
            out.error = Some(answer);
        }
    }
    tx.commit()?;
    Ok(out)
}

/// The message `resend` would send (to `to`, the bounced letter's words), for a dry run:
/// checked exactly as `resend` checks, nothing recorded.
pub fn resend_preview(conn: &Connection, code: &str, to: &str, sender: &Sender, today: NaiveDate) -> Result<Message> {
    let ResendPlan { req, bounced: b, address, .. } = resend_plan(conn, code, to)?;
    let (subject, body) = mail_store::letter_text(conn, b.letter_id)?;
    let letter = Letter {
        kind: b.letter,
        tracking_code: req.tracking_code.clone(),
        agency_key: req.agency_key.clone(),
        to: Some(address),
        subject,
        body,
        notes: Vec::new(),
    };
    let id = format!("<dry-run.{}@{}>", req.tracking_code, sender.from.email.domain());
    message_on(&letter, sender, &id, today)
}

/// A resend, checked.
struct ResendPlan {
    req: request::Request,
    bounced: mail_store::BouncedLetter,
    /// As given, trimmed.
    address: String,
    /// As contacts keep it.
    normalized: String,
    agency_id: i64,
}

/// Whether `resend` would go ahead (before a mail server is needed): the request has a bounced
/// letter waiting, nothing is left 'sending', and the address is one to send to.
pub fn check_resend(conn: &Connection, code: &str, to: &str) -> Result<()> {
    resend_plan(conn, code, to).map(|_| ())
}

fn resend_plan(conn: &Connection, code: &str, to: &str) -> Result<ResendPlan> {
    let req = request::find(conn, code)?;
    let code = req.tracking_code.clone();
    if let Some(p) = pending(conn)?.into_iter().find(|p| p.tracking_code == code) {
        return Err(Error::invalid(format!(
            "{}: a {} message from {} is still marked 'sending'; settle it first with `foiatrack send --resolve {} --was-sent|--not-sent`",
            p.tracking_code, p.letter, p.created_on, p.tracking_code
        )));
    }
    let Some(b) = mail_store::bounced_letter(conn, req.id)? else {
        return Err(Error::invalid(format!(
            "{code}: no letter of this request is waiting to be sent again after a bounce; `foiatrack request show {code}` lists its letters"
        )));
    };
    let address = to.trim().to_string();
    let normalized = contacts::normalize(&address).map_err(|e| Error::invalid(format!("{code}: --to: {e}")))?;
    if normalized.eq_ignore_ascii_case(&b.to) {
        return Err(Error::invalid(format!(
            "{code}: {normalized} is the address the {} letter bounced from; give another with --to",
            b.letter
        )));
    }
    let agency_id: i64 = conn.query_row("SELECT agency_id FROM requests WHERE id = ?1", [req.id], |r| r.get(0))?;
    if let Some(c) = contacts::get(conn, agency_id, &normalized)?
        && c.state == contacts::ContactState::Failing
    {
        return Err(Error::invalid(format!(
            "{code}: {normalized} is marked failing for {}{}; give another address, or mark it good first with `foiatrack agency contact mark {} {normalized} good`",
            req.agency_key,
            failing_why(&c),
            req.agency_key
        )));
    }
    Ok(ResendPlan { req, bounced: b, address, normalized, agency_id })
}

/// Logs a bounced letter sent again on `on`. A request letter moves the request's `sent` event
/// to that day (the first is voided, saying why: the agency never got it), so the deadline
/// counts from the letter the agency did get; when a later event would no longer fit, or for any
/// other letter, the resend is logged as a note. Returns whether the clock restarted.
fn record_resent(
    tx: &rusqlite::Transaction<'_>,
    req: &request::Request,
    b: &mail_store::BouncedLetter,
    how: &str,
    on: NaiveDate,
    today: NaiveDate,
) -> Result<bool> {
    let status = b.status.as_deref().map(|s| format!(" ({s})")).unwrap_or_default();
    let first = b.sent_on.map(|d| format!(" of {d}")).unwrap_or_default();
    let why = format!("the {} letter{first} to {} bounced{status}", b.letter, b.to);
    if b.letter == LetterKind::Request {
        let sent: Option<i64> = tx
            .query_row(
                "SELECT id FROM events WHERE request_id = ?1 AND kind = 'sent' AND voided_on IS NULL
                 ORDER BY on_date DESC, id DESC LIMIT 1",
                [req.id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(sent) = sent {
            tx.execute_batch("SAVEPOINT resend_clock")?;
            let attempt = (|| -> Result<bool> {
                request::void_event(tx, sent, &format!("{why}; sent again on {on}"), today)?;
                let mut e = NewEvent::new(EventKind::Sent, on);
                e.via = Some(Via::Email);
                e.note = Some(format!("sent again ({how}): {why}"));
                request::insert_event(tx, req.id, &e, today)?;
                Ok(crate::projection::recompute_checked(tx, req)?.is_ok())
            })();
            match attempt {
                Ok(true) => {
                    tx.execute_batch("RELEASE resend_clock")?;
                    return Ok(true);
                }
                Ok(false) => tx.execute_batch("ROLLBACK TO resend_clock; RELEASE resend_clock")?,
                Err(e) => {
                    tx.execute_batch("ROLLBACK TO resend_clock; RELEASE resend_clock")?;
                    return Err(e);
                }
            }
        }
    }
    let mut e = NewEvent::new(EventKind::Note, on);
    e.via = Some(Via::Email);
    e.note = Some(format!("{} letter sent again ({how}): {why}", capitalize_first(b.letter.as_str())));
    log_in(tx, &req.tracking_code, &e, today)?;
    Ok(false)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_and_matches_the_standard() {
        assert_eq!(base64_encode(b"\0jane\0hunter2", false), "AGphbmUAaHVudGVyMg==");
        assert_eq!(base64_encode(b"jane", false), "amFuZQ==");
        assert_eq!(base64_encode(b"\xfb\xff", true), "-_8=");
        for s in [&b""[..], b"a", b"ab", b"abc", b"abcd", b"\0\xff\x10"] {
            assert_eq!(base64_decode(&base64_encode(s, false)).unwrap(), s);
            assert_eq!(base64_decode(base64_encode(s, true).trim_end_matches('=')).unwrap(), s);
        }
        assert_eq!(base64_decode("abcde"), None);
        assert_eq!(base64_decode("ab*d"), None);
    }

    #[test]
    fn every_form_of_the_credential_is_redacted() {
        let r = Redactor::new("jane@news.example.org", "p@ss w0rd/+");
        let plain = base64_encode(b"\0jane@news.example.org\0p@ss w0rd/+", false);
        for leak in [
            format!("535 5.7.8 AUTH PLAIN {plain} rejected"),
            format!("535 AUTH PLAIN {} rejected", plain.trim_end_matches('=')),
            format!("535 AUTH PLAIN {} rejected", base64_encode(b"\0jane@news.example.org\0p@ss w0rd/+", true)),
            format!(
                "535 AUTH PLAIN {} rejected",
                base64_encode(b"jane@news.example.org\0jane@news.example.org\0p@ss w0rd/+", false)
            ),
            format!(
                "535 {} / {}",
                base64_encode(b"jane@news.example.org", false),
                base64_encode(b"p@ss w0rd/+", false)
            ),
            "535 bad password P@SS W0RD/+ for JANE@news.example.org".to_string(),
            "535 p%40ss%20w0rd%2F%2B and p%40ss+w0rd%2f%2b".to_string(),
            format!("535 truncated {}", &plain[..12]),
            format!("535 piece {}", base64_encode(b"w0rd/", false)),
        ] {
            let out = r.redact(&leak);
            for bad in ["p@ss", "w0rd", "P@SS", "jane", "JANE", "p%40ss", "AGphbmVA", "cEBzcyB3", "amFuZU", "w0rd"] {
                assert!(!out.contains(bad), "{bad} left in {out:?} (from {leak:?})");
            }
            assert!(out.contains(REDACTED), "{out}");
        }
        // Ordinary answers are left alone.
        for ok in [
            "550 5.1.1 <records@agency.example.org>: mailbox unavailable",
            "554 5.7.1 ACCESS DENIED: ADDRESS REJECTED Authentication required AAAA",
            "421 4.3.0 service shutting down",
        ] {
            assert_eq!(r.redact(ok), ok);
        }
        assert_eq!(Redactor::default().redact("535 anything"), "535 anything");
    }

    #[test]
    fn a_password_goes_in_clear_only_to_this_machine_or_when_allowed() {
        let check = |u: &str| check_encrypted(&url::Url::parse(u).unwrap());
        for ok in [
            "smtps://jane@smtp.example.org",
            "smtp://jane@smtp.example.org:587?tls=required",
            "smtp://jane@127.0.0.1:2525",
            "smtp://jane@127.8.9.10:25",
            "smtp://jane@[::1]:25",
            "smtp://jane@[::ffff:127.0.0.1]:25",
            "smtp://jane@localhost:25",
            "smtp://jane@LOCALHOST",
            "smtp://jane@smtp.example.org:25?allow_plaintext=true",
            "smtp://jane@smtp.example.org:587?tls=opportunistic&allow_plaintext=true",
        ] {
            assert!(check(ok).is_ok(), "{ok}");
        }
        for refused in [
            "smtp://jane@smtp.example.org",
            "smtp://jane@smtp.example.org:587?tls=opportunistic",
            "smtp://jane@128.0.0.1",
            "smtp://jane@localhost.example.org",
            "smtp://jane@0.0.0.0:25",
            "smtp://jane@smtp.example.org?allow_plaintext=false",
        ] {
            let e = check(refused).unwrap_err().to_string();
            assert!(e.starts_with("refusing to send the SMTP password to "), "{refused}: {e}");
            assert!(e.contains("allow_plaintext=true") && !e.contains("jane"), "{e}");
        }
        assert!(check("smtp://jane@smtp.example.org?allow_plaintext=maybe").is_err());
    }

    #[test]
    fn control_characters_become_visible() {
        assert_eq!(visible("plain text, é ü"), "plain text, é ü");
        assert_eq!(visible("a\u{1b}[2Jb\0c\u{7f}d\u{9b}e\u{202e}f\n"), "a\\x1b[2Jb\\x00c\\x7fd\\u{9b}e\\u{202e}f\\x0a");
    }

    #[test]
    fn the_date_header_is_noon_utc_of_today() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let secs = date_header(d).duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
        assert_eq!(secs, 1_772_452_800);
    }
}
