//! What needs a person today, read in bounded pieces for the web's home page: each list is the
//! first `limit` requests that an index on (status, due date) yields in order, so the page costs
//! the same over a thousand requests or a million. The lists say the same as
//! `views::request::digest` (which reads every request, for the CLI's complete digest), with the
//! appeal windows of recent denials and of the overdue requests listed, and two differences of order
//! where they are cut: overdue requests are taken oldest due date
//! first (then ranked by business days overdue), and requests waiting on us in the order they
//! were created.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use rusqlite::Connection;

use crate::core::daytype::DayType;
use crate::core::deadline;
use crate::core::deadline::{EventFact, Period, Rules, Timeline, replay};
use crate::core::status::Status;
use crate::projection::{Calendars, period};
use crate::store::law::Law;
use crate::store::outbox::OutboxRow;
use crate::store::request::{Request, SELECT, from_row};
use crate::views::request::{Digest, Listed, OpenWindow, Waiting, appeal_window, lateness};
use crate::{Error, Result};

/// Up to `limit` requests per status for `filter` (SQL over `r.status = ?1`, `?2` today),
/// merged in (due date, id) order and cut to `limit`.
fn by_status(
    conn: &Connection,
    statuses: impl Iterator<Item = Status>,
    filter: &str,
    today: NaiveDate,
    limit: usize,
) -> Result<Vec<Request>> {
    let sql = format!("{SELECT} WHERE r.status = ?1 AND {filter} ORDER BY r.due_on, r.id LIMIT ?3");
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut all = Vec::new();
    for s in statuses {
        let rows = stmt.query_map(rusqlite::params![s, today, limit as i64], from_row)?;
        for r in rows {
            all.push(r?);
        }
    }
    all.sort_by_key(|r| (r.due_on.is_none(), r.due_on, r.id));
    all.truncate(limit);
    Ok(all)
}

fn listed(conn: &Connection, cals: &mut Calendars, very: i64, req: Request, today: NaiveDate) -> Result<Listed> {
    let (overdue_days, days_left) = lateness(cals.get(conn, &req.state)?, &req, today);
    Ok(Listed { request: req, overdue_days, days_left, very_overdue: overdue_days.is_some_and(|d| d >= very) })
}

/// The digest with each list cut to `limit` (ask for one more than you show to know whether
/// there are more).
pub fn digest(conn: &Connection, today: NaiveDate, limit: usize) -> Result<Digest> {
    let very = crate::store::config::number(conn, "policy.very_overdue_days")? as i64;
    let mut cals = Calendars::default();
    let open = || Status::ALL.iter().copied().filter(|s| s.can_be_overdue());

    let mut overdue = Vec::new();
    for r in by_status(conn, open(), "r.due_on < ?2", today, limit)? {
        overdue.push(listed(conn, &mut cals, very, r, today)?);
    }
    overdue.sort_by(|a, b| {
        b.overdue_days.cmp(&a.overdue_days).then(a.request.tracking_code.cmp(&b.request.tracking_code))
    });

    let week = today.checked_add_days(Days::new(7)).unwrap_or(today);
    let mut due_soon = Vec::new();
    let filter = format!("r.due_on >= ?2 AND r.due_on <= '{week}'");
    for r in by_status(conn, open(), &filter, today, limit)? {
        due_soon.push(listed(conn, &mut cals, very, r, today)?);
    }

    // Without a due date a request is never overdue; with one not yet past, its follow-up
    // date is after the due date, so only requests without a due date can be listed here.
    let mut followups_due = Vec::new();
    for r in by_status(conn, open(), "r.due_on IS NULL AND r.followup_on <= ?2", today, limit)? {
        followups_due.push(listed(conn, &mut cals, very, r, today)?);
    }

    let waiting = Status::ALL.iter().copied().filter(|s| s.is_waiting_on_us());
    // (`?2`, today, is bound for every list; this one does not need it.)
    let waiting = by_status(conn, waiting, "?2 = ?2", today, limit)?;
    let timelines = replay_all(conn, &waiting, &mut cals)?;
    let mut waiting_on_us = Vec::new();
    for (r, t) in waiting.into_iter().zip(timelines) {
        waiting_on_us.push(Waiting {
            tracking_code: r.tracking_code.clone(),
            agency_name: r.agency_name.clone(),
            status: r.status,
            since: t.stopped.as_ref().map(|s| s.since),
            reason: t.stopped.as_ref().map(|s| s.reason.clone()).unwrap_or_default(),
            fee_cents: if r.status == Status::PaymentRequired { t.fee_cents } else { None },
        });
    }
    let appeal_windows = appeal_windows(conn, &mut cals, &overdue, today, limit)?;
    let letters_bounced = crate::store::mail::bounced_letters(conn, None, limit)?;
    Ok(Digest { today, overdue, due_soon, waiting_on_us, followups_due, appeal_windows, letters_bounced })
}

