//! Spending data: the files agencies return (CSV, XLSX, XLS) read into transactions with
//! provenance, filtered by the campaign's vendor pattern, and the totals agencies report.
//!
//! CSV and XLSX are streamed: rows are checked and written inside one transaction as they are
//! read, so memory does not grow with the file (an XLS workbook is held whole, within the bounds
//! below); any bad row rolls the whole import back, and the file is kept in the files folder only
//! once the import commits.
//!
//! Bounds, so a hostile file is refused with a sentence instead of exhausting memory:
//! - a CSV row (a record, with any quoted line breaks) is at most `MAX_ROW_BYTES` (1 MiB);
//! - the header is looked for in the first `HEADER_SEARCH_ROWS` (50) rows and
//!   `HEADER_SEARCH_BYTES` (1 MiB) of text, whichever ends first;
//! - an XLSX sheet is read cell by cell (calamine's `XlsxCellReader`, never the whole range), and
//!   a value beyond column `MAX_SHEET_COLUMNS` (256, IV) or row `MAX_SHEET_ROWS` (1,048,576) is
//!   refused, so memory is one row of at most 256 cells whatever the sheet declares;
//! - an XLS workbook, which calamine reads whole, is checked first (`check_xls`): no looping or
//!   runaway sector chains, and its sheets' declared and used ranges within 65,536 rows, 256
//!   columns and `MAX_XLS_CELLS` (4,194,304) cells in all;
//! - each amount is at most `money::MAX_AMOUNT_CENTS`, and every sum is checked.

use std::cell::Cell as Shared;
use std::collections::BTreeMap;
use std::io::Read;
use std::ops::Range;
use std::path::Path;
use std::rc::Rc;

use chrono::{Datelike, NaiveDate};
use regex::Regex;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::core::csvin::CrlfToLf;
use crate::core::money::{self, format_cents};
use crate::core::spending::*;
use crate::error::RowProblem;
use crate::store::files::{FileStore, Staged, hash_file};
use crate::store::request;
use crate::{Error, Result};

/// The longest CSV row (record) read, in bytes.
pub const MAX_ROW_BYTES: u64 = 1 << 20;
/// The header row is looked for in at most this many rows...
pub const HEADER_SEARCH_ROWS: usize = 50;
/// ... and at most this many bytes of their text, whichever ends first.
pub const HEADER_SEARCH_BYTES: usize = 1 << 20;
/// The widest spreadsheet read: columns A to IV (the most an XLS sheet can have).
pub const MAX_SHEET_COLUMNS: u32 = 256;
/// The longest XLSX sheet read: Excel's own limit.
pub const MAX_SHEET_ROWS: u32 = 1_048_576;
/// The longest XLS sheet: the format's own limit.
pub const MAX_XLS_ROWS: u32 = 65_536;
/// calamine holds every sheet of an XLS workbook at once, as one cell per position of each used
/// range: at most this many in all (4,194,304, e.g. 65,536 rows x 64 columns; about 128 MiB).
pub const MAX_XLS_CELLS: u64 = 1 << 22;

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

/// Appends a field's text to `out`: UTF-8, else Windows-1252 (what spreadsheet programs write).
fn decode_into(field: &[u8], out: &mut String) {
    match std::str::from_utf8(field) {
        Ok(s) => out.push_str(s),
        Err(_) => out.push_str(&encoding_rs::WINDOWS_1252.decode(field).0),
    }
}

/// The CSV reader's input, counted, so a row longer than `MAX_ROW_BYTES` is refused before much
/// more than that is held.
struct Metered<R> {
    inner: R,
    taken: u64,
    /// Where the row being read starts (the CSV reader's position after the last row).
    row_start: Rc<Shared<u64>>,
}

#[derive(Debug)]
struct RowTooLong;

impl std::fmt::Display for RowTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a row longer than {MAX_ROW_BYTES} bytes")
    }
}

impl std::error::Error for RowTooLong {}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.taken.saturating_sub(self.row_start.get()) > MAX_ROW_BYTES {
            return Err(std::io::Error::other(RowTooLong));
        }
        let n = self.inner.read(buf)?;
        self.taken += n as u64;
        Ok(n)
    }
}

/// Runs a call into calamine, turning a panic inside it (a damaged or hostile workbook can reach
/// one) into an error about the file instead of a crash.
fn guarded<T, E: std::fmt::Display>(file: &str, f: impl FnOnce() -> std::result::Result<T, E>) -> Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Error::invalid(format!("{file}: cannot read the workbook: {e}"))),
        Err(_) => Err(Error::invalid(format!("{file}: cannot read the workbook: it is damaged"))),
    }
}

