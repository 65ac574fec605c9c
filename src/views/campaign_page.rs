//! A campaign as the web workspace shows it: counts by status, then one row per request, sorted,
//! filtered and cut into pages by SQL on the request's cached columns. Only the rows shown are
//! read in full (their last messages, figures, law) and only they get their business days
//! overdue counted, so a page costs the same in a campaign of 90 requests or 10,000 and in a
//! database of a thousand requests or a million. The CSV download walks the same query row by
//! row, so it can be streamed.

use std::collections::HashMap;

use chrono::NaiveDate;
use rusqlite::types::Value;
use rusqlite::{Connection, Row as SqlRow};
use serde::Serialize;

use crate::core::deadline;
use crate::core::money::format_cents;
use crate::core::status::Status;
use crate::projection::Calendars;
use crate::store::agency::Kind;
use crate::store::campaign::Campaign;
use crate::store::outbox::Pending;
use crate::store::request::opt_date;
use crate::{Error, Result};

/// Rows per page unless asked otherwise, and the most a page may hold.
pub const PER_PAGE: u32 = 50;
pub const MAX_PER_PAGE: u32 = 500;

/// What the rows can be sorted by. Every key sorts in SQL; ties go by tracking code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Code,
    Agency,
    State,
    Channel,
    Status,
    Sent,
    Due,
    /// Business days overdue; within the overdue requests this is the due date, oldest first.
    Overdue,
    LastIn,
    LastOut,
    Reference,
    Fee,
}

impl SortKey {
    pub const ALL: [SortKey; 12] = [
        SortKey::Code,
        SortKey::Agency,
        SortKey::State,
        SortKey::Channel,
        SortKey::Status,
        SortKey::Sent,
        SortKey::Due,
        SortKey::Overdue,
        SortKey::LastIn,
        SortKey::LastOut,
        SortKey::Reference,
        SortKey::Fee,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Code => "code",
            SortKey::Agency => "agency",
            SortKey::State => "state",
            SortKey::Channel => "channel",
            SortKey::Status => "status",
            SortKey::Sent => "sent",
            SortKey::Due => "due",
            SortKey::Overdue => "overdue",
            SortKey::LastIn => "last_in",
            SortKey::LastOut => "last_out",
            SortKey::Reference => "reference",
            SortKey::Fee => "fee",
        }
    }

    pub fn parse(s: &str) -> Result<SortKey> {
        let s = s.trim();
        SortKey::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            Error::invalid(format!(
                "cannot sort by '{s}'; sort by one of: {}",
                SortKey::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
            ))
        })
    }

    /// The direction a first click sorts in: dates and amounts newest or largest first,
    /// overdue most late first, names A to Z.
    pub fn default_desc(self) -> bool {
        matches!(self, SortKey::Overdue | SortKey::LastIn | SortKey::LastOut | SortKey::Fee)
    }
}

/// A sort key and its direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Order {
    pub key: SortKey,
    pub desc: bool,
}

/// Which requests of the campaign to list. Every filter narrows (AND).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowFilter {
    pub status: Option<Status>,
    /// A two-letter code, checked against the laws.
    pub state: Option<String>,
    pub kind: Option<Kind>,
    /// Only requests past their due date while the agency owes an answer.
    pub overdue: bool,
}

impl RowFilter {
    pub fn is_empty(&self) -> bool {
        self.status.is_none() && self.state.is_none() && self.kind.is_none() && !self.overdue
    }
}

/// The statuses under which a request can be late, as SQL: `'awaiting_ack', ...`.
fn open_statuses() -> String {
    Status::ALL
        .iter()
        .filter(|s| s.can_be_overdue())
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Counts by status (every status listed) and the overdue count on `today`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub total: i64,
    pub by_status: Vec<(Status, i64)>,
    pub overdue: i64,
}

impl Summary {
    pub fn count(&self, s: Status) -> i64 {
        self.by_status.iter().find(|(x, _)| *x == s).map_or(0, |(_, n)| *n)
    }
}

