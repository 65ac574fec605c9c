//! Suggestions as people read them: the likely requests of each unmatched message (with the
//! reasons), and the events a request's replies suggest (with the values read from them, the
//! sentence they came from, and the command that applies each).

use std::collections::HashMap;

use chrono::NaiveDate;
use rusqlite::Connection;
use serde::Serialize;

use crate::Result;
use crate::core::matching::{Finder, Scored};
use crate::core::reply::Suggestion;
use crate::core::reply_events::{self, Offer, State};
use crate::core::status::{EventKind, Status};
use crate::store::mail::Unmatched;
use crate::store::suggestions;

/// A request an unmatched message is likely about.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Likely {
    pub tracking_code: String,
    pub agency: String,
    pub status: Status,
    /// 0 to 1, two decimals.
    pub score: f64,
    /// Strongest first.
    pub reasons: Vec<String>,
}

impl Likely {
    fn of(s: &Scored) -> Likely {
        Likely {
            tracking_code: s.candidate.tracking_code.clone(),
            agency: s.candidate.agency_name.clone(),
            status: s.candidate.status,
            score: two_decimals(s.score),
            reasons: s.reasons.iter().map(|r| r.text.clone()).collect(),
        }
    }
}

fn two_decimals(x: f32) -> f64 {
    (x as f64 * 100.0).round() / 100.0
}

/// An unmatched message with its likely requests.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UnmatchedWithSuggestions {
    #[serde(flatten)]
    pub message: Unmatched,
    /// Best first, at most three; the first is what `mail assign ID --suggested` takes.
    pub suggestions: Vec<Likely>,
}

/// The likely requests of the unmatched messages `ids` (all of them when `None`), by message id.
pub fn likely(conn: &Connection, ids: Option<&[i64]>) -> Result<HashMap<i64, Vec<Likely>>> {
    let finder = Finder::new(&crate::store::candidates::prefixes(conn)?);
    let mut out = HashMap::new();
    let messages = match ids {
        Some(ids) => suggestions::unmatched_of(conn, ids)?,
        None => suggestions::unmatched(conn)?,
    };
    for m in messages {
        let scored = crate::ops::suggest::likely(conn, &finder, &m)?;
        out.insert(m.id, scored.iter().map(Likely::of).collect());
    }
    Ok(out)
}

/// For each of the unmatched messages `ids` that has one, the request `mail assign --suggested`
/// would take: the first, unless the next is just as likely (two requests equally likely are a
/// person's choice, so no one-click assign is offered for them).
pub fn first_choices(conn: &Connection, ids: &[i64]) -> Result<HashMap<i64, Likely>> {
    let finder = Finder::new(&crate::store::candidates::prefixes(conn)?);
    let mut out = HashMap::new();
    for m in suggestions::unmatched_of(conn, ids)? {
        let scored = crate::ops::suggest::likely(conn, &finder, &m)?;
        match scored.as_slice() {
            [] => {}
            [best, second, ..] if second.score >= best.score => {}
            [best, ..] => {
                out.insert(m.id, Likely::of(best));
            }
        }
    }
    Ok(out)
}

/// Every unmatched message, oldest first, with its likely requests.
pub fn unmatched(conn: &Connection) -> Result<Vec<UnmatchedWithSuggestions>> {
    let mut likely = likely(conn, None)?;
    Ok(crate::store::mail::unmatched(conn)?
        .into_iter()
        .map(|message| {
            let suggestions = likely.remove(&message.id).unwrap_or_default();
            UnmatchedWithSuggestions { message, suggestions }
        })
        .collect())
}

/// An event a reply suggests, still open, ready to apply.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReplySuggestion {
    pub communication_id: i64,
    pub received_on: NaiveDate,
    pub event: EventKind,
    /// "fee $45.00", "extended by 7 days"...
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_cents: Option<i64>,
    /// The date an extension runs to, or the agency's estimate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exemption: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// 0 to 1, two decimals; shown from `reply::show_threshold`.
    pub confidence: f64,
    /// The sentence it was read from.
    pub evidence: String,
    /// The command that logs it.
    pub apply: String,
}

impl ReplySuggestion {
    fn of(o: &Offer, several: bool) -> ReplySuggestion {
        let s = &o.suggested.suggestion;
        let mut r = ReplySuggestion {
            communication_id: o.communication_id,
            received_on: o.received_on,
            event: o.kind,
            summary: reply_events::describe(s),
            amount_cents: None,
            date: None,
            days: None,
            exemption: None,
            reference: None,
            confidence: two_decimals(o.suggested.confidence),
            evidence: o.suggested.evidence.clone(),
            apply: if several {
                format!("foiatrack mail apply {} --kind {}", o.communication_id, o.kind)
            } else {
                format!("foiatrack mail apply {}", o.communication_id)
            },
        };
        match s {
            Suggestion::Fee { amount_cents } => r.amount_cents = Some(*amount_cents),
            Suggestion::Extended { days, until } => {
                r.date = *until;
                r.days = if until.is_some() { None } else { *days };
            }
            Suggestion::Estimated { until } => r.date = Some(*until),
            Suggestion::Rejected { exemption } => r.exemption = exemption.clone(),
            Suggestion::Acknowledged { reference } => r.reference = reference.clone(),
            _ => {}
        }
        r
    }
}

/// The open suggestions of a request's replies (see `core::reply_events` for when one is no
/// longer offered), oldest message first, most confident first within one.
pub fn for_request(conn: &Connection, request_id: i64, status: Status) -> Result<Vec<ReplySuggestion>> {
    let open: Vec<Offer> =
        suggestions::offers(conn, request_id, status)?.into_iter().filter(|o| o.state == State::Open).collect();
    Ok(open
        .iter()
        .map(|o| {
            let several = open.iter().filter(|x| x.communication_id == o.communication_id).count() > 1;
            ReplySuggestion::of(o, several)
        })
        .collect())
}
