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

/// Percentages in reports are computed exactly from integer cents and rounded half away from
/// zero to this many decimal places (one: 77.0, 15.6, 0.1).
pub const PERCENT_DECIMALS: u32 = 1;

/// `n / d` rounded half away from zero; `d` must not be zero. No intermediate value overflows.
pub fn div_round(n: i128, d: i128) -> i128 {
    let (n, d) = if d < 0 { (-n, -d) } else { (n, d) };
    let (q, r) = (n / d, (n % d).abs());
    if r >= d - r { q + n.signum() } else { q }
}

/// `part / whole` as a percentage in tenths of a percent, exact and rounded half away from zero
/// (`None` when `whole` is zero).
pub fn percent_tenths(part: i64, whole: i64) -> Option<i128> {
    (whole != 0).then(|| div_round(part as i128 * 1000, whole as i128))
}

/// The change from `previous` to `current` in tenths of a percent, exact and rounded half away
/// from zero; `None` unless `previous` is above zero (a change from nothing, or from a net
/// refund, is no percentage).
pub fn change_tenths(current: i64, previous: i64) -> Option<i128> {
    (previous > 0).then(|| div_round((current as i128 - previous as i128) * 1000, previous as i128))
}

/// Tenths of a percent as the number reports show and serialise (77.0, 15.6).
pub fn tenths_to_percent(t: i128) -> f64 {
    t as f64 / 10.0
}

/// An exact change: (current - previous) / previous, with previous above zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Change {
    num: i128,
    den: i128,
}

impl Change {
    fn new(current: i64, previous: i64) -> Option<Self> {
        (previous > 0).then(|| Change { num: current as i128 - previous as i128, den: previous as i128 })
    }

    /// Compares two changes exactly (|num| < 2^64 and den < 2^63, so the products fit).
    fn cmp(&self, o: &Change) -> std::cmp::Ordering {
        (self.num * o.den).cmp(&(o.num * self.den))
    }

    fn tenths(&self) -> i128 {
        div_round(self.num * 1000, self.den)
    }
}

/// The mean of two changes in tenths of a percent, exact and rounded half away from zero:
/// round(500·a + 500·b). Each term is split into its floor and a fraction in [0, 1); the
/// fractions are compared with the rounding thresholds in unsigned 128-bit products, which
/// cannot overflow (each numerator is below its denominator, each denominator below 2^63).
fn mean_tenths(a: Change, b: Change) -> i128 {
    let (x, y) = (a.num * 500, b.num * 500);
    let (q, s) = (a.den, b.den);
    let n = x.div_euclid(q) + y.div_euclid(s);
    let (alpha, beta) = (x.rem_euclid(q) as u128, y.rem_euclid(s) as u128);
    let (q, s) = (q as u128, s as u128);
    // The fraction F = alpha/q + beta/s lies in [0, 2); F < k/2 exactly when 2(alpha·s + beta·q) < k·q·s.
    let twice = 2 * (alpha * s + beta * q);
    let qs = q * s;
    let below = |k: u128| twice < k * qs;
    let at_most = |k: u128| twice <= k * qs;
    let negative = n <= -2 || (n == -1 && below(2));
    let up = if negative {
        // ceil(F - 1/2)
        if at_most(1) {
            0
        } else if at_most(3) {
            1
        } else {
            2
        }
    } else if below(1) {
        // floor(F + 1/2)
        0
    } else if below(3) {
        1
    } else {
        2
    };
    n + up
}

/// The median of changes (the mean of the middle two for an even count), in tenths of a percent.
fn median_change_tenths(mut changes: Vec<Change>) -> Option<i128> {
    changes.sort_by(Change::cmp);
    let n = changes.len();
    match n {
        0 => None,
        n if n % 2 == 1 => Some(changes[n / 2].tenths()),
        n => Some(mean_tenths(changes[n / 2 - 1], changes[n / 2])),
    }
}

/// How the spending report orders and ranks agencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SpendingSort {
    /// By the agency's figure, largest first.
    #[default]
    Total,
    /// By spending per resident, largest first; agencies without a population come after.
    PerCapita,
}

