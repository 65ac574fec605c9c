//! Hostile spending data: implausible amounts and sums that would overflow, workbooks that
//! declare a sheet of a billion cells, files with no header, and what a refused import leaves
//! behind (nothing). Each drives the real binary on a temporary database.

use std::path::{Path, PathBuf};

use crate::util::Env;

/// One agency, one campaign, one request (`C-0001`), sent.
fn env() -> Env {
    let env = Env::new();
    env.ok(&["agency", "add", "--name", "Town of Example", "--state", "VT", "--email", "clerk@town.example.org"]);
    env.ok(&["campaign", "new", "c", "--title", "Purchases", "--records", "All purchases", "--code-prefix", "C"]);
    env.ok(&["campaign", "add", "c", "--all"]);
    env.ok(&["log", "C-0001", "sent", "--on", "2026-02-02"]);
    env
}

/// Every file and folder under `dir` (hidden ones too), relative, sorted; empty if it is missing.
fn listing(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries {
            let e = e.unwrap();
            let name = format!("{prefix}{}", e.file_name().to_string_lossy());
            out.push(name.clone());
            if e.path().is_dir() {
                walk(&e.path(), &format!("{name}/"), out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    out.sort();
    out
}

/// A file's name: the commands run in the test's folder, so errors name files as given.
fn n(p: &Path) -> &str {
    p.file_name().unwrap().to_str().unwrap()
}

fn store(env: &Env) -> PathBuf {
    env.path("test.files")
}

/// stderr of a command that must fail with exit code 1, checked for database and panic text.
fn refused(env: &Env, args: &[&str]) -> String {
    let err = env.fails(args, 1);
    for bad in ["CHECK constraint", "constraint failed", "integer overflow", "database error", "panicked"] {
        assert!(!err.contains(bad), "{args:?}: {err}");
    }
    err
}

fn nothing_imported(env: &Env) {
    let d = env.json(&["data", "show", "C-0001", "--format", "json"]);
    assert!(d["total_cents"].is_null(), "{d}");
    assert!(d["sources"].as_array().unwrap().is_empty(), "{d}");
}

#[test]
fn amounts_beyond_the_ceiling_are_refused_naming_file_line_column_and_value() {
    let env = env();
    let f = env.write(
        "big.csv",
        "Date,Vendor,Amount\n2016-01-01,Amazon,90000000000000000.00\n2016-01-02,Amazon,90000000000000000.00\n",
    );
    let err = refused(&env, &["data", "import", "C-0001", n(&f)]);
    assert_eq!(
        err,
        "error: 2 invalid rows in big.csv; nothing was imported:\n  \
         big.csv:2: column 'Amount (C)': more than foiatrack accepts for one amount ($10,000,000,000.00) (value: '90000000000000000.00')\n  \
         big.csv:3: column 'Amount (C)': more than foiatrack accepts for one amount ($10,000,000,000.00) (value: '90000000000000000.00')\n"
    );
    nothing_imported(&env);
    assert!(listing(&store(&env)).is_empty(), "nothing stored");
    // The ceiling itself is accepted, in both signs; the reports add such amounts exactly.
    let f = env.write(
        "ceiling.csv",
        "Date,Vendor,Amount\n2016-01-01,Amazon,\"$10,000,000,000.00\"\n2016-01-02,Amazon,10000000000\n2017-01-02,Amazon,(10000000000.00)\n",
    );
    let s = env.json(&["data", "import", "C-0001", n(&f), "--format", "json"]);
    assert_eq!(s["total_matched_cents"], 1_000_000_000_000i64);
    let d = env.json(&["data", "show", "C-0001", "--format", "json"]);
    assert_eq!(d["years"][0]["figure_cents"], 2_000_000_000_000i64);
    assert_eq!(d["years"][1]["figure_cents"], -1_000_000_000_000i64);
    assert_eq!(d["total_cents"], 1_000_000_000_000i64);
    assert!(env.ok(&["data", "show", "C-0001"]).contains("Total:        $10,000,000,000.00"));
    let list = env.json(&["data", "list", "--format", "json"]);
    assert_eq!(list[0]["total_cents"], 1_000_000_000_000i64);
    let r = env.json(&["report", "spending", "--campaign", "c", "--year", "2016", "--format", "json"]);
    assert_eq!(r["sum_cents"], 2_000_000_000_000i64);
}

#[test]
fn xlsx_numbers_beyond_the_ceiling_are_refused_too() {
    let env = env();
    let path = env.path("big.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["Date", "Vendor", "Amount"].iter().enumerate() {
        ws.write(0, c as u16, *h).unwrap();
    }
    ws.write(1, 0, "2016-01-05").unwrap();
    ws.write(1, 1, "Amazon").unwrap();
    ws.write(1, 2, 1e13).unwrap(); // $10 trillion: once slipped past as exact cents
    wb.save(&path).unwrap();
    let err = refused(&env, &["data", "import", "C-0001", n(&path)]);
    assert_eq!(
        err,
        "error: 1 invalid row in big.xlsx; nothing was imported:\n  \
         big.xlsx:2: column 'Amount (C)': more than foiatrack accepts for one amount ($10,000,000,000.00) (value: '10000000000000')\n"
    );
    nothing_imported(&env);
}

#[test]
fn data_total_refuses_what_it_cannot_hold_in_one_sentence() {
    let env = env();
    let err = refused(&env, &["data", "total", "C-0001", "92233720368547758.07", "--year", "2016"]);
    assert_eq!(
        err,
        "error: '92233720368547758.07' is more than foiatrack accepts for one amount ($10,000,000,000.00)\n"
    );
    let err = refused(&env, &["data", "total", "C-0001", "99999999999999999999999999", "--year", "2016"]);
    assert_eq!(
        err,
        "error: '99999999999999999999999999' is more than foiatrack accepts for one amount ($10,000,000,000.00)\n"
    );
    let err = refused(&env, &["data", "total", "C-0001", "12.345", "--year", "2016"]);
    assert_eq!(err, "error: '12.345' has fractions of a cent\n");
    let err = refused(&env, &["data", "total", "C-0001", "100.00", "--year", "0"]);
    assert_eq!(err, "error: --year 0 is out of range: give a year from 1900 to 2199\n");
    let err = refused(&env, &["data", "total", "C-0001", "100.00", "--year=-5"]);
    assert_eq!(err, "error: --year -5 is out of range: give a year from 1900 to 2199\n");
    let err = refused(&env, &["data", "total", "C-0001", "100.00", "--year", "2200"]);
    assert_eq!(err, "error: --year 2200 is out of range: give a year from 1900 to 2199\n");
    nothing_imported(&env);
    // Two years at the ceiling add up exactly.
    env.ok(&["data", "total", "C-0001", "10000000000.00", "--year", "2016"]);
    env.ok(&["data", "total", "C-0001", "10000000000.00", "--year", "2017"]);
    let d = env.json(&["data", "show", "C-0001", "--format", "json"]);
    assert_eq!(d["total_cents"], 2_000_000_000_000i64);
    assert_eq!(d["reported_total_cents"], 2_000_000_000_000i64);
}

#[test]
fn a_database_holding_overflowing_amounts_is_refused_in_words_not_wrapped() {
    // Amounts an older foiatrack let in: the sum of two is beyond an i64 of cents.
    let env = env();
    let f = env.write("ok.csv", "Date,Vendor,Amount\n2016-01-01,Amazon,1.00\n");
    env.ok(&["data", "import", "C-0001", n(&f)]);
    let conn = rusqlite::Connection::open(&env.db).unwrap();
    conn.execute(
        "INSERT INTO transactions (source_id, row_number, txn_date, amount_cents, vendor)
         VALUES (1, 3, '2016-02-02', 9000000000000000000, 'Amazon'), (1, 4, '2016-02-03', 9000000000000000000, 'Amazon')",
        [],
    )
    .unwrap();
    drop(conn);
    let sentence = "error: C-0001: the counted transactions for 2016 add up to more than foiatrack can count \
                    ($92,233,720,368,547,758.07); its data holds amounts no import accepts today (each at most $10,000,000,000.00)\n";
    for args in [
        &["data", "show", "C-0001"][..],
        &["data", "list"],
        &["report", "spending", "--campaign", "c"],
        &["report", "spending", "--campaign", "c", "--format", "json"],
    ] {
        assert_eq!(refused(&env, args), sentence, "{args:?}");
    }
    // Another import cannot add to it either.
    let f = env.write("more.csv", "Date,Vendor,Amount\n2016-03-01,Amazon,2.00\n");
    let err = refused(&env, &["data", "import", "C-0001", n(&f)]);
    assert_eq!(
        err,
        "error: more.csv: with it, C-0001's counted amounts for 2016 add up to more than foiatrack can count \
         ($92,233,720,368,547,758.07); nothing was imported\n"
    );
}

#[test]
fn sums_across_agencies_that_overflow_are_refused_in_words() {
    let env = env();
    env.ok(&["agency", "add", "--name", "City of Sample", "--state", "VT", "--email", "clerk@sample.example.org"]);
    env.ok(&["campaign", "add", "c", "--all"]);
    for code in ["C-0001", "C-0002"] {
        let f = env.write(&format!("{code}.csv"), "Date,Vendor,Amount\n2016-01-01,Amazon,1.00\n");
        env.ok(&["data", "import", code, n(&f)]);
    }
    let conn = rusqlite::Connection::open(&env.db).unwrap();
    conn.execute("UPDATE transactions SET amount_cents = 9000000000000000000", []).unwrap();
    drop(conn);
    // Each agency's figure fits; their sum does not.
    assert_eq!(env.json(&["data", "show", "C-0002", "--format", "json"])["total_cents"], 9_000_000_000_000_000_000i64);
    let err = refused(&env, &["report", "spending", "--campaign", "c"]);
    assert_eq!(
        err,
        "error: the figures of campaign 'c' add up to more than foiatrack can count ($92,233,720,368,547,758.07)\n"
    );
}

/// A workbook with a header at A1 and one value in the last cell Excel has, XFD1048576: read
/// as a range, calamine would allocate 1,048,576 x 16,384 cells (about 512 GiB).
fn bomb(env: &Env, name: &str) -> PathBuf {
    let path = env.path(name);
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Data").unwrap();
    for (c, h) in ["Date", "Vendor", "Amount"].iter().enumerate() {
        ws.write(0, c as u16, *h).unwrap();
    }
    ws.write(1_048_575, 16_383, "boom").unwrap();
    wb.save(&path).unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() < 10_000, "a small file");
    path
}

const BOMB_SENTENCE: &str = "sheet 'Data' has a value in cell XFD1048576 (column 16384, row 1048576), beyond the 256 \
     columns and 1,048,576 rows foiatrack reads; copy the columns you need to a new sheet or a CSV file\n";

#[test]
fn an_xlsx_bomb_is_refused_without_allocating_it() {
    let env = env();
    let path = bomb(&env, "bomb.xlsx");
    let err = refused(&env, &["data", "import", "C-0001", n(&path)]);
    assert_eq!(err, format!("error: bomb.xlsx: {BOMB_SENTENCE}"));
    let err = refused(&env, &["data", "import", "C-0001", n(&path), "--sheet", "Data", "--dry-run"]);
    assert_eq!(err, format!("error: bomb.xlsx: {BOMB_SENTENCE}"));
    nothing_imported(&env);
    assert!(listing(&store(&env)).is_empty());

    // The bomb's value alone, no header: refused the same way.
    let path = env.path("lone.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet().set_name("Data").unwrap().write(1_048_575, 16_383, 1).unwrap();
    wb.save(&path).unwrap();
    assert_eq!(refused(&env, &["data", "import", "C-0001", n(&path)]), format!("error: lone.xlsx: {BOMB_SENTENCE}"));
}

#[test]
fn an_xlsx_bomb_sent_as_an_attachment_is_refused_too() {
    let env = env();
    let bytes = std::fs::read(bomb(&env, "bomb.xlsx")).unwrap();
    let raw = format!(
        "From: clerk@town.example.org\nTo: jane@newsroom.example.org\nSubject: C-0001 records\n\
         Date: Mon, 16 Mar 2026 10:00:00 -0400\nMessage-ID: <bomb@town.example.org>\n\
         Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nAttached.\n--b\n\
         Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\n\
         Content-Disposition: attachment; filename=\"purchases.xlsx\"\nContent-Transfer-Encoding: base64\n\n{}\n--b--\n",
        base64(&bytes)
    );
    let eml = env.write("reply.eml", &raw);
    env.ok(&["mail", "import", eml.to_str().unwrap()]);
    let before = listing(&store(&env));
    assert_eq!(before.len(), 2, "the attachment is stored: {before:?}");
    let err = refused(&env, &["data", "import", "C-0001", "--attachment", "1"]);
    assert_eq!(err, format!("error: purchases.xlsx: {BOMB_SENTENCE}"));
    assert_eq!(listing(&store(&env)), before);
    nothing_imported(&env);
}

#[test]
fn a_wide_but_bounded_sheet_streams_and_imports() {
    // A value in the last column read (IV) on Excel's last row: fine, one row at a time.
    let env = env();
    let path = env.path("tall.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["Date", "Vendor", "Amount"].iter().enumerate() {
        ws.write(2, c as u16, *h).unwrap();
    }
    ws.write(0, 0, "Town of Example: purchases").unwrap();
    ws.write(3, 0, "2016-01-05").unwrap();
    ws.write(3, 1, "Amazon").unwrap();
    ws.write(3, 2, 12.5).unwrap();
    ws.write(1_048_575, 0, "2016-12-31").unwrap();
    ws.write(1_048_575, 1, "Amazon").unwrap();
    ws.write(1_048_575, 2, 1).unwrap();
    ws.write(1_048_575, 255, "a note in column IV").unwrap();
    wb.save(&path).unwrap();
    let s = env.json(&["data", "import", "C-0001", n(&path), "--format", "json"]);
    assert_eq!(s["header_row"], 3);
    assert_eq!(s["total_matched_cents"], 1350);
    assert_eq!(s["rows_read"], 2, "{s}");
    assert_eq!(s["last_date"], "2016-12-31");
}

#[test]
fn a_refused_import_leaves_the_files_folder_exactly_as_it_was() {
    let env = env();
    let good = env.write("good.csv", "Date,Vendor,Amount\n2016-01-01,Amazon,1.00\n");
    env.ok(&["data", "import", "C-0001", n(&good)]);
    let before = listing(&store(&env));
    assert_eq!(before.len(), 2, "{before:?}");
    let bad_row = env.write("bad.csv", "Date,Vendor,Amount\n2016-01-01,Amazon,twelve\n");
    let big = env.write("big.csv", "Date,Vendor,Amount\n2016-01-01,Amazon,90000000000000000.00\n");
    let no_header = env.write("noheader.csv", &"a,b,c\n".repeat(60));
    let bomb = bomb(&env, "bomb.xlsx");
    let not_xlsx = env.path("fake.xlsx");
    std::fs::write(&not_xlsx, b"PK\x03\x04 this is no zip at all").unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec!["data", "import", "C-0001", n(&bad_row)],
        vec!["data", "import", "C-0001", n(&big)],
        vec!["data", "import", "C-0001", n(&no_header)],
        vec!["data", "import", "C-0001", n(&bomb)],
        vec!["data", "import", "C-0001", n(&not_xlsx)],
        vec!["data", "import", "C-0001", n(&good)], // already imported
        vec!["data", "import", "C-0001", n(&bad_row), "--header-row", "5"],
        vec!["data", "import", "C-0001", n(&bad_row), "--date-col", "Z"],
        vec!["data", "import", "C-0001", n(&bad_row), "--vendor-pattern", "("],
        vec!["data", "import", "C-9999", n(&bad_row)],
    ];
    for args in &cases {
        refused(&env, args);
        assert_eq!(listing(&store(&env)), before, "{args:?} left something behind");
    }
    // Sixteen refused tries: still one file.
    for _ in 0..16 {
        refused(&env, &["data", "import", "C-0001", n(&big)]);
    }
    assert_eq!(listing(&store(&env)), before);
    // A dry run stores nothing either.
    let other = env.write("other.csv", "Date,Vendor,Amount\n2016-01-02,Amazon,2.00\n");
    env.ok(&["data", "import", "C-0001", n(&other), "--dry-run"]);
    assert_eq!(listing(&store(&env)), before);
    // And a fresh database whose folder does not exist yet: it still does not.
    let fresh = self::env();
    refused(&fresh, &["data", "import", "C-0001", n(&big)]);
    assert!(!store(&fresh).exists(), "{:?}", listing(&store(&fresh)));
    // A good import after all that stores its file, under its hash, with no temporary beside it.
    env.ok(&["data", "import", "C-0001", n(&other)]);
    let after = listing(&store(&env));
    assert_eq!(after.len(), 4, "{after:?}");
    assert!(after.iter().all(|p| !p.contains(".tmp")), "{after:?}");
}

#[test]
fn a_file_with_no_header_is_refused_after_50_rows_or_1_mib() {
    let env = env();
    let rows = env.write("rows.csv", &"Some title,with,commas\n".repeat(60));
    assert_eq!(
        refused(&env, &["data", "import", "C-0001", n(&rows)]),
        "error: rows.csv: no header row found in the first 50 rows or 1 MiB (looked for columns such as date, amount, vendor); give it with --header-row N\n"
    );
    // Twenty rows of 64 KiB: more than 1 MiB before row 50.
    let line = format!("{},x\n", "y".repeat(64 * 1024));
    let wide = env.write("wide.csv", &line.repeat(20));
    assert_eq!(
        refused(&env, &["data", "import", "C-0001", n(&wide)]),
        "error: wide.csv: no header row found in the first 50 rows or 1 MiB (looked for columns such as date, amount, vendor); give it with --header-row N\n"
    );
    assert_eq!(
        refused(&env, &["data", "import", "C-0001", n(&rows), "--header-row", "0"]),
        "error: --header-row 0 is not a row: rows are numbered from 1\n"
    );
    assert_eq!(
        refused(&env, &["data", "import", "C-0001", n(&rows), "--header-row", "100"]),
        "error: rows.csv: the file has no row 100 with a value\n"
    );
    nothing_imported(&env);
}

/// Peak memory (KiB) of one run of foiatrack, and its stderr. The child is reaped with `wait4`
/// (which reports its own peak alone), not `Child::wait`.
#[allow(clippy::zombie_processes)]
fn peak_kib(env: &Env, args: &[&str]) -> (i64, String) {
    use std::os::unix::process::ExitStatusExt;
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("foiatrack"))
        .args(args)
        .env("FOIATRACK_DB", &env.db)
        .env("FOIATRACK_TODAY", &env.today)
        .current_dir(env.dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut stderr = child.stderr.unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut err).unwrap();
    let mut status = 0;
    // SAFETY: plain wait4 on our own child, into locals.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid);
    assert!(!std::process::ExitStatus::from_raw(status).success());
    (usage.ru_maxrss, err)
}

#[test]
fn a_headerless_file_with_one_huge_line_is_refused_in_bounded_memory() {
    let env = env();
    // 64 MiB with no line break: the CSV reader once buffered all of it (and twice over).
    let path = env.path("huge.csv");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let block = vec![b'z'; 1 << 20];
        for _ in 0..64 {
            f.write_all(&block).unwrap();
        }
    }
    let (kib, err) = peak_kib(&env, &["data", "import", "C-0001", n(&path)]);
    assert_eq!(
        err,
        "error: huge.csv: the row starting on line 1 is longer than 1 MiB, far longer than any spending record; is this the right file?\n"
    );
    assert!(kib < 48 * 1024, "peak memory {kib} KiB for a refused 64 MiB file");
    assert!(listing(&store(&env)).is_empty());
}

