//! `mail fetch`: new messages read from an IMAP folder and imported exactly as `mail import`
//! imports a file ([`import_message`]), optionally moved or flagged on the server afterwards.
//!
//! # Each message once
//!
//! Per folder (account, server host and port, folder) `mailbox_state` keeps the folder's UIDVALIDITY and the
//! highest UID read. A fetch asks the server only for messages above it.
//!
//! - **Killed midway.** Each message is imported in import's own transaction; the folder's last
//!   UID is advanced right after, in a second one (it only ever grows: `max`). A fetch killed
//!   between the two reads that message again next time, and import recognises it by its
//!   Message-ID or, without one, its content: it is reported as already imported, never stored
//!   twice. With `--move-to`/`--flag` the last UID advances only once the batch's messages have
//!   been moved or flagged, so a fetch killed before that finds them again, sees they are already
//!   imported, and moves or flags them then.
//! - **Two at once.** Before reading, a fetch claims the folder's row: check and claim happen in
//!   one `BEGIN IMMEDIATE` transaction, so only one of two concurrent fetches gets it. The other
//!   names the holder and stops (with `--watch` it waits and takes over when the claim ends). A
//!   claim says which process holds it ("pid 4242 on HOST") and lasts [`LEASE`] (more with a
//!   long `--interval`) unless renewed, which the holder does after every batch; a claim by a
//!   process of this machine that is no longer running ends at once, so a fetch killed with
//!   SIGKILL does not hold up the next one. Should two imports of one message still meet (a
//!   `mail import` of the same file at the same moment), the database's uniqueness of
//!   Message-ID and content refuses the second, which is then retried and found already imported.
//! - **UIDVALIDITY changed.** The server has renumbered the folder (it was recreated, restored
//!   or moved to another server): every remembered UID is meaningless. The folder is read again
//!   from its first message, said in a note; import's own recognition keeps what was already
//!   imported from being imported twice.
//!
//! Moving (UID MOVE, or UID COPY + \Deleted + UID EXPUNGE on servers without MOVE) or flagging
//! happens only after the import committed, and only for messages imported or found already
//! imported; a skipped message stays where it was, untouched.
//!
//! # The password
//!
//! It comes from the caller (the CLI reads `FOIATRACK_IMAP_PASSWORD`), or from the URL, and
//! goes only to the server: over TLS (`imaps://`, or `imap://...?tls=starttls`), or in clear to
//! this machine (127.0.0.0/8, ::1, localhost) and nowhere else. Every answer of the server that
//! reaches an error or a note goes through the same [`Redactor`] as SMTP answers (the user and
//! the password, in every encoding, are replaced by `********`), and no error names the URL.
//!
//! # Time
//!
//! The claim's lease is measured in wall-clock seconds (`SystemTime`), the only clock read
//! here; dates recorded on messages come from the caller's `today`.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_imap::imap_proto::{Response, Status};
use chrono::NaiveDate;
use futures_util::{StreamExt as _, TryStreamExt as _};
use rusqlite::Connection;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::ops::mail::{Imported, Skipped, import_message};
use crate::ops::send::{Redactor, is_loopback, visible};
use crate::store::files::FileStore;
use crate::store::mailbox::{self, FolderKey};
use crate::{Error, Result};

/// How long a claim on a folder lasts unless renewed.
pub const LEASE: Duration = Duration::from_secs(300);
/// A larger message is skipped (and reported), not downloaded.
pub const MAX_MESSAGE_BYTES: u32 = 64 << 20;
/// Messages downloaded per command, and bytes at most (unless one message is larger).
const BATCH_MESSAGES: usize = 50;
const BATCH_BYTES: u64 = 16 << 20;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);
const BATCH_TIMEOUT: Duration = Duration::from_secs(600);
/// With `--watch`, after a lost connection: wait 1 s, then 2, 4, ... at most this long.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// How the connection is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// `imaps://`: TLS from the first byte (port 993 by default).
    Implicit,
    /// `imap://...?tls=starttls`: plain, then STARTTLS before logging in (port 143 by default).
    StartTls,
    /// `imap://` to this machine only: no encryption.
    None,
}

/// What happens on the server to a message once it is imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Afterwards {
    /// Nothing: the message stays as it is (not even marked as read).
    Leave,
    /// Moved to this folder, which must exist.
    MoveTo(String),
    /// This flag is set: `\Seen`, `\Flagged`, `\Answered`, or a keyword.
    Flag(String),
}

impl Afterwards {
    /// `--flag VALUE` checked: a system flag that does not delete, or a keyword (an IMAP atom).
    pub fn flag(value: &str) -> Result<Self> {
        let system = ["\\Seen", "\\Flagged", "\\Answered"];
        if let Some(s) = system.iter().find(|s| s.eq_ignore_ascii_case(value)) {
            return Ok(Afterwards::Flag(s.to_string()));
        }
        let atom = !value.is_empty()
            && value.len() <= 100
            && value.bytes().all(|b| b.is_ascii_graphic() && !b"(){%*\"\\]".contains(&b));
        if !atom {
            return Err(Error::invalid(format!(
                "--flag '{}' is neither \\Seen, \\Flagged, \\Answered nor a keyword (letters, digits and marks such as $ - _ . without spaces)",
                visible(value)
            )));
        }
        Ok(Afterwards::Flag(value.to_string()))
    }

    /// `--move-to FOLDER` checked.
    pub fn move_to(folder: &str) -> Result<Self> {
        check_folder(folder, "--move-to")?;
        Ok(Afterwards::MoveTo(folder.to_string()))
    }
}

fn check_folder(folder: &str, what: &str) -> Result<()> {
    if folder.is_empty() || folder.len() > 1000 {
        return Err(Error::invalid(format!("the folder in {what} must have 1 to 1000 characters")));
    }
    if folder.chars().any(|c| c.is_control() || c == '*' || c == '%') {
        return Err(Error::invalid(format!(
            "the folder '{}' in {what} contains a control character, * or %",
            visible(folder)
        )));
    }
    Ok(())
}

