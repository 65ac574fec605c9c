//! Letters and email (issue 4): rendered letters, sending through a real SMTP server on
//! 127.0.0.1 exactly once, crash recovery, failures, follow-ups.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::smtp_server::{Options, SmtpServer};
use crate::util::{Env, code_of, example_agencies};

fn campaign_env(today: &str) -> Env {
    let mut env = Env::new();
    env.today = today.into();
    env.ok(&["agency", "import", example_agencies().to_str().unwrap()]);
    env.ok(&["config", "set", "requester.name", "Jane Doe"]);
    env.ok(&["config", "set", "requester.organization", "Example Newsroom"]);
    env.ok(&["config", "set", "requester.email", "jane@newsroom.example.org"]);
    env.ok(&["config", "set", "requester.address", "1 Press Row\nSpringfield, XX 00000"]);
    env.ok(&[
        "campaign",
        "new",
        "amazon-2016",
        "--title",
        "Amazon purchases 2016",
        "--records",
        "All records of purchases from Amazon (including Amazon.com, Amazon Marketplace and AMZN Mktp US) made in calendar year 2016, showing the date, amount and description of each purchase.",
        "--period-start",
        "2016-01-01",
        "--period-end",
        "2016-12-31",
        "--code-prefix",
        "AMZ16",
        "--fee-limit",
        "50.00",
    ]);
    env.ok(&["campaign", "add", "amazon-2016", "--all"]);
    env
}

fn mail_cmd(env: &Env, server: &SmtpServer) -> assert_cmd::Command {
    let mut c = env.cmd();
    c.env("FOIATRACK_SMTP_URL", server.url())
        .env("FOIATRACK_FROM", "Jane Doe <jane@newsroom.example.org>")
        .env("FOIATRACK_REPLY_TO", "records+{code}@newsroom.example.org");
    c
}

