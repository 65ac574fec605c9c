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
    // Colorado has no administrative appeal: the next step is the notice of intent to sue.
    let (status, notice, note) = run(env.cmd(), &["letter", &code, "--kind", "appeal", "--today", "2026-03-05"]);
    assert_eq!(status, 0, "{note}");
    assert!(
        notice.contains(
            "This letter is written notice under C.R.S. § 24-72-204(5) that I intend to file an application to the district court about the denial of my request of February 13, 2026 under the Colorado Open Records Act"
        ),
        "{notice}"
    );
    assert!(notice.contains("On March 4, 2026, your office denied the request."), "{notice}");
    assert!(!notice.contains("I appeal"), "{notice}");
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
        .map(|l| (l["code"].as_str().unwrap().to_string(), l["letter_citation"].as_str().unwrap().to_string()))
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

/// A campaign with a federal agency added, every letter's request sent on Monday 2 March 2026.
fn laws_env(fee_waiver: Option<&str>) -> Env {
    let env = Env::new();
    env.ok(&["agency", "import", example_agencies().to_str().unwrap()]);
    env.ok(&[
        "agency",
        "add",
        "--name",
        "Federal Example Agency",
        "--state",
        "US",
        "--kind",
        "other",
        "--email",
        "foia@federal-agency.example.org",
        "--mailing-address",
        "1 Federal Plaza\nWashington, DC",
    ]);
    env.ok(&["config", "set", "requester.name", "Jane Doe"]);
    env.ok(&["config", "set", "requester.email", "jane@newsroom.example.org"]);
    let mut args = vec![
        "campaign",
        "new",
        "amazon-2016",
        "--title",
        "Amazon purchases 2016",
        "--records",
        "All records of purchases from Amazon made in calendar year 2016.",
        "--code-prefix",
        "AMZ16",
        "--fee-limit",
        "50.00",
    ];
    if let Some(w) = fee_waiver {
        args.extend(["--fee-waiver", w]);
    }
    env.ok(&args);
    env.ok(&["campaign", "add", "amazon-2016", "--all"]);
    env
}

/// (stdout, stderr) of a command that must succeed.
fn ok2(env: &Env, args: &[&str]) -> (String, String) {
    let (code, out, err) = run(env.cmd(), args);
    assert_eq!(code, 0, "foiatrack {args:?} failed:\n{out}\n{err}");
    (out, err)
}

/// The request, follow-up and next-step letters of one request, with the note `letter` prints,
/// as one text for a snapshot.
fn three_letters(env: &Env, code: &str, followup_on: &str, next_on: &str) -> String {
    let request = env.ok(&["letter", code, "--today", "2026-03-02"]);
    let followup = env.ok(&["letter", code, "--kind", "followup", "--today", followup_on]);
    let (next, note) = ok2(env, &["letter", code, "--kind", "appeal", "--today", next_on]);
    format!(
        "===== request =====\n{request}\n===== follow-up =====\n{followup}\n===== next step (stderr: {}) =====\n{next}",
        note.trim()
    )
}

