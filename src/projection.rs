//! The derived request figures: status, dates and report metrics replayed from the event log and
//! cached on the request row. `recompute` always runs inside the writer's transaction and only
//! over the requests a change can move (`Scope`), so a phone-number edit replays nothing and a
//! holiday replays only the requests whose counted days include it.

use std::collections::HashMap;

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Transaction};

use crate::core::calendar::Calendar;
use crate::core::deadline::{self, EventFact, Period, Rules, Timeline};
use crate::core::status::Status;
use crate::store::request::{self, Event, Request, SELECT, events, from_row};
use crate::{Error, Result};

/// Which requests a change can move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// One request (an event logged or voided, a reply matched).
    Request(i64),
    /// Every request to one agency (its own period or its state changed).
    Agency(i64),
    /// Requests under one state's law that follow the law's period (not an agency's own):
    /// a `law set` or `law reset`.
    Law(&'a str),
    /// Requests of one state whose counted days can include `date`: a holiday added or removed.
    HolidayIn(&'a str, NaiveDate),
    /// Every request (a migration that adds a figure).
    All,
}

/// The period that applies to a request: the agency's own, else its state's law where that
/// law's period binds the agency's kind, else no fixed period.
pub fn period(conn: &Connection, req: &Request) -> Result<Period> {
    Ok(period_source(conn, req)?.0)
}

/// Where a request's period comes from, for explanations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeriodSource {
    /// The agency's own period (`agency edit --response-days`).
    Agency,
    /// The state's law.
    Law,
    /// The law's period binds other kinds of agency only: the note says which and why.
    NotBound(String),
}

/// The period that applies to a request and where it comes from.
pub fn period_source(conn: &Connection, req: &Request) -> Result<(Period, PeriodSource)> {
    if let Some(t) = req.agency_day_type {
        return Ok((Period::new(req.agency_days, t), PeriodSource::Agency));
    }
    let law = crate::store::law::get(conn, &req.state)?;
    let period = Period::new(law.response_days, law.day_type);
    if period.days.is_some()
        && !law.period_binds(&req.kind)
        && let Some(scope) = &law.scope
    {
        let cite = scope.period_binds_citation.as_deref().map(|c| format!(" ({c})")).unwrap_or_default();
        let kind = req.kind.replace('_', " ");
        return Ok((
            Period::new(None, crate::core::daytype::DayType::None),
            PeriodSource::NotBound(format!(
                "the {} law's {} bind {}{cite}; this agency is a {kind}, so no statutory period applies to it",
                law.code,
                period.describe(),
                scope.period_binds.describe()
            )),
        ));
    }
    Ok((period, PeriodSource::Law))
}

/// Calendars by state, loaded once per command.
#[derive(Default)]
pub struct Calendars(HashMap<String, Calendar>);

impl Calendars {
    pub fn get(&mut self, conn: &Connection, state: &str) -> Result<&Calendar> {
        if !self.0.contains_key(state) {
            self.0.insert(state.to_string(), crate::store::holiday::calendar(conn, state)?);
        }
        Ok(&self.0[state])
    }
}

/// Replays a request's (non-void) events.
pub fn timeline(conn: &Connection, req: &Request, cals: &mut Calendars, explain: bool) -> Result<Timeline> {
    replay_request(conn, req, cals, explain)?.map_err(|e| Error::Invalid(format!("{}: {}", req.tracking_code, e)))
}

/// Replays a request's non-void events under its law, calendar and campaign policy; a refused
/// event comes back as the `ReplayError` so callers can say which event did not fit.
pub fn replay_request(
    conn: &Connection,
    req: &Request,
    cals: &mut Calendars,
    explain: bool,
) -> Result<std::result::Result<Timeline, deadline::ReplayError>> {
    let facts: Vec<EventFact> =
        events(conn, req.id)?.iter().filter(|e| e.voided_on.is_none()).map(Event::fact).collect();
    let period = period(conn, req)?;
    let followup_every: u32 = conn
        .prepare_cached("SELECT followup_every FROM campaigns WHERE id = ?1")?
        .query_row([req.campaign_id], |r| r.get(0))?;
    let rules = Rules { period, calendar: cals.get(conn, &req.state)?, followup_every };
    Ok(deadline::replay(&facts, &rules, explain))
}