fn run(mut c: assert_cmd::Command, args: &[&str]) -> (i32, String, String) {
    let out = c.args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Agency key -> (email, state) for agencies with an email.
fn emailable(env: &Env) -> BTreeMap<String, (String, String)> {
    env.json(&["agency", "list", "--format", "json"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["email"].is_string())
        .map(|a| {
            (
                a["key"].as_str().unwrap().to_string(),
                (a["email"].as_str().unwrap().to_string(), a["state"].as_str().unwrap().to_string()),
            )
        })
        .collect()
}

#[test]
fn letters_show_the_three_deadline_styles() {
    let env = campaign_env("2026-03-02");
    let co = env.ok(&["letter", &code_of(&env, "denver-public-schools-co")]);
    let ca = env.ok(&["letter", &code_of(&env, "los-angeles-county-ca")]);
    let az = env.ok(&["letter", &code_of(&env, "city-of-phoenix-az")]);
    assert!(co.contains("Pursuant to the Colorado Open Records Act (C.R.S. § 24-72-201"), "{co}");
    assert!(co.contains("within 3 business days, as the law provides"), "{co}");
    assert!(ca.contains("Pursuant to the California Public Records Act (Cal. Gov. Code § 7920.000"), "{ca}");
    assert!(ca.contains("within 10 calendar days, as the law provides"), "{ca}");
    assert!(az.contains("Pursuant to the Arizona Public Records Law (A.R.S. § 39-121 et seq.)"), "{az}");
    assert!(az.contains("I ask that you respond promptly"), "{az}");
    assert!(!az.contains("as the law provides") && !az.contains(" days"), "no statutory claim in AZ:\n{az}");
    insta::assert_snapshot!("letter_request_co_business_days", co);
    insta::assert_snapshot!("letter_request_ca_calendar_days", ca);
    insta::assert_snapshot!("letter_request_az_no_deadline", az);
}

#[test]
fn followup_and_appeal_letters() {
    let mut env = campaign_env("2026-02-13");
    let code = code_of(&env, "denver-public-schools-co");
    env.ok(&["log", &code, "sent"]);
    env.ok(&["log", &code, "acknowledged", "--reference", "CORA-118", "--on", "2026-02-17", "--today", "2026-02-17"]);
    env.today = "2026-03-02".into();
    let followup = env.ok(&["letter", &code, "--kind", "followup"]);
    assert!(followup.contains("This is my first follow-up on the request I sent on February 13, 2026"), "{followup}");
    assert!(
        followup.contains("A response was due by February 19, 2026. 10 business days have now passed"),
        "{followup}"
    );
    assert!(followup.contains("(your reference CORA-118)"), "{followup}");
    insta::assert_snapshot!("letter_followup_co", followup);
    env.ok(&["log", &code, "followed-up"]);
    let second = env.ok(&["letter", &code, "--kind", "followup", "--today", "2026-03-16"]);
    assert!(second.contains("This is my second follow-up"), "{second}");
    env.ok(&["log", &code, "rejected", "--on", "2026-03-04", "--today", "2026-03-04"]);
    let appeal = env.ok(&["letter", &code, "--kind", "appeal", "--today", "2026-03-05"]);
    assert!(
        appeal.contains("I appeal the denial of my request of February 13, 2026 under the Colorado Open Records Act"),
        "{appeal}"
    );
    assert!(appeal.contains("On March 4, 2026, your office denied the request."), "{appeal}");
    // A no-deadline state's follow-up makes no claim about a due date.
    let az = code_of(&env, "city-of-phoenix-az");
    env.ok(&["log", &az, "sent", "--on", "2026-02-13"]);
    let az_followup = env.ok(&["letter", &az, "--kind", "followup"]);
    assert!(!az_followup.contains("was due"), "{az_followup}");
    assert!(az_followup.contains("business days have now passed since the request was sent"), "{az_followup}");
    let err = env.fails(&["letter", &code_of(&env, "city-of-austin-tx"), "--kind", "followup"], 1);
    assert!(err.contains("has not been sent yet"), "{err}");
}

#[test]
fn campaign_letters_to_files_with_safe_names() {
    let env = campaign_env("2026-03-02");
    let out = env.path("out");
    env.ok(&["letter", "--campaign", "amazon-2016", "--out", out.to_str().unwrap()]);
    let names: BTreeSet<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(names.len(), 90);
    assert!(names.contains("AMZ16-0013-denver-public-schools-co-request.txt"), "{names:?}");
    assert!(names.iter().all(|n| n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')));
}

#[test]
fn send_campaign_delivers_once_per_agency_with_its_code_and_citation() {
    let env = campaign_env("2026-03-02");
    let server = SmtpServer::start(Options::default());
    let (code, stdout, stderr) = run(mail_cmd(&env, &server), &["send", "--campaign", "amazon-2016"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let emailable = emailable(&env);
    let received = server.received();
    assert_eq!(received.len(), emailable.len(), "one message per agency with an email");
    assert!(stdout.contains(&format!("Sent {} of {}", emailable.len(), emailable.len())), "{stdout}");
    assert!(stdout.contains("To send by mail or portal (10)"), "{stdout}");

    let laws: BTreeMap<String, String> = env
        .json(&["law", "list", "--format", "json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["code"].as_str().unwrap().to_string(), l["citation"].as_str().unwrap().to_string()))
        .collect();
    let outbox = env.json(&["outbox", "--format", "json"]);
    let requests = env.json(&["request", "list", "--format", "json"]);
    for (key, (email, state)) in &emailable {
        let req = requests.as_array().unwrap().iter().find(|r| r["agency_key"] == key.as_str()).unwrap();
        let code = req["tracking_code"].as_str().unwrap();
        assert_eq!(req["status"], "awaiting_ack");
        assert_eq!(req["sent_on"], "2026-03-02");
        let msgs: Vec<_> = received.iter().filter(|m| m.rcpt_to == [email.clone()]).collect();
        assert_eq!(msgs.len(), 1, "{email}");
        let m = msgs[0];
        assert_eq!(m.mail_from, "jane@newsroom.example.org");
        assert_eq!(m.subject(), format!("Public records request {code}: Amazon purchases 2016"));
        assert!(m.text().contains(&laws[state]), "{code}: citation {} missing", laws[state]);
        let stored = outbox.as_array().unwrap().iter().find(|o| o["tracking_code"] == code).unwrap();
        assert_eq!(stored["state"], "sent");
        assert_eq!(stored["message_id"].as_str().unwrap(), m.message_id(), "Message-ID stored");
        assert!(m.data.contains(&format!("Reply-To: records+{code}@newsroom.example.org")), "{}", m.data);
    }
    // The paper letters were written for the agencies without email.
    let paper = std::fs::read_dir(env.path("letters")).unwrap().count();
    assert_eq!(paper, 10);

    // A second run sends nothing.
    let (code, stdout, _) = run(mail_cmd(&env, &server), &["send", "--campaign", "amazon-2016"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("Sent 0 of 0"), "{stdout}");
    assert_eq!(server.received().len(), emailable.len());
    // Naming a sent request explicitly is refused politely, not re-sent.
    let some_code = outbox[0]["tracking_code"].as_str().unwrap();
    let (_, stdout, _) = run(mail_cmd(&env, &server), &["send", some_code]);
    assert!(stdout.contains(&format!("skipped {some_code}: already")), "{stdout}");
    assert_eq!(server.received().len(), emailable.len());
}

#[test]
fn refused_recipient_is_recorded_and_the_batch_goes_on() {
    let env = campaign_env("2026-03-02");
    let dps = "records@denverpublicschools-co.example.org".to_string();
    let server = SmtpServer::start(Options { reject: vec![dps.clone()], ..Default::default() });
    let (code, stdout, stderr) = run(mail_cmd(&env, &server), &["send", "--campaign", "amazon-2016"]);
    assert_ne!(code, 0, "a failure makes the exit code non-zero");
    assert!(stderr.contains("1 failed"), "{stderr}");
    assert!(stdout.contains("Failed (1)") && stdout.contains("550"), "{stdout}");
    assert_eq!(server.received().len(), emailable(&env).len() - 1);
    let outbox = env.json(&["outbox", "--format", "json"]);
    let failed: Vec<_> = outbox.as_array().unwrap().iter().filter(|o| o["state"] == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["to"], dps.as_str());
    assert!(failed[0]["error"].as_str().unwrap().contains("mailbox unavailable"), "the server's answer is kept");
    assert_eq!(
        env.json(&["request", "show", &code_of(&env, "denver-public-schools-co"), "--format", "json"])["status"],
        "draft"
    );

    // Once the address is fixed (here: the server accepts it), a re-run sends only that one.
    let good = SmtpServer::start(Options::default());
    let (code, stdout, _) = run(mail_cmd(&env, &good), &["send", "--campaign", "amazon-2016"]);
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(good.received().len(), 1);
    assert_eq!(good.received()[0].rcpt_to, [dps]);
}

#[test]
fn server_going_away_mid_batch_then_rerun_sends_each_remaining_letter_once() {
    let env = campaign_env("2026-03-02");
    let flaky = SmtpServer::start(Options { accept_only: Some(7), ..Default::default() });
    let (code, _, _) = run(mail_cmd(&env, &flaky), &["send", "--campaign", "amazon-2016"]);
    assert_ne!(code, 0);
    assert_eq!(flaky.received().len(), 7);
    let good = SmtpServer::start(Options::default());
    let (code, stdout, stderr) = run(mail_cmd(&env, &good), &["send", "--campaign", "amazon-2016"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let mut all: Vec<String> =
        flaky.received().into_iter().chain(good.received()).map(|m| m.rcpt_to[0].clone()).collect();
    all.sort();
    let expected: Vec<String> =
        emailable(&env).into_values().map(|(e, _)| e).collect::<BTreeSet<_>>().into_iter().collect();
    assert_eq!(all, expected, "every agency exactly once across both runs");
}

#[test]
fn killed_mid_batch_never_sends_twice_nor_forgets() {
    let env = campaign_env("2026-03-02");
    let server = SmtpServer::start(Options { delay: Duration::from_millis(60), ..Default::default() });
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("foiatrack"))
        .args(["send", "--campaign", "amazon-2016"])
        .env("FOIATRACK_DB", &env.db)
        .env("FOIATRACK_TODAY", &env.today)
        .env("FOIATRACK_SMTP_URL", server.url())
        .env("FOIATRACK_FROM", "jane@newsroom.example.org")
        .current_dir(env.dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while server.received().len() < 5 {
        assert!(std::time::Instant::now() < deadline, "the sender never got going");
        std::thread::sleep(Duration::from_millis(5));
    }
    // Kill it while a message is most likely on the wire (the server holds each for 60 ms).
    std::thread::sleep(Duration::from_millis(30));
    child.kill().unwrap();
    child.wait().unwrap();
    // Let the server finish with what it was holding: like a real server, it may deliver a
    // message whose "250 OK" never reached the killed client.
    std::thread::sleep(Duration::from_millis(300));

    // Whatever was in flight is reported, not re-sent.
    let (_, stdout, _) = run(mail_cmd(&env, &server), &["send", "--campaign", "amazon-2016", "--limit", "0"]);
    let outbox = env.json(&["outbox", "--format", "json"]);
    let unsettled: Vec<_> = outbox.as_array().unwrap().iter().filter(|o| o["state"] == "sending").cloned().collect();
    for u in &unsettled {
        assert!(stdout.contains(u["tracking_code"].as_str().unwrap()), "unsettled message reported: {stdout}");
    }
    // Settle each from what the server knows, as staff would from their sent folder.
    let delivered: BTreeSet<String> = server.received().iter().map(|m| m.message_id()).collect();
    for u in &unsettled {
        let flag = if delivered.contains(u["message_id"].as_str().unwrap()) { "--was-sent" } else { "--not-sent" };
        env.ok(&["send", "--resolve", u["tracking_code"].as_str().unwrap(), flag]);
    }
    let (code, stdout, stderr) = run(mail_cmd(&env, &server), &["send", "--campaign", "amazon-2016"]);
    assert_eq!(code, 0, "{stdout}{stderr}");

    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for m in server.received() {
        *counts.entry(m.rcpt_to[0].clone()).or_default() += 1;
    }
    let expected: BTreeSet<String> = emailable(&env).into_values().map(|(e, _)| e).collect();
    assert_eq!(counts.keys().cloned().collect::<BTreeSet<_>>(), expected, "none forgotten");
    assert!(counts.values().all(|n| *n == 1), "none twice: {counts:?}");
    let sent = env.json(&["request", "list", "--status", "awaiting_ack", "--format", "json"]);
    assert_eq!(sent.as_array().unwrap().len(), expected.len(), "every delivered letter is logged as sent");
}

#[test]
fn dry_run_writes_eml_files_and_changes_nothing() {
    let env = campaign_env("2026-03-02");
    let dir = env.path("outbox");
    let out = env.ok(&["send", "--campaign", "amazon-2016", "--dry-run", dir.to_str().unwrap()]);
    assert!(out.contains("nothing was sent or recorded"), "{out}");
    let emls: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    assert_eq!(emls.len(), emailable(&env).len());
    let dps = std::fs::read(dir.join(format!("{}.eml", code_of(&env, "denver-public-schools-co")))).unwrap();
    let msg = mail_parser::MessageParser::default().parse(&dps).unwrap();
    assert!(msg.subject().unwrap().starts_with("Public records request AMZ16-"));
    assert!(msg.body_text(0).unwrap().contains("Colorado Open Records Act"));
    let queued = env.json(&["outbox", "--format", "json"]);
    assert!(queued.as_array().unwrap().iter().all(|o| o["state"] == "queued"));
    assert!(
        env.json(&["request", "list", "--format", "json"]).as_array().unwrap().iter().all(|r| r["status"] == "draft")
    );
}

#[test]
fn the_password_is_never_printed_or_stored() {
    let env = campaign_env("2026-03-02");
    // A closed port: the send fails; neither the error nor the database may hold the secret.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut c = env.cmd();
    c.env("FOIATRACK_SMTP_URL", format!("smtp://jane@127.0.0.1:{closed}"))
        .env("FOIATRACK_SMTP_PASSWORD", "hunter2-very-secret")
        .env("FOIATRACK_FROM", "jane@newsroom.example.org");
    let (code, stdout, stderr) = run(c, &["send", "--campaign", "amazon-2016", "--limit", "2"]);
    assert_ne!(code, 0);
    assert!(!stdout.contains("hunter2") && !stderr.contains("hunter2"), "{stdout}{stderr}");
    let db = std::fs::read(&env.db).unwrap();
    let wal = std::fs::read(env.db.with_extension("db-wal")).unwrap_or_default();
    for bytes in [db, wal] {
        assert!(!bytes.windows(7).any(|w| w == b"hunter2"), "password found in the database");
    }
}

#[test]
fn followups_a_month_later() {
    let mut env = campaign_env("2026-03-02");
    let server = SmtpServer::start(Options::default());
    let (code, _, _) = run(mail_cmd(&env, &server), &["send", "--campaign", "amazon-2016"]);
    assert_eq!(code, 0);
    // Some agencies answer: a completed one, a fee request (waiting on us), an estimate.
    env.ok(&["log", &code_of(&env, "city-of-austin-tx"), "completed", "--on", "2026-03-10", "--today", "2026-03-10"]);
    env.ok(&[
        "log",
        &code_of(&env, "city-of-pittsburgh-pa"),
        "fee",
        "--amount",
        "20",
        "--on",
        "2026-03-05",
        "--today",
        "2026-03-05",
    ]);
    env.ok(&[
        "log",
        &code_of(&env, "city-of-minneapolis-mn"),
        "estimated",
        "--until",
        "2026-05-15",
        "--today",
        "2026-03-05",
    ]);
    env.today = "2026-04-02".into();
    let list = env.json(&["followup", "--campaign", "amazon-2016", "--list", "--format", "json"]);
    let codes: BTreeSet<&str> = list.as_array().unwrap().iter().map(|c| c["tracking_code"].as_str().unwrap()).collect();
    let sent = emailable(&env).len();
    assert_eq!(codes.len(), sent - 3, "every sent request but the completed, the waiting and the estimated");
    for skip in ["city-of-austin-tx", "city-of-pittsburgh-pa", "city-of-minneapolis-mn"] {
        assert!(!codes.contains(code_of(&env, skip).as_str()), "{skip} must not be chased");
    }
    // Maryland's 30 calendar days from 03-02 run to 04-01: overdue by one business day on 04-02.
    let md = list.as_array().unwrap().iter().find(|c| c["state"] == "MD").unwrap();
    assert_eq!(md["overdue_days"], 1);
    let table = env.ok(&["followup", "--campaign", "amazon-2016", "--list"]);
    assert!(table.contains("#1"), "{table}");

    let before = server.received().len();
    let (code, stdout, stderr) = run(mail_cmd(&env, &server), &["followup", "--campaign", "amazon-2016", "--send"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let followups: Vec<_> = server.received().into_iter().skip(before).collect();
    assert_eq!(
        followups.len(),
        codes.len() - list.as_array().unwrap().iter().filter(|c| c["agency_email"].is_null()).count()
    );
    assert!(followups.iter().all(|m| m.subject().starts_with("Follow-up 1 on public records request AMZ16-")));
    // Never twice on the same day.
    let (code, stdout, _) = run(mail_cmd(&env, &server), &["followup", "--campaign", "amazon-2016", "--send"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("Sent 0 of 0"), "{stdout}");
    let dps = code_of(&env, "denver-public-schools-co");
    let r = env.json(&["request", "show", &dps, "--format", "json"]);
    assert_eq!(r["followups"], 1);
    assert!(r["events"].as_array().unwrap().iter().any(|e| e["kind"] == "followed-up"));

    // Two unanswered follow-ups later, the request is ready for an appeal where the law has one.
    env.today = "2026-04-16".into();
    run(mail_cmd(&env, &server), &["followup", "--campaign", "amazon-2016", "--send"]);
    env.today = "2026-04-30".into();
    let list = env.json(&["followup", "--campaign", "amazon-2016", "--list", "--format", "json"]);
    let pa_like = list.as_array().unwrap().iter().find(|c| c["state"] == "NY").unwrap();
    assert_eq!(pa_like["ready_to_appeal"], true);
    assert_eq!(pa_like["appeal"], "administrative");
    let table = env.ok(&["followup", "--campaign", "amazon-2016", "--list"]);
    assert!(table.contains("ready to appeal"), "{table}");
    let appeal = env.ok(&["letter", pa_like["tracking_code"].as_str().unwrap(), "--kind", "appeal"]);
    assert!(appeal.contains("I appeal the failure to respond to my request of March 2, 2026"), "{appeal}");
    assert!(appeal.contains("I followed up 2 times."), "{appeal}");
}
