//! Campaigns: one records request sent to many agencies, and the draft requests it creates.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::core::dates::MAX_PERIOD_DAYS;
use crate::store::agency::{self, Kind};
use crate::store::campaign::{Campaign, NewCampaign, default_prefix, get};
use crate::{Error, Result};

/// Creates a campaign; every setting is checked before anything is written.
pub fn create(conn: &mut Connection, new: &NewCampaign, today: NaiveDate) -> Result<Campaign> {
    let tx = super::begin(conn)?;
    let c = create_in(&tx, new, today)?;
    tx.commit()?;
    Ok(c)
}

fn create_in(conn: &Connection, new: &NewCampaign, today: NaiveDate) -> Result<Campaign> {
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
        crate::core::vendors::compile("--vendor-pattern", p).map_err(Error::Invalid)?;
    }
    if let Some(n) = new.followup_every
        && !(1..=MAX_PERIOD_DAYS).contains(&n)
    {
        return Err(Error::invalid(format!(
            "--followup-every {n} is out of range: give 1 to {MAX_PERIOD_DAYS} business days"
        )));
    }
    if new.fee_limit_cents.is_some_and(|c| c < 0) {
        return Err(Error::invalid("--fee-limit cannot be negative"));
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
    let tx = super::begin(conn)?;
    let conn = &tx;
    let campaign = get(conn, slug)?;
    if !sel.all && sel.states.is_empty() && sel.kinds.is_empty() && sel.keys.is_empty() {
        return Err(Error::invalid("say which agencies: --all, --state XX, --kind K or --agency KEY"));
    }
    let states = sel.states.iter().map(|s| crate::store::law::code(conn, s)).collect::<Result<Vec<_>>>()?;
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
