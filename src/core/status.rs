//! The request status machine: statuses, the events that move a request between them, and the
//! one table of allowed transitions. Pure; `deadline::replay` applies it to an event list.

use std::fmt;

/// A closed set of names stored as text: Display, FromStr (forgiving '-' vs '_'), serde and SQL.
#[macro_export]
macro_rules! string_enum {
    ($name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result { f.write_str(self.as_str()) }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::Error;
            fn from_str(s: &str) -> $crate::Result<Self> {
                let norm = s.trim().to_ascii_lowercase().replace('_', "-");
                $name::ALL.iter().copied().find(|v| v.as_str().replace('_', "-") == norm)
                    .ok_or_else(|| $crate::Error::invalid(format!(
                        "unknown {} '{}'; use one of: {}",
                        stringify!($name).to_ascii_lowercase(),
                        s.trim(),
                        $name::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
                    )))
            }
        }

        impl ::rusqlite::types::FromSql for $name {
            fn column_result(v: ::rusqlite::types::ValueRef<'_>) -> ::rusqlite::types::FromSqlResult<Self> {
                let s = v.as_str()?;
                // Stored values are exact; only user input needs the forgiving parse.
                if let Some(found) = $name::ALL.iter().copied().find(|x| x.as_str() == s) {
                    return Ok(found);
                }
                s.parse().map_err(|e: $crate::Error| ::rusqlite::types::FromSqlError::Other(e.to_string().into()))
            }
        }

        impl ::rusqlite::ToSql for $name {
            fn to_sql(&self) -> ::rusqlite::Result<::rusqlite::types::ToSqlOutput<'_>> {
                Ok(self.as_str().into())
            }
        }
    };
}

string_enum!(Status {
    Draft = "draft",
    AwaitingAck = "awaiting_ack",
    AwaitingResponse = "awaiting_response",
    FixRequired = "fix_required",
    PaymentRequired = "payment_required",
    Appealing = "appealing",
    Partial = "partial",
    Completed = "completed",
    Rejected = "rejected",
    NoRecords = "no_records",
    Withdrawn = "withdrawn",
});

string_enum!(EventKind {
    Sent = "sent",
    Acknowledged = "acknowledged",
    Extended = "extended",
    Estimated = "estimated",
    Fee = "fee",
    Clarification = "clarification",
    Resumed = "resumed",
    Partial = "partial",
    Completed = "completed",
    Rejected = "rejected",
    NoRecords = "no-records",
    Withdrawn = "withdrawn",
    Appealed = "appealed",
    Reopened = "reopened",
    FollowedUp = "followed-up",
    Note = "note",
});

impl Status {
    /// The request is closed; only `reopened` (or a note) moves it.
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Completed | Status::Rejected | Status::NoRecords | Status::Withdrawn)
    }

    /// The clock is stopped because the agency is waiting on us.
    pub fn is_waiting_on_us(self) -> bool {
        matches!(self, Status::FixRequired | Status::PaymentRequired)
    }

    /// The agency owes us an answer, so the request can be late.
    pub fn can_be_overdue(self) -> bool {
        matches!(self, Status::AwaitingAck | Status::AwaitingResponse | Status::Partial | Status::Appealing)
    }
}

impl EventKind {
    /// Events that are the agency speaking (a response, for response-rate purposes).
    pub fn is_agency_response(self) -> bool {
        matches!(
            self,
            EventKind::Acknowledged
                | EventKind::Extended
                | EventKind::Estimated
                | EventKind::Fee
                | EventKind::Clarification
                | EventKind::Partial
                | EventKind::Completed
                | EventKind::Rejected
                | EventKind::NoRecords
        )
    }
}

/// Where an event takes a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    To(Status),
    /// Stays where it is (a note, an extension during an appeal...).
    Same,
    /// Back to the status before the clock stopped (`resumed`).
    BeforeStop,
}

use EventKind as E;
use Status as S;

