//! Agencies: the public bodies a campaign writes to, imported from a spreadsheet.

use std::fmt;
use std::str::FromStr;

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use serde::Serialize;

use crate::core::dates::MAX_PERIOD_DAYS;
use crate::core::daytype::DayType;
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    City,
    County,
    SchoolDistrict,
    StateAgency,
    SpecialDistrict,
    Other,
}

impl Kind {
    pub const ALL: [Kind; 6] =
        [Kind::City, Kind::County, Kind::SchoolDistrict, Kind::StateAgency, Kind::SpecialDistrict, Kind::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::City => "city",
            Kind::County => "county",
            Kind::SchoolDistrict => "school_district",
            Kind::StateAgency => "state_agency",
            Kind::SpecialDistrict => "special_district",
            Kind::Other => "other",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = Error;
    /// Accepts "School District", "school-district" and "school_district" alike.
    fn from_str(s: &str) -> Result<Self> {
        let norm = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Kind::ALL.into_iter().find(|k| k.as_str() == norm).ok_or_else(|| {
            Error::invalid(format!(
                "unknown kind '{}'; use one of city, county, school_district, state_agency, special_district, other",
                s.trim()
            ))
        })
    }
}

impl rusqlite::types::FromSql for Kind {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        v.as_str()?.parse().map_err(|e: Error| rusqlite::types::FromSqlError::Other(e.to_string().into()))
    }
}

