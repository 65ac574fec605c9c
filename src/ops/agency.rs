//! Agencies: adding, editing and importing them. Only the fields a user gives change; a
//! change that moves deadlines (state, kind, own period) recomputes that agency's requests, and nothing
//! else does.

use std::collections::HashMap;

use rusqlite::{Connection, Transaction};
use serde::Serialize;

use crate::core::csvin;
use crate::error::RowProblem;
use crate::projection::{self, Scope};
use crate::store::agency::{self, Agency, AgencyInput, FieldProblem, Saved, validate};
use crate::{Error, Result};

/// Adds one agency; refuses a key that exists.
pub fn add(conn: &mut Connection, input: &AgencyInput) -> Result<Agency> {
    let tx = super::begin(conn)?;
    let agency = validate(&tx, input)?.map_err(|p| field_error(&p))?;
    if agency::id(&tx, &agency.key)?.is_some() {
        return Err(Error::invalid(format!(
            "an agency with key '{}' exists; change it with `foiatrack agency edit {}`",
            agency.key, agency.key
        )));
    }
    agency::save(&tx, &agency)?;
    tx.commit()?;
    Ok(agency)
}

/// The input an existing agency would give, so absent fields keep their values.
fn as_input(a: &Agency) -> AgencyInput {
    AgencyInput {
        key: Some(a.key.clone()),
        name: Some(a.name.clone()),
        state: Some(a.state.clone()),
        kind: Some(a.kind.to_string()),
        population: a.population.map(|p| p.to_string()),
        email: a.email.clone(),
        portal_url: a.portal_url.clone(),
        mailing_address: a.mailing_address.clone(),
        phone: a.phone.clone(),
        contact_name: a.contact_name.clone(),
        notes: a.notes.clone(),
        response_days: a.response_days.map(|d| d.to_string()),
        day_type: a.day_type.map(|d| d.to_string()),
    }
}

/// `change` over `current`: a field given (even empty, which clears it) wins; an absent one keeps.
fn merge(current: &Agency, change: &AgencyInput) -> AgencyInput {
    let base = as_input(current);
    let pick = |new: &Option<String>, old: Option<String>| new.clone().or(old);
    AgencyInput {
        key: base.key,
        name: pick(&change.name, base.name),
        state: pick(&change.state, base.state),
        kind: pick(&change.kind, base.kind),
        population: pick(&change.population, base.population),
        email: pick(&change.email, base.email),
        portal_url: pick(&change.portal_url, base.portal_url),
        mailing_address: pick(&change.mailing_address, base.mailing_address),
        phone: pick(&change.phone, base.phone),
        contact_name: pick(&change.contact_name, base.contact_name),
        notes: pick(&change.notes, base.notes),
        response_days: pick(&change.response_days, base.response_days),
        day_type: pick(&change.day_type, base.day_type),
    }
}

/// Whether a change moves the agency's deadlines (its kind does where a law's period binds only
/// some kinds, e.g. Montana's executive-branch agencies).
fn moves_deadlines(before: &Agency, after: &Agency) -> bool {
    before.state != after.state
        || before.kind != after.kind
        || before.response_days != after.response_days
        || before.day_type != after.day_type
}

/// Saves and recomputes the agency's requests when its deadlines moved.
fn save_and_recompute(tx: &Transaction<'_>, before: Option<&Agency>, after: &Agency) -> Result<Saved> {
    let saved = agency::save(tx, after)?;
    if let Some(before) = before
        && moves_deadlines(before, after)
        && let Some(id) = agency::id(tx, &after.key)?
    {
        projection::recompute(tx, Scope::Agency(id))?;
    }
    Ok(saved)
}

/// Changes the fields given (an empty string clears an optional field); the key stays.
pub fn edit(conn: &mut Connection, key: &str, change: &AgencyInput) -> Result<Agency> {
    let tx = super::begin(conn)?;
    let current = agency::get(&tx, key)?;
    let agency = validate(&tx, &merge(&current, change))?.map_err(|p| field_error(&p))?;
    save_and_recompute(&tx, Some(&current), &agency)?;
    tx.commit()?;
    Ok(agency)
}

/// One field an import changes on an existing agency (listed by `--dry-run`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub key: String,
    pub field: &'static str,
    pub before: Option<String>,
    pub after: Option<String>,
}

