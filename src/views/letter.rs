//! Letters: request, follow-up and appeal letters rendered from askama templates in
//! `templates/`, all from one `LetterContext` built from the request, its agency, the law, the
//! campaign and the requester profile.

use std::ops::Deref;

use askama::Template;
use chrono::NaiveDate;
use rusqlite::Connection;
use serde::Serialize;

use crate::core::daytype::DayType;
use crate::core::deadline;
use crate::core::letter::{Letter, LetterKind, long_date};
use crate::core::route::{ConstructiveDenial, Step, Trigger, WindowFacts};
use crate::core::status::Status;
use crate::projection::Calendars;
use crate::store::request::{self, Request};
use crate::{Error, Result};

/// Everything a letter can say, already formatted for print.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LetterContext {
    /// The kind rendered: for `appeal` asked, whichever next step the law provides.
    pub kind: LetterKind,
    pub date: String,
    pub tracking_code: String,
    pub title: String,
    pub agency_key: String,
    pub agency_name: String,
    pub agency_email: Option<String>,
    pub agency_address: Vec<String>,
    pub agency_reference: Option<String>,
    /// The address block: the agency (with an "Attention:" line where an appeal goes to an
    /// officer within it), or the outside body a petition goes to.
    pub to_lines: Vec<String>,
    /// False when the letter is addressed to an outside body (a petition, DC's Mayor).
    pub to_agency: bool,
    pub salutation: String,
    pub law_name: String,
    /// The law's citation for letters (no research remarks).
    pub law_citation: String,
    /// "3 business days" where the law sets a number that binds this agency; `None` otherwise.
    pub response_period: Option<String>,
    pub records: String,
    pub records_period: Option<String>,
    pub fee_waiver: Option<String>,
    pub fee_limit: Option<String>,
    pub signature: Vec<String>,
    /// Lines after the signature: enclosures, copies.
    pub after_signature: Vec<String>,
    pub sent_on: String,
    pub due_on: Option<String>,
    pub business_days_since_sent: i64,
    pub followup_number: u32,
    pub ordinal: String,
    pub ordinal_title: String,
    pub appeal_ground: String,
    pub appeal_facts: String,
    /// What the law says silence means, where the data says so: "Under 65 P.S. § 67.901, ...".
    pub silence_rule: Option<String>,
    /// The body a petition or appeal goes to.
    pub appeal_body: Option<String>,
    /// The sentence that says under what and to whom an appeal or petition is made.
    pub route_sentence: String,
    /// "This petition is filed within the 15 business days that ... allows, which end on ...".
    pub window_sentence: Option<String>,
    /// Notice of intent: the court filing, the notice required and the first day to file.
    pub court_remedy: Option<String>,
    pub notice_citation: Option<String>,
    pub notice_period: Option<String>,
    pub notice_until: Option<String>,
    /// Final demand: what the law provides once the agency will not release the records.
    pub remedy_sentence: String,
    /// The email subject, with the tracking code so replies can be matched.
    pub subject: String,
    /// Why this letter (one line for stderr), and warnings about what it says.
    pub notes: Vec<String>,
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
letter_template!(PetitionLetter, "petition.txt");
letter_template!(NoticeLetter, "notice_of_intent.txt");
letter_template!(FinalDemandLetter, "final_demand.txt");

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

