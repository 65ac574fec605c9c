//! The core under pressure: several writers at once, narrow recomputes, hostile values, a
//! read-only database, backup and doctor. Each test drives the real binary on a temp database.

use std::process::Command as StdCommand;

use crate::util::{Env, code_of, example_agencies};

fn campaign_env() -> Env {
    let env = Env::new();
    env.ok(&["agency", "import", example_agencies().to_str().unwrap()]);
    env.ok(&["campaign", "new", "amz", "--title", "Amazon", "--records", "All purchases", "--code-prefix", "AMZ"]);
    env.ok(&["campaign", "add", "amz", "--all"]);
    env
}

fn std_cmd(env: &Env, args: &[&str]) -> StdCommand {
    let mut c = StdCommand::new(env!("CARGO_BIN_EXE_foiatrack"));
    c.args(args).env("FOIATRACK_DB", &env.db).env("FOIATRACK_TODAY", &env.today).current_dir(env.dir.path());
    c
}

#[test]
fn four_writers_and_an_import_at_once_lose_nothing_and_fail_nothing() {
    let env = campaign_env();
    let code = code_of(&env, "denver-public-schools-co");
    env.ok(&["log", &code, "sent", "--on", "2026-03-02"]);
    let csv = env.write("pcard.csv", "Date,Vendor,Amount\n2016-01-05,Amazon.com,10.00\n2016-02-05,AMZN Mktp US,2.50\n");
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let db = env.db.clone();
            let dir = env.dir.path().to_path_buf();
            let code = code.clone();
            std::thread::spawn(move || {
                let mut failures = Vec::new();
                for i in 0..100 {
                    let out = StdCommand::new(env!("CARGO_BIN_EXE_foiatrack"))
                        .args(["log", &code, "note", "--note", &format!("writer {w} note {i}")])
                        .env("FOIATRACK_DB", &db)
                        .env("FOIATRACK_TODAY", "2026-03-02")
                        .current_dir(&dir)
                        .output()
                        .unwrap();
                    if !out.status.success() {
                        failures.push(String::from_utf8_lossy(&out.stderr).to_string());
                    }
                }
                failures
            })
        })
        .collect();
    let import = std_cmd(&env, &["data", "import", &code, csv.to_str().unwrap()]).output().unwrap();
    let failures: Vec<String> = writers.into_iter().flat_map(|h| h.join().unwrap()).collect();
    assert!(import.status.success(), "{}", String::from_utf8_lossy(&import.stderr));
    assert!(failures.is_empty(), "{} writes failed, first: {}", failures.len(), failures[0]);
    let detail = env.json(&["request", "show", &code, "--format", "json"]);
    let notes = detail["events"].as_array().unwrap().iter().filter(|e| e["kind"] == "note").count();
    assert_eq!(notes, 400, "every event present");
    let data = env.json(&["data", "show", &code, "--format", "json"]);
    assert_eq!(data["total_cents"], 1250, "{data}");
}

/// Counts the request rows an operation rewrites, with a trigger the test adds to the file.
fn count_rewrites(env: &Env, args: &[&str]) -> i64 {
    let conn = rusqlite::Connection::open(&env.db).unwrap();
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS rewrites (request_id INTEGER);
         DELETE FROM rewrites;
         CREATE TRIGGER IF NOT EXISTS count_rewrites AFTER UPDATE ON requests
         BEGIN INSERT INTO rewrites VALUES (NEW.id); END;",
    )
    .unwrap();
    env.ok(args);
    conn.query_row("SELECT COUNT(*) FROM rewrites", [], |r| r.get(0)).unwrap()
}

#[test]
fn recompute_touches_only_what_a_change_can_move() {
    let env = campaign_env();
    for key in ["denver-public-schools-co", "city-and-county-of-denver-co", "city-of-austin-tx"] {
        env.ok(&["log", &code_of(&env, key), "sent", "--on", "2026-02-02"]);
    }
    assert_eq!(count_rewrites(&env, &["agency", "edit", "denver-public-schools-co", "--phone", "555-0100"]), 0);
    // A holiday in Colorado after both Colorado requests were sent: those two, not Texas.
    assert_eq!(count_rewrites(&env, &["holiday", "add", "CO", "2026-02-04", "Test day"]), 2);
    // A holiday before the sending moves nothing.
    assert_eq!(count_rewrites(&env, &["holiday", "add", "CO", "2026-01-28", "Earlier day"]), 0);
    // A law correction: the requests under that law.
    assert_eq!(count_rewrites(&env, &["law", "set", "TX", "--days", "12", "--day-type", "business"]), 1);
    // An agency's own period: its requests only.
    assert_eq!(
        count_rewrites(
            &env,
            &["agency", "edit", "city-of-austin-tx", "--response-days", "5", "--day-type", "business"]
        ),
        1
    );
    let mismatches = foiatrack::projection::cache_mismatches(&foiatrack::ops::database::open(&env.db).unwrap());
    assert!(mismatches.unwrap().is_empty());
}

