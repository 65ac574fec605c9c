//! How a law counts its response period: business days, calendar days, or no number at all.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// How a law counts its response period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DayType {
    /// Weekdays that are not holidays of the jurisdiction.
    Business,
    /// Every day; a due date on a weekend or holiday rolls to the next business day.
    Calendar,
    /// The statute sets no number of days ("promptly").
    None,
}

impl DayType {
    pub fn as_str(self) -> &'static str {
        match self {
            DayType::Business => "business",
            DayType::Calendar => "calendar",
            DayType::None => "none",
        }
    }
}

impl fmt::Display for DayType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DayType {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "business" | "business days" | "working" => Ok(DayType::Business),
            "calendar" | "calendar days" => Ok(DayType::Calendar),
            "none" | "" => Ok(DayType::None),
            other => Err(Error::invalid(format!("unknown day type '{other}'; use business, calendar or none"))),
        }
    }
}

impl rusqlite::types::FromSql for DayType {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let s = v.as_str()?;
        s.parse().map_err(|e: Error| rusqlite::types::FromSqlError::Other(e.to_string().into()))
    }
}

impl rusqlite::ToSql for DayType {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}
