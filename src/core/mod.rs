//! Pure logic, no SQL and no I/O: money, dates, the status machine, deadline arithmetic,
//! holiday calendars, CSV input helpers and the parsing of spending files. Everything above
//! builds on these; nothing here imports from a higher layer.

pub mod calendar;
pub mod csvin;
pub mod dates;
pub mod daytype;
pub mod deadline;
pub mod holiday_rules;
pub mod letter;
pub mod matching;
pub mod money;
pub mod password;
pub mod reply;
pub mod reply_events;
pub mod route;
pub mod spending;
pub mod status;
pub mod vendors;
