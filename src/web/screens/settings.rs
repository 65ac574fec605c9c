//! The settings screen: the requester details that sign the letters and the campaign policy
//! numbers (`store::config`, changed through `ops::settings::set_many`), and the people who may
//! sign in (`ops::users`). Everyone signed in reads them; only admins change them. Password
//! hashes are never read here, let alone shown.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::store::config::{self, Setting};
use crate::store::users::{self, User};
use crate::web::auth::{Posted, Signed};
use crate::web::page::{Chrome, PageError, PageResult, render, see_other, with_db};
use crate::web::state::{AppState, Role, Session};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/settings", get(show).post(save))
        .route("/settings/users", get(people).post(add_user))
        .route("/settings/users/remove", post(remove_user))
}

/// A setting as the form shows it.
struct Row {
    name: String,
    about: String,
    value: String,
    default: Option<String>,
    input: &'static str,
}

#[derive(Template)]
#[template(path = "web/settings.html")]
struct SettingsPage {
    chrome: Chrome,
    requester: Vec<Row>,
    policy: Vec<Row>,
    message: Option<String>,
    saved: Option<String>,
}

fn rows(settings: Vec<Setting>, posted: &[(String, String)]) -> (Vec<Row>, Vec<Row>) {
    settings
        .into_iter()
        .map(|s| Row {
            value: posted
                .iter()
                .find(|(k, _)| *k == s.name)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| s.value.clone().unwrap_or_default()),
            input: match s.name.as_str() {
                "requester.email" => "email",
                "requester.phone" => "tel",
                _ => "text",
            },
            name: s.name,
            about: s.about,
            default: s.default,
        })
        .partition(|r| r.name.starts_with("requester."))
}

fn error_status(e: &crate::Error) -> bool {
    !e.is_internal() && !matches!(e, crate::Error::Db(_))
}

async fn settings_page(
    state: &Arc<AppState>,
    s: &Session,
    posted: Vec<(String, String)>,
    message: Option<String>,
    saved: Option<String>,
) -> PageResult {
    let list = with_db(state, s, |conn| config::list(conn)).await?;
    let (requester, policy) = rows(list, &posted);
    let failed = message.is_some();
    let mut res =
        render(&SettingsPage { chrome: Chrome::new(s, "settings", state), requester, policy, message, saved })?;
    if failed {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

#[derive(Deserialize, Default)]
struct Done {
    saved: Option<String>,
    done: Option<String>,
}

async fn show(State(state): State<Arc<AppState>>, Signed(s): Signed, Query(q): Query<Done>) -> PageResult {
    let saved = q.saved.map(|n| match n.as_str() {
        "0" => "Nothing changed.".to_string(),
        n => format!("Saved {n} change(s)."),
    });
    settings_page(&state, &s, Vec::new(), None, saved).await
}

async fn save(
    State(state): State<Arc<AppState>>,
    signed: Signed,
    Posted(form): Posted<Vec<(String, String)>>,
) -> PageResult {
    signed.require(Role::Admin, "changing settings")?;
    let s = signed.0;
    // Browsers send a textarea's line breaks as CR LF; stored text has LF.
    let values: Vec<(String, String)> = form
        .into_iter()
        .filter(|(k, _)| config::KEYS.iter().any(|(name, _, _)| name == k))
        .map(|(k, v)| (k, v.replace("\r\n", "\n")))
        .collect();
    let v = values.clone();
    let outcome = with_db(&state, &s, move |conn| Ok(crate::ops::settings::set_many(conn, &v))).await?;
    match outcome {
        Ok(changed) => Ok(see_other(&format!("/settings?saved={}", changed.len()))),
        Err(e) if error_status(&e) => settings_page(&state, &s, values, Some(e.to_string()), None).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "web/users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<User>,
    roles: Vec<&'static str>,
    name: String,
    role: String,
    message: Option<String>,
    done: Option<String>,
}

async fn users_page(
    state: &Arc<AppState>,
    s: &Session,
    name: String,
    role: String,
    message: Option<String>,
    done: Option<String>,
) -> PageResult {
    let list = with_db(state, s, |conn| users::list(conn)).await?;
    let failed = message.is_some();
    let mut res = render(&UsersPage {
        chrome: Chrome::new(s, "settings", state),
        users: list,
        roles: crate::ops::users::ROLES.to_vec(),
        name,
        role,
        message,
        done,
    })?;
    if failed {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

async fn people(State(state): State<Arc<AppState>>, Signed(s): Signed, Query(q): Query<Done>) -> PageResult {
    let done = match q.done.as_deref() {
        Some("added") => Some("The user is saved; they sign in with that password.".to_string()),
        Some("removed") => Some("The user is removed and signed out.".to_string()),
        _ => None,
    };
    users_page(&state, &s, String::new(), "staff".into(), None, done).await
}

#[derive(Deserialize, Default)]
struct UserForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

async fn add_user(State(state): State<Arc<AppState>>, signed: Signed, Posted(f): Posted<UserForm>) -> PageResult {
    signed.require(Role::Admin, "managing users")?;
    let s = signed.0;
    if f.password != f.confirm {
        let msg = "The two passwords differ; type the same password twice.".to_string();
        return users_page(&state, &s, f.name, f.role, Some(msg), None).await;
    }
    let today = state.today();
    let (name, role, password) = (f.name.clone(), f.role.clone(), f.password);
    let outcome =
        with_db(&state, &s, move |conn| Ok(crate::ops::users::add(conn, &name, &role, &password, today))).await?;
    match outcome {
        Ok(()) => {
            // A changed role or password takes effect now: their old sessions end.
            state.end_sessions_of(f.name.trim());
            Ok(see_other("/settings/users?done=added"))
        }
        Err(e) if error_status(&e) => users_page(&state, &s, f.name, f.role, Some(e.to_string()), None).await,
        Err(e) => Err(PageError::from(e)),
    }
}

#[derive(Deserialize, Default)]
struct RemoveForm {
    #[serde(default)]
    name: String,
}

async fn remove_user(State(state): State<Arc<AppState>>, signed: Signed, Posted(f): Posted<RemoveForm>) -> PageResult {
    signed.require(Role::Admin, "managing users")?;
    let s = signed.0;
    let name = f.name.clone();
    with_db(&state, &s, move |conn| crate::ops::users::remove(conn, &name)).await?;
    state.end_sessions_of(f.name.trim());
    Ok(see_other("/settings/users?done=removed"))
}
