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

/// The small campaign, every letter "sent" on 2026-03-02 as .eml files (no SMTP), today later.
fn sent_env() -> Env {
    let mut env = small_env();
    let out = env.path("sent");
    env.ok(&["send", "--campaign", "hostile", "--outbox", out.to_str().unwrap()]);
    env.today = "2026-03-20".into();
    env
}

fn mbox_message(from: &str, subject: &str, date: &str, id: &str, body: &str) -> String {
    format!(
        "From {from} Thu Mar 05 10:00:00 2026\nFrom: {from}\nTo: jane@newsroom.example.org\nSubject: {subject}\nDate: {date}\nMessage-ID: <{id}>\nContent-Type: text/plain\n\n{body}\n"
    )
}

#[test]
fn mbox_with_from_lines_in_bodies_and_broken_messages_imports_every_good_one() {
    let env = sent_env();
    let (alpha, bravo, charlie, delta) =
        (code_of(&env, "alpha-co"), code_of(&env, "bravo-co"), code_of(&env, "charlie-tx"), code_of(&env, "delta-tx"));
    let mut mbox = String::new();
    let mut offsets = Vec::new();
    let mut push = |mbox: &mut String, m: String| {
        offsets.push(mbox.len());
        mbox.push_str(&m);
    };
    // 1. A body line starting with "From " that nobody escaped.
    push(
        &mut mbox,
        mbox_message(
            "records@alpha-co.example.org",
            &format!("Re: {alpha}"),
            "Thu, 05 Mar 2026 09:00:00 -0700",
            "one@alpha.example.org",
            "Hello,\n\nFrom the attached spreadsheet you can see the purchases.\nFrom 2016 to 2017 we bought nothing else.\n>From a quoted line\n\nRegards",
        ),
    );
    // 2. Good.
    push(
        &mut mbox,
        mbox_message(
            "records@bravo-co.example.org",
            &format!("{bravo} update"),
            "Fri, 06 Mar 2026 09:00:00 -0700",
            "two@bravo.example.org",
            "Working on it.",
        ),
    );
    // 3. Not an email at all.
    push(
        &mut mbox,
        "From someone@nowhere.example.net Fri Mar 06 11:00:00 2026\nthis is not an email message, only words\n\n"
            .into(),
    );
    // 4. Good, after the broken one.
    push(
        &mut mbox,
        mbox_message(
            "records@charlie-tx.example.org",
            &format!("RE: {charlie}"),
            "Mon, 09 Mar 2026 09:00:00 -0500",
            "four@charlie.example.org",
            "Acknowledged.",
        ),
    );
    // 5. Binary junk.
    push(&mut mbox, "From junk@nowhere.example.net Mon Mar 09 12:00:00 2026\n\u{0}\u{1}\u{2}\n".into());
    // 6. Good, the last one.
    push(
        &mut mbox,
        mbox_message(
            "records@delta-tx.example.org",
            &format!("Re: {delta}"),
            "Tue, 10 Mar 2026 09:00:00 -0500",
            "six@delta.example.org",
            "Received.",
        ),
    );
    let f = env.write("replies.mbox", &mbox);
    let path = f.to_str().unwrap();

    let expected_skipped = format!(
        "Skipped (2); not imported, the rest was:\n  {path} message 3 (byte {}): not an email message (no header lines)\n  {path} message 5 (byte {}): not an email message (no header lines)\n",
        offsets[2], offsets[4]
    );
    let out = env.cmd().args(["mail", "import", path, "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("{expected_skipped}error: 2 message(s) could not be imported; see the list above\n")
    );
    let imported: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<(String, String, bool)> = imported
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["source"].as_str().unwrap().to_string(),
                i["tracking_code"].as_str().unwrap().to_string(),
                i["acknowledged"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (format!("{path}#1"), alpha.clone(), true),
            (format!("{path}#2"), bravo.clone(), true),
            (format!("{path}#4"), charlie.clone(), true),
            (format!("{path}#6"), delta.clone(), true),
        ]
    );
    // The first message is whole: its "From " lines are text, the quoted one unquoted.
    let show = env.json(&["request", "show", &alpha, "--format", "json"]);
    let reply = show["correspondence"].as_array().unwrap().iter().find(|c| c["direction"] == "inbound").unwrap();
    assert_eq!(
        reply["body"],
        "Hello,\n\nFrom the attached spreadsheet you can see the purchases.\nFrom 2016 to 2017 we bought nothing else.\nFrom a quoted line\n\nRegards\n"
    );
    assert!(env.json(&["mail", "unmatched", "--format", "json"]).as_array().unwrap().is_empty());

    // Again: nothing new, the same two reported, exit code 1 again.
    let out = env.cmd().args(["mail", "import", path]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("6 message(s): 0 new (0 unmatched), 4 already imported, 2 skipped\n"), "{stdout}");
    assert!(stdout.ends_with(&format!("\n{expected_skipped}")), "{stdout}");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "error: 2 message(s) could not be imported; see the list above\n");
    let inbound = db(&env)
        .query_row("SELECT COUNT(*) FROM communications WHERE direction = 'inbound'", [], |r| r.get::<_, i64>(0))
        .unwrap();
    assert_eq!(inbound, 4);

    // A file that cannot be read is one more skip; the good mailbox beside it still counts.
    let out = env.cmd().args(["mail", "import", "missing.eml", path]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("  missing.eml: cannot read it: No such file or directory"), "{stdout}");
    assert!(stdout.contains("7 message(s): 0 new (0 unmatched), 4 already imported, 3 skipped"), "{stdout}");
    // A clean import exits 0.
    let one = mbox_message("x@y.example.org", "hello", "Tue, 10 Mar 2026 09:00:00 -0500", "clean@y.example.org", "hi");
    let clean = env.write("clean.eml", one.split_once('\n').unwrap().1);
    env.ok(&["mail", "import", clean.to_str().unwrap()]);
}

