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
    /// Serve HTTPS itself with this certificate chain and private key (PEM files): cookies are
    /// marked Secure.
    pub tls: Option<Tls>,
}

/// The certificate chain and private key files for `--tls-cert` / `--tls-key`.
#[derive(Debug, Clone)]
pub struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Options {
    /// Whether the browser reaches us over HTTPS (ours or a proxy's): cookies are then Secure.
    pub fn https(&self) -> bool {
        self.behind_proxy || self.tls.is_some()
    }
}

/// The rustls configuration for `tls`, read and checked before the server starts, so a bad
/// file is one sentence naming it rather than failed connections later.
fn tls_config(tls: &Tls) -> crate::Result<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let bad = |path: &std::path::Path, what: &str, e: &dyn std::fmt::Display| {
        crate::Error::invalid(format!("{}: {what}: {e}", path.display()))
    };
    let certs = CertificateDer::pem_file_iter(&tls.cert)
        .map_err(|e| bad(&tls.cert, "cannot read a PEM certificate", &e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(&tls.cert, "not a PEM certificate", &e))?;
    if certs.is_empty() {
        return Err(crate::Error::invalid(format!("{}: no certificate in the file", tls.cert.display())));
    }
    let key = PrivateKeyDer::from_pem_file(&tls.key).map_err(|e| bad(&tls.key, "no PEM private key", &e))?;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| crate::Error::invalid(format!("TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| crate::Error::invalid(format!("{} and {}: {e}", tls.cert.display(), tls.key.display())))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
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
    let tls = opts.tls.as_ref().map(tls_config).transpose()?;
    let listener = tokio::net::TcpListener::bind(opts.bind)
        .await
        .map_err(|e| crate::Error::invalid(format!("cannot listen on {}: {e}", opts.bind)))?;
    let local = listener.local_addr().map_err(|e| crate::Error::invalid(format!("cannot listen: {e}")))?;
    let state = Arc::new(AppState::new(opts));
    let token = state.new_sign_in_token();
    let host = if local.ip().is_unspecified() { "127.0.0.1".to_string() } else { local.ip().to_string() };
    let host = if host.contains(':') { format!("[{host}]") } else { host };
    let scheme = if tls.is_some() { "https" } else { "http" };
    ready(format!("{scheme}://{host}:{}/signin?token={token}", local.port()));
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    if let Some(config) = tls {
        let listener = listener.into_std().map_err(|e| crate::Error::invalid(format!("cannot listen: {e}")))?;
        let handle = axum_server::Handle::new();
        let stopper = handle.clone();
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            stopper.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
        });
        let config = axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(config));
        return axum_server::tls_rustls::from_tcp_rustls(listener, config)
            .map_err(|e| crate::Error::invalid(format!("cannot listen: {e}")))?
            .handle(handle)
            .serve(app)
            .await
            .map_err(|e| crate::Error::invalid(format!("the server stopped: {e}")));
    }
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| crate::Error::invalid(format!("the server stopped: {e}")))
}
