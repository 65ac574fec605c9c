//! Mail against hostile input: servers that echo credentials, mailboxes with unescaped "From "
//! lines and broken messages, imports that fail half-way, addresses with control characters,
//! and text that would drive the terminal. The real binary, a real database in a temporary
//! folder, and the SMTP server of `smtp_server.rs` on 127.0.0.1.

use std::path::Path;

use crate::smtp_server::{Options, SmtpServer};
use crate::util::{Env, code_of};

const USER: &str = "jane.doe";
const PASSWORD: &str = "hunter2-Very/Secret+%";

/// Five agencies in three states, all with email; a campaign of five draft requests.
fn small_env() -> Env {
    let mut env = Env::new();
    env.today = "2026-03-02".into();
    let csv = env.write(
        "agencies.csv",
        "key,name,state,kind,email\n\
         alpha-co,Alpha City,CO,city,records@alpha-co.example.org\n\
         bravo-co,Bravo County,CO,county,records@bravo-co.example.org\n\
         charlie-tx,Charlie City,TX,city,records@charlie-tx.example.org\n\
         delta-tx,Delta Schools,TX,school_district,records@delta-tx.example.org\n\
         echo-ca,Echo City,CA,city,records@echo-ca.example.org\n",
    );
    env.ok(&["agency", "import", csv.to_str().unwrap()]);
    env.ok(&["config", "set", "requester.name", "Jane Doe"]);
    env.ok(&["config", "set", "requester.email", "jane@newsroom.example.org"]);
    env.ok(&[
        "campaign",
        "new",
        "hostile",
        "--title",
        "Hostile mail",
        "--records",
        "All records of purchases from Amazon in 2016",
        "--period-start",
        "2016-01-01",
        "--period-end",
        "2016-12-31",
        "--code-prefix",
        "HST26",
    ]);
    env.ok(&["campaign", "add", "hostile", "--all"]);
    env
}

fn run(mut c: assert_cmd::Command, args: &[&str]) -> (i32, String, String) {
    let out = c.args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn mail_cmd(env: &Env, url: &str, password: Option<&str>) -> assert_cmd::Command {
    let mut c = env.cmd();
    c.env("FOIATRACK_SMTP_URL", url).env("FOIATRACK_FROM", "Jane Doe <jane@newsroom.example.org>");
    if let Some(p) = password {
        c.env("FOIATRACK_SMTP_PASSWORD", p);
    }
    c
}

fn db(env: &Env) -> rusqlite::Connection {
    rusqlite::Connection::open(&env.db).unwrap()
}

/// The database file and its WAL, as bytes.
fn db_bytes(env: &Env) -> Vec<u8> {
    let mut b = std::fs::read(&env.db).unwrap();
    b.extend(std::fs::read(env.db.with_extension("db-wal")).unwrap_or_default());
    b
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

fn b64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (*b as u32) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() { A[((n >> (18 - 6 * i)) & 63) as usize] as char } else { '=' });
        }
    }
    out
}

/// Everything the credential could be seen as.
fn credential_forms() -> Vec<String> {
    let pct = |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
    vec![
        PASSWORD.to_string(),
        USER.to_string(),
        b64(format!("\0{USER}\0{PASSWORD}").as_bytes()),
        b64(format!("\0{USER}\0{PASSWORD}").as_bytes()).trim_end_matches('=').to_string(),
        b64(USER.as_bytes()).trim_end_matches('=').to_string(),
        b64(PASSWORD.as_bytes()).trim_end_matches('=').to_string(),
        pct(PASSWORD),
        pct(USER),
    ]
}

fn assert_no_credential(what: &str, text: &[u8]) {
    for form in credential_forms() {
        assert!(!contains(text, &form), "{what} holds the credential as {form:?}:\n{}", String::from_utf8_lossy(text));
    }
}

/// Sends two letters to a server that echoes the AUTH exchange in its 535 answer; returns what
/// the server heard and the error stored.
fn echoed_auth(mechanisms: Vec<&'static str>) -> (Env, Vec<String>, String) {
    let env = small_env();
    let server = SmtpServer::start(Options { auth: mechanisms, auth_echo: true, ..Default::default() });
    let url = format!("smtp://{}@127.0.0.1:{}", USER, server.port);
    let (code, stdout, stderr) =
        run(mail_cmd(&env, &url, Some(PASSWORD)), &["send", "--campaign", "hostile", "--limit", "2"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("Failed (2)"), "{stdout}");
    assert_eq!(stderr, "error: 2 failed, 0 unsettled\n");
    assert_no_credential("stdout", stdout.as_bytes());
    assert_no_credential("stderr", stderr.as_bytes());
    assert_no_credential("the database", &db_bytes(&env));
    for format in ["json", "csv"] {
        let export = env.ok(&["export", "communications", "--format", format]);
        assert_no_credential("the export", export.as_bytes());
        let outbox = env.ok(&["outbox", "--format", format]);
        assert_no_credential("the outbox", outbox.as_bytes());
    }
    assert_no_credential("the outbox table", env.ok(&["outbox"]).as_bytes());
    let outbox = env.json(&["outbox", "--format", "json"]);
    let failed: Vec<String> = outbox
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["state"] == "failed")
        .map(|o| o["error"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0], failed[1]);
    // Nothing went out: the letters are still drafts.
    assert_eq!(outbox.as_array().unwrap().iter().filter(|o| o["state"] == "queued").count(), 5);
    let heard = server.auth_lines();
    (env, heard, failed[0].clone())
}

