//! Campaigns: the list; one campaign's progress by status and its requests (sorted, filtered and
//! cut into pages in SQL, or downloaded whole as a streamed CSV); creating a campaign and adding
//! agencies; previewing letters; and batches that run on the server (request letters,
//! follow-ups, one event logged on many requests) with a page that shows their progress.
//!
//! A batch runs in its own thread, so closing the browser does not stop it. Letters go out
//! through `ops::send::send`, one at a time: each is committed as `sending` before the mail
//! server is contacted, so a server killed mid-batch leaves that message `sending` and the next
//! batch reports it instead of sending it again.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};

use askama::Template;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::core::letter::{Letter, LetterKind};
use crate::core::status::{EventKind, Status};
use crate::ops::send::{Mailer, Sender, SmtpMailer};
use crate::store::agency::Kind;
use crate::store::campaign::{Campaign, NewCampaign};
use crate::store::outbox::Pending;
use crate::store::request::{NewEvent, Via};
use crate::views::campaign_page::{
    self as cp, CampaignLine, MAX_PER_PAGE, Order, PER_PAGE, Query as RowQuery, Row, RowFilter, SortKey, Summary,
};
use crate::web::auth::{Posted, Signed};
use crate::web::page::{Chrome, PageError, PageResult, read_db, render, see_other, with_db};
use crate::web::state::{AppState, Role};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/campaigns", get(list).post(create))
        .route("/campaigns/new", get(new_form))
        .route("/campaigns/{slug}", get(show))
        .route("/campaigns/{slug}/requests.csv", get(download))
        .route("/campaigns/{slug}/agencies", post(add_agencies))
        .route("/campaigns/{slug}/letters", get(letters))
        .route("/campaigns/{slug}/send", post(send_drafts))
        .route("/campaigns/{slug}/bulk", post(bulk))
        .route("/campaigns/{slug}/settle", post(settle))
        .route("/followups/send", post(send_followups_due))
        .route("/batches/{id}", get(batch_page))
}

/// A urlencoded form as its fields, repeated names kept (ticked rows, kinds).
type Fields = Vec<(String, String)>;

fn field<'a>(form: &'a Fields, name: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
}

fn fields<'a>(form: &'a Fields, name: &str) -> Vec<&'a str> {
    form.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty()).collect()
}

fn invalid(message: impl Into<String>) -> PageError {
    PageError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
}

// ---------------------------------------------------------------------------------------------
// The list of campaigns

#[derive(Template)]
#[template(path = "web/campaigns.html")]
struct ListPage {
    chrome: Chrome,
    campaigns: Vec<CampaignLine>,
}

async fn list(State(state): State<Arc<AppState>>, Signed(s): Signed) -> PageResult {
    let campaigns = read_db(&state, &s, |conn| cp::campaigns(conn)).await?;
    render(&ListPage { chrome: Chrome::new(&s, "campaigns", &state), campaigns })
}

// ---------------------------------------------------------------------------------------------
// Creating a campaign

#[derive(Template)]
#[template(path = "web/campaign_new.html")]
struct NewPage {
    chrome: Chrome,
    message: Option<String>,
    v: NewValues,
}

/// What was typed into the form, given back when it is refused.
#[derive(Debug, Default, Clone)]
struct NewValues {
    slug: String,
    title: String,
    records: String,
    period_start: String,
    period_end: String,
    code_prefix: String,
    vendor_pattern: String,
    fee_limit: String,
    fee_waiver: String,
    followup_every: String,
}

async fn new_form(State(state): State<Arc<AppState>>, Signed(s): Signed) -> PageResult {
    Signed(s.clone()).require(Role::Staff, "starting a campaign")?;
    render(&NewPage {
        chrome: Chrome::new(&s, "campaigns", &state),
        message: None,
        v: NewValues { followup_every: "10".into(), ..Default::default() },
    })
}

fn optional_date(v: &str, what: &str) -> Result<Option<NaiveDate>, PageError> {
    if v.trim().is_empty() {
        return Ok(None);
    }
    crate::core::dates::parse_ymd(v.trim()).map(Some).map_err(|e| invalid(format!("{what}: {e}")))
}

fn new_campaign(v: &NewValues) -> Result<NewCampaign, PageError> {
    let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    Ok(NewCampaign {
        slug: v.slug.trim().to_string(),
        title: v.title.clone(),
        records: v.records.clone(),
        period_start: optional_date(&v.period_start, "Period start")?,
        period_end: optional_date(&v.period_end, "Period end")?,
        code_prefix: some(&v.code_prefix),
        vendor_pattern: some(&v.vendor_pattern),
        fee_limit_cents: match some(&v.fee_limit) {
            Some(f) => Some(crate::core::money::parse_cents(&f).map_err(|e| invalid(format!("Fee limit: {e}")))?),
            None => None,
        },
        fee_waiver: some(&v.fee_waiver),
        followup_every: match some(&v.followup_every) {
            Some(n) => Some(
                n.parse::<u32>()
                    .map_err(|_| invalid(format!("Follow up every: '{n}' is not a number of business days")))?,
            ),
            None => None,
        },
    })
}