fn field_changes(before: &Agency, after: &Agency) -> Vec<FieldChange> {
    let (b, a) = (as_input(before), as_input(after));
    let pairs: [(&'static str, &Option<String>, &Option<String>); 12] = [
        ("name", &b.name, &a.name),
        ("state", &b.state, &a.state),
        ("kind", &b.kind, &a.kind),
        ("population", &b.population, &a.population),
        ("email", &b.email, &a.email),
        ("portal_url", &b.portal_url, &a.portal_url),
        ("mailing_address", &b.mailing_address, &a.mailing_address),
        ("phone", &b.phone, &a.phone),
        ("contact_name", &b.contact_name, &a.contact_name),
        ("notes", &b.notes, &a.notes),
        ("response_days", &b.response_days, &a.response_days),
        ("day_type", &b.day_type, &a.day_type),
    ];
    pairs
        .into_iter()
        .filter(|(_, x, y)| x != y)
        .map(|(field, x, y)| FieldChange { key: after.key.clone(), field, before: x.clone(), after: y.clone() })
        .collect()
}

fn field_error(problems: &[FieldProblem]) -> Error {
    let text = problems
        .iter()
        .map(
            |(col, val, msg)| {
                if val.is_empty() { format!("{col}: {msg}") } else { format!("{col}: {msg} (value: '{val}')") }
            },
        )
        .collect::<Vec<_>>()
        .join("; ");
    Error::invalid(text)
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub file: String,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Rows left out under `--skip-invalid`, with why.
    pub skipped: Vec<RowProblem>,
    /// Header names foiatrack does not know; their values are ignored.
    pub unknown_columns: Vec<String>,
    /// Every field an import changes on an agency that exists already.
    pub changes: Vec<FieldChange>,
    pub dry_run: bool,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    pub dry_run: bool,
    pub skip_invalid: bool,
}

const KNOWN: [&str; 13] = [
    "key",
    "name",
    "state",
    "kind",
    "population",
    "email",
    "portal_url",
    "mailing_address",
    "phone",
    "contact_name",
    "notes",
    "response_days",
    "day_type",
];

/// Imports an agency list. Atomic: with any bad row nothing is written (unless `skip_invalid`),
/// and every bad row is named. Re-importing updates agencies by key.
pub fn import(conn: &mut Connection, file: &str, data: &[u8], opts: ImportOptions) -> Result<ImportReport> {
    let table = csvin::read_table(file, data)?;
    let headers = table.headers;
    let tx = super::begin(conn)?;
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut unknown_columns = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        match KNOWN.iter().find(|k| **k == h) {
            Some(k) => {
                if index.insert(k, i).is_some() {
                    return Err(Error::invalid(format!("{file}: the column '{h}' appears twice in the header")));
                }
            }
            None if h.is_empty() => {}
            None => unknown_columns.push(h.clone()),
        }
    }
    for required in ["name", "state"] {
        if !index.contains_key(required) {
            return Err(Error::invalid(format!(
                "{file}: the header has no '{required}' column (found: {})",
                headers.join(", ")
            )));
        }
    }

    let mut good: Vec<(u64, Agency)> = Vec::new();
    let mut problems: Vec<RowProblem> = Vec::new();
    let mut first_line_of_key: HashMap<String, u64> = HashMap::new();
    for rec in table.records {
        let (line, rec) = match rec {
            Ok(r) => r,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        if rec.len() > headers.len() {
            problems.push(RowProblem {
                file: file.into(),
                line,
                column: None,
                value: None,
                message: format!("{} fields, but the header has {}", rec.len(), headers.len()),
            });
            continue;
        }
        let field = |name: &str| index.get(name).and_then(|i| rec.get(*i)).map(str::to_string);
        let input = AgencyInput {
            key: field("key"),
            name: field("name"),
            state: field("state"),
            kind: field("kind"),
            population: field("population"),
            email: field("email"),
            portal_url: field("portal_url"),
            mailing_address: field("mailing_address"),
            phone: field("phone"),
            contact_name: field("contact_name"),
            notes: field("notes"),
            response_days: field("response_days"),
            day_type: field("day_type"),
        };
        // A row for an existing agency changes only the columns the file has.
        let checked = match validate(&tx, &input)? {
            Ok(a) => match agency::get(&tx, &a.key) {
                Ok(current) => validate(&tx, &merge(&current, &input))?,
                Err(Error::NotFound { .. }) => Ok(a),
                Err(e) => return Err(e),
            },
            Err(p) => Err(p),
        };
        match checked {
            Ok(agency) => {
                if let Some(first) = first_line_of_key.get(&agency.key) {
                    problems.push(RowProblem {
                        file: file.into(),
                        line,
                        column: Some("key".into()),
                        value: Some(agency.key.clone()),
                        message: format!("duplicate key; line {first} has it already"),
                    });
                } else {
                    first_line_of_key.insert(agency.key.clone(), line);
                    good.push((line, agency));
                }
            }
            Err(fields) => problems.extend(fields.into_iter().map(|(col, val, msg)| RowProblem {
                file: file.into(),
                line,
                column: Some(col.into()),
                value: if val.is_empty() { None } else { Some(val) },
                message: msg,
            })),
        }
    }
    if !problems.is_empty() && !opts.skip_invalid {
        return Err(Error::Import { file: file.into(), problems });
    }

    let mut report = ImportReport {
        file: file.into(),
        skipped: problems,
        unknown_columns,
        dry_run: opts.dry_run,
        ..Default::default()
    };
    for (_, agency) in &good {
        let before = match agency::get(&tx, &agency.key) {
            Ok(a) => Some(a),
            Err(Error::NotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        if let Some(b) = &before {
            report.changes.extend(field_changes(b, agency));
        }
        match save_and_recompute(&tx, before.as_ref(), agency)? {
            Saved::Added => report.added += 1,
            Saved::Updated => report.updated += 1,
            Saved::Unchanged => report.unchanged += 1,
        }
    }
    if opts.dry_run {
        tx.rollback()?;
    } else {
        tx.commit()?;
    }
    Ok(report)
}
