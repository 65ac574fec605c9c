//! Requests and their append-only event log. Status and dates are replayed from the events
//! (`deadline::replay`) and cached on the request row in the same transaction as every change.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use serde::Serialize;

use crate::core::daytype::DayType;
use crate::core::deadline::{EventFact, Timeline};
use crate::core::status::{EventKind, Status};
use crate::{Error, Result};

crate::string_enum!(Via { Email = "email", Mail = "mail", Portal = "portal", Fax = "fax", Phone = "phone" });

/// A request with its agency, as stored (status and dates from the cache).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Request {
    #[serde(skip)]
    pub id: i64,
    #[serde(skip)]
    pub campaign_id: i64,
    pub tracking_code: String,
    pub campaign: String,
    pub agency_key: String,
    pub agency_name: String,
    pub agency_email: Option<String>,
    pub state: String,
    pub kind: String,
    pub population: Option<i64>,
    pub status: Status,
    pub created_on: NaiveDate,
    pub sent_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub followup_on: Option<NaiveDate>,
    pub first_response_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub followups: u32,
    pub fee_cents: Option<i64>,
    pub agency_reference: Option<String>,
    #[serde(skip)]
    pub agency_days: Option<u32>,
    #[serde(skip)]
    pub agency_day_type: Option<DayType>,
}

pub const SELECT: &str = "SELECT r.id, r.campaign_id, r.tracking_code, c.slug, a.key, a.name, a.email, a.state, a.kind,
        a.population, r.status, r.created_on, r.sent_on, r.due_on, r.followup_on, r.first_response_on,
        r.closed_on, r.followups, r.fee_cents, r.agency_reference, a.response_days, a.day_type
    FROM requests r JOIN agencies a ON a.id = r.agency_id JOIN campaigns c ON c.id = r.campaign_id";

/// A date column, read fast when it has the stored shape.
/// A stored date or NULL, read quickly (see [`crate::core::dates::ymd_fast`]).
pub fn opt_date(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<chrono::NaiveDate>> {
    match r.get_ref(i)? {
        rusqlite::types::ValueRef::Null => Ok(None),
        rusqlite::types::ValueRef::Text(t) => match crate::core::dates::ymd_fast(t) {
            Some(d) => Ok(Some(d)),
            None => r.get(i),
        },
        _ => r.get(i),
    }
}

fn date(r: &Row<'_>, i: usize) -> rusqlite::Result<chrono::NaiveDate> {
    match r.get_ref(i)? {
        rusqlite::types::ValueRef::Text(t) => match crate::core::dates::ymd_fast(t) {
            Some(d) => Ok(d),
            None => r.get(i),
        },
        _ => r.get(i),
    }
}

pub fn from_row(r: &Row<'_>) -> rusqlite::Result<Request> {
    Ok(Request {
        id: r.get(0)?,
        campaign_id: r.get(1)?,
        tracking_code: r.get(2)?,
        campaign: r.get(3)?,
        agency_key: r.get(4)?,
        agency_name: r.get(5)?,
        agency_email: r.get(6)?,
        state: r.get(7)?,
        kind: r.get(8)?,
        population: r.get(9)?,
        status: r.get(10)?,
        created_on: date(r, 11)?,
        sent_on: opt_date(r, 12)?,
        due_on: opt_date(r, 13)?,
        followup_on: opt_date(r, 14)?,
        first_response_on: opt_date(r, 15)?,
        closed_on: opt_date(r, 16)?,
        followups: r.get(17)?,
        fee_cents: r.get(18)?,
        agency_reference: r.get(19)?,
        agency_days: r.get(20)?,
        agency_day_type: r.get(21)?,
    })
}

/// Finds a request by tracking code, forgiving case and stray spaces.
pub fn find(conn: &Connection, code: &str) -> Result<Request> {
    let code = code.trim().to_ascii_uppercase();
    conn.prepare_cached(&format!("{SELECT} WHERE r.tracking_code = ?1"))?
        .query_row([&code], from_row)
        .optional()?
        .ok_or(Error::NotFound { what: "request", key: code })
}

pub fn find_by_id(conn: &Connection, id: i64) -> Result<Request> {
    Ok(conn.prepare_cached(&format!("{SELECT} WHERE r.id = ?1"))?.query_row([id], from_row)?)
}

/// One event as stored, void ones included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub id: i64,
    pub kind: EventKind,
    pub on: NaiveDate,
    pub note: Option<String>,
    pub days: Option<u32>,
    pub until: Option<NaiveDate>,
    pub amount_cents: Option<i64>,
    pub via: Option<Via>,
    pub reference: Option<String>,
    pub recorded_on: NaiveDate,
    pub voided_on: Option<NaiveDate>,
    pub void_reason: Option<String>,
    /// Who logged it (absent for events logged before foiatrack recorded people).
    pub actor: Option<String>,
    pub voided_by: Option<String>,
}

impl Event {
    pub fn fact(&self) -> EventFact {
        EventFact {
            id: self.id,
            kind: self.kind,
            on: self.on,
            days: self.days,
            until: self.until,
            amount_cents: self.amount_cents,
            reference: self.reference.clone(),
        }
    }
}