/// Appeal windows still open, soonest to close first: for requests denied (or answered with no
/// records) in the last 400 days, read newest first up to a bound, and for the overdue requests
/// already listed (where the law treats silence as a denial). Bounded like the other lists.
fn appeal_windows(
    conn: &Connection,
    cals: &mut Calendars,
    overdue: &[Listed],
    today: NaiveDate,
    limit: usize,
) -> Result<Vec<OpenWindow>> {
    let denied = [Status::Rejected, Status::NoRecords].into_iter();
    let recent = by_status(conn, denied, "r.closed_on >= date(?2, '-400 days')", today, limit.saturating_mul(4))?;
    let mut laws: HashMap<String, Law> = HashMap::new();
    let mut out = Vec::new();
    for r in recent.iter().chain(overdue.iter().map(|l| &l.request)) {
        if !laws.contains_key(&r.state) {
            laws.insert(r.state.clone(), crate::store::law::get(conn, &r.state)?);
        }
        let cal = cals.get(conn, &r.state)?;
        if let Some((rule, w)) = appeal_window(&laws[&r.state], r, cal, today)
            && today <= w.closes_on
        {
            out.push(OpenWindow {
                tracking_code: r.tracking_code.clone(),
                agency_name: r.agency_name.clone(),
                state: r.state.clone(),
                status: r.status,
                file_with: rule.body,
                closes_on: w.closes_on,
                days_left: deadline::business_days_between(cal, today, w.closes_on),
            });
        }
    }
    out.sort_by(|a, b| a.closes_on.cmp(&b.closes_on).then(a.tracking_code.cmp(&b.tracking_code)));
    out.truncate(limit);
    Ok(out)
}

/// The replay of each request, as `projection::timeline` gives it, with the events of all of
/// them read in one query and each period, calendar and follow-up interval read once.
fn replay_all(conn: &Connection, reqs: &[Request], cals: &mut Calendars) -> Result<Vec<Timeline>> {
    if reqs.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; reqs.len()].join(", ");
    let mut stmt = conn.prepare(&format!(
        "SELECT request_id, id, kind, on_date, days, until, amount_cents, reference FROM events
         WHERE request_id IN ({marks}) AND voided_on IS NULL ORDER BY request_id, on_date, id"
    ))?;
    let mut facts: HashMap<i64, Vec<EventFact>> = HashMap::new();
    let mut rows = stmt.query(rusqlite::params_from_iter(reqs.iter().map(|r| r.id)))?;
    while let Some(r) = rows.next()? {
        facts.entry(r.get(0)?).or_default().push(EventFact {
            id: r.get(1)?,
            kind: r.get(2)?,
            on: r.get(3)?,
            days: r.get(4)?,
            until: r.get(5)?,
            amount_cents: r.get(6)?,
            reference: r.get(7)?,
        });
    }
    // A period depends on the state's law, the agency's kind (whom the law's period binds) and
    // the agency's own period, nothing else: each is read once.
    type Key = (String, String, Option<u32>, Option<DayType>);
    let mut periods: HashMap<Key, Period> = HashMap::new();
    let mut every: HashMap<i64, u32> = HashMap::new();
    let mut out = Vec::with_capacity(reqs.len());
    for req in reqs {
        let key = (req.state.clone(), req.kind.clone(), req.agency_days, req.agency_day_type);
        let period = match periods.get(&key) {
            Some(p) => *p,
            None => *periods.entry(key).or_insert(period(conn, req)?),
        };
        let followup_every = match every.get(&req.campaign_id) {
            Some(n) => *n,
            None => {
                let n: u32 =
                    conn.query_row("SELECT followup_every FROM campaigns WHERE id = ?1", [req.campaign_id], |r| {
                        r.get(0)
                    })?;
                *every.entry(req.campaign_id).or_insert(n)
            }
        };
        let rules = Rules { period, calendar: cals.get(conn, &req.state)?, followup_every };
        let f = facts.remove(&req.id).unwrap_or_default();
        out.push(replay(&f, &rules, false).map_err(|e| Error::Invalid(format!("{}: {}", req.tracking_code, e)))?);
    }
    Ok(out)
}

/// Letters whose sending failed, newest first, at most `limit`.
pub fn failed_letters(conn: &Connection, limit: usize) -> Result<Vec<OutboxRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.tracking_code, a.name, c.letter, c.state, c.channel, c.to_addr, c.created_on, c.sent_on, c.attempts,
                c.error, c.message_id
         FROM communications c JOIN requests r ON r.id = c.request_id JOIN agencies a ON a.id = r.agency_id
         WHERE c.direction = 'outbound' AND c.state = 'failed'
           AND NOT EXISTS (SELECT 1 FROM communications l WHERE l.request_id = c.request_id
                             AND l.direction = 'outbound' AND l.letter = c.letter AND l.id > c.id
                             AND l.state IN ('sending', 'sent'))
         ORDER BY c.id DESC LIMIT ?1",
    )?;
    let v = stmt
        .query_map([limit as i64], |r| {
            Ok(OutboxRow {
                tracking_code: r.get(0)?,
                agency_name: r.get(1)?,
                letter: r.get(2)?,
                state: r.get(3)?,
                channel: r.get(4)?,
                to: r.get(5)?,
                created_on: r.get(6)?,
                sent_on: r.get(7)?,
                attempts: r.get(8)?,
                error: r.get(9)?,
                message_id: r.get(10)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}
