//! Each jurisdiction's holiday changes (days added, federal days not observed), and the
//! calendar they make with the rules in `core::calendar`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use rusqlite::{Connection, Transaction, params};

use crate::core::calendar::Calendar;
use crate::core::csvin;

use crate::error::RowProblem;
use crate::{Error, Result};
/// Loads one jurisdiction's calendar.
pub fn calendar(conn: &Connection, state: &str) -> Result<Calendar> {
    let mut stmt = conn.prepare_cached("SELECT date, change, name FROM holiday_changes WHERE state = ?1")?;
    let mut added = BTreeMap::new();
    let mut removed = BTreeSet::new();
    let rows =
        stmt.query_map([state], |r| Ok((r.get::<_, NaiveDate>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?;
    for row in rows {
        let (date, change, name) = row?;
        if change == "added" {
            added.insert(date, name);
        } else {
            removed.insert(date);
        }
    }
    Ok(Calendar::with_changes(state, added, removed))
}

/// Adds a holiday for one jurisdiction (or renames one it already has). Returns false when the
/// calendar had that day under that name already, so imports do not count it.
pub fn add(conn: &Transaction<'_>, state: &str, date: NaiveDate, name: &str) -> Result<bool> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::invalid("a holiday needs a name"));
    }
    if !crate::core::dates::in_bounds(date) {
        return Err(Error::invalid(format!("{date} is outside the dates foiatrack accepts")));
    }
    let same: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM holiday_changes WHERE state = ?1 AND date = ?2 AND change = 'added' AND name = ?3)",
        params![state, date, name],
        |r| r.get(0),
    )?;
    if same {
        return Ok(false);
    }
    conn.execute(
        "INSERT INTO holiday_changes (state, date, change, name) VALUES (?1, ?2, 'added', ?3)
         ON CONFLICT (state, date) DO UPDATE SET change = 'added', name = excluded.name",
        params![state, date, name],
    )?;
    Ok(true)
}

/// Removes a holiday from one jurisdiction's calendar: drops an added day, or records that a
/// federal day is not observed there. Returns the removed holiday's name.
pub fn remove(conn: &Transaction<'_>, state: &str, date: NaiveDate) -> Result<String> {
    let cal = calendar(conn, state)?;
    let Some(name) = cal.holiday_name(date) else {
        return Err(Error::invalid(format!("{date} is not a holiday in {state}")));
    };
    if cal.is_built_in(date) {
        conn.execute(
            "INSERT INTO holiday_changes (state, date, change, name) VALUES (?1, ?2, 'removed', ?3)
             ON CONFLICT (state, date) DO UPDATE SET change = 'removed', name = excluded.name",
            params![state, date, name],
        )?;
    } else {
        conn.execute("DELETE FROM holiday_changes WHERE state = ?1 AND date = ?2", params![state, date])?;
    }
    Ok(name)
}

/// A row of a holiday calendar file (`state,date,name`).
#[derive(Debug, Clone)]
pub struct HolidayRow {
    pub state: String,
    pub date: NaiveDate,
    pub name: String,
}

/// Reads and checks a whole holiday file; any bad row fails it with every problem listed.
pub fn parse_file(conn: &Connection, file: &str, data: &[u8]) -> Result<Vec<HolidayRow>> {
    let table = csvin::read_table(file, data)?;
    let headers = table.headers;
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(si), Some(di), Some(ni)) = (col("state"), col("date"), col("name")) else {
        return Err(Error::invalid(format!("{file}: the header must have the columns state, date, name")));
    };
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for rec in table.records {
        let (line, rec) = match rec {
            Ok(r) => r,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        let get = |i: usize| rec.get(i).unwrap_or("").trim().to_string();
        let problem = |column: &str, value: String, message: String| RowProblem {
            file: file.into(),
            line,
            column: Some(column.into()),
            value: Some(value),
            message,
        };
        let state = match crate::store::law::code(conn, &get(si)) {
            Ok(s) => Some(s),
            Err(e) => {
                problems.push(problem("state", get(si), e.to_string()));
                None
            }
        };
        let date = match crate::core::dates::parse_ymd(&get(di)) {
            Ok(d) => Some(d),
            Err(msg) => {
                problems.push(problem("date", get(di), msg));
                None
            }
        };
        if get(ni).is_empty() {
            problems.push(problem("name", get(ni), "a holiday needs a name".into()));
        }
        if let (Some(state), Some(date)) = (state, date) {
            rows.push(HolidayRow { state, date, name: get(ni) });
        }
    }
    if problems.is_empty() { Ok(rows) } else { Err(Error::Import { file: file.into(), problems }) }
}
