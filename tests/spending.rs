//! Spending analysis (issue 13): rankings by total or per capita, years side by side, vendor
//! maps (commands, CSV import, bounds on patterns), the vendor report and the canonical vendor
//! in the spending export. Each test drives the real binary on a temporary database.

use crate::util::Env;

/// Four agencies (one without a population) in an Amazon campaign, sent; a p-card file for Big
/// City (2016 and 2017 rows), reported totals for the others. Rows are found by agency key.
fn env() -> Env {
    let env = Env::new();
    env.write(
        "agencies.csv",
        "key,name,state,kind,population,email\n\
         big,Big City,CO,city,100000,a@big.example.org\n\
         small,Small Town,VT,city,1000,b@small.example.org\n\
         nopop,Unknown County,UT,county,,c@nopop.example.org\n\
         late,Late District,OR,school_district,50000,d@late.example.org\n",
    );
    env.ok(&["agency", "import", "agencies.csv"]);
    env.ok(&[
        "campaign",
        "new",
        "amz",
        "--title",
        "Amazon purchases 2016",
        "--records",
        "All purchases from Amazon",
        "--period-start",
        "2016-01-01",
        "--period-end",
        "2016-12-31",
        "--code-prefix",
        "T",
        "--vendor-pattern",
        "amazon|amzn",
    ]);
    env.ok(&["campaign", "add", "amz", "--all"]);
    for code in ["T-0001", "T-0002", "T-0003", "T-0004"] {
        env.ok(&["log", code, "sent", "--on", "2026-02-02"]);
        env.ok(&["log", code, "completed", "--on", "2026-02-20"]);
    }
    env.write(
        "pcard.csv",
        "Date,Merchant,Amount\n\
         2016-01-05,AMZN Mktp US*2K4L93,100.00\n\
         2016-02-05,AMAZON.COM MKTPL,50.00\n\
         2016-03-05,Amazon.com*MK1AB2,25.00\n\
         2016-04-05,Amazon Prime,12.50\n\
         2016-05-05,Amazon Fresh,7.50\n\
         2016-06-05,Staples,999.00\n\
         2016-07-05,AMZN Mktp US*9Q8W7E,(10.00)\n\
         2017-01-05,AMZN Mktp US*77AAAA,300.00\n",
    );
    let code = |key: &str| crate::util::code_of(&env, key);
    env.ok(&["data", "import", &code("big"), "pcard.csv"]);
    env.ok(&["data", "total", &code("small"), "4000.00", "--year", "2016"]);
    env.ok(&["data", "total", &code("small"), "5000.00", "--year", "2017"]);
    env.ok(&["data", "total", &code("nopop"), "900.00", "--year", "2016"]);
    env.ok(&["data", "total", &code("late"), "800.00", "--year", "2017"]);
    env
}

fn row<'a>(report: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    report["rows"].as_array().unwrap().iter().find(|r| r["agency_key"] == key).unwrap()
}