fn xlsx_cell(d: &calamine::DataRef<'_>) -> Cell {
    use calamine::DataRef;
    let text = |s: &str| if s.trim().is_empty() { Cell::Empty } else { Cell::Text(s.to_string()) };
    match d {
        DataRef::Empty => Cell::Empty,
        DataRef::String(s) => text(s),
        DataRef::SharedString(s) => text(s),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::Int(n) => Cell::Number(*n as f64),
        DataRef::Bool(b) => Cell::Text(b.to_string()),
        DataRef::DateTime(dt) => dt.as_datetime().map(|d| Cell::Date(d.date())).unwrap_or(Cell::Empty),
        DataRef::DateTimeIso(s) => parse_date(s).map(Cell::Date).unwrap_or(Cell::Text(s.clone())),
        DataRef::DurationIso(s) => Cell::Text(s.clone()),
        DataRef::Error(e) => Cell::Text(format!("#{e:?}")),
    }
}

fn xls_cell(d: &calamine::Data) -> Cell {
    use calamine::Data;
    match d {
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
    }
}

/// "the sheet 'X' has a value in XFD1048576 ...": one sentence for a sheet beyond the bounds.
fn too_big(file: &str, sheet: &str, row: u32, col: u32, max_rows: u32) -> Error {
    Error::invalid(format!(
        "{file}: sheet '{sheet}' has a value in cell {}{} (column {}, row {}), beyond the {} columns and {} rows foiatrack reads; copy the columns you need to a new sheet or a CSV file",
        column_letter(col as usize),
        row as u64 + 1,
        col as u64 + 1,
        row as u64 + 1,
        MAX_SHEET_COLUMNS,
        group_digits(max_rows as u64),
    ))
}

/// Reads the CSV file at `path` from `f` (the file itself, or a reader staging it as it goes);
/// the delimiter is told from its first 64 KiB.
fn read_csv(path: &Path, f: impl Read, file: &str, sink: &mut dyn FnMut(usize, &[Cell]) -> Result<()>) -> Result<()> {
    let read_err = |source| Error::Read { path: file.to_string(), source };
    let mut sample = Vec::new();
    std::fs::File::open(path).map_err(read_err)?.take(64 * 1024).read_to_end(&mut sample).map_err(read_err)?;
    let delimiter = detect_delimiter(&sample);
    let row_start = Rc::new(Shared::new(0u64));
    let metered = Metered {
        inner: std::io::BufReader::with_capacity(1 << 16, CrlfToLf::new(f)),
        taken: 0,
        row_start: row_start.clone(),
    };
    let mut rdr = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(metered);
    let mut rec = csv::ByteRecord::new();
    // One row's cells, their text buffers reused from row to row.
    let mut cells: Vec<Cell> = Vec::new();
    let mut first = true;
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                if let csv::ErrorKind::Io(io) = e.kind() {
                    if io.get_ref().is_some_and(|inner| inner.is::<RowTooLong>()) {
                        return Err(Error::invalid(format!(
                            "{file}: the row starting on line {} is longer than 1 MiB, far longer than any spending record; is this the right file?",
                            rdr.position().line()
                        )));
                    }
                    return Err(Error::invalid(format!("cannot read {file}: {io}")));
                }
                return Err(Error::invalid(format!("{file}: {e}")));
            }
        }
        row_start.set(rdr.position().byte());
        let line = rec.position().map_or(1, |p| p.line()).max(1) as usize;
        cells.resize(rec.len(), Cell::Empty);
        for (i, (f, cell)) in rec.iter().zip(cells.iter_mut()).enumerate() {
            let f = if first && i == 0 { f.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(f) } else { f };
            let mut text = match std::mem::replace(cell, Cell::Empty) {
                Cell::Text(t) => t,
                _ => String::new(),
            };
            text.clear();
            decode_into(f, &mut text);
            if !text.trim().is_empty() {
                *cell = Cell::Text(text);
            }
        }
        first = false;
        sink(line, &cells)?;
    }
    Ok(())
}

