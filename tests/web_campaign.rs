//! The campaign screens over real HTTP: the list and one campaign's page against the CLI's
//! figures on the demo, sorting, filtering and pages, the CSV download, roles and form tokens,
//! starting a campaign, adding agencies and previewing letters, and batches on the server:
//! letters sent through a real SMTP server exactly once (also when the server is killed
//! mid-batch), follow-ups and one event logged on many requests.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::smtp_server::{Options, SmtpServer};
use crate::util::{Env, example_agencies};
use crate::web_util::{Answer, Client, Server};

const TODAY: &str = "2026-06-01";
const SLUG: &str = "amazon-2016";

/// A fresh demo database (the demo is deterministic for a fixed day).
fn demo_env() -> Env {
    let mut env = Env::empty();
    env.today = TODAY.into();
    env.ok(&["demo"]);
    env
}

/// One demo shared by the tests that only read.
fn shared_demo() -> &'static Env {
    static DEMO: OnceLock<Env> = OnceLock::new();
    DEMO.get_or_init(demo_env)
}

/// Agencies, a requester and a campaign of drafts to the agencies of `states`.
fn drafts_env(states: &[&str]) -> Env {
    let env = Env::new();
    env.ok(&["agency", "import", example_agencies().to_str().unwrap()]);
    env.ok(&["config", "set", "requester.name", "Jane Doe"]);
    env.ok(&["config", "set", "requester.email", "jane@newsroom.example.org"]);
    env.ok(&[
        "campaign",
        "new",
        SLUG,
        "--title",
        "Amazon purchases 2016",
        "--records",
        "All records of purchases from Amazon made in 2016.",
        "--code-prefix",
        "AMZ16",
    ]);
    let mut args = vec!["campaign", "add", SLUG];
    for s in states {
        args.extend(["--state", s]);
    }
    env.ok(&args);
    env
}

fn mail_vars(smtp: &SmtpServer) -> Vec<(&'static str, String)> {
    vec![
        ("FOIATRACK_SMTP_URL", smtp.url()),
        ("FOIATRACK_FROM", "Jane Doe <jane@newsroom.example.org>".into()),
        ("FOIATRACK_REPLY_TO", "records+{code}@newsroom.example.org".into()),
    ]
}

fn start_mail(env: &Env, smtp: &SmtpServer) -> Server {
    let vars = mail_vars(smtp);
    let v: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Server::start_with_env(env, &[], &v)
}

fn add_user(env: &Env, name: &str, role: &str) {
    let out =
        env.cmd().args(["user", "add", name, "--role", role]).write_stdin("a long enough secret\n").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// `&#38;` and friends back to text.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.find(';').unwrap_or(0);
        let entity = &rest[1..end.max(1)];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16).ok().and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) if end > 0 => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Text without tags.
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in html.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            c if !inside => out.push(c),
            _ => {}
        }
    }
    unescape(out.trim())
}

