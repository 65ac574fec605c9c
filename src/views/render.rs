//! Rendering of the reports for people and spreadsheets: plain-text tables, Markdown, CSV and a
//! self-contained HTML page (`templates/report.html`, charts as inline SVG). Pure functions from
//! the report structs of `views::report` to text, shared by the CLI and the web server.

use std::borrow::Cow;
use std::io::Write;

use askama::Template;
use comfy_table::{LineStyle, Table, TableStyle};

use crate::core::money::{decimal, format_cents};
use crate::views::report::{self, ResponseReport, SpendingReport, SpendingSort, VendorReport};

/// Aligned columns under a dashed header line: readable in a terminal, a pipe or an email.
const PLAIN: TableStyle = TableStyle::new().header_separator(LineStyle::none().fill('-').junction(' '));

/// An aligned plain-text table; column names like `due_on` become headers like `DUE ON`. Cells
/// go through [`printable`]: a line feed makes a cell two lines, any other control character
/// is shown, never sent to the terminal.
pub fn table(columns: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut t = Table::new();
    t.load_style(PLAIN);
    t.force_no_tty();
    t.set_header(columns.iter().map(|c| printable_line(&c.replace('_', " ").to_uppercase()).into_owned()));
    for r in rows {
        t.add_row(r.iter().map(|c| clip_cell(printable(c).into_owned())));
    }
    t.trim_fmt()
}

/// The most characters a table cell shows: a two-megabyte subject must not become a
/// two-megabyte table (JSON and CSV keep the whole value).
pub const MAX_CELL_CHARS: usize = 200;

fn clip_cell(s: String) -> String {
    match s.char_indices().nth(MAX_CELL_CHARS) {
        Some((end, _)) => format!("{}…", &s[..end]),
        None => s,
    }
}

/// Text from outside (agency names, notes, subjects, file names) made safe to print on a
/// terminal: control characters (ESC, CR, BEL, backspace, tab, DEL, the C1 set) and the
/// bidirectional overrides that reorder a line are replaced by visible symbols (`␛`, `␍`, `␉`,
/// `␡`, `<U+009B>`) instead of acting on the terminal. A line feed stays a line break (a CR LF
/// pair becomes one); use [`printable_line`] where the text must stay on one line.
pub fn printable(s: &str) -> Cow<'_, str> {
    replace_controls(s, true)
}

/// [`printable`] for text that must stay on one line: line feeds are shown as `␊` too.
pub fn printable_line(s: &str) -> Cow<'_, str> {
    replace_controls(s, false)
}

fn is_hidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn replace_controls(s: &str, keep_lines: bool) -> Cow<'_, str> {
    if !s.chars().any(|c| is_hidden(c) && !(keep_lines && c == '\n')) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if keep_lines && chars.peek() == Some(&'\n') => {}
            '\n' if keep_lines => out.push('\n'),
            c => push_visible(&mut out, c),
        }
    }
    Cow::Owned(out)
}

/// Pushes `c`, or the visible stand-in of a control character: the Unicode control pictures
/// (U+2400..) for C0 and DEL, `<U+XXXX>` for the rest.
pub(crate) fn push_visible(out: &mut String, c: char) {
    match c {
        '\0'..='\x1f' => out.push(char::from_u32(0x2400 + c as u32).expect("a control picture")),
        '\x7f' => out.push('\u{2421}'),
        c if is_hidden(c) => out.push_str(&format!("<U+{:04X}>", c as u32)),
        c => out.push(c),
    }
}

/// Text from outside made literal in Markdown: `\`, `|`, `*`, `_`, backticks, `<`, `>`, `[`, `]`
/// and a leading `#` are backslash-escaped (so a name cannot open a tag, a link, emphasis or a
/// heading, nor split a table cell), line breaks become spaces and other control characters
/// visible symbols. An `_` between two letters or digits stays as it is (`awaiting_ack`): it
/// can neither open nor close emphasis there. An `&` is left alone: an entity only spells a
/// character, it opens no markup.
pub fn markdown_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut prev: Option<char> = None;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '_' if prev.is_some_and(char::is_alphanumeric) && chars.peek().is_some_and(|n| n.is_alphanumeric()) => {
                out.push('_')
            }
            '\\' | '|' | '*' | '_' | '`' | '<' | '>' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '#' if out.trim_start().is_empty() => out.push_str("\\#"),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' | '\n' => out.push(' '),
            c => push_visible(&mut out, c),
        }
        prev = Some(c);
    }
    out
}

/// Neutralises a cell a spreadsheet would run as a formula: one that starts with `=`, `+`, `-`,
/// `@`, a tab or a carriage return gets a leading `'`, unless it is a plain decimal number
/// (`^[+-]?[0-9]+(\.[0-9]+)?$`), so `-12.50` stays a number and `-inf`, `+NaN`, `-1+1`, `=1` do not run.
pub fn csv_safe(cell: &str) -> String {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && !is_plain_decimal(cell) { format!("'{cell}") } else { cell.to_string() }
}

/// `^[+-]?[0-9]+(\.[0-9]+)?$`: digits, an optional sign, an optional fraction; no exponent, no
/// `inf` or `NaN`.
fn is_plain_decimal(s: &str) -> bool {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    match unsigned.split_once('.') {
        Some((whole, fraction)) => digits(whole) && digits(fraction),
        None => digits(unsigned),
    }
}