#[test]
fn reimporting_fewer_columns_changes_only_those_columns() {
    let env = Env::new();
    env.ok(&["agency", "import", example_agencies().to_str().unwrap()]);
    let before = env.json(&["agency", "show", "denver-public-schools-co", "--format", "json"]);
    assert!(before["email"].is_string() && before["phone"].is_string(), "{before}");
    let few =
        env.write("few.csv", "key,name,state,population\ndenver-public-schools-co,Denver Public Schools,CO,700000\n");
    let dry = env.ok(&["agency", "import", few.to_str().unwrap(), "--dry-run"]);
    let line = format!("denver-public-schools-co: population '{}' -> '700000'", before["population"]);
    assert!(dry.contains(&line), "{dry}");
    assert_eq!(dry.lines().filter(|l| l.starts_with("  ")).count(), 1, "only the population changes: {dry}");
    assert!(dry.contains("0 added, 1 updated"), "{dry}");
    env.ok(&["agency", "import", few.to_str().unwrap()]);
    let after = env.json(&["agency", "show", "denver-public-schools-co", "--format", "json"]);
    assert_eq!(after["population"], 700000);
    for field in ["email", "portal_url", "phone", "contact_name", "mailing_address", "kind"] {
        assert_eq!(after[field], before[field], "{field} must survive");
    }
}

#[test]
fn every_period_and_date_is_bounded_and_nothing_panics() {
    let env = campaign_env();
    let code = code_of(&env, "denver-public-schools-co");
    env.ok(&["log", &code, "sent", "--on", "2026-02-02"]);
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["law", "set", "CO", "--days", "100000000", "--day-type", "calendar"],
            1,
            "--days 100000000 is out of range: give 1 to 365 days",
        ),
        (&["log", &code, "extended", "--days", "4294967295"], 1, "--days 4294967295 is out of range"),
        (&["log", &code, "estimated", "--days", "4000000000"], 1, "--days 4000000000 is out of range"),
        (
            &["campaign", "new", "x", "--title", "x", "--records", "x", "--followup-every", "4294967295"],
            1,
            "--followup-every 4294967295 is out of range",
        ),
        (
            &["agency", "edit", "denver-public-schools-co", "--response-days", "200000000", "--day-type", "business"],
            1,
            "not a whole number of days from 1 to 365 (value: '200000000')",
        ),
        (&["holiday", "list", "--state", "CO", "--year", "262143"], 1, "--year 262143 is out of range"),
        (&["log", &code, "note", "--on", "+10000-01-01"], 2, "'+10000-01-01' is not a date in the form YYYY-MM-DD"),
        (&["log", &code, "note", "--on=-0001-01-01"], 2, "'-0001-01-01' is not a date"),
        (&["data", "total", &code, "5", "--year", "0"], 1, "--year 0 is out of range"),
        (
            &["campaign", "new", "y", "--title", "y", "--records", "y", "--fee-limit=-5"],
            1,
            "--fee-limit cannot be negative",
        ),
    ];
    for (args, code, expected) in cases {
        let err = env.fails(args, *code);
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(!err.contains("CHECK constraint"), "{err}");
    }
    // Colorado requests still show, log and write letters.
    env.ok(&["request", "show", &code]);
    env.ok(&["letter", &code, "--kind", "followup"]);
}

#[test]
fn usage_errors_exit_2_user_errors_1() {
    let env = Env::new();
    env.fails(&["log"], 2);
    let err = env.fails(&["request", "show", "NOPE-1"], 1);
    assert_eq!(err.trim(), "error: request 'NOPE-1' not found");
}

/// Runs foiatrack with the database's folder bind-mounted read-only in a private mount
/// namespace (needs root, which CI has); `None` where that cannot be set up.
fn run_on_read_only_mount(env: &Env, dir: &std::path::Path, args: &[&str]) -> Option<std::process::Output> {
    let bin = env!("CARGO_BIN_EXE_foiatrack");
    let script = format!("mount --bind -o ro '{d}' '{d}' && exec '{bin}' \"$@\"", d = dir.display());
    let out = StdCommand::new("unshare")
        .args(["-m", "sh", "-c", &script, "sh"])
        .args(args)
        .env("FOIATRACK_DB", dir.join("ro.db"))
        .env("FOIATRACK_TODAY", &env.today)
        .output()
        .ok()?;
    let err = String::from_utf8_lossy(&out.stderr);
    if err.contains("unshare failed") || err.contains("mount:") || err.contains("Operation not permitted") {
        return None;
    }
    Some(out)
}

