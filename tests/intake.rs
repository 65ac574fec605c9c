//! Intake (issue 5): replies from mailboxes matched to requests, and spending files ingested.

use std::collections::BTreeMap;

use crate::smtp_server::{Options, SmtpServer};
use crate::util::{Env, code_of, example_agencies};

/// The example campaign, all requests sent by email on 2026-03-02 through a local SMTP server.
fn sent_env() -> (Env, SmtpServer) {
    let mut env = Env::new();
    env.today = "2026-03-02".into();
    env.ok(&["agency", "import", example_agencies().to_str().unwrap()]);
    env.ok(&["config", "set", "requester.name", "Jane Doe"]);
    env.ok(&[
        "campaign",
        "new",
        "amazon-2016",
        "--title",
        "Amazon purchases 2016",
        "--records",
        "All purchases from Amazon in 2016",
        "--period-start",
        "2016-01-01",
        "--period-end",
        "2016-12-31",
        "--code-prefix",
        "AMZ16",
        "--vendor-pattern",
        "amazon|amzn",
    ]);
    env.ok(&["campaign", "add", "amazon-2016", "--all"]);
    let server = SmtpServer::start(Options::default());
    let out = env
        .cmd()
        .env("FOIATRACK_SMTP_URL", server.url())
        .env("FOIATRACK_FROM", "jane@newsroom.example.org")
        .args(["send", "--campaign", "amazon-2016"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    env.today = "2026-03-20".into();
    (env, server)
}

fn message_id_of(env: &Env, code: &str) -> String {
    env.json(&["outbox", "--format", "json"]).as_array().unwrap().iter().find(|o| o["tracking_code"] == code).unwrap()
        ["message_id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn mbox(env: &Env) -> String {
    let dps = code_of(env, "denver-public-schools-co");
    let austin = code_of(env, "city-of-austin-tx");
    let pgh = code_of(env, "city-of-pittsburgh-pa");
    let msg = |from: &str, to: &str, subject: &str, date: &str, extra: &str, body: &str| {
        format!(
            "From {from} Thu Mar 05 10:00:00 2026\nFrom: {from}\nTo: {to}\nSubject: {subject}\nDate: {date}\n{extra}MIME-Version: 1.0\n{body}\n"
        )
    };
    let mut m = String::new();
    // 1. A reply threaded to the request letter: matched by In-Reply-To.
    m += &msg(
        "clerk@elsewhere.example.net",
        "jane@newsroom.example.org",
        "Re: your letter",
        "Thu, 05 Mar 2026 09:00:00 -0700",
        &format!("Message-ID: <reply-1@dps.example.org>\nIn-Reply-To: {}\n", message_id_of(env, &dps)),
        "Content-Type: text/plain\n\nWe have your request and are working on it.\n",
    );
    // 2. The tracking code in the subject, bracketed and spaced, with the evil attachment.
    m += &msg(
        "someone@austin-tx.example.org",
        "jane@newsroom.example.org",
        &format!("RE: [{} ] records", austin.to_lowercase().replace('-', " - ")),
        "Fri, 06 Mar 2026 11:00:00 -0600",
        "Message-ID: <reply-2@austin.example.org>\nContent-Type: multipart/mixed; boundary=\"xyz\"\n",
        "\n--xyz\nContent-Type: text/plain\n\nAttached.\n--xyz\nContent-Type: application/x-sh\nContent-Disposition: attachment; filename=\"../../evil.sh\"\n\necho pwned\n--xyz--\n",
    );
    // 3. A forwarded reply from a personal address: the code is only in the forwarded text.
    m += &msg(
        "deputy.clerk@personal.example.com",
        "jane@newsroom.example.org",
        "Fwd: status",
        "Mon, 09 Mar 2026 08:00:00 -0500",
        "Message-ID: <fwd-3@personal.example.com>\n",
        &format!(
            "Content-Type: text/plain\n\n---------- Forwarded message ---------\nSubject: Public records request {pgh}: Amazon purchases 2016\n\nWe expect to respond next week.\n"
        ),
    );
    // 4. HTML only, from the agency's own address, no code: matched by sender.
    m += &msg(
        "records@seattle-wa.example.org",
        "jane@newsroom.example.org",
        "Your request",
        "Tue, 10 Mar 2026 12:00:00 -0800",
        "Message-ID: <html-4@seattle.example.org>\n",
        "Content-Type: text/html\n\n<html><body><p>We <b>received</b> your request.</p><p>Regards,<br>Records</p></body></html>\n",
    );
    // 5. Nobody we know.
    m += &msg(
        "stranger@nowhere.example.net",
        "jane@newsroom.example.org",
        "A question",
        "Wed, 11 Mar 2026 12:00:00 +0000",
        "Message-ID: <stranger-5@nowhere.example.net>\n",
        "Content-Type: text/plain\n\nWho are you?\n",
    );
    // 6. A plus-address reply with the code in To.
    m += &msg(
        "noreply@portal.example.com",
        &format!("records+{}@newsroom.example.org", code_of(env, "city-of-boston-ma")),
        "Portal notification",
        "Thu, 12 Mar 2026 12:00:00 -0400",
        "Message-ID: <plus-6@portal.example.com>\n",
        "Content-Type: text/plain\n\nYour request has been updated.\n",
    );
    m
}

#[test]
fn mbox_replies_are_matched_each_way_and_kept_when_unmatched() {
    let (env, _server) = sent_env();
    let f = env.write("replies.mbox", &mbox(&env));
    let out = env.json(&["mail", "import", f.to_str().unwrap(), "--format", "json"]);
    let by: BTreeMap<String, (String, String)> = out
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["from"].as_str().unwrap().to_string(),
                (
                    i["tracking_code"].as_str().unwrap_or("").to_string(),
                    i["matched_by"].as_str().unwrap_or("").to_string(),
                ),
            )
        })
        .collect();
    assert_eq!(by["clerk@elsewhere.example.net"], (code_of(&env, "denver-public-schools-co"), "in-reply-to".into()));
    assert_eq!(by["someone@austin-tx.example.org"], (code_of(&env, "city-of-austin-tx"), "tracking-code".into()));
    assert_eq!(
        by["deputy.clerk@personal.example.com"],
        (code_of(&env, "city-of-pittsburgh-pa"), "tracking-code".into())
    );
    assert_eq!(by["records@seattle-wa.example.org"], (code_of(&env, "city-of-seattle-wa"), "sender".into()));
    assert_eq!(by["noreply@portal.example.com"], (code_of(&env, "city-of-boston-ma"), "plus-address".into()));
    assert_eq!(by["stranger@nowhere.example.net"], (String::new(), String::new()));

    // A first reply acknowledges, dated by the message.
    let dps = env.json(&["request", "show", &code_of(&env, "denver-public-schools-co"), "--format", "json"]);
    assert_eq!(dps["status"], "awaiting_response");
    let ack = dps["events"].as_array().unwrap().iter().find(|e| e["kind"] == "acknowledged").unwrap();
    assert_eq!(ack["on"], "2026-03-05");
    // The HTML-only reply is readable text, shown with the request.
    let seattle = env.ok(&["request", "show", &code_of(&env, "city-of-seattle-wa")]);
    assert!(seattle.contains("We received your request."), "{seattle}");
    assert!(!seattle.contains("<b>"), "{seattle}");

    // The unmatched message is kept, and can be assigned.
    let unmatched = env.json(&["mail", "unmatched", "--format", "json"]);
    assert_eq!(unmatched.as_array().unwrap().len(), 1);
    let id = unmatched[0]["id"].to_string();
    let rutland = code_of(&env, "city-of-rutland-vt");
    assert!(env.ok(&["mail", "assign", &id, &rutland]).contains("acknowledged"));
    assert!(env.json(&["mail", "unmatched", "--format", "json"]).as_array().unwrap().is_empty());
    assert_eq!(env.json(&["request", "show", &rutland, "--format", "json"])["status"], "awaiting_response");

    // Importing again changes nothing.
    let again = env.ok(&["mail", "import", f.to_str().unwrap()]);
    assert!(again.contains("0 new (0 unmatched), 6 already imported"), "{again}");
    let events =
        env.json(&["request", "show", &code_of(&env, "denver-public-schools-co"), "--format", "json"])["events"]
            .as_array()
            .unwrap()
            .len();
    assert_eq!(events, 2, "sent and one acknowledgement, not two");
}