/// Streams an XLSX sheet cell by cell (never the whole range); returns the sheet's name. Without
/// `sheet`, the first sheet with a value is read.
fn read_xlsx(
    path: &Path,
    file: &str,
    sheet: Option<&str>,
    sink: &mut dyn FnMut(usize, &[Cell]) -> Result<()>,
) -> Result<String> {
    use calamine::{Reader, Xlsx, XlsxError};
    let f = std::fs::File::open(path).map_err(|source| Error::Read { path: file.to_string(), source })?;
    let mut wb: Xlsx<_> = guarded(file, || Xlsx::new(std::io::BufReader::new(f)))?;
    let names = wb.sheet_names();
    let candidates: Vec<String> = match sheet {
        Some(s) if names.iter().any(|n| n == s) => vec![s.to_string()],
        Some(s) => return Err(Error::invalid(format!("{file}: no sheet '{s}' (sheets: {})", names.join(", ")))),
        None => names,
    };
    for name in &candidates {
        let wb = &mut wb;
        let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let wb = wb;
            wb.worksheet_cells_reader(name)
        }));
        let mut reader = match opened {
            Ok(Ok(r)) => r,
            // A chart sheet has no cells.
            Ok(Err(XlsxError::NotAWorksheet(_))) if sheet.is_none() => continue,
            Ok(Err(e)) => return Err(Error::invalid(format!("{file}: cannot read sheet '{name}': {e}"))),
            Err(_) => return Err(Error::invalid(format!("{file}: cannot read sheet '{name}': it is damaged"))),
        };
        let mut current: Option<u32> = None;
        let mut cells: Vec<Cell> = Vec::new();
        while let Some(c) = guarded(file, || reader.next_cell())? {
            let cell = xlsx_cell(c.get_value());
            if cell.is_empty() {
                continue;
            }
            let (row, col) = c.get_position();
            if col >= MAX_SHEET_COLUMNS || row >= MAX_SHEET_ROWS {
                return Err(too_big(file, name, row, col, MAX_SHEET_ROWS));
            }
            match current {
                Some(r) if r == row => {}
                Some(r) if row < r => {
                    return Err(Error::invalid(format!(
                        "{file}: sheet '{name}' lists row {} after row {}; open it in a spreadsheet program and save it again",
                        row as u64 + 1,
                        r as u64 + 1
                    )));
                }
                _ => {
                    if let Some(r) = current {
                        sink(r as usize + 1, &cells)?;
                        cells.clear();
                    }
                    current = Some(row);
                }
            }
            let col = col as usize;
            if cells.len() <= col {
                cells.resize(col + 1, Cell::Empty);
            }
            cells[col] = cell;
        }
        if let Some(r) = current {
            sink(r as usize + 1, &cells)?;
            return Ok(name.clone());
        }
        if sheet.is_some() {
            return Err(Error::invalid(format!("{file}: sheet '{name}' is empty")));
        }
    }
    Err(Error::invalid(format!("{file}: every sheet is empty")))
}

/// Reads an XLS workbook, which calamine holds whole, once `check_xls` found nothing in it larger
/// than it looks; returns the sheet's name.
fn read_xls(
    path: &Path,
    file: &str,
    sheet: Option<&str>,
    sink: &mut dyn FnMut(usize, &[Cell]) -> Result<()>,
) -> Result<String> {
    use calamine::{Reader, Xls};
    let bytes = std::fs::read(path).map_err(|source| Error::Read { path: file.to_string(), source })?;
    check_xls(&bytes, MAX_XLS_ROWS, MAX_SHEET_COLUMNS, MAX_XLS_CELLS)
        .map_err(|e| Error::invalid(format!("{file}: {e}")))?;
    let mut wb: Xls<_> = guarded(file, || Xls::new(std::io::Cursor::new(bytes)))?;
    let names = wb.sheet_names();
    let candidates: Vec<String> = match sheet {
        Some(s) if names.iter().any(|n| n == s) => vec![s.to_string()],
        Some(s) => return Err(Error::invalid(format!("{file}: no sheet '{s}' (sheets: {})", names.join(", ")))),
        None => names,
    };
    for name in &candidates {
        let range = guarded(file, || wb.worksheet_range(name))?;
        if range.is_empty() {
            if sheet.is_some() {
                return Err(Error::invalid(format!("{file}: sheet '{name}' is empty")));
            }
            continue;
        }
        let (r0, c0) = range.start().unwrap_or((0, 0));
        if let Some((r1, c1)) = range.end()
            && (c1 >= MAX_SHEET_COLUMNS || r1 >= MAX_XLS_ROWS)
        {
            return Err(too_big(file, name, r1, c1, MAX_XLS_ROWS));
        }
        for (i, row) in range.rows().enumerate() {
            if row.iter().all(|d| matches!(d, calamine::Data::Empty)) {
                continue;
            }
            let mut cells = vec![Cell::Empty; c0 as usize];
            cells.extend(row.iter().map(xls_cell));
            sink(r0 as usize + i + 1, &cells)?;
        }
        return Ok(name.clone());
    }
    Err(Error::invalid(format!("{file}: every sheet is empty")))
}

/// Feeds the rows of a spending file (1-based row number, cells; rows without a value may be
/// left out) to `sink`, streaming, within the bounds above; returns the format and the sheet.
/// This is the reader `import` uses; it never panics, whatever the bytes.
pub fn read_rows(
    path: &Path,
    file: &str,
    sheet: Option<&str>,
    sink: &mut dyn FnMut(usize, &[Cell]) -> Result<()>,
) -> Result<(String, Option<String>)> {
    match sniff(path)? {
        Format::Csv => {
            let f = std::fs::File::open(path).map_err(|source| Error::Read { path: file.to_string(), source })?;
            read_csv(path, f, file, sink)?;
            Ok(("csv".into(), None))
        }
        Format::Workbook("xls") => Ok(("xls".into(), Some(read_xls(path, file, sheet, sink)?))),
        Format::Workbook(_) => Ok(("xlsx".into(), Some(read_xlsx(path, file, sheet, sink)?))),
    }
}

/// "more than foiatrack can count": a sum beyond an `i64` of cents.
fn uncountable(what: String) -> Error {
    Error::invalid(format!(
        "{what} add up to more than foiatrack can count ({}); nothing was imported",
        format_cents(i64::MAX)
    ))
}

