//! Mail as it really arrives (issue 12): bounces tied to the letters they report, `send --resend`,
//! out-of-office replies and automatic receipts, records-portal notices and their numbers, and the
//! agency contacts replies and bounces keep. Real letters go out through the test SMTP server
//! first, so the bounces quote real Message-IDs; the messages are the labelled fixtures in
//! tests/fixtures/replies/ with their addresses, Message-IDs and dates made ours.

use std::path::Path;

use serde_json::{Value, json};

use crate::smtp_server::{Options, SmtpServer};
use crate::util::{Env, code_of};
use crate::web_util::Server;

const AGENCIES: &str = "key,name,state,kind,email
oldtown-co,Town of Oldtown,CO,city,records@oldtown.example.org
parks-tx,Parks Department,TX,special_district,foia@parks.example.org
lakeside-wa,Lakeside Police,WA,city,records@police.lakeside.example.org
statepatrol-wa,State Patrol,WA,state_agency,records@statepatrol.example.org
mapleton-ca,City of Mapleton,CA,city,clerk@mapleton.example.org
springfield-il,City of Springfield,IL,city,records@springfield-il.example.org
fortexample-co,Fort Example Police,CO,city,records@fortexample.example.org
";

/// Seven agencies, one campaign, every request letter emailed on 2026-03-02 through the test
/// server. Today is then 2026-03-10.
fn sent_env() -> (Env, SmtpServer) {
    let mut env = Env::new();
    let csv = env.write("agencies.csv", AGENCIES);
    env.ok(&["agency", "import", csv.to_str().unwrap()]);
    env.ok(&["config", "set", "requester.name", "Jane Doe"]);
    env.ok(&["config", "set", "requester.email", "jane@newsroom.example.org"]);
    env.ok(&[
        "campaign",
        "new",
        "overtime",
        "--title",
        "Police overtime 2025",
        "--records",
        "All overtime payments to police officers in 2025",
        "--code-prefix",
        "OT",
    ]);
    env.ok(&["campaign", "add", "overtime", "--all"]);
    let server = SmtpServer::start(Options::default());
    send(&env, &server, &["send", "--campaign", "overtime"]);
    assert_eq!(server.received().len(), 7);
    env.today = "2026-03-10".into();
    (env, server)
}

