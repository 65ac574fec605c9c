//! Letters: request, follow-up and appeal letters rendered from askama templates in
//! `templates/`, all from one `LetterContext` built from the request, its agency, the law, the
//! campaign and the requester profile.

use std::ops::Deref;

use askama::Template;
use chrono::NaiveDate;
use rusqlite::Connection;
use serde::Serialize;

use crate::core::deadline;
use crate::core::letter::{Letter, LetterKind, long_date};
use crate::core::status::Status;
use crate::projection::Calendars;
use crate::store::request::{self, Request};
use crate::{Error, Result};

/// Everything a letter can say, already formatted for print.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LetterContext {
    pub kind: LetterKind,
    pub date: String,
    pub tracking_code: String,
    pub title: String,
    pub agency_key: String,
    pub agency_name: String,
    pub agency_email: Option<String>,
    pub agency_address: Vec<String>,
    pub agency_reference: Option<String>,
    pub salutation: String,
    pub law_name: String,
    pub law_citation: String,
    /// "3 business days" where the law sets a number; `None` where it sets none.
    pub response_period: Option<String>,
    pub records: String,
    pub records_period: Option<String>,
    pub fee_waiver: Option<String>,
    pub fee_limit: Option<String>,
    pub signature: Vec<String>,
    pub sent_on: String,
    pub due_on: Option<String>,
    pub business_days_since_sent: i64,
    pub followup_number: u32,
    pub ordinal: String,
    pub ordinal_title: String,
    pub appeal_ground: String,
    pub appeal_facts: String,
    /// The email subject, with the tracking code so replies can be matched.
    pub subject: String,
}

macro_rules! letter_template {
    ($name:ident, $path:literal) => {
        #[derive(Template)]
        #[template(path = $path)]
        struct $name<'a>(&'a LetterContext);

        impl Deref for $name<'_> {
            type Target = LetterContext;
            fn deref(&self) -> &LetterContext {
                self.0
            }
        }
    };
}

letter_template!(RequestLetter, "request.txt");
letter_template!(FollowupLetter, "followup.txt");
letter_template!(AppealLetter, "appeal.txt");

fn ordinal(n: u32) -> &'static str {
    match n {
        1 => "first",
        2 => "second",
        3 => "third",
        4 => "fourth",
        5 => "fifth",
        6 => "sixth",
        7 => "seventh",
        8 => "eighth",
        9 => "ninth",
        _ => "further",
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Builds the context for one kind of letter on one request, as of `today`.
pub fn context(conn: &Connection, req: &Request, kind: LetterKind, today: NaiveDate) -> Result<LetterContext> {
    let agency = crate::store::agency::get(conn, &req.agency_key)?;
    let law = crate::store::law::get(conn, &req.state)?;
    let campaign = crate::store::campaign::get(conn, &req.campaign)?;
    let requester = crate::store::config::requester(conn)?;
    let period = crate::projection::period(conn, req)?;
    let mut cals = Calendars::default();
    let timeline = crate::projection::timeline(conn, req, &mut cals, false)?;
    let cal = cals.get(conn, &req.state)?;

    if kind != LetterKind::Request && timeline.sent_on.is_none() {
        return Err(Error::invalid(format!(
            "{} has not been sent yet: a {kind} letter refers to the request sent",
            req.tracking_code
        )));
    }
    let sent = timeline.sent_on.unwrap_or(today);

    let records_period = match (campaign.period_start, campaign.period_end) {
        (Some(a), Some(b)) => Some(format!("{} through {}", long_date(a), long_date(b))),
        (Some(a), None) => Some(format!("{} onward", long_date(a))),
        (None, Some(b)) => Some(format!("the beginning of the records up to {}", long_date(b))),
        (None, None) => None,
    };

    let mut signature = vec![
        requester
            .name
            .clone()
            .unwrap_or_else(|| "[requester name: set it with `foiatrack config set requester.name`]".into()),
    ];
    signature.extend(requester.organization.clone());
    if let Some(a) = &requester.address {
        signature.extend(a.lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()));
    }
    signature.extend(requester.email.clone());
    signature.extend(requester.phone.clone());

    let salutation = match agency.contact_name.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(name) => format!("Dear {name}"),
        None => "Dear Records Custodian".into(),
    };

    let followup_number = timeline.followups + 1;
    let (appeal_ground, appeal_facts) = appeal_text(req, &timeline, period, sent);
    let subject = match kind {
        LetterKind::Request => format!("Public records request {}: {}", req.tracking_code, campaign.title),
        LetterKind::Followup => {
            format!("Follow-up {followup_number} on public records request {}: {}", req.tracking_code, campaign.title)
        }
        LetterKind::Appeal => format!("Appeal of public records request {}: {}", req.tracking_code, campaign.title),
    };
    Ok(LetterContext {
        kind,
        date: long_date(today),
        tracking_code: req.tracking_code.clone(),
        title: campaign.title.clone(),
        agency_key: agency.key.clone(),
        agency_name: agency.name.clone(),
        agency_email: agency.email.clone(),
        agency_address: agency
            .mailing_address
            .as_deref()
            .unwrap_or("")
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect(),
        agency_reference: timeline.agency_reference.clone(),
        salutation,
        law_name: law.law_name.clone(),
        law_citation: law.citation.clone(),
        response_period: period.days.map(|_| period.describe()),
        records: campaign.records.clone(),
        records_period,
        fee_waiver: campaign.fee_waiver.clone(),
        fee_limit: campaign.fee_limit_cents.map(crate::core::money::format_cents),
        signature,
        sent_on: long_date(sent),
        due_on: timeline.due_on.filter(|_| period.days.is_some()).map(long_date),
        business_days_since_sent: deadline::business_days_between(cal, sent, today).max(0),
        followup_number,
        ordinal: ordinal(followup_number).into(),
        ordinal_title: capitalize(ordinal(followup_number)),
        appeal_ground,
        appeal_facts,
        subject,
    })
}

