//! The agencies screen: search and list; one agency with its contact details, its law, its
//! requests across campaigns and its record; editing an agency (staff), through
//! `ops::agency::edit` like `foiatrack agency edit`.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Deserialize;

use crate::core::money::format_cents;
use crate::store::agency::{Agency, AgencyInput, Kind};
use crate::views::agency::{AgencyPage, Found, page, search};
use crate::views::render::printable_line;
use crate::web::auth::{Posted, Signed};
use crate::web::page::{Chrome, PageError, PageResult, render, see_other, with_db};
use crate::web::state::{AppState, Role};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/agencies", get(list))
        .route("/agencies/{key}", get(show))
        .route("/agencies/{key}/edit", get(edit_form).post(edit))
}

/// How many agencies a search lists before asking for a narrower one.
const LIMIT: usize = 500;

#[derive(Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    state: Option<String>,
    kind: Option<String>,
}

#[derive(Template)]
#[template(path = "web/agencies.html")]
struct ListPage {
    chrome: Chrome,
    q: String,
    state: String,
    kind: String,
    kinds: Vec<&'static str>,
    found: Vec<Found>,
    total: usize,
}

fn blank(s: &Option<String>) -> String {
    s.as_deref().map(str::trim).unwrap_or("").to_string()
}

async fn list(State(state): State<Arc<AppState>>, Signed(s): Signed, Query(q): Query<ListQuery>) -> PageResult {
    let (text, st, kind) = (blank(&q.q), blank(&q.state), blank(&q.kind));
    let parsed_kind = if kind.is_empty() { None } else { Some(kind.parse::<Kind>()?) };
    let (text2, st2) = (text.clone(), st.clone());
    let (found, total) = with_db(&state, &s, move |conn| search(conn, &text2, Some(&st2), parsed_kind, LIMIT)).await?;
    render(&ListPage {
        chrome: Chrome::new(&s, "agencies", &state),
        q: text,
        state: st.to_ascii_uppercase(),
        kind,
        kinds: Kind::ALL.iter().map(|k| k.as_str()).collect(),
        found,
        total,
    })
}

#[derive(Deserialize, Default)]
struct ShowQuery {
    saved: Option<String>,
}

#[derive(Template)]
#[template(path = "web/agency.html")]
struct ShowPage {
    chrome: Chrome,
    p: AgencyPage,
    saved: bool,
    /// Label and value of each contact detail that is set.
    details: Vec<(&'static str, String)>,
    own_period: String,
    /// Set when the law's period does not bind this kind of agency.
    not_bound: Option<String>,
    rate: String,
    median: String,
    fees: String,
    contacts: Vec<ContactLine>,
}

/// An address of the agency, ready to show.
struct ContactLine {
    address: String,
    main: bool,
    state: &'static str,
    source: &'static str,
    first_seen: String,
    last_seen: String,
    note: String,
}

impl ContactLine {
    fn of(c: &crate::store::contacts::Contact) -> Self {
        let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        ContactLine {
            address: printable_line(&c.address).into_owned(),
            main: c.main,
            state: c.state.as_str(),
            source: c.source.as_str(),
            first_seen: date(c.first_seen),
            last_seen: date(c.last_seen),
            note: c.note.as_deref().map(|n| printable_line(n).into_owned()).unwrap_or_default(),
        }
    }
}

impl ShowPage {
    fn money(&self, cents: &i64) -> String {
        format_cents(*cents)
    }
}

fn pct(r: Option<f64>) -> String {
    r.map(|r| format!("{:.1}%", r * 100.0)).unwrap_or_else(|| "-".into())
}

fn days(d: Option<f64>) -> String {
    d.map(|d| if d.fract() == 0.0 { format!("{d:.0}") } else { format!("{d:.1}") }).unwrap_or_else(|| "-".into())
}

fn details(a: &Agency) -> Vec<(&'static str, String)> {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        ("Key", a.key.clone()),
        ("State", a.state.clone()),
        ("Kind", a.kind.as_str().replace('_', " ")),
        ("Population", a.population.map(|p| p.to_string()).unwrap_or_default()),
        ("Email", o(&a.email)),
        ("Portal", o(&a.portal_url)),
        ("Mailing address", o(&a.mailing_address)),
        ("Phone", o(&a.phone)),
        ("Contact", o(&a.contact_name)),
        ("Notes", o(&a.notes)),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect()
}

async fn show(
    State(state): State<Arc<AppState>>,
    Signed(s): Signed,
    Path(key): Path<String>,
    Query(q): Query<ShowQuery>,
) -> PageResult {
    let today = state.today();
    let p = with_db(&state, &s, move |conn| page(conn, &key, today)).await?;
    let r = &p.record;
    let own_period = match (p.agency.response_days, p.agency.day_type) {
        (Some(n), Some(t)) => format!("{n} {t} days (its own, instead of the state law's)"),
        (None, Some(t)) => format!("{t} (its own, instead of the state law's)"),
        _ => String::new(),
    };
    let not_bound = match &p.law.scope {
        Some(c) if !p.law.period_binds(p.agency.kind.as_str()) => {
            Some(format!("The law's period binds {}; this agency is not bound by it.", c.period_binds.describe()))
        }
        _ => None,
    };
    let page = ShowPage {
        chrome: Chrome::new(&s, "agencies", &state),
        not_bound,
        saved: q.saved.is_some(),
        details: details(&p.agency),
        own_period,
        rate: format!("{} of {} ({})", r.responded, r.sent, pct(r.response_rate)),
        median: days(r.median_days_to_first_response),
        fees: if r.fees_requested == 0 {
            "none".into()
        } else {
            format!("{} request(s), {} in all", r.fees_requested, format_cents(r.fees_total_cents))
        },
        contacts: p.contacts.iter().map(ContactLine::of).collect(),
        p,
    };
    render(&page)
}

/// The edit form's fields, as posted (an empty field clears an optional value).
#[derive(Deserialize, Default, Clone)]
struct AgencyForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    population: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    portal_url: String,
    #[serde(default)]
    mailing_address: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    response_days: String,
    #[serde(default)]
    day_type: String,
}

