//! A letter as data: its kind, addressee, subject and body. Pure, so the send operation can take
//! a letter that a view rendered without the operations layer depending on the views.

use chrono::NaiveDate;
use serde::Serialize;

crate::string_enum!(LetterKind { Request = "request", Followup = "followup", Appeal = "appeal" });

/// A rendered letter.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Letter {
    pub kind: LetterKind,
    pub tracking_code: String,
    pub agency_key: String,
    pub to: Option<String>,
    pub subject: String,
    pub body: String,
}

/// "March 2, 2026": how dates read in a letter.
pub fn long_date(d: NaiveDate) -> String {
    d.format("%B %-d, %Y").to_string()
}

/// A safe file name from a tracking code and agency key: only letters, digits and '-'.
pub fn file_name(letter: &Letter, extension: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).collect()
    };
    format!("{}-{}-{}.{extension}", clean(&letter.tracking_code), clean(&letter.agency_key), letter.kind)
}
