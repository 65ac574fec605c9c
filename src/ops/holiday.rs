//! Holiday changes. Each recomputes only the requests of that state whose counted days can
//! include the day changed.

use chrono::NaiveDate;
use rusqlite::Connection;

use crate::Result;
use crate::projection::{self, Scope};
use crate::store::holiday;

/// Adds (or renames) a holiday.
pub fn add(conn: &mut Connection, state: &str, date: NaiveDate, name: &str) -> Result<()> {
    let tx = super::begin(conn)?;
    if holiday::add(&tx, state, date, name)? {
        projection::recompute(&tx, Scope::HolidayIn(state, date))?;
    }
    tx.commit()?;
    Ok(())
}

/// Removes a holiday; returns its name.
pub fn remove(conn: &mut Connection, state: &str, date: NaiveDate) -> Result<String> {
    let tx = super::begin(conn)?;
    let name = holiday::remove(&tx, state, date)?;
    projection::recompute(&tx, Scope::HolidayIn(state, date))?;
    tx.commit()?;
    Ok(name)
}

/// What a holiday import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Imported {
    pub added: usize,
    pub unchanged: usize,
}

/// Imports a whole calendar file: all rows or none, one recompute per changed day.
pub fn import(conn: &mut Connection, file: &str, data: &[u8]) -> Result<Imported> {
    let tx = super::begin(conn)?;
    let rows = holiday::parse_file(&tx, file, data)?;
    let mut done = Imported { added: 0, unchanged: 0 };
    for r in &rows {
        if holiday::add(&tx, &r.state, r.date, &r.name)? {
            projection::recompute(&tx, Scope::HolidayIn(&r.state, r.date))?;
            done.added += 1;
        } else {
            done.unchanged += 1;
        }
    }
    tx.commit()?;
    Ok(done)
}
