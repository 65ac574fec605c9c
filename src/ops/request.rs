//! Logging and voiding events: the user-facing changes to a request's history.

use chrono::NaiveDate;
use rusqlite::{Connection, Transaction};
use serde::Serialize;

use crate::core::dates::{MAX_DATE, MIN_DATE, check_days, in_bounds};
use crate::core::money;
use crate::core::status::{EventKind, Status};
use crate::projection;
use crate::store::request::{self, NewEvent, find, find_by_id};
use crate::{Error, Result};

#[derive(Debug, Clone, Serialize)]
pub struct Logged {
    pub event_id: i64,
    pub tracking_code: String,
    pub event: EventKind,
    pub on: NaiveDate,
    pub status_before: Status,
    pub status_after: Status,
    pub due_on: Option<NaiveDate>,
    pub followup_on: Option<NaiveDate>,
}

fn check_flags(e: &NewEvent, today: NaiveDate) -> Result<()> {
    if e.on > today {
        return Err(Error::invalid(format!("--on {} is after today ({today}); log events when they happen", e.on)));
    }
    let dated = matches!(e.kind, EventKind::Extended | EventKind::Estimated);
    if (e.days.is_some() || e.until.is_some()) && !dated {
        return Err(Error::invalid(format!("--days and --until go with 'extended' or 'estimated', not '{}'", e.kind)));
    }
    if e.days.is_some() && e.until.is_some() {
        return Err(Error::invalid("give --days or --until, not both"));
    }
    if dated && e.days.is_none() && e.until.is_none() {
        return Err(Error::invalid(format!("'{}' needs --days N or --until DATE", e.kind)));
    }
    if let Some(n) = e.days {
        check_days("--days", n).map_err(Error::Invalid)?;
    }
    for d in [Some(e.on), e.until].into_iter().flatten() {
        if !in_bounds(d) {
            return Err(Error::invalid(format!(
                "{d} is outside the dates foiatrack accepts ({MIN_DATE} to {MAX_DATE})"
            )));
        }
    }
    if let Some(u) = e.until
        && u < e.on
    {
        return Err(Error::invalid(format!("--until {u} is before the event's date {}", e.on)));
    }
    if e.amount_cents.is_some() && e.kind != EventKind::Fee {
        return Err(Error::invalid(format!("--amount goes with 'fee', not '{}'", e.kind)));
    }
    if e.amount_cents.is_some_and(|c| c < 0) {
        return Err(Error::invalid("a fee cannot be negative"));
    }
    if let Some(c) = e.amount_cents {
        money::check_amount(c).map_err(Error::Invalid)?;
    }
    Ok(())
}

/// Appends an event to a request, if it fits the request's history; otherwise writes nothing
/// and says which events would fit.
pub fn log(conn: &mut Connection, code: &str, e: &NewEvent, today: NaiveDate) -> Result<Logged> {
    check_flags(e, today)?;
    let tx = super::begin(conn)?;
    let logged = log_in(&tx, code, e, today)?;
    tx.commit()?;
    Ok(logged)
}

/// `log` inside a caller's transaction (sending a letter logs `sent` with the outbound message).
pub fn log_in(tx: &Transaction<'_>, code: &str, e: &NewEvent, today: NaiveDate) -> Result<Logged> {
    check_flags(e, today)?;
    let req = find(tx, code)?;
    let event_id = request::insert_event(tx, req.id, e, today)?;
    let t = match projection::recompute_checked(tx, &req)? {
        Ok(t) => t,
        Err(err) if err.event_id == event_id => {
            return Err(Error::Invalid(format!("cannot log on {}: {}", req.tracking_code, err.refused)));
        }
        Err(err) => {
            return Err(Error::Invalid(format!(
                "cannot log '{}' on {} dated {}: a later event would no longer fit ({err})",
                e.kind, req.tracking_code, e.on
            )));
        }
    };
    Ok(Logged {
        event_id,
        tracking_code: req.tracking_code,
        event: e.kind,
        on: e.on,
        status_before: req.status,
        status_after: t.status(),
        due_on: t.due_on,
        followup_on: t.followup_on,
    })
}

/// Marks an event void (it stays in the history) and recomputes the request from the rest.
pub fn void(conn: &mut Connection, event_id: i64, reason: &str, today: NaiveDate) -> Result<Logged> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::invalid("say why the event is void: --reason \"...\""));
    }
    let tx = super::begin(conn)?;
    let Some((request_id, kind, on, voided)) = request::event_row(&tx, event_id)? else {
        return Err(Error::NotFound { what: "event", key: event_id.to_string() });
    };
    if let Some(v) = voided {
        return Err(Error::invalid(format!("event {event_id} was voided already on {v}")));
    }
    let req = find_by_id(&tx, request_id)?;
    request::void_event(&tx, event_id, reason, today)?;
    let t = projection::recompute_checked(&tx, &req)?.map_err(|e| {
        Error::Invalid(format!(
            "cannot void event {event_id} ({kind} on {on}): the events after it would no longer fit ({e}); void those first"
        ))
    })?;
    tx.commit()?;
    Ok(Logged {
        event_id,
        tracking_code: req.tracking_code,
        event: kind,
        on,
        status_before: req.status,
        status_after: t.status(),
        due_on: t.due_on,
        followup_on: t.followup_on,
    })
}
