mod fetch;
mod import;

use std::path::PathBuf;

use clap::{ArgGroup, Subcommand};

use super::Context;
use super::output::{DocFormat, Format, opt, print_json, print_list};
use foiatrack::core::status::EventKind;
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
    /// Messages that matched no request, with the requests they are likely about
    #[command(after_help = "For each message, up to three likely requests, best first, with the reasons: the sender's
address or domain is the agency's, the agency's name is in the subject, signature or text, a
number in it is the agency's reference for the request, a tracking code written loosely, a subject
like our letter's, the campaign's code prefix; open requests first. Nothing is assigned until a
person says so: `mail assign ID --suggested` takes the first.

Examples:
  foiatrack mail unmatched
  foiatrack mail unmatched --format json")]
    Unmatched {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Tie an unmatched message to a request (or to the first one `mail unmatched` suggests)
    #[command(
        group(ArgGroup::new("to").required(true).args(["code", "suggested"])),
        override_usage = "foiatrack mail assign [OPTIONS] <ID> <CODE>\n       foiatrack mail assign [OPTIONS] <ID> --suggested",
        after_help = "Examples:\n  foiatrack mail assign 17 AMZ16-0007\n  foiatrack mail assign 17 --suggested"
    )]
    Assign {
        id: i64,
        /// The request's tracking code
        code: Option<String>,
        /// The first request `mail unmatched` suggests for the message
        #[arg(long, conflicts_with = "code")]
        suggested: bool,
    },
    /// Log the event a reply suggests (as `request show` lists them), with the values read from it
    #[command(after_help = "The event is dated by the message (not before the request was sent), via email, with
the amount, dates, exemption or reference read from the reply and a note pointing at it. It is
checked like `log`: an event that does not fit the request's history is refused with the reason.
Once applied (or dismissed) a suggestion is no longer offered. When a message suggests several
events, say which with --kind.

Examples:
  foiatrack mail apply 17
  foiatrack mail apply 17 --kind fee")]
    Apply {
        /// The message's id (as `request show` gives it)
        id: i64,
        /// The suggested event to log, when the message suggests several
        #[arg(long, value_parser = parse_event)]
        kind: Option<EventKind>,
        #[arg(long, value_enum, default_value_t)]
        format: DocFormat,
    },
    /// Set aside an event a reply suggests: it is no longer offered, nothing is logged
    #[command(after_help = "Examples:\n  foiatrack mail dismiss 17\n  foiatrack mail dismiss 17 --kind completed")]
    Dismiss {
        /// The message's id (as `request show` gives it)
        id: i64,
        /// The suggested event to set aside, when the message suggests several
        #[arg(long, value_parser = parse_event)]
        kind: Option<EventKind>,
    },
    /// Fetch new replies from an IMAP folder and import them, once each
    #[command(after_help = "Settings come from the environment (or --url):
  FOIATRACK_IMAP_URL       the folder: imaps://USER@imap.example.org/INBOX, or
                           imap://USER@HOST:143/Records?tls=starttls; plain imap:// only to
                           this machine
  FOIATRACK_IMAP_PASSWORD  never stored, never printed
  FOIATRACK_IMAP_CA_FILE   optional: a PEM file of certificate authorities to trust besides the
                           public ones (a server with a certificate of your own authority)

Only messages that arrived since the folder was last fetched are read: its UIDVALIDITY and the
last UID read are remembered, so each message is imported once, even when a fetch is stopped
midway or two run at once. Each is imported exactly as `mail import` imports a file. Messages are
left unread on the server unless --move-to or --flag says otherwise, which happens only once their
import is saved. A message that cannot be imported is listed and left as it was; the exit code is
then 1. With --watch, --format json prints one JSON record per line.

Examples:
  foiatrack mail fetch
  foiatrack mail fetch --move-to Imported
  foiatrack mail fetch --watch --flag       # until Ctrl-C, one line per message")]
    Fetch(fetch::FetchArgs),
}

fn parse_event(s: &str) -> Result<EventKind, String> {
    s.parse().map_err(|e: foiatrack::Error| e.to_string())
}

