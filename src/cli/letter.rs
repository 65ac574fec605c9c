use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::Context;
use super::output::{printable, printable_line, write_file};
use foiatrack::core::letter::{LetterKind, file_name};
use foiatrack::views::letter;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum LetterFormat {
    #[default]
    Txt,
    Eml,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  foiatrack letter AMZ16-0007
  foiatrack letter AMZ16-0007 --kind followup
  foiatrack letter AMZ16-0007 --kind appeal     # the next step the state's law provides:
                                                # appeal, petition, notice-of-intent or final-demand
  foiatrack letter AMZ16-0007 --format eml --out AMZ16-0007.eml
  foiatrack letter --campaign amazon-2016 --out letters/ --format eml

A file is replaced only once the whole letter is written. With --format eml, a campaign's
agencies without an email address get a .txt letter to post.")]
pub struct LetterArgs {
    /// Print the letter for this request
    #[arg(required_unless_present = "campaign", conflicts_with = "campaign")]
    code: Option<String>,
    /// Write one file per request of this campaign (with --out)
    #[arg(long, requires = "out")]
    campaign: Option<String>,
    /// With a code: the file to write the letter to, instead of printing it. With --campaign:
    /// the folder for the letters
    #[arg(long)]
    out: Option<PathBuf>,
    /// request, followup, or appeal (the next step the law provides); or name the step:
    /// petition, notice-of-intent, final-demand
    #[arg(long, value_parser = parse_kind, default_value = "request")]
    kind: LetterKind,
    #[arg(long, value_enum, default_value_t)]
    format: LetterFormat,
}

pub fn parse_kind(s: &str) -> Result<LetterKind, String> {
    s.parse().map_err(|e: foiatrack::Error| e.to_string())
}

/// The sender for email, from FOIATRACK_FROM (or the requester's email) and FOIATRACK_REPLY_TO.
pub fn sender(conn: &rusqlite::Connection) -> anyhow::Result<foiatrack::ops::send::Sender> {
    let from = match std::env::var("FOIATRACK_FROM").ok().filter(|s| !s.trim().is_empty()) {
        Some(f) => f,
        None => foiatrack::store::config::get(conn, "requester.email")?.ok_or_else(|| {
            anyhow::anyhow!(
                "set FOIATRACK_FROM (or `foiatrack config set requester.email ...`) to say who the mail is from"
            )
        })?,
    };
    let reply_to = std::env::var("FOIATRACK_REPLY_TO").ok().filter(|s| !s.trim().is_empty());
    Ok(foiatrack::ops::send::Sender::new(&from, reply_to.as_deref())?)
}

pub fn run(a: LetterArgs, ctx: &Context) -> anyhow::Result<()> {
    let conn = ctx.open()?;
    if let Some(code) = a.code {
        let l = letter::letter(&conn, &code, a.kind, ctx.today)?;
        for n in &l.notes {
            eprintln!("{}", printable_line(n));
        }
        let eml = match a.format {
            LetterFormat::Txt => None,
            LetterFormat::Eml => {
                let sender = sender(&conn)?;
                let msg = foiatrack::ops::send::message(
                    &l,
                    &sender,
                    &format!("<draft.{}@{}>", l.tracking_code, sender.from.email.domain()),
                )?;
                Some(msg.formatted())
            }
        };
        match (&a.out, eml) {
            (Some(path), eml) => {
                write_file(path, eml.as_deref().unwrap_or(l.body.as_bytes()))?;
                eprintln!("Wrote {}", path.display());
            }
            (None, Some(eml)) => print!("{}", String::from_utf8_lossy(&eml)),
            (None, None) => print!("{}", printable(&l.body)),
        }
        return Ok(());
    }
    let slug = a.campaign.expect("clap requires code or campaign");
    let dir = a.out.expect("clap requires --out with --campaign");
    std::fs::create_dir_all(&dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    let campaign = foiatrack::store::campaign::get(&conn, &slug)?;
    let list = foiatrack::views::request::list(
        &conn,
        &foiatrack::views::request::Filter { campaign: Some(campaign.slug.clone()), ..Default::default() },
        ctx.today,
    )?;
    let sender = if a.format == LetterFormat::Eml { Some(sender(&conn)?) } else { None };
    let mut written = 0;
    let mut posted = 0;
    let mut skipped = Vec::new();
    let mut codes: Vec<String> = list.into_iter().map(|l| l.request.tracking_code).collect();
    codes.sort();
    for code in codes {
        let l = match letter::letter(&conn, &code, a.kind, ctx.today) {
            Ok(l) => l,
            Err(e) => {
                skipped.push(format!("{code}: {e}"));
                continue;
            }
        };
        for n in l.notes.iter().filter(|n| n.starts_with("warning:")) {
            eprintln!("{}", printable_line(n));
        }
        match (&sender, &l.to) {
            (Some(sender), Some(_)) => {
                let msg = foiatrack::ops::send::message(
                    &l,
                    sender,
                    &format!("<draft.{}@{}>", l.tracking_code, sender.from.email.domain()),
                )?;
                write_file(&dir.join(file_name(&l, "eml")), &msg.formatted())?;
            }
            (sender, _) => {
                write_file(&dir.join(file_name(&l, "txt")), l.body.as_bytes())?;
                posted += sender.is_some() as usize;
            }
        }
        written += 1;
    }
    let txt = if posted > 0 { format!(" ({posted} as .txt to post: no email address)") } else { String::new() };
    println!("Wrote {written} {} letter(s) to {}{txt}", a.kind, dir.display());
    for s in &skipped {
        eprintln!("skipped {}", printable_line(s));
    }
    Ok(())
}
