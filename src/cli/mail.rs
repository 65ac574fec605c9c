use std::path::PathBuf;

use clap::Subcommand;

use super::Context;
use super::output::{Format, opt, print_json, print_list};
use foiatrack::ops::mail;
use foiatrack::store::files::FileStore;

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Import replies from .eml files, mbox files or Maildir folders, matched to requests
    #[command(after_help = "Matching, in order: In-Reply-To/References against the Message-IDs of letters sent; a
tracking code in the subject or body; a plus-address with the code in To/Cc; the sender's address
or domain, when that agency has exactly one open request. Importing a message twice changes nothing.

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
            for p in &paths {
                all.extend(mail::import_path(&mut conn, &store, p, ctx.today)?);
            }
            if format == Format::Json {
                return print_json(&all);
            }
            let rows = all.iter().map(|i| {
                let result = if i.duplicate {
                    "already imported".to_string()
                } else {
                    match (&i.tracking_code, i.matched_by) {
                        (Some(code), Some(by)) => {
                            format!("{code} by {}{}", by.as_str(), if i.acknowledged { ", acknowledged" } else { "" })
                        }
                        _ => "UNMATCHED".into(),
                    }
                };
                vec![i.date.to_string(), i.from.clone(), i.subject.clone(), i.attachments.to_string(), result]
            });
            println!("{}", super::output::table(&["date", "from", "subject", "files", "matched"], rows));
            let new = all.iter().filter(|i| !i.duplicate).count();
            let unmatched = all.iter().filter(|i| !i.duplicate && i.tracking_code.is_none()).count();
            println!(
                "{} message(s): {new} new ({unmatched} unmatched), {} already imported",
                all.len(),
                all.len() - new
            );
            if unmatched > 0 {
                println!("See them with `foiatrack mail unmatched`; tie one with `foiatrack mail assign ID CODE`.");
            }
            Ok(())
        }
        MailCommand::Unmatched { format } => {
            let list = foiatrack::store::mail::unmatched(&conn)?;
            print_list(format, &list, &["id", "date", "from", "subject", "attachments"], |u| {
                vec![u.id.to_string(), u.date.to_string(), u.from.clone(), u.subject.clone(), u.attachments.to_string()]
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
