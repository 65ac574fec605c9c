//! Editing a campaign's vendor map (`campaign vendor-map ...`). A campaign starts with the
//! built-in map for its vendor pattern; the first edit stores that map with the change, and
//! `reset` goes back to the built-in one. Each change is one transaction, checked whole before
//! it is written: every pattern compiles within its bounds, no pattern twice.

use chrono::NaiveDate;
use rusqlite::Connection;

use crate::core::vendors::{self, Entry};
use crate::store::campaign;
use crate::store::vendors::{self as store, CampaignMap};
use crate::{Error, Result};

/// Adds an entry at `position` (1-based; at the end without one) and returns the new map.
pub fn add(
    conn: &mut Connection,
    slug: &str,
    pattern: &str,
    vendor: &str,
    position: Option<usize>,
    today: NaiveDate,
) -> Result<CampaignMap> {
    let pattern = pattern.trim();
    vendors::compile("the pattern", pattern).map_err(Error::Invalid)?;
    let vendor = vendors::check_vendor(vendor).map_err(Error::Invalid)?;
    let tx = super::begin(conn)?;
    let c = campaign::get(&tx, slug)?;
    let mut map = store::effective(&tx, &c)?;
    if let Some(i) = map.entries.iter().position(|e| e.pattern == pattern) {
        return Err(Error::invalid(format!(
            "the pattern '{pattern}' is entry {} of {}'s vendor map already (-> {}); remove it first to change it",
            i + 1,
            c.slug,
            map.entries[i].vendor
        )));
    }
    let at = match position {
        None => map.entries.len(),
        Some(p) if (1..=map.entries.len() + 1).contains(&p) => p - 1,
        Some(p) => {
            return Err(Error::invalid(format!(
                "--position {p} is out of range: the map has {} entries, so give 1 to {}",
                map.entries.len(),
                map.entries.len() + 1
            )));
        }
    };
    map.entries.insert(at, Entry { pattern: pattern.to_string(), vendor });
    vendors::check_entries(&map.entries).map_err(Error::Invalid)?;
    store::replace(&tx, c.id, &map.entries, today)?;
    tx.commit()?;
    Ok(CampaignMap { builtin: false, updated_on: Some(today), ..map })
}

/// Removes an entry, named by its number or its exact pattern; returns it and the new map.
pub fn remove(conn: &mut Connection, slug: &str, which: &str, today: NaiveDate) -> Result<(Entry, CampaignMap)> {
    let tx = super::begin(conn)?;
    let c = campaign::get(&tx, slug)?;
    let mut map = store::effective(&tx, &c)?;
    let which = which.trim();
    let index = match which.parse::<usize>() {
        Ok(n) if (1..=map.entries.len()).contains(&n) => n - 1,
        Ok(n) if !map.entries.iter().any(|e| e.pattern == which) => {
            return Err(Error::invalid(format!(
                "{}'s vendor map has no entry {n} (it has {} entries)",
                c.slug,
                map.entries.len()
            )));
        }
        _ => map.entries.iter().position(|e| e.pattern == which).ok_or_else(|| {
            Error::invalid(format!(
                "{}'s vendor map has no entry with the pattern '{which}'; see `foiatrack campaign vendor-map list {}`",
                c.slug, c.slug
            ))
        })?,
    };
    let removed = map.entries.remove(index);
    store::replace(&tx, c.id, &map.entries, today)?;
    tx.commit()?;
    Ok((removed, CampaignMap { builtin: false, updated_on: Some(today), ..map }))
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportOutcome {
    pub file: String,
    /// Entries read from the file.
    pub imported: usize,
    /// Entries the map had before.
    pub replaced: usize,
    pub appended: bool,
    pub map: CampaignMap,
}

/// Imports a vendor map file (`pattern,vendor`): it replaces the map, or with `append` goes after
/// its entries. All or nothing: any bad row, named by file, line, field and value, and the map
/// stays as it was.
pub fn import(
    conn: &mut Connection,
    slug: &str,
    file: &str,
    data: &[u8],
    append: bool,
    today: NaiveDate,
) -> Result<ImportOutcome> {
    let read = vendors::parse_csv(file, data)?;
    let tx = super::begin(conn)?;
    let c = campaign::get(&tx, slug)?;
    let before = store::effective(&tx, &c)?;
    let entries: Vec<Entry> = if append {
        for e in &read {
            if let Some(i) = before.entries.iter().position(|b| b.pattern == e.pattern) {
                return Err(Error::invalid(format!(
                    "{file}: the pattern '{}' is entry {} of {}'s vendor map already; nothing was imported",
                    e.pattern,
                    i + 1,
                    c.slug
                )));
            }
        }
        before.entries.iter().cloned().chain(read.iter().cloned()).collect()
    } else {
        read.clone()
    };
    vendors::check_entries(&entries).map_err(|m| Error::invalid(format!("{file}: {m}; nothing was imported")))?;
    store::replace(&tx, c.id, &entries, today)?;
    tx.commit()?;
    Ok(ImportOutcome {
        file: file.to_string(),
        imported: read.len(),
        replaced: if append { 0 } else { before.entries.len() },
        appended: append,
        map: CampaignMap { campaign: c.slug, entries, builtin: false, updated_on: Some(today) },
    })
}

/// Goes back to the built-in starting map for the campaign's vendor pattern.
pub fn reset(conn: &mut Connection, slug: &str) -> Result<CampaignMap> {
    let tx = super::begin(conn)?;
    let c = campaign::get(&tx, slug)?;
    store::forget(&tx, c.id)?;
    let map = store::effective(&tx, &c)?;
    tx.commit()?;
    Ok(map)
}