impl SpendingSort {
    pub fn as_str(self) -> &'static str {
        match self {
            SpendingSort::Total => "total",
            SpendingSort::PerCapita => "per-capita",
        }
    }
}

/// What the spending report covers and how it ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SpendingOptions {
    /// The year (the campaign's year by default, else all years).
    pub year: Option<i32>,
    /// An earlier (or later) year to set beside it.
    pub compare: Option<i32>,
    pub sort: SpendingSort,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SpendingRow {
    /// The place in the chosen order (`sort`); `None` for an agency the order cannot rank (per
    /// capita without a population), listed after the ranked ones with `unranked_reason`.
    pub rank: Option<usize>,
    pub unranked_reason: Option<String>,
    pub tracking_code: String,
    pub agency_key: String,
    pub agency_name: String,
    pub state: String,
    pub kind: String,
    pub population: Option<i64>,
    pub total_cents: i64,
    /// Cents per resident, rounded half away from zero to the cent.
    pub per_capita_cents: Option<i64>,
    /// Percent of the sum of all agencies' figures (see `PERCENT_DECIMALS`).
    pub share_percent: f64,
    pub transactions: i64,
    pub transactions_cents: Option<i64>,
    pub reported_total_cents: Option<i64>,
    /// "transactions", "reported total" or "both".
    pub source: String,
    /// Transactions and reported total both exist and differ.
    pub differs: bool,
    /// With `--compare`: the agency's figure for the other year, if it has one.
    pub previous_total_cents: Option<i64>,
    /// With `--compare`: the change from the other year's figure, in percent (`PERCENT_DECIMALS`);
    /// `None` without an earlier figure above zero.
    pub change_percent: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WithoutFigures {
    pub tracking_code: String,
    pub agency_name: String,
    pub state: String,
    pub status: Status,
}

/// An agency with a figure for only one of the two years compared.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OneYearOnly {
    pub tracking_code: String,
    pub agency_key: String,
    pub agency_name: String,
    pub state: String,
    pub year: i32,
    pub total_cents: i64,
}

/// The report's year set beside another (`--compare`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Comparison {
    pub compare_year: i32,
    /// Agencies with a figure for the other year, and the sum of those figures.
    pub previous_agencies_reporting: i64,
    pub previous_sum_cents: i64,
    /// Agencies with a figure for both years, their sums in each, and the change between the
    /// two sums (like for like).
    pub agencies_in_both: i64,
    pub sum_in_both_cents: i64,
    pub previous_sum_in_both_cents: i64,
    pub sum_change_percent: Option<f64>,
    /// The median of the agencies' own changes (those with an earlier figure above zero).
    pub median_change_percent: Option<f64>,
    pub changes_measured: i64,
    /// Agencies with a figure for the report's year only, then for the other year only.
    pub only_in_year: Vec<OneYearOnly>,
    pub only_in_compare_year: Vec<OneYearOnly>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SpendingReport {
    pub campaign: Option<String>,
    pub title: Option<String>,
    pub records: Option<String>,
    pub year: Option<i32>,
    pub generated_on: NaiveDate,
    /// "total" or "per-capita": the order of `rows` and their `rank`.
    pub sort: SpendingSort,
    pub agencies_reporting: i64,
    pub sum_cents: i64,
    pub median_cents: Option<i64>,
    pub rows: Vec<SpendingRow>,
    /// Agencies that responded but sent no usable figures.
    pub responded_without_figures: Vec<WithoutFigures>,
    /// With `--compare`: the other year's figures beside these.
    pub comparison: Option<Comparison>,
}

/// "... add up to more than foiatrack can count": a sum of figures beyond an `i64` of cents.
fn uncountable(what: &str) -> Error {
    Error::invalid(format!("{what} add up to more than foiatrack can count ({})", money::format_cents(i64::MAX)))
}

fn per_capita(total: i64, pop: Option<i64>) -> Option<i64> {
    let p = pop.filter(|p| *p > 0)? as i128;
    Some(div_round(total as i128, p) as i64)
}

