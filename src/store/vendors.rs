//! Vendor maps (`vendor_maps`, `vendor_map_entries`) and the counted transactions by spelling
//! that the vendor report and the spending export classify with them.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::Result;
use crate::core::vendors::{Entry, builtin_for};
use crate::store::campaign::Campaign;

/// A campaign's map as it applies now.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CampaignMap {
    pub campaign: String,
    /// The entries, in matching order (the first that matches wins).
    pub entries: Vec<Entry>,
    /// Never edited: the built-in starting map for the campaign's vendor pattern.
    pub builtin: bool,
    /// When the map was last edited.
    pub updated_on: Option<NaiveDate>,
}

/// The entries stored for a campaign, or `None` while it has never been edited.
pub fn stored(conn: &Connection, campaign_id: i64) -> Result<Option<(Vec<Entry>, NaiveDate)>> {
    let updated: Option<NaiveDate> = conn
        .query_row("SELECT updated_on FROM vendor_maps WHERE campaign_id = ?1", [campaign_id], |r| r.get(0))
        .optional()?;
    let Some(updated) = updated else { return Ok(None) };
    let mut stmt =
        conn.prepare_cached("SELECT pattern, vendor FROM vendor_map_entries WHERE campaign_id = ?1 ORDER BY position")?;
    let entries = stmt
        .query_map([campaign_id], |r| Ok(Entry { pattern: r.get(0)?, vendor: r.get(1)? }))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Some((entries, updated)))
}

/// The map that applies to a campaign: its stored entries, else the built-in starting map.
pub fn effective(conn: &Connection, campaign: &Campaign) -> Result<CampaignMap> {
    Ok(match stored(conn, campaign.id)? {
        Some((entries, on)) => {
            CampaignMap { campaign: campaign.slug.clone(), entries, builtin: false, updated_on: Some(on) }
        }
        None => CampaignMap {
            campaign: campaign.slug.clone(),
            entries: builtin_for(campaign.vendor_pattern.as_deref()),
            builtin: true,
            updated_on: None,
        },
    })
}

/// Stores a campaign's whole map (the caller has checked the entries), replacing what was there.
pub fn replace(tx: &Transaction<'_>, campaign_id: i64, entries: &[Entry], today: NaiveDate) -> Result<()> {
    tx.execute("DELETE FROM vendor_map_entries WHERE campaign_id = ?1", [campaign_id])?;
    tx.execute(
        "INSERT INTO vendor_maps (campaign_id, updated_on) VALUES (?1, ?2)
         ON CONFLICT (campaign_id) DO UPDATE SET updated_on = excluded.updated_on",
        params![campaign_id, today],
    )?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO vendor_map_entries (campaign_id, position, pattern, vendor) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (i, e) in entries.iter().enumerate() {
        insert.execute(params![campaign_id, i as i64 + 1, e.pattern, e.vendor])?;
    }
    Ok(())
}

/// Forgets a campaign's stored map, so the built-in starting map applies again.
pub fn forget(tx: &Transaction<'_>, campaign_id: i64) -> Result<bool> {
    tx.execute("DELETE FROM vendor_map_entries WHERE campaign_id = ?1", [campaign_id])?;
    Ok(tx.execute("DELETE FROM vendor_maps WHERE campaign_id = ?1", [campaign_id])? > 0)
}

/// One request's counted transactions with one spelling (in one year, or all years).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpellingTotal {
    pub tracking_code: String,
    pub spelling: String,
    pub transactions: i64,
    /// Exact: summed in two 32-bit halves, put together in 128 bits (see `ops::data::counted_by_year`).
    pub cents: i128,
}

/// The counted transactions (those matching the campaign's vendor pattern) of a campaign's
/// requests, by request and spelling, for one year or all; ordered by tracking code and spelling.
pub fn counted_by_spelling(conn: &Connection, campaign_id: i64, year: Option<i32>) -> Result<Vec<SpellingTotal>> {
    let mut stmt = conn.prepare(
        "SELECT r.tracking_code, t.vendor, COUNT(*), SUM(t.amount_cents >> 32), SUM(t.amount_cents & 4294967295)
         FROM transactions t JOIN data_sources s ON s.id = t.source_id JOIN requests r ON r.id = s.request_id
         WHERE r.campaign_id = ?1 AND t.excluded_reason IS NULL
           AND (?2 IS NULL OR CAST(strftime('%Y', t.txn_date) AS INTEGER) = ?2)
         GROUP BY r.tracking_code, t.vendor ORDER BY r.tracking_code, t.vendor",
    )?;
    let rows = stmt.query_map(params![campaign_id, year], |r| {
        let (high, low): (i64, i64) = (r.get(3)?, r.get(4)?);
        Ok(SpellingTotal {
            tracking_code: r.get(0)?,
            spelling: r.get(1)?,
            transactions: r.get(2)?,
            cents: ((high as i128) << 32) + low as i128,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The effective maps of every campaign, by campaign id (for exports across campaigns).
pub fn all_effective(conn: &Connection) -> Result<BTreeMap<i64, CampaignMap>> {
    let mut out = BTreeMap::new();
    for c in crate::store::campaign::list(conn)? {
        out.insert(c.id, effective(conn, &c)?);
    }
    Ok(out)
}