/// Writes a header and rows as CSV, every cell through [`csv_safe`].
pub fn write_csv(
    out: impl Write,
    columns: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(columns)?;
    for r in rows {
        w.write_record(r.iter().map(|c| csv_safe(c)))?;
    }
    w.flush()?;
    Ok(())
}

/// CSV in memory (writing to a `Vec` cannot fail).
fn csv_string(columns: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut buf = Vec::new();
    write_csv(&mut buf, columns, rows).expect("writing CSV to memory cannot fail");
    String::from_utf8(buf).expect("CSV of UTF-8 strings is UTF-8")
}

/// A report as headline figures, charts, tables and notes: rendered as text, Markdown or HTML.
pub struct Section {
    pub id: String,
    pub title: String,
    pub headline: Vec<(String, String)>,
    pub charts: Vec<Chart>,
    pub tables: Vec<DocTable>,
    pub notes: Vec<String>,
}

/// A horizontal bar chart, drawn as inline SVG: labels in the first `label_width` pixels, then
/// the bars. A chart of changes has a zero line (`axis_x`) with bars to its left and right.
pub struct Chart {
    pub title: String,
    pub width: i64,
    pub height: i64,
    pub label_width: i64,
    /// Where zero is, for a chart with negative values.
    pub axis_x: Option<i64>,
    pub bars: Vec<Bar>,
}

pub struct Bar {
    pub label: String,
    pub value: String,
    pub y: i64,
    /// Where the bar starts (`label_width` unless the chart has a zero line) and its length.
    pub x: i64,
    pub width: i64,
    /// Where the value is written.
    pub text_x: i64,
    pub colour: String,
}

/// Pixels the bars of a chart span.
const BAR_SPAN: i64 = 380;

pub struct DocTable {
    pub title: String,
    pub columns: Vec<String>,
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
}

fn doc_table(title: &str, columns: &[(&str, bool)], rows: Vec<Vec<String>>) -> DocTable {
    DocTable {
        title: title.into(),
        columns: columns.iter().map(|(c, _)| c.to_string()).collect(),
        numeric: columns.iter().map(|(_, n)| *n).collect(),
        rows,
    }
}

fn chart(title: &str, items: &[(String, i64, String)], colour: &str) -> Chart {
    let max = items.iter().map(|i| i.1).max().unwrap_or(0).max(1) as i128;
    let label_width = 260;
    let bars = items
        .iter()
        .enumerate()
        .map(|(i, (label, v, shown))| {
            // In 128 bits: a value of many billions of cents times the span stays exact.
            let width = ((((*v).max(0) as i128) * BAR_SPAN as i128 / max) as i64).max(1);
            Bar {
                label: label.clone(),
                value: shown.clone(),
                y: 4 + i as i64 * 22,
                x: label_width,
                width,
                text_x: label_width + width + 6,
                colour: colour.into(),
            }
        })
        .collect::<Vec<_>>();
    Chart {
        title: title.into(),
        width: label_width + BAR_SPAN + 140,
        height: 8 + bars.len() as i64 * 22,
        label_width,
        axis_x: None,
        bars,
    }
}

/// A chart of changes (tenths of a percent, either sign) around a zero line: increases to the
/// right in `up`, decreases to the left in `down`, each value written right of the zero line or
/// of its bar.
fn change_chart(title: &str, items: &[(String, i64, String)], up: &str, down: &str) -> Chart {
    let label_width = 260;
    let most_up = items.iter().map(|i| i.1).max().unwrap_or(0).max(0) as i128;
    let most_down = items.iter().map(|i| -(i.1 as i128)).max().unwrap_or(0).max(0);
    let range = (most_up + most_down).max(1);
    let axis = label_width + (most_down * BAR_SPAN as i128 / range) as i64;
    let bars = items
        .iter()
        .enumerate()
        .map(|(i, (label, v, shown))| {
            let length = ((((*v as i128).abs() * BAR_SPAN as i128) / range) as i64).max(1);
            let (x, text_x, colour) =
                if *v >= 0 { (axis, axis + length + 6, up) } else { (axis - length, axis + 6, down) };
            Bar {
                label: label.clone(),
                value: shown.clone(),
                y: 4 + i as i64 * 22,
                x,
                width: length,
                text_x,
                colour: colour.into(),
            }
        })
        .collect::<Vec<_>>();
    Chart {
        title: title.into(),
        width: label_width + BAR_SPAN + 140,
        height: 8 + bars.len() as i64 * 22,
        label_width,
        axis_x: Some(axis),
        bars,
    }
}

/// A percentage as reports show it: already exact to `PERCENT_DECIMALS` places.
fn percent(p: f64) -> String {
    format!("{p:.1}%")
}

/// A change as reports show it: "+77.0%", "-3.5%", "0.0%".
fn signed_percent(p: f64) -> String {
    if p > 0.0 { format!("+{p:.1}%") } else { format!("{p:.1}%") }
}

fn pct(r: Option<f64>) -> String {
    r.map(|r| format!("{:.1}%", r * 100.0)).unwrap_or_else(|| "-".into())
}

fn days(d: Option<f64>) -> String {
    d.map(|d| if d.fract() == 0.0 { format!("{d:.0}") } else { format!("{d:.1}") }).unwrap_or_else(|| "-".into())
}