impl AgencyForm {
    fn of(a: &Agency) -> Self {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        AgencyForm {
            name: a.name.clone(),
            state: a.state.clone(),
            kind: a.kind.as_str().into(),
            population: a.population.map(|p| p.to_string()).unwrap_or_default(),
            email: o(&a.email),
            portal_url: o(&a.portal_url),
            mailing_address: o(&a.mailing_address),
            phone: o(&a.phone),
            contact_name: o(&a.contact_name),
            notes: o(&a.notes),
            response_days: a.response_days.map(|d| d.to_string()).unwrap_or_default(),
            day_type: a.day_type.map(|d| d.to_string()).unwrap_or_default(),
        }
    }

    fn input(&self) -> AgencyInput {
        // Browsers send a textarea's line breaks as CR LF; stored text has LF.
        let v = |s: &String| Some(s.replace("\r\n", "\n"));
        AgencyInput {
            key: None,
            name: v(&self.name),
            state: v(&self.state),
            kind: v(&self.kind),
            population: v(&self.population),
            email: v(&self.email),
            portal_url: v(&self.portal_url),
            mailing_address: v(&self.mailing_address),
            phone: v(&self.phone),
            contact_name: v(&self.contact_name),
            notes: v(&self.notes),
            response_days: v(&self.response_days),
            day_type: v(&self.day_type),
        }
    }
}

#[derive(Template)]
#[template(path = "web/agency_edit.html")]
struct EditPage {
    chrome: Chrome,
    key: String,
    name: String,
    f: AgencyForm,
    kinds: Vec<&'static str>,
    day_types: Vec<(&'static str, &'static str)>,
    message: Option<String>,
}

fn edit_page(chrome: Chrome, key: String, name: String, f: AgencyForm, message: Option<String>) -> EditPage {
    EditPage {
        chrome,
        key,
        name,
        f,
        kinds: Kind::ALL.iter().map(|k| k.as_str()).collect(),
        day_types: vec![
            ("", "(the state law's)"),
            ("business", "business days"),
            ("calendar", "calendar days"),
            ("none", "no fixed period"),
        ],
        message,
    }
}

async fn edit_form(State(state): State<Arc<AppState>>, signed: Signed, Path(key): Path<String>) -> PageResult {
    signed.require(Role::Staff, "editing an agency")?;
    let s = signed.0;
    let a = with_db(&state, &s, move |conn| crate::store::agency::get(conn, &key)).await?;
    render(&edit_page(Chrome::new(&s, "agencies", &state), a.key.clone(), a.name.clone(), AgencyForm::of(&a), None))
}

async fn edit(
    State(state): State<Arc<AppState>>,
    signed: Signed,
    Path(key): Path<String>,
    Posted(form): Posted<AgencyForm>,
) -> PageResult {
    signed.require(Role::Staff, "editing an agency")?;
    let s = signed.0;
    let input = form.input();
    let k = key.clone();
    let outcome = with_db(&state, &s, move |conn| {
        // The agency must exist (404 otherwise); a refused change is shown on the form.
        let current = crate::store::agency::get(conn, &k)?;
        Ok((current.name.clone(), crate::ops::agency::edit(conn, &current.key, &input)))
    })
    .await?;
    match outcome {
        (_, Ok(a)) => Ok(see_other(&format!("/agencies/{}?saved=1", a.key))),
        (name, Err(e)) if !e.is_internal() && !matches!(e, crate::Error::Db(_)) => {
            let page = edit_page(
                Chrome::new(&s, "agencies", &state),
                key.trim().to_ascii_lowercase(),
                name,
                form,
                Some(e.to_string()),
            );
            let mut res = render(&page)?;
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res.into_response())
        }
        (_, Err(e)) => Err(PageError::from(e)),
    }
}