/// The next step a request can take under its law, for an agency of its kind: the step asked
/// for with `kind` (`appeal` means "the next step, whichever it is"), checked against the law.
pub fn next_step(conn: &Connection, req: &Request, asked: LetterKind) -> Result<Step> {
    let law = crate::store::law::get(conn, &req.state)?;
    let step = law.route()?.next_step(&req.kind);
    if asked != LetterKind::Appeal && asked != step.kind {
        return Err(Error::invalid(format!(
            "{} ({}): the {} provides {} here, not {}; use --kind {} (or --kind appeal for the next step)",
            req.tracking_code,
            req.state,
            law.law_name,
            step.kind.describe(),
            asked.describe(),
            step.kind
        )));
    }
    Ok(step)
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
    let step = if kind.is_next_step() { Some(next_step(conn, req, kind)?) } else { None };
    let kind = step.as_ref().map_or(kind, |s| s.kind);
    let sent = timeline.sent_on.unwrap_or(today);
    let mut notes = Vec::new();

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

    let agency_address: Vec<String> = agency
        .mailing_address
        .as_deref()
        .unwrap_or("")
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    let agency_salutation = match agency.contact_name.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(name) => format!("Dear {name}"),
        None => "Dear Records Custodian".into(),
    };
    let body = step.as_ref().and_then(|s| s.body.clone());
    let mut to_lines = match &body {
        Some(b) => vec![b.clone()],
        None => std::iter::once(agency.name.clone()).chain(agency_address.iter().cloned()).collect(),
    };
    if let Some(a) = step.as_ref().and_then(|s| s.attention.as_ref()) {
        to_lines.push(format!("Attention: {a}"));
    }
    let salutation = match (&body, step.as_ref().and_then(|s| s.attention.as_ref())) {
        (Some(b), _) => format!("To the {b}"),
        (None, Some(a)) => format!("To the {a}"),
        (None, None) => agency_salutation,
    };
    // Facts about the agency read "your office" in a letter to it, its name in one about it.
    let who = if body.is_some() { agency.name.clone() } else { "your office".into() };

    let route = law.appeal_route.as_ref();
    let window = match (route.and_then(|r| r.window_rule(&req.kind)), step.as_ref()) {
        (Some(rule), Some(_)) => crate::core::route::window(
            &rule,
            WindowFacts { status: req.status, sent_on: req.sent_on, due_on: req.due_on, closed_on: req.closed_on },
            cal,
            today,
        )
        .map(|w| (rule, w)),
        _ => None,
    };
    let silent = req.status.can_be_overdue() && req.status != Status::Appealing;
    let past_due = match (period.days, timeline.due_on) {
        (Some(_), Some(due)) => today > due,
        (None, _) => true,
        _ => false,
    };
    let silence_rule = match route {
        Some(r) if silent && past_due && step.is_some() => {
            match (r.constructive_denial, &r.constructive_denial_citation) {
                (ConstructiveDenial::Yes, Some(c)) => {
                    Some(format!("Under {c}, a request not answered within the time the law allows is deemed denied."))
                }
                (ConstructiveDenial::DeemedApproved, Some(c)) if period.days.is_some() => Some(format!(
                    "Under {c}, a request not answered in writing within the time the law allows must be considered approved."
                )),
                _ => None,
            }
        }
        _ => None,
    };

    let followup_number = timeline.followups + 1;
    let (appeal_ground, appeal_facts) = appeal_text(req, &timeline, period, sent, &who);
    let cite = step.as_ref().and_then(|s| s.citation.clone());
    let what = match kind {
        LetterKind::Petition => "petition",
        _ => "appeal",
    };
    let route_sentence = match (step.as_ref(), &body) {
        (Some(s), None) if s.attention.is_some() => {
            let officer = s.attention.clone().unwrap_or_default();
            match &cite {
                Some(c) => format!(
                    "I make this appeal under {c}. Please direct it to the {officer} if it has not reached them, and tell me when I can expect a decision."
                ),
                None => format!(
                    "Please direct this appeal to the {officer} if it has not reached them, and tell me when I can expect a decision."
                ),
            }
        }
        (Some(_), Some(b)) => {
            let under = cite.as_ref().map(|c| format!(" under {c}")).unwrap_or_default();
            format!("I make this {what} to the {b}{under}, and ask to be told when I can expect a decision.")
        }
        _ => String::new(),
    };
    let window_sentence = match &window {
        Some((rule, w)) if today <= w.closes_on => Some(format!(
            "This {what} is made within the {}{} allows from the {}, which end on {}.",
            rule.deadline.describe(),
            rule.citation.as_ref().map(|c| format!(" that {c}")).unwrap_or_else(|| " the law".into()),
            match w.trigger {
                Trigger::Denial => "denial",
                Trigger::DeemedDenial => "deemed denial",
                Trigger::Request => "request",
            },
            long_date(w.closes_on)
        )),
        _ => None,
    };
    if let Some((rule, w)) = &window
        && today > w.closes_on
    {
        notes.push(format!(
            "warning: {} ({}): the {} to file with the {} closed on {}",
            req.tracking_code,
            req.state,
            rule.deadline.describe(),
            rule.body,
            w.closes_on
        ));
    }
    let notice = route.and_then(|r| r.pre_suit_notice);
    let notice_until = notice.map(|n| match n.day_type {
        DayType::Business => deadline::add_business_days(cal, today, n.days),
        _ => today.checked_add_days(chrono::Days::new(n.days as u64)).unwrap_or(today),
    });
    let court_remedy = route.and_then(|r| r.court_remedy.clone());
    let remedy_sentence = match (step.as_ref(), route) {
        (Some(s), Some(r)) if s.kind == LetterKind::FinalDemand && s.covered => {
            let cit = r.appeal_citation.as_ref().map(|c| format!(" ({c})")).unwrap_or_default();
            match &court_remedy {
                Some(c) => format!("The {} provides no administrative appeal; what remains is {c}{cit}.", law.law_name),
                None => format!("The {} provides no administrative appeal.", law.law_name),
            }
        }
        (Some(s), _) if s.kind == LetterKind::FinalDemand => match &court_remedy {
            Some(c) => format!("If the records are not released, I will consider {c}."),
            None => "If the records are not released, I will consider going to court.".into(),
        },
        _ => String::new(),
    };

    let mut after_signature = Vec::new();
    if kind == LetterKind::Petition || body.is_some() {
        let mut enc = format!("the request of {}", long_date(sent));
        if let Some(c) = timeline.closed_on.filter(|_| matches!(req.status, Status::Rejected | Status::NoRecords)) {
            enc += &format!(", and the response of {}", long_date(c));
        }
        after_signature.push(String::new());
        after_signature.push(format!("Enclosed: {enc}."));
        after_signature.push(format!(
            "cc: {}{}",
            agency.name,
            agency.email.as_ref().map(|e| format!(" ({e})")).unwrap_or_default()
        ));
    }

    if let (Some(s), Some(r)) = (step.as_ref(), route) {
        let closes = window
            .as_ref()
            .filter(|(_, w)| today <= w.closes_on)
            .map(|(_, w)| format!("; the window to file closes on {}", w.closes_on))
            .unwrap_or_default();
        let why = match s.kind {
            LetterKind::Appeal => format!(
                "an administrative appeal to the {}{}{closes}",
                s.attention.clone().or(s.body.clone()).unwrap_or_default(),
                s.citation.as_ref().map(|c| format!(" ({c})")).unwrap_or_default()
            ),
            LetterKind::Petition => format!(
                "the next step is a petition to the {}{}, not an appeal to the agency: addressed to that body, the agency copied{closes}",
                s.body.clone().unwrap_or_default(),
                s.citation.as_ref().map(|c| format!(" ({c})")).unwrap_or_default()
            ),
            LetterKind::NoticeOfIntent => format!(
                "the {} provides no administrative appeal; {} requires written notice of intent at least {} before suing, so this is that notice",
                law.law_name,
                s.citation.clone().unwrap_or_else(|| "the law".into()),
                notice.map(|n| n.describe()).unwrap_or_default()
            ),
            _ if !s.covered => format!(
                "the {} appeal route ({}) covers {}; this agency is a {}, so this is a final demand letter, not an appeal",
                law.code,
                r.appeal_citation.clone().unwrap_or_else(|| "the law".into()),
                r.appeal_binds.describe(),
                req.kind.replace('_', " ")
            ),
            _ => format!(
                "the {} provides no administrative appeal{}, so there is no appeal letter: this is a final demand letter",
                law.law_name,
                court_remedy.as_ref().map(|c| format!(" (only {c} remains)")).unwrap_or_default()
            ),
        };
        notes.insert(0, format!("{} ({}): {why} (kind {}).", req.tracking_code, req.state, s.kind));
    }
    if kind == LetterKind::Request
        && req.state != "US"
        && campaign.fee_waiver.as_deref().is_some_and(crate::core::route::cites_federal_law)
    {
        notes.push(format!(
            "warning: {} ({}): the campaign's fee-waiver text cites federal law (5 U.S.C.) in a letter under the {}",
            req.tracking_code, req.state, law.law_name
        ));
    }

    let prefix = crate::core::letter::subject_prefix(kind);
    let subject = match kind {
        LetterKind::Request => format!("{prefix} {}: {}", req.tracking_code, campaign.title),
        LetterKind::Followup => {
            format!("Follow-up {followup_number} on public records request {}: {}", req.tracking_code, campaign.title)
        }
        _ => format!("{prefix} {}: {}", req.tracking_code, campaign.title),
    };
    Ok(LetterContext {
        kind,
        date: long_date(today),
        tracking_code: req.tracking_code.clone(),
        title: campaign.title.clone(),
        agency_key: agency.key.clone(),
        agency_name: agency.name.clone(),
        agency_email: agency.email.clone(),
        agency_address,
        agency_reference: timeline.agency_reference.clone(),
        to_lines,
        to_agency: body.is_none(),
        salutation,
        law_name: law.law_name.clone(),
        law_citation: law.letter_citation.clone(),
        response_period: period.days.map(|_| period.describe()),
        records: campaign.records.clone(),
        records_period,
        fee_waiver: campaign.fee_waiver.clone(),
        fee_limit: campaign.fee_limit_cents.map(crate::core::money::format_cents),
        signature,
        after_signature,
        sent_on: long_date(sent),
        due_on: timeline.due_on.filter(|_| period.days.is_some()).map(long_date),
        business_days_since_sent: deadline::business_days_between(cal, sent, today).max(0),
        followup_number,
        ordinal: ordinal(followup_number).into(),
        ordinal_title: capitalize(ordinal(followup_number)),
        appeal_ground,
        appeal_facts,
        silence_rule,
        appeal_body: body.or_else(|| step.as_ref().and_then(|s| s.attention.clone())),
        route_sentence,
        window_sentence,
        court_remedy,
        notice_citation: step
            .as_ref()
            .filter(|s| s.kind == LetterKind::NoticeOfIntent)
            .and_then(|s| s.citation.clone()),
        notice_period: notice.map(|n| n.describe()),
        notice_until: notice_until.map(long_date),
        remedy_sentence,
        subject,
        notes,
    })
}

