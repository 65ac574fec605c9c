//! Imports large enough to cross the import's internal batches (thousands of rows per batch, a
//! reading thread and a writing one): every row lands once with its provenance, a bad row deep
//! in the file still refuses the whole file, and the kept copy is the file byte for byte.

use std::fmt::Write as _;

use crate::util::Env;

/// One agency, one Amazon campaign, one request (`B-0001`), sent.
fn env() -> Env {
    let env = Env::new();
    env.ok(&["agency", "add", "--name", "Town of Example", "--state", "VT", "--email", "clerk@town.example.org"]);
    env.ok(&[
        "campaign",
        "new",
        "b",
        "--title",
        "Purchases",
        "--records",
        "All purchases",
        "--code-prefix",
        "B",
        "--vendor-pattern",
        "amazon|amzn",
    ]);
    env.ok(&["campaign", "add", "b", "--all"]);
    env.ok(&["log", "B-0001", "sent", "--on", "2026-02-02"]);
    env
}

const VENDORS: [&str; 3] = ["Amazon.com", "Staples", "AMZN Mktp US"];

/// A p-card export of `rows` rows with CRLF line ends (row i is on line i + 2); returns the text
/// and the matched rows and cents.
fn pcard(rows: usize) -> (String, usize, i64) {
    let mut out = String::from("Cardholder,Transaction Date,Merchant,Description,Amount\r\n");
    let (mut matched, mut cents) = (0, 0i64);
    for i in 0..rows {
        let amount = 100 + (i as i64 * 7919) % 50_000;
        let vendor = VENDORS[i % 3];
        // Every 7th row without a description, every 11th with a quoted comma.
        let description = match i {
            _ if i % 7 == 0 => String::new(),
            _ if i % 11 == 0 => "\"Paper, copier\"".to_string(),
            _ => format!("Item {i}"),
        };
        write!(
            out,
            "Card {},{}/{}/2016,{vendor},{description},{}.{:02}\r\n",
            i % 40,
            1 + i % 12,
            1 + i % 28,
            amount / 100,
            amount % 100
        )
        .unwrap();
        if vendor != "Staples" {
            matched += 1;
            cents += amount;
        }
    }
    (out, matched, cents)
}

fn db(env: &Env) -> rusqlite::Connection {
    rusqlite::Connection::open(&env.db).unwrap()
}

#[test]
fn a_large_csv_lands_every_row_once_with_its_provenance() {
    let env = env();
    let rows = 30_000;
    let (csv, matched, cents) = pcard(rows);
    let f = env.write("pcard.csv", &csv);
    let s = env.json(&["data", "import", "B-0001", f.to_str().unwrap(), "--format", "json"]);
    assert_eq!(s["rows_read"], rows);
    assert_eq!(s["matched"], matched);
    assert_eq!(s["excluded"], rows - matched);
    assert_eq!(s["total_matched_cents"], cents);
    assert_eq!(s["header_row"], 1);
    let sha = foiatrack::store::files::sha256_hex(csv.as_bytes());
    assert_eq!(s["sha256"], sha.as_str());
    // The kept copy is the file, byte for byte, and nothing else is in the files folder.
    let kept = env.path("test.files").join(&sha[..2]).join(&sha);
    assert_eq!(std::fs::read(&kept).unwrap(), csv.as_bytes());
    assert_eq!(std::fs::read_dir(env.path("test.files")).unwrap().count(), 1);

    let conn = db(&env);
    let (n, distinct, first, last): (i64, i64, i64, i64) = conn
        .query_row(
            "SELECT COUNT(*), COUNT(DISTINCT row_number), MIN(row_number), MAX(row_number) FROM transactions",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!((n, distinct, first, last), (rows as i64, rows as i64, 2, rows as i64 + 1));
    let source: (String, String, i64, String) = conn
        .query_row("SELECT sha256, file_name, rows_read, format FROM data_sources", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap();
    assert_eq!(source, (sha.clone(), f.to_str().unwrap().to_string(), rows as i64, "csv".to_string()));
    // Rows as the file has them: the last row (i = 29,999), one without a description, one
    // with a quoted comma, and a vendor the pattern excludes, with why.
    let row = |line: i64| -> (String, i64, String, Option<String>, Option<String>) {
        conn.query_row(
            "SELECT txn_date, amount_cents, vendor, description, excluded_reason FROM transactions WHERE row_number = ?1",
            [line],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap()
    };
    let amount = |i: i64| 100 + (i * 7919) % 50_000;
    assert_eq!(
        row(30_001),
        ("2016-12-12".into(), amount(29_999), "AMZN Mktp US".into(), Some("Item 29999".into()), None)
    );
    assert_eq!(row(2), ("2016-01-01".into(), amount(0), "Amazon.com".into(), None, None));
    assert_eq!(row(35), ("2016-10-06".into(), amount(33), "Amazon.com".into(), Some("Paper, copier".into()), None));
    assert_eq!(
        row(3),
        (
            "2016-02-02".into(),
            amount(1),
            "Staples".into(),
            Some("Item 1".into()),
            Some("vendor 'Staples' does not match /amazon|amzn/".into())
        )
    );
    let d = env.json(&["data", "show", "B-0001", "--format", "json"]);
    assert_eq!(d["total_cents"], cents);
    assert_eq!(d["transactions"], matched);
}

#[test]
fn a_bad_row_deep_in_a_large_file_refuses_the_whole_file() {
    let env = env();
    let (mut csv, matched, cents) = pcard(30_000);
    // Line 25,001 (row 24,999, an Amazon.com row) gets an amount with a fraction of a cent.
    let line = csv.split("\r\n").nth(25_000).unwrap().to_string();
    assert!(line.starts_with("Card 39,4/24/2016,Amazon.com,"), "{line}");
    let bad = format!("{},12.345", line.rsplit_once(',').unwrap().0);
    csv = csv.replacen(&format!("{line}\r\n"), &format!("{bad}\r\n"), 1);
    let f = env.write("late.csv", &csv);
    let err = env.fails(&["data", "import", "B-0001", "late.csv"], 1);
    assert_eq!(
        err,
        "error: 1 invalid row in late.csv; nothing was imported:\n  late.csv:25001: column 'Amount (E)': has fractions of a cent (value: '12.345')\n"
    );
    let conn = db(&env);
    let count =
        |table: &str| -> i64 { conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0)).unwrap() };
    assert_eq!((count("transactions"), count("data_sources"), count("files")), (0, 0, 0));
    assert!(!env.path("test.files").exists() || std::fs::read_dir(env.path("test.files")).unwrap().count() == 0);

    // With --skip-invalid the other rows are imported.
    let s = env.json(&["data", "import", "B-0001", f.to_str().unwrap(), "--skip-invalid", "--format", "json"]);
    assert_eq!(s["invalid"], 1);
    assert_eq!(s["matched"], matched - 1);
    assert_eq!(s["total_matched_cents"], cents - (100 + (24_999 * 7919) % 50_000));
    assert_eq!(count("transactions"), 29_999);
}
