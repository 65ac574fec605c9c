//! One request: its timeline with who did what, the correspondence as a thread (attachments
//! downloadable), the deadline explained step by step, and what staff do with it: log or void an
//! event, preview, send or download a letter, import the spending file an agency sent (a dry run
//! first, then confirm or cancel), record a reported total.
//!
//! Every change goes through `ops` (the same functions the CLI calls); a refusal (an event that no
//! longer fits because a colleague logged one first) is shown on the page with its reason.

use std::path::PathBuf;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde::Deserialize;

use super::replies::upload::{self, Meta};
use crate::core::dates::parse_ymd;
use crate::core::letter::{Letter, LetterKind, file_name};
use crate::core::money::{format_cents, parse_cents};
use crate::core::status::EventKind;
use crate::ops::data::{ImportOptions, ImportSummary};
use crate::store::files::FileStore;
use crate::store::request::{NewEvent, Via};
use crate::views::render::{printable, printable_line};
use crate::views::request::Detail;
use crate::views::thread::{self, AttachmentRef, Message};
use crate::web::auth::{Posted, Signed};
use crate::web::page::{Chrome, PageError, PageResult, render, see_other, with_db};
use crate::web::state::{AppState, Role, Session};
use crate::{Error, Result};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/requests/{code}", get(show))
        .route("/requests/{code}/events", post(log_event))
        .route("/requests/{code}/events/{id}/void", post(void_event))
        .route("/requests/{code}/letter", get(letter_preview))
        .route("/requests/{code}/letter.txt", get(letter_txt))
        .route("/requests/{code}/letter.eml", get(letter_eml))
        .route("/requests/{code}/letter/send", post(letter_send))
        .route("/requests/{code}/resend", post(resend))
        .route("/requests/{code}/data/upload", post(data_upload))
        .route("/requests/{code}/data/preview", get(data_preview))
        .route("/requests/{code}/data/confirm", post(data_confirm))
        .route("/requests/{code}/data/cancel", post(data_cancel))
        .route("/requests/{code}/total", post(record_total))
        .route("/requests/{code}/replies/{id}/apply", post(apply_suggestion))
        .route("/requests/{code}/replies/{id}/dismiss", post(dismiss_suggestion))
        .route("/attachments/{id}", get(download_attachment))
}

/// Text from outside on one line: HTML-escaped by the template, control characters shown.
fn line(s: &str) -> String {
    printable_line(s).into_owned()
}

fn opt_line(s: &Option<String>) -> String {
    s.as_deref().map(line).unwrap_or_default()
}

fn date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// A size for people.
pub fn size(bytes: i64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} bytes"),
        b if b < 1024 * 1024 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

/// A stored attachment as listed.
pub struct AttachmentLine {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: String,
}

impl AttachmentLine {
    pub fn of(a: &AttachmentRef) -> Self {
        AttachmentLine { id: a.id, name: line(&a.file_name), content_type: line(&a.content_type), size: size(a.size) }
    }
}

/// A message of the thread, ready to show.
pub struct MessageLine {
    pub id: i64,
    pub inbound: bool,
    pub what: String,
    pub date: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub state: String,
    pub body: String,
    pub error: String,
    pub source: String,
    pub attachments: Vec<AttachmentLine>,
    /// What the message is or what became of it ("automatic reply", "bounced on ...").
    pub note: String,
    /// For a message tied to no request: the requests it is likely about.
    pub likely: Vec<LikelyLine>,
}

/// A request an unmatched message is likely about, with the reasons.
pub struct LikelyLine {
    pub code: String,
    pub agency: String,
    pub status: String,
    pub score: String,
    pub reasons: Vec<String>,
}

impl LikelyLine {
    pub fn of(l: &crate::views::suggestions::Likely) -> Self {
        LikelyLine {
            code: l.tracking_code.clone(),
            agency: line(&l.agency),
            status: l.status.to_string(),
            score: format!("{:.2}", l.score),
            reasons: l.reasons.iter().map(|r| line(r)).collect(),
        }
    }
}

impl MessageLine {
    pub fn of(m: &Message) -> Self {
        let inbound = m.direction == "inbound";
        let note = opt_line(&m.note);
        let what = if inbound {
            let by = m.matched_by.as_ref().map(|b| format!(" (matched by {b})")).unwrap_or_default();
            match m.kind.as_deref() {
                Some("autoreply") | Some("portal") | Some("bounce") if !note.is_empty() => format!("{note}{by}"),
                _ => format!("Reply received{by}"),
            }
        } else {
            format!("{} letter ({})", m.letter.as_deref().unwrap_or("other"), m.channel)
        };
        MessageLine {
            id: m.id,
            inbound,
            what: capitalize(&what),
            date: m.date.to_string(),
            from: opt_line(&m.from),
            to: opt_line(&m.to),
            subject: line(&m.subject),
            state: m.state.clone(),
            body: printable(&m.body).into_owned(),
            error: opt_line(&m.error),
            source: opt_line(&m.source),
            attachments: m.attachments.iter().map(AttachmentLine::of).collect(),
            note: if inbound { String::new() } else { note },
            likely: Vec::new(),
        }
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// One event of the timeline.
pub struct EventLine {
    pub id: i64,
    pub on: String,
    pub kind: String,
    pub details: String,
    pub note: String,
    pub actor: String,
    pub recorded_on: String,
    /// "voided on DATE by NAME: REASON", for a void event.
    pub void: Option<String>,
}

/// A form to log one kind of event, with the fields that kind takes.
pub struct EventForm {
    pub kind: &'static str,
    pub hint: &'static str,
    pub dated: bool,
    pub fee: bool,
    pub open: bool,
    pub values: EventFields,
}

/// The fields of the log form, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EventFields {
    pub event: String,
    pub on: String,
    pub note: String,
    pub days: String,
    pub until: String,
    pub amount: String,
    pub via: String,
    pub reference: String,
}

impl EventFields {
    pub fn is_via(&self, v: &str) -> bool {
        self.via.trim() == v
    }
}

fn hint(kind: EventKind) -> &'static str {
    use EventKind as E;
    match kind {
        E::Sent => "The request went out (by mail, portal or hand; email letters log this themselves).",
        E::Acknowledged => "The agency confirmed it received the request.",
        E::Extended => "The agency extended its deadline: give the days added or the new date.",
        E::Estimated => "The agency estimated when it will answer: business days from the event, or its date.",
        E::Fee => "The agency asks for a fee; the clock stops until it is paid.",
        E::Clarification => "The agency asks us to clarify; the clock stops until we answer.",
        E::Resumed => "We paid or clarified; the clock runs again.",
        E::Partial => "Some records arrived; more are due.",
        E::Completed => "All records arrived.",
        E::Rejected => "The agency denied the request.",
        E::NoRecords => "The agency says it holds no records.",
        E::Withdrawn => "We withdrew the request.",
        E::Appealed => "We appealed (email appeals log this themselves).",
        E::Reopened => "A closed request is open again.",
        E::FollowedUp => "We chased the agency (email follow-ups log this themselves).",
        E::Note => "A note for the history; the status does not change.",
    }
}