#[test]
fn a_read_only_database_can_be_read_and_refuses_writes_in_one_sentence() {
    let env = campaign_env();
    let code = code_of(&env, "denver-public-schools-co");
    env.ok(&["log", &code, "sent", "--on", "2026-02-02"]);
    let ro = env.path("ro");
    std::fs::create_dir(&ro).unwrap();
    env.ok(&["backup", ro.join("ro.db").to_str().unwrap()]);
    let Some(out) = run_on_read_only_mount(&env, &ro, &["request", "show", &code]) else {
        assert!(std::env::var("CI").is_err(), "CI runs as root and must be able to mount read-only");
        eprintln!("skipped: cannot bind-mount read-only here (not root)");
        return;
    };
    assert!(out.status.success(), "reading works: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&code));
    let out = run_on_read_only_mount(&env, &ro, &["log", &code, "note", "--note", "x"]).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "error: the database is read-only: this command changes data (reading commands still work)"
    );
}

#[test]
fn backup_while_writing_is_consistent_and_doctor_finds_and_fixes() {
    let env = campaign_env();
    let code = code_of(&env, "denver-public-schools-co");
    env.ok(&["log", &code, "sent", "--on", "2026-02-02"]);
    let writer = {
        let db = env.db.clone();
        let dir = env.dir.path().to_path_buf();
        let code = code.clone();
        std::thread::spawn(move || {
            for i in 0..30 {
                let ok = StdCommand::new(env!("CARGO_BIN_EXE_foiatrack"))
                    .args(["log", &code, "note", "--note", &format!("n{i}")])
                    .env("FOIATRACK_DB", &db)
                    .env("FOIATRACK_TODAY", "2026-03-02")
                    .current_dir(&dir)
                    .output()
                    .unwrap()
                    .status
                    .success();
                assert!(ok);
            }
        })
    };
    let copy = env.path("copy.db");
    env.ok(&["backup", copy.to_str().unwrap()]);
    writer.join().unwrap();
    let out = std_cmd(&env, &["doctor"]).env("FOIATRACK_DB", &copy).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Database integrity: ok\nDerived request figures: ok\nFiles referenced but missing: ok\nFiles stored but unreferenced: ok\n"
    );
    let again = env.fails(&["backup", copy.to_str().unwrap()], 1);
    assert!(again.contains("exists already"), "{again}");

    // Corrupt a derived figure and leave a stray file: doctor says so, --fix repairs both.
    let conn = rusqlite::Connection::open(&env.db).unwrap();
    conn.execute("UPDATE request_metrics SET stopped_days = 99", []).unwrap();
    let stray = env.path("test.files/ab");
    std::fs::create_dir_all(&stray).unwrap();
    std::fs::write(stray.join("abandoned"), "x").unwrap();
    std::fs::write(env.path("test.files/.interrupted.tmp"), "x").unwrap();
    let out = std_cmd(&env, &["doctor"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Derived request figures: 1 problem(s)"), "{text}");
    assert!(text.contains("Files stored but unreferenced: 2 problem(s)"), "{text}");
    env.ok(&["doctor", "--fix"]);
    assert!(!stray.join("abandoned").exists());
    assert!(!env.path("test.files/.interrupted.tmp").exists());
    env.ok(&["doctor"]);
}

#[test]
fn an_unclosed_quote_is_named_where_it_opens_and_imports_nothing() {
    let env = Env::new();
    let agencies =
        env.write("a.csv", "name,state,email\n\"City of X,CO,a@x.example.org\nCity of Y,CO,b@y.example.org\n");
    let err = env.fails(&["agency", "import", agencies.to_str().unwrap()], 1);
    assert!(err.contains("a.csv:2: a quoted field starts here and is never closed"), "{err}");
    let holidays = env.write("h.csv", "state,date,name\nCO,2026-03-03,\"Open\nCO,2026-03-04,B\n");
    let err = env.fails(&["holiday", "import", holidays.to_str().unwrap()], 1);
    assert!(err.contains("h.csv:2: a quoted field starts here"), "{err}");
    assert_eq!(env.json(&["agency", "list", "--format", "json"]).as_array().unwrap().len(), 0);
}

#[test]
fn holiday_import_counts_only_what_it_changed() {
    let env = Env::new();
    let file = env.write("h.csv", "state,date,name\nCO,2026-03-03,Town day\nCO,2026-03-04,Other day\n");
    let first = env.ok(&["holiday", "import", file.to_str().unwrap()]);
    assert_eq!(first.trim(), format!("Imported 2 holidays from {} (0 already in the calendar)", file.display()));
    let again = env.ok(&["holiday", "import", file.to_str().unwrap()]);
    assert_eq!(again.trim(), format!("Imported 0 holidays from {} (2 already in the calendar)", file.display()));
}

#[test]
fn addresses_with_control_characters_are_refused_at_import() {
    let env = Env::new();
    let file = env.write("a.csv", "name,state,email\nCity A,CO,\"n\u{0}@a.example.org\"\nCity B,CO,a\u{1}b@b.example.org\nCity C,CO,c\u{7f}@c.example.org\n");
    let err = env.fails(&["agency", "import", file.to_str().unwrap()], 1);
    assert!(err.starts_with("error: 3 invalid rows in"), "{err}");
    assert_eq!(err.matches("invalid email address").count(), 3, "{err}");
}
