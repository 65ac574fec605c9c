//! The labelled replies in `tests/fixtures/replies/` as a test: each file parsed with
//! mail-parser, turned into `MailFacts` by the import's own conversion, then classified and read
//! for suggestions (with the message's `Date:` as `sent_on`). The numbers asserted here are the
//! ones in that folder's README; `scripts/reply-eval.sh` prints the full table.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use foiatrack::core::reply::{self, MailKind, Suggested, Suggestion};
use mail_parser::MessageParser;

/// The event kinds, in the README's order.
const KINDS: &[&str] = &[
    "fee",
    "extended",
    "estimated",
    "rejected",
    "no-records",
    "completed",
    "partial",
    "clarification",
    "acknowledged",
];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/replies")
}

/// One line of `labels.tsv`.
#[derive(Debug, Clone)]
struct Label {
    file: String,
    kind: String,
    /// (event kind, value) pairs.
    suggestions: Vec<(String, String)>,
    detail: String,
}

fn labels() -> Vec<Label> {
    let text = std::fs::read_to_string(dir().join("labels.tsv")).expect("labels.tsv");
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 5, "labels.tsv line {}: five tab-separated fields", n + 1);
        let kinds: Vec<&str> = if f[2] == "-" { Vec::new() } else { f[2].split(';').collect() };
        let values: Vec<&str> = f[3].split(';').collect();
        let suggestions = kinds
            .iter()
            .enumerate()
            .map(|(i, k)| (k.to_string(), values.get(i).copied().unwrap_or("-").to_string()))
            .collect();
        out.push(Label { file: f[0].into(), kind: f[1].into(), suggestions, detail: f[4].into() });
    }
    out
}

/// What the rules make of one file.
struct Read {
    label: Label,
    kind: MailKind,
    suggested: Vec<Suggested>,
}

/// Which facts the rules read: the whole parsed message (as the import sees it), or what the
/// database keeps of it (sender, subject, first text body, attachment names), which is what
/// `request show` reads its suggestions from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Facts {
    Parsed,
    Stored,
}

fn read_all() -> Vec<Read> {
    read_with(Facts::Parsed)
}

fn read_with(which: Facts) -> Vec<Read> {
    labels()
        .into_iter()
        .map(|label| {
            let raw = std::fs::read(dir().join(&label.file)).unwrap_or_else(|e| panic!("{}: {e}", label.file));
            let msg = MessageParser::default().parse(&raw[..]).unwrap_or_else(|| panic!("{} is not mail", label.file));
            let mut facts = foiatrack::ops::mail_facts::mail_facts(&msg);
            if which == Facts::Stored {
                // As `ops::mail::import_message` stores it.
                let body = msg.body_text(0).map(|b| b.into_owned()).unwrap_or_default();
                let names: Vec<String> = msg
                    .attachments()
                    .enumerate()
                    .map(|(i, p)| {
                        use mail_parser::MimeHeaders;
                        p.attachment_name().map(str::to_string).unwrap_or_else(|| format!("attachment-{}", i + 1))
                    })
                    .collect();
                facts = foiatrack::core::reply_events::stored_facts(&facts.from, &facts.subject, &body, &names);
            }
            let sent_on = msg.date().and_then(|d| NaiveDate::from_ymd_opt(d.year as i32, d.month as u32, d.day as u32));
            Read { kind: reply::classify(&facts), suggested: reply::suggest(&facts, sent_on), label }
        })
        .collect()
}

/// The classification as the labels write it: (kind, detail).
fn detail_of(k: &MailKind) -> (String, String) {
    let d = match k {
        MailKind::Reply => "-".to_string(),
        MailKind::Bounce(b) => format!(
            "{}|{}|{}|{}",
            b.failed_recipients.first().map(String::as_str).unwrap_or("-"),
            b.original_message_id.as_deref().unwrap_or("-"),
            b.status.as_deref().unwrap_or("-"),
            if b.permanent { "permanent" } else { "temporary" }
        ),
        MailKind::AutoReply(a) if !a.acknowledgement => "noack".into(),
        MailKind::AutoReply(a) => format!("ack|{}", a.reference.as_deref().unwrap_or("-")),
        MailKind::Portal(p) => format!("{}|{}", p.portal, p.request_number.as_deref().unwrap_or("-")),
    };
    (k.as_str().to_string(), d)
}

/// A suggestion's value as the labels write it.
fn value_of(s: &Suggestion) -> String {
    match s {
        Suggestion::Fee { amount_cents } => amount_cents.to_string(),
        Suggestion::Extended { until: Some(d), .. } => d.to_string(),
        Suggestion::Extended { days: Some(n), .. } => n.to_string(),
        Suggestion::Extended { .. } => "-".into(),
        Suggestion::Estimated { until } => until.to_string(),
        Suggestion::Rejected { exemption } | Suggestion::Acknowledged { reference: exemption } => {
            exemption.clone().unwrap_or_else(|| "-".into())
        }
        _ => "-".into(),
    }
}

/// Per event kind: labelled, shown, correct, value right.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Row {
    labelled: usize,
    shown: usize,
    correct: usize,
    value_right: usize,
}