#[test]
fn dates_beyond_the_accepted_range_are_named() {
    let env = env();
    let f = env.write("dates.csv", "Date,Vendor,Amount\n9999-01-01,Amazon,1.00\n2016-01-01,Amazon,-5.00\n");
    let err = refused(&env, &["data", "import", "C-0001", n(&f)]);
    assert_eq!(
        err,
        "error: 1 invalid row in dates.csv; nothing was imported:\n  \
         dates.csv:2: column 'Date (A)': outside the dates foiatrack accepts (1900-01-01 to 2199-12-31) (value: '9999-01-01')\n"
    );
    // A refund (a negative amount) is a transaction like any other.
    let s = env.json(&["data", "import", "C-0001", n(&f), "--skip-invalid", "--format", "json"]);
    assert_eq!(s["total_matched_cents"], -500);
}

/// Standard base64 with line breaks, for a MIME attachment.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (i, chunk) in bytes.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push('\n');
        }
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for j in 0..4 {
            if j <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * j) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

enum XlsCell {
    Text(&'static str),
    Number(f64),
}

/// A minimal XLS workbook (BIFF8 in an OLE compound file) with one sheet, 'Data': its cells, its
/// declared DIMENSIONS (first row, last row + 1, first column, last column + 1), and, when
/// `looping`, a directory whose sector chain points back at itself.
fn xls(cells: &[(u16, u16, XlsCell)], dims: (u32, u32, u16, u16), looping: bool) -> Vec<u8> {
    fn record(out: &mut Vec<u8>, t: u16, data: &[u8]) {
        out.extend_from_slice(&t.to_le_bytes());
        out.extend_from_slice(&(data.len() as u16).to_le_bytes());
        out.extend_from_slice(data);
    }
    let bof = |dt: u16| {
        let mut d = vec![0u8; 16];
        d[..2].copy_from_slice(&0x0600u16.to_le_bytes());
        d[2..4].copy_from_slice(&dt.to_le_bytes());
        d
    };
    let mut globals = Vec::new();
    record(&mut globals, 0x0809, &bof(0x0005));
    let boundsheet_at = globals.len();
    record(&mut globals, 0x0085, &[0, 0, 0, 0, 0, 0, 4, 0, b'D', b'a', b't', b'a']);
    record(&mut globals, 0x000A, &[]);
    let sheet_pos = globals.len() as u32;
    globals[boundsheet_at + 4..boundsheet_at + 8].copy_from_slice(&sheet_pos.to_le_bytes());
    let mut stream = globals;
    record(&mut stream, 0x0809, &bof(0x0010));
    let mut d = Vec::new();
    d.extend_from_slice(&dims.0.to_le_bytes());
    d.extend_from_slice(&dims.1.to_le_bytes());
    d.extend_from_slice(&dims.2.to_le_bytes());
    d.extend_from_slice(&dims.3.to_le_bytes());
    d.extend_from_slice(&[0, 0]);
    record(&mut stream, 0x0200, &d);
    for (r, c, v) in cells {
        let mut d = Vec::new();
        d.extend_from_slice(&r.to_le_bytes());
        d.extend_from_slice(&c.to_le_bytes());
        d.extend_from_slice(&[0, 0]);
        match v {
            XlsCell::Text(t) => {
                d.extend_from_slice(&(t.len() as u16).to_le_bytes());
                d.push(0);
                d.extend_from_slice(t.as_bytes());
                record(&mut stream, 0x0204, &d);
            }
            XlsCell::Number(f) => {
                d.extend_from_slice(&f.to_le_bytes());
                record(&mut stream, 0x0203, &d);
            }
        }
    }
    record(&mut stream, 0x000A, &[]);
    // At least 4096 bytes, so the stream lives in ordinary sectors; nothing reads past its EOF.
    stream.resize(stream.len().max(4096).div_ceil(512) * 512, 0);
    let sectors = stream.len() / 512;
    const END: u32 = 0xFFFF_FFFE;
    const FREE: u32 = 0xFFFF_FFFF;
    let mut header = vec![0u8; 512];
    header[..8].copy_from_slice(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");
    header[24..26].copy_from_slice(&0x3Eu16.to_le_bytes());
    header[26..28].copy_from_slice(&3u16.to_le_bytes());
    header[28..30].copy_from_slice(&0xFFFEu16.to_le_bytes());
    header[30..32].copy_from_slice(&9u16.to_le_bytes());
    header[32..34].copy_from_slice(&6u16.to_le_bytes());
    header[44..48].copy_from_slice(&1u32.to_le_bytes()); // one FAT sector
    header[48..52].copy_from_slice(&1u32.to_le_bytes()); // the directory in sector 1
    header[56..60].copy_from_slice(&4096u32.to_le_bytes());
    header[60..64].copy_from_slice(&END.to_le_bytes());
    header[68..72].copy_from_slice(&END.to_le_bytes());
    for i in 0..109 {
        let v = if i == 0 { 0 } else { FREE };
        header[76 + 4 * i..80 + 4 * i].copy_from_slice(&v.to_le_bytes());
    }
    let mut fat = vec![FREE; 128];
    fat[0] = 0xFFFF_FFFD; // the FAT itself
    fat[1] = if looping { 1 } else { END };
    for i in 0..sectors {
        fat[2 + i] = if i + 1 == sectors { END } else { (3 + i) as u32 };
    }
    let mut dir = vec![0u8; 512];
    let entry = |dir: &mut Vec<u8>, at: usize, name: &str, kind: u8, child: u32, start: u32, size: u32| {
        let e = &mut dir[at * 128..(at + 1) * 128];
        for (i, u) in name.encode_utf16().enumerate() {
            e[2 * i..2 * i + 2].copy_from_slice(&u.to_le_bytes());
        }
        e[64..66].copy_from_slice(&(((name.len() + 1) * 2) as u16).to_le_bytes());
        e[66] = kind;
        e[67] = 1;
        e[68..72].copy_from_slice(&FREE.to_le_bytes());
        e[72..76].copy_from_slice(&FREE.to_le_bytes());
        e[76..80].copy_from_slice(&child.to_le_bytes());
        e[116..120].copy_from_slice(&start.to_le_bytes());
        e[120..124].copy_from_slice(&size.to_le_bytes());
    };
    entry(&mut dir, 0, "Root Entry", 5, 1, END, 0);
    entry(&mut dir, 1, "Workbook", 2, FREE, 2, stream.len() as u32);
    let mut out = header;
    out.extend(fat.iter().flat_map(|v| v.to_le_bytes()));
    out.extend(dir);
    out.extend(stream);
    out
}

fn xls_rows() -> Vec<(u16, u16, XlsCell)> {
    vec![
        (0, 0, XlsCell::Text("Date")),
        (0, 1, XlsCell::Text("Vendor")),
        (0, 2, XlsCell::Text("Amount")),
        (1, 0, XlsCell::Text("2016-01-05")),
        (1, 1, XlsCell::Text("Amazon")),
        (1, 2, XlsCell::Number(12.5)),
    ]
}

#[test]
fn an_xls_workbook_is_checked_before_it_is_read_whole() {
    let env = env();
    // A plain one imports.
    let ok = env.path("ok.xls");
    std::fs::write(&ok, xls(&xls_rows(), (0, 2, 0, 3), false)).unwrap();
    let s = env.json(&["data", "import", "C-0001", n(&ok), "--dry-run", "--format", "json"]);
    assert_eq!((s["format"].as_str(), s["sheet"].as_str()), (Some("xls"), Some("Data")));
    assert_eq!(s["total_matched_cents"], 1250);

    // A value in the last cell an XLS sheet has: calamine would hold 16,777,216 cells (512 MiB).
    let mut cells = xls_rows();
    cells.push((65_535, 255, XlsCell::Number(1.0)));
    let bomb = env.path("bomb.xls");
    std::fs::write(&bomb, xls(&cells, (0, 2, 0, 3), false)).unwrap();
    assert_eq!(
        refused(&env, &["data", "import", "C-0001", n(&bomb)]),
        "error: bomb.xls: sheet 'Data' spans A1:IV65536 (65,536 rows x 256 columns), more than the 4,194,304 cells \
         foiatrack reads from an XLS workbook (at most 65,536 rows and 256 columns); save it as XLSX or CSV\n"
    );
    // Declared dimensions of four billion rows: calamine would reserve them.
    let declared = env.path("declared.xls");
    std::fs::write(&declared, xls(&xls_rows(), (0, u32::MAX, 0, 3), false)).unwrap();
    assert_eq!(
        refused(&env, &["data", "import", "C-0001", n(&declared)]),
        "error: declared.xls: sheet 'Data' declares A1:C4294967295 (4,294,967,295 rows x 3 columns), more than the \
         4,194,304 cells foiatrack reads from an XLS workbook (at most 65,536 rows and 256 columns); save it as XLSX or CSV\n"
    );
    // A directory whose chain of sectors loops: calamine would read it forever.
    let looping = env.path("loop.xls");
    std::fs::write(&looping, xls(&xls_rows(), (0, 2, 0, 3), true)).unwrap();
    assert_eq!(
        refused(&env, &["data", "import", "C-0001", n(&looping)]),
        "error: loop.xls: the workbook is damaged (a chain of sectors loops); open it in a spreadsheet program and save it as XLSX\n"
    );
    nothing_imported(&env);
    assert!(listing(&store(&env)).is_empty());
}

mod damaged_xls {
    use proptest::prelude::*;

    use super::{XlsCell, xls, xls_rows};

    fn read(bytes: &[u8]) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.xls");
        std::fs::write(&path, bytes).unwrap();
        let _ = foiatrack::ops::data::read_rows(&path, "f.xls", None, &mut |_, cells| {
            assert!(cells.len() <= 256);
            Ok(())
        });
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// An XLS has no checksums: changed bytes reach every part of the reader. Errors are
        /// fine; a panic or an abort is not.
        #[test]
        fn the_xls_reader_survives_changed_bytes(
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16),
            big in any::<bool>(),
        ) {
            let mut cells = xls_rows();
            if big {
                cells.push((300, 40, XlsCell::Number(2.0)));
            }
            let mut bytes = xls(&cells, (0, 2, 0, 3), false);
            for (at, b) in flips {
                let i = at.index(bytes.len());
                bytes[i] = b;
            }
            read(&bytes);
        }

        /// The same, with the changes where the structure is: header, FAT, directory, records.
        #[test]
        fn the_xls_reader_survives_changed_structure(
            flips in proptest::collection::vec((0usize..1700, any::<u8>()), 1..8),
        ) {
            let mut bytes = xls(&xls_rows(), (0, 2, 0, 3), false);
            for (i, b) in flips {
                bytes[i] = b;
            }
            read(&bytes);
        }
    }
}
