//! Suggestions (issue 12, points 6 and 7): the likely requests of unmatched mail with their
//! reasons (`mail unmatched`, `mail assign --suggested`), and the events a matched reply
//! suggests (`request show`, `mail apply`, `mail dismiss`, the web request page's Apply button
//! and the replies page's Assign buttons).

use crate::util::Env;
use crate::web_util::{Client, Server};

/// Three agencies and two campaigns. Every request of `amazon-2016` was sent on 2026-02-02, and
/// the City of Example's `police-2025` one on 2026-02-03, so the city has two open requests and
/// mail from it matches neither by sender. Far County's request carries the reference 26-1187.
fn setup() -> Env {
    let env = Env::new();
    for (key, name, state, email) in [
        ("town-vt", "Town of Elm", "VT", "clerk@town.example.org"),
        ("city-co", "City of Example", "CO", "records@city-co.example.org"),
        ("far-co", "Far County", "CO", "foia@farcounty.example.net"),
    ] {
        env.ok(&["agency", "add", "--key", key, "--name", name, "--state", state, "--kind", "city", "--email", email]);
    }
    env.ok(&["config", "set", "requester.name", "Jane Doe"]);
    env.ok(&["config", "set", "requester.email", "jane@newsroom.example.org"]);
    for (slug, title, prefix) in
        [("amazon-2016", "Amazon purchases 2016", "AMZ16"), ("police-2025", "Police overtime 2025", "POL25")]
    {
        env.ok(&["campaign", "new", slug, "--title", title, "--records", "All of them", "--code-prefix", prefix]);
        env.ok(&["campaign", "add", slug, "--all"]);
    }
    for code in ["AMZ16-0001", "AMZ16-0002", "AMZ16-0003"] {
        env.ok(&["log", code, "sent", "--on", "2026-02-02", "--via", "email"]);
    }
    env.ok(&["log", "POL25-0001", "sent", "--on", "2026-02-03", "--via", "email"]);
    env.ok(&["log", "AMZ16-0002", "acknowledged", "--on", "2026-02-04", "--reference", "26-1187"]);
    env
}

/// The tracking codes, as `campaign add` numbered them (agencies in key order).
const CITY_AMZ: &str = "AMZ16-0001";
const FAR_AMZ: &str = "AMZ16-0002";
const TOWN_AMZ: &str = "AMZ16-0003";
const CITY_POL: &str = "POL25-0001";

fn eml(from: &str, subject: &str, date: &str, id: &str, body: &str) -> String {
    format!(
        "From: {from}\nTo: jane@newsroom.example.org\nSubject: {subject}\nDate: {date}\nMessage-ID: <{id}>\n\n{body}"
    )
}

/// Imports one message; returns its id.
fn import(env: &Env, name: &str, text: &str) -> i64 {
    let path = env.write(name, text);
    env.ok(&["mail", "import", path.to_str().unwrap()]);
    let all = env.json(&["mail", "unmatched", "--format", "json"]);
    let found = all.as_array().unwrap().iter().find(|m| m["source"] == path.to_str().unwrap());
    match found {
        Some(m) => m["id"].as_i64().unwrap(),
        None => {
            // Matched: the newest reply of the request it went to.
            let list = env.json(&["request", "list", "--format", "json"]);
            let mut best = 0;
            for r in list.as_array().unwrap() {
                let d = env.json(&["request", "show", r["tracking_code"].as_str().unwrap(), "--format", "json"]);
                for c in d["correspondence"].as_array().unwrap() {
                    best = best.max(c["id"].as_i64().unwrap());
                }
            }
            best
        }
    }
}

