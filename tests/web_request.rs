//! The request and replies screens over real HTTP: the timeline with who did what, logging and
//! voiding events, letters (preview, download, send), spending imports with a preview, reported
//! totals, attachments as downloads, mail uploads, the unmatched queue and assigning.

use std::path::PathBuf;

use crate::smtp_server::{Options, SmtpServer};
use crate::util::{Env, code_of};
use crate::web_util::{Answer, Client, Server};

/// An agency name with markup and a terminal escape in it.
const HOSTILE: &str = "<script>alert(1)</script> \u{1b}[2J Town";

/// Two agencies in one campaign; the first request sent on 2026-02-02 by alice on the command
/// line, the second still a draft. Today is 2026-03-02.
fn setup() -> (Env, String, String) {
    let env = Env::new();
    env.ok(&[
        "agency",
        "add",
        "--key",
        "town-vt",
        "--name",
        HOSTILE,
        "--state",
        "VT",
        "--kind",
        "city",
        "--email",
        "clerk@town.example.org",
    ]);
    env.ok(&[
        "agency",
        "add",
        "--key",
        "city-co",
        "--name",
        "City of Example",
        "--state",
        "CO",
        "--kind",
        "city",
        "--email",
        "records@city-co.example.org",
    ]);
    env.ok(&["config", "set", "requester.name", "Jane Doe"]);
    env.ok(&["config", "set", "requester.email", "jane@newsroom.example.org"]);
    env.ok(&[
        "campaign",
        "new",
        "amazon-2016",
        "--title",
        "Amazon purchases 2016",
        "--records",
        "All purchases from Amazon in 2016",
        "--period-start",
        "2016-01-01",
        "--period-end",
        "2016-12-31",
        "--code-prefix",
        "AMZ16",
        "--vendor-pattern",
        "amazon|amzn",
    ]);
    env.ok(&["campaign", "add", "amazon-2016", "--all"]);
    let town = code_of(&env, "town-vt");
    let city = code_of(&env, "city-co");
    env.ok(&["--as", "alice", "log", &town, "sent", "--on", "2026-02-02", "--via", "email"]);
    (env, town, city)
}

/// Undoes askama's HTML escaping.
fn unescape(s: &str) -> String {
    s.replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// The text between `start` (which must occur) and the next `end`.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let at = html.find(start).unwrap_or_else(|| panic!("{start:?} not in the page:\n{html}")) + start.len();
    let rest = &html[at..];
    &rest[..rest.find(end).expect("end marker")]
}

