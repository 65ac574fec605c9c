use std::path::PathBuf;

use clap::Subcommand;

use super::Context;
use super::output::{Format, opt, print_json, print_list};
use foiatrack::ops::mail;
use foiatrack::ops::send::visible;
use foiatrack::store::files::FileStore;

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Import replies from .eml files, mbox files or Maildir folders, matched to requests
    #[command(after_help = "Each message is a reply, a bounce (a delivery failure report), an automatic reply
(out-of-office, automatic receipt) or a records-portal notice (NextRequest, GovQA, JustFOIA...).
Only replies and portal mail count as the agency answering. A bounce is tied to the letter it
reports (by its returned Message-ID, else the address that failed): a permanent one marks the
letter bounced (`request show`, `due`; resend with `send --resend CODE --to ADDRESS`) and the
address failing. An automatic receipt or a portal notice acknowledges a request awaiting
acknowledgement, with the agency's reference or the portal's number; an out-of-office changes
nothing. A reply from a new address at the agency is listed as an unconfirmed contact.

Matching, in order: In-Reply-To/References against the Message-IDs of letters sent; a
tracking code in the subject or body; a plus-address with the code in To/Cc; a portal's number
recorded from its earlier mail (same portal sender), or an agency reference exactly one request
has; the sender's address (or a contact known good) or domain, when that agency has exactly one
open request. Importing a message twice changes nothing.
In an mbox file only a line like 'From ADDRESS DATE' starts a message. A message that cannot be
read or imported is skipped and listed with where it is and why; the others are imported, and the
exit code is 1 to say something was skipped.

