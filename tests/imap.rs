//! `mail fetch` (issue 12, point 1) against a real Dovecot on 127.0.0.1: new messages imported
//! once each, as `mail import` would; a dropped or killed fetch resumed without duplicates; two
//! fetches at once; a renumbered folder; TLS and STARTTLS with a test authority; moving and
//! flagging; watching; and the password never shown.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::imap_server::{Dovecot, Options, Proxy, USER, echoing_server};
use crate::util::{Env, code_of, example_agencies};

/// A starts a Dovecot, or ends the test (skipped, with a note) when it is not installed.
macro_rules! dovecot {
    ($opts:expr) => {
        match Dovecot::start($opts) {
            Some(d) => d,
            None => return,
        }
    };
}

fn message(n: usize, subject: &str) -> String {
    format!(
        "From: Records Clerk <clerk@agency.example.org>\r\nTo: records@newsroom.example.org\r\nSubject: {subject}\r\nMessage-ID: <reply-{n}@agency.example.org>\r\nDate: Thu, 05 Mar 2026 10:{:02}:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nReply number {n}.\r\n",
        n % 60
    )
}

/// `foiatrack mail fetch` for this server, as a std Command (to spawn), with the environment
/// `Env::cmd` gives.
fn fetch_cmd(env: &Env, server: &Dovecot, url: &str, args: &[&str]) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("foiatrack"));
    for (k, _) in std::env::vars() {
        if k.starts_with("FOIATRACK_") {
            c.env_remove(k);
        }
    }
    c.current_dir(env.dir.path())
        .env("FOIATRACK_DB", &env.db)
        .env("FOIATRACK_TODAY", &env.today)
        .env("NO_COLOR", "1")
        .env("FOIATRACK_IMAP_URL", url)
        .env("FOIATRACK_IMAP_PASSWORD", &server.opts.password)
        .args(["mail", "fetch"])
        .args(args);
    if let Some(ca) = &server.ca_file {
        c.env("FOIATRACK_IMAP_CA_FILE", ca);
    }
    c
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(mut c: Command) -> Run {
    let out = c.output().unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// A fetch with `--format json` that must succeed: the records it printed.
fn fetch_json(env: &Env, server: &Dovecot, url: &str, args: &[&str]) -> Vec<Value> {
    let r = run(fetch_cmd(env, server, url, &[&["--format", "json"], args].concat()));
    assert_eq!(r.code, Some(0), "fetch failed:\n{}\n{}\n{}", r.stdout, r.stderr, server.log());
    serde_json::from_str::<Value>(&r.stdout).unwrap().as_array().unwrap().clone()
}

fn subjects(records: &[Value]) -> Vec<String> {
    records.iter().map(|r| r["subject"].as_str().unwrap().to_string()).collect()
}

fn new_ones(records: &[Value]) -> usize {
    records.iter().filter(|r| r["duplicate"] == false).count()
}

/// How many inbound messages the database holds (all unmatched in these tests).
fn stored(env: &Env) -> usize {
    env.json(&["mail", "unmatched", "--format", "json"]).as_array().unwrap().len()
}

#[test]
fn imaps_fetch_imports_new_messages_once_exactly_as_mail_import_does() {
    let server = dovecot!(Options { tls: true, ..Options::default() });
    // A campaign, so one reply matches a request by the tracking code in its subject.
    let env = Env::new();
    env.ok(&["agency", "import", example_agencies().to_str().unwrap()]);
    env.ok(&["config", "set", "requester.name", "Jane Doe"]);
    env.ok(&[
        "campaign",
        "new",
        "amazon-2016",
        "--title",
        "Amazon purchases 2016",
        "--records",
        "All purchases",
        "--period-start",
        "2016-01-01",
        "--period-end",
        "2016-12-31",
        "--code-prefix",
        "AMZ16",
    ]);
    env.ok(&["campaign", "add", "amazon-2016", "--all"]);
    let austin = code_of(&env, "city-of-austin-tx");
    let with_file = "From: clerk@agency.example.org\r\nTo: records@newsroom.example.org\r\nSubject: The records\r\nMessage-ID: <files@agency.example.org>\r\nDate: Fri, 06 Mar 2026 09:00:00 -0500\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nAttached.\r\n--b\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename=\"pcard.csv\"\r\n\r\ndate,vendor,amount\r\n2016-01-04,AMAZON,12.00\r\n--b--\r\n";
    let messages = [message(1, "Your request"), message(2, &format!("RE: {austin} records")), with_file.to_string()];
    for m in &messages {
        server.deliver("INBOX", m);
    }

    let url = server.imaps_url("INBOX");
    let first = fetch_json(&env, &server, &url, &[]);
    assert_eq!(subjects(&first), ["Your request", &format!("RE: {austin} records"), "The records"]);
    assert_eq!(new_ones(&first), 3);
    let uidvalidity =
        first[0]["source"].as_str().unwrap().split("UIDVALIDITY=").nth(1).unwrap().split('/').next().unwrap();
    for (i, r) in first.iter().enumerate() {
        assert_eq!(
            r["source"],
            format!("imap://localhost:{}/INBOX;UIDVALIDITY={uidvalidity}/;UID={}", server.tls_port, i + 1)
        );
    }
    assert_eq!(
        (first[1]["tracking_code"].as_str(), first[1]["matched_by"].as_str()),
        (Some(austin.as_str()), Some("tracking-code"))
    );
    assert_eq!(first[2]["attachments"], 1);

    // The same messages through `mail import`, on a database set up the same way: the same
    // records but for where they came from.
    let twin = Env::new();
    twin.ok(&["agency", "import", example_agencies().to_str().unwrap()]);
    twin.ok(&["config", "set", "requester.name", "Jane Doe"]);
    twin.ok(&[
        "campaign",
        "new",
        "amazon-2016",
        "--title",
        "Amazon purchases 2016",
        "--records",
        "All purchases",
        "--period-start",
        "2016-01-01",
        "--period-end",
        "2016-12-31",
        "--code-prefix",
        "AMZ16",
    ]);
    twin.ok(&["campaign", "add", "amazon-2016", "--all"]);
    let mut imported = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let p = twin.write(&format!("{i}.eml"), m);
        let mut r =
            twin.json(&["mail", "import", p.to_str().unwrap(), "--format", "json"]).as_array().unwrap()[0].clone();
        r["source"] = first[i]["source"].clone();
        imported.push(r);
    }
    assert_eq!(first, imported);

    // Nothing new: nothing read, and said so.
    let again = run(fetch_cmd(&env, &server, &url, &[]));
    assert_eq!(
        (again.code, again.stdout.as_str(), again.stderr.as_str()),
        (Some(0), "No new messages in INBOX at localhost.\n", "")
    );
    assert_eq!(fetch_json(&env, &server, &url, &[]), Vec::<Value>::new());

    // Then one more arrives: only it is read. Messages stay unread on the server.
    server.deliver("INBOX", &message(4, "Fee estimate"));
    let text = run(fetch_cmd(&env, &server, &url, &[]));
    assert_eq!(text.code, Some(0), "{}", text.stderr);
    assert!(text.stdout.contains("Fee estimate") && text.stdout.contains("UNMATCHED"), "{}", text.stdout);
    assert!(
        text.stdout.ends_with(
            "1 message(s) from INBOX at localhost: 1 new (1 unmatched), 0 already imported\nSee them with `foiatrack mail unmatched`; tie one with `foiatrack mail assign ID CODE`.\n"
        ),
        "{}",
        text.stdout
    );
    assert_eq!(stored(&env), 3);
    assert!(server.files("INBOX").iter().all(|f| !f.contains(":2,") || !f.split(":2,").nth(1).unwrap().contains('S')));
}

