//! Needs action: what staff look at first. Unmatched replies, letters that failed or bounced, requests
//! overdue or due within three business days, follow-ups due, requests waiting on us, each line
//! linking to its request.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::NaiveDate;

use crate::core::money::format_cents;
use crate::store::{mail, outbox};
use crate::views::render::printable_line;
use crate::views::request::{Digest, Listed};
use crate::web::auth::Signed;
use crate::web::page::{Chrome, PageResult, read_db, render};
use crate::web::state::AppState;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/", get(home))
}

/// How many lines each section shows before linking to the full list.
const LIMIT: usize = 50;

/// A request line on the home page.
pub struct Line {
    pub code: String,
    pub agency: String,
    pub state: String,
    pub status: String,
    pub due_on: String,
    pub detail: String,
}

impl Line {
    fn of(l: &Listed, detail: String) -> Self {
        let r = &l.request;
        Line {
            code: r.tracking_code.clone(),
            agency: r.agency_name.clone(),
            state: r.state.clone(),
            status: r.status.to_string(),
            due_on: r.due_on.map(|d| d.to_string()).unwrap_or_default(),
            detail,
        }
    }
}

#[derive(Template)]
#[template(path = "web/home.html")]
struct Home {
    chrome: Chrome,
    unmatched: Vec<mail::Unmatched>,
    /// The most likely request of each listed message, by message id, when no other is as likely:
    /// one click assigns it (the replies page lists every likely request).
    likely: std::collections::HashMap<i64, crate::views::suggestions::Likely>,
    /// All the messages waiting, of which `unmatched` are the first.
    unmatched_total: i64,
    failed: Vec<outbox::OutboxRow>,
    bounced: Vec<BouncedLine>,
    sections: Vec<Section>,
    nothing_listed: bool,
    more: usize,
}

/// A letter that bounced: the agency never got it.
pub struct BouncedLine {
    pub code: String,
    pub agency: String,
    pub letter: String,
    pub to: String,
    pub on: String,
    pub why: String,
}

impl BouncedLine {
    fn of(b: &mail::BouncedLetter) -> Self {
        let line = |s: &str| printable_line(s).into_owned();
        let status = b.status.as_deref().map(|s| format!(" ({})", line(s))).unwrap_or_default();
        let via = b.failed_recipient.as_deref().map(|f| format!(", via {}", line(f))).unwrap_or_default();
        BouncedLine {
            code: b.tracking_code.clone(),
            agency: line(&b.agency_name),
            letter: b.letter.to_string(),
            to: line(&b.to),
            on: b.on.to_string(),
            why: format!("not delivered{status}{via}"),
        }
    }
}

/// One list of requests on the page.
pub struct Section {
    pub id: &'static str,
    pub title: &'static str,
    pub lines: Vec<Line>,
}

fn lines(list: &[Listed], detail: impl Fn(&Listed) -> String) -> Vec<Line> {
    list.iter().take(LIMIT).map(|l| Line::of(l, detail(l))).collect()
}

fn business_days_left(l: &Listed) -> String {
    match l.days_left {
        Some(0) => "due today".into(),
        Some(1) => "1 business day left".into(),
        Some(n) => format!("{n} business days left"),
        None => String::new(),
    }
}

async fn home(State(state): State<Arc<AppState>>, Signed(s): Signed) -> PageResult {
    let today = state.today();
    let (d, (unmatched, unmatched_total), likely, failed): (Digest, _, _, _) = read_db(&state, &s, move |conn| {
        // Bounded: each list is the first LIMIT + 1 an index yields, whatever the database holds.
        let d = crate::views::needs_action::digest(conn, today, LIMIT + 1)?;
        let unmatched = (mail::unmatched_first(conn, LIMIT as i64)?, mail::unmatched_count(conn)?);
        let ids: Vec<i64> = unmatched.0.iter().map(|m| m.id).collect();
        let likely =
            if ids.is_empty() { Default::default() } else { crate::views::suggestions::first_choices(conn, &ids)? };
        let failed: Vec<outbox::OutboxRow> = crate::views::needs_action::failed_letters(conn, LIMIT)?;
        Ok((d, unmatched, likely, failed))
    })
    .await?;
    let due_soon: Vec<Listed> = d.due_soon.iter().filter(|l| l.days_left.is_some_and(|n| n <= 3)).cloned().collect();
    let more = [d.overdue.len(), due_soon.len(), d.followups_due.len()].iter().filter(|n| **n > LIMIT).count();
    let waiting = d
        .waiting_on_us
        .iter()
        .take(LIMIT)
        .map(|w| Line {
            code: w.tracking_code.clone(),
            agency: w.agency_name.clone(),
            state: String::new(),
            status: w.status.to_string(),
            due_on: String::new(),
            detail: waiting_detail(w.since, today, &w.reason, w.fee_cents),
        })
        .collect();
    let page = Home {
        chrome: Chrome::new(&s, "home", &state),
        unmatched,
        likely,
        unmatched_total,
        failed,
        bounced: d.letters_bounced.iter().take(LIMIT).map(BouncedLine::of).collect(),
        sections: vec![
            Section {
                id: "overdue",
                title: "Overdue",
                lines: lines(&d.overdue, |l| format!("{} business days overdue", l.overdue_days.unwrap_or(0))),
            },
            Section {
                id: "due-soon",
                title: "Due within 3 business days",
                lines: lines(&due_soon, business_days_left),
            },
            Section {
                id: "followups",
                title: "Follow-ups due",
                lines: lines(&d.followups_due, |l| {
                    format!("follow up since {}", l.request.followup_on.map(|f| f.to_string()).unwrap_or_default())
                }),
            },
            Section { id: "waiting", title: "Waiting on us", lines: waiting },
            Section {
                id: "appeal-windows",
                title: "Appeal windows closing",
                lines: d
                    .appeal_windows
                    .iter()
                    .take(LIMIT)
                    .map(|w| Line {
                        code: w.tracking_code.clone(),
                        agency: w.agency_name.clone(),
                        state: w.state.clone(),
                        status: w.status.to_string(),
                        due_on: w.closes_on.to_string(),
                        detail: format!(
                            "file with {} by {} ({} business days left)",
                            w.file_with, w.closes_on, w.days_left
                        ),
                    })
                    .collect(),
            },
        ],
        nothing_listed: false,
        more,
    };
    let nothing_listed = page.sections.iter().all(|s| s.lines.is_empty());
    render(&Home { nothing_listed, ..page })
}

fn waiting_detail(since: Option<NaiveDate>, today: NaiveDate, reason: &str, fee: Option<i64>) -> String {
    let days = since.map(|s| (today - s).num_days()).unwrap_or(0);
    let fee = fee.map(|c| format!(" ({})", format_cents(c))).unwrap_or_default();
    format!("clock stopped {days} days: {reason}{fee}")
}