async fn create(State(state): State<Arc<AppState>>, Signed(s): Signed, Posted(form): Posted<Fields>) -> PageResult {
    Signed(s.clone()).require(Role::Staff, "starting a campaign")?;
    let get = |n: &str| form.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()).unwrap_or_default();
    let v = NewValues {
        slug: get("slug"),
        title: get("title"),
        records: get("records"),
        period_start: get("period_start"),
        period_end: get("period_end"),
        code_prefix: get("code_prefix"),
        vendor_pattern: get("vendor_pattern"),
        fee_limit: get("fee_limit"),
        fee_waiver: get("fee_waiver"),
        followup_every: get("followup_every"),
    };
    let today = state.today();
    let outcome = match new_campaign(&v) {
        Ok(new) => with_db(&state, &s, move |conn| crate::ops::campaign::create(conn, &new, today)).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(c) => Ok(see_other(&format!("/campaigns/{}", c.slug))),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let mut res =
                render(&NewPage { chrome: Chrome::new(&s, "campaigns", &state), message: Some(e.message), v })?;
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// One campaign

/// The page's query string, every value as typed; checked by `parse_query`.
#[derive(Debug, Default, Deserialize)]
struct PageParams {
    status: Option<String>,
    state: Option<String>,
    kind: Option<String>,
    overdue: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    page: Option<String>,
    per: Option<String>,
    /// After adding agencies: how many were added and how many were there already.
    added: Option<String>,
    existed: Option<String>,
    /// After settling a message: its request and how it was settled.
    settled: Option<String>,
    #[serde(rename = "as")]
    settled_as: Option<String>,
}

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn parse_filter(
    conn: &rusqlite::Connection,
    status: Option<&str>,
    state: Option<&str>,
    kind: Option<&str>,
    overdue: Option<&str>,
) -> crate::Result<RowFilter> {
    Ok(RowFilter {
        status: status.map(str::parse::<Status>).transpose()?,
        state: state.map(|s| crate::store::law::code(conn, s)).transpose()?,
        kind: kind.map(str::parse::<Kind>).transpose()?,
        overdue: matches!(overdue, Some("1" | "on" | "true" | "yes")),
    })
}

fn parse_order(sort: Option<&str>, dir: Option<&str>) -> crate::Result<Order> {
    let key = sort.map(SortKey::parse).transpose()?.unwrap_or_default();
    let desc = match dir {
        None => key.default_desc(),
        Some("asc") => false,
        Some("desc") => true,
        Some(other) => return Err(crate::Error::invalid(format!("sort direction '{other}' is not asc or desc"))),
    };
    Ok(Order { key, desc })
}

fn parse_number(v: Option<&str>, what: &str, default: u32, max: u32) -> crate::Result<u32> {
    match v {
        None => Ok(default),
        Some(s) => match s.parse::<u32>() {
            Ok(n) if n >= 1 && n <= max => Ok(n),
            _ => Err(crate::Error::invalid(format!("{what} '{s}' is not a number from 1 to {max}"))),
        },
    }
}

fn parse_query(conn: &rusqlite::Connection, p: &PageParams) -> crate::Result<RowQuery> {
    Ok(RowQuery {
        filter: parse_filter(conn, nonempty(&p.status), nonempty(&p.state), nonempty(&p.kind), nonempty(&p.overdue))?,
        order: parse_order(nonempty(&p.sort), nonempty(&p.dir))?,
        page: parse_number(nonempty(&p.page), "page", 1, u32::MAX)?,
        per_page: parse_number(nonempty(&p.per), "rows per page", PER_PAGE, MAX_PER_PAGE)?,
    })
}

/// The query string for a query (defaults left out), with a leading `?` when not empty.
fn query_string(q: &RowQuery) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if let Some(s) = q.filter.status {
        pairs.push(("status", s.as_str().into()));
    }
    if let Some(s) = &q.filter.state {
        pairs.push(("state", s.clone()));
    }
    if let Some(k) = q.filter.kind {
        pairs.push(("kind", k.as_str().into()));
    }
    if q.filter.overdue {
        pairs.push(("overdue", "1".into()));
    }
    if q.order != Order::default() {
        pairs.push(("sort", q.order.key.as_str().into()));
        pairs.push(("dir", if q.order.desc { "desc" } else { "asc" }.into()));
    }
    if q.page != 1 {
        pairs.push(("page", q.page.to_string()));
    }
    if q.per_page != PER_PAGE {
        pairs.push(("per", q.per_page.to_string()));
    }
    if pairs.is_empty() {
        return String::new();
    }
    format!("?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
}

/// A part of the status bar.
struct Segment {
    status: &'static str,
    count: i64,
    /// Width in percent, e.g. "12.5".
    width: String,
    color: &'static str,
    href: String,
}

fn color(s: Status) -> &'static str {
    match s {
        Status::Draft => "#b9b9b4",
        Status::AwaitingAck => "#9cc3e8",
        Status::AwaitingResponse => "#3f7fc0",
        Status::FixRequired => "#e8a33d",
        Status::PaymentRequired => "#d98324",
        Status::Appealing => "#8a5cb8",
        Status::Partial => "#3aa39a",
        Status::Completed => "#2e8540",
        Status::Rejected => "#c0392b",
        Status::NoRecords => "#8c6d4f",
        Status::Withdrawn => "#666666",
    }
}

/// A sortable column heading.
struct Heading {
    label: &'static str,
    /// The link that sorts by this column (the other way when it is the current sort).
    href: String,
    /// `ascending` / `descending` on the current sort column, else empty.
    aria_sort: &'static str,
}

/// An option of a select, with whether it is chosen.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// A batch as listed on its campaign's page.
struct BatchLine {
    id: String,
    what: String,
    started_by: String,
    state: String,
}

