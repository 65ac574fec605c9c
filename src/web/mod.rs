//! The web workspace (`foiatrack serve`): the same operations as the CLI, for a team, in a
//! browser. Server-rendered HTML (askama), plain forms that work without JavaScript, every asset
//! inside the binary. Handlers are thin: they check who is signed in and what their role allows,
//! call `ops` (to change anything) or `views` (to read), and render a template.
//!
//! Layer: the top, beside the CLI. Nothing below imports it.

pub mod auth;
pub mod page;
pub mod screens;
pub mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use chrono::NaiveDate;

pub use state::AppState;

/// How to serve.
#[derive(Debug, Clone)]
pub struct Options {
    pub bind: SocketAddr,
    pub db_path: PathBuf,
    /// A fixed "today" (`--today`); `None` follows the clock.
    pub today: Option<NaiveDate>,
    /// The name the one-time sign-in link signs in as (the OS user who started the server).
    pub owner: String,
    /// The server sits behind a TLS-terminating proxy: cookies are marked Secure.
    pub behind_proxy: bool,
}

/// Whether an address is on this machine only.
pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}

/// Every route, with the security headers and the sign-in check around them.
pub fn router(state: Arc<AppState>) -> Router {
    screens::routes()
        .merge(auth::routes())
        .merge(page::asset_routes())
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::require_session))
        .layer(axum::middleware::from_fn(page::security_headers))
        .layer(axum::extract::DefaultBodyLimit::max(page::MAX_UPLOAD_BYTES))
        .with_state(state)
}

/// Binds, calls `ready` with the URL to open (with the one-time sign-in token), and serves until
/// the process is stopped.
pub async fn serve(opts: Options, ready: impl FnOnce(String)) -> crate::Result<()> {
    let listener = tokio::net::TcpListener::bind(opts.bind)
        .await
        .map_err(|e| crate::Error::invalid(format!("cannot listen on {}: {e}", opts.bind)))?;
    let local = listener.local_addr().map_err(|e| crate::Error::invalid(format!("cannot listen: {e}")))?;
    let state = Arc::new(AppState::new(opts));
    let token = state.new_sign_in_token();
    let host = if local.ip().is_unspecified() { "127.0.0.1".to_string() } else { local.ip().to_string() };
    let host = if host.contains(':') { format!("[{host}]") } else { host };
    ready(format!("http://{host}:{}/signin?token={token}", local.port()));
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| crate::Error::invalid(format!("the server stopped: {e}")))
}
