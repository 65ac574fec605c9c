//! The laws screen: every jurisdiction's records law; one law with its period, whom it binds,
//! its appeal route, its holidays for a year (each with its origin) and its sources.
//! Admins correct a law (`ops::law::set` / `reset`) and a jurisdiction's holidays
//! (`ops::holiday::add` / `remove`), as `foiatrack law set` and `foiatrack holiday add` do.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use chrono::Datelike;
use serde::Deserialize;

use crate::core::calendar::Origin;
use crate::core::daytype::DayType;
use crate::store::law::LawChange;
use crate::views::law::{LawPage, LawRow, YEARS, page, table};
use crate::web::auth::{Posted, Signed};
use crate::web::page::{Chrome, PageError, PageResult, render, see_other, with_db};
use crate::web::state::{AppState, Role, Session};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/laws", get(list))
        .route("/laws/{code}", get(show))
        .route("/laws/{code}/correct", post(correct))
        .route("/laws/{code}/reset", post(reset))
        .route("/laws/{code}/holidays", post(add_holiday))
        .route("/laws/{code}/holidays/remove", post(remove_holiday))
}

#[derive(Template)]
#[template(path = "web/laws.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<LawRow>,
}

async fn list(State(state): State<Arc<AppState>>, Signed(s): Signed) -> PageResult {
    let rows = with_db(&state, &s, |conn| table(conn)).await?;
    render(&ListPage { chrome: Chrome::new(&s, "laws", &state), rows })
}

#[derive(Deserialize, Default)]
struct ShowQuery {
    year: Option<String>,
    done: Option<String>,
}

/// A holiday as shown: its date, weekday, name and where it comes from.
struct Day {
    date: String,
    weekday: String,
    name: String,
    origin: &'static str,
    user: bool,
}

#[derive(Template)]
#[template(path = "web/law.html")]
struct ShowPage {
    chrome: Chrome,
    p: LawPage,
    days: Vec<Day>,
    message: Option<String>,
    done: Option<&'static str>,
    day_types: Vec<&'static str>,
}

fn origin(o: Origin) -> &'static str {
    match o {
        Origin::Federal => "federal",
        Origin::StateRule => "state rule",
        Origin::User => "added by a user",
    }
}

fn parse_year(y: Option<&str>, default: i32) -> Result<i32, PageError> {
    match y.map(str::trim).filter(|y| !y.is_empty()) {
        None => Ok(default),
        Some(y) => y
            .parse::<i32>()
            .ok()
            .filter(|y| YEARS.contains(y))
            .ok_or_else(|| PageError::new(StatusCode::UNPROCESSABLE_ENTITY, "Give a year from 1900 to 2199.")),
    }
}