/// An agency's figure for one year (or all years together).
struct Figure {
    total: i64,
    transactions_cents: Option<i64>,
    reported: Option<i64>,
    transactions: i64,
    differs: bool,
}

fn figure(d: &crate::views::data::Dataset, year: Option<i32>) -> Result<Option<Figure>> {
    let years: Vec<&crate::views::data::YearFigure> =
        d.years.iter().filter(|y| year.is_none_or(|yr| y.year == yr)).collect();
    if years.is_empty() {
        return Ok(None);
    }
    // Each year's figure fits (the dataset checked it); their sums are checked here.
    let sum = |v: Vec<i64>| -> Result<Option<i64>> {
        if v.is_empty() {
            return Ok(None);
        }
        money::checked_sum(v).map(Some).map_err(|_| uncountable(&format!("{}'s figures", d.tracking_code)))
    };
    Ok(Some(Figure {
        total: sum(years.iter().map(|y| y.figure_cents).collect())?.unwrap_or(0),
        transactions_cents: sum(years.iter().filter_map(|y| y.transactions_cents).collect())?,
        reported: sum(years.iter().filter_map(|y| y.reported_total_cents).collect())?,
        transactions: years.iter().map(|y| y.transactions).sum(),
        differs: years.iter().any(|y| y.differs),
    }))
}

fn check_year(flag: &str, y: i32) -> Result<()> {
    if (1900..=2199).contains(&y) {
        Ok(())
    } else {
        Err(Error::invalid(format!("{flag} {y} is out of range: give a year from 1900 to 2199")))
    }
}

/// Agencies ranked by their figure for `year` (the campaign's year by default, else all years).
pub fn spending(
    conn: &Connection,
    campaign: Option<&str>,
    year: Option<i32>,
    today: NaiveDate,
) -> Result<SpendingReport> {
    spending_report(conn, campaign, &SpendingOptions { year, ..Default::default() }, today)
}

