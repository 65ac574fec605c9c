//! The reports screen: the findings report (responses and spending) shown inside the page, the
//! same report as its own self-contained HTML document at its own URL, and downloads: the
//! reports as CSV, JSON and Markdown, the exports (`foiatrack export`) as CSV and JSON, and the
//! deadlines as an iCalendar file. Every download is an attachment with its content type.
//!
//! The page shows the report's sections with our layout rather than framing the document: the
//! pages forbid framing (`frame-ancestors 'none'`), and the sections are the same structs the
//! document renders (`views::render`), so the figures are the same.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::store::campaign::Campaign;
use crate::views::render::{self, Document, Section};
use crate::views::{export, report};
use crate::web::auth::Signed;
use crate::web::page::{Chrome, PageError, PageResult, render, with_db};
use crate::web::state::AppState;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/reports", get(show))
        .route("/reports/{file}", get(report_file))
        .route("/exports/{file}", get(export_file))
}

#[derive(Deserialize, Default, Clone)]
struct ReportQuery {
    campaign: Option<String>,
    year: Option<String>,
    download: Option<String>,
}

impl ReportQuery {
    fn campaign(&self) -> Option<String> {
        self.campaign.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(String::from)
    }

    fn year(&self) -> Result<Option<i32>, PageError> {
        match self.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
            None => Ok(None),
            Some(y) => y.parse::<i32>().ok().filter(|y| (1900..=2199).contains(y)).map(Some).ok_or_else(|| {
                PageError::new(StatusCode::UNPROCESSABLE_ENTITY, "Give the spending year as a year from 1900 to 2199.")
            }),
        }
    }

    /// The query string that selects the same report (for the download links).
    fn query(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(c) = self.campaign() {
            pairs.push(("campaign", c));
        }
        if let Some(y) = self.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
            pairs.push(("year", y.to_string()));
        }
        if pairs.is_empty() {
            String::new()
        } else {
            format!("?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
        }
    }
}

/// One download offered on the page.
struct Link {
    href: String,
    label: &'static str,
}

#[derive(Template)]
#[template(path = "web/report.html")]
struct ReportPage {
    chrome: Chrome,
    campaigns: Vec<Campaign>,
    campaign: String,
    year: String,
    title: String,
    records: Option<String>,
    generated_on: String,
    sections: Vec<Section>,
    document: String,
    reports: Vec<Link>,
    exports: Vec<Link>,
}

async fn show(State(state): State<Arc<AppState>>, Signed(s): Signed, Query(q): Query<ReportQuery>) -> PageResult {
    let today = state.today();
    let (campaign, year) = (q.campaign(), q.year()?);
    let c = campaign.clone();
    let (campaigns, r, sp) = with_db(&state, &s, move |conn| {
        let campaigns = crate::store::campaign::list(conn)?;
        let r = report::responses(conn, c.as_deref(), today)?;
        let sp = report::spending(conn, c.as_deref(), year, today)?;
        Ok((campaigns, r, sp))
    })
    .await?;
    let qs = q.query();
    let link = |base: &str, file: &str, label: &'static str| Link { href: format!("/{base}/{file}{qs}"), label };
    // The HTML file link downloads it (`download=1`); the document link opens it as a page.
    let html_file = Link {
        href: format!(
            "/reports/findings.html{}download=1",
            if qs.is_empty() { "?".to_string() } else { format!("{qs}&") }
        ),
        label: "Whole report, HTML file",
    };
    let page = ReportPage {
        chrome: Chrome::new(&s, "reports", &state),
        campaigns,
        campaign: campaign.unwrap_or_default(),
        year: q.year.clone().unwrap_or_default().trim().to_string(),
        title: render::report_title(r.title.as_deref(), "findings"),
        records: r.records.clone(),
        generated_on: r.generated_on.to_string(),
        sections: vec![shortened(render::responses_section(&r)), shortened(render::spending_section(&sp))],
        document: format!("/reports/findings.html{qs}"),
        reports: vec![
            html_file,
            link("reports", "findings.md", "Whole report, Markdown"),
            link("reports", "findings.json", "Whole report, JSON"),
            link("reports", "responses.csv", "Responses, CSV"),
            link("reports", "responses.json", "Responses, JSON"),
            link("reports", "responses.md", "Responses, Markdown"),
            link("reports", "spending.csv", "Spending, CSV"),
            link("reports", "spending.json", "Spending, JSON"),
            link("reports", "spending.md", "Spending, Markdown"),
        ],
        exports: vec![
            link("exports", "requests.csv", "Requests, CSV"),
            link("exports", "requests.json", "Requests, JSON"),
            link("exports", "events.csv", "Events (with who logged them), CSV"),
            link("exports", "events.json", "Events (with who logged them), JSON"),
            link("exports", "communications.csv", "Letters and replies, CSV"),
            link("exports", "communications.json", "Letters and replies, JSON"),
            link("exports", "spending.csv", "Spending rows, CSV"),
            link("exports", "spending.json", "Spending rows, JSON"),
            link("exports", "agencies.csv", "Agencies, CSV"),
            link("exports", "agencies.json", "Agencies, JSON"),
            link("exports", "calendar.ics", "Due dates and follow-ups, iCalendar"),
        ],
    };
    render(&page)
}

