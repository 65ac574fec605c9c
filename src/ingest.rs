//! Spending data: the files agencies return (CSV, XLSX, XLS) read into transactions with
//! provenance, filtered by the campaign's vendor pattern, and the totals agencies report.
//!
//! CSV is streamed: rows are checked and written inside one transaction as they are read, so
//! memory does not grow with the file; any bad row rolls the whole import back.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use chrono::{Datelike, Duration, NaiveDate};
use regex::{Regex, RegexBuilder};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::RowProblem;
use crate::files::{FileStore, hash_file};
use crate::{Error, Result, money, request};

/// One cell as read from a file.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    /// A spreadsheet number cell.
    Number(f64),
    /// A spreadsheet date cell.
    Date(NaiveDate),
}

impl Cell {
    fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Text(s) => Cow::Borrowed(s.trim()),
            Cell::Number(n) => Cow::Owned(n.to_string()),
            Cell::Date(d) => Cow::Owned(d.to_string()),
        }
    }
    fn is_empty(&self) -> bool {
        self.text().is_empty()
    }
}

/// Parses the dates agencies write: ISO, m/d/yyyy, m/d/yy, "Jan 5, 2016", Excel serials.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(n) = s.parse::<f64>() {
        // An Excel serial day number (1900 system), in a plausible range.
        if n.fract() == 0.0 && (20_000.0..=80_000.0).contains(&n) {
            return NaiveDate::from_ymd_opt(1899, 12, 30).map(|d| d + Duration::days(n as i64));
        }
        return None;
    }
    if let Some(d) = quick_date(s) {
        return Some(d);
    }
    const FORMATS: &[&str] = &[
        "%Y-%m-%d",
        "%m/%d/%Y",
        "%m/%d/%y",
        "%b %d, %Y",
        "%B %d, %Y",
        "%b %d %Y",
        "%B %d %Y",
        "%d-%b-%Y",
        "%d-%b-%y",
        "%Y/%m/%d",
        "%m-%d-%Y",
        "%d %b %Y",
        "%d %B %Y",
    ];
    let candidates = [s, s.split(['T', ' ']).next().unwrap_or(s)];
    for c in candidates {
        for f in FORMATS {
            if let Ok(d) = NaiveDate::parse_from_str(c, f) {
                // A four-digit-year format must not read "16" as the year 16.
                if f.contains("%Y") && d.year() < 1000 {
                    continue;
                }
                if f.contains("%y") && c.split(['/', '-']).next_back().is_some_and(|y| y.len() != 2) {
                    continue;
                }
                return Some(d);
            }
        }
    }
    // "1/5/2016 12:00 AM": the date part before a space.
    s.split_whitespace().next().filter(|p| *p != s).and_then(parse_date)
}

/// The two commonest forms, "2016-01-05" and "1/5/2016", without trying every format.
fn quick_date(s: &str) -> Option<NaiveDate> {
    let num = |p: &str| -> Option<u32> {
        if p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()) { None } else { p.parse().ok() }
    };
    let mut parts = s.split(['-', '/']);
    let (a, b, c) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let (y, m, d) = if s.contains('-') && a.len() == 4 && !s.contains('/') {
        (num(a)?, num(b)?, num(c)?)
    } else if s.contains('/') && !s.contains('-') && c.len() == 4 {
        (num(c)?, num(a)?, num(b)?)
    } else {
        return None;
    };
    NaiveDate::from_ymd_opt(y as i32, m, d)
}

fn cell_date(c: &Cell) -> Option<NaiveDate> {
    match c {
        Cell::Date(d) => Some(*d),
        Cell::Number(n) => parse_date(&n.to_string()),
        other => parse_date(&other.text()),
    }
}

/// Cents from a cell: text through the money parser; a spreadsheet number exactly, refusing
/// fractions of a cent that are not float noise.
pub fn cell_cents(c: &Cell) -> Result<i64> {
    match c {
        Cell::Number(f) => {
            let shown = f.to_string();
            money::parse_cents(&shown).or_else(|_| {
                let scaled = f * 100.0;
                if (scaled - scaled.round()).abs() < 1e-6 && scaled.abs() < 9e15 {
                    Ok(scaled.round() as i64)
                } else {
                    Err(Error::invalid(format!("'{shown}' has fractions of a cent")))
                }
            })
        }
        other => money::parse_cents(&other.text()),
    }
}

