//! Reports, exports and the demo (issue 6).

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::util::Env;

const TODAY: &str = "2026-06-01";

/// One demo database shared by the read-only tests (the demo is deterministic for a fixed day).
fn demo() -> &'static (tempfile::TempDir, PathBuf, String) {
    static DEMO: OnceLock<(tempfile::TempDir, PathBuf, String)> = OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("demo.db");
        let out = assert_cmd::Command::cargo_bin("foiatrack")
            .unwrap()
            .env_remove("FOIATRACK_DB")
            .env_remove("FOIATRACK_TODAY")
            .args(["demo", "--db", db.to_str().unwrap(), "--today", TODAY])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        (dir, db, stdout)
    })
}

fn on_demo(args: &[&str]) -> String {
    let (_, db, _) = demo();
    let out = assert_cmd::Command::cargo_bin("foiatrack")
        .unwrap()
        .env("FOIATRACK_DB", db)
        .env("FOIATRACK_TODAY", TODAY)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn json(args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&on_demo(args)).unwrap()
}

#[test]
fn demo_prints_both_reports_with_the_published_figures() {
    let (dir, db, stdout) = demo();
    for line in [
        "Denver Public Schools       CO      $1,560,726.00",
        "Portland Public Schools     OR      $629,031.00",
        "City and County of Denver   CO      $548,419.00",
        "Salt Lake County            UT      $515,686.00",
        "City of Austin              TX      $501,724.00",
        "City of Portland            OR      $493,677.00",
        "Montgomery County           MD      $455,011.00",
        "City of Pittsburgh          PA      $289,128.00",
        "Hennepin County             MN      $233,819.00",
        "Los Angeles County          CA      $217,850.00",
    ] {
        assert!(stdout.contains(line), "missing '{line}' in:\n{stdout}");
    }
    assert!(stdout.contains("90  requests sent"), "{stdout}");
    assert!(stdout.contains("60 agencies reported figures"), "{stdout}");
    assert!(dir.path().join("report.html").exists());
    assert!(stdout.contains(&format!("Database: {}", db.display())));
    let emls = std::fs::read_dir(dir.path().join("outbox")).unwrap().count();
    assert!(emls >= 80, "the request letters (and follow-ups) are in the outbox: {emls}");
    // Rutland reported under $3,000; one agency's figure comes from its raw p-card file.
    let s = json(&["report", "spending", "--campaign", "amazon-2016", "--format", "json"]);
    let rows = s["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 60);
    let rutland = rows.iter().find(|r| r["agency_key"] == "city-of-rutland-vt").unwrap();
    assert!(rutland["total_cents"].as_i64().unwrap() < 300_000);
    let boise = rows.iter().find(|r| r["agency_key"] == "city-of-boise-id").unwrap();
    assert_eq!(boise["source"], "transactions");
    assert!(boise["transactions"].as_i64().unwrap() > 100);
}

/// The study's statements, reproduced by the demo and marked published; the rest illustrative.
#[test]
fn demo_reproduces_the_studys_statements() {
    let (_, _, stdout) = demo();
    for text in [
        "Figures marked \"published\" are the ILSR study's (2016-17); every other figure is illustrative",
        " 3      Denver Public Schools   CO      $2.29        $1,560,726.00   682545       published: third, $2.29",
        "Denver Public Schools       CO      $1,560,726.00   $2,762,485.02   +77.0%   published: +77%; amounts illustrative",
        "City and County of Denver   CO      $548,419.00     $817,144.31     +49.0%   published: +49%; amounts illustrative",
        "City of Rutland, VT: $2,847.13 in 2016 (published: less than $3,000; the cents are illustrative).",
        "== Amazon Marketplace share, 2016: agencies that sent transactions (illustrative) ==",
        "through Amazon Marketplace still pays Amazon a cut",
    ] {
        assert!(stdout.contains(text), "missing {text:?} in:\n{stdout}");
    }
    // Every top-10 figure is the study's; the per-capita leaders above Denver are illustrative.
    let top10: Vec<&str> =
        stdout.split("== Top 10 spenders, 2016 ==").nth(1).unwrap().lines().skip(3).take(10).collect();
    assert!(top10.iter().all(|l| l.trim_end().ends_with("published")), "{top10:#?}");
    let per_capita: Vec<&str> = stdout.split("== Per capita, 2016").nth(1).unwrap().lines().skip(3).take(2).collect();
    assert!(per_capita.iter().all(|l| l.trim_end().ends_with("illustrative")), "{per_capita:#?}");
    // Each agency that sent transactions has a Marketplace share.
    let shares = stdout.split("agencies that sent transactions (illustrative) ==").nth(1).unwrap();
    for agency in ["City of Boise", "City of Ann Arbor", "Salt Lake City School District"] {
        let line = shares.lines().find(|l| l.contains(agency)).unwrap_or_else(|| panic!("{agency}: {shares}"));
        assert!(line.trim_end().ends_with('%') && !line.trim_end().ends_with(" 0.0%"), "{line}");
    }

    // The same through the commands.
    let s = json(&["report", "spending", "--campaign", "amazon-2016", "--sort", "per-capita", "--format", "json"]);
    let dps = s["rows"].as_array().unwrap().iter().find(|r| r["agency_key"] == "denver-public-schools-co").unwrap();
    assert_eq!((dps["rank"].as_i64(), dps["per_capita_cents"].as_i64()), (Some(3), Some(229)));
    let s = json(&[
        "report",
        "spending",
        "--campaign",
        "amazon-2016",
        "--year",
        "2017",
        "--compare",
        "2016",
        "--format",
        "json",
    ]);
    let change = |key: &str| {
        let r = s["rows"].as_array().unwrap().iter().find(|r| r["agency_key"] == key).unwrap();
        (r["previous_total_cents"].as_i64().unwrap(), r["change_percent"].as_f64().unwrap())
    };
    assert_eq!(change("denver-public-schools-co"), (156_072_600, 77.0));
    assert_eq!(change("city-and-county-of-denver-co"), (54_841_900, 49.0));
    let c = &s["comparison"];
    assert_eq!(c["only_in_year"].as_array().unwrap().len(), 1);
    assert_eq!(c["only_in_compare_year"].as_array().unwrap().len(), 51);
    let table = on_demo(&["report", "spending", "--campaign", "amazon-2016", "--year", "2017", "--compare", "2016"]);
    assert!(table.contains("+77.0%") && table.contains("+49.0%"), "{table}");
    // Where each figure comes from is stored with it.
    let export = json(&["export", "spending", "--campaign", "amazon-2016", "--format", "json"]);
    let notes: std::collections::BTreeSet<&str> = export
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["record_type"] == "reported_total")
        .map(|r| r["note"].as_str().unwrap())
        .collect();
    assert!(notes.iter().all(|n| n.starts_with("published") || n.contains("illustrative")), "{notes:?}");
    let published = export
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["note"].as_str().is_some_and(|n| n.starts_with("published")))
        .count();
    assert_eq!(published, 10, "the ten published totals");
    // Transactions carry their canonical vendor.
    let txn = export
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["vendor"].as_str().is_some_and(|v| v.starts_with("AMZN Mktp US*")))
        .unwrap();
    assert_eq!(txn["canonical_vendor"], "Amazon Marketplace");
}