impl Row {
    fn precision(&self) -> f64 {
        if self.shown == 0 { 1.0 } else { self.correct as f64 / self.shown as f64 }
    }
    fn recall(&self) -> f64 {
        if self.labelled == 0 { 1.0 } else { self.correct as f64 / self.labelled as f64 }
    }
}

/// The table over the files `keep` selects, a suggestion shown at `threshold(kind)` or above.
fn table(reads: &[Read], keep: impl Fn(&str) -> bool, threshold: impl Fn(&str) -> f32) -> BTreeMap<&'static str, Row> {
    let mut t: BTreeMap<&'static str, Row> = KINDS.iter().map(|k| (*k, Row::default())).collect();
    for r in reads.iter().filter(|r| keep(&r.label.file)) {
        for (k, _) in &r.label.suggestions {
            t.get_mut(k.as_str()).unwrap_or_else(|| panic!("{}: unknown kind {k}", r.label.file)).labelled += 1;
        }
        for s in &r.suggested {
            let kind = s.suggestion.event_kind();
            if s.confidence < threshold(kind) {
                continue;
            }
            let row = t.get_mut(kind).expect("a known kind");
            row.shown += 1;
            if let Some((_, want)) = r.label.suggestions.iter().find(|(k, _)| k == kind) {
                row.correct += 1;
                if value_of(&s.suggestion) == *want {
                    row.value_right += 1;
                }
            }
        }
    }
    t
}

fn total(t: &BTreeMap<&'static str, Row>) -> Row {
    t.values().fold(Row::default(), |a, r| Row {
        labelled: a.labelled + r.labelled,
        shown: a.shown + r.shown,
        correct: a.correct + r.correct,
        value_right: a.value_right + r.value_right,
    })
}

fn blind(file: &str) -> bool {
    matches!(file.as_bytes().first(), Some(b'2' | b'3' | b'4'))
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

fn markdown(t: &BTreeMap<&'static str, Row>) -> String {
    let mut s = String::from(
        "| event kind | labelled | shown | correct | precision | recall | value right |\n|---|---|---|---|---|---|---|\n",
    );
    for k in KINDS {
        let r = t[k];
        s += &format!(
            "| {k} | {} | {} | {} | {} | {} | {}/{} |\n",
            r.labelled,
            r.shown,
            r.correct,
            pct(r.precision()),
            pct(r.recall()),
            r.value_right,
            r.correct
        );
    }
    let a = total(t);
    s += &format!(
        "| **all** | {} | {} | {} | {} | {} | {}/{} |\n",
        a.labelled,
        a.shown,
        a.correct,
        pct(a.precision()),
        pct(a.recall()),
        a.value_right,
        a.correct
    );
    s
}

/// Files whose classification (kind and detail) differs from the label.
fn misclassified(reads: &[Read]) -> Vec<String> {
    reads
        .iter()
        .filter_map(|r| {
            let (kind, detail) = detail_of(&r.kind);
            (kind != r.label.kind || detail != r.label.detail)
                .then(|| format!("{}: {kind} {detail}, labelled {} {}", r.label.file, r.label.kind, r.label.detail))
        })
        .collect()
}

/// Non-bounce files labelled `-` that show a suggestion anyway.
fn quiet_but_shown(reads: &[Read]) -> (usize, Vec<String>) {
    let quiet: Vec<&Read> =
        reads.iter().filter(|r| r.label.suggestions.is_empty() && r.label.kind != "bounce").collect();
    let loud = quiet
        .iter()
        .filter(|r| r.suggested.iter().any(|s| s.confidence >= reply::show_threshold(s.suggestion.event_kind())))
        .map(|r| r.label.file.clone())
        .collect();
    (quiet.len(), loud)
}

#[test]
fn the_labelled_replies_are_classified_as_labelled() {
    let reads = read_all();
    assert_eq!(reads.len(), 156, "labels.tsv lists every fixture");
    let eml = std::fs::read_dir(dir())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".eml"))
        .count();
    assert_eq!(eml, reads.len(), "every .eml file has a label");
    assert_eq!(misclassified(&reads), Vec::<String>::new(), "156/156 classified right");
}

#[test]
fn every_kind_shown_is_at_least_90_percent_precise_on_the_labelled_set() {
    let reads = read_all();
    let all = table(&reads, |_| true, reply::show_threshold);
    for k in KINDS {
        assert!(
            all[k].precision() >= 0.9,
            "{k}: precision {} on the whole set\n{}",
            pct(all[k].precision()),
            markdown(&all)
        );
    }
    let blind_only = table(&reads, blind, reply::show_threshold);
    // The exact figures of the README ("After tuning"), whole set then the blind batches alone.
    assert_eq!(markdown(&all), ALL_TABLE, "whole set:\n{}", markdown(&all));
    assert_eq!(markdown(&blind_only), BLIND_TABLE, "blind batches:\n{}", markdown(&blind_only));
    let (quiet, loud) = quiet_but_shown(&reads);
    assert_eq!((quiet, loud), (34, Vec::<String>::new()));
}

