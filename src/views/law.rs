//! Laws as people read them: the table of every jurisdiction's law, and one law with the
//! agencies it binds, its holidays for a year (each with where it comes from) and its sources.

use std::collections::HashMap;

use rusqlite::Connection;
use serde::Serialize;

use crate::core::calendar::{self, Holiday};
use crate::core::route::{AppealKind, Binds, ConstructiveDenial, Route};
use crate::store::agency::{self, Agency, Filter};
use crate::store::law::{self, Law};
use crate::{Error, Result};

/// A law as listed, with how many agencies in the database it binds.
#[derive(Debug, Clone, Serialize)]
pub struct LawRow {
    pub law: Law,
    pub agencies: i64,
}

/// Every law (federal last), with agency counts.
pub fn table(conn: &Connection) -> Result<Vec<LawRow>> {
    let mut stmt = conn.prepare("SELECT state, COUNT(*) FROM agencies GROUP BY state")?;
    let counts = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<HashMap<_, _>>>()?;
    Ok(law::list(conn)?
        .into_iter()
        .map(|law| LawRow { agencies: counts.get(&law.code).copied().unwrap_or(0), law })
        .collect())
}

/// One law, in full.
#[derive(Debug, Clone, Serialize)]
pub struct LawPage {
    pub law: Law,
    /// The year the holidays are for.
    pub year: i32,
    /// The days the jurisdiction's offices close that year, with their origin (federal, the
    /// state's own rule, or added by a user).
    pub holidays: Vec<Holiday>,
    /// Where the built-in calendar comes from.
    pub calendar_sources: Vec<String>,
    /// Where the law's facts come from (its period, its appeal route, its scope), each once.
    pub sources: Vec<String>,
    /// Whom the period binds and who may request, as (label, sentence).
    pub scope: Vec<(String, String)>,
    /// What the law provides after a denial or silence, as (label, sentence).
    pub route: Vec<(String, String)>,
    /// Agencies in the database under this law that follow its period.
    pub agencies: Vec<Agency>,
    /// Agencies under this law with a period of their own.
    pub own_period: Vec<Agency>,
    /// Agencies under this law that its period does not bind (by their kind).
    pub not_bound: Vec<Agency>,
}

/// The first and last years a holiday list can be asked for.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2199;

/// One law, its agencies, and its holidays in `year`.
pub fn page(conn: &Connection, code: &str, year: i32) -> Result<LawPage> {
    let law = law::get(conn, code)?;
    if !YEARS.contains(&year) {
        return Err(Error::invalid(format!("the year {year} is out of range: give a year from 1900 to 2199")));
    }
    let holidays = crate::store::holiday::calendar(conn, &law.code)?.holidays(year);
    let mut agencies = Vec::new();
    let mut own_period = Vec::new();
    let mut not_bound = Vec::new();
    for a in agency::list(conn, &Filter { states: vec![law.code.clone()], kinds: Vec::new() })? {
        if a.day_type.is_some() {
            own_period.push(a);
        } else if law.period_binds(a.kind.as_str()) {
            agencies.push(a);
        } else {
            not_bound.push(a);
        }
    }
    let mut sources: Vec<String> = Vec::new();
    let all = [
        Some(law.source.as_str()),
        law.appeal_route.as_ref().map(|r| r.sources.as_str()),
        law.scope.as_ref().map(|c| c.sources.as_str()),
    ];
    for src in all.into_iter().flatten().flat_map(split_sources) {
        if !sources.contains(&src) {
            sources.push(src);
        }
    }
    Ok(LawPage {
        year,
        holidays,
        calendar_sources: calendar::sources(&law.code),
        sources,
        scope: scope_facts(&law),
        route: law.appeal_route.as_ref().map(route_facts).unwrap_or_else(|| {
            vec![("Appeal route".into(), "not loaded (run `foiatrack init` to load the built-in law data)".into())]
        }),
        agencies,
        own_period,
        not_bound,
        law,
    })
}

