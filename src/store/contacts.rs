//! Agency contacts: the addresses at an agency and whether they work. `good`: a reply came from
//! it; `failing`: a letter to it bounced; `unconfirmed`: nothing known yet (the agency list, a
//! reply from a new address, an address added by hand or one a bounced letter was resent to).
//! The agency's main address (`agencies.email`, where letters go) is always one of them: the
//! database adds it when an agency is imported, added or edited.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use serde::Serialize;

use crate::{Error, Result};

crate::string_enum!(ContactState { Good = "good", Failing = "failing", Unconfirmed = "unconfirmed" });
crate::string_enum!(ContactSource {
    AgencyList = "agency-list",
    Reply = "reply",
    Bounce = "bounce",
    Resend = "resend",
    Added = "added",
});

/// The longest address kept (RFC 5321's path limit).
pub const MAX_ADDRESS: usize = 254;

/// One address at an agency.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Contact {
    pub address: String,
    pub state: ContactState,
    /// Where foiatrack learned of it.
    pub source: ContactSource,
    /// The agency's main address: letters go there.
    pub main: bool,
    pub first_seen: Option<NaiveDate>,
    pub last_seen: Option<NaiveDate>,
    pub note: Option<String>,
}

const SELECT: &str = "SELECT c.address, c.state, c.source, c.address = lower(trim(COALESCE(a.email, ''))),
        c.first_seen, c.last_seen, c.note
    FROM agency_contacts c JOIN agencies a ON a.id = c.agency_id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Contact> {
    Ok(Contact {
        address: r.get(0)?,
        state: r.get(1)?,
        source: r.get(2)?,
        main: r.get(3)?,
        first_seen: r.get(4)?,
        last_seen: r.get(5)?,
        note: r.get(6)?,
    })
}

/// An address as typed, checked and made the form contacts are kept in (trimmed, lowercase).
pub fn normalize(address: &str) -> Result<String> {
    let a = address.trim();
    if a.chars().any(char::is_control) {
        return Err(Error::invalid(format!("the address '{}' contains a control character", a.escape_debug())));
    }
    if a.len() > MAX_ADDRESS {
        return Err(Error::invalid(format!(
            "the address is {} characters long; at most {MAX_ADDRESS} are kept",
            a.len()
        )));
    }
    if !crate::store::agency::valid_email(a) {
        return Err(Error::invalid(format!("'{a}' is not an email address (like records@city.example.org)")));
    }
    Ok(a.to_ascii_lowercase())
}

/// An agency's addresses: the main one first, then good, unconfirmed and failing ones.
pub fn list(conn: &Connection, agency_id: i64) -> Result<Vec<Contact>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT} WHERE c.agency_id = ?1
         ORDER BY 4 DESC, CASE c.state WHEN 'good' THEN 0 WHEN 'unconfirmed' THEN 1 ELSE 2 END, c.address"
    ))?;
    let v = stmt.query_map([agency_id], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}

/// One address of an agency (already normalized), if known.
pub fn get(conn: &Connection, agency_id: i64, address: &str) -> Result<Option<Contact>> {
    Ok(conn
        .prepare_cached(&format!("{SELECT} WHERE c.agency_id = ?1 AND c.address = ?2"))?
        .query_row(params![agency_id, address], from_row)
        .optional()?)
}

/// What a reply did to its sender's contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReplySeen {
    /// A new address, added as unconfirmed (offered as a contact).
    Offered,
    /// A known address is now good.
    Confirmed,
    /// Already good.
    Unchanged,
    /// A new address that is another agency's, or at a domain none of this agency's addresses
    /// use: not offered (a forwarded message or a colleague elsewhere must not become a contact).
    NotOffered,
}

/// A reply came from `address` (normalized) at the agency on `on`: a known address is good, a
/// new one is offered as an unconfirmed contact.
pub fn reply_from(tx: &Transaction<'_>, agency_id: i64, address: &str, on: NaiveDate) -> Result<ReplySeen> {
    let seen = match get(tx, agency_id, address)? {
        None if !offerable(tx, agency_id, address)? => return Ok(ReplySeen::NotOffered),
        None => {
            tx.prepare_cached(
                "INSERT INTO agency_contacts (agency_id, address, state, source, first_seen, last_seen, note)
                 VALUES (?1, ?2, 'unconfirmed', 'reply', ?3, ?3, ?4)",
            )?
            .execute(params![agency_id, address, on, format!("replied on {on}")])?;
            return Ok(ReplySeen::Offered);
        }
        Some(c) if c.state == ContactState::Good => ReplySeen::Unchanged,
        Some(_) => ReplySeen::Confirmed,
    };
    tx.prepare_cached(
        "UPDATE agency_contacts SET state = 'good', first_seen = COALESCE(first_seen, ?3),
            last_seen = max(COALESCE(last_seen, ?3), ?3)
         WHERE agency_id = ?1 AND address = ?2",
    )?
    .execute(params![agency_id, address, on])?;
    Ok(seen)
}