/// Runs a command with the test SMTP server and our From address; returns stdout.
fn send(env: &Env, server: &SmtpServer, args: &[&str]) -> String {
    let out = env
        .cmd()
        .env("FOIATRACK_SMTP_URL", server.url())
        .env("FOIATRACK_FROM", "jane@newsroom.example.org")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The Message-ID of the letter sent for a request.
fn message_id(env: &Env, code: &str) -> String {
    let outbox = env.json(&["outbox", "--format", "json"]);
    outbox.as_array().unwrap().iter().find(|o| o["tracking_code"] == code).unwrap()["message_id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A labelled fixture with some of its text replaced (each piece must be there).
fn fixture(name: &str, subs: &[(&str, &str)]) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/replies").join(name);
    let mut text = std::fs::read_to_string(&path).unwrap();
    for (from, to) in subs {
        assert!(text.contains(from), "{name} has no {from:?}");
        text = text.replace(from, to);
    }
    text
}

/// Imports one message; returns what the import said about it (JSON).
fn import(env: &Env, name: &str, text: &str) -> Value {
    let f = env.write(name, text);
    let out = env.json(&["mail", "import", f.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.as_array().unwrap().len(), 1, "{out}");
    out[0].clone()
}

fn show(env: &Env, code: &str) -> Value {
    env.json(&["request", "show", code, "--format", "json"])
}

fn contacts(env: &Env, key: &str) -> Value {
    env.json(&["agency", "show", key, "--format", "json"])["contacts"].clone()
}

/// The Postfix DSN (fixture 001) for the letter to Oldtown, reported on 2026-03-04.
fn oldtown_dsn(env: &Env) -> (String, String) {
    let code = code_of(env, "oldtown-co");
    let dsn = fixture(
        "001-dsn-postfix-user-unknown.eml",
        &[
            ("<req-otn26-0001.1767716038@newsroom.example.com>", &message_id(env, &code)),
            ("OTN26-0001", &code),
            ("Tue,  6 Jan 2026", "Wed,  4 Mar 2026"),
            ("Tue, 06 Jan 2026", "Mon, 02 Mar 2026"),
        ],
    );
    (code, dsn)
}

#[test]
fn a_dsn_bounce_is_tied_by_message_id_flags_the_request_and_never_acknowledges() {
    let (env, _server) = sent_env();
    let (code, dsn) = oldtown_dsn(&env);
    let i = import(&env, "dsn.eml", &dsn);
    assert_eq!(i["kind"], "bounce");
    assert_eq!(i["tracking_code"], code.as_str());
    assert_eq!(i["matched_by"], "bounced-message-id");
    // The export says which message is a bounce and which letter it bounced.
    let comms = env.json(&["export", "communications", "--format", "json"]);
    let bounce = comms.as_array().unwrap().iter().find(|c| c["communication_id"] == i["communication_id"]).unwrap();
    assert_eq!(bounce["kind"], "bounce");
    let letter = comms
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["tracking_code"] == code.as_str() && c["letter"] == "request")
        .unwrap();
    assert_eq!(letter["kind"], serde_json::Value::Null, "kinds are for messages received");
    assert_eq!(letter["bounced_by"], i["communication_id"]);
    assert_eq!(i["acknowledged"], false);
    assert_eq!(
        i["bounce"],
        json!({"letter": "request", "to": "records@oldtown.example.org", "failed_recipient": "records@oldtown.example.org",
               "status": "5.1.1", "permanent": true, "letter_bounced": true})
    );

    // The request is still awaiting acknowledgement, with no response, and says its letter bounced.
    let d = show(&env, &code);
    assert_eq!(d["status"], "awaiting_ack");
    assert_eq!(d["first_response_on"], Value::Null);
    assert_eq!(d["events"].as_array().unwrap().len(), 1, "only `sent`: {}", d["events"]);
    assert_eq!(
        d["letter_bounced"],
        json!({"tracking_code": code, "agency_key": "oldtown-co", "agency_name": "Town of Oldtown", "letter": "request",
               "to": "records@oldtown.example.org", "sent_on": "2026-03-02", "message_id": message_id(&env, &code),
               "on": "2026-03-04", "status": "5.1.1", "failed_recipient": null,
               "resend": format!("foiatrack send --resend {code} --to ADDRESS")})
    );
    let text = env.ok(&["request", "show", &code]);
    let expected = format!(
        "Bounced:    the request letter of 2026-03-02 to records@oldtown.example.org was not delivered (5.1.1); reported 2026-03-04\n            send it to another address: foiatrack send --resend {code} --to ADDRESS\n"
    );
    assert!(text.contains(&expected), "{text}");
    assert!(
        text.contains(&format!(
            "  2026-03-02 -> records@oldtown.example.org  Public records request {code}: Police overtime 2025  [sent, bounced on 2026-03-04 (5.1.1)]"
        )),
        "{text}"
    );
    assert!(
        text.contains("  2026-03-04 <- mailer-daemon@mx1.newsroom.example.com  Undelivered Mail Returned to Sender  [received, delivery failure: our letter to records@oldtown.example.org was not delivered (5.1.1)]"),
        "{text}"
    );

    // `due` lists it first, in its own section, with how to resend.
    let due = env.ok(&["due"]);
    let section = format!(
        "Letters bounced (1), the agency never got them:
 TRACKING CODE   AGENCY            LETTER    TO                            STATUS   BOUNCED ON
--------------- ----------------- --------- ----------------------------- -------- ------------
 {code}         Town of Oldtown   request   records@oldtown.example.org   5.1.1    2026-03-04
Send each again to another address: foiatrack send --resend CODE --to ADDRESS
"
    );
    assert!(due.starts_with(&format!("Digest for 2026-03-10\n\n{section}\nOverdue")), "{due}");
    let due_json = env.json(&["due", "--format", "json"]);
    assert_eq!(due_json["letters_bounced"][0]["tracking_code"], code.as_str());

    // The address is failing for the agency; the agency has not responded.
    assert_eq!(
        contacts(&env, "oldtown-co"),
        json!([{"address": "records@oldtown.example.org", "state": "failing", "source": "agency-list", "main": true,
                "first_seen": null, "last_seen": "2026-03-04",
                "note": format!("the request letter of {code} to it bounced on 2026-03-04 (5.1.1)")}])
    );
    let report = env.json(&["report", "responses", "--campaign", "overtime", "--format", "json"]);
    assert_eq!(report["responded"], 0, "{report}");

    // The same report again changes nothing.
    let again = import(&env, "dsn-again.eml", &dsn);
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["kind"], "bounce");
}

#[test]
fn x_failed_recipients_and_exchange_bounces_are_tied_by_the_address_that_failed() {
    let (env, _server) = sent_env();
    let parks = code_of(&env, "parks-tx");
    let lakeside = code_of(&env, "lakeside-wa");
    // Sendmail (fixture 008): X-Failed-Recipients, and the returned copy carries a Message-ID we
    // never sent (the letter went out by another road), so only the address ties it.
    let sendmail = fixture(
        "008-sendmail-returned-mail.eml",
        &[
            ("<req-prk26-0001.1769535478@newsroom.example.com>", "<sent-by-hand.1@newsroom.example.org>"),
            ("PRK26-0001", "PARKS"),
            ("Tue, 27 Jan 2026", "Thu, 5 Mar 2026"),
        ],
    );
    let i = import(&env, "sendmail.eml", &sendmail);
    assert_eq!(
        (i["kind"].as_str(), i["tracking_code"].as_str(), i["matched_by"].as_str()),
        (Some("bounce"), Some(parks.as_str()), Some("bounced-recipient"))
    );
    assert_eq!(i["bounce"]["letter_bounced"], true);
    assert_eq!(i["bounce"]["status"], "5.1.1");
    // Office 365 (fixture 003): its In-Reply-To names a message of ours we cannot find.
    let o365 = fixture(
        "003-o365-ndr-recipient-not-found.eml",
        &[
            ("<req-lks26-0003.1768232390@newsroom.example.com>", "<unknown.2@newsroom.example.org>"),
            ("LKS26-0003", "LAKESIDE"),
            ("Mon, 12 Jan 2026", "Fri, 6 Mar 2026"),
        ],
    );
    let i = import(&env, "o365.eml", &o365);
    assert_eq!(
        (i["kind"].as_str(), i["tracking_code"].as_str(), i["matched_by"].as_str()),
        (Some("bounce"), Some(lakeside.as_str()), Some("bounced-recipient"))
    );
    assert_eq!(i["bounce"]["status"], "5.1.10");
    assert_eq!(show(&env, &lakeside)["letter_bounced"]["on"], "2026-03-06");
    assert_eq!(show(&env, &parks)["letter_bounced"]["to"], "foia@parks.example.org");
    assert_eq!(contacts(&env, "lakeside-wa")[0]["state"], "failing");
    // Both in `due`, newest report first.
    let due = env.json(&["due", "--format", "json"]);
    let codes: Vec<&str> =
        due["letters_bounced"].as_array().unwrap().iter().map(|b| b["tracking_code"].as_str().unwrap()).collect();
    assert_eq!(codes, [lakeside.as_str(), parks.as_str()]);
}

#[test]
fn a_delay_report_is_kept_and_shown_but_changes_nothing() {
    let (env, _server) = sent_env();
    let code = code_of(&env, "oldtown-co");
    let delay = fixture(
        "010-postfix-delayed-mail.eml",
        &[
            ("<req-msa26-0009.1770027010@newsroom.example.com>", &message_id(&env, &code)),
            ("records@mesa-county.example.org", "records@oldtown.example.org"),
        ],
    );
    let i = import(&env, "delay.eml", &delay);
    assert_eq!((i["kind"].as_str(), i["tracking_code"].as_str()), (Some("bounce"), Some(code.as_str())));
    assert_eq!(i["bounce"]["permanent"], false);
    assert_eq!(i["bounce"]["letter_bounced"], false);
    let d = show(&env, &code);
    assert_eq!(d["letter_bounced"], Value::Null);
    assert_eq!(d["status"], "awaiting_ack");
    let text = env.ok(&["request", "show", &code]);
    assert!(text.contains("delivery delayed (4.2.2); the server is still trying]"), "{text}");
    assert_eq!(contacts(&env, "oldtown-co")[0]["state"], "unconfirmed");
    assert!(!env.ok(&["due"]).contains("Letters bounced"));
}

#[test]
fn send_resend_sends_the_bounced_letter_exactly_once_to_the_new_address() {
    let (env, server) = sent_env();
    let (code, dsn) = oldtown_dsn(&env);
    import(&env, "dsn.eml", &dsn);
    let first = server.received().into_iter().find(|r| r.rcpt_to == ["records@oldtown.example.org"]).unwrap();

    // Refused with one sentence, nothing sent: no bounced letter, the address that bounced, a bad address.
    let parks = code_of(&env, "parks-tx");
    let err = env.fails(&["send", "--resend", &parks, "--to", "clerk@parks.example.org"], 1);
    assert!(
        err.contains(&format!(
            "{parks}: no letter of this request is waiting to be sent again after a bounce; `foiatrack request show {parks}` lists its letters"
        )),
        "{err}"
    );
    let err = env.fails(&["send", "--resend", &code, "--to", "Records@Oldtown.example.org"], 1);
    assert!(
        err.contains(&format!(
            "{code}: records@oldtown.example.org is the address the request letter bounced from; give another with --to"
        )),
        "{err}"
    );
    let err = env.fails(&["send", "--resend", &code, "--to", "clerk at oldtown"], 1);
    assert!(err.contains(&format!("{code}: --to: 'clerk at oldtown' is not an email address")), "{err}");
    assert_eq!(server.received().len(), 7);

    // A dry run writes the letter it would send, to the new address, and changes nothing.
    let before = show(&env, &code);
    let dir = env.path("preview");
    let out =
        env.ok(&["send", "--resend", &code, "--to", "clerk@oldtown.example.org", "--dry-run", dir.to_str().unwrap()]);
    assert_eq!(
        out,
        format!(
            "Dry run: wrote the letter {code} would be sent again, to clerk@oldtown.example.org, in {}; nothing was sent or recorded\n",
            dir.display()
        )
    );
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1);
    let eml = std::fs::read_to_string(&files[0]).unwrap();
    assert!(eml.contains("\r\nTo: clerk@oldtown.example.org\r\n"), "{eml}");
    assert!(eml.contains(&format!("Subject: {}", first.subject())), "{eml}");
    assert_eq!(show(&env, &code), before);
    assert_eq!(server.received().len(), 7);
    // With --make-main it says what the real command would also do, and still changes nothing.
    let lower = code.to_lowercase();
    let out = env.ok(&[
        "send",
        "--resend",
        &format!(" {lower} "),
        "--to",
        "clerk@oldtown.example.org",
        "--make-main",
        "--dry-run",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.ends_with("Sent, it would also make clerk@oldtown.example.org the agency's main address (--make-main).\n"),
        "{out}"
    );
    let names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    // Named by the request's code however it was typed (a second file beside the first).
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.iter().all(|n| n.starts_with(&code)), "{names:?}");
    assert_eq!(show(&env, &code), before);
    // The same checks as a real resend: a dry run to the address that bounced is refused too.
    let err = env.fails(
        &["send", "--resend", &code, "--to", "records@oldtown.example.org", "--dry-run", dir.to_str().unwrap()],
        1,
    );
    assert!(err.contains("is the address the request letter bounced from"), "{err}");

    // A server that refuses: recorded as failed, the letter stays bounced.
    let refusing =
        SmtpServer::start(Options { reject: vec!["clerk@oldtown.example.org".into()], ..Default::default() });
    let out = env
        .cmd()
        .env("FOIATRACK_SMTP_URL", refusing.url())
        .env("FOIATRACK_FROM", "jane@newsroom.example.org")
        .args(["send", "--resend", &code, "--to", "clerk@oldtown.example.org"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("it is still marked bounced, so `send --resend` can try again"), "{err}");
    assert_eq!(show(&env, &code)["letter_bounced"]["to"], "records@oldtown.example.org");

    // Sent once, to the new address: the same letter with a new Message-ID.
    let out = send(&env, &server, &["send", "--resend", &code, "--to", "clerk@oldtown.example.org"]);
    let sent = server.received();
    assert_eq!(sent.len(), 8);
    let again = sent.last().unwrap();
    assert_eq!(again.rcpt_to, ["clerk@oldtown.example.org"]);
    assert_eq!(again.subject(), first.subject());
    assert_eq!(again.text(), first.text());
    assert_ne!(again.message_id(), first.message_id());
    assert_eq!(
        out,
        format!(
            "Sent the request letter of {code} again to clerk@oldtown.example.org ({}); the letter of 2026-03-02 to records@oldtown.example.org had bounced.\n\
             The request now counts as sent on 2026-03-10, due 2026-03-13.\n\
             The agency's main address is still records@oldtown.example.org, which is failing; add --make-main next time, or change it with `foiatrack agency edit`.\n",
            again.message_id()
        )
    );

    // The flag is gone; the first `sent` is void with why, and the clock counts from the resend.
    let d = show(&env, &code);
    assert_eq!(d["letter_bounced"], Value::Null);
    assert_eq!((d["sent_on"].as_str(), d["due_on"].as_str()), (Some("2026-03-10"), Some("2026-03-13")));
    let events = d["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["kind"], "sent");
    assert_eq!(
        events[0]["void_reason"],
        "the request letter of 2026-03-02 to records@oldtown.example.org bounced (5.1.1); sent again on 2026-03-10"
    );
    assert_eq!((events[1]["kind"].as_str(), events[1]["on"].as_str()), (Some("sent"), Some("2026-03-10")));
    assert_eq!(events[1]["voided_on"], Value::Null);
    assert!(!env.ok(&["due"]).contains("Letters bounced"));
    assert_eq!(
        contacts(&env, "oldtown-co")[1],
        json!({"address": "clerk@oldtown.example.org", "state": "unconfirmed", "source": "resend", "main": false,
               "first_seen": "2026-03-10", "last_seen": null,
               "note": "the request letter was sent here on 2026-03-10 after it bounced from records@oldtown.example.org"})
    );

    // A second resend finds nothing to send; nothing goes out.
    let err = env.fails(&["send", "--resend", &code, "--to", "other@oldtown.example.org"], 1);
    assert!(err.contains(&format!("{code}: no letter of this request is waiting to be sent again")), "{err}");
    assert_eq!(server.received().len(), 8);
    let outbox = env.json(&["outbox", "--format", "json"]);
    let states: Vec<(&str, &str)> = outbox
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["tracking_code"] == code.as_str())
        .map(|o| (o["state"].as_str().unwrap(), o["to"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [
            ("failed", "clerk@oldtown.example.org"),
            ("sent", "records@oldtown.example.org"),
            ("sent", "clerk@oldtown.example.org")
        ]
    );
}

#[test]
fn the_resent_letter_bouncing_too_flags_it_again_and_make_main_moves_the_agency() {
    let (env, server) = sent_env();
    let (code, dsn) = oldtown_dsn(&env);
    import(&env, "dsn.eml", &dsn);
    send(&env, &server, &["send", "--resend", &code, "--to", "clerk@oldtown.example.org"]);
    let resent = server.received().last().unwrap().message_id();
    let dsn2 = fixture(
        "001-dsn-postfix-user-unknown.eml",
        &[
            ("<req-otn26-0001.1767716038@newsroom.example.com>", &resent),
            ("records@oldtown.example.org", "clerk@oldtown.example.org"),
            ("20260106161403.4F1A21C0042", "20260310161403.5A2B32D1153"),
            ("Tue,  6 Jan 2026", "Tue, 10 Mar 2026"),
        ],
    );
    env.ok(&["mail", "import", env.write("dsn2.eml", &dsn2).to_str().unwrap()]);
    let b = &show(&env, &code)["letter_bounced"];
    assert_eq!((b["to"].as_str(), b["on"].as_str()), (Some("clerk@oldtown.example.org"), Some("2026-03-10")));
    let out = send(&env, &server, &["send", "--resend", &code, "--to", "foia@oldtown.example.org", "--make-main"]);
    assert!(out.ends_with("foia@oldtown.example.org is now the agency's main address.\n"), "{out}");
    assert_eq!(server.received().last().unwrap().rcpt_to, ["foia@oldtown.example.org"]);
    assert_eq!(env.json(&["agency", "show", "oldtown-co", "--format", "json"])["email"], "foia@oldtown.example.org");
    let states: Vec<(String, String, bool)> = contacts(&env, "oldtown-co")
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["address"].as_str().unwrap().into(), c["state"].as_str().unwrap().into(), c["main"] == true))
        .collect();
    assert_eq!(
        states,
        [
            ("foia@oldtown.example.org".into(), "unconfirmed".into(), true),
            ("clerk@oldtown.example.org".into(), "failing".into(), false),
            ("records@oldtown.example.org".into(), "failing".into(), false),
        ]
    );
    assert_eq!(show(&env, &code)["letter_bounced"], Value::Null);
}

#[test]
fn an_out_of_office_is_kept_and_shown_and_changes_nothing() {
    let (env, _server) = sent_env();
    let code = code_of(&env, "mapleton-ca");
    let ooo = fixture(
        "020-ooo-exchange-automatic-reply.eml",
        &[
            ("<req-mpl26-0004.1767628900@newsroom.example.com>", &message_id(&env, &code)),
            ("dwhitfield@mapleton.example.org", "clerk@mapleton.example.org"),
            ("MPL26-0004", &code),
            ("Mon, 5 Jan 2026", "Wed, 4 Mar 2026"),
        ],
    );
    let i = import(&env, "ooo.eml", &ooo);
    assert_eq!(
        (i["kind"].as_str(), i["tracking_code"].as_str(), i["matched_by"].as_str(), i["acknowledged"].as_bool()),
        (Some("autoreply"), Some(code.as_str()), Some("in-reply-to"), Some(false))
    );
    let d = show(&env, &code);
    assert_eq!((d["status"].as_str(), d["first_response_on"].as_str()), (Some("awaiting_ack"), None));
    assert_eq!(d["events"].as_array().unwrap().len(), 1);
    let text = env.ok(&["request", "show", &code]);
    assert!(
        text.contains(&format!(
            "  2026-03-04 <- clerk@mapleton.example.org  Automatic reply: Public records request: fire inspection reports [{code}]  [received, automatic reply]"
        )),
        "{text}"
    );
    // Not a reply: the address is not vouched for, and the agency has not responded.
    assert_eq!(contacts(&env, "mapleton-ca")[0]["state"], "unconfirmed");
    let report = env.json(&["report", "responses", "--campaign", "overtime", "--format", "json"]);
    assert_eq!(report["responded"], 0, "{report}");
    let table =
        env.ok(&["mail", "import", env.write("ooo2.eml", &ooo.replace("8f2e31a0", "9f2e31a0")).to_str().unwrap()]);
    assert!(table.contains(&format!("automatic reply: {code} by in-reply-to")), "{table}");
}

#[test]
fn an_automatic_receipt_acknowledges_and_records_the_reference() {
    let (env, _server) = sent_env();
    let code = code_of(&env, "statepatrol-wa");
    let receipt = fixture(
        "023-autoreply-receipt-reference.eml",
        &[
            ("<req-stp26-0002.1770739900@newsroom.example.com>", &message_id(&env, &code)),
            ("Tue, 10 Feb 2026", "Tue, 3 Mar 2026"),
        ],
    );
    let i = import(&env, "receipt.eml", &receipt);
    assert_eq!(
        (i["kind"].as_str(), i["matched_by"].as_str(), i["acknowledged"].as_bool(), i["reference"].as_str()),
        (Some("autoreply"), Some("in-reply-to"), Some(true), Some("26-1187"))
    );
    let d = show(&env, &code);
    assert_eq!((d["status"].as_str(), d["agency_reference"].as_str()), (Some("awaiting_response"), Some("26-1187")));
    let ack = &d["events"][1];
    assert_eq!(
        (ack["kind"].as_str(), ack["on"].as_str(), ack["reference"].as_str(), ack["via"].as_str()),
        (Some("acknowledged"), Some("2026-03-03"), Some("26-1187"), Some("email"))
    );
    assert_eq!(ack["note"], "automatic receipt from no-reply@records.statepatrol.example.org (matched by in-reply-to)");
    assert!(env.ok(&["request", "show", &code]).contains("Agency ref: 26-1187\n"));
    // The sender is a machine: not offered as a contact.
    assert_eq!(contacts(&env, "statepatrol-wa").as_array().unwrap().len(), 1);
}

#[test]
fn a_portal_notice_records_its_number_and_later_portal_mail_matches_by_it() {
    let (env, _server) = sent_env();
    let code = code_of(&env, "springfield-il");
    // GovQA's receipt quotes our tracking code: matched, and its number kept.
    let received = fixture(
        "036-govqa-request-received.eml",
        &[
            ("Use of force reports filed by", &format!("[{code}] Use of force reports filed by")),
            ("Thu, 1 Jan 2026", "Wed, 4 Mar 2026"),
        ],
    );
    let i = import(&env, "govqa-received.eml", &received);
    assert_eq!(
        (i["kind"].as_str(), i["portal"].as_str(), i["reference"].as_str(), i["matched_by"].as_str()),
        (Some("portal"), Some("GovQA"), Some("R001234-010126"), Some("tracking-code"))
    );
    assert_eq!(i["acknowledged"], true);
    let d = show(&env, &code);
    assert_eq!(d["portal_numbers"], json!([{"portal": "GovQA", "number": "R001234-010126"}]));
    assert_eq!(
        (d["status"].as_str(), d["agency_reference"].as_str()),
        (Some("awaiting_response"), Some("R001234-010126"))
    );
    assert_eq!(d["events"][1]["via"], "portal");
    assert!(env.ok(&["request", "show", &code]).contains("Portal:     GovQA R001234-010126\n"));

    // Its closing notice does not quote our code: matched by the number, from the same portal.
    let closed = |sender: &str, id: &str| {
        fixture(
            "038-govqa-closed-no-records.eml",
            &[
                ("Westfield Records Center <westfieldwa@govqa.us>", sender),
                ("W000888-022026", "R001234-010126"),
                ("<R001234-010126.close@govqa.us>", id),
            ],
        )
    };
    let same = "Springfield Public Records Center <springfieldil@mycusthelp.net>";
    let i = import(&env, "govqa-closed.eml", &closed(same, "<closed-1@mycusthelp.net>"));
    assert_eq!(
        (i["tracking_code"].as_str(), i["matched_by"].as_str(), i["acknowledged"].as_bool()),
        (Some(code.as_str()), Some("portal-number"), Some(false))
    );
    // The same number from another portal account is not ours to claim: left unmatched.
    let other = "Westfield Records Center <westfieldwa@govqa.us>";
    let i = import(&env, "govqa-other.eml", &closed(other, "<closed-2@govqa.us>"));
    assert_eq!(i["tracking_code"], Value::Null);
    // Portal mail counts as the agency answering.
    let report = env.json(&["report", "responses", "--campaign", "overtime", "--format", "json"]);
    assert_eq!(report["responded"], 1, "{report}");
    // Not a person's address: not offered as a contact.
    assert_eq!(contacts(&env, "springfield-il").as_array().unwrap().len(), 1);
}

#[test]
fn portal_mail_assigned_by_hand_keeps_its_number_for_the_next_one() {
    let (env, _server) = sent_env();
    let code = code_of(&env, "fortexample-co");
    let received = fixture("039-justfoia-request-received.eml", &[("Mon, 16 Feb 2026", "Tue, 3 Mar 2026")]);
    let i = import(&env, "jf-received.eml", &received);
    assert_eq!((i["kind"].as_str(), i["tracking_code"].as_str()), (Some("portal"), None));
    let id = i["communication_id"].as_i64().unwrap().to_string();
    assert_eq!(env.ok(&["mail", "assign", &id, &code]), format!("Message {id} is now part of {code} (acknowledged)\n"));
    let d = show(&env, &code);
    assert_eq!(d["agency_reference"], "PD-2026-0158");
    assert_eq!(d["events"][1]["note"], "JustFOIA notice from fortexamplepd@request.justfoia.com (matched by hand)");
    let available = fixture("040-justfoia-records-available.eml", &[]);
    let i = import(&env, "jf-available.eml", &available);
    assert_eq!((i["tracking_code"].as_str(), i["matched_by"].as_str()), (Some(code.as_str()), Some("portal-number")));
}

#[test]
fn replies_vouch_for_addresses_and_agency_show_lists_them() {
    let (env, _server) = sent_env();
    let code = code_of(&env, "mapleton-ca");
    let reply = |from: &str, id: &str, date: &str| {
        format!(
            "From: {from}\nTo: jane@newsroom.example.org\nSubject: RE: [{code}] records\nDate: {date}\nMessage-ID: <{id}@mapleton.example.org>\n\nWe are working on it.\n"
        )
    };
    let i = import(
        &env,
        "r1.eml",
        &reply("Deputy Clerk <deputy@mapleton.example.org>", "r1", "Wed, 4 Mar 2026 10:00:00 -0800"),
    );
    assert_eq!((i["kind"].as_str(), i["acknowledged"].as_bool()), (Some("reply"), Some(true)));
    assert_eq!(i["offered_contact"], "deputy@mapleton.example.org");
    let i = import(&env, "r2.eml", &reply("clerk@mapleton.example.org", "r2", "Thu, 5 Mar 2026 10:00:00 -0800"));
    assert_eq!(i["offered_contact"], Value::Null);
    assert_eq!(
        contacts(&env, "mapleton-ca"),
        json!([
            {"address": "clerk@mapleton.example.org", "state": "good", "source": "agency-list", "main": true,
             "first_seen": "2026-03-05", "last_seen": "2026-03-05", "note": null},
            {"address": "deputy@mapleton.example.org", "state": "unconfirmed", "source": "reply", "main": false,
             "first_seen": "2026-03-04", "last_seen": "2026-03-04", "note": "replied on 2026-03-04"}
        ])
    );
    let text = env.ok(&["agency", "show", "mapleton-ca"]);
    assert!(
        text.ends_with(
            "Addresses:
 ADDRESS                       STATE         MAIN   SOURCE        FIRST SEEN   LAST SEEN    NOTE
----------------------------- ------------- ------ ------------- ------------ ------------ -----------------------
 clerk@mapleton.example.org    good          yes    agency-list   2026-03-05   2026-03-05
 deputy@mapleton.example.org   unconfirmed          reply         2026-03-04   2026-03-04   replied on 2026-03-04
"
        ),
        "{text}"
    );
    // The import says so.
    let out = env.ok(&[
        "mail",
        "import",
        env.write("r3.eml", &reply("records.chief@mapleton.example.org", "r3", "Fri, 6 Mar 2026 10:00:00 -0800"))
            .to_str()
            .unwrap(),
    ]);
    assert!(
        out.contains(&format!("{code}: a reply came from records.chief@mapleton.example.org, new for this agency")),
        "{out}"
    );

    // By hand: confirm, add, and one-sentence refusals.
    assert_eq!(
        env.ok(&[
            "agency",
            "contact",
            "mark",
            "mapleton-ca",
            "Deputy@Mapleton.example.org",
            "good",
            "--note",
            "phoned"
        ]),
        "deputy@mapleton.example.org at mapleton-ca is now good\n"
    );
    assert_eq!(
        env.ok(&["agency", "contact", "add", "mapleton-ca", "foia@mapleton.example.org"]),
        "Added foia@mapleton.example.org to mapleton-ca (unconfirmed)\n"
    );
    let err = env.fails(&["agency", "contact", "add", "mapleton-ca", "foia@mapleton.example.org"], 1);
    assert!(err.contains("mapleton-ca has foia@mapleton.example.org already"), "{err}");
    let err = env.fails(&["agency", "contact", "mark", "mapleton-ca", "nobody@mapleton.example.org", "good"], 1);
    assert!(err.contains("mapleton-ca has no address nobody@mapleton.example.org"), "{err}");
    let err = env.fails(&["agency", "contact", "mark", "mapleton-ca", "foia@mapleton.example.org", "great"], 2);
    assert!(err.contains("unknown state 'great'; use good, failing or unconfirmed"), "{err}");
    let err = env.fails(&["agency", "contact", "add", "mapleton-ca", "not an address"], 1);
    assert!(err.contains("'not an address' is not an email address"), "{err}");
    let list = env.json(&["agency", "contact", "list", "mapleton-ca", "--format", "json"]);
    let states: Vec<(&str, &str)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["address"].as_str().unwrap(), c["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [
            ("clerk@mapleton.example.org", "good"),
            ("deputy@mapleton.example.org", "good"),
            ("foia@mapleton.example.org", "unconfirmed"),
            ("records.chief@mapleton.example.org", "unconfirmed"),
        ]
    );
    // A contact known good matches by sender, like the agency's own address.
    let other = code_of(&env, "mapleton-ca");
    let plain = "From: deputy@mapleton.example.org\nTo: jane@newsroom.example.org\nSubject: your records\nDate: Mon, 9 Mar 2026 10:00:00 -0800\nMessage-ID: <plain@mapleton.example.org>\n\nAttached.\n";
    let i = import(&env, "plain.eml", plain);
    assert_eq!((i["tracking_code"].as_str(), i["matched_by"].as_str()), (Some(other.as_str()), Some("sender")));
    // The agency CSV export is unchanged: no contacts in it.
    let csv = env.ok(&["export", "agencies"]);
    assert!(csv.starts_with("key,name,state,kind,population,email,portal_url"), "{csv}");
}