/// An IMAP folder to read and how to reach it: from a URL such as
/// `imaps://jane@imap.newsroom.example.org/INBOX` or
/// `imap://jane@imap.example.org:143/Records?tls=starttls`, and the password.
pub struct Account {
    /// To connect to (an IPv6 address without brackets).
    host: String,
    /// As shown and remembered: lowercase, IPv6 in brackets.
    shown_host: String,
    port: u16,
    tls: Tls,
    user: String,
    password: String,
    folder: String,
    tls_config: Arc<rustls::ClientConfig>,
    /// Remove the credentials from the server's answers.
    redactors: Vec<Redactor>,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("host", &self.shown_host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("folder", &self.folder)
            .finish_non_exhaustive()
    }
}

impl Account {
    /// `url` may hold credentials: no error names it. The password is `password` when given,
    /// else the one in the URL. `extra_ca` is PEM text of certificates to trust besides the
    /// usual public ones (a server with its own certificate authority), with its file's name
    /// for messages.
    pub fn new(url: &str, password: Option<&str>, extra_ca: Option<(&str, &[u8])>) -> Result<Self> {
        let parsed = url::Url::parse(url.trim()).map_err(|e| {
            Error::invalid(format!(
                "the IMAP URL is not a valid URL ({e}); use e.g. imaps://USER@imap.example.org/INBOX"
            ))
        })?;
        let decode = |s: &str, what: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(Cow::into_owned)
                .map_err(|_| Error::invalid(format!("the {what} in the IMAP URL is not valid UTF-8")))
        };
        let tls_param = parsed.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.to_ascii_lowercase());
        if let Some((k, _)) = parsed.query_pairs().find(|(k, _)| k != "tls") {
            return Err(Error::invalid(format!(
                "the IMAP URL has an unknown setting '{}' (only ?tls=starttls is understood)",
                visible(&k)
            )));
        }
        let tls = match (parsed.scheme(), tls_param.as_deref()) {
            ("imaps", None) => Tls::Implicit,
            ("imap", None) => Tls::None,
            ("imap", Some("starttls" | "required")) => Tls::StartTls,
            ("imap", Some(other)) => {
                return Err(Error::invalid(format!(
                    "tls={} in the IMAP URL: the only setting is tls=starttls (for TLS from the first byte use imaps://)",
                    visible(other)
                )));
            }
            ("imaps", Some(_)) => {
                return Err(Error::invalid("imaps:// is TLS already: remove ?tls= from the IMAP URL"));
            }
            (other, _) => {
                return Err(Error::invalid(format!(
                    "the IMAP URL starts with '{}:'; use imaps://USER@HOST/FOLDER, or imap://USER@HOST/FOLDER?tls=starttls",
                    visible(other)
                )));
            }
        };
        let shown_host = match parsed.host_str() {
            Some(h) if !h.is_empty() => h.to_ascii_lowercase(),
            _ => return Err(Error::invalid("the IMAP URL names no server: imaps://USER@HOST/FOLDER")),
        };
        if shown_host.len() > 255 {
            return Err(Error::invalid("the server's name in the IMAP URL is longer than 255 characters"));
        }
        let host = shown_host.trim_start_matches('[').trim_end_matches(']').to_string();
        let port = parsed.port().unwrap_or(if tls == Tls::Implicit { 993 } else { 143 });
        let user = decode(parsed.username(), "user name")?;
        if user.len() > 320 {
            return Err(Error::invalid("the user name in the IMAP URL is longer than 320 characters"));
        }
        if user.is_empty() {
            return Err(Error::invalid(
                "the IMAP URL names no user: imaps://USER@HOST/FOLDER (the password goes in FOIATRACK_IMAP_PASSWORD)",
            ));
        }
        let password = match password.filter(|p| !p.is_empty()) {
            Some(pw) => pw.to_string(),
            None => match parsed.password().map(|p| decode(p, "password")).transpose()?.filter(|p| !p.is_empty()) {
                Some(pw) => pw,
                None => {
                    return Err(Error::invalid(
                        "set FOIATRACK_IMAP_PASSWORD to the mailbox's password (it is never stored or printed)",
                    ));
                }
            },
        };
        if user.chars().chain(password.chars()).any(|c| c == '\r' || c == '\n' || c == '\0') {
            return Err(Error::invalid("the IMAP user name or password contains a line break or NUL"));
        }
        // An answer that echoes the LOGIN line shows them as IMAP quoted strings, and the IMAP
        // library quotes the server's words as Rust string literals: redact those forms too.
        let quoted = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
        let debug = |s: &str| s.escape_debug().to_string();
        let mut redactors = vec![Redactor::new(&user, &password)];
        for (u, p) in [
            (quoted(&user), quoted(&password)),
            (debug(&user), debug(&password)),
            (debug(&quoted(&user)), debug(&quoted(&password))),
        ] {
            if u != user || p != password {
                redactors.push(Redactor::new(&u, &p));
            }
        }
        if tls == Tls::None && !is_loopback(&parsed) {
            return Err(Error::invalid(format!(
                "refusing to send the IMAP password to {} over a connection that is not encrypted: use imaps://, or imap://...?tls=starttls",
                visible(&shown_host)
            )));
        }
        let raw_path = parsed.path();
        if raw_path.contains(';') {
            return Err(Error::invalid(
                "the IMAP URL's folder has ';' in it: give just the folder, e.g. imaps://USER@HOST/INBOX (write %3B for a ';' in its name)",
            ));
        }
        let folder = decode(raw_path.trim_start_matches('/').trim_end_matches('/'), "folder")?;
        let folder = if folder.is_empty() { "INBOX".to_string() } else { folder };
        check_folder(&folder, "the IMAP URL")?;
        let tls_config = Arc::new(tls_config(extra_ca)?);
        Ok(Account { host, shown_host, port, tls, user, password, folder, tls_config, redactors })
    }

    /// The folder as remembered in `mailbox_state`. The server is its host and port: two ports
    /// of one host may be two servers (two tunnels to two mailboxes), whose UIDs must not mix.
    /// Reaching the same server on another port (993 instead of 143) reads its folders again
    /// once, and import recognises what it has.
    pub fn key(&self) -> FolderKey {
        FolderKey {
            account: self.user.clone(),
            host: format!("{}:{}", self.shown_host, self.port),
            folder: self.folder.clone(),
        }
    }

    /// "INBOX at imap.example.org", for messages.
    pub fn describe(&self) -> String {
        format!("{} at {}", visible(&self.folder), visible(&self.shown_host))
    }

    pub fn tls(&self) -> Tls {
        self.tls
    }

    /// Where a message came from, as recorded on it: an RFC 5092 IMAP URL without credentials,
    /// `imap://imap.example.org/INBOX;UIDVALIDITY=385759045/;UID=20`.
    pub fn source(&self, uidvalidity: u32, uid: u32) -> String {
        let port = match (self.tls, self.port) {
            (Tls::Implicit, 993) | (Tls::StartTls | Tls::None, 143) => String::new(),
            (_, p) => format!(":{p}"),
        };
        const SET: &percent_encoding::AsciiSet =
            &percent_encoding::CONTROLS.add(b' ').add(b'"').add(b'#').add(b'%').add(b';').add(b'?').add(b'<').add(b'>');
        let folder = percent_encoding::utf8_percent_encode(&self.folder, SET);
        format!("imap://{}{port}/{folder};UIDVALIDITY={uidvalidity}/;UID={uid}", self.shown_host)
    }

    /// What an IMAP error says, safe to show: for a refusal (NO, BAD) the server's own words
    /// without the library's wrapping, credentials removed, control characters made visible.
    fn words(&self, e: &async_imap::error::Error) -> String {
        let text = self.clean(&e.to_string());
        static INFO: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
        let info =
            INFO.get_or_init(|| regex::Regex::new(r#"info(?:rmation)?: Some\("(.*)"\)"#).expect("a valid pattern"));
        match info.captures(&text) {
            Some(c) if matches!(e, async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_)) => {
                let kind = if matches!(e, async_imap::error::Error::No(_)) { "NO" } else { "BAD" };
                format!("{kind} {}", &c[1])
            }
            _ => text,
        }
    }

    /// A server's answer, safe to show: credentials removed, control characters made visible.
    fn clean(&self, text: &str) -> String {
        let text = self.redactors.iter().fold(text.to_string(), |t, r| r.redact(&t));
        visible(&text).into_owned()
    }
}