/// Whether a new address may be offered as the agency's contact: its domain is one the agency's
/// own addresses use, and no other agency has it.
fn offerable(conn: &Connection, agency_id: i64, address: &str) -> Result<bool> {
    let Some((_, domain)) = address.rsplit_once('@') else { return Ok(false) };
    let elsewhere: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM agency_contacts WHERE address = ?2 AND agency_id <> ?1)
             OR EXISTS (SELECT 1 FROM agencies WHERE lower(trim(email)) = ?2 AND id <> ?1)",
        params![agency_id, address],
        |r| r.get(0),
    )?;
    if elsewhere {
        return Ok(false);
    }
    let same_domain: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM agency_contacts WHERE agency_id = ?1 AND substr(address, instr(address, '@') + 1) = ?2)
             OR EXISTS (SELECT 1 FROM agencies WHERE id = ?1
                          AND substr(lower(trim(email)), instr(lower(trim(email)), '@') + 1) = ?2)",
        params![agency_id, domain],
        |r| r.get(0),
    )?;
    Ok(same_domain)
}

/// A letter to `address` (normalized) bounced on `on`: the address is failing for the agency.
pub fn bounced(tx: &Transaction<'_>, agency_id: i64, address: &str, on: NaiveDate, note: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO agency_contacts (agency_id, address, state, source, first_seen, last_seen, note)
         VALUES (?1, ?2, 'failing', 'bounce', ?3, ?3, ?4)
         ON CONFLICT (agency_id, address) DO UPDATE SET state = 'failing',
            last_seen = max(COALESCE(last_seen, excluded.last_seen), excluded.last_seen), note = excluded.note",
        params![agency_id, address, on, note],
    )?;
    Ok(())
}

/// Adds an address (normalized); false when the agency has it already (nothing changes).
pub fn add(
    tx: &Transaction<'_>,
    agency_id: i64,
    address: &str,
    state: ContactState,
    source: ContactSource,
    on: NaiveDate,
    note: Option<&str>,
) -> Result<bool> {
    let n = tx.execute(
        "INSERT INTO agency_contacts (agency_id, address, state, source, first_seen, last_seen, note)
         VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6) ON CONFLICT (agency_id, address) DO NOTHING",
        params![agency_id, address, state, source, on, note.map(str::trim).filter(|n| !n.is_empty())],
    )?;
    Ok(n == 1)
}

/// Sets an address's state by hand (and its note, when one is given); false when the agency has
/// no such address.
pub fn mark(
    tx: &Transaction<'_>,
    agency_id: i64,
    address: &str,
    state: ContactState,
    note: Option<&str>,
) -> Result<bool> {
    let n = tx.execute(
        "UPDATE agency_contacts SET state = ?3, note = COALESCE(?4, note) WHERE agency_id = ?1 AND address = ?2",
        params![agency_id, address, state, note.map(str::trim).filter(|n| !n.is_empty())],
    )?;
    Ok(n == 1)
}

/// Makes `address` the agency's main address (where its letters go); the database keeps it
/// among the contacts.
pub fn make_main(tx: &Transaction<'_>, agency_id: i64, address: &str) -> Result<()> {
    tx.execute("UPDATE agencies SET email = ?2 WHERE id = ?1", params![agency_id, address])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_and_lowercased() {
        assert_eq!(normalize("  Records@City.Example.org ").unwrap(), "records@city.example.org");
        for bad in ["records", "a b@example.org", "x@y", "a@b.example\u{1b}[2J", "<a@b.example.org>"] {
            assert!(normalize(bad).is_err(), "{bad}");
        }
        let long = format!("{}@example.org", "a".repeat(250));
        assert!(normalize(&long).unwrap_err().to_string().contains("at most 254"));
    }
}