/// One pass over the campaign's (campaign, status) index, and the overdue count over its open
/// requests.
pub fn summary(conn: &Connection, campaign_id: i64, today: NaiveDate) -> Result<Summary> {
    let mut counts: HashMap<Status, i64> = HashMap::new();
    let mut stmt =
        conn.prepare_cached("SELECT status, COUNT(*) FROM requests WHERE campaign_id = ?1 GROUP BY status")?;
    for row in stmt.query_map([campaign_id], |r| Ok((r.get::<_, Status>(0)?, r.get::<_, i64>(1)?)))? {
        let (s, n) = row?;
        counts.insert(s, n);
    }
    let by_status: Vec<(Status, i64)> = Status::ALL.iter().map(|s| (*s, counts.get(s).copied().unwrap_or(0))).collect();
    let overdue: i64 = conn.query_row(
        &format!(
            "SELECT COUNT(*) FROM requests WHERE campaign_id = ?1 AND status IN ({}) AND due_on < ?2",
            open_statuses()
        ),
        rusqlite::params![campaign_id, today],
        |r| r.get(0),
    )?;
    Ok(Summary { total: by_status.iter().map(|(_, n)| n).sum(), by_status, overdue })
}

/// One request as a row of the campaign table.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Row {
    pub tracking_code: String,
    pub agency_key: String,
    pub agency_name: String,
    pub state: String,
    /// The short name of the state's records law ("CORA").
    pub law: String,
    pub kind: String,
    /// How the request went (the `sent` event's channel), or for a draft how it will go: email
    /// when the agency has an address, else portal when it has one, else mail.
    pub channel: String,
    pub status: Status,
    pub sent_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    /// Business days past the due date on `today`, for a request the agency still owes.
    pub overdue_days: Option<i64>,
    pub followup_on: Option<NaiveDate>,
    /// The day of the last reply received.
    pub last_in: Option<NaiveDate>,
    /// The day of the last letter that went out.
    pub last_out: Option<NaiveDate>,
    pub agency_reference: Option<String>,
    pub fee_cents: Option<i64>,
    /// Spending files imported, and totals the agency reported.
    pub files: i64,
    pub totals: i64,
    pub has_email: bool,
}

impl Row {
    /// "1 file, 1 total", or empty when nothing came.
    pub fn figures(&self) -> String {
        let mut parts = Vec::new();
        if self.files > 0 {
            parts.push(format!("{} file{}", self.files, if self.files == 1 { "" } else { "s" }));
        }
        if self.totals > 0 {
            parts.push(format!("{} total{}", self.totals, if self.totals == 1 { "" } else { "s" }));
        }
        parts.join(", ")
    }

    pub fn fee(&self) -> String {
        self.fee_cents.map(format_cents).unwrap_or_default()
    }
}

const CHANNEL: &str = "COALESCE((SELECT e.via FROM events e WHERE e.request_id = r.id AND e.kind = 'sent'
        AND e.voided_on IS NULL ORDER BY e.on_date DESC, e.id DESC LIMIT 1),
    CASE WHEN a.email IS NOT NULL THEN 'email' WHEN a.portal_url IS NOT NULL THEN 'portal' ELSE 'mail' END)";
/// The last message from the agency: a reply or its portal's notice (not a bounce or an
/// out-of-office).
const LAST_IN: &str = "(SELECT MAX(c.created_on) FROM communications c WHERE c.request_id = r.id
        AND c.direction = 'inbound' AND c.kind IN ('reply', 'portal'))";
const LAST_OUT: &str = "(SELECT MAX(COALESCE(c.sent_on, c.created_on)) FROM communications c
        WHERE c.request_id = r.id AND c.direction = 'outbound' AND c.state = 'sent')";

/// The columns of a row; the law and the business days overdue are added in Rust.
fn columns() -> String {
    format!(
        "r.tracking_code, a.key, a.name, a.state, a.kind, {CHANNEL}, r.status, r.sent_on, r.due_on, r.followup_on,
         {LAST_IN}, {LAST_OUT}, r.agency_reference, r.fee_cents,
         (SELECT COUNT(*) FROM data_sources d WHERE d.request_id = r.id),
         (SELECT COUNT(*) FROM reported_totals t WHERE t.request_id = r.id),
         a.email IS NOT NULL"
    )
}

fn from_sql(r: &SqlRow<'_>) -> rusqlite::Result<Row> {
    from_sql_at(r, 0)
}

