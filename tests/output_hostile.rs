//! Hostile text in every output: markup, formula cells, line breaks and terminal escapes from
//! agency names, notes, subjects and file names; every `--format` honoured or refused; `--out`
//! files written whole or not at all.
//!
//! Hostile values are written straight into the database, so these tests hold whatever the
//! importers let in: output must be safe on its own.

use crate::util::{Env, code_of};

/// Two agencies ("hostile" in CO, "plain" in VT) in campaign `c`, both requests sent on
/// 2026-02-02 and overdue on the test's day (2026-03-02).
fn campaign() -> Env {
    let env = Env::new();
    env.write(
        "a.csv",
        "key,name,state,kind,population,email\n\
         hostile,Placeholder,CO,city,1000,records@hostile.example.org\n\
         plain,Plain Town,VT,city,500,clerk@plain.example.org\n",
    );
    env.ok(&["agency", "import", env.path("a.csv").to_str().unwrap()]);
    env.ok(&["campaign", "new", "c", "--title", "Test", "--records", "Records", "--code-prefix", "T"]);
    env.ok(&["campaign", "add", "c", "--all"]);
    for key in ["hostile", "plain"] {
        env.ok(&["log", &code_of(&env, key), "sent", "--on", "2026-02-02"]);
    }
    env
}

fn sql(env: &Env, statement: &str, params: &[&str]) {
    let conn = rusqlite::Connection::open(&env.db).unwrap();
    conn.execute(statement, rusqlite::params_from_iter(params)).unwrap();
}

fn rename(env: &Env, key: &str, name: &str) {
    sql(env, "UPDATE agencies SET name = ?1 WHERE key = ?2", &[name, key]);
}

/// Runs a command that must succeed; returns its stdout as bytes-exact text.
fn out(env: &Env, args: &[&str]) -> String {
    env.ok(args)
}

const MARKUP: &str = "<script>alert(1)</script> | *x* _y_ `z` [l](http://e.example) \\ \r\n# h";

#[test]
fn markdown_report_escapes_markup_in_agency_names() {
    let env = campaign();
    rename(&env, "hostile", MARKUP);
    sql(&env, "UPDATE campaigns SET title = ?1", &["# *Big* <b>news</b>"]);
    let md = out(&env, &["report", "responses", "--campaign", "c", "--format", "md"]);
    assert!(md.starts_with("# \\# \\*Big\\* \\<b\\>news\\</b\\>: responses\n"), "{md}");
    let row = md.lines().find(|l| l.starts_with("| T-0001 |")).unwrap();
    assert_eq!(
        row,
        "| T-0001 | \\<script\\>alert(1)\\</script\\> \\| \\*x\\* \\_y\\_ \\`z\\` \\[l\\](http://e.example) \\\\  # h \
         | CO | 2026-02-02 | 19 | 0 | awaiting_ack (overdue) |"
    );
    // Every row of the table still has its 7 cells: no `|` from the name split one.
    let table: Vec<&str> = md.lines().skip_while(|l| !l.starts_with("| tracking code |")).take(4).collect();
    let cells = |l: &str| l.replace("\\\\", "").replace("\\|", "").matches('|').count() - 1;
    assert_eq!(table.iter().map(|l| cells(l)).collect::<Vec<_>>(), [7, 7, 7, 7], "{table:#?}");
}

#[test]
fn html_report_escapes_what_it_is_given() {
    let env = campaign();
    let hostile = code_of(&env, "hostile");
    rename(&env, "hostile", "<script>alert(\"x\")</script> & 'q' <img src=x onerror=alert(1)>");
    sql(&env, "UPDATE campaigns SET title = ?1, records = ?2", &["<b>Title</b>", "<i>records</i>"]);
    env.ok(&["log", &hostile, "completed"]);
    env.ok(&["data", "total", &hostile, "100.00", "--year", "2016"]);
    let path = env.path("report.html");
    env.ok(&["report", "all", "--campaign", "c", "--out", path.to_str().unwrap()]);
    let html = std::fs::read_to_string(&path).unwrap();
    let escaped =
        "&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#39;q&#39; &#60;img src=x onerror=alert(1)&#62;";
    // In the ranking table and as the label of the chart's bar (inline SVG).
    assert!(html.contains(&format!("<td>{escaped}</td>")), "{html}");
    assert!(html.contains(&format!("<text x=\"0\" y=\"17\">{escaped}</text>")), "{html}");
    assert!(html.contains("<title>&#60;b&#62;Title&#60;/b&#62;: findings</title>"), "{html}");
    assert!(html.contains("&#60;i&#62;records&#60;/i&#62;"), "{html}");
    for raw in ["<script", "<img", "<b>", "<i>", "onerror=alert(1)>"] {
        assert!(!html.contains(raw), "raw {raw} in the page");
    }
}