/// The roles a column can play, with the header names that announce them.
const ROLES: [(&str, &[&str]); 4] = [
    (
        "date",
        &[
            "date",
            "transaction date",
            "trans date",
            "txn date",
            "posting date",
            "post date",
            "purchase date",
            "invoice date",
            "payment date",
        ],
    ),
    (
        "amount",
        &[
            "amount",
            "debit",
            "charge",
            "total",
            "transaction amount",
            "amt",
            "charge amount",
            "billing amount",
            "amount usd",
            "net amount",
        ],
    ),
    (
        "vendor",
        &["vendor", "merchant", "payee", "supplier", "vendor name", "merchant name", "supplier name", "payee name"],
    ),
    ("description", &["description", "item", "memo", "item description", "transaction description", "purpose"]),
];

fn norm(h: &str) -> String {
    h.to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn role_score(header: &str, names: &[&str]) -> u8 {
    let h = norm(header);
    if names.contains(&h.as_str()) {
        2
    } else if names.iter().any(|n| h.starts_with(&format!("{n} ")) || h.ends_with(&format!(" {n}"))) {
        1
    } else {
        0
    }
}

/// "A" -> 0, "AB" -> 27.
fn letter_index(s: &str) -> Option<usize> {
    if s.is_empty() || s.len() > 3 || !s.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    Some(s.to_ascii_uppercase().bytes().fold(0usize, |acc, b| acc * 26 + (b - b'A' + 1) as usize) - 1)
}

pub fn column_letter(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).expect("ASCII letters")
}

/// Which column holds what.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Columns {
    pub date: usize,
    pub amount: usize,
    pub vendor: usize,
    pub description: Option<usize>,
    #[serde(skip)]
    pub names: Vec<String>,
}

impl Columns {
    fn label(&self, i: usize) -> String {
        let name = self.names.get(i).map(String::as_str).unwrap_or("");
        format!("{} ({})", name, column_letter(i))
    }
}

/// Column choices a user may force, by header name or letter.
#[derive(Debug, Clone, Default)]
pub struct ColumnChoice {
    pub date: Option<String>,
    pub amount: Option<String>,
    pub vendor: Option<String>,
    pub description: Option<String>,
}

fn pick(headers: &[String], choice: Option<&str>, role: usize, file: &str) -> Result<Option<usize>> {
    if let Some(c) = choice {
        if let Some(i) = headers.iter().position(|h| norm(h) == norm(c)) {
            return Ok(Some(i));
        }
        if let Some(i) = letter_index(c).filter(|i| *i < headers.len()) {
            return Ok(Some(i));
        }
        return Err(Error::invalid(format!(
            "{file}: no column '{c}' (columns: {})",
            headers.iter().enumerate().map(|(i, h)| format!("{} {h}", column_letter(i))).collect::<Vec<_>>().join(", ")
        )));
    }
    let names = ROLES[role].1;
    let best = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (role_score(h, names), i))
        .filter(|(s, _)| *s > 0)
        .max_by_key(|(s, i)| (*s, std::cmp::Reverse(*i)));
    Ok(best.map(|(_, i)| i))
}

fn detect_columns(headers: &[String], choice: &ColumnChoice, file: &str) -> Result<Columns> {
    let date = pick(headers, choice.date.as_deref(), 0, file)?;
    let amount = pick(headers, choice.amount.as_deref(), 1, file)?;
    let vendor = pick(headers, choice.vendor.as_deref(), 2, file)?;
    let description = pick(headers, choice.description.as_deref(), 3, file)?;
    let missing: Vec<&str> = [("date", date), ("amount", amount), ("vendor", vendor)]
        .iter()
        .filter(|(_, c)| c.is_none())
        .map(|(n, _)| *n)
        .collect();
    if !missing.is_empty() {
        return Err(Error::invalid(format!(
            "{file}: cannot tell which column holds the {}; name it with {} (a header name or a letter). Header: {}",
            missing.join(" and "),
            missing.iter().map(|m| format!("--{m}-col")).collect::<Vec<_>>().join(", "),
            headers.iter().enumerate().map(|(i, h)| format!("{} {h}", column_letter(i))).collect::<Vec<_>>().join(", ")
        )));
    }
    Ok(Columns {
        date: date.expect("checked"),
        amount: amount.expect("checked"),
        vendor: vendor.expect("checked"),
        description,
        names: headers.to_vec(),
    })
}

/// A row that looks like the header: two or more known column names, one of them an amount.
fn header_score(cells: &[Cell]) -> usize {
    let texts: Vec<String> = cells.iter().map(|c| c.text().into_owned()).collect();
    let hits: Vec<usize> =
        ROLES.iter().map(|(_, names)| texts.iter().filter(|t| role_score(t, names) > 0).count()).collect();
    if hits[1] == 0 {
        return 0;
    }
    hits.iter().filter(|h| **h > 0).count()
}