#[test]
fn starttls_and_plain_loopback_work_and_an_unknown_authority_is_refused() {
    let tls = dovecot!(Options { tls: true, ..Options::default() });
    tls.deliver("INBOX", &message(1, "Over STARTTLS"));
    let env = Env::new();
    let got = fetch_json(&env, &tls, &tls.starttls_url("INBOX"), &[]);
    assert_eq!(subjects(&got), ["Over STARTTLS"]);

    // Without the test authority the certificate is not trusted: refused, and says what to do.
    let other = Env::new();
    let mut c = fetch_cmd(&other, &tls, &tls.imaps_url("INBOX"), &[]);
    c.env_remove("FOIATRACK_IMAP_CA_FILE");
    let r = run(c);
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("set FOIATRACK_IMAP_CA_FILE"), "{}", r.stderr);
    assert!(!r.stderr.contains(&tls.opts.password));
    assert_eq!(stored(&other), 0);

    // STARTTLS really sets up TLS: without the authority it fails the same way.
    let mut c = fetch_cmd(&other, &tls, &tls.starttls_url("INBOX"), &[]);
    c.env_remove("FOIATRACK_IMAP_CA_FILE");
    let r = run(c);
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("set FOIATRACK_IMAP_CA_FILE"), "{}", r.stderr);
    // The one login the server accepted (the first run) was over TLS; the others never got to log in.
    let logins: Vec<String> =
        tls.log().lines().filter(|l| l.contains("Login: user=<jane>")).map(String::from).collect();
    assert_eq!(logins.len(), 1, "{logins:?}");
    assert!(logins.iter().all(|l| l.contains(", TLS")), "{logins:?}");

    // Another server on this machine, on another port, whose INBOX happens to have the same
    // UIDVALIDITY: a folder of its own, read from its first message.
    let mut plain = dovecot!(Options::default());
    plain.deliver("INBOX", &message(2, "In clear, on this machine"));
    let uidvalidity =
        got[0]["source"].as_str().unwrap().split("UIDVALIDITY=").nth(1).unwrap().split('/').next().unwrap();
    plain.renumber(uidvalidity.parse().unwrap());
    assert_eq!(subjects(&fetch_json(&env, &plain, &plain.plain_url("INBOX"), &[])), ["In clear, on this machine"]);
}