fn cite(c: &Option<String>) -> String {
    c.as_ref().map(|c| format!(" ({c})")).unwrap_or_default()
}

fn with_note(text: String, note: &str) -> String {
    if note.trim().is_empty() { text } else { format!("{text}. {note}") }
}

/// Whom the period binds and who may request, as (label, sentence).
pub fn scope_facts(law: &Law) -> Vec<(String, String)> {
    let Some(c) = &law.scope else { return Vec::new() };
    vec![
        (
            "Period binds".into(),
            with_note(format!("{}{}", c.period_binds.describe(), cite(&c.period_binds_citation)), &c.period_binds_note),
        ),
        (
            "Who may request".into(),
            with_note(format!("{}{}", c.eligibility.describe(), cite(&c.eligibility_citation)), &c.eligibility_note),
        ),
    ]
}

/// The appeal route, as (label, sentence): the next step, whom it covers, its window, what
/// silence means, notice before suing, the court, the researched notes.
pub fn route_facts(r: &Route) -> Vec<(String, String)> {
    let body = r.appeal_body.clone().unwrap_or_default();
    let mut out: Vec<(String, String)> = Vec::new();
    let mut put = |label: &str, text: String| out.push((label.to_string(), text));
    put(
        "Appeal route",
        match r.appeal_kind {
            AppealKind::Administrative => format!("administrative appeal to the {body}{}", cite(&r.appeal_citation)),
            AppealKind::ExternalReview => {
                format!("petition to the {body}{}, the agency copied", cite(&r.appeal_citation))
            }
            AppealKind::Both => {
                format!("administrative appeal to the {body}{}, then external review", cite(&r.appeal_citation))
            }
            AppealKind::CourtOnly => "no administrative appeal: court only".to_string(),
        },
    );
    if r.appeal_binds != Binds::All {
        put(
            "Route covers",
            format!(
                "{}; other agencies: {}",
                r.appeal_binds.describe(),
                r.other_appeal_body
                    .as_ref()
                    .map(|b| format!("petition to the {b}{}", cite(&r.other_appeal_citation)))
                    .unwrap_or_else(|| "final demand, then court".into())
            ),
        );
    }
    let window = match (&r.appeal_deadline, r.appeal_window_from) {
        (Some(d), Some(from)) => Some(format!("{} from the {}", d.describe(), from.as_str().replace('_', " "))),
        _ if r.appeal_kind != AppealKind::CourtOnly => Some("no number of days".to_string()),
        _ => None,
    };
    match window {
        Some(w) => put("Appeal window", with_note(w, &r.appeal_deadline_note)),
        None if !r.appeal_deadline_note.trim().is_empty() => put("Appeal window", r.appeal_deadline_note.clone()),
        None => {}
    }
    put(
        "Silence",
        match r.constructive_denial {
            ConstructiveDenial::Yes => format!("deemed a denial{}", cite(&r.constructive_denial_citation)),
            ConstructiveDenial::DeemedApproved => {
                format!("the request is deemed approved, not denied{}", cite(&r.constructive_denial_citation))
            }
            ConstructiveDenial::No => "the law says nothing certain about what silence means".into(),
        },
    );
    if let Some(n) = &r.pre_suit_notice {
        put(
            "Before suing",
            format!("written notice at least {} ahead{}", n.describe(), cite(&r.pre_suit_notice_citation)),
        );
    }
    if let Some(c) = &r.court_remedy {
        let cited = if r.appeal_kind == AppealKind::CourtOnly { cite(&r.appeal_citation) } else { String::new() };
        put("Court", format!("{c}{cited}"));
    }
    if !r.notes.trim().is_empty() {
        put("Appeal notes", r.notes.clone());
    }
    out
}

/// The `|`-separated sources of a law, one per entry.
pub fn split_sources(s: &str) -> Vec<String> {
    s.split('|').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
}
