//! Campaigns: one records request sent to many agencies, and the draft requests it creates.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use crate::agency::{self, Kind};
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

pub fn create(conn: &Connection, new: &NewCampaign, today: NaiveDate) -> Result<Campaign> {
    let slug = new.slug.trim().to_ascii_lowercase();
    if slug.is_empty() || !slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        return Err(Error::invalid(format!(
            "'{}' is not a usable campaign slug: use lower-case letters, digits and '-' (e.g. amazon-2016)",
            new.slug
        )));
    }
    if get(conn, &slug).is_ok() {
        return Err(Error::invalid(format!("a campaign '{slug}' exists already")));
    }
    if new.title.trim().is_empty() {
        return Err(Error::invalid("a campaign needs a --title"));
    }
    if new.records.trim().is_empty() {
        return Err(Error::invalid("a campaign needs the records asked for: --records or --records-file"));
    }
    if let (Some(a), Some(b)) = (new.period_start, new.period_end)
        && a > b
    {
        return Err(Error::invalid(format!("--period-start {a} is after --period-end {b}")));
    }
    let prefix = match &new.code_prefix {
        Some(p) => {
            let p = p.trim().to_ascii_uppercase();
            if p.is_empty() || p.len() > 12 || !p.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(Error::invalid(format!(
                    "'{p}' is not a usable --code-prefix: 1 to 12 letters and digits, e.g. AMZ16"
                )));
            }
            p
        }
        None => default_prefix(&slug),
    };
    let taken: Option<String> =
        conn.query_row("SELECT slug FROM campaigns WHERE code_prefix = ?1", [&prefix], |r| r.get(0)).optional()?;
    if let Some(other) = taken {
        return Err(Error::invalid(format!(
            "tracking-code prefix {prefix} is used by campaign '{other}'; choose another with --code-prefix"
        )));
    }
    if let Some(p) = &new.vendor_pattern {
        regex::Regex::new(p)
            .map_err(|e| Error::invalid(format!("--vendor-pattern is not a valid regular expression: {e}")))?;
    }
    if new.followup_every == Some(0) {
        return Err(Error::invalid("--followup-every must be at least 1 business day"));
    }
    conn.execute(
        "INSERT INTO campaigns (slug, title, records, period_start, period_end, code_prefix, vendor_pattern,
                                fee_limit_cents, fee_waiver, followup_every, created_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            slug,
            new.title.trim(),
            new.records.trim(),
            new.period_start,
            new.period_end,
            prefix,
            new.vendor_pattern,
            new.fee_limit_cents,
            new.fee_waiver.as_deref().map(str::trim).filter(|s| !s.is_empty()),
            new.followup_every.unwrap_or(10),
            today
        ],
    )?;
    get(conn, &slug)
}

pub fn get(conn: &Connection, slug: &str) -> Result<Campaign> {
    let slug = slug.trim().to_ascii_lowercase();
    conn.query_row(&format!("SELECT {COLUMNS} FROM campaigns WHERE slug = ?1"), [&slug], from_row)
        .optional()?
        .ok_or(Error::NotFound { what: "campaign", key: slug })
}

/// Which agencies to add to a campaign. Filters combine: state AND kind AND key.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub all: bool,
    pub states: Vec<String>,
    pub kinds: Vec<Kind>,
    pub keys: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AddReport {
    pub added: usize,
    pub existed: usize,
    pub codes: Vec<String>,
}

/// Creates one draft request per selected agency, never two for the same agency.
pub fn add_agencies(conn: &mut Connection, slug: &str, sel: &Selection, today: NaiveDate) -> Result<AddReport> {
    let campaign = get(conn, slug)?;
    if !sel.all && sel.states.is_empty() && sel.kinds.is_empty() && sel.keys.is_empty() {
        return Err(Error::invalid("say which agencies: --all, --state XX, --kind K or --agency KEY"));
    }
    let states = sel.states.iter().map(|s| crate::law::code(conn, s)).collect::<Result<Vec<_>>>()?;
    let mut agencies = agency::list(conn, &agency::Filter { states, kinds: sel.kinds.clone() })?;
    if !sel.keys.is_empty() {
        let keys: Vec<String> = sel.keys.iter().map(|k| k.trim().to_ascii_lowercase()).collect();
        for k in &keys {
            agency::get(conn, k)?;
        }
        agencies.retain(|a| keys.contains(&a.key));
    }
    if agencies.is_empty() {
        return Err(Error::invalid("no agency matches; see `foiatrack agency list`"));
    }
    let tx = conn.transaction()?;
    let mut next_seq: i64 =
        tx.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM requests WHERE campaign_id = ?1", [campaign.id], |r| {
            r.get(0)
        })?;
    let mut report = AddReport { added: 0, existed: 0, codes: Vec::new() };
    for a in agencies {
        let agency_id: i64 = tx.query_row("SELECT id FROM agencies WHERE key = ?1", [&a.key], |r| r.get(0))?;
        let exists = tx
            .query_row(
                "SELECT 1 FROM requests WHERE campaign_id = ?1 AND agency_id = ?2",
                params![campaign.id, agency_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if exists {
            report.existed += 1;
            continue;
        }
        let code = format!("{}-{:04}", campaign.code_prefix, next_seq);
        tx.execute(
            "INSERT INTO requests (campaign_id, agency_id, seq, tracking_code, created_on) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![campaign.id, agency_id, next_seq, code, today],
        )?;
        next_seq += 1;
        report.added += 1;
        report.codes.push(code);
    }
    tx.commit()?;
    Ok(report)
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
    for s in crate::status::Status::ALL {
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