#[test]
fn attachments_are_stored_by_hash_never_by_the_senders_name() {
    let (env, _server) = sent_env();
    let f = env.write("replies.mbox", &mbox(&env));
    env.ok(&["mail", "import", f.to_str().unwrap()]);
    let austin = code_of(&env, "city-of-austin-tx");
    let files = env.json(&["request", "files", &austin, "--format", "json"]);
    assert_eq!(files.as_array().unwrap().len(), 1);
    assert_eq!(files[0]["file_name"], "../../evil.sh");
    let sha = files[0]["sha256"].as_str().unwrap();
    let stored = env.dir.path().join("test.files").join(&sha[..2]).join(sha);
    assert_eq!(std::fs::read_to_string(&stored).unwrap().trim(), "echo pwned");
    // Nothing was written under the sender's name, anywhere near the database.
    for dir in [env.dir.path().to_path_buf(), env.dir.path().parent().unwrap().to_path_buf()] {
        assert!(!dir.join("evil.sh").exists());
    }
    let out = env.path("exported.sh");
    env.ok(&["request", "file", &austin, "1", "--out", out.to_str().unwrap()]);
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&stored).unwrap());
    env.fails(&["request", "file", &austin, "2", "--out", out.to_str().unwrap()], 1);
}

#[test]
fn single_eml_and_maildir() {
    let (env, _server) = sent_env();
    let code = code_of(&env, "city-of-chicago-il");
    let raw = format!(
        "From: foia@chicago-il.example.org\nTo: jane@newsroom.example.org\nSubject: {code} extension\nDate: Mon, 09 Mar 2026 10:00:00 -0600\nMessage-ID: <eml-1@chicago.example.org>\n\nWe need more time.\n"
    );
    let eml = env.write("one.eml", &raw);
    let out = env.ok(&["mail", "import", eml.to_str().unwrap()]);
    assert!(out.contains(&format!("{code} by tracking-code")), "{out}");
    let maildir = env.path("Maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let nyc = code_of(&env, "city-of-new-york-ny");
    std::fs::write(
        maildir.join("new/1700000000.1.host"),
        format!("From: records@newyork-ny.example.org\nTo: jane@newsroom.example.org\nSubject: Re: {nyc}\nDate: Tue, 10 Mar 2026 10:00:00 -0400\n\nNo Message-ID here.\n"),
    )
    .unwrap();
    let out = env.ok(&["mail", "import", maildir.to_str().unwrap()]);
    assert!(out.contains(&format!("{nyc} by tracking-code")), "{out}");
    // Without a Message-ID, the content hash keeps a second import from duplicating it.
    let again = env.ok(&["mail", "import", maildir.to_str().unwrap()]);
    assert!(again.contains("1 already imported"), "{again}");
}

/// A deterministic p-card export: (csv text, expected matched total in cents, matched rows,
/// excluded rows).
fn pcard_csv() -> (String, i64, usize, usize) {
    let vendors = [
        ("Amazon.com", true),
        ("AMZN Mktp US", true),
        ("Amazon Marketplace", true),
        ("AmazonPrime Membership", true),
        ("Staples #1234", false),
        ("Office Depot", false),
        ("Home Depot 4410", false),
    ];
    let mut seed: u64 = 2016;
    let mut next = || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        seed >> 33
    };
    let mut out = String::from("Cardholder,Transaction Date,Merchant,Description,Amount\r\n");
    let (mut total, mut matched, mut excluded) = (0i64, 0, 0);
    for i in 0..1375 {
        let (vendor, counts) = vendors[(next() % vendors.len() as u64) as usize];
        let mut cents = 106 + (next() % 232_094) as i64; // $1.06 .. $2,322.00
        let refund = i % 97 == 13;
        if refund {
            cents = -cents;
        }
        let month = 1 + next() % 12;
        let day = 1 + next() % 28;
        let amount = if refund {
            format!("\"({}.{:02})\"", -cents / 100, -cents % 100)
        } else if cents >= 100_000 {
            format!("\"${},{:03}.{:02}\"", cents / 100_000, (cents / 100) % 1000, cents % 100)
        } else {
            format!("{}.{:02}", cents / 100, cents % 100)
        };
        out += &format!("\"Doe, J\",{month}/{day}/2016,{vendor},\"Supplies, misc\",{amount}\r\n");
        if counts {
            total += cents;
            matched += 1;
        } else {
            excluded += 1;
        }
    }
    out += ",,,Total,\r\n";
    (out, total, matched, excluded)
}

