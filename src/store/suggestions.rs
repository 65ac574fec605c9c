//! What inbound messages suggest, from storage: the stored messages read as `MailFacts`, the
//! events a request's replies suggest with whether each is still offered
//! (`core::reply_events`), and the `suggestion_actions` a person recorded (applied or
//! dismissed).

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::Result;
use crate::core::reply_events::{self, Action, Done, Logged, MAX_MESSAGES, Offer, Reply};
use crate::core::status::{EventKind, Status};

/// An inbound message as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub id: i64,
    pub request_id: Option<i64>,
    pub date: NaiveDate,
    pub from: String,
    pub subject: String,
    pub body: String,
    pub attachment_names: Vec<String>,
}

impl Stored {
    pub fn reply(&self) -> Reply {
        Reply {
            communication_id: self.id,
            received_on: self.date,
            facts: reply_events::stored_facts(&self.from, &self.subject, &self.body, &self.attachment_names),
        }
    }
}

const SELECT: &str = "SELECT c.id, c.request_id, c.created_on, COALESCE(c.from_addr, ''), c.subject, c.body,
        (SELECT json_group_array(a.file_name) FROM (SELECT file_name FROM attachments
           WHERE communication_id = c.id ORDER BY id LIMIT 64) a)
     FROM communications c";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Stored> {
    let names: Option<String> = r.get(6)?;
    Ok(Stored {
        id: r.get(0)?,
        request_id: r.get(1)?,
        date: r.get(2)?,
        from: r.get(3)?,
        subject: r.get(4)?,
        body: r.get(5)?,
        attachment_names: names.and_then(|n| serde_json::from_str(&n).ok()).unwrap_or_default(),
    })
}

/// One inbound message.
pub fn message(conn: &Connection, id: i64) -> Result<Option<Stored>> {
    Ok(conn
        .prepare_cached(&format!("{SELECT} WHERE c.id = ?1 AND c.direction = 'inbound'"))?
        .query_row([id], from_row)
        .optional()?)
}

/// A request's inbound messages, oldest first (the last [`MAX_MESSAGES`]).
pub fn messages_of_request(conn: &Connection, request_id: i64) -> Result<Vec<Stored>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT * FROM ({SELECT} WHERE c.request_id = ?1 AND c.direction = 'inbound'
           ORDER BY c.created_on DESC, c.id DESC LIMIT ?2) ORDER BY 3, 1"
    ))?;
    let v = stmt.query_map(params![request_id, MAX_MESSAGES as i64], from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(v)
}

/// Messages tied to no request, oldest first.
pub fn unmatched(conn: &Connection) -> Result<Vec<Stored>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT} WHERE c.direction = 'inbound' AND c.request_id IS NULL ORDER BY c.created_on, c.id"
    ))?;
    let v = stmt.query_map([], from_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(v)
}

/// These unmatched messages (the others of `ids` are left out), oldest first.
pub fn unmatched_of(conn: &Connection, ids: &[i64]) -> Result<Vec<Stored>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let mut stmt = conn.prepare(&format!(
            "{SELECT} WHERE c.direction = 'inbound' AND c.request_id IS NULL AND c.id IN ({marks})
             ORDER BY c.created_on, c.id"
        ))?;
        let v = stmt.query_map(rusqlite::params_from_iter(chunk), from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        out.extend(v);
    }
    Ok(out)
}

/// What was done with the suggestions of a request's messages.
pub fn actions(conn: &Connection, request_id: i64) -> Result<Vec<Action>> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.communication_id, s.event_kind, s.action, s.event_id FROM suggestion_actions s
         JOIN communications c ON c.id = s.communication_id WHERE c.request_id = ?1",
    )?;
    let v = stmt
        .query_map([request_id], |r| {
            let action: String = r.get(2)?;
            let done = match r.get::<_, Option<i64>>(3)? {
                Some(event_id) if action == "applied" => Done::Applied { event_id },
                _ => Done::Dismissed,
            };
            Ok((r.get(0)?, r.get::<_, EventKind>(1)?, done))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(v)
}

/// Records that a suggestion was applied (with the event it logged) or dismissed; applying a
/// suggestion dismissed before replaces the dismissal.
pub fn record(
    tx: &Transaction<'_>,
    communication_id: i64,
    kind: EventKind,
    done: Done,
    today: NaiveDate,
) -> Result<()> {
    let (action, event_id) = match done {
        Done::Applied { event_id } => ("applied", Some(event_id)),
        Done::Dismissed => ("dismissed", None),
    };
    tx.execute(
        "INSERT INTO suggestion_actions (communication_id, event_kind, action, event_id, acted_on, actor)
         VALUES (?1, ?2, ?3, ?4, ?5, COALESCE((SELECT name FROM temp.acting_as), 'unknown'))
         ON CONFLICT (communication_id, event_kind) DO UPDATE SET action = excluded.action,
            event_id = excluded.event_id, acted_on = excluded.acted_on, actor = excluded.actor",
        params![communication_id, kind, action, event_id, today],
    )?;
    Ok(())
}

/// The suggestions of a request's replies, each with whether it is still offered.
pub fn offers(conn: &Connection, request_id: i64, status: Status) -> Result<Vec<Offer>> {
    let replies: Vec<Reply> = messages_of_request(conn, request_id)?.iter().map(Stored::reply).collect();
    if replies.is_empty() {
        return Ok(Vec::new());
    }
    let events: Vec<Logged> = crate::store::request::events(conn, request_id)?
        .into_iter()
        .map(|e| Logged { id: e.id, kind: e.kind, on: e.on, void: e.voided_on.is_some() })
        .collect();
    Ok(reply_events::offers(&replies, status, &events, &actions(conn, request_id)?))
}
