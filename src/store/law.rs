//! Records laws: one per jurisdiction, built in from researched data, correctable by the user.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use serde::{Deserialize, Serialize};

use crate::core::dates::check_days;
use crate::core::daytype::DayType;
use crate::{Error, Result};

/// The researched facts (see `source` of each row). Copied from shared/data/state_laws.csv.
const BUILTIN_CSV: &str = include_str!("../../data/laws.csv");

/// A jurisdiction's records law as in force for this database (built-in values with the
/// user's corrections applied).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Law {
    pub code: String,
    pub law_name: String,
    pub short_name: String,
    pub citation: String,
    pub response_days: Option<u32>,
    pub day_type: DayType,
    pub extension_days: Option<u32>,
    pub notes: String,
    pub source: String,
    /// Present when the user corrected this law: what changed, from what.
    #[serde(rename = "override")]
    pub correction: Option<Correction>,
}

impl Law {
    /// "3 business days", "10 calendar days", or "no fixed period".
    pub fn period(&self) -> String {
        match (self.response_days, self.day_type) {
            (Some(n), DayType::Business | DayType::Calendar) => {
                format!("{n} {} day{}", self.day_type, if n == 1 { "" } else { "s" })
            }
            _ => "no fixed period".to_string(),
        }
    }
}

/// Whether a law gives an administrative appeal before going to court, as the researched notes
/// say ("Administrative appeal: ..." / "No administrative appeal ...").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Appeal {
    Administrative,
    None,
    Unknown,
}

impl Law {
    pub fn appeal(&self) -> Appeal {
        let n = self.notes.to_ascii_lowercase();
        if n.contains("no administrative appeal")
            || n.contains("no formal administrative appeal")
            || n.contains("no agency appeal")
        {
            Appeal::None
        } else if n.contains("administrative appeal") {
            Appeal::Administrative
        } else {
            Appeal::Unknown
        }
    }
}

/// A user's correction of a built-in law, with the built-in values it replaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Correction {
    pub set_on: NaiveDate,
    pub note: String,
    /// Human-readable "field: built-in -> now" lines.
    pub changes: Vec<String>,
}

/// The fields a user may correct; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct LawChange {
    pub law_name: Option<String>,
    pub citation: Option<String>,
    pub response_days: Option<u32>,
    pub day_type: Option<DayType>,
    pub extension_days: Option<u32>,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
struct BuiltinRow {
    state: String,
    law_name: String,
    short_name: String,
    citation: String,
    response_days: Option<u32>,
    day_type: String,
    extension_days: Option<u32>,
    notes: String,
    source: String,
}

/// A fingerprint of every law's period, to tell whether reloading the built-in data moved any.
pub fn periods_fingerprint(conn: &Connection) -> Result<Option<String>> {
    Ok(conn.query_row(
        "SELECT group_concat(code || ':' || COALESCE(response_days, '') || day_type, ',') FROM laws",
        [],
        |r| r.get(0),
    )?)
}

/// Loads (or reloads) the built-in laws. Corrections in `law_overrides` are untouched.
pub fn load_builtin_rows(conn: &Transaction<'_>) -> Result<usize> {
    let mut rdr = csv::Reader::from_reader(BUILTIN_CSV.as_bytes());
    let mut stmt = conn.prepare(
        "INSERT INTO laws (code, law_name, short_name, citation, response_days, day_type,
                           extension_days, notes, source)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (code) DO UPDATE SET law_name = excluded.law_name,
            short_name = excluded.short_name, citation = excluded.citation,
            response_days = excluded.response_days, day_type = excluded.day_type,
            extension_days = excluded.extension_days, notes = excluded.notes,
            source = excluded.source",
    )?;
    let mut n = 0;
    for row in rdr.deserialize::<BuiltinRow>() {
        let row = row.map_err(|e| Error::invalid(format!("built-in law data is corrupt: {e}")))?;
        let day_type: DayType = row.day_type.parse()?;
        stmt.execute(params![
            row.state,
            row.law_name,
            row.short_name,
            row.citation,
            row.response_days,
            day_type,
            row.extension_days,
            row.notes,
            row.source
        ])?;
        n += 1;
    }
    Ok(n)
}

