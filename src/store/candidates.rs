//! The requests an unmatched message may be about: the look-ups of `core::matching`, each
//! answered from an index, and the candidates they find, scored.
//!
//! Bounded whatever the size of the database. Per message:
//! - agencies by the domain of their address: one query per domain of the sender (at most six),
//!   on `agencies_email_domain`, at most [`MAX_PER_DOMAIN`] agencies each;
//! - agencies by name: one query on `agencies_name_lower` for the message's candidate names
//!   (at most `matching::MAX_PHRASES`), at most [`MAX_AGENCIES`] agencies;
//! - requests by the agency's reference: one query on `requests_agency_reference` for the
//!   message's reference-like numbers (at most `matching::MAX_TOKENS`), at most
//!   [`MAX_AGENCIES`] requests;
//! - requests by a loosely written tracking code: one query per code (at most
//!   `matching::MAX_CODES`) on the campaigns' unique prefix and `UNIQUE (campaign_id, seq)`;
//! - the requests of each agency found: one query on `requests_agency`, open ones first, at most
//!   [`MAX_PER_AGENCY`] (an agency has one request per campaign);
//! - then one row per candidate (at most [`MAX_CANDIDATES`]), by primary key, with its request
//!   letter's subject through `communications_request`.
//!
//! No query reads every agency or every request; `tests` below check the query plans.

use std::collections::HashSet;

use rusqlite::{Connection, OptionalExtension};

use crate::Result;
use crate::core::matching::{Candidate, Finder, Lookups, Message, Scored, score};

/// Agencies taken from one domain of the sender.
pub const MAX_PER_DOMAIN: usize = 11;
/// Agencies taken by name, and requests taken by reference.
pub const MAX_AGENCIES: usize = 20;
/// Requests taken per agency (an agency has one per campaign; open ones first).
pub const MAX_PER_AGENCY: usize = 50;
/// Candidates scored per message: those found by reference or tracking code first, then the
/// requests of agencies found by address, then by name.
pub const MAX_CANDIDATES: usize = 400;

const BY_DOMAIN: &str =
    "SELECT id FROM agencies WHERE lower(substr(email, instr(email, '@') + 1)) = ?1 ORDER BY id LIMIT ?2";
const BY_NAME: &str =
    "SELECT id FROM agencies WHERE lower(name) IN (SELECT value FROM json_each(?1)) ORDER BY id LIMIT ?2";
const BY_REFERENCE: &str = "SELECT id FROM requests WHERE agency_reference IS NOT NULL
     AND lower(agency_reference) IN (SELECT value FROM json_each(?1)) ORDER BY id LIMIT ?2";
const BY_CODE: &str =
    "SELECT r.id FROM campaigns c JOIN requests r ON r.campaign_id = c.id AND r.seq = ?2 WHERE c.code_prefix = ?1";
const OF_AGENCY: &str = "SELECT id FROM requests WHERE agency_id = ?1
     ORDER BY status IN ('draft', 'completed', 'rejected', 'no_records', 'withdrawn'), created_on DESC, id DESC LIMIT ?2";
const CANDIDATE: &str = "SELECT r.id, r.tracking_code, c.code_prefix, c.title, a.name, a.email, r.agency_reference,
        r.status,
        (SELECT m.subject FROM communications m WHERE m.request_id = r.id AND m.direction = 'outbound'
           AND m.letter = 'request' ORDER BY m.id DESC LIMIT 1)
     FROM requests r JOIN agencies a ON a.id = r.agency_id JOIN campaigns c ON c.id = r.campaign_id
     WHERE r.id = ?1";

/// The campaigns' tracking-code prefixes, for [`Finder::new`].
pub fn prefixes(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT code_prefix FROM campaigns ORDER BY code_prefix")?;
    let v = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(v)
}

fn ids(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let v = stmt.query_map(params, |r| r.get(0))?.collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(v)
}

/// The candidate requests the look-ups find, each once.
pub fn candidates(conn: &Connection, lk: &Lookups) -> Result<Vec<Candidate>> {
    let mut agencies: Vec<i64> = Vec::new();
    for d in &lk.domains {
        agencies.extend(ids(conn, BY_DOMAIN, rusqlite::params![d, MAX_PER_DOMAIN as i64])?);
    }
    if !lk.phrases.is_empty() {
        let json = serde_json::to_string(&lk.phrases).unwrap_or_else(|_| "[]".into());
        agencies.extend(ids(conn, BY_NAME, rusqlite::params![json, MAX_AGENCIES as i64])?);
    }
    let mut requests: Vec<i64> = Vec::new();
    if !lk.references.is_empty() {
        let json = serde_json::to_string(&lk.references).unwrap_or_else(|_| "[]".into());
        requests.extend(ids(conn, BY_REFERENCE, rusqlite::params![json, MAX_AGENCIES as i64])?);
    }
    for (prefix, seq) in &lk.codes {
        requests.extend(ids(conn, BY_CODE, rusqlite::params![prefix, seq])?);
    }
    let mut seen_agency = HashSet::new();
    for a in agencies {
        if requests.len() >= MAX_CANDIDATES {
            break;
        }
        if seen_agency.insert(a) {
            requests.extend(ids(conn, OF_AGENCY, rusqlite::params![a, MAX_PER_AGENCY as i64])?);
        }
    }
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut stmt = conn.prepare_cached(CANDIDATE)?;
    for id in requests.into_iter().take(MAX_CANDIDATES) {
        if !seen.insert(id) {
            continue;
        }
        let c = stmt
            .query_row([id], |r| {
                Ok(Candidate {
                    request_id: r.get(0)?,
                    tracking_code: r.get(1)?,
                    campaign_prefix: r.get(2)?,
                    campaign_title: r.get(3)?,
                    agency_name: r.get(4)?,
                    agency_email: r.get(5)?,
                    agency_reference: r.get(6)?,
                    status: r.get(7)?,
                    letter_subject: r.get(8)?,
                })
            })
            .optional()?;
        out.extend(c);
    }
    Ok(out)
}

/// The likely requests of a message, best first (at most `matching::MAX_SUGGESTIONS`).
pub fn likely(conn: &Connection, finder: &Finder, m: Message<'_>) -> Result<Vec<Scored>> {
    let lk = finder.lookups(&m);
    let found = candidates(conn, &lk)?;
    Ok(score(m, &lk, &found))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every look-up reads through an index: the plan never scans agencies, requests,
    /// campaigns or communications whole.
    #[test]
    fn every_lookup_uses_an_index() {
        let conn = crate::store::db::open_in_memory(&|_| Ok(())).unwrap();
        for sql in [BY_DOMAIN, BY_NAME, BY_REFERENCE, BY_CODE, OF_AGENCY, CANDIDATE] {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let n = stmt.parameter_count();
            let params: Vec<rusqlite::types::Value> =
                (0..n).map(|_| rusqlite::types::Value::Text("[\"x\"]".into())).collect();
            let plan: Vec<String> = stmt
                .query_map(rusqlite::params_from_iter(params), |r| r.get::<_, String>(3))
                .unwrap()
                .map(|r| r.unwrap())
                .collect();
            let text = plan.join("\n");
            let scans: Vec<&String> =
                plan.iter().filter(|l| l.starts_with("SCAN ") && !l.contains("json_each")).collect();
            assert!(scans.is_empty(), "{sql}\n{text}");
            assert!(text.contains("USING"), "{sql}\n{text}");
        }
    }
}