/// The spending report: agencies ranked in the chosen order, and with `compare` the other year's
/// figures beside them, the change of each, the sums, the median change and the agencies
/// present in only one of the two years.
pub fn spending_report(
    conn: &Connection,
    campaign: Option<&str>,
    opts: &SpendingOptions,
    today: NaiveDate,
) -> Result<SpendingReport> {
    let c = campaign_id(conn, campaign)?;
    if let Some(y) = opts.year {
        check_year("--year", y)?;
    }
    let year = opts.year.or_else(|| c.as_ref().and_then(crate::views::data::campaign_year));
    if let Some(cmp) = opts.compare {
        check_year("--compare", cmp)?;
        match year {
            None => {
                return Err(Error::invalid(format!(
                    "--compare {cmp} needs the year to compare it with: add --year (the report covers all years)"
                )));
            }
            Some(y) if y == cmp => {
                return Err(Error::invalid(format!(
                    "--compare {cmp} is the report's own year; compare with another year"
                )));
            }
            Some(_) => {}
        }
    }
    let datasets = crate::views::data::datasets(conn, c.as_ref().map(|c| c.slug.as_str()))?;
    let mut rows: Vec<SpendingRow> = Vec::new();
    let mut previous: Vec<(usize, i64)> = Vec::new(); // (dataset index, figure) for the other year
    for (i, d) in datasets.iter().enumerate() {
        if let Some(cmp) = opts.compare
            && let Some(f) = figure(d, Some(cmp))?
        {
            previous.push((i, f.total));
        }
        let Some(f) = figure(d, year)? else { continue };
        let source = match (f.transactions_cents, f.reported) {
            (Some(_), Some(_)) => "both",
            (Some(_), None) => "transactions",
            _ => "reported total",
        };
        let prev = previous.last().filter(|(j, _)| *j == i).map(|(_, t)| *t);
        rows.push(SpendingRow {
            rank: None,
            unranked_reason: None,
            tracking_code: d.tracking_code.clone(),
            agency_key: d.agency_key.clone(),
            agency_name: d.agency_name.clone(),
            state: d.state.clone(),
            kind: d.kind.clone(),
            population: d.population,
            total_cents: f.total,
            per_capita_cents: per_capita(f.total, d.population),
            share_percent: 0.0,
            transactions: f.transactions,
            transactions_cents: f.transactions_cents,
            reported_total_cents: f.reported,
            source: source.into(),
            differs: f.differs,
            previous_total_cents: prev,
            change_percent: prev.and_then(|p| change_tenths(f.total, p)).map(tenths_to_percent),
        });
    }
    let by_total =
        |a: &SpendingRow, b: &SpendingRow| b.total_cents.cmp(&a.total_cents).then(a.agency_name.cmp(&b.agency_name));
    match opts.sort {
        SpendingSort::Total => rows.sort_by(by_total),
        SpendingSort::PerCapita => {
            // Exactly, by total / population (products of two i64 fit in an i128).
            let pop = |r: &SpendingRow| r.population.filter(|p| *p > 0);
            rows.sort_by(|a, b| match (pop(a), pop(b)) {
                (Some(pa), Some(pb)) => (b.total_cents as i128 * pa as i128)
                    .cmp(&(a.total_cents as i128 * pb as i128))
                    .then_with(|| by_total(a, b)),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => by_total(a, b),
            });
        }
    }
    let sum = money::checked_sum(rows.iter().map(|r| r.total_cents)).map_err(|_| {
        uncountable(&match &c {
            Some(c) => format!("the figures of campaign '{}'", c.slug),
            None => "the figures of all campaigns".into(),
        })
    })?;
    let mut rank = 0;
    for r in rows.iter_mut() {
        if opts.sort == SpendingSort::PerCapita && r.per_capita_cents.is_none() {
            r.unranked_reason = Some(match r.population {
                None => "no population recorded for the agency".into(),
                Some(p) => format!("its population is {p}"),
            });
        } else {
            rank += 1;
            r.rank = Some(rank);
        }
        r.share_percent = percent_tenths(r.total_cents, sum).map_or(0.0, tenths_to_percent);
    }
    let mut totals: Vec<i64> = rows.iter().map(|r| r.total_cents).collect();
    totals.sort_unstable();
    let median_cents = match totals.len() {
        0 => None,
        n if n % 2 == 1 => Some(totals[n / 2]),
        // The mean of the middle two, in 128 bits so it cannot overflow (truncated toward zero).
        n => Some(((totals[n / 2 - 1] as i128 + totals[n / 2] as i128) / 2) as i64),
    };
    let comparison = match (opts.compare, year) {
        (Some(cmp), Some(y)) => Some(compare(&datasets, &rows, &previous, y, cmp)?),
        _ => None,
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
        sort: opts.sort,
        agencies_reporting: rows.len() as i64,
        sum_cents: sum,
        median_cents,
        rows,
        responded_without_figures: responded.into_iter().filter(|w| !with.contains(&w.tracking_code)).collect(),
        comparison,
    })
}

