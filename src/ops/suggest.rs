//! Acting on suggestions: tie an unmatched message to its most likely request
//! (`mail assign ID --suggested`), log the event a reply suggests with the values read from it
//! (`mail apply ID`), or set a suggestion aside (`mail dismiss ID`).
//!
//! A suggestion never changes anything by itself: each of these is a person's command. Applying
//! goes through `ops::request::log_in`, so an event that does not fit the request's history is
//! refused with the same reason `log` gives, and nothing is written.

use chrono::NaiveDate;
use rusqlite::Connection;
use serde::Serialize;

use crate::core::matching::{Finder, Message, Scored};
use crate::core::reply::Suggestion;
use crate::core::reply_events::{self, Done, Offer, State};
use crate::core::status::EventKind;
use crate::ops::mail::Imported;
use crate::ops::request::Logged;
use crate::store::request::{NewEvent, Via, find_by_id};
use crate::store::suggestions::{self, Stored};
use crate::{Error, Result};

/// The likely requests of a stored message, best first.
pub fn likely(conn: &Connection, finder: &Finder, m: &Stored) -> Result<Vec<Scored>> {
    let msg = Message { from: &m.from, subject: &m.subject, body: &m.body };
    crate::store::candidates::likely(conn, finder, msg)
}

/// What `assign --suggested` did: the assignment, and the suggestion it took.
#[derive(Debug, Clone, Serialize)]
pub struct AssignedSuggested {
    #[serde(flatten)]
    pub imported: Imported,
    pub score: f64,
    pub reasons: Vec<String>,
}

fn inbound(conn: &Connection, id: i64) -> Result<Stored> {
    suggestions::message(conn, id)?.ok_or(Error::NotFound { what: "inbound message", key: id.to_string() })
}

/// Ties an unmatched message to the first of its suggested requests.
pub fn assign_suggested(conn: &mut Connection, id: i64, today: NaiveDate) -> Result<AssignedSuggested> {
    let m = inbound(conn, id)?;
    if m.request_id.is_some() {
        return Err(Error::invalid(format!("message {id} is already tied to a request")));
    }
    let finder = Finder::new(&crate::store::candidates::prefixes(conn)?);
    let Some(best) = likely(conn, &finder, &m)?.into_iter().next() else {
        return Err(Error::invalid(format!(
            "message {id} has no suggested request (nothing in it points to one); give the tracking code: foiatrack mail assign {id} CODE"
        )));
    };
    let imported = crate::ops::mail::assign(conn, id, &best.candidate.tracking_code, today)?;
    Ok(AssignedSuggested {
        imported,
        score: best.score as f64,
        reasons: best.reasons.iter().map(|r| r.text.clone()).collect(),
    })
}

/// What `mail apply` did.
#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    pub communication_id: i64,
    /// "fee $45.00", "extended by 7 days"...
    pub suggestion: String,
    #[serde(flatten)]
    pub logged: Logged,
}

/// The message's offers, and the request they are for.
fn offers_of(conn: &Connection, id: i64) -> Result<(Stored, crate::store::request::Request, Vec<Offer>)> {
    let m = inbound(conn, id)?;
    let Some(request_id) = m.request_id else {
        return Err(Error::invalid(format!(
            "message {id} is not tied to a request yet; tie it first: foiatrack mail assign {id} CODE (or --suggested)"
        )));
    };
    let req = find_by_id(conn, request_id)?;
    let offers =
        suggestions::offers(conn, request_id, req.status)?.into_iter().filter(|o| o.communication_id == id).collect();
    Ok((m, req, offers))
}

fn kinds(offers: &[Offer]) -> String {
    offers.iter().map(|o| o.kind.as_str()).collect::<Vec<_>>().join(", ")
}

/// Why an offer is not open, in words.
fn closed_why(o: &Offer) -> String {
    match &o.state {
        State::Open => "still open".into(),
        State::Done(Done::Applied { event_id }) => format!("applied already (event {event_id})"),
        State::Done(Done::Dismissed) => "dismissed".into(),
        State::LoggedSince { event_id, on } => {
            format!("a '{}' event was logged on {on} (event {event_id}), on or after the message", o.kind)
        }
        State::MovedPast(why) => format!("the request has moved past it ({why})"),
    }
}