/// The public certificate authorities, plus the ones in `extra` (PEM).
fn tls_config(extra: Option<(&str, &[u8])>) -> Result<rustls::ClientConfig> {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    if let Some((name, pem)) = extra {
        let mut added = 0;
        for cert in rustls_pki_types::CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| Error::invalid(format!("{name}: not a PEM certificate file ({e})")))?;
            roots.add(cert).map_err(|e| Error::invalid(format!("{name}: a certificate in it cannot be used ({e})")))?;
            added += 1;
        }
        if added == 0 {
            return Err(Error::invalid(format!(
                "{name}: no certificate in it (expected PEM: -----BEGIN CERTIFICATE-----)"
            )));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Internal(format!("TLS setup: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// What a fetch reports as it goes.
#[derive(Debug)]
pub enum Progress<'a> {
    /// A message imported, or found already imported.
    Imported(&'a Imported),
    /// A message that could not be imported; it stays on the server as it is.
    Skipped(&'a Skipped),
    /// Something a person should know: a changed UIDVALIDITY, another fetch holding the
    /// folder, a lost connection and when it is tried again.
    Note(&'a str),
}

/// Tells a watching fetch to stop: it finishes the message it is importing, logs out and returns.
pub type Stop = tokio::sync::watch::Receiver<bool>;

/// How a pass over the folder ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pass {
    Read,
    /// Another fetch holds the folder: who.
    Busy(String),
    Stopped,
}

/// A failure, and whether trying again later may help (a lost connection) or not (a refused
/// password, a missing folder, a database error).
#[derive(Debug)]
enum Failure {
    Fatal(Error),
    Transient(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Fatal(e)
    }
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug> Io for T {}
type Session = async_imap::Session<Box<dyn Io>>;

/// Reads new messages from the folder once and imports them. Returns `false` (after a note)
/// when another fetch was reading the folder, so this one read nothing.
pub async fn fetch(
    conn: &mut Connection,
    store: &FileStore,
    account: &Account,
    afterwards: &Afterwards,
    today: NaiveDate,
    on: &mut dyn FnMut(Progress<'_>),
) -> Result<bool> {
    let (_tx, stop) = tokio::sync::watch::channel(false);
    let mut reader = Reader::new(conn, store, account, afterwards, LEASE, on);
    let result = async {
        let mut session = reader.open().await?;
        let pass = reader.pass(&mut session, today, &mut stop.clone()).await;
        if pass.is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(5), session.logout()).await;
        }
        pass
    }
    .await;
    reader.release();
    match result {
        Ok(Pass::Busy(holder)) => {
            (reader.on)(Progress::Note(&format!(
                "{holder} is reading {} now; this fetch read nothing (it will import what arrives)",
                account.describe()
            )));
            Ok(false)
        }
        Ok(_) => Ok(true),
        Err(Failure::Transient(e)) => Err(Error::invalid(format!(
            "{e}; what was imported before this is kept, and the next fetch goes on from there"
        ))),
        Err(Failure::Fatal(e)) => Err(e),
    }
}

/// Keeps reading the folder until `stop` says so: new messages as the server announces them
/// (IDLE), or every `interval` when it cannot, and at least every `interval` either way. A lost
/// connection is retried after 1 s, 2 s, 4 s ... at most 5 minutes apart; a refused password, a
/// missing folder or a database error ends it with that error. `today` is asked before each look
/// at the folder.
#[allow(clippy::too_many_arguments)]
pub async fn watch(
    conn: &mut Connection,
    store: &FileStore,
    account: &Account,
    afterwards: &Afterwards,
    interval: Duration,
    today: &dyn Fn() -> NaiveDate,
    mut stop: Stop,
    on: &mut dyn FnMut(Progress<'_>),
) -> Result<()> {
    let lease = LEASE + interval * 2;
    let mut reader = Reader::new(conn, store, account, afterwards, lease, on);
    let result = reader.watch(interval, today, &mut stop).await;
    reader.release();
    result
}

/// Waits for `fut`, or for the stop signal (then `None`).
async fn or_stop<F: Future>(stop: &mut Stop, fut: F) -> Option<F::Output> {
    if *stop.borrow() {
        return None;
    }
    tokio::select! {
        out = fut => Some(out),
        _ = stopped(stop) => None,
    }
}

/// Resolves once the stop signal is given (or its sender is gone without giving it: never).
async fn stopped(stop: &mut Stop) {
    loop {
        if *stop.borrow_and_update() {
            return;
        }
        if stop.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

struct Reader<'a> {
    conn: &'a mut Connection,
    store: &'a FileStore,
    account: &'a Account,
    afterwards: &'a Afterwards,
    lease: Duration,
    /// "pid 4242 on HOST".
    owner: String,
    /// Whether this fetch holds the folder's claim.
    claimed: bool,
    /// The server can MOVE; else COPY + \Deleted + UID EXPUNGE.
    can_move: bool,
    /// The server can announce new mail (IDLE); else the folder is polled.
    can_idle: bool,
    on: &'a mut dyn FnMut(Progress<'_>),
}

impl<'a> Reader<'a> {
    fn new(
        conn: &'a mut Connection,
        store: &'a FileStore,
        account: &'a Account,
        afterwards: &'a Afterwards,
        lease: Duration,
        on: &'a mut dyn FnMut(Progress<'_>),
    ) -> Self {
        Reader {
            conn,
            store,
            account,
            afterwards,
            lease,
            owner: format!("pid {} on {}", std::process::id(), hostname()),
            claimed: false,
            can_move: false,
            can_idle: false,
            on,
        }
    }

    fn note(&mut self, text: &str) {
        (self.on)(Progress::Note(text));
    }

    async fn watch(&mut self, interval: Duration, today: &dyn Fn() -> NaiveDate, stop: &mut Stop) -> Result<()> {
        let mut backoff = Duration::from_secs(1);
        let mut said_busy = false;
        'connect: loop {
            let session = match or_stop(stop, self.open()).await {
                None => return Ok(()),
                Some(Ok(s)) => s,
                Some(Err(Failure::Fatal(e))) => return Err(e),
                Some(Err(Failure::Transient(e))) => {
                    self.note(&format!("{e}; trying again in {} s", backoff.as_secs()));
                    if or_stop(stop, tokio::time::sleep(backoff)).await.is_none() {
                        return Ok(());
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue 'connect;
                }
            };
            let mut session = Some(session);
            loop {
                let Some(mut s) = session.take() else { continue 'connect };
                let pass = self.pass(&mut s, today(), stop).await;
                let failure = match pass {
                    Ok(Pass::Stopped) => {
                        let _ = tokio::time::timeout(Duration::from_secs(5), s.logout()).await;
                        return Ok(());
                    }
                    Ok(Pass::Read) => {
                        backoff = Duration::from_secs(1);
                        said_busy = false;
                        None
                    }
                    Ok(Pass::Busy(holder)) => {
                        if !said_busy {
                            self.note(&format!(
                                "{holder} is reading {} now; waiting, and taking over if it stops",
                                self.account.describe()
                            ));
                            said_busy = true;
                        }
                        None
                    }
                    Err(f) => Some(f),
                };
                let waited = match failure {
                    Some(f) => Err(f),
                    None => self.wait(s, interval, stop).await,
                };
                match waited {
                    Ok(Some(s)) => session = Some(s),
                    Ok(None) => return Ok(()),
                    Err(Failure::Fatal(e)) => return Err(e),
                    Err(Failure::Transient(e)) => {
                        self.release();
                        self.note(&format!("{e}; connecting again in {} s", backoff.as_secs()));
                        if or_stop(stop, tokio::time::sleep(backoff)).await.is_none() {
                            return Ok(());
                        }
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                        continue 'connect;
                    }
                }
            }
        }
    }

    /// Waits until the server announces a change (IDLE) or `interval` passes; `None` when
    /// stopped (after logging out).
    async fn wait(
        &mut self,
        mut session: Session,
        interval: Duration,
        stop: &mut Stop,
    ) -> std::result::Result<Option<Session>, Failure> {
        if !self.can_idle {
            if or_stop(stop, tokio::time::sleep(interval)).await.is_none() {
                let _ = tokio::time::timeout(Duration::from_secs(5), session.logout()).await;
                return Ok(None);
            }
            return Ok(Some(session));
        }
        let mut handle = session.idle();
        self.timed(COMMAND_TIMEOUT, "start waiting for new mail (IDLE)", handle.init()).await?;
        let stopped_now = {
            let (wait, _interrupt) = handle.wait_with_timeout(interval);
            tokio::select! {
                r = wait => {
                    r.map_err(|e| self.server_error("wait for new mail", e))?;
                    false
                }
                _ = tokio::time::sleep(interval) => false,
                _ = stopped(stop) => true,
            }
        };
        if stopped_now {
            if let Ok(Ok(mut s)) = tokio::time::timeout(Duration::from_secs(5), handle.done()).await {
                let _ = tokio::time::timeout(Duration::from_secs(5), s.logout()).await;
            }
            return Ok(None);
        }
        let session = self.timed(COMMAND_TIMEOUT, "stop waiting for new mail (IDLE)", handle.done()).await?;
        Ok(Some(session))
    }

    /// Connects, encrypts, logs in, and checks what `afterwards` needs.
    async fn open(&mut self) -> std::result::Result<Session, Failure> {
        let a = self.account;
        let lost = |what: &str, e: std::io::Error| {
            Failure::Transient(Error::invalid(format!("cannot {what} {}:{} ({e})", visible(&a.shown_host), a.port)))
        };
        let tcp = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((a.host.as_str(), a.port))).await {
            Err(_) => return Err(lost("connect to", std::io::Error::from(std::io::ErrorKind::TimedOut))),
            Ok(Err(e)) => return Err(lost("connect to", e)),
            Ok(Ok(t)) => t,
        };
        let stream: Box<dyn Io> = match a.tls {
            Tls::Implicit => Box::new(self.handshake(tcp).await?),
            Tls::None => Box::new(tcp),
            Tls::StartTls => {
                let mut client = async_imap::Client::new(tcp);
                self.greeting(&mut client).await?;
                let started =
                    self.timed(COMMAND_TIMEOUT, "start TLS", client.run_command_and_check_ok("STARTTLS", None)).await;
                if let Err(Failure::Fatal(e)) = started {
                    return Err(Failure::Fatal(Error::invalid(format!(
                        "{e}; use imaps:// if the server offers TLS on a port of its own"
                    ))));
                }
                started?;
                // Whatever the server sent after its answer, before TLS, is dropped unread.
                Box::new(self.handshake(client.into_inner()).await?)
            }
        };
        let mut client = async_imap::Client::new(stream);
        if a.tls != Tls::StartTls {
            self.greeting(&mut client).await?;
        }
        let login = tokio::time::timeout(COMMAND_TIMEOUT, client.login(&a.user, &a.password)).await;
        let mut session = match login {
            Err(_) => return Err(self.timeout("log in")),
            Ok(Ok(s)) => s,
            Ok(Err((e @ (async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_)), _))) => {
                return Err(Failure::Fatal(Error::invalid(format!(
                    "{} refused the login ({}); check the user in the IMAP URL and FOIATRACK_IMAP_PASSWORD",
                    visible(&a.shown_host),
                    a.words(&e)
                ))));
            }
            Ok(Err((e, _))) => return Err(self.server_error("log in", e)),
        };
        let caps = self.timed(COMMAND_TIMEOUT, "ask the server what it supports", session.capabilities()).await?;
        self.can_move = caps.has_str("MOVE");
        self.can_idle = caps.has_str("IDLE");
        match self.afterwards {
            Afterwards::MoveTo(dest) => {
                if !self.can_move && !caps.has_str("UIDPLUS") {
                    return Err(Failure::Fatal(Error::invalid(format!(
                        "{} can neither MOVE messages nor expunge single ones (UIDPLUS); use --flag instead of --move-to",
                        visible(&a.shown_host)
                    ))));
                }
                if dest == &a.folder {
                    return Err(Failure::Fatal(Error::invalid("--move-to names the folder being read")));
                }
                let status =
                    tokio::time::timeout(COMMAND_TIMEOUT, session.status(mailbox_name(dest), "(MESSAGES)")).await;
                match status {
                    Err(_) => return Err(self.timeout("look up the --move-to folder")),
                    Ok(Ok(_)) => {}
                    Ok(Err(e @ (async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_)))) => {
                        return Err(Failure::Fatal(Error::invalid(format!(
                            "the --move-to folder '{}' cannot be used at {} ({}); create it first, or name another",
                            visible(dest),
                            visible(&a.shown_host),
                            a.words(&e)
                        ))));
                    }
                    Ok(Err(e)) => return Err(self.server_error("look up the --move-to folder", e)),
                }
            }
            Afterwards::Flag(_) | Afterwards::Leave => {}
        }
        Ok(session)
    }

    /// The server's greeting: `* OK` (after any "please wait" line), else its refusal.
    async fn greeting<T: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug>(
        &self,
        client: &mut async_imap::Client<T>,
    ) -> std::result::Result<(), Failure> {
        let host = visible(&self.account.shown_host).into_owned();
        let read = tokio::time::timeout(CONNECT_TIMEOUT, client.read_response()).await;
        let response = match read {
            Err(_) => return Err(self.timeout("receive the server's greeting")),
            Ok(Err(e)) => {
                return Err(Failure::Transient(Error::invalid(format!("lost the connection to {host} ({e})"))));
            }
            Ok(Ok(None)) => {
                return Err(Failure::Transient(Error::invalid(format!(
                    "{host} closed the connection without a greeting"
                ))));
            }
            Ok(Ok(Some(r))) => r,
        };
        match response.parsed() {
            Response::Data { status: Status::Ok | Status::PreAuth, .. } => Ok(()),
            Response::Data { status: Status::Bye, outcome } => Err(Failure::Transient(Error::invalid(format!(
                "{host} turned the connection away ({})",
                self.account.clean(outcome.information.as_deref().unwrap_or(""))
            )))),
            _ => Err(Failure::Fatal(Error::invalid(format!("{host} does not greet like an IMAP server")))),
        }
    }

    async fn handshake(
        &self,
        tcp: TcpStream,
    ) -> std::result::Result<tokio_rustls::client::TlsStream<TcpStream>, Failure> {
        let a = self.account;
        let name = rustls_pki_types::ServerName::try_from(a.host.clone()).map_err(|_| {
            Failure::Fatal(Error::invalid(format!("'{}' is not a host name TLS can check", visible(&a.shown_host))))
        })?;
        let connector = tokio_rustls::TlsConnector::from(a.tls_config.clone());
        match tokio::time::timeout(CONNECT_TIMEOUT, connector.connect(name, tcp)).await {
            Err(_) => Err(self.timeout("set up TLS with")),
            Ok(Ok(s)) => Ok(s),
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::InvalidData => Err(Failure::Fatal(Error::invalid(format!(
                "TLS with {}:{} failed ({e}); if the server's certificate comes from your own authority, set FOIATRACK_IMAP_CA_FILE to its PEM file",
                visible(&a.shown_host),
                a.port
            )))),
            Ok(Err(e)) => Err(Failure::Transient(Error::invalid(format!(
                "lost the connection to {}:{} while setting up TLS ({e})",
                visible(&a.shown_host),
                a.port
            )))),
        }
    }

    fn timeout(&self, what: &str) -> Failure {
        Failure::Transient(Error::invalid(format!(
            "no answer from {} within the time allowed to {what}",
            visible(&self.account.shown_host)
        )))
    }

    /// An IMAP error while trying to `what` ("download messages"), in words: a refusal (NO,
    /// BAD) is fatal, a lost connection is not.
    fn server_error(&self, what: &str, e: async_imap::error::Error) -> Failure {
        use async_imap::error::Error as E;
        let host = visible(&self.account.shown_host);
        let words = self.account.words(&e);
        match e {
            E::Io(_) | E::ConnectionLost | E::Parse(_) => Failure::Transient(Error::invalid(format!(
                "lost the connection to {host} while trying to {what} ({words})"
            ))),
            _ => Failure::Fatal(Error::invalid(format!("{host} refused to {what} ({words})"))),
        }
    }

    async fn timed<T, F: Future<Output = async_imap::error::Result<T>>>(
        &self,
        limit: Duration,
        what: &str,
        fut: F,
    ) -> std::result::Result<T, Failure> {
        match tokio::time::timeout(limit, fut).await {
            Err(_) => Err(self.timeout(what)),
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(self.server_error(what, e)),
        }
    }

    /// Claims the folder and settles its UIDVALIDITY: the last UID read, or who holds it.
    fn claim(&mut self, uidvalidity: u32, today: NaiveDate) -> Result<std::result::Result<u32, String>> {
        let key = self.account.key();
        let now = unix_now();
        let until = now + self.lease.as_secs() as i64;
        let tx = super::begin(self.conn)?;
        let state = mailbox::get(&tx, &key)?;
        if let Some(s) = &state
            && let (Some(holder), Some(held_until)) = (&s.claimed_by, s.claimed_until)
            && holder != &self.owner
            && held_until > now
            && still_running(holder)
        {
            return Ok(Err(holder.clone()));
        }
        let last = match state {
            Some(s) if s.uidvalidity == uidvalidity => {
                mailbox::claim(&tx, &key, &self.owner, until)?;
                s.last_uid
            }
            Some(s) => {
                mailbox::start(&tx, &key, uidvalidity, &self.owner, until, today)?;
                let note = format!(
                    "the server renumbered {} (UIDVALIDITY was {}, now {uidvalidity}); reading the folder again from its first message: messages imported before are recognised and not imported twice",
                    self.account.describe(),
                    s.uidvalidity
                );
                tx.commit()?;
                self.claimed = true;
                self.note(&note);
                return Ok(Ok(0));
            }
            None => {
                mailbox::start(&tx, &key, uidvalidity, &self.owner, until, today)?;
                0
            }
        };
        tx.commit()?;
        self.claimed = true;
        Ok(Ok(last))
    }

    /// Gives the claim up, if held (best effort: a claim left behind lapses).
    fn release(&mut self) {
        if !self.claimed {
            return;
        }
        self.claimed = false;
        let key = self.account.key();
        if let Ok(tx) = super::begin(self.conn)
            && mailbox::release(&tx, &key, &self.owner).is_ok()
        {
            let _ = tx.commit();
        }
    }

    fn advance(&mut self, uidvalidity: u32, uid: u32, today: NaiveDate) -> Result<()> {
        let key = self.account.key();
        let until = unix_now() + self.lease.as_secs() as i64;
        let tx = super::begin(self.conn)?;
        mailbox::advance(&tx, &key, uidvalidity, uid, today)?;
        mailbox::claim(&tx, &key, &self.owner, until)?;
        tx.commit()?;
        Ok(())
    }

    /// One pass: the messages above the last UID read, imported in UID order.
    async fn pass(
        &mut self,
        session: &mut Session,
        today: NaiveDate,
        stop: &mut Stop,
    ) -> std::result::Result<Pass, Failure> {
        let a = self.account;
        let name = mailbox_name(&a.folder);
        let selected = match self.afterwards {
            Afterwards::Leave => tokio::time::timeout(COMMAND_TIMEOUT, session.examine(&name)).await,
            _ => tokio::time::timeout(COMMAND_TIMEOUT, session.select(&name)).await,
        };
        let mailbox = match selected {
            Err(_) => return Err(self.timeout("open the folder")),
            Ok(Ok(m)) => m,
            Ok(Err(e @ (async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_)))) => {
                return Err(Failure::Fatal(Error::invalid(format!(
                    "cannot open {} ({}); check the folder in the IMAP URL",
                    a.describe(),
                    a.words(&e)
                ))));
            }
            Ok(Err(e)) => return Err(self.server_error(&format!("open {}", a.describe()), e)),
        };
        let Some(uidvalidity) = mailbox.uid_validity.filter(|v| *v > 0) else {
            return Err(Failure::Fatal(Error::invalid(format!(
                "{} did not say the UIDVALIDITY of the folder, so what was read cannot be remembered",
                visible(&a.shown_host)
            ))));
        };
        let last = match self.claim(uidvalidity, today)? {
            Ok(last) => last,
            Err(holder) => return Ok(Pass::Busy(holder)),
        };
        if mailbox.exists == 0 || last == u32::MAX {
            return Ok(Pass::Read);
        }
        // "N:*" always includes the last message, even when its UID is below N: filtered below.
        let listed = self
            .timed(COMMAND_TIMEOUT, "list the new messages", async {
                let stream = session.uid_fetch(format!("{}:*", last + 1), "(UID RFC822.SIZE)").await?;
                stream.try_collect::<Vec<_>>().await
            })
            .await?;
        let mut new: Vec<(u32, u32)> =
            listed.iter().filter_map(|f| Some((f.uid?, f.size.unwrap_or(0)))).filter(|(uid, _)| *uid > last).collect();
        new.sort_unstable();
        new.dedup_by_key(|(uid, _)| *uid);
        for batch in batches(&new) {
            if *stop.borrow() {
                return Ok(Pass::Stopped);
            }
            if !self.batch(session, uidvalidity, &batch, today, stop).await? {
                return Ok(Pass::Stopped);
            }
        }
        Ok(Pass::Read)
    }

    /// Downloads and imports one batch (UIDs ascending); `false` when stopped midway.
    async fn batch(
        &mut self,
        session: &mut Session,
        uidvalidity: u32,
        batch: &[(u32, u32)],
        today: NaiveDate,
        stop: &mut Stop,
    ) -> std::result::Result<bool, Failure> {
        let a = self.account;
        let leave = *self.afterwards == Afterwards::Leave;
        let mut done: BTreeSet<u32> = BTreeSet::new();
        let mut to_act: Vec<u32> = Vec::new();
        let mut wanted: Vec<u32> = Vec::new();
        for &(uid, size) in batch {
            if size > MAX_MESSAGE_BYTES {
                let skipped = Skipped {
                    source: a.source(uidvalidity, uid),
                    message: None,
                    offset: None,
                    reason: format!(
                        "{size} bytes, more than the {} MiB a fetched message may have; save it from the mail program and use `mail import`",
                        MAX_MESSAGE_BYTES >> 20
                    ),
                };
                (self.on)(Progress::Skipped(&skipped));
                done.insert(uid);
            } else {
                wanted.push(uid);
            }
        }
        let mut next = 0; // batch[..next] is done
        if !wanted.is_empty() {
            let deadline = tokio::time::Instant::now() + BATCH_TIMEOUT;
            let started =
                tokio::time::timeout_at(deadline, session.uid_fetch(uid_set(&wanted), "(UID RFC822.SIZE BODY.PEEK[])"))
                    .await;
            let mut stream = match started {
                Err(_) => return Err(self.timeout("download messages")),
                Ok(Err(e)) => return Err(self.server_error("download messages", e)),
                Ok(Ok(s)) => s,
            };
            loop {
                let item = match or_stop(stop, tokio::time::timeout_at(deadline, stream.next())).await {
                    None => return Ok(false),
                    Some(Err(_)) => return Err(self.timeout("download messages")),
                    Some(Ok(None)) => break,
                    Some(Ok(Some(Err(e)))) => return Err(self.server_error("download messages", e)),
                    Some(Ok(Some(Ok(f)))) => f,
                };
                let (Some(uid), Some(raw)) = (item.uid, item.body()) else { continue };
                if !wanted.contains(&uid) || done.contains(&uid) {
                    continue;
                }
                let source = a.source(uidvalidity, uid);
                match self.import(raw, &source, today)? {
                    Ok(imported) => {
                        (self.on)(Progress::Imported(&imported));
                        to_act.push(uid);
                    }
                    Err(skipped) => (self.on)(Progress::Skipped(&skipped)),
                }
                done.insert(uid);
                if leave {
                    let before = next;
                    while next < batch.len() && done.contains(&batch[next].0) {
                        next += 1;
                    }
                    if next > before {
                        self.advance(uidvalidity, batch[next - 1].0, today)?;
                    }
                }
            }
        }
        if !to_act.is_empty() {
            self.act(session, &to_act).await?;
        }
        // The command completed: a message not sent back was deleted meanwhile.
        if let Some(&(max, _)) = batch.last() {
            self.advance(uidvalidity, max, today)?;
        }
        Ok(true)
    }

    /// Imports one message: the import, or why it was skipped. Errors of the database or the
    /// files folder stop the fetch.
    fn import(&mut self, raw: &[u8], source: &str, today: NaiveDate) -> Result<std::result::Result<Imported, Skipped>> {
        let mut result = import_message(self.conn, self.store, raw, source, today);
        if matches!(&result, Err(e) if is_constraint(e)) {
            // Another import stored the same message between its check and ours: now it is found.
            result = import_message(self.conn, self.store, raw, source, today);
        }
        match result {
            Ok(i) => Ok(Ok(i)),
            Err(e) if skippable(&e) => {
                Ok(Err(Skipped { source: source.to_string(), message: None, offset: None, reason: e.to_string() }))
            }
            Err(e) => Err(e),
        }
    }

    /// Moves or flags messages imported.
    async fn act(&mut self, session: &mut Session, uids: &[u32]) -> std::result::Result<(), Failure> {
        let set = uid_set(uids);
        match self.afterwards {
            Afterwards::Leave => Ok(()),
            Afterwards::Flag(flag) => {
                self.timed(COMMAND_TIMEOUT, "flag the imported messages", async {
                    let s = session.uid_store(&set, format!("+FLAGS.SILENT ({flag})")).await?;
                    s.try_collect::<Vec<_>>().await
                })
                .await?;
                Ok(())
            }
            Afterwards::MoveTo(dest) => {
                let dest = mailbox_name(dest);
                if self.can_move {
                    return self
                        .timed(COMMAND_TIMEOUT, "move the imported messages", session.uid_mv(&set, &dest))
                        .await;
                }
                self.timed(COMMAND_TIMEOUT, "copy the imported messages", session.uid_copy(&set, &dest)).await?;
                self.timed(COMMAND_TIMEOUT, "remove the imported messages after copying them", async {
                    let s = session.uid_store(&set, "+FLAGS.SILENT (\\Deleted)").await?;
                    s.try_collect::<Vec<_>>().await?;
                    let s = session.uid_expunge(&set).await?;
                    s.try_collect::<Vec<_>>().await
                })
                .await?;
                Ok(())
            }
        }
    }
}

/// Whether an error is about the message (skip it) rather than the database or files folder
/// (stop): the same line `mail import` draws.
fn skippable(e: &Error) -> bool {
    match e {
        Error::Invalid(_) | Error::NotFound { .. } | Error::Import { .. } => true,
        Error::Db(_) => is_constraint(e),
        _ => false,
    }
}

fn is_constraint(e: &Error) -> bool {
    matches!(e, Error::Db(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::ConstraintViolation)
}

/// Splits `(uid, size)` into download batches: at most [`BATCH_MESSAGES`] messages and
/// [`BATCH_BYTES`] bytes each (a larger message alone).
fn batches(new: &[(u32, u32)]) -> Vec<Vec<(u32, u32)>> {
    let mut out: Vec<Vec<(u32, u32)>> = Vec::new();
    let mut bytes = 0u64;
    for &(uid, size) in new {
        // An oversized message is reported, not downloaded: it weighs nothing.
        let weight = if size > MAX_MESSAGE_BYTES { 0 } else { size as u64 };
        match out.last_mut() {
            Some(b) if b.len() < BATCH_MESSAGES && bytes + weight <= BATCH_BYTES => {
                b.push((uid, size));
                bytes += weight;
            }
            _ => {
                out.push(vec![(uid, size)]);
                bytes = weight;
            }
        }
    }
    out
}

/// A UID set, ascending UIDs folded into ranges: `3:5,9`.
fn uid_set(uids: &[u32]) -> String {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        parts.push(if start == end { start.to_string() } else { format!("{start}:{end}") });
        i += 1;
    }
    parts.join(",")
}

/// A folder's name as IMAP sends it: modified UTF-7 (RFC 3501 5.1.3) for anything beyond
/// printable ASCII, `&` as `&-`.
fn mailbox_name(name: &str) -> String {
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    let flush = |pending: &mut Vec<u16>, out: &mut String| {
        if pending.is_empty() {
            return;
        }
        let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
        out.push('&');
        for chunk in bytes.chunks(3) {
            let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (*b as u32) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out.push('-');
        pending.clear();
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut out);
            out.push(c);
            if c == '&' {
                out.push('-');
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut pending, &mut out);
    out
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// This machine's name, for claims.
fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates within it or fails.
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0;
    let end = buf.iter().position(|b| *b == 0).unwrap_or(0);
    let name = if ok { String::from_utf8_lossy(&buf[..end]).into_owned() } else { String::new() };
    if name.is_empty() { "this machine".to_string() } else { name }
}

/// Whether the process holding a claim may still run: a process of this machine that is gone
/// is not (its claim ends now); of another machine, it cannot be told (the lease decides).
fn still_running(holder: &str) -> bool {
    let Some((pid, host)) = holder.strip_prefix("pid ").and_then(|r| r.split_once(" on ")) else { return true };
    if host != hostname() {
        return true;
    }
    let Ok(pid) = pid.parse::<i32>() else { return true };
    if pid <= 0 {
        return true;
    }
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_the_folder_the_tls_and_the_port() {
        let a = Account::new("imaps://jane@IMAP.Newsroom.example.org/INBOX", Some("pw"), None).unwrap();
        assert_eq!(
            (a.host.as_str(), a.port, a.tls, a.folder.as_str()),
            ("imap.newsroom.example.org", 993, Tls::Implicit, "INBOX")
        );
        assert_eq!(a.source(7, 20), "imap://imap.newsroom.example.org/INBOX;UIDVALIDITY=7/;UID=20");
        let a = Account::new("imap://j%40x@imap.example.org:1143/Records/2026%20FOIA?tls=starttls", Some("pw"), None)
            .unwrap();
        assert_eq!(
            (a.port, a.tls, a.folder.as_str(), a.user.as_str()),
            (1143, Tls::StartTls, "Records/2026 FOIA", "j@x")
        );
        assert_eq!(a.source(1, 2), "imap://imap.example.org:1143/Records/2026%20FOIA;UIDVALIDITY=1/;UID=2");
        let a = Account::new("imap://jane@127.0.0.1:1430", Some("pw"), None).unwrap();
        assert_eq!((a.tls, a.folder.as_str()), (Tls::None, "INBOX"));
        let a = Account::new("imap://jane@[::1]:1430/", Some("pw"), None).unwrap();
        assert_eq!((a.host.as_str(), a.shown_host.as_str()), ("::1", "[::1]"));
        // The password from the URL when the environment has none; the environment's first.
        let a = Account::new("imaps://jane:urlpw@imap.example.org/", None, None).unwrap();
        assert_eq!(a.password, "urlpw");
        let a = Account::new("imaps://jane:urlpw@imap.example.org/", Some("envpw"), None).unwrap();
        assert_eq!(a.password, "envpw");
        assert!(!format!("{a:?}").contains("pw"));
    }

    #[test]
    fn bad_urls_are_refused_without_showing_the_password() {
        for (url, says) in [
            ("imap://jane:hunter2@imap.example.org/INBOX", "refusing to send the IMAP password to imap.example.org"),
            ("imap://jane@imap.example.org/INBOX?tls=opportunistic", "tls=opportunistic"),
            ("imap://jane@128.0.0.1/INBOX", "not encrypted"),
            ("imap://jane@localhost.example.org/INBOX", "not encrypted"),
            ("imaps://imap.example.org/INBOX", "names no user"),
            ("imaps://jane@imap.example.org/INBOX?tls=starttls", "remove ?tls="),
            ("imaps://jane@imap.example.org/INBOX?tsl=starttls", "unknown setting 'tsl'"),
            ("pop3://jane:hunter2@mail.example.org/", "starts with 'pop3:'"),
            ("imaps://jane:hunter2@imap.example.org/INBOX;UID=4", "';'"),
            ("imaps://jane:hunter2@imap.example.org/IN%01BOX", "control character"),
            ("imaps://jane:hunter2@imap.example.org/INBOX%2A", "control character, * or %"),
            ("imaps://jane:hunter2@[bad/INBOX", "not a valid URL"),
            ("jane:hunter2@@", "starts with 'jane:'"),
        ] {
            let e = Account::new(url, Some("hunter2"), None).unwrap_err().to_string();
            assert!(e.contains(says), "{url}: {e}");
            assert!(!e.contains("hunter2"), "{url}: {e}");
        }
        let e = Account::new("imaps://jane@imap.example.org/", None, None).unwrap_err().to_string();
        assert!(e.contains("FOIATRACK_IMAP_PASSWORD"), "{e}");
        let e = Account::new("imaps://jane@imap.example.org/", Some("a\r\nb"), None).unwrap_err().to_string();
        assert!(e.contains("line break"), "{e}");
    }

    #[test]
    fn a_ca_file_must_hold_a_certificate() {
        let e = Account::new("imaps://jane@imap.example.org/", Some("pw"), Some(("ca.pem", b"hello"))).unwrap_err();
        assert_eq!(e.to_string(), "ca.pem: no certificate in it (expected PEM: -----BEGIN CERTIFICATE-----)");
    }

    #[test]
    fn quoted_credentials_are_redacted_too() {
        let a = Account::new("imaps://jane@imap.example.org/", Some("p\"w\\d"), None).unwrap();
        let answer = "A1 NO LOGIN \"jane\" \"p\\\"w\\\\d\" rejected";
        let cleaned = a.clean(answer);
        assert!(!cleaned.contains("p\\\"w") && !cleaned.contains("jane"), "{cleaned}");
    }

    #[test]
    fn uid_sets_fold_ranges() {
        assert_eq!(uid_set(&[5, 3, 4, 9, 11, 10, 1]), "1,3:5,9:11");
        assert_eq!(uid_set(&[7]), "7");
        assert_eq!(uid_set(&[]), "");
    }

    #[test]
    fn batches_are_bounded_by_count_and_bytes() {
        let many: Vec<(u32, u32)> = (1..=120).map(|u| (u, 100)).collect();
        let b = batches(&many);
        assert_eq!(b.iter().map(Vec::len).collect::<Vec<_>>(), [50, 50, 20]);
        let big = [(1, 10 << 20), (2, 10 << 20), (3, 100 << 20), (4, 1)];
        let b = batches(&big);
        assert_eq!(b, vec![vec![(1, 10 << 20)], vec![(2, 10 << 20), (3, 100 << 20), (4, 1)]]);
    }

    #[test]
    fn folder_names_go_out_in_modified_utf7() {
        assert_eq!(mailbox_name("INBOX"), "INBOX");
        assert_eq!(mailbox_name("Anträge"), "Antr&AOQ-ge");
        assert_eq!(mailbox_name("A&B"), "A&-B");
        assert_eq!(mailbox_name("台北"), "&U,BTFw-");
        assert_eq!(mailbox_name("~peter/mail/台北/日本語"), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
    }

    #[test]
    fn flags_are_system_flags_or_keywords() {
        assert_eq!(Afterwards::flag("\\seen").unwrap(), Afterwards::Flag("\\Seen".into()));
        assert_eq!(Afterwards::flag("$Imported").unwrap(), Afterwards::Flag("$Imported".into()));
        for bad in ["\\Deleted", "two words", "", "a(b", "\\Recent", "x\r\n"] {
            assert!(Afterwards::flag(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_claim_of_a_process_that_is_gone_ends() {
        let me = format!("pid {} on {}", std::process::id(), hostname());
        assert!(still_running(&me));
        // Above the largest pid Linux hands out.
        assert!(!still_running(&format!("pid 2000000000 on {}", hostname())));
        assert!(still_running("pid 2000000000 on another-host.example.org"));
        assert!(still_running("something else"));
    }
}