/// The comparison block: sums, the like-for-like change, the median change, one-year agencies.
fn compare(
    datasets: &[crate::views::data::Dataset],
    rows: &[SpendingRow],
    previous: &[(usize, i64)],
    year: i32,
    cmp: i32,
) -> Result<Comparison> {
    let in_year: std::collections::HashSet<&str> = rows.iter().map(|r| r.tracking_code.as_str()).collect();
    let prev_codes: std::collections::HashSet<&str> =
        previous.iter().map(|(i, _)| datasets[*i].tracking_code.as_str()).collect();
    let both: Vec<&SpendingRow> = rows.iter().filter(|r| r.previous_total_cents.is_some()).collect();
    let checked = |v: Vec<i64>, what: &str| money::checked_sum(v).map_err(|_| uncountable(what));
    let previous_sum = checked(previous.iter().map(|(_, t)| *t).collect(), &format!("the figures for {cmp}"))?;
    let sum_in_both = checked(both.iter().map(|r| r.total_cents).collect(), &format!("the figures for {year}"))?;
    let prev_in_both =
        checked(both.iter().filter_map(|r| r.previous_total_cents).collect(), &format!("the figures for {cmp}"))?;
    let changes: Vec<Change> =
        both.iter().filter_map(|r| Change::new(r.total_cents, r.previous_total_cents?)).collect();
    let one = |d: &crate::views::data::Dataset, y: i32, total: i64| OneYearOnly {
        tracking_code: d.tracking_code.clone(),
        agency_key: d.agency_key.clone(),
        agency_name: d.agency_name.clone(),
        state: d.state.clone(),
        year: y,
        total_cents: total,
    };
    let mut only_in_year: Vec<OneYearOnly> = rows
        .iter()
        .filter(|r| !prev_codes.contains(r.tracking_code.as_str()))
        .map(|r| OneYearOnly {
            tracking_code: r.tracking_code.clone(),
            agency_key: r.agency_key.clone(),
            agency_name: r.agency_name.clone(),
            state: r.state.clone(),
            year,
            total_cents: r.total_cents,
        })
        .collect();
    let mut only_in_compare_year: Vec<OneYearOnly> = previous
        .iter()
        .filter(|(i, _)| !in_year.contains(datasets[*i].tracking_code.as_str()))
        .map(|(i, t)| one(&datasets[*i], cmp, *t))
        .collect();
    for list in [&mut only_in_year, &mut only_in_compare_year] {
        list.sort_by(|a, b| b.total_cents.cmp(&a.total_cents).then(a.agency_name.cmp(&b.agency_name)));
    }
    Ok(Comparison {
        compare_year: cmp,
        previous_agencies_reporting: previous.len() as i64,
        previous_sum_cents: previous_sum,
        agencies_in_both: both.len() as i64,
        sum_in_both_cents: sum_in_both,
        previous_sum_in_both_cents: prev_in_both,
        sum_change_percent: change_tenths(sum_in_both, prev_in_both).map(tenths_to_percent),
        changes_measured: changes.len() as i64,
        median_change_percent: median_change_tenths(changes).map(tenths_to_percent),
        only_in_year,
        only_in_compare_year,
    })
}

/// One raw spelling under a canonical vendor.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SpellingLine {
    pub spelling: String,
    pub transactions: i64,
    pub total_cents: i64,
}

/// A canonical vendor's counted transactions (of one agency, or of all).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VendorLine {
    /// The canonical vendor; `None` for spellings no map entry matches (listed for review).
    pub vendor: Option<String>,
    pub total_cents: i64,
    pub transactions: i64,
    /// Percent of the counted transactions' total (the agency's, or all agencies'); see
    /// `PERCENT_DECIMALS`.
    pub share_percent: Option<f64>,
    /// The raw spellings it covers, most spent first.
    pub spellings: Vec<SpellingLine>,
}

/// One agency's counted transactions by canonical vendor, and what it reported unsplit.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AgencyVendors {
    pub tracking_code: String,
    pub agency_key: String,
    pub agency_name: String,
    pub state: String,
    pub transactions: i64,
    pub transactions_cents: i64,
    pub vendors: Vec<VendorLine>,
    /// Totals the agency reported for years it sent no transactions for: not split by vendor,
    /// never guessed.
    pub unsplit_cents: Option<i64>,
}

/// A spelling that matches the campaign's vendor pattern (it was counted) but no map entry.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReviewSpelling {
    pub spelling: String,
    pub transactions: i64,
    pub total_cents: i64,
    /// The requests whose data has it.
    pub tracking_codes: Vec<String>,
}

/// Canonical vendors: each one's total, transactions and spellings, per agency and overall.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VendorReport {
    pub campaign: String,
    pub title: String,
    pub records: String,
    pub year: Option<i32>,
    pub generated_on: NaiveDate,
    /// The map used: the campaign's own, or the built-in starting map (`map_builtin`).
    pub map_builtin: bool,
    pub map: Vec<crate::core::vendors::Entry>,
    pub agencies_with_transactions: i64,
    pub transactions: i64,
    pub transactions_cents: i64,
    /// All agencies together, canonical vendors by total, the unmapped spellings last.
    pub vendors: Vec<VendorLine>,
    pub agencies: Vec<AgencyVendors>,
    /// Agencies that reported totals without transactions, and the sum of those totals.
    pub unsplit_agencies: i64,
    pub unsplit_cents: i64,
    /// Spellings to review: counted, but no map entry names their vendor.
    pub review: Vec<ReviewSpelling>,
}

