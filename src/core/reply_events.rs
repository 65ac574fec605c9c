//! The events a request's replies suggest, as offers to a person: which are still worth
//! showing, and how each reads.
//!
//! `core::reply::suggest` reads one message. Here the suggestions of every reply of a request
//! meet the request's history, and an offer is shown only while it is open. A suggestion shown
//! once (its confidence at least `reply::show_threshold`) stops being offered when:
//!
//! - a person applied it (`mail apply`, the Apply button) or dismissed it: recorded per
//!   message and event kind, whatever happens to the event later;
//! - an event of the same kind, not void, is dated on or after the message (someone logged it by
//!   hand after reading the mail, or the import acknowledged the request by this reply);
//! - the request has moved past it: the event no longer fits the request's status (a fee
//!   suggested to a request since completed, an acknowledgement once it is acknowledged).
//!
//! Pure: the store reads the messages, events and recorded actions, and calls [`offers`].

use chrono::NaiveDate;

use crate::core::money::format_cents;
use crate::core::reply::{self, MailFacts, Suggested, Suggestion};
use crate::core::status::{self, EventKind, Refused, Status};

/// Inbound messages read per request, the most recent.
pub const MAX_MESSAGES: usize = 100;

/// What a stored inbound message still says: its sender, subject, text body and the names of
/// its attachments (the import keeps no headers, so classification sees only these).
pub fn stored_facts(from: &str, subject: &str, body: &str, attachment_names: &[String]) -> MailFacts {
    MailFacts {
        from: from.trim().to_ascii_lowercase(),
        subject: subject.to_string(),
        content_type: "text/plain".into(),
        body_text: body.to_string(),
        attachment_names: attachment_names.to_vec(),
        ..MailFacts::default()
    }
}

/// The product's event kind of a suggestion.
pub fn event_kind(s: &Suggestion) -> EventKind {
    match s {
        Suggestion::Fee { .. } => EventKind::Fee,
        Suggestion::Extended { .. } => EventKind::Extended,
        Suggestion::Estimated { .. } => EventKind::Estimated,
        Suggestion::Rejected { .. } => EventKind::Rejected,
        Suggestion::NoRecords => EventKind::NoRecords,
        Suggestion::Completed => EventKind::Completed,
        Suggestion::Partial => EventKind::Partial,
        Suggestion::Clarification => EventKind::Clarification,
        Suggestion::Acknowledged { .. } => EventKind::Acknowledged,
    }
}

/// A suggestion as people read it: "fee $45.00", "extended by 7 days", "rejected (Exemption 5)".
pub fn describe(s: &Suggestion) -> String {
    match s {
        Suggestion::Fee { amount_cents } => format!("fee {}", format_cents(*amount_cents)),
        Suggestion::Extended { until: Some(d), .. } => format!("extended until {d}"),
        Suggestion::Extended { days: Some(n), .. } => format!("extended by {n} day{}", if *n == 1 { "" } else { "s" }),
        Suggestion::Extended { .. } => "extended".into(),
        Suggestion::Estimated { until } => format!("estimated {until}"),
        Suggestion::Rejected { exemption: Some(e) } => format!("rejected ({e})"),
        Suggestion::Acknowledged { reference: Some(r) } => format!("acknowledged (reference {r})"),
        other => other.event_kind().to_string(),
    }
}

/// The day an applied suggestion is logged on: the message's date, not before the request was
/// sent and not after today.
pub fn event_on(message_on: NaiveDate, sent_on: Option<NaiveDate>, today: NaiveDate) -> NaiveDate {
    message_on.max(sent_on.unwrap_or(message_on)).min(today)
}

/// One event of the request's history, as the offers need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub id: i64,
    pub kind: EventKind,
    pub on: NaiveDate,
    pub void: bool,
}

/// What a person did with a suggestion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    Applied { event_id: i64 },
    Dismissed,
}

/// A recorded action: (message id, event kind, what was done).
pub type Action = (i64, EventKind, Done);

/// Whether a suggestion is still offered, and if not why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Open,
    Done(Done),
    /// An event of this kind dated on or after the message.
    LoggedSince {
        event_id: i64,
        on: NaiveDate,
    },
    /// The event does not fit the request's status any more.
    MovedPast(Refused),
}

/// A suggestion of one message, with its state.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    pub communication_id: i64,
    pub received_on: NaiveDate,
    pub suggested: Suggested,
    pub kind: EventKind,
    pub state: State,
}

/// A stored inbound message of the request, read for what it suggests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub communication_id: i64,
    pub received_on: NaiveDate,
    pub facts: MailFacts,
}