/// The law page, with a message when a correction was refused.
async fn law_page(
    state: &Arc<AppState>,
    s: &Session,
    code: String,
    year: i32,
    message: Option<String>,
    done: Option<&'static str>,
) -> PageResult {
    let p = with_db(state, s, move |conn| page(conn, &code, year)).await?;
    let days = p
        .holidays
        .iter()
        .map(|h| Day {
            date: h.date.to_string(),
            weekday: h.date.format("%a").to_string(),
            name: h.name.clone(),
            origin: origin(h.origin),
            user: h.origin == Origin::User,
        })
        .collect();
    let failed = message.is_some();
    let page = ShowPage {
        chrome: Chrome::new(s, "laws", state),
        days,
        p,
        message,
        done,
        day_types: vec!["business", "calendar", "none"],
    };
    let mut res = render(&page)?;
    if failed {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

async fn show(
    State(state): State<Arc<AppState>>,
    Signed(s): Signed,
    Path(code): Path<String>,
    Query(q): Query<ShowQuery>,
) -> PageResult {
    let year = parse_year(q.year.as_deref(), state.today().year())?;
    let done = match q.done.as_deref() {
        Some("corrected") => Some("The correction is saved; the requests under this law were recomputed."),
        Some("reset") => Some("The law is back to the built-in facts; its requests were recomputed."),
        Some("holiday-added") => Some("The holiday is added; the requests it touches were recomputed."),
        Some("holiday-removed") => Some("The holiday is removed; the requests it touches were recomputed."),
        _ => None,
    };
    law_page(&state, &s, code, year, None, done).await
}

/// Runs an admin change to a law; on success goes back to the law page, on a refusal shows
/// the page again with the reason.
async fn change(
    state: Arc<AppState>,
    signed: Signed,
    code: String,
    year: i32,
    done: &'static str,
    work: impl FnOnce(&mut rusqlite::Connection, &str) -> crate::Result<()> + Send + 'static,
) -> PageResult {
    let s = signed.0;
    let c = code.clone();
    let outcome = with_db(&state, &s, move |conn| {
        let code = crate::store::law::get(conn, &c)?.code;
        Ok(work(conn, &code).map(|_| code))
    })
    .await?;
    match outcome {
        Ok(code) => Ok(see_other(&format!("/laws/{code}?year={year}&done={done}"))),
        Err(e) if !e.is_internal() && !matches!(e, crate::Error::Db(_) | crate::Error::NotFound { .. }) => {
            law_page(&state, &s, code, year, Some(e.to_string()), None).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
struct CorrectForm {
    #[serde(default)]
    law_name: String,
    #[serde(default)]
    citation: String,
    #[serde(default)]
    response_days: String,
    #[serde(default)]
    day_type: String,
    #[serde(default)]
    extension_days: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    year: String,
}

fn number(what: &str, v: &str) -> crate::Result<Option<u32>> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    v.parse::<u32>().map(Some).map_err(|_| crate::Error::invalid(format!("{what} must be a whole number, not '{v}'")))
}

fn text(v: &str) -> Option<String> {
    Some(v.trim().to_string()).filter(|v| !v.is_empty())
}

async fn correct(
    State(state): State<Arc<AppState>>,
    signed: Signed,
    Path(code): Path<String>,
    Posted(f): Posted<CorrectForm>,
) -> PageResult {
    signed.require(Role::Admin, "correcting a law")?;
    let year = parse_year(Some(&f.year), state.today().year())?;
    let today = state.today();
    change(state, signed, code, year, "corrected", move |conn, code| {
        let change = LawChange {
            law_name: text(&f.law_name),
            citation: text(&f.citation),
            response_days: number("Response days", &f.response_days)?,
            day_type: text(&f.day_type).map(|t| t.parse::<DayType>()).transpose()?,
            extension_days: number("Extension days", &f.extension_days)?,
            note: text(&f.note),
            ..Default::default()
        };
        if change.law_name.is_none()
            && change.citation.is_none()
            && change.response_days.is_none()
            && change.day_type.is_none()
            && change.extension_days.is_none()
            && change.note.is_none()
        {
            return Err(crate::Error::invalid("Nothing to change: fill in at least one field of the correction."));
        }
        crate::ops::law::set(conn, code, &change, today).map(|_| ())
    })
    .await
}

#[derive(Deserialize, Default)]
struct YearForm {
    #[serde(default)]
    year: String,
}

async fn reset(
    State(state): State<Arc<AppState>>,
    signed: Signed,
    Path(code): Path<String>,
    Posted(f): Posted<YearForm>,
) -> PageResult {
    signed.require(Role::Admin, "resetting a law")?;
    let year = parse_year(Some(&f.year), state.today().year())?;
    change(state, signed, code, year, "reset", |conn, code| crate::ops::law::reset(conn, code).map(|_| ())).await
}

#[derive(Deserialize, Default)]
struct HolidayForm {
    #[serde(default)]
    date: String,
    #[serde(default)]
    name: String,
}

fn holiday_date(v: &str) -> crate::Result<chrono::NaiveDate> {
    crate::core::dates::parse_ymd(v).map_err(crate::Error::Invalid)
}

async fn add_holiday(
    State(state): State<Arc<AppState>>,
    signed: Signed,
    Path(code): Path<String>,
    Posted(f): Posted<HolidayForm>,
) -> PageResult {
    signed.require(Role::Admin, "changing a holiday calendar")?;
    let year =
        holiday_date(&f.date).ok().map(|d| d.year()).filter(|y| YEARS.contains(y)).unwrap_or(state.today().year());
    change(state, signed, code, year, "holiday-added", move |conn, code| {
        crate::ops::holiday::add(conn, code, holiday_date(&f.date)?, &f.name)
    })
    .await
}

async fn remove_holiday(
    State(state): State<Arc<AppState>>,
    signed: Signed,
    Path(code): Path<String>,
    Posted(f): Posted<HolidayForm>,
) -> PageResult {
    signed.require(Role::Admin, "changing a holiday calendar")?;
    let year =
        holiday_date(&f.date).ok().map(|d| d.year()).filter(|y| YEARS.contains(y)).unwrap_or(state.today().year());
    change(state, signed, code, year, "holiday-removed", move |conn, code| {
        crate::ops::holiday::remove(conn, code, holiday_date(&f.date)?).map(|_| ())
    })
    .await
}
