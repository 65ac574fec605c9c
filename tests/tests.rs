//! All integration tests build into one binary (as ripgrep does): faster to link, one place to look.

/// The command-line definition, for the help snapshot (the CLI lives in the binary, not the library).
#[path = "../src/cli/mod.rs"]
#[allow(dead_code)]
mod cli;

mod imap_server;
mod smtp_server;
mod util;
mod web;
mod web_admin;
mod web_browser;
mod web_campaign;
mod web_request;
mod web_util;

mod agencies;
mod bulk_import;
mod core;
mod data_hostile;
mod foundation;
mod help;
mod imap;
mod intake;
mod layers;
mod letters;
mod mail_hostile;
mod mail_kinds;
mod migrations;
mod output_hostile;
mod replies;
mod reports;
mod spending;
mod suggestions;
mod workflow;
