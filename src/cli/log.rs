use chrono::NaiveDate;
use clap::{Args, Subcommand};

use super::output::{Format, opt, print_json};
use super::{Context, parse_date};
use foiatrack::core::status::EventKind;
use foiatrack::ops::request::{self, Logged};
use foiatrack::store::request::{NewEvent, Via};

#[derive(Debug, Args)]
#[command(after_help = "Events: sent, acknowledged, extended, estimated, fee, clarification, resumed, partial,
completed, rejected, no-records, withdrawn, appealed, reopened, followed-up, note.
An event that does not fit the request's status is refused, naming the events that would.

Examples:
  foiatrack log AMZ16-0007 acknowledged --on 2026-03-03 --via email --reference \"R-2026-118\"
  foiatrack log AMZ16-0007 extended --days 7 --note \"Extension letter of 3 March\"
  foiatrack log AMZ16-0007 fee --amount 25.00
  foiatrack log AMZ16-0007 resumed --note \"Paid by cheque\"
  foiatrack log AMZ16-0007 completed --on 2026-04-02")]
pub struct LogArgs {
    /// The request's tracking code, e.g. AMZ16-0007
    code: String,
    #[arg(value_parser = parse_event)]
    event: EventKind,
    /// When it happened [default: today]
    #[arg(long, value_parser = parse_date)]
    on: Option<NaiveDate>,
    #[arg(long)]
    note: Option<String>,
    /// With extended: days added to the due date; with estimated: business days from the event
    #[arg(long, conflicts_with = "until")]
    days: Option<u32>,
    /// With extended: the new due date; with estimated: the agency's date
    #[arg(long, value_parser = parse_date)]
    until: Option<NaiveDate>,
    /// With fee: the amount asked, e.g. 25.00
    #[arg(long)]
    amount: Option<String>,
    #[arg(long, value_parser = parse_via)]
    via: Option<Via>,
    /// The agency's own reference number for the request
    #[arg(long)]
    reference: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

fn parse_event(s: &str) -> Result<EventKind, String> {
    s.parse().map_err(|e: foiatrack::Error| e.to_string())
}

fn parse_via(s: &str) -> Result<Via, String> {
    s.parse().map_err(|e: foiatrack::Error| e.to_string())
}

#[derive(Debug, Subcommand)]
pub enum EventCommand {
    /// Mark a mistaken event void: it stays in the history and the request is recomputed
    #[command(after_help = "Example:\n  foiatrack event void 42 --reason \"logged on the wrong request\"")]
    Void {
        id: i64,
        #[arg(long)]
        reason: String,
    },
}

pub fn run(a: LogArgs, ctx: &Context) -> anyhow::Result<()> {
    let mut conn = ctx.open()?;
    let amount_cents = a.amount.as_deref().map(foiatrack::core::money::parse_cents).transpose()?;
    let e = NewEvent {
        kind: a.event,
        on: a.on.unwrap_or(ctx.today),
        note: a.note,
        days: a.days,
        until: a.until,
        amount_cents,
        via: a.via,
        reference: a.reference,
    };
    let logged = request::log(&mut conn, &a.code, &e, ctx.today)?;
    if a.format == Format::Json {
        return print_json(&logged);
    }
    print_logged("Logged", &logged);
    Ok(())
}

fn print_logged(verb: &str, l: &Logged) {
    let status = if l.status_before == l.status_after {
        format!("status {}", l.status_after)
    } else {
        format!("status {} -> {}", l.status_before, l.status_after)
    };
    let mut line = format!("{verb} event {} ({} on {}) for {}: {status}", l.event_id, l.event, l.on, l.tracking_code);
    if l.due_on.is_some() {
        line += &format!("; due {}", opt(&l.due_on));
    }
    if let Some(f) = l.followup_on {
        line += &format!("; follow up from {f}");
    }
    println!("{line}");
}

pub fn run_event(cmd: EventCommand, ctx: &Context) -> anyhow::Result<()> {
    let mut conn = ctx.open()?;
    match cmd {
        EventCommand::Void { id, reason } => {
            let l = request::void(&mut conn, id, &reason, ctx.today)?;
            print_logged("Voided", &l);
        }
    }
    Ok(())
}
