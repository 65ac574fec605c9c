//! Records laws: one per jurisdiction, built in from researched data, correctable by the user.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use crate::core::dates::check_days;
use crate::core::daytype::DayType;
use crate::core::route::{
    AddressedTo, AppealKind, Binds, ConstructiveDenial, Coverage, Days, Eligibility, Route, WindowFrom,
};
use crate::{Error, Result};

/// The researched facts (see `source` of each row). Copied from shared/data/state_laws.csv, with
/// the editorial parentheses taken out of the law names.
const BUILTIN_CSV: &str = include_str!("../../data/laws.csv");

/// Each jurisdiction's route after a denial or silence, reviewed by hand from
/// shared/data/state_appeals.csv (see scripts/build_appeals_csv.py for every decision).
const APPEALS_CSV: &str = include_str!("../../data/appeals.csv");

/// Whom each period binds and who may request, with citations (data/law_scope_notes.md).
const SCOPE_CSV: &str = include_str!("../../data/law_scope.csv");

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
    /// The citation letters use: the law's sections, without research remarks.
    pub letter_citation: String,
    /// What the law provides after a denial or silence; none only in a database whose built-in
    /// data was never loaded (`foiatrack init` loads it).
    pub appeal_route: Option<Route>,
    /// Whom the period binds and who may request.
    pub scope: Option<Coverage>,
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

impl Law {
    /// Whether the law's period binds an agency of this kind (Montana's 5 business days bind
    /// executive-branch agencies only).
    pub fn period_binds(&self, agency_kind: &str) -> bool {
        self.scope.as_ref().is_none_or(|c| c.period_binds.covers(agency_kind))
    }

