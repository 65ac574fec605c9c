//! Database creation, records laws and holiday calendars (issue 2).

use crate::util::Env;

#[test]
fn init_twice_is_harmless_and_keeps_corrections() {
    let env = Env::empty();
    assert!(env.ok(&["init"]).contains("Created"));
    env.ok(&["law", "set", "CO", "--days", "4", "--note", "test bill"]);
    assert!(env.ok(&["init"]).contains("Updated"));
    let co = env.json(&["law", "show", "CO", "--format", "json"]);
    assert_eq!(co["response_days"], 4);
    assert_eq!(co["override"]["note"], "test bill");
    assert_eq!(env.json(&["law", "list", "--format", "json"]).as_array().unwrap().len(), 52);
}

#[test]
fn commands_refuse_a_missing_database() {
    let env = Env::empty();
    let err = env.fails(&["law", "list"], 1);
    assert!(err.contains("no database at"), "{err}");
    assert!(err.contains("foiatrack init"), "{err}");
    assert!(!env.db.exists(), "a typo in --db must not create a file");
}

#[test]
fn law_list_has_52_jurisdictions_with_valid_day_types() {
    let env = Env::new();
    let laws = env.json(&["law", "list", "--format", "json"]);
    let laws = laws.as_array().unwrap();
    assert_eq!(laws.len(), 52);
    let codes: Vec<&str> = laws.iter().map(|l| l["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"DC") && codes.contains(&"US") && codes.contains(&"WY"));
    for l in laws {
        let dt = l["day_type"].as_str().unwrap();
        assert!(["business", "calendar", "none"].contains(&dt));
        assert_eq!(dt == "none", l["response_days"].is_null(), "{l}");
        assert!(!l["source"].as_str().unwrap().is_empty(), "every law keeps its sources: {l}");
    }
    let az = laws.iter().find(|l| l["code"] == "AZ").unwrap();
    assert_eq!(az["day_type"], "none");
}

#[test]
fn law_list_csv_has_a_header_and_52_rows() {
    let env = Env::new();
    let csv = env.ok(&["law", "list", "--format", "csv"]);
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(rdr.headers().unwrap().get(0), Some("code"));
    assert_eq!(rdr.records().count(), 52);
}

#[test]
fn law_show_colorado() {
    let env = Env::new();
    let out = env.ok(&["law", "show", "co"]);
    assert!(out.contains("Colorado Open Records Act"), "{out}");
    assert!(out.contains("C.R.S. § 24-72-201"), "{out}");
    assert!(out.contains("3 business days"), "{out}");
    assert!(out.contains("Sources:"), "{out}");
}

#[test]
fn law_show_unknown_code_is_a_user_error() {
    let env = Env::new();
    let err = env.fails(&["law", "show", "XX"], 1);
    assert!(err.contains("'XX' not found"), "{err}");
}

#[test]
fn law_set_is_shown_as_a_correction_and_reset_restores() {
    let env = Env::new();
    env.ok(&["law", "set", "CO", "--days", "5", "--day-type", "business", "--citation", "C.R.S. § 24-72-203"]);
    let out = env.ok(&["law", "show", "CO"]);
    assert!(out.contains("Corrected by user on 2026-03-02"), "{out}");
    assert!(out.contains("response days: 3 -> 5"), "{out}");
    assert!(out.contains("citation: C.R.S. § 24-72-201"), "{out}");
    let list = env.ok(&["law", "list", "--format", "csv"]);
    assert!(list.lines().any(|l| l.starts_with("CO,") && l.ends_with(",yes")), "{list}");
    env.ok(&["law", "reset", "CO"]);
    let co = env.json(&["law", "show", "CO", "--format", "json"]);
    assert_eq!(co["response_days"], 3);
    assert!(co["override"].is_null());
}

#[test]
fn law_set_rejects_inconsistent_periods() {
    let env = Env::new();
    let err = env.fails(&["law", "set", "AZ", "--day-type", "business"], 1);
    assert!(err.contains("needs a number of days"), "{err}");
    let err = env.fails(&["law", "set", "CO", "--days", "3", "--day-type", "none"], 1);
    assert!(err.contains("--days cannot be given"), "{err}");
    env.fails(&["law", "set", "CO", "--day-type", "fortnightly"], 2);
    // Setting a law to "none" clears its number.
    env.ok(&["law", "set", "CO", "--day-type", "none"]);
    let co = env.json(&["law", "show", "CO", "--format", "json"]);
    assert!(co["response_days"].is_null());
}

#[test]
fn federal_holidays_2026_include_observed_independence_day_and_juneteenth() {
    let env = Env::new();
    let days = env.json(&["holiday", "list", "--state", "US", "--year", "2026", "--format", "json"]);
    let dates: Vec<&str> = days.as_array().unwrap().iter().map(|d| d["date"].as_str().unwrap()).collect();
    assert!(dates.contains(&"2026-07-03"), "{dates:?}");
    assert!(dates.contains(&"2026-06-19"), "{dates:?}");
    assert!(!dates.contains(&"2026-07-04"), "Saturday holiday is observed on Friday");
    assert_eq!(dates.len(), 11);
}

#[test]
fn holiday_year_defaults_to_today() {
    let env = Env::new();
    let days = env.json(&["--today", "2027-05-01", "holiday", "list", "--format", "json"]);
    assert!(days.as_array().unwrap().iter().all(|d| d["date"].as_str().unwrap().starts_with("2027")));
    // 2028-01-01 is a Saturday: observed on Friday 2027-12-31.
    assert_eq!(days.as_array().unwrap().last().unwrap()["date"], "2027-12-31");
}

#[test]
fn state_holidays_add_and_remove() {
    let env = Env::new();
    // Colorado's own calendar: Cabrini Day by state law, no Columbus Day.
    let days = env.json(&["holiday", "list", "--state", "CO", "--year", "2026", "--format", "json"]);
    let origin_of = |days: &serde_json::Value, date: &str| {
        days.as_array().unwrap().iter().find(|d| d["date"] == date).map(|d| d["origin"].as_str().unwrap().to_string())
    };
    assert_eq!(origin_of(&days, "2026-10-05").as_deref(), Some("state_rule"));
    assert_eq!(origin_of(&days, "2026-10-12"), None, "Colorado works on Columbus Day");
    assert_eq!(origin_of(&days, "2026-07-03").as_deref(), Some("federal"));
    env.ok(&["holiday", "add", "CO", "2026-11-27", "Day after Thanksgiving"]);
    env.ok(&["holiday", "remove", "co", "2026-10-05"]);
    let days = env.json(&["holiday", "list", "--state", "CO", "--year", "2026", "--format", "json"]);
    let added = days.as_array().unwrap().iter().find(|d| d["date"] == "2026-11-27").expect("added day listed");
    assert_eq!(added["origin"], "user");
    assert_eq!(added["name"], "Day after Thanksgiving");
    assert_eq!(origin_of(&days, "2026-10-05"), None);
    // Other jurisdictions are untouched.
    let us = env.json(&["holiday", "list", "--state", "US", "--year", "2026", "--format", "json"]);
    assert_eq!(origin_of(&us, "2026-10-12").as_deref(), Some("federal"));
    // Removing an added day drops it; removing a non-holiday is an error.
    env.ok(&["holiday", "remove", "CO", "2026-11-27"]);
    let err = env.fails(&["holiday", "remove", "CO", "2026-11-27"], 1);
    assert!(err.contains("not a holiday in CO"), "{err}");
}

/// The examples: each deadline counts the state's own holiday and names it.
#[test]
fn state_holidays_move_deadlines_and_are_named() {
    let env = Env::new();
    let agencies = env.write(
        "a.csv",
        "key,name,state,kind,email\n\
         dc,District of Columbia Government,DC,city,foia@dc.example.org\n\
         tx,City of Austin,TX,city,pir@austin.example.org\n\
         ca,City of Los Angeles,CA,city,cpra@la.example.org\n\
         ma,City of Boston,MA,city,records@boston.example.org\n",
    );
    env.ok(&["agency", "import", agencies.to_str().unwrap()]);
    env.ok(&["campaign", "new", "h", "--title", "H", "--records", "All purchases", "--code-prefix", "H"]);
    env.ok(&["campaign", "add", "h", "--all"]);
    let cases = [
        ("dc", "2027-04-13", "2027-05-05", "District of Columbia Emancipation Day"),
        ("tx", "2026-11-20", "2026-12-08", "Day after Thanksgiving"),
        ("ca", "2027-03-21", "2027-04-01", "Cesar Chavez Day"),
        ("ma", "2027-04-13", "2027-04-28", "Patriots' Day"),
    ];
    for (key, sent, due, holiday) in cases {
        let mut env2 = Env { dir: tempfile::tempdir().unwrap(), db: env.db.clone(), today: sent.into() };
        env2.today = sent.into();
        let code = crate::util::code_of(&env2, key);
        env2.ok(&["log", &code, "sent", "--on", sent]);
        let d = env2.json(&["request", "show", &code, "--format", "json"]);
        assert_eq!(d["due_on"], due, "{key}: {d}");
        let text = env2.ok(&["deadline", &code]);
        assert!(text.contains(holiday), "{key}: the explanation names {holiday}:\n{text}");
    }
}

#[test]
fn holiday_import_is_atomic_and_names_the_line() {
    let env = Env::new();
    let bad = env.write(
        "bad.csv",
        "state,date,name\nCO,2027-11-26,Day after Thanksgiving\nZZ,2027-01-02,Nope\nCO,2027-13-01,Bad date\n",
    );
    let err = env.fails(&["holiday", "import", bad.to_str().unwrap()], 1);
    assert!(err.contains("bad.csv:3: column 'state'"), "{err}");
    assert!(err.contains("bad.csv:4: column 'date'"), "{err}");
    let days = env.json(&["holiday", "list", "--state", "CO", "--year", "2027", "--format", "json"]);
    assert!(!days.as_array().unwrap().iter().any(|d| d["date"] == "2027-11-26" && d["origin"] == "state"));

    let good = env.write(
        "good.csv",
        "State , Date, Name\nco,2027-11-26,Day after Thanksgiving\nTX,2027-03-02,Texas Independence Day\n",
    );
    assert!(env.ok(&["holiday", "import", good.to_str().unwrap()]).contains("Imported 2 holidays"));
    let tx = env.json(&["holiday", "list", "--state", "TX", "--year", "2027", "--format", "json"]);
    assert!(tx.as_array().unwrap().iter().any(|d| d["date"] == "2027-03-02"));
}

#[test]
fn bad_date_flag_is_a_usage_error() {
    let env = Env::new();
    let err = env.fails(&["--today", "2026-02-30", "holiday", "list"], 2);
    assert!(err.contains("YYYY-MM-DD"), "{err}");
}

#[test]
fn law_show_lists_the_holidays_with_their_origin_and_sources() {
    let env = Env::new();
    let out = env.ok(&["law", "show", "DC"]);
    assert!(out.contains("Holidays 2026:\n"), "{out}");
    assert!(out.contains("  2026-04-16 Thu  District of Columbia Emancipation Day (state_rule)\n"), "{out}");
    assert!(out.contains("  2026-10-12 Mon  Columbus Day (federal)\n"), "{out}");
    assert!(out.contains("Holiday sources:\n  https://"), "{out}");
}