/// The tracking codes of the table's rows, in order.
fn row_codes(html: &str) -> Vec<String> {
    html.match_indices("<tr id=\"row-")
        .map(|(i, _)| {
            let rest = &html[i + 12..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

/// One cell of a row, as text.
fn cell(html: &str, code: &str, col: &str) -> String {
    let start = html.find(&format!("<tr id=\"row-{code}\">")).unwrap_or_else(|| panic!("no row {code}"));
    let row = &html[start..start + html[start..].find("</tr>").unwrap()];
    let at = row.find(&format!("data-col=\"{col}\"")).unwrap_or_else(|| panic!("no column {col}"));
    let rest = &row[at..];
    let open = rest.find('>').unwrap() + 1;
    let close = rest.find("</td>").or_else(|| rest.find("</th>")).unwrap();
    text(&rest[open..close])
}

/// The number in an element with this id.
fn number(html: &str, id: &str) -> i64 {
    let at = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in {html}"));
    let rest = &html[at..];
    let open = rest.find('>').unwrap() + 1;
    text(&rest[open..open + rest[open..].find('<').unwrap()]).parse().unwrap()
}

fn location(a: &Answer) -> String {
    assert_eq!(a.status, 303, "{a:?}");
    a.header("location").unwrap().to_string()
}

/// Waits for a batch to finish; returns its last page.
fn wait_for_batch(server: &Server, c: &Client, path: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let page = server.get(Some(c), path);
        assert_eq!(page.status, 200, "{}", page.body);
        if page.body.contains("Finished:") {
            return page.body;
        }
        assert!(!page.body.contains("stopped early"), "{}", page.body);
        assert!(Instant::now() < deadline, "the batch never finished: {}", page.body);
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn cli_list(env: &Env, extra: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["request", "list", "--campaign", SLUG, "--format", "json"];
    args.extend_from_slice(extra);
    env.json(&args).as_array().unwrap().clone()
}

fn codes_of(list: &[serde_json::Value]) -> Vec<String> {
    list.iter().map(|r| r["tracking_code"].as_str().unwrap().to_string()).collect()
}

fn opt(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn sql_count(env: &Env, sql: &str) -> i64 {
    rusqlite::Connection::open(&env.db).unwrap().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn campaign_list_and_page_show_the_clis_figures_on_the_demo() {
    let env = shared_demo();
    let server = Server::start(env, &[]);
    let owner = server.owner();
    let list = server.get(Some(&owner), "/campaigns");
    assert_eq!(list.status, 200);
    assert!(list.body.contains("<a href=\"/campaigns/amazon-2016\">Amazon purchases 2016</a>"), "{}", list.body);
    assert!(list.body.contains("<td class=\"num\" data-col=\"requests\">90</td>"), "{}", list.body);

    let show = env.json(&["campaign", "show", SLUG, "--format", "json"]);
    let summary = &show["summary"];
    let page = server.get(Some(&owner), "/campaigns/amazon-2016");
    assert_eq!(page.status, 200);
    assert_eq!(number(&page.body, "total"), summary["requests"].as_i64().unwrap());
    assert_eq!(number(&page.body, "overdue-count"), summary["overdue"].as_i64().unwrap());
    assert!(summary["overdue"].as_i64().unwrap() > 0, "the demo has late requests");
    for pair in summary["by_status"].as_array().unwrap() {
        let (status, n) = (pair[0].as_str().unwrap(), pair[1].as_i64().unwrap());
        let cell = format!("data-status=\"{status}\">{n}</td>");
        assert_eq!(page.body.contains(&cell), n > 0, "{status}: {n}");
        let db = sql_count(env, &format!("SELECT COUNT(*) FROM requests WHERE status = '{status}'"));
        assert_eq!(db, n, "{status}");
    }
    // The bar names every status with requests, for screen readers.
    let label: Vec<String> = summary["by_status"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p[1].as_i64().unwrap() > 0)
        .map(|p| format!("{} {}", p[1], p[0].as_str().unwrap()))
        .collect();
    assert!(page.body.contains(&format!("aria-label=\"Requests by status: {}\"", label.join(", "))), "{}", page.body);

    // Every row over the two pages says what the CLI says.
    let cli = cli_list(env, &[]);
    let mut by_code: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    for r in &cli {
        by_code.insert(r["tracking_code"].as_str().unwrap().to_string(), r.clone());
    }
    let first = row_codes(&page.body);
    let second_page = server.get(Some(&owner), "/campaigns/amazon-2016?page=2");
    let second = row_codes(&second_page.body);
    assert_eq!(first.len(), 50);
    assert_eq!(second.len(), 40);
    assert_eq!(first[0], "AMZ16-0001");
    assert_eq!(second[0], "AMZ16-0051");
    assert!(page.body.contains("Requests 1–50 of <strong id=\"matched\">90</strong>, page 1 of 2."), "{}", page.body);
    assert!(second_page.body.contains("Requests 51–90 of"), "{}", second_page.body);
    let all: Vec<String> = first.iter().chain(&second).cloned().collect();
    let expected: Vec<String> = (1..=90).map(|n| format!("AMZ16-{n:04}")).collect();
    assert_eq!(all, expected);
    for (code, body) in first.iter().map(|c| (c, &page.body)).chain(second.iter().map(|c| (c, &second_page.body))) {
        let r = &by_code[code];
        assert_eq!(cell(body, code, "status"), opt(&r["status"]), "{code}");
        assert_eq!(cell(body, code, "sent"), opt(&r["sent_on"]), "{code}");
        assert_eq!(cell(body, code, "due"), opt(&r["due_on"]), "{code}");
        assert_eq!(cell(body, code, "overdue"), opt(&r["overdue_days"]), "{code}");
        assert_eq!(cell(body, code, "state"), opt(&r["state"]), "{code}");
        assert_eq!(cell(body, code, "agency"), opt(&r["agency_name"]), "{code}");
        assert_eq!(cell(body, code, "reference"), opt(&r["agency_reference"]), "{code}");
    }
    // Figures: Boise sent a file, the published spenders reported totals.
    let boise = cli.iter().find(|r| r["agency_key"] == "city-of-boise-id").unwrap();
    let boise_code = boise["tracking_code"].as_str().unwrap();
    let body = if first.contains(&boise_code.to_string()) { &page.body } else { &second_page.body };
    assert_eq!(cell(body, boise_code, "figures"), "2 files", "the 2016 and 2017 p-card files");
    assert_eq!(cell(body, boise_code, "law"), "PRA");
    let denver = cli.iter().find(|r| r["agency_key"] == "denver-public-schools-co").unwrap();
    let denver_code = denver["tracking_code"].as_str().unwrap();
    let body = if first.contains(&denver_code.to_string()) { &page.body } else { &second_page.body };
    assert_eq!(cell(body, denver_code, "figures"), "2 totals", "2016 published, 2017 illustrative");
    assert_eq!(cell(body, denver_code, "law"), "CORA");
    // Staff tick rows for the bulk actions.
    assert!(page.body.contains("name=\"code\" value=\"AMZ16-0001\""));
}

/// The tracking codes of a list, sorted.
fn by_code_of(list: &[serde_json::Value]) -> Vec<String> {
    let mut v = codes_of(list);
    v.sort();
    v
}

#[test]
fn sorting_filtering_and_pages_happen_on_the_server() {
    let env = shared_demo();
    let server = Server::start(env, &[]);
    let owner = server.owner();
    let get = |path: &str| {
        let a = server.get(Some(&owner), path);
        assert_eq!(a.status, 200, "{path}: {}", a.body);
        a.body
    };
    let cli = cli_list(env, &[]);
    // Due date, oldest first (the CLI's own order), and newest first, empty dates last both ways.
    assert_eq!(row_codes(&get("/campaigns/amazon-2016?sort=due&dir=asc&per=100")), codes_of(&cli));
    let mut desc = cli.clone();
    desc.sort_by(|a, b| {
        let (da, db) = (a["due_on"].as_str(), b["due_on"].as_str());
        (da.is_none(), std::cmp::Reverse(da), a["tracking_code"].as_str()).cmp(&(
            db.is_none(),
            std::cmp::Reverse(db),
            b["tracking_code"].as_str(),
        ))
    });
    assert_eq!(row_codes(&get("/campaigns/amazon-2016?sort=due&dir=desc&per=100")), codes_of(&desc));
    let mut by_agency = cli.clone();
    by_agency.sort_by_key(|r| (r["agency_name"].as_str().unwrap().to_lowercase(), opt(&r["tracking_code"])));
    assert_eq!(row_codes(&get("/campaigns/amazon-2016?sort=agency&per=100")), codes_of(&by_agency));
    // Most overdue first, then the rest by code.
    let overdue_first = row_codes(&get("/campaigns/amazon-2016?sort=overdue&per=100"));
    let late: Vec<i64> = overdue_first
        .iter()
        .map(|c| cli.iter().find(|r| r["tracking_code"] == *c.as_str()).unwrap()["overdue_days"].as_i64().unwrap_or(-1))
        .collect();
    let n_late = cli.iter().filter(|r| r["overdue_days"].is_i64()).count();
    assert!(n_late > 2);
    // Every request is listed, open ones without a due date too.
    let mut all = overdue_first.clone();
    all.sort();
    assert_eq!(all, by_code_of(&cli), "sorting by days overdue lists every request once");
    assert!(cli.iter().any(|r| r["due_on"].is_null() && r["status"] != "draft" && r["status"] != "completed"));
    assert!(late[..n_late].iter().all(|d| *d >= 0) && late[n_late..].iter().all(|d| *d == -1), "{late:?}");
    assert!(late[..n_late].windows(2).all(|w| w[0] >= w[1]), "{late:?}");

    // Filters, each against the CLI.
    // (The CLI lists by due date; the page by tracking code unless asked.)
    let by_code = |list: Vec<serde_json::Value>| {
        codes_of(&list).into_iter().collect::<BTreeSet<_>>().into_iter().collect::<Vec<_>>()
    };
    let completed = get("/campaigns/amazon-2016?status=completed&per=100");
    assert_eq!(row_codes(&completed), by_code(cli_list(env, &["--status", "completed"])));
    assert_eq!(number(&completed, "matched"), cli.iter().filter(|r| r["status"] == "completed").count() as i64);
    assert_eq!(row_codes(&get("/campaigns/amazon-2016?state=co")), by_code(cli_list(env, &["--state", "CO"])));
    let overdue = get("/campaigns/amazon-2016?overdue=1&sort=due&dir=asc");
    assert_eq!(row_codes(&overdue), codes_of(&cli_list(env, &["--overdue"])));
    assert_eq!(number(&overdue, "matched"), n_late as i64);
    let schools: Vec<String> = by_code(cli.iter().filter(|r| r["kind"] == "school_district").cloned().collect());
    assert!(!schools.is_empty());
    assert_eq!(row_codes(&get("/campaigns/amazon-2016?kind=school_district&per=100")), schools);
    let both = get("/campaigns/amazon-2016?status=completed&kind=school_district&per=100");
    let expected: Vec<String> =
        by_code(cli.iter().filter(|r| r["kind"] == "school_district" && r["status"] == "completed").cloned().collect());
    assert_eq!(row_codes(&both), expected);
    assert_eq!(number(&both, "matched"), expected.len() as i64);

    // Pages: page 2 has the next rows, in the same order; past the end is the last page.
    let by_due = codes_of(&cli);
    assert_eq!(row_codes(&get("/campaigns/amazon-2016?sort=due&dir=asc&per=10")), by_due[..10].to_vec());
    let page2 = get("/campaigns/amazon-2016?sort=due&dir=asc&per=10&page=2");
    assert_eq!(row_codes(&page2), by_due[10..20].to_vec());
    assert!(page2.contains("page 2 of 9"), "{page2}");
    // The page links keep the filter and the order.
    assert!(
        page2.contains("href=\"/campaigns/amazon-2016?sort=due&#38;dir=asc&#38;page=3&#38;per=10\" rel=\"next\""),
        "{page2}"
    );
    assert_eq!(row_codes(&get("/campaigns/amazon-2016?sort=due&dir=asc&per=10&page=99")), by_due[80..].to_vec());

    // What cannot be understood is refused in one sentence.
    for (q, says) in [
        ("status=lost", "unknown status 'lost'"),
        ("state=ZZ", "unknown state 'ZZ'"),
        ("kind=castle", "unknown kind 'castle'"),
        ("sort=password", "cannot sort by 'password'"),
        ("dir=sideways", "sort direction 'sideways' is not asc or desc"),
        ("page=0", "page '0' is not a number"),
        ("per=100000", "rows per page '100000' is not a number from 1 to 500"),
    ] {
        let a = server.get(Some(&owner), &format!("/campaigns/amazon-2016?{q}"));
        assert_eq!(a.status, 422, "{q}");
        assert!(unescape(&a.body).contains(says), "{q}: {}", a.body);
    }
    assert_eq!(server.get(Some(&owner), "/campaigns/nope").status, 404);
}

#[test]
fn the_csv_download_streams_every_matching_row_formula_safe() {
    let env = demo_env();
    let cli = cli_list(&env, &[]);
    let open =
        cli.iter().find(|r| r["status"] == "awaiting_ack").unwrap()["tracking_code"].as_str().unwrap().to_string();
    env.ok(&["log", &open, "acknowledged", "--reference", "=HYPERLINK(\"http://evil.example\",\"x\")"]);
    let other = cli.iter().filter(|r| r["status"] == "awaiting_ack").nth(1).unwrap()["tracking_code"]
        .as_str()
        .unwrap()
        .to_string();
    env.ok(&["log", &other, "acknowledged", "--reference", "<script>alert(1)</script>"]);
    let server = Server::start(&env, &[]);
    let owner = server.owner();
    let csv = server.get(Some(&owner), "/campaigns/amazon-2016/requests.csv");
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(csv.header("content-disposition"), Some("attachment; filename=\"amazon-2016-requests.csv\""));
    let mut reader = csv::Reader::from_reader(csv.body.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "tracking_code");
    assert_eq!(&headers[10], "business_days_overdue");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 90);
    let cli = cli_list(&env, &[]);
    assert_eq!(
        rows.iter().map(|r| r[0].to_string()).collect::<Vec<_>>(),
        codes_of(&cli).into_iter().collect::<BTreeSet<_>>().into_iter().collect::<Vec<_>>()
    );
    let find = |code: &str| rows.iter().find(|r| &r[0] == code).unwrap().clone();
    for r in &cli {
        let code = r["tracking_code"].as_str().unwrap();
        let row = find(code);
        assert_eq!(&row[7], r["status"].as_str().unwrap(), "{code}");
        assert_eq!(row[10].to_string(), opt(&r["overdue_days"]), "{code}");
        assert_eq!(row[9].to_string(), opt(&r["due_on"]), "{code}");
    }
    // A cell a spreadsheet would run is neutralised; the HTML page escapes the same values.
    assert_eq!(&find(&open)[14], "'=HYPERLINK(\"http://evil.example\",\"x\")");
    assert_eq!(&find(&other)[14], "<script>alert(1)</script>");
    let page = server.get(Some(&owner), "/campaigns/amazon-2016?per=100");
    assert!(!page.body.contains("<script>alert(1)"), "escaped");
    assert!(page.body.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{}", page.body);
    // The filter and the order apply; the CSV is not cut into pages.
    let overdue =
        server.get(Some(&owner), "/campaigns/amazon-2016/requests.csv?overdue=1&sort=due&dir=asc&page=2&per=5");
    let codes: Vec<String> =
        csv::Reader::from_reader(overdue.body.as_bytes()).records().map(|r| r.unwrap()[0].to_string()).collect();
    assert_eq!(codes, codes_of(&cli_list(&env, &["--overdue"])));
    // A bad filter is refused before anything is sent.
    let bad = server.get(Some(&owner), "/campaigns/amazon-2016/requests.csv?status=lost");
    assert_eq!(bad.status, 422);
}

#[test]
fn viewers_read_but_cannot_act_and_every_post_needs_the_form_token() {
    let env = shared_demo_copy();
    add_user(&env, "vera", "viewer");
    add_user(&env, "sam", "staff");
    let server = Server::start(&env, &[]);
    let vera = server.sign_in("vera", "a long enough secret").expect("viewer signs in");
    for path in [
        "/campaigns",
        "/campaigns/amazon-2016",
        "/campaigns/amazon-2016/requests.csv",
        "/campaigns/amazon-2016/letters",
    ] {
        assert_eq!(server.get(Some(&vera), path).status, 200, "{path}");
    }
    let page = server.get(Some(&vera), "/campaigns/amazon-2016");
    assert!(!page.body.contains("name=\"code\"") && !page.body.contains("/bulk"), "no bulk form for a viewer");
    assert!(!page.body.contains("action=\"/campaigns/amazon-2016/agencies\""));
    assert_eq!(server.get(Some(&vera), "/campaigns/new").status, 403);
    let events_before = sql_count(&env, "SELECT COUNT(*) FROM events");
    let posts: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("/campaigns", vec![("slug", "x-2020"), ("title", "X"), ("records", "All")]),
        ("/campaigns/amazon-2016/agencies", vec![("all", "1")]),
        ("/campaigns/amazon-2016/send", vec![]),
        ("/campaigns/amazon-2016/bulk", vec![("action", "log"), ("event", "note"), ("code", "AMZ16-0001")]),
        ("/campaigns/amazon-2016/bulk", vec![("action", "followup"), ("code", "AMZ16-0001")]),
        ("/campaigns/amazon-2016/settle", vec![("code", "AMZ16-0001"), ("outcome", "sent")]),
        ("/followups/send", vec![("code", "AMZ16-0001")]),
    ];
    for (path, fields) in &posts {
        let a = server.post(&vera, path, fields);
        assert_eq!(a.status, 403, "{path}: {}", a.body);
        assert!(a.body.contains("Your role does not allow this"), "{path}: {}", a.body);
    }
    // Staff and admins need the session's form token on every post.
    let sam = server.sign_in("sam", "a long enough secret").expect("staff signs in");
    let owner = server.owner();
    for who in [&sam, &owner] {
        for (path, fields) in &posts {
            let a = server.post_raw(Some(who), path, fields);
            assert_eq!(a.status, 403, "{path}");
            assert!(a.body.contains("no valid form token"), "{path}: {}", a.body);
            let mut wrong = vec![("csrf", "0123456789")];
            wrong.extend(fields.iter().copied());
            assert_eq!(server.post_raw(Some(who), path, &wrong).status, 403, "{path}");
        }
    }
    // Nothing changed.
    assert_eq!(sql_count(&env, "SELECT COUNT(*) FROM events"), events_before);
    assert_eq!(sql_count(&env, "SELECT COUNT(*) FROM campaigns"), 1);
    // With the token, staff act.
    let a = server.post(
        &sam,
        "/campaigns/amazon-2016/bulk",
        &[("action", "log"), ("event", "note"), ("note", "checked"), ("code", "AMZ16-0001")],
    );
    let batch = location(&a);
    let done = wait_for_batch(&server, &sam, &batch);
    assert!(done.contains("Finished: 1 done, 0 not done."), "{done}");
    assert_eq!(sql_count(&env, "SELECT COUNT(*) FROM events"), events_before + 1);
    let actor: String = rusqlite::Connection::open(&env.db)
        .unwrap()
        .query_row("SELECT actor FROM event_actors ORDER BY event_id DESC LIMIT 1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(actor, "sam", "the event records who logged it");
}

/// A copy of the shared demo, for a test that writes.
fn shared_demo_copy() -> Env {
    let src = shared_demo();
    let mut env = Env::empty();
    env.today = TODAY.into();
    let conn = rusqlite::Connection::open(&src.db).unwrap();
    conn.execute("VACUUM INTO ?1", [env.db.to_str().unwrap()]).unwrap();
    env
}

#[test]
fn start_a_campaign_add_agencies_and_preview_its_letters() {
    let env = Env::new();
    env.ok(&["agency", "import", example_agencies().to_str().unwrap()]);
    env.ok(&["config", "set", "requester.name", "Jane Doe"]);
    env.ok(&["config", "set", "requester.email", "jane@newsroom.example.org"]);
    let server = Server::start(&env, &[]);
    let owner = server.owner();
    assert!(server.get(Some(&owner), "/campaigns").body.contains("No campaign yet."));
    let form = server.get(Some(&owner), "/campaigns/new");
    assert_eq!(form.status, 200);
    assert!(form.body.contains("<label for=\"slug\">"), "{}", form.body);

    // Refused: the form comes back with what was typed and the reason.
    let bad =
        server.post(&owner, "/campaigns", &[("slug", "Water Bills!"), ("title", "Water <bills>"), ("records", "All")]);
    assert_eq!(bad.status, 422);
    assert!(unescape(&bad.body).contains("'Water Bills!' is not a usable campaign slug"), "{}", bad.body);
    assert!(bad.body.contains("value=\"Water &#60;bills&#62;\""), "{}", bad.body);
    let bad = server.post(
        &owner,
        "/campaigns",
        &[("slug", "water"), ("title", "W"), ("records", "All"), ("fee_limit", "lots")],
    );
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("Fee limit:"), "{}", bad.body);

    let made = server.post(
        &owner,
        "/campaigns",
        &[
            ("slug", "water-2020"),
            ("title", "Water shut-offs 2020"),
            ("records", "Records of every water shut-off in 2020."),
            ("period_start", "2020-01-01"),
            ("period_end", "2020-12-31"),
            ("fee_limit", "25.00"),
            ("followup_every", "7"),
        ],
    );
    assert_eq!(location(&made), "/campaigns/water-2020");
    let empty = server.get(Some(&owner), "/campaigns/water-2020");
    assert_eq!(empty.status, 200);
    assert!(
        empty.body.contains("No request matches.")
            && empty.body.contains("aria-label=\"Requests by status: No requests yet\"")
    );
    let shown = env.json(&["campaign", "show", "water-2020", "--format", "json"]);
    assert_eq!(shown["campaign"]["code_prefix"], "W2020");
    assert_eq!(shown["campaign"]["fee_limit_cents"], 2500);
    assert_eq!(shown["campaign"]["followup_every"], 7);
    assert_eq!(shown["campaign"]["period_end"], "2020-12-31");
    let again = server.post(&owner, "/campaigns", &[("slug", "water-2020"), ("title", "W"), ("records", "All")]);
    assert_eq!(again.status, 422);
    assert!(again.body.contains("exists already"), "{}", again.body);
    assert!(server.get(Some(&owner), "/campaigns").body.contains("href=\"/campaigns/water-2020\""));

    // Agencies by state and kind, and by key; none twice.
    let none = server.post(&owner, "/campaigns/water-2020/agencies", &[]);
    assert_eq!(none.status, 422);
    let added = server.post(
        &owner,
        "/campaigns/water-2020/agencies",
        &[("states", "co, UT"), ("kind", "city"), ("kind", "county")],
    );
    let agencies = env.json(&["agency", "list", "--format", "json"]);
    let expected = agencies
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| (a["state"] == "CO" || a["state"] == "UT") && (a["kind"] == "city" || a["kind"] == "county"))
        .count();
    assert!(expected > 1);
    let to = location(&added);
    assert_eq!(to, format!("/campaigns/water-2020?added={expected}&existed=0"));
    let page = server.get(Some(&owner), &to);
    assert!(page.body.contains(&format!("Added {expected} requests as drafts")), "{}", page.body);
    assert_eq!(number(&page.body, "total"), expected as i64);
    assert!(page.body.contains(&format!("data-status=\"draft\">{expected}</td>")));
    let by_key = server.post(
        &owner,
        "/campaigns/water-2020/agencies",
        &[("agencies", "city-of-austin-tx\ncity-and-county-of-denver-co")],
    );
    assert_eq!(location(&by_key), "/campaigns/water-2020?added=1&existed=1");
    let unknown = server.post(&owner, "/campaigns/water-2020/agencies", &[("agencies", "atlantis")]);
    assert_eq!(unknown.status, 404);
    assert!(unescape(&unknown.body).contains("agency 'atlantis' not found"), "{}", unknown.body);

    // The preview shows the first draft's letter exactly as the CLI renders it.
    let letters = server.get(Some(&owner), "/campaigns/water-2020/letters");
    assert_eq!(letters.status, 200);
    let body_at = letters.body.find("<pre id=\"letter-body\"").expect("a letter");
    let rest = &letters.body[body_at..];
    let shown_body = unescape(&rest[rest.find('>').unwrap() + 1..rest.find("</pre>").unwrap()]);
    let cli_body = env.ok(&["letter", "W2020-0001"]);
    assert_eq!(shown_body.trim_end(), cli_body.trim_end());
    assert!(letters.body.contains("Public records request W2020-0001: Water shut-offs 2020"), "{}", letters.body);
    assert!(
        letters.body.contains("href=\"/campaigns/water-2020/letters?code=W2020-0002&#38;kind=request\" rel=\"next\"")
    );
    let second = server.get(Some(&owner), "/campaigns/water-2020/letters?code=w2020-0002");
    let cli_second = env.ok(&["letter", "W2020-0002"]);
    let rest = &second.body[second.body.find("<pre id=\"letter-body\"").unwrap()..];
    assert_eq!(
        unescape(&rest[rest.find('>').unwrap() + 1..rest.find("</pre>").unwrap()]).trim_end(),
        cli_second.trim_end()
    );
    // A follow-up before the request went out cannot be shown, and says why.
    let early = server.get(Some(&owner), "/campaigns/water-2020/letters?code=W2020-0001&kind=followup");
    assert_eq!(early.status, 200);
    assert!(unescape(&early.body).contains("W2020-0001 has not been sent yet"), "{}", early.body);
    // Another campaign's request is not this campaign's letter.
    env.ok(&["campaign", "new", "other", "--title", "Other", "--records", "All", "--code-prefix", "OTH"]);
    env.ok(&["campaign", "add", "other", "--agency", "city-of-austin-tx"]);
    assert_eq!(server.get(Some(&owner), "/campaigns/water-2020/letters?code=OTH-0001").status, 404);

    // Without mail settings the server says so instead of sending.
    assert!(letters.body.contains("This server has no mail settings"), "{}", letters.body);
    let send = server.post(&owner, "/campaigns/water-2020/send", &[]);
    assert_eq!(send.status, 422);
    assert!(send.body.contains("no mail settings"), "{}", send.body);
    assert_eq!(sql_count(&env, "SELECT COUNT(*) FROM communications"), 0);
}

/// Recipient -> messages the SMTP servers accepted.
fn deliveries(servers: &[&SmtpServer]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for s in servers {
        for m in s.received() {
            *counts.entry(m.rcpt_to[0].clone()).or_default() += 1;
        }
    }
    counts
}

/// Agency emails of the campaign's requests.
fn campaign_emails(env: &Env) -> BTreeSet<String> {
    cli_list(env, &[]).iter().filter_map(|r| r["agency_email"].as_str().map(String::from)).collect()
}

#[test]
fn a_batch_sends_every_letter_once_on_the_server() {
    let env = drafts_env(&["CO", "CA", "IL"]);
    let smtp = SmtpServer::start(Options { delay: Duration::from_millis(20), ..Default::default() });
    let server = start_mail(&env, &smtp);
    let owner = server.owner();
    let letters = server.get(Some(&owner), "/campaigns/amazon-2016/letters");
    assert!(unescape(&letters.body).contains("From: Jane Doe <jane@newsroom.example.org>."), "{}", letters.body);
    assert!(letters.body.contains("Send 9 request letters by email"), "{}", letters.body);
    let emails = campaign_emails(&env);
    assert_eq!(emails.len(), 9);

    let started = server.post(&owner, "/campaigns/amazon-2016/send", &[]);
    let batch = location(&started);
    assert!(batch.starts_with("/batches/"), "{batch}");
    // The progress page refreshes itself while it runs and has a plain link for no script.
    let running = server.get(Some(&owner), &batch);
    assert_eq!(running.status, 200);
    assert!(running.body.contains("data-refresh=\"2\"") || running.body.contains("Finished:"), "{}", running.body);
    // Nobody watches: the batch goes on without the browser.
    let deadline = Instant::now() + Duration::from_secs(60);
    while smtp.received().len() < 9 {
        assert!(Instant::now() < deadline, "only {} sent", smtp.received().len());
        std::thread::sleep(Duration::from_millis(50));
    }
    let done = wait_for_batch(&server, &owner, &batch);
    assert!(done.contains("Finished: 9 sent, 1 not sent."), "{done}");
    assert_eq!(number(&done, "count-done"), 9);
    assert_eq!(number(&done, "count-failed"), 1);
    assert_eq!(number(&done, "count-remaining"), 0);
    assert!(!done.contains("data-refresh"), "a finished batch stops refreshing");
    // The agency without email is named with the reason.
    let by_hand = cli_list(&env, &[]).into_iter().find(|r| r["agency_email"].is_null()).unwrap();
    let code = by_hand["tracking_code"].as_str().unwrap();
    assert!(done.contains(&format!("id=\"item-{code}\"")), "{done}");
    assert!(done.contains("the agency has no email address"), "{done}");

    let counts = deliveries(&[&smtp]);
    assert_eq!(counts.keys().cloned().collect::<BTreeSet<_>>(), emails, "every agency with email");
    assert!(counts.values().all(|n| *n == 1), "once each: {counts:?}");
    for m in smtp.received() {
        assert!(m.subject().starts_with("Public records request AMZ16-"), "{}", m.subject());
    }
    // Each letter is in its request's timeline: the outbound message and the `sent` event.
    for r in cli_list(&env, &[]) {
        let code = r["tracking_code"].as_str().unwrap();
        let detail = env.json(&["request", "show", code, "--format", "json"]);
        if r["agency_email"].is_null() {
            assert_eq!(detail["status"], "draft");
            continue;
        }
        assert_eq!(detail["status"], "awaiting_ack", "{code}");
        let sent: Vec<_> = detail["events"].as_array().unwrap().iter().filter(|e| e["kind"] == "sent").collect();
        assert_eq!(sent.len(), 1, "{code}");
        assert!(sent[0]["note"].as_str().unwrap().starts_with(&format!("emailed to {}", opt(&r["agency_email"]))));
        assert_eq!(sent[0]["actor"], "owner");
        let out: Vec<_> =
            detail["correspondence"].as_array().unwrap().iter().filter(|c| c["direction"] == "outbound").collect();
        assert_eq!(out.len(), 1, "{code}");
        assert_eq!(out[0]["state"], "sent");
    }
    // The campaign page links the batch; sending again has nothing to send.
    let page = server.get(Some(&owner), "/campaigns/amazon-2016");
    assert!(page.body.contains(&format!("href=\"{batch}\"")), "{}", page.body);
    assert!(page.body.contains("Request letters by email</a> by owner: finished: 9 done, 1 not done"), "{}", page.body);
    let again = server.post(&owner, "/campaigns/amazon-2016/send", &[]);
    assert_eq!(again.status, 422);
    assert!(
        again.body.contains("No draft request of amazon-2016 is waiting to be sent by email (1 go by mail or portal)."),
        "{}",
        again.body
    );
    assert_eq!(deliveries(&[&smtp]).values().sum::<usize>(), 9);
}

#[test]
fn a_killed_server_leaves_a_message_sending_and_it_is_never_sent_twice() {
    let env = drafts_env(&["CO", "CA"]);
    let slow = SmtpServer::start(Options { delay: Duration::from_millis(1500), ..Default::default() });
    let server = start_mail(&env, &slow);
    let owner = server.owner();
    let batch = location(&server.post(&owner, "/campaigns/amazon-2016/send", &[]));
    // Kill the server while a message is with the mail server.
    let conn = rusqlite::Connection::open(&env.db).unwrap();
    let stuck_sql =
        "SELECT r.tracking_code FROM communications c JOIN requests r ON r.id = c.request_id WHERE c.state = 'sending'";
    let deadline = Instant::now() + Duration::from_secs(30);
    let stuck: String = loop {
        if let Ok(code) = conn.query_row(stuck_sql, [], |r| r.get(0)) {
            break code;
        }
        assert!(Instant::now() < deadline, "nothing was being sent");
        std::thread::sleep(Duration::from_millis(10));
    };
    std::thread::sleep(Duration::from_millis(300));
    drop(server);
    let _ = batch;
    // Like a real one, the mail server may still deliver what it was holding.
    std::thread::sleep(Duration::from_millis(2000));
    let still: String = conn.query_row(stuck_sql, [], |r| r.get(0)).expect("left 'sending'");
    assert_eq!(still, stuck);

    // A new server and a new batch: the message left 'sending' is reported, not sent again.
    let fast = SmtpServer::start(Options::default());
    let server = start_mail(&env, &fast);
    let owner = server.owner();
    let page = server.get(Some(&owner), "/campaigns/amazon-2016");
    assert!(page.body.contains("Messages left “sending” (1)"), "{}", page.body);
    let batch = location(&server.post(&owner, "/campaigns/amazon-2016/send", &[]));
    let done = wait_for_batch(&server, &owner, &batch);
    assert!(done.contains(&format!("id=\"unsettled-{stuck}\"")), "{done}");
    assert!(done.contains(&format!("id=\"item-{stuck}\"")), "{done}");
    assert!(unescape(&done).contains("is still marked 'sending'"), "{done}");
    let stuck_email =
        cli_list(&env, &[]).into_iter().find(|r| r["tracking_code"] == stuck.as_str()).unwrap()["agency_email"]
            .as_str()
            .unwrap()
            .to_string();
    let counts = deliveries(&[&slow, &fast]);
    assert!(counts.get(&stuck_email).copied().unwrap_or(0) <= 1, "{counts:?}");
    assert_eq!(fast.received().iter().filter(|m| m.rcpt_to[0] == stuck_email).count(), 0, "not sent again");
    assert!(counts.values().all(|n| *n == 1), "none twice: {counts:?}");

    // Settled from what the mail server knows; then it goes (or not) exactly once.
    let delivered: BTreeSet<String> = slow.received().iter().map(|m| m.message_id()).collect();
    let message_id: String =
        conn.query_row("SELECT message_id FROM communications WHERE state = 'sending'", [], |r| r.get(0)).unwrap();
    let outcome = if delivered.contains(&message_id) { "sent" } else { "not-sent" };
    let settled = server.post(&owner, "/campaigns/amazon-2016/settle", &[("code", &stuck), ("outcome", outcome)]);
    assert_eq!(location(&settled), format!("/campaigns/amazon-2016?settled={stuck}&as={outcome}"));
    if outcome == "not-sent" {
        let batch = location(&server.post(&owner, "/campaigns/amazon-2016/send", &[]));
        let done = wait_for_batch(&server, &owner, &batch);
        assert!(done.contains("Finished: 1 sent, 0 not sent."), "{done}");
    }
    let counts = deliveries(&[&slow, &fast]);
    assert_eq!(counts.keys().cloned().collect::<BTreeSet<_>>(), campaign_emails(&env), "none forgotten");
    assert!(counts.values().all(|n| *n == 1), "none twice: {counts:?}");
    assert_eq!(sql_count(&env, "SELECT COUNT(*) FROM communications WHERE state = 'sending'"), 0);
    assert_eq!(
        sql_count(&env, "SELECT COUNT(*) FROM requests WHERE status = 'awaiting_ack'"),
        campaign_emails(&env).len() as i64
    );
}

#[test]
fn an_event_logged_on_many_requests_says_what_landed_and_what_was_refused() {
    let env = shared_demo_copy();
    let cli = cli_list(&env, &[]);
    let waiting: Vec<String> =
        codes_of(&cli.iter().filter(|r| r["status"] == "awaiting_ack").take(2).cloned().collect::<Vec<_>>());
    let closed = codes_of(&cli.iter().filter(|r| r["status"] == "completed").take(1).cloned().collect::<Vec<_>>());
    let server = Server::start(&env, &[]);
    let owner = server.owner();
    let mut fields: Vec<(&str, &str)> = vec![
        ("action", "log"),
        ("event", "acknowledged"),
        ("on", "2026-05-29"),
        ("reference", "REF-77"),
        ("via", "email"),
    ];
    for c in waiting.iter().chain(&closed) {
        fields.push(("code", c.as_str()));
    }
    fields.push(("code", "NOPE-0001"));
    let batch = location(&server.post(&owner, "/campaigns/amazon-2016/bulk", &fields));
    let done = wait_for_batch(&server, &owner, &batch);
    assert!(unescape(&done).contains("Log 'acknowledged' on 2026-05-29"), "{done}");
    assert!(done.contains("Finished: 2 done, 2 not done."), "{done}");
    for c in &waiting {
        let at = done.find(&format!("id=\"item-{c}\"")).expect("listed");
        let line = text(&done[at..at + done[at..].find("</tr>").unwrap()]);
        assert!(line.ends_with("acknowledged logged: awaiting_ack → awaiting_response"), "{line}");
        let detail = env.json(&["request", "show", c, "--format", "json"]);
        assert_eq!(detail["status"], "awaiting_response", "{c}");
        assert_eq!(detail["agency_reference"], "REF-77");
    }
    let refused_at = done.find(&format!("id=\"item-{}\"", closed[0])).expect("the closed one is listed");
    let refused = text(&done[refused_at..refused_at + done[refused_at..].find("</tr>").unwrap()]);
    assert!(refused.contains("cannot log on") && refused.contains("completed"), "{refused}");
    assert!(done.contains("id=\"item-NOPE-0001\""), "{done}");
    assert!(done.contains("not a request of this campaign"), "{done}");
    assert_eq!(env.json(&["request", "show", &closed[0], "--format", "json"])["status"], "completed");

    // "All matching the filter": every overdue request gets the note.
    let overdue = codes_of(&cli_list(&env, &["--overdue"]));
    let notes_before = sql_count(&env, "SELECT COUNT(*) FROM events WHERE kind = 'note'");
    let batch = location(&server.post(
        &owner,
        "/campaigns/amazon-2016/bulk",
        &[("action", "log"), ("event", "note"), ("note", "called them"), ("all_matching", "1"), ("overdue", "1")],
    ));
    let done = wait_for_batch(&server, &owner, &batch);
    assert!(done.contains(&format!("Finished: {} done, 0 not done.", overdue.len())), "{done}");
    assert_eq!(sql_count(&env, "SELECT COUNT(*) FROM events WHERE kind = 'note'"), notes_before + overdue.len() as i64);
    // What cannot be logged is refused before anything starts.
    let bad = server.post(
        &owner,
        "/campaigns/amazon-2016/bulk",
        &[("action", "log"), ("event", "teleported"), ("code", "AMZ16-0001")],
    );
    assert_eq!(bad.status, 422);
    assert!(unescape(&bad.body).contains("unknown eventkind 'teleported'"), "{}", bad.body);
    let none = server.post(&owner, "/campaigns/amazon-2016/bulk", &[("action", "log"), ("event", "note")]);
    assert_eq!(none.status, 422);
    assert!(none.body.contains("Tick at least one request"), "{}", none.body);
}

#[test]
fn follow_ups_for_the_ticked_rows_go_through_a_batch() {
    let env = shared_demo_copy();
    let cli = cli_list(&env, &[]);
    let chase: Vec<serde_json::Value> =
        cli.iter().filter(|r| r["overdue_days"].is_i64() && r["agency_email"].is_string()).take(2).cloned().collect();
    assert_eq!(chase.len(), 2);
    let closed = cli.iter().find(|r| r["status"] == "completed").unwrap();
    let smtp = SmtpServer::start(Options::default());
    let server = start_mail(&env, &smtp);
    let owner = server.owner();
    let mut fields = vec![("action", "followup")];
    for r in chase.iter().chain([closed]) {
        fields.push(("code", r["tracking_code"].as_str().unwrap()));
    }
    let batch = location(&server.post(&owner, "/campaigns/amazon-2016/bulk", &fields));
    let done = wait_for_batch(&server, &owner, &batch);
    assert!(done.contains("Follow-up letters by email"), "{done}");
    assert!(done.contains("Finished: 2 sent, 1 not sent."), "{done}");
    assert!(unescape(&done).contains("a followup letter cannot go out while the request is completed"), "{done}");
    let got = smtp.received();
    assert_eq!(got.len(), 2);
    for r in &chase {
        let code = r["tracking_code"].as_str().unwrap();
        let followups = r["followups"].as_i64().unwrap();
        let m = got.iter().find(|m| m.rcpt_to[0] == r["agency_email"].as_str().unwrap()).expect("sent");
        assert_eq!(
            m.subject(),
            format!("Follow-up {} on public records request {code}: Amazon purchases 2016", followups + 1)
        );
        let detail = env.json(&["request", "show", code, "--format", "json"]);
        assert_eq!(detail["followups"].as_i64().unwrap(), followups + 1, "{code}");
    }
    // The same follow-ups again the same day: refused by the database, nothing sent twice.
    let batch = location(&server.post(&owner, "/campaigns/amazon-2016/bulk", &fields));
    let done = wait_for_batch(&server, &owner, &batch);
    assert!(done.contains("Finished: 0 sent, 3 not sent."), "{done}");
    assert_eq!(smtp.received().len(), 2);
}

/// The request codes listed in one section of the home page, in order.
fn section_codes(html: &str, id: &str) -> Vec<String> {
    let Some(start) = html.find(&format!("<h2 id=\"{id}\">")) else { return Vec::new() };
    let section = &html[start..start + html[start..].find("</section>").unwrap()];
    section
        .match_indices("<a href=\"/requests/")
        .map(|(i, _)| {
            let rest = &section[i + 19..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        // Only the links to a request itself (a follow-up line also links to its letter).
        .filter(|code| !code.contains('/'))
        .collect()
}

#[test]
fn the_home_page_reads_bounded_lists_that_match_the_digest() {
    let env = shared_demo();
    let server = Server::start(env, &[]);
    let owner = server.owner();
    let home = server.get(Some(&owner), "/");
    assert_eq!(home.status, 200);
    let due = env.json(&["due", "--format", "json"]);
    let codes = |list: &serde_json::Value| codes_of(list.as_array().unwrap());
    assert_eq!(section_codes(&home.body, "overdue"), codes(&due["overdue"]));
    assert!(!section_codes(&home.body, "overdue").is_empty());
    for r in due["overdue"].as_array().unwrap() {
        let line = format!("{} business days overdue", r["overdue_days"]);
        assert!(home.body.contains(&line), "{line}");
    }
    assert_eq!(section_codes(&home.body, "followups"), codes(&due["followups_due"]));
    assert_eq!(section_codes(&home.body, "waiting"), codes(&due["waiting_on_us"]));
    // Why each waits, from the replay of its events: as the CLI's digest says.
    let w = &due["waiting_on_us"][0];
    let since: chrono::NaiveDate = w["since"].as_str().unwrap().parse().unwrap();
    let days = (chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap() - since).num_days();
    let fee = format!("${}.{:02}", w["fee_cents"].as_i64().unwrap() / 100, w["fee_cents"].as_i64().unwrap() % 100);
    assert_eq!(w["reason"], format!("fee of {fee} requested").as_str());
    let line = format!("clock stopped {days} days: fee of {fee} requested ({fee})");
    assert!(home.body.contains(&line), "{line}: {}", home.body);
    let soon: Vec<String> = due["due_soon"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["days_left"].as_i64().is_some_and(|n| n <= 3))
        .map(|l| l["tracking_code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(section_codes(&home.body, "due-soon"), soon);
}

#[test]
fn send_all_on_the_home_page_sends_each_follow_up_due_once() {
    let env = shared_demo_copy();
    let due = codes_of(env.json(&["due", "--format", "json"])["followups_due"].as_array().unwrap());
    assert!(!due.is_empty());
    let smtp = SmtpServer::start(Options::default());
    let server = start_mail(&env, &smtp);
    let owner = server.owner();
    let home = server.get(Some(&owner), "/");
    // The form carries the listed follow-ups, and each line links to its letter's preview.
    let form =
        &home.body[home.body.find("<form method=\"post\" action=\"/followups/send\"").expect("a send-all form")..];
    let form = &form[..form.find("</form>").unwrap()];
    let posted: Vec<String> = form
        .match_indices("name=\"code\" value=\"")
        .map(|(i, m)| {
            let rest = &form[i + m.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect();
    assert_eq!(posted, due);
    assert!(form.contains(&format!("Send all {} follow-up", due.len())), "{form}");
    for code in &due {
        assert!(
            home.body.contains(&format!("<a href=\"/requests/{code}/letter?kind=followup\">preview the follow-up</a>"))
        );
        assert_eq!(server.get(Some(&owner), &format!("/requests/{code}/letter?kind=followup")).status, 200);
    }
    let mut fields = vec![];
    for code in &due {
        fields.push(("code", code.as_str()));
    }
    let batch = location(&server.post(&owner, "/followups/send", &fields));
    let done = wait_for_batch(&server, &owner, &batch);
    assert!(done.contains("Follow-up letters due"), "{done}");
    // Requests whose agency has no email address are named with the reason, not sent.
    let list = cli_list(&env, &[]);
    let email = |code: &str| {
        list.iter().find(|r| r["tracking_code"] == code).unwrap()["agency_email"].as_str().map(String::from)
    };
    let (mailed, by_hand): (Vec<&String>, Vec<&String>) = due.iter().partition(|c| email(c).is_some());
    assert_eq!(by_hand.len(), 1, "the demo has one follow-up due to an agency without email");
    assert!(done.contains(&format!("Finished: {} sent, 1 not sent.", mailed.len())), "{done}");
    assert!(done.contains("has no email address to send to"), "{done}");
    assert!(done.contains("<a href=\"/\">← Needs action</a>"), "{done}");
    let got = smtp.received();
    assert_eq!(got.len(), mailed.len());
    for code in &mailed {
        let m: Vec<_> = got.iter().filter(|m| m.subject().contains(code.as_str())).collect();
        assert_eq!(m.len(), 1, "{code}");
        assert_eq!(m[0].rcpt_to, vec![email(code).unwrap()]);
    }
    // A second click the same day sends nothing, and says why for each.
    let batch = location(&server.post(&owner, "/followups/send", &fields));
    let done = wait_for_batch(&server, &owner, &batch);
    assert!(done.contains(&format!("Finished: 0 sent, {} not sent.", due.len())), "{done}");
    assert_eq!(smtp.received().len(), mailed.len());
    // Nothing to send is one sentence.
    let a = server.post(&owner, "/followups/send", &[]);
    assert_eq!(a.status, 422);
    assert!(a.body.contains("No follow-ups are due: nothing to send."), "{}", a.body);
}