/// Replays the requests in `scope` and writes their cached figures, inside the caller's
/// transaction. Returns how many were recomputed.
pub fn recompute(tx: &Transaction<'_>, scope: Scope<'_>) -> Result<usize> {
    let (filter, args): (&str, Vec<rusqlite::types::Value>) = match scope {
        Scope::Request(id) => ("r.id = ?1", vec![id.into()]),
        Scope::Agency(id) => ("r.agency_id = ?1", vec![id.into()]),
        Scope::Law(code) => {
            ("a.state = ?1 AND a.day_type IS NULL AND r.status <> 'draft'", vec![code.to_string().into()])
        }
        Scope::HolidayIn(code, date) => (
            "a.state = ?1 AND r.sent_on IS NOT NULL AND r.sent_on <= ?2
               AND (r.closed_on IS NULL OR r.closed_on >= ?2 OR r.due_on >= ?2 OR r.followup_on >= ?2)",
            vec![code.to_string().into(), date.to_string().into()],
        ),
        Scope::All => ("1 = 1", vec![]),
    };
    let mut stmt = tx.prepare_cached(&format!("{SELECT} WHERE {filter}"))?;
    let reqs = stmt.query_map(rusqlite::params_from_iter(args), from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    let mut cals = Calendars::default();
    for req in &reqs {
        let t = timeline(tx, req, &mut cals, false)?;
        request::write_cache(tx, req.id, &t)?;
    }
    Ok(reqs.len())
}

/// Replays one request and writes its cache; a refused event comes back as the replay error so
/// the caller can say which event no longer fits.
pub fn recompute_checked(
    tx: &Transaction<'_>,
    req: &Request,
) -> Result<std::result::Result<Timeline, deadline::ReplayError>> {
    let t = match replay_request(tx, req, &mut Calendars::default(), false)? {
        Ok(t) => t,
        Err(e) => return Ok(Err(e)),
    };
    request::write_cache(tx, req.id, &t)?;
    Ok(Ok(t))
}

/// A cached request whose stored status or dates differ from a full replay (should never happen).
pub fn cache_mismatches(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(SELECT)?;
    let reqs = stmt.query_map([], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    let mut cals = Calendars::default();
    let mut bad = Vec::new();
    for req in reqs {
        let t = timeline(conn, &req, &mut cals, false)?;
        let metrics: Option<(Option<i64>, Option<i64>, i64, bool)> = conn
            .query_row(
                "SELECT days_to_first_response, days_to_completion, stopped_days, appealed FROM request_metrics
                 WHERE request_id = ?1",
                [req.id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let replayed_metrics = (t.days_to_first_response, t.days_to_completion, t.stopped_days, t.appealed);
        if req.status != Status::Draft && metrics != Some(replayed_metrics) {
            bad.push(format!("{}: report figures {metrics:?}, replayed {replayed_metrics:?}", req.tracking_code));
        }
        let cached = (
            req.status,
            req.sent_on,
            req.due_on,
            req.followup_on,
            req.first_response_on,
            req.closed_on,
            req.followups,
            req.fee_cents,
            req.agency_reference.clone(),
        );
        let replayed = (
            t.status(),
            t.sent_on,
            t.due_on,
            t.followup_on,
            t.first_response_on,
            t.closed_on,
            t.followups,
            t.fee_cents,
            t.agency_reference.clone(),
        );
        if cached != replayed {
            bad.push(format!("{}: cached {cached:?}, replayed {replayed:?}", req.tracking_code));
        }
    }
    Ok(bad)
}