/// The response report as a section: headline figures, the status chart, the tables.
pub fn responses_section(r: &ResponseReport) -> Section {
    let mut headline = vec![
        (r.sent.to_string(), "requests sent".to_string()),
        (format!("{} of {}", r.responded, r.sent), format!("agencies responded ({})", pct(r.response_rate))),
        (
            format!("{}–{}", pct(r.response_rate_low), pct(r.response_rate_high)),
            "95% interval for the response rate".into(),
        ),
        (r.completed.to_string(), "completed".into()),
        (r.open.to_string(), "still open".into()),
        (format!("{} ({} very)", r.overdue, r.very_overdue), "overdue now".into()),
        (format!("{} · {}", r.fees_requested, format_cents(r.fees_total_cents)), "fees requested".into()),
        (days(r.median_days_to_first_response), "median business days to first response".into()),
        (days(r.median_days_to_completion), "median business days to completion".into()),
    ];
    if r.drafts > 0 {
        headline.push((r.drafts.to_string(), "drafts not sent yet".into()));
    }
    let status_items: Vec<(String, i64, String)> =
        r.by_status.iter().map(|(s, n)| (s.replace('_', " "), *n, n.to_string())).collect();
    let group_cols = [
        ("", false),
        ("sent", true),
        ("responded", true),
        ("rate", true),
        ("completed", true),
        ("partial", true),
        ("rejected", true),
        ("no records", true),
        ("withdrawn", true),
        ("open", true),
        ("overdue", true),
    ];
    let group_rows = |groups: &[report::Group]| -> Vec<Vec<String>> {
        groups
            .iter()
            .map(|g| {
                vec![
                    g.group.replace('_', " "),
                    g.sent.to_string(),
                    g.responded.to_string(),
                    pct(g.response_rate),
                    g.completed.to_string(),
                    g.partial.to_string(),
                    g.rejected.to_string(),
                    g.no_records.to_string(),
                    g.withdrawn.to_string(),
                    g.open.to_string(),
                    g.overdue.to_string(),
                ]
            })
            .collect()
    };
    let mut kind_cols = group_cols;
    kind_cols[0] = ("kind", false);
    let mut state_cols = group_cols;
    state_cols[0] = ("state", false);
    Section {
        id: "responses".into(),
        title: "Responses".into(),
        headline,
        charts: vec![chart("Requests by status", &status_items, "#4a6fa5")],
        tables: vec![
            doc_table(
                "Time to respond (business days, excluding days the clock was stopped waiting on us)",
                &[("measure", false), ("median", true), ("90th percentile", true), ("requests measured", true)],
                vec![
                    vec![
                        "first response".into(),
                        days(r.median_days_to_first_response),
                        r.p90_days_to_first_response.map(|d| d.to_string()).unwrap_or_else(|| "-".into()),
                        r.first_responses_measured.to_string(),
                    ],
                    vec![
                        "completion".into(),
                        days(r.median_days_to_completion),
                        r.p90_days_to_completion.map(|d| d.to_string()).unwrap_or_else(|| "-".into()),
                        r.completions_measured.to_string(),
                    ],
                ],
            ),
            doc_table("By kind of agency", &kind_cols, group_rows(&r.by_kind)),
            doc_table("By state", &state_cols, group_rows(&r.by_state)),
            doc_table(
                "Agencies that have not responded",
                &[
                    ("tracking code", false),
                    ("agency", false),
                    ("state", false),
                    ("sent", false),
                    ("business days outstanding", true),
                    ("follow-ups", true),
                    ("status", false),
                ],
                r.non_responders
                    .iter()
                    .map(|n| {
                        vec![
                            n.tracking_code.clone(),
                            n.agency_name.clone(),
                            n.state.clone(),
                            n.sent_on.to_string(),
                            n.business_days_outstanding.to_string(),
                            n.followups.to_string(),
                            format!("{}{}", n.status, if n.overdue { " (overdue)" } else { "" }),
                        ]
                    })
                    .collect(),
            ),
        ],
        notes: vec![
            format!(
                "A response is any reply or recorded agency action. {} of {} sent requests had one; the 95% Wilson interval shows how far the rate could move with this few requests.",
                r.responded, r.sent
            ),
            format!("Very overdue: {} or more business days past the due date.", r.very_overdue_days),
        ],
    }
}