    /// The route, or a one-sentence error saying how to load it.
    pub fn route(&self) -> Result<&Route> {
        self.appeal_route.as_ref().ok_or_else(|| {
            Error::invalid(format!(
                "no appeal route is recorded for {}; run `foiatrack init` to load the built-in law data",
                self.code
            ))
        })
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
    /// Corrections of the route, scope and letter citation: column name -> value (an empty
    /// value clears a number: no appeal deadline, no pre-suit notice).
    pub fields: BTreeMap<&'static str, String>,
}

impl LawChange {
    pub fn is_empty(&self) -> bool {
        self.law_name.is_none()
            && self.citation.is_none()
            && self.response_days.is_none()
            && self.day_type.is_none()
            && self.extension_days.is_none()
            && self.note.is_none()
            && self.fields.is_empty()
    }
}

/// The route, scope and letter-citation fields a user may correct, with how changes read.
pub const FIELDS: &[(&str, &str)] = &[
    ("appeal_kind", "appeal kind"),
    ("appeal_body", "appeal body"),
    ("appeal_addressed_to", "appeal addressed to"),
    ("appeal_binds", "appeal route binds"),
    ("court_remedy", "court remedy"),
    ("appeal_days", "appeal days"),
    ("appeal_day_type", "appeal day type"),
    ("appeal_window_from", "appeal window from"),
    ("appeal_citation", "appeal citation"),
    ("constructive_denial", "constructive denial"),
    ("constructive_denial_citation", "constructive denial citation"),
    ("pre_suit_notice_days", "pre-suit notice days"),
    ("pre_suit_notice_day_type", "pre-suit notice day type"),
    ("letter_citation", "letter citation"),
    ("period_binds", "period binds"),
    ("eligibility", "eligibility"),
];

/// The columns of law_routes, in order, as read into a field map.
const ROUTE_COLUMNS: &[&str] = &[
    "appeal_kind",
    "appeal_body",
    "appeal_addressed_to",
    "appeal_binds",
    "other_appeal_body",
    "other_appeal_citation",
    "court_remedy",
    "appeal_days",
    "appeal_day_type",
    "appeal_window_from",
    "appeal_deadline_note",
    "constructive_denial",
    "constructive_denial_citation",
    "constructive_denial_note",
    "pre_suit_notice_days",
    "pre_suit_notice_day_type",
    "pre_suit_notice_citation",
    "pre_suit_notice_note",
    "letter_citation",
    "appeal_citation",
    "appeal_sources",
    "appeal_notes",
    "period_binds",
    "period_binds_citation",
    "period_binds_note",
    "eligibility",
    "eligibility_citation",
    "eligibility_note",
    "scope_sources",
];

type Fields = BTreeMap<&'static str, String>;

fn opt(f: &Fields, k: &str) -> Option<String> {
    f.get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

fn text(f: &Fields, k: &str) -> String {
    f.get(k).cloned().unwrap_or_default()
}

fn parsed<T: std::str::FromStr<Err = Error>>(f: &Fields, k: &str) -> Result<Option<T>> {
    opt(f, k).map(|v| v.parse::<T>()).transpose()
}

fn days(f: &Fields, n: &str, t: &str, what: &str) -> Result<Option<Days>> {
    let count = match opt(f, n) {
        Some(v) => {
            Some(v.parse::<u32>().map_err(|_| Error::invalid(format!("{what} must be a whole number, not '{v}'")))?)
        }
        None => None,
    };
    let day_type = parsed::<DayType>(f, t)?.filter(|t| *t != DayType::None);
    match (count, day_type) {
        (Some(days), Some(day_type)) => {
            check_days(what, days).map_err(Error::Invalid)?;
            Ok(Some(Days { days, day_type }))
        }
        (None, _) => Ok(None),
        (Some(_), None) => Err(Error::invalid(format!("{what} need a day type: business or calendar"))),
    }
}

/// The route, scope and letter citation from a field map, checked.
fn route_from(code: &str, f: &Fields) -> Result<(Route, Coverage, String)> {
    let kind: AppealKind = parsed(f, "appeal_kind")?.unwrap_or(AppealKind::CourtOnly);
    let appeal_body = opt(f, "appeal_body");
    if kind != AppealKind::CourtOnly && appeal_body.is_none() {
        return Err(Error::invalid(format!("{code}: a {kind} route needs an appeal body (--appeal-body)")));
    }
    let appeal_deadline = days(f, "appeal_days", "appeal_day_type", "appeal days")?;
    let appeal_window_from: Option<WindowFrom> = parsed(f, "appeal_window_from")?;
    if appeal_deadline.is_some() && appeal_window_from.is_none() {
        return Err(Error::invalid(format!(
            "{code}: an appeal deadline needs what starts it (--appeal-window-from denial|denial_or_deemed_denial|denial_or_request)"
        )));
    }
    let route = Route {
        appeal_kind: kind,
        appeal_body,
        appeal_addressed_to: parsed::<AddressedTo>(f, "appeal_addressed_to")?,
        appeal_binds: parsed(f, "appeal_binds")?.unwrap_or(Binds::All),
        other_appeal_body: opt(f, "other_appeal_body"),
        other_appeal_citation: opt(f, "other_appeal_citation"),
        court_remedy: opt(f, "court_remedy"),
        appeal_deadline,
        appeal_window_from: appeal_deadline.and(appeal_window_from),
        appeal_deadline_note: text(f, "appeal_deadline_note"),
        constructive_denial: parsed(f, "constructive_denial")?.unwrap_or(ConstructiveDenial::No),
        constructive_denial_citation: opt(f, "constructive_denial_citation"),
        constructive_denial_note: text(f, "constructive_denial_note"),
        pre_suit_notice: days(f, "pre_suit_notice_days", "pre_suit_notice_day_type", "pre-suit notice days")?,
        pre_suit_notice_citation: opt(f, "pre_suit_notice_citation"),
        pre_suit_notice_note: text(f, "pre_suit_notice_note"),
        appeal_citation: opt(f, "appeal_citation"),
        sources: text(f, "appeal_sources"),
        notes: text(f, "appeal_notes"),
    };
    let coverage = Coverage {
        period_binds: parsed(f, "period_binds")?.unwrap_or(Binds::All),
        period_binds_citation: opt(f, "period_binds_citation"),
        period_binds_note: text(f, "period_binds_note"),
        eligibility: parsed(f, "eligibility")?.unwrap_or(Eligibility::Anyone),
        eligibility_citation: opt(f, "eligibility_citation"),
        eligibility_note: text(f, "eligibility_note"),
        sources: text(f, "scope_sources"),
    };
    Ok((route, coverage, text(f, "letter_citation")))
}

/// The built-in route fields of one law, or none where they were never loaded.
fn builtin_fields(conn: &Connection, code: &str) -> Result<Option<Fields>> {
    let sql = format!("SELECT {} FROM law_routes WHERE code = ?1", ROUTE_COLUMNS.join(", "));
    // A migration step before version 7 (which adds law_routes) may replay requests.
    let mut stmt = match conn.prepare_cached(&sql) {
        Ok(stmt) => stmt,
        Err(rusqlite::Error::SqliteFailure(_, Some(m))) if m.contains("no such table") => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    Ok(stmt
        .query_row([code], |r| {
            let mut f = Fields::new();
            for (i, c) in ROUTE_COLUMNS.iter().enumerate() {
                let v = match r.get_ref(i)? {
                    rusqlite::types::ValueRef::Null => String::new(),
                    rusqlite::types::ValueRef::Integer(n) => n.to_string(),
                    other => other.as_str().map(String::from).unwrap_or_default(),
                };
                f.insert(c, v);
            }
            Ok(f)
        })
        .optional()?)
}

fn field_overrides(conn: &Connection, code: &str) -> Result<Vec<(String, String)>> {
    let mut stmt =
        conn.prepare_cached("SELECT field, value FROM law_field_overrides WHERE code = ?1 ORDER BY field")?;
    let rows = stmt.query_map([code], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Fills in the route, scope and letter citation of a law read from `laws`, with corrections.
fn complete(conn: &Connection, law: &mut Law) -> Result<()> {
    let Some(builtin) = builtin_fields(conn, &law.code)? else {
        law.letter_citation = law.citation.clone();
        return Ok(());
    };
    let mut fields = builtin.clone();
    let overrides = field_overrides(conn, &law.code)?;
    for (k, v) in &overrides {
        if let Some((name, _)) = FIELDS.iter().find(|(n, _)| n == k) {
            fields.insert(name, v.clone());
        }
    }
    let (route, coverage, letter_citation) = route_from(&law.code, &fields)?;
    law.appeal_route = Some(route);
    law.scope = Some(coverage);
    law.letter_citation = if letter_citation.trim().is_empty() { law.citation.clone() } else { letter_citation };
    if !overrides.is_empty()
        && let Some(c) = &mut law.correction
    {
        for (k, v) in &overrides {
            let Some((name, label)) = FIELDS.iter().find(|(n, _)| n == k) else { continue };
            let was = builtin.get(name).map(String::as_str).unwrap_or("");
            let show = |s: &str| if s.trim().is_empty() { "-".to_string() } else { s.to_string() };
            if was != v {
                c.changes.push(format!("{label}: {} -> {}", show(was), show(v)));
            }
        }
    }
    Ok(())
}

struct RouteRow {
    state: String,
    fields: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct ScopeRow {
    state: String,
    period_binds: String,
    period_binds_citation: String,
    period_binds_note: String,
    eligibility: String,
    eligibility_citation: String,
    eligibility_note: String,
    sources: String,
}

/// Loads (or reloads) the built-in routes and scopes of the laws present; run by `init` after
/// the laws and by the migration that adds them. Every row is checked before it is stored.
pub fn load_builtin_routes(conn: &Transaction<'_>) -> Result<usize> {
    let corrupt =
        |what: &str, e: &dyn std::fmt::Display| Error::invalid(format!("built-in {what} data is corrupt: {e}"));
    let mut scopes = BTreeMap::new();
    for row in csv::Reader::from_reader(SCOPE_CSV.as_bytes()).deserialize::<ScopeRow>() {
        let row = row.map_err(|e| corrupt("law scope", &e))?;
        scopes.insert(row.state.clone(), row);
    }
    let mut stmt = conn.prepare(&format!(
        "INSERT OR REPLACE INTO law_routes (code, {}) SELECT ?1, {} WHERE EXISTS (SELECT 1 FROM laws WHERE code = ?1)",
        ROUTE_COLUMNS.join(", "),
        (2..=ROUTE_COLUMNS.len() + 1).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ")
    ))?;
    let mut n = 0;
    let mut rdr = csv::Reader::from_reader(APPEALS_CSV.as_bytes());
    let headers = rdr.headers().map_err(|e| corrupt("appeal route", &e))?.clone();
    for record in rdr.records() {
        let record = record.map_err(|e| corrupt("appeal route", &e))?;
        let fields: BTreeMap<String, String> =
            headers.iter().zip(record.iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect();
        let state = fields.get("state").cloned().unwrap_or_default();
        let row = RouteRow { state, fields };
        let scope = scopes.get(&row.state).ok_or_else(|| corrupt("law scope", &format!("no row for {}", row.state)))?;
        let mut f = Fields::new();
        for c in ROUTE_COLUMNS {
            let v = match *c {
                "appeal_sources" => row.fields.get("sources").cloned(),
                "appeal_notes" => row.fields.get("notes").cloned(),
                "period_binds" => Some(scope.period_binds.clone()),
                "period_binds_citation" => Some(scope.period_binds_citation.clone()),
                "period_binds_note" => Some(scope.period_binds_note.clone()),
                "eligibility" => Some(scope.eligibility.clone()),
                "eligibility_citation" => Some(scope.eligibility_citation.clone()),
                "eligibility_note" => Some(scope.eligibility_note.clone()),
                "scope_sources" => Some(scope.sources.clone()),
                other => row.fields.get(other).cloned(),
            };
            f.insert(c, v.ok_or_else(|| corrupt("appeal route", &format!("column {c} is missing")))?);
        }
        route_from(&row.state, &f).map_err(|e| corrupt("appeal route", &e))?;
        let values: Vec<rusqlite::types::Value> = std::iter::once(row.state.clone().into())
            .chain(ROUTE_COLUMNS.iter().map(|c| {
                let v = f[c].trim().to_string();
                match *c {
                    "appeal_days" | "pre_suit_notice_days" if v.is_empty() => rusqlite::types::Value::Null,
                    "appeal_days" | "pre_suit_notice_days" => {
                        v.parse::<i64>().map(rusqlite::types::Value::Integer).unwrap_or(rusqlite::types::Value::Null)
                    }
                    "appeal_day_type" | "appeal_window_from" | "pre_suit_notice_day_type" if v.is_empty() => {
                        rusqlite::types::Value::Null
                    }
                    _ => rusqlite::types::Value::Text(f[c].clone()),
                }
            }))
            .collect();
        n += stmt.execute(rusqlite::params_from_iter(values))?;
    }
    Ok(n)
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

/// A fingerprint of every law's period and whom it binds, to tell whether reloading the
/// built-in data moved any.
pub fn periods_fingerprint(conn: &Connection) -> Result<Option<String>> {
    Ok(conn.query_row(
        "SELECT group_concat(l.code || ':' || COALESCE(l.response_days, '') || l.day_type || ':'
                || COALESCE(r.period_binds, ''), ',')
         FROM laws l LEFT JOIN law_routes r ON r.code = l.code",
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
    load_builtin_routes(conn)?;
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
        letter_citation: String::new(),
        appeal_route: None,
        scope: None,
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
    let mut laws = stmt.query_map([], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    for law in &mut laws {
        complete(conn, law)?;
    }
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
    // Cached: pages and listings read a law per state, and preparing this join costs more
    // than running it.
    let mut law = conn
        .prepare_cached(&format!("{SELECT} WHERE l.code = ?1"))?
        .query_row([&code], from_row)
        .optional()?
        .ok_or(Error::NotFound { what: "law for jurisdiction", key: code })?;
    complete(conn, &mut law)?;
    Ok(law)
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
    for (field, value) in &change.fields {
        if !FIELDS.iter().any(|(n, _)| n == field) {
            return Err(Error::Internal(format!("{field} is not a correctable law field")));
        }
        conn.execute(
            "INSERT INTO law_field_overrides (code, field, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (code, field) DO UPDATE SET value = excluded.value",
            params![before.code, field, value.trim()],
        )?;
    }
    if !change.fields.is_empty() && builtin_fields(conn, &before.code)?.is_none() {
        return Err(Error::invalid(format!(
            "{} has no built-in appeal route to correct; run `foiatrack init` first",
            before.code
        )));
    }
    // Checks the route as corrected (a deadline with no day type, a kind with no body...).
    get(conn, code)
}

/// Drops the user's correction, back to the built-in values.
pub fn reset_override(conn: &Transaction<'_>, code: &str) -> Result<Law> {
    let law = get(conn, code)?;
    if law.correction.is_none() {
        return Err(Error::invalid(format!("{} has no correction to reset", law.code)));
    }
    conn.execute("DELETE FROM law_field_overrides WHERE code = ?1", [&law.code])?;
    conn.execute("DELETE FROM law_overrides WHERE code = ?1", [&law.code])?;
    get(conn, &law.code)
}