#[test]
fn plain_imap_to_another_machine_is_refused_before_connecting() {
    let env = Env::new();
    for url in ["imap://jane@imap.newsroom.example.org/INBOX", "imap://jane@192.0.2.7:143/INBOX?tls=none"] {
        let out = env
            .cmd()
            .env("FOIATRACK_IMAP_URL", url)
            .env("FOIATRACK_IMAP_PASSWORD", "s3cret-Pw")
            .args(["mail", "fetch"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1));
        if url.contains("tls=none") {
            assert!(stderr.contains("tls=none in the IMAP URL: the only setting is tls=starttls"), "{stderr}");
        } else {
            assert_eq!(
                stderr,
                "error: refusing to send the IMAP password to imap.newsroom.example.org over a connection that is not encrypted: use imaps://, or imap://...?tls=starttls\n"
            );
        }
        assert!(!stderr.contains("s3cret"));
    }
    // No URL at all: what to set.
    let stderr = env.fails(&["mail", "fetch"], 1);
    assert!(stderr.contains("set FOIATRACK_IMAP_URL"), "{stderr}");
}

#[test]
fn the_password_never_shows_even_when_the_server_echoes_it() {
    let env = Env::new();
    // A fake server that answers LOGIN with the line it received, in clear and in base64.
    let port = echoing_server();
    let password = "p\"ss\\wörd 2 %x";
    for (url, env_pw) in [
        (format!("imap://{USER}@127.0.0.1:{port}/INBOX"), Some(password)),
        (
            format!(
                "imap://{USER}:{}@127.0.0.1:{port}/INBOX",
                percent_encoding::utf8_percent_encode(password, percent_encoding::NON_ALPHANUMERIC)
            ),
            None,
        ),
    ] {
        let mut c = env.cmd();
        c.env("FOIATRACK_IMAP_URL", &url).args(["mail", "fetch"]);
        if let Some(pw) = env_pw {
            c.env("FOIATRACK_IMAP_PASSWORD", pw);
        }
        let out = c.output().unwrap();
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(1), "{all}");
        assert!(all.contains("127.0.0.1 refused the login (NO [AUTHENTICATIONFAILED] you sent: A0001 LOGIN"), "{all}");
        for leak in ["ss\\", "wörd", "w\\u{f6}rd", "ss\\\\", "2 %x", "cCJzc1x3"] {
            assert!(!all.contains(leak), "{leak} shown in {all}");
        }
    }

    // A real server refusing a wrong password.
    let server = dovecot!(Options::default());
    server.deliver("INBOX", &message(1, "Hello"));
    let mut c = fetch_cmd(&env, &server, &server.plain_url("INBOX"), &[]);
    c.env("FOIATRACK_IMAP_PASSWORD", "Wrong-Horse-42");
    let r = run(c);
    assert_eq!(r.code, Some(1));
    assert_eq!(
        r.stderr,
        "error: 127.0.0.1 refused the login (NO [AUTHENTICATIONFAILED] Authentication failed.); check the user in the IMAP URL and FOIATRACK_IMAP_PASSWORD\n"
    );
    assert!(!r.stdout.contains("Wrong-Horse") && stored(&env) == 0);
}

