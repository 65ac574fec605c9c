//! Exports for analysts: requests, events, communications, spending rows and agencies as one
//! flat table each (CSV or JSON), and due dates as an iCalendar file.

use std::collections::HashMap;

use chrono::{NaiveDate, TimeZone, Utc};
use rusqlite::{Connection, types::ValueRef};
use serde_json::{Map, Value};

use crate::core::deadline::business_days_between;
use crate::core::status::Status;
use crate::projection::Calendars;
use crate::{Error, Result};

/// A flat table: column names and rows of JSON values (numbers stay numbers).
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    /// Rows as JSON objects with the column names as keys.
    pub fn objects(&self) -> Vec<Map<String, Value>> {
        self.rows.iter().map(|r| self.columns.iter().cloned().zip(r.iter().cloned()).collect()).collect()
    }
}

/// Runs a query whose column names are the export's field names.
fn query(conn: &Connection, sql: &str, campaign_id: Option<i64>) -> Result<Table> {
    let mut stmt = conn.prepare(sql)?;
    let columns: Vec<String> = stmt.column_names().map(String::from).collect();
    let n = columns.len();
    let mut rows = Vec::new();
    let mut q = stmt.query([campaign_id])?;
    while let Some(r) = q.next()? {
        let mut row = Vec::with_capacity(n);
        for i in 0..n {
            row.push(match r.get_ref(i)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(v) => Value::from(v),
                ValueRef::Real(v) => Value::from(v),
                ValueRef::Text(t) => Value::from(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(_) => Value::Null,
            });
        }
        rows.push(row);
    }
    Ok(Table { columns, rows })
}

fn cents_to_decimal(t: &mut Table, column: &str) {
    if let Some(i) = t.columns.iter().position(|c| c == column) {
        for r in &mut t.rows {
            if let Some(c) = r[i].as_i64() {
                r[i] = Value::from(crate::core::money::decimal(c));
            }
        }
    }
}

fn campaign_id(conn: &Connection, campaign: Option<&str>) -> Result<Option<i64>> {
    Ok(campaign.map(|c| crate::store::campaign::get(conn, c)).transpose()?.map(|c| c.id))
}

/// What can be exported.
pub const KINDS: &[&str] = &["requests", "events", "communications", "spending", "agencies"];