#[test]
fn auth_plain_echoed_by_the_server_is_redacted_everywhere() {
    let (_env, heard, error) = echoed_auth(vec!["PLAIN", "LOGIN"]);
    // The server did hear the credential (so the answer did carry it) ...
    let plain = b64(format!("\0{USER}\0{PASSWORD}").as_bytes());
    assert!(heard.contains(&format!("AUTH PLAIN {plain}")), "{heard:?}");
    // ... and what is kept of its answer has it removed.
    assert_eq!(error, "permanent error (535): 5.7.8 Authentication failed: AUTH PLAIN ********");
}

#[test]
fn auth_login_echoed_by_the_server_is_redacted_everywhere() {
    let (_env, heard, error) = echoed_auth(vec!["LOGIN"]);
    assert!(heard.contains(&b64(USER.as_bytes())) && heard.contains(&b64(PASSWORD.as_bytes())), "{heard:?}");
    assert_eq!(error, "permanent error (535): 5.7.8 Authentication failed: AUTH LOGIN ******** ********");
}

#[test]
fn a_password_is_not_sent_unencrypted_to_another_machine() {
    let env = small_env();
    let refused = "error: refusing to send the SMTP password to smtp.example.org over a connection that is not \
                   encrypted: use smtps://, or smtp://...?tls=required for STARTTLS, or add ?allow_plaintext=true \
                   to FOIATRACK_SMTP_URL to send it in clear anyway\n";
    for url in ["smtp://jane.doe@smtp.example.org:587", "smtp://jane.doe@smtp.example.org:587?tls=opportunistic"] {
        let (code, stdout, stderr) = run(mail_cmd(&env, url, Some(PASSWORD)), &["send", "--campaign", "hostile"]);
        assert_eq!((code, stderr.as_str()), (1, refused), "{url}: {stdout}");
        assert_no_credential("stdout", stdout.as_bytes());
    }
    // A password in the URL itself counts the same.
    let (code, _, stderr) =
        run(mail_cmd(&env, "smtp://jane.doe:pw@smtp.example.org:25", None), &["send", "--campaign", "hostile"]);
    assert_eq!((code, stderr.as_str()), (1, refused));
    let err = run(
        mail_cmd(&env, "smtp://jane.doe@smtp.example.org?allow_plaintext=perhaps", Some(PASSWORD)),
        &["send", "--campaign", "hostile"],
    )
    .2;
    assert_eq!(err, "error: allow_plaintext in FOIATRACK_SMTP_URL must be true or false\n");
    // Nothing was recorded.
    let outbox = env.json(&["outbox", "--format", "json"]);
    assert!(outbox.as_array().unwrap().iter().all(|o| o["state"] == "queued"), "{outbox}");

    // 0.0.0.0 reaches this machine on Linux but is not a loopback address: refused unless the
    // URL opts in; with the opt-in, AUTH happens and the letters go.
    #[cfg(target_os = "linux")]
    {
        let server = SmtpServer::start(Options { auth: vec!["PLAIN"], ..Default::default() });
        let url = format!("smtp://jane.doe@0.0.0.0:{}", server.port);
        let (code, _, stderr) = run(mail_cmd(&env, &url, Some(PASSWORD)), &["send", "--campaign", "hostile"]);
        assert_eq!(code, 1);
        assert!(stderr.starts_with("error: refusing to send the SMTP password to 0.0.0.0 "), "{stderr}");
        assert!(server.auth_lines().is_empty() && server.received().is_empty());
        let url = format!("{url}?allow_plaintext=true");
        let (code, stdout, stderr) = run(mail_cmd(&env, &url, Some(PASSWORD)), &["send", "--campaign", "hostile"]);
        assert_eq!(code, 0, "{stdout}{stderr}");
        assert_eq!(server.received().len(), 5);
        assert_eq!(server.auth_lines().len(), 5, "one connection, one AUTH per message");
    }
}

/// Sets an agency's email behind the importer's back, as an older version could have stored it.
fn set_email(env: &Env, key: &str, email: &str) {
    let n = db(env).execute("UPDATE agencies SET email = ?2 WHERE key = ?1", rusqlite::params![key, email]).unwrap();
    assert_eq!(n, 1);
}

