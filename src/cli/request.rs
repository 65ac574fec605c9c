use clap::Subcommand;

use super::Context;
use super::output::{DocFormat, Format, opt, print_json, print_list, printable_line, write_atomic};
use foiatrack::core::status::Status;
use foiatrack::views::request::{self, Filter};

#[derive(Debug, Subcommand)]
pub enum RequestCommand {
    /// Requests sorted by due date, with days left or late
    #[command(
        after_help = "Examples:\n  foiatrack request list --campaign amazon-2016 --overdue\n  foiatrack request list --due-within 7 --format csv"
    )]
    List {
        #[arg(long)]
        campaign: Option<String>,
        #[arg(long, value_parser = parse_status)]
        status: Option<Status>,
        #[arg(long)]
        state: Option<String>,
        /// Only requests past their due date
        #[arg(long)]
        overdue: bool,
        /// Only requests due within N days (overdue ones included)
        #[arg(long, value_name = "N")]
        due_within: Option<i64>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// The files agencies sent for a request
    #[command(after_help = "Example:\n  foiatrack request files AMZ16-0007")]
    Files {
        code: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Export one file an agency sent (numbered as `request files` lists them)
    #[command(after_help = "Example:\n  foiatrack request file AMZ16-0007 1 --out purchases-2016.xlsx")]
    File {
        code: String,
        number: usize,
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// One request: details and its full timeline (void events marked)
    #[command(after_help = "Example:\n  foiatrack request show AMZ16-0007 --format json")]
    Show {
        code: String,
        #[arg(long, value_enum, default_value_t)]
        format: DocFormat,
    },
}

fn parse_status(s: &str) -> Result<Status, String> {
    s.parse().map_err(|e: foiatrack::Error| e.to_string())
}

/// "3 left", "5 late", or blank.
fn days_cell(l: &request::Listed) -> String {
    match (l.overdue_days, l.days_left) {
        (Some(n), _) => format!("{n} late{}", if l.very_overdue { " (very)" } else { "" }),
        (None, Some(n)) => format!("{n} left"),
        _ => String::new(),
    }
}

pub fn run(cmd: RequestCommand, ctx: &Context) -> anyhow::Result<()> {
    let conn = ctx.open()?;
    match cmd {
        RequestCommand::List { campaign, status, state, overdue, due_within, format } => {
            let list = request::list(&conn, &Filter { campaign, status, state, overdue, due_within }, ctx.today)?;
            print_list(
                format,
                &list,
                &["tracking_code", "agency", "state", "status", "sent_on", "due_on", "business_days"],
                |l| {
                    vec![
                        l.request.tracking_code.clone(),
                        l.request.agency_name.clone(),
                        l.request.state.clone(),
                        l.request.status.to_string(),
                        opt(&l.request.sent_on),
                        opt(&l.request.due_on),
                        days_cell(l),
                    ]
                },
            )?;
        }
        RequestCommand::Files { code, format } => {
            let files = foiatrack::store::mail::attachments(&conn, &code)?;
            print_list(
                format,
                &files,
                &["number", "file_name", "content_type", "size", "received_on", "from", "sha256"],
                |a| {
                    vec![
                        a.number.to_string(),
                        a.file_name.clone(),
                        a.content_type.clone(),
                        a.size.to_string(),
                        a.received_on.to_string(),
                        a.from.clone(),
                        a.sha256.clone(),
                    ]
                },
            )?;
        }
        RequestCommand::File { code, number, out } => {
            let store = foiatrack::store::files::FileStore::beside(&ctx.db_path);
            let (a, path) = foiatrack::store::mail::attachment_path(&conn, &store, &code, number)?;
            write_atomic(&out, |w| {
                let mut stored = std::fs::File::open(&path)
                    .map_err(|e| anyhow::anyhow!("cannot read the stored file {}: {e}", path.display()))?;
                std::io::copy(&mut stored, w)?;
                Ok(())
            })?;
            println!(
                "Wrote {} ({} bytes, sent as \"{}\") to {}",
                a.sha256,
                a.size,
                printable_line(&a.file_name),
                out.display()
            );
        }
        RequestCommand::Show { code, format } => {
            let d = request::detail(&conn, &code, ctx.today)?;
            if format == DocFormat::Json {
                return print_json(&d);
            }
            println!("{} — {} ({})", d.tracking_code, printable_line(&d.agency_name), d.state);
            println!("Campaign:   {}", printable_line(&d.campaign));
            println!("Status:     {}", d.status);
            println!("Period:     {}", d.period);
            if let Some(s) = d.sent_on {
                println!("Sent:       {s}");
            }
            if let Some(due) = d.due_on {
                let late = match (d.overdue_days, d.days_left) {
                    (Some(n), _) => format!(" ({n} business days overdue)"),
                    (None, Some(n)) => format!(" ({n} business days left)"),
                    _ => String::new(),
                };
                println!("Due:        {due}{late}");
            }
            if let Some(stop) = &d.clock_stopped {
                println!(
                    "Clock:      stopped since {} ({}), {} business days remain",
                    stop.since,
                    printable_line(&stop.reason),
                    stop.remaining
                );
            }
            if let Some(f) = d.followup_on {
                println!("Follow up:  from {f}");
            }
            if let Some(w) = d.appeal_window_closes_on {
                let verb = if ctx.today > w { "closed" } else { "closes" };
                println!("Appeal:     appeal window {verb} on {w}");
            }
            if let Some(e) = d.estimated_on {
                println!("Estimate:   {e}");
            }
            if let Some(r) = &d.agency_reference {
                println!("Agency ref: {}", printable_line(r));
            }
            for p in &d.portal_numbers {
                println!("Portal:     {} {}", printable_line(&p.portal), printable_line(&p.number));
            }
            if let Some(b) = &d.letter_bounced {
                println!("{}", super::due::bounced_sentence("Bounced:    ", b));
            }
            if let Some(f) = d.fee_cents {
                println!("Fees asked: {}", foiatrack::core::money::format_cents(f));
            }
            println!("Next:       {}", d.allowed_events.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", "));
            if !d.suggestions.is_empty() {
                println!();
                for s in &d.suggestions {
                    println!(
                        "Suggested from reply #{} ({}): {} — “{}” — apply: {}",
                        s.communication_id,
                        s.received_on,
                        printable_line(&s.summary),
                        printable_line(&s.evidence),
                        s.apply
                    );
                }
            }
            println!();
            println!("Timeline:");
            let rows = d.events.iter().map(|e| {
                let mut what = e.note.clone().unwrap_or_default();
                let mut extra = Vec::new();
                if let Some(n) = e.days {
                    extra.push(format!("+{n} days"));
                }
                if let Some(u) = e.until {
                    extra.push(format!("until {u}"));
                }
                if let Some(c) = e.amount_cents {
                    extra.push(foiatrack::core::money::format_cents(c));
                }
                if let Some(v) = e.via {
                    extra.push(format!("via {v}"));
                }
                if let Some(r) = &e.reference {
                    extra.push(format!("ref {r}"));
                }
                if !extra.is_empty() {
                    what = if what.is_empty() { extra.join(", ") } else { format!("{} ({what})", extra.join(", ")) };
                }
                let kind = match (&e.voided_on, &e.void_reason) {
                    (Some(on), Some(why)) => {
                        what = format!("VOID on {on}: {why}; was: {what}");
                        format!("{} [void]", e.kind)
                    }
                    _ => e.kind.to_string(),
                };
                vec![e.id.to_string(), e.on.to_string(), kind, what]
            });
            println!("{}", super::output::table(&["id", "date", "event", "details"], rows));
            if !d.correspondence.is_empty() {
                println!();
                println!("Correspondence:");
                for c in &d.correspondence {
                    let arrow = if c.direction == "inbound" { "<-" } else { "->" };
                    let who = if c.direction == "inbound" { opt(&c.from) } else { opt(&c.to) };
                    let state = match &c.note {
                        Some(n) => format!("{}, {}", c.state, printable_line(n)),
                        None => c.state.clone(),
                    };
                    println!(
                        "  {} {arrow} {}  {}  [{state}]",
                        c.date,
                        printable_line(&who),
                        printable_line(&c.subject)
                    );
                    if c.direction == "inbound" {
                        for line in c.body.lines().filter(|l| !l.trim().is_empty()).take(6) {
                            println!("      | {}", printable_line(line.trim_end()));
                        }
                    }
                }
            }
        }
    }
    Ok(())
}