pub fn export(conn: &Connection, what: &str, campaign: Option<&str>, today: NaiveDate) -> Result<Table> {
    let cid = campaign_id(conn, campaign)?;
    let mut t = match what {
        "requests" => {
            let mut t = query(
                conn,
                "SELECT r.tracking_code, c.slug AS campaign, a.key AS agency_key, a.name AS agency_name, a.state, a.kind,
                        r.status, r.sent_on, r.due_on, r.first_response_on, r.closed_on,
                        NULL AS business_days_outstanding, r.followups AS followups_sent, r.fee_cents AS fee_requested,
                        COALESCE(m.appealed, 0) = 1 AS appealed, r.agency_reference
                 FROM requests r JOIN agencies a ON a.id = r.agency_id JOIN campaigns c ON c.id = r.campaign_id
                 LEFT JOIN request_metrics m ON m.request_id = r.id
                 WHERE ?1 IS NULL OR r.campaign_id = ?1 ORDER BY r.tracking_code",
                cid,
            )?;
            // Business days outstanding: from sending to closing, or to today while open.
            let col = |name: &str| t.columns.iter().position(|c| c == name).expect("selected column");
            let (state, status, sent, closed, out, appealed) =
                (col("state"), col("status"), col("sent_on"), col("closed_on"), col("business_days_outstanding"), col("appealed"));
            let mut cals = Calendars::default();
            for r in &mut t.rows {
                r[appealed] = Value::from(r[appealed].as_i64() == Some(1));
                let Some(sent_on) = r[sent].as_str().and_then(|s| s.parse::<NaiveDate>().ok()) else { continue };
                let end = match r[closed].as_str().and_then(|s| s.parse::<NaiveDate>().ok()) {
                    Some(c) => c,
                    None if r[status].as_str().and_then(|s| s.parse::<Status>().ok()).is_some_and(|s| !s.is_terminal()) => {
                        today
                    }
                    None => continue,
                };
                let cal = cals.get(conn, r[state].as_str().unwrap_or("US"))?;
                r[out] = Value::from(business_days_between(cal, sent_on, end).max(0));
            }
            cents_to_decimal(&mut t, "fee_requested");
            t
        }
        "events" => {
            let mut t = query(
                conn,
                "SELECT e.id AS event_id, r.tracking_code, e.kind AS event, e.on_date AS on_date, e.note, e.days,
                        e.until, e.amount_cents AS amount, e.via, e.reference, e.recorded_on, w.actor, e.voided_on,
                        e.void_reason, w.voided_by
                 FROM events e JOIN requests r ON r.id = e.request_id LEFT JOIN event_actors w ON w.event_id = e.id
                 WHERE ?1 IS NULL OR r.campaign_id = ?1 ORDER BY r.tracking_code, e.on_date, e.id",
                cid,
            )?;
            cents_to_decimal(&mut t, "amount");
            t
        }
        "communications" => query(
            conn,
            "SELECT m.id AS communication_id, r.tracking_code, m.direction, m.kind, m.letter, m.channel, m.state,
                    m.created_on AS date, m.sent_on, m.from_addr AS from_address, m.to_addr AS to_address, m.subject,
                    m.message_id, m.error, d.matched_by, m.bounced_by,
                    (SELECT COUNT(*) FROM attachments x WHERE x.communication_id = m.id) AS attachments
             FROM communications m LEFT JOIN requests r ON r.id = m.request_id
             LEFT JOIN inbound_details d ON d.communication_id = m.id
             WHERE ?1 IS NULL OR r.campaign_id = ?1 ORDER BY m.created_on, m.id",
            cid,
        )?,
        "spending" => {
            let mut t = query(
                conn,
                "SELECT * FROM (
                 SELECT 'transaction' AS record_type, r.tracking_code, a.key AS agency_key,
                        a.name AS agency_name, a.state, t.txn_date AS date,
                        CAST(strftime('%Y', t.txn_date) AS INTEGER) AS year, t.amount_cents AS amount, t.vendor,
                        NULL AS canonical_vendor, t.description, t.excluded_reason IS NULL AS counted,
                        t.excluded_reason, s.file_name AS source_file, s.sha256 AS source_sha256,
                        s.sheet AS source_sheet, t.row_number AS source_row, NULL AS note, r.campaign_id AS campaign_id
                 FROM transactions t JOIN data_sources s ON s.id = t.source_id JOIN requests r ON r.id = s.request_id
                 JOIN agencies a ON a.id = r.agency_id
                 WHERE ?1 IS NULL OR r.campaign_id = ?1
                 UNION ALL
                 SELECT 'reported_total', r.tracking_code, a.key, a.name, a.state, NULL, t.year, t.amount_cents,
                        NULL, NULL, NULL, 1, NULL, NULL, NULL, NULL, NULL, t.note, r.campaign_id
                 FROM reported_totals t JOIN requests r ON r.id = t.request_id JOIN agencies a ON a.id = r.agency_id
                 WHERE ?1 IS NULL OR r.campaign_id = ?1)
                 ORDER BY tracking_code, record_type DESC, source_sha256, source_row, year",
                cid,
            )?;
            cents_to_decimal(&mut t, "amount");
            let col = |t: &Table, name: &str| t.columns.iter().position(|c| c == name).expect("selected column");
            let (counted, vendor, canonical, campaign) =
                (col(&t, "counted"), col(&t, "vendor"), col(&t, "canonical_vendor"), col(&t, "campaign_id"));
            // Each transaction's canonical vendor, from its campaign's vendor map (each distinct
            // spelling classified once); a reported total has none: it is not split by vendor.
            let mut maps: HashMap<i64, crate::core::vendors::VendorMap> = HashMap::new();
            for (id, m) in crate::store::vendors::all_effective(conn)? {
                maps.insert(id, crate::core::vendors::VendorMap::new(&m.entries).map_err(Error::Invalid)?);
            }
            let mut seen: HashMap<(i64, String), Option<String>> = HashMap::new();
            for r in &mut t.rows {
                r[counted] = Value::from(r[counted].as_i64() == Some(1));
                if let (Some(spelling), Some(id)) = (r[vendor].as_str(), r[campaign].as_i64()) {
                    let v = seen
                        .entry((id, spelling.to_string()))
                        .or_insert_with(|| maps.get(&id).and_then(|m| m.canonical(spelling)).map(String::from));
                    r[canonical] = v.clone().map_or(Value::Null, Value::from);
                }
                r.remove(campaign);
            }
            t.columns.remove(campaign);
            t
        }
        "agencies" => query(
            conn,
            "SELECT key, name, state, kind, population, email, portal_url, mailing_address, phone, contact_name, notes,
                    response_days, day_type
             FROM agencies WHERE ?1 IS NULL OR EXISTS (SELECT 1 FROM requests r WHERE r.agency_id = agencies.id AND r.campaign_id = ?1)
             ORDER BY state, name, key",
            cid,
        )?,
        other => {
            return Err(Error::invalid(format!("unknown export '{other}'; use one of: {}, calendar", KINDS.join(", "))));
        }
    };
    t.columns.iter_mut().for_each(|c| *c = c.to_ascii_lowercase());
    Ok(t)
}