/// Rows of one table shown in the page: a campaign over a million requests has a hundred thousand
/// agencies that never answered, and a page of tens of megabytes helps nobody. The downloads and
/// the report's own page list every row.
const PAGE_TABLE_ROWS: usize = 200;

/// The section with each longer table cut to [`PAGE_TABLE_ROWS`], and a note saying so.
fn shortened(mut section: Section) -> Section {
    for t in &mut section.tables {
        let n = t.rows.len();
        if n > PAGE_TABLE_ROWS {
            t.rows.truncate(PAGE_TABLE_ROWS);
            section.notes.push(format!(
                "{}: the first {PAGE_TABLE_ROWS} of {n} rows are shown here; the downloads and the report as its own page list them all.",
                t.title
            ));
        }
    }
    section
}

const CSV: &str = "text/csv; charset=utf-8";
const JSON: &str = "application/json";
const MARKDOWN: &str = "text/markdown; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";
const ICS: &str = "text/calendar; charset=utf-8";

/// A file to save, named after the campaign.
fn attachment(body: String, content_type: &'static str, campaign: Option<&str>, name: &str) -> Response {
    let scope: String = campaign
        .unwrap_or("all")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c.to_ascii_lowercase() } else { '-' })
        .collect();
    let disposition = format!("attachment; filename=\"foiatrack-{scope}-{name}\"");
    ([(header::CONTENT_TYPE, content_type.to_string()), (header::CONTENT_DISPOSITION, disposition)], body)
        .into_response()
}

fn internal(e: impl std::fmt::Display) -> PageError {
    PageError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("internal error (a bug in foiatrack): {e}"))
}

fn json(v: &impl serde::Serialize) -> Result<String, PageError> {
    serde_json::to_string_pretty(v).map(|s| s + "\n").map_err(internal)
}

async fn report_file(
    State(state): State<Arc<AppState>>,
    Signed(s): Signed,
    Path(file): Path<String>,
    Query(q): Query<ReportQuery>,
) -> PageResult {
    let Some((what, ext)) = file.split_once('.') else { return Err(PageError::not_found("That report")) };
    let (what, ext) = (what.to_string(), ext.to_string());
    let known = matches!(
        (what.as_str(), ext.as_str()),
        ("responses" | "spending", "csv" | "json" | "md") | ("findings", "html" | "json" | "md")
    );
    if !known {
        return Err(PageError::not_found("That report"));
    }
    let today = state.today();
    let (campaign, year) = (q.campaign(), q.year()?);
    let c = campaign.clone();
    let (r, sp) = with_db(&state, &s, move |conn| {
        let r = report::responses(conn, c.as_deref(), today)?;
        let sp = report::spending(conn, c.as_deref(), year, today)?;
        Ok((r, sp))
    })
    .await?;
    let doc = |d| match what.as_str() {
        "responses" => render::responses_document(&r, d),
        "spending" => render::spending_document(&sp, d),
        _ => render::findings_document(&r, &sp, d),
    };
    let (body, content_type) = match (what.as_str(), ext.as_str()) {
        (_, "md") => (doc(Document::Markdown).map_err(internal)?, MARKDOWN),
        (_, "html") => (doc(Document::Html).map_err(internal)?, HTML),
        ("responses", "csv") => (render::responses_csv(&r), CSV),
        ("spending", "csv") => (render::spending_csv(&sp), CSV),
        ("responses", _) => (json(&r)?, JSON),
        ("spending", _) => (json(&sp)?, JSON),
        _ => (json(&serde_json::json!({"responses": r, "spending": sp}))?, JSON),
    };
    if ext == "html" && q.download.is_none() {
        // The document on its own page: its inline styles are allowed, it has no script.
        return Ok(([(header::CONTENT_TYPE, HTML)], body).into_response());
    }
    Ok(attachment(body, content_type, campaign.as_deref(), &file))
}

async fn export_file(
    State(state): State<Arc<AppState>>,
    Signed(s): Signed,
    Path(file): Path<String>,
    Query(q): Query<ReportQuery>,
) -> PageResult {
    let Some((what, ext)) = file.split_once('.') else { return Err(PageError::not_found("That export")) };
    let known = match ext {
        "ics" => what == "calendar",
        "csv" | "json" => export::KINDS.contains(&what),
        _ => false,
    };
    if !known {
        return Err(PageError::not_found("That export"));
    }
    let (what, ext) = (what.to_string(), ext.to_string());
    let today = state.today();
    let campaign = q.campaign();
    let c = campaign.clone();
    let w = what.clone();
    if ext == "ics" {
        let ics = with_db(&state, &s, move |conn| export::calendar(conn, c.as_deref(), today)).await?;
        return Ok(attachment(ics, ICS, campaign.as_deref(), &file));
    }
    let t = with_db(&state, &s, move |conn| export::export(conn, &w, c.as_deref(), today)).await?;
    let body = if ext == "json" {
        json(&t.objects())?
    } else {
        let cell = |v: &serde_json::Value| match v {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let mut buf = Vec::new();
        let cols: Vec<&str> = t.columns.iter().map(String::as_str).collect();
        render::write_csv(&mut buf, &cols, t.rows.iter().map(|r| r.iter().map(cell).collect())).map_err(internal)?;
        String::from_utf8(buf).map_err(internal)?
    };
    Ok(attachment(body, if ext == "json" { JSON } else { CSV }, campaign.as_deref(), &file))
}
