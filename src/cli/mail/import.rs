//! `mail import`'s output, printed as the messages are committed: a mailbox of any size is
//! reported without keeping its messages in memory (the table is printed in blocks of
//! [`TABLE_ROWS`] rows, JSON element by element), while the counts and notes under it are kept.

use std::io::Write;

use foiatrack::ops::mail::{self, Imported, Outcome, Skipped};
use foiatrack::ops::send::visible;

use super::super::output::{Format, table};

/// Rows aligned together; a larger import prints its table in blocks this long, each under
/// its own header.
pub const TABLE_ROWS: usize = 1000;
/// Skipped messages listed one by one, at most; the others are counted.
const LISTED_SKIPPED: usize = 1000;
/// Notes (bounced letters, new contacts) printed, at most; the others are counted.
const LISTED_NOTES: usize = 200;

/// What `mail import` has printed and counted so far.
pub struct ImportPrinter {
    format: Format,
    rows: Vec<Vec<String>>,
    json_items: usize,
    pub messages: usize,
    new: usize,
    unmatched: usize,
    duplicates: usize,
    pub skipped: Vec<Skipped>,
    pub skipped_count: usize,
    bounced: Vec<String>,
    /// (tracking code, address) of a reply from a new address at the request's agency.
    offered: Vec<(String, String)>,
    notes_left_out: usize,
    /// Why the output could not be written (a closed pipe, a full disk): the import goes on
    /// without printing, and says so at the end.
    pub lost: Option<String>,
}

impl ImportPrinter {
    pub fn new(format: Format) -> Self {
        ImportPrinter {
            format,
            rows: Vec::new(),
            json_items: 0,
            messages: 0,
            new: 0,
            unmatched: 0,
            duplicates: 0,
            skipped: Vec::new(),
            skipped_count: 0,
            bounced: Vec::new(),
            offered: Vec::new(),
            notes_left_out: 0,
            lost: None,
        }
    }