#[test]
fn the_setup_numbers_requests_as_the_tests_name_them() {
    let env = setup();
    let list = env.json(&["request", "list", "--format", "json"]);
    let pairs: Vec<(String, String, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["tracking_code"].as_str().unwrap().to_string(),
                r["agency_key"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = |c: &str, a: &str, s: &str| (c.to_string(), a.to_string(), s.to_string());
    for p in [
        want(CITY_AMZ, "city-co", "awaiting_ack"),
        want(FAR_AMZ, "far-co", "awaiting_response"),
        want(TOWN_AMZ, "town-vt", "awaiting_ack"),
        want(CITY_POL, "city-co", "awaiting_ack"),
        want("POL25-0002", "far-co", "draft"),
    ] {
        assert!(pairs.contains(&p), "{p:?} in {pairs:?}");
    }
}

/// Three unmatched messages: one from the city about police overtime (two open requests there),
/// one from a personal address quoting the county's reference, one pointing nowhere.
fn three_unmatched(env: &Env) -> (i64, i64, i64) {
    let city = import(
        env,
        "city.eml",
        &eml(
            "Records Unit <records@city-co.example.org>",
            "RE: Police overtime 2025",
            "Fri, 27 Feb 2026 11:00:00 -0700",
            "c1@city-co.example.org",
            "Ms. Doe, we are gathering the overtime records now.\n\nRecords Unit\nCity of Example\n",
        ),
    );
    let county = import(
        env,
        "county.eml",
        &eml(
            "Pat <pat.clerk@mail.example.net>",
            "Your records request",
            "Fri, 27 Feb 2026 12:00:00 -0700",
            "p1@mail.example.net",
            "Hello, this is about request 26-1187; we expect to finish soon.\n",
        ),
    );
    let nowhere = import(
        env,
        "nowhere.eml",
        &eml(
            "someone@elsewhere.example.net",
            "Hello",
            "Sat, 28 Feb 2026 09:00:00 -0500",
            "n1@elsewhere.example.net",
            "Just saying hello.\n",
        ),
    );
    (city, county, nowhere)
}

#[test]
fn unmatched_mail_lists_its_likely_requests_with_the_reasons_best_first() {
    let env = setup();
    let (city, county, nowhere) = three_unmatched(&env);
    assert_eq!((city, county, nowhere), (1, 2, 3));
    let out = env.ok(&["mail", "unmatched"]);
    assert_eq!(
        out,
        " ID   DATE         FROM                            SUBJECT                    ATTACHMENTS
---- ------------ ------------------------------- -------------------------- -------------
 1    2026-02-27   records@city-co.example.org     RE: Police overtime 2025   0
 2    2026-02-27   pat.clerk@mail.example.net      Your records request       0
 3    2026-02-28   someone@elsewhere.example.net   Hello                      0

Likely requests (assign the first with `foiatrack mail assign ID --suggested`):
  message 1:
    1. POL25-0001  City of Example (awaiting_ack)  score 0.80
       - sender records@city-co.example.org is the agency's address
       - agency name \"City of Example\" in the signature
       - subject like the campaign's title (100% of the words shared)
       - the request is open (awaiting_ack)
    2. AMZ16-0001  City of Example (awaiting_ack)  score 0.71
       - sender records@city-co.example.org is the agency's address
       - agency name \"City of Example\" in the signature
       - the request is open (awaiting_ack)
  message 2:
    1. AMZ16-0002  Far County (awaiting_response)  score 0.64
       - reference 26-1187 is the agency's reference for this request
       - the request is open (awaiting_response)
  message 3: none found; assign it with `foiatrack mail assign 3 CODE`
"
    );
    let json = env.json(&["mail", "unmatched", "--format", "json"]);
    assert_eq!(
        json[0]["suggestions"],
        serde_json::json!([
            {
                "tracking_code": "POL25-0001",
                "agency": "City of Example",
                "status": "awaiting_ack",
                "score": 0.8,
                "reasons": [
                    "sender records@city-co.example.org is the agency's address",
                    "agency name \"City of Example\" in the signature",
                    "subject like the campaign's title (100% of the words shared)",
                    "the request is open (awaiting_ack)"
                ]
            },
            {
                "tracking_code": "AMZ16-0001",
                "agency": "City of Example",
                "status": "awaiting_ack",
                "score": 0.71,
                "reasons": [
                    "sender records@city-co.example.org is the agency's address",
                    "agency name \"City of Example\" in the signature",
                    "the request is open (awaiting_ack)"
                ]
            }
        ])
    );
    assert_eq!(json[2]["suggestions"], serde_json::json!([]));
    assert_eq!(json[1]["source"], env.path("county.eml").to_str().unwrap());
    let csv = env.ok(&["mail", "unmatched", "--format", "csv"]);
    assert!(csv.starts_with("id,date,from,subject,attachments,suggestions\n"), "{csv}");
    assert!(csv.contains(
        "\n1,2026-02-27,records@city-co.example.org,RE: Police overtime 2025,0,POL25-0001 (0.80); AMZ16-0001 (0.71)\n"
    ));
}

#[test]
fn assign_suggested_takes_the_first_and_refuses_when_there_is_none() {
    let env = setup();
    let (city, county, nowhere) = three_unmatched(&env);
    let out = env.ok(&["mail", "assign", &city.to_string(), "--suggested"]);
    assert_eq!(
        out,
        "Message 1 is now part of POL25-0001 (acknowledged)\nSuggested with score 0.80: sender records@city-co.example.org is the agency's address; agency name \"City of Example\" in the signature; subject like the campaign's title (100% of the words shared); the request is open (awaiting_ack)\n"
    );
    let err = env.fails(&["mail", "assign", &nowhere.to_string(), "--suggested"], 1);
    assert_eq!(
        err,
        "error: message 3 has no suggested request (nothing in it points to one); give the tracking code: foiatrack mail assign 3 CODE\n"
    );
    let err = env.fails(&["mail", "assign", &city.to_string(), "--suggested"], 1);
    assert_eq!(err, "error: message 1 is already tied to a request\n");
    let err = env.fails(&["mail", "assign", "99", "--suggested"], 1);
    assert!(err.contains("inbound message '99' not found"), "{err}");
    // A person's code still works, and one of the two is needed.
    assert_eq!(env.ok(&["mail", "assign", &county.to_string(), FAR_AMZ]), "Message 2 is now part of AMZ16-0002\n");
    let usage = env.fails(&["mail", "assign", &nowhere.to_string()], 2);
    assert!(usage.contains("<CODE|--suggested>"), "{usage}");
    let both = env.fails(&["mail", "assign", &nowhere.to_string(), TOWN_AMZ, "--suggested"], 2);
    assert!(both.contains("cannot be used with"), "{both}");
    let left = env.json(&["mail", "unmatched", "--format", "json"]);
    assert_eq!(left.as_array().unwrap().len(), 1);
    assert_eq!(left[0]["id"], 3);
    let show = env.json(&["request", "show", CITY_POL, "--format", "json"]);
    assert_eq!(show["status"], "awaiting_response");
}

/// A fee reply to the town's request (its code in the subject), dated 2026-02-26.
fn fee_reply(env: &Env) -> i64 {
    import(
        env,
        "fee.eml",
        &eml(
            "clerk@town.example.org",
            &format!("RE: Public records request {TOWN_AMZ}"),
            "Thu, 26 Feb 2026 10:00:00 -0500",
            "f1@town.example.org",
            "Dear Ms. Doe,\n\nThe copying fee for these records is $45.00. Please remit payment before we release them.\n\nTown Clerk\n",
        ),
    )
}

fn suggestions(env: &Env, code: &str) -> serde_json::Value {
    env.json(&["request", "show", code, "--format", "json"])["suggestions"].clone()
}

#[test]
fn request_show_lists_what_replies_suggest_and_mail_apply_logs_it() {
    let env = setup();
    let fee = fee_reply(&env);
    assert_eq!(fee, 1);
    let out = env.ok(&["request", "show", TOWN_AMZ]);
    assert!(
        out.contains("\n\nSuggested from reply #1 (2026-02-26): fee $45.00 — “The copying fee for these records is $45.00.” — apply: foiatrack mail apply 1\n\nTimeline:\n"),
        "{out}"
    );
    assert_eq!(
        suggestions(&env, TOWN_AMZ),
        serde_json::json!([{
            "communication_id": 1,
            "received_on": "2026-02-26",
            "event": "fee",
            "summary": "fee $45.00",
            "amount_cents": 4500,
            "confidence": 0.8,
            "evidence": "The copying fee for these records is $45.00.",
            "apply": "foiatrack mail apply 1"
        }])
    );
    // The import acknowledged the request by this reply, so no acknowledgement is offered.
    let out = env.ok(&["mail", "apply", "1"]);
    assert_eq!(
        out,
        "Applied fee $45.00 from message 1: event 7 (fee on 2026-02-26) for AMZ16-0003: status awaiting_response -> payment_required\n"
    );
    let show = env.json(&["request", "show", TOWN_AMZ, "--format", "json"]);
    let last = show["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "fee");
    assert_eq!(last["amount_cents"], 4500);
    assert_eq!(last["on"], "2026-02-26");
    assert_eq!(last["via"], "email");
    assert_eq!(last["note"], "from reply #1 of 2026-02-26");
    assert_eq!(show["fee_cents"], 4500);
    assert_eq!(show["suggestions"], serde_json::json!([]));
    assert!(!env.ok(&["request", "show", TOWN_AMZ]).contains("Suggested from"));
    let again = env.fails(&["mail", "apply", "1"], 1);
    assert_eq!(again, "error: message 1 has nothing left to apply: fee: applied already (event 7)\n");
    let again = env.fails(&["mail", "apply", "1", "--kind", "fee"], 1);
    assert_eq!(again, "error: nothing to apply: the 'fee' suggested by message 1: applied already (event 7)\n");
    let other = env.fails(&["mail", "apply", "1", "--kind", "extended"], 1);
    assert_eq!(other, "error: message 1 does not suggest 'extended'; it suggests: fee\n");
}

#[test]
fn an_extension_is_applied_with_its_date_and_two_suggestions_need_a_kind() {
    let env = setup();
    let id = import(
        &env,
        "ext.eml",
        &eml(
            "records@farcounty.example.net",
            &format!("{FAR_AMZ} update"),
            "Fri, 27 Feb 2026 09:00:00 -0700",
            "e1@farcounty.example.net",
            "We are extending the deadline to respond until March 27, 2026. The fee will be $12.50, payable on release.\n",
        ),
    );
    let s = suggestions(&env, FAR_AMZ);
    let kinds: Vec<&str> = s.as_array().unwrap().iter().map(|x| x["event"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["extended", "fee"]);
    assert_eq!(s[0]["date"], "2026-03-27");
    assert_eq!(s[0]["apply"], format!("foiatrack mail apply {id} --kind extended"));
    assert_eq!(s[1]["apply"], format!("foiatrack mail apply {id} --kind fee"));
    let err = env.fails(&["mail", "apply", &id.to_string()], 1);
    assert_eq!(
        err,
        format!(
            "error: message {id} suggests 2 events (extended, fee); say which with --kind, e.g. foiatrack mail apply {id} --kind extended\n"
        )
    );
    let out = env.ok(&["mail", "apply", &id.to_string(), "--kind", "extended"]);
    assert_eq!(
        out,
        format!(
            "Applied extended until 2026-03-27 from message {id}: event 6 (extended on 2026-02-27) for AMZ16-0002: status awaiting_response; due 2026-03-27\n"
        )
    );
    let show = env.json(&["request", "show", FAR_AMZ, "--format", "json"]);
    let last = show["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["kind"].as_str(), last["until"].as_str(), last["days"].is_null()),
        (Some("extended"), Some("2026-03-27"), true)
    );
    assert_eq!(show["due_on"], "2026-03-27");
    // The fee is still offered, now alone: its command needs no --kind.
    let s = suggestions(&env, FAR_AMZ);
    assert_eq!(s.as_array().unwrap().len(), 1);
    assert_eq!(s[0]["event"], "fee");
    assert_eq!(s[0]["amount_cents"], 1250);
    assert_eq!(s[0]["apply"], format!("foiatrack mail apply {id}"));
    // Dismissed, it is no longer offered and nothing is logged.
    let out = env.ok(&["mail", "dismiss", &id.to_string()]);
    assert_eq!(
        out,
        format!("Dismissed fee $12.50 suggested by message {id} for AMZ16-0002: it is no longer offered\n")
    );
    assert_eq!(suggestions(&env, FAR_AMZ), serde_json::json!([]));
    assert_eq!(env.json(&["request", "show", FAR_AMZ, "--format", "json"])["status"], "awaiting_response");
}

#[test]
fn a_suggestion_acted_on_by_hand_or_passed_by_is_not_offered_and_apply_is_refused_when_it_does_not_fit() {
    let env = setup();
    let fee = fee_reply(&env);
    // Logged by hand after the message: not offered again.
    env.ok(&["log", TOWN_AMZ, "fee", "--amount", "45.00", "--on", "2026-02-27"]);
    assert_eq!(suggestions(&env, TOWN_AMZ), serde_json::json!([]));
    let err = env.fails(&["mail", "apply", &fee.to_string()], 1);
    assert_eq!(
        err,
        "error: message 1 has nothing left to apply: fee: a 'fee' event was logged on 2026-02-27 (event 7), on or after the message\n"
    );

    // A request completed before the fee arrived: the fee does not fit, and apply says why.
    let env = setup();
    env.ok(&["log", TOWN_AMZ, "completed", "--on", "2026-02-20"]);
    let fee = fee_reply(&env);
    assert_eq!(suggestions(&env, TOWN_AMZ), serde_json::json!([]));
    let err = env.fails(&["mail", "apply", &fee.to_string()], 1);
    assert_eq!(
        err,
        "error: message 1 has nothing left to apply: fee: the request has moved past it ('fee' cannot be logged while the request is completed; events allowed from completed: reopened, note)\n"
    );
    let err = env.fails(&["mail", "apply", &fee.to_string(), "--kind", "fee"], 1);
    assert_eq!(
        err,
        "error: cannot log on AMZ16-0003: 'fee' cannot be logged while the request is completed; events allowed from completed: reopened, note\n"
    );
    let show = env.json(&["request", "show", TOWN_AMZ, "--format", "json"]);
    assert_eq!(show["events"].as_array().unwrap().len(), 2, "nothing was logged");
    assert_eq!(show["status"], "completed");

    // Unmatched mail has no request to apply to.
    let (city, ..) = three_unmatched(&env);
    let err = env.fails(&["mail", "apply", &city.to_string()], 1);
    assert_eq!(
        err,
        format!(
            "error: message {city} is not tied to a request yet; tie it first: foiatrack mail assign {city} CODE (or --suggested)\n"
        )
    );
    let err = env.fails(&["mail", "apply", "99"], 1);
    assert!(err.contains("inbound message '99' not found"), "{err}");
}

/// A staff or viewer account signed in on `server`.
fn person(env: &Env, server: &Server, name: &str, role: &str) -> Client {
    let out =
        env.cmd().args(["user", "add", name, "--role", role]).write_stdin("a long enough secret\n").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    server.sign_in(name, "a long enough secret").expect("signed in")
}

#[test]
fn the_web_request_page_applies_a_suggestion_in_one_click_for_staff_only() {
    let env = setup();
    let fee = fee_reply(&env);
    let server = Server::start(&env, &[]);
    let owner = server.owner();
    let viewer = person(&env, &server, "vic", "viewer");
    let page = server.get(Some(&owner), &format!("/requests/{TOWN_AMZ}"));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<h2 id=\"suggestions\">What the replies say</h2>"), "{}", page.body);
    assert!(page.body.contains(
        "<strong>fee $45.00</strong>, from <a href=\"#message-1\">reply #1</a> of 2026-02-26 <span class=\"muted\">(80% sure)</span><br>\n<q>The copying fee for these records is $45.00.</q>"
    ), "{}", page.body);
    let action = format!("/requests/{TOWN_AMZ}/replies/{fee}/apply");
    assert!(page.body.contains(&format!("action=\"{action}\"")));
    assert!(page.body.contains("<button type=\"submit\" class=\"primary\">Apply: log fee</button>"));
    // A viewer sees the suggestion, not the button, and is refused if they post.
    let seen = server.get(Some(&viewer), &format!("/requests/{TOWN_AMZ}"));
    assert!(seen.body.contains("<strong>fee $45.00</strong>"));
    assert!(!seen.body.contains(&action));
    let a = server.post(&viewer, &action, &[("kind", "fee")]);
    assert_eq!(a.status, 403);
    assert!(a.body.contains("Your role does not allow this"), "{}", a.body);
    // Without the form token, even the owner is refused.
    let a = server.post_raw(Some(&owner), &action, &[("kind", "fee")]);
    assert_eq!(a.status, 403);
    assert!(a.body.contains("no valid form token"), "{}", a.body);
    let json = env.json(&["request", "show", TOWN_AMZ, "--format", "json"]);
    assert_eq!(json["events"].as_array().unwrap().len(), 2, "nothing logged by the refused posts");
    // A message of another request is not found here.
    let other = server.post(&owner, &format!("/requests/{FAR_AMZ}/replies/{fee}/apply"), &[("kind", "fee")]);
    assert_eq!(other.status, 404);
    // One click.
    let a = server.post(&owner, &action, &[("kind", "fee")]);
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(a.header("location"), Some(format!("/requests/{TOWN_AMZ}?done=applied#timeline").as_str()));
    let json = env.json(&["request", "show", TOWN_AMZ, "--format", "json"]);
    assert_eq!(json["status"], "payment_required");
    let last = json["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["kind"].as_str(), last["amount_cents"].as_i64(), last["actor"].as_str()),
        (Some("fee"), Some(4500), Some("owner"))
    );
    let page = server.get(Some(&owner), &format!("/requests/{TOWN_AMZ}?done=applied"));
    assert!(page.body.contains("The event the reply suggests was logged."));
    assert!(!page.body.contains("id=\"suggestions\""));
    // Applying again says why not, on the page.
    let a = server.post(&owner, &action, &[("kind", "fee")]);
    assert_eq!(a.status, 422);
    assert!(
        a.body.contains("nothing to apply: the &#39;fee&#39; suggested by message 1: applied already (event 7)"),
        "{}",
        a.body
    );
}

#[test]
fn the_web_replies_page_offers_the_likely_requests_as_assign_buttons() {
    let env = setup();
    let (city, ..) = three_unmatched(&env);
    let server = Server::start(&env, &[]);
    let owner = server.owner();
    let page = server.get(Some(&owner), "/replies");
    assert!(page.body.contains(&format!(
        "<li><a href=\"/requests/{CITY_POL}\">{CITY_POL}</a> · City of Example (awaiting_ack) · score 0.80\n<ul><li>sender records@city-co.example.org is the agency&#39;s address</li><li>agency name &#34;City of Example&#34; in the signature</li>"
    )), "{}", page.body);
    assert!(page.body.contains(&format!("<input type=\"hidden\" name=\"code\" value=\"{CITY_POL}\">\n<button type=\"submit\">Assign to {CITY_POL}</button>")));
    assert!(page.body.contains("No likely request found: nothing in it points to one."));
    let viewer = person(&env, &server, "vic", "viewer");
    assert!(!server.get(Some(&viewer), "/replies").body.contains("Assign to"));
    // The home page offers the most likely request as one click, with why.
    let home = server.get(Some(&owner), "/");
    assert!(home.body.contains(&format!(
        "<input type=\"hidden\" name=\"code\" value=\"{CITY_POL}\">\n<button type=\"submit\" aria-describedby=\"likely-{city}\">Assign to {CITY_POL}</button>\n<span class=\"muted\" id=\"likely-{city}\">likely: City of Example (sender records@city-co.example.org is the agency&#39;s address)</span>"
    )), "{}", home.body);
    assert_eq!(home.body.matches("<button type=\"submit\" aria-describedby=\"likely-").count(), 2);
    assert!(!server.get(Some(&viewer), "/").body.contains(&format!("Assign to {CITY_POL}")));
    let a = server.post(&owner, &format!("/replies/{city}/assign"), &[("code", CITY_POL)]);
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(a.header("location"), Some(format!("/replies?assigned={CITY_POL}").as_str()));
    let left = env.json(&["mail", "unmatched", "--format", "json"]);
    assert_eq!(left.as_array().unwrap().len(), 2);
}

#[test]
fn on_the_web_a_reply_with_two_suggestions_has_a_button_each_and_one_can_be_dismissed() {
    let env = setup();
    let id = import(
        &env,
        "ext.eml",
        &eml(
            "records@farcounty.example.net",
            &format!("{FAR_AMZ} update"),
            "Fri, 27 Feb 2026 09:00:00 -0700",
            "e1@farcounty.example.net",
            "We are extending the deadline to respond until March 27, 2026. The fee will be $12.50, payable on release.\n",
        ),
    );
    let server = Server::start(&env, &[]);
    let owner = server.owner();
    let viewer = person(&env, &server, "vic", "viewer");
    let page = server.get(Some(&owner), &format!("/requests/{FAR_AMZ}"));
    assert!(page.body.contains("<button type=\"submit\" class=\"primary\">Apply: log extended</button>"));
    assert!(page.body.contains("<button type=\"submit\" class=\"primary\">Apply: log fee</button>"));
    let dismiss = format!("/requests/{FAR_AMZ}/replies/{id}/dismiss");
    assert_eq!(server.post(&viewer, &dismiss, &[("kind", "fee")]).status, 403);
    assert_eq!(server.post_raw(Some(&owner), &dismiss, &[("kind", "fee")]).status, 403);
    let a = server.post(&owner, &dismiss, &[("kind", "fee")]);
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(a.header("location"), Some(format!("/requests/{FAR_AMZ}?done=dismissed#suggestions").as_str()));
    let page = server.get(Some(&owner), &format!("/requests/{FAR_AMZ}?done=dismissed"));
    assert!(page.body.contains("The suggestion was set aside; it is no longer offered."));
    assert!(!page.body.contains("Apply: log fee"));
    let a = server.post(&owner, &format!("/requests/{FAR_AMZ}/replies/{id}/apply"), &[("kind", "extended")]);
    assert_eq!(a.status, 303, "{}", a.body);
    let show = env.json(&["request", "show", FAR_AMZ, "--format", "json"]);
    let last = show["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["kind"].as_str(), last["until"].as_str()), (Some("extended"), Some("2026-03-27")));
    assert_eq!(show["suggestions"], serde_json::json!([]));
    assert_eq!(show["status"], "awaiting_response", "the dismissed fee logged nothing");
    // A kind that is not an event is one sentence.
    let a = server.post(&owner, &format!("/requests/{FAR_AMZ}/replies/{id}/apply"), &[("kind", "lost")]);
    assert_eq!(a.status, 422);
    assert!(a.body.contains("unknown eventkind &#39;lost&#39;"), "{}", a.body);
}

#[test]
fn assign_suggested_refuses_when_two_requests_are_just_as_likely() {
    let env = setup();
    // The city's own address, with nothing saying which of its two open requests it is about.
    let id = import(
        &env,
        "which.eml",
        &eml(
            "records@city-co.example.org",
            "Hello",
            "Fri, 27 Feb 2026 11:00:00 -0700",
            "w1@city-co.example.org",
            "Call me.\n",
        ),
    );
    let list = env.json(&["mail", "unmatched", "--format", "json"]);
    let s = &list.as_array().unwrap().iter().find(|m| m["id"] == id).unwrap()["suggestions"];
    assert_eq!(s[0]["score"], s[1]["score"], "{s}");
    let err = env.fails(&["mail", "assign", &id.to_string(), "--suggested"], 1);
    let (a, b) = (s[0]["tracking_code"].as_str().unwrap(), s[1]["tracking_code"].as_str().unwrap());
    assert_eq!(
        err,
        format!(
            "error: message {id} points to {a} and {b} equally; give the tracking code: foiatrack mail assign {id} CODE\n"
        )
    );
    assert_eq!(env.json(&["mail", "unmatched", "--format", "json"]).as_array().unwrap().len(), 1, "nothing assigned");
    // Nor does the home page offer one click for it: only the field for a code.
    let server = Server::start(&env, &[]);
    let home = server.get(Some(&server.owner()), "/");
    assert!(home.body.contains(&format!("action=\"/replies/{id}/assign\"")), "{}", home.body);
    assert!(!home.body.contains(&format!("Assign to {a}")) && !home.body.contains(&format!("Assign to {b}")));
}