/// A row whose columns start at index `at`.
fn from_sql_at(r: &SqlRow<'_>, at: usize) -> rusqlite::Result<Row> {
    Ok(Row {
        tracking_code: r.get(at)?,
        agency_key: r.get(at + 1)?,
        agency_name: r.get(at + 2)?,
        state: r.get(at + 3)?,
        law: String::new(),
        kind: r.get(at + 4)?,
        channel: r.get(at + 5)?,
        status: r.get(at + 6)?,
        sent_on: opt_date(r, at + 7)?,
        due_on: opt_date(r, at + 8)?,
        overdue_days: None,
        followup_on: opt_date(r, at + 9)?,
        last_in: opt_date(r, at + 10)?,
        last_out: opt_date(r, at + 11)?,
        agency_reference: r.get(at + 12)?,
        fee_cents: r.get(at + 13)?,
        files: r.get(at + 14)?,
        totals: r.get(at + 15)?,
        has_email: r.get(at + 16)?,
    })
}

/// The WHERE clause and its values (`?1` is the campaign). Today goes in as a literal: a date
/// formatted by chrono, so nothing from outside.
fn where_clause(campaign_id: i64, f: &RowFilter, today: NaiveDate) -> (String, Vec<Value>) {
    let mut sql = String::from("r.campaign_id = ?1");
    let mut args: Vec<Value> = vec![campaign_id.into()];
    if let Some(s) = f.status {
        args.push(s.as_str().to_string().into());
        sql += &format!(" AND r.status = ?{}", args.len());
    }
    if let Some(st) = &f.state {
        args.push(st.clone().into());
        sql += &format!(" AND a.state = ?{}", args.len());
    }
    if let Some(k) = f.kind {
        args.push(k.as_str().to_string().into());
        sql += &format!(" AND a.kind = ?{}", args.len());
    }
    if f.overdue {
        sql += &format!(" AND {}", late(today));
    }
    (sql, args)
}

/// The tables a list of ids reads: the agencies too only when the filter or the order is about
/// them (every request has its agency, so the join never drops a row), so a campaign's ids in
/// most orders come from the requests' indexes alone.
fn ids_from(f: &RowFilter, order: Order) -> &'static str {
    let about_agency = f.state.is_some()
        || f.kind.is_some()
        || matches!(order.key, SortKey::Agency | SortKey::State | SortKey::Channel);
    if about_agency { "requests r JOIN agencies a ON a.id = r.agency_id" } else { "requests r" }
}

/// `ORDER BY` for an order: empty values last whichever the direction, ties by tracking code.
fn order_by(o: Order, today: NaiveDate) -> String {
    let expr = match o.key {
        SortKey::Code => "r.seq".to_string(),
        SortKey::Agency => "a.name COLLATE NOCASE".to_string(),
        SortKey::State => "a.state".to_string(),
        SortKey::Channel => CHANNEL.to_string(),
        SortKey::Status => "r.status".to_string(),
        SortKey::Sent => "r.sent_on".to_string(),
        SortKey::Due => "r.due_on".to_string(),
        SortKey::Overdue => {
            format!("CASE WHEN r.status IN ({}) AND r.due_on < '{today}' THEN r.due_on END", open_statuses())
        }
        SortKey::LastIn => LAST_IN.to_string(),
        SortKey::LastOut => LAST_OUT.to_string(),
        SortKey::Reference => "r.agency_reference COLLATE NOCASE".to_string(),
        SortKey::Fee => "r.fee_cents".to_string(),
    };
    // Most overdue first is the oldest due date first.
    let desc = if o.key == SortKey::Overdue { !o.desc } else { o.desc };
    if o.key == SortKey::Code {
        return format!("r.seq {}", if desc { "DESC" } else { "ASC" });
    }
    format!("({expr}) IS NULL, {expr} {}, r.seq ASC", if desc { "DESC" } else { "ASC" })
}

/// Fills in what SQL leaves to Rust: the law's short name and the business days overdue.
struct Finisher {
    today: NaiveDate,
    /// Short names by jurisdiction (a user's corrections never change them), read once.
    laws: Option<HashMap<String, String>>,
    cals: Calendars,
}

impl Finisher {
    fn new(today: NaiveDate) -> Self {
        Finisher { today, laws: None, cals: Calendars::default() }
    }

    fn finish(&mut self, conn: &Connection, mut row: Row) -> Result<Row> {
        if self.laws.is_none() {
            let mut stmt = conn.prepare_cached("SELECT code, short_name FROM laws")?;
            let names = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
            self.laws = Some(names);
        }
        row.law = self.laws.as_ref().and_then(|l| l.get(&row.state)).cloned().unwrap_or_default();
        if let Some(due) = row.due_on
            && row.status.can_be_overdue()
            && self.today > due
        {
            let cal = self.cals.get(conn, &row.state)?;
            row.overdue_days = Some(deadline::business_days_between(cal, due, self.today));
        }
        Ok(row)
    }
}