/// The spending ranking as a section: headline figures, the 15 first in the chosen order as a
/// chart (and with a comparison, the changes as a second chart), the tables.
pub fn spending_section(s: &SpendingReport) -> Section {
    let per_capita = s.sort == SpendingSort::PerCapita;
    let items: Vec<(String, i64, String)> = if per_capita {
        s.rows
            .iter()
            .filter_map(|r| {
                r.per_capita_cents.filter(|_| r.rank.is_some()).map(|p| (r.agency_name.clone(), p, format_cents(p)))
            })
            .take(15)
            .collect()
    } else {
        s.rows.iter().take(15).map(|r| (r.agency_name.clone(), r.total_cents, format_cents(r.total_cents))).collect()
    };
    let cmp = s.comparison.as_ref();
    let title = match (s.year, cmp) {
        (Some(y), Some(c)) => format!("Spending, {y} compared with {}", c.compare_year),
        (Some(y), None) => format!("Spending, {y}"),
        (None, _) => "Spending".into(),
    };
    let mut headline = vec![
        (s.agencies_reporting.to_string(), "agencies reporting figures".into()),
        (format_cents(s.sum_cents), "sum of their figures".into()),
        (s.median_cents.map(format_cents).unwrap_or_else(|| "-".into()), "median agency".into()),
        (s.responded_without_figures.len().to_string(), "responded without usable figures".into()),
    ];
    let mut charts = Vec::new();
    if !items.is_empty() {
        let chart_title = if per_capita { "Highest spending per resident" } else { "Largest spenders" };
        charts.push(chart(chart_title, &items, "#b5651d"));
    }
    let mut columns = vec![
        ("rank", true),
        ("agency", false),
        ("state", false),
        ("kind", false),
        ("population", true),
        ("total", true),
        ("per capita", true),
        ("share", true),
        ("transactions", true),
        ("source", false),
    ];
    let previous_col = cmp.map(|c| c.compare_year.to_string());
    if let Some(p) = &previous_col {
        columns.push((p.as_str(), true));
        columns.push(("change", true));
    }
    let rows = s
        .rows
        .iter()
        .map(|r| {
            let mut row = vec![
                r.rank.map(|n| n.to_string()).unwrap_or_else(|| "-".into()),
                r.agency_name.clone(),
                r.state.clone(),
                r.kind.replace('_', " "),
                r.population.map(|p| p.to_string()).unwrap_or_default(),
                format_cents(r.total_cents),
                match (&r.per_capita_cents, &r.unranked_reason) {
                    (Some(p), _) => format_cents(*p),
                    (None, Some(why)) => format!("not ranked: {why}"),
                    (None, None) => String::new(),
                },
                percent(r.share_percent),
                r.transactions.to_string(),
                if r.differs {
                    format!(
                        "both DIFFER: transactions {}, reported {}",
                        r.transactions_cents.map(format_cents).unwrap_or_default(),
                        r.reported_total_cents.map(format_cents).unwrap_or_default()
                    )
                } else {
                    r.source.clone()
                },
            ];
            if cmp.is_some() {
                row.push(r.previous_total_cents.map(format_cents).unwrap_or_else(|| "-".into()));
                row.push(match (r.change_percent, r.previous_total_cents) {
                    (Some(c), _) => signed_percent(c),
                    (None, Some(_)) => "n/a".into(),
                    (None, None) => "-".into(),
                });
            }
            row
        })
        .collect();
    let table_title =
        if per_capita { "Agencies ranked by spending per resident" } else { "Agencies ranked by spending" };
    let mut tables = vec![doc_table(table_title, &columns, rows)];
    let mut notes = vec![
        "An agency's figure is the sum of its transactions that match the campaign's vendor pattern, or the total it reported when it sent no transactions.".to_string(),
    ];
    if per_capita {
        notes.push("Per capita: the figure over the population recorded for the agency, to the cent; agencies without a population are listed after the ranked ones, unranked.".into());
    }
    if let (Some(c), Some(y)) = (cmp, s.year) {
        let p = c.compare_year;
        headline.push((
            format_cents(c.previous_sum_cents),
            format!("sum for {p} ({} agencies)", c.previous_agencies_reporting),
        ));
        headline.push((
            c.sum_change_percent.map(signed_percent).unwrap_or_else(|| "-".into()),
            format!("change of the sum, {} agencies with figures for both years", c.agencies_in_both),
        ));
        headline.push((
            c.median_change_percent.map(signed_percent).unwrap_or_else(|| "-".into()),
            format!("median change of an agency ({} measured)", c.changes_measured),
        ));
        headline.push((
            format!("{} · {}", c.only_in_year.len(), c.only_in_compare_year.len()),
            format!("agencies with figures for {y} only · {p} only"),
        ));
        let mut changes: Vec<(String, i64, String)> = s
            .rows
            .iter()
            .filter_map(|r| {
                r.change_percent.map(|ch| (r.agency_name.clone(), (ch * 10.0).round() as i64, signed_percent(ch)))
            })
            .collect();
        changes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        if !changes.is_empty() {
            let shown = changes.len().min(30);
            let chart_title = if changes.len() > shown {
                format!("Change from {p} to {y} (the {shown} largest increases of {})", changes.len())
            } else {
                format!("Change from {p} to {y}")
            };
            charts.push(change_chart(&chart_title, &changes[..shown], "#2e7d4f", "#b03a2e"));
        }
        let one = |list: &[report::OneYearOnly]| -> Vec<Vec<String>> {
            list.iter()
                .map(|o| {
                    vec![o.tracking_code.clone(), o.agency_name.clone(), o.state.clone(), format_cents(o.total_cents)]
                })
                .collect()
        };
        let cols = [("tracking code", false), ("agency", false), ("state", false), ("total", true)];
        tables.push(doc_table(&format!("Figures for {y} only"), &cols, one(&c.only_in_year)));
        tables.push(doc_table(&format!("Figures for {p} only"), &cols, one(&c.only_in_compare_year)));
        notes.push(format!(
            "A change is the {y} figure against the {p} figure, for agencies whose {p} figure is above zero; the change of the sum counts only agencies with figures for both years."
        ));
    }
    tables.push(doc_table(
        "Responded without usable figures",
        &[("tracking code", false), ("agency", false), ("state", false), ("status", false)],
        s.responded_without_figures
            .iter()
            .map(|w| vec![w.tracking_code.clone(), w.agency_name.clone(), w.state.clone(), w.status.to_string()])
            .collect(),
    ));
    notes.push(PERCENT_NOTE.into());
    Section { id: "spending".into(), title, headline, charts, tables, notes }
}