/// An event a reply suggests, ready to show with its Apply button.
pub struct SuggestionLine {
    pub communication_id: i64,
    pub received_on: String,
    pub kind: String,
    pub summary: String,
    pub evidence: String,
    pub confidence: String,
}

impl SuggestionLine {
    fn of(s: &crate::views::suggestions::ReplySuggestion) -> Self {
        SuggestionLine {
            communication_id: s.communication_id,
            received_on: s.received_on.to_string(),
            kind: s.event.to_string(),
            summary: line(&s.summary),
            evidence: line(&s.evidence),
            confidence: format!("{:.0}%", s.confidence * 100.0),
        }
    }
}

/// The request's spending figures, ready to show.
pub struct DataLines {
    pub total: String,
    pub transactions: i64,
    pub excluded: i64,
    pub reported: String,
    /// year, figure, from, transactions, reported, differs
    pub years: Vec<(i32, String, String, String, String, bool)>,
    /// file, format, rows, imported on
    pub sources: Vec<(String, String, i64, String)>,
}

#[derive(Template)]
#[template(path = "web/request.html")]
struct RequestPage {
    chrome: Chrome,
    code: String,
    agency: String,
    agency_key: String,
    state: String,
    campaign: String,
    status: String,
    facts: Vec<(&'static str, String)>,
    explanation: Vec<String>,
    events: Vec<EventLine>,
    messages: Vec<MessageLine>,
    suggestions: Vec<SuggestionLine>,
    forms: Vec<EventForm>,
    letters: Vec<&'static str>,
    vias: Vec<&'static str>,
    data: DataLines,
    spreadsheets: Vec<AttachmentLine>,
    max_upload: String,
    done: Option<&'static str>,
    message: Option<String>,
    today: String,
    /// The letter that bounced, in a sentence, when one waits to be sent again.
    bounced: Option<String>,
    /// What to run to send it again from the command line.
    resend_command: String,
}

impl RequestPage {
    fn build(
        chrome: Chrome,
        d: Detail,
        thread: Vec<Message>,
        data: crate::views::data::Dataset,
        sheets: Vec<AttachmentRef>,
    ) -> Self {
        let today = chrome.today.clone();
        let mut facts: Vec<(&'static str, String)> =
            vec![("Sent", date(d.sent_on)), ("Due", date(d.due_on)), ("Period", d.period.clone())];
        match (d.overdue_days, d.days_left) {
            (Some(n), _) => facts.push(("Overdue", format!("{n} business day{}", if n == 1 { "" } else { "s" }))),
            (None, Some(n)) => facts.push(("Days left", format!("{n} business day{}", if n == 1 { "" } else { "s" }))),
            _ => {}
        }
        if let Some(s) = &d.clock_stopped {
            facts.push((
                "Clock stopped",
                format!("since {} ({}), {} business day(s) to go", s.since, line(&s.reason), s.remaining),
            ));
        }
        facts.push(("Follow up from", date(d.followup_on)));
        if d.estimated_on.is_some() {
            facts.push(("Agency's estimate", date(d.estimated_on)));
        }
        facts.push(("First response", date(d.first_response_on)));
        facts.push(("Closed", date(d.closed_on)));
        facts.push(("Follow-ups", d.followups.to_string()));
        if let Some(f) = d.fee_cents {
            facts.push(("Fee asked", format_cents(f)));
        }
        if let Some(r) = &d.agency_reference {
            facts.push(("Agency's reference", line(r)));
        }
        for p in &d.portal_numbers {
            facts.push(("Portal number", format!("{} {}", line(&p.portal), line(&p.number))));
        }
        let bounced = d.letter_bounced.as_ref().map(|b| {
            let sent = b.sent_on.map(|d| format!(" of {d}")).unwrap_or_default();
            let status = b.status.as_deref().map(|s| format!(" ({})", line(s))).unwrap_or_default();
            let via = b.failed_recipient.as_deref().map(|f| format!(", via {}", line(f))).unwrap_or_default();
            format!(
                "The {} letter{sent} to {} was not delivered{status}{via}; the report came on {}. The agency never got it.",
                b.letter,
                line(&b.to),
                b.on
            )
        });
        let events = d
            .events
            .iter()
            .map(|e| {
                let mut details = Vec::new();
                if let Some(n) = e.days {
                    details.push(format!("{n} days"));
                }
                if let Some(u) = e.until {
                    details.push(format!("until {u}"));
                }
                if let Some(c) = e.amount_cents {
                    details.push(format_cents(c));
                }
                if let Some(v) = e.via {
                    details.push(format!("via {v}"));
                }
                if let Some(r) = &e.reference {
                    details.push(format!("reference {}", line(r)));
                }
                EventLine {
                    id: e.id,
                    on: e.on.to_string(),
                    kind: e.kind.to_string(),
                    details: details.join(", "),
                    note: opt_line(&e.note),
                    actor: e.actor.as_deref().map(line).unwrap_or_else(|| "not recorded".into()),
                    recorded_on: e.recorded_on.to_string(),
                    void: e.voided_on.map(|v| {
                        format!(
                            "voided on {v} by {}: {}",
                            e.voided_by.as_deref().map(line).unwrap_or_else(|| "someone".into()),
                            opt_line(&e.void_reason)
                        )
                    }),
                }
            })
            .collect();
        let forms = d
            .allowed_events
            .iter()
            .map(|k| EventForm {
                kind: k.as_str(),
                hint: hint(*k),
                dated: matches!(k, EventKind::Extended | EventKind::Estimated),
                fee: *k == EventKind::Fee,
                open: false,
                values: EventFields { on: today.clone(), ..Default::default() },
            })
            .collect();
        // The letters that fit: the request while a draft, a follow-up while a follow-up can be
        // logged, and once sent the next step the law provides (its preview says if it does not
        // fit yet, and sending checks again).
        let mut letters = Vec::new();
        if d.allowed_events.contains(&EventKind::Sent) {
            letters.push("request");
        }
        if d.allowed_events.contains(&EventKind::FollowedUp) {
            letters.push("followup");
        }
        if d.status != crate::core::status::Status::Draft {
            letters.push("appeal");
        }
        let data = DataLines {
            total: data.total_cents.map(format_cents).unwrap_or_else(|| "no figures yet".into()),
            transactions: data.transactions,
            excluded: data.excluded,
            reported: data.reported_total_cents.map(format_cents).unwrap_or_default(),
            years: data
                .years
                .iter()
                .map(|y| {
                    (
                        y.year,
                        format_cents(y.figure_cents),
                        y.source.clone(),
                        y.transactions_cents.map(format_cents).unwrap_or_default(),
                        y.reported_total_cents.map(format_cents).unwrap_or_default(),
                        y.differs,
                    )
                })
                .collect(),
            sources: data
                .sources
                .iter()
                .map(|s| (line(&s.file_name), s.format.clone(), s.rows_read, s.imported_on.to_string()))
                .collect(),
        };
        RequestPage {
            chrome,
            code: d.tracking_code.clone(),
            agency: line(&d.agency_name),
            agency_key: d.agency_key.clone(),
            state: d.state.clone(),
            campaign: d.campaign.clone(),
            status: d.status.to_string(),
            facts,
            explanation: d.explanation.iter().map(|l| line(l)).collect(),
            events,
            messages: thread.iter().map(MessageLine::of).collect(),
            suggestions: d.suggestions.iter().map(SuggestionLine::of).collect(),
            forms,
            letters,
            vias: Via::ALL.iter().map(|v| v.as_str()).collect(),
            data,
            spreadsheets: sheets.iter().map(AttachmentLine::of).collect(),
            max_upload: size(crate::web::page::MAX_UPLOAD_BYTES as i64),
            done: None,
            message: None,
            today,
            bounced,
            resend_command: format!("foiatrack send --resend {} --to ADDRESS", d.tracking_code),
        }
    }
}

/// Reads everything the request page shows.
async fn load(state: &Arc<AppState>, s: &Session, code: String) -> Result<RequestPage, PageError> {
    let today = state.today();
    let chrome = Chrome::new(s, "campaigns", state);
    let (d, t, data, sheets) = with_db(state, s, move |conn| {
        let d = crate::views::request::detail(conn, &code, today)?;
        let t = thread::thread(conn, &d.tracking_code)?;
        let data = crate::views::data::dataset(conn, &d.tracking_code)?;
        let sheets = thread::spreadsheet_attachments(conn, &d.tracking_code)?;
        Ok((d, t, data, sheets))
    })
    .await?;
    Ok(RequestPage::build(chrome, d, t, data, sheets))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ShowQuery {
    done: String,
}

fn done_sentence(done: &str) -> Option<&'static str> {
    Some(match done {
        "logged" => "The event was logged.",
        "voided" => "The event was voided; it stays in the history, struck through.",
        "sent" => "The letter was sent.",
        "resent" => "The letter that bounced was sent again to the new address.",
        "imported" => "The spending file was imported.",
        "cancelled" => "The import was cancelled; nothing was imported.",
        "total" => "The reported total was recorded.",
        "applied" => "The event the reply suggests was logged.",
        "dismissed" => "The suggestion was set aside; it is no longer offered.",
        _ => return None,
    })
}

async fn show(
    State(state): State<Arc<AppState>>,
    Signed(s): Signed,
    Path(code): Path<String>,
    Query(q): Query<ShowQuery>,
) -> PageResult {
    let mut page = load(&state, &s, code).await?;
    page.done = done_sentence(&q.done);
    render(&page)
}

/// The request page again, with what went wrong said at the top and the error's status. Falls
/// back to the plain error page when the request itself cannot be shown.
async fn refused(
    state: &Arc<AppState>,
    s: &Session,
    code: String,
    err: PageError,
    posted: Option<EventFields>,
) -> PageResult {
    if err.status.is_server_error() || err.status == StatusCode::FORBIDDEN || err.status == StatusCode::NOT_FOUND {
        return Err(err);
    }
    let Ok(mut page) = load(state, s, code).await else { return Err(err) };
    if let Some(p) = posted {
        for f in &mut page.forms {
            if f.kind == p.event.trim() {
                f.open = true;
                f.values = p.clone();
            }
        }
    }
    page.message = Some(err.message.clone());
    let mut res = render(&page)?;
    *res.status_mut() = err.status;
    Ok(res)
}

fn invalid(msg: impl Into<String>) -> PageError {
    PageError::new(StatusCode::UNPROCESSABLE_ENTITY, msg)
}

fn blank(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// The event the form describes (checked by `ops::request::log`, which has the rules).
fn new_event(f: &EventFields, today: NaiveDate) -> Result<NewEvent, PageError> {
    let kind: EventKind = f.event.parse().map_err(|e: Error| invalid(e.to_string()))?;
    let on = match blank(&f.on) {
        Some(d) => parse_ymd(&d).map_err(|e| invalid(format!("Date: {e}.")))?,
        None => today,
    };
    let days = blank(&f.days)
        .map(|d| d.parse::<u32>().map_err(|_| invalid(format!("Days: '{d}' is not a whole number of days."))))
        .transpose()?;
    let until = blank(&f.until).map(|d| parse_ymd(&d).map_err(|e| invalid(format!("Until: {e}.")))).transpose()?;
    let amount_cents =
        blank(&f.amount).map(|a| parse_cents(&a).map_err(|e| invalid(format!("Amount: {e}.")))).transpose()?;
    let via = blank(&f.via).map(|v| v.parse::<Via>().map_err(|e: Error| invalid(e.to_string()))).transpose()?;
    Ok(NewEvent { kind, on, note: blank(&f.note), days, until, amount_cents, via, reference: blank(&f.reference) })
}

async fn log_event(
    State(state): State<Arc<AppState>>,
    signed: Signed,
    Path(code): Path<String>,
    Posted(f): Posted<EventFields>,
) -> PageResult {
    signed.require(Role::Staff, "log events")?;
    let s = signed.0;
    let today = state.today();
    let e = match new_event(&f, today) {
        Ok(e) => e,
        Err(err) => return refused(&state, &s, code, err, Some(f)).await,
    };
    let c = code.clone();
    match with_db(&state, &s, move |conn| crate::ops::request::log(conn, &c, &e, today)).await {
        Ok(l) => Ok(see_other(&format!("/requests/{}?done=logged#timeline", l.tracking_code))),
        Err(err) => refused(&state, &s, code, err, Some(f)).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct VoidForm {
    reason: String,
}

async fn void_event(
    State(state): State<Arc<AppState>>,
    signed: Signed,
    Path((code, id)): Path<(String, i64)>,
    Posted(f): Posted<VoidForm>,
) -> PageResult {
    signed.require(Role::Staff, "void events")?;
    let s = signed.0;
    if f.reason.trim().is_empty() {
        return refused(&state, &s, code, invalid("Say why the event is void."), None).await;
    }
    let today = state.today();
    let c = code.clone();
    let done = with_db(&state, &s, move |conn| {
        let req = crate::store::request::find(conn, &c)?;
        match crate::store::request::event_row(conn, id)? {
            Some((rid, ..)) if rid == req.id => {}
            _ => return Err(Error::NotFound { what: "event", key: format!("{id} of {}", req.tracking_code) }),
        }
        crate::ops::request::void(conn, id, &f.reason, today)
    })
    .await;
    match done {
        Ok(l) => Ok(see_other(&format!("/requests/{}?done=voided#timeline", l.tracking_code))),
        Err(err) => refused(&state, &s, code, err, None).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SuggestionForm {
    kind: String,
}

/// The message and event kind a suggestion form names, the message checked to be this request's.
fn suggestion_of(
    conn: &rusqlite::Connection,
    code: &str,
    id: &str,
    f: &SuggestionForm,
) -> Result<(i64, Option<EventKind>)> {
    let req = crate::store::request::find(conn, code)?;
    let gone = || Error::NotFound { what: "reply", key: format!("{id} of {}", req.tracking_code) };
    let id: i64 = id.parse().map_err(|_| gone())?;
    match crate::store::suggestions::message(conn, id)? {
        Some(m) if m.request_id == Some(req.id) => {}
        _ => return Err(gone()),
    }
    let kind = blank(&f.kind).map(|k| k.parse::<EventKind>()).transpose()?;
    Ok((id, kind))
}

/// Logs the event a reply suggests (`mail apply`).
async fn apply_suggestion(
    State(state): State<Arc<AppState>>,
    signed: Signed,
    Path((code, id)): Path<(String, String)>,
    Posted(f): Posted<SuggestionForm>,
) -> PageResult {
    signed.require(Role::Staff, "apply suggestions")?;
    let s = signed.0;
    let today = state.today();
    let c = code.clone();
    let done = with_db(&state, &s, move |conn| {
        let (id, kind) = suggestion_of(conn, &c, &id, &f)?;
        crate::ops::suggest::apply(conn, id, kind, today)
    })
    .await;
    match done {
        Ok(a) => Ok(see_other(&format!("/requests/{}?done=applied#timeline", a.logged.tracking_code))),
        Err(err) => refused(&state, &s, code, err, None).await,
    }
}

/// Sets a suggestion aside (`mail dismiss`).
async fn dismiss_suggestion(
    State(state): State<Arc<AppState>>,
    signed: Signed,
    Path((code, id)): Path<(String, String)>,
    Posted(f): Posted<SuggestionForm>,
) -> PageResult {
    signed.require(Role::Staff, "dismiss suggestions")?;
    let s = signed.0;
    let today = state.today();
    let c = code.clone();
    let done = with_db(&state, &s, move |conn| {
        let (id, kind) = suggestion_of(conn, &c, &id, &f)?;
        crate::ops::suggest::dismiss(conn, id, kind, today)
    })
    .await;
    match done {
        Ok(d) => Ok(see_other(&format!("/requests/{}?done=dismissed#suggestions", d.tracking_code))),
        Err(err) => refused(&state, &s, code, err, None).await,
    }
}

// ---------------------------------------------------------------------------------------------
// Letters

#[derive(Deserialize, Default)]
#[serde(default)]
struct KindQuery {
    kind: String,
}

fn kind_of(s: &str) -> Result<LetterKind, PageError> {
    if s.trim().is_empty() {
        return Ok(LetterKind::Request);
    }
    s.parse().map_err(|e: Error| invalid(e.to_string()))
}

#[derive(Template)]
#[template(path = "web/request_letter.html")]
struct LetterPage {
    chrome: Chrome,
    code: String,
    /// The kind asked for (`appeal`: the next step the law provides).
    asked: &'static str,
    /// The letter it is, e.g. "a notice of intent to sue".
    describe: &'static str,
    kinds: [&'static str; 3],
    to: String,
    subject: String,
    body: String,
    notes: Vec<String>,
    can_email: bool,
    message: Option<String>,
}

impl LetterPage {
    fn of(chrome: Chrome, asked: LetterKind, l: &Letter, message: Option<String>) -> Self {
        LetterPage {
            chrome,
            code: l.tracking_code.clone(),
            asked: asked.as_str(),
            describe: l.kind.describe(),
            kinds: ["request", "followup", "appeal"],
            to: opt_line(&l.to),
            subject: line(&l.subject),
            body: printable(&l.body).into_owned(),
            notes: l.notes.iter().map(|n| line(n)).collect(),
            can_email: l.to.is_some(),
            message,
        }
    }
}

async fn letter_of(state: &Arc<AppState>, s: &Session, code: String, kind: LetterKind) -> Result<Letter, PageError> {
    let today = state.today();
    with_db(state, s, move |conn| crate::views::letter::letter(conn, &code, kind, today)).await
}

async fn letter_preview(
    State(state): State<Arc<AppState>>,
    Signed(s): Signed,
    Path(code): Path<String>,
    Query(q): Query<KindQuery>,
) -> PageResult {
    let kind = kind_of(&q.kind)?;
    let l = letter_of(&state, &s, code, kind).await?;
    render(&LetterPage::of(Chrome::new(&s, "campaigns", &state), kind, &l, None))
}

/// A file to download: never shown in the browser.
fn download(bytes: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let name = upload::safe_file_name(name);
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

async fn letter_txt(
    State(state): State<Arc<AppState>>,
    Signed(s): Signed,
    Path(code): Path<String>,
    Query(q): Query<KindQuery>,
) -> PageResult {
    let l = letter_of(&state, &s, code, kind_of(&q.kind)?).await?;
    Ok(download(l.body.clone().into_bytes(), "text/plain; charset=utf-8", &file_name(&l, "txt")))
}

/// Who the mail is from, as the CLI reads it: FOIATRACK_FROM (else the requester's email) and
/// FOIATRACK_REPLY_TO, from the server's environment.
fn sender(conn: &rusqlite::Connection) -> Result<crate::ops::send::Sender> {
    let from = match std::env::var("FOIATRACK_FROM").ok().filter(|s| !s.trim().is_empty()) {
        Some(f) => f,
        None => crate::store::config::get(conn, "requester.email")?.ok_or_else(|| {
            Error::invalid(
                "no sender: set the requester's email in the settings (or FOIATRACK_FROM for the server) to say who the mail is from",
            )
        })?,
    };
    let reply_to = std::env::var("FOIATRACK_REPLY_TO").ok().filter(|s| !s.trim().is_empty());
    crate::ops::send::Sender::new(&from, reply_to.as_deref())
}

/// The SMTP server, as the CLI reads it: FOIATRACK_SMTP_URL and FOIATRACK_SMTP_PASSWORD.
fn smtp() -> Result<crate::ops::send::SmtpMailer> {
    let url = std::env::var("FOIATRACK_SMTP_URL").map_err(|_| {
        Error::invalid(
            "no mail server: start `foiatrack serve` with FOIATRACK_SMTP_URL (e.g. smtps://user@smtp.example.org) to send from here, or download the .eml",
        )
    })?;
    let password = std::env::var("FOIATRACK_SMTP_PASSWORD").ok();
    crate::ops::send::SmtpMailer::new(&url, password.as_deref())
}

async fn letter_eml(
    State(state): State<Arc<AppState>>,
    Signed(s): Signed,
    Path(code): Path<String>,
    Query(q): Query<KindQuery>,
) -> PageResult {
    let kind = kind_of(&q.kind)?;
    let today = state.today();
    let (l, eml) = with_db(&state, &s, move |conn| {
        let l = crate::views::letter::letter(conn, &code, kind, today)?;
        let sender = sender(conn)?;
        let id = format!("<draft.{}@{}>", l.tracking_code, sender.from.email.domain());
        let msg = crate::ops::send::message_on(&l, &sender, &id, today)?;
        Ok((l, msg.formatted()))
    })
    .await?;
    Ok(download(eml, "message/rfc822", &file_name(&l, "eml")))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SendForm {
    kind: String,
}

async fn letter_send(
    State(state): State<Arc<AppState>>,
    signed: Signed,
    Path(code): Path<String>,
    Posted(f): Posted<SendForm>,
) -> PageResult {
    signed.require(Role::Staff, "send letters")?;
    let s = signed.0;
    let kind = kind_of(&f.kind)?;
    let today = state.today();
    let c = code.clone();
    let sent = with_db(&state, &s, move |conn| {
        let l = crate::views::letter::letter(conn, &c, kind, today)?;
        let sender = sender(conn)?;
        let mut mailer = smtp()?;
        crate::ops::send::send(conn, &l, &mut mailer, &sender, today)
    })
    .await;
    let err = match sent {
        Ok(o) if o.error.is_none() => return Ok(see_other(&format!("/requests/{}?done=sent#thread", o.tracking_code))),
        Ok(o) => PageError::new(
            StatusCode::BAD_GATEWAY,
            format!(
                "The mail server did not take the {kind} letter: {}. It is recorded as failed; send it again when the server answers.",
                o.error.unwrap_or_default()
            ),
        ),
        Err(e) => e,
    };
    // A refusal or a failed delivery: the letter again, with why.
    let page = letter_of(&state, &s, code, kind).await;
    match page {
        Ok(l) => {
            let mut res =
                render(&LetterPage::of(Chrome::new(&s, "campaigns", &state), kind, &l, Some(err.message.clone())))?;
            *res.status_mut() = err.status;
            Ok(res)
        }
        Err(_) => Err(err),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ResendForm {
    to: String,
    make_main: String,
}

/// Sends the request's bounced letter again to another address, once (`send --resend`).
async fn resend(
    State(state): State<Arc<AppState>>,
    signed: Signed,
    Path(code): Path<String>,
    Posted(f): Posted<ResendForm>,
) -> PageResult {
    signed.require(Role::Staff, "send letters")?;
    let s = signed.0;
    let today = state.today();
    let c = code.clone();
    let make_main = !f.make_main.trim().is_empty();
    let sent = with_db(&state, &s, move |conn| {
        crate::ops::send::check_resend(conn, &c, &f.to)?;
        let sender = sender(conn)?;
        let mut mailer = smtp()?;
        crate::ops::send::resend(conn, &c, &f.to, make_main, &mut mailer, &sender, today)
    })
    .await;
    let err = match sent {
        Ok(r) if r.error.is_none() => {
            return Ok(see_other(&format!("/requests/{}?done=resent#thread", r.tracking_code)));
        }
        Ok(r) => PageError::new(
            StatusCode::BAD_GATEWAY,
            format!(
                "The mail server did not take the {} letter for {}: {}. It is still marked bounced; try again when the server answers.",
                r.letter,
                line(&r.to),
                line(&r.error.unwrap_or_default())
            ),
        ),
        Err(e) => e,
    };
    refused(&state, &s, code, err, None).await
}

// ---------------------------------------------------------------------------------------------
// Spending data

/// Where the file to import is: an upload kept until confirmed or cancelled, or an attachment.
#[derive(Debug, Clone)]
enum Source {
    Upload { id: String, dir: PathBuf, meta: Meta },
    Attachment(i64),
}

#[derive(Deserialize, Default, Debug, Clone)]
#[serde(default)]
struct SourceFields {
    upload: String,
    attachment: String,
    header_row: String,
    replace: String,
    skip_invalid: String,
}

impl SourceFields {
    fn header_row(&self) -> Result<Option<usize>, PageError> {
        blank(&self.header_row)
            .map(|h| match h.parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(invalid(format!("Header row: '{h}' is not a row number (rows count from 1)."))),
            })
            .transpose()
    }
}

fn upload_gone() -> PageError {
    PageError::new(
        StatusCode::NOT_FOUND,
        "This upload was not found: it was imported or cancelled already, or it is someone else's; upload the file again.",
    )
}

/// The file the fields name, checked to belong to this request (and, for an upload, to the
/// person who uploaded it).
fn source_of(state: &AppState, s: &Session, code: &str, f: &SourceFields) -> Result<Source, PageError> {
    if let Some(id) = blank(&f.upload) {
        let dir = upload::dir_of(state, &id).ok_or_else(upload_gone)?;
        let meta = upload::read_meta(&dir).ok_or_else(upload_gone)?;
        if meta.user != s.user || !meta.code.eq_ignore_ascii_case(code.trim()) {
            return Err(upload_gone());
        }
        return Ok(Source::Upload { id, dir, meta });
    }
    match blank(&f.attachment).map(|a| a.parse::<i64>()) {
        Some(Ok(id)) => Ok(Source::Attachment(id)),
        Some(Err(_)) => Err(invalid("Choose an attachment from the list.")),
        None => Err(invalid("Upload a file or choose an attachment to import.")),
    }
}

/// Runs the import (dry or for real) from a source.
fn import(
    conn: &mut rusqlite::Connection,
    store: &FileStore,
    code: &str,
    source: &Source,
    opts: &ImportOptions,
    today: NaiveDate,
) -> Result<ImportSummary> {
    let (path, name) = match source {
        Source::Upload { dir, meta, .. } => (dir.join(&meta.file), meta.name.clone()),
        Source::Attachment(id) => {
            let req = crate::store::request::find(conn, code)?;
            let a = thread::attachment(conn, store, *id)?
                .filter(|a| a.tracking_code.as_deref() == Some(req.tracking_code.as_str()))
                .ok_or_else(|| Error::NotFound { what: "attachment", key: format!("{id} of {}", req.tracking_code) })?;
            (a.path, a.file_name)
        }
    };
    crate::ops::data::import(conn, store, code, &path, &name, opts, today)
}

fn options(source: &Source, f: &SourceFields, dry_run: bool) -> Result<ImportOptions, PageError> {
    let (header_row, replace) = match source {
        Source::Upload { meta, .. } => (meta.header_row, meta.replace),
        Source::Attachment(_) => (f.header_row()?, !f.replace.is_empty()),
    };
    Ok(ImportOptions {
        header_row,
        replace,
        // The preview shows every invalid row; the import skips them only when asked to.
        skip_invalid: dry_run || !f.skip_invalid.is_empty(),
        dry_run,
        ..Default::default()
    })
}

#[derive(Template)]
#[template(path = "web/data_preview.html")]
struct PreviewPage {
    chrome: Chrome,
    code: String,
    agency: String,
    file: String,
    upload: String,
    attachment: String,
    header_row: String,
    replace: bool,
    summary: Option<PreviewSummary>,
    message: Option<String>,
}

/// What the dry run found, ready to show.
struct PreviewSummary {
    format: String,
    header_row: usize,
    columns: Vec<(&'static str, String)>,
    pattern: String,
    rows_read: usize,
    matched: usize,
    excluded: usize,
    invalid: usize,
    total_rows_skipped: usize,
    total: String,
    dates: String,
    outside_period: String,
    /// vendor, rows, total, counted
    vendors: Vec<(String, usize, String, bool)>,
    /// Excluded rows by vendor: vendor, rows, total
    excluded_vendors: Vec<(String, usize, String)>,
    /// row, column, value, problem
    problems: Vec<(u64, String, String, String)>,
    replaced: bool,
}

impl PreviewSummary {
    fn of(s: &ImportSummary) -> Self {
        let mut columns = vec![
            ("Date", line(&s.date_column)),
            ("Amount", line(&s.amount_column)),
            ("Vendor", line(&s.vendor_column)),
        ];
        if let Some(d) = &s.description_column {
            columns.push(("Description", line(d)));
        }
        PreviewSummary {
            format: match &s.sheet {
                Some(sheet) => format!("{}, sheet {}", s.format, line(sheet)),
                None => s.format.clone(),
            },
            header_row: s.header_row,
            columns,
            pattern: s.vendor_pattern.as_deref().map(line).unwrap_or_else(|| "none: every row counts".into()),
            rows_read: s.rows_read,
            matched: s.matched,
            excluded: s.excluded,
            invalid: s.invalid,
            total_rows_skipped: s.total_rows_skipped,
            total: format_cents(s.total_matched_cents),
            dates: match (s.first_date, s.last_date) {
                (Some(a), Some(b)) => format!("{a} to {b}"),
                _ => String::new(),
            },
            outside_period: if s.outside_period > 0 {
                format!(
                    "{} counted row(s) are dated outside the campaign's period, e.g. {}",
                    s.outside_period,
                    s.outside_period_examples.join("; ")
                )
            } else {
                String::new()
            },
            vendors: s
                .vendors
                .iter()
                .map(|v| (line(&v.vendor), v.rows, format_cents(v.total_cents), v.matched))
                .collect(),
            excluded_vendors: s
                .vendors
                .iter()
                .filter(|v| !v.matched)
                .map(|v| (line(&v.vendor), v.rows, format_cents(v.total_cents)))
                .collect(),
            problems: s
                .problems
                .iter()
                .map(|p| (p.line, opt_line(&p.column), opt_line(&p.value), line(&p.message)))
                .collect(),
            replaced: s.replaced,
        }
    }
}

/// The preview page: a dry run of the import, with confirm and cancel (or why it cannot go).
async fn preview(
    state: &Arc<AppState>,
    s: &Session,
    code: String,
    f: SourceFields,
    message: Option<PageError>,
) -> PageResult {
    let source = source_of(state, s, &code, &f)?;
    let opts = options(&source, &f, true)?;
    let today = state.today();
    let store = FileStore::beside(&state.opts.db_path);
    let src = source.clone();
    let (req, summary) = with_db(state, s, move |conn| {
        let req = crate::store::request::find(conn, &code)?;
        let summary = import(conn, &store, &req.tracking_code, &src, &opts, today);
        Ok((req, summary))
    })
    .await?;
    let (summary, dry_err) = match summary {
        Ok(sum) => (Some(sum), None),
        Err(e) => (None, Some(PageError::from(e))),
    };
    let (file, upload, attachment, header_row, replace) = match &source {
        Source::Upload { id, meta, .. } => (
            line(&meta.name),
            id.clone(),
            String::new(),
            meta.header_row.map(|h| h.to_string()).unwrap_or_default(),
            meta.replace,
        ),
        Source::Attachment(id) => (
            summary.as_ref().map(|s| line(&s.file)).unwrap_or_else(|| format!("attachment {id}")),
            String::new(),
            id.to_string(),
            f.header_row.trim().to_string(),
            !f.replace.is_empty(),
        ),
    };
    let shown = message.or(dry_err);
    let status = shown.as_ref().map(|e| e.status).unwrap_or(StatusCode::OK);
    let mut res = render(&PreviewPage {
        chrome: Chrome::new(s, "campaigns", state),
        code: req.tracking_code.clone(),
        agency: line(&req.agency_name),
        file,
        upload,
        attachment,
        header_row,
        replace,
        summary: summary.as_ref().map(PreviewSummary::of),
        message: shown.map(|e| e.message),
    })?;
    *res.status_mut() = status;
    Ok(res)
}

async fn data_upload(
    State(state): State<Arc<AppState>>,
    signed: Signed,
    Path(code): Path<String>,
    mp: Multipart,
) -> PageResult {
    let mp = upload::require(&signed, Role::Staff, "import spending data", mp).await?;
    let s = signed.0;
    let up = upload::receive(&state, &s, mp, "file").await?;
    let header_row = SourceFields { header_row: up.field("header_row"), ..Default::default() }.header_row();
    let c = code.clone();
    let found = with_db(&state, &s, move |conn| Ok(crate::store::request::find(conn, &c)?.tracking_code)).await;
    let (header_row, code) = match (header_row, found) {
        (Ok(h), Ok(code)) => (h, code),
        (Err(e), _) | (_, Err(e)) => {
            up.remove();
            return Err(e);
        }
    };
    let meta = Meta {
        code: code.clone(),
        user: s.user.clone(),
        name: up.name.clone(),
        file: up.file.clone(),
        header_row,
        replace: !up.field("replace").is_empty(),
    };
    if let Err(e) = upload::write_meta(&up.dir, &meta) {
        up.remove();
        return Err(e);
    }
    Ok(see_other(&format!("/requests/{code}/data/preview?upload={}", up.id)))
}

async fn data_preview(
    State(state): State<Arc<AppState>>,
    signed: Signed,
    Path(code): Path<String>,
    Query(f): Query<SourceFields>,
) -> PageResult {
    signed.require(Role::Staff, "import spending data")?;
    preview(&state, &signed.0, code, f, None).await
}

async fn data_confirm(
    State(state): State<Arc<AppState>>,
    signed: Signed,
    Path(code): Path<String>,
    Posted(f): Posted<SourceFields>,
) -> PageResult {
    signed.require(Role::Staff, "import spending data")?;
    let s = signed.0;
    let source = source_of(&state, &s, &code, &f)?;
    let opts = options(&source, &f, false)?;
    let today = state.today();
    let store = FileStore::beside(&state.opts.db_path);
    let (c, src) = (code.clone(), source.clone());
    let done = with_db(&state, &s, move |conn| import(conn, &store, &c, &src, &opts, today)).await;
    match done {
        Ok(sum) => {
            if let Source::Upload { dir, .. } = &source {
                upload::remove_dir(dir);
            }
            Ok(see_other(&format!("/requests/{}?done=imported#data", sum.tracking_code)))
        }
        Err(err) if err.status.is_client_error() => preview(&state, &s, code, f, Some(err)).await,
        Err(err) => Err(err),
    }
}

async fn data_cancel(
    State(state): State<Arc<AppState>>,
    signed: Signed,
    Path(code): Path<String>,
    Posted(f): Posted<SourceFields>,
) -> PageResult {
    signed.require(Role::Staff, "import spending data")?;
    let s = signed.0;
    let c = code.clone();
    let code = with_db(&state, &s, move |conn| Ok(crate::store::request::find(conn, &c)?.tracking_code)).await?;
    if let Source::Upload { dir, .. } = source_of(&state, &s, &code, &f)? {
        upload::remove_dir(&dir);
    }
    Ok(see_other(&format!("/requests/{code}?done=cancelled#data")))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TotalForm {
    year: String,
    amount: String,
    note: String,
}

async fn record_total(
    State(state): State<Arc<AppState>>,
    signed: Signed,
    Path(code): Path<String>,
    Posted(f): Posted<TotalForm>,
) -> PageResult {
    signed.require(Role::Staff, "record reported totals")?;
    let s = signed.0;
    let parsed = (|| {
        let year = f.year.trim();
        let year: i32 = year.parse().map_err(|_| invalid(format!("Year: '{year}' is not a year.")))?;
        let cents = parse_cents(f.amount.trim()).map_err(|e| invalid(format!("Amount: {e}.")))?;
        Ok::<_, PageError>((year, cents))
    })();
    let (year, cents) = match parsed {
        Ok(p) => p,
        Err(e) => return refused(&state, &s, code, e, None).await,
    };
    let today = state.today();
    let (c, note) = (code.clone(), blank(&f.note));
    let done = with_db(&state, &s, move |conn| {
        crate::ops::data::record_total(conn, &c, year, cents, note.as_deref(), today)?;
        Ok(crate::store::request::find(conn, &c)?.tracking_code)
    })
    .await;
    match done {
        Ok(code) => Ok(see_other(&format!("/requests/{code}?done=total#data"))),
        Err(err) => refused(&state, &s, code, err, None).await,
    }
}

// ---------------------------------------------------------------------------------------------
// Attachments

/// A stored attachment, by id only, always as a download: `application/octet-stream` with
/// `Content-Disposition: attachment` and a safe name (with `nosniff` on every answer), so an
/// agency's HTML file never renders in our origin.
async fn download_attachment(
    State(state): State<Arc<AppState>>,
    Signed(s): Signed,
    Path(id): Path<String>,
) -> PageResult {
    let id: i64 = id.parse().map_err(|_| PageError::not_found("That attachment"))?;
    let store = FileStore::beside(&state.opts.db_path);
    let a = with_db(&state, &s, move |conn| thread::attachment(conn, &store, id))
        .await?
        .ok_or_else(|| PageError::not_found(&format!("Attachment {id}")))?;
    let bytes = tokio::fs::read(&a.path).await.map_err(|_| {
        PageError::new(
            StatusCode::NOT_FOUND,
            format!("The stored file of attachment {id} is missing from the files folder beside the database."),
        )
    })?;
    Ok(download(bytes, "application/octet-stream", &a.file_name))
}
