mod fetch;

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
    #[command(after_help = "Matching, in order: In-Reply-To/References against the Message-IDs of letters sent; a
tracking code in the subject or body; a plus-address with the code in To/Cc; the sender's address
or domain, when that agency has exactly one open request. Importing a message twice changes nothing.
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
                        match (&i.tracking_code, i.matched_by) {
                            (Some(code), Some(by)) => {
                                format!(
                                    "{code} by {}{}",
                                    by.as_str(),
                                    if i.acknowledged { ", acknowledged" } else { "" }
                                )
                            }
                            _ => "UNMATCHED".into(),
                        }
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
        MailCommand::Fetch(args) => fetch::run(args, &mut conn, &store, ctx),
    }
}