pub fn run(cmd: MailCommand, ctx: &Context) -> anyhow::Result<()> {
    let mut conn = ctx.open()?;
    let store = FileStore::beside(&ctx.db_path);
    match cmd {
        MailCommand::Import { paths, format } => import::run(&mut conn, &store, &paths, format, ctx.today),
        MailCommand::Unmatched { format } => {
            let list = foiatrack::views::suggestions::unmatched(&conn)?;
            // Tables go to a terminal: senders' text is shown with visible escapes.
            let cell = |s: &str| if format == Format::Table { visible(s).into_owned() } else { s.to_string() };
            let mut columns = vec!["id", "date", "from", "subject", "attachments"];
            if format == Format::Csv {
                columns.push("suggestions");
            }
            print_list(format, &list, &columns, |u| {
                let m = &u.message;
                let mut row = vec![
                    m.id.to_string(),
                    m.date.to_string(),
                    cell(&m.from),
                    cell(&m.subject),
                    m.attachments.to_string(),
                ];
                if format == Format::Csv {
                    row.push(
                        u.suggestions
                            .iter()
                            .map(|s| format!("{} ({:.2})", s.tracking_code, s.score))
                            .collect::<Vec<_>>()
                            .join("; "),
                    );
                }
                row
            })?;
            if format == Format::Table && !list.is_empty() {
                print_likely(&list);
            }
            Ok(())
        }
        MailCommand::Assign { id, code, suggested } => {
            let (i, why) = if suggested {
                let a = foiatrack::ops::suggest::assign_suggested(&mut conn, id, ctx.today)?;
                (a.imported, Some((a.score, a.reasons)))
            } else {
                (mail::assign(&mut conn, id, code.as_deref().unwrap_or_default(), ctx.today)?, None)
            };
            println!(
                "Message {id} is now part of {}{}",
                opt(&i.tracking_code),
                if i.acknowledged { " (acknowledged)" } else { "" }
            );
            if let Some((score, reasons)) = why {
                println!("Suggested with score {score:.2}: {}", visible(&reasons.join("; ")));
            }
            Ok(())
        }
        MailCommand::Apply { id, kind, format } => {
            let a = foiatrack::ops::suggest::apply(&mut conn, id, kind, ctx.today)?;
            if format == DocFormat::Json {
                return print_json(&a);
            }
            let l = &a.logged;
            let status = if l.status_before == l.status_after {
                format!("status {}", l.status_after)
            } else {
                format!("status {} -> {}", l.status_before, l.status_after)
            };
            let mut line = format!(
                "Applied {} from message {id}: event {} ({} on {}) for {}: {status}",
                visible(&a.suggestion),
                l.event_id,
                l.event,
                l.on,
                l.tracking_code
            );
            if let Some(due) = l.due_on {
                line += &format!("; due {due}");
            }
            println!("{line}");
            Ok(())
        }
        MailCommand::Dismiss { id, kind } => {
            let d = foiatrack::ops::suggest::dismiss(&mut conn, id, kind, ctx.today)?;
            println!(
                "Dismissed {} suggested by message {id} for {}: it is no longer offered",
                visible(&d.suggestion),
                d.tracking_code
            );
            Ok(())
        }
        MailCommand::Fetch(args) => fetch::run(args, &mut conn, &store, ctx),
    }
}

/// What a message is, before what it matched, shown safely on a terminal.
fn kind_prefix(i: &mail::Imported) -> String {
    visible(&i.kind_note()).into_owned()
}

/// The likely requests of each message, under the table.
fn print_likely(list: &[foiatrack::views::suggestions::UnmatchedWithSuggestions]) {
    println!();
    println!("Likely requests (assign the first with `foiatrack mail assign ID --suggested`):");
    for u in list {
        if u.suggestions.is_empty() {
            println!(
                "  message {}: none found; assign it with `foiatrack mail assign {} CODE`",
                u.message.id, u.message.id
            );
            continue;
        }
        println!("  message {}:", u.message.id);
        for (n, s) in u.suggestions.iter().enumerate() {
            println!("    {}. {}  {} ({})  score {:.2}", n + 1, s.tracking_code, visible(&s.agency), s.status, s.score);
            for r in &s.reasons {
                println!("       - {}", visible(r));
            }
        }
    }
}