/// Rows checked and ready to be written, passed from the reading thread to the writing one. The
/// text of a batch's rows is in one buffer, and emptied batches go back to the reader, so rows
/// cost no allocation of their own.
#[derive(Default)]
struct Batch {
    text: String,
    rows: Vec<ReadyRow>,
}

/// One transaction row; its text fields are ranges of the batch's text.
struct ReadyRow {
    row: i64,
    date: Range<usize>,
    amount: i64,
    vendor: Range<usize>,
    description: Option<Range<usize>>,
    excluded_reason: Option<Range<usize>>,
}

/// A batch is passed on at this many rows...
const BATCH_ROWS: usize = 4096;
/// ... or this much text (a row is at most `MAX_ROW_BYTES`), whichever comes first...
const BATCH_BYTES: usize = 1 << 20;
/// Rows written by one INSERT statement (fewer statements to run).
const ROWS_PER_INSERT: usize = 32;
/// ... and at most this many wait for the writer.
const QUEUED_BATCHES: usize = 4;

impl Batch {
    fn push(&mut self, parts: &[&str]) -> Range<usize> {
        let start = self.text.len();
        for p in parts {
            self.text.push_str(p);
        }
        start..self.text.len()
    }

    fn full(&self) -> bool {
        self.rows.len() >= BATCH_ROWS || self.text.len() >= BATCH_BYTES
    }
}

/// A date as `YYYY-MM-DD`, as rusqlite stores a `NaiveDate`, without a formatter per row.
fn push_date(batch: &mut Batch, d: NaiveDate) -> Range<usize> {
    let start = batch.text.len();
    match u32::try_from(d.year()).ok().filter(|y| *y <= 9999) {
        Some(y) => {
            let digits = [
                y / 1000,
                y / 100 % 10,
                y / 10 % 10,
                y % 10,
                d.month() / 10,
                d.month() % 10,
                d.day() / 10,
                d.day() % 10,
            ];
            for (i, digit) in digits.into_iter().enumerate() {
                if i == 4 || i == 6 {
                    batch.text.push('-');
                }
                batch.text.push(char::from(b'0' + digit as u8));
            }
        }
        None => batch.text.push_str(&d.to_string()),
    }
    start..batch.text.len()
}

/// What the reading thread needs to check rows.
struct Check<'a> {
    file: &'a str,
    opts: &'a ImportOptions,
    pattern: Option<&'a Regex>,
    pattern_text: Option<&'a str>,
    period: (Option<NaiveDate>, Option<NaiveDate>),
}

/// What the reading thread found.
struct Checked {
    s: ImportSummary,
    /// Per vendor spelling: rows, total, whether it matches the pattern.
    vendors: BTreeMap<String, (usize, i128, bool)>,
    matched_sum: i128,
    matched_by_year: BTreeMap<i32, i128>,
    columns: Option<Columns>,
    /// The file as read, staged in the files folder (see `check_rows`).
    staged_as_read: Option<Staged>,
}