/// What the page asks for: which rows, in which order, which page of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub filter: RowFilter,
    pub order: Order,
    /// 1-based; past the last page means the last page.
    pub page: u32,
    pub per_page: u32,
}

impl Default for Query {
    fn default() -> Self {
        Query { filter: RowFilter::default(), order: Order::default(), page: 1, per_page: PER_PAGE }
    }
}

/// One page of rows.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    pub rows: Vec<Row>,
    /// Requests matching the filter, over all pages.
    pub matched: i64,
    /// 1-based, within 1..=pages.
    pub page: u32,
    pub per_page: u32,
    pub pages: u32,
}

/// Requests matching the filter (the counts answer the common cases without a query).
pub fn matched(conn: &Connection, campaign_id: i64, f: &RowFilter, summary: &Summary, today: NaiveDate) -> Result<i64> {
    if f.is_empty() {
        return Ok(summary.total);
    }
    if f.state.is_none() && f.kind.is_none() {
        return Ok(match (f.status, f.overdue) {
            (Some(s), false) => summary.count(s),
            (None, true) => summary.overdue,
            _ => {
                let (w, args) = where_clause(campaign_id, f, today);
                conn.query_row(
                    &format!("SELECT COUNT(*) FROM requests r WHERE {w}"),
                    rusqlite::params_from_iter(args),
                    |r| r.get(0),
                )?
            }
        });
    }
    let (w, args) = where_clause(campaign_id, f, today);
    Ok(conn.query_row(
        &format!("SELECT COUNT(*) FROM requests r JOIN agencies a ON a.id = r.agency_id WHERE {w}"),
        rusqlite::params_from_iter(args),
        |r| r.get(0),
    )?)
}

/// The SQL condition "late on `today`": the agency owes an answer and the due date has passed.
fn late(today: NaiveDate) -> String {
    format!("r.status IN ({}) AND r.due_on < '{today}'", open_statuses())
}

