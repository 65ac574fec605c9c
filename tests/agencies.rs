//! Agency import, listing and editing (issue 2).

use crate::util::{Env, example_agencies};

fn count(env: &Env) -> usize {
    env.json(&["agency", "list", "--format", "json"]).as_array().unwrap().len()
}

#[test]
fn example_agencies_import_then_reimport_is_all_unchanged() {
    let env = Env::new();
    let file = example_agencies();
    let file = file.to_str().unwrap();
    let first = env.ok(&["agency", "import", file]);
    assert!(first.contains("90 added, 0 updated, 0 unchanged"), "{first}");
    let second = env.ok(&["agency", "import", file]);
    assert!(second.contains("0 added, 0 updated, 90 unchanged"), "{second}");
    assert_eq!(count(&env), 90);
}

#[test]
fn example_agencies_are_safe_and_include_the_named_ones() {
    let env = Env::new();
    env.ok(&["agency", "import", example_agencies().to_str().unwrap()]);
    let all = env.json(&["agency", "list", "--format", "json"]);
    let all = all.as_array().unwrap();
    for a in all {
        if let Some(email) = a["email"].as_str() {
            assert!(email.ends_with(".example.org"), "not a reserved example domain: {email}");
        }
    }
    assert!(all.iter().any(|a| a["email"].is_null() && a["portal_url"].is_string()), "some agencies are portal-only");
    for (name, state) in [
        ("Denver Public Schools", "CO"),
        ("Portland Public Schools", "OR"),
        ("City and County of Denver", "CO"),
        ("Salt Lake County", "UT"),
        ("City of Austin", "TX"),
        ("City of Portland", "OR"),
        ("Montgomery County", "MD"),
        ("City of Pittsburgh", "PA"),
        ("Hennepin County", "MN"),
        ("Los Angeles County", "CA"),
        ("City of Rutland", "VT"),
        ("City of Greensboro", "NC"),
    ] {
        assert!(all.iter().any(|a| a["name"] == name && a["state"] == state), "missing {name} ({state})");
    }
    let kinds: std::collections::BTreeSet<&str> = all.iter().map(|a| a["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains("city") && kinds.contains("county") && kinds.contains("school_district"));
}

#[test]
fn messy_but_unambiguous_input_is_accepted() {
    let env = Env::new();
    // BOM, CRLF, odd header case and spaces, quoted commas and newlines, lower-case state,
    // "12,345" population, a kind written in words, an unknown column.
    let csv = "\u{feff} Name ,STATE, Kind ,Population,Email,Mailing Address,Favourite Colour\r\n\
               \"Town of Example, Upper\",vt,City,\"12,345\", Clerk@Town.Example.org ,\"1 Main St\r\nExample, VT\",blue\r\n\
               Example County Schools , co ,School District,,,,\r\n";
    let f = env.write("messy.csv", csv);
    let out = env.cmd().args(["agency", "import", f.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 added"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown column 'favourite_colour'"));
    let a = env.json(&["agency", "show", "town-of-example-upper-vt", "--format", "json"]);
    assert_eq!(a["population"], 12345);
    assert_eq!(a["state"], "VT");
    assert_eq!(a["kind"], "city");
    assert_eq!(a["email"], "clerk@town.example.org");
    assert_eq!(a["mailing_address"], "1 Main St\nExample, VT", "line ends normalised");
    let b = env.json(&["agency", "show", "example-county-schools-co", "--format", "json"]);
    assert_eq!(b["kind"], "school_district");
}

#[test]
fn one_bad_row_imports_nothing_and_names_the_line() {
    let env = Env::new();
    let csv = "name,state,email,kind,key\n\
               Good City,CO,records@good.example.org,city,\n\
               Bad Email City,CO,records@,city,\n\
               Nowhere,XX,,city,\n\
               Oddity,TX,,township,\n\
               ,TX,,city,\n\
               Good Town,CO,,city,good-city-co\n";
    let f = env.write("bad.csv", csv);
    let err = env.fails(&["agency", "import", f.to_str().unwrap()], 1);
    assert!(err.contains("nothing was imported"), "{err}");
    // The same with Windows line ends names the same lines.
    let crlf = env.write("bad-crlf.csv", &csv.replace('\n', "\r\n"));
    let err_crlf = env.fails(&["agency", "import", crlf.to_str().unwrap()], 1);
    assert!(
        err_crlf.contains("bad-crlf.csv:3: column 'email'") && err_crlf.contains("bad-crlf.csv:7: column 'key'"),
        "{err_crlf}"
    );
    assert!(err.contains("bad.csv:3: column 'email': invalid email address (value: 'records@')"), "{err}");
    assert!(err.contains("bad.csv:4: column 'state'"), "{err}");
    assert!(err.contains("bad.csv:5: column 'kind'"), "{err}");
    assert!(err.contains("bad.csv:6: column 'name'"), "{err}");
    assert!(err.contains("bad.csv:7: column 'key': duplicate key; line 2 has it already"), "{err}");
    assert_eq!(count(&env), 0);

    let out = env.ok(&["agency", "import", f.to_str().unwrap(), "--skip-invalid"]);
    assert!(out.contains("1 added") && out.contains("5 skipped"), "{out}");
    assert_eq!(count(&env), 1);
}

#[test]
fn dry_run_changes_nothing() {
    let env = Env::new();
    let out = env.ok(&["agency", "import", example_agencies().to_str().unwrap(), "--dry-run"]);
    assert!(out.contains("Would import") && out.contains("90 added"), "{out}");
    assert_eq!(count(&env), 0);
}

#[test]
fn reimport_updates_by_key() {
    let env = Env::new();
    let f = env.write("a.csv", "key,name,state,population\nx-city,X City,CO,100\ny-city,Y City,CO,200\n");
    env.ok(&["agency", "import", f.to_str().unwrap()]);
    let f = env
        .write("a.csv", "key,name,state,population\nx-city,X City,CO,150\ny-city,Y City,CO,200\nz-city,Z City,UT,\n");
    let out = env.ok(&["agency", "import", f.to_str().unwrap()]);
    assert!(out.contains("1 added, 1 updated, 1 unchanged"), "{out}");
    assert_eq!(env.json(&["agency", "show", "x-city", "--format", "json"])["population"], 150);
}

#[test]
fn list_filters_and_formats() {
    let env = Env::new();
    env.ok(&["agency", "import", example_agencies().to_str().unwrap()]);
    let co = env.json(&["agency", "list", "--state", "co", "--format", "json"]);
    assert_eq!(co.as_array().unwrap().len(), 4);
    let schools = env.ok(&["agency", "list", "--kind", "school_district", "--state", "CO", "--format", "csv"]);
    let mut rdr = csv::Reader::from_reader(schools.as_bytes());
    assert_eq!(rdr.headers().unwrap().iter().next(), Some("key"));
    assert_eq!(rdr.records().count(), 3);
    let table = env.ok(&["agency", "list", "--state", "VT"]);
    assert!(table.contains("City of Rutland") && table.contains("KEY"), "{table}");
    env.fails(&["agency", "list", "--state", "QQ"], 1);
}

#[test]
fn add_and_edit_one_agency() {
    let env = Env::new();
    env.ok(&[
        "agency",
        "add",
        "--name",
        "Town of Example",
        "--state",
        "VT",
        "--kind",
        "city",
        "--email",
        "clerk@town.example.org",
    ]);
    let err = env.fails(&["agency", "add", "--name", "Town of Example", "--state", "VT"], 1);
    assert!(err.contains("exists"), "{err}");
    env.ok(&[
        "agency",
        "edit",
        "town-of-example-vt",
        "--email",
        "records@town.example.org",
        "--response-days",
        "5",
        "--day-type",
        "business",
    ]);
    let a = env.json(&["agency", "show", "town-of-example-vt", "--format", "json"]);
    assert_eq!(a["email"], "records@town.example.org");
    assert_eq!(a["response_days"], 5);
    assert_eq!(a["day_type"], "business");
    let err = env.fails(&["agency", "edit", "town-of-example-vt", "--email", "nope"], 1);
    assert!(err.contains("invalid email"), "{err}");
    // An empty value clears an optional field.
    env.ok(&["agency", "edit", "town-of-example-vt", "--email", ""]);
    assert!(env.json(&["agency", "show", "town-of-example-vt", "--format", "json"])["email"].is_null());
    let shown = env.ok(&["agency", "show", "town-of-example-vt"]);
    assert!(shown.contains("Vermont Public Records Act") && shown.contains("5 business days (overrides"), "{shown}");
    env.fails(&["agency", "show", "no-such-agency"], 1);
}