/// The reading side of an import: reads the file's rows, finds the header, checks each row and
/// counts it in the summary, and passes the rows to write on to `out` in batches. Stops when the
/// writer is gone (its error is the one reported). With `stage`, the file (a CSV file) is staged
/// in that files folder as it is read.
fn check_rows(
    source: &Path,
    stage: Option<&FileStore>,
    c: &Check<'_>,
    s: ImportSummary,
    out: std::sync::mpsc::SyncSender<Batch>,
    spare: std::sync::mpsc::Receiver<Batch>,
) -> Result<Checked> {
    static EMPTY: Cell = Cell::Empty;
    let file = c.file;
    let mut k = Checked {
        s,
        vendors: BTreeMap::new(),
        matched_sum: 0,
        matched_by_year: BTreeMap::new(),
        columns: None,
        staged_as_read: None,
    };
    let (mut searched_rows, mut searched_bytes) = (0usize, 0usize);
    let total_re = Regex::new(r"(?i)^\s*(grand\s+)?(sub)?total\b").expect("valid pattern");
    let mut batch = Batch::default();
    let pass_on = |batch: &mut Batch| -> Result<()> {
        let next = spare.try_recv().unwrap_or_default();
        out.send(std::mem::replace(batch, next)).map_err(|_| Error::Internal("the import's writer stopped".into()))
    };
    // Sums are kept in 128 bits (no row can overflow them) and checked once at the end.
    let handle = |row: usize, cells: &[Cell], cols: &Columns, k: &mut Checked, batch: &mut Batch| {
        if cells.iter().all(Cell::is_empty) {
            return;
        }
        let s = &mut k.s;
        let get = |i: usize| cells.get(i).unwrap_or(&EMPTY);
        let date_cell = get(cols.date);
        if date_cell.is_empty() && cells.iter().any(|c| total_re.is_match(&c.text())) {
            s.total_rows_skipped += 1;
            return;
        }
        s.rows_read += 1;
        let bad = |col: usize, value: &str, message: String, s: &mut ImportSummary| {
            s.invalid += 1;
            if s.problems.len() < 100 {
                s.problems.push(RowProblem {
                    file: file.to_string(),
                    line: row as u64,
                    column: Some(cols.label(col)),
                    value: Some(excerpt(value)),
                    message,
                });
            }
        };
        let date = cell_date(date_cell);
        let amount_cell = get(cols.amount);
        let amount = cell_cents(amount_cell);
        let (date, amount) = match (date, amount) {
            (Some(d), Ok(a)) => (d, a),
            (None, _) => {
                bad(cols.date, &date_cell.text(), date_problem(date_cell), s);
                return;
            }
            (_, Err(problem)) => {
                bad(cols.amount, &amount_cell.text(), problem.describe(), s);
                return;
            }
        };
        let vendor_text = get(cols.vendor).text();
        let vendor = vendor_text.trim();
        let description_text = cols.description.map(|i| get(i).text());
        let description = description_text.as_deref().map(str::trim).filter(|d| !d.is_empty());
        // Vendors repeat: the pattern is run once per distinct spelling.
        let v = match k.vendors.get_mut(vendor) {
            Some(v) => v,
            None => {
                let matched = c.pattern.is_none_or(|p| p.is_match(vendor));
                k.vendors.entry(vendor.to_string()).or_insert((0, 0, matched))
            }
        };
        let matched = v.2;
        v.0 += 1;
        v.1 += amount as i128;
        // Once a row is invalid nothing is written: the import will be refused.
        if s.invalid == 0 || c.opts.skip_invalid {
            let ready = ReadyRow {
                row: row as i64,
                date: push_date(batch, date),
                amount,
                vendor: batch.push(&[vendor]),
                description: description.map(|d| batch.push(&[d])),
                excluded_reason: (!matched).then(|| {
                    batch.push(&["vendor '", vendor, "' does not match /", c.pattern_text.unwrap_or(""), "/"])
                }),
            };
            batch.rows.push(ready);
        }
        if matched {
            s.matched += 1;
            k.matched_sum += amount as i128;
            *k.matched_by_year.entry(date.year()).or_default() += amount as i128;
            s.first_date = Some(s.first_date.map_or(date, |f| f.min(date)));
            s.last_date = Some(s.last_date.map_or(date, |l| l.max(date)));
            let outside = c.period.0.is_some_and(|p| date < p) || c.period.1.is_some_and(|p| date > p);
            if outside {
                s.outside_period += 1;
                if s.outside_period_examples.len() < 5 {
                    s.outside_period_examples.push(format!("row {row}: {date}"));
                }
            }
        } else {
            s.excluded += 1;
        }
    };
    let mut sink = |row: usize, cells: &[Cell]| -> Result<()> {
        if let Some(cols) = k.columns.take() {
            handle(row, cells, &cols, &mut k, &mut batch);
            k.columns = Some(cols);
            if batch.full() {
                pass_on(&mut batch)?;
            }
            return Ok(());
        }
        // Still looking for the header row: nothing before it is kept.
        let is_header = match c.opts.header_row {
            Some(h) => row == h,
            None => header_score(cells) >= 2,
        };
        if is_header {
            let headers: Vec<String> = cells.iter().map(|c| excerpt(c.text().trim())).collect();
            let cols = detect_columns(&headers, &c.opts.columns, file)?;
            k.s.header_row = row;
            k.columns = Some(cols);
        } else if c.opts.header_row.is_none() {
            searched_rows += 1;
            searched_bytes += cells.iter().map(|c| c.text().len()).sum::<usize>();
            if searched_rows > HEADER_SEARCH_ROWS || searched_bytes > HEADER_SEARCH_BYTES {
                return Err(Error::invalid(format!(
                    "{file}: no header row found in the first {HEADER_SEARCH_ROWS} rows or 1 MiB (looked for columns such as date, amount, vendor); give it with --header-row N"
                )));
            }
        }
        Ok(())
    };
    let (format, sheet) = match stage {
        Some(store) => {
            let f = std::fs::File::open(source).map_err(|source| Error::Read { path: file.to_string(), source })?;
            let mut staging = store.stage_reading(f, Path::new(file))?;
            read_csv(source, &mut staging, file, &mut sink)?;
            k.staged_as_read = Some(staging.finish()?);
            ("csv".to_string(), None)
        }
        None => read_rows(source, file, c.opts.sheet.as_deref(), &mut sink)?,
    };
    if !batch.rows.is_empty() {
        pass_on(&mut batch)?;
    }
    k.s.format = format;
    k.s.sheet = sheet;
    Ok(k)
}

