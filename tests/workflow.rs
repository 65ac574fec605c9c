//! Campaigns, the status machine, the event log and deadlines (issue 3).

use crate::util::{Env, code_of, example_agencies};

/// A database with the example agencies and the Amazon campaign holding every agency.
fn campaign_env() -> Env {
    let env = Env::new();
    env.ok(&["agency", "import", example_agencies().to_str().unwrap()]);
    env.ok(&[
        "campaign",
        "new",
        "amazon-2016",
        "--title",
        "Amazon purchases 2016",
        "--records",
        "All records of purchases from Amazon in 2016",
        "--code-prefix",
        "AMZ16",
        "--period-start",
        "2016-01-01",
        "--period-end",
        "2016-12-31",
    ]);
    env.ok(&["campaign", "add", "amazon-2016", "--all"]);
    env
}

fn show(env: &Env, code: &str) -> serde_json::Value {
    env.json(&["request", "show", code, "--format", "json"])
}

#[test]
fn campaign_add_creates_one_request_per_agency_never_two() {
    let env = campaign_env();
    let again = env.ok(&["campaign", "add", "amazon-2016", "--all"]);
    assert!(again.contains("Added 0 requests (90 agencies were already"), "{again}");
    let list = env.json(&["request", "list", "--campaign", "amazon-2016", "--format", "json"]);
    let codes: std::collections::BTreeSet<String> =
        list.as_array().unwrap().iter().map(|r| r["tracking_code"].as_str().unwrap().to_string()).collect();
    assert_eq!(codes.len(), 90);
    assert!(codes.iter().all(|c| c.starts_with("AMZ16-") && c.len() == "AMZ16-0001".len()), "{codes:?}");
    assert!(list.as_array().unwrap().iter().all(|r| r["status"] == "draft"));
}

#[test]
fn campaign_add_by_state_kind_and_key() {
    let env = Env::new();
    env.ok(&["agency", "import", example_agencies().to_str().unwrap()]);
    env.ok(&["campaign", "new", "po", "--title", "Police overtime", "--records", "Overtime records"]);
    let out = env.ok(&["campaign", "add", "po", "--state", "CO", "--kind", "school_district"]);
    assert!(out.contains("Added 3 requests (0 agencies"), "{out}");
    let out =
        env.ok(&["campaign", "add", "po", "--agency", "city-of-austin-tx", "--agency", "denver-public-schools-co"]);
    assert!(out.contains("Added 1 request (1 agency was already"), "{out}");
    let list = env.json(&["request", "list", "--campaign", "po", "--format", "json"]);
    assert!(list.as_array().unwrap().iter().all(|r| r["tracking_code"].as_str().unwrap().starts_with("PO-")));
    env.fails(&["campaign", "add", "po", "--agency", "no-such-agency"], 1);
    env.fails(&["campaign", "add", "po"], 1);
    let err = env.fails(&["campaign", "new", "other", "--title", "x", "--records", "y", "--code-prefix", "PO"], 1);
    assert!(err.contains("used by campaign 'po'"), "{err}");
}

