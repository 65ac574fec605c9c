//! Settings: who signs the letters (the requester profile) and campaign-wide policy.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::core::dates::MAX_PERIOD_DAYS;
use crate::{Error, Result};

/// Every setting a user may set, with what it is for and its default.
pub const KEYS: &[(&str, &str, Option<&str>)] = &[
    ("requester.name", "who signs the letters", None),
    ("requester.organization", "the requester's organisation", None),
    ("requester.email", "the requester's email address", None),
    ("requester.phone", "the requester's phone number", None),
    ("requester.address", "the requester's postal address", None),
    (
        "requester.state",
        "the requester's state (two letters), to warn where a law lets only its own citizens or residents request",
        None,
    ),
    ("policy.very_overdue_days", "business days late before a request counts as very overdue", Some("20")),
    ("policy.followups_before_appeal", "follow-ups with no answer before a request is ready to appeal", Some("2")),
];

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Setting {
    pub name: String,
    pub value: Option<String>,
    pub default: Option<String>,
    pub about: String,
}

fn known(name: &str) -> Result<&'static (&'static str, &'static str, Option<&'static str>)> {
    KEYS.iter().find(|(k, _, _)| *k == name).ok_or_else(|| {
        Error::invalid(format!(
            "unknown setting '{name}'; settings are: {}",
            KEYS.iter().map(|(k, _, _)| *k).collect::<Vec<_>>().join(", ")
        ))
    })
}

/// Sets (or, with an empty value, clears) a setting.
pub fn set(conn: &rusqlite::Transaction<'_>, name: &str, value: &str) -> Result<()> {
    let (key, _, _) = known(name.trim())?;
    let value = value.trim();
    if key.starts_with("policy.") && !value.parse::<u32>().is_ok_and(|n| (1..=MAX_PERIOD_DAYS).contains(&n)) {
        return Err(Error::invalid(format!("{key} must be a whole number from 1 to {MAX_PERIOD_DAYS}")));
    }
    if *key == "requester.email" && !value.is_empty() && !crate::store::agency::valid_email(value) {
        return Err(Error::invalid(format!("'{value}' is not a valid email address")));
    }
    let upper;
    let value = if *key == "requester.state" && !value.is_empty() {
        upper = crate::store::law::code(conn, value)?;
        if upper == "US" {
            return Err(Error::invalid("requester.state is a state or DC, not US"));
        }
        upper.as_str()
    } else {
        value
    };
    if value.is_empty() {
        conn.execute("DELETE FROM settings WHERE name = ?1", [key])?;
    } else {
        conn.execute(
            "INSERT INTO settings (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
    }
    Ok(())
}

/// A setting's value, or its default.
pub fn get(conn: &Connection, name: &str) -> Result<Option<String>> {
    let (key, _, default) = known(name)?;
    let v: Option<String> =
        conn.prepare_cached("SELECT value FROM settings WHERE name = ?1")?.query_row([key], |r| r.get(0)).optional()?;
    Ok(v.or(default.map(String::from)))
}

/// A numeric policy setting.
pub fn number(conn: &Connection, name: &str) -> Result<u32> {
    let v = get(conn, name)?.unwrap_or_default();
    v.parse().map_err(|_| Error::invalid(format!("setting {name} is not a number: '{v}'")))
}

pub fn list(conn: &Connection) -> Result<Vec<Setting>> {
    KEYS.iter()
        .map(|(k, about, default)| {
            let value: Option<String> =
                conn.query_row("SELECT value FROM settings WHERE name = ?1", [k], |r| r.get(0)).optional()?;
            Ok(Setting { name: k.to_string(), value, default: default.map(String::from), about: about.to_string() })
        })
        .collect()
}

/// The requester profile, for signing letters.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Requester {
    pub name: Option<String>,
    pub organization: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
}

pub fn requester(conn: &Connection) -> Result<Requester> {
    Ok(Requester {
        name: get(conn, "requester.name")?,
        organization: get(conn, "requester.organization")?,
        email: get(conn, "requester.email")?,
        phone: get(conn, "requester.phone")?,
        address: get(conn, "requester.address")?,
    })
}