#[test]
fn pcard_export_with_mixed_vendor_spellings_and_refunds() {
    let (env, _server) = sent_env();
    let (csv, total, matched, excluded) = pcard_csv();
    let f = env.write("pcard-2016.csv", &csv);
    let code = code_of(&env, "denver-public-schools-co");
    let s = env.json(&["data", "import", &code, f.to_str().unwrap(), "--format", "json"]);
    assert_eq!(s["rows_read"], 1375);
    assert_eq!(s["matched"], matched as i64);
    assert_eq!(s["excluded"], excluded as i64);
    assert_eq!(s["total_matched_cents"], total);
    assert_eq!(s["total_rows_skipped"], 1);
    assert_eq!(s["amount_column"], "Amount (E)");
    assert_eq!(s["vendor_column"], "Merchant (C)");
    let vendors: Vec<&str> = s["vendors"].as_array().unwrap().iter().map(|v| v["vendor"].as_str().unwrap()).collect();
    for v in ["Amazon.com", "AMZN Mktp US", "Amazon Marketplace", "AmazonPrime Membership", "Staples #1234"] {
        assert!(vendors.contains(&v), "{v} in the vendor summary");
    }
    let d = env.json(&["data", "show", &code, "--format", "json"]);
    assert_eq!(d["total_cents"], total);
    assert_eq!(d["transactions"], matched as i64);
    assert_eq!(d["excluded"], excluded as i64);
    assert_eq!(d["sources"][0]["sha256"], s["sha256"]);
    assert!(d["reported_total_cents"].is_null());
    // The source file itself is kept, content-addressed.
    let sha = s["sha256"].as_str().unwrap();
    assert_eq!(std::fs::read_to_string(env.dir.path().join("test.files").join(&sha[..2]).join(sha)).unwrap(), csv);

    // The same file again is refused; --replace replaces its rows in one go.
    let err = env.fails(&["data", "import", &code, f.to_str().unwrap()], 1);
    assert!(err.contains("--replace"), "{err}");
    env.ok(&["data", "import", &code, f.to_str().unwrap(), "--replace"]);
    assert_eq!(env.json(&["data", "show", &code, "--format", "json"])["transactions"], matched as i64);

    // A reported total that differs is shown beside it and flagged.
    env.ok(&["data", "total", &code, "1560726.00", "--year", "2016", "--note", "as published"]);
    let d = env.json(&["data", "show", &code, "--format", "json"]);
    assert_eq!(d["years"][0]["source"], "both");
    assert_eq!(d["years"][0]["differs"], true);
    assert_eq!(d["reported_total_cents"], 156072600);
    assert!(env.ok(&["data", "show", &code]).contains("DIFFER"));
}

