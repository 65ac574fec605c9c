//! Requests and their append-only event log. Status and dates are replayed from the events
//! (`deadline::replay`) and cached on the request row in the same transaction as every change.

use std::collections::HashMap;

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use crate::deadline::{self, EventFact, Period, Rules, Timeline};
use crate::holiday::Calendar;
use crate::law::DayType;
use crate::status::{EventKind, Status};
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

const SELECT: &str = "SELECT r.id, r.campaign_id, r.tracking_code, c.slug, a.key, a.name, a.email, a.state, a.kind,
        a.population, r.status, r.created_on, r.sent_on, r.due_on, r.followup_on, r.first_response_on,
        r.closed_on, r.followups, r.fee_cents, r.agency_reference, a.response_days, a.day_type
    FROM requests r JOIN agencies a ON a.id = r.agency_id JOIN campaigns c ON c.id = r.campaign_id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Request> {
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
        created_on: r.get(11)?,
        sent_on: r.get(12)?,
        due_on: r.get(13)?,
        followup_on: r.get(14)?,
        first_response_on: r.get(15)?,
        closed_on: r.get(16)?,
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
    conn.query_row(&format!("{SELECT} WHERE r.tracking_code = ?1"), [&code], from_row)
        .optional()?
        .ok_or(Error::NotFound { what: "request", key: code })
}

pub fn find_by_id(conn: &Connection, id: i64) -> Result<Request> {
    Ok(conn.query_row(&format!("{SELECT} WHERE r.id = ?1"), [id], from_row)?)
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
}