/// Options for `data import`.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    pub sheet: Option<String>,
    /// 1-based row of the header in the file.
    pub header_row: Option<usize>,
    pub columns: ColumnChoice,
    pub vendor_pattern: Option<String>,
    pub replace: bool,
    pub skip_invalid: bool,
    pub dry_run: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct VendorLine {
    pub vendor: String,
    pub rows: usize,
    pub total_cents: i64,
    pub matched: bool,
}

/// What an import read and did.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ImportSummary {
    pub tracking_code: String,
    pub file: String,
    pub sha256: String,
    pub format: String,
    pub sheet: Option<String>,
    pub header_row: usize,
    pub date_column: String,
    pub amount_column: String,
    pub vendor_column: String,
    pub description_column: Option<String>,
    pub vendor_pattern: Option<String>,
    pub rows_read: usize,
    pub matched: usize,
    pub excluded: usize,
    pub invalid: usize,
    pub total_rows_skipped: usize,
    pub total_matched_cents: i64,
    pub first_date: Option<NaiveDate>,
    pub last_date: Option<NaiveDate>,
    /// Rows dated outside the campaign's period (still imported; look at them).
    pub outside_period: usize,
    pub outside_period_examples: Vec<String>,
    pub vendors: Vec<VendorLine>,
    /// The invalid rows (skipped with --skip-invalid), up to 100.
    pub problems: Vec<RowProblem>,
    pub replaced: bool,
    pub dry_run: bool,
}

enum Format {
    Csv,
    Workbook(&'static str),
}

fn sniff(path: &Path) -> Result<Format> {
    let mut f = std::fs::File::open(path).map_err(|source| Error::Read { path: path.display().to_string(), source })?;
    let mut head = [0u8; 8];
    let n = f.read(&mut head).map_err(|source| Error::Read { path: path.display().to_string(), source })?;
    let head = &head[..n];
    Ok(if head.starts_with(b"PK\x03\x04") {
        Format::Workbook("xlsx")
    } else if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        Format::Workbook("xls")
    } else {
        Format::Csv
    })
}

/// Picks the delimiter whose count is the same on most of the first lines.
fn detect_delimiter(sample: &[u8]) -> u8 {
    let text = String::from_utf8_lossy(sample);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).take(30).collect();
    let mut best = (0usize, 0usize, b',');
    for d in [b',', b';', b'\t'] {
        let counts: Vec<usize> = lines.iter().map(|l| l.bytes().filter(|b| *b == d).count()).collect();
        let mut freq: BTreeMap<usize, usize> = BTreeMap::new();
        for c in counts.iter().filter(|c| **c > 0) {
            *freq.entry(*c).or_default() += 1;
        }
        if let Some((mode, lines_with)) = freq.iter().max_by_key(|(c, n)| (**n, **c)).map(|(c, n)| (*c, *n))
            && (lines_with, mode) > (best.0, best.1)
        {
            best = (lines_with, mode, d);
        }
    }
    best.2
}

/// Turns CRLF into LF while streaming, so the CSV reader's line numbers match the file's lines
/// (it counts a CRLF record end as ending before the LF).
struct CrlfToLf<R> {
    inner: R,
    held_cr: bool,
    /// At most one byte that did not fit the caller's buffer.
    pending: Option<u8>,
}

impl<R: Read> CrlfToLf<R> {
    fn new(inner: R) -> Self {
        CrlfToLf { inner, held_cr: false, pending: None }
    }
}

impl<R: Read> Read for CrlfToLf<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        let mut w = 0;
        if let Some(b) = self.pending.take() {
            out[0] = b;
            w = 1;
        }
        let mut buf = [0u8; 8192];
        while w < out.len() {
            let room = (out.len() - w).min(buf.len());
            let n = self.inner.read(&mut buf[..room])?;
            if n == 0 {
                if self.held_cr {
                    self.held_cr = false;
                    out[w] = b'\r';
                    w += 1;
                }
                break;
            }
            // Each input byte yields at most one output byte, plus one held CR: so at most one
            // byte overflows into `pending`.
            for &b in &buf[..n] {
                let mut emit = |x: u8| {
                    if w < out.len() {
                        out[w] = x;
                        w += 1;
                    } else {
                        self.pending = Some(x);
                    }
                };
                if self.held_cr {
                    self.held_cr = false;
                    if b != b'\n' {
                        emit(b'\r');
                    }
                }
                if b == b'\r' {
                    self.held_cr = true;
                } else {
                    emit(b);
                }
            }
            if w > 0 {
                break;
            }
        }
        Ok(w)
    }
}

/// CRLF to LF for a file already in memory (agency and holiday lists), for true line numbers.
pub(crate) fn crlf_to_lf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    CrlfToLf::new(data).read_to_end(&mut out).expect("reading from memory cannot fail");
    out
}

