//! Storage: the SQL for each table group. Reads take `&Connection`; writes take
//! `&Transaction`, so a write outside a transaction does not compile.

pub mod agency;
pub mod campaign;
pub mod candidates;
pub mod config;
pub mod contacts;
pub mod db;
pub mod files;
pub mod holiday;
pub mod law;
pub mod mail;
pub mod mailbox;
pub mod outbox;
pub mod request;
pub mod suggestions;
pub mod users;
pub mod vendors;