impl Event {
    fn fact(&self) -> EventFact {
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
    let mut stmt = conn.prepare(
        "SELECT id, kind, on_date, note, days, until, amount_cents, via, reference, recorded_on, voided_on, void_reason
         FROM events WHERE request_id = ?1 ORDER BY on_date, id",
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
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}

/// The period that applies to a request: the agency's own, else its state's law.
pub fn period(conn: &Connection, req: &Request) -> Result<Period> {
    if let Some(t) = req.agency_day_type {
        return Ok(Period::new(req.agency_days, t));
    }
    let law = crate::law::get(conn, &req.state)?;
    Ok(Period::new(law.response_days, law.day_type))
}

/// Calendars by state, loaded once per command.
#[derive(Default)]
pub struct Calendars(HashMap<String, Calendar>);

impl Calendars {
    pub fn get(&mut self, conn: &Connection, state: &str) -> Result<&Calendar> {
        if !self.0.contains_key(state) {
            self.0.insert(state.to_string(), crate::holiday::calendar(conn, state)?);
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
fn replay_request(
    conn: &Connection,
    req: &Request,
    cals: &mut Calendars,
    explain: bool,
) -> Result<std::result::Result<Timeline, deadline::ReplayError>> {
    let facts: Vec<EventFact> =
        events(conn, req.id)?.iter().filter(|e| e.voided_on.is_none()).map(Event::fact).collect();
    let period = period(conn, req)?;
    let followup_every: u32 =
        conn.query_row("SELECT followup_every FROM campaigns WHERE id = ?1", [req.campaign_id], |r| r.get(0))?;
    let rules = Rules { period, calendar: cals.get(conn, &req.state)?, followup_every };
    Ok(deadline::replay(&facts, &rules, explain))
}

/// Writes a timeline into the request's cached columns.
fn store(conn: &Connection, request_id: i64, t: &Timeline) -> Result<()> {
    conn.execute(
        "UPDATE requests SET status = ?2, sent_on = ?3, due_on = ?4, followup_on = ?5, first_response_on = ?6,
            closed_on = ?7, followups = ?8, fee_cents = ?9, agency_reference = ?10 WHERE id = ?1",
        params![
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
        ],
    )?;
    conn.execute(
        "INSERT INTO request_metrics (request_id, days_to_first_response, days_to_completion, stopped_days, appealed,
                                      responded)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6 OR EXISTS (SELECT 1 FROM communications
                                                  WHERE request_id = ?1 AND direction = 'inbound'))
         ON CONFLICT (request_id) DO UPDATE SET days_to_first_response = excluded.days_to_first_response,
            days_to_completion = excluded.days_to_completion, stopped_days = excluded.stopped_days,
            appealed = excluded.appealed, responded = excluded.responded",
        params![
            request_id,
            t.days_to_first_response,
            t.days_to_completion,
            t.stopped_days,
            t.appealed,
            t.first_response_on.is_some()
        ],
    )?;
    Ok(())
}

/// Recomputes the cache of every request (in one state, or all) after a law, holiday or agency
/// change moved their dates. Returns how many were refreshed.
pub fn refresh(conn: &Connection, state: Option<&str>) -> Result<usize> {
    let mut stmt = conn.prepare(&format!("{SELECT} WHERE (?1 IS NULL OR a.state = ?1)"))?;
    let reqs = stmt.query_map([state], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    let mut cals = Calendars::default();
    for req in &reqs {
        let t = timeline(conn, req, &mut cals, false)?;
        store(conn, req.id, &t)?;
    }
    Ok(reqs.len())
}

/// Recomputes one request's cache (after a reply arrives, say).
pub fn refresh_one(conn: &Connection, code: &str) -> Result<()> {
    let req = find(conn, code)?;
    let t = timeline(conn, &req, &mut Calendars::default(), false)?;
    store(conn, req.id, &t)
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
    if e.days == Some(0) {
        return Err(Error::invalid("--days must be at least 1"));
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
    Ok(())
}

/// Appends an event to a request, if it fits the request's history; otherwise writes nothing
/// and says which events would fit.
pub fn log(conn: &mut Connection, code: &str, e: &NewEvent, today: NaiveDate) -> Result<Logged> {
    check_flags(e, today)?;
    let tx = conn.transaction()?;
    let logged = log_in(&tx, code, e, today)?;
    tx.commit()?;
    Ok(logged)
}

/// `log` inside a caller's transaction (sending a letter logs `sent` with the outbound message).
pub fn log_in(tx: &Connection, code: &str, e: &NewEvent, today: NaiveDate) -> Result<Logged> {
    check_flags(e, today)?;
    let req = find(tx, code)?;
    tx.execute(
        "INSERT INTO events (request_id, kind, on_date, note, days, until, amount_cents, via, reference, recorded_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            req.id,
            e.kind,
            e.on,
            e.note.as_deref().map(str::trim).filter(|s| !s.is_empty()),
            e.days,
            e.until,
            e.amount_cents,
            e.via,
            e.reference.as_deref().map(str::trim).filter(|s| !s.is_empty()),
            today
        ],
    )?;
    let event_id = tx.last_insert_rowid();
    let t = match replay_request(tx, &req, &mut Calendars::default(), false)? {
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
    store(tx, req.id, &t)?;
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
    let tx = conn.transaction()?;
    let row: Option<(i64, EventKind, NaiveDate, Option<NaiveDate>)> = tx
        .query_row("SELECT request_id, kind, on_date, voided_on FROM events WHERE id = ?1", [event_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    let Some((request_id, kind, on, voided)) = row else {
        return Err(Error::NotFound { what: "event", key: event_id.to_string() });
    };
    if let Some(v) = voided {
        return Err(Error::invalid(format!("event {event_id} was voided already on {v}")));
    }
    let req = find_by_id(&tx, request_id)?;
    tx.execute("UPDATE events SET voided_on = ?2, void_reason = ?3 WHERE id = ?1", params![event_id, today, reason])?;
    let mut cals = Calendars::default();
    let t = timeline(&tx, &req, &mut cals, false).map_err(|e| {
        Error::Invalid(format!(
            "cannot void event {event_id} ({kind} on {on}): the events after it would no longer fit ({e}); void those first"
        ))
    })?;
    store(&tx, req.id, &t)?;
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

/// Filters for listing requests.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub campaign: Option<String>,
    pub status: Option<Status>,
    pub state: Option<String>,
    pub overdue: bool,
    /// Due within this many days of today (overdue ones included).
    pub due_within: Option<i64>,
}

/// A request as listed: with lateness on `today`.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    #[serde(flatten)]
    pub request: Request,
    /// Business days late, when overdue.
    pub overdue_days: Option<i64>,
    /// Business days left before the due date, when not yet due.
    pub days_left: Option<i64>,
    pub very_overdue: bool,
}

/// Requests sorted by due date (no due date last), then tracking code.
pub fn list(conn: &Connection, f: &Filter, today: NaiveDate) -> Result<Vec<Listed>> {
    let campaign_id = match &f.campaign {
        Some(slug) => Some(crate::campaign::get(conn, slug)?.id),
        None => None,
    };
    let state = match &f.state {
        Some(s) => Some(crate::law::code(conn, s)?),
        None => None,
    };
    let mut stmt = conn.prepare(&format!(
        "{SELECT} WHERE (?1 IS NULL OR r.campaign_id = ?1) AND (?2 IS NULL OR r.status = ?2)
           AND (?3 IS NULL OR a.state = ?3)
         ORDER BY r.due_on IS NULL, r.due_on, r.tracking_code"
    ))?;
    let reqs = stmt.query_map(params![campaign_id, f.status, state], from_row)?;
    let very = crate::config::number(conn, "policy.very_overdue_days")? as i64;
    let mut cals = Calendars::default();
    let mut out = Vec::new();
    for req in reqs {
        let req = req?;
        let cal = cals.get(conn, &req.state)?;
        let (overdue_days, days_left) = lateness(cal, &req, today);
        if f.overdue && overdue_days.is_none() {
            continue;
        }
        if let Some(n) = f.due_within {
            match req.due_on {
                Some(due) if req.status.can_be_overdue() && (due - today).num_days() <= n => {}
                _ => continue,
            }
        }
        out.push(Listed {
            request: req,
            overdue_days,
            days_left,
            very_overdue: overdue_days.is_some_and(|d| d >= very),
        });
    }
    Ok(out)
}

/// (business days overdue, business days left) on `today`.
pub fn lateness(cal: &Calendar, req: &Request, today: NaiveDate) -> (Option<i64>, Option<i64>) {
    match req.due_on {
        Some(due) if req.status.can_be_overdue() => {
            if today > due {
                (Some(deadline::business_days_between(cal, due, today)), None)
            } else {
                (None, Some(deadline::business_days_between(cal, today, due)))
            }
        }
        _ => (None, None),
    }
}

/// Everything about one request, for `request show`.
#[derive(Debug, Clone, Serialize)]
pub struct Detail {
    pub tracking_code: String,
    pub campaign: String,
    pub agency_key: String,
    pub agency_name: String,
    pub state: String,
    pub status: Status,
    pub sent_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub followup_on: Option<NaiveDate>,
    pub estimated_on: Option<NaiveDate>,
    pub overdue_days: Option<i64>,
    pub days_left: Option<i64>,
    pub clock_stopped: Option<deadline::Stop>,
    pub first_response_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub followups: u32,
    pub fee_cents: Option<i64>,
    pub agency_reference: Option<String>,
    pub period: String,
    pub allowed_events: Vec<EventKind>,
    pub events: Vec<Event>,
    /// Letters sent and replies received, oldest first.
    pub correspondence: Vec<crate::intake::Correspondence>,
    /// The deadline explanation, line by line.
    #[serde(skip)]
    pub explanation: Vec<String>,
}

pub fn detail(conn: &Connection, code: &str, today: NaiveDate) -> Result<Detail> {
    let req = find(conn, code)?;
    let mut cals = Calendars::default();
    let t = timeline(conn, &req, &mut cals, true)?;
    let cal = cals.get(conn, &req.state)?;
    let (overdue_days, days_left) = lateness(cal, &req, today);
    let period = period(conn, &req)?;
    let mut explanation = Vec::new();
    let law = crate::law::get(conn, &req.state)?;
    explanation.push(format!("Law: {} ({})", law.law_name, law.citation));
    if req.agency_day_type.is_some() {
        explanation.push(format!("Period: {} (the agency's own, overriding the state law)", period.describe()));
    } else {
        explanation.push(format!("Period: {}", period.describe()));
    }
    explanation
        .push(format!("Holidays: the {} calendar (federal holidays by rule, with the state's own changes)", req.state));
    if t.sent_on.is_none() {
        explanation.push("Not sent yet: the clock starts on the day the request is sent (day 0).".into());
    }
    explanation.extend(t.steps.iter().cloned());
    if let Some(stop) = &t.stopped {
        explanation.push(format!(
            "The clock is stopped since {} ({}); {} business day(s) will remain when we answer.",
            stop.since, stop.reason, stop.remaining
        ));
    }
    if let Some(est) = t.estimated_on {
        explanation.push(format!("The agency's estimate: {est}."));
    }
    match (t.due_on, overdue_days, days_left) {
        (Some(due), Some(n), _) => explanation
            .push(format!("Today {today}: {n} business day{} overdue (due {due}).", if n == 1 { "" } else { "s" })),
        (Some(due), None, Some(n)) => explanation
            .push(format!("Today {today}: {n} business day{} remain until {due}.", if n == 1 { "" } else { "s" })),
        _ => {}
    }
    if period.day_type == DayType::None
        && req.status.can_be_overdue()
        && let Some(f) = t.followup_on
    {
        let state = if f <= today { "follow-up due" } else { "follow-up from" };
        explanation
            .push(format!("No statutory deadline: never overdue under the statute; {state} {f} (campaign policy)."));
    }
    Ok(Detail {
        tracking_code: req.tracking_code.clone(),
        campaign: req.campaign.clone(),
        agency_key: req.agency_key.clone(),
        agency_name: req.agency_name.clone(),
        state: req.state.clone(),
        status: t.status(),
        sent_on: t.sent_on,
        due_on: t.due_on,
        followup_on: t.followup_on,
        estimated_on: t.estimated_on,
        overdue_days,
        days_left,
        clock_stopped: t.stopped.clone(),
        first_response_on: t.first_response_on,
        closed_on: t.closed_on,
        followups: t.followups,
        fee_cents: t.fee_cents,
        agency_reference: t.agency_reference.clone(),
        period: period.describe(),
        allowed_events: crate::status::allowed_from(t.status()),
        events: events(conn, req.id)?,
        correspondence: crate::intake::correspondence(conn, req.id)?,
        explanation,
    })
}

/// The morning digest: what needs a person today.
#[derive(Debug, Clone, Serialize)]
pub struct Digest {
    pub today: NaiveDate,
    /// Most late first.
    pub overdue: Vec<Listed>,
    /// Due in the next 7 days.
    pub due_soon: Vec<Listed>,
    /// The agency waits on us: a fee or a clarification.
    pub waiting_on_us: Vec<Waiting>,
    /// Past their follow-up date and not already listed as overdue.
    pub followups_due: Vec<Listed>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Waiting {
    pub tracking_code: String,
    pub agency_name: String,
    pub status: Status,
    pub since: Option<NaiveDate>,
    pub reason: String,
    pub fee_cents: Option<i64>,
}

pub fn digest(conn: &Connection, campaign: Option<String>, today: NaiveDate) -> Result<Digest> {
    let all = list(conn, &Filter { campaign, ..Default::default() }, today)?;
    let mut overdue: Vec<Listed> = all.iter().filter(|l| l.overdue_days.is_some()).cloned().collect();
    overdue.sort_by(|a, b| {
        b.overdue_days.cmp(&a.overdue_days).then(a.request.tracking_code.cmp(&b.request.tracking_code))
    });
    let due_soon = all
        .iter()
        .filter(|l| l.overdue_days.is_none() && l.request.due_on.is_some_and(|d| (d - today).num_days() <= 7))
        .filter(|l| l.request.status.can_be_overdue())
        .cloned()
        .collect();
    let followups_due = all
        .iter()
        .filter(|l| l.overdue_days.is_none() && l.request.followup_on.is_some_and(|f| f <= today))
        .cloned()
        .collect();
    let mut waiting_on_us = Vec::new();
    let mut cals = Calendars::default();
    for l in all.iter().filter(|l| l.request.status.is_waiting_on_us()) {
        let t = timeline(conn, &l.request, &mut cals, false)?;
        waiting_on_us.push(Waiting {
            tracking_code: l.request.tracking_code.clone(),
            agency_name: l.request.agency_name.clone(),
            status: l.request.status,
            since: t.stopped.as_ref().map(|s| s.since),
            reason: t.stopped.as_ref().map(|s| s.reason.clone()).unwrap_or_default(),
            fee_cents: if l.request.status == Status::PaymentRequired { t.fee_cents } else { None },
        });
    }
    Ok(Digest { today, overdue, due_soon, waiting_on_us, followups_due })
}
