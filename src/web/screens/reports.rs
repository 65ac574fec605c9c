//! The reports screen.

use std::sync::Arc;

use axum::Router;

use crate::web::state::AppState;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
}
