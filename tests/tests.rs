//! All integration tests build into one binary (as ripgrep does): faster to link, one place to look.

mod smtp_server;
mod util;

mod agencies;
mod foundation;
mod help;
mod intake;
mod letters;
mod migrations;
mod reports;
mod workflow;