#[test]
fn calendar_escapes_line_breaks_and_controls_in_agency_names() {
    let env = campaign();
    rename(&env, "hostile", "Evil\rTown\nof\r\nBad, CO; back\\slash\x1b[31m\tx");
    let ics = out(&env, &["export", "calendar", "--campaign", "c"]);
    // Every content line ends in CR LF; no CR or LF anywhere else.
    assert!(ics.ends_with("\r\n"));
    for line in ics.split_terminator("\r\n") {
        assert!(!line.contains(['\r', '\n', '\x1b']), "bare line break or ESC in {line:?}");
        assert!(line.len() <= 75, "longer than 75 octets: {line:?}");
    }
    let unfolded = ics.replace("\r\n ", "");
    let summaries: Vec<&str> = unfolded.lines().filter(|l| l.starts_with("SUMMARY:")).collect();
    assert_eq!(
        summaries,
        [
            "SUMMARY:T-0001 due: Evil Town of Bad\\, CO\\; back\\\\slash␛[31m x",
            "SUMMARY:T-0001 follow up: Evil Town of Bad\\, CO\\; back\\\\slash␛[31m x",
            "SUMMARY:T-0002 due: Plain Town",
            "SUMMARY:T-0002 follow up: Plain Town",
        ]
    );
}

#[test]
fn calendar_folds_a_long_agency_name() {
    let env = campaign();
    let long = "Ünïcode Department of Extremely Long Names ".repeat(6);
    rename(&env, "hostile", long.trim());
    let ics = out(&env, &["export", "calendar", "--campaign", "c"]);
    for line in ics.split_terminator("\r\n") {
        assert!(line.len() <= 75, "longer than 75 octets: {line:?}");
    }
    let unfolded = ics.replace("\r\n ", "");
    assert!(unfolded.contains(&format!("SUMMARY:T-0001 due: {}\r\n", long.trim())), "{unfolded}");
}

const ESCAPES: &str = "\x1b[2J\x1b]0;pwned\x07Evil\rTown\x7f\u{9b}1m\u{202e}fdp.exe";
const SHOWN: &str = "␛[2J␛]0;pwned␇Evil␍Town␡<U+009B>1m<U+202E>fdp.exe";

fn assert_no_controls(what: &str, text: &str) {
    let bad: Vec<char> =
        text.chars().filter(|c| (c.is_control() && *c != '\n') || ('\u{202a}'..='\u{202e}').contains(c)).collect();
    assert!(bad.is_empty(), "{what} passes control characters {bad:?} raw:\n{text}");
}

#[test]
fn tables_and_plain_output_show_control_characters_visibly() {
    let env = campaign();
    let code = code_of(&env, "hostile");
    rename(&env, "hostile", ESCAPES);
    sql(&env, "UPDATE agencies SET notes = ?1 WHERE key = 'hostile'", &[&format!("line one\n{ESCAPES}")]);
    for args in [
        vec!["agency", "list"],
        vec!["request", "list"],
        vec!["due"],
        vec!["request", "show", &code],
        vec!["agency", "show", "hostile"],
        vec!["report", "responses", "--campaign", "c"],
        vec!["report", "all", "--campaign", "c", "--format", "table"],
    ] {
        let text = out(&env, &args);
        assert_no_controls(&args.join(" "), &text);
        assert!(text.contains(SHOWN), "{args:?} does not show the name:\n{text}");
    }
    let md = out(&env, &["report", "responses", "--campaign", "c", "--format", "md"]);
    assert_no_controls("report responses --format md", &md);
    assert!(md.contains("| ␛\\[2J␛\\]0;pwned␇Evil Town␡<U+009B>1m<U+202E>fdp.exe |"), "{md}");
    let show = out(&env, &["request", "show", &code]);
    assert!(show.starts_with(&format!("{code} — {SHOWN} (CO)\n")), "{show}");
    let agency = out(&env, &["agency", "show", "hostile"]);
    assert!(agency.contains(&format!("Notes:               line one\n                     {SHOWN}\n")), "{agency}");
    // Errors quote what they were given, shown the same way.
    let err = env.fails(&["agency", "show", "no-such-\x1b[31m"], 1);
    assert_eq!(err, "error: agency 'no-such-␛[31m' not found\n");
}

