//! Deadlines: business- and calendar-day arithmetic on a jurisdiction's holiday calendar, and
//! the replay of a request's events into its status and dates, with a step-by-step explanation
//! a records officer can check. Pure: no I/O, no clock.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::Serialize;

use crate::core::calendar::Calendar;
use crate::core::dates::MAX_PERIOD_DAYS;
use crate::core::daytype::DayType;
use crate::core::status::{self, EventKind, Refused, Status};

/// A response period: N business or calendar days, or none set by statute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub days: Option<u32>,
    pub day_type: DayType,
}

impl Period {
    pub fn new(days: Option<u32>, day_type: DayType) -> Self {
        match (days, day_type) {
            (Some(d), DayType::Business | DayType::Calendar) => Period { days: Some(d), day_type },
            _ => Period { days: None, day_type: DayType::None },
        }
    }

    pub fn describe(&self) -> String {
        match self.days {
            Some(n) => format!("{n} {} day{}", self.day_type, if n == 1 { "" } else { "s" }),
            None => "no fixed period".into(),
        }
    }
}

fn next_day(d: NaiveDate) -> NaiveDate {
    d.succ_opt().expect("date within chrono's range")
}

/// The date `n` business days after `start` (`start` itself is day 0 and never counts).
/// Periods are validated against `MAX_PERIOD_DAYS` before they are saved; the clamp here only
/// keeps a value saved by an older foiatrack from spinning or overflowing.
pub fn add_business_days(cal: &Calendar, start: NaiveDate, n: u32) -> NaiveDate {
    cal.add_business_days(start, n.min(MAX_PERIOD_DAYS))
}

/// `n` calendar days after `start`, with the same clamp.
fn add_calendar_days(start: NaiveDate, n: u32) -> NaiveDate {
    start.checked_add_days(chrono::Days::new(n.min(MAX_PERIOD_DAYS) as u64)).unwrap_or(start)
}

/// `d` if it is a business day, else the next one.
pub fn roll_forward(cal: &Calendar, d: NaiveDate) -> NaiveDate {
    let mut d = d;
    while !cal.is_business_day(d) {
        d = next_day(d);
    }
    d
}

/// Business days in (`after`, `up_to`]; negative when `up_to` is before `after`.
pub fn business_days_between(cal: &Calendar, after: NaiveDate, up_to: NaiveDate) -> i64 {
    cal.business_days_between(after, up_to)
}

/// The statutory due date for a period starting on `start`; `None` when the law sets no number.
pub fn due_date(cal: &Calendar, start: NaiveDate, period: Period) -> Option<NaiveDate> {
    let n = period.days?;
    Some(match period.day_type {
        DayType::Business => add_business_days(cal, start, n),
        DayType::Calendar => roll_forward(cal, add_calendar_days(start, n)),
        DayType::None => return None,
    })
}