const OPEN: &[Status] = &[S::AwaitingAck, S::AwaitingResponse, S::Partial, S::Appealing];
const OPEN_OR_WAITING: &[Status] =
    &[S::AwaitingAck, S::AwaitingResponse, S::Partial, S::Appealing, S::FixRequired, S::PaymentRequired];
const CLOSED: &[Status] = &[S::Completed, S::Rejected, S::NoRecords, S::Withdrawn];
const ANY: &[Status] = Status::ALL;

/// The one transition table: for each event, the statuses it may be logged in and where it
/// leads. A rule listed earlier wins when an event has several (`acknowledged` in awaiting_ack).
pub const TRANSITIONS: &[(EventKind, &[Status], Target)] = &[
    (E::Sent, &[S::Draft], Target::To(S::AwaitingAck)),
    (E::Acknowledged, &[S::AwaitingAck], Target::To(S::AwaitingResponse)),
    (E::Extended, &[S::AwaitingAck], Target::To(S::AwaitingResponse)),
    (E::Extended, &[S::AwaitingResponse, S::Partial, S::Appealing], Target::Same),
    (E::Estimated, &[S::AwaitingAck], Target::To(S::AwaitingResponse)),
    (E::Estimated, &[S::AwaitingResponse, S::Partial, S::Appealing], Target::Same),
    (E::Fee, OPEN, Target::To(S::PaymentRequired)),
    (E::Clarification, OPEN, Target::To(S::FixRequired)),
    (E::Resumed, &[S::FixRequired, S::PaymentRequired], Target::BeforeStop),
    (E::Partial, OPEN, Target::To(S::Partial)),
    (E::Completed, OPEN_OR_WAITING, Target::To(S::Completed)),
    (E::Rejected, OPEN_OR_WAITING, Target::To(S::Rejected)),
    (E::NoRecords, OPEN_OR_WAITING, Target::To(S::NoRecords)),
    (
        E::Withdrawn,
        &[S::Draft, S::AwaitingAck, S::AwaitingResponse, S::Partial, S::Appealing, S::FixRequired, S::PaymentRequired],
        Target::To(S::Withdrawn),
    ),
    (E::Appealed, &[S::AwaitingAck, S::AwaitingResponse, S::Partial], Target::To(S::Appealing)),
    (E::Reopened, CLOSED, Target::To(S::AwaitingResponse)),
    (E::FollowedUp, OPEN_OR_WAITING, Target::Same),
    (E::Note, ANY, Target::Same),
];

/// Why an event was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub status: Status,
    pub event: EventKind,
    pub allowed: Vec<EventKind>,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' cannot be logged while the request is {}; events allowed from {}: {}",
            self.event,
            self.status,
            self.status,
            self.allowed.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", ")
        )
    }
}

/// The events that may be logged in `status`, in table order.
pub fn allowed_from(status: Status) -> Vec<EventKind> {
    let mut out: Vec<EventKind> = Vec::new();
    for (event, from, _) in TRANSITIONS {
        if from.contains(&status) && !out.contains(event) {
            out.push(*event);
        }
    }
    out
}

/// Where `event` takes a request in `status`; `before_stop` is the status the clock stopped in.
pub fn next(status: Status, event: EventKind, before_stop: Option<Status>) -> std::result::Result<Status, Refused> {
    let rule = TRANSITIONS.iter().find(|(e, from, _)| *e == event && from.contains(&status));
    match rule {
        Some((_, _, Target::To(s))) => Ok(*s),
        Some((_, _, Target::Same)) => Ok(status),
        // A fee or clarification was the agency answering, so "no word yet" is over.
        Some((_, _, Target::BeforeStop)) => Ok(match before_stop {
            None | Some(Status::AwaitingAck) => Status::AwaitingResponse,
            Some(s) => s,
        }),
        None => Err(Refused { status, event, allowed: allowed_from(status) }),
    }
}

