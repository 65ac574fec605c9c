//! Spending data: the files agencies return (CSV, XLSX, XLS) read into transactions with
//! provenance, filtered by the campaign's vendor pattern, and the totals agencies report.
//!
//! CSV is streamed: rows are checked and written inside one transaction as they are read, so
//! memory does not grow with the file; any bad row rolls the whole import back.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use chrono::NaiveDate;
use regex::{Regex, RegexBuilder};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::core::csvin::CrlfToLf;
use crate::core::money;
use crate::core::spending::*;
use crate::error::RowProblem;
use crate::store::files::{FileStore, hash_file};
use crate::store::request;
use crate::{Error, Result};

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
    let campaign = crate::store::campaign::get(conn, &req.campaign)?;
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
    tx.commit()?;
    Ok(())
}