/// A reply with an attachment, its subject and file name made hostile afterwards.
fn with_reply(env: &Env) -> String {
    let code = code_of(env, "hostile");
    let eml = format!(
        "From: records@hostile.example.org\nTo: jane@newsroom.example.org\nSubject: {code} records\n\
         Date: Mon, 16 Feb 2026 10:00:00 -0500\nMessage-ID: <r1@hostile.example.org>\n\
         Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nSee attached.\n\
         --b\nContent-Type: text/csv\nContent-Disposition: attachment; filename=\"amazon.csv\"\n\n\
         date,vendor,amount\n2016-01-01,Amazon,-12.50\n--b--\n"
    );
    let f = env.write("reply.eml", &eml);
    env.ok(&["mail", "import", f.to_str().unwrap()]);
    sql(env, "UPDATE communications SET subject = ?1 WHERE direction = 'inbound'", &[&format!("{code} {ESCAPES}")]);
    sql(env, "UPDATE attachments SET file_name = ?1", &[&format!("{ESCAPES}.csv")]);
    code
}

#[test]
fn subjects_and_file_names_are_shown_visibly() {
    let env = campaign();
    let code = with_reply(&env);
    let show = out(&env, &["request", "show", &code]);
    assert_no_controls("request show", &show);
    assert!(show.contains(&format!("<- records@hostile.example.org  {code} {SHOWN}  [received]")), "{show}");
    let files = out(&env, &["request", "files", &code]);
    assert_no_controls("request files", &files);
    assert!(files.contains(&format!("{SHOWN}.csv")), "{files}");
    let copy = env.path("copy.csv");
    let said = out(&env, &["request", "file", &code, "1", "--out", copy.to_str().unwrap()]);
    assert_no_controls("request file", &said);
    assert!(said.contains(&format!("sent as \"{SHOWN}.csv\"")), "{said}");
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), "date,vendor,amount\n2016-01-01,Amazon,-12.50");
    // JSON and CSV keep the exact value.
    let json = env.json(&["request", "files", &code, "--format", "json"]);
    assert_eq!(json[0]["file_name"], format!("{ESCAPES}.csv"));
}

#[test]
fn json_and_csv_keep_exact_values() {
    let env = campaign();
    rename(&env, "hostile", ESCAPES);
    let json = out(&env, &["agency", "list", "--format", "json"]);
    assert!(
        json.contains("\"name\": \"\\u001b[2J\\u001b]0;pwned\\u0007Evil\\rTown\x7f\u{9b}1m\u{202e}fdp.exe\""),
        "{json}"
    );
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed[0]["name"], ESCAPES);
    for args in [vec!["agency", "list", "--format", "csv"], vec!["export", "agencies"]] {
        let csv = out(&env, &args);
        let mut rdr = csv::Reader::from_reader(csv.as_bytes());
        let names: Vec<String> = rdr.records().map(|r| r.unwrap()[1].to_string()).collect();
        assert_eq!(names, [ESCAPES, "Plain Town"], "{args:?}");
    }
}

/// What an output is, judged by parsing it.
fn assert_is(format: &str, args: &[&str], text: &str) {
    let json = serde_json::from_str::<serde_json::Value>(text);
    match format {
        "json" => assert!(json.is_ok(), "{args:?} is not JSON:\n{text}"),
        "csv" => {
            assert!(json.is_err(), "{args:?} printed JSON for CSV");
            let mut rdr = csv::Reader::from_reader(text.as_bytes());
            let headers = rdr.headers().unwrap().clone();
            assert!(headers.len() > 1 && headers.iter().all(|h| h == h.to_lowercase()), "{args:?}: {headers:?}");
            assert!(rdr.records().all(|r| r.is_ok_and(|r| r.len() == headers.len())), "{args:?} is not CSV:\n{text}");
        }
        "md" => assert!(text.starts_with("# ") && text.contains("\n|---"), "{args:?} is not Markdown:\n{text}"),
        "html" => assert!(text.starts_with("<!DOCTYPE html>"), "{args:?} is not HTML:\n{text}"),
        "table" => {
            assert!(json.is_err() && !text.starts_with('<') && !text.starts_with("# "), "{args:?}:\n{text}");
            let first = text.lines().next().unwrap_or("");
            let csv_header = first.contains(',') && first.chars().all(|c| c.is_ascii_lowercase() || "_,".contains(c));
            assert!(!csv_header, "{args:?} looks like CSV:\n{text}");
        }
        "txt" => assert!(text.contains("Dear") || text.contains("Records"), "{args:?}:\n{text}"),
        "eml" => assert!(text.starts_with("From: ") && text.contains("\nMessage-ID: <"), "{args:?}:\n{text}"),
        "ics" => assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{args:?}:\n{text}"),
        other => panic!("no check for {other}"),
    }
}

