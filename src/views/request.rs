//! Requests as people read them: lists with lateness, one request in full, and the digest.

use std::collections::HashMap;

use chrono::NaiveDate;
use rusqlite::Connection;
use serde::Serialize;

use crate::Result;
use crate::core::calendar::Calendar;
use crate::core::daytype::DayType;
use crate::core::deadline;
use crate::core::route::{Window, WindowFacts, WindowRule};
use crate::core::status::{EventKind, Status};
use crate::projection::{Calendars, PeriodSource, period_source, timeline};
use crate::store::law::Law;
use crate::store::request::{Event, Request, SELECT, events, find, from_row};

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
        Some(slug) => Some(crate::store::campaign::get(conn, slug)?.id),
        None => None,
    };
    let state = match &f.state {
        Some(s) => Some(crate::store::law::code(conn, s)?),
        None => None,
    };
    // Only the conditions given, so SQLite reads a campaign's requests (or the open ones) by
    // index instead of the whole table; lateness in business days is then checked per request.
    let mut conds: Vec<String> = Vec::new();
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    let mut and = |cond: &str, v: rusqlite::types::Value| {
        args.push(v);
        conds.push(cond.replace('?', &format!("?{}", args.len())));
    };
    if let Some(id) = campaign_id {
        and("r.campaign_id = ?", id.into());
    }
    if let Some(st) = f.status {
        and("r.status = ?", st.as_str().to_string().into());
    }
    if let Some(code) = state {
        and("a.state = ?", code.into());
    }
    if f.overdue {
        and("r.due_on < ?", today.to_string().into());
    }
    if let Some(n) = f.due_within {
        // Within the bounds of dates; a larger window takes every open request.
        if let Some(last) = today.checked_add_signed(chrono::Duration::days(n.clamp(-400_000, 400_000))) {
            and("r.due_on <= ?", last.to_string().into());
        }
    }
    if f.overdue || f.due_within.is_some() {
        let open: Vec<String> =
            Status::ALL.iter().filter(|s| s.can_be_overdue()).map(|s| format!("'{}'", s.as_str())).collect();
        conds.push(format!("r.status IN ({}) AND r.due_on IS NOT NULL", open.join(", ")));
    }
    let mut sql = format!("{SELECT} WHERE 1");
    for c in &conds {
        sql += " AND ";
        sql += c;
    }
    sql += " ORDER BY r.due_on IS NULL, r.due_on, r.tracking_code";
    let mut stmt = conn.prepare(&sql)?;
    let reqs = stmt.query_map(rusqlite::params_from_iter(args), from_row)?;
    let very = crate::store::config::number(conn, "policy.very_overdue_days")? as i64;
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
    /// The last day to file the appeal or petition the law provides, where it gives a number of
    /// days and a denial (or, where the law says so, silence) has started the window.
    pub appeal_window_closes_on: Option<NaiveDate>,
    pub allowed_events: Vec<EventKind>,
    pub events: Vec<Event>,
    /// Letters sent and replies received, oldest first.
    pub correspondence: Vec<crate::store::mail::Correspondence>,
    /// The request's latest letter that bounced and has not been sent again: the agency never
    /// got it (`foiatrack send --resend CODE --to ADDRESS`).
    pub letter_bounced: Option<crate::store::mail::BouncedLetter>,
    /// The numbers records portals gave the request.
    pub portal_numbers: Vec<crate::store::mail::PortalNumber>,
    /// Events the replies suggest, not yet acted on (`views::suggestions::for_request`).
    pub suggestions: Vec<crate::views::suggestions::ReplySuggestion>,
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
    let (period, source) = period_source(conn, &req)?;
    let mut explanation = Vec::new();
    let law = crate::store::law::get(conn, &req.state)?;
    explanation.push(format!("Law: {} ({})", law.law_name, law.letter_citation));
    match &source {
        PeriodSource::Agency => {
            explanation.push(format!("Period: {} (the agency's own, overriding the state law)", period.describe()))
        }
        PeriodSource::NotBound(why) => explanation.push(format!("Period: {} ({why})", period.describe())),
        PeriodSource::Law => explanation.push(format!("Period: {}", period.describe())),
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
    let window = appeal_window(&law, &req, cal, today);
    if let Some((_, w)) = &window {
        explanation.extend(w.steps.iter().cloned());
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
        appeal_window_closes_on: window.map(|(_, w)| w.closes_on),
        allowed_events: crate::core::status::allowed_from(t.status()),
        events: events(conn, req.id)?,
        correspondence: crate::store::mail::correspondence(conn, req.id)?,
        letter_bounced: crate::store::mail::bounced_letter(conn, req.id)?,
        portal_numbers: crate::store::mail::portal_numbers(conn, req.id)?,
        suggestions: crate::views::suggestions::for_request(conn, req.id, t.status())?,
        explanation,
    })
}

/// A request's appeal window on `today`, from its cached status and dates.
pub fn appeal_window(law: &Law, req: &Request, cal: &Calendar, today: NaiveDate) -> Option<(WindowRule, Window)> {
    let rule = law.appeal_route.as_ref()?.window_rule(&req.kind)?;
    let facts = WindowFacts { status: req.status, sent_on: req.sent_on, due_on: req.due_on, closed_on: req.closed_on };
    crate::core::route::window(&rule, facts, cal, today).map(|w| (rule, w))
}

/// An appeal window still open, for the digest.
#[derive(Debug, Clone, Serialize)]
pub struct OpenWindow {
    pub tracking_code: String,
    pub agency_name: String,
    pub state: String,
    pub status: Status,
    /// Whom to file with.
    pub file_with: String,
    pub closes_on: NaiveDate,
    /// Business days left, today not counted.
    pub days_left: i64,
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
    /// Appeal or petition windows still open, closing soonest first.
    pub appeal_windows: Vec<OpenWindow>,
    /// Requests whose latest letter bounced (the agency never got it), newest report first.
    pub letters_bounced: Vec<crate::store::mail::BouncedLetter>,
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
    let campaign_id = campaign.as_deref().map(|c| crate::store::campaign::get(conn, c)).transpose()?.map(|c| c.id);
    let letters_bounced = crate::store::mail::bounced_letters(conn, campaign_id, usize::MAX)?;
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
    let mut laws: HashMap<String, Law> = HashMap::new();
    let mut appeal_windows = Vec::new();
    for l in &all {
        let r = &l.request;
        if !matches!(r.status, Status::Rejected | Status::NoRecords) && l.overdue_days.is_none() {
            continue;
        }
        if !laws.contains_key(&r.state) {
            laws.insert(r.state.clone(), crate::store::law::get(conn, &r.state)?);
        }
        let cal = cals.get(conn, &r.state)?;
        if let Some((rule, w)) = appeal_window(&laws[&r.state], r, cal, today)
            && today <= w.closes_on
        {
            appeal_windows.push(OpenWindow {
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
    appeal_windows.sort_by(|a, b| a.closes_on.cmp(&b.closes_on).then(a.tracking_code.cmp(&b.tracking_code)));
    Ok(Digest { today, overdue, due_soon, waiting_on_us, followups_due, appeal_windows, letters_bounced })
}