/// The offer a command acts on: the one of `kind`, or the message's one open offer.
fn choose(id: i64, offers: Vec<Offer>, kind: Option<EventKind>, verb: &str) -> Result<Offer> {
    if offers.is_empty() {
        return Err(Error::invalid(format!(
            "message {id} suggests no event (nothing in it reached the confidence a suggestion is shown at); log what it says with `foiatrack log`"
        )));
    }
    match kind {
        Some(k) => {
            let all = kinds(&offers);
            let o = offers
                .into_iter()
                .find(|o| o.kind == k)
                .ok_or_else(|| Error::invalid(format!("message {id} does not suggest '{k}'; it suggests: {all}")))?;
            match &o.state {
                State::Open | State::MovedPast(_) => Ok(o),
                State::Done(Done::Dismissed) if verb == "apply" => Ok(o),
                _ => Err(Error::invalid(format!(
                    "nothing to {verb}: the '{k}' suggested by message {id}: {}",
                    closed_why(&o)
                ))),
            }
        }
        None => {
            let open: Vec<&Offer> = offers.iter().filter(|o| o.state == State::Open).collect();
            match open.as_slice() {
                [_] => Ok(offers.into_iter().find(|o| o.state == State::Open).expect("one open offer")),
                [] => Err(Error::invalid(format!(
                    "message {id} has nothing left to {verb}: {}",
                    offers.iter().map(|o| format!("{}: {}", o.kind, closed_why(o))).collect::<Vec<_>>().join("; ")
                ))),
                many => Err(Error::invalid(format!(
                    "message {id} suggests {} events ({}); say which with --kind, e.g. foiatrack mail {verb} {id} --kind {}",
                    many.len(),
                    many.iter().map(|o| o.kind.as_str()).collect::<Vec<_>>().join(", "),
                    many[0].kind
                ))),
            }
        }
    }
}

/// The event a suggestion logs: dated by the message (not before the request was sent, not
/// after today), by email, with the values read from the message and a note pointing at it.
fn event_for(o: &Offer, sent_on: Option<NaiveDate>, today: NaiveDate) -> NewEvent {
    let mut e = NewEvent::new(o.kind, reply_events::event_on(o.received_on, sent_on, today));
    e.via = Some(Via::Email);
    let mut note = format!("from reply #{} of {}", o.communication_id, o.received_on);
    match &o.suggested.suggestion {
        Suggestion::Fee { amount_cents } => e.amount_cents = Some(*amount_cents),
        Suggestion::Extended { days, until } => {
            e.until = *until;
            e.days = if until.is_some() { None } else { *days };
        }
        Suggestion::Estimated { until } => e.until = Some(*until),
        Suggestion::Rejected { exemption: Some(x) } => note = format!("exemption cited: {x}; {note}"),
        Suggestion::Acknowledged { reference } => e.reference = reference.clone(),
        _ => {}
    }
    e.note = Some(note);
    e
}

/// Logs the event message `id` suggests (the one of `kind`, or its one open suggestion) and
/// records that it was applied, in one transaction.
pub fn apply(conn: &mut Connection, id: i64, kind: Option<EventKind>, today: NaiveDate) -> Result<Applied> {
    let tx = super::begin(conn)?;
    let (_, req, offers) = offers_of(&tx, id)?;
    let o = choose(id, offers, kind, "apply")?;
    let e = event_for(&o, req.sent_on, today);
    let logged = crate::ops::request::log_in(&tx, &req.tracking_code, &e, today)?;
    suggestions::record(&tx, id, o.kind, Done::Applied { event_id: logged.event_id }, today)?;
    tx.commit()?;
    Ok(Applied { communication_id: id, suggestion: reply_events::describe(&o.suggested.suggestion), logged })
}

/// What `mail dismiss` did.
#[derive(Debug, Clone, Serialize)]
pub struct Dismissed {
    pub communication_id: i64,
    pub tracking_code: String,
    pub event: EventKind,
    pub suggestion: String,
}

/// Sets aside a suggestion of message `id` (the one of `kind`, or its one open suggestion): it
/// is no longer offered. Nothing is logged.
pub fn dismiss(conn: &mut Connection, id: i64, kind: Option<EventKind>, today: NaiveDate) -> Result<Dismissed> {
    let tx = super::begin(conn)?;
    let (_, req, offers) = offers_of(&tx, id)?;
    let o = choose(id, offers, kind, "dismiss")?;
    suggestions::record(&tx, id, o.kind, Done::Dismissed, today)?;
    tx.commit()?;
    Ok(Dismissed {
        communication_id: id,
        tracking_code: req.tracking_code,
        event: o.kind,
        suggestion: reply_events::describe(&o.suggested.suggestion),
    })
}