#[test]
fn every_format_a_command_accepts_is_the_format_it_prints() {
    let env = campaign();
    let code = with_reply(&env);
    env.ok(&["config", "set", "requester.email", "jane@newsroom.example.org"]);
    let csv_file = env.path("a.csv");
    let csv_file = csv_file.to_str().unwrap();
    let lists: [&[&str]; 6] = [
        &["agency", "list"],
        &["law", "list"],
        &["law", "show", "CO"],
        &["holiday", "list", "--state", "CO", "--year", "2026"],
        &["request", "list"],
        &["request", "files", &code],
    ];
    let mut runs: Vec<(Vec<&str>, &str)> = Vec::new();
    for args in lists {
        for f in ["table", "json", "csv"] {
            runs.push((args.to_vec(), f));
        }
    }
    let docs: [&[&str]; 4] =
        [&["due"], &["request", "show", &code], &["agency", "show", "hostile"], &["agency", "import", csv_file]];
    for args in docs {
        for f in ["table", "json"] {
            runs.push((args.to_vec(), f));
        }
    }
    for report in ["responses", "spending"] {
        for f in ["table", "md", "csv", "json", "html"] {
            runs.push((vec!["report", report, "--campaign", "c"], f));
        }
    }
    for f in ["table", "md", "json", "html"] {
        runs.push((vec!["report", "all", "--campaign", "c"], f));
    }
    for what in ["requests", "events", "communications", "spending", "agencies"] {
        for f in ["csv", "json"] {
            runs.push((vec!["export", what], f));
        }
    }
    for f in ["txt", "eml"] {
        runs.push((vec!["letter", &code], f));
    }
    for (mut args, f) in runs {
        args.extend(["--format", f]);
        let text = out(&env, &args);
        assert_is(f, &args, &text);
    }
    // The defaults.
    assert_is("csv", &["export", "agencies"], &out(&env, &["export", "agencies"]));
    assert_is("ics", &["export", "calendar"], &out(&env, &["export", "calendar"]));
    assert_is("html", &["report", "all"], &out(&env, &["report", "all"]));
}

const NO_CSV: &str = "error: invalid value 'csv' for '--format <FORMAT>'\n  [possible values: table, json]\n\n\
                      For more information, try '--help'.\n";

#[test]
fn a_record_or_a_digest_refuses_csv_as_a_usage_error() {
    let env = campaign();
    let code = code_of(&env, "hostile");
    let csv_file = env.path("a.csv");
    for args in [
        vec!["due"],
        vec!["request", "show", &code],
        vec!["agency", "show", "hostile"],
        vec!["agency", "import", csv_file.to_str().unwrap()],
    ] {
        let err = env.fails(&[args.as_slice(), &["--format", "csv"]].concat(), 2);
        assert_eq!(err, NO_CSV, "{args:?}");
    }
}

#[test]
fn formats_that_do_not_apply_are_refused_in_one_sentence() {
    let env = campaign();
    let ics = env.path("deadlines.ics");
    for f in ["csv", "json"] {
        let err = env.fails(&["export", "calendar", "--format", f, "--out", ics.to_str().unwrap()], 1);
        assert_eq!(
            err,
            format!(
                "error: `export calendar` writes an iCalendar (.ics) file, not {f}; --format is for the other exports\n"
            )
        );
    }
    assert!(!ics.exists(), "nothing written");
    let err = env.fails(&["report", "all", "--campaign", "c", "--format", "csv"], 1);
    assert_eq!(
        err,
        "error: `report all` is HTML, Markdown, a table or JSON; for CSV use `report responses` or `report spending`\n"
    );
    let err = env.fails(&["export", "requests", "--format", "ics"], 2);
    assert!(
        err.starts_with("error: invalid value 'ics' for '--format <FORMAT>'\n  [possible values: csv, json]\n"),
        "{err}"
    );
}

/// The files in the test's folder, the database's own files aside.
fn files(env: &Env) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("test.db"))
        .collect();
    v.sort();
    v
}

#[test]
fn out_replaces_the_whole_file_and_leaves_no_temporary_file() {
    let env = campaign();
    let path = env.path("agencies.csv");
    std::fs::write(&path, "an older export, longer than the new one\n".repeat(100)).unwrap();
    let out = env.cmd().args(["export", "agencies", "--out", path.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stderr).unwrap(), format!("Wrote {}\n", path.display()));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), env.ok(&["export", "agencies"]));
    for (args, name) in [
        (vec!["report", "all", "--campaign", "c"], "report.html"),
        (vec!["report", "spending", "--campaign", "c", "--format", "csv"], "spending.csv"),
        (vec!["export", "calendar"], "deadlines.ics"),
    ] {
        let path = env.path(name);
        env.ok(&[args.as_slice(), &["--out", path.to_str().unwrap()]].concat());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), env.ok(&args), "{args:?}");
    }
    assert_eq!(files(&env), ["a.csv", "agencies.csv", "deadlines.ics", "report.html", "spending.csv"]);
}

