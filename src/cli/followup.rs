use std::path::PathBuf;

use clap::Args;

use super::Context;
use super::output::{Format, opt, print_list};
use foiatrack::core::letter::LetterKind as Step;
use foiatrack::core::letter::{LetterKind, file_name};
use foiatrack::ops::send::{self, FileMailer, Mailer, visible};
use foiatrack::views::letter;

#[derive(Debug, Args)]
#[command(after_help = "Picks the requests to chase today: overdue (or past the follow-up date where the law sets
no period), not chased within the campaign's interval, not closed, not waiting on us, and not
before an agency's own estimated date. Never twice on the same day.

Examples:
  foiatrack followup --campaign amazon-2016 --list
  foiatrack followup --campaign amazon-2016 --send
  foiatrack followup --campaign amazon-2016 --out followups/    # letters to post; recorded
  foiatrack followup --campaign amazon-2016 --dry-run outbox/   # .eml files; nothing recorded")]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["out", "send", "list", "dry_run"])))]
pub struct FollowupArgs {
    #[arg(long)]
    campaign: Option<String>,
    /// Write the follow-up letters to DIR for posting, and record them as sent by mail
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Email the follow-ups (agencies without email get letters in --letters DIR)
    #[arg(long)]
    send: bool,
    /// List what needs chasing, and which requests are ready for an appeal
    #[arg(long)]
    list: bool,
    /// Write the .eml files to DIR instead of sending; nothing is recorded
    #[arg(long, value_name = "DIR")]
    dry_run: Option<PathBuf>,
    /// Where letters for agencies without email go with --send [default: letters]
    #[arg(long, value_name = "DIR")]
    letters: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

fn appeal_cell(c: &foiatrack::views::send::Chase) -> String {
    if !c.ready_to_appeal {
        return String::new();
    }
    match c.next_step {
        Step::Appeal => "ready to appeal".into(),
        Step::Petition => format!("ready: petition to the {}", c.next_step_body.as_deref().unwrap_or("review body")),
        Step::NoticeOfIntent => "no appeal: notice of intent to sue".into(),
        _ => "no appeal: final demand, then court".into(),
    }
}

pub fn run(a: FollowupArgs, ctx: &Context) -> anyhow::Result<()> {
    let mut conn = ctx.open()?;
    let chase = foiatrack::views::send::to_chase(&conn, a.campaign.as_deref(), ctx.today)?;
    if a.list {
        let cell = |s: &str| if a.format == Format::Table { visible(s).into_owned() } else { s.to_string() };
        return print_list(
            a.format,
            &chase,
            &["tracking_code", "agency", "state", "status", "due_on", "overdue_days", "followup", "appeal"],
            |c| {
                vec![
                    c.tracking_code.clone(),
                    cell(&c.agency_name),
                    c.state.clone(),
                    c.status.to_string(),
                    opt(&c.due_on),
                    opt(&c.overdue_days),
                    format!("#{}", c.followup_number),
                    appeal_cell(c),
                ]
            },
        );
    }
    if let Some(dir) = &a.dry_run {
        let sender = super::letter::sender(&conn)?;
        let mut files = FileMailer::new(dir.clone())?;
        let mut n = 0;
        let mut bad = Vec::new();
        for c in &chase {
            if c.agency_email.is_some() {
                match super::send::dry_run_message(&conn, &c.tracking_code, LetterKind::Followup, &sender, ctx.today) {
                    Ok(msg) => files.deliver(&c.tracking_code, &msg).map_err(|e| anyhow::anyhow!(e))?,
                    Err(e) => {
                        bad.push((c.tracking_code.clone(), e.to_string()));
                        continue;
                    }
                }
            } else {
                let l = letter::letter(&conn, &c.tracking_code, LetterKind::Followup, ctx.today)?;
                super::output::write_file(&dir.join(file_name(&l, "txt")), l.body.as_bytes())?;
            }
            n += 1;
        }
        println!("Dry run: wrote {n} follow-up(s) to {}; nothing was sent or recorded", dir.display());
        super::send::report_not_written(&bad);
        if !bad.is_empty() {
            anyhow::bail!("{} follow-up(s) would not go out; correct the addresses listed above", bad.len());
        }
        return Ok(());
    }
    if let Some(dir) = &a.out {
        std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
        for c in &chase {
            let l = letter::letter(&conn, &c.tracking_code, LetterKind::Followup, ctx.today)?;
            let path = dir.join(file_name(&l, "txt"));
            super::output::write_file(&path, l.body.as_bytes())?;
            send::record_paper(&mut conn, &l, &path.display().to_string(), ctx.today)?;
            println!("wrote {} ({})", path.display(), visible(&c.agency_name));
        }
        println!("Wrote {} follow-up letter(s) to {}, recorded as sent by mail", chase.len(), dir.display());
        return Ok(());
    }
    // --send
    let sender = super::letter::sender(&conn)?;
    let (by_email, by_hand): (Vec<_>, Vec<_>) = chase.iter().partition(|c| c.agency_email.is_some());
    let codes: Vec<String> = by_email.iter().map(|c| c.tracking_code.clone()).collect();
    let mut mailer: Box<dyn Mailer> = if codes.is_empty() {
        Box::new(FileMailer { dir: PathBuf::new() })
    } else {
        Box::new(super::send::smtp_from_env()?)
    };
    let (sent, failed) =
        super::send::send_batch(&mut conn, &codes, LetterKind::Followup, mailer.as_mut(), &sender, None, ctx.today)?;
    println!("Sent {sent} of {} follow-up(s)", codes.len());
    let hand: Vec<String> = by_hand.iter().map(|c| c.tracking_code.clone()).collect();
    let dir = a.letters.unwrap_or_else(|| PathBuf::from("letters"));
    super::send::write_paper(&conn, &hand, LetterKind::Followup, &dir, ctx.today)?;
    if !failed.is_empty() {
        anyhow::bail!("{} follow-up(s) failed", failed.len());
    }
    Ok(())
}
