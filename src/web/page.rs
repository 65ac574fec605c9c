//! What every page shares: the layout's header (who is signed in, the form token for the
//! sign-out button), security headers on every answer, error pages, and the assets compiled
//! into the binary.

use askama::Template;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;

use super::state::{AppState, Role, Session};

/// The largest upload accepted (spending files, mailboxes): bigger ones are refused before they
/// are read.
pub const MAX_UPLOAD_BYTES: usize = 64 * 1024 * 1024;

/// No inline script anywhere; styles from our own stylesheet (the report keeps its inline
/// `<style>` so it stays one self-contained file); forms post only to us; no framing.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                       object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// The parts of the layout every page needs.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub user: String,
    pub role: Role,
    pub csrf: String,
    /// Which navigation entry is current ("home", "campaigns", ...).
    pub current: &'static str,
    pub today: String,
}

impl Chrome {
    pub fn new(s: &Session, current: &'static str, state: &AppState) -> Self {
        Chrome { user: s.user.clone(), role: s.role, csrf: s.csrf.clone(), current, today: state.today().to_string() }
    }

    pub fn can_act(&self) -> bool {
        self.role >= Role::Staff
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn role_name(&self) -> &'static str {
        self.role.as_str()
    }

    /// `aria-current` for a navigation entry.
    pub fn aria(&self, entry: &str) -> &'static str {
        if self.current == entry { "page" } else { "false" }
    }
}

/// An error as a page: what went wrong, in one sentence, with the status that fits.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub message: String,
}

impl PageError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        PageError { status, message: message.into() }
    }

    pub fn forbidden(what: &str) -> Self {
        PageError::new(StatusCode::FORBIDDEN, format!("Your role does not allow this: {what}."))
    }

    pub fn not_found(what: &str) -> Self {
        PageError::new(StatusCode::NOT_FOUND, format!("{what} was not found."))
    }
}

impl From<crate::Error> for PageError {
    fn from(e: crate::Error) -> Self {
        use crate::Error as E;
        let status = match &e {
            E::NotFound { .. } => StatusCode::NOT_FOUND,
            E::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            e if e.is_internal() => StatusCode::INTERNAL_SERVER_ERROR,
            E::Db(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        PageError::new(status, e.to_string())
    }
}

impl From<tokio::task::JoinError> for PageError {
    fn from(e: tokio::task::JoinError) -> Self {
        PageError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("internal error (a bug in foiatrack): {e}"))
    }
}

#[derive(Template)]
#[template(path = "web/error.html")]
struct ErrorPage<'a> {
    status: u16,
    reason: &'a str,
    message: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            status: self.status.as_u16(),
            reason: self.status.canonical_reason().unwrap_or("Error"),
            message: &self.message,
        };
        match page.render() {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(_) => (self.status, self.message).into_response(),
        }
    }
}

pub type PageResult = Result<Response, PageError>;

/// Renders a template into a response. Control characters from outside data (ESC, BEL, C1,
/// bidirectional overrides) are shown as visible symbols, as in every other output.
pub fn render(t: &impl Template) -> PageResult {
    t.render().map(|h| Html(visible_controls(h)).into_response()).map_err(|e| {
        PageError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("internal error (a bug in foiatrack): {e}"))
    })
}

fn visible_controls(html: String) -> String {
    let hidden = |c: char| {
        (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !html.chars().any(hidden) {
        return html;
    }
    let mut out = String::with_capacity(html.len() + 16);
    html.chars().for_each(|c| if hidden(c) { crate::views::render::push_visible(&mut out, c) } else { out.push(c) });
    out
}

/// Runs database work off the async threads, acting as the signed-in user.
pub async fn with_db<T: Send + 'static>(
    state: &Arc<AppState>,
    session: &Session,
    work: impl FnOnce(&mut rusqlite::Connection) -> crate::Result<T> + Send + 'static,
) -> Result<T, PageError> {
    let state = state.clone();
    let user = session.user.clone();
    let out = tokio::task::spawn_blocking(move || on_connection(&state, &user, Access::Write, work)).await?;
    Ok(out?)
}

/// What a page does with its connection.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Only reads: one read transaction (one snapshot, one lock taken and released), and no
    /// need to say who is acting.
    Read,
    /// May write, through the operations (each its own transaction), as the signed-in user.
    Write,
}

/// `with_db` for work that only reads (a page shown on GET): at most twice as many at once as
/// there are cores, in turn, so a burst of readers does not slow every one of them down by
/// sharing the cores (reads never wait for a writer's lock, so a turn is short). Writes keep
/// `with_db`: one waiting for the lock must not hold up the pages.
pub async fn read_db<T: Send + 'static>(
    state: &Arc<AppState>,
    session: &Session,
    work: impl FnOnce(&mut rusqlite::Connection) -> crate::Result<T> + Send + 'static,
) -> Result<T, PageError> {
    static READERS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let readers = READERS
        .get_or_init(|| tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(4, |n| n.get() * 2)));
    let _turn = readers
        .acquire()
        .await
        .map_err(|_| PageError::new(StatusCode::SERVICE_UNAVAILABLE, "The server is stopping."))?;
    let state = state.clone();
    let user = session.user.clone();
    let out = tokio::task::spawn_blocking(move || on_connection(&state, &user, Access::Read, work)).await?;
    Ok(out?)
}

/// `work` inside one read transaction: every list on the page comes from the same snapshot,
/// and the file lock is taken once rather than once per statement.
fn in_read_transaction<T>(
    conn: &mut rusqlite::Connection,
    work: impl FnOnce(&mut rusqlite::Connection) -> crate::Result<T>,
) -> crate::Result<T> {
    conn.execute_batch("BEGIN DEFERRED")?;
    let out = work(conn);
    if !conn.is_autocommit() {
        // Nothing was written: ending it gives the snapshot back.
        conn.execute_batch("ROLLBACK")?;
    }
    out
}

/// Runs `work` on this blocking thread's connection. Each thread keeps its connection between
/// requests (no schema to parse, no memory map to set up again, a warm page cache) while the
/// database file is the same one and no transaction was left open.
fn on_connection<T>(
    state: &AppState,
    user: &str,
    access: Access,
    work: impl FnOnce(&mut rusqlite::Connection) -> crate::Result<T>,
) -> crate::Result<T> {
    thread_local! {
        static CONN: std::cell::RefCell<Option<(u64, u64, rusqlite::Connection)>> =
            const { std::cell::RefCell::new(None) };
    }
    use std::os::unix::fs::MetadataExt;
    let file = std::fs::metadata(&state.opts.db_path).map(|m| (m.dev(), m.ino())).ok();
    CONN.with(|slot| {
        let mut slot = slot.borrow_mut();
        let mut conn = match (slot.take(), file) {
            (Some((dev, ino, c)), Some(f)) if (dev, ino) == f && c.is_autocommit() => {
                if access == Access::Write {
                    crate::store::db::set_actor(&c, user)?;
                }
                c
            }
            _ => state.open(user)?,
        };
        let out = match access {
            Access::Read => in_read_transaction(&mut conn, work),
            Access::Write => work(&mut conn),
        };
        if let Some((dev, ino)) = file {
            *slot = Some((dev, ino, conn));
        }
        out
    })
}

/// A redirect after a successful form post (303, so a reload does not post again).
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

const CSS: &str = include_str!("../../assets/app.css");
const JS: &str = include_str!("../../assets/app.js");

pub fn asset_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/assets/app.css",
            get(|| async {
                ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")], CSS)
            }),
        )
        .route(
            "/assets/app.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")],
                    JS,
                )
            }),
        )
}