#[test]
fn next_step_letters_fit_each_law() {
    let env = laws_env(None);
    let key = |k: &str| code_of(&env, k);
    let (ny, pa, co, sc, ca, az, mt, us) = (
        key("city-of-new-york-ny"),
        key("city-of-pittsburgh-pa"),
        key("denver-public-schools-co"),
        key("city-of-charleston-sc"),
        key("los-angeles-county-ca"),
        key("city-of-phoenix-az"),
        key("city-of-missoula-mt"),
        key("federal-example-agency-us"),
    );
    for c in [&ny, &pa, &co, &sc, &ca, &az, &mt, &us] {
        env.ok(&["log", c, "sent", "--on", "2026-03-02"]);
    }
    // Denials: Pennsylvania on Friday 6 March, California and the federal agency on 10 March.
    env.ok(&["log", &pa, "rejected", "--on", "2026-03-06", "--today", "2026-03-06"]);
    env.ok(&["log", &ca, "rejected", "--on", "2026-03-10", "--today", "2026-03-10"]);
    env.ok(&["log", &us, "rejected", "--on", "2026-03-10", "--today", "2026-03-10"]);

    // New York (5 business days, administrative appeal): silence past the due date of 9 March is
    // a denial, appealed within 30 days of it.
    let ny_letters = three_letters(&env, &ny, "2026-03-16", "2026-03-20");
    assert!(ny_letters.contains("Attention: records access appeals officer"), "{ny_letters}");
    assert!(ny_letters.contains("I appeal the failure to respond to my request of March 2, 2026"), "{ny_letters}");
    assert!(
        ny_letters.contains(
            "Under N.Y. Pub. Off. Law § 89(4)(a), a request not answered within the time the law allows is deemed denied."
        ),
        "{ny_letters}"
    );
    assert!(
        ny_letters.contains(
            "This appeal is made within the 30 calendar days that N.Y. Pub. Off. Law § 89(4)(a) allows from the deemed denial, which end on April 8, 2026."
        ),
        "{ny_letters}"
    );
    insta::assert_snapshot!("letters_ny_administrative_appeal", ny_letters);

    // Pennsylvania: a petition to the Office of Open Records, the agency copied, 15 business days.
    let pa_letters = three_letters(&env, &pa, "2026-03-05", "2026-03-10");
    let petition = pa_letters.split("===== next step").nth(1).unwrap();
    assert!(petition.contains("\n\nOffice of Open Records\n\nRe: Petition for review"), "{petition}");
    assert!(
        petition.contains(
            "I ask the Office of Open Records to review the denial of my request of March 2, 2026 to City of Pittsburgh"
        ),
        "{petition}"
    );
    assert!(petition.contains("which end on March 27, 2026"), "{petition}");
    assert!(petition.contains("cc: City of Pittsburgh"), "{petition}");
    assert!(petition.contains("(kind petition)"), "{petition}");
    insta::assert_snapshot!("letters_pa_petition", pa_letters);
    let shown = env.json(&["request", "show", &pa, "--format", "json", "--today", "2026-03-10"]);
    assert_eq!(shown["appeal_window_closes_on"], "2026-03-27");
    let deadline = env.ok(&["deadline", &pa, "--today", "2026-03-10"]);
    assert!(
        deadline.contains(
            "Appeal window: 15 business days to file with the Office of Open Records (65 P.S. § 67.1101(a)(1)), from the denial or deemed denial."
        ),
        "{deadline}"
    );
    assert!(deadline.contains("Denied on Fri 2026-03-06 (day 0)."), "{deadline}");
    assert!(deadline.contains("Appeal window closes on Fri 2026-03-27."), "{deadline}");
    let due = env.json(&["due", "--format", "json", "--today", "2026-03-10"]);
    let windows = due["appeal_windows"].as_array().unwrap();
    let pa_window = windows.iter().find(|w| w["tracking_code"] == pa.as_str()).unwrap();
    assert_eq!(pa_window["closes_on"], "2026-03-27");
    assert_eq!(pa_window["file_with"], "Office of Open Records");
    assert!(env.ok(&["due", "--today", "2026-03-10"]).contains("Appeal windows closing"));

    // Colorado: no appeal; notice of intent 14 days before suing.
    let co_letters = three_letters(&env, &co, "2026-03-06", "2026-03-20");
    assert!(co_letters.contains("so I will not file before April 3, 2026."), "{co_letters}");
    assert!(
        co_letters.contains("requires written notice of intent at least 14 calendar days before suing"),
        "{co_letters}"
    );
    insta::assert_snapshot!("letters_co_notice_of_intent", co_letters);

    // South Carolina: silence is a deemed approval, never called a denial.
    let sc_letters = three_letters(&env, &sc, "2026-03-17", "2026-03-20");
    assert!(
        sc_letters.contains(
            "Under S.C. Code Ann. § 30-4-30, a request not answered in writing within the time the law allows must be considered approved."
        ),
        "{sc_letters}"
    );
    let sc_body = sc_letters.split("===== next step").nth(1).unwrap().split_once("=====\n").unwrap().1;
    assert!(!sc_body.to_lowercase().contains("denial") && !sc_body.to_lowercase().contains("denied"), "{sc_body}");
    insta::assert_snapshot!("letters_sc_deemed_approval", sc_letters);

    // California (10 calendar days, court only): a final demand after the denial.
    let ca_letters = three_letters(&env, &ca, "2026-03-13", "2026-03-12");
    assert!(ca_letters.contains("within 10 calendar days, as the law provides"), "{ca_letters}");
    assert!(
        ca_letters.contains(
            "The California Public Records Act provides no administrative appeal; what remains is a petition in superior court (Cal. Gov. Code § 7923.000)."
        ),
        "{ca_letters}"
    );
    insta::assert_snapshot!("letters_ca_final_demand", ca_letters);

    // Arizona (no period): no appeal letter, and a clear reason on stderr.
    let (az_next, az_note) = ok2(&env, &["letter", &az, "--kind", "appeal", "--today", "2026-03-20"]);
    assert!(!az_next.contains("I appeal") && !az_next.contains("Appeal:"), "{az_next}");
    assert!(
        az_note.contains("the Arizona Public Records Law provides no administrative appeal (only a special action in superior court remains), so there is no appeal letter: this is a final demand letter"),
        "{az_note}"
    );
    let az_letters = three_letters(&env, &az, "2026-03-16", "2026-03-20");
    assert!(!az_letters.contains(" days, as the law provides"), "{az_letters}");
    insta::assert_snapshot!("letters_az_no_period", az_letters);

    // A Montana city: the 5 business days bind executive-branch agencies only.
    let mt_letters = three_letters(&env, &mt, "2026-03-16", "2026-03-20");
    assert!(mt_letters.contains("I ask that you respond promptly"), "{mt_letters}");
    assert!(!mt_letters.contains("5 business days") && !mt_letters.contains("was due"), "{mt_letters}");
    insta::assert_snapshot!("letters_mt_city_not_bound", mt_letters);
    let r = env.json(&["request", "show", &mt, "--format", "json", "--today", "2026-03-20"]);
    assert_eq!((r["due_on"].clone(), r["overdue_days"].clone()), (serde_json::Value::Null, serde_json::Value::Null));
    assert_eq!(r["period"], "no fixed period");
    let overdue = env.json(&["request", "list", "--overdue", "--format", "json", "--today", "2026-03-20"]);
    assert!(
        overdue.as_array().unwrap().iter().all(|o| o["tracking_code"] != mt.as_str()),
        "a Montana city is never overdue"
    );
    let mt_deadline = env.ok(&["deadline", &mt, "--today", "2026-03-20"]);
    assert!(mt_deadline.contains("bind state executive-branch agencies only (MCA § 2-6-1006"), "{mt_deadline}");

    // Federal: an administrative appeal within 90 days of the denial.
    let us_letters = three_letters(&env, &us, "2026-04-01", "2026-03-12");
    assert!(us_letters.contains("Pursuant to the Freedom of Information Act (5 U.S.C. § 552)"), "{us_letters}");
    assert!(us_letters.contains("which end on June 8, 2026"), "{us_letters}");
    insta::assert_snapshot!("letters_us_federal_appeal", us_letters);
}