/// Transactions and their cents, summed in 128 bits (checked when the report is built).
type Count = (i64, i128);

/// One canonical vendor's count, and the count of each of its spellings.
type VendorCount = (i64, i128, BTreeMap<String, Count>);

/// Accumulates spellings into canonical vendor lines (sums in 128 bits, checked at the end).
#[derive(Default)]
struct VendorAcc {
    by_vendor: BTreeMap<Option<String>, VendorCount>,
}

impl VendorAcc {
    fn add(&mut self, vendor: Option<&str>, spelling: &str, n: i64, cents: i128) {
        let v = self.by_vendor.entry(vendor.map(String::from)).or_default();
        v.0 += n;
        v.1 += cents;
        let s = v.2.entry(spelling.to_string()).or_default();
        s.0 += n;
        s.1 += cents;
    }

    /// The lines, mapped vendors by total (then name), the unmapped spellings last; and the
    /// total they share.
    fn finish(self, what: &str) -> Result<(Vec<VendorLine>, i64, i64)> {
        let fit = |c: i128| i64::try_from(c).map_err(|_| uncountable(what));
        let mut lines = Vec::new();
        let (mut n_all, mut cents_all) = (0i64, 0i128);
        for (vendor, (n, cents, spellings)) in self.by_vendor {
            n_all += n;
            cents_all += cents;
            let mut sp = spellings
                .into_iter()
                .map(|(spelling, (n, c))| Ok(SpellingLine { spelling, transactions: n, total_cents: fit(c)? }))
                .collect::<Result<Vec<_>>>()?;
            sp.sort_by(|a, b| b.total_cents.cmp(&a.total_cents).then(a.spelling.cmp(&b.spelling)));
            lines.push(VendorLine {
                vendor,
                total_cents: fit(cents)?,
                transactions: n,
                share_percent: None,
                spellings: sp,
            });
        }
        let total = fit(cents_all)?;
        for l in &mut lines {
            l.share_percent = percent_tenths(l.total_cents, total).map(tenths_to_percent);
        }
        lines.sort_by(|a, b| {
            a.vendor
                .is_none()
                .cmp(&b.vendor.is_none())
                .then(b.total_cents.cmp(&a.total_cents))
                .then(a.vendor.cmp(&b.vendor))
        });
        Ok((lines, n_all, total))
    }
}