#[test]
fn the_web_shows_a_bounced_letter_on_the_home_page_the_request_and_the_agency() {
    let (env, smtp) = sent_env();
    let (code, dsn) = oldtown_dsn(&env);
    import(&env, "dsn.eml", &dsn);
    let url = smtp.url();
    let server = Server::start_with_env(
        &env,
        &[],
        &[("FOIATRACK_SMTP_URL", &url), ("FOIATRACK_FROM", "jane@newsroom.example.org")],
    );
    let owner = server.owner();
    let home = server.get(Some(&owner), "/").body;
    assert!(home.contains("<h2 id=\"bounced\">Letters that bounced (1)</h2>"), "{home}");
    assert!(
        home.contains(&format!(
            "<tr><td><a href=\"/requests/{code}#bounced\">{code}</a></td><td>Town of Oldtown</td><td>request</td><td>records@oldtown.example.org</td><td>2026-03-04</td><td>not delivered (5.1.1)</td></tr>"
        )),
        "{home}"
    );
    let page = server.get(Some(&owner), &format!("/requests/{code}")).body;
    assert!(page.contains("<h2 id=\"bounced\">Letter bounced</h2>"), "{page}");
    assert!(
        page.contains("<p>The request letter of 2026-03-02 to records@oldtown.example.org was not delivered (5.1.1); the report came on 2026-03-04. The agency never got it.</p>"),
        "{page}"
    );
    assert!(page.contains(&format!("<code>foiatrack send --resend {code} --to ADDRESS</code>")), "{page}");
    assert!(page.contains("Delivery failure: our letter to records@oldtown.example.org was not delivered (5.1.1) (matched by bounced-message-id)"), "{page}");
    let agency = server.get(Some(&owner), "/agencies/oldtown-co").body;
    assert!(
        agency.contains("<td>records@oldtown.example.org <span class=\"badge\">main</span></td>\n<td><span class=\"badge overdue\">failing</span></td>"),
        "{agency}"
    );

    // Sent again from the page: once, then the flag is gone everywhere.
    let a = server.post(&owner, &format!("/requests/{code}/resend"), &[("to", "clerk@oldtown.example.org")]);
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(a.header("location"), Some(format!("/requests/{code}?done=resent#thread").as_str()));
    assert_eq!(smtp.received().last().unwrap().rcpt_to, ["clerk@oldtown.example.org"]);
    let a = server.post(&owner, &format!("/requests/{code}/resend"), &[("to", "clerk@oldtown.example.org")]);
    assert_eq!(a.status, 422);
    assert!(a.body.contains("no letter of this request is waiting to be sent again after a bounce"), "{}", a.body);
    assert_eq!(smtp.received().len(), 8);
    assert!(!server.get(Some(&owner), "/").body.contains("Letters that bounced"));
    assert!(!server.get(Some(&owner), &format!("/requests/{code}")).body.contains("Letter bounced"));
}