fn day(d: NaiveDate) -> String {
    format!("{} {d}", d.format("%a"))
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The lines that show how a due date was counted, grouping weekends and runs of business days.
pub fn explain_count(cal: &Calendar, start: NaiveDate, period: Period) -> Vec<String> {
    let Some(n) = period.days else {
        return vec!["The law sets no number of days, so there is no statutory due date.".into()];
    };
    let mut lines = Vec::new();
    match period.day_type {
        DayType::Business => {
            let mut d = start;
            let mut counted = 0;
            // A run of days of one sort: (first, last, what).
            let mut run: Option<(NaiveDate, NaiveDate, String)> = None;
            let flush = |run: &mut Option<(NaiveDate, NaiveDate, String)>, lines: &mut Vec<String>| {
                if let Some((a, b, what)) = run.take() {
                    if a == b {
                        lines.push(format!("  {}: {what}", day(a)));
                    } else {
                        lines.push(format!("  {} to {}: {what}", day(a), day(b)));
                    }
                }
            };
            while counted < n {
                d = next_day(d);
                if is_weekend(d) {
                    match &mut run {
                        Some((_, last, what)) if what == "weekend, not counted" => *last = d,
                        _ => {
                            flush(&mut run, &mut lines);
                            run = Some((d, d, "weekend, not counted".into()));
                        }
                    }
                } else if cal.is_holiday(d) {
                    flush(&mut run, &mut lines);
                    let name = cal.holiday_name(d).unwrap_or_else(|| "holiday".into());
                    lines.push(format!("  {}: {name} (holiday), not counted", day(d)));
                } else {
                    counted += 1;
                    match &mut run {
                        Some((_, last, what)) if what.starts_with("business day") => {
                            *last = d;
                            *what = format!("business days {}", what_range(what, counted));
                        }
                        _ => {
                            flush(&mut run, &mut lines);
                            run = Some((d, d, format!("business day {counted}")));
                        }
                    }
                }
            }
            flush(&mut run, &mut lines);
            lines.push(format!("Due: {} ({} business days after {})", day(d), n, start));
        }
        DayType::Calendar => {
            let raw = start + Duration::days(n as i64);
            lines.push(format!("  {start} + {n} calendar days = {}", day(raw)));
            let mut d = raw;
            while !cal.is_business_day(d) {
                if is_weekend(d) {
                    lines.push(format!("  {}: weekend, the due date rolls forward", day(d)));
                } else {
                    let name = cal.holiday_name(d).unwrap_or_else(|| "holiday".into());
                    lines.push(format!("  {}: {name} (holiday), the due date rolls forward", day(d)));
                }
                d = next_day(d);
            }
            lines.push(format!("Due: {}", day(d)));
        }
        DayType::None => unreachable!("period with days has a counting day type"),
    }
    lines
}

/// "business day 4" or "business days 4" -> "4-N".
fn what_range(what: &str, last: u32) -> String {
    let first = what.split_whitespace().nth(2).and_then(|s| s.split('-').next()).unwrap_or("1");
    format!("{first}-{last}")
}

/// One event as the replay needs it (void events are left out by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFact {
    pub id: i64,
    pub kind: EventKind,
    pub on: NaiveDate,
    pub days: Option<u32>,
    pub until: Option<NaiveDate>,
    pub amount_cents: Option<i64>,
    pub reference: Option<String>,
}

/// What the replay needs beyond the events.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    pub period: Period,
    pub calendar: &'a Calendar,
    /// Business days between follow-ups, and before the first where the law sets no period.
    pub followup_every: u32,
}

/// The clock is stopped: the agency waits on us.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stop {
    pub since: NaiveDate,
    pub reason: String,
    /// Business days the agency still had when the clock stopped.
    pub remaining: i64,
    #[serde(skip)]
    pub before: Status,
    /// The due date that was in force when the clock stopped.
    #[serde(skip)]
    pub due_then: Option<NaiveDate>,
}

/// A request's state, derived from its events alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Timeline {
    pub status: Option<Status>,
    pub sent_on: Option<NaiveDate>,
    /// The statutory (or appeal) due date; none while the clock is stopped or where the law
    /// sets no period.
    pub due_on: Option<NaiveDate>,
    /// When to chase the agency if it has not answered.
    pub followup_on: Option<NaiveDate>,
    /// The agency's own estimate of completion.
    pub estimated_on: Option<NaiveDate>,
    pub stopped: Option<Stop>,
    pub first_response_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub followups: u32,
    pub last_followup_on: Option<NaiveDate>,
    pub fee_cents: Option<i64>,
    pub appealed: bool,
    pub agency_reference: Option<String>,
    /// Business days the clock was stopped waiting on us, over the request's life.
    pub stopped_days: i64,
    /// Business days from sending to the agency's first response.
    pub days_to_first_response: Option<i64>,
    /// Business days from sending to completion, less the days the clock was stopped.
    pub days_to_completion: Option<i64>,
    /// The explanation, one line a step (only when asked for).
    #[serde(skip)]
    pub steps: Vec<String>,
}

impl Timeline {
    pub fn status(&self) -> Status {
        self.status.unwrap_or(Status::Draft)
    }