#[test]
fn next_step_kinds_are_checked_and_sent() {
    let env = laws_env(None);
    let server = SmtpServer::start(Options::default());
    let (ny, co, pa, mi, anchorage) = (
        code_of(&env, "city-of-new-york-ny"),
        code_of(&env, "denver-public-schools-co"),
        code_of(&env, "city-of-pittsburgh-pa"),
        code_of(&env, "city-of-detroit-mi"),
        code_of(&env, "municipality-of-anchorage-ak"),
    );
    for c in [&ny, &co, &pa, &mi, &anchorage] {
        env.ok(&["log", c, "sent", "--on", "2026-03-02"]);
    }
    let err = env.fails(&["letter", &co, "--kind", "petition", "--today", "2026-03-20"], 1);
    assert!(
        err.contains("the Colorado Open Records Act provides a notice of intent to sue here, not a petition to an outside review body; use --kind notice-of-intent"),
        "{err}"
    );
    assert!(env.ok(&["letter", &co, "--kind", "notice-of-intent", "--today", "2026-03-20"]).contains("written notice"));
    // Michigan's appeal names itself an appeal.
    let mi_appeal = env.ok(&["letter", &mi, "--kind", "appeal", "--today", "2026-03-20"]);
    assert!(
        mi_appeal.contains("I appeal the failure to respond")
            && mi_appeal.contains("Attention: head of the public body"),
        "{mi_appeal}"
    );
    // Alaska's appeal regulation covers state executive agencies, not Anchorage; nor does its period.
    assert!(!env.ok(&["letter", &anchorage]).contains("10 business days"));
    let (ak, ak_note) = ok2(&env, &["letter", &anchorage, "--kind", "appeal", "--today", "2026-03-20"]);
    assert!(ak.contains("If the records are not released, I will consider an action in superior court."), "{ak}");
    assert!(ak_note.contains("covers state executive-branch agencies only; this agency is a city"), "{ak_note}");

    // An appeal to the agency is emailed and logged as appealed.
    let (code, out, err) = run(mail_cmd(&env, &server), &["send", &ny, "--kind", "appeal", "--today", "2026-03-20"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("(logged as appealed)"), "{out}");
    assert_eq!(server.received().len(), 1);
    assert!(server.received()[0].subject().starts_with("Appeal of public records request"));
    let r = env.json(&["request", "show", &ny, "--format", "json", "--today", "2026-03-20"]);
    assert_eq!(r["status"], "appealing");
    // A notice of intent files nothing: a note, the status unchanged.
    let (code, out, err) = run(mail_cmd(&env, &server), &["send", &co, "--kind", "appeal", "--today", "2026-03-20"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("(logged as note)"), "{out}");
    let r = env.json(&["request", "show", &co, "--format", "json", "--today", "2026-03-20"]);
    assert_eq!(r["status"], "awaiting_ack");
    let note = r["events"].as_array().unwrap().last().unwrap()["note"].as_str().unwrap().to_string();
    assert!(note.starts_with("A notice of intent to sue (notice-of-intent) emailed to"), "{note}");
    // A petition goes to an outside body: written out for filing, not emailed to the agency.
    let (code, out, err) = run(
        mail_cmd(&env, &server),
        &["send", &pa, "--kind", "appeal", "--today", "2026-03-20", "--letters", env.path("letters").to_str().unwrap()],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("petition") && out.contains(&format!("foiatrack log {pa} appealed")), "{out}");
    assert_eq!(server.received().len(), 2);
}

#[test]
fn fee_waiver_citing_federal_law_and_ineligible_requesters_are_warned_about() {
    let env =
        laws_env(Some("I ask for a fee waiver under 5 U.S.C. § 552(a)(4)(A)(iii): the records are for a news report."));
    let (_, az_err) = ok2(&env, &["letter", &code_of(&env, "city-of-phoenix-az")]);
    assert!(
        az_err.contains("the campaign's fee-waiver text cites federal law (5 U.S.C.) in a letter under the Arizona Public Records Law"),
        "{az_err}"
    );
    let (_, us_err) = ok2(&env, &["letter", &code_of(&env, "federal-example-agency-us")]);
    assert!(us_err.is_empty(), "{us_err}");
    env.ok(&["config", "set", "requester.state", "co"]);
    env.ok(&["campaign", "new", "second", "--title", "Second", "--records", "Budgets", "--code-prefix", "SEC"]);
    let (_, err) = ok2(&env, &["campaign", "add", "second", "--state", "VA", "--state", "CO"]);
    assert!(
        err.contains("warning: the requester's state is CO, and the Virginia Freedom of Information Act (VA) gives the right to request to citizens of the state only (Va. Code § 2.2-3704(A)): arrange a local requester for"),
        "{err}"
    );
    assert!(err.contains("City of Richmond") && !err.contains("Colorado"), "{err}");
    let (_, err) = ok2(&env, &["send", "--campaign", "second", "--dry-run", env.path("dry").to_str().unwrap()]);
    assert!(err.contains("arrange a local requester for City of Richmond"), "{err}");
    env.fails(&["config", "set", "requester.state", "XX"], 1);
}

#[test]
fn law_show_and_corrections_of_the_route_and_scope() {
    let env = laws_env(None);
    let pa = env.ok(&["law", "show", "PA"]);
    assert!(
        pa.contains(
            "Appeal route:    petition to the Office of Open Records (65 P.S. § 67.1101(a)(1)), the agency copied"
        ),
        "{pa}"
    );
    assert!(pa.contains("Appeal window:   15 business days from the denial or deemed denial"), "{pa}");
    assert!(pa.contains("Who may request: anyone"), "{pa}");
    assert!(pa.contains("Sources:\n  https://"), "{pa}");
    let co = env.ok(&["law", "show", "CO"]);
    assert!(
        co.contains("Before suing:    written notice at least 14 calendar days ahead (C.R.S. § 24-72-204(5))"),
        "{co}"
    );
    let mt = env.ok(&["law", "show", "MT"]);
    assert!(mt.contains("Period binds:    state executive-branch agencies only"), "{mt}");
    let json = env.json(&["law", "show", "US", "--format", "json"]);
    assert_eq!(json["law_name"], "Freedom of Information Act");
    assert_eq!(json["letter_citation"], "5 U.S.C. § 552");
    assert_eq!(json["appeal_route"]["appeal_deadline"]["days"], 90);
    assert_eq!(json["scope"]["eligibility"], "anyone");

    // A correction moves the window and is shown as such; a reset takes it back.
    let pa_code = code_of(&env, "city-of-pittsburgh-pa");
    env.ok(&["log", &pa_code, "sent", "--on", "2026-03-02"]);
    env.ok(&["log", &pa_code, "rejected", "--on", "2026-03-06", "--today", "2026-03-06"]);
    env.ok(&["law", "set", "PA", "--appeal-days", "20", "--note", "test"]);
    assert!(env.ok(&["law", "show", "PA"]).contains("appeal days: 15 -> 20"));
    let r = env.json(&["request", "show", &pa_code, "--format", "json", "--today", "2026-03-10"]);
    assert_eq!(r["appeal_window_closes_on"], "2026-04-03");
    let err = env.fails(&["law", "set", "PA", "--appeal-kind", "sideways"], 1);
    assert!(err.contains("unknown appealkind 'sideways'"), "{err}");
    env.ok(&["law", "reset", "PA"]);
    let r = env.json(&["request", "show", &pa_code, "--format", "json", "--today", "2026-03-10"]);
    assert_eq!(r["appeal_window_closes_on"], "2026-03-27");

    // Who a period binds is correctable, and the requests under the law are recomputed.
    let mt_code = code_of(&env, "city-of-missoula-mt");
    env.ok(&["log", &mt_code, "sent", "--on", "2026-03-02"]);
    assert_eq!(env.json(&["request", "show", &mt_code, "--format", "json"])["due_on"], serde_json::Value::Null);
    env.ok(&["law", "set", "MT", "--period-binds", "all"]);
    assert_eq!(env.json(&["request", "show", &mt_code, "--format", "json"])["due_on"], "2026-03-09");
    env.ok(&["law", "reset", "MT"]);
    assert_eq!(env.json(&["request", "show", &mt_code, "--format", "json"])["due_on"], serde_json::Value::Null);
    // An agency's kind decides too: a state agency is bound.
    env.ok(&["agency", "edit", "city-of-missoula-mt", "--kind", "state_agency"]);
    assert_eq!(env.json(&["request", "show", &mt_code, "--format", "json"])["due_on"], "2026-03-09");
}