#[test]
fn a_database_from_before_mail_kinds_migrates_its_replies_and_agency_addresses() {
    use foiatrack::projection::{Scope, recompute};
    use foiatrack::store::db;
    let all = |tx: &rusqlite::Transaction<'_>| recompute(tx, Scope::All).map(|_| ());
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    db::migrate_from(&mut conn, 0, 8, &all).unwrap();
    conn.execute_batch(
        "INSERT INTO laws (code, law_name, short_name, citation, response_days, day_type)
             VALUES ('CO', 'Colorado Open Records Act', 'CORA', 'C.R.S. 24-72-201', 3, 'business');
         INSERT INTO agencies (key, name, state, email) VALUES ('denver-co', 'City of Denver', 'CO', 'Records@Denver.example.org');
         INSERT INTO agencies (key, name, state, email) VALUES ('boulder-co', 'City of Boulder', 'CO', 'clerk@boulder.example.org');
         INSERT INTO agencies (key, name, state) VALUES ('paper-co', 'Paper Town', 'CO');
         INSERT INTO campaigns (slug, title, records, code_prefix, created_on)
             VALUES ('amz', 'Amazon', 'All purchases', 'AMZ', '2026-03-01');
         INSERT INTO requests (campaign_id, agency_id, seq, tracking_code, created_on) VALUES (1, 1, 1, 'AMZ-0001', '2026-03-01');
         INSERT INTO requests (campaign_id, agency_id, seq, tracking_code, created_on) VALUES (1, 2, 2, 'AMZ-0002', '2026-03-01');
         INSERT INTO events (request_id, kind, on_date, recorded_on) VALUES (1, 'sent', '2026-03-02', '2026-03-02');
         INSERT INTO communications (request_id, direction, letter, channel, state, message_id, to_addr, subject, body, created_on, sent_on)
             VALUES (1, 'outbound', 'request', 'email', 'sent', '<a@news.example.org>', 'records@denver.example.org', 'Request', 'Text', '2026-03-02', '2026-03-02');
         INSERT INTO communications (request_id, direction, channel, state, from_addr, subject, body, created_on)
             VALUES (1, 'inbound', 'email', 'received', 'records@denver.example.org', 'Re: Request', 'Got it', '2026-03-04');
         INSERT INTO inbound_details (communication_id, content_sha256, matched_by, source) VALUES (2, 'abc', 'in-reply-to', 'old.mbox');",
    )
    .unwrap();
    db::migrate(&mut conn, &all).unwrap();
    assert_eq!(db::user_version(&conn).unwrap(), db::latest_version());
    let kinds: Vec<(String, Option<String>)> = conn
        .prepare("SELECT direction, kind FROM communications ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(kinds, [("outbound".into(), None), ("inbound".into(), Some("reply".into()))]);
    let details: (String, String, bool) = conn
        .query_row("SELECT matched_by, source, receipt FROM inbound_details WHERE communication_id = 2", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(details, ("in-reply-to".into(), "old.mbox".into(), false));
    let contacts: Vec<(String, String, String, Option<String>)> = conn
        .prepare("SELECT a.key, c.address, c.state, c.last_seen FROM agency_contacts c JOIN agencies a ON a.id = c.agency_id ORDER BY a.key")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        contacts,
        [
            ("boulder-co".into(), "clerk@boulder.example.org".into(), "unconfirmed".into(), None),
            ("denver-co".into(), "records@denver.example.org".into(), "good".into(), Some("2026-03-04".into())),
        ]
    );
    // The request letter, once it bounced, may be sent again; twice at once it may not.
    conn.execute_batch(
        "INSERT INTO communications (request_id, direction, channel, state, from_addr, subject, body, created_on, kind)
             VALUES (1, 'inbound', 'email', 'received', 'mailer-daemon@news.example.org', 'Undelivered', '', '2026-03-05', 'bounce');
         UPDATE communications SET bounced_by = 3 WHERE id = 1;
         INSERT INTO communications (request_id, direction, letter, channel, state, to_addr, subject, body, created_on, resends)
             VALUES (1, 'outbound', 'request', 'email', 'sending', 'clerk@denver.example.org', 'Request', 'Text', '2026-03-06', 1);",
    )
    .unwrap();
    let second = conn.execute(
        "INSERT INTO communications (request_id, direction, letter, channel, state, to_addr, subject, body, created_on, resends)
             VALUES (1, 'outbound', 'request', 'email', 'sending', 'foia@denver.example.org', 'Request', 'Text', '2026-03-06', 1)",
        [],
    );
    assert!(second.unwrap_err().to_string().contains("UNIQUE constraint failed"));
    // An agency edited later gains its new address as a contact.
    conn.execute("UPDATE agencies SET email = 'foia@paper.example.org' WHERE key = 'paper-co'", []).unwrap();
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM agency_contacts WHERE address = 'foia@paper.example.org'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn portal_mail_matches_the_one_request_whose_reference_was_logged_by_hand() {
    let (env, _server) = sent_env();
    let code = code_of(&env, "fortexample-co");
    env.ok(&["log", &code, "acknowledged", "--on", "2026-03-03", "--via", "portal", "--reference", "PD-2026-0158"]);
    let available = fixture("040-justfoia-records-available.eml", &[]);
    let i = import(&env, "jf-available.eml", &available);
    assert_eq!(
        (i["tracking_code"].as_str(), i["matched_by"].as_str(), i["portal"].as_str()),
        (Some(code.as_str()), Some("agency-reference"), Some("JustFOIA"))
    );
    assert_eq!(show(&env, &code)["portal_numbers"], json!([{"portal": "JustFOIA", "number": "PD-2026-0158"}]));
    // Two requests with the same reference: neither is certain, so the next notice waits.
    let other = code_of(&env, "oldtown-co");
    env.ok(&["log", &other, "acknowledged", "--on", "2026-03-03", "--reference", "PD-2026-0159"]);
    let parks = code_of(&env, "parks-tx");
    env.ok(&["log", &parks, "acknowledged", "--on", "2026-03-03", "--reference", "PD-2026-0159"]);
    let next = fixture(
        "040-justfoia-records-available.eml",
        &[("PD-2026-0158", "PD-2026-0159"), ("Fort Example Police Department", "Another Police Department")],
    );
    assert_eq!(import(&env, "jf-next.eml", &next)["tracking_code"], Value::Null);
}

#[test]
fn a_resend_killed_mid_send_is_left_sending_never_sent_twice_and_settled_by_resolve() {
    let (env, _server) = sent_env();
    let (code, dsn) = oldtown_dsn(&env);
    import(&env, "dsn.eml", &dsn);
    let slow = SmtpServer::start(Options { delay: std::time::Duration::from_millis(1500), ..Default::default() });
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_foiatrack"))
        .args(["send", "--resend", &code, "--to", "clerk@oldtown.example.org"])
        .env("FOIATRACK_DB", &env.db)
        .env("FOIATRACK_TODAY", &env.today)
        .env("FOIATRACK_SMTP_URL", slow.url())
        .env("FOIATRACK_FROM", "jane@newsroom.example.org")
        .current_dir(env.dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed while the mail server holds the message: the row was committed as 'sending' first.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let sending =
        || env.json(&["outbox", "--format", "json"]).as_array().unwrap().iter().any(|o| o["state"] == "sending");
    // Killed once the server has the whole message and before it answers.
    while slow.in_hand() == 0 {
        assert!(std::time::Instant::now() < deadline, "nothing was being sent");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(sending(), "the row was committed as 'sending' before the server was contacted");
    child.kill().unwrap();
    child.wait().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2000));
    assert_eq!(slow.received().len(), 1, "the server delivered what it held");

    // Not sent again while it is unsettled, not even to another address.
    let err = env.fails(&["send", "--resend", &code, "--to", "foia@oldtown.example.org"], 1);
    assert!(err.contains(&format!("{code}: a request message from 2026-03-10 is still marked 'sending'")), "{err}");
    assert_eq!(slow.received().len(), 1);
    // Settled as sent: a resend, not a second request letter.
    env.ok(&["send", "--resolve", &code, "--was-sent"]);
    let d = show(&env, &code);
    assert_eq!(d["letter_bounced"], Value::Null);
    assert_eq!((d["sent_on"].as_str(), d["status"].as_str()), (Some("2026-03-10"), Some("awaiting_ack")));
    assert_eq!(d["events"].as_array().unwrap().iter().filter(|e| e["voided_on"].is_null()).count(), 1);
    assert_eq!(contacts(&env, "oldtown-co")[1]["address"], "clerk@oldtown.example.org");
}

#[test]
fn no_letter_goes_to_an_address_that_bounced_until_a_working_one_is_given() {
    let (mut env, server) = sent_env();
    let (code, dsn) = oldtown_dsn(&env);
    import(&env, "dsn.eml", &dsn);
    env.today = "2026-04-20".into();
    let before = server.received().len();
    let out = env
        .cmd()
        .env("FOIATRACK_SMTP_URL", server.url())
        .env("FOIATRACK_FROM", "jane@newsroom.example.org")
        .args(["followup", "--campaign", "overtime", "--send"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(
        err.contains("records@oldtown.example.org is marked failing for oldtown-co")
            && err.contains(&format!("foiatrack send --resend {code} --to ADDRESS --make-main"))
            && err.contains("foiatrack agency edit oldtown-co --email ADDRESS"),
        "{err}"
    );
    assert!(!err.contains("()"), "{err}");
    assert!(
        !server.received()[before..].iter().any(|m| m.rcpt_to.contains(&"records@oldtown.example.org".to_string())),
        "nothing went to the failing address"
    );
    let before = server.received().len();
    // Once the agency has a working main address, the follow-up goes there.
    env.ok(&["agency", "edit", "oldtown-co", "--email", "clerk@oldtown.example.org"]);
    send(&env, &server, &["followup", "--campaign", "overtime", "--send"]);
    let got = server.received();
    assert_eq!(got.len(), before + 1, "only the follow-up that failed before goes now");
    assert_eq!(got.last().unwrap().rcpt_to, vec!["clerk@oldtown.example.org".to_string()]);
    assert!(got.last().unwrap().subject().contains(&code));
}

#[test]
fn a_bounce_dated_before_our_letter_is_not_about_it() {
    let (env, _server) = sent_env();
    let code = code_of(&env, "oldtown-co");
    // Our letter's address, but someone else's message from January (the fixture's date), before
    // our letter went out: the address is all they share, and the dates rule it out.
    let dsn = fixture(
        "001-dsn-postfix-user-unknown.eml",
        &[
            ("<req-otn26-0001.1767716038@newsroom.example.com>", "<lunch-123@newsroom.example.org>"),
            ("OTN26-0001", "lunch"),
        ],
    );
    let i = import(&env, "dsn.eml", &dsn);
    assert_eq!(i["kind"], "bounce");
    assert_ne!(i["matched_by"], "bounced-recipient");
    assert_eq!(show(&env, &code)["letter_bounced"], Value::Null);
}

#[test]
fn a_file_without_a_sender_is_not_mail() {
    let env = Env::new();
    let f = env.write("notes.eml", "Subject: about OT-0001\nHello: world\n\nJust notes.\n");
    let out = env.cmd().args(["mail", "import", f.to_str().unwrap(), "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not an email message (no From: address)"), "{err}");
    assert_eq!(env.json(&["mail", "unmatched", "--format", "json"]), serde_json::json!([]));
}

#[test]
fn only_new_addresses_at_the_agency_are_offered_as_its_contacts() {
    let (env, _server) = sent_env();
    let code = code_of(&env, "oldtown-co");
    let reply = |from: &str, id: &str| {
        format!(
            "From: {from}\nTo: jane@newsroom.example.org\nSubject: Re: {code}\nDate: Wed, 4 Mar 2026 10:00:00 -0700\nMessage-ID: <{id}>\n\nNoted.\n"
        )
    };
    // Another agency's address, quoting our code: not Oldtown's contact.
    let i = import(&env, "a.eml", &reply("foia@parks.example.org", "a1@parks.example.org"));
    assert_eq!(i["tracking_code"], code.as_str());
    assert_eq!(i["offered_contact"], Value::Null);
    // An address at an unrelated domain: not offered either.
    let i = import(&env, "b.eml", &reply("someone@webmail.example.net", "b1@webmail.example.net"));
    assert_eq!(i["offered_contact"], Value::Null);
    // A colleague at the town's own domain is.
    let i = import(&env, "c.eml", &reply("deputy.clerk@oldtown.example.org", "c1@oldtown.example.org"));
    assert_eq!(i["offered_contact"], "deputy.clerk@oldtown.example.org");
    let contacts = env.json(&["agency", "show", "oldtown-co", "--format", "json"])["contacts"].clone();
    let addresses: Vec<&str> = contacts.as_array().unwrap().iter().map(|c| c["address"].as_str().unwrap()).collect();
    assert_eq!(
        addresses,
        ["records@oldtown.example.org", "deputy.clerk@oldtown.example.org"],
        "the main address first"
    );
}
