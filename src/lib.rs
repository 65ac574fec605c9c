//! foiatrack: run public-records campaigns — agencies and their laws, requests and deadlines,
//! letters, replies and spending data, and the reports that come out of them.
//!
//! Layers, imports pointing one way (`tests/layers.rs` keeps it so):
//! `core` (pure) <- `store` (SQL) <- `projection` (derived request figures) <- `ops` (the only
//! writers) <- `views` (what people read). The CLI (in the binary, `src/cli/`) and the web server
//! are thin front ends over `ops` and `views`. Nothing here prints, reads the environment or the
//! wall clock: callers pass a connection and `today`.

pub mod core;
pub mod error;
pub mod ops;
pub mod projection;
pub mod store;
pub mod views;
pub mod web;

pub use error::{Error, Result};
