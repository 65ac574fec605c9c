//! Outbound email: building messages from letters, and sending each exactly once.
//!
//! Every send is recorded as an outbound communication in state `sending` and committed before
//! the server is contacted; once the server accepts the message it is marked `sent` and the
//! request's event (`sent` or `followed-up`) is logged in the same transaction. A message left
//! in `sending` (the process died mid-send) is never re-sent silently: `resolve` settles it.

use chrono::NaiveDate;
use rusqlite::Connection;
use serde::Serialize;

use crate::Result;
use crate::core::letter::LetterKind;

/// A message left in 'sending': the process stopped between starting and finishing the send.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Pending {
    pub communication_id: i64,
    pub tracking_code: String,
    pub letter: LetterKind,
    pub to: Option<String>,
    pub message_id: Option<String>,
    pub created_on: NaiveDate,
}

pub fn pending(conn: &Connection) -> Result<Vec<Pending>> {
    let mut stmt = conn.prepare(
        "SELECT c.id, r.tracking_code, c.letter, c.to_addr, c.message_id, c.created_on, c.subject
         FROM communications c JOIN requests r ON r.id = c.request_id
         WHERE c.state = 'sending' ORDER BY r.tracking_code, c.id",
    )?;
    let v = stmt
        .query_map([], |r| {
            Ok(Pending {
                communication_id: r.get(0)?,
                tracking_code: r.get(1)?,
                letter: crate::core::letter::kind_from_subject(
                    r.get(2)?,
                    &r.get::<_, Option<String>>(6)?.unwrap_or_default(),
                ),
                to: r.get(3)?,
                message_id: r.get(4)?,
                created_on: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}

/// One row of the outbox: a draft waiting to go, or an outbound message in any state.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct OutboxRow {
    pub tracking_code: String,
    pub agency_name: String,
    pub letter: String,
    pub state: String,
    pub channel: String,
    pub to: Option<String>,
    pub created_on: Option<NaiveDate>,
    pub sent_on: Option<NaiveDate>,
    pub attempts: i64,
    pub error: Option<String>,
    pub message_id: Option<String>,
}

/// Queued drafts (agencies with email, not yet sent), then messages by state and code.
pub fn outbox(conn: &Connection, campaign: Option<&str>) -> Result<Vec<OutboxRow>> {
    let campaign_id = campaign.map(|c| crate::store::campaign::get(conn, c)).transpose()?.map(|c| c.id);
    let mut rows = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT r.tracking_code, a.name, a.email FROM requests r JOIN agencies a ON a.id = r.agency_id
         WHERE r.status = 'draft' AND a.email IS NOT NULL AND (?1 IS NULL OR r.campaign_id = ?1)
           AND NOT EXISTS (SELECT 1 FROM communications c WHERE c.request_id = r.id AND c.state = 'sending')
         ORDER BY r.tracking_code",
    )?;
    for row in stmt.query_map([campaign_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?)))? {
        let (code, name, to) = row?;
        rows.push(OutboxRow {
            tracking_code: code,
            agency_name: name,
            letter: "request".into(),
            state: "queued".into(),
            channel: "email".into(),
            to,
            created_on: None,
            sent_on: None,
            attempts: 0,
            error: None,
            message_id: None,
        });
    }
    let mut stmt = conn.prepare(
        "SELECT r.tracking_code, a.name, c.letter, c.state, c.channel, c.to_addr, c.created_on, c.sent_on, c.attempts,
                c.error, c.message_id
         FROM communications c JOIN requests r ON r.id = c.request_id JOIN agencies a ON a.id = r.agency_id
         WHERE c.direction = 'outbound' AND (?1 IS NULL OR r.campaign_id = ?1)
         ORDER BY CASE c.state WHEN 'sending' THEN 0 WHEN 'failed' THEN 1 WHEN 'sent' THEN 2 ELSE 3 END,
                  r.tracking_code, c.id",
    )?;
    for row in stmt.query_map([campaign_id], |r| {
        Ok(OutboxRow {
            tracking_code: r.get(0)?,
            agency_name: r.get(1)?,
            letter: r.get(2)?,
            state: r.get(3)?,
            channel: r.get(4)?,
            to: r.get(5)?,
            created_on: r.get(6)?,
            sent_on: r.get(7)?,
            attempts: r.get(8)?,
            error: r.get(9)?,
            message_id: r.get(10)?,
        })
    })? {
        rows.push(row?);
    }
    Ok(rows)
}