#[test]
fn xlsx_with_title_rows_and_date_cells() {
    let (env, _server) = sent_env();
    let path = env.path("purchases.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("FY2016").unwrap();
    let date_fmt = rust_xlsxwriter::Format::new().set_num_format("mm/dd/yyyy");
    ws.write(0, 0, "City of Austin").unwrap();
    ws.write(1, 0, "Purchasing card transactions, calendar 2016").unwrap();
    for (c, h) in ["Posting Date", "Vendor Name", "Item", "Charge"].iter().enumerate() {
        ws.write(3, c as u16, *h).unwrap();
    }
    let rows = [
        ("2016-01-05", "AMZN Mktp US", "Toner", 1234.56),
        ("2016-02-29", "Amazon.com", "Books", 89.5),
        ("2016-07-04", "Staples", "Paper", 40.0),
        ("2016-12-31", "Amazon Marketplace", "Refund", -12.0),
        ("2017-01-02", "Amazon.com", "Late charge", 10.0),
    ];
    for (i, (d, v, item, amt)) in rows.iter().enumerate() {
        let r = 4 + i as u32;
        let date = rust_xlsxwriter::ExcelDateTime::parse_from_str(d).unwrap();
        ws.write_datetime_with_format(r, 0, &date, &date_fmt).unwrap();
        ws.write(r, 1, *v).unwrap();
        ws.write(r, 2, *item).unwrap();
        ws.write(r, 3, *amt).unwrap();
    }
    wb.save(&path).unwrap();
    let code = code_of(&env, "city-of-austin-tx");
    let s = env.json(&["data", "import", &code, path.to_str().unwrap(), "--format", "json"]);
    assert_eq!(s["format"], "xlsx");
    assert_eq!(s["sheet"], "FY2016");
    assert_eq!(s["header_row"], 4);
    assert_eq!(s["matched"], 4);
    assert_eq!(s["excluded"], 1);
    assert_eq!(s["total_matched_cents"], 123456 + 8950 - 1200 + 1000);
    assert_eq!(s["first_date"], "2016-01-05");
    assert_eq!(s["last_date"], "2017-01-02");
    assert_eq!(s["outside_period"], 1, "the 2017 row is flagged");
    let text = env.ok(&["data", "import", &code, path.to_str().unwrap(), "--replace"]);
    assert!(text.contains("outside the campaign period"), "{text}");
}

#[test]
fn windows_1252_semicolon_csv() {
    let (env, _server) = sent_env();
    let mut bytes: Vec<u8> = Vec::new();
    bytes.extend_from_slice(b"Datum;Lieferant;Beschreibung;Betrag\r\n");
    bytes.extend_from_slice(b"Date;Supplier;Memo;Total\r\n");
    bytes.extend_from_slice(b"01/15/2016;Amazon Caf\xe9 \x96 B\xfccher;Books;\"1,234.50\"\r\n");
    bytes.extend_from_slice(b"02/15/2016;Papeterie Fran\xe7aise;Paper;10.00\r\n");
    let f = env.path("cp1252.csv");
    std::fs::write(&f, &bytes).unwrap();
    let code = code_of(&env, "city-of-chicago-il");
    let s = env.json(&["data", "import", &code, f.to_str().unwrap(), "--header-row", "2", "--format", "json"]);
    assert_eq!(s["matched"], 1);
    assert_eq!(s["total_matched_cents"], 123450);
    let vendors: Vec<&str> = s["vendors"].as_array().unwrap().iter().map(|v| v["vendor"].as_str().unwrap()).collect();
    assert!(vendors.contains(&"Amazon Café – Bücher"), "{vendors:?}");
    assert!(vendors.contains(&"Papeterie Française"), "{vendors:?}");
}

#[test]
fn one_bad_amount_fails_the_whole_import() {
    let (env, _server) = sent_env();
    let code = code_of(&env, "city-of-boston-ma");
    let f = env.write(
        "bad.csv",
        "Date,Vendor,Amount\n1/5/2016,Amazon.com,12.00\n1/6/2016,Amazon.com,twelve\n1/7/2016,Amazon.com,3.50\n13/45/2016,Amazon.com,1.00\n",
    );
    let err = env.fails(&["data", "import", &code, f.to_str().unwrap()], 1);
    assert!(err.contains("bad.csv:3: column 'Amount (C)': not an amount of money (value: 'twelve')"), "{err}");
    assert!(err.contains("bad.csv:5: column 'Date (A)': not a date (value: '13/45/2016')"), "{err}");
    assert!(env.json(&["data", "show", &code, "--format", "json"])["total_cents"].is_null(), "nothing imported");
    let dry =
        env.json(&["data", "import", &code, f.to_str().unwrap(), "--skip-invalid", "--dry-run", "--format", "json"]);
    assert_eq!(dry["matched"], 2);
    assert!(env.json(&["data", "show", &code, "--format", "json"])["total_cents"].is_null(), "dry run changes nothing");
    let s = env.json(&["data", "import", &code, f.to_str().unwrap(), "--skip-invalid", "--format", "json"]);
    assert_eq!(s["invalid"], 2);
    assert_eq!(s["total_matched_cents"], 1550);
    assert_eq!(env.json(&["data", "show", &code, "--format", "json"])["total_cents"], 1550);
}

#[test]
fn columns_by_letter_or_name_and_from_an_attachment() {
    let (env, _server) = sent_env();
    let code = code_of(&env, "city-of-atlanta-ga");
    let csv = "Paid On,Who,What,Sum\n2016-03-01,AMZN Mktp US,Cables,19.99\n2016-03-02,Amazon.com,Desk,250.00\n";
    let raw = format!(
        "From: records@atlanta-ga.example.org\nTo: jane@newsroom.example.org\nSubject: {code} records\nDate: Mon, 16 Mar 2026 10:00:00 -0400\nMessage-ID: <att@atl.example.org>\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nSee attached.\n--b\nContent-Type: text/csv\nContent-Disposition: attachment; filename=\"C:\\\\exports\\\\amazon.csv\"\n\n{csv}\n--b--\n"
    );
    let f = env.write("att.eml", &raw);
    env.ok(&["mail", "import", f.to_str().unwrap()]);
    let err = env.fails(&["data", "import", &code, "--attachment", "1"], 1);
    assert!(err.contains("amazon.csv: no header row found") && err.contains("--header-row"), "{err}");
    let err = env.fails(&["data", "import", &code, "--attachment", "1", "--header-row", "1"], 1);
    assert!(err.contains("--date-col") && err.contains("A Paid On, B Who, C What, D Sum"), "{err}");
    let s = env.json(&[
        "data",
        "import",
        &code,
        "--attachment",
        "1",
        "--header-row",
        "1",
        "--date-col",
        "A",
        "--vendor-col",
        "who",
        "--amount-col",
        "D",
        "--format",
        "json",
    ]);
    assert_eq!(s["total_matched_cents"], 26999);
    assert_eq!(s["vendor_column"], "Who (B)");
    let list = env.json(&["data", "list", "--campaign", "amazon-2016", "--format", "json"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["total_cents"], 26999);
}
