//! foiatrack: run public-records campaigns — agencies and their laws, requests and deadlines,
//! letters, intake of replies and spending data, and the reports that come out of them.
//!
//! The library holds the domain; `cli` is a thin adapter over it. Domain modules never print,
//! never read the environment and never read the wall clock: they take a connection and `today`.

pub mod agency;
pub mod campaign;
pub mod cli;
pub mod config;
pub mod db;
pub mod deadline;
pub mod error;
pub mod export;
pub mod files;
pub mod holiday;
pub mod ingest;
pub mod intake;
pub mod law;
pub mod letter;
pub mod mail;
pub mod money;
pub mod report;
pub mod request;
pub mod status;

pub use error::{Error, Result};