/// How percentages are computed, said under every table that has them.
const PERCENT_NOTE: &str =
    "Percentages are computed exactly from the amounts in cents and rounded half away from zero to one decimal place.";

/// At most `max` spellings, most spent first, then how many more.
fn spellings_text(spellings: &[report::SpellingLine], max: usize) -> String {
    let mut out = spellings
        .iter()
        .take(max)
        .map(|s| format!("{} ({})", s.spelling, s.transactions))
        .collect::<Vec<_>>()
        .join(", ");
    if spellings.len() > max {
        out += &format!(" and {} more", spellings.len() - max);
    }
    out
}

fn vendor_name(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "(no map entry)".into())
}

/// The vendor report as a section: headline figures, canonical vendors as a chart, the tables.
pub fn vendors_section(v: &VendorReport) -> Section {
    let title = match v.year {
        Some(y) => format!("Vendors, {y}"),
        None => "Vendors".into(),
    };
    let items: Vec<(String, i64, String)> =
        v.vendors.iter().map(|l| (vendor_name(&l.vendor), l.total_cents, format_cents(l.total_cents))).collect();
    let vendor_cols =
        [("vendor", false), ("total", true), ("share", true), ("transactions", true), ("spellings", false)];
    let overall = v
        .vendors
        .iter()
        .map(|l| {
            vec![
                vendor_name(&l.vendor),
                format_cents(l.total_cents),
                l.share_percent.map(percent).unwrap_or_default(),
                l.transactions.to_string(),
                spellings_text(&l.spellings, 5),
            ]
        })
        .collect();
    let mut by_agency = Vec::new();
    for a in &v.agencies {
        for l in &a.vendors {
            by_agency.push(vec![
                a.agency_name.clone(),
                a.state.clone(),
                vendor_name(&l.vendor),
                format_cents(l.total_cents),
                l.share_percent.map(percent).unwrap_or_default(),
                l.transactions.to_string(),
                spellings_text(&l.spellings, 3),
            ]);
        }
        if let Some(u) = a.unsplit_cents {
            by_agency.push(vec![
                a.agency_name.clone(),
                a.state.clone(),
                "unsplit (reported total)".into(),
                format_cents(u),
                String::new(),
                String::new(),
                String::new(),
            ]);
        }
    }
    let review = v
        .review
        .iter()
        .map(|r| {
            vec![
                r.spelling.clone(),
                format_cents(r.total_cents),
                r.transactions.to_string(),
                r.tracking_codes.join(", "),
            ]
        })
        .collect();
    let map =
        v.map.iter().enumerate().map(|(i, e)| vec![(i + 1).to_string(), e.pattern.clone(), e.vendor.clone()]).collect();
    Section {
        id: "vendors".into(),
        title,
        headline: vec![
            (format_cents(v.transactions_cents), "counted transactions, by vendor below".into()),
            (v.transactions.to_string(), "transactions".into()),
            (v.agencies_with_transactions.to_string(), "agencies that sent transactions".into()),
            (
                format!("{} · {}", v.unsplit_agencies, format_cents(v.unsplit_cents)),
                "agencies with reported totals only (unsplit)".into(),
            ),
            (v.review.len().to_string(), "spellings to review".into()),
        ],
        charts: if items.is_empty() { vec![] } else { vec![chart("Counted transactions by vendor", &items, "#4a6fa5")] },
        tables: vec![
            doc_table("All agencies, by canonical vendor", &vendor_cols, overall),
            doc_table(
                "By agency (share: of the agency's counted transactions)",
                &[
                    ("agency", false),
                    ("state", false),
                    ("vendor", false),
                    ("total", true),
                    ("share", true),
                    ("transactions", true),
                    ("spellings", false),
                ],
                by_agency,
            ),
            doc_table(
                "Spellings to review: they match the campaign's vendor pattern but no map entry",
                &[("spelling", false), ("total", true), ("transactions", true), ("requests", false)],
                review,
            ),
            doc_table(
                if v.map_builtin { "The vendor map (built-in starting map)" } else { "The vendor map" },
                &[("entry", true), ("pattern", false), ("vendor", false)],
                map,
            ),
        ],
        notes: vec![
            "Each spelling gets the vendor of the first map entry whose pattern (a regular expression, case-insensitive) matches it; edit the map with `foiatrack campaign vendor-map`.".into(),
            "A total an agency reported without transactions is not split by vendor: it is shown as unsplit, never guessed.".into(),
            PERCENT_NOTE.into(),
        ],
    }
}

/// The page `templates/report.html` fills in.
#[derive(Template)]
#[template(path = "report.html")]
pub struct HtmlReport<'a> {
    pub title: String,
    pub campaign: Option<String>,
    pub records: Option<String>,
    pub generated_on: String,
    pub sections: &'a [Section],
}

