//! Agencies as people read them: a searchable list, and one agency with its law, its requests
//! across every campaign and its record (how often and how fast it answers, what fees it asks).

use std::collections::HashMap;

use chrono::NaiveDate;
use rusqlite::Connection;
use serde::Serialize;

use crate::Result;
use crate::core::deadline::business_days_between;
use crate::core::status::Status;
use crate::store::agency::{self, Agency, Filter, Kind};
use crate::store::law::{self, Law};

/// An agency as listed, with how many requests went to it.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    pub agency: Agency,
    pub requests: i64,
    /// Requests sent and not closed.
    pub open: i64,
}

/// Agencies whose name, key, email or contact contains `query` (any case), in `state` and of
/// `kind` when given; ordered by state, then name. The first `limit` of them, with their
/// requests counted, and how many there are in all.
pub fn search(
    conn: &Connection,
    query: &str,
    state: Option<&str>,
    kind: Option<Kind>,
    limit: usize,
) -> Result<(Vec<Found>, usize)> {
    let states = match state.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => vec![law::code(conn, s)?],
        None => Vec::new(),
    };
    let all = agency::list(conn, &Filter { states, kinds: kind.into_iter().collect() })?;
    let q = query.trim().to_lowercase();
    let matches = |a: &Agency| {
        q.is_empty()
            || [Some(&a.name), Some(&a.key), a.email.as_ref(), a.contact_name.as_ref()]
                .into_iter()
                .flatten()
                .any(|v| v.to_lowercase().contains(&q))
    };
    let found: Vec<Agency> = all.into_iter().filter(|a| matches(a)).collect();
    let total = found.len();
    let shown: Vec<Agency> = found.into_iter().take(limit).collect();
    let counts = request_counts(conn, &shown)?;
    let shown = shown
        .into_iter()
        .map(|a| {
            let (requests, open) = counts.get(&a.key).copied().unwrap_or((0, 0));
            Found { agency: a, requests, open }
        })
        .collect();
    Ok((shown, total))
}

/// (requests, open requests) of these agencies, by key: only the agencies listed are counted,
/// through the requests' agency index, not every request in the database.
fn request_counts(conn: &Connection, agencies: &[Agency]) -> Result<HashMap<String, (i64, i64)>> {
    let mut out = HashMap::new();
    for chunk in agencies.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let mut stmt = conn.prepare(&format!(
            "SELECT a.key, COUNT(*),
                    COALESCE(SUM(r.status NOT IN ('draft', 'completed', 'rejected', 'no_records', 'withdrawn')), 0)
             FROM agencies a JOIN requests r ON r.agency_id = a.id WHERE a.key IN ({marks}) GROUP BY a.key"
        ))?;
        let rows = stmt.query_map(rusqlite::params_from_iter(chunk.iter().map(|a| &a.key)), |r| {
            Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?)))
        })?;
        for row in rows {
            let (key, n) = row?;
            out.insert(key, n);
        }
    }
    Ok(out)
}

/// One request to the agency, in any campaign.
#[derive(Debug, Clone, Serialize)]
pub struct AgencyRequest {
    pub tracking_code: String,
    pub campaign: String,
    pub campaign_title: String,
    pub status: Status,
    pub sent_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub first_response_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub fee_cents: Option<i64>,
    /// Business days late on the day asked, when overdue.
    pub overdue_days: Option<i64>,
}

/// How the agency has answered, over every campaign.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Record {
    pub requests: i64,
    pub sent: i64,
    pub responded: i64,
    pub response_rate: Option<f64>,
    /// Business days from sending to the first response, excluding days the clock was stopped
    /// waiting on us (as the response report counts them).
    pub median_days_to_first_response: Option<f64>,
    pub first_responses_measured: i64,
    pub fees_requested: i64,
    pub fees_total_cents: i64,
    pub open: i64,
    pub overdue: i64,
}

/// Everything about one agency.
#[derive(Debug, Clone, Serialize)]
pub struct AgencyPage {
    pub agency: Agency,
    /// Its addresses and whether each works, the main one first.
    pub contacts: Vec<crate::store::contacts::Contact>,
    pub law: Law,
    pub requests: Vec<AgencyRequest>,
    pub record: Record,
}

/// One agency, its law, its requests (newest first) and its record on `today`.
pub fn page(conn: &Connection, key: &str, today: NaiveDate) -> Result<AgencyPage> {
    let agency = agency::get(conn, key)?;
    let law = law::get(conn, &agency.state)?;
    let cal = crate::store::holiday::calendar(conn, &agency.state)?;
    let mut stmt = conn.prepare(
        "SELECT r.tracking_code, c.slug, c.title, r.status, r.sent_on, r.due_on, r.first_response_on, r.closed_on,
                r.fee_cents, COALESCE(m.responded, 0), m.days_to_first_response
         FROM requests r JOIN agencies a ON a.id = r.agency_id JOIN campaigns c ON c.id = r.campaign_id
         LEFT JOIN request_metrics m ON m.request_id = r.id
         WHERE a.key = ?1 ORDER BY r.created_on DESC, r.tracking_code",
    )?;
    let mut rows = stmt.query([&agency.key])?;
    let mut requests = Vec::new();
    let mut record = Record::default();
    let mut first = Vec::new();
    while let Some(r) = rows.next()? {
        let status: Status = r.get(3)?;
        let sent_on: Option<NaiveDate> = r.get(4)?;
        let due_on: Option<NaiveDate> = r.get(5)?;
        let fee_cents: Option<i64> = r.get(8)?;
        let responded: bool = r.get(9)?;
        let overdue_days = match due_on {
            Some(due) if status.can_be_overdue() && today > due => Some(business_days_between(&cal, due, today)),
            _ => None,
        };
        record.requests += 1;
        if sent_on.is_some() {
            record.sent += 1;
            record.responded += responded as i64;
            if let Some(d) = r.get::<_, Option<i64>>(10)? {
                first.push(d);
            }
        }
        if let Some(f) = fee_cents {
            record.fees_requested += 1;
            record.fees_total_cents += f;
        }
        record.open += (!status.is_terminal() && status != Status::Draft) as i64;
        record.overdue += overdue_days.is_some() as i64;
        requests.push(AgencyRequest {
            tracking_code: r.get(0)?,
            campaign: r.get(1)?,
            campaign_title: r.get(2)?,
            status,
            sent_on,
            due_on,
            first_response_on: r.get(6)?,
            closed_on: r.get(7)?,
            fee_cents,
            overdue_days,
        });
    }
    first.sort_unstable();
    record.response_rate = (record.sent > 0).then(|| record.responded as f64 / record.sent as f64);
    record.median_days_to_first_response = crate::views::report::median(&first);
    record.first_responses_measured = first.len() as i64;
    let id = agency::id(conn, &agency.key)?.unwrap_or_default();
    let contacts = crate::store::contacts::list(conn, id)?;
    Ok(AgencyPage { agency, contacts, law, requests, record })
}