/// The transition table as Markdown, for README (a test keeps the two in step).
pub fn markdown_table() -> String {
    let mut s = String::from("| event | allowed when the status is | new status |\n|---|---|---|\n");
    for (event, from, target) in TRANSITIONS {
        let to = match target {
            Target::To(st) => format!("`{st}`"),
            Target::Same => "unchanged".to_string(),
            Target::BeforeStop => {
                "the status before the clock stopped (`awaiting_response` if that was `awaiting_ack`)".to_string()
            }
        };
        let from = if *from == ANY {
            "any".to_string()
        } else {
            from.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
        };
        s += &format!("| `{event}` | {from} | {to} |\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (status, event) pair, checked against an independent statement of the rules.
    #[test]
    fn transition_table_allows_and_refuses_for_every_status() {
        let expect = |s: Status, e: EventKind| -> Option<Status> {
            use EventKind as E;
            use Status as S;
            let open = matches!(s, S::AwaitingAck | S::AwaitingResponse | S::Partial | S::Appealing);
            let waiting = matches!(s, S::FixRequired | S::PaymentRequired);
            match e {
                E::Note => Some(s),
                E::Sent => (s == S::Draft).then_some(S::AwaitingAck),
                E::Acknowledged => (s == S::AwaitingAck).then_some(S::AwaitingResponse),
                E::Extended | E::Estimated => match s {
                    S::AwaitingAck => Some(S::AwaitingResponse),
                    S::AwaitingResponse | S::Partial | S::Appealing => Some(s),
                    _ => None,
                },
                E::Fee => open.then_some(S::PaymentRequired),
                E::Clarification => open.then_some(S::FixRequired),
                E::Resumed => waiting.then_some(S::AwaitingResponse),
                E::Partial => open.then_some(S::Partial),
                E::Completed => (open || waiting).then_some(S::Completed),
                E::Rejected => (open || waiting).then_some(S::Rejected),
                E::NoRecords => (open || waiting).then_some(S::NoRecords),
                E::Withdrawn => (open || waiting || s == S::Draft).then_some(S::Withdrawn),
                E::Appealed => matches!(s, S::AwaitingAck | S::AwaitingResponse | S::Partial).then_some(S::Appealing),
                E::Reopened => s.is_terminal().then_some(S::AwaitingResponse),
                E::FollowedUp => (open || waiting).then_some(s),
            }
        };
        for &s in Status::ALL {
            for &e in EventKind::ALL {
                let got = next(s, e, None);
                match expect(s, e) {
                    Some(to) => assert_eq!(got, Ok(to), "{e} from {s}"),
                    None => {
                        let err = got.expect_err(&format!("{e} from {s} should be refused"));
                        assert_eq!(err.allowed, allowed_from(s));
                        assert!(!err.allowed.contains(&e));
                        assert!(err.to_string().contains(s.as_str()));
                    }
                }
            }
        }
    }

    #[test]
    fn resumed_returns_to_the_status_before_the_stop() {
        assert_eq!(next(Status::PaymentRequired, EventKind::Resumed, Some(Status::Partial)), Ok(Status::Partial));
        assert_eq!(next(Status::FixRequired, EventKind::Resumed, Some(Status::Appealing)), Ok(Status::Appealing));
        assert_eq!(
            next(Status::FixRequired, EventKind::Resumed, Some(Status::AwaitingAck)),
            Ok(Status::AwaitingResponse),
            "the agency has spoken"
        );
    }

    #[test]
    fn parse_accepts_dash_or_underscore() {
        assert_eq!("no_records".parse::<EventKind>().unwrap(), EventKind::NoRecords);
        assert_eq!("no-records".parse::<EventKind>().unwrap(), EventKind::NoRecords);
        assert_eq!("followed-up".parse::<EventKind>().unwrap(), EventKind::FollowedUp);
        assert!("lost".parse::<EventKind>().is_err());
    }
}