    /// Writes to stdout unless output was lost already; a failure is kept, not returned.
    fn out(&mut self, write: impl FnOnce(&mut std::io::StdoutLock<'_>) -> std::io::Result<()>) {
        if self.lost.is_some() {
            return;
        }
        let mut out = std::io::stdout().lock();
        if let Err(e) = write(&mut out).and_then(|_| out.flush()) {
            self.lost = Some(e.to_string());
        }
    }

    /// Takes one committed message (or one skipped).
    pub fn take(&mut self, outcome: Outcome) {
        self.messages += 1;
        match outcome {
            Outcome::Skipped(s) => {
                self.skipped_count += 1;
                if self.skipped.len() < LISTED_SKIPPED {
                    self.skipped.push(s);
                }
            }
            Outcome::Imported(i) => {
                self.count(&i);
                if self.format == Format::Json {
                    self.print_json(&i);
                } else {
                    self.rows.push(row(&i));
                    if self.rows.len() >= TABLE_ROWS {
                        self.print_rows();
                    }
                }
            }
        }
    }

    fn count(&mut self, i: &Imported) {
        if i.duplicate {
            self.duplicates += 1;
            return;
        }
        self.new += 1;
        if i.tracking_code.is_none() {
            self.unmatched += 1;
        }
        let code = i.tracking_code.clone().unwrap_or_default();
        if i.bounce.as_ref().is_some_and(|b| b.letter_bounced) {
            self.note(|p| p.bounced.push(code.clone()));
        }
        if let (Some(addr), Some(_)) = (&i.offered_contact, &i.tracking_code) {
            self.note(|p| p.offered.push((code, addr.clone())));
        }
    }

    fn note(&mut self, push: impl FnOnce(&mut Self)) {
        if self.bounced.len() + self.offered.len() < LISTED_NOTES {
            push(self);
        } else {
            self.notes_left_out += 1;
        }
    }

    /// One element of the JSON array, laid out as `serde_json`'s pretty printer lays out a whole
    /// array.
    fn print_json(&mut self, i: &Imported) {
        let item = match serde_json::to_string_pretty(i) {
            Ok(item) => item,
            Err(e) => {
                self.lost = Some(e.to_string());
                return;
            }
        };
        let first = self.json_items == 0;
        self.json_items += 1;
        self.out(|out| {
            out.write_all(if first { b"[\n" } else { b",\n" })?;
            for (n, line) in item.lines().enumerate() {
                if n > 0 {
                    out.write_all(b"\n")?;
                }
                write!(out, "  {line}")?;
            }
            Ok(())
        });
    }

    fn print_rows(&mut self) {
        let rows = std::mem::take(&mut self.rows);
        let text = table(&["date", "from", "subject", "files", "matched"], rows);
        self.out(|out| writeln!(out, "{text}"));
    }

    /// After the last message: the rest of the table (or the end of the JSON array), then for
    /// people the counts and what to do next.
    pub fn finish(&mut self, conn: &rusqlite::Connection) {
        if self.format == Format::Json {
            let end: &[u8] = if self.json_items == 0 { b"[]\n" } else { b"\n]\n" };
            self.out(|out| out.write_all(end));
            return;
        }
        if !self.rows.is_empty() || self.new + self.duplicates == 0 {
            self.print_rows();
        }
        let mut text = format!(
            "{} message(s): {} new ({} unmatched), {} already imported{}\n",
            self.messages,
            self.new,
            self.unmatched,
            self.duplicates,
            if self.skipped_count == 0 { String::new() } else { format!(", {} skipped", self.skipped_count) }
        );
        if self.unmatched > 0 {
            text += "See them with `foiatrack mail unmatched`; tie one with `foiatrack mail assign ID CODE`.\n";
        }
        for code in &self.bounced {
            text += &format!(
                "{code}: the letter bounced; send it to another address with `foiatrack send --resend {code} --to ADDRESS`.\n"
            );
        }
        for (code, addr) in &self.offered {
            let key =
                foiatrack::store::request::find(conn, code).map(|r| r.agency_key).unwrap_or_else(|_| "KEY".into());
            text += &format!(
                "{code}: a reply came from {}, new for this agency; it is listed as an unconfirmed contact (`foiatrack agency contact mark {key} {} good` confirms it).\n",
                visible(addr),
                visible(addr)
            );
        }
        if self.notes_left_out > 0 {
            text += &format!(
                "... and {} more bounced letter(s) or new contact(s): see `foiatrack due` and `foiatrack agency show`.\n",
                self.notes_left_out
            );
        }
        self.out(|out| out.write_all(text.as_bytes()));
    }

    /// The skipped messages, listed (for people with the table, on stderr beside JSON).
    pub fn print_skipped(&mut self) {
        let mut lines: Vec<String> = self.skipped.iter().map(|s| format!("  {}", visible(&s.to_string()))).collect();
        if self.skipped_count > self.skipped.len() {
            lines.push(format!("  ... and {} more", self.skipped_count - self.skipped.len()));
        }
        let head = format!("Skipped ({}); not imported, the rest was:", self.skipped_count);
        if self.format == Format::Json {
            eprintln!("{head}\n{}", lines.join("\n"));
        } else {
            let text = format!("\n{head}\n{}\n", lines.join("\n"));
            self.out(|out| out.write_all(text.as_bytes()));
        }
    }
}

/// A message's row: date, sender, subject, attachments and what it matched.
fn row(i: &Imported) -> Vec<String> {
    let result = if i.duplicate {
        "already imported".to_string()
    } else {
        let matched = match (&i.tracking_code, i.matched_note()) {
            (Some(code), Some(note)) => format!("{code} {note}"),
            _ => "UNMATCHED".into(),
        };
        format!("{}{matched}", super::kind_prefix(i))
    };
    vec![
        i.date.to_string(),
        visible(&i.from).into_owned(),
        visible(&i.subject).into_owned(),
        i.attachments.to_string(),
        result,
    ]
}

/// Imports each path in turn, printing as it goes. Output that cannot be written (the reader of
/// a pipe has gone, `| head`) does not stop the import: it goes on to the end and then says the
/// report was lost. An import stopped by an error still ends its output (the JSON array is
/// closed, the counts say what was committed) before the error.
pub fn run(
    conn: &mut rusqlite::Connection,
    store: &foiatrack::store::files::FileStore,
    paths: &[std::path::PathBuf],
    format: Format,
    today: chrono::NaiveDate,
) -> anyhow::Result<()> {
    // SAFETY: setting a signal's disposition; a closed pipe then fails the write (EPIPE), which
    // the printer keeps, instead of killing the process midway through the import.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    let mut printer = ImportPrinter::new(format);
    for p in paths {
        let shown = p.display().to_string();
        let imported = mail::import_path_each(conn, store, p, &shown, today, &mut |o| {
            printer.take(o);
            Ok(())
        });
        if let Err(e) = imported {
            printer.finish(conn);
            return Err(e.into());
        }
    }
    printer.finish(conn);
    if printer.skipped_count > 0 {
        printer.print_skipped();
    }
    if let Some(why) = &printer.lost {
        anyhow::bail!(
            "all {} message(s) were read ({} new, {} already imported, {} skipped), but the report could not be printed: {why}",
            printer.messages,
            printer.new,
            printer.duplicates,
            printer.skipped_count
        );
    }
    if printer.skipped_count == 0 {
        return Ok(());
    }
    anyhow::bail!("{} message(s) could not be imported; see the list above", printer.skipped_count)
}