    /// Business days late on `today`, when the request is overdue under its due date.
    pub fn overdue_days(&self, cal: &Calendar, today: NaiveDate) -> Option<i64> {
        let due = self.due_on?;
        if self.status().can_be_overdue() && today > due { Some(business_days_between(cal, due, today)) } else { None }
    }
}

/// An event that does not fit the status the earlier events left the request in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayError {
    pub event_id: i64,
    pub on: NaiveDate,
    pub refused: Refused,
}

impl std::fmt::Display for ReplayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "event {} on {}: {}", self.event_id, self.on, self.refused)
    }
}

/// Replays events (in date order, then in the order logged) into a timeline.
pub fn replay(events: &[EventFact], rules: &Rules<'_>, explain: bool) -> Result<Timeline, ReplayError> {
    let mut events: Vec<&EventFact> = events.iter().collect();
    events.sort_by_key(|e| (e.on, e.id));
    let cal = rules.calendar;
    let mut t = Timeline { status: Some(Status::Draft), ..Default::default() };
    // Where the current period's clock started (sent, appeal, reopen, resume).
    let mut clock_from: Option<NaiveDate> = None;
    // Builds an explanation line only when one was asked for.
    macro_rules! say {
        ($t:ident, $line:expr $(,)?) => {
            if explain {
                let line: String = $line;
                $t.steps.push(line);
            }
        };
    }
    for e in events {
        let before = t.status();
        let after = status::next(before, e.kind, t.stopped.as_ref().map(|s| s.before))
            .map_err(|refused| ReplayError { event_id: e.id, on: e.on, refused })?;
        if e.kind.is_agency_response() && t.first_response_on.is_none() {
            t.first_response_on = Some(e.on);
        }
        if let Some(r) = &e.reference {
            t.agency_reference = Some(r.clone());
        }
        match e.kind {
            EventKind::Sent => {
                t.sent_on = Some(e.on);
                clock_from = Some(e.on);
                say!(t, format!("Sent on {} (day 0). Period: {}.", day(e.on), rules.period.describe()));
                start_period(&mut t, rules, e.on, explain);
            }
            EventKind::Extended => {
                let old = t.due_on;
                match (t.due_on, e.until, e.days) {
                    // An extension moves a statutory due date; under a law with no period it is
                    // only the agency's estimate, never a due date the request can be late on.
                    (Some(_), Some(until), _) => t.due_on = Some(until),
                    (None, Some(until), _) => t.estimated_on = Some(until),
                    (Some(due), None, Some(n)) => {
                        t.due_on = match rules.period.day_type {
                            DayType::Calendar => Some(roll_forward(cal, add_calendar_days(due, n))),
                            _ => Some(add_business_days(cal, due, n)),
                        }
                    }
                    (None, None, Some(n)) => t.estimated_on = Some(add_business_days(cal, e.on, n)),
                    (_, None, None) => {}
                }
                match (old, t.due_on) {
                    (Some(o), Some(n)) if o != n => say!(
                        t,
                        format!(
                            "Extended on {}: due date {} -> {}{}.",
                            day(e.on),
                            o,
                            day(n),
                            e.days.map(|d| format!(" (+{d} {} days)", rules.period.day_type)).unwrap_or_default()
                        ),
                    ),
                    _ => say!(
                        t,
                        format!(
                            "Extended on {}: the law sets no period, so the agency's new date {} is treated as its estimate.",
                            day(e.on),
                            t.estimated_on.or(e.until).map(day).unwrap_or_default()
                        ),
                    ),
                }
                if t.due_on.is_none() && e.until.is_some() {
                    t.estimated_on = e.until;
                }
            }
            EventKind::Estimated => {
                let est = e.until.or_else(|| e.days.map(|n| add_business_days(cal, e.on, n)));
                t.estimated_on = est;
                say!(
                    t,
                    format!(
                        "Agency estimated completion by {} (on {}); the statutory due date is unchanged, follow-ups wait for it.",
                        est.map(day).unwrap_or_else(|| "an unstated date".into()),
                        day(e.on)
                    ),
                );
            }
            EventKind::Fee | EventKind::Clarification => {
                let remaining = t.due_on.map_or(0, |due| business_days_between(cal, e.on, due).max(0));
                let reason = if e.kind == EventKind::Fee {
                    match e.amount_cents {
                        Some(c) => format!("fee of {} requested", crate::core::money::format_cents(c)),
                        None => "fee requested".into(),
                    }
                } else {
                    "clarification requested".into()
                };
                if e.kind == EventKind::Fee {
                    t.fee_cents = Some(t.fee_cents.unwrap_or(0) + e.amount_cents.unwrap_or(0));
                }
                say!(
                    t,
                    match t.due_on {
                        Some(due) => format!(
                            "Clock stopped on {} ({reason}): {remaining} business day{} remained after {} up to the due date {}.",
                            day(e.on),
                            if remaining == 1 { "" } else { "s" },
                            e.on,
                            due
                        ),
                        None => format!("Clock stopped on {} ({reason}).", day(e.on)),
                    },
                );
                t.stopped = Some(Stop { since: e.on, reason, remaining, before, due_then: t.due_on });
                t.due_on = None;
            }
            EventKind::Resumed => {
                if let Some(stop) = t.stopped.take() {
                    clock_from = Some(e.on);
                    t.due_on = match stop.due_then {
                        Some(_) if stop.remaining > 0 => Some(add_business_days(cal, e.on, stop.remaining as u32)),
                        other => other,
                    };
                    let stopped_days = business_days_between(cal, stop.since, e.on);
                    t.stopped_days += stopped_days;
                    say!(
                        t,
                        match t.due_on {
                            Some(due) if stop.remaining > 0 => format!(
                                "Clock resumed on {} after {stopped_days} business day{} stopped: {} + {} business days = due {}.",
                                day(e.on),
                                if stopped_days == 1 { "" } else { "s" },
                                e.on,
                                stop.remaining,
                                day(due)
                            ),
                            Some(due) => format!(
                                "Clock resumed on {}: the agency was already past its due date {} when it stopped, so that date stands.",
                                day(e.on),
                                due
                            ),
                            None => format!("Clock resumed on {}.", day(e.on)),
                        },
                    );
                }
            }
            EventKind::Completed | EventKind::Rejected | EventKind::NoRecords | EventKind::Withdrawn => {
                t.closed_on = Some(e.on);
                t.stopped = None;
                say!(t, format!("Closed on {} ({}).", day(e.on), after));
            }
            EventKind::Appealed => {
                t.appealed = true;
                clock_from = Some(e.on);
                say!(
                    t,
                    format!(
                        "Appealed on {}: the appeal is tracked on the law's own period ({}) from that day.",
                        day(e.on),
                        rules.period.describe()
                    ),
                );
                start_period(&mut t, rules, e.on, explain);
            }
            EventKind::Reopened => {
                t.closed_on = None;
                clock_from = Some(e.on);
                say!(t, format!("Reopened on {}: the period starts again from that day.", day(e.on)));
                start_period(&mut t, rules, e.on, explain);
            }
            EventKind::FollowedUp => {
                t.followups += 1;
                t.last_followup_on = Some(e.on);
                say!(t, format!("Follow-up {} sent on {}.", t.followups, day(e.on)));
            }
            EventKind::Acknowledged => say!(t, format!("Acknowledged on {}.", day(e.on))),
            EventKind::Partial => say!(t, format!("Partial release on {}.", day(e.on))),
            EventKind::Note => {}
        }
        t.status = Some(after);
    }
    t.followup_on = followup_date(&t, rules, clock_from);
    if let Some(sent) = t.sent_on {
        t.days_to_first_response = t.first_response_on.map(|f| business_days_between(cal, sent, f).max(0));
        if t.status() == Status::Completed {
            t.days_to_completion = t.closed_on.map(|c| (business_days_between(cal, sent, c) - t.stopped_days).max(0));
        }
    }
    Ok(t)
}