/// The writing side of an import: inserts the rows of each batch as it comes, with one prepared
/// statement, then hands the emptied batch back.
fn write_rows(
    tx: &rusqlite::Transaction<'_>,
    source_id: i64,
    batches: &std::sync::mpsc::Receiver<Batch>,
    recycle: &std::sync::mpsc::Sender<Batch>,
) -> Result<()> {
    const COLUMNS: &str = "INSERT INTO transactions (source_id, row_number, txn_date, amount_cents, vendor, description, excluded_reason) VALUES ";
    let values = |n: usize| (0..n).map(|_| "(?1, ?, ?, ?, ?, ?, ?)").collect::<Vec<_>>().join(", ");
    let mut one = tx.prepare(&format!("{COLUMNS}{}", values(1)))?;
    let mut many = tx.prepare(&format!("{COLUMNS}{}", values(ROWS_PER_INSERT)))?;
    one.raw_bind_parameter(1, source_id)?;
    many.raw_bind_parameter(1, source_id)?;
    for mut b in batches.iter() {
        let text = b.text.as_str();
        let bind = |stmt: &mut rusqlite::Statement<'_>, at: usize, r: &ReadyRow| -> rusqlite::Result<()> {
            stmt.raw_bind_parameter(at, r.row)?;
            stmt.raw_bind_parameter(at + 1, &text[r.date.clone()])?;
            stmt.raw_bind_parameter(at + 2, r.amount)?;
            stmt.raw_bind_parameter(at + 3, &text[r.vendor.clone()])?;
            stmt.raw_bind_parameter(at + 4, r.description.clone().map(|d| &text[d]))?;
            stmt.raw_bind_parameter(at + 5, r.excluded_reason.clone().map(|d| &text[d]))
        };
        let mut chunks = b.rows.chunks_exact(ROWS_PER_INSERT);
        for chunk in &mut chunks {
            for (i, r) in chunk.iter().enumerate() {
                bind(&mut many, 2 + 6 * i, r)?;
            }
            many.raw_execute()?;
        }
        for r in chunks.remainder() {
            bind(&mut one, 2, r)?;
            one.raw_execute()?;
        }
        b.text.clear();
        b.rows.clear();
        // The reader may be done already.
        let _ = recycle.send(b);
    }
    Ok(())
}