/// What an appeal appeals, and the facts it rests on. Claims about a due date are made only
/// where the law sets a number of days that binds the agency; nothing here says what silence
/// means in law (that sentence comes from the law's data).
fn appeal_text(
    req: &Request,
    t: &deadline::Timeline,
    period: deadline::Period,
    sent: NaiveDate,
    who: &str,
) -> (String, String) {
    let closed = t.closed_on.map(long_date).unwrap_or_default();
    let who_cap = capitalize(who);
    match req.status {
        Status::Rejected => ("the denial of my request".into(), format!("On {closed}, {who} denied the request.")),
        Status::NoRecords => (
            "the no-records response to my request".into(),
            format!(
                "On {closed}, {who} responded that it holds no records responsive to the request. I ask for a further search, and for a description of the search made."
            ),
        ),
        Status::Partial | Status::Completed => (
            "the withholding of records in the response to my request".into(),
            format!("{who_cap} released some records but withheld others or parts of others."),
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
                    "The request was sent on {}.{due}{chased} I have not received the records or a decision.",
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
        LetterKind::Petition => PetitionLetter(ctx).render(),
        LetterKind::NoticeOfIntent => NoticeLetter(ctx).render(),
        LetterKind::FinalDemand => FinalDemandLetter(ctx).render(),
    }
    .map_err(|e| Error::Internal(format!("cannot render the {} letter: {e}", ctx.kind)))?;
    Ok(Letter {
        kind: ctx.kind,
        tracking_code: ctx.tracking_code.clone(),
        agency_key: ctx.agency_key.clone(),
        // A petition goes to an outside body whose address foiatrack does not know: it is
        // written out for filing, never emailed to the agency as if it were the body.
        to: if ctx.to_agency { ctx.agency_email.clone() } else { None },
        subject: ctx.subject.clone(),
        body,
        notes: ctx.notes.clone(),
    })
}

/// Builds and renders in one step.
pub fn letter(conn: &Connection, code: &str, kind: LetterKind, today: NaiveDate) -> Result<Letter> {
    let req = request::find(conn, code)?;
    render(&context(conn, &req, kind, today)?)
}
