//! Agencies, laws, reports and settings in the web workspace, over real HTTP: what each role may
//! do, form tokens, error pages, escaping, downloads, and the report's figures.

use crate::util::{Env, example_agencies};
use crate::web_util::{Answer, Client, Server};

const PASSWORD: &str = "correct horse battery";

/// An agency name with markup, a terminal escape and a bidirectional override.
const HOSTILE: &str = "<script>alert(1)</script>\u{1b}[31m Town \u{202e}gnp.exe";

fn add_user(env: &Env, name: &str, role: &str) {
    let out =
        env.cmd().args(["user", "add", name, "--role", role]).write_stdin(format!("{PASSWORD}\n")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A database with the example agencies, one hostile one, a campaign, and a viewer and a staff
/// member beside the owner (an admin).
fn team() -> Env {
    let env = Env::new();
    env.ok(&["agency", "import", example_agencies().to_str().unwrap()]);
    env.write("hostile.csv", "key,name,state,kind,email\nevil,Placeholder,CO,city,records@evil.example.org\n");
    env.ok(&["agency", "import", env.path("hostile.csv").to_str().unwrap()]);
    // Hostile text goes straight into the database: the pages must be safe whatever importers let in.
    let conn = rusqlite::Connection::open(&env.db).unwrap();
    conn.execute("UPDATE agencies SET name = ?1, notes = ?2 WHERE key = 'evil'", [HOSTILE, "<b>bold</b> & \u{7}"])
        .unwrap();
    drop(conn);
    env.ok(&["campaign", "new", "c", "--title", "Test campaign", "--records", "Everything", "--code-prefix", "T"]);
    env.ok(&["campaign", "add", "c", "--agency", "evil"]);
    env.ok(&["log", "T-0001", "sent", "--on", "2026-02-02"]);
    add_user(&env, "vera", "viewer");
    add_user(&env, "sam", "staff");
    env
}

struct Team {
    server: Server,
    admin: Client,
    staff: Client,
    viewer: Client,
}

fn sign_in_all(env: &Env) -> Team {
    let server = Server::start(env, &[]);
    let admin = server.owner();
    let staff = server.sign_in("sam", PASSWORD).expect("staff signs in");
    let viewer = server.sign_in("vera", PASSWORD).expect("viewer signs in");
    Team { server, admin, staff, viewer }
}

fn ok(a: &Answer) -> &str {
    assert_eq!(a.status, 200, "{}", a.body);
    &a.body
}

fn refused(a: &Answer, what: &str) {
    assert_eq!(a.status, 403, "{what}: {}", a.body);
    assert!(a.body.contains("Your role does not allow this"), "{what}: {}", a.body);
}

fn no_token(a: &Answer) {
    assert_eq!(a.status, 403, "{}", a.body);
    assert!(a.body.contains("no valid form token"), "{}", a.body);
}

fn redirected(a: &Answer) -> String {
    assert_eq!(a.status, 303, "{}", a.body);
    a.header("location").unwrap().to_string()
}

#[test]
fn agencies_search_page_and_edit_by_role() {
    let env = team();
    let t = team_server(&env);
    let s = &t.server;
    // Everyone reads: the list, a search, an agency's page.
    let list = s.get(Some(&t.viewer), "/agencies");
    assert!(ok(&list).contains("Denver Public Schools") && list.body.contains("aria-current=\"page\""));
    let found = s.get(Some(&t.viewer), "/agencies?q=denver&state=co");
    assert!(ok(&found).contains("Denver Public Schools"));
    assert!(!found.body.contains("City of Austin"), "the search narrows the list");
    // Each agency listed with its requests and the open ones.
    let row_of = |body: &str, key: &str| -> String {
        body.split("<tr>").find(|r| r.contains(&format!("href=\"/agencies/{key}\""))).unwrap().to_string()
    };
    let counts = |open: u32| format!("<td class=\"num\">1</td><td class=\"num\">{open}</td></tr>");
    assert!(row_of(&list.body, "evil").contains(&counts(1)), "{}", row_of(&list.body, "evil"));
    let none = "<td class=\"num\">0</td><td class=\"num\">0</td></tr>";
    assert!(row_of(&found.body, "denver-public-schools-co").contains(none));
    env.ok(&["log", "T-0001", "completed", "--on", "2026-02-10"]);
    let list = s.get(Some(&t.viewer), "/agencies");
    assert!(row_of(&list.body, "evil").contains(&counts(0)), "{}", row_of(&list.body, "evil"));
    assert!(ok(&s.get(Some(&t.viewer), "/agencies?kind=county")).contains("Salt Lake County"));
    assert_eq!(s.get(Some(&t.viewer), "/agencies?state=ZZ").status, 422);
    let page = s.get(Some(&t.viewer), "/agencies/denver-public-schools-co");
    for text in ["Contact details", "Records law", "/laws/CO", "3 business days", "Responded", "Fees asked"] {
        assert!(ok(&page).contains(text), "agency page lacks {text}");
    }
    assert!(!page.body.contains("/edit\""), "a viewer is not offered the edit form");
    // Unknown agencies are 404s.
    let missing = s.get(Some(&t.viewer), "/agencies/no-such-agency");
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("agency &#39;no-such-agency&#39; not found"), "{}", missing.body);
    assert_eq!(s.post(&t.staff, "/agencies/no-such-agency/edit", &[("name", "X"), ("state", "CO")]).status, 404);

    // A viewer cannot edit; staff can; a post without the form token is refused.
    let form = [
        ("name", "Denver Public Schools"),
        ("state", "CO"),
        ("kind", "school_district"),
        ("email", "new@dps.example.org"),
    ];
    refused(&s.get(Some(&t.viewer), "/agencies/denver-public-schools-co/edit"), "viewer edit form");
    refused(&s.post(&t.viewer, "/agencies/denver-public-schools-co/edit", &form), "viewer edit");
    no_token(&s.post_raw(Some(&t.staff), "/agencies/denver-public-schools-co/edit", &form));
    let edit_form = s.get(Some(&t.staff), "/agencies/denver-public-schools-co/edit");
    assert!(ok(&edit_form).contains("<label for=\"email\">"));
    let done = s.post(&t.staff, "/agencies/denver-public-schools-co/edit", &form);
    assert_eq!(redirected(&done), "/agencies/denver-public-schools-co?saved=1");
    let shown = env.json(&["agency", "show", "denver-public-schools-co", "--format", "json"]);
    assert_eq!(shown["email"], "new@dps.example.org");
    assert_eq!(shown["phone"], serde_json::Value::Null, "a field left empty is cleared, as the form showed it");
    assert!(ok(&s.get(Some(&t.staff), "/agencies/denver-public-schools-co?saved=1")).contains("Changes saved."));
    // A refused change keeps what was typed and says why, in one sentence.
    let bad = s.post(
        &t.staff,
        "/agencies/denver-public-schools-co/edit",
        &[("name", "Denver Public Schools"), ("state", "CO"), ("email", "not an email"), ("response_days", "5")],
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("email: invalid email address") && bad.body.contains("response_days needs a day_type"));
    assert!(bad.body.contains("value=\"not an email\""), "the form keeps what was typed");
    assert_eq!(
        env.json(&["agency", "show", "denver-public-schools-co", "--format", "json"])["email"],
        "new@dps.example.org"
    );
}

fn team_server(env: &Env) -> Team {
    sign_in_all(env)
}

#[test]
fn a_hostile_agency_name_is_escaped_everywhere() {
    let env = team();
    let t = team_server(&env);
    let s = &t.server;
    for path in ["/agencies", "/agencies/evil", "/agencies/evil/edit", "/laws/CO", "/reports", "/reports?campaign=c"] {
        let a = s.get(Some(&t.admin), path);
        let body = ok(&a);
        assert!(!body.contains("<script>alert"), "{path}: unescaped script");
        assert!(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;") || body.contains("&#60;script&#62;"), "{path}");
        assert!(
            !body.contains('\u{1b}') && !body.contains('\u{202e}') && !body.contains('\u{7}'),
            "{path}: raw controls"
        );
        assert!(body.contains("␛[31m Town"), "{path}: ESC shown as a symbol");
        assert!(!body.contains("<b>bold</b>"), "{path}");
    }
}

#[test]
fn laws_and_holidays_are_read_by_all_and_corrected_by_admins() {
    let env = team();
    let t = team_server(&env);
    let s = &t.server;
    let table = s.get(Some(&t.viewer), "/laws");
    for text in ["<a href=\"/laws/CO\">CO</a>", "3 business days", "/laws/US"] {
        assert!(ok(&table).contains(text), "law table lacks {text}");
    }
    let co = s.get(Some(&t.viewer), "/laws/CO?year=2026");
    for text in [
        "Colorado Open Records Act",
        "Response period",
        "Appeal route",
        "Period binds",
        "Who may request",
        "Silence",
        "Holidays in 2026",
        "2026-07-03",
        "federal",
        "Sources",
        "Calendar sources",
        "Denver Public Schools",
    ] {
        assert!(ok(&co).contains(text), "law page lacks {text}");
    }
    assert!(!co.body.contains("Correct this law"), "a viewer is not offered corrections");
    // Montana's period binds state executive-branch agencies only: a city is listed as not bound.
    let mt = s.get(Some(&t.viewer), "/laws/MT");
    assert!(ok(&mt).contains("state executive-branch agencies only"), "{}", mt.body);
    assert!(mt.body.contains("City of Missoula</a> <span class=\"note\">(the period does not bind it)</span>"));
    let missoula = s.get(Some(&t.viewer), "/agencies/city-of-missoula-mt");
    assert!(ok(&missoula).contains("this agency is not bound by it"), "{}", missoula.body);
    let missing = s.get(Some(&t.viewer), "/laws/ZZ");
    assert_eq!(missing.status, 404, "{}", missing.body);
    assert_eq!(s.get(Some(&t.viewer), "/laws/CO?year=3000").status, 422);

    // Only admins correct laws and holidays.
    let correction = [("response_days", "5"), ("day_type", "business"), ("note", "HB 26-1")];
    refused(&s.post(&t.viewer, "/laws/CO/correct", &correction), "viewer correction");
    refused(&s.post(&t.staff, "/laws/CO/correct", &correction), "staff correction");
    refused(&s.post(&t.staff, "/laws/CO/reset", &[]), "staff reset");
    refused(&s.post(&t.staff, "/laws/CO/holidays", &[("date", "2026-11-27"), ("name", "Day after")]), "staff holiday");
    no_token(&s.post_raw(Some(&t.admin), "/laws/CO/correct", &correction));
    assert!(ok(&s.get(Some(&t.admin), "/laws/CO")).contains("Correct this law"));
    let done = s.post(&t.admin, "/laws/CO/correct", &correction);
    assert!(redirected(&done).starts_with("/laws/CO?year=2026&done=corrected"));
    let law = env.json(&["law", "show", "CO", "--format", "json"]);
    assert_eq!(law["response_days"], 5);
    assert_eq!(law["override"]["note"], "HB 26-1");
    let page = s.get(Some(&t.viewer), "/laws/CO");
    assert!(
        ok(&page).contains("Corrected on 2026-03-02") && page.body.contains("response days: 3 -&#62; 5"),
        "{}",
        page.body
    );
    // A refused correction says why on the page.
    let bad = s.post(&t.admin, "/laws/CO/correct", &[("response_days", "lots")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("Response days must be a whole number, not &#39;lots&#39;"), "{}", bad.body);
    let nothing = s.post(&t.admin, "/laws/CO/correct", &[]);
    assert_eq!(nothing.status, 422);
    assert!(nothing.body.contains("Nothing to change"));
    assert!(redirected(&s.post(&t.admin, "/laws/CO/reset", &[])).contains("done=reset"));
    assert_eq!(env.json(&["law", "show", "CO", "--format", "json"])["response_days"], 3);
    assert_eq!(s.post(&t.admin, "/laws/CO/reset", &[]).status, 422, "no correction left to reset");
    assert_eq!(s.post(&t.admin, "/laws/ZZ/correct", &correction).status, 404);

    // Holidays: added by a user, shown with that origin; a federal day can be marked not observed.
    let added = s.post(&t.admin, "/laws/CO/holidays", &[("date", "2026-11-27"), ("name", "Day after Thanksgiving")]);
    assert!(redirected(&added).starts_with("/laws/CO?year=2026"));
    let page = s.get(Some(&t.viewer), "/laws/CO?year=2026");
    assert!(ok(&page).contains("<td>Day after Thanksgiving</td><td>added by a user</td>"), "{}", page.body);
    let listed = env.ok(&["holiday", "list", "--state", "CO", "--year", "2026", "--format", "csv"]);
    assert!(listed.contains("2026-11-27,Fri,Day after Thanksgiving,user"), "{listed}");
    assert!(
        redirected(&s.post(&t.admin, "/laws/CO/holidays/remove", &[("date", "2026-11-27")]))
            .contains("holiday-removed")
    );
    let bad = s.post(&t.admin, "/laws/CO/holidays/remove", &[("date", "2026-11-28")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("2026-11-28 is not a holiday in CO"));
}

#[test]
fn settings_and_people_are_changed_by_admins_only() {
    let env = team();
    let t = team_server(&env);
    let s = &t.server;
    let read = s.get(Some(&t.viewer), "/settings");
    assert!(ok(&read).contains("requester.name") && read.body.contains("Only admins change settings."));
    let change = [("requester.name", "Jane Doe"), ("requester.email", "jane@news.example.org")];
    refused(&s.post(&t.viewer, "/settings", &change), "viewer settings");
    refused(&s.post(&t.staff, "/settings", &change), "staff settings");
    no_token(&s.post_raw(Some(&t.admin), "/settings", &change));
    assert_eq!(redirected(&s.post(&t.admin, "/settings", &change)), "/settings?saved=2");
    assert_eq!(env.ok(&["config", "get", "requester.name"]).trim(), "Jane Doe");
    assert!(ok(&s.get(Some(&t.admin), "/settings?saved=2")).contains("value=\"Jane Doe\""));
    // All or nothing, with the reason on the page.
    let bad = s.post(&t.admin, "/settings", &[("requester.name", "Someone"), ("requester.email", "nope")]);
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("is not a valid email address") && bad.body.contains("value=\"nope\""));
    assert_eq!(env.ok(&["config", "get", "requester.name"]).trim(), "Jane Doe");

    // People: everyone sees who may sign in (never a hash); admins add and remove.
    let people = s.get(Some(&t.viewer), "/settings/users");
    assert!(ok(&people).contains("<th scope=\"row\">sam</th><td>staff</td>"));
    assert!(!people.body.contains("argon2") && !people.body.contains("$argon"), "no hashes");
    assert!(!people.body.contains("name=\"password\""), "a viewer is not offered the form");
    let new =
        [("name", "nora"), ("role", "viewer"), ("password", "a long enough one"), ("confirm", "a long enough one")];
    refused(&s.post(&t.viewer, "/settings/users", &new), "viewer adds a user");
    refused(&s.post(&t.staff, "/settings/users", &new), "staff adds a user");
    no_token(&s.post_raw(Some(&t.admin), "/settings/users", &new));
    let mismatch = s.post(
        &t.admin,
        "/settings/users",
        &[("name", "nora"), ("role", "viewer"), ("password", "a long enough one"), ("confirm", "another")],
    );
    assert_eq!(mismatch.status, 422);
    assert!(mismatch.body.contains("The two passwords differ"));
    let short = s.post(
        &t.admin,
        "/settings/users",
        &[("name", "nora"), ("role", "viewer"), ("password", "short"), ("confirm", "short")],
    );
    assert_eq!(short.status, 422);
    assert!(short.body.contains("at least 10 characters") && !short.body.contains("value=\"short\""));
    assert_eq!(redirected(&s.post(&t.admin, "/settings/users", &new)), "/settings/users?done=added");
    let listed = ok(&s.get(Some(&t.admin), "/settings/users")).to_string();
    assert!(listed.contains("<th scope=\"row\">nora</th><td>viewer</td>") && !listed.contains("$argon2"));
    let nora = s.sign_in("nora", "a long enough one").expect("the new user signs in");
    assert!(ok(&s.get(Some(&nora), "/")).contains("nora (viewer)"));
    refused(&s.post(&t.staff, "/settings/users/remove", &[("name", "nora")]), "staff removes a user");
    assert_eq!(
        redirected(&s.post(&t.admin, "/settings/users/remove", &[("name", "nora")])),
        "/settings/users?done=removed"
    );
    assert_eq!(s.get(Some(&nora), "/").status, 303, "a removed user's session ends");
    assert!(!env.ok(&["user", "list"]).contains("nora"));
    assert_eq!(s.post(&t.admin, "/settings/users/remove", &[("name", "nora")]).status, 404);
}

/// A demo database (the full example campaign) for the report tests.
fn demo() -> Env {
    let mut env = Env::empty();
    env.today = "2026-06-01".into();
    env.ok(&["demo"]);
    env
}

fn attachment(a: &Answer, content_type: &str, file: &str) {
    assert_eq!(a.status, 200, "{file}: {}", a.body);
    assert_eq!(a.header("content-type"), Some(content_type), "{file}");
    let cd = a.header("content-disposition").unwrap_or_default();
    assert_eq!(cd, format!("attachment; filename=\"{file}\""));
}

#[test]
fn the_report_page_shows_the_chart_and_the_cli_figures_and_downloads_are_attachments() {
    let env = demo();
    let server = Server::start(&env, &[]);
    let owner = server.owner();
    let cli = env.json(&["report", "responses", "--campaign", "amazon-2016", "--format", "json"]);
    let page = server.get(Some(&owner), "/reports?campaign=amazon-2016");
    let body = ok(&page);
    assert!(body.contains("<svg") && body.contains("<rect"), "the chart is in the page");
    assert!(body.contains("aria-current=\"page\""));
    let (sent, responded) = (cli["sent"].as_i64().unwrap(), cli["responded"].as_i64().unwrap());
    let rate = format!("{:.1}%", cli["response_rate"].as_f64().unwrap() * 100.0);
    let median = cli["median_days_to_first_response"].as_f64().unwrap();
    let median = if median.fract() == 0.0 { format!("{median:.0}") } else { format!("{median:.1}") };
    for figure in [
        format!("<span class=\"value\">{sent}</span> <span class=\"label\">requests sent</span>"),
        format!(
            "<span class=\"value\">{responded} of {sent}</span> <span class=\"label\">agencies responded ({rate})</span>"
        ),
        format!(
            "<span class=\"value\">{median}</span> <span class=\"label\">median business days to first response</span>"
        ),
        format!("<span class=\"value\">{}</span> <span class=\"label\">completed</span>", cli["completed"]),
        "Denver Public Schools".to_string(),
        "$1,560,726.00".to_string(),
    ] {
        assert!(body.contains(&figure), "the report page lacks {figure}");
    }
    // The document at its own URL: a whole page, not an attachment, no script.
    let doc = server.get(Some(&owner), "/reports/findings.html?campaign=amazon-2016");
    assert!(ok(&doc).starts_with("<!DOCTYPE html>") && doc.body.contains("<svg") && !doc.body.contains("<script"));
    assert!(doc.header("content-disposition").is_none());
    attachment(
        &server.get(Some(&owner), "/reports/findings.html?campaign=amazon-2016&download=1"),
        "text/html; charset=utf-8",
        "foiatrack-amazon-2016-findings.html",
    );

    // Downloads: the same bytes as the CLI's, as attachments with their content types.
    let json = server.get(Some(&owner), "/reports/responses.json?campaign=amazon-2016");
    attachment(&json, "application/json", "foiatrack-amazon-2016-responses.json");
    assert_eq!(json.body, env.ok(&["report", "responses", "--campaign", "amazon-2016", "--format", "json"]));
    for (file, ct, cli_args) in [
        ("responses.csv", "text/csv; charset=utf-8", vec!["report", "responses", "--format", "csv"]),
        ("responses.md", "text/markdown; charset=utf-8", vec!["report", "responses", "--format", "md"]),
        ("spending.csv", "text/csv; charset=utf-8", vec!["report", "spending", "--format", "csv"]),
        ("spending.json", "application/json", vec!["report", "spending", "--format", "json"]),
        ("spending.md", "text/markdown; charset=utf-8", vec!["report", "spending", "--format", "md"]),
        ("findings.md", "text/markdown; charset=utf-8", vec!["report", "all", "--format", "md"]),
        ("findings.json", "application/json", vec!["report", "all", "--format", "json"]),
    ] {
        let a = server.get(Some(&owner), &format!("/reports/{file}?campaign=amazon-2016"));
        attachment(&a, ct, &format!("foiatrack-amazon-2016-{file}"));
        let mut args = cli_args.clone();
        args.extend(["--campaign", "amazon-2016"]);
        assert_eq!(a.body, env.ok(&args), "{file} differs from `foiatrack {}`", args.join(" "));
    }
    for (file, ct) in [
        ("requests.csv", "text/csv; charset=utf-8"),
        ("requests.json", "application/json"),
        ("events.csv", "text/csv; charset=utf-8"),
        ("communications.json", "application/json"),
        ("spending.csv", "text/csv; charset=utf-8"),
        ("agencies.csv", "text/csv; charset=utf-8"),
        ("calendar.ics", "text/calendar; charset=utf-8"),
    ] {
        let a = server.get(Some(&owner), &format!("/exports/{file}?campaign=amazon-2016"));
        attachment(&a, ct, &format!("foiatrack-amazon-2016-{file}"));
        let (what, ext) = file.split_once('.').unwrap();
        let mut args = vec!["export", what, "--campaign", "amazon-2016"];
        if ext == "json" {
            args.extend(["--format", "json"]);
        }
        assert_eq!(a.body, env.ok(&args), "{file}");
    }
    let all = server.get(Some(&owner), "/exports/requests.csv");
    attachment(&all, "text/csv; charset=utf-8", "foiatrack-all-requests.csv");
    // Every event names who logged it.
    let events = server.get(Some(&owner), "/exports/events.json?campaign=amazon-2016");
    let events: serde_json::Value = serde_json::from_str(&events.body).unwrap();
    assert!(events.as_array().unwrap().iter().all(|e| e["actor"].as_str().is_some_and(|a| !a.is_empty())), "actor");
    let csv = server.get(Some(&owner), "/exports/events.csv");
    assert!(csv.body.lines().next().unwrap().split(',').any(|c| c == "actor"), "{}", csv.body.lines().next().unwrap());
    // Unknown files and campaigns are 404s; a bad year is refused.
    for path in [
        "/reports/nope.csv",
        "/reports/responses.html",
        "/reports/responses",
        "/exports/calendar.csv",
        "/exports/users.csv",
        "/exports/events.ics",
    ] {
        assert_eq!(server.get(Some(&owner), path).status, 404, "{path}");
    }
    let unknown = server.get(Some(&owner), "/reports?campaign=no-such-campaign");
    assert_eq!(unknown.status, 404);
    assert!(unknown.body.contains("campaign &#39;no-such-campaign&#39; not found"), "{}", unknown.body);
    assert_eq!(server.get(Some(&owner), "/reports/responses.csv?campaign=no-such").status, 404);
    assert_eq!(server.get(Some(&owner), "/reports?year=20x6").status, 422);
    // Reading reports needs a session.
    assert_eq!(server.get(None, "/reports/responses.csv").status, 303);
}