/// Aligned plain text for a terminal; every value goes through [`printable`].
pub fn render_text(sections: &[Section]) -> String {
    let mut out = String::new();
    for s in sections {
        out += &format!("== {} ==\n", printable_line(&s.title));
        let w = s.headline.iter().map(|(v, _)| printable_line(v).chars().count()).max().unwrap_or(0);
        for (v, l) in &s.headline {
            out += &format!("  {:>w$}  {}\n", printable_line(v), printable_line(l));
        }
        for t in &s.tables {
            out += &format!("\n{}:\n", printable_line(&t.title));
            if t.rows.is_empty() {
                out += "  none\n";
            } else {
                let cols: Vec<&str> = t.columns.iter().map(String::as_str).collect();
                out += &table(&cols, t.rows.clone());
                out += "\n";
            }
        }
        for n in &s.notes {
            out += &format!("\n{}\n", printable(n));
        }
        out += "\n";
    }
    out
}

/// Markdown (GitHub tables); every value goes through [`markdown_text`].
pub fn render_markdown(title: &str, sections: &[Section]) -> String {
    let esc = |c: &str| markdown_text(c);
    let mut out = format!("# {}\n\n", esc(title));
    for s in sections {
        out += &format!("## {}\n\n", esc(&s.title));
        for (v, l) in &s.headline {
            out += &format!("- **{}** {}\n", esc(v), esc(l));
        }
        for t in &s.tables {
            out += &format!("\n### {}\n\n", esc(&t.title));
            if t.rows.is_empty() {
                out += "None.\n";
                continue;
            }
            out += &format!("| {} |\n", t.columns.iter().map(|c| esc(c)).collect::<Vec<_>>().join(" | "));
            out += &format!(
                "|{}|\n",
                t.numeric.iter().map(|n| if *n { "---:" } else { "---" }).collect::<Vec<_>>().join("|")
            );
            for r in &t.rows {
                out += &format!("| {} |\n", r.iter().map(|c| esc(c)).collect::<Vec<_>>().join(" | "));
            }
        }
        for n in &s.notes {
            out += &format!("\n{}\n", esc(n));
        }
        out += "\n";
    }
    out
}

/// One self-contained HTML page (no external scripts, fonts or styles); askama escapes every value.
pub fn render_html(
    title: &str,
    campaign: Option<String>,
    records: Option<String>,
    generated_on: chrono::NaiveDate,
    sections: &[Section],
) -> askama::Result<String> {
    HtmlReport { title: title.into(), campaign, records, generated_on: generated_on.to_string(), sections }.render()
}

/// The response report as CSV: one row for all requests, then one per kind of agency and per state.
pub fn responses_csv(r: &ResponseReport) -> String {
    let cols = [
        "scope",
        "group",
        "sent",
        "responded",
        "response_rate",
        "completed",
        "partial",
        "rejected",
        "no_records",
        "withdrawn",
        "open",
        "overdue",
    ];
    let row = |scope: &str, g: &report::Group| {
        vec![
            scope.to_string(),
            g.group.clone(),
            g.sent.to_string(),
            g.responded.to_string(),
            g.response_rate.map(|x| format!("{x:.4}")).unwrap_or_default(),
            g.completed.to_string(),
            g.partial.to_string(),
            g.rejected.to_string(),
            g.no_records.to_string(),
            g.withdrawn.to_string(),
            g.open.to_string(),
            g.overdue.to_string(),
        ]
    };
    let all = report::Group {
        group: "all".into(),
        sent: r.sent,
        responded: r.responded,
        response_rate: r.response_rate,
        completed: r.completed,
        partial: r.partial,
        rejected: r.rejected,
        no_records: r.no_records,
        withdrawn: r.withdrawn,
        open: r.open,
        overdue: r.overdue,
    };
    let mut rows = vec![row("all", &all)];
    rows.extend(r.by_kind.iter().map(|g| row("kind", g)));
    rows.extend(r.by_state.iter().map(|g| row("state", g)));
    csv_string(&cols, rows)
}

/// The spending ranking as CSV, amounts as plain decimals, percentages to one decimal place;
/// `rank` follows the report's order and is empty for an agency it cannot rank. With a
/// comparison, `previous_total` and `change_percent` hold the other year's figure and the change.
pub fn spending_csv(s: &SpendingReport) -> String {
    let cols = [
        "rank",
        "tracking_code",
        "agency_key",
        "agency_name",
        "state",
        "kind",
        "population",
        "total",
        "per_capita",
        "share_percent",
        "transactions",
        "transactions_total",
        "reported_total",
        "source",
        "differs",
        "unranked_reason",
        "previous_year",
        "previous_total",
        "change_percent",
    ];
    let previous_year = s.comparison.as_ref().map(|c| c.compare_year.to_string()).unwrap_or_default();
    csv_string(
        &cols,
        s.rows.iter().map(|r| {
            vec![
                r.rank.map(|n| n.to_string()).unwrap_or_default(),
                r.tracking_code.clone(),
                r.agency_key.clone(),
                r.agency_name.clone(),
                r.state.clone(),
                r.kind.clone(),
                r.population.map(|p| p.to_string()).unwrap_or_default(),
                decimal(r.total_cents),
                r.per_capita_cents.map(decimal).unwrap_or_default(),
                format!("{:.1}", r.share_percent),
                r.transactions.to_string(),
                r.transactions_cents.map(decimal).unwrap_or_default(),
                r.reported_total_cents.map(decimal).unwrap_or_default(),
                r.source.clone(),
                r.differs.to_string(),
                r.unranked_reason.clone().unwrap_or_default(),
                previous_year.clone(),
                r.previous_total_cents.map(decimal).unwrap_or_default(),
                r.change_percent.map(|c| format!("{c:.1}")).unwrap_or_default(),
            ]
        }),
    )
}