/// Imports a spending file for a request. Atomic: any bad row (unless `skip_invalid`) leaves the
/// database and the files folder as they were, and names the file, row, column and value.
pub fn import(
    conn: &mut Connection,
    store: &FileStore,
    code: &str,
    path: &Path,
    file: &str,
    opts: &ImportOptions,
    today: NaiveDate,
) -> Result<ImportSummary> {
    if opts.header_row == Some(0) {
        return Err(Error::invalid("--header-row 0 is not a row: rows are numbered from 1"));
    }
    let req = request::find(conn, code)?;
    let campaign = crate::store::campaign::get(conn, &req.campaign)?;
    let pattern_text = opts.vendor_pattern.clone().or(campaign.vendor_pattern.clone());
    let pattern: Option<Regex> = pattern_text
        .as_deref()
        .map(|p| crate::core::vendors::compile("the vendor pattern", p).map_err(Error::Invalid))
        .transpose()?;
    // What is kept in the files folder is exactly what was imported: a CSV file is copied there
    // (and hashed again) as it is read, a workbook (read by seeking) is copied first and read
    // from the copy. The copy is a hidden temporary until the database commits; on any error it
    // is removed when dropped. A dry run keeps nothing, so it reads the file where it is.
    let stage_while_reading = !opts.dry_run && matches!(sniff(path)?, Format::Csv);
    let staged = if opts.dry_run || stage_while_reading { None } else { Some(store.stage_file(path)?) };
    let source: &Path = staged.as_ref().map_or(path, |st| st.path());
    let stage = stage_while_reading.then_some(store);

    let tx = super::begin(conn)?;
    let s = ImportSummary {
        tracking_code: req.tracking_code.clone(),
        file: file.to_string(),
        sha256: String::new(),
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
        replaced: false,
        dry_run: opts.dry_run,
    };
    // The file is read and checked on one thread while this one writes the rows it passes on, in
    // batches through a bounded queue: memory stays a few batches whatever the file's size.
    let check = Check {
        file,
        opts,
        pattern: pattern.as_ref(),
        pattern_text: pattern_text.as_deref(),
        period: (campaign.period_start, campaign.period_end),
    };
    let (to_writer, batches) = std::sync::mpsc::sync_channel::<Batch>(QUEUED_BATCHES);
    let (recycle, spare) = std::sync::mpsc::channel::<Batch>();
    let (checked, written) = std::thread::scope(|scope| {
        let reader = scope.spawn(|| check_rows(source, stage, &check, s, to_writer, spare));
        // Meanwhile: the file's hash, its data source, then its rows as they come.
        let written = (|| -> Result<_> {
            let sha = match &staged {
                Some(st) => st.sha256.clone(),
                None => hash_file(path)?,
            };
            let existing: Option<(i64, NaiveDate)> = tx
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
            if let Some((id, _)) = existing {
                tx.execute("DELETE FROM transactions WHERE source_id = ?1", [id])?;
                tx.execute("DELETE FROM data_sources WHERE id = ?1", [id])?;
            }
            match &staged {
                Some(st) => st.record(&tx)?,
                None => {
                    let size = std::fs::metadata(path).map(|m| m.len() as i64).unwrap_or(0);
                    tx.execute("INSERT OR IGNORE INTO files (sha256, size) VALUES (?1, ?2)", params![sha, size])?;
                }
            }
            tx.execute(
                "INSERT INTO data_sources (request_id, sha256, file_name, format, sheet, header_row, columns, vendor_pattern,
                                           imported_on, rows_read)
                 VALUES (?1, ?2, ?3, 'csv', NULL, 1, '', ?4, ?5, 0)",
                params![req.id, sha, file, pattern_text, today],
            )?;
            let source_id = tx.last_insert_rowid();
            // What the request's dataset counts already (without the rows replaced), so the sums
            // with this file can be checked before anything is committed.
            let counted_before = counted_by_year(&tx, req.id)?;
            write_rows(&tx, source_id, &batches, &recycle)?;
            Ok((sha, source_id, counted_before, existing.is_some()))
        })();
        // A reader still sending after a failed write stops at its next batch.
        drop(batches);
        let checked = reader.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (checked, written)
    });
    let (sha, source_id, counted_before, replaced) = written?;
    let Checked { mut s, vendors, matched_sum, matched_by_year, columns, staged_as_read } = checked?;
    s.sha256 = sha.clone();
    s.replaced = replaced;
    let staged = match staged_as_read {
        Some(st) if st.sha256 != sha => {
            return Err(Error::invalid(format!("{file} changed while it was being imported; nothing was imported")));
        }
        Some(st) => Some(st),
        None => staged,
    };
    let Some(cols) = columns else {
        return Err(Error::invalid(match opts.header_row {
            Some(h) => format!("{file}: the file has no row {h} with a value"),
            None => format!(
                "{file}: no header row found (looked for columns such as date, amount, vendor); give it with --header-row N"
            ),
        }));
    };
    s.date_column = cols.label(cols.date);
    s.amount_column = cols.label(cols.amount);
    s.vendor_column = cols.label(cols.vendor);
    s.description_column = cols.description.map(|i| cols.label(i));

    if s.invalid > 0 && !opts.skip_invalid {
        tx.rollback()?;
        return Err(Error::Import { file: file.to_string(), problems: s.problems });
    }
    s.total_matched_cents =
        i64::try_from(matched_sum).map_err(|_| uncountable(format!("{file}: the counted amounts")))?;
    let mut vendor_lines = Vec::with_capacity(vendors.len());
    for (vendor, (rows, total, matched)) in vendors {
        let total_cents = i64::try_from(total)
            .map_err(|_| uncountable(format!("{file}: the amounts of vendor '{}'", excerpt(&vendor))))?;
        vendor_lines.push(VendorLine { vendor, rows, total_cents, matched });
    }
    vendor_lines.sort_by(|a, b| b.matched.cmp(&a.matched).then(b.rows.cmp(&a.rows)).then(a.vendor.cmp(&b.vendor)));
    s.vendors = vendor_lines;
    // With this file, the request's figures must still be countable, year by year and in all.
    let mut counted: BTreeMap<i32, i128> = counted_before.into_iter().map(|(y, (c, _))| (y, c)).collect();
    for (y, c) in matched_by_year {
        *counted.entry(y).or_default() += c;
    }
    for (y, c) in &counted {
        if i64::try_from(*c).is_err() {
            return Err(uncountable(format!("{file}: with it, {}'s counted amounts for {y}", req.tracking_code)));
        }
    }
    let reported = reported_by_year(&tx, req.id)?;
    if i64::try_from(figure_total(&counted, &reported)).is_err() {
        return Err(uncountable(format!("{file}: with it, {}'s figures", req.tracking_code)));
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
        if let Some(st) = staged {
            st.keep().map_err(|e| {
                Error::invalid(format!("{file} was imported, but its copy could not be kept in the files folder: {e}"))
            })?;
        }
    }
    Ok(s)
}

/// A request's counted transactions (those matching the vendor pattern), by year: (cents, rows).
/// Exact whatever the stored amounts: SQLite's SUM fails on overflow, so each amount is summed
/// as its high and low 32 bits (neither sum can overflow before 2^31 rows) and the two are put
/// back together in 128 bits; the caller says what does not fit an `i64`.
pub fn counted_by_year(conn: &Connection, request_id: i64) -> Result<BTreeMap<i32, (i128, i64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT CAST(strftime('%Y', t.txn_date) AS INTEGER), SUM(t.amount_cents >> 32),
                SUM(t.amount_cents & 4294967295), COUNT(*)
         FROM transactions t JOIN data_sources s ON s.id = t.source_id
         WHERE s.request_id = ?1 AND t.excluded_reason IS NULL GROUP BY 1 ORDER BY 1",
    )?;
    let rows = stmt.query_map([request_id], |r| {
        let (high, low): (i64, i64) = (r.get(1)?, r.get(2)?);
        Ok((r.get::<_, i32>(0)?, ((high as i128) << 32) + low as i128, r.get::<_, i64>(3)?))
    })?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (year, cents, n) = row?;
        out.insert(year, (cents, n));
    }
    Ok(out)
}