/// The vendor report of a campaign for `year` (the campaign's year by default, else all years).
pub fn vendors(conn: &Connection, campaign: &str, year: Option<i32>, today: NaiveDate) -> Result<VendorReport> {
    let c = crate::store::campaign::get(conn, campaign)?;
    if let Some(y) = year {
        check_year("--year", y)?;
    }
    let year = year.or_else(|| crate::views::data::campaign_year(&c));
    let map = crate::store::vendors::effective(conn, &c)?;
    let compiled = crate::core::vendors::VendorMap::new(&map.entries).map_err(Error::Invalid)?;
    let spellings = crate::store::vendors::counted_by_spelling(conn, c.id, year)?;
    let datasets = crate::views::data::datasets(conn, Some(&c.slug))?;
    // Each distinct spelling is classified once.
    let mut canonical: HashMap<&str, Option<&str>> = HashMap::new();
    let mut overall = VendorAcc::default();
    let mut per_agency: BTreeMap<&str, VendorAcc> = BTreeMap::new();
    let mut review: BTreeMap<&str, (i64, i128, Vec<String>)> = BTreeMap::new();
    for s in &spellings {
        let v = *canonical.entry(s.spelling.as_str()).or_insert_with(|| compiled.canonical(&s.spelling));
        overall.add(v, &s.spelling, s.transactions, s.cents);
        per_agency.entry(s.tracking_code.as_str()).or_default().add(v, &s.spelling, s.transactions, s.cents);
        if v.is_none() {
            let r = review.entry(s.spelling.as_str()).or_default();
            r.0 += s.transactions;
            r.1 += s.cents;
            r.2.push(s.tracking_code.clone());
        }
    }
    let mut agencies = Vec::new();
    let (mut unsplit_agencies, mut unsplit_sum) = (0i64, 0i128);
    for d in &datasets {
        let unsplit: Vec<i64> = d
            .years
            .iter()
            .filter(|y| year.is_none_or(|yr| y.year == yr) && y.transactions_cents.is_none())
            .filter_map(|y| y.reported_total_cents)
            .collect();
        let unsplit = if unsplit.is_empty() {
            None
        } else {
            Some(
                money::checked_sum(unsplit)
                    .map_err(|_| uncountable(&format!("{}'s reported totals", d.tracking_code)))?,
            )
        };
        let acc = per_agency.remove(d.tracking_code.as_str());
        if acc.is_none() && unsplit.is_none() {
            continue;
        }
        let (lines, n, cents) = match acc {
            Some(a) => a.finish(&format!("{}'s transactions", d.tracking_code))?,
            None => (Vec::new(), 0, 0),
        };
        if let Some(u) = unsplit {
            unsplit_agencies += 1;
            unsplit_sum += u as i128;
        }
        agencies.push(AgencyVendors {
            tracking_code: d.tracking_code.clone(),
            agency_key: d.agency_key.clone(),
            agency_name: d.agency_name.clone(),
            state: d.state.clone(),
            transactions: n,
            transactions_cents: cents,
            vendors: lines,
            unsplit_cents: unsplit,
        });
    }
    agencies.sort_by(|a, b| {
        b.transactions_cents
            .cmp(&a.transactions_cents)
            .then(b.unsplit_cents.cmp(&a.unsplit_cents))
            .then(a.agency_name.cmp(&b.agency_name))
    });
    let (vendors, transactions, transactions_cents) = overall.finish("the campaign's transactions")?;
    let mut review: Vec<ReviewSpelling> = review
        .into_iter()
        .map(|(spelling, (n, cents, mut codes))| {
            codes.dedup();
            Ok(ReviewSpelling {
                spelling: spelling.to_string(),
                transactions: n,
                total_cents: i64::try_from(cents).map_err(|_| uncountable("the spellings to review"))?,
                tracking_codes: codes,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    review.sort_by(|a, b| b.total_cents.cmp(&a.total_cents).then(a.spelling.cmp(&b.spelling)));
    Ok(VendorReport {
        campaign: c.slug.clone(),
        title: c.title.clone(),
        records: c.records.clone(),
        year,
        generated_on: today,
        map_builtin: map.builtin,
        map: map.entries,
        agencies_with_transactions: agencies.iter().filter(|a| a.transactions > 0).count() as i64,
        transactions,
        transactions_cents,
        vendors,
        agencies,
        unsplit_agencies,
        unsplit_cents: i64::try_from(unsplit_sum).map_err(|_| uncountable("the reported totals"))?,
        review,
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
        // Denver Public Schools: $1,560,726 over the 682,545 people the study divided by = $2.29.
        assert_eq!(per_capita(156_072_600, Some(682_545)), Some(229));
        assert_eq!(per_capita(100, None), None);
        assert_eq!(per_capita(100, Some(0)), None);
        // Half a cent rounds away from zero, either sign.
        assert_eq!(per_capita(5, Some(2)), Some(3));
        assert_eq!(per_capita(-5, Some(2)), Some(-3));
        assert_eq!(per_capita(i64::MAX, Some(1)), Some(i64::MAX));
    }

    #[test]
    fn percentages_are_exact_and_round_half_away_from_zero() {
        // The study's statements: +77% and +49%, exactly, from the cents.
        assert_eq!(change_tenths(276_248_502, 156_072_600), Some(770));
        assert_eq!(change_tenths(81_714_431, 54_841_900), Some(490));
        assert_eq!(change_tenths(1, 0), None, "no change from nothing");
        assert_eq!(change_tenths(1, -5), None, "no change from a net refund");
        assert_eq!(change_tenths(0, 100), Some(-1000));
        // 1/8 = 12.5% exactly; 1/16 = 6.25% -> 6.3; -1/16 -> -6.3 (away from zero, not to even).
        assert_eq!(percent_tenths(1, 8), Some(125));
        assert_eq!(percent_tenths(1, 16), Some(63));
        assert_eq!(percent_tenths(-1, 16), Some(-63));
        assert_eq!(percent_tenths(1, -16), Some(-63));
        assert_eq!(percent_tenths(2, 3), Some(667));
        assert_eq!(percent_tenths(1, 0), None);
        // 0.0499...% stays 0.0, 0.05% is 0.1: no float in between.
        assert_eq!(percent_tenths(499_999, 1_000_000_000), Some(0));
        assert_eq!(percent_tenths(500_000, 1_000_000_000), Some(1));
        // The extremes do not overflow.
        assert_eq!(percent_tenths(i64::MAX, i64::MAX), Some(1000));
        assert_eq!(change_tenths(i64::MIN, i64::MAX), Some(-2000));
        assert_eq!(change_tenths(i64::MAX, 1), Some((i64::MAX as i128 - 1) * 1000));
        assert_eq!(percent_tenths(i64::MAX, 1), Some(i64::MAX as i128 * 1000));
        assert_eq!(tenths_to_percent(770), 77.0);
        assert_eq!(serde_json::to_string(&tenths_to_percent(-63)).unwrap(), "-6.3");
    }

    #[test]
    fn the_median_change_is_exact() {
        let c = |cur, prev| Change::new(cur, prev).unwrap();
        assert_eq!(median_change_tenths(vec![]), None);
        assert_eq!(median_change_tenths(vec![c(177, 100)]), Some(770));
        // +77% and +49%: the mean is +63%.
        assert_eq!(median_change_tenths(vec![c(149, 100), c(177, 100)]), Some(630));
        // The middle of three, whatever the order.
        assert_eq!(median_change_tenths(vec![c(90, 100), c(300, 100), c(110, 100)]), Some(100));
        // (1/3 + 0)/2 = 16.666...% -> 16.7; (-1/3 + 0)/2 -> -16.7.
        assert_eq!(median_change_tenths(vec![c(4, 3), c(3, 3)]), Some(167));
        assert_eq!(median_change_tenths(vec![c(2, 3), c(3, 3)]), Some(-167));
        // Exactly half a tenth: (0.05% + 0.05%)/2... and (0.1% + 0%)/2 = 0.05% -> 0.1, negative -> -0.1.
        assert_eq!(median_change_tenths(vec![c(1001, 1000), c(1000, 1000)]), Some(1));
        assert_eq!(median_change_tenths(vec![c(999, 1000), c(1000, 1000)]), Some(-1));
        // The largest figures do not overflow.
        assert_eq!(median_change_tenths(vec![c(i64::MAX, i64::MAX), c(i64::MIN, i64::MAX)]), Some(-1000));
        assert_eq!(median_change_tenths(vec![c(i64::MAX, 1), c(i64::MAX, 1)]), Some(c(i64::MAX, 1).tenths()));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// The mean of two changes, against the same sum done in one fraction (which fits in
        /// 128 bits for figures this size).
        #[test]
        fn the_mean_of_two_changes_matches_one_fraction(
            a in -2_000_000i64..2_000_000, p in 1i64..2_000_000,
            b in -2_000_000i64..2_000_000, q in 1i64..2_000_000,
        ) {
            let (x, y) = (Change::new(a, p).unwrap(), Change::new(b, q).unwrap());
            let exact = div_round(500 * (x.num * y.den + y.num * x.den), x.den * y.den);
            proptest::prop_assert_eq!(mean_tenths(x, y), exact);
            proptest::prop_assert_eq!(mean_tenths(y, x), exact);
        }

        #[test]
        fn rounding_matches_the_decimal_definition(n in -10_000_000i64..10_000_000, d in 1i64..10_000) {
            // n/d rounded half away from zero, by comparing twice the remainder with d.
            let q = n / d;
            let r = (n % d).abs();
            let expected = if 2 * r >= d { q + n.signum() } else { q };
            proptest::prop_assert_eq!(div_round(n as i128, d as i128) as i64, expected);
            proptest::prop_assert_eq!(div_round(-(n as i128), d as i128) as i64, -expected);
        }
    }
}