#[test]
fn demo_refuses_an_existing_database_unless_forced() {
    let env = Env::empty();
    env.ok(&["demo", "--today", TODAY]);
    let err = env.fails(&["demo", "--today", TODAY], 1);
    assert!(err.contains("exists") && err.contains("--force"), "{err}");
    assert!(env.ok(&["demo", "--today", TODAY, "--force"]).contains("60 agencies reported figures"));
}

#[test]
fn response_report_json_fields_and_consistency() {
    let r = json(&["report", "responses", "--campaign", "amazon-2016", "--format", "json"]);
    for field in [
        "sent",
        "responded",
        "response_rate",
        "completed",
        "partial",
        "rejected",
        "no_records",
        "withdrawn",
        "open",
        "overdue",
        "median_days_to_first_response",
        "median_days_to_completion",
        "by_kind",
        "by_state",
        "non_responders",
    ] {
        assert!(r.get(field).is_some(), "missing {field}");
    }
    let n = |f: &str| r[f].as_i64().unwrap();
    assert_eq!(n("sent"), 90);
    assert_eq!(n("completed"), 60);
    assert_eq!(n("completed") + n("rejected") + n("no_records") + n("withdrawn") + n("open"), n("sent"));
    let rate = r["response_rate"].as_f64().unwrap();
    assert!((rate - n("responded") as f64 / 90.0).abs() < 1e-9);
    assert!(r["response_rate_low"].as_f64().unwrap() < rate && rate < r["response_rate_high"].as_f64().unwrap());
    assert_eq!(r["non_responders"].as_array().unwrap().len() as i64, n("sent") - n("responded"));
    let by_state_sent: i64 = r["by_state"].as_array().unwrap().iter().map(|g| g["sent"].as_i64().unwrap()).sum();
    assert_eq!(by_state_sent, 90);
    let kinds: Vec<&str> = r["by_kind"].as_array().unwrap().iter().map(|g| g["group"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["city", "county", "school_district"]);
    assert!(n("fees_requested") >= 1 && n("fees_total_cents") > 0);
    assert!(n("overdue") >= 1);
}

#[test]
fn the_two_thread_scan_gives_the_same_report_as_one() {
    let (_, db, _) = demo();
    let conn = foiatrack::ops::database::open(db).unwrap();
    let today: chrono::NaiveDate = TODAY.parse().unwrap();
    let one = foiatrack::views::report::responses_split(&conn, Some("amazon-2016"), today, i64::MAX).unwrap();
    let two = foiatrack::views::report::responses_split(&conn, Some("amazon-2016"), today, 0).unwrap();
    assert_eq!(one, two);
    assert_eq!(one.sent, 90);
}

#[test]
fn response_report_table_and_markdown_snapshots() {
    insta::assert_snapshot!("responses_table", on_demo(&["report", "responses", "--campaign", "amazon-2016"]));
    insta::assert_snapshot!(
        "responses_markdown",
        on_demo(&["report", "responses", "--campaign", "amazon-2016", "--format", "md"])
    );
}

#[test]
fn spending_report_table_and_markdown_snapshots() {
    insta::assert_snapshot!("spending_table", on_demo(&["report", "spending", "--campaign", "amazon-2016"]));
    insta::assert_snapshot!(
        "spending_markdown",
        on_demo(&["report", "spending", "--campaign", "amazon-2016", "--format", "md"])
    );
}

#[test]
fn spending_comparison_per_capita_and_vendor_snapshots() {
    insta::assert_snapshot!(
        "spending_compare_table",
        on_demo(&["report", "spending", "--campaign", "amazon-2016", "--year", "2017", "--compare", "2016"])
    );
    insta::assert_snapshot!(
        "spending_per_capita_markdown",
        on_demo(&["report", "spending", "--campaign", "amazon-2016", "--sort", "per-capita", "--format", "md"])
    );
    insta::assert_snapshot!("vendors_table", on_demo(&["report", "vendors", "--campaign", "amazon-2016"]));
}

#[test]
fn report_csv_parses() {
    let csv = on_demo(&["report", "responses", "--campaign", "amazon-2016", "--format", "csv"]);
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    assert_eq!(&headers[0], "scope");
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(&rows[0][0], "all");
    assert_eq!(&rows[0][2], "90");
    assert!(rows.iter().any(|r| &r[0] == "state" && &r[1] == "CO"));

    let csv = on_demo(&["report", "spending", "--campaign", "amazon-2016", "--format", "csv", "--year", "2016"]);
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 60);
    assert_eq!(&rows[0][3], "Denver Public Schools");
    assert_eq!(&rows[0][7], "1560726.00");
    assert_eq!(&rows[0][8], "2.29", "per capita, over the population the study divided by");
}

