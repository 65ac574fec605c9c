//! Reading spending files, pure part: cells, dates and amounts as agencies write them, and
//! finding the header row and the date, vendor, amount and description columns.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use serde::Serialize;

use crate::core::dates;
use crate::core::money::{self, AmountProblem};
use crate::{Error, Result};

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
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Text(s) => Cow::Borrowed(s.trim()),
            Cell::Number(n) => Cow::Owned(n.to_string()),
            Cell::Date(d) => Cow::Owned(d.to_string()),
        }
    }
    pub fn is_empty(&self) -> bool {
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
pub fn quick_date(s: &str) -> Option<NaiveDate> {
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

fn any_cell_date(c: &Cell) -> Option<NaiveDate> {
    match c {
        Cell::Date(d) => Some(*d),
        Cell::Number(n) => parse_date(&n.to_string()),
        other => parse_date(&other.text()),
    }
}

/// The date in a cell, within the dates foiatrack accepts (1900-01-01 to 2199-12-31).
pub fn cell_date(c: &Cell) -> Option<NaiveDate> {
    any_cell_date(c).filter(|d| dates::in_bounds(*d))
}

/// Why `cell_date` found no date in a cell, in words for a row problem.
pub fn date_problem(c: &Cell) -> String {
    match any_cell_date(c) {
        Some(_) => format!("outside the dates foiatrack accepts ({} to {})", dates::MIN_DATE, dates::MAX_DATE),
        None => "not a date".into(),
    }
}

/// An agency's figure over all years, in 128 bits (the caller says what does not fit an `i64`):
/// each year's counted transactions, else the total it reported for that year.
pub fn figure_total(counted: &BTreeMap<i32, i128>, reported: &BTreeMap<i32, i64>) -> i128 {
    let from_reports: i128 = reported.iter().filter(|(y, _)| !counted.contains_key(y)).map(|(_, c)| *c as i128).sum();
    counted.values().sum::<i128>() + from_reports
}

/// Cents from a cell: text through the money parser; a spreadsheet number exactly, refusing
/// fractions of a cent that are not float noise. Either way within `money::MAX_AMOUNT_CENTS`.
pub fn cell_cents(c: &Cell) -> std::result::Result<i64, AmountProblem> {
    match c {
        Cell::Number(f) => money::float_cents(*f),
        other => money::parse_amount(&other.text()),
    }
}

/// A value as quoted in an error: at most 60 characters, so a hostile cell cannot flood a message.
pub fn excerpt(s: &str) -> String {
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
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
    pub fn label(&self, i: usize) -> String {
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

pub fn detect_columns(headers: &[String], choice: &ColumnChoice, file: &str) -> Result<Columns> {
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
pub fn header_score(cells: &[Cell]) -> usize {
    let texts: Vec<String> = cells.iter().map(|c| c.text().into_owned()).collect();
    let hits: Vec<usize> =
        ROLES.iter().map(|(_, names)| texts.iter().filter(|t| role_score(t, names) > 0).count()).collect();
    if hits[1] == 0 {
        return 0;
    }
    hits.iter().filter(|h| **h > 0).count()
}

/// Picks the delimiter whose count is the same on most of the first lines.
pub fn detect_delimiter(sample: &[u8]) -> u8 {
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

/// 1048576 -> "1,048,576".
pub fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Checks an XLS workbook (BIFF records in an OLE compound file) before calamine reads it:
/// calamine follows the file's sector chains, reads every sheet at once and holds each as one cell
/// per position of its used range, so a few hundred bytes could make it loop, read gigabytes or
/// reserve terabytes. This walks the same structures the same way, without holding them, and
/// refuses chains that loop or run out of the file, sheets whose declared or used range exceeds
/// `max_rows` x `max_cols`, and workbooks whose sheets' ranges add up to more than `max_cells`.
/// The error is a clause to follow the file's name.
pub fn check_xls(b: &[u8], max_rows: u32, max_cols: u32, max_cells: u64) -> std::result::Result<(), String> {
    const END: u32 = 0xFFFF_FFFE;
    const RESERVED: u32 = 0xFFFF_FFFA;
    const DIFSECT: u32 = 0xFFFF_FFFC;
    let damaged =
        |what: &str| format!("the workbook is damaged ({what}); open it in a spreadsheet program and save it as XLSX");
    let u16_at = |d: &[u8], i: usize| d.get(i..i + 2).map(|x| u16::from_le_bytes([x[0], x[1]]));
    let u32_at = |d: &[u8], i: usize| d.get(i..i + 4).map(|x| u32::from_le_bytes([x[0], x[1], x[2], x[3]]));
    if b.len() < 512 || b[..8] != *b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" {
        return Err(damaged("not a compound document"));
    }
    let size: usize = match u16_at(b, 30) {
        Some(9) => 512,
        Some(12) => 4096,
        _ => return Err(damaged("sector size")),
    };
    let version = u16_at(b, 26).unwrap_or(0);
    // Sector `id` starts after the header, which takes one sector; the last may be cut short.
    let maxid = (b.len() / size) as u64;
    let sector = |id: u32| -> std::result::Result<&[u8], String> {
        if id as u64 > maxid {
            return Err(damaged("a sector beyond the end of the file"));
        }
        let start = (size + id as usize * size).min(b.len());
        Ok(&b[start..(start + size).min(b.len())])
    };
    // DIFAT: the FAT's own sectors, 109 in the header, then a chain of DIFAT sectors.
    let mut difat: Vec<u32> = b[76..512].chunks(4).map(|x| u32_at(x, 0).unwrap_or(0)).collect();
    let mut id = u32_at(b, 68).unwrap_or(END);
    let mut steps = 0u64;
    while id < RESERVED {
        steps += 1;
        if steps > maxid + 1 {
            return Err(damaged("its sector allocation table loops"));
        }
        difat.extend(sector(id)?.chunks(4).filter_map(|x| u32_at(x, 0)));
        id = difat.pop().unwrap_or(END);
    }
    let fat_sectors: Vec<u32> = difat.into_iter().filter(|id| *id < DIFSECT).collect();
    if fat_sectors.len() as u64 > maxid + 1 {
        return Err(damaged("its sector allocation table is larger than the file"));
    }
    let per = size / 4;
    let fat = |id: u32| -> Option<u32> {
        let s = sector(*fat_sectors.get(id as usize / per)?).ok()?;
        u32_at(s, (id as usize % per) * 4)
    };
    // A chain of sectors as calamine reads it, up to `len` bytes; at most one visit per sector.
    let chain = |start: u32, len: u64| -> std::result::Result<Vec<u8>, String> {
        let mut out = Vec::new();
        let mut id = start;
        let mut steps = 0u64;
        while id != END && (out.len() as u64) < len {
            let s = sector(id)?;
            let take = (s.len() as u64).min(len - out.len() as u64) as usize;
            out.extend_from_slice(&s[..take]);
            if out.len() as u64 >= len {
                break;
            }
            steps += 1;
            if steps > maxid + 1 {
                return Err(damaged("a chain of sectors loops"));
            }
            id = fat(id).ok_or_else(|| damaged("a chain of sectors runs out of the file"))?;
        }
        Ok(out)
    };
    let dirs = chain(u32_at(b, 48).unwrap_or(END), u64::MAX)?;
    let entries: Vec<(String, u32, u64)> = dirs
        .chunks_exact(128)
        .map(|d| {
            let units: Vec<u16> = d[..64].chunks(2).map(|x| u16::from_le_bytes([x[0], x[1]])).collect();
            let mut name = String::from_utf16_lossy(&units);
            if let Some(l) = name.find('\0') {
                name.truncate(l);
            }
            let len = if size == 512 {
                u32_at(d, 120).unwrap_or(0) as u64
            } else {
                u64::from_le_bytes(d[120..128].try_into().expect("eight bytes"))
            };
            (name, u32_at(d, 116).unwrap_or(END), len)
        })
        .collect();
    let Some(root) = entries.first() else { return Err(damaged("no directory")) };
    if version != 3 && root.1 == END {
        return Err(damaged("no directory"));
    }
    let mini_fat_len = u32_at(b, 64).unwrap_or(0) as u64;
    let (mini_fat, mini) = if mini_fat_len > 0 {
        let mini = chain(root.1, root.2)?;
        let mini_fat: Vec<u32> = chain(u32_at(b, 60).unwrap_or(END), mini_fat_len.saturating_mul(size as u64))?
            .chunks_exact(4)
            .filter_map(|x| u32_at(x, 0))
            .collect();
        (mini_fat, mini)
    } else {
        (Vec::new(), Vec::new())
    };
    let find = |n: &str| entries.iter().find(|e| e.0.eq_ignore_ascii_case(n));
    let Some(&(_, start, len)) = find("Workbook").or_else(|| find("Book")) else {
        return Err(damaged("no workbook stream"));
    };
    let stream_bytes = if len < 4096 {
        let mut out = Vec::new();
        let mut id = start;
        let mut steps = 0u64;
        while id != END && (out.len() as u64) < len {
            if id as u64 > maxid * 8 {
                return Err(damaged("a sector beyond the end of the file"));
            }
            let at = (id as usize * 64).min(mini.len());
            let s = &mini[at..(at + 64).min(mini.len())];
            out.extend_from_slice(&s[..s.len().min((len - out.len() as u64) as usize)]);
            steps += 1;
            if steps > maxid * 8 + 1 {
                return Err(damaged("a chain of sectors loops"));
            }
            id = *mini_fat.get(id as usize).ok_or_else(|| damaged("a chain of sectors runs out of the file"))?;
        }
        out
    } else {
        chain(start, len)?
    };
    let stream: &[u8] = &stream_bytes;

    // BIFF records: (type, data), with CONTINUE records left out as calamine joins them.
    let records = |from: usize| {
        let mut at = from;
        std::iter::from_fn(move || {
            let t = u16_at(stream, at)?;
            let n = u16_at(stream, at + 2)? as usize;
            let data = stream.get(at + 4..at + 4 + n)?;
            at += 4 + n;
            while u16_at(stream, at) == Some(0x003C) {
                at += 4 + u16_at(stream, at + 2)? as usize;
            }
            Some((t, data))
        })
    };
    let mut sheets: Vec<(usize, String)> = Vec::new();
    for (t, d) in records(0) {
        match t {
            0x0085 => {
                let pos = u32_at(d, 0).unwrap_or(0) as usize;
                let name = match (d.get(6), d.get(7)) {
                    (Some(&n), Some(&flags)) if flags & 1 == 1 => {
                        let units: Vec<u16> =
                            d[8..].chunks_exact(2).take(n as usize).map(|x| u16::from_le_bytes([x[0], x[1]])).collect();
                        String::from_utf16_lossy(&units)
                    }
                    (Some(&n), Some(_)) => d[8..].iter().take(n as usize).map(|c| *c as char).collect(),
                    _ => String::new(),
                };
                sheets.push((pos, name));
            }
            0x000A => break,
            _ => {}
        }
    }
    let mut budget = max_cells;
    for (i, (pos, name)) in sheets.iter().enumerate() {
        let name = if name.is_empty() { format!("{}", i + 1) } else { name.clone() };
        if *pos > stream.len() {
            return Err(damaged(&format!("sheet '{name}' starts beyond the end of the workbook")));
        }
        let refuse = |r0: u64, c0: u64, r1: u64, c1: u64, what: &str| -> String {
            format!(
                "sheet '{name}' {what} {}{}:{}{} ({} rows x {} columns), more than the {} cells foiatrack reads from an XLS workbook (at most {} rows and {} columns); save it as XLSX or CSV",
                column_letter(c0 as usize),
                r0 + 1,
                column_letter(c1.min(1 << 20) as usize),
                r1 + 1,
                group_digits(r1 - r0 + 1),
                group_digits(c1 - c0 + 1),
                group_digits(max_cells),
                group_digits(max_rows as u64),
                max_cols
            )
        };
        let (mut depth, mut seen_bof) = (0usize, false);
        let mut used: Option<(u64, u64, u64, u64)> = None;
        let mut cell = |r: u64, c: u64| {
            used = Some(match used {
                None => (r, c, r, c),
                Some((r0, c0, r1, c1)) => (r0.min(r), c0.min(c), r1.max(r), c1.max(c)),
            });
        };
        for (t, d) in records(*pos) {
            if depth > 0 {
                match t {
                    0x0809 => depth += 1,
                    0x000A => depth -= 1,
                    _ => {}
                }
                continue;
            }
            let rc = (u16_at(d, 0), u16_at(d, 2));
            match t {
                0x0809 if seen_bof => depth += 1,
                0x0809 => seen_bof = true,
                0x000A => break,
                0x0200 => {
                    let (rf, rl, cf, cl) = match d.len() {
                        10 => (
                            rc.0.unwrap_or(0) as u64,
                            rc.1.unwrap_or(0) as u64,
                            u16_at(d, 4).unwrap_or(0) as u64,
                            u16_at(d, 6).unwrap_or(0) as u64,
                        ),
                        14 | 16 => (
                            u32_at(d, 0).unwrap_or(0) as u64,
                            u32_at(d, 4).unwrap_or(0) as u64,
                            u16_at(d, 8).unwrap_or(0) as u64,
                            u16_at(d, 10).unwrap_or(0) as u64,
                        ),
                        _ => continue,
                    };
                    let cf = if cf > 0xFF || cl < cf { 0 } else { cf };
                    if rl >= 1 && cl >= 1 {
                        if rl - 1 < rf {
                            return Err(damaged(&format!("sheet '{name}' declares rows that end before they start")));
                        }
                        let cells = (rl - rf).saturating_mul(cl - cf);
                        if rl > max_rows as u64 || cl > max_cols as u64 || cells > max_cells {
                            return Err(refuse(rf, cf, rl - 1, cl - 1, "declares"));
                        }
                    }
                }
                0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 => {
                    if let (Some(r), Some(c)) = rc {
                        cell(r as u64, c as u64);
                    }
                }
                0x00BD if d.len() >= 6 => {
                    let (r, first, last) = (rc.0.unwrap_or(0), rc.1.unwrap_or(0), u16_at(d, d.len() - 2).unwrap_or(0));
                    if last < first {
                        return Err(damaged(&format!("sheet '{name}' has a run of cells that ends before it starts")));
                    }
                    cell(r as u64, first as u64);
                    cell(r as u64, last as u64);
                }
                _ => {}
            }
        }
        if let Some((r0, c0, r1, c1)) = used {
            let cells = (r1 - r0 + 1) * (c1 - c0 + 1);
            if r1 >= max_rows as u64 || c1 >= max_cols as u64 || cells > budget {
                return Err(refuse(r0, c0, r1, c1, "spans"));
            }
            budget -= cells;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::csvin::CrlfToLf;
    use std::io::Read;

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
        assert_eq!(cell_cents(&Cell::Number(1.005)), Err(AmountProblem::FractionOfCent));
        assert_eq!(cell_cents(&Cell::Text("(12.00)".into())).unwrap(), -1200);
        assert_eq!(cell_cents(&Cell::Number(9e16)), Err(AmountProblem::TooLarge));
        assert_eq!(cell_cents(&Cell::Number(1e13)), Err(AmountProblem::TooLarge), "once slipped past the parser");
        assert_eq!(cell_cents(&Cell::Text("90000000000000000.00".into())), Err(AmountProblem::TooLarge));
        assert_eq!(cell_cents(&Cell::Text("twelve".into())), Err(AmountProblem::NotMoney));
    }

    #[test]
    fn dates_outside_the_accepted_range_are_not_dates() {
        assert_eq!(cell_date(&Cell::Text("2016-01-05".into())), Some(d("2016-01-05")));
        assert_eq!(cell_date(&Cell::Text("9999-12-31".into())), None);
        assert_eq!(cell_date(&Cell::Text("1899-12-31".into())), None);
        assert_eq!(cell_date(&Cell::Date(d("2200-01-01"))), None);
        assert_eq!(excerpt("short"), "short");
        assert_eq!(excerpt(&"x".repeat(100)), format!("{}...", "x".repeat(60)));
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