/// The vendor report as CSV: one row per canonical vendor for all agencies (`scope` all), then
/// per agency (`scope` agency), with an agency's unsplit reported total as a row of its own
/// (`status` unsplit); spellings are joined with " | ".
pub fn vendors_csv(v: &VendorReport) -> String {
    let cols = [
        "scope",
        "tracking_code",
        "agency_key",
        "agency_name",
        "state",
        "canonical_vendor",
        "status",
        "total",
        "transactions",
        "share_percent",
        "spellings",
    ];
    let line = |scope: &str, a: Option<&report::AgencyVendors>, l: &report::VendorLine| {
        vec![
            scope.to_string(),
            a.map(|a| a.tracking_code.clone()).unwrap_or_default(),
            a.map(|a| a.agency_key.clone()).unwrap_or_default(),
            a.map(|a| a.agency_name.clone()).unwrap_or_default(),
            a.map(|a| a.state.clone()).unwrap_or_default(),
            l.vendor.clone().unwrap_or_default(),
            if l.vendor.is_some() { "mapped" } else { "no map entry" }.to_string(),
            decimal(l.total_cents),
            l.transactions.to_string(),
            l.share_percent.map(|p| format!("{p:.1}")).unwrap_or_default(),
            l.spellings.iter().map(|s| s.spelling.as_str()).collect::<Vec<_>>().join(" | "),
        ]
    };
    let mut rows: Vec<Vec<String>> = v.vendors.iter().map(|l| line("all", None, l)).collect();
    for a in &v.agencies {
        rows.extend(a.vendors.iter().map(|l| line("agency", Some(a), l)));
        if let Some(u) = a.unsplit_cents {
            rows.push(vec![
                "agency".into(),
                a.tracking_code.clone(),
                a.agency_key.clone(),
                a.agency_name.clone(),
                a.state.clone(),
                String::new(),
                "unsplit".into(),
                decimal(u),
                String::new(),
                String::new(),
                String::new(),
            ]);
        }
    }
    csv_string(&cols, rows)
}

/// The three documents a report renders to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    /// Aligned plain text for a terminal.
    Text,
    Markdown,
    /// One self-contained page.
    Html,
}

/// "Amazon purchases 2016: responses", or "All campaigns: responses".
pub fn report_title(campaign_title: Option<&str>, what: &str) -> String {
    match campaign_title {
        Some(t) => format!("{t}: {what}"),
        None => format!("All campaigns: {what}"),
    }
}

fn document(
    doc: Document,
    title: &str,
    campaign: Option<&String>,
    records: Option<&String>,
    generated_on: chrono::NaiveDate,
    sections: &[Section],
) -> askama::Result<String> {
    Ok(match doc {
        Document::Text => render_text(sections),
        Document::Markdown => render_markdown(title, sections),
        Document::Html => render_html(title, campaign.cloned(), records.cloned(), generated_on, sections)?,
    })
}

/// The response report as a document.
pub fn responses_document(r: &ResponseReport, doc: Document) -> askama::Result<String> {
    let title = report_title(r.title.as_deref(), "responses");
    document(doc, &title, r.campaign.as_ref(), r.records.as_ref(), r.generated_on, &[responses_section(r)])
}

/// The spending ranking as a document.
pub fn spending_document(s: &SpendingReport, doc: Document) -> askama::Result<String> {
    let title = report_title(s.title.as_deref(), "spending");
    document(doc, &title, s.campaign.as_ref(), s.records.as_ref(), s.generated_on, &[spending_section(s)])
}

/// The vendor report as a document.
pub fn vendors_document(v: &VendorReport, doc: Document) -> askama::Result<String> {
    let title = report_title(Some(&v.title), "vendors");
    document(doc, &title, Some(&v.campaign), Some(&v.records), v.generated_on, &[vendors_section(v)])
}

/// Both reports in one document, titled by the campaign's findings.
pub fn findings_document(r: &ResponseReport, s: &SpendingReport, doc: Document) -> askama::Result<String> {
    findings_document_with(r, s, None, doc)
}

/// Both reports in one document, and the vendor report after them when given.
pub fn findings_document_with(
    r: &ResponseReport,
    s: &SpendingReport,
    v: Option<&VendorReport>,
    doc: Document,
) -> askama::Result<String> {
    let title = report_title(r.title.as_deref(), "findings");
    let mut sections = vec![responses_section(r), spending_section(s)];
    sections.extend(v.map(vendors_section));
    document(doc, &title, r.campaign.as_ref(), r.records.as_ref(), r.generated_on, &sections)
}

#[cfg(test)]
mod tests {

    #[test]
    fn long_cells_are_cut_in_tables_only() {
        let long = "x".repeat(5_000);
        let t = table(&["subject"], [vec![long.clone()]]);
        assert_eq!(t.lines().nth(2).unwrap().trim(), format!("{}…", "x".repeat(MAX_CELL_CHARS)));
        assert_eq!(clip_cell("é".repeat(3)), "ééé");
    }

    use super::*;