/// The event kinds the page offers to log.
fn offered(html: &str) -> Vec<String> {
    html.match_indices("<input type=\"hidden\" name=\"event\" value=\"")
        .map(|(i, m)| {
            let rest = &html[i + m.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

fn show(env: &Env, code: &str) -> serde_json::Value {
    env.json(&["request", "show", code, "--format", "json"])
}

fn allowed(env: &Env, code: &str) -> Vec<String> {
    show(env, code)["allowed_events"].as_array().unwrap().iter().map(|e| e.as_str().unwrap().to_string()).collect()
}

fn uploads(env: &Env) -> PathBuf {
    env.path("test.uploads")
}

/// What is left in the uploads folder.
fn leftovers(env: &Env) -> Vec<String> {
    match std::fs::read_dir(uploads(env)) {
        Ok(d) => d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => Vec::new(),
    }
}

fn assert_redirect(a: &Answer, to: &str) {
    assert_eq!(a.status, 303, "{}", a.body);
    assert_eq!(a.header("location"), Some(to));
}

#[test]
fn the_request_page_shows_the_timeline_with_actors_the_deadline_and_escapes_outside_text() {
    let (env, town, _) = setup();
    let server = Server::start(&env, &[]);
    let owner = server.owner();
    let page = server.get(Some(&owner), &format!("/requests/{}", town.to_lowercase()));
    assert_eq!(page.status, 200, "{}", page.body);
    // The agency's name is shown as text: the markup escaped, the escape character made visible.
    assert!(page.body.contains("&#60;script&#62;alert(1)&#60;/script&#62; \u{241b}[2J Town"), "{}", page.body);
    assert!(!page.body.contains("<script>alert"));
    assert!(!page.body.contains('\u{1b}'));
    assert!(page.body.contains("Status <strong id=\"status\">awaiting_ack</strong>"));
    // The timeline: the CLI's event, by the CLI's user.
    let row = between(&page.body, "<tr id=\"event-1\">", "</tr>");
    assert!(row.contains("<td>2026-02-02</td>\n<td>sent</td>\n<td>via email</td>"), "{row}");
    assert!(row.contains("<td class=\"actor\">alice</td>"), "{row}");
    // The deadline, step by step: the same lines as `foiatrack deadline`.
    let cli = env.ok(&["deadline", &town]);
    let steps: Vec<String> = between(&page.body, "<ol class=\"explanation\">", "</ol>")
        .lines()
        .filter_map(|l| l.strip_prefix("<li>").and_then(|l| l.strip_suffix("</li>")))
        .map(unescape)
        .collect();
    let expected: Vec<&str> = cli.lines().skip(1).collect();
    assert_eq!(steps, expected);
    assert_eq!(steps.last().unwrap(), "Today 2026-03-02: 16 business days overdue (due 2026-02-05).");
    // Only the events that fit awaiting_ack are offered.
    assert_eq!(offered(&page.body), allowed(&env, &town));
    assert_eq!(
        offered(&page.body),
        [
            "acknowledged",
            "extended",
            "estimated",
            "fee",
            "clarification",
            "partial",
            "completed",
            "rejected",
            "no-records",
            "withdrawn",
            "appealed",
            "followed-up",
            "note"
        ]
    );
    // An unknown request is a 404 with a sentence.
    let missing = server.get(Some(&owner), "/requests/AMZ16-9999");
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("request &#39;AMZ16-9999&#39; not found"), "{}", missing.body);
}

#[test]
fn every_kind_of_event_is_logged_through_its_form_and_shown_with_who_logged_it() {
    let (env, town, city) = setup();
    let server = Server::start(&env, &[]);
    let owner = server.owner();
    // `sent` on the draft, from the web.
    assert_eq!(offered(&server.get(Some(&owner), &format!("/requests/{city}")).body), allowed(&env, &city));
    let a = server.post(
        &owner,
        &format!("/requests/{city}/events"),
        &[("event", "sent"), ("on", "2026-02-02"), ("via", "mail"), ("note", "posted")],
    );
    assert_redirect(&a, &format!("/requests/{city}?done=logged#timeline"));
    let ev = &show(&env, &city)["events"][0];
    assert_eq!(
        (ev["kind"].as_str(), ev["on"].as_str(), ev["via"].as_str(), ev["note"].as_str(), ev["actor"].as_str()),
        (Some("sent"), Some("2026-02-02"), Some("mail"), Some("posted"), Some("owner"))
    );

    // Every other kind on the first request, each with its own fields, in an order the status
    // machine allows.
    type Step<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let steps: &[Step<'_>] = &[
        ("acknowledged", &[("on", "2026-02-03"), ("via", "email"), ("reference", "R-2026-118")], "awaiting_response"),
        ("extended", &[("on", "2026-02-04"), ("days", "7"), ("note", "letter of 4 February")], "awaiting_response"),
        ("estimated", &[("on", "2026-02-05"), ("until", "2026-04-01")], "awaiting_response"),
        ("fee", &[("on", "2026-02-06"), ("amount", "25.00")], "payment_required"),
        ("resumed", &[("on", "2026-02-09"), ("note", "paid by cheque")], "awaiting_response"),
        ("clarification", &[("on", "2026-02-10")], "fix_required"),
        ("resumed", &[("on", "2026-02-11")], "awaiting_response"),
        ("partial", &[("on", "2026-02-12")], "partial"),
        ("followed-up", &[("on", "2026-02-13"), ("via", "phone")], "partial"),
        ("note", &[("on", "2026-02-16"), ("note", "called the clerk")], "partial"),
        ("appealed", &[("on", "2026-02-17")], "appealing"),
        ("completed", &[("on", "2026-02-18")], "completed"),
        ("reopened", &[("on", "2026-02-19")], "awaiting_response"),
        ("rejected", &[("on", "2026-02-20")], "rejected"),
        ("reopened", &[("on", "2026-02-23")], "awaiting_response"),
        ("no-records", &[("on", "2026-02-24")], "no_records"),
        ("reopened", &[("on", "2026-02-25")], "awaiting_response"),
        ("withdrawn", &[("on", "2026-02-26")], "withdrawn"),
    ];
    for (n, (kind, fields, status)) in steps.iter().enumerate() {
        let page = server.get(Some(&owner), &format!("/requests/{town}"));
        let offers = offered(&page.body);
        assert!(offers.contains(&kind.to_string()), "{kind} offered: {offers:?}");
        assert_eq!(offers, allowed(&env, &town), "only the fitting events are offered");
        let mut all = vec![("event", *kind)];
        all.extend_from_slice(fields);
        let a = server.post(&owner, &format!("/requests/{town}/events"), &all);
        assert_redirect(&a, &format!("/requests/{town}?done=logged#timeline"));
        let page = server.get(Some(&owner), &format!("/requests/{town}?done=logged"));
        assert!(page.body.contains("<p class=\"done\" role=\"status\">The event was logged.</p>"));
        assert!(page.body.contains(&format!("Status <strong id=\"status\">{status}</strong>")), "after {kind}");
        // The new row: its date, kind and the owner as who logged it.
        let events = show(&env, &town)["events"].as_array().unwrap().clone();
        assert_eq!(events.len(), n + 2);
        let id = events.last().unwrap()["id"].as_i64().unwrap();
        let row = between(&page.body, &format!("<tr id=\"event-{id}\">"), "</tr>");
        assert!(row.contains(&format!("<td>{}</td>\n<td>{kind}</td>", fields[0].1)), "{row}");
        assert!(row.contains("<td class=\"actor\">owner</td>"), "{row}");
    }
    let events = show(&env, &town)["events"].as_array().unwrap().clone();
    assert_eq!(events.len(), steps.len() + 1);
    let get = |i: usize, f: &str| events[i][f].clone();
    assert_eq!(get(0, "actor"), "alice");
    assert!(events[1..].iter().all(|e| e["actor"] == "owner"));
    assert_eq!((get(1, "via"), get(1, "reference")), ("email".into(), "R-2026-118".into()));
    assert_eq!((get(2, "days"), get(2, "note")), (7.into(), "letter of 4 February".into()));
    assert_eq!(get(3, "until"), "2026-04-01");
    assert_eq!(get(4, "amount_cents"), 2500);
    let page = server.get(Some(&owner), &format!("/requests/{town}"));
    let row = |i: usize| between(&page.body, &format!("<tr id=\"event-{}\">", events[i]["id"]), "</tr>").to_string();
    assert!(row(1).contains("<td>via email, reference R-2026-118</td>"), "{}", row(1));
    assert!(row(2).contains("<td>7 days</td>\n<td>letter of 4 February</td>"), "{}", row(2));
    assert!(row(3).contains("<td>until 2026-04-01</td>"), "{}", row(3));
    assert!(row(4).contains("<td>$25.00</td>"), "{}", row(4));
    // Withdrawn: only notes and reopening remain.
    assert_eq!(offered(&page.body), ["reopened", "note"]);
}

#[test]
fn an_event_that_does_not_fit_is_refused_on_the_page_with_why() {
    let (env, town, city) = setup();
    let server = Server::start(&env, &[]);
    let owner = server.owner();
    let a = server.post(&owner, &format!("/requests/{city}/events"), &[("event", "completed"), ("note", "kept")]);
    assert_eq!(a.status, 422);
    assert!(
        a.body.contains(&format!(
            "cannot log on {city}: &#39;completed&#39; cannot be logged while the request is draft; events allowed from draft: sent, withdrawn, note"
        )),
        "{}",
        a.body
    );
    assert_eq!(show(&env, &city)["events"].as_array().unwrap().len(), 0);
    // Bad field values are one sentence each, and nothing is logged.
    for (fields, says) in [
        (vec![("event", "extended"), ("days", "seven")], "Days: &#39;seven&#39; is not a whole number of days."),
        (vec![("event", "fee"), ("amount", "lots")], "Amount: "),
        (
            vec![("event", "note"), ("on", "2026-13-01")],
            "Date: &#39;2026-13-01&#39; is not a date in the form YYYY-MM-DD.",
        ),
        (vec![("event", "note"), ("on", "2026-03-03")], "is after today (2026-03-02)"),
        (vec![("event", "lost")], "unknown eventkind &#39;lost&#39;"),
        (vec![("event", "extended")], "&#39;extended&#39; needs --days N or --until DATE"),
    ] {
        let a = server.post(&owner, &format!("/requests/{town}/events"), &fields);
        assert_eq!(a.status, 422, "{fields:?}");
        assert!(a.body.contains(says), "{fields:?}: {}", between(&a.body, "role=\"alert\"", "</p>"));
    }
    assert_eq!(show(&env, &town)["events"].as_array().unwrap().len(), 1);
    // The form comes back open with what was typed.
    let a = server.post(
        &owner,
        &format!("/requests/{town}/events"),
        &[("event", "extended"), ("days", "seven"), ("note", "kept <b>")],
    );
    let form = between(&a.body, "<details class=\"event-form\" open>", "</details>");
    assert!(form.contains("<summary>extended</summary>"), "{form}");
    assert!(form.contains("name=\"days\" inputmode=\"numeric\" size=\"5\" value=\"seven\""), "{form}");
    assert!(form.contains("rows=\"2\" cols=\"50\">kept &#60;b&#62;</textarea>"), "{form}");
}

#[test]
fn voiding_an_event_needs_a_reason_and_keeps_it_in_the_history() {
    let (env, town, city) = setup();
    let server = Server::start(&env, &[]);
    let owner = server.owner();
    let a =
        server.post(&owner, &format!("/requests/{town}/events"), &[("event", "acknowledged"), ("on", "2026-02-03")]);
    assert_eq!(a.status, 303);
    let no_reason = server.post(&owner, &format!("/requests/{town}/events/2/void"), &[("reason", "  ")]);
    assert_eq!(no_reason.status, 422);
    assert!(no_reason.body.contains("Say why the event is void."));
    // An event of another request is not this request's to void.
    let other = server.post(&owner, &format!("/requests/{city}/events/2/void"), &[("reason", "x")]);
    assert_eq!(other.status, 404);
    let a =
        server.post(&owner, &format!("/requests/{town}/events/2/void"), &[("reason", "logged on the wrong request")]);
    assert_redirect(&a, &format!("/requests/{town}?done=voided#timeline"));
    let page = server.get(Some(&owner), &format!("/requests/{town}"));
    let row = between(&page.body, "<tr id=\"event-2\" class=\"void\">", "</tr>");
    assert!(row.contains("<s>acknowledged</s>"), "{row}");
    assert!(row.contains("voided on 2026-03-02 by owner: logged on the wrong request"), "{row}");
    assert!(!row.contains("Void event 2"), "a void event cannot be voided again");
    assert!(page.body.contains("Status <strong id=\"status\">awaiting_ack</strong>"));
    let ev = &show(&env, &town)["events"][1];
    assert_eq!(
        (ev["voided_by"].as_str(), ev["void_reason"].as_str()),
        (Some("owner"), Some("logged on the wrong request"))
    );
    let again = server.post(&owner, &format!("/requests/{town}/events/2/void"), &[("reason", "twice")]);
    assert_eq!(again.status, 422);
    assert!(again.body.contains("event 2 was voided already on 2026-03-02"));
}

#[test]
fn two_staff_logging_the_same_close_at_once_one_lands_and_the_other_is_told_why() {
    let (env, town, _) = setup();
    let out = env
        .cmd()
        .args(["user", "add", "jane", "--role", "staff"])
        .write_stdin("a long enough secret\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    let server = Server::start(&env, &[]);
    let owner = server.owner();
    let jane = server.sign_in("jane", "a long enough secret").unwrap();
    let path = format!("/requests/{town}/events");
    let (a, b) = std::thread::scope(|s| {
        let one = s.spawn(|| server.post(&owner, &path, &[("event", "completed"), ("on", "2026-03-01")]));
        let two = s.spawn(|| server.post(&jane, &path, &[("event", "completed"), ("on", "2026-03-01")]));
        (one.join().unwrap(), two.join().unwrap())
    });
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [303, 422], "{}\n{}", a.body, b.body);
    let refused = if a.status == 422 { &a } else { &b };
    assert!(
        refused.body.contains(&format!(
            "cannot log on {town}: &#39;completed&#39; cannot be logged while the request is completed; events allowed from completed: reopened, note"
        )),
        "{}",
        refused.body
    );
    let events = show(&env, &town)["events"].as_array().unwrap().clone();
    assert_eq!(events.iter().filter(|e| e["kind"] == "completed").count(), 1);
    let winner = if a.status == 303 { "owner" } else { "jane" };
    assert_eq!(events[1]["actor"], winner);
    // Two notes at once both land, in order.
    let (a, b) = std::thread::scope(|s| {
        let one = s.spawn(|| server.post(&owner, &path, &[("event", "note"), ("note", "one")]));
        let two = s.spawn(|| server.post(&jane, &path, &[("event", "note"), ("note", "two")]));
        (one.join().unwrap(), two.join().unwrap())
    });
    assert_eq!((a.status, b.status), (303, 303));
    assert_eq!(show(&env, &town)["events"].as_array().unwrap().len(), 4);
}

/// A staff or viewer account signed in on `server`.
fn person(env: &Env, server: &Server, name: &str, role: &str) -> Client {
    let out =
        env.cmd().args(["user", "add", name, "--role", role]).write_stdin("a long enough secret\n").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    server.sign_in(name, "a long enough secret").expect("signed in")
}

#[test]
fn a_viewer_reads_but_every_post_is_refused_and_posts_need_the_form_token() {
    let (env, town, _) = setup();
    let server = Server::start(&env, &[]);
    let owner = server.owner();
    let viewer = person(&env, &server, "vic", "viewer");
    let page = server.get(Some(&viewer), &format!("/requests/{town}"));
    assert_eq!(page.status, 200);
    assert!(offered(&page.body).is_empty(), "no forms for a viewer");
    assert!(!page.body.contains("/data/upload"));
    assert_eq!(server.get(Some(&viewer), &format!("/requests/{town}/letter?kind=followup")).status, 200);
    assert_eq!(server.get(Some(&viewer), "/replies").status, 200);
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (format!("/requests/{town}/events"), vec![("event", "note"), ("note", "x")]),
        (format!("/requests/{town}/events/1/void"), vec![("reason", "x")]),
        (format!("/requests/{town}/letter/send"), vec![("kind", "followup")]),
        (format!("/requests/{town}/data/confirm"), vec![("attachment", "1")]),
        (format!("/requests/{town}/data/cancel"), vec![("upload", "x")]),
        (format!("/requests/{town}/total"), vec![("year", "2016"), ("amount", "1.00")]),
        ("/replies/1/assign".to_string(), vec![("code", town.as_str())]),
    ];
    for (path, fields) in &forms {
        let a = server.post(&viewer, path, fields);
        assert_eq!(a.status, 403, "{path}");
        assert!(a.body.contains("Your role does not allow this"), "{path}: {}", a.body);
        // Without the form token, even the owner is refused.
        let a = server.post_raw(Some(&owner), path, fields);
        assert_eq!(a.status, 403, "{path}");
        assert!(a.body.contains("no valid form token"), "{path}: {}", a.body);
    }
    for path in [format!("/requests/{town}/data/upload"), "/replies/upload".to_string()] {
        let a = server.post_multipart(&viewer, &path, &[], ("file", "x.csv", b"Date,Vendor,Amount\n"));
        assert_eq!(a.status, 403, "{path}");
        assert!(a.body.contains("Your role does not allow this"), "{path}");
        let forged = Client { cookie: owner.cookie.clone(), csrf: "0000".into() };
        let a = server.post_multipart(&forged, &path, &[], ("file", "x.csv", b"Date,Vendor,Amount\n"));
        assert_eq!(a.status, 403, "{path}");
        assert!(a.body.contains("no valid form token"), "{path}");
    }
    assert_eq!(server.get(Some(&viewer), &format!("/requests/{town}/data/preview?attachment=1")).status, 403);
    assert!(leftovers(&env).is_empty(), "nothing was stored: {:?}", leftovers(&env));
    assert_eq!(show(&env, &town)["events"].as_array().unwrap().len(), 1);
}

#[test]
fn the_letter_preview_is_the_cli_letter_and_downloads_are_attachments() {
    let (env, town, city) = setup();
    let server = Server::start(&env, &[]);
    let owner = server.owner();
    let page = server.get(Some(&owner), &format!("/requests/{town}/letter?kind=followup"));
    assert_eq!(page.status, 200, "{}", page.body);
    let body = unescape(between(
        &page.body,
        "<pre class=\"letter\" id=\"letter-body\" style=\"white-space: pre-wrap\">",
        "</pre>",
    ));
    assert_eq!(body, env.ok(&["letter", &town, "--kind", "followup"]));
    assert!(page.body.contains("Send this letter to clerk@town.example.org"));
    // The request page offers the letters that fit.
    let req = server.get(Some(&owner), &format!("/requests/{town}"));
    assert!(req.body.contains(&format!("/requests/{town}/letter?kind=followup")));
    assert!(req.body.contains(&format!("/requests/{town}/letter?kind=appeal")));
    assert!(!req.body.contains(&format!("/requests/{town}/letter?kind=request")));

    let txt = server.get(Some(&owner), &format!("/requests/{town}/letter.txt?kind=followup"));
    assert_eq!(txt.status, 200);
    assert_eq!(txt.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(
        txt.header("content-disposition"),
        Some(format!("attachment; filename=\"{town}-town-vt-followup.txt\"").as_str())
    );
    assert_eq!(txt.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(txt.body, cli_letter_file(&env, &town, "followup", "txt"));
    assert!(txt.body.contains(HOSTILE), "the file is the letter as written, like --out");

    let eml = server.get(Some(&owner), &format!("/requests/{town}/letter.eml?kind=followup"));
    assert_eq!(eml.status, 200);
    assert_eq!(eml.header("content-type"), Some("message/rfc822"));
    assert_eq!(
        eml.header("content-disposition"),
        Some(format!("attachment; filename=\"{town}-town-vt-followup.eml\"").as_str())
    );
    let cli = cli_letter_file(&env, &town, "followup", "eml");
    let no_date = |s: &str| s.lines().filter(|l| !l.starts_with("Date: ")).collect::<Vec<_>>().join("\n");
    assert_eq!(no_date(&eml.body), no_date(&cli));
    assert!(eml.body.contains("Date: Mon, 02 Mar 2026 12:00:00 +0000"), "{}", eml.body);
    assert!(eml.body.contains(&format!("Message-ID: <draft.{town}@newsroom.example.org>")));

    // `appeal`: the next step Vermont's law provides, with why, as the CLI says it.
    let appeal = server.get(Some(&owner), &format!("/requests/{town}/letter?kind=appeal"));
    assert_eq!(appeal.status, 200, "{}", appeal.body);
    let out = env.cmd().args(["letter", &town, "--kind", "appeal"]).output().unwrap();
    let body = unescape(between(&appeal.body, "id=\"letter-body\" style=\"white-space: pre-wrap\">", "</pre>"));
    assert_eq!(body, String::from_utf8(out.stdout).unwrap());
    let notes: Vec<String> = String::from_utf8(out.stderr).unwrap().lines().map(str::to_string).collect();
    assert!(!notes.is_empty());
    for n in &notes {
        assert!(unescape(&appeal.body).contains(&format!("<li>{n}</li>")), "{n}");
    }
    assert!(appeal.body.contains("<p>This is an administrative appeal.</p>"), "{}", appeal.body);
    // A follow-up on a request never sent: one sentence.
    let draft = server.get(Some(&owner), &format!("/requests/{city}/letter?kind=followup"));
    assert_eq!(draft.status, 422);
    assert!(draft.body.contains(&format!("{city} has not been sent yet")));
    let request = server.get(Some(&owner), &format!("/requests/{city}/letter.txt"));
    assert_eq!(request.body, cli_letter_file(&env, &city, "request", "txt"));
}

#[test]
fn a_letter_is_sent_through_the_cli_smtp_settings_and_logged() {
    let (env, town, city) = setup();
    // Without a mail server configured, sending is refused with what to set.
    let plain = Server::start(&env, &[]);
    let owner = plain.owner();
    let a = plain.post(&owner, &format!("/requests/{town}/letter/send"), &[("kind", "followup")]);
    assert_eq!(a.status, 422);
    assert!(a.body.contains("no mail server: start `foiatrack serve` with FOIATRACK_SMTP_URL"), "{}", a.body);
    drop(plain);

    let letter = cli_letter_file(&env, &town, "followup", "txt");
    let smtp = SmtpServer::start(Options { reject: vec!["records@city-co.example.org".into()], ..Default::default() });
    let url = smtp.url();
    let server = Server::start_with_env(&env, &[], &[("FOIATRACK_SMTP_URL", url.as_str())]);
    let owner = server.owner();
    let a = server.post(&owner, &format!("/requests/{town}/letter/send"), &[("kind", "followup")]);
    assert_redirect(&a, &format!("/requests/{town}?done=sent#thread"));
    let got = smtp.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rcpt_to, ["clerk@town.example.org"]);
    assert_eq!(got[0].subject(), format!("Follow-up 1 on public records request {town}: Amazon purchases 2016"));
    assert_eq!(got[0].text().replace("\r\n", "\n").trim_end(), letter.trim_end());
    let page = server.get(Some(&owner), &format!("/requests/{town}?done=sent"));
    assert!(page.body.contains("The letter was sent."));
    let row = between(&page.body, "<tr id=\"event-2\">", "</tr>");
    assert!(row.contains("<td>followed-up</td>") && row.contains("<td class=\"actor\">owner</td>"), "{row}");
    assert!(page.body.contains("Followup letter (email)"));
    // The same follow-up twice in a day is refused by the database rule, with why.
    let again = server.post(&owner, &format!("/requests/{town}/letter/send"), &[("kind", "followup")]);
    assert_eq!(again.status, 422);
    assert!(again.body.contains("this followup letter has gone out already"), "{}", again.body);
    // A server that refuses: the page says what it answered, and the letter stays unsent.
    let a = server.post(&owner, &format!("/requests/{city}/letter/send"), &[("kind", "request")]);
    assert_eq!(a.status, 502, "{}", a.body);
    assert!(a.body.contains("The mail server did not take the request letter: "), "{}", a.body);
    assert_eq!(show(&env, &city)["status"], "draft");
}

/// The letter `foiatrack letter CODE --kind KIND --format FORMAT --out FILE` writes.
fn cli_letter_file(env: &Env, code: &str, kind: &str, format: &str) -> String {
    let out = env.path(&format!("{code}-{kind}.{format}"));
    env.ok(&["letter", code, "--kind", kind, "--format", format, "--out", out.to_str().unwrap()]);
    std::fs::read_to_string(out).unwrap()
}

const SPENDING: &str = "Purchases 2016\nDate,Vendor,Amount,Description\n2016-01-05,Amazon.com,12.50,Paper\n2016-02-01,Office Depot,30.00,Pens\n2016-03-01,AMZN Mktp,7.25,Toner\n2016-04-01,Office Depot,5.00,Clips\n";

fn upload_spending(server: &Server, who: &Client, code: &str, name: &str, bytes: &[u8]) -> String {
    let a = server.post_multipart(who, &format!("/requests/{code}/data/upload"), &[], ("file", name, bytes));
    assert_eq!(a.status, 303, "{}", a.body);
    let to = a.header("location").unwrap().to_string();
    let prefix = format!("/requests/{code}/data/preview?upload=");
    assert!(to.starts_with(&prefix), "{to}");
    to[prefix.len()..].to_string()
}

#[test]
fn a_spending_upload_is_previewed_then_imported_on_confirm() {
    let (env, town, _) = setup();
    let server = Server::start(&env, &[]);
    let owner = server.owner();
    let id = upload_spending(&server, &owner, &town, "pcard-2016.csv", SPENDING.as_bytes());
    assert_eq!(leftovers(&env), std::slice::from_ref(&id));
    let page = server.get(Some(&owner), &format!("/requests/{town}/data/preview?upload={id}"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Import pcard-2016.csv for"));
    assert!(page.body.contains("Header on row <strong id=\"header-row\">2</strong> of the csv file."));
    assert!(page.body.contains("<tr><th scope=\"row\">Date</th><td>Date (A)</td></tr><tr><th scope=\"row\">Amount</th><td>Amount (C)</td></tr><tr><th scope=\"row\">Vendor</th><td>Vendor (B)</td></tr><tr><th scope=\"row\">Description</th><td>Description (D)</td></tr>"), "{}", page.body);
    assert!(page.body.contains("Rows read 4: <strong>2 counted</strong>, 2 excluded, 0 invalid."));
    assert!(page.body.contains("Total counted: <strong id=\"total\">$19.75</strong>; dates 2016-01-05 to 2016-03-01."));
    let vendors = between(&page.body, "<h2 id=\"vendors\">", "</section>");
    assert!(vendors.contains("<tr><td>AMZN Mktp</td><td class=\"num\">1</td><td class=\"num\">$7.25</td><td>yes</td></tr><tr><td>Amazon.com</td><td class=\"num\">1</td><td class=\"num\">$12.50</td><td>yes</td></tr><tr><td>Office Depot</td><td class=\"num\">2</td><td class=\"num\">$35.00</td><td>no</td></tr>"), "{vendors}");
    let excluded = between(&page.body, "<h2 id=\"excluded\">", "</section>");
    assert!(excluded.starts_with("Excluded rows (2)</h2>"), "{excluded}");
    assert!(
        excluded.contains("<tr><td>Office Depot</td><td class=\"num\">2</td><td class=\"num\">$35.00</td></tr>"),
        "{excluded}"
    );
    // Nothing is imported by the preview.
    assert_eq!(env.json(&["data", "show", &town, "--format", "json"])["sources"].as_array().unwrap().len(), 0);
    // Someone else cannot confirm this upload.
    let jane = person(&env, &server, "jane", "staff");
    let other = server.post(&jane, &format!("/requests/{town}/data/confirm"), &[("upload", &id)]);
    assert_eq!(other.status, 404);
    let a = server.post(&owner, &format!("/requests/{town}/data/confirm"), &[("upload", &id)]);
    assert_redirect(&a, &format!("/requests/{town}?done=imported#data"));
    assert!(leftovers(&env).is_empty(), "the upload is removed once imported");
    let data = env.json(&["data", "show", &town, "--format", "json"]);
    assert_eq!(data["total_cents"], 1975);
    assert_eq!(data["transactions"], 2);
    assert_eq!(data["excluded"], 2);
    assert_eq!(data["sources"][0]["file_name"], "pcard-2016.csv");
    assert_eq!(data["sources"][0]["header_row"], 2);
    assert_eq!(data["years"][0]["year"], 2016);
    let page = server.get(Some(&owner), &format!("/requests/{town}?done=imported"));
    assert!(page.body.contains("The spending file was imported."));
    assert!(page.body.contains("<tr><th scope=\"row\">Total</th><td class=\"num\">$19.75</td></tr>"));
    assert!(page.body.contains("pcard-2016.csv (csv, 4 rows, imported 2026-03-02)"));
    // The same file again: the preview says it was imported already.
    let id = upload_spending(&server, &owner, &town, "pcard-2016.csv", SPENDING.as_bytes());
    let page = server.get(Some(&owner), &format!("/requests/{town}/data/preview?upload={id}"));
    assert_eq!(page.status, 422);
    assert!(page.body.contains("pcard-2016.csv was imported for"), "{}", page.body);
    assert_eq!(server.post(&owner, &format!("/requests/{town}/data/cancel"), &[("upload", &id)]).status, 303);
    assert!(leftovers(&env).is_empty());
}

#[test]
fn cancelling_a_spending_preview_imports_nothing_and_removes_the_upload() {
    let (env, town, _) = setup();
    let server = Server::start(&env, &[]);
    let owner = server.owner();
    let bad = "Date,Vendor,Amount\n2016-01-05,Amazon.com,12.50\n2016-01-06,Amazon.com,twelve\n";
    let id = upload_spending(&server, &owner, &town, "../../etc/bad file.csv", bad.as_bytes());
    assert_eq!(std::fs::read_dir(uploads(&env).join(&id)).unwrap().count(), 2, "the file and what it is for");
    assert!(uploads(&env).join(&id).join("bad_file.csv").is_file());
    let page = server.get(Some(&owner), &format!("/requests/{town}/data/preview?upload={id}"));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Import bad file.csv for"));
    let invalid = between(&page.body, "<h2 id=\"invalid\">", "</section>");
    assert!(
        invalid.contains("<tr><td>3</td><td>Amount (C)</td><td>twelve</td><td>not an amount of money</td></tr>"),
        "{invalid}"
    );
    assert!(page.body.contains("Skip the 1 invalid row(s) and import the rest"));
    // Confirming without skipping them imports nothing and says why.
    let a = server.post(&owner, &format!("/requests/{town}/data/confirm"), &[("upload", &id)]);
    assert_eq!(a.status, 422);
    assert!(a.body.contains("1 invalid row in bad file.csv; nothing was imported"), "{}", a.body);
    let a = server.post(&owner, &format!("/requests/{town}/data/cancel"), &[("upload", &id)]);
    assert_redirect(&a, &format!("/requests/{town}?done=cancelled#data"));
    assert!(leftovers(&env).is_empty(), "{:?}", leftovers(&env));
    let data = env.json(&["data", "show", &town, "--format", "json"]);
    assert_eq!(data["sources"].as_array().unwrap().len(), 0);
    assert_eq!(data["transactions"], 0);
    let page = server.get(Some(&owner), &format!("/requests/{town}?done=cancelled"));
    assert!(page.body.contains("The import was cancelled; nothing was imported."));
    // The id is gone; an id that is not one of ours never becomes a path.
    assert_eq!(server.get(Some(&owner), &format!("/requests/{town}/data/preview?upload={id}")).status, 404);
    assert_eq!(server.get(Some(&owner), &format!("/requests/{town}/data/preview?upload=..%2F..%2Fetc")).status, 404);
}

#[test]
fn an_xlsx_upload_is_previewed_too() {
    let (env, town, _) = setup();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Card").unwrap();
    ws.write_string(0, 0, "Statement").unwrap();
    for (c, h) in ["Posting Date", "Merchant", "Debit"].iter().enumerate() {
        ws.write_string(2, c as u16, *h).unwrap();
    }
    ws.write_string(3, 0, "2016-05-02").unwrap();
    ws.write_string(3, 1, "AMAZON MKTPLACE").unwrap();
    ws.write_number(3, 2, 40.10).unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let server = Server::start(&env, &[]);
    let owner = server.owner();
    let id = upload_spending(&server, &owner, &town, "card.xlsx", &bytes);
    let page = server.get(Some(&owner), &format!("/requests/{town}/data/preview?upload={id}"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Header on row <strong id=\"header-row\">3</strong> of the xlsx, sheet Card file."),
        "{}",
        page.body
    );
    assert!(page.body.contains("Total counted: <strong id=\"total\">$40.10</strong>"));
    assert_eq!(server.post(&owner, &format!("/requests/{town}/data/confirm"), &[("upload", &id)]).status, 303);
    assert_eq!(env.json(&["data", "show", &town, "--format", "json"])["total_cents"], 4010);
}

#[test]
fn a_reported_total_is_recorded() {
    let (env, town, _) = setup();
    let server = Server::start(&env, &[]);
    let owner = server.owner();
    let bad = server.post(&owner, &format!("/requests/{town}/total"), &[("year", "sixteen"), ("amount", "1.00")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("Year: &#39;sixteen&#39; is not a year."));
    let a = server.post(
        &owner,
        &format!("/requests/{town}/total"),
        &[("year", "2016"), ("amount", "548419.00"), ("note", "letter of 4 April")],
    );
    assert_redirect(&a, &format!("/requests/{town}?done=total#data"));
    let data = env.json(&["data", "show", &town, "--format", "json"]);
    assert_eq!(data["reported_total_cents"], 54_841_900);
    assert_eq!(data["total_cents"], 54_841_900);
    assert_eq!(data["years"][0]["source"], "reported total");
    let page = server.get(Some(&owner), &format!("/requests/{town}?done=total"));
    assert!(page.body.contains("The reported total was recorded."));
    assert!(
        page.body.contains("<tr><th scope=\"row\">Reported by the agency</th><td class=\"num\">$548,419.00</td></tr>"),
        "{}",
        between(&page.body, "id=\"data\"", "</table>")
    );
}

/// An mbox of three messages: a reply to `code` with an HTML attachment (hostile file name), a
/// reply tied to nothing with a hostile subject, and a reply with a spending file.
fn mbox(code: &str) -> String {
    let mut m = String::new();
    m += &format!(
        "From clerk@town.example.org Thu Feb 26 10:00:00 2026\nFrom: clerk@town.example.org\nTo: jane@newsroom.example.org\nSubject: Re: records {code}\nDate: Thu, 26 Feb 2026 10:00:00 -0500\nMessage-ID: <r1@town.example.org>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain\n\nSee the attached page.\n--b1\nContent-Type: text/html\nContent-Disposition: attachment; filename=\"../../evil \\\"x\\\".html\"\n\n<html><script>alert(document.cookie)</script></html>\n--b1--\n\n"
    );
    m += "From someone@elsewhere.example.net Fri Feb 27 10:00:00 2026\nFrom: someone@elsewhere.example.net\nTo: jane@newsroom.example.org\nSubject: <script>alert(2)</script> \u{1b}[31mred\nDate: Fri, 27 Feb 2026 10:00:00 -0500\nMessage-ID: <r2@elsewhere.example.net>\n\nNo tracking code here <b>bold</b>.\n\n";
    m += &format!(
        "From clerk@town.example.org Fri Feb 27 11:00:00 2026\nFrom: clerk@town.example.org\nTo: jane@newsroom.example.org\nSubject: Spending for {code}\nDate: Fri, 27 Feb 2026 11:00:00 -0500\nMessage-ID: <r3@town.example.org>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b3\"\n\n--b3\nContent-Type: text/plain\n\nAttached.\n--b3\nContent-Type: text/csv\nContent-Disposition: attachment; filename=\"pcard.csv\"\n\n{}--b3--\n",
        SPENDING
    );
    m
}

#[test]
fn mail_uploads_are_imported_unmatched_replies_queued_and_assigned() {
    let (env, town, city) = setup();
    let server = Server::start(&env, &[]);
    let owner = server.owner();
    // An .eml with the tracking code in its subject.
    let eml = format!(
        "From: records@city-co.example.org\nTo: jane@newsroom.example.org\nSubject: About {city}\nDate: Wed, 25 Feb 2026 09:00:00 -0700\nMessage-ID: <e1@city-co.example.org>\n\nWe are on it.\n"
    );
    let a = server.post_multipart(&owner, "/replies/upload", &[], ("file", "reply.eml", eml.as_bytes()));
    assert_eq!(a.status, 303, "{}", a.body);
    let to = a.header("location").unwrap().to_string();
    assert!(to.starts_with("/replies?report="), "{to}");
    let page = server.get(Some(&owner), &to);
    assert!(page.body.contains("Imported from reply.eml"), "{}", page.body);
    assert!(page.body.contains("1 message(s): 1 new (0 not matched), 0 already imported."), "{}", page.body);
    assert!(
        page.body
            .contains(&format!("<a href=\"/requests/{city}#thread\">{city}</a></td><td>matched by tracking-code</td>"))
    );
    assert!(leftovers(&env).is_empty(), "the upload is removed after the import");

    // An out-of-office answer is listed as what it is, with what it matched.
    let away = format!(
        "From: records@city-co.example.org\nTo: jane@newsroom.example.org\nSubject: Automatic reply: About {city}\nAuto-Submitted: auto-replied\nDate: Wed, 25 Feb 2026 10:00:00 -0700\nMessage-ID: <e2@city-co.example.org>\n\nI am out of the office until March 2.\n"
    );
    let a = server.post_multipart(&owner, "/replies/upload", &[], ("file", "away.eml", away.as_bytes()));
    let page = server.get(Some(&owner), a.header("location").unwrap());
    assert!(
        page.body.contains(&format!(
            "<a href=\"/requests/{city}#thread\">{city}</a></td><td>automatic reply: matched by tracking-code</td>"
        )),
        "{}",
        page.body
    );

    // An mbox: one matched, one not, one with a spending file; plus a line that is not mail.
    let a = server.post_multipart(&owner, "/replies/upload", &[], ("file", "replies.mbox", mbox(&town).as_bytes()));
    assert_eq!(a.status, 303, "{}", a.body);
    let page = server.get(Some(&owner), a.header("location").unwrap());
    assert!(page.body.contains("3 message(s): 3 new (1 not matched), 0 already imported."), "{}", page.body);
    // The hostile subject, escaped and with its escape character shown, in the report and the queue.
    let hostile = "&#60;script&#62;alert(2)&#60;/script&#62; \u{241b}[31mred";
    assert!(page.body.contains(hostile), "{}", page.body);
    assert!(!page.body.contains("<script>alert(2)") && !page.body.contains('\u{1b}'));
    let queue = server.get(Some(&owner), "/replies");
    assert!(queue.body.contains("Not yet matched (1)"));
    assert!(queue.body.contains(&format!("2026-02-27 · {hostile}")));
    assert!(queue.body.contains("No tracking code here &#60;b&#62;bold&#60;/b&#62;."));
    assert!(queue.body.contains("<dt>Imported from</dt><dd>upload replies.mbox#2</dd>"), "{}", queue.body);
    let unmatched = env.json(&["mail", "unmatched", "--format", "json"]);
    let id = unmatched[0]["id"].as_i64().unwrap().to_string();
    assert_eq!(unmatched[0]["source"], "upload replies.mbox#2");
    // The home page and the replies page both post here.
    let home = server.get(Some(&owner), "/");
    assert!(home.body.contains(&format!("action=\"/replies/{id}/assign\"")));
    let unknown = server.post(&owner, &format!("/replies/{id}/assign"), &[("code", "AMZ16-9999")]);
    assert_eq!(unknown.status, 404);
    assert!(unknown.body.contains("request &#39;AMZ16-9999&#39; not found"), "{}", unknown.body);
    let a = server.post(&owner, &format!("/replies/{id}/assign"), &[("code", &town.to_lowercase())]);
    assert_redirect(&a, &format!("/replies?assigned={town}"));
    let page = server.get(Some(&owner), &format!("/replies?assigned={town}"));
    assert!(page.body.contains(&format!("The reply is now part of <a href=\"/requests/{town}#thread\">{town}</a>.")));
    assert!(page.body.contains("Not yet matched (0)"));
    assert_eq!(env.json(&["mail", "unmatched", "--format", "json"]), serde_json::json!([]));
    let again = server.post(&owner, &format!("/replies/{id}/assign"), &[("code", &town)]);
    assert_eq!(again.status, 422);
    assert!(again.body.contains(&format!("message {id} is already tied to a request")));
    // The thread of the request: the replies, with the hostile subject escaped.
    let req = server.get(Some(&owner), &format!("/requests/{town}"));
    let thread = between(&req.body, "<h2 id=\"thread\">", "</section>");
    assert!(thread.contains(&format!("<dt>Subject</dt><dd>Re: records {town}</dd>")), "{thread}");
    assert!(thread.contains(&format!("<dt>Subject</dt><dd>{hostile}</dd>")), "{thread}");
    assert!(thread.contains("Reply received (matched by assigned)"));
    assert!(thread.contains("Reply received (matched by tracking-code)"));
    assert!(!req.body.contains('\u{1b}'));
    // A file that is not mail is listed as skipped.
    let a = server.post_multipart(&owner, "/replies/upload", &[], ("file", "notes.txt", b"just some text\n"));
    let page = server.get(Some(&owner), a.header("location").unwrap());
    assert!(page.body.contains("upload notes.txt: not an email message (no header lines)"), "{}", page.body);
    // Uploading nothing is one sentence.
    let a = server.post_multipart(&owner, "/replies/upload", &[], ("file", "", b""));
    assert_eq!(a.status, 422);
    assert!(a.body.contains("Choose a file to upload."));
}

#[test]
fn attachments_are_served_by_id_only_as_downloads_and_import_as_spending() {
    let (env, town, city) = setup();
    let server = Server::start(&env, &[]);
    let owner = server.owner();
    let a = server.post_multipart(&owner, "/replies/upload", &[], ("file", "replies.mbox", mbox(&town).as_bytes()));
    assert_eq!(a.status, 303);
    let page = server.get(Some(&owner), &format!("/requests/{town}"));
    let files = env.json(&["request", "files", &town, "--format", "json"]);
    let sizes: Vec<i64> = files.as_array().unwrap().iter().map(|f| f["size"].as_i64().unwrap()).collect();
    // The agency's HTML file is linked by id, its name escaped.
    let thread = between(&page.body, "<h2 id=\"thread\">", "</section>");
    assert!(
        thread.contains(&format!(
            "<a href=\"/attachments/1\" download>../../evil &#34;x&#34;.html</a> <span class=\"muted\">(text/html, {} bytes)</span>",
            sizes[0]
        )),
        "{thread}"
    );
    let file = server.get(Some(&owner), "/attachments/1");
    assert_eq!(file.status, 200);
    assert_eq!(file.body.trim_end(), "<html><script>alert(document.cookie)</script></html>");
    assert_eq!(file.body.len() as i64, sizes[0]);
    assert_eq!(file.header("content-type"), Some("application/octet-stream"));
    assert_eq!(file.header("content-disposition"), Some("attachment; filename=\"evil__x_.html\""));
    assert_eq!(file.header("x-content-type-options"), Some("nosniff"));
    assert!(file.header("content-security-policy").unwrap().contains("default-src 'self'"));
    // Only ids: anything else is not found.
    for path in ["/attachments/99", "/attachments/..%2F..%2Ftest.db", "/attachments/evil.html", "/attachments/-1"] {
        assert_eq!(server.get(Some(&owner), path).status, 404, "{path}");
    }
    // Signed-out visitors get nothing.
    assert_eq!(server.get(None, "/attachments/1").status, 303);
    // A viewer may download.
    let viewer = person(&env, &server, "vic", "viewer");
    assert_eq!(server.get(Some(&viewer), "/attachments/2").status, 200);

    // The spending file attached to a reply: picked, previewed and imported.
    assert!(
        page.body.contains(&format!("<option value=\"2\">pcard.csv ({} bytes)</option>", sizes[1])),
        "{}",
        between(&page.body, "id=\"data\"", "</section>")
    );
    let preview = server.get(Some(&owner), &format!("/requests/{town}/data/preview?attachment=2"));
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(preview.body.contains("Import pcard.csv for"));
    assert!(preview.body.contains("Rows read 4: <strong>2 counted</strong>, 2 excluded, 0 invalid."));
    assert!(!preview.body.contains("/data/cancel"), "nothing to delete for an attachment");
    // An attachment of another request's reply cannot be imported for this one.
    let other = server.get(Some(&owner), &format!("/requests/{city}/data/preview?attachment=2"));
    assert_eq!(other.status, 404, "{}", other.body);
    let a = server.post(&owner, &format!("/requests/{town}/data/confirm"), &[("attachment", "2")]);
    assert_redirect(&a, &format!("/requests/{town}?done=imported#data"));
    let data = env.json(&["data", "show", &town, "--format", "json"]);
    assert_eq!(
        (data["total_cents"].as_i64(), data["sources"][0]["file_name"].as_str()),
        (Some(1975), Some("pcard.csv"))
    );
}

#[test]
fn an_upload_over_the_limit_is_refused_and_nothing_is_kept() {
    let (env, town, _) = setup();
    let server = Server::start(&env, &[]);
    let owner = server.owner();
    let big = vec![b'x'; 64 * 1024 * 1024 + 1];
    for path in [format!("/requests/{town}/data/upload"), "/replies/upload".to_string()] {
        let a = server.post_multipart(&owner, &path, &[], ("file", "big.csv", &big));
        assert_eq!(a.status, 413, "{path}: {}", a.body);
        assert!(a.body.contains("The file is larger than the 64 MB the server accepts."), "{}", a.body);
    }
    assert!(leftovers(&env).is_empty(), "{:?}", leftovers(&env));
}

/// The unmatched queue is shown 50 at a time, oldest first, with the total and links between
/// pages; a page past the last shows the last.
#[test]
fn the_replies_queue_is_shown_a_page_at_a_time() {
    let (env, _town, _city) = setup();
    let server = Server::start(&env, &[]);
    let owner = server.owner();
    let mut m = String::new();
    for i in 0..120 {
        m += &format!(
            "From someone@elsewhere.example.net Fri Feb 27 10:00:00 2026\nFrom: someone@elsewhere.example.net\nTo: jane@newsroom.example.org\nSubject: Newsletter {i:03}\nDate: Fri, 27 Feb 2026 10:{:02}:{:02} -0500\nMessage-ID: <n{i}@elsewhere.example.net>\n\nNothing about records.\n\n",
            i / 60,
            i % 60
        );
    }
    let a = server.post_multipart(&owner, "/replies/upload", &[], ("file", "news.mbox", m.as_bytes()));
    assert_eq!(a.status, 303, "{}", a.body);
    let subjects = |body: &str| -> Vec<String> {
        body.split("<h3 id=\"message-").skip(1).map(|h| between(h, "· ", "</h3>").to_string()).collect()
    };
    let first = server.get(Some(&owner), "/replies");
    assert!(first.body.contains("Not yet matched (120)"), "{}", first.body);
    assert!(first.body.contains("Oldest first: 1 to 50 of 120."));
    assert!(first.body.contains("href=\"/replies?page=2#unmatched\" rel=\"next\""));
    assert!(!first.body.contains("rel=\"prev\""));
    let want: Vec<String> = (0..50).map(|i| format!("Newsletter {i:03}")).collect();
    assert_eq!(subjects(&first.body), want);
    let last = server.get(Some(&owner), "/replies?page=3");
    assert!(last.body.contains("Oldest first: 101 to 120 of 120."));
    assert!(last.body.contains("href=\"/replies?page=2#unmatched\" rel=\"prev\""));
    assert!(!last.body.contains("rel=\"next\""));
    assert_eq!(subjects(&last.body), (100..120).map(|i| format!("Newsletter {i:03}")).collect::<Vec<_>>());
    assert_eq!(subjects(&server.get(Some(&owner), "/replies?page=99").body), subjects(&last.body));
    assert_eq!(subjects(&server.get(Some(&owner), "/replies?page=99999999999").body), subjects(&last.body));
    // A page that is not a number shows the first.
    for bad in ["abc", "-1", "0", ""] {
        let page = server.get(Some(&owner), &format!("/replies?page={bad}"));
        assert_eq!((page.status, subjects(&page.body)), (200, subjects(&first.body)), "page={bad}");
    }
}
