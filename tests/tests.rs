//! All integration tests build into one binary (as ripgrep does): faster to link, one place to look.

mod util;

mod agencies;
mod foundation;
mod help;
mod migrations;
mod workflow;