#[test]
fn per_capita_ranking_lists_agencies_without_a_population_last_with_the_reason() {
    let env = env();
    let s = env.json(&["report", "spending", "--campaign", "amz", "--sort", "per-capita", "--format", "json"]);
    assert_eq!(s["sort"], "per-capita");
    let order: Vec<(&str, serde_json::Value)> =
        s["rows"].as_array().unwrap().iter().map(|r| (r["agency_key"].as_str().unwrap(), r["rank"].clone())).collect();
    // Small Town $4.00 a head, Big City $0.00 (its $185.00 of counted 2016 transactions over
    // 100,000 people), then Unknown County with no population, unranked.
    assert_eq!(
        order,
        [("small", serde_json::json!(1)), ("big", serde_json::json!(2)), ("nopop", serde_json::Value::Null)]
    );
    assert_eq!(row(&s, "small")["per_capita_cents"], 400);
    assert_eq!(row(&s, "big")["per_capita_cents"], 0, "0.185 cents a head rounds to $0.00");
    assert_eq!(row(&s, "nopop")["unranked_reason"], "no population recorded for the agency");
    assert!(row(&s, "small")["unranked_reason"].is_null());
    // By total (the default) every agency is ranked, largest first.
    let s = env.json(&["report", "spending", "--campaign", "amz", "--format", "json"]);
    assert_eq!(s["sort"], "total");
    let ranks: Vec<(&str, i64)> = s["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["agency_key"].as_str().unwrap(), r["rank"].as_i64().unwrap()))
        .collect();
    assert_eq!(ranks, [("small", 1), ("nopop", 2), ("big", 3)]);
    // Shares are exact tenths: 4000 / 5085 = 78.66...% -> 78.7.
    assert_eq!(row(&s, "small")["share_percent"], 78.7);
    // The rank follows the order in every format.
    let table = env.ok(&["report", "spending", "--campaign", "amz", "--sort", "per-capita"]);
    assert!(table.contains("Agencies ranked by spending per resident"), "{table}");
    let line = table.lines().find(|l| l.contains("Unknown County")).unwrap();
    assert!(line.trim_start().starts_with('-') && line.contains("not ranked: no population recorded"), "{line}");
    let md = env.ok(&["report", "spending", "--campaign", "amz", "--sort", "per-capita", "--format", "md"]);
    assert!(md.contains("| 1 | Small Town |") && md.contains("| - | Unknown County |"), "{md}");
    let csv = env.ok(&["report", "spending", "--campaign", "amz", "--sort", "per-capita", "--format", "csv"]);
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(csv.as_bytes()).records().map(Result::unwrap).collect();
    assert_eq!((&rows[0][0], &rows[0][3]), ("1", "Small Town"));
    assert_eq!(
        (&rows[2][0], &rows[2][3], &rows[2][15]),
        ("", "Unknown County", "no population recorded for the agency")
    );
    let html = env.ok(&["report", "spending", "--campaign", "amz", "--sort", "per-capita", "--format", "html"]);
    assert!(html.contains("Highest spending per resident"), "the chart follows the order");
}

#[test]
fn years_side_by_side() {
    let env = env();
    let s = env.json(&[
        "report",
        "spending",
        "--campaign",
        "amz",
        "--year",
        "2017",
        "--compare",
        "2016",
        "--format",
        "json",
    ]);
    assert_eq!(s["year"], 2017);
    // Small Town: $4,000 -> $5,000 is +25.0%; Big City $185.00 -> $300.00 is +62.2% (62.16...).
    assert_eq!(row(&s, "small")["previous_total_cents"], 400_000);
    assert_eq!(row(&s, "small")["change_percent"], 25.0);
    assert_eq!(row(&s, "big")["previous_total_cents"], 18_500);
    assert_eq!(row(&s, "big")["change_percent"], 62.2);
    // Late District has 2017 only: no earlier figure, no change.
    assert!(row(&s, "late")["previous_total_cents"].is_null() && row(&s, "late")["change_percent"].is_null());
    let c = &s["comparison"];
    assert_eq!(c["compare_year"], 2016);
    assert_eq!(c["previous_agencies_reporting"], 3);
    assert_eq!(c["previous_sum_cents"], 508_500);
    assert_eq!(c["agencies_in_both"], 2);
    assert_eq!(c["sum_in_both_cents"], 530_000);
    assert_eq!(c["previous_sum_in_both_cents"], 418_500);
    // 5300 / 4185 - 1 = 26.64...% -> 26.6; the median of +25% and +62.16...% is 43.58...% -> 43.6.
    assert_eq!(c["sum_change_percent"], 26.6);
    assert_eq!(c["median_change_percent"], 43.6);
    assert_eq!(c["changes_measured"], 2);
    let only = |k: &str| -> Vec<String> {
        c[k].as_array().unwrap().iter().map(|o| format!("{} {}", o["agency_key"], o["year"])).collect()
    };
    assert_eq!(only("only_in_year"), ["\"late\" 2017"]);
    assert_eq!(only("only_in_compare_year"), ["\"nopop\" 2016"]);

    let table = env.ok(&["report", "spending", "--campaign", "amz", "--year", "2017", "--compare", "2016"]);
    for text in [
        "== Spending, 2017 compared with 2016 ==",
        "+26.6%  change of the sum, 2 agencies with figures for both years",
        "+43.6%  median change of an agency (2 measured)",
        "Figures for 2017 only:",
        "Figures for 2016 only:",
        "+25.0%",
    ] {
        assert!(table.contains(text), "missing {text:?} in:\n{table}");
    }
    let csv =
        env.ok(&["report", "spending", "--campaign", "amz", "--year", "2017", "--compare", "2016", "--format", "csv"]);
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let h = rdr.headers().unwrap().clone();
    assert_eq!((&h[16], &h[17], &h[18]), ("previous_year", "previous_total", "change_percent"));
    let first = rdr.records().map(Result::unwrap).find(|r| &r[3] == "Small Town").unwrap();
    assert_eq!((&first[3], &first[16], &first[17], &first[18]), ("Small Town", "2016", "4000.00", "25.0"));
    // The HTML report gains a change chart: bars around a zero line.
    let html =
        env.ok(&["report", "spending", "--campaign", "amz", "--year", "2017", "--compare", "2016", "--format", "html"]);
    assert!(html.contains("Change from 2016 to 2017") && html.contains("<line x1="), "{html}");
    assert!(!html.contains("<script") && !html.contains("src=\"http"));
}

#[test]
fn comparisons_that_make_no_sense_are_refused_in_one_sentence() {
    let env = env();
    for (args, expected) in [
        (
            vec!["--year", "2016", "--compare", "2016"],
            "--compare 2016 is the report's own year; compare with another year",
        ),
        (vec!["--compare", "1800"], "--compare 1800 is out of range: give a year from 1900 to 2199"),
        (vec!["--year", "20170"], "--year 20170 is out of range: give a year from 1900 to 2199"),
    ] {
        let mut all = vec!["report", "spending", "--campaign", "amz"];
        all.extend(args);
        let err = env.fails(&all, 1);
        assert_eq!(err.trim(), format!("error: {expected}"));
    }
    // A report over all years (no campaign year) has nothing to compare with.
    let err = env.fails(&["report", "spending", "--compare", "2016"], 1);
    assert!(err.contains("needs the year to compare it with: add --year"), "{err}");
    assert_eq!(err.trim().lines().count(), 1);
    let err = env.fails(&["report", "spending", "--sort", "alphabetical"], 2);
    assert!(err.contains("total") && err.contains("per-capita"), "{err}");
}

#[test]
fn the_vendor_report_splits_transactions_and_leaves_reported_totals_unsplit() {
    let env = env();
    let v = env.json(&["report", "vendors", "--campaign", "amz", "--format", "json"]);
    assert_eq!(v["year"], 2016, "the campaign's year by default");
    assert_eq!(v["map_builtin"], true);
    assert_eq!(v["transactions"], 6, "Staples is excluded by the vendor pattern");
    assert_eq!(v["transactions_cents"], 18_500);
    let vendors: Vec<(serde_json::Value, i64, i64)> = v["vendors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["vendor"].clone(), l["total_cents"].as_i64().unwrap(), l["transactions"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        vendors,
        [
            (serde_json::json!("Amazon Marketplace"), 14_000, 3),
            (serde_json::json!("Amazon.com"), 2_500, 1),
            (serde_json::json!("Amazon Prime"), 1_250, 1),
            (serde_json::Value::Null, 750, 1),
        ]
    );
    let market = &v["vendors"][0];
    // 140 / 185 = 75.67...% -> 75.7.
    assert_eq!(market["share_percent"], 75.7);
    let spellings: Vec<&str> =
        market["spellings"].as_array().unwrap().iter().map(|s| s["spelling"].as_str().unwrap()).collect();
    assert_eq!(spellings, ["AMZN Mktp US*2K4L93", "AMAZON.COM MKTPL", "AMZN Mktp US*9Q8W7E"]);
    assert_eq!(v["review"][0]["spelling"], "Amazon Fresh");
    assert_eq!(v["review"][0]["tracking_codes"], serde_json::json!(["T-0001"]));
    // Reported totals stay unsplit: Small Town's and Unknown County's 2016 totals.
    let agencies = v["agencies"].as_array().unwrap();
    assert_eq!(agencies.len(), 3);
    let small = agencies.iter().find(|a| a["agency_key"] == "small").unwrap();
    assert_eq!(small["unsplit_cents"], 400_000);
    assert!(small["vendors"].as_array().unwrap().is_empty());
    assert_eq!(v["unsplit_agencies"], 2);
    assert_eq!(v["unsplit_cents"], 490_000);
    // Another year.
    let v = env.json(&["report", "vendors", "--campaign", "amz", "--year", "2017", "--format", "json"]);
    assert_eq!(v["transactions_cents"], 30_000);
    assert_eq!(v["unsplit_agencies"], 2, "Small Town and Late District reported 2017 totals");

    let table = env.ok(&["report", "vendors", "--campaign", "amz"]);
    for text in [
        "== Vendors, 2016 ==",
        "Amazon Marketplace",
        "(no map entry)",
        "unsplit (reported total)",
        "Spellings to review: they match the campaign's vendor pattern but no map entry:",
        "The vendor map (built-in starting map):",
    ] {
        assert!(table.contains(text), "missing {text:?} in:\n{table}");
    }
    let csv = env.ok(&["report", "vendors", "--campaign", "amz", "--format", "csv"]);
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(csv.as_bytes()).records().map(Result::unwrap).collect();
    assert_eq!((&rows[0][0], &rows[0][5], &rows[0][6], &rows[0][7]), ("all", "Amazon Marketplace", "mapped", "140.00"));
    assert!(rows.iter().any(|r| &r[0] == "agency" && &r[2] == "small" && &r[6] == "unsplit" && &r[7] == "4000.00"));
    let md = env.ok(&["report", "vendors", "--campaign", "amz", "--format", "md"]);
    assert!(md.starts_with("# Amazon purchases 2016: vendors"), "{md}");
    let html = env.ok(&["report", "vendors", "--campaign", "amz", "--format", "html"]);
    assert!(html.contains("Counted transactions by vendor") && html.contains("<svg"));
    // `report all --vendors` carries the vendor report after the other two.
    let all = env.json(&["report", "all", "--campaign", "amz", "--vendors", "--format", "json"]);
    assert_eq!(all["vendors"]["transactions"], 6);
    assert!(env.json(&["report", "all", "--campaign", "amz", "--format", "json"]).get("vendors").is_none());
    let md = env.ok(&[
        "report",
        "all",
        "--campaign",
        "amz",
        "--vendors",
        "--year",
        "2017",
        "--compare",
        "2016",
        "--format",
        "md",
    ]);
    assert!(md.contains("## Spending, 2017 compared with 2016") && md.contains("## Vendors, 2017"), "{md}");
    let err = env.fails(&["report", "all", "--vendors"], 2);
    assert!(err.contains("--campaign"), "{err}");
    let err = env.fails(&["report", "vendors"], 2);
    assert!(err.contains("--campaign"), "{err}");
}

#[test]
fn the_vendor_map_is_edited_by_command_and_the_reports_follow() {
    let env = env();
    let list = env.ok(&["campaign", "vendor-map", "list", "amz"]);
    assert!(list.contains("built-in starting map") && list.contains("Amazon Marketplace"), "{list}");
    let check = env.ok(&["campaign", "vendor-map", "check", "amz", "AMZN Mktp US*2K4L93", "Amazon Fresh", "Staples"]);
    assert!(check.lines().any(|l| l.contains("AMZN Mktp US*2K4L93") && l.contains("Amazon Marketplace")), "{check}");
    assert!(check.lines().any(|l| l.contains("Amazon Fresh") && l.contains("listed for review")), "{check}");
    assert!(check.lines().any(|l| l.contains("Staples") && l.contains("excluded by the vendor pattern")), "{check}");

    // Add an entry: the first change stores the map.
    let out = env.ok(&["campaign", "vendor-map", "add", "amz", "fresh", "Amazon Fresh", "--position", "1"]);
    assert_eq!(out.trim(), "Added entry 1 of 6: /fresh/ -> Amazon Fresh");
    let map = env.json(&["campaign", "vendor-map", "list", "amz", "--format", "json"]);
    assert_eq!(map["builtin"], false);
    assert_eq!(map["entries"][0]["vendor"], "Amazon Fresh");
    let v = env.json(&["report", "vendors", "--campaign", "amz", "--format", "json"]);
    assert!(v["review"].as_array().unwrap().is_empty(), "{}", v["review"]);
    assert!(v["vendors"].as_array().unwrap().iter().any(|l| l["vendor"] == "Amazon Fresh"));
    // The export carries the canonical vendor beside the raw one.
    let export = env.json(&["export", "spending", "--campaign", "amz", "--format", "json"]);
    let canonical =
        |raw: &str| export.as_array().unwrap().iter().find(|r| r["vendor"] == raw).unwrap()["canonical_vendor"].clone();
    assert_eq!(canonical("AMZN Mktp US*2K4L93"), "Amazon Marketplace");
    assert_eq!(canonical("Amazon Fresh"), "Amazon Fresh");
    assert_eq!(canonical("Staples"), serde_json::Value::Null);
    assert!(
        export
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["record_type"] == "reported_total")
            .all(|r| r["canonical_vendor"].is_null())
    );
    let csv = env.ok(&["export", "spending", "--campaign", "amz"]);
    let header = csv.lines().next().unwrap();
    assert!(header.contains(",vendor,canonical_vendor,"), "{header}");

    // Refusals, each one sentence, and nothing changes.
    for (args, expected) in [
        (
            vec!["add", "amz", "fresh", "Again"],
            "the pattern 'fresh' is entry 1 of amz's vendor map already (-> Amazon Fresh); remove it first to change it",
        ),
        (vec!["add", "amz", "(amzn", "X"], "the pattern '(amzn' is not a valid regular expression: unclosed group"),
        (vec!["add", "amz", "x", " "], "a map entry needs a canonical vendor name, e.g. 'Amazon Marketplace'"),
        (
            vec!["add", "amz", "x", "X", "--position", "9"],
            "--position 9 is out of range: the map has 6 entries, so give 1 to 7",
        ),
        (vec!["remove", "amz", "12"], "amz's vendor map has no entry 12 (it has 6 entries)"),
        (
            vec!["remove", "amz", "nope"],
            "amz's vendor map has no entry with the pattern 'nope'; see `foiatrack campaign vendor-map list amz`",
        ),
    ] {
        let mut all = vec!["campaign", "vendor-map"];
        all.extend(args);
        let err = env.fails(&all, 1);
        assert_eq!(err.trim(), format!("error: {expected}"));
    }
    let err = env.fails(&["campaign", "vendor-map", "add", "amz", "(\\w{50}){3}", "X"], 1);
    assert!(err.contains("is too complex") && err.trim().lines().count() == 1, "{err}");
    let long = "a".repeat(201);
    let err = env.fails(&["campaign", "vendor-map", "add", "amz", &long, "X"], 1);
    assert!(err.contains("201 characters long, more than the 200"), "{err}");
    assert_eq!(
        env.json(&["campaign", "vendor-map", "list", "amz", "--format", "json"])["entries"].as_array().unwrap().len(),
        6
    );

    // Remove by number and by pattern.
    assert!(env.ok(&["campaign", "vendor-map", "remove", "amz", "1"]).contains("Removed /fresh/ -> Amazon Fresh"));
    assert!(env.ok(&["campaign", "vendor-map", "remove", "amz", "prime"]).contains("4 entries left"));
    let v = env.json(&["report", "vendors", "--campaign", "amz", "--format", "json"]);
    assert_eq!(v["map_builtin"], false);
    let review: Vec<&str> = v["review"].as_array().unwrap().iter().map(|r| r["spelling"].as_str().unwrap()).collect();
    assert_eq!(review, ["Amazon Prime", "Amazon Fresh"]);
    // Reset: the built-in map again.
    assert!(env.ok(&["campaign", "vendor-map", "reset", "amz"]).contains("built-in starting map again (5 entries)"));
    assert_eq!(env.json(&["campaign", "vendor-map", "list", "amz", "--format", "json"])["builtin"], true);
}