fn decode(field: &[u8]) -> String {
    match std::str::from_utf8(field) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(field).0.into_owned(),
    }
}

/// Feeds rows (1-based row number, cells) to `sink`, streaming for CSV.
fn read_rows(
    path: &Path,
    file: &str,
    sheet: Option<&str>,
    sink: &mut dyn FnMut(usize, Vec<Cell>) -> Result<()>,
) -> Result<(String, Option<String>)> {
    let read_err = |source| Error::Read { path: file.to_string(), source };
    match sniff(path)? {
        Format::Csv => {
            let mut sample = Vec::new();
            std::fs::File::open(path).map_err(read_err)?.take(64 * 1024).read_to_end(&mut sample).map_err(read_err)?;
            let delimiter = detect_delimiter(&sample);
            let f = std::fs::File::open(path).map_err(read_err)?;
            let mut rdr = csv::ReaderBuilder::new()
                .delimiter(delimiter)
                .has_headers(false)
                .flexible(true)
                .from_reader(std::io::BufReader::with_capacity(1 << 16, CrlfToLf::new(f)));
            let mut rec = csv::ByteRecord::new();
            let mut first = true;
            loop {
                match rdr.read_byte_record(&mut rec) {
                    Ok(false) => break,
                    Ok(true) => {}
                    Err(e) => return Err(Error::invalid(format!("{file}: {e}"))),
                }
                let line = rec.position().map_or(0, |p| p.line()) as usize;
                let cells: Vec<Cell> = rec
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        let f = if first && i == 0 { f.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(f) } else { f };
                        let s = decode(f);
                        if s.trim().is_empty() { Cell::Empty } else { Cell::Text(s) }
                    })
                    .collect();
                first = false;
                sink(line, cells)?;
            }
            Ok(("csv".into(), None))
        }
        Format::Workbook(kind) => {
            use calamine::{Data, Reader, open_workbook_auto};
            let mut wb = open_workbook_auto(path)
                .map_err(|e| Error::invalid(format!("{file}: cannot open the workbook: {e}")))?;
            let names = wb.sheet_names().to_vec();
            let (name, range) = match sheet {
                Some(s) => {
                    let r = wb.worksheet_range(s).map_err(|_| {
                        Error::invalid(format!("{file}: no sheet '{s}' (sheets: {})", names.join(", ")))
                    })?;
                    (s.to_string(), r)
                }
                None => {
                    let mut found = None;
                    for n in &names {
                        let r =
                            wb.worksheet_range(n).map_err(|e| Error::invalid(format!("{file}: sheet '{n}': {e}")))?;
                        if !r.is_empty() {
                            found = Some((n.clone(), r));
                            break;
                        }
                    }
                    found.ok_or_else(|| Error::invalid(format!("{file}: every sheet is empty")))?
                }
            };
            let (r0, c0) = range.start().unwrap_or((0, 0));
            for (i, row) in range.rows().enumerate() {
                let mut cells = vec![Cell::Empty; c0 as usize];
                cells.extend(row.iter().map(|d| match d {
                    Data::Empty => Cell::Empty,
                    Data::String(s) if s.trim().is_empty() => Cell::Empty,
                    Data::String(s) => Cell::Text(s.clone()),
                    Data::Float(f) => Cell::Number(*f),
                    Data::Int(n) => Cell::Number(*n as f64),
                    Data::Bool(b) => Cell::Text(b.to_string()),
                    Data::DateTime(dt) => dt.as_datetime().map(|d| Cell::Date(d.date())).unwrap_or(Cell::Empty),
                    Data::DateTimeIso(s) => parse_date(s).map(Cell::Date).unwrap_or(Cell::Text(s.clone())),
                    Data::DurationIso(s) => Cell::Text(s.clone()),
                    Data::Error(e) => Cell::Text(format!("#{e:?}")),
                }));
                sink(r0 as usize + i + 1, cells)?;
            }
            Ok((kind.into(), Some(name)))
        }
    }
}