#[test]
fn a_connection_dropped_midway_then_a_second_fetch_imports_the_rest_once() {
    let server = dovecot!(Options::default());
    for n in 1..=8 {
        server.deliver("INBOX", &message(n, &format!("Reply {n}")));
    }
    let proxy = Proxy::start(server.port, 3, false);
    let url = format!("imap://{USER}@127.0.0.1:{}/INBOX", proxy.port);
    let env = Env::new();
    let r = run(fetch_cmd(&env, &server, &url, &["--format", "json"]));
    assert_eq!(r.code, Some(1), "{}\n{}", r.stdout, r.stderr);
    assert!(proxy.cut.load(std::sync::atomic::Ordering::SeqCst));
    assert!(
        r.stderr.contains("error: lost the connection to 127.0.0.1 while trying to download messages (")
            && r.stderr.ends_with("; what was imported before this is kept, and the next fetch goes on from there\n"),
        "{}",
        r.stderr
    );
    // What came before the cut is imported and shown.
    let first: Vec<Value> = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(subjects(&first), ["Reply 1", "Reply 2", "Reply 3"]);

    let second = fetch_json(&env, &server, &url, &[]);
    assert_eq!(subjects(&second), ["Reply 4", "Reply 5", "Reply 6", "Reply 7", "Reply 8"]);
    assert_eq!(new_ones(&second), 5);
    assert_eq!(stored(&env), 8);
    assert_eq!(proxy.connections.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[test]
fn a_fetch_killed_midway_leaves_no_claim_behind_and_no_duplicates() {
    let server = dovecot!(Options::default());
    for n in 1..=6 {
        server.deliver("INBOX", &message(n, &format!("Reply {n}")));
    }
    let proxy = Proxy::start(server.port, 2, true);
    let url = format!("imap://{USER}@127.0.0.1:{}/INBOX", proxy.port);
    let env = Env::new();
    let mut child = fetch_cmd(&env, &server, &url, &[]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    // It hangs after the second message: wait until that one is saved, then kill it.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !(proxy.cut.load(std::sync::atomic::Ordering::SeqCst) && stored(&env) == 2) {
        assert!(Instant::now() < deadline, "the fetch did not get to the cut");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    // The killed process's claim does not hold up the next fetch, which imports the rest once.
    let second = fetch_json(&env, &server, &url, &[]);
    let new: Vec<String> =
        second.iter().filter(|r| r["duplicate"] == false).map(|r| r["subject"].as_str().unwrap().to_string()).collect();
    assert_eq!(new, ["Reply 3", "Reply 4", "Reply 5", "Reply 6"]);
    // At most the message it was killed after could be read again (then found already imported).
    assert!(second.len() <= 5, "{second:?}");
    assert_eq!(stored(&env), 6);
}

#[test]
fn two_fetches_at_once_import_each_message_once() {
    let server = dovecot!(Options::default());
    let n = 60;
    for i in 1..=n {
        server.deliver("INBOX", &message(i, &format!("Reply {i}")));
    }
    let env = Env::new();
    let url = server.plain_url("INBOX");
    let spawn = || {
        fetch_cmd(&env, &server, &url, &["--format", "json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let mut total_new = 0;
    let mut busy = 0;
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        let records: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
        total_new += new_ones(&records);
        if stderr.contains("is reading INBOX at 127.0.0.1 now; this fetch read nothing") {
            assert!(records.is_empty());
            busy += 1;
        }
    }
    assert_eq!(total_new, n);
    assert!(busy <= 1);
    assert_eq!(stored(&env), n);
    assert_eq!(fetch_json(&env, &server, &url, &[]), Vec::<Value>::new());
}

#[test]
fn a_renumbered_folder_is_read_again_without_duplicates() {
    let mut server = dovecot!(Options::default());
    for n in 1..=3 {
        server.deliver("INBOX", &message(n, &format!("Reply {n}")));
    }
    let env = Env::new();
    let url = server.plain_url("INBOX");
    let first = fetch_json(&env, &server, &url, &[]);
    assert_eq!(new_ones(&first), 3);
    let old = first[0]["source"]
        .as_str()
        .unwrap()
        .split("UIDVALIDITY=")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    assert_ne!(old, "424242");

    server.renumber(424242);
    server.deliver("INBOX", &message(4, "Reply 4"));
    let r = run(fetch_cmd(&env, &server, &url, &["--format", "json"]));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        r.stderr,
        format!(
            "note: the server renumbered INBOX at 127.0.0.1 (UIDVALIDITY was {old}, now 424242); reading the folder again from its first message: messages imported before are recognised and not imported twice\n"
        )
    );
    let second: Vec<Value> = serde_json::from_str(&r.stdout).unwrap();
    let mut all = subjects(&second);
    all.sort();
    assert_eq!(all, ["Reply 1", "Reply 2", "Reply 3", "Reply 4"]);
    assert_eq!(new_ones(&second), 1);
    assert!(second.iter().all(|r| r["source"].as_str().unwrap().contains(";UIDVALIDITY=424242/;UID=")));
    assert_eq!(stored(&env), 4);
    assert_eq!(fetch_json(&env, &server, &url, &[]), Vec::<Value>::new());
}

#[test]
fn move_to_and_flag_act_only_on_what_was_imported() {
    let server = dovecot!(Options::default());
    server.create_folder("Imported");
    server.deliver("INBOX", &message(1, "Reply 1"));
    server.deliver("INBOX", "\u{1}\u{2} not an email at all\r\n");
    server.deliver("INBOX", &message(2, "Reply 2"));
    let env = Env::new();
    let url = server.plain_url("INBOX");

    // A folder that does not exist: refused before anything is imported.
    let r = run(fetch_cmd(&env, &server, &url, &["--move-to", "Nowhere"]));
    assert_eq!(r.code, Some(1));
    assert!(
        r.stderr.starts_with("error: the --move-to folder 'Nowhere' cannot be used at 127.0.0.1 (NO "),
        "{}",
        r.stderr
    );
    assert_eq!(stored(&env), 0);

    let r = run(fetch_cmd(&env, &server, &url, &["--move-to", "Imported"]));
    assert_eq!(r.code, Some(1), "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("3 message(s) from INBOX at 127.0.0.1: 2 new (2 unmatched), 0 already imported, 1 skipped"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains(";UID=2: not an email message (no header lines)"), "{}", r.stdout);
    assert_eq!(r.stderr, "error: 1 message(s) could not be imported; see the list above\n");
    // The two imported moved, the one skipped left where it was.
    assert_eq!(server.files("Imported").len(), 2);
    assert_eq!(server.files("INBOX").len(), 1);
    assert_eq!(stored(&env), 2);

    // Flags: \Seen by default, or a keyword.
    server.deliver("INBOX", &message(3, "Reply 3"));
    let got = fetch_json(&env, &server, &url, &["--flag"]);
    assert_eq!(subjects(&got), ["Reply 3"]);
    let seen: Vec<String> = server.files("INBOX").into_iter().filter(|f| f.ends_with(":2,S")).collect();
    assert_eq!(seen.len(), 1, "{:?}", server.files("INBOX"));
    server.deliver("INBOX", &message(4, "Reply 4"));
    assert_eq!(subjects(&fetch_json(&env, &server, &url, &["--flag", "foiatrack"])), ["Reply 4"]);
    let keywords = std::fs::read_to_string(server.maildir("INBOX").join("dovecot-keywords")).unwrap();
    assert!(keywords.contains("foiatrack"), "{keywords}");
    assert_eq!(server.files("INBOX").iter().filter(|f| f.ends_with(":2,a")).count(), 1, "{:?}", server.files("INBOX"));

    // A server without MOVE: copied, marked deleted and expunged by UID (UIDPLUS) instead.
    let old = dovecot!(Options {
        capability: Some("IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE IDLE UIDPLUS".into()),
        ..Options::default()
    });
    old.create_folder("Imported");
    old.deliver("INBOX", &message(5, "Reply 5"));
    old.deliver("INBOX", &message(6, "Reply 6"));
    let other = Env::new();
    let got = fetch_json(&other, &old, &old.plain_url("INBOX"), &["--move-to", "Imported"]);
    assert_eq!(subjects(&got), ["Reply 5", "Reply 6"]);
    assert_eq!((old.files("INBOX").len(), old.files("Imported").len()), (0, 2));
    assert!(old.log().contains("deleted=2 expunged=2"), "{}", old.log());

    // Usage errors.
    let mut c = env.cmd();
    let out = c.env("FOIATRACK_IMAP_URL", &url).args(["mail", "fetch", "--flag", "\\Deleted"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("--flag '\\Deleted' is neither"), "{stderr}");
    env.fails(&["mail", "fetch", "--flag", "--move-to", "X"], 2);
    env.fails(&["mail", "fetch", "--interval", "5"], 2);
}

/// Lines a child prints, as they come.
fn lines_of(stream: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn next_line(rx: &mpsc::Receiver<String>, what: &str, child: &mut Child, server: &Dovecot) -> String {
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(l) => l,
        Err(_) => {
            let _ = child.kill();
            panic!("no line for {what} within 20 s\n{}", server.log());
        }
    }
}

#[test]
fn watch_imports_what_arrives_reconnects_and_stops_on_sigterm() {
    let mut server = dovecot!(Options::default());
    server.deliver("INBOX", &message(1, "Reply 1"));
    let env = Env::new();
    let mut child = fetch_cmd(&env, &server, &server.plain_url("INBOX"), &["--watch", "--interval", "30"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = lines_of(child.stdout.take().unwrap());
    let err = lines_of(child.stderr.take().unwrap());
    assert_eq!(
        next_line(&out, "the first message", &mut child, &server),
        "2026-03-05  clerk@agency.example.org  Reply 1  UNMATCHED"
    );

    // Delivered while it waits: announced by the server (IDLE), well before the 30 s interval.
    let start = Instant::now();
    server.deliver("INBOX", &message(2, "Reply 2"));
    assert_eq!(
        next_line(&out, "a new message", &mut child, &server),
        "2026-03-05  clerk@agency.example.org  Reply 2  UNMATCHED"
    );
    assert!(start.elapsed() < Duration::from_secs(15), "{:?}", start.elapsed());

    // The server goes away and comes back: the watch connects again and carries on.
    server.restart();
    let note = next_line(&err, "a note on the lost connection", &mut child, &server);
    assert!(note.starts_with("note: ") && note.contains("connecting again in 1 s"), "{note}");
    server.deliver("INBOX", &message(3, "Reply 3"));
    assert_eq!(
        next_line(&out, "a message after the restart", &mut child, &server),
        "2026-03-05  clerk@agency.example.org  Reply 3  UNMATCHED"
    );

    // SIGTERM: it logs out and ends, successfully.
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "the watch did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
    let rest: Vec<String> = err.try_iter().collect();
    assert!(rest.iter().all(|l| !l.contains(&server.opts.password)), "{rest:?}");
    assert_eq!(stored(&env), 3);
}

#[test]
fn watch_polls_a_server_that_cannot_announce_new_mail() {
    let server = dovecot!(Options {
        capability: Some("IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE UIDPLUS MOVE".into()),
        ..Options::default()
    });
    let env = Env::new();
    let mut child =
        fetch_cmd(&env, &server, &server.plain_url("INBOX"), &["--watch", "--interval", "1", "--format", "json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
    let out = lines_of(child.stdout.take().unwrap());
    std::thread::sleep(Duration::from_millis(500));
    server.deliver("INBOX", &message(1, "Polled"));
    // One JSON record per line.
    let line = next_line(&out, "a polled message", &mut child, &server);
    let record: Value = serde_json::from_str(&line).unwrap();
    assert_eq!((record["subject"].as_str(), record["duplicate"].as_bool()), (Some("Polled"), Some(false)));
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert_eq!(stderr, "");
    assert_eq!(stored(&env), 1);
}