#[test]
fn a_vendor_map_file_is_imported_whole_or_not_at_all() {
    let env = env();
    // The list written as CSV is a file the import reads back.
    let csv = env.ok(&["campaign", "vendor-map", "list", "amz", "--format", "csv"]);
    assert!(csv.starts_with("position,pattern,vendor\n"), "{csv}");
    env.write("builtin.csv", &csv);
    env.write(
        "bad.csv",
        "pattern,vendor\n\
         mktp,Amazon Marketplace\n\
         (amzn,Amazon.com\n\
         prime,\n\
         mktp,Duplicate\n\
         \"x{1000}{1000}\",Huge\n",
    );
    let err = env.fails(&["campaign", "vendor-map", "import", "amz", "bad.csv"], 1);
    assert!(err.starts_with("error: 4 invalid rows in bad.csv; nothing was imported:"), "{err}");
    for line in [
        "bad.csv:3: column 'pattern': the pattern '(amzn' is not a valid regular expression: unclosed group (value: '(amzn')",
        "bad.csv:4: column 'vendor': a map entry needs a canonical vendor name, e.g. 'Amazon Marketplace' (value: '')",
        "bad.csv:5: column 'pattern': the same pattern as line 2 (value: 'mktp')",
        "bad.csv:6: column 'pattern': the pattern 'x{1000}{1000}' is",
    ] {
        assert!(err.contains(line), "missing {line:?} in:\n{err}");
    }
    assert_eq!(env.json(&["campaign", "vendor-map", "list", "amz", "--format", "json"])["builtin"], true, "unchanged");
    let err = env.fails(&["campaign", "vendor-map", "import", "amz", "missing.csv"], 1);
    assert!(err.contains("missing.csv"), "{err}");
    env.write("cols.csv", "pattern,canonical,colour\nx,y,z\n");
    let err = env.fails(&["campaign", "vendor-map", "import", "amz", "cols.csv"], 1);
    assert_eq!(
        err.trim(),
        "error: cols.csv: the header must have the columns pattern and vendor (found: pattern, canonical, colour)"
    );

    env.write("mine.csv", "pattern,vendor\r\nfresh,Amazon Fresh\r\n\"amazon|amzn\",Amazon (other)\r\n");
    let out = env.ok(&["campaign", "vendor-map", "import", "amz", "mine.csv"]);
    assert_eq!(out.trim(), "Imported 2 entries from mine.csv (replacing 5)");
    let v = env.json(&["report", "vendors", "--campaign", "amz", "--format", "json"]);
    let names: Vec<&str> = v["vendors"].as_array().unwrap().iter().map(|l| l["vendor"].as_str().unwrap()).collect();
    assert_eq!(names, ["Amazon (other)", "Amazon Fresh"]);
    // --append adds after the map; a pattern already in it refuses the whole file.
    env.write("more.csv", "pattern,vendor\nfresh,X\n");
    let err = env.fails(&["campaign", "vendor-map", "import", "amz", "more.csv", "--append"], 1);
    assert_eq!(
        err.trim(),
        "error: more.csv: the pattern 'fresh' is entry 1 of amz's vendor map already; nothing was imported"
    );
    env.write("more.csv", "pattern,vendor\nprime,Amazon Prime\n");
    assert!(
        env.ok(&["campaign", "vendor-map", "import", "amz", "more.csv", "--append"])
            .contains("Added 1 entry from more.csv; the map has 3")
    );
    // Back to the built-in map from its own listing.
    assert!(env.ok(&["campaign", "vendor-map", "import", "amz", "builtin.csv"]).contains("Imported 5 entries"));
    let map = env.json(&["campaign", "vendor-map", "list", "amz", "--format", "json"]);
    assert_eq!(map["builtin"], false);
    assert_eq!(map["entries"][4]["vendor"], "Amazon.com");
}

#[test]
fn a_campaign_about_another_vendor_starts_with_an_empty_map() {
    let env = env();
    env.ok(&[
        "campaign",
        "new",
        "office",
        "--title",
        "Office supplies",
        "--records",
        "Purchases from Staples",
        "--code-prefix",
        "OFF",
        "--vendor-pattern",
        "staples",
    ]);
    let list = env.ok(&["campaign", "vendor-map", "list", "office"]);
    assert!(list.contains("no entries: every spelling that matches the vendor pattern is listed for review"), "{list}");
    let err = env.fails(&["campaign", "vendor-map", "list", "nope"], 1);
    assert!(err.contains("campaign 'nope' not found"), "{err}");
}