/// What `request show` offers is read from the stored message (no headers, the first text body):
/// every kind keeps 90% precision there too.
#[test]
fn suggestions_from_the_stored_message_are_as_precise() {
    let reads = read_with(Facts::Stored);
    let all = table(&reads, |_| true, reply::show_threshold);
    for k in KINDS {
        assert!(
            all[k].precision() >= 0.9,
            "{k}: precision {} from stored messages\n{}",
            pct(all[k].precision()),
            markdown(&all)
        );
    }
    assert_eq!(markdown(&all), STORED_TABLE, "stored messages:\n{}", markdown(&all));
}

/// The same figures as from the parsed messages.
const STORED_TABLE: &str = ALL_TABLE;

const ALL_TABLE: &str = "\
| event kind | labelled | shown | correct | precision | recall | value right |
|---|---|---|---|---|---|---|
| fee | 14 | 14 | 14 | 100% | 100% | 14/14 |
| extended | 13 | 13 | 13 | 100% | 100% | 13/13 |
| estimated | 8 | 8 | 8 | 100% | 100% | 8/8 |
| rejected | 12 | 12 | 12 | 100% | 100% | 12/12 |
| no-records | 10 | 10 | 10 | 100% | 100% | 10/10 |
| completed | 18 | 18 | 18 | 100% | 100% | 18/18 |
| partial | 8 | 8 | 8 | 100% | 100% | 8/8 |
| clarification | 8 | 8 | 8 | 100% | 100% | 8/8 |
| acknowledged | 20 | 20 | 20 | 100% | 100% | 20/20 |
| **all** | 111 | 111 | 111 | 100% | 100% | 111/111 |
";
const BLIND_TABLE: &str = "\
| event kind | labelled | shown | correct | precision | recall | value right |
|---|---|---|---|---|---|---|
| fee | 6 | 6 | 6 | 100% | 100% | 6/6 |
| extended | 5 | 5 | 5 | 100% | 100% | 5/5 |
| estimated | 2 | 2 | 2 | 100% | 100% | 2/2 |
| rejected | 5 | 5 | 5 | 100% | 100% | 5/5 |
| no-records | 5 | 5 | 5 | 100% | 100% | 5/5 |
| completed | 6 | 6 | 6 | 100% | 100% | 6/6 |
| partial | 4 | 4 | 4 | 100% | 100% | 4/4 |
| clarification | 4 | 4 | 4 | 100% | 100% | 4/4 |
| acknowledged | 5 | 5 | 5 | 100% | 100% | 5/5 |
| **all** | 42 | 42 | 42 | 100% | 100% | 42/42 |
";

/// Prints the precision/recall tables for the README (`scripts/reply-eval.sh`).
#[test]
#[ignore = "prints the evaluation tables; run by scripts/reply-eval.sh"]
fn print_the_evaluation_tables() {
    let reads = read_all();
    let n = reads.len();
    let wrong = misclassified(&reads);
    println!("Classification: {}/{n} correct.", n - wrong.len());
    for w in &wrong {
        println!("  {w}");
    }
    println!();
    println!("### All {n} messages (shown at `reply::show_threshold`)\n");
    println!("{}", markdown(&table(&reads, |_| true, reply::show_threshold)));
    println!("### Blind batches 2xx-4xx only\n");
    println!("{}", markdown(&table(&reads, blind, reply::show_threshold)));
    let stored = read_with(Facts::Stored);
    println!("### From what the database keeps (sender, subject, first text body, attachment names)\n");
    println!("{}", markdown(&table(&stored, |_| true, reply::show_threshold)));
    let (quiet, loud) = quiet_but_shown(&reads);
    println!("Non-bounce messages labelled `-` that show a suggestion: {}/{quiet} {loud:?}\n", loud.len());
    println!("| threshold | lowest per-kind precision | precision | recall |\n|---|---|---|---|");
    for step in 8..=17 {
        let th = step as f32 * 0.05;
        let t = table(&reads, |_| true, |_| th);
        let (low_kind, low) =
            KINDS.iter().map(|k| (*k, t[k].precision())).min_by(|a, b| a.1.total_cmp(&b.1)).expect("kinds");
        let a = total(&t);
        println!("| {th:.2} | {} ({low_kind}) | {} | {} |", pct(low), pct(a.precision()), pct(a.recall()));
    }
    println!();
    println!("Per file (shown suggestions; * = not labelled):");
    for r in &reads {
        let shown: Vec<String> = r
            .suggested
            .iter()
            .filter(|s| s.confidence >= reply::show_threshold(s.suggestion.event_kind()))
            .map(|s| {
                let k = s.suggestion.event_kind();
                let mark = if r.label.suggestions.iter().any(|(l, _)| l == k) { "" } else { "*" };
                format!("{mark}{k}={} ({:.2})", value_of(&s.suggestion), s.confidence)
            })
            .collect();
        let want: Vec<String> = r.label.suggestions.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if shown.len() != want.len() || shown.iter().any(|s| s.starts_with('*')) {
            println!("  {}: shown {shown:?}, labelled {want:?}", r.label.file);
        }
    }
}
