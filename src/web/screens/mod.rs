//! The screens, one module each, in the order staff look at them. Each exposes its routes.

pub mod agencies;
pub mod campaign;
pub mod home;
pub mod laws;
pub mod replies;
pub mod reports;
pub mod request;
pub mod settings;

use std::sync::Arc;

use axum::Router;

use super::state::AppState;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .merge(home::routes())
        .merge(campaign::routes())
        .merge(request::routes())
        .merge(agencies::routes())
        .merge(laws::routes())
        .merge(replies::routes())
        .merge(reports::routes())
        .merge(settings::routes())
}