#[derive(Template)]
#[template(path = "web/campaign.html")]
struct CampaignPage {
    chrome: Chrome,
    c: Campaign,
    summary: Summary,
    segments: Vec<Segment>,
    bar_label: String,
    rows: Vec<Row>,
    matched: i64,
    page: u32,
    pages: u32,
    first_shown: i64,
    last_shown: i64,
    headings: Vec<(&'static str, Heading)>,
    first_href: Option<String>,
    prev_href: Option<String>,
    next_href: Option<String>,
    last_href: Option<String>,
    csv_href: String,
    statuses: Vec<Choice>,
    states: Vec<Choice>,
    kinds: Vec<Choice>,
    per_options: Vec<Choice>,
    overdue: bool,
    filtered: bool,
    /// The current filter and order, for the bulk form's "all matching".
    hidden: Vec<(&'static str, String)>,
    drafts_email: i64,
    drafts_hand: i64,
    batches: Vec<BatchLine>,
    unsettled: Vec<Pending>,
    message: Option<String>,
    event_kinds: Vec<&'static str>,
    vias: Vec<&'static str>,
}

const COLUMNS: &[(&str, &str)] = &[
    ("code", "Request"),
    ("agency", "Agency"),
    ("state", "State"),
    ("channel", "Channel"),
    ("status", "Status"),
    ("sent", "Sent"),
    ("due", "Due"),
    ("overdue", "Business days overdue"),
    ("last_in", "Last in"),
    ("last_out", "Last out"),
    ("reference", "Agency ref."),
    ("fee", "Fee"),
];

struct Loaded {
    c: Campaign,
    q: RowQuery,
    summary: Summary,
    page: cp::Page,
    states: Vec<String>,
    drafts: (i64, i64),
    unsettled: Vec<Pending>,
}

/// Messages left `sending` among one campaign's requests.
fn unsettled_in(conn: &rusqlite::Connection, c: &Campaign) -> crate::Result<Vec<Pending>> {
    cp::unsettled(conn, c.id)
}

async fn show(
    State(state): State<Arc<AppState>>,
    Signed(s): Signed,
    Path(slug): Path<String>,
    Query(p): Query<PageParams>,
) -> PageResult {
    let today = state.today();
    let (p, l) = read_db(&state, &s, move |conn| {
        let c = crate::store::campaign::get(conn, &slug)?;
        let q = parse_query(conn, &p)?;
        let summary = cp::summary(conn, c.id, today)?;
        let page = cp::page(conn, c.id, &q, &summary, today)?;
        let states = cp::state_codes(conn)?;
        let drafts = cp::draft_counts(conn, c.id)?;
        let unsettled = unsettled_in(conn, &c)?;
        Ok((p, Loaded { c, q, summary, page, states, drafts, unsettled }))
    })
    .await?;
    let Loaded { c, q, summary, page, states, drafts, unsettled } = l;
    let base = format!("/campaigns/{}", c.slug);
    let at = |n: u32| RowQuery { page: n, ..q.clone() };
    let total = summary.total.max(1) as f64;
    let segments: Vec<Segment> = summary
        .by_status
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(st, n)| Segment {
            status: st.as_str(),
            count: *n,
            width: format!("{:.2}", *n as f64 * 100.0 / total),
            color: color(*st),
            href: format!(
                "{base}{}",
                query_string(&RowQuery {
                    filter: RowFilter { status: Some(*st), ..Default::default() },
                    ..Default::default()
                })
            ),
        })
        .collect();
    let bar_label = if segments.is_empty() {
        "No requests yet".to_string()
    } else {
        segments.iter().map(|s| format!("{} {}", s.count, s.status)).collect::<Vec<_>>().join(", ")
    };
    let headings = COLUMNS
        .iter()
        .map(|(key, label)| {
            let k = SortKey::parse(key).expect("every column is a sort key");
            let current = q.order.key == k;
            let desc = if current { !q.order.desc } else { k.default_desc() };
            let href =
                format!("{base}{}", query_string(&RowQuery { order: Order { key: k, desc }, page: 1, ..q.clone() }));
            let aria_sort = match (current, q.order.desc) {
                (false, _) => "",
                (true, false) => "ascending",
                (true, true) => "descending",
            };
            (*key, Heading { label, href, aria_sort })
        })
        .collect();
    let link = |n: u32| Some(format!("{base}{}", query_string(&at(n))));
    let statuses =
        std::iter::once(Choice { value: String::new(), label: "any".into(), selected: q.filter.status.is_none() })
            .chain(Status::ALL.iter().map(|st| Choice {
                value: st.as_str().into(),
                label: format!("{} ({})", st.as_str(), summary.count(*st)),
                selected: q.filter.status == Some(*st),
            }))
            .collect();
    let states =
        std::iter::once(Choice { value: String::new(), label: "any".into(), selected: q.filter.state.is_none() })
            .chain(states.into_iter().map(|code| Choice {
                selected: q.filter.state.as_deref() == Some(code.as_str()),
                label: code.clone(),
                value: code,
            }))
            .collect();
    let kinds =
        std::iter::once(Choice { value: String::new(), label: "any".into(), selected: q.filter.kind.is_none() })
            .chain(Kind::ALL.iter().map(|k| Choice {
                value: k.as_str().into(),
                label: k.as_str().replace('_', " "),
                selected: q.filter.kind == Some(*k),
            }))
            .collect();
    let per_options = [25, 50, 100, 200, 500]
        .iter()
        .map(|n| Choice { value: n.to_string(), label: n.to_string(), selected: *n == page.per_page })
        .collect();
    let mut hidden: Vec<(&'static str, String)> = Vec::new();
    if let Some(st) = q.filter.status {
        hidden.push(("status", st.as_str().into()));
    }
    if let Some(st) = &q.filter.state {
        hidden.push(("state", st.clone()));
    }
    if let Some(k) = q.filter.kind {
        hidden.push(("kind", k.as_str().into()));
    }
    if q.filter.overdue {
        hidden.push(("overdue", "1".into()));
    }
    if q.order != Order::default() {
        hidden.push(("sort", q.order.key.as_str().into()));
        hidden.push(("dir", if q.order.desc { "desc" } else { "asc" }.into()));
    }
    let message = flash(&p);
    let first_shown = if page.rows.is_empty() { 0 } else { (page.page as i64 - 1) * page.per_page as i64 + 1 };
    let batches = registry::for_campaign(&c.slug)
        .into_iter()
        .map(|b| {
            let (done, failed, left) = b.counts();
            BatchLine {
                id: b.id.clone(),
                what: b.what.clone(),
                started_by: b.started_by.clone(),
                state: if left > 0 {
                    format!("running: {done} done, {failed} not done, {left} to go")
                } else {
                    format!("finished: {done} done, {failed} not done")
                },
            }
        })
        .collect();
    let csv_query = RowQuery { page: 1, per_page: PER_PAGE, ..q.clone() };
    render(&CampaignPage {
        chrome: Chrome::new(&s, "campaigns", &state),
        segments,
        bar_label,
        matched: page.matched,
        first_shown,
        last_shown: first_shown + page.rows.len() as i64 - if page.rows.is_empty() { 0 } else { 1 },
        first_href: (page.page > 1).then(|| link(1)).flatten(),
        prev_href: (page.page > 1).then(|| link(page.page - 1)).flatten(),
        next_href: (page.page < page.pages).then(|| link(page.page + 1)).flatten(),
        last_href: (page.page < page.pages).then(|| link(page.pages)).flatten(),
        csv_href: format!("{base}/requests.csv{}", query_string(&csv_query)),
        page: page.page,
        pages: page.pages,
        rows: page.rows,
        headings,
        statuses,
        states,
        kinds,
        per_options,
        overdue: q.filter.overdue,
        filtered: !q.filter.is_empty(),
        hidden,
        drafts_email: drafts.0,
        drafts_hand: drafts.1,
        batches,
        unsettled,
        message,
        event_kinds: EventKind::ALL.iter().filter(|k| **k != EventKind::Sent).map(|k| k.as_str()).collect(),
        vias: Via::ALL.iter().map(|v| v.as_str()).collect(),
        summary,
        c,
    })
}

/// The sentence a redirect asks the page to show, from its (checked) query values.
fn flash(p: &PageParams) -> Option<String> {
    let number = |v: &Option<String>| nonempty(v).and_then(|s| s.parse::<u64>().ok());
    if let (Some(added), Some(existed)) = (number(&p.added), number(&p.existed)) {
        return Some(format!(
            "Added {added} request{} as drafts ({existed} of the chosen agencies were in the campaign already).",
            if added == 1 { "" } else { "s" }
        ));
    }
    let code = nonempty(&p.settled).filter(|c| c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-'))?;
    match nonempty(&p.settled_as) {
        Some("sent") => Some(format!("{code}: the message was recorded as sent.")),
        Some("not-sent") => Some(format!("{code}: the message was recorded as not sent; it can be sent again.")),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// The CSV download, streamed

/// A response body fed by a channel: the CSV is written by a blocking thread as it reads rows.
struct ChannelBody(tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        self.0.poll_recv(cx).map(|chunk| chunk.map(|r| r.map(http_body::Frame::data)))
    }
}

/// Collects written bytes and hands them to the channel in chunks; fails once the client has
/// gone, which stops the rows being read.
struct ChunkWriter {
    buf: Vec<u8>,
    tx: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
}

const CHUNK: usize = 32 * 1024;

impl ChunkWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK + 1024)));
        self.tx.blocking_send(Ok(chunk)).map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
}