/// Every suggestion of the replies shown to a person (confidence at least the kind's
/// threshold), oldest message first and most confident first within one, with its state.
pub fn offers(replies: &[Reply], status: Status, events: &[Logged], actions: &[Action]) -> Vec<Offer> {
    let mut out = Vec::new();
    for r in replies {
        for s in reply::suggest(&r.facts, Some(r.received_on)).into_iter().filter(Suggested::shown) {
            let kind = event_kind(&s.suggestion);
            let state =
                if let Some((_, _, done)) = actions.iter().find(|(id, k, _)| *id == r.communication_id && *k == kind) {
                    State::Done(*done)
                } else if let Some(e) = events.iter().find(|e| !e.void && e.kind == kind && e.on >= r.received_on) {
                    State::LoggedSince { event_id: e.id, on: e.on }
                } else if let Err(refused) = status::next(status, kind, None) {
                    State::MovedPast(refused)
                } else {
                    State::Open
                };
            out.push(Offer {
                communication_id: r.communication_id,
                received_on: r.received_on,
                suggested: s,
                kind,
                state,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn fee_reply(id: i64, on: NaiveDate) -> Reply {
        Reply {
            communication_id: id,
            received_on: on,
            facts: stored_facts(
                "Clerk@Town.example.org",
                "RE: records",
                "The copying fee is $45.00. Please remit payment before we release the records.",
                &[],
            ),
        }
    }

    #[test]
    fn an_offer_is_open_until_applied_logged_since_or_moved_past() {
        let r = [fee_reply(7, d(3, 5))];
        let open = offers(&r, Status::AwaitingResponse, &[], &[]);
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].suggested.suggestion, Suggestion::Fee { amount_cents: 4500 });
        assert_eq!(open[0].state, State::Open);
        assert_eq!(describe(&open[0].suggested.suggestion), "fee $45.00");

        let applied = offers(&r, Status::PaymentRequired, &[], &[(7, EventKind::Fee, Done::Applied { event_id: 3 })]);
        assert_eq!(applied[0].state, State::Done(Done::Applied { event_id: 3 }));
        let other_message = offers(&r, Status::AwaitingResponse, &[], &[(8, EventKind::Fee, Done::Dismissed)]);
        assert_eq!(other_message[0].state, State::Open);

        let before = Logged { id: 2, kind: EventKind::Fee, on: d(3, 4), void: false };
        assert_eq!(offers(&r, Status::AwaitingResponse, std::slice::from_ref(&before), &[])[0].state, State::Open);
        let since = Logged { id: 3, kind: EventKind::Fee, on: d(3, 5), void: false };
        assert_eq!(
            offers(&r, Status::AwaitingResponse, std::slice::from_ref(&since), &[])[0].state,
            State::LoggedSince { event_id: 3, on: d(3, 5) }
        );
        let void = Logged { void: true, ..since };
        assert_eq!(offers(&r, Status::AwaitingResponse, &[void], &[])[0].state, State::Open);

        let State::MovedPast(why) = &offers(&r, Status::Completed, &[], &[])[0].state else { panic!("moved past") };
        assert_eq!(
            why.to_string(),
            "'fee' cannot be logged while the request is completed; events allowed from completed: reopened, note"
        );
    }

    #[test]
    fn descriptions_and_dates() {
        assert_eq!(describe(&Suggestion::Extended { days: Some(7), until: None }), "extended by 7 days");
        assert_eq!(describe(&Suggestion::Extended { days: Some(1), until: None }), "extended by 1 day");
        assert_eq!(describe(&Suggestion::Extended { days: None, until: Some(d(4, 15)) }), "extended until 2026-04-15");
        assert_eq!(describe(&Suggestion::Estimated { until: d(5, 29) }), "estimated 2026-05-29");
        assert_eq!(describe(&Suggestion::Rejected { exemption: Some("Exemption 5".into()) }), "rejected (Exemption 5)");
        assert_eq!(describe(&Suggestion::Rejected { exemption: None }), "rejected");
        assert_eq!(describe(&Suggestion::NoRecords), "no-records");
        assert_eq!(
            describe(&Suggestion::Acknowledged { reference: Some("26-1187".into()) }),
            "acknowledged (reference 26-1187)"
        );
        for s in [Suggestion::NoRecords, Suggestion::Completed, Suggestion::Partial, Suggestion::Clarification] {
            assert_eq!(event_kind(&s).as_str(), s.event_kind());
        }
        assert_eq!(event_on(d(3, 1), Some(d(3, 3)), d(3, 10)), d(3, 3));
        assert_eq!(event_on(d(3, 12), Some(d(3, 3)), d(3, 10)), d(3, 10));
        assert_eq!(event_on(d(3, 5), None, d(3, 10)), d(3, 5));
    }
}