/// A TEXT value for a calendar. RFC 5545 allows no control characters in TEXT but the tab, and
/// a bare CR or LF ends the content line, so: CR LF, a lone CR and a lone LF become one line feed
/// when `lines` (the icalendar crate writes it as the escape `\n`) or a space when not (SUMMARY
/// is one line); tabs become spaces and other control characters visible symbols. The crate
/// escapes `\`, `;` and `,` and folds lines at 75 octets.
fn ics_text(s: &str, lines: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' | '\n' => out.push(if lines { '\n' } else { ' ' }),
            '\t' => out.push(' '),
            c => crate::views::render::push_visible(&mut out, c),
        }
    }
    out
}

/// Due dates and follow-up dates of open requests as an iCalendar file. Deterministic: UIDs
/// come from tracking codes and the stamp from `today`. Agency names are made safe by [`ics_text`].
pub fn calendar(conn: &Connection, campaign: Option<&str>, today: NaiveDate) -> Result<String> {
    use icalendar::{Calendar, Component, EventLike};
    let requests = crate::views::request::list(
        conn,
        &crate::views::request::Filter { campaign: campaign.map(String::from), ..Default::default() },
        today,
    )?;
    let stamp = Utc.from_utc_datetime(&today.and_hms_opt(0, 0, 0).expect("midnight exists"));
    let mut cal = Calendar::new();
    cal.name(&ics_text(
        &match campaign {
            Some(c) => format!("foiatrack deadlines: {c}"),
            None => "foiatrack deadlines".into(),
        },
        false,
    ));
    for l in requests.iter().filter(|l| l.request.status.can_be_overdue()) {
        let r = &l.request;
        if let Some(due) = r.due_on {
            cal.push(
                icalendar::Event::new()
                    .uid(&format!("{}-due@foiatrack", r.tracking_code))
                    .timestamp(stamp)
                    .summary(&ics_text(&format!("{} due: {}", r.tracking_code, r.agency_name), false))
                    .description(&ics_text(
                        &format!("Response due under the {} law. Status: {}.", r.state, r.status),
                        true,
                    ))
                    .all_day(due)
                    .done(),
            );
        }
        if let Some(f) = r.followup_on {
            cal.push(
                icalendar::Event::new()
                    .uid(&format!("{}-followup@foiatrack", r.tracking_code))
                    .timestamp(stamp)
                    .summary(&ics_text(&format!("{} follow up: {}", r.tracking_code, r.agency_name), false))
                    .description(&ics_text(
                        &format!("Follow-up date from the campaign policy. Status: {}.", r.status),
                        true,
                    ))
                    .all_day(f)
                    .done(),
            );
        }
    }
    Ok(cal.done().to_string())
}

#[cfg(test)]
mod tests {
    use super::ics_text;

    #[test]
    fn calendar_text_has_no_bare_line_breaks_or_controls() {
        assert_eq!(ics_text("Town of\rEvil\nville\r\nCO", false), "Town of Evil ville CO");
        assert_eq!(ics_text("one\rtwo\r\nthree\nfour", true), "one\ntwo\nthree\nfour");
        assert_eq!(ics_text("tab\there \x1b[31m\x00", false), "tab here ␛[31m␀");
        assert_eq!(ics_text("Ünïcode, semi; back\\slash", false), "Ünïcode, semi; back\\slash");
    }
}