impl std::io::Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn download(
    State(state): State<Arc<AppState>>,
    Signed(s): Signed,
    Path(slug): Path<String>,
    Query(p): Query<PageParams>,
) -> PageResult {
    let today = state.today();
    // Everything that can be refused is checked before the download starts.
    let (c, q) = read_db(&state, &s, move |conn| {
        let c = crate::store::campaign::get(conn, &slug)?;
        let q = parse_query(conn, &p)?;
        Ok((c, q))
    })
    .await?;
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let st = state.clone();
    let user = s.user.clone();
    let campaign_id = c.id;
    tokio::task::spawn_blocking(move || {
        let err_tx = tx.clone();
        let result = (|| -> crate::Result<()> {
            let conn = st.open(&user)?;
            let mut w = csv::Writer::from_writer(ChunkWriter { buf: Vec::with_capacity(CHUNK + 1024), tx });
            let io = |e: csv::Error| crate::Error::Internal(format!("writing the CSV: {e}"));
            w.write_record(cp::CSV_COLUMNS).map_err(io)?;
            let mut failed = None;
            cp::each_row(&conn, campaign_id, &q.filter, q.order, today, |row| {
                let cells = cp::csv_record(&row).into_iter().map(|c| crate::views::render::csv_safe(&c));
                match w.write_record(cells) {
                    Ok(()) => true,
                    Err(e) => {
                        failed = Some(e);
                        false
                    }
                }
            })?;
            if let Some(e) = failed {
                return Err(io(e));
            }
            let mut inner = w.into_inner().map_err(|e| crate::Error::Internal(format!("writing the CSV: {e}")))?;
            inner.send().map_err(|e| crate::Error::Internal(format!("sending the CSV: {e}")))?;
            Ok(())
        })();
        if let Err(e) = result {
            // The status line has gone; cutting the download short is all that is left to say.
            let _ = err_tx.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
    });
    let filename = format!("{}-requests.csv", c.slug);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        Body::new(ChannelBody(rx)),
    )
        .into_response())
}

// ---------------------------------------------------------------------------------------------
// Adding agencies