#[test]
fn exports_parse_and_carry_the_promised_columns() {
    let csv = on_demo(&["export", "requests", "--campaign", "amazon-2016"]);
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let headers: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    for col in [
        "tracking_code",
        "agency_key",
        "agency_name",
        "state",
        "kind",
        "status",
        "sent_on",
        "due_on",
        "first_response_on",
        "closed_on",
        "business_days_outstanding",
        "followups_sent",
        "fee_requested",
        "appealed",
        "agency_reference",
    ] {
        assert!(headers.contains(&col.to_string()), "requests export lacks {col}");
    }
    assert_eq!(rdr.records().count(), 90);
    let requests = json(&["export", "requests", "--format", "json"]);
    assert!(requests.as_array().unwrap().iter().any(|r| r["appealed"] == true));
    let events = json(&["export", "events", "--format", "json"]);
    assert!(events.as_array().unwrap().len() > 200);
    let comms = json(&["export", "communications", "--format", "json"]);
    assert!(comms.as_array().unwrap().iter().any(|c| c["direction"] == "inbound" && c["matched_by"] == "in-reply-to"));
    let spending = json(&["export", "spending", "--format", "json"]);
    let txn: Vec<_> = spending.as_array().unwrap().iter().filter(|r| r["record_type"] == "transaction").collect();
    assert!(txn.iter().all(|t| t["source_sha256"].as_str().is_some_and(|s| s.len() == 64)));
    let refund = txn.iter().find(|t| t["amount"].as_str().unwrap().starts_with('-')).expect("a refund row");
    assert!(refund["source_row"].as_i64().unwrap() > 4, "rows keep their spreadsheet row number");
    // In CSV, a negative amount stays a number.
    let csv = on_demo(&["export", "spending"]);
    assert!(csv.lines().any(|l| l.contains(",-") && !l.contains(",'-")), "negative amounts unquoted");
    let agencies = on_demo(&["export", "agencies", "--campaign", "amazon-2016"]);
    assert_eq!(csv::Reader::from_reader(agencies.as_bytes()).records().count(), 90);
}