/// Imports a spending file for a request. Atomic: any bad row (unless `skip_invalid`) leaves the
/// database as it was, and names the file, row, column and value.
pub fn import(
    conn: &mut Connection,
    store: &FileStore,
    code: &str,
    path: &Path,
    file: &str,
    opts: &ImportOptions,
    today: NaiveDate,
) -> Result<ImportSummary> {
    let req = request::find(conn, code)?;
    let campaign = crate::campaign::get(conn, &req.campaign)?;
    let pattern_text = opts.vendor_pattern.clone().or(campaign.vendor_pattern.clone());
    let pattern: Option<Regex> = pattern_text
        .as_deref()
        .map(|p| {
            RegexBuilder::new(p)
                .case_insensitive(true)
                .build()
                .map_err(|e| Error::invalid(format!("the vendor pattern is not a valid regular expression: {e}")))
        })
        .transpose()?;
    let sha = hash_file(path)?;
    let existing: Option<(i64, NaiveDate)> = conn
        .query_row(
            "SELECT id, imported_on FROM data_sources WHERE request_id = ?1 AND sha256 = ?2",
            params![req.id, sha],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((_, on)) = existing
        && !opts.replace
    {
        return Err(Error::invalid(format!(
            "{file} was imported for {} already on {on}; use --replace to replace its rows",
            req.tracking_code
        )));
    }

    let tx = conn.transaction()?;
    let replaced = if let Some((id, _)) = existing {
        tx.execute("DELETE FROM transactions WHERE source_id = ?1", [id])?;
        tx.execute("DELETE FROM data_sources WHERE id = ?1", [id])?;
        true
    } else {
        false
    };
    // The source file is kept (content-addressed) so every figure can be traced to its bytes;
    // a dry run records nothing, so it only notes the hash inside the rolled-back transaction.
    let stored_sha = if opts.dry_run {
        let size = std::fs::metadata(path).map(|m| m.len() as i64).unwrap_or(0);
        tx.execute("INSERT OR IGNORE INTO files (sha256, size) VALUES (?1, ?2)", params![sha, size])?;
        sha.clone()
    } else {
        store.put_file(&tx, path)?
    };
    tx.execute(
        "INSERT INTO data_sources (request_id, sha256, file_name, format, sheet, header_row, columns, vendor_pattern,
                                   imported_on, rows_read)
         VALUES (?1, ?2, ?3, 'csv', NULL, 1, '', ?4, ?5, 0)",
        params![req.id, stored_sha, file, pattern_text, today],
    )?;
    let source_id = tx.last_insert_rowid();

    let mut s = ImportSummary {
        tracking_code: req.tracking_code.clone(),
        file: file.to_string(),
        sha256: sha.clone(),
        format: String::new(),
        sheet: None,
        header_row: 0,
        date_column: String::new(),
        amount_column: String::new(),
        vendor_column: String::new(),
        description_column: None,
        vendor_pattern: pattern_text.clone(),
        rows_read: 0,
        matched: 0,
        excluded: 0,
        invalid: 0,
        total_rows_skipped: 0,
        total_matched_cents: 0,
        first_date: None,
        last_date: None,
        outside_period: 0,
        outside_period_examples: Vec::new(),
        vendors: Vec::new(),
        problems: Vec::new(),
        replaced,
        dry_run: opts.dry_run,
    };
    let mut vendors: BTreeMap<String, (usize, i64, bool)> = BTreeMap::new();
    let mut columns: Option<Columns> = None;
    let mut pending: Vec<(usize, Vec<Cell>)> = Vec::new();
    let total_re = Regex::new(r"(?i)^\s*(grand\s+)?(sub)?total\b").expect("valid pattern");
    {
        let mut insert = tx.prepare(
            "INSERT INTO transactions (source_id, row_number, txn_date, amount_cents, vendor, description, excluded_reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        let mut handle = |row: usize, cells: &[Cell], cols: &Columns, s: &mut ImportSummary| -> Result<()> {
            if cells.iter().all(Cell::is_empty) {
                return Ok(());
            }
            let get = |i: usize| cells.get(i).cloned().unwrap_or(Cell::Empty);
            let date_cell = get(cols.date);
            if date_cell.is_empty() && cells.iter().any(|c| total_re.is_match(&c.text())) {
                s.total_rows_skipped += 1;
                return Ok(());
            }
            s.rows_read += 1;
            let bad = |col: usize, value: String, message: String, s: &mut ImportSummary| {
                s.invalid += 1;
                if s.problems.len() < 100 {
                    s.problems.push(RowProblem {
                        file: file.to_string(),
                        line: row as u64,
                        column: Some(cols.label(col)),
                        value: Some(value),
                        message,
                    });
                }
            };
            let date = cell_date(&date_cell);
            let amount = cell_cents(&get(cols.amount));
            let (date, amount) = match (date, amount) {
                (Some(d), Ok(a)) => (d, a),
                (None, _) => {
                    bad(cols.date, date_cell.text().into_owned(), "not a date".into(), s);
                    return Ok(());
                }
                (_, Err(_)) => {
                    bad(cols.amount, get(cols.amount).text().into_owned(), "not an amount of money".into(), s);
                    return Ok(());
                }
            };
            let vendor = get(cols.vendor).text().trim().to_string();
            let description = cols.description.map(|i| get(i).text().trim().to_string()).filter(|d| !d.is_empty());
            // Vendors repeat: the pattern is run once per distinct spelling.
            let matched = match vendors.get(&vendor) {
                Some(v) => v.2,
                None => pattern.as_ref().is_none_or(|p| p.is_match(&vendor)),
            };
            let reason = (!matched)
                .then(|| format!("vendor '{vendor}' does not match /{}/", pattern_text.as_deref().unwrap_or("")));
            insert.execute(params![source_id, row as i64, date, amount, vendor, description, reason])?;
            let v = match vendors.get_mut(&vendor) {
                Some(v) => v,
                None => vendors.entry(vendor).or_insert((0, 0, matched)),
            };
            v.0 += 1;
            v.1 += amount;
            if matched {
                s.matched += 1;
                s.total_matched_cents += amount;
                s.first_date = Some(s.first_date.map_or(date, |f| f.min(date)));
                s.last_date = Some(s.last_date.map_or(date, |l| l.max(date)));
                let outside =
                    campaign.period_start.is_some_and(|p| date < p) || campaign.period_end.is_some_and(|p| date > p);
                if outside {
                    s.outside_period += 1;
                    if s.outside_period_examples.len() < 5 {
                        s.outside_period_examples.push(format!("row {row}: {date}"));
                    }
                }
            } else {
                s.excluded += 1;
            }
            Ok(())
        };
        let mut sink = |row: usize, cells: Vec<Cell>| -> Result<()> {
            if let Some(cols) = &columns {
                return handle(row, &cells, cols, &mut s);
            }
            // Still looking for the header row.
            let is_header = match opts.header_row {
                Some(h) => row == h,
                None => header_score(&cells) >= 2,
            };
            if is_header {
                let headers: Vec<String> = cells.iter().map(|c| c.text().trim().to_string()).collect();
                let cols = detect_columns(&headers, &opts.columns, file)?;
                s.header_row = row;
                columns = Some(cols);
                pending.clear();
            } else if opts.header_row.is_none() {
                pending.push((row, cells));
                if pending.len() > 50 {
                    return Err(Error::invalid(format!(
                        "{file}: no header row found in the first 50 rows (looked for columns such as date, amount, vendor); give it with --header-row N"
                    )));
                }
            }
            Ok(())
        };
        let (format, sheet) = read_rows(path, file, opts.sheet.as_deref(), &mut sink)?;
        s.format = format;
        s.sheet = sheet;
    }
    let Some(cols) = columns else {
        return Err(Error::invalid(match opts.header_row {
            Some(h) => format!("{file}: the file has no row {h}"),
            None => format!(
                "{file}: no header row found (looked for columns such as date, amount, vendor); give it with --header-row N"
            ),
        }));
    };
    s.date_column = cols.label(cols.date);
    s.amount_column = cols.label(cols.amount);
    s.vendor_column = cols.label(cols.vendor);
    s.description_column = cols.description.map(|i| cols.label(i));
    let mut vendor_lines: Vec<VendorLine> = vendors
        .into_iter()
        .map(|(vendor, (rows, total_cents, matched))| VendorLine { vendor, rows, total_cents, matched })
        .collect();
    vendor_lines.sort_by(|a, b| b.matched.cmp(&a.matched).then(b.rows.cmp(&a.rows)).then(a.vendor.cmp(&b.vendor)));
    s.vendors = vendor_lines;

    if s.invalid > 0 && !opts.skip_invalid {
        tx.rollback()?;
        return Err(Error::Import { file: file.to_string(), problems: s.problems });
    }
    tx.execute(
        "UPDATE data_sources SET format = ?2, sheet = ?3, header_row = ?4, columns = ?5, rows_read = ?6 WHERE id = ?1",
        params![
            source_id,
            s.format,
            s.sheet,
            s.header_row as i64,
            serde_json::json!({"date": s.date_column, "amount": s.amount_column, "vendor": s.vendor_column, "description": s.description_column}).to_string(),
            s.rows_read as i64
        ],
    )?;
    if opts.dry_run {
        tx.rollback()?;
    } else {
        tx.commit()?;
    }
    Ok(s)
}