/// Every event of a request, in date order then logging order.
pub fn events(conn: &Connection, request_id: i64) -> Result<Vec<Event>> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.id, e.kind, e.on_date, e.note, e.days, e.until, e.amount_cents, e.via, e.reference, e.recorded_on,
                e.voided_on, e.void_reason, w.actor, w.voided_by
         FROM events e LEFT JOIN event_actors w ON w.event_id = e.id
         WHERE e.request_id = ?1 ORDER BY e.on_date, e.id",
    )?;
    let v = stmt
        .query_map([request_id], |r| {
            Ok(Event {
                id: r.get(0)?,
                kind: r.get(1)?,
                on: r.get(2)?,
                note: r.get(3)?,
                days: r.get(4)?,
                until: r.get(5)?,
                amount_cents: r.get(6)?,
                via: r.get(7)?,
                reference: r.get(8)?,
                recorded_on: r.get(9)?,
                voided_on: r.get(10)?,
                void_reason: r.get(11)?,
                actor: r.get(12)?,
                voided_by: r.get(13)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}

/// Writes a timeline into the request's cached columns.
pub fn write_cache(conn: &Transaction<'_>, request_id: i64, t: &Timeline) -> Result<()> {
    conn.prepare_cached(
        "UPDATE requests SET status = ?2, sent_on = ?3, due_on = ?4, followup_on = ?5, first_response_on = ?6,
            closed_on = ?7, followups = ?8, fee_cents = ?9, agency_reference = ?10 WHERE id = ?1",
    )?
    .execute(params![
        request_id,
        t.status(),
        t.sent_on,
        t.due_on,
        t.followup_on,
        t.first_response_on,
        t.closed_on,
        t.followups,
        t.fee_cents,
        t.agency_reference
    ])?;
    conn.prepare_cached(
        "INSERT INTO request_metrics (request_id, days_to_first_response, days_to_completion, stopped_days, appealed,
                                      responded)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6 OR EXISTS (SELECT 1 FROM communications
                                                  WHERE request_id = ?1 AND direction = 'inbound'
                                                    AND kind IN ('reply', 'portal')))
         ON CONFLICT (request_id) DO UPDATE SET days_to_first_response = excluded.days_to_first_response,
            days_to_completion = excluded.days_to_completion, stopped_days = excluded.stopped_days,
            appealed = excluded.appealed, responded = excluded.responded",
    )?
    .execute(params![
        request_id,
        t.days_to_first_response,
        t.days_to_completion,
        t.stopped_days,
        t.appealed,
        t.first_response_on.is_some()
    ])?;
    Ok(())
}

/// An event a user logs.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub kind: EventKind,
    pub on: NaiveDate,
    pub note: Option<String>,
    pub days: Option<u32>,
    pub until: Option<NaiveDate>,
    pub amount_cents: Option<i64>,
    pub via: Option<Via>,
    pub reference: Option<String>,
}

impl NewEvent {
    pub fn new(kind: EventKind, on: NaiveDate) -> Self {
        NewEvent { kind, on, note: None, days: None, until: None, amount_cents: None, via: None, reference: None }
    }
}

/// Appends an event; the caller replays and checks it in the same transaction.
pub fn insert_event(tx: &Transaction<'_>, request_id: i64, e: &NewEvent, today: NaiveDate) -> Result<i64> {
    tx.prepare_cached(
        "INSERT INTO events (request_id, kind, on_date, note, days, until, amount_cents, via, reference, recorded_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        request_id,
        e.kind,
        e.on,
        e.note.as_deref().map(str::trim).filter(|s| !s.is_empty()),
        e.days,
        e.until,
        e.amount_cents,
        e.via,
        e.reference.as_deref().map(str::trim).filter(|s| !s.is_empty()),
        today
    ])?;
    let id = tx.last_insert_rowid();
    tx.prepare_cached(
        "INSERT INTO event_actors (event_id, actor) VALUES (?1, COALESCE((SELECT name FROM temp.acting_as), 'unknown'))",
    )?
    .execute([id])?;
    Ok(id)
}

/// An event's request id, kind, date and the day it was voided (if it was).
pub type EventRow = (i64, EventKind, NaiveDate, Option<NaiveDate>);

pub fn event_row(conn: &Connection, event_id: i64) -> Result<Option<EventRow>> {
    Ok(conn
        .query_row("SELECT request_id, kind, on_date, voided_on FROM events WHERE id = ?1", [event_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?)
}

/// Marks an event void; it stays in the history.
pub fn void_event(tx: &Transaction<'_>, event_id: i64, reason: &str, today: NaiveDate) -> Result<()> {
    tx.execute("UPDATE events SET voided_on = ?2, void_reason = ?3 WHERE id = ?1", params![event_id, today, reason])?;
    tx.execute(
        "INSERT INTO event_actors (event_id, actor, voided_by)
         VALUES (?1, 'unknown', COALESCE((SELECT name FROM temp.acting_as), 'unknown'))
         ON CONFLICT (event_id) DO UPDATE SET voided_by = excluded.voided_by",
        [event_id],
    )?;
    Ok(())
}