/// Every regular file under the files folder, by name.
fn stored_files(env: &Env) -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p.file_name().unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(&env.path("test.files"), &mut out);
    out.sort();
    out
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

fn with_attachment(from: &str, subject: &str, id: &str, file: &str, content: &str) -> String {
    format!(
        "From: {from}\nTo: jane@newsroom.example.org\nSubject: {subject}\nDate: Fri, 27 Feb 2026 09:00:00 -0700\nMessage-ID: <{id}>\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nSee attached.\n--b\nContent-Type: text/csv\nContent-Disposition: attachment; filename=\"{file}\"\n\n{content}\n--b--\n"
    )
}

#[test]
fn a_refused_or_failed_import_leaves_no_files_behind() {
    let mut env = sent_env();
    let alpha = code_of(&env, "alpha-co");
    let refused = with_attachment(
        "records@alpha-co.example.org",
        &format!("Re: {alpha}"),
        "refused@alpha.example.org",
        "refused.csv",
        "date,amount\n2016-01-01,1.00",
    );
    let kept = with_attachment(
        "stranger@elsewhere.example.net",
        "hello",
        "kept@elsewhere.example.net",
        "kept.csv",
        "date,amount\n2016-01-02,2.00",
    );
    let refused_eml = env.write("refused.eml", &refused);
    let kept_eml = env.write("kept.eml", &kept);
    // On a --today before the letter was sent, the reply cannot acknowledge it: refused.
    env.today = "2026-03-01".into();
    let out =
        env.cmd().args(["mail", "import", refused_eml.to_str().unwrap(), kept_eml.to_str().unwrap()]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains(&format!("  {}: cannot log on {alpha}: ", refused_eml.display())), "{stdout}");
    assert!(stdout.contains("2 message(s): 1 new (1 unmatched), 0 already imported, 1 skipped"), "{stdout}");
    assert_eq!(stored_files(&env), [sha256(b"date,amount\n2016-01-02,2.00")], "only the imported message's file");

    // A database that fails mid-import (here a trigger that overflows an integer) stops the
    // import; the failing message's file goes, what was imported before it stays.
    env.today = "2026-03-20".into();
    db(&env)
        .execute_batch(
            "CREATE TRIGGER boom BEFORE INSERT ON attachments WHEN NEW.file_name = 'boom.csv'
             BEGIN SELECT abs(-9223372036854775807 - 1); END;",
        )
        .unwrap();
    let first = env.write(
        "first.eml",
        &with_attachment("a@one.example.net", "one", "first@one.example.net", "first.csv", "first file"),
    );
    let boom = env.write(
        "boom.eml",
        &with_attachment("b@two.example.net", "two", "boom@two.example.net", "boom.csv", "boom file"),
    );
    let err = env.fails(&["mail", "import", first.to_str().unwrap(), boom.to_str().unwrap()], 1);
    assert!(err.contains("integer overflow"), "{err}");
    let mut expected = vec![sha256(b"date,amount\n2016-01-02,2.00"), sha256(b"first file")];
    expected.sort();
    assert_eq!(stored_files(&env), expected);
    let names: Vec<String> = db(&env)
        .prepare("SELECT file_name FROM attachments ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(names, ["kept.csv", "first.csv"]);
    // The refused reply imports once the day is right, its file with it.
    db(&env).execute_batch("DROP TRIGGER boom").unwrap();
    let out = env.ok(&["mail", "import", refused_eml.to_str().unwrap(), boom.to_str().unwrap()]);
    assert!(out.contains(&format!("{alpha} by tracking-code, acknowledged")), "{out}");
    assert_eq!(stored_files(&env).len(), 4);
}

/// Raw terminal controls: clear the screen, retitle the window (OSC ... BEL), DEL, a C1 CSI, a
/// right-to-left override.
const ESC_CLEAR: &str = "\u{1b}[2J";
const OSC_TITLE: &str = "\u{1b}]0;owned\u{7}";

fn assert_no_controls(what: &str, text: &str) {
    assert!(
        !text.chars().any(|c| (c.is_control() && c != '\n') || c == '\u{202e}'),
        "{what} has raw control characters: {text:?}"
    );
}

#[test]
fn control_characters_from_outside_never_reach_the_terminal_raw() {
    let env = small_env();
    let alpha = code_of(&env, "alpha-co");
    db(&env)
        .execute("UPDATE agencies SET name = ?1 WHERE key = 'alpha-co'", [format!("Alpha{OSC_TITLE} City\u{202e}")])
        .unwrap();
    let server = SmtpServer::start(Options {
        reject: vec!["records@alpha-co.example.org".into()],
        reject_text: Some(format!("5.1.1 {ESC_CLEAR}mailbox{OSC_TITLE} unavailable\u{7f}")),
        ..Default::default()
    });
    let (code, stdout, _) = run(mail_cmd(&env, &server.url(), None), &["send", "--campaign", "hostile"]);
    assert_eq!(code, 1, "{stdout}");
    assert_no_controls("send", &stdout);
    let shown = r"5.1.1 \x1b[2Jmailbox\x1b]0;owned\x07 unavailable\x7f";
    assert!(stdout.contains(&format!("FAILED request {alpha}: permanent error (550): {shown}")), "{stdout}");

    let table = env.ok(&["outbox"]);
    assert_no_controls("outbox", &table);
    assert!(table.contains(r"Alpha\x1b]0;owned\x07 City\u{202e}") && table.contains(shown), "{table}");
    // JSON keeps the exact text.
    let json = env.json(&["outbox", "--format", "json"]);
    let row = json
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["tracking_code"] == alpha.as_str() && o["state"] == "failed")
        .unwrap();
    assert_eq!(row["agency_name"], format!("Alpha{OSC_TITLE} City\u{202e}"));
    assert_eq!(row["error"], format!("permanent error (550): 5.1.1 {ESC_CLEAR}mailbox{OSC_TITLE} unavailable\u{7f}"));

    // A reply whose subject and sender carry controls (encoded and raw), and a file whose name does.
    let eml = env.write(
        "evil.eml",
        &format!(
            "From: =?utf-8?q?Evil_=1B[31mName?= <evil@elsewhere.example.net>\nTo: jane@newsroom.example.org\nSubject: =?utf-8?q?Records_=1B]0;owned=07_ready?= raw{ESC_CLEAR}\u{9b}31m\nDate: Tue, 10 Mar 2026 09:00:00 -0500\nMessage-ID: <evil@elsewhere.example.net>\n\nhello\n"
        ),
    );
    let junk = env.write(&format!("bad{ESC_CLEAR}.eml"), "\u{0}\u{1}");
    let out = env.cmd().args(["mail", "import", eml.to_str().unwrap(), junk.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_no_controls("mail import", &stdout);
    let subject = r"Records \x1b]0;owned\x07 ready raw\x1b[2J\u{9b}31m";
    assert!(stdout.contains(subject), "{stdout}");
    assert!(stdout.contains(r"bad\x1b[2J.eml: not an email message (no header lines)"), "{stdout}");
    let unmatched = env.ok(&["mail", "unmatched"]);
    assert_no_controls("mail unmatched", &unmatched);
    assert!(unmatched.contains(subject), "{unmatched}");
    let json = env.json(&["mail", "unmatched", "--format", "json"]);
    assert_eq!(json[0]["subject"], format!("Records {OSC_TITLE} ready raw{ESC_CLEAR}\u{9b}31m"));
}

/// `mail import PATH` with its stdout and stderr as pipes the test holds (and may close).
fn import_into_pipes(env: &Env, path: &Path) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("foiatrack"))
        .current_dir(env.path(""))
        .env("FOIATRACK_DB", &env.db)
        .env("FOIATRACK_TODAY", &env.today)
        .args(["mail", "import", path.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// A mailbox larger than one block of the table (1,000 rows) is printed as it is imported: the
/// table in blocks under their own header, JSON as one array, the counts over the whole mailbox.
#[test]
fn a_large_mailbox_is_reported_whole_in_blocks_and_as_one_json_array() {
    let env = sent_env();
    let alpha = code_of(&env, "alpha-co");
    let mut mbox = String::new();
    for i in 0..1203 {
        // Every 100th message matches the alpha request by its code; the rest match nothing.
        let subject = if i % 100 == 0 { format!("Re: {alpha} part {i}") } else { format!("Newsletter {i}") };
        mbox.push_str(&mbox_message(
            "list@news.example.net",
            &subject,
            "Tue, 10 Mar 2026 09:00:00 -0500",
            &format!("m{i}@news.example.net"),
            &format!("issue {i}"),
        ));
    }
    // Two broken messages: kept out, listed, counted.
    mbox.push_str("From junk@nowhere.example.net Mon Mar 09 12:00:00 2026\n\u{0}\u{1}\n");
    mbox.push_str("From junk@nowhere.example.net Mon Mar 09 12:00:00 2026\n\u{0}\u{2}\n");
    let path = env.write("large.mbox", &mbox);
    let out = env.cmd().args(["mail", "import", path.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let headers: Vec<&str> = stdout.lines().filter(|l| l.trim_start().starts_with("DATE ")).collect();
    assert_eq!(headers.len(), 2, "{}", &stdout[..2000]);
    let rows = stdout.lines().filter(|l| l.trim_start().starts_with("2026-03-10 ")).count();
    assert_eq!(rows, 1203);
    assert_eq!(stdout.lines().filter(|l| l.contains(&format!("{alpha} by tracking-code"))).count(), 13);
    assert!(stdout.contains("1205 message(s): 1203 new (1190 unmatched), 0 already imported, 2 skipped"), "{stdout}");
    assert!(stdout.contains("Skipped (2); not imported, the rest was:"));

    // Again, as JSON: one array of every message (all already imported now), skips on stderr.
    let out = env.cmd().args(["mail", "import", path.to_str().unwrap(), "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let all: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(all.len(), 1203);
    assert!(all.iter().all(|m| m["duplicate"] == true));
    assert_eq!(all[1202]["subject"], "Newsletter 1202");
    assert!(String::from_utf8_lossy(&out.stderr).contains("Skipped (2)"));

    // A reader that goes away (`| head -1`) does not stop the import: every message is read and
    // stored, and the command says its report was lost.
    let other = env.write(
        "other.mbox",
        &mbox.replace("@news.example.net>", "@other.example.net>").replace("issue ", "other issue "),
    );
    let mut child = import_into_pipes(&env, &other);
    let mut first = [0u8; 64];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("all 1205 message(s) were read (1203 new, 0 already imported, 2 skipped), but the report could not be printed"),
        "{stderr}"
    );
    let conn = rusqlite::Connection::open(&env.db).unwrap();
    let stored: i64 = conn
        .query_row("SELECT COUNT(*) FROM communications WHERE message_id LIKE '%@other.example.net%'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, 1203);
    // With stderr gone too (`2>&1 | head`): still the import's own exit code, not a crash.
    let mut child = import_into_pipes(&env, &other);
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
    drop(child.stdout.take());
    drop(child.stderr.take());
    assert_eq!(child.wait().unwrap().code(), Some(1));

    // Nothing imported: JSON is an empty array, the table its header.
    let empty = env.write("empty.mbox", "");
    let out = env.cmd().args(["mail", "import", empty.to_str().unwrap(), "--format", "json"]).output().unwrap();
    assert_eq!((out.status.code(), out.stdout), (Some(1), b"[]\n".to_vec()));
    let out = env.cmd().args(["mail", "import", empty.to_str().unwrap()]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with(" DATE   FROM   SUBJECT   FILES   MATCHED\n"), "{stdout}");
}