Examples:
  foiatrack mail import ~/Mail/records.mbox
  foiatrack mail import reply.eml ~/Maildir/foia")]
    Import {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Messages that matched no request
    #[command(after_help = "Example:\n  foiatrack mail unmatched")]
    Unmatched {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Tie an unmatched message to a request
    #[command(after_help = "Example:\n  foiatrack mail assign 17 AMZ16-0007")]
    Assign { id: i64, code: String },
}

pub fn run(cmd: MailCommand, ctx: &Context) -> anyhow::Result<()> {
    let mut conn = ctx.open()?;
    let store = FileStore::beside(&ctx.db_path);
    match cmd {
        MailCommand::Import { paths, format } => {
            let mut all = Vec::new();
            let mut skipped = Vec::new();
            for p in &paths {
                let report = mail::import_path(&mut conn, &store, p, ctx.today)?;
                all.extend(report.imported);
                skipped.extend(report.skipped);
            }
            if format == Format::Json {
                print_json(&all)?;
            } else {
                let rows = all.iter().map(|i| {
                    let result = if i.duplicate {
                        "already imported".to_string()
                    } else {
                        let matched = match (&i.tracking_code, i.matched_by) {
                            (Some(code), Some(by)) => {
                                format!(
                                    "{code} by {}{}",
                                    by.as_str(),
                                    if i.acknowledged { ", acknowledged" } else { "" }
                                )
                            }
                            _ => "UNMATCHED".into(),
                        };
                        format!("{}{matched}", kind_prefix(i))
                    };
                    vec![
                        i.date.to_string(),
                        visible(&i.from).into_owned(),
                        visible(&i.subject).into_owned(),
                        i.attachments.to_string(),
                        result,
                    ]
                });
                println!("{}", super::output::table(&["date", "from", "subject", "files", "matched"], rows));
                let new = all.iter().filter(|i| !i.duplicate).count();
                let unmatched = all.iter().filter(|i| !i.duplicate && i.tracking_code.is_none()).count();
                println!(
                    "{} message(s): {new} new ({unmatched} unmatched), {} already imported{}",
                    all.len() + skipped.len(),
                    all.len() - new,
                    if skipped.is_empty() { String::new() } else { format!(", {} skipped", skipped.len()) }
                );
                if unmatched > 0 {
                    println!("See them with `foiatrack mail unmatched`; tie one with `foiatrack mail assign ID CODE`.");
                }
                print_kind_notes(&conn, &all);
            }
            if skipped.is_empty() {
                return Ok(());
            }
            // The list goes with the table for people, and to stderr beside JSON for scripts.
            let lines: Vec<String> = skipped.iter().map(|s| format!("  {}", visible(&s.to_string()))).collect();
            let head = format!("Skipped ({}); not imported, the rest was:", skipped.len());
            if format == Format::Json {
                eprintln!("{head}\n{}", lines.join("\n"));
            } else {
                println!("\n{head}\n{}", lines.join("\n"));
            }
            anyhow::bail!("{} message(s) could not be imported; see the list above", skipped.len())
        }
        MailCommand::Unmatched { format } => {
            let list = foiatrack::store::mail::unmatched(&conn)?;
            // Tables go to a terminal: senders' text is shown with visible escapes.
            let cell = |s: &str| if format == Format::Table { visible(s).into_owned() } else { s.to_string() };
            print_list(format, &list, &["id", "date", "from", "subject", "attachments"], |u| {
                vec![u.id.to_string(), u.date.to_string(), cell(&u.from), cell(&u.subject), u.attachments.to_string()]
            })
        }
        MailCommand::Assign { id, code } => {
            let i = mail::assign(&mut conn, id, &code, ctx.today)?;
            println!(
                "Message {id} is now part of {}{}",
                opt(&i.tracking_code),
                if i.acknowledged { " (acknowledged)" } else { "" }
            );
            Ok(())
        }
    }
}

/// What a message is, before what it matched: nothing for a reply, else its kind and what it says
/// ("bounce, request letter to x@y failed (5.1.1): ").
fn kind_prefix(i: &mail::Imported) -> String {
    match i.kind.as_str() {
        "bounce" => match &i.bounce {
            Some(b) if !b.permanent => format!(
                "delivery delayed{}, nothing changed: ",
                b.status.as_deref().map(|s| format!(" ({s})")).unwrap_or_default()
            ),
            Some(b) => {
                let what = match (&b.letter, &b.to) {
                    (Some(l), Some(to)) => format!("{l} letter to {}", visible(to)),
                    _ => visible(b.failed_recipient.as_deref().unwrap_or("a letter")).into_owned(),
                };
                let status = b.status.as_deref().map(|s| format!(" ({s})")).unwrap_or_default();
                format!("BOUNCE, {what} failed{status}: ")
            }
            None => "BOUNCE: ".into(),
        },
        "autoreply" => match &i.reference {
            Some(r) => format!("automatic reply, reference {}: ", visible(r)),
            None => "automatic reply: ".into(),
        },
        "portal" => format!(
            "{} notice{}: ",
            visible(i.portal.as_deref().unwrap_or("portal")),
            i.reference.as_deref().map(|r| format!(" {}", visible(r))).unwrap_or_default()
        ),
        _ => String::new(),
    }
}

/// After the table: letters that bounced (with how to resend) and addresses offered as contacts.
fn print_kind_notes(conn: &rusqlite::Connection, all: &[mail::Imported]) {
    let bounced: Vec<&mail::Imported> =
        all.iter().filter(|i| !i.duplicate && i.bounce.as_ref().is_some_and(|b| b.letter_bounced)).collect();
    for i in &bounced {
        let code = i.tracking_code.as_deref().unwrap_or_default();
        println!(
            "{code}: the letter bounced; send it to another address with `foiatrack send --resend {code} --to ADDRESS`."
        );
    }
    for i in all.iter().filter(|i| !i.duplicate) {
        if let (Some(addr), Some(code)) = (&i.offered_contact, &i.tracking_code) {
            let key =
                foiatrack::store::request::find(conn, code).map(|r| r.agency_key).unwrap_or_else(|_| "KEY".into());
            println!(
                "{code}: a reply came from {}, new for this agency; it is listed as an unconfirmed contact (`foiatrack agency contact mark {key} {} good` confirms it).",
                visible(addr),
                visible(addr)
            );
        }
    }
}