/// What an appeal appeals, and the facts it rests on. Claims about a due date are made only
/// where the law sets a number of days.
fn appeal_text(req: &Request, t: &deadline::Timeline, period: deadline::Period, sent: NaiveDate) -> (String, String) {
    let closed = t.closed_on.map(long_date).unwrap_or_default();
    match req.status {
        Status::Rejected => {
            ("the denial of my request".into(), format!("On {closed}, your office denied the request."))
        }
        Status::NoRecords => (
            "the no-records response to my request".into(),
            format!(
                "On {closed}, your office responded that it holds no records responsive to the request. I ask for a further search, and for a description of the search made."
            ),
        ),
        Status::Partial | Status::Completed => (
            "the withholding of records in the response to my request".into(),
            "Your office released some records but withheld others or parts of others.".into(),
        ),
        _ => {
            let due = match (t.due_on, period.days) {
                (Some(due), Some(_)) => format!(" A response was due by {}.", long_date(due)),
                _ => String::new(),
            };
            let chased = match t.followups {
                0 => String::new(),
                1 => " I followed up once.".into(),
                n => format!(" I followed up {n} times."),
            };
            (
                "the failure to respond to my request".into(),
                format!(
                    "The request was sent on {}.{due}{chased} I have not received the records or a decision, and I ask that this appeal be treated as an appeal of a denial.",
                    long_date(sent)
                ),
            )
        }
    }
}

/// Renders a letter from its context.
pub fn render(ctx: &LetterContext) -> Result<Letter> {
    let body = match ctx.kind {
        LetterKind::Request => RequestLetter(ctx).render(),
        LetterKind::Followup => FollowupLetter(ctx).render(),
        LetterKind::Appeal => AppealLetter(ctx).render(),
    }
    .map_err(|e| Error::Internal(format!("cannot render the {} letter: {e}", ctx.kind)))?;
    Ok(Letter {
        kind: ctx.kind,
        tracking_code: ctx.tracking_code.clone(),
        agency_key: ctx.agency_key.clone(),
        to: ctx.agency_email.clone(),
        subject: ctx.subject.clone(),
        body,
    })
}

/// Builds and renders in one step.
pub fn letter(conn: &Connection, code: &str, kind: LetterKind, today: NaiveDate) -> Result<Letter> {
    let req = request::find(conn, code)?;
    render(&context(conn, &req, kind, today)?)
}