/// The late requests matching the filter, most business days overdue first (or fewest, for
/// an ascending sort), ties by tracking code. Business days differ from state to state, so this
/// order is counted in Rust over the campaign's late requests: its cost follows the campaign's
/// late requests, not the database.
fn late_ids(conn: &Connection, campaign_id: i64, f: &RowFilter, desc: bool, today: NaiveDate) -> Result<Vec<i64>> {
    let (w, args) = where_clause(campaign_id, f, today);
    let sql = format!(
        "SELECT r.id, a.state, r.due_on, r.seq FROM requests r JOIN agencies a ON a.id = r.agency_id
         WHERE {w} AND {}",
        late(today)
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    // Requests of one state due on one day are as late as each other: counted once.
    let mut states: HashMap<String, usize> = HashMap::new();
    let mut rows = Vec::new();
    let mut q = stmt.query(rusqlite::params_from_iter(args))?;
    while let Some(r) = q.next()? {
        let state = r.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
        let n = states.len();
        let at = match states.get(state) {
            Some(at) => *at,
            None => *states.entry(state.to_string()).or_insert(n),
        };
        let due = opt_date(r, 2)?.ok_or(rusqlite::Error::InvalidColumnType(
            2,
            "due_on".into(),
            rusqlite::types::Type::Null,
        ))?;
        rows.push((r.get::<_, i64>(0)?, at, due, r.get::<_, i64>(3)?));
    }
    let mut by_state: Vec<&str> = vec![""; states.len()];
    for (state, at) in &states {
        by_state[*at] = state;
    }
    let mut cals = Calendars::default();
    let mut counted: HashMap<(usize, NaiveDate), i64> = HashMap::new();
    let mut keyed = Vec::with_capacity(rows.len());
    for (id, at, due, seq) in rows {
        let days = match counted.get(&(at, due)) {
            Some(days) => *days,
            None => {
                let days = deadline::business_days_between(cals.get(conn, by_state[at])?, due, today);
                counted.insert((at, due), days);
                days
            }
        };
        keyed.push((if desc { -days } else { days }, seq, id));
    }
    keyed.sort_unstable();
    Ok(keyed.into_iter().map(|(_, _, id)| id).collect())
}

/// Ids of matching rows in the page's order, `limit` of them from `offset`.
fn page_ids(
    conn: &Connection,
    campaign_id: i64,
    f: &RowFilter,
    order: Order,
    today: NaiveDate,
    limit: i64,
    offset: i64,
) -> Result<Vec<i64>> {
    let (w, mut args) = where_clause(campaign_id, f, today);
    if order.key != SortKey::Overdue {
        args.push(limit.into());
        args.push(offset.into());
        let sql = format!(
            "SELECT r.id FROM {} WHERE {w}
             ORDER BY {} LIMIT ?{} OFFSET ?{}",
            ids_from(f, order),
            order_by(order, today),
            args.len() - 1,
            args.len()
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let v = stmt.query_map(rusqlite::params_from_iter(args), |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        return Ok(v);
    }
    // Late requests first (in Rust's order), then the others by tracking code: every other one,
    // an open request without a due date too (for it "late" is NULL, not false).
    let lates = late_ids(conn, campaign_id, f, order.desc, today)?;
    let mut ids: Vec<i64> = lates.iter().skip(offset as usize).take(limit as usize).copied().collect();
    let rest_offset = (offset - lates.len() as i64).max(0);
    let rest_limit = limit - ids.len() as i64;
    if rest_limit > 0 {
        args.push(rest_limit.into());
        args.push(rest_offset.into());
        let sql = format!(
            "SELECT r.id FROM {} WHERE {w} AND NOT COALESCE(({}), 0)
             ORDER BY r.seq LIMIT ?{} OFFSET ?{}",
            ids_from(f, order),
            late(today),
            args.len() - 1,
            args.len()
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        for id in stmt.query_map(rusqlite::params_from_iter(args), |r| r.get(0))? {
            ids.push(id?);
        }
    }
    Ok(ids)
}

/// The rows of these requests, in the order given.
fn rows_by_id(conn: &Connection, ids: &[i64], fin: &mut Finisher) -> Result<Vec<Row>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; ids.len()].join(", ");
    let sql = format!(
        "SELECT r.id, {} FROM requests r JOIN agencies a ON a.id = r.agency_id WHERE r.id IN ({marks})",
        columns()
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut found: HashMap<i64, Row> = HashMap::with_capacity(ids.len());
    let mut rows = stmt.query(rusqlite::params_from_iter(ids))?;
    while let Some(r) = rows.next()? {
        found.insert(r.get(0)?, from_sql_at(r, 1)?);
    }
    ids.iter().filter_map(|id| found.remove(id)).map(|row| fin.finish(conn, row)).collect()
}

/// One page: the filter, the order and the cut are SQL (the business-days-overdue order counts
/// the campaign's late requests); the chosen rows alone are read in full.
pub fn page(conn: &Connection, campaign_id: i64, q: &Query, summary: &Summary, today: NaiveDate) -> Result<Page> {
    let per_page = q.per_page.clamp(1, MAX_PER_PAGE);
    let matched = matched(conn, campaign_id, &q.filter, summary, today)?;
    let pages = (matched.max(1) as u64).div_ceil(per_page as u64).min(u32::MAX as u64) as u32;
    let page = q.page.clamp(1, pages);
    let offset = (page as i64 - 1) * per_page as i64;
    let ids = page_ids(conn, campaign_id, &q.filter, q.order, today, per_page as i64, offset)?;
    let rows = rows_by_id(conn, &ids, &mut Finisher::new(today))?;
    Ok(Page { rows, matched, page, per_page, pages })
}

/// Every matching row in order, one at a time (for the CSV download); `each` returns false to
/// stop early.
pub fn each_row(
    conn: &Connection,
    campaign_id: i64,
    f: &RowFilter,
    order: Order,
    today: NaiveDate,
    mut each: impl FnMut(Row) -> bool,
) -> Result<()> {
    let mut fin = Finisher::new(today);
    if order.key == SortKey::Overdue {
        let ids = page_ids(conn, campaign_id, f, order, today, i64::MAX, 0)?;
        for chunk in ids.chunks(256) {
            for row in rows_by_id(conn, chunk, &mut fin)? {
                if !each(row) {
                    return Ok(());
                }
            }
        }
        return Ok(());
    }
    let (w, args) = where_clause(campaign_id, f, today);
    let sql = format!(
        "SELECT {cols} FROM requests r JOIN agencies a ON a.id = r.agency_id WHERE {w} ORDER BY {ob}",
        cols = columns(),
        ob = order_by(order, today)
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
    while let Some(r) = rows.next()? {
        let row = fin.finish(conn, from_sql(r)?)?;
        if !each(row) {
            break;
        }
    }
    Ok(())
}

/// The tracking codes of every matching row, in order (a bulk action on "all matching").
pub fn codes(
    conn: &Connection,
    campaign_id: i64,
    f: &RowFilter,
    order: Order,
    today: NaiveDate,
) -> Result<Vec<String>> {
    if order.key == SortKey::Overdue {
        let ids = page_ids(conn, campaign_id, f, order, today, i64::MAX, 0)?;
        let mut stmt = conn.prepare_cached("SELECT tracking_code FROM requests WHERE id = ?1")?;
        return ids.iter().map(|id| Ok(stmt.query_row([id], |r| r.get(0))?)).collect();
    }
    let (w, args) = where_clause(campaign_id, f, today);
    let sql = format!(
        "SELECT r.tracking_code FROM requests r JOIN agencies a ON a.id = r.agency_id WHERE {w} ORDER BY {ob}",
        ob = order_by(order, today)
    );
    let mut stmt = conn.prepare(&sql)?;
    let v = stmt.query_map(rusqlite::params_from_iter(args), |r| r.get(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}

/// The CSV download's columns, and one row as CSV cells (made formula-safe by the writer).
pub const CSV_COLUMNS: &[&str] = &[
    "tracking_code",
    "agency_key",
    "agency",
    "state",
    "law",
    "kind",
    "channel",
    "status",
    "sent_on",
    "due_on",
    "business_days_overdue",
    "followup_on",
    "last_message_in",
    "last_message_out",
    "agency_reference",
    "fee",
    "files_received",
    "totals_received",
];

pub fn csv_record(r: &Row) -> Vec<String> {
    let d = |d: &Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    vec![
        r.tracking_code.clone(),
        r.agency_key.clone(),
        r.agency_name.clone(),
        r.state.clone(),
        r.law.clone(),
        r.kind.clone(),
        r.channel.clone(),
        r.status.to_string(),
        d(&r.sent_on),
        d(&r.due_on),
        r.overdue_days.map(|n| n.to_string()).unwrap_or_default(),
        d(&r.followup_on),
        d(&r.last_in),
        d(&r.last_out),
        r.agency_reference.clone().unwrap_or_default(),
        r.fee_cents.map(|c| format!("{}.{:02}", c / 100, c % 100)).unwrap_or_default(),
        r.files.to_string(),
        r.totals.to_string(),
    ]
}

/// A campaign on the list of campaigns, with its requests counted by where they stand.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignLine {
    pub slug: String,
    pub title: String,
    pub code_prefix: String,
    pub created_on: NaiveDate,
    pub requests: i64,
    pub drafts: i64,
    /// The agency owes an answer.
    pub open: i64,
    /// The agency waits on us (a fee, a clarification).
    pub waiting: i64,
    pub closed: i64,
}

/// Every campaign, newest first, counted from the (campaign, status) index alone.
pub fn campaigns(conn: &Connection) -> Result<Vec<CampaignLine>> {
    let list = crate::store::campaign::list(conn)?;
    let mut stmt =
        conn.prepare_cached("SELECT status, COUNT(*) FROM requests WHERE campaign_id = ?1 GROUP BY status")?;
    let mut out = Vec::with_capacity(list.len());
    for c in list.iter().rev() {
        let mut line = CampaignLine {
            slug: c.slug.clone(),
            title: c.title.clone(),
            code_prefix: c.code_prefix.clone(),
            created_on: c.created_on,
            requests: 0,
            drafts: 0,
            open: 0,
            waiting: 0,
            closed: 0,
        };
        for row in stmt.query_map([c.id], |r| Ok((r.get::<_, Status>(0)?, r.get::<_, i64>(1)?)))? {
            let (s, n) = row?;
            line.requests += n;
            if s == Status::Draft {
                line.drafts += n;
            } else if s.is_waiting_on_us() {
                line.waiting += n;
            } else if s.is_terminal() {
                line.closed += n;
            } else {
                line.open += n;
            }
        }
        out.push(line);
    }
    Ok(out)
}

/// The request before and after one in the campaign (by tracking code), optionally among the
/// drafts only: the letter preview's "previous" and "next".
pub fn neighbours(
    conn: &Connection,
    c: &Campaign,
    code: &str,
    drafts_only: bool,
) -> Result<(Option<String>, Option<String>)> {
    let seq: Option<i64> = conn
        .query_row(
            "SELECT seq FROM requests WHERE campaign_id = ?1 AND tracking_code = ?2",
            rusqlite::params![c.id, code],
            |r| r.get(0),
        )
        .ok();
    let Some(seq) = seq else { return Ok((None, None)) };
    let draft = if drafts_only { " AND status = 'draft'" } else { "" };
    let one = |sql: &str| -> Result<Option<String>> {
        Ok(conn.query_row(sql, rusqlite::params![c.id, seq], |r| r.get(0)).ok())
    };
    let prev = one(&format!(
        "SELECT tracking_code FROM requests WHERE campaign_id = ?1 AND seq < ?2{draft} ORDER BY seq DESC LIMIT 1"
    ))?;
    let next = one(&format!(
        "SELECT tracking_code FROM requests WHERE campaign_id = ?1 AND seq > ?2{draft} ORDER BY seq LIMIT 1"
    ))?;
    Ok((prev, next))
}

/// The first request of the campaign (the first draft when `drafts_only`).
pub fn first_code(conn: &Connection, c: &Campaign, drafts_only: bool) -> Result<Option<String>> {
    let draft = if drafts_only { " AND status = 'draft'" } else { "" };
    Ok(conn
        .query_row(
            &format!("SELECT tracking_code FROM requests WHERE campaign_id = ?1{draft} ORDER BY seq LIMIT 1"),
            [c.id],
            |r| r.get(0),
        )
        .ok())
}

/// Drafts with an email address (what a send would email) and without (to send by hand).
pub fn draft_counts(conn: &Connection, campaign_id: i64) -> Result<(i64, i64)> {
    Ok(conn.query_row(
        "SELECT COALESCE(SUM(a.email IS NOT NULL), 0), COALESCE(SUM(a.email IS NULL), 0)
         FROM requests r JOIN agencies a ON a.id = r.agency_id WHERE r.campaign_id = ?1 AND r.status = 'draft'",
        [campaign_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// Messages of one campaign left `sending` (the server or the CLI stopped while sending them),
/// read through the campaign's requests: its cost follows the campaign, not the whole outbox.
pub fn unsettled(conn: &Connection, campaign_id: i64) -> Result<Vec<Pending>> {
    let mut stmt = conn.prepare_cached(
        "SELECT c.id, r.tracking_code, c.letter, c.to_addr, c.message_id, c.created_on
         FROM communications c CROSS JOIN requests r ON r.id = c.request_id
         WHERE c.state = 'sending' AND c.direction = 'outbound' AND r.campaign_id = ?1
         ORDER BY r.tracking_code, c.id",
    )?;
    let v = stmt
        .query_map([campaign_id], |r| {
            Ok(Pending {
                communication_id: r.get(0)?,
                tracking_code: r.get(1)?,
                letter: r.get(2)?,
                to: r.get(3)?,
                message_id: r.get(4)?,
                created_on: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}

/// The jurisdictions a filter can name, in order.
pub fn state_codes(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT code FROM laws ORDER BY code")?;
    let v = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_keys_round_trip_and_unknown_ones_are_named() {
        for k in SortKey::ALL {
            assert_eq!(SortKey::parse(k.as_str()).unwrap(), k);
        }
        let e = SortKey::parse("evil'--").unwrap_err().to_string();
        assert!(e.starts_with("cannot sort by 'evil'--'"), "{e}");
    }

    #[test]
    fn empty_values_sort_last_both_ways_and_ties_go_by_code() {
        let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let asc = order_by(Order { key: SortKey::Due, desc: false }, today);
        let desc = order_by(Order { key: SortKey::Due, desc: true }, today);
        assert_eq!(asc, "(r.due_on) IS NULL, r.due_on ASC, r.seq ASC");
        assert_eq!(desc, "(r.due_on) IS NULL, r.due_on DESC, r.seq ASC");
        // Most overdue first is the oldest due date first.
        let overdue = order_by(Order { key: SortKey::Overdue, desc: true }, today);
        assert!(overdue.contains("r.due_on < '2026-06-01' THEN r.due_on END ASC"), "{overdue}");
    }
}