fn eml_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".eml"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_bad_recipient_is_listed_and_the_others_go() {
    let env = small_env();
    let bad = [
        ("alpha-co", "n\0@x.example.org"),
        ("charlie-tx", "a\u{1}b@x.example.org"),
        ("echo-ca", "del\u{7f}@x.example.org"),
    ];
    for (key, email) in bad {
        set_email(&env, key, email);
    }
    let codes: Vec<String> = bad.iter().map(|(k, _)| code_of(&env, k)).collect();
    let good: Vec<String> = ["bravo-co", "delta-tx"].iter().map(|k| code_of(&env, k)).collect();

    let dir = env.path("dry");
    let (code, stdout, stderr) = run(env.cmd(), &["send", "--campaign", "hostile", "--dry-run", dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert_eq!(stderr, "error: 3 letter(s) would not go out; correct the addresses listed above\n");
    assert!(stdout.contains("Dry run: wrote 2 message(s)"), "{stdout}");
    assert!(stdout.contains("Not written (3); these would not go out:"), "{stdout}");
    for ((key, _), code) in bad.iter().zip(&codes) {
        assert!(stdout.contains(&format!("  {code}  the email of {key} ")), "{code} listed with its request: {stdout}");
    }
    assert!(stdout.contains(r#"  the email of alpha-co "n\x00@x.example.org" contains a control character; correct it with `foiatrack agency edit alpha-co --email ...`"#), "{stdout}");
    assert!(stdout.contains(r#""a\x01b@x.example.org""#) && stdout.contains(r#""del\x7f@x.example.org""#), "{stdout}");
    assert!(
        !stdout.contains('\0') && !stdout.contains('\u{1}') && !stdout.contains('\u{7f}'),
        "raw control characters"
    );
    assert_eq!(eml_files(&dir), good.iter().map(|c| format!("{c}.eml")).collect::<Vec<_>>());

    // For real: the bad ones fail (nothing recorded, nothing sent), the batch goes on.
    let server = SmtpServer::start(Options::default());
    let (code, stdout, stderr) = run(mail_cmd(&env, &server.url(), None), &["send", "--campaign", "hostile"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert_eq!(stderr, "error: 3 failed, 0 unsettled\n");
    assert!(stdout.contains("Sent 2 of 5 request letter(s)"), "{stdout}");
    for c in &codes {
        assert!(stdout.contains(&format!("FAILED request {c}: the email of ")), "{stdout}");
    }
    assert!(!stdout.contains('\0') && !stdout.contains('\u{1}') && !stdout.contains('\u{7f}'));
    let mut rcpts: Vec<String> = server.received().iter().map(|m| m.rcpt_to.join(",")).collect();
    rcpts.sort();
    assert_eq!(rcpts, ["records@bravo-co.example.org", "records@delta-tx.example.org"]);
    for c in &codes {
        assert_eq!(env.json(&["request", "show", c, "--format", "json"])["status"], "draft");
    }
    let outbox = env.json(&["outbox", "--format", "json"]);
    assert_eq!(outbox.as_array().unwrap().iter().filter(|o| o["state"] == "sent").count(), 2);
    assert_eq!(outbox.as_array().unwrap().iter().filter(|o| o["state"] == "failed").count(), 0);
}

#[test]
fn the_date_header_is_today_not_the_clock() {
    let mut env = small_env();
    env.today = "2026-03-02".into();
    let dir = env.path("dry");
    env.ok(&["send", "--campaign", "hostile", "--dry-run", dir.to_str().unwrap()]);
    let code = code_of(&env, "alpha-co");
    let raw = std::fs::read_to_string(dir.join(format!("{code}.eml"))).unwrap();
    assert!(raw.contains("\r\nDate: Mon, 02 Mar 2026 12:00:00 +0000\r\n"), "{raw}");
    let msg = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
    let d = msg.date().unwrap();
    assert_eq!((d.year, d.month, d.day), (2026, 3, 2));
    // The same command again writes the same bytes but for the Message-ID's random part: none here.
    let again = env.path("dry2");
    env.ok(&["send", "--campaign", "hostile", "--dry-run", again.to_str().unwrap()]);
    assert_eq!(std::fs::read(again.join(format!("{code}.eml"))).unwrap(), raw.as_bytes());

    // --outbox and a real send use --today too.
    env.today = "2025-12-31".into();
    let out = env.path("outbox");
    env.ok(&["send", &code, "--outbox", out.to_str().unwrap()]);
    let raw = std::fs::read_to_string(out.join(format!("{code}.eml"))).unwrap();
    assert!(raw.contains("\r\nDate: Wed, 31 Dec 2025 12:00:00 +0000\r\n"), "{raw}");
    let server = SmtpServer::start(Options::default());
    let bravo = code_of(&env, "bravo-co");
    let (status, stdout, stderr) = run(mail_cmd(&env, &server.url(), None), &["send", &bravo]);
    assert_eq!(status, 0, "{stdout}{stderr}");
    assert!(server.received()[0].data.contains("\r\nDate: Wed, 31 Dec 2025 12:00:00 +0000\r\n"));
}