const SELECT: &str = "SELECT l.code, COALESCE(o.law_name, l.law_name), l.short_name,
        COALESCE(o.citation, l.citation),
        CASE WHEN o.day_type = 'none' THEN NULL ELSE COALESCE(o.response_days, l.response_days) END,
        COALESCE(o.day_type, l.day_type), COALESCE(o.extension_days, l.extension_days),
        l.notes, l.source,
        o.code IS NOT NULL, o.set_on, o.note,
        l.law_name, l.citation, l.response_days, l.day_type, l.extension_days
    FROM laws l LEFT JOIN law_overrides o ON o.code = l.code";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Law> {
    let mut law = Law {
        code: r.get(0)?,
        law_name: r.get(1)?,
        short_name: r.get(2)?,
        citation: r.get(3)?,
        response_days: r.get(4)?,
        day_type: r.get(5)?,
        extension_days: r.get(6)?,
        notes: r.get(7)?,
        source: r.get(8)?,
        correction: None,
    };
    if r.get::<_, bool>(9)? {
        let set_on: NaiveDate = r.get(10)?;
        let note: String = r.get(11)?;
        let mut changes = Vec::new();
        let b_name: String = r.get(12)?;
        let b_cit: String = r.get(13)?;
        let b_days: Option<u32> = r.get(14)?;
        let b_type: DayType = r.get(15)?;
        let b_ext: Option<u32> = r.get(16)?;
        let show = |d: Option<u32>| d.map_or("-".to_string(), |d| d.to_string());
        if b_name != law.law_name {
            changes.push(format!("law name: {b_name} -> {}", law.law_name));
        }
        if b_cit != law.citation {
            changes.push(format!("citation: {b_cit} -> {}", law.citation));
        }
        if b_days != law.response_days {
            changes.push(format!("response days: {} -> {}", show(b_days), show(law.response_days)));
        }
        if b_type != law.day_type {
            changes.push(format!("day type: {b_type} -> {}", law.day_type));
        }
        if b_ext != law.extension_days {
            changes.push(format!("extension days: {} -> {}", show(b_ext), show(law.extension_days)));
        }
        law.correction = Some(Correction { set_on, note, changes });
    }
    Ok(law)
}

/// Every law, ordered by code with federal (`US`) last.
pub fn list(conn: &Connection) -> Result<Vec<Law>> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY l.code = 'US', l.code"))?;
    let laws = stmt.query_map([], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(laws)
}

/// Normalises a jurisdiction code ("co " -> "CO") and checks it exists.
pub fn code(conn: &Connection, input: &str) -> Result<String> {
    let code = input.trim().to_ascii_uppercase();
    let exists: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM laws WHERE code = ?1)", [&code], |r| r.get(0))?;
    if exists {
        Ok(code)
    } else {
        Err(Error::invalid(format!(
            "unknown state '{}'; use a two-letter code such as CO, DC, or US for federal (see `foiatrack law list`)",
            input.trim()
        )))
    }
}

pub fn get(conn: &Connection, code: &str) -> Result<Law> {
    let code = code.trim().to_ascii_uppercase();
    conn.query_row(&format!("{SELECT} WHERE l.code = ?1"), [&code], from_row)
        .optional()?
        .ok_or(Error::NotFound { what: "law for jurisdiction", key: code })
}

/// Records a correction; fields not given keep any earlier correction.
pub fn set_override(conn: &Transaction<'_>, code: &str, change: &LawChange, today: NaiveDate) -> Result<Law> {
    let before = get(conn, code)?;
    let day_type = change.day_type.unwrap_or(before.day_type);
    let days = match day_type {
        DayType::None => {
            if change.response_days.is_some() {
                return Err(Error::invalid("--days cannot be given with --day-type none"));
            }
            None
        }
        _ => change.response_days.or(before.response_days),
    };
    if day_type != DayType::None && days.is_none() {
        return Err(Error::invalid(format!("a {day_type}-day law needs a number of days: add --days N")));
    }
    if let Some(v) = change.response_days {
        check_days("--days", v).map_err(Error::Invalid)?;
    }
    if let Some(v) = change.extension_days {
        check_days("--extension-days", v).map_err(Error::Invalid)?;
    }
    conn.execute(
        "INSERT INTO law_overrides (code, law_name, citation, response_days, day_type, extension_days, note, set_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, COALESCE(?7, ''), ?8)
         ON CONFLICT (code) DO UPDATE SET
            law_name = COALESCE(excluded.law_name, law_name),
            citation = COALESCE(excluded.citation, citation),
            response_days = excluded.response_days,
            day_type = excluded.day_type,
            extension_days = COALESCE(excluded.extension_days, extension_days),
            note = CASE WHEN ?7 IS NULL THEN note ELSE excluded.note END,
            set_on = excluded.set_on",
        params![
            before.code,
            change.law_name,
            change.citation,
            days,
            day_type,
            change.extension_days,
            change.note,
            today
        ],
    )?;
    get(conn, code)
}

/// Drops the user's correction, back to the built-in values.
pub fn reset_override(conn: &Transaction<'_>, code: &str) -> Result<Law> {
    let law = get(conn, code)?;
    if law.correction.is_none() {
        return Err(Error::invalid(format!("{} has no correction to reset", law.code)));
    }
    conn.execute("DELETE FROM law_overrides WHERE code = ?1", [&law.code])?;
    get(conn, &law.code)
}