impl rusqlite::ToSql for Kind {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Agency {
    pub key: String,
    pub name: String,
    pub state: String,
    pub kind: Kind,
    pub population: Option<i64>,
    pub email: Option<String>,
    pub portal_url: Option<String>,
    pub mailing_address: Option<String>,
    pub phone: Option<String>,
    pub contact_name: Option<String>,
    pub notes: Option<String>,
    /// The agency's own response period, when it differs from its state's law.
    pub response_days: Option<u32>,
    pub day_type: Option<DayType>,
}

const COLUMNS: &str = "key, name, state, kind, population, email, portal_url, mailing_address, phone, \
                       contact_name, notes, response_days, day_type";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Agency> {
    Ok(Agency {
        key: r.get(0)?,
        name: r.get(1)?,
        state: r.get(2)?,
        kind: r.get(3)?,
        population: r.get(4)?,
        email: r.get(5)?,
        portal_url: r.get(6)?,
        mailing_address: r.get(7)?,
        phone: r.get(8)?,
        contact_name: r.get(9)?,
        notes: r.get(10)?,
        response_days: r.get(11)?,
        day_type: r.get(12)?,
    })
}

/// "City of Austin", "TX" -> "city-of-austin-tx".
pub fn slug(name: &str, state: &str) -> String {
    let mut out = String::new();
    for part in [name, state] {
        for c in part.chars() {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
        if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-').to_string();
    // A name with no ASCII letters or digits ("Ciudad de México" keeps some; "東京都" none) would
    // otherwise give every such agency the bare state as its key: add a short hash of the name.
    if name.chars().any(|c| c.is_ascii_alphanumeric()) {
        out
    } else {
        use sha2::Digest;
        let hash = hex::encode(&sha2::Sha256::digest(name.trim().as_bytes())[..4]);
        format!("agency-{hash}-{}", state.trim().to_ascii_lowercase())
    }
}

fn valid_key(key: &str) -> bool {
    !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A plain syntactic check: one '@', a non-empty local part, a dotted domain, no spaces.
pub fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ',' || c == ';' || c == '<' || c == '>' || c == '"')
}

fn blank_to_none(s: Option<&str>) -> Option<String> {
    s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

/// Optional fields of an agency as given by a user, before checking.
#[derive(Debug, Clone, Default)]
pub struct AgencyInput {
    pub key: Option<String>,
    pub name: Option<String>,
    pub state: Option<String>,
    pub kind: Option<String>,
    pub population: Option<String>,
    pub email: Option<String>,
    pub portal_url: Option<String>,
    pub mailing_address: Option<String>,
    pub phone: Option<String>,
    pub contact_name: Option<String>,
    pub notes: Option<String>,
    pub response_days: Option<String>,
    pub day_type: Option<String>,
}

/// A field-level problem: (column, value, message).
pub type FieldProblem = (&'static str, String, String);

/// Checks a full agency from input; every problem is returned, not just the first.
pub fn validate(conn: &Connection, input: &AgencyInput) -> Result<std::result::Result<Agency, Vec<FieldProblem>>> {
    let mut problems: Vec<FieldProblem> = Vec::new();
    let name = blank_to_none(input.name.as_deref());
    if name.is_none() {
        problems.push(("name", String::new(), "an agency needs a name".into()));
    }
    let state_raw = input.state.as_deref().unwrap_or("").trim().to_string();
    let state = if state_raw.is_empty() {
        problems.push(("state", state_raw.clone(), "an agency needs a state".into()));
        None
    } else {
        match crate::store::law::code(conn, &state_raw) {
            Ok(s) => Some(s),
            Err(_) => {
                problems.push(("state", state_raw.clone(), "unknown state; use a two-letter code such as CO".into()));
                None
            }
        }
    };
    let kind = match blank_to_none(input.kind.as_deref()) {
        None => Kind::Other,
        Some(k) => k.parse().unwrap_or_else(|e: Error| {
            problems.push(("kind", k.clone(), e.to_string()));
            Kind::Other
        }),
    };
    let population = blank_to_none(input.population.as_deref()).and_then(|p| {
        let digits: String = p.chars().filter(|c| *c != ',' && *c != '_' && !c.is_whitespace()).collect();
        match digits.parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => {
                problems.push(("population", p.clone(), "not a whole number".into()));
                None
            }
        }
    });
    let email = blank_to_none(input.email.as_deref()).map(|e| e.to_ascii_lowercase());
    if let Some(e) = &email
        && !valid_email(e)
    {
        problems.push(("email", e.clone(), "invalid email address".into()));
    }
    let portal_url = blank_to_none(input.portal_url.as_deref());
    if let Some(u) = &portal_url
        && !(u.starts_with("https://") || u.starts_with("http://"))
    {
        problems.push(("portal_url", u.clone(), "a portal URL must start with https:// or http://".into()));
    }
    let response_days = blank_to_none(input.response_days.as_deref()).and_then(|d| match d.parse::<u32>() {
        Ok(n) if (1..=MAX_PERIOD_DAYS).contains(&n) => Some(n),
        _ => {
            problems.push((
                "response_days",
                d.clone(),
                format!("not a whole number of days from 1 to {MAX_PERIOD_DAYS}"),
            ));
            None
        }
    });
    let day_type = blank_to_none(input.day_type.as_deref()).and_then(|t| match t.parse::<DayType>() {
        Ok(t) => Some(t),
        Err(e) => {
            problems.push(("day_type", t.clone(), e.to_string()));
            None
        }
    });
    match (response_days, day_type) {
        (Some(_), None) => {
            problems.push(("day_type", String::new(), "response_days needs a day_type (business or calendar)".into()))
        }
        (Some(_), Some(DayType::None)) => {
            problems.push(("day_type", "none".into(), "day_type none cannot have response_days".into()))
        }
        (None, Some(t @ (DayType::Business | DayType::Calendar))) => {
            problems.push(("response_days", String::new(), format!("day_type {t} needs response_days")))
        }
        _ => {}
    }
    let key = match blank_to_none(input.key.as_deref()) {
        Some(k) => {
            let k = k.to_ascii_lowercase();
            if !valid_key(&k) {
                problems.push(("key", k.clone(), "a key may hold only letters, digits and '-'".into()));
            }
            Some(k)
        }
        None => match (&name, &state) {
            (Some(n), Some(s)) => Some(slug(n, s)),
            _ => None,
        },
    };
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    Ok(Ok(Agency {
        key: key.expect("key derived when name and state are valid"),
        name: name.expect("checked"),
        state: state.expect("checked"),
        kind,
        population,
        email,
        portal_url,
        mailing_address: blank_to_none(input.mailing_address.as_deref()),
        phone: blank_to_none(input.phone.as_deref()),
        contact_name: blank_to_none(input.contact_name.as_deref()),
        notes: blank_to_none(input.notes.as_deref()),
        response_days,
        day_type,
    }))
}

/// The row id of an agency, for scoping a recompute to its requests.
pub fn id(conn: &Connection, key: &str) -> Result<Option<i64>> {
    Ok(conn.query_row("SELECT id FROM agencies WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

pub fn get(conn: &Connection, key: &str) -> Result<Agency> {
    let key = key.trim().to_ascii_lowercase();
    conn.query_row(&format!("SELECT {COLUMNS} FROM agencies WHERE key = ?1"), [&key], from_row)
        .optional()?
        .ok_or(Error::NotFound { what: "agency", key })
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub states: Vec<String>,
    pub kinds: Vec<Kind>,
}

/// Agencies ordered by state, then name.
pub fn list(conn: &Connection, filter: &Filter) -> Result<Vec<Agency>> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM agencies ORDER BY state, name, key"))?;
    let all = stmt.query_map([], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(all
        .into_iter()
        .filter(|a| filter.states.is_empty() || filter.states.contains(&a.state))
        .filter(|a| filter.kinds.is_empty() || filter.kinds.contains(&a.kind))
        .collect())
}

/// What saving an agency did.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Saved {
    Added,
    Updated,
    Unchanged,
}

/// Inserts or updates an agency by key.
pub fn save(conn: &Transaction<'_>, a: &Agency) -> Result<Saved> {
    let existing =
        conn.query_row(&format!("SELECT {COLUMNS} FROM agencies WHERE key = ?1"), [&a.key], from_row).optional()?;
    let saved = match existing {
        Some(ref e) if e == a => return Ok(Saved::Unchanged),
        Some(_) => Saved::Updated,
        None => Saved::Added,
    };
    conn.execute(
        "INSERT INTO agencies (key, name, state, kind, population, email, portal_url, mailing_address,
                               phone, contact_name, notes, response_days, day_type)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (key) DO UPDATE SET name = excluded.name, state = excluded.state,
            kind = excluded.kind, population = excluded.population, email = excluded.email,
            portal_url = excluded.portal_url, mailing_address = excluded.mailing_address,
            phone = excluded.phone, contact_name = excluded.contact_name, notes = excluded.notes,
            response_days = excluded.response_days, day_type = excluded.day_type",
        params![
            a.key,
            a.name,
            a.state,
            a.kind,
            a.population,
            a.email,
            a.portal_url,
            a.mailing_address,
            a.phone,
            a.contact_name,
            a.notes,
            a.response_days,
            a.day_type
        ],
    )?;
    Ok(saved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_without_ascii_letters_get_distinct_keys() {
        let a = slug("東京都", "CO");
        let b = slug("大阪市", "CO");
        assert!(a.starts_with("agency-") && a.ends_with("-co"), "{a}");
        assert_ne!(a, b);
        assert!(valid_key(&a));
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("City of Austin", "TX"), "city-of-austin-tx");
        assert_eq!(slug("  Portland Public Schools (OR) ", "or"), "portland-public-schools-or-or");
        assert_eq!(slug("Miami-Dade County", "FL"), "miami-dade-county-fl");
    }

    #[test]
    fn emails() {
        assert!(valid_email("records@denver.example.org"));
        assert!(!valid_email("records@"));
        assert!(!valid_email("records.example.org"));
        assert!(!valid_email("a b@example.org"));
        assert!(!valid_email("a@b@example.org"));
    }

    #[test]
    fn kinds_parse_loosely() {
        assert_eq!("School District".parse::<Kind>().unwrap(), Kind::SchoolDistrict);
        assert_eq!("special-district".parse::<Kind>().unwrap(), Kind::SpecialDistrict);
        assert!("town".parse::<Kind>().is_err());
    }
}
