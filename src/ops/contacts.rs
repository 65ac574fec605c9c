//! Agency contacts by hand: add an address to an agency, or say whether one works.

use chrono::NaiveDate;
use rusqlite::Connection;

use crate::store::contacts::{self, Contact, ContactSource, ContactState};
use crate::{Error, Result};

fn agency_id(conn: &Connection, key: &str) -> Result<(i64, String)> {
    let a = crate::store::agency::get(conn, key)?;
    let id = crate::store::agency::id(conn, &a.key)?.ok_or(Error::NotFound { what: "agency", key: a.key.clone() })?;
    Ok((id, a.key))
}

/// Adds an address to an agency, unconfirmed unless `state` says otherwise; refused when the
/// agency has it already.
pub fn add(
    conn: &mut Connection,
    key: &str,
    address: &str,
    state: Option<ContactState>,
    note: Option<&str>,
    today: NaiveDate,
) -> Result<Contact> {
    let (id, key) = agency_id(conn, key)?;
    let address = contacts::normalize(address)?;
    let tx = super::begin(conn)?;
    let state = state.unwrap_or(ContactState::Unconfirmed);
    if !contacts::add(&tx, id, &address, state, ContactSource::Added, today, note)? {
        return Err(Error::invalid(format!(
            "{key} has {address} already; change its state with `foiatrack agency contact mark {key} {address} STATE`"
        )));
    }
    let c = contacts::get(&tx, id, &address)?.ok_or(Error::NotFound { what: "contact", key: address })?;
    tx.commit()?;
    Ok(c)
}

/// Says whether an agency's address works (good, failing or unconfirmed), with an optional note.
pub fn mark(
    conn: &mut Connection,
    key: &str,
    address: &str,
    state: ContactState,
    note: Option<&str>,
) -> Result<Contact> {
    let (id, key) = agency_id(conn, key)?;
    let address = contacts::normalize(address)?;
    let tx = super::begin(conn)?;
    if !contacts::mark(&tx, id, &address, state, note)? {
        return Err(Error::invalid(format!(
            "{key} has no address {address}; add it with `foiatrack agency contact add {key} {address}`"
        )));
    }
    let c = contacts::get(&tx, id, &address)?.ok_or(Error::NotFound { what: "contact", key: address })?;
    tx.commit()?;
    Ok(c)
}