fn start_period(t: &mut Timeline, rules: &Rules<'_>, from: NaiveDate, explain: bool) {
    t.due_on = due_date(rules.calendar, from, rules.period);
    t.stopped = None;
    t.estimated_on = None;
    if explain {
        t.steps.extend(explain_count(rules.calendar, from, rules.period));
    }
}

/// The day from which a follow-up is due, for a request the agency still owes an answer on.
fn followup_date(t: &Timeline, rules: &Rules<'_>, clock_from: Option<NaiveDate>) -> Option<NaiveDate> {
    if !t.status().can_be_overdue() {
        return None;
    }
    let cal = rules.calendar;
    let mut on = match (t.due_on, clock_from) {
        (Some(due), _) => add_business_days(cal, due, 1),
        (None, Some(from)) => add_business_days(cal, from, rules.followup_every),
        (None, None) => return None,
    };
    if let Some(last) = t.last_followup_on {
        on = on.max(add_business_days(cal, last, rules.followup_every));
    }
    if let Some(est) = t.estimated_on {
        on = on.max(add_business_days(cal, est, 1));
    }
    Some(on)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn business(n: u32) -> Period {
        Period::new(Some(n), DayType::Business)
    }

    fn ev(id: i64, kind: EventKind, on: &str) -> EventFact {
        EventFact { id, kind, on: d(on), days: None, until: None, amount_cents: None, reference: None }
    }

    #[test]
    fn colorado_three_business_days_skips_presidents_day() {
        // Fri 2026-02-13 + 3 business days: Mon 02-16 is Washington's Birthday.
        let cal = Calendar::federal();
        assert_eq!(due_date(&cal, d("2026-02-13"), business(3)), Some(d("2026-02-19")));
        let lines = explain_count(&cal, d("2026-02-13"), business(3)).join("\n");
        assert!(lines.contains("Sat 2026-02-14 to Sun 2026-02-15: weekend, not counted"), "{lines}");
        assert!(lines.contains("Mon 2026-02-16: Washington's Birthday (holiday), not counted"), "{lines}");
        assert!(lines.contains("business days 1-3"), "{lines}");
        assert!(lines.contains("Due: Thu 2026-02-19"), "{lines}");
    }

    #[test]
    fn california_ten_calendar_days_rolls_off_the_weekend() {
        let cal = Calendar::federal();
        let p = Period::new(Some(10), DayType::Calendar);
        assert_eq!(due_date(&cal, d("2026-07-01"), p), Some(d("2026-07-13")));
    }

    #[test]
    fn calendar_days_roll_past_a_holiday() {
        // Sent Mon 2026-08-28 (a Friday in 2026 is 08-28); +10 = Mon 09-07, Labor Day -> Tue 09-08.
        let cal = Calendar::federal();
        let p = Period::new(Some(10), DayType::Calendar);
        assert_eq!(due_date(&cal, d("2026-08-28"), p), Some(d("2026-09-08")));
        let lines = explain_count(&cal, d("2026-08-28"), p).join("\n");
        assert!(lines.contains("Labor Day (holiday), the due date rolls forward"), "{lines}");
    }

    #[test]
    fn business_days_skip_a_midweek_holiday() {
        // Sent Tue 2026-11-10; Veterans Day Wed 11-11 is skipped: 12, 13, 16, 17, 18 -> Wed 11-18.
        let cal = Calendar::federal();
        assert_eq!(due_date(&cal, d("2026-11-10"), business(5)), Some(d("2026-11-18")));
    }

    #[test]
    fn no_period_means_no_due_date_but_a_followup_date() {
        let cal = Calendar::federal();
        let rules = Rules { period: Period::new(None, DayType::None), calendar: &cal, followup_every: 10 };
        let t = replay(&[ev(1, EventKind::Sent, "2026-03-02")], &rules, false).unwrap();
        assert_eq!(t.due_on, None);
        // 10 business days after Mon 03-02 is Mon 03-16.
        assert_eq!(t.followup_on, Some(d("2026-03-16")));
        assert_eq!(t.overdue_days(&cal, d("2026-04-30")), None, "never overdue under the statute");
    }

    #[test]
    fn pennsylvania_fee_stops_and_resume_restarts_the_clock() {
        let cal = Calendar::federal();
        let rules = Rules { period: business(5), calendar: &cal, followup_every: 10 };
        let mut fee = ev(2, EventKind::Fee, "2026-03-04");
        fee.amount_cents = Some(2500);
        let events = vec![ev(1, EventKind::Sent, "2026-03-02"), fee, ev(3, EventKind::Resumed, "2026-03-10")];
        let sent_only = replay(&events[..1], &rules, false).unwrap();
        assert_eq!(sent_only.due_on, Some(d("2026-03-09")));
        let stopped = replay(&events[..2], &rules, false).unwrap();
        assert_eq!(stopped.status(), Status::PaymentRequired);
        assert_eq!(stopped.due_on, None);
        assert_eq!(stopped.stopped.as_ref().unwrap().remaining, 3);
        assert_eq!(stopped.overdue_days(&cal, d("2026-03-20")), None, "stopped days never count");
        let t = replay(&events, &rules, true).unwrap();
        assert_eq!(t.status(), Status::AwaitingResponse);
        assert_eq!(t.due_on, Some(d("2026-03-13")));
        assert_eq!(t.fee_cents, Some(2500));
        // Stopped from Wed 03-04 to Tue 03-10: 4 business days (05, 06, 09, 10).
        assert_eq!(t.stopped_days, 4);
        assert_eq!(t.days_to_first_response, Some(2));
        let text = t.steps.join("\n");
        assert!(text.contains("3 business days remained"), "{text}");
        assert!(text.contains("due Fri 2026-03-13"), "{text}");
    }

    #[test]
    fn extension_adds_days_of_the_law_type_and_until_sets_the_date() {
        let cal = Calendar::federal();
        let rules = Rules { period: business(3), calendar: &cal, followup_every: 10 };
        let mut ext = ev(2, EventKind::Extended, "2026-02-18");
        ext.days = Some(7);
        let t = replay(&[ev(1, EventKind::Sent, "2026-02-13"), ext.clone()], &rules, false).unwrap();
        // Due Thu 02-19 + 7 business days = Mon 03-02.
        assert_eq!(t.due_on, Some(d("2026-03-02")));
        assert_eq!(t.status(), Status::AwaitingResponse);
        ext.days = None;
        ext.until = Some(d("2026-04-01"));
        let t = replay(&[ev(1, EventKind::Sent, "2026-02-13"), ext], &rules, false).unwrap();
        assert_eq!(t.due_on, Some(d("2026-04-01")));
    }

    #[test]
    fn an_extension_under_a_law_without_a_period_is_an_estimate_not_a_due_date() {
        let cal = Calendar::federal();
        let rules = Rules { period: Period::new(None, DayType::None), calendar: &cal, followup_every: 10 };
        let mut ext = ev(2, EventKind::Extended, "2026-02-17");
        ext.until = Some(d("2026-03-02"));
        let t = replay(&[ev(1, EventKind::Sent, "2026-02-13"), ext], &rules, true).unwrap();
        assert_eq!(t.due_on, None, "no statutory due date");
        assert_eq!(t.overdue_days(&cal, d("2026-03-20")), None, "never overdue under the statute");
        assert_eq!(t.followup_on, Some(d("2026-03-03")), "follow up the day after the agency's date");
        assert!(t.steps.iter().any(|s| s.contains("treated as its estimate")), "{:?}", t.steps);
    }

    #[test]
    fn huge_periods_from_old_data_do_not_spin_or_panic() {
        let cal = Calendar::federal();
        let start = d("2026-02-13");
        let far = due_date(&cal, start, Period::new(Some(u32::MAX), DayType::Calendar)).unwrap();
        assert!(far < d("2027-03-01"), "{far}");
        let far = due_date(&cal, start, Period::new(Some(u32::MAX), DayType::Business)).unwrap();
        assert!(far < d("2027-12-31"), "{far}");
    }

    #[test]
    fn estimate_leaves_due_date_but_delays_followup() {
        let cal = Calendar::federal();
        let rules = Rules { period: business(3), calendar: &cal, followup_every: 10 };
        let mut est = ev(2, EventKind::Estimated, "2026-02-17");
        est.until = Some(d("2026-03-31"));
        let t = replay(&[ev(1, EventKind::Sent, "2026-02-13"), est], &rules, false).unwrap();
        assert_eq!(t.due_on, Some(d("2026-02-19")));
        assert_eq!(t.followup_on, Some(d("2026-04-01")));
    }

    #[test]
    fn refused_event_names_the_status() {
        let cal = Calendar::federal();
        let rules = Rules { period: business(3), calendar: &cal, followup_every: 10 };
        let err = replay(&[ev(1, EventKind::Acknowledged, "2026-02-13")], &rules, false).unwrap_err();
        assert_eq!(err.refused.status, Status::Draft);
        assert!(err.to_string().contains("while the request is draft"));
    }

    #[test]
    fn events_replay_in_date_order() {
        let cal = Calendar::federal();
        let rules = Rules { period: business(3), calendar: &cal, followup_every: 10 };
        // Logged out of order: acknowledgement recorded before the (back-dated) sending.
        let t = replay(
            &[ev(2, EventKind::Acknowledged, "2026-02-17"), ev(5, EventKind::Sent, "2026-02-13")],
            &rules,
            false,
        )
        .unwrap();
        assert_eq!(t.status(), Status::AwaitingResponse);
        assert_eq!(t.first_response_on, Some(d("2026-02-17")));
    }

    #[test]
    fn overdue_counts_business_days_after_the_due_date() {
        let cal = Calendar::federal();
        let rules = Rules { period: business(3), calendar: &cal, followup_every: 10 };
        let t = replay(&[ev(1, EventKind::Sent, "2026-02-13")], &rules, false).unwrap();
        assert_eq!(t.overdue_days(&cal, d("2026-02-19")), None);
        assert_eq!(t.overdue_days(&cal, d("2026-02-20")), Some(1));
        assert_eq!(t.overdue_days(&cal, d("2026-02-23")), Some(2));
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        (0i64..365 * 30).prop_map(|n| d("2010-01-01") + Duration::days(n))
    }

    proptest! {
        #[test]
        fn business_due_date_is_a_business_day_after_sending(start in any_date(), n in 1u32..60) {
            let cal = Calendar::federal();
            let due = due_date(&cal, start, business(n)).unwrap();
            prop_assert!(cal.is_business_day(due));
            prop_assert!(due > start);
            prop_assert_eq!(business_days_between(&cal, start, due), n as i64);
            // The fast path agrees with walking day by day.
            let mut walk = start;
            let mut left = n;
            while left > 0 {
                walk = walk.succ_opt().unwrap();
                if cal.is_business_day(walk) { left -= 1; }
            }
            prop_assert_eq!(due, walk);
            // Counting back agrees with walking too.
            let mut walked = 0;
            let mut d = start;
            while d < due {
                d = d.succ_opt().unwrap();
                walked += cal.is_business_day(d) as i64;
            }
            prop_assert_eq!(business_days_between(&cal, start, due), walked);
            prop_assert_eq!(business_days_between(&cal, due, start), -walked);
        }

        #[test]
        fn larger_periods_are_never_earlier(start in any_date(), n in 1u32..60, k in 0u32..30) {
            let cal = Calendar::federal();
            for t in [DayType::Business, DayType::Calendar] {
                let a = due_date(&cal, start, Period::new(Some(n), t)).unwrap();
                let b = due_date(&cal, start, Period::new(Some(n + k), t)).unwrap();
                prop_assert!(b >= a);
            }
        }

        #[test]
        fn calendar_due_date_is_a_business_day(start in any_date(), n in 1u32..60) {
            let cal = Calendar::federal();
            let due = due_date(&cal, start, Period::new(Some(n), DayType::Calendar)).unwrap();
            prop_assert!(cal.is_business_day(due));
            prop_assert!(due >= start + Duration::days(n as i64));
        }
    }
}