#[test]
fn calendar_export_is_deterministic_ical() {
    let (dir, _, _) = demo();
    let path = dir.path().join("deadlines.ics");
    on_demo(&["export", "calendar", "--campaign", "amazon-2016", "--out", path.to_str().unwrap()]);
    let ics = std::fs::read_to_string(&path).unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR"));
    assert!(ics.contains("UID:AMZ16-") && ics.contains("-due@foiatrack"));
    assert!(ics.contains("DTSTAMP:20260601T000000Z"));
    assert_eq!(ics, on_demo(&["export", "calendar", "--campaign", "amazon-2016"]));
    assert!(ics.matches("BEGIN:VEVENT").count() >= 5);
}

/// A small campaign whose agencies have hostile names.
fn hostile_env() -> Env {
    let mut env = Env::new();
    env.today = "2026-03-02".into();
    env.write(
        "a.csv",
        "key,name,state,kind,population,email\n\
         evil-a,<script>alert(1)</script>,CO,city,1000,records@evil.example.org\n\
         evil-b,\"=HYPERLINK(\"\"http://example.com\"\",\"\"x\"\")\",UT,county,2000,records@evil-b.example.org\n\
         plain,Plain Town,VT,city,500,clerk@plain.example.org\n",
    );
    env.ok(&["agency", "import", env.path("a.csv").to_str().unwrap()]);
    env.ok(&[
        "campaign",
        "new",
        "c",
        "--title",
        "Test & <b>campaign</b>",
        "--records",
        "Records <i>all</i>",
        "--code-prefix",
        "T",
    ]);
    env.ok(&["campaign", "add", "c", "--all"]);
    for (code, cents) in [("T-0001", "100.00"), ("T-0002", "-5.00"), ("T-0003", "40.00")] {
        env.ok(&["log", code, "sent", "--on", "2026-02-02"]);
        env.ok(&["log", code, "completed"]);
        env.ok(&["data", "total", code, cents, "--year", "2016"]);
    }
    env
}