    #[test]
    fn csv_safe_neutralises_formulas_and_leaves_plain_numbers() {
        for risky in [
            "=1",
            "=SUM(A1:A2)",
            "+1+1",
            "-1+1",
            "-inf",
            "+inf",
            "+NaN",
            "-NaN",
            "-1e5",
            "+1.",
            "-.5",
            "-1.2.3",
            "-",
            "+",
            "@A1",
            "@",
            "\t=1",
            "\t1",
            "\r=1",
            "\r1",
            "-0x10",
            "- 1",
            "-1 ",
            "+1,5",
        ] {
            assert_eq!(csv_safe(risky), format!("'{risky}"), "{risky:?} must be neutralised");
        }
        for safe in
            ["-12.50", "+12.50", "-1", "+1", "0", "12.50", "1e5", "inf", "NaN", "", "a=1", "'=1", " =1", "Amazon"]
        {
            assert_eq!(csv_safe(safe), safe, "{safe:?} must stay as it is");
        }
    }

    #[test]
    fn plain_decimals_match_the_documented_pattern() {
        for yes in ["0", "-0", "+0", "007", "-12.50", "123456789012345678901234567890.5"] {
            assert!(is_plain_decimal(yes), "{yes}");
        }
        for no in ["", "-", "+", ".5", "5.", "-.5", "1.2.3", "1e5", "-inf", "+NaN", "--1", "+-1", "-1+1", "١٢", " 1"]
        {
            assert!(!is_plain_decimal(no), "{no}");
        }
    }

    #[test]
    fn printable_shows_control_characters_instead_of_sending_them() {
        assert_eq!(printable("Plain Town"), "Plain Town");
        assert!(matches!(printable("Plain Town"), Cow::Borrowed(_)));
        assert_eq!(printable("\x1b[2J\x1b]0;pwned\x07Evil"), "␛[2J␛]0;pwned␇Evil");
        assert_eq!(printable("a\rb\x08c\td\x7fe\0"), "a␍b␈c␉d␡e␀");
        assert_eq!(printable("one\r\ntwo\nthree"), "one\ntwo\nthree", "line breaks stay in tables");
        assert_eq!(printable_line("one\r\ntwo\nthree"), "one␍␊two␊three");
        assert_eq!(printable("\u{9b}31m \u{202e}gnp.exe"), "<U+009B>31m <U+202E>gnp.exe");
        assert_eq!(printable("Zürich – 東京 ✓"), "Zürich – 東京 ✓", "text that is not control stays");
    }

    #[test]
    fn markdown_text_escapes_markup_and_joins_lines() {
        assert_eq!(markdown_text("Plain Town"), "Plain Town");
        assert_eq!(markdown_text("<script>alert(1)</script>"), "\\<script\\>alert(1)\\</script\\>");
        assert_eq!(markdown_text("a|b *c* _d_ `e` [f](g) \\ h"), "a\\|b \\*c\\* \\_d\\_ \\`e\\` \\[f\\](g) \\\\ h");
        assert_eq!(markdown_text("awaiting_ack snake_case_name"), "awaiting_ack snake_case_name");
        assert_eq!(markdown_text("_x_ a_ _b a__b"), "\\_x\\_ a\\_ \\_b a\\_\\_b");
        assert_eq!(markdown_text("# Heading"), "\\# Heading");
        assert_eq!(markdown_text("  # Heading"), "  \\# Heading");
        assert_eq!(markdown_text("Bureau #5"), "Bureau #5", "only a leading # makes a heading");
        assert_eq!(markdown_text("one\r\ntwo\rthree\nfour"), "one two three four");
        assert_eq!(markdown_text("\x1b[31mred"), "␛\\[31mred");
        assert_eq!(markdown_text("AT&T 95% $1,000.00 (very) -5"), "AT&T 95% $1,000.00 (very) -5");
    }

    #[test]
    fn change_charts_draw_both_sides_of_a_zero_line() {
        let items =
            vec![("up".to_string(), 770, "+77.0%".to_string()), ("down".to_string(), -385, "-38.5%".to_string())];
        let c = change_chart("Change", &items, "green", "red");
        let axis = c.axis_x.unwrap();
        // 385 of the 1155 tenths lie left of zero: a third of the span.
        assert_eq!(axis, c.label_width + BAR_SPAN / 3);
        assert_eq!((c.bars[0].x, c.bars[0].width, c.bars[0].colour.as_str()), (axis, 253, "green"));
        assert_eq!((c.bars[1].x + c.bars[1].width, c.bars[1].colour.as_str()), (axis, "red"));
        assert!(c.bars[1].x >= c.label_width && c.bars[1].text_x > axis, "the value is written right of zero");
        // All increases: zero at the left edge of the bars.
        let c = change_chart("Change", &items[..1], "green", "red");
        assert_eq!(c.axis_x, Some(c.label_width));
        // Bars stay in the chart whatever the amounts.
        let big = vec![("a".to_string(), i64::MAX, String::new()), ("b".to_string(), 1, String::new())];
        let c = chart("Big", &big, "blue");
        assert_eq!((c.bars[0].width, c.bars[1].width), (BAR_SPAN, 1));
    }

    #[test]
    fn tables_show_control_characters_and_keep_line_breaks() {
        let t = table(&["name", "note"], [vec!["\x1b[31mRed".to_string(), "one\ntwo".to_string()]]);
        assert_eq!(t, " NAME       NOTE\n---------- ------\n ␛[31mRed   one\n            two");
    }
}
