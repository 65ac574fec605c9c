//! Views: what people read. Request detail, lists and the digest, letters, reports and exports.
//! Views only read; they take a `&Connection`.

pub mod agency;
pub mod campaign_page;
pub mod data;
pub mod export;
pub mod law;
pub mod letter;
pub mod needs_action;
pub mod render;
pub mod report;
pub mod request;
pub mod send;
pub mod suggestions;
pub mod thread;