async fn add_agencies(
    State(state): State<Arc<AppState>>,
    Signed(s): Signed,
    Path(slug): Path<String>,
    Posted(form): Posted<Fields>,
) -> PageResult {
    Signed(s.clone()).require(Role::Staff, "adding agencies to a campaign")?;
    let split = |name: &str| -> Vec<String> {
        fields(&form, name)
            .into_iter()
            .flat_map(|v| v.split(|c: char| c == ',' || c.is_whitespace()))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(String::from)
            .collect()
    };
    let kinds = fields(&form, "kind")
        .into_iter()
        .map(|k| k.parse::<Kind>().map_err(|e| invalid(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let sel = crate::ops::campaign::Selection {
        all: field(&form, "all").is_some(),
        states: split("states"),
        kinds,
        keys: split("agencies"),
    };
    if !sel.all && sel.states.is_empty() && sel.kinds.is_empty() && sel.keys.is_empty() {
        return Err(invalid("Choose the agencies to add: all of them, or by state, kind or key."));
    }
    let today = state.today();
    let (slug, r) = with_db(&state, &s, move |conn| {
        let r = crate::ops::campaign::add_agencies(conn, &slug, &sel, today)?;
        Ok((crate::store::campaign::get(conn, &slug)?.slug, r))
    })
    .await?;
    Ok(see_other(&format!("/campaigns/{slug}?added={}&existed={}", r.added, r.existed)))
}

// ---------------------------------------------------------------------------------------------
// Letter preview

#[derive(Debug, Default, Deserialize)]
struct LetterParams {
    code: Option<String>,
    kind: Option<String>,
}

#[derive(Template)]
#[template(path = "web/campaign_letters.html")]
struct LettersPage {
    chrome: Chrome,
    c: Campaign,
    kind: &'static str,
    kinds: Vec<Choice>,
    code: Option<String>,
    agency: String,
    letter: Option<Letter>,
    /// Why the letter cannot be shown (e.g. a follow-up on a request not sent yet).
    problem: Option<String>,
    prev_href: Option<String>,
    next_href: Option<String>,
    drafts_email: i64,
    drafts_hand: i64,
    from: Option<String>,
    mail_ready: bool,
    mail_problem: Option<String>,
}

/// What the preview shows, read in one go.
struct Preview {
    c: Campaign,
    code: Option<String>,
    agency: String,
    letter: Option<Letter>,
    problem: Option<String>,
    prev: Option<String>,
    next: Option<String>,
    drafts: (i64, i64),
    from: Option<String>,
}

fn letter_kind(s: Option<&str>) -> Result<LetterKind, PageError> {
    s.map(str::parse::<LetterKind>)
        .transpose()
        .map(|k| k.unwrap_or(LetterKind::Request))
        .map_err(|e| invalid(e.to_string()))
}

async fn letters(
    State(state): State<Arc<AppState>>,
    Signed(s): Signed,
    Path(slug): Path<String>,
    Query(p): Query<LetterParams>,
) -> PageResult {
    let kind = letter_kind(nonempty(&p.kind))?;
    let today = state.today();
    let l = read_db(&state, &s, move |conn| {
        let c = crate::store::campaign::get(conn, &slug)?;
        let drafts_only = kind == LetterKind::Request;
        let code = match nonempty(&p.code) {
            Some(code) => {
                let r = crate::store::request::find(conn, code)?;
                if r.campaign != c.slug {
                    return Err(crate::Error::NotFound { what: "request in this campaign", key: r.tracking_code });
                }
                Some(r.tracking_code)
            }
            None => match cp::first_code(conn, &c, drafts_only)? {
                Some(code) => Some(code),
                None => cp::first_code(conn, &c, false)?,
            },
        };
        let mut l = Preview {
            code: code.clone(),
            agency: String::new(),
            letter: None,
            problem: None,
            prev: None,
            next: None,
            drafts: cp::draft_counts(conn, c.id)?,
            from: sender_from(conn).ok().map(|s| s.from.to_string()),
            c,
        };
        if let Some(code) = &code {
            l.agency = crate::store::request::find(conn, code)?.agency_name;
            match crate::views::letter::letter(conn, code, kind, today) {
                Ok(letter) => l.letter = Some(letter),
                Err(e) => l.problem = Some(e.to_string()),
            }
            (l.prev, l.next) = cp::neighbours(conn, &l.c, code, drafts_only)?;
        }
        Ok(l)
    })
    .await?;
    let Preview { c, code, agency, letter, problem, prev, next, drafts, from } = l;
    let kind_name = kind.as_str();
    let href = |code: Option<String>| {
        code.map(|code| {
            format!(
                "/campaigns/{}/letters?{}",
                c.slug,
                serde_urlencoded::to_string([("code", code.as_str()), ("kind", kind_name)]).unwrap_or_default()
            )
        })
    };
    let mail_problem = mail_settings_problem();
    render(&LettersPage {
        chrome: Chrome::new(&s, "campaigns", &state),
        kind: kind_name,
        kinds: LetterKind::ALL
            .iter()
            .map(|k| Choice { value: k.as_str().into(), label: k.as_str().replace('-', " "), selected: *k == kind })
            .collect(),
        prev_href: href(prev),
        next_href: href(next),
        code,
        agency,
        letter,
        problem,
        drafts_email: drafts.0,
        drafts_hand: drafts.1,
        mail_ready: mail_problem.is_none() && from.is_some(),
        from,
        mail_problem,
        c,
    })
}

// ---------------------------------------------------------------------------------------------
// Mail settings: the same as the CLI's `send`

/// Who the mail is from: FOIATRACK_FROM, else the requester's email; replies go to
/// FOIATRACK_REPLY_TO when set.
fn sender_from(conn: &rusqlite::Connection) -> crate::Result<Sender> {
    let from = match std::env::var("FOIATRACK_FROM").ok().filter(|s| !s.trim().is_empty()) {
        Some(f) => f,
        None => crate::store::config::get(conn, "requester.email")?.ok_or_else(|| {
            crate::Error::invalid(
                "no From address: set requester.email in the settings, or start the server with FOIATRACK_FROM",
            )
        })?,
    };
    let reply_to = std::env::var("FOIATRACK_REPLY_TO").ok().filter(|s| !s.trim().is_empty());
    Sender::new(&from, reply_to.as_deref())
}

/// Why the server cannot send mail, if it cannot.
fn mail_settings_problem() -> Option<String> {
    match std::env::var("FOIATRACK_SMTP_URL") {
        Err(_) => Some(
            "This server has no mail settings: start `foiatrack serve` with FOIATRACK_SMTP_URL (and FOIATRACK_FROM, FOIATRACK_SMTP_PASSWORD as for `foiatrack send`)."
                .into(),
        ),
        Ok(url) => SmtpMailer::new(&url, std::env::var("FOIATRACK_SMTP_PASSWORD").ok().as_deref()).err().map(|e| e.to_string()),
    }
}

fn smtp_mailer() -> Result<SmtpMailer, PageError> {
    if let Some(problem) = mail_settings_problem() {
        return Err(invalid(problem));
    }
    let url = std::env::var("FOIATRACK_SMTP_URL").unwrap_or_default();
    Ok(SmtpMailer::new(&url, std::env::var("FOIATRACK_SMTP_PASSWORD").ok().as_deref())?)
}

// ---------------------------------------------------------------------------------------------
// Batches

/// Where one request of a batch stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Waiting,
    Working,
    /// Sent, or logged: what happened.
    Done(String),
    /// The mail server refused it: its answer.
    Failed(String),
    /// Not attempted, or refused before the server: why.
    Refused(String),
}

#[derive(Debug, Clone)]
struct Item {
    code: String,
    outcome: Outcome,
}

#[derive(Debug, Default)]
struct Progress {
    items: Vec<Item>,
    finished: bool,
    /// Why the batch stopped early, if it did.
    stopped: Option<String>,
}

/// A batch: requests worked through one by one on the server.
pub struct Batch {
    id: String,
    slug: String,
    what: String,
    /// Letters go out (as opposed to events being logged).
    sends: bool,
    started_by: String,
    started_on: NaiveDate,
    /// Messages left `sending` by an earlier run: reported, never sent again.
    unsettled: Vec<Pending>,
    /// Drafts without an email address: to send by mail or portal.
    by_hand: Vec<String>,
    progress: Mutex<Progress>,
}

impl Batch {
    fn lock(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, i: usize, o: Outcome) {
        self.lock().items[i].outcome = o;
    }

    /// (done, not done, still to go).
    fn counts(&self) -> (usize, usize, usize) {
        let p = self.lock();
        let mut c = (0, 0, 0);
        for i in &p.items {
            match i.outcome {
                Outcome::Done(_) => c.0 += 1,
                Outcome::Failed(_) | Outcome::Refused(_) => c.1 += 1,
                Outcome::Waiting | Outcome::Working => c.2 += 1,
            }
        }
        c
    }

    fn finish(&self, stopped: Option<String>) {
        let mut p = self.lock();
        if let Some(why) = &stopped {
            for i in p.items.iter_mut() {
                if matches!(i.outcome, Outcome::Waiting | Outcome::Working) {
                    i.outcome = Outcome::Refused(format!("not attempted: the batch stopped ({why})"));
                }
            }
        }
        p.stopped = stopped;
        p.finished = true;
    }
}

/// The batches this server has run, newest last; the oldest finished ones are forgotten.
mod registry {
    use super::*;

    const KEEP: usize = 100;

    fn all() -> &'static Mutex<VecDeque<Arc<Batch>>> {
        static BATCHES: OnceLock<Mutex<VecDeque<Arc<Batch>>>> = OnceLock::new();
        BATCHES.get_or_init(|| Mutex::new(VecDeque::new()))
    }

    fn lock() -> std::sync::MutexGuard<'static, VecDeque<Arc<Batch>>> {
        all().lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a batch, unless one sending letters for the same campaign is still running: then
    /// that one's id.
    pub fn add(b: Arc<Batch>) -> Result<(), String> {
        let mut all = lock();
        if b.sends
            && let Some(running) = all.iter().find(|o| o.sends && o.slug == b.slug && !o.lock().finished)
        {
            return Err(running.id.clone());
        }
        all.push_back(b);
        while all.len() > KEEP {
            match all.iter().position(|o| o.lock().finished) {
                Some(i) => {
                    all.remove(i);
                }
                None => break,
            }
        }
        Ok(())
    }

    pub fn find(id: &str) -> Option<Arc<Batch>> {
        lock().iter().find(|b| b.id == id).cloned()
    }

    /// A campaign's batches, newest first, at most ten.
    pub fn for_campaign(slug: &str) -> Vec<Arc<Batch>> {
        lock().iter().rev().filter(|b| b.slug == slug).take(10).cloned().collect()
    }
}

/// What a batch does to each request.
enum Job {
    Send { kind: LetterKind, mailer: Box<SmtpMailer>, sender: Sender },
    Log(NewEvent),
}

/// An error about one request, without the tracking code it starts with (shown beside it).
fn reason(code: &str, e: &crate::Error) -> String {
    let text = e.to_string();
    text.strip_prefix(code).and_then(|t| t.strip_prefix(": ")).map(String::from).unwrap_or(text)
}

fn work_through(state: &AppState, user: &str, batch: &Batch, job: &mut Job, today: NaiveDate) -> crate::Result<()> {
    let mut conn = state.open(user)?;
    let n = batch.lock().items.len();
    for i in 0..n {
        let code = {
            let mut p = batch.lock();
            if p.items[i].outcome != Outcome::Waiting {
                continue;
            }
            p.items[i].outcome = Outcome::Working;
            p.items[i].code.clone()
        };
        let outcome = match job {
            Job::Send { kind, mailer, sender } => {
                let sent = crate::views::letter::letter(&conn, &code, *kind, today).and_then(|l| {
                    crate::ops::send::send(&mut conn, &l, mailer.as_mut() as &mut dyn Mailer, sender, today)
                });
                match sent {
                    Ok(o) => match o.error {
                        None => Outcome::Done(format!("{} letter sent to {}", o.letter, o.to)),
                        Some(answer) => Outcome::Failed(format!("the mail server refused it: {answer}")),
                    },
                    Err(e) => Outcome::Refused(reason(&code, &e)),
                }
            }
            Job::Log(e) => match crate::ops::request::log(&mut conn, &code, e, today) {
                Ok(l) if l.status_before == l.status_after => {
                    Outcome::Done(format!("{} logged; still {}", l.event, l.status_after))
                }
                Ok(l) => Outcome::Done(format!("{} logged: {} → {}", l.event, l.status_before, l.status_after)),
                Err(e) => Outcome::Refused(reason(&code, &e)),
            },
        };
        batch.set(i, outcome);
    }
    Ok(())
}

/// Starts a batch in its own thread and returns where its progress is shown.
fn start(state: &Arc<AppState>, user: &str, batch: Batch, mut job: Job) -> Result<String, PageError> {
    let batch = Arc::new(batch);
    if let Err(running) = registry::add(batch.clone()) {
        return Err(PageError::new(
            StatusCode::CONFLICT,
            format!(
                "Letters of this campaign are being sent already; wait for that batch to finish (/batches/{running})."
            ),
        ));
    }
    let (st, user, b) = (state.clone(), user.to_string(), batch.clone());
    let today = batch.started_on;
    let spawned = std::thread::Builder::new().name(format!("batch-{}", &batch.id[..8])).spawn(move || {
        let run = std::panic::catch_unwind(AssertUnwindSafe(|| work_through(&st, &user, &b, &mut job, today)));
        b.finish(match run {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some("internal error (a bug in foiatrack)".into()),
        });
    });
    if let Err(e) = spawned {
        batch.finish(Some(format!("the server could not start it: {e}")));
    }
    Ok(format!("/batches/{}", batch.id))
}

fn new_batch(slug: &str, what: String, sends: bool, user: &str, today: NaiveDate, codes: Vec<Item>) -> Batch {
    Batch {
        id: uuid::Uuid::new_v4().simple().to_string(),
        slug: slug.to_string(),
        what,
        sends,
        started_by: user.to_string(),
        started_on: today,
        unsettled: Vec::new(),
        by_hand: Vec::new(),
        progress: Mutex::new(Progress { items: codes, finished: false, stopped: None }),
    }
}

fn waiting(code: String) -> Item {
    Item { code, outcome: Outcome::Waiting }
}

/// Request letters for the drafts named (or every draft of the campaign): those with an email
/// address are sent; the others, and messages left `sending`, are reported.
fn plan_request_letters(
    conn: &rusqlite::Connection,
    c: &Campaign,
    codes: &[String],
) -> crate::Result<(Vec<Item>, Vec<String>, Vec<Pending>)> {
    let plan = if codes.is_empty() {
        crate::views::send::plan(conn, &[], Some(&c.slug))?
    } else {
        crate::views::send::plan(conn, codes, None)?
    };
    let unsettled: Vec<Pending> = unsettled_in(conn, c)?;
    let mut items: Vec<Item> = plan.by_email.into_iter().map(waiting).collect();
    for (code, why) in plan.skipped {
        items.push(Item { code, outcome: Outcome::Refused(format!("not a draft: {why}")) });
    }
    for p in &unsettled {
        if codes.is_empty() || codes.contains(&p.tracking_code) {
            items.push(Item {
                code: p.tracking_code.clone(),
                outcome: Outcome::Refused(format!(
                    "a {} message from {} is still marked 'sending' (the server stopped while sending it): not sent again; settle it below",
                    p.letter, p.created_on
                )),
            });
        }
    }
    let by_hand =
        if codes.is_empty() { plan.by_hand } else { plan.by_hand.into_iter().filter(|c| codes.contains(c)).collect() };
    for code in &by_hand {
        items.push(Item {
            code: code.clone(),
            outcome: Outcome::Refused("the agency has no email address: send it by mail or through its portal".into()),
        });
    }
    Ok((items, by_hand, unsettled))
}

async fn send_drafts(
    State(state): State<Arc<AppState>>,
    Signed(s): Signed,
    Path(slug): Path<String>,
    Posted(_form): Posted<Fields>,
) -> PageResult {
    Signed(s.clone()).require(Role::Staff, "sending letters")?;
    let mailer = smtp_mailer()?;
    let today = state.today();
    let (c, sender, plan) = with_db(&state, &s, move |conn| {
        let c = crate::store::campaign::get(conn, &slug)?;
        let sender = sender_from(conn)?;
        let plan = plan_request_letters(conn, &c, &[])?;
        Ok((c, sender, plan))
    })
    .await?;
    let (items, by_hand, unsettled) = plan;
    if !items.iter().any(|i| i.outcome == Outcome::Waiting) && unsettled.is_empty() {
        return Err(invalid(format!(
            "No draft request of {} is waiting to be sent by email{}.",
            c.slug,
            if by_hand.is_empty() { String::new() } else { format!(" ({} go by mail or portal)", by_hand.len()) }
        )));
    }
    let mut b = new_batch(&c.slug, "Request letters by email".into(), true, &s.user, today, items);
    b.unsettled = unsettled;
    b.by_hand = by_hand;
    let to = start(&state, &s.user, b, Job::Send { kind: LetterKind::Request, mailer: Box::new(mailer), sender })?;
    Ok(see_other(&to))
}

/// The event the bulk form describes.
fn bulk_event(form: &Fields, today: NaiveDate) -> Result<NewEvent, PageError> {
    let kind: EventKind = field(form, "event")
        .ok_or_else(|| invalid("Choose the event to log."))?
        .parse()
        .map_err(|e: crate::Error| invalid(e.to_string()))?;
    let mut e = NewEvent::new(kind, optional_date(field(form, "on").unwrap_or(""), "Date")?.unwrap_or(today));
    e.note = field(form, "note").map(String::from);
    e.reference = field(form, "reference").map(String::from);
    e.via = field(form, "via").map(str::parse::<Via>).transpose().map_err(|e| invalid(e.to_string()))?;
    e.days = field(form, "days")
        .map(|d| d.parse::<u32>().map_err(|_| invalid(format!("Days: '{d}' is not a number of days"))))
        .transpose()?;
    e.until = optional_date(field(form, "until").unwrap_or(""), "Until")?;
    e.amount_cents = field(form, "amount")
        .map(|a| crate::core::money::parse_cents(a).map_err(|e| invalid(format!("Amount: {e}"))))
        .transpose()?;
    Ok(e)
}

async fn bulk(
    State(state): State<Arc<AppState>>,
    Signed(s): Signed,
    Path(slug): Path<String>,
    Posted(form): Posted<Fields>,
) -> PageResult {
    Signed(s.clone()).require(Role::Staff, "acting on a campaign's requests")?;
    let action = field(&form, "action").unwrap_or("").to_string();
    if !matches!(action.as_str(), "log" | "followup" | "send") {
        return Err(invalid("Choose what to do with the selected requests."));
    }
    let today = state.today();
    let event = if action == "log" { Some(bulk_event(&form, today)?) } else { None };
    let mailer = if action == "log" { None } else { Some(smtp_mailer()?) };
    let ticked: Vec<String> = fields(&form, "code").into_iter().map(|c| c.to_ascii_uppercase()).collect();
    let all_matching = field(&form, "all_matching").is_some();
    if ticked.is_empty() && !all_matching {
        return Err(invalid("Tick at least one request, or choose all the requests matching the filter."));
    }
    let form2 = form.clone();
    let act = action.clone();
    let (c, codes, strangers, sender, plan) = with_db(&state, &s, move |conn| {
        let c = crate::store::campaign::get(conn, &slug)?;
        let mut codes = if all_matching {
            let filter = parse_filter(
                conn,
                field(&form2, "status"),
                field(&form2, "state"),
                field(&form2, "kind"),
                field(&form2, "overdue"),
            )?;
            let order = parse_order(field(&form2, "sort"), field(&form2, "dir"))?;
            cp::codes(conn, c.id, &filter, order, today)?
        } else {
            ticked
        };
        let mut seen = std::collections::HashSet::new();
        codes.retain(|c| seen.insert(c.clone()));
        // Only this campaign's requests; any other code is named, not acted on.
        let mut strangers = Vec::new();
        let mut mine = Vec::new();
        for code in codes {
            match crate::store::request::find(conn, &code) {
                Ok(r) if r.campaign == c.slug => mine.push(r.tracking_code),
                _ => strangers.push(code),
            }
        }
        let sender = if act == "log" { None } else { Some(sender_from(conn)?) };
        let plan = if act == "send" { Some(plan_request_letters(conn, &c, &mine)?) } else { None };
        Ok((c, mine, strangers, sender, plan))
    })
    .await?;
    let stranger_items = strangers
        .into_iter()
        .map(|code| Item { code, outcome: Outcome::Refused("not a request of this campaign".into()) });
    let user = s.user.clone();
    let to = match (action.as_str(), event, mailer, sender, plan) {
        ("log", Some(e), _, _, _) => {
            let items = codes.into_iter().map(waiting).chain(stranger_items).collect();
            let b = new_batch(&c.slug, format!("Log '{}' on {}", e.kind, e.on), false, &user, today, items);
            start(&state, &user, b, Job::Log(e))?
        }
        ("followup", _, Some(mailer), Some(sender), _) => {
            let items = codes.into_iter().map(waiting).chain(stranger_items).collect();
            let b = new_batch(&c.slug, "Follow-up letters by email".into(), true, &user, today, items);
            start(&state, &user, b, Job::Send { kind: LetterKind::Followup, mailer: Box::new(mailer), sender })?
        }
        ("send", _, Some(mailer), Some(sender), Some((items, by_hand, unsettled))) => {
            let items = items.into_iter().chain(stranger_items).collect();
            let mut b = new_batch(&c.slug, "Request letters by email".into(), true, &user, today, items);
            b.by_hand = by_hand;
            b.unsettled = unsettled.into_iter().filter(|p| codes.contains(&p.tracking_code)).collect();
            start(&state, &user, b, Job::Send { kind: LetterKind::Request, mailer: Box::new(mailer), sender })?
        }
        _ => return Err(PageError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error (a bug in foiatrack)")),
    };
    Ok(see_other(&to))
}

/// "Send all" on the home page: the follow-ups listed there, across campaigns, as one batch.
/// Each code is checked again when its turn comes (a request answered meanwhile is refused with
/// the reason), and the database refuses a second follow-up on one day, so a double click or a
/// campaign batch running at the same time never sends one twice.
async fn send_followups_due(
    State(state): State<Arc<AppState>>,
    Signed(s): Signed,
    Posted(form): Posted<Fields>,
) -> PageResult {
    Signed(s.clone()).require(Role::Staff, "sending follow-ups")?;
    let mut codes: Vec<String> = fields(&form, "code").into_iter().map(|c| c.trim().to_ascii_uppercase()).collect();
    let mut seen = std::collections::HashSet::new();
    codes.retain(|c| !c.is_empty() && seen.insert(c.clone()));
    if codes.is_empty() {
        return Err(invalid("No follow-ups are due: nothing to send."));
    }
    let mailer = smtp_mailer()?;
    let today = state.today();
    let sender = with_db(&state, &s, |conn| sender_from(conn)).await?;
    let user = s.user.clone();
    let b = new_batch("", "Follow-up letters due".into(), true, &user, today, codes.into_iter().map(waiting).collect());
    let to = start(&state, &user, b, Job::Send { kind: LetterKind::Followup, mailer: Box::new(mailer), sender })?;
    Ok(see_other(&to))
}

async fn settle(
    State(state): State<Arc<AppState>>,
    Signed(s): Signed,
    Path(slug): Path<String>,
    Posted(form): Posted<Fields>,
) -> PageResult {
    Signed(s.clone()).require(Role::Staff, "settling a message")?;
    let code = field(&form, "code").ok_or_else(|| invalid("Say which request's message to settle."))?.to_string();
    let was_sent = match field(&form, "outcome") {
        Some("sent") => true,
        Some("not-sent") => false,
        _ => return Err(invalid("Say whether the message went out (sent) or not (not sent).")),
    };
    let today = state.today();
    let (slug, code) = with_db(&state, &s, move |conn| {
        let c = crate::store::campaign::get(conn, &slug)?;
        let r = crate::store::request::find(conn, &code)?;
        if r.campaign != c.slug {
            return Err(crate::Error::NotFound { what: "request in this campaign", key: r.tracking_code });
        }
        crate::ops::send::resolve(conn, &r.tracking_code, was_sent, today)?;
        Ok((c.slug, r.tracking_code))
    })
    .await?;
    Ok(see_other(&format!("/campaigns/{slug}?settled={code}&as={}", if was_sent { "sent" } else { "not-sent" })))
}

// ---------------------------------------------------------------------------------------------
// A batch's progress

/// A request of a batch as shown.
struct ItemLine {
    code: String,
    outcome: &'static str,
    detail: String,
}

#[derive(Template)]
#[template(path = "web/batch.html")]
struct BatchPage {
    chrome: Chrome,
    id: String,
    slug: String,
    what: String,
    sends: bool,
    started_by: String,
    started_on: String,
    finished: bool,
    stopped: Option<String>,
    done: usize,
    not_done: usize,
    remaining: usize,
    total: usize,
    problems: Vec<ItemLine>,
    current: Option<String>,
    done_lines: Vec<ItemLine>,
    done_hidden: usize,
    unsettled: Vec<Pending>,
    by_hand: usize,
}

/// Lines of finished requests shown; the rest are counted.
const DONE_SHOWN: usize = 200;

async fn batch_page(State(state): State<Arc<AppState>>, Signed(s): Signed, Path(id): Path<String>) -> PageResult {
    let b = registry::find(&id).ok_or_else(|| {
        PageError::not_found("This batch (the server keeps the last hundred it ran since it started)")
    })?;
    let (done, not_done, remaining) = b.counts();
    let p = b.lock();
    let mut problems = Vec::new();
    let mut done_lines = Vec::new();
    let mut current = None;
    for i in &p.items {
        match &i.outcome {
            Outcome::Done(d) => done_lines.push(ItemLine { code: i.code.clone(), outcome: "done", detail: d.clone() }),
            Outcome::Failed(d) => {
                problems.push(ItemLine { code: i.code.clone(), outcome: "failed", detail: d.clone() })
            }
            Outcome::Refused(d) => {
                problems.push(ItemLine { code: i.code.clone(), outcome: "not done", detail: d.clone() })
            }
            Outcome::Working => current = Some(i.code.clone()),
            Outcome::Waiting => {}
        }
    }
    let done_hidden = done_lines.len().saturating_sub(DONE_SHOWN);
    let done_lines = done_lines.split_off(done_hidden);
    let page = BatchPage {
        chrome: Chrome::new(&s, "campaigns", &state),
        id: b.id.clone(),
        slug: b.slug.clone(),
        what: b.what.clone(),
        sends: b.sends,
        started_by: b.started_by.clone(),
        started_on: b.started_on.to_string(),
        finished: p.finished,
        stopped: p.stopped.clone(),
        done,
        not_done,
        remaining,
        total: p.items.len(),
        problems,
        current,
        done_lines,
        done_hidden,
        unsettled: b.unsettled.clone(),
        by_hand: b.by_hand.len(),
    };
    drop(p);
    render(&page)
}