#[test]
fn html_escapes_agency_text_and_csv_neutralises_formulas() {
    let env = hostile_env();
    let out = env.path("report.html");
    env.ok(&["report", "all", "--campaign", "c", "--out", out.to_str().unwrap()]);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(!html.contains("<script>alert(1)</script>"), "unescaped script");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") || html.contains("&#60;script&#62;"), "{html}");
    assert!(!html.contains("<b>campaign</b>") && !html.contains("<i>all</i>"));
    assert!(!html.contains("src=\"http") && !html.contains("<link") && !html.contains("<script"), "self-contained");
    let csv = env.ok(&["export", "agencies"]);
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    let spending = env.ok(&["report", "spending", "--campaign", "c", "--format", "csv"]);
    assert!(spending.contains("'=HYPERLINK"), "{spending}");
    assert!(spending.contains(",-5.00,"), "numbers stay numbers: {spending}");
}

/// Finds Debian's chromium. CI (`.ci/run`) installs it and sets FOIATRACK_REQUIRE_BROWSER=1 so
/// a missing browser fails there; on a developer machine without it the test says so and stops.
fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser", "google-chrome"].iter().find_map(|b| {
        std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).map(|p| p.join(b)).find(|p| p.exists()))
    });
    if found.is_none() {
        assert!(
            std::env::var("FOIATRACK_REQUIRE_BROWSER").is_err(),
            "FOIATRACK_REQUIRE_BROWSER is set but no chromium is installed"
        );
        eprintln!("SKIPPED: no chromium on this machine (apt-get install chromium); CI runs this test");
    }
    found
}

#[test]
fn html_report_renders_in_a_real_browser() {
    let Some(browser) = chromium() else { return };
    let (dir, _, _) = demo();
    let html = dir.path().join("report.html");
    let profile = tempfile::tempdir().unwrap();
    let base = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
    ];
    let profile_arg = format!("--user-data-dir={}", profile.path().display());
    let url = format!("file://{}", html.display());
    let dom =
        std::process::Command::new(&browser).args(base).arg(&profile_arg).args(["--dump-dom", &url]).output().unwrap();
    assert!(dom.status.success(), "{}", String::from_utf8_lossy(&dom.stderr));
    let dom = String::from_utf8_lossy(&dom.stdout);
    for figure in [
        "90",
        "requests sent",
        "Denver Public Schools",
        "$1,560,726.00",
        "Largest spenders",
        "<svg",
        "Change from 2016 to 2017",
        "+77.0%",
        "Counted transactions by vendor",
    ] {
        assert!(dom.contains(figure), "rendered DOM lacks {figure}");
    }
    let shot = dir.path().join("report.png");
    let pdf = dir.path().join("report.pdf");
    let out = std::process::Command::new(&browser)
        .args(base)
        .arg(&profile_arg)
        .args(["--window-size=1200,2400", &format!("--screenshot={}", shot.display()), &url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 20_000, "a real picture: {} bytes", png.len());
    let out = std::process::Command::new(&browser)
        .args(base)
        .arg(&profile_arg)
        .args([&format!("--print-to-pdf={}", pdf.display()), "--no-pdf-header-footer", &url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF") && bytes.len() > 10_000, "printable: {} bytes", bytes.len());
}
