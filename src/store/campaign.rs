//! Campaigns: one records request sent to many agencies, and the draft requests it creates.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Campaign {
    #[serde(skip)]
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub records: String,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub code_prefix: String,
    pub vendor_pattern: Option<String>,
    pub fee_limit_cents: Option<i64>,
    pub fee_waiver: Option<String>,
    pub followup_every: u32,
    pub created_on: NaiveDate,
}

const COLUMNS: &str = "id, slug, title, records, period_start, period_end, code_prefix, vendor_pattern, \
                       fee_limit_cents, fee_waiver, followup_every, created_on";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Campaign> {
    Ok(Campaign {
        id: r.get(0)?,
        slug: r.get(1)?,
        title: r.get(2)?,
        records: r.get(3)?,
        period_start: r.get(4)?,
        period_end: r.get(5)?,
        code_prefix: r.get(6)?,
        vendor_pattern: r.get(7)?,
        fee_limit_cents: r.get(8)?,
        fee_waiver: r.get(9)?,
        followup_every: r.get(10)?,
        created_on: r.get(11)?,
    })
}

/// What a user gives to start a campaign.
#[derive(Debug, Clone, Default)]
pub struct NewCampaign {
    pub slug: String,
    pub title: String,
    pub records: String,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub code_prefix: Option<String>,
    pub vendor_pattern: Option<String>,
    pub fee_limit_cents: Option<i64>,
    pub fee_waiver: Option<String>,
    pub followup_every: Option<u32>,
}

/// "amazon-purchases-2016" -> "AP2016": initials, with numbers kept whole.
pub fn default_prefix(slug: &str) -> String {
    let words: Vec<&str> = slug.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    if let [word] = words.as_slice() {
        let mut p = word.to_ascii_uppercase();
        p.truncate(6);
        return p;
    }
    let mut p = String::new();
    for word in words {
        if word.chars().all(|c| c.is_ascii_digit()) {
            p.push_str(word);
        } else {
            p.push(word.chars().next().expect("non-empty word").to_ascii_uppercase());
        }
    }
    p.truncate(10);
    if p.is_empty() { "REQ".into() } else { p }
}

pub fn get(conn: &Connection, slug: &str) -> Result<Campaign> {
    let slug = slug.trim().to_ascii_lowercase();
    conn.query_row(&format!("SELECT {COLUMNS} FROM campaigns WHERE slug = ?1"), [&slug], from_row)
        .optional()?
        .ok_or(Error::NotFound { what: "campaign", key: slug })
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub slug: String,
    pub title: String,
    pub code_prefix: String,
    pub requests: i64,
    /// Requests per status, every status listed.
    pub by_status: Vec<(String, i64)>,
    pub overdue: i64,
}

/// Counts by status and the overdue count on `today`.
pub fn summary(conn: &Connection, c: &Campaign, today: NaiveDate) -> Result<Summary> {
    let mut by_status = Vec::new();
    let mut total = 0;
    for s in crate::core::status::Status::ALL {
        let n: i64 = conn.query_row(
            "SELECT COUNT(*) FROM requests WHERE campaign_id = ?1 AND status = ?2",
            params![c.id, s],
            |r| r.get(0),
        )?;
        total += n;
        by_status.push((s.to_string(), n));
    }
    let overdue: i64 = conn.query_row(
        "SELECT COUNT(*) FROM requests WHERE campaign_id = ?1 AND due_on < ?2
           AND status IN ('awaiting_ack', 'awaiting_response', 'partial', 'appealing')",
        params![c.id, today],
        |r| r.get(0),
    )?;
    Ok(Summary {
        slug: c.slug.clone(),
        title: c.title.clone(),
        code_prefix: c.code_prefix.clone(),
        requests: total,
        by_status,
        overdue,
    })
}

pub fn list(conn: &Connection) -> Result<Vec<Campaign>> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM campaigns ORDER BY created_on, slug"))?;
    let v = stmt.query_map([], from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(default_prefix("amazon-purchases-2016"), "AP2016");
        assert_eq!(default_prefix("police-overtime"), "PO");
        assert_eq!(default_prefix("po"), "PO");
        assert_eq!(default_prefix("overtime"), "OVERTI");
    }
}
