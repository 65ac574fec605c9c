//! Reports: the response-rate report and the spending ranking, computed from the request cache,
//! the report figures kept beside it, and the spending dataset. Rendering lives in the CLI
//! (tables, Markdown, CSV, JSON) and in `templates/report.html`.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rusqlite::{Connection, params};
use serde::Serialize;

use crate::core::deadline::business_days_between;
use crate::core::money;
use crate::core::status::Status;
use crate::projection::Calendars;
use crate::{Error, Result};

/// A stored ISO date, parsed without chrono's general-purpose format machinery (reports read
/// millions of them).
fn iso_date(v: rusqlite::types::ValueRef<'_>) -> Option<NaiveDate> {
    let b = v.as_bytes().ok()?;
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, c| c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as u32))
    };
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

/// The 95% Wilson score interval for k successes in n trials (as Alaveteli shows it).
pub fn wilson(k: i64, n: i64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let (k, n) = (k as f64, n as f64);
    let z = 1.959_963_984_540_054_f64;
    let p = k / n;
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * ((p * (1.0 - p) / n) + z * z / (4.0 * n * n)).sqrt() / denom;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// The median (mean of the middle two for an even count) of sorted values.
pub fn median(sorted: &[i64]) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    Some(if n % 2 == 1 { sorted[n / 2] as f64 } else { (sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0 })
}

/// The 90th percentile by the nearest-rank method.
pub fn p90(sorted: &[i64]) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (0.9 * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Counts for one group of requests (all, a kind of agency, a state).
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Group {
    pub group: String,
    pub sent: i64,
    pub responded: i64,
    pub response_rate: Option<f64>,
    pub completed: i64,
    pub partial: i64,
    pub rejected: i64,
    pub no_records: i64,
    pub withdrawn: i64,
    pub open: i64,
    pub overdue: i64,
}

impl Group {
    fn add(&mut self, status: Status, responded: bool, overdue: bool) {
        self.sent += 1;
        self.responded += responded as i64;
        match status {
            Status::Completed => self.completed += 1,
            Status::Partial => {
                self.partial += 1;
                self.open += 1
            }
            Status::Rejected => self.rejected += 1,
            Status::NoRecords => self.no_records += 1,
            Status::Withdrawn => self.withdrawn += 1,
            _ => self.open += 1,
        }
        self.overdue += overdue as i64;
    }

    fn finish(&mut self) {
        self.response_rate = (self.sent > 0).then(|| self.responded as f64 / self.sent as f64);
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NonResponder {
    pub tracking_code: String,
    pub agency_key: String,
    pub agency_name: String,
    pub state: String,
    pub kind: String,
    pub status: Status,
    pub sent_on: NaiveDate,
    pub business_days_outstanding: i64,
    pub followups: i64,
    pub overdue: bool,
}

/// The response-rate report. Field names are the public JSON interface.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ResponseReport {
    pub campaign: Option<String>,
    pub title: Option<String>,
    pub records: Option<String>,
    pub generated_on: NaiveDate,
    pub requests: i64,
    pub drafts: i64,
    pub sent: i64,
    pub responded: i64,
    pub response_rate: Option<f64>,
    /// 95% Wilson interval for the response rate.
    pub response_rate_low: Option<f64>,
    pub response_rate_high: Option<f64>,
    pub completed: i64,
    pub partial: i64,
    pub rejected: i64,
    pub no_records: i64,
    pub withdrawn: i64,
    pub open: i64,
    pub overdue: i64,
    pub very_overdue: i64,
    pub very_overdue_days: i64,
    pub fees_requested: i64,
    pub fees_total_cents: i64,
    /// Business days, excluding days the clock was stopped waiting on us.
    pub median_days_to_first_response: Option<f64>,
    pub p90_days_to_first_response: Option<i64>,
    pub first_responses_measured: i64,
    pub median_days_to_completion: Option<f64>,
    pub p90_days_to_completion: Option<i64>,
    pub completions_measured: i64,
    pub by_status: Vec<(String, i64)>,
    pub by_kind: Vec<Group>,
    pub by_state: Vec<Group>,
    pub non_responders: Vec<NonResponder>,
}

fn campaign_id(conn: &Connection, campaign: Option<&str>) -> Result<Option<crate::store::campaign::Campaign>> {
    campaign.map(|c| crate::store::campaign::get(conn, c)).transpose()
}

/// Partial sums of one scan over requests; two scans (one a thread) merge into the report.
#[derive(Default)]
struct Acc {
    all: Group,
    by_kind: HashMap<String, Group>,
    by_state: HashMap<String, Group>,
    by_status: BTreeMap<Status, i64>,
    first: Vec<i64>,
    completion: Vec<i64>,
    non_responders: Vec<NonResponder>,
    very_overdue: i64,
    fees_requested: i64,
    /// In 128 bits: no number of fees can overflow it; checked when the report is built.
    fees_total: i128,
}

impl Group {
    fn merge(&mut self, o: &Group) {
        self.sent += o.sent;
        self.responded += o.responded;
        self.completed += o.completed;
        self.partial += o.partial;
        self.rejected += o.rejected;
        self.no_records += o.no_records;
        self.withdrawn += o.withdrawn;
        self.open += o.open;
        self.overdue += o.overdue;
    }
}

impl Acc {
    fn merge(mut self, o: Acc) -> Acc {
        self.all.merge(&o.all);
        for (mine, theirs) in [(&mut self.by_kind, o.by_kind), (&mut self.by_state, o.by_state)] {
            for (k, g) in theirs {
                mine.entry(k).or_insert_with(|| Group { group: g.group.clone(), ..Default::default() }).merge(&g);
            }
        }
        for (s, n) in o.by_status {
            *self.by_status.entry(s).or_default() += n;
        }
        self.first.extend(o.first);
        self.completion.extend(o.completion);
        self.non_responders.extend(o.non_responders);
        self.very_overdue += o.very_overdue;
        self.fees_requested += o.fees_requested;
        self.fees_total += o.fees_total;
        self
    }
}

/// Scans the sent requests with ids in `ids` (one ordered pass over the table).
fn scan(conn: &Connection, cid: Option<i64>, ids: (i64, i64), today: NaiveDate, very: i64) -> Result<Acc> {
    // CROSS JOIN keeps SQLite scanning requests in order (one pass) rather than probing them
    // agency by agency, which is ten times slower on a million requests.
    let mut stmt = conn.prepare_cached(
        "SELECT r.tracking_code, r.status, r.sent_on, r.due_on, COALESCE(m.responded, 0),
                r.fee_cents, r.followups, a.state, a.kind, a.name, a.key,
                m.days_to_first_response, m.days_to_completion
         FROM requests r CROSS JOIN agencies a ON a.id = r.agency_id LEFT JOIN request_metrics m ON m.request_id = r.id
         WHERE (?1 IS NULL OR r.campaign_id = ?1) AND r.sent_on IS NOT NULL AND r.id BETWEEN ?2 AND ?3",
    )?;
    let mut acc = Acc::default();
    let mut cals = Calendars::default();
    let mut rows = stmt.query(params![cid, ids.0, ids.1])?;
    // ISO dates compare as text, so only late requests need their dates parsed.
    let today_iso = today.to_string();
    while let Some(r) = rows.next()? {
        let status: Status = r.get(1)?;
        let responded: bool = r.get(4)?;
        let fee: Option<i64> = r.get(5)?;
        // Borrowed, not allocated: this loop runs once per request.
        let state = r.get_ref(7)?.as_str().map_err(rusqlite::Error::from)?;
        let kind = r.get_ref(8)?.as_str().map_err(rusqlite::Error::from)?;
        let due_text = r.get_ref(3)?;
        let late = match due_text {
            rusqlite::types::ValueRef::Text(t) if status.can_be_overdue() && t < today_iso.as_bytes() => {
                let due = iso_date(due_text)
                    .ok_or_else(|| Error::invalid(format!("a stored due date is not a date: {due_text:?}")))?;
                Some(business_days_between(cals.get(conn, state)?, due, today))
            }
            _ => None,
        };
        acc.all.add(status, responded, late.is_some());
        for (map, key) in [(&mut acc.by_kind, kind), (&mut acc.by_state, state)] {
            match map.get_mut(key) {
                Some(g) => g.add(status, responded, late.is_some()),
                None => {
                    let mut g = Group { group: key.to_string(), ..Default::default() };
                    g.add(status, responded, late.is_some());
                    map.insert(key.to_string(), g);
                }
            }
        }
        *acc.by_status.entry(status).or_default() += 1;
        if late.is_some_and(|d| d >= very) {
            acc.very_overdue += 1;
        }
        if let Some(f) = fee {
            acc.fees_requested += 1;
            acc.fees_total += f as i128;
        }
        if let Some(d) = r.get::<_, Option<i64>>(11)? {
            acc.first.push(d);
        }
        if let Some(d) = r.get::<_, Option<i64>>(12)? {
            acc.completion.push(d);
        }
        if !responded {
            let Some(sent_on) = iso_date(r.get_ref(2)?) else { continue };
            let outstanding = if status.is_terminal() {
                0
            } else {
                business_days_between(cals.get(conn, state)?, sent_on, today).max(0)
            };
            acc.non_responders.push(NonResponder {
                tracking_code: r.get(0)?,
                agency_key: r.get(10)?,
                agency_name: r.get(9)?,
                state: state.to_string(),
                kind: kind.to_string(),
                status,
                sent_on,
                business_days_outstanding: outstanding,
                followups: r.get(6)?,
                overdue: late.is_some(),
            });
        }
    }
    Ok(acc)
}

/// Builds the response-rate report on `today`, in one pass over the sent requests.
pub fn responses(conn: &Connection, campaign: Option<&str>, today: NaiveDate) -> Result<ResponseReport> {
    responses_split(conn, campaign, today, 100_000)
}

/// `responses`, splitting the scan over two connections once the id range spans more than
/// `split_above` requests (public so a test can prove both roads give the same report).
pub fn responses_split(
    conn: &Connection,
    campaign: Option<&str>,
    today: NaiveDate,
    split_above: i64,
) -> Result<ResponseReport> {
    let c = campaign_id(conn, campaign)?;
    let cid = c.as_ref().map(|c| c.id);
    let very = crate::store::config::number(conn, "policy.very_overdue_days")? as i64;
    let (requests, drafts): (i64, i64) = conn.query_row(
        "SELECT COUNT(*), COALESCE(SUM(status = 'draft'), 0) FROM requests WHERE (?1 IS NULL OR campaign_id = ?1)",
        [cid],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    // A large report is two scans over halves of the table, one on a second connection in a
    // thread (WAL lets readers run side by side): the machine has two cores.
    let (lo, hi): (i64, i64) =
        conn.query_row("SELECT COALESCE(MIN(id), 0), COALESCE(MAX(id), 0) FROM requests", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let path = conn.path().filter(|p| !p.is_empty()).map(std::path::PathBuf::from);
    let acc = match path {
        Some(path) if hi - lo > split_above => {
            let mid = lo + (hi - lo) / 2;
            std::thread::scope(|s| {
                let handle = s.spawn(move || -> Result<Acc> {
                    let second = crate::store::db::open_reader(&path)?;
                    scan(&second, cid, (mid + 1, hi), today, very)
                });
                let mine = scan(conn, cid, (lo, mid), today, very);
                let theirs = handle.join().map_err(|_| Error::invalid("the report's second scan failed"));
                mine.and_then(|m| Ok(m.merge(theirs??)))
            })?
        }
        _ => scan(conn, cid, (lo, hi), today, very)?,
    };
    let Acc {
        mut all,
        by_kind,
        by_state,
        by_status,
        mut first,
        mut completion,
        mut non_responders,
        very_overdue,
        fees_requested,
        fees_total,
    } = acc;
    all.finish();
    first.sort_unstable();
    completion.sort_unstable();
    non_responders.sort_by(|a, b| {
        b.business_days_outstanding.cmp(&a.business_days_outstanding).then(a.tracking_code.cmp(&b.tracking_code))
    });
    let interval = wilson(all.responded, all.sent);
    let finish = |m: HashMap<String, Group>| -> Vec<Group> {
        let mut v: Vec<Group> = m
            .into_values()
            .map(|mut g| {
                g.finish();
                g
            })
            .collect();
        v.sort_by(|a, b| a.group.cmp(&b.group));
        v
    };
    Ok(ResponseReport {
        campaign: c.as_ref().map(|c| c.slug.clone()),
        title: c.as_ref().map(|c| c.title.clone()),
        records: c.as_ref().map(|c| c.records.clone()),
        generated_on: today,
        requests,
        drafts,
        sent: all.sent,
        responded: all.responded,
        response_rate: all.response_rate,
        response_rate_low: interval.map(|i| i.0),
        response_rate_high: interval.map(|i| i.1),
        completed: all.completed,
        partial: all.partial,
        rejected: all.rejected,
        no_records: all.no_records,
        withdrawn: all.withdrawn,
        open: all.open,
        overdue: all.overdue,
        very_overdue,
        very_overdue_days: very,
        fees_requested,
        fees_total_cents: i64::try_from(fees_total).map_err(|_| uncountable("the fees requested"))?,
        median_days_to_first_response: median(&first),
        p90_days_to_first_response: p90(&first),
        first_responses_measured: first.len() as i64,
        median_days_to_completion: median(&completion),
        p90_days_to_completion: p90(&completion),
        completions_measured: completion.len() as i64,
        by_status: by_status.into_iter().map(|(s, n)| (s.to_string(), n)).collect(),
        by_kind: finish(by_kind),
        by_state: finish(by_state),
        non_responders,
    })
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SpendingRow {
    pub rank: usize,
    pub tracking_code: String,
    pub agency_key: String,
    pub agency_name: String,
    pub state: String,
    pub kind: String,
    pub population: Option<i64>,
    pub total_cents: i64,
    /// Cents per resident, rounded to the nearest cent.
    pub per_capita_cents: Option<i64>,
    /// Percent of the sum of all agencies' figures.
    pub share_percent: f64,
    pub transactions: i64,
    pub transactions_cents: Option<i64>,
    pub reported_total_cents: Option<i64>,
    /// "transactions", "reported total" or "both".
    pub source: String,
    /// Transactions and reported total both exist and differ.
    pub differs: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WithoutFigures {
    pub tracking_code: String,
    pub agency_name: String,
    pub state: String,
    pub status: Status,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SpendingReport {
    pub campaign: Option<String>,
    pub title: Option<String>,
    pub records: Option<String>,
    pub year: Option<i32>,
    pub generated_on: NaiveDate,
    pub agencies_reporting: i64,
    pub sum_cents: i64,
    pub median_cents: Option<i64>,
    pub rows: Vec<SpendingRow>,
    /// Agencies that responded but sent no usable figures.
    pub responded_without_figures: Vec<WithoutFigures>,
}

/// "... add up to more than foiatrack can count": a sum of figures beyond an `i64` of cents.
fn uncountable(what: &str) -> Error {
    Error::invalid(format!("{what} add up to more than foiatrack can count ({})", money::format_cents(i64::MAX)))
}

fn per_capita(total: i64, pop: Option<i64>) -> Option<i64> {
    let p = pop.filter(|p| *p > 0)? as i128;
    let t = total as i128;
    // Round half away from zero, in integers.
    let r = if t >= 0 { (2 * t + p) / (2 * p) } else { -((-2 * t + p) / (2 * p)) };
    Some(r as i64)
}

/// Agencies ranked by their figure for `year` (the campaign's year by default, else all years).
pub fn spending(
    conn: &Connection,
    campaign: Option<&str>,
    year: Option<i32>,
    today: NaiveDate,
) -> Result<SpendingReport> {
    let c = campaign_id(conn, campaign)?;
    let year = year.or_else(|| c.as_ref().and_then(crate::views::data::campaign_year));
    let datasets = crate::views::data::datasets(conn, c.as_ref().map(|c| c.slug.as_str()))?;
    let mut rows: Vec<SpendingRow> = Vec::new();
    for d in &datasets {
        let years: Vec<&crate::views::data::YearFigure> =
            d.years.iter().filter(|y| year.is_none_or(|yr| y.year == yr)).collect();
        if years.is_empty() {
            continue;
        }
        // Each year's figure fits (the dataset checked it); their sums are checked here.
        let sum = |v: Vec<i64>| -> Result<Option<i64>> {
            if v.is_empty() {
                return Ok(None);
            }
            money::checked_sum(v).map(Some).map_err(|_| uncountable(&format!("{}'s figures", d.tracking_code)))
        };
        let total = sum(years.iter().map(|y| y.figure_cents).collect())?.unwrap_or(0);
        let tx_cents = sum(years.iter().filter_map(|y| y.transactions_cents).collect())?;
        let reported = sum(years.iter().filter_map(|y| y.reported_total_cents).collect())?;
        let source = match (tx_cents, reported) {
            (Some(_), Some(_)) => "both",
            (Some(_), None) => "transactions",
            _ => "reported total",
        };
        rows.push(SpendingRow {
            rank: 0,
            tracking_code: d.tracking_code.clone(),
            agency_key: d.agency_key.clone(),
            agency_name: d.agency_name.clone(),
            state: d.state.clone(),
            kind: d.kind.clone(),
            population: d.population,
            total_cents: total,
            per_capita_cents: per_capita(total, d.population),
            share_percent: 0.0,
            transactions: years.iter().map(|y| y.transactions).sum(),
            transactions_cents: tx_cents,
            reported_total_cents: reported,
            source: source.into(),
            differs: years.iter().any(|y| y.differs),
        });
    }
    rows.sort_by(|a, b| b.total_cents.cmp(&a.total_cents).then(a.agency_name.cmp(&b.agency_name)));
    let sum = money::checked_sum(rows.iter().map(|r| r.total_cents)).map_err(|_| {
        uncountable(&match &c {
            Some(c) => format!("the figures of campaign '{}'", c.slug),
            None => "the figures of all campaigns".into(),
        })
    })?;
    for (i, r) in rows.iter_mut().enumerate() {
        r.rank = i + 1;
        r.share_percent = if sum != 0 { r.total_cents as f64 * 100.0 / sum as f64 } else { 0.0 };
    }
    let mut totals: Vec<i64> = rows.iter().map(|r| r.total_cents).collect();
    totals.sort_unstable();
    let median_cents = match totals.len() {
        0 => None,
        n if n % 2 == 1 => Some(totals[n / 2]),
        // The mean of the middle two, in 128 bits so it cannot overflow (truncated toward zero).
        n => Some(((totals[n / 2 - 1] as i128 + totals[n / 2] as i128) / 2) as i64),
    };
    let with: std::collections::BTreeSet<String> = rows.iter().map(|r| r.tracking_code.clone()).collect();
    let mut stmt = conn.prepare(
        "SELECT r.tracking_code, a.name, a.state, r.status FROM requests r JOIN agencies a ON a.id = r.agency_id
         WHERE (?1 IS NULL OR r.campaign_id = ?1) AND r.sent_on IS NOT NULL
           AND EXISTS (SELECT 1 FROM request_metrics m WHERE m.request_id = r.id AND m.responded = 1)
         ORDER BY a.name",
    )?;
    let responded = stmt
        .query_map(params![c.as_ref().map(|c| c.id)], |r| {
            Ok(WithoutFigures { tracking_code: r.get(0)?, agency_name: r.get(1)?, state: r.get(2)?, status: r.get(3)? })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(SpendingReport {
        campaign: c.as_ref().map(|c| c.slug.clone()),
        title: c.as_ref().map(|c| c.title.clone()),
        records: c.as_ref().map(|c| c.records.clone()),
        year,
        generated_on: today,
        agencies_reporting: rows.len() as i64,
        sum_cents: sum,
        median_cents,
        rows,
        responded_without_figures: responded.into_iter().filter(|w| !with.contains(&w.tracking_code)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_interval_matches_the_textbook() {
        // 60 of 90: p = 0.667, 95% Wilson interval about (0.564, 0.756).
        let (lo, hi) = wilson(60, 90).unwrap();
        assert!((lo - 0.5641).abs() < 0.001, "{lo}");
        assert!((hi - 0.7560).abs() < 0.001, "{hi}");
        assert_eq!(wilson(0, 0), None);
        let (lo, hi) = wilson(0, 5).unwrap();
        assert_eq!(lo, 0.0);
        assert!(hi > 0.4 && hi < 0.5);
    }

    #[test]
    fn medians_and_percentiles() {
        assert_eq!(median(&[1, 2, 3]), Some(2.0));
        assert_eq!(median(&[1, 2, 3, 10]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(p90(&(1..=10).collect::<Vec<_>>()), Some(9));
        assert_eq!(p90(&[7]), Some(7));
    }

    #[test]
    fn per_capita_rounds_to_the_cent() {
        // Denver Public Schools: $1,560,726 over 715,522 people = $2.18.
        assert_eq!(per_capita(156_072_600, Some(715_522)), Some(218));
        assert_eq!(per_capita(100, None), None);
        assert_eq!(per_capita(100, Some(0)), None);
    }
}