#[test]
fn campaign_show_counts_by_status_and_overdue() {
    let env = campaign_env();
    let dps = code_of(&env, "denver-public-schools-co");
    env.ok(&["log", &dps, "sent", "--on", "2026-02-13", "--today", "2026-02-13"]);
    let s = env.json(&["campaign", "show", "amazon-2016", "--format", "json", "--today", "2026-03-02"]);
    assert_eq!(s["summary"]["requests"], 90);
    assert_eq!(s["summary"]["overdue"], 1);
    let by: std::collections::HashMap<String, i64> = s["summary"]["by_status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_i64().unwrap()))
        .collect();
    assert_eq!(by["draft"], 89);
    assert_eq!(by["awaiting_ack"], 1);
    let text = env.ok(&["campaign", "show", "amazon-2016", "--today", "2026-03-02"]);
    assert!(text.contains("90 (1 overdue on 2026-03-02)"), "{text}");
}

#[test]
fn config_profile_and_policy() {
    let env = Env::new();
    env.ok(&["config", "set", "requester.name", "Jane Doe"]);
    env.ok(&["config", "set", "requester.email", "jane@newsroom.example.org"]);
    assert_eq!(env.ok(&["config", "get", "requester.name"]).trim(), "Jane Doe");
    assert_eq!(env.ok(&["config", "get", "policy.very_overdue_days"]).trim(), "20");
    let list = env.json(&["config", "list", "--format", "json"]);
    assert!(list.as_array().unwrap().iter().any(|s| s["name"] == "requester.name" && s["value"] == "Jane Doe"));
    let err = env.fails(&["config", "set", "requester.shoe_size", "9"], 1);
    assert!(err.contains("unknown setting"), "{err}");
    env.fails(&["config", "set", "requester.email", "not-an-email"], 1);
    env.fails(&["config", "set", "policy.very_overdue_days", "soon"], 1);
}

#[test]
fn refused_event_names_status_and_allowed_events_and_writes_nothing() {
    let env = campaign_env();
    let code = code_of(&env, "city-of-austin-tx");
    let err = env.fails(&["log", &code, "acknowledged"], 1);
    assert!(err.contains("while the request is draft"), "{err}");
    assert!(err.contains("events allowed from draft: sent, withdrawn, note"), "{err}");
    let r = show(&env, &code);
    assert_eq!(r["events"].as_array().unwrap().len(), 0);
    assert_eq!(r["status"], "draft");
    // Wrong flags for the event, and events in the future, are refused too.
    env.fails(&["log", &code, "sent", "--amount", "5"], 1);
    let err = env.fails(&["log", &code, "sent", "--on", "2026-03-03"], 1);
    assert!(err.contains("after today"), "{err}");
    let err = env.fails(&["log", &code, "teleported"], 2);
    assert!(err.contains("unknown eventkind"), "{err}");
    let err = env.fails(&["log", "AMZ16-9999", "sent"], 1);
    assert!(err.contains("not found"), "{err}");
}

#[test]
fn colorado_three_business_days_over_presidents_day() {
    let mut env = campaign_env();
    env.today = "2026-02-13".into();
    let code = code_of(&env, "denver-public-schools-co");
    env.ok(&["log", &code.to_lowercase(), "sent"]);
    let r = show(&env, &code);
    assert_eq!(r["sent_on"], "2026-02-13");
    assert_eq!(r["due_on"], "2026-02-19");
    assert_eq!(r["state"], "CO");
    assert_eq!(r["agency_name"], "Denver Public Schools");
    let explained = env.ok(&["deadline", &code, "--today", "2026-02-24"]);
    assert!(explained.contains("Colorado Open Records Act (C.R.S. § 24-72-201"), "{explained}");
    assert!(explained.contains("Mon 2026-02-16: Washington's Birthday (holiday), not counted"), "{explained}");
    assert!(explained.contains("Due: Thu 2026-02-19"), "{explained}");
    assert!(explained.contains("Today 2026-02-24: 3 business days overdue"), "{explained}");
}

#[test]
fn california_ten_calendar_days_rolls_to_monday() {
    let mut env = campaign_env();
    env.today = "2026-07-01".into();
    let code = code_of(&env, "los-angeles-county-ca");
    env.ok(&["log", &code, "sent"]);
    assert_eq!(show(&env, &code)["due_on"], "2026-07-13");
    let explained = env.ok(&["deadline", &code]);
    assert!(explained.contains("2026-07-01 + 10 calendar days = Sat 2026-07-11"), "{explained}");
    assert!(explained.contains("Due: Mon 2026-07-13"), "{explained}");
}

#[test]
fn calendar_days_roll_past_a_state_holiday() {
    let mut env = campaign_env();
    env.today = "2026-07-01".into();
    // Make Monday 07-13 a California holiday: the due date rolls to Tuesday, and the cached
    // date of an already-sent request follows the calendar change.
    let code = code_of(&env, "los-angeles-county-ca");
    env.ok(&["log", &code, "sent"]);
    env.ok(&["holiday", "add", "CA", "2026-07-13", "Test Day"]);
    assert_eq!(show(&env, &code)["due_on"], "2026-07-14");
    let explained = env.ok(&["deadline", &code]);
    assert!(explained.contains("Mon 2026-07-13: Test Day (holiday), the due date rolls forward"), "{explained}");
}

#[test]
fn pennsylvania_fee_stops_the_clock_and_resume_restarts_it() {
    let mut env = campaign_env();
    env.today = "2026-03-20".into();
    let code = code_of(&env, "city-of-pittsburgh-pa");
    env.ok(&["log", &code, "sent", "--on", "2026-03-02"]);
    assert_eq!(show(&env, &code)["due_on"], "2026-03-09");
    env.ok(&["log", &code, "fee", "--on", "2026-03-04", "--amount", "25.00"]);
    let r = show(&env, &code);
    assert_eq!(r["status"], "payment_required");
    assert!(r["due_on"].is_null());
    assert_eq!(r["clock_stopped"]["remaining"], 3);
    assert!(r["overdue_days"].is_null(), "stopped days never count against the agency");
    env.ok(&["log", &code, "resumed", "--on", "2026-03-10"]);
    let r = show(&env, &code);
    assert_eq!(r["due_on"], "2026-03-13");
    assert_eq!(r["status"], "awaiting_response");
    assert_eq!(r["fee_cents"], 2500);
    assert_eq!(r["overdue_days"], 5, "03-16..03-20 are five business days late");
    let explained = env.ok(&["deadline", &code]);
    assert!(explained.contains("3 business days remained"), "{explained}");
    assert!(explained.contains("2026-03-10 + 3 business days = due Fri 2026-03-13"), "{explained}");
}

#[test]
fn no_deadline_law_has_a_followup_date_and_is_never_overdue() {
    let mut env = campaign_env();
    env.today = "2026-05-20".into();
    let code = code_of(&env, "city-of-phoenix-az");
    env.ok(&["log", &code, "sent"]);
    let r = env.json(&["request", "show", &code, "--format", "json", "--today", "2026-08-01"]);
    assert!(r["due_on"].is_null());
    // Ten business days from Wed 05-20, skipping Memorial Day (05-25): Thu 06-04.
    assert_eq!(r["followup_on"], "2026-06-04");
    assert!(r["overdue_days"].is_null());
    let overdue = env.json(&["request", "list", "--overdue", "--format", "json", "--today", "2026-08-01"]);
    assert!(overdue.as_array().unwrap().is_empty());
    let explained = env.ok(&["deadline", &code, "--today", "2026-08-01"]);
    assert!(explained.contains("no statutory due date"), "{explained}");
    assert!(explained.contains("never overdue under the statute; follow-up due 2026-06-04"), "{explained}");
    assert!(!explained.contains("overdue (due"), "{explained}");
}

#[test]
fn agency_override_and_law_correction_move_the_due_date() {
    let mut env = campaign_env();
    env.today = "2026-02-13".into();
    let code = code_of(&env, "denver-public-schools-co");
    env.ok(&["log", &code, "sent"]);
    env.ok(&["law", "set", "CO", "--days", "5"]);
    // 5 business days from Fri 02-13 over Presidents' Day: Mon 02-23.
    assert_eq!(show(&env, &code)["due_on"], "2026-02-23");
    env.ok(&["agency", "edit", "denver-public-schools-co", "--response-days", "10", "--day-type", "calendar"]);
    // The agency's own 10 calendar days win: Mon 02-23 too, counted differently.
    let r = show(&env, &code);
    assert_eq!(r["period"], "10 calendar days");
    assert_eq!(r["due_on"], "2026-02-23");
    env.ok(&["agency", "edit", "denver-public-schools-co", "--response-days", "20", "--day-type", "calendar"]);
    // 02-13 + 20 = Thu 03-05.
    assert_eq!(show(&env, &code)["due_on"], "2026-03-05");
}

#[test]
fn extension_and_estimate() {
    let mut env = campaign_env();
    env.today = "2026-02-18".into();
    let code = code_of(&env, "denver-public-schools-co");
    env.ok(&["log", &code, "sent", "--on", "2026-02-13"]);
    env.ok(&["log", &code, "extended", "--days", "7", "--reference", "CORA-2026-118"]);
    let r = show(&env, &code);
    // Thu 02-19 + 7 business days = Mon 03-02.
    assert_eq!(r["due_on"], "2026-03-02");
    assert_eq!(r["status"], "awaiting_response");
    assert_eq!(r["agency_reference"], "CORA-2026-118");
    env.ok(&["log", &code, "estimated", "--until", "2026-04-30"]);
    let r = show(&env, &code);
    assert_eq!(r["due_on"], "2026-03-02", "an estimate leaves the statutory date alone");
    assert_eq!(r["followup_on"], "2026-05-01");
    env.fails(&["log", &code, "extended"], 1);
}

#[test]
fn void_keeps_the_event_and_recomputes() {
    let mut env = campaign_env();
    env.today = "2026-03-10".into();
    let code = code_of(&env, "city-of-austin-tx");
    env.ok(&["log", &code, "sent", "--on", "2026-03-02"]);
    env.ok(&["log", &code, "acknowledged", "--on", "2026-03-03"]);
    env.ok(&["log", &code, "completed", "--on", "2026-03-09"]);
    let r = show(&env, &code);
    assert_eq!(r["status"], "completed");
    let events = r["events"].as_array().unwrap();
    let completed_id = events[2]["id"].as_i64().unwrap().to_string();
    let sent_id = events[0]["id"].as_i64().unwrap().to_string();
    env.fails(&["event", "void", &completed_id], 2);
    env.ok(&["event", "void", &completed_id, "--reason", "wrong request"]);
    let r = show(&env, &code);
    assert_eq!(r["status"], "awaiting_response");
    assert!(r["closed_on"].is_null());
    assert_eq!(r["events"].as_array().unwrap().len(), 3, "the void event stays in the history");
    assert_eq!(r["events"][2]["void_reason"], "wrong request");
    let text = env.ok(&["request", "show", &code]);
    assert!(text.contains("completed [void]") && text.contains("VOID on 2026-03-10: wrong request"), "{text}");
    // Voiding 'sent' would leave the acknowledgement out of order: refused, nothing changes.
    let err = env.fails(&["event", "void", &sent_id, "--reason", "oops"], 1);
    assert!(err.contains("void those first"), "{err}");
    assert_eq!(show(&env, &code)["status"], "awaiting_response");
    let err = env.fails(&["event", "void", &completed_id, "--reason", "again"], 1);
    assert!(err.contains("voided already"), "{err}");
}

#[test]
fn terminal_requests_reopen_to_appeal() {
    let mut env = campaign_env();
    env.today = "2026-03-20".into();
    let code = code_of(&env, "city-of-austin-tx");
    env.ok(&["log", &code, "sent", "--on", "2026-03-02"]);
    env.ok(&["log", &code, "rejected", "--on", "2026-03-05"]);
    let err = env.fails(&["log", &code, "appealed"], 1);
    assert!(err.contains("while the request is rejected; events allowed from rejected: reopened, note"), "{err}");
    env.ok(&["log", &code, "reopened", "--on", "2026-03-16"]);
    env.ok(&["log", &code, "appealed", "--on", "2026-03-16"]);
    let r = show(&env, &code);
    assert_eq!(r["status"], "appealing");
    // Texas: 10 business days from 03-16 = 03-30.
    assert_eq!(r["due_on"], "2026-03-30");
}

#[test]
fn request_list_sorts_by_due_date_and_filters() {
    let mut env = campaign_env();
    env.today = "2026-03-02".into();
    let co = code_of(&env, "denver-public-schools-co"); // 3 business days -> 03-05
    let tx = code_of(&env, "city-of-austin-tx"); // 10 business days -> 03-16
    let pa = code_of(&env, "city-of-pittsburgh-pa"); // 5 business days, sent earlier -> overdue
    env.ok(&["log", &tx, "sent"]);
    env.ok(&["log", &co, "sent"]);
    env.ok(&["log", &pa, "sent", "--on", "2026-02-20"]);
    let list = env.json(&["request", "list", "--status", "awaiting_ack", "--format", "json"]);
    let order: Vec<&str> = list.as_array().unwrap().iter().map(|r| r["tracking_code"].as_str().unwrap()).collect();
    assert_eq!(order, [pa.as_str(), co.as_str(), tx.as_str()]);
    let overdue = env.json(&["request", "list", "--overdue", "--format", "json"]);
    assert_eq!(overdue.as_array().unwrap().len(), 1);
    assert_eq!(overdue[0]["overdue_days"], 1);
    let soon = env.json(&["request", "list", "--due-within", "3", "--format", "json"]);
    assert_eq!(soon.as_array().unwrap().len(), 2, "the overdue one and the one due 03-05");
    let co_only = env.json(&["request", "list", "--state", "co", "--status", "awaiting-ack", "--format", "json"]);
    assert_eq!(co_only.as_array().unwrap().len(), 1);
    let table = env.ok(&["request", "list", "--status", "awaiting_ack"]);
    assert!(table.contains("1 late") && table.contains("3 left") && table.contains("10 left"), "{table}");
}

#[test]
fn morning_digest_on_a_fixed_day() {
    let mut env = campaign_env();
    env.today = "2026-03-02".into();
    let co = code_of(&env, "denver-public-schools-co");
    let pa = code_of(&env, "city-of-pittsburgh-pa");
    let az = code_of(&env, "city-of-phoenix-az");
    let tx = code_of(&env, "city-of-austin-tx");
    env.ok(&["log", &co, "sent", "--on", "2026-02-02"]);
    env.ok(&["log", &pa, "sent", "--on", "2026-02-20"]);
    env.ok(&["log", &az, "sent", "--on", "2026-02-02"]);
    env.ok(&["log", &tx, "sent", "--on", "2026-02-25"]);
    env.ok(&["log", &tx, "fee", "--on", "2026-02-27", "--amount", "125.50"]);
    let digest = env.ok(&["due"]);
    insta::assert_snapshot!(digest, @r"
    Digest for 2026-03-02

    Overdue (2), most late first:
     TRACKING CODE   AGENCY                  STATE   STATUS         DUE ON       BUSINESS DAYS
    --------------- ----------------------- ------- -------------- ------------ ---------------
     AMZ16-0013      Denver Public Schools   CO      awaiting_ack   2026-02-05   16 late
     AMZ16-0065      City of Pittsburgh      PA      awaiting_ack   2026-02-27   1 late

    Due in the next 7 days (0):

    Waiting on us (1):
     TRACKING CODE   AGENCY           STATUS             SINCE        REASON                     FEE
    --------------- ---------------- ------------------ ------------ -------------------------- ---------
     AMZ16-0073      City of Austin   payment_required   2026-02-27   fee of $125.50 requested   $125.50

    Follow-ups due (1):
     TRACKING CODE   AGENCY            STATE   STATUS         DUE ON   FOLLOW UP FROM
    --------------- ----------------- ------- -------------- -------- ----------------
     AMZ16-0004      City of Phoenix   AZ      awaiting_ack            2026-02-17

    Appeal windows closing (1), soonest first:
     TRACKING CODE   AGENCY               STATE   STATUS         FILE WITH                CLOSES ON    BUSINESS DAYS
    --------------- -------------------- ------- -------------- ------------------------ ------------ ---------------
     AMZ16-0065      City of Pittsburgh   PA      awaiting_ack   Office of Open Records   2026-03-20   14 left
    ");
    let json = env.json(&["due", "--format", "json", "--today", "2026-04-01"]);
    assert_eq!(json["today"], "2026-04-01");
    assert_eq!(json["overdue"][0]["tracking_code"], co.as_str());
    assert_eq!(json["overdue"][0]["very_overdue"], true);
}

#[test]
fn cache_equals_full_replay_after_many_changes() {
    let mut env = campaign_env();
    env.today = "2026-04-30".into();
    let script: &[(&str, &[&str])] = &[
        (
            "denver-public-schools-co",
            &[
                "sent --on 2026-02-13",
                "extended --days 7 --on 2026-02-18",
                "fee --on 2026-02-20 --amount 10",
                "resumed --on 2026-03-02",
                "partial --on 2026-03-04",
                "completed --on 2026-03-20",
            ],
        ),
        (
            "city-of-pittsburgh-pa",
            &[
                "sent --on 2026-03-02",
                "clarification --on 2026-03-04",
                "resumed --on 2026-03-10",
                "followed-up --on 2026-03-20",
            ],
        ),
        (
            "city-of-phoenix-az",
            &["sent --on 2026-03-02", "estimated --until 2026-04-15 --on 2026-03-05", "followed-up --on 2026-04-20"],
        ),
        (
            "city-of-austin-tx",
            &[
                "sent --on 2026-03-02",
                "rejected --on 2026-03-05",
                "reopened --on 2026-03-09",
                "appealed --on 2026-03-09",
                "no-records --on 2026-04-01",
            ],
        ),
        ("los-angeles-county-ca", &["sent --on 2026-03-02", "withdrawn --on 2026-03-03"]),
    ];
    for (agency, events) in script {
        let code = code_of(&env, agency);
        for e in *events {
            let mut args = vec!["log", code.as_str()];
            args.extend(e.split_whitespace());
            env.ok(&args);
        }
    }
    env.ok(&["holiday", "add", "PA", "2026-03-12", "Test Day"]);
    env.ok(&["law", "set", "AZ", "--days", "5", "--day-type", "business"]);
    let events = show(&env, &code_of(&env, "denver-public-schools-co"))["events"].clone();
    env.ok(&["event", "void", &events[5]["id"].to_string(), "--reason", "test"]);

    let conn = foiatrack::ops::database::open(&env.db).unwrap();
    let mismatches = foiatrack::projection::cache_mismatches(&conn).unwrap();
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    // And the check can fail: corrupt a report figure, then a cached date, and each is caught.
    let sent_id: i64 =
        conn.query_row("SELECT MIN(id) FROM requests WHERE sent_on IS NOT NULL", [], |r| r.get(0)).unwrap();
    conn.execute("UPDATE request_metrics SET stopped_days = 99 WHERE request_id = ?1", [sent_id]).unwrap();
    let found = foiatrack::projection::cache_mismatches(&conn).unwrap();
    assert!(found.len() == 1 && found[0].contains("report figures"), "{found:?}");
    conn.execute("UPDATE requests SET due_on = '2000-01-01' WHERE sent_on IS NOT NULL AND due_on IS NOT NULL", [])
        .unwrap();
    assert!(foiatrack::projection::cache_mismatches(&conn).unwrap().len() > 1);
}

#[test]
fn events_cannot_be_edited_or_deleted() {
    let mut env = campaign_env();
    env.today = "2026-03-02".into();
    let code = code_of(&env, "city-of-austin-tx");
    env.ok(&["log", &code, "sent"]);
    let conn = foiatrack::ops::database::open(&env.db).unwrap();
    let del = conn.execute("DELETE FROM events", []);
    assert!(del.unwrap_err().to_string().contains("append-only"));
    let upd = conn.execute("UPDATE events SET on_date = '2026-01-01'", []);
    assert!(upd.unwrap_err().to_string().contains("append-only"));
}

#[test]
fn readme_documents_the_transition_table() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = foiatrack::core::status::markdown_table();
    assert!(readme.contains(&table), "README.md must contain the transition table as generated:\n{table}");
}