/// The totals a request's agency reported, by year.
pub fn reported_by_year(conn: &Connection, request_id: i64) -> Result<BTreeMap<i32, i64>> {
    let mut stmt = conn.prepare_cached("SELECT year, amount_cents FROM reported_totals WHERE request_id = ?1")?;
    let rows = stmt.query_map([request_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Records a total an agency reported (replacing an earlier one for the same year).
pub fn record_total(
    conn: &mut Connection,
    code: &str,
    year: i32,
    cents: i64,
    note: Option<&str>,
    today: NaiveDate,
) -> Result<()> {
    money::check_amount(cents).map_err(Error::Invalid)?;
    if !(1900..=2199).contains(&year) {
        return Err(Error::invalid(format!("--year {year} is out of range: give a year from 1900 to 2199")));
    }
    let tx = super::begin(conn)?;
    let req = request::find(&tx, code)?;
    tx.execute(
        "INSERT INTO reported_totals (request_id, year, amount_cents, note, recorded_on) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (request_id, year) DO UPDATE SET amount_cents = excluded.amount_cents, note = excluded.note,
            recorded_on = excluded.recorded_on",
        params![req.id, year, cents, note, today],
    )?;
    // The request's figures must stay countable with it.
    let counted: BTreeMap<i32, i128> = counted_by_year(&tx, req.id)?.into_iter().map(|(y, (c, _))| (y, c)).collect();
    let reported = reported_by_year(&tx, req.id)?;
    if i64::try_from(figure_total(&counted, &reported)).is_err() {
        return Err(Error::invalid(format!(
            "with {}, {}'s figures would add up to more than foiatrack can count ({}); nothing was recorded",
            format_cents(cents),
            req.tracking_code,
            format_cents(i64::MAX)
        )));
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Reads `bytes` as a file the way `import` does; errors are fine, panics are not.
    fn read_bytes(bytes: &[u8], sheet: Option<&str>) -> Result<usize> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, bytes).unwrap();
        let mut rows = 0;
        read_rows(&path, "f", sheet, &mut |_, cells| {
            assert!(cells.len() <= MAX_SHEET_COLUMNS as usize || bytes.first() != Some(&b'P'));
            rows += 1;
            Ok(())
        })?;
        Ok(rows)
    }

    fn workbook() -> Vec<u8> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in ["Date", "Vendor", "Amount"].iter().enumerate() {
            ws.write(0, c as u16, *h).unwrap();
        }
        ws.write(1, 0, "2016-01-05").unwrap();
        ws.write(1, 1, "Amazon").unwrap();
        ws.write(1, 2, 12.5).unwrap();
        wb.save_to_buffer().unwrap()
    }

    #[test]
    fn a_workbook_streams_its_rows() {
        assert_eq!(read_bytes(&workbook(), None).unwrap(), 2);
        assert_eq!(read_bytes(&workbook(), Some("Sheet1")).unwrap(), 2);
        let err = read_bytes(&workbook(), Some("Nope")).unwrap_err().to_string();
        assert_eq!(err, "f: no sheet 'Nope' (sheets: Sheet1)");
    }

    #[test]
    fn csv_rows_are_bounded() {
        let mut long = b"a,".to_vec();
        long.extend(std::iter::repeat_n(b'x', (MAX_ROW_BYTES + 10) as usize));
        let err = read_bytes(&long, None).unwrap_err().to_string();
        assert!(err.contains("longer than 1 MiB"), "{err}");
        // Just under the bound is read.
        let mut ok = b"a,".to_vec();
        ok.extend(std::iter::repeat_n(b'x', (MAX_ROW_BYTES - 100_000) as usize));
        ok.extend_from_slice(b"\nb,c\n");
        assert_eq!(read_bytes(&ok, None).unwrap(), 2);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn the_csv_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let _ = read_bytes(&bytes, None);
        }

        #[test]
        fn csv_like_bytes_never_panic(text in "[a-z0-9,;\t\"\r\n\u{feff}$().-]{0,2000}") {
            let _ = read_bytes(text.as_bytes(), None);
        }

        #[test]
        fn the_xlsx_reader_never_panics_on_arbitrary_bytes(tail in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let mut bytes = b"PK\x03\x04".to_vec();
            bytes.extend(tail);
            prop_assert!(read_bytes(&bytes, None).is_err());
        }

        #[test]
        fn the_xlsx_reader_never_panics_on_a_damaged_workbook(
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
            truncate in any::<bool>(),
        ) {
            let mut bytes = workbook();
            for (at, b) in flips {
                let i = at.index(bytes.len());
                bytes[i] = b;
            }
            if truncate {
                bytes.truncate(cut.index(bytes.len()).max(4));
            }
            let _ = read_bytes(&bytes, None);
        }

        #[test]
        fn the_xls_reader_never_panics_on_arbitrary_bytes(tail in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let mut bytes = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
            bytes.extend(tail);
            prop_assert!(read_bytes(&bytes, None).is_err());
        }
    }
}
