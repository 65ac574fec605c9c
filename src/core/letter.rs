//! A letter as data: its kind, addressee, subject and body. Pure, so the send operation can take
//! a letter that a view rendered without the operations layer depending on the views.

use chrono::NaiveDate;
use serde::Serialize;

crate::string_enum!(LetterKind {
    Request = "request",
    Followup = "followup",
    Appeal = "appeal",
    Petition = "petition",
    NoticeOfIntent = "notice-of-intent",
    FinalDemand = "final-demand",
});

impl LetterKind {
    /// A letter for the step after a denial or silence: `appeal` asks for whichever one the
    /// jurisdiction's law provides.
    pub fn is_next_step(self) -> bool {
        matches!(self, LetterKind::Appeal | LetterKind::Petition | LetterKind::NoticeOfIntent | LetterKind::FinalDemand)
    }

    /// How the letter is filed in the communications table, which knows request, follow-up and
    /// appeal letters: every next-step letter is filed as `appeal` (its subject says which).
    pub fn stored(self) -> &'static str {
        match self {
            LetterKind::Request => "request",
            LetterKind::Followup => "followup",
            _ => "appeal",
        }
    }

    /// "a notice of intent to sue", for sentences.
    pub fn describe(self) -> &'static str {
        match self {
            LetterKind::Request => "a request letter",
            LetterKind::Followup => "a follow-up letter",
            LetterKind::Appeal => "an administrative appeal",
            LetterKind::Petition => "a petition to an outside review body",
            LetterKind::NoticeOfIntent => "a notice of intent to sue",
            LetterKind::FinalDemand => "a final demand letter",
        }
    }
}

/// How the email subject of a next-step letter begins (the tracking code and campaign follow),
/// so a letter filed as `appeal` can be told apart again.
pub fn subject_prefix(kind: LetterKind) -> &'static str {
    match kind {
        LetterKind::Request => "Public records request",
        LetterKind::Followup => "Follow-up",
        LetterKind::Appeal => "Appeal of public records request",
        LetterKind::Petition => "Petition for review of public records request",
        LetterKind::NoticeOfIntent => "Notice of intent to sue over public records request",
        LetterKind::FinalDemand => "Final demand on public records request",
    }
}

/// The kind of a letter filed as `kind`, told from its subject.
pub fn kind_from_subject(kind: LetterKind, subject: &str) -> LetterKind {
    if kind != LetterKind::Appeal {
        return kind;
    }
    [LetterKind::Petition, LetterKind::NoticeOfIntent, LetterKind::FinalDemand]
        .into_iter()
        .find(|k| subject.starts_with(subject_prefix(*k)))
        .unwrap_or(LetterKind::Appeal)
}

/// A rendered letter.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Letter {
    pub kind: LetterKind,
    pub tracking_code: String,
    pub agency_key: String,
    pub to: Option<String>,
    pub subject: String,
    pub body: String,
    /// Why this letter and not another, and warnings about what it says (for stderr).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
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
