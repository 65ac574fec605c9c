//! Laws as people read them: the table of every jurisdiction's law, and one law with the
//! agencies it binds, its holidays for a year (each with where it comes from) and its sources.

use std::collections::HashMap;

use rusqlite::Connection;
use serde::Serialize;

use crate::core::calendar::{self, Holiday};
use crate::store::agency::{self, Agency, Filter};
use crate::store::law::{self, Law};
use crate::{Error, Result};

/// A law as listed, with how many agencies in the database it binds.
#[derive(Debug, Clone, Serialize)]
pub struct LawRow {
    pub law: Law,
    pub agencies: i64,
}

/// Every law (federal last), with agency counts.
pub fn table(conn: &Connection) -> Result<Vec<LawRow>> {
    let mut stmt = conn.prepare("SELECT state, COUNT(*) FROM agencies GROUP BY state")?;
    let counts = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<HashMap<_, _>>>()?;
    Ok(law::list(conn)?
        .into_iter()
        .map(|law| LawRow { agencies: counts.get(&law.code).copied().unwrap_or(0), law })
        .collect())
}

/// One law, in full.
#[derive(Debug, Clone, Serialize)]
pub struct LawPage {
    pub law: Law,
    /// The year the holidays are for.
    pub year: i32,
    /// The days the jurisdiction's offices close that year, with their origin (federal, the
    /// state's own rule, or added by a user).
    pub holidays: Vec<Holiday>,
    /// Where the built-in calendar comes from.
    pub calendar_sources: Vec<String>,
    /// Where the law's facts come from.
    pub sources: Vec<String>,
    /// Agencies in the database under this law that follow its period.
    pub agencies: Vec<Agency>,
    /// Agencies under this law with a period of their own.
    pub own_period: Vec<Agency>,
}

/// The first and last years a holiday list can be asked for.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2199;

/// One law, its agencies, and its holidays in `year`.
pub fn page(conn: &Connection, code: &str, year: i32) -> Result<LawPage> {
    let law = law::get(conn, code)?;
    if !YEARS.contains(&year) {
        return Err(Error::invalid(format!("the year {year} is out of range: give a year from 1900 to 2199")));
    }
    let holidays = crate::store::holiday::calendar(conn, &law.code)?.holidays(year);
    let (own_period, agencies): (Vec<Agency>, Vec<Agency>) =
        agency::list(conn, &Filter { states: vec![law.code.clone()], kinds: Vec::new() })?
            .into_iter()
            .partition(|a| a.day_type.is_some());
    Ok(LawPage {
        year,
        holidays,
        calendar_sources: calendar::sources(&law.code),
        sources: split_sources(&law.source),
        agencies,
        own_period,
        law,
    })
}

/// The `|`-separated sources of a law, one per entry.
pub fn split_sources(s: &str) -> Vec<String> {
    s.split('|').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
}