/// Records a total an agency reported (replacing an earlier one for the same year).
pub fn record_total(
    conn: &Connection,
    code: &str,
    year: i32,
    cents: i64,
    note: Option<&str>,
    today: NaiveDate,
) -> Result<()> {
    let req = request::find(conn, code)?;
    conn.execute(
        "INSERT INTO reported_totals (request_id, year, amount_cents, note, recorded_on) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (request_id, year) DO UPDATE SET amount_cents = excluded.amount_cents, note = excluded.note,
            recorded_on = excluded.recorded_on",
        params![req.id, year, cents, note, today],
    )?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SourceInfo {
    pub file_name: String,
    pub sha256: String,
    pub format: String,
    pub sheet: Option<String>,
    pub header_row: i64,
    pub rows_read: i64,
    pub imported_on: NaiveDate,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct YearFigure {
    pub year: i32,
    pub transactions_cents: Option<i64>,
    pub transactions: i64,
    pub reported_total_cents: Option<i64>,
    /// The agency's figure: its matched transactions, else its reported total.
    pub figure_cents: i64,
    /// "transactions", "reported total" or "both".
    pub source: String,
    /// Both exist and differ.
    pub differs: bool,
}

/// An agency's spending figures for a request.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Dataset {
    pub tracking_code: String,
    pub agency_key: String,
    pub agency_name: String,
    pub state: String,
    pub kind: String,
    pub population: Option<i64>,
    /// All years together: matched transactions, or reported totals where none were sent.
    pub total_cents: Option<i64>,
    pub transactions: i64,
    pub excluded: i64,
    pub reported_total_cents: Option<i64>,
    pub years: Vec<YearFigure>,
    pub sources: Vec<SourceInfo>,
}

pub fn dataset(conn: &Connection, code: &str) -> Result<Dataset> {
    let req = request::find(conn, code)?;
    let mut stmt = conn.prepare(
        "SELECT CAST(strftime('%Y', t.txn_date) AS INTEGER), SUM(t.amount_cents), COUNT(*)
         FROM transactions t JOIN data_sources s ON s.id = t.source_id
         WHERE s.request_id = ?1 AND t.excluded_reason IS NULL GROUP BY 1 ORDER BY 1",
    )?;
    let txn: BTreeMap<i32, (i64, i64)> = stmt
        .query_map([req.id], |r| Ok((r.get::<_, i32>(0)?, (r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))))?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare("SELECT year, amount_cents FROM reported_totals WHERE request_id = ?1")?;
    let reported: BTreeMap<i32, i64> =
        stmt.query_map([req.id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
    let excluded: i64 = conn.query_row(
        "SELECT COUNT(*) FROM transactions t JOIN data_sources s ON s.id = t.source_id
         WHERE s.request_id = ?1 AND t.excluded_reason IS NOT NULL",
        [req.id],
        |r| r.get(0),
    )?;
    let years_set: std::collections::BTreeSet<i32> = txn.keys().chain(reported.keys()).copied().collect();
    let years: Vec<YearFigure> = years_set
        .into_iter()
        .map(|y| {
            let t = txn.get(&y).copied();
            let r = reported.get(&y).copied();
            let (figure, source) = match (t, r) {
                (Some((c, _)), Some(_)) => (c, "both"),
                (Some((c, _)), None) => (c, "transactions"),
                (None, Some(r)) => (r, "reported total"),
                (None, None) => unreachable!("year comes from one of the two"),
            };
            YearFigure {
                year: y,
                transactions_cents: t.map(|x| x.0),
                transactions: t.map_or(0, |x| x.1),
                reported_total_cents: r,
                figure_cents: figure,
                source: source.into(),
                differs: matches!((t, r), (Some((c, _)), Some(r)) if c != r),
            }
        })
        .collect();
    let mut stmt = conn.prepare(
        "SELECT file_name, sha256, format, sheet, header_row, rows_read, imported_on FROM data_sources
         WHERE request_id = ?1 ORDER BY id",
    )?;
    let sources = stmt
        .query_map([req.id], |r| {
            Ok(SourceInfo {
                file_name: r.get(0)?,
                sha256: r.get(1)?,
                format: r.get(2)?,
                sheet: r.get(3)?,
                header_row: r.get(4)?,
                rows_read: r.get(5)?,
                imported_on: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let transactions: i64 = txn.values().map(|x| x.1).sum();
    let total_cents = if years.is_empty() { None } else { Some(years.iter().map(|y| y.figure_cents).sum()) };
    Ok(Dataset {
        tracking_code: req.tracking_code,
        agency_key: req.agency_key,
        agency_name: req.agency_name,
        state: req.state,
        kind: req.kind,
        population: req.population,
        total_cents,
        transactions,
        excluded,
        reported_total_cents: if reported.is_empty() { None } else { Some(reported.values().sum()) },
        years,
        sources,
    })
}

/// Every request with figures, optionally in one campaign and one year.
pub fn datasets(conn: &Connection, campaign: Option<&str>) -> Result<Vec<Dataset>> {
    let campaign_id = campaign.map(|c| crate::campaign::get(conn, c)).transpose()?.map(|c| c.id);
    let mut stmt = conn.prepare(
        "SELECT r.tracking_code FROM requests r WHERE (?1 IS NULL OR r.campaign_id = ?1)
           AND (EXISTS (SELECT 1 FROM data_sources s WHERE s.request_id = r.id)
             OR EXISTS (SELECT 1 FROM reported_totals t WHERE t.request_id = r.id))
         ORDER BY r.tracking_code",
    )?;
    let codes = stmt.query_map([campaign_id], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
    codes.iter().map(|c| dataset(conn, c)).collect()
}

/// The year a campaign is about, when its period lies within one.
pub fn campaign_year(c: &crate::campaign::Campaign) -> Option<i32> {
    match (c.period_start, c.period_end) {
        (Some(a), Some(b)) if a.year() == b.year() => Some(a.year()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn dates_in_the_forms_agencies_write() {
        assert_eq!(parse_date("2016-01-05"), Some(d("2016-01-05")));
        assert_eq!(parse_date("2016-02-30"), None);
        assert_eq!(parse_date("12/31/2016"), Some(d("2016-12-31")));
        assert_eq!(parse_date("1/5/2016"), Some(d("2016-01-05")));
        assert_eq!(parse_date("01/05/16"), Some(d("2016-01-05")));
        assert_eq!(parse_date("Jan 5, 2016"), Some(d("2016-01-05")));
        assert_eq!(parse_date("January 5, 2016"), Some(d("2016-01-05")));
        assert_eq!(parse_date("42374"), Some(d("2016-01-05")), "Excel serial");
        assert_eq!(parse_date("2016-01-05 13:45:00"), Some(d("2016-01-05")));
        assert_eq!(parse_date("1/5/2016 12:00 AM"), Some(d("2016-01-05")));
        assert_eq!(parse_date("05-Jan-2016"), Some(d("2016-01-05")));
        assert_eq!(parse_date("soon"), None);
        assert_eq!(parse_date("13/45/2016"), None);
        assert_eq!(parse_date("12.5"), None);
    }

    #[test]
    fn spreadsheet_numbers_become_exact_cents() {
        assert_eq!(cell_cents(&Cell::Number(1234.56)).unwrap(), 123456);
        assert_eq!(cell_cents(&Cell::Number(-12.0)).unwrap(), -1200);
        assert_eq!(cell_cents(&Cell::Number(0.1 + 0.2)).unwrap(), 30, "float noise is not a fraction of a cent");
        assert!(cell_cents(&Cell::Number(1.005)).is_err());
        assert_eq!(cell_cents(&Cell::Text("(12.00)".into())).unwrap(), -1200);
    }

    #[test]
    fn delimiters() {
        assert_eq!(detect_delimiter(b"a;b;c\n1;\"2,5\";3\n4;5;6\n"), b';');
        assert_eq!(detect_delimiter(b"a,b,c\n1,2,3\n"), b',');
        assert_eq!(detect_delimiter(b"Title\n\na\tb\tc\n1\t2\t3\n"), b'\t');
        assert_eq!(
            detect_delimiter(b"Date;Vendor;Amount\n1/5/2016;Amazon;\"1,234.56\"\n1/6/2016;Staples;12.00\n"),
            b';'
        );
    }

    #[test]
    fn crlf_becomes_lf_whatever_the_buffer_size() {
        let input = b"a,b\r\n1,\"x\r\ny\"\r\n\r2,3\r".to_vec();
        for size in [1, 2, 3, 7, 64] {
            let mut r = CrlfToLf::new(input.as_slice());
            let mut out = Vec::new();
            let mut buf = vec![0u8; size];
            loop {
                let n = r.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&buf[..n]);
            }
            assert_eq!(out, b"a,b\n1,\"x\ny\"\n\r2,3\r", "buffer {size}");
        }
    }

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(letter_index("AA"), Some(26));
        assert_eq!(letter_index("c"), Some(2));
    }

    #[test]
    fn header_detection() {
        let row = |v: &[&str]| v.iter().map(|s| Cell::Text(s.to_string())).collect::<Vec<_>>();
        assert!(header_score(&row(&["Transaction Date", "Merchant Name", "Amount"])) >= 2);
        assert_eq!(header_score(&row(&["City of Example P-Card Transactions FY2016"])), 0);
        let cols = detect_columns(
            &["Posting Date".into(), "Merchant".into(), "Item".into(), "Debit".into()],
            &ColumnChoice::default(),
            "f",
        )
        .unwrap();
        assert_eq!((cols.date, cols.vendor, cols.description, cols.amount), (0, 1, Some(2), 3));
    }
}