#[test]
fn a_failing_report_leaves_the_previous_file_untouched() {
    let env = campaign();
    let report = env.path("report.md");
    let ics = env.path("deadlines.ics");
    std::fs::write(&report, "the previous report\n").unwrap();
    std::fs::write(&ics, "the previous calendar\n").unwrap();
    let before = files(&env);
    // A due date that is not a date makes the report fail halfway through its work.
    sql(&env, "UPDATE requests SET due_on = '2026-02-3x' WHERE tracking_code = 'T-0001'", &[]);
    let err = env.fails(&["report", "responses", "--campaign", "c", "--format", "md", "--out", "report.md"], 1);
    assert!(err.starts_with("error: a stored due date is not a date"), "{err}");
    let err = env.fails(&["export", "calendar", "--out", "deadlines.ics"], 1);
    assert!(err.starts_with("error: database error"), "{err}");
    assert_eq!(std::fs::read_to_string(&report).unwrap(), "the previous report\n");
    assert_eq!(std::fs::read_to_string(&ics).unwrap(), "the previous calendar\n");
    assert_eq!(files(&env), before, "no temporary file left behind");
    // An --out that is a folder is refused the same way.
    std::fs::create_dir(env.path("folder")).unwrap();
    let err = env.fails(&["export", "agencies", "--out", "folder"], 1);
    assert!(err.starts_with("error: cannot write folder: "), "{err}");
    assert_eq!(std::fs::read_dir(env.path("folder")).unwrap().count(), 0);
}

#[test]
fn letter_out_writes_the_letter_to_a_file() {
    let env = campaign();
    let code = code_of(&env, "hostile");
    let path = env.path("letter.txt");
    std::fs::write(&path, "an old draft").unwrap();
    let out = env.cmd().args(["letter", &code, "--out", "letter.txt"]).output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "", "written, not printed");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), env.ok(&["letter", &code]));
    // A campaign's letters as email, the agency without an address as a letter to post.
    sql(&env, "UPDATE agencies SET email = NULL WHERE key = 'plain'", &[]);
    env.ok(&["config", "set", "requester.email", "jane@newsroom.example.org"]);
    let said = env.ok(&["letter", "--campaign", "c", "--out", "letters", "--format", "eml"]);
    assert_eq!(said, "Wrote 2 request letter(s) to letters (1 as .txt to post: no email address)\n");
    let mut names: Vec<String> = std::fs::read_dir(env.path("letters"))
        .unwrap()
        .map(|e| e.unwrap().path().extension().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["eml", "txt"]);
}

#[test]
fn csv_neutralises_formulas_but_not_plain_numbers() {
    let env = campaign();
    let hostile = code_of(&env, "hostile");
    rename(&env, "hostile", "-inf");
    rename(&env, "plain", "+NaN");
    sql(&env, "UPDATE agencies SET notes = '=1' WHERE key = 'hostile'", &[]);
    sql(&env, "UPDATE agencies SET notes = '-1+1', phone = '+1 802 555 0100' WHERE key = 'plain'", &[]);
    assert_eq!(
        env.ok(&["export", "agencies"]),
        "key,name,state,kind,population,email,portal_url,mailing_address,phone,contact_name,notes,response_days,day_type\n\
         hostile,'-inf,CO,city,1000,records@hostile.example.org,,,,,'=1,,\n\
         plain,'+NaN,VT,city,500,clerk@plain.example.org,,,'+1 802 555 0100,,'-1+1,,\n"
    );
    env.ok(&["log", &hostile, "completed"]);
    env.ok(&["data", "total", &hostile, "-12.50", "--year", "2016", "--note", "@SUM(A1)"]);
    let spending = env.ok(&["export", "spending"]);
    let row = spending.lines().nth(1).unwrap();
    assert_eq!(row, format!("reported_total,{hostile},hostile,'-inf,CO,,2016,-12.50,,,,true,,,,,,'@SUM(A1)"));
    let report = env.ok(&["report", "spending", "--campaign", "c", "--format", "csv"]);
    assert!(
        report.lines().nth(1).unwrap().starts_with(&format!("1,{hostile},hostile,'-inf,CO,city,1000,-12.50,")),
        "{report}"
    );
}
