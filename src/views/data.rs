//! Spending figures as read back: each request's dataset with its sources, per-year totals.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rusqlite::Connection;
use serde::Serialize;

use crate::core::money::{self, MAX_AMOUNT_CENTS, format_cents};
use crate::core::spending::figure_total;
use crate::store::request;
use crate::{Error, Result};

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

/// "C-0001's ... add up to more than foiatrack can count": a figure beyond an `i64` of cents,
/// which only a database written before amounts were bounded can hold.
fn uncountable(code: &str, what: &str) -> Error {
    Error::invalid(format!(
        "{code}: {what} add up to more than foiatrack can count ({}); its data holds amounts no import accepts today (each at most {})",
        format_cents(i64::MAX),
        format_cents(MAX_AMOUNT_CENTS)
    ))
}

pub fn dataset(conn: &Connection, code: &str) -> Result<Dataset> {
    let req = request::find(conn, code)?;
    let code = req.tracking_code.as_str();
    // Summed exactly in SQL (no overflow there) and checked here.
    let counted = crate::ops::data::counted_by_year(conn, req.id)?;
    let mut txn: BTreeMap<i32, (i64, i64)> = BTreeMap::new();
    for (year, (cents, n)) in &counted {
        let cents =
            i64::try_from(*cents).map_err(|_| uncountable(code, &format!("the counted transactions for {year}")))?;
        txn.insert(*year, (cents, *n));
    }
    let reported = crate::ops::data::reported_by_year(conn, req.id)?;
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
    let total_cents = if years.is_empty() {
        None
    } else {
        let total = figure_total(&counted.iter().map(|(y, (c, _))| (*y, *c)).collect(), &reported);
        Some(i64::try_from(total).map_err(|_| uncountable(code, "its figures"))?)
    };
    let reported_total_cents = if reported.is_empty() {
        None
    } else {
        Some(money::checked_sum(reported.values().copied()).map_err(|_| uncountable(code, "the totals it reported"))?)
    };
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
        reported_total_cents,
        years,
        sources,
    })
}

/// Every request with figures, optionally in one campaign and one year.
pub fn datasets(conn: &Connection, campaign: Option<&str>) -> Result<Vec<Dataset>> {
    let campaign_id = campaign.map(|c| crate::store::campaign::get(conn, c)).transpose()?.map(|c| c.id);
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
pub fn campaign_year(c: &crate::store::campaign::Campaign) -> Option<i32> {
    match (c.period_start, c.period_end) {
        (Some(a), Some(b)) if a.year() == b.year() => Some(a.year()),
        _ => None,
    }
}
