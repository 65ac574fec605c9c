//! Signing in and staying signed in.
//!
//! On 127.0.0.1 the server prints a one-time link with a random token (as notebook servers do),
//! so another account on the machine cannot just open the port. People with accounts
//! (`foiatrack user add`) sign in with a password; attempts are rate-limited per address.
//! Sessions live in memory behind an HttpOnly, SameSite=Strict cookie; every form carries the
//! session's token and a post without it is refused.

use std::net::SocketAddr;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::page::{PageError, PageResult, render, see_other};
use super::state::{AppState, Role, Session, constant_time_eq, random_token};

pub const SESSION_COOKIE: &str = "ft_session";
const PRE_COOKIE: &str = "ft_signin";

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/signin", get(sign_in_page).post(sign_in)).route("/signout", post(sign_out))
}

/// The value of one cookie.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<u64>) -> String {
    let secure = if state.opts.https() { "; Secure" } else { "" };
    let age = max_age.map(|a| format!("; Max-Age={a}")).unwrap_or_default();
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict{secure}{age}")
}

/// The signed-in session, put on the request by `require_session`.
#[derive(Debug, Clone)]
pub struct Signed(pub Session);

impl<S: Send + Sync> FromRequestParts<S> for Signed {
    type Rejection = PageError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, PageError> {
        parts
            .extensions
            .get::<Signed>()
            .cloned()
            .ok_or_else(|| PageError::new(StatusCode::UNAUTHORIZED, "Sign in first."))
    }
}

impl Signed {
    /// Refuses unless the role allows `what`.
    pub fn require(&self, role: Role, what: &str) -> Result<(), PageError> {
        if self.0.role >= role { Ok(()) } else { Err(PageError::forbidden(what)) }
    }
}

/// Paths anyone may open.
fn is_public(path: &str) -> bool {
    path == "/signin" || path.starts_with("/assets/")
}

/// Every request but the public ones needs a live session; every post needs its form token
/// (checked by `Posted`, or for uploads by the handler, which reads the token first).
pub async fn require_session(State(state): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    if is_public(req.uri().path()) {
        return next.run(req).await;
    }
    let session = cookie(req.headers(), SESSION_COOKIE).and_then(|id| state.session(&id));
    match session {
        Some(s) => {
            req.extensions_mut().insert(Signed(s));
            next.run(req).await
        }
        None if req.method() == Method::GET => see_other("/signin"),
        None => PageError::new(StatusCode::UNAUTHORIZED, "Your session has ended; sign in again.").into_response(),
    }
}

/// A urlencoded form whose `csrf` field must be the session's token.
pub struct Posted<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Posted<T> {
    type Rejection = PageError;
    async fn from_request(req: Request, state: &S) -> Result<Self, PageError> {
        let session = req.extensions().get::<Signed>().cloned();
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| PageError::new(StatusCode::PAYLOAD_TOO_LARGE, format!("The form could not be read: {e}.")))?;
        let Some(Signed(s)) = session else {
            return Err(PageError::new(StatusCode::UNAUTHORIZED, "Sign in first."));
        };
        check_csrf(&s, form_field(&bytes, "csrf").as_deref())?;
        serde_urlencoded::from_bytes(&bytes)
            .map(Posted)
            .map_err(|e| PageError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("The form is incomplete: {e}.")))
    }
}

/// One field of a urlencoded body.
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Refuses a post whose form token is missing or not this session's.
pub fn check_csrf(s: &Session, given: Option<&str>) -> Result<(), PageError> {
    match given {
        Some(t) if constant_time_eq(t.as_bytes(), s.csrf.as_bytes()) => Ok(()),
        _ => Err(PageError::new(
            StatusCode::FORBIDDEN,
            "This form has no valid form token (it may come from another site, or an old page); reload the page and try again.",
        )),
    }
}

#[derive(Template)]
#[template(path = "web/signin.html")]
struct SignInPage<'a> {
    pre: &'a str,
    message: Option<&'a str>,
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

async fn sign_in_page(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(q): Query<TokenQuery>,
) -> PageResult {
    if let Some(token) = q.token {
        if !state.allow_attempt(peer.ip()) {
            return Err(PageError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many sign-in attempts; wait a few minutes.",
            ));
        }
        if state.take_sign_in_token(&token) {
            let id = state.start_session(&state.opts.owner, Role::Admin);
            let mut res = see_other("/");
            res.headers_mut()
                .insert(header::SET_COOKIE, set_cookie(&state, SESSION_COOKIE, &id, None).parse().unwrap());
            return Ok(res);
        }
        return Err(PageError::new(
            StatusCode::FORBIDDEN,
            "This sign-in link was used already or is not the server's; sign in with a password, or restart `foiatrack serve` for a new link.",
        ));
    }
    let pre = random_token();
    let mut res = render(&SignInPage { pre: &pre, message: None })?;
    res.headers_mut().insert(header::SET_COOKIE, set_cookie(&state, PRE_COOKIE, &pre, Some(600)).parse().unwrap());
    Ok(res)
}

#[derive(Deserialize)]
struct SignInForm {
    name: String,
    password: String,
    pre: String,
}

async fn sign_in(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let form: SignInForm = serde_urlencoded::from_bytes(&body)
        .map_err(|_| PageError::new(StatusCode::UNPROCESSABLE_ENTITY, "Give a name and a password."))?;
    // Sign-in has no session yet: the form token is the one set in a cookie with the form.
    let pre = cookie(&headers, PRE_COOKIE).unwrap_or_default();
    if pre.is_empty() || !constant_time_eq(pre.as_bytes(), form.pre.as_bytes()) {
        return Err(PageError::new(StatusCode::FORBIDDEN, "This form has no valid form token; reload the page."));
    }
    if !state.allow_attempt(peer.ip()) {
        return Err(PageError::new(StatusCode::TOO_MANY_REQUESTS, "Too many sign-in attempts; wait a few minutes."));
    }
    let st = state.clone();
    let (name, password) = (form.name.clone(), form.password.clone());
    let role = tokio::task::spawn_blocking(move || {
        let conn = st.open(&name)?;
        crate::ops::users::check(&conn, &name, &password)
    })
    .await??;
    match role.as_deref().and_then(Role::parse) {
        Some(role) => {
            let id = state.start_session(form.name.trim(), role);
            let mut res = see_other("/");
            res.headers_mut()
                .insert(header::SET_COOKIE, set_cookie(&state, SESSION_COOKIE, &id, None).parse().unwrap());
            Ok(res)
        }
        None => {
            let pre = random_token();
            let mut res = render(&SignInPage { pre: &pre, message: Some("That name and password do not match.") })?;
            *res.status_mut() = StatusCode::UNAUTHORIZED;
            res.headers_mut()
                .insert(header::SET_COOKIE, set_cookie(&state, PRE_COOKIE, &pre, Some(600)).parse().unwrap());
            Ok(res)
        }
    }
}

#[derive(Deserialize)]
struct Empty {}

async fn sign_out(State(state): State<Arc<AppState>>, headers: HeaderMap, _: Signed, _form: Posted<Empty>) -> Response {
    if let Some(id) = cookie(&headers, SESSION_COOKIE) {
        state.end_session(&id);
    }
    let mut res = see_other("/signin");
    res.headers_mut().insert(header::SET_COOKIE, set_cookie(&state, SESSION_COOKIE, "", Some(0)).parse().unwrap());
    res
}
