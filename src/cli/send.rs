use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;

use super::Context;
use super::output::{Format, opt, print_list, printable_line, write_file};
use foiatrack::core::letter::{LetterKind, file_name};
use foiatrack::ops::send::{self, FileMailer, Mailer, Outcome, SmtpMailer, visible};
use foiatrack::views::letter;

#[derive(Debug, Args)]
#[command(after_help = "Mail settings come from the environment:
  FOIATRACK_SMTP_URL       lettre's URL form: smtps://user@smtp.example.org or smtp://user@host:587?tls=required
  FOIATRACK_SMTP_PASSWORD  never stored, never printed; sent only over TLS (smtps://,
                           ?tls=required), to this machine, or with ?allow_plaintext=true
  FOIATRACK_FROM           the From address (default: requester.email)
  FOIATRACK_REPLY_TO       optional pattern with {code}, e.g. records+{code}@org.example

Each message is marked 'sending' before the server is contacted and 'sent' once it accepts it,
so nothing is ever sent twice. A message left 'sending' by a crash is reported, never re-sent:
settle it with --resolve CODE --was-sent or --not-sent. Emails are dated noon UTC of --today.

Examples:
  foiatrack send --campaign amazon-2016 --dry-run outbox/     # write the .eml files, change nothing
  foiatrack send --campaign amazon-2016 --rate 20             # at most 20 messages a minute
  foiatrack send AMZ16-0007 AMZ16-0008
  foiatrack send --outbox outbox/ --campaign amazon-2016      # no SMTP: record as sent, write .eml files
  foiatrack send --resolve AMZ16-0007 --was-sent
  foiatrack send --resend AMZ16-0007 --to records@city.example.org   # a letter that bounced
  foiatrack send --resend AMZ16-0007 --to records@city.example.org --dry-run outbox/  # see it first
  foiatrack send AMZ16-0007 --kind appeal      # the next step the law provides (petitions to an
                                               # outside body are written out for filing)")]
pub struct SendArgs {
    /// Tracking codes to send
    #[arg(conflicts_with_all = ["campaign", "resolve", "resend"])]
    codes: Vec<String>,
    /// Send every draft request of this campaign
    #[arg(long, conflicts_with = "resolve")]
    campaign: Option<String>,
    /// Write the exact .eml files to DIR instead of connecting; nothing is recorded
    #[arg(long, value_name = "DIR", conflicts_with = "outbox")]
    dry_run: Option<PathBuf>,
    /// Deliver by writing .eml files to DIR (for sending by hand) and record them as sent
    #[arg(long, value_name = "DIR")]
    outbox: Option<PathBuf>,
    /// Where letters for agencies without email are written [default: letters]
    #[arg(long, value_name = "DIR")]
    letters: Option<PathBuf>,
    /// Send at most N messages
    #[arg(long)]
    limit: Option<usize>,
    /// At most N messages a minute
    #[arg(long, value_name = "N_PER_MINUTE")]
    rate: Option<u32>,
    /// Settle a message left 'sending' by an interrupted run
    #[arg(long, value_name = "CODE", requires = "settled")]
    resolve: Option<String>,
    /// With --resolve: the server had accepted it
    #[arg(long, group = "settled")]
    was_sent: bool,
    /// With --resolve: it never left; it may be sent again
    #[arg(long, group = "settled")]
    not_sent: bool,
    /// Send a request's letter that bounced again, to another address (--to); once
    #[arg(long, value_name = "CODE", requires = "to", conflicts_with_all = ["campaign", "resolve"])]
    resend: Option<String>,
    /// With --resend: the address to send it to
    #[arg(long, value_name = "ADDRESS", requires = "resend")]
    to: Option<String>,
    /// With --resend: also make ADDRESS the agency's main address, where its letters go
    #[arg(long, requires = "resend")]
    make_main: bool,
    /// request (default), or the next step after a denial or silence for the named codes:
    /// appeal (whichever the law provides), petition, notice-of-intent or final-demand
    #[arg(long, value_parser = super::letter::parse_kind, default_value = "request")]
    kind: LetterKind,
}

/// The SMTP server from the environment.
pub fn smtp_from_env() -> anyhow::Result<SmtpMailer> {
    let url = std::env::var("FOIATRACK_SMTP_URL").map_err(|_| {
        anyhow::anyhow!("set FOIATRACK_SMTP_URL (e.g. smtps://user@smtp.example.org), or use --dry-run DIR")
    })?;
    let password = std::env::var("FOIATRACK_SMTP_PASSWORD").ok();
    Ok(SmtpMailer::new(&url, password.as_deref())?)
}

/// Sends a batch, one message at a time, with a progress bar on a terminal and plain lines
/// otherwise. Returns the failures.
pub fn send_batch(
    conn: &mut rusqlite::Connection,
    codes: &[String],
    kind: LetterKind,
    mailer: &mut dyn Mailer,
    sender: &send::Sender,
    rate: Option<u32>,
    today: chrono::NaiveDate,
) -> anyhow::Result<(usize, Vec<Outcome>)> {
    let bar = if std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new(codes.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(b)
    } else {
        None
    };
    let pause = rate.filter(|r| *r > 0).map(|r| Duration::from_millis(60_000 / r as u64));
    let mut sent = 0;
    let mut failed = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        if i > 0
            && let Some(p) = pause
        {
            std::thread::sleep(p);
        }
        let outcome = match letter::letter(conn, code, kind, today).and_then(|l| {
            for n in l.notes.iter().filter(|n| n.starts_with("warning:")) {
                eprintln!("{}", printable_line(n));
            }
            send::send(conn, &l, mailer, sender, today)
        }) {
            Ok(o) => o,
            Err(e) => Outcome {
                tracking_code: code.clone(),
                to: String::new(),
                message_id: String::new(),
                letter: kind,
                error: Some(without_code(code, &e.to_string()).to_string()),
            },
        };
        match &outcome.error {
            None => {
                sent += 1;
                let to = visible(&outcome.to);
                match &bar {
                    Some(b) => b.set_message(format!("{} {to}", outcome.tracking_code)),
                    None => println!("sent {} {} to {to}", outcome.letter, outcome.tracking_code),
                }
            }
            Some(err) => {
                let err = visible(err);
                match &bar {
                    Some(b) => b.println(format!("FAILED {}: {err}", outcome.tracking_code)),
                    None => println!("FAILED {} {}: {err}", outcome.letter, outcome.tracking_code),
                }
                failed.push(outcome);
            }
        }
        if let Some(b) = &bar {
            b.inc(1);
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok((sent, failed))
}

/// Writes letters for agencies without email, for printing or pasting into a portal.
pub fn write_paper(
    conn: &rusqlite::Connection,
    codes: &[String],
    kind: LetterKind,
    dir: &Path,
    today: chrono::NaiveDate,
) -> anyhow::Result<()> {
    if codes.is_empty() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    println!();
    println!("To send by mail or portal ({}), letters written to {}:", codes.len(), dir.display());
    for code in codes {
        let l = letter::letter(conn, code, kind, today)?;
        for n in l.notes.iter().filter(|n| n.starts_with("warning:")) {
            eprintln!("{}", printable_line(n));
        }
        let path = dir.join(file_name(&l, "txt"));
        std::fs::write(&path, &l.body).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
        let agency = foiatrack::store::agency::get(conn, &l.agency_key)?;
        let how = agency.portal_url.map(|u| format!("portal {}", visible(&u))).unwrap_or_else(|| "by mail".into());
        println!("  {code}  {}  ({how})  {}", visible(&agency.name), visible(&path.display().to_string()));
    }
    Ok(())
}

pub fn run(a: SendArgs, ctx: &Context) -> anyhow::Result<()> {
    let mut conn = ctx.open()?;
    if let Some(code) = a.resolve {
        let p = send::resolve(&mut conn, &code, a.was_sent, ctx.today)?;
        if a.was_sent {
            println!("Settled {}: recorded as sent on {} ({})", p.tracking_code, p.created_on, opt(&p.message_id));
        } else {
            println!("Settled {}: recorded as not sent; the next `send` will send it", p.tracking_code);
        }
        return Ok(());
    }
    if let Some(code) = &a.resend {
        return resend(&mut conn, code, a.to.as_deref().unwrap_or_default(), &a, ctx);
    }
    if a.kind.is_next_step() {
        return next_steps(&mut conn, &a, ctx);
    }
    if a.kind != LetterKind::Request {
        anyhow::bail!(
            "send --kind takes request or a next step (appeal, petition, notice-of-intent, final-demand); follow-ups go with `foiatrack followup --send`"
        );
    }
    let plan = foiatrack::views::send::plan(&conn, &a.codes, a.campaign.as_deref())?;
    for (code, why) in &plan.skipped {
        println!("skipped {code}: {why}");
    }
    let mut by_email = plan.by_email.clone();
    if let Some(n) = a.limit {
        by_email.truncate(n);
    }
    let planned: Vec<String> = by_email.iter().chain(plan.by_hand.iter()).cloned().collect();
    for w in foiatrack::views::send::eligibility_warnings(&conn, &planned)? {
        eprintln!("{}", printable_line(&w));
    }
    let sender = super::letter::sender(&conn)?;
    let letters_dir = a.letters.clone().or_else(|| a.dry_run.clone()).unwrap_or_else(|| PathBuf::from("letters"));

    if let Some(dir) = &a.dry_run {
        // Exactly what would be sent, written out; the database is not touched.
        let mut files = FileMailer::new(dir.clone())?;
        let mut written = 0;
        let mut bad = Vec::new();
        for code in &by_email {
            match dry_run_message(&conn, code, LetterKind::Request, &sender, ctx.today) {
                Ok(msg) => {
                    files.deliver(code, &msg).map_err(|e| anyhow::anyhow!(e))?;
                    written += 1;
                }
                Err(e) => bad.push((code.clone(), e.to_string())),
            }
        }
        println!("Dry run: wrote {written} message(s) to {}; nothing was sent or recorded", dir.display());
        write_paper(&conn, &plan.by_hand, LetterKind::Request, &letters_dir, ctx.today)?;
        report_unsettled(&plan.unsettled);
        report_not_written(&bad);
        if !bad.is_empty() {
            anyhow::bail!("{} letter(s) would not go out; correct the addresses listed above", bad.len());
        }
        return Ok(());
    }

    let mut mailer: Box<dyn Mailer> = match &a.outbox {
        Some(dir) => Box::new(FileMailer::new(dir.clone())?),
        None if by_email.is_empty() => Box::new(FileMailer { dir: PathBuf::new() }),
        None => Box::new(smtp_from_env()?),
    };
    let (sent, failed) =
        send_batch(&mut conn, &by_email, LetterKind::Request, mailer.as_mut(), &sender, a.rate, ctx.today)?;
    println!();
    println!(
        "Sent {sent} of {} request letter(s){}",
        by_email.len(),
        if a.outbox.is_some() { " as .eml files in the outbox" } else { "" }
    );
    write_paper(&conn, &plan.by_hand, LetterKind::Request, &letters_dir, ctx.today)?;
    report_unsettled(&plan.unsettled);
    if !failed.is_empty() {
        println!();
        println!("Failed ({}); they stay drafts and the next `send` tries them again:", failed.len());
        for f in &failed {
            println!("  {}  {}", f.tracking_code, visible(f.error.as_deref().unwrap_or_default()));
        }
    }
    if !failed.is_empty() || !plan.unsettled.is_empty() {
        anyhow::bail!("{} failed, {} unsettled", failed.len(), plan.unsettled.len());
    }
    Ok(())
}

/// Sends the next-step letter of each named request: by email where it goes to the agency, else
/// written out for filing with the outside body (logged once staff record that it was filed).
fn next_steps(conn: &mut rusqlite::Connection, a: &SendArgs, ctx: &Context) -> anyhow::Result<()> {
    if a.codes.is_empty() {
        anyhow::bail!("name the tracking codes to send a {} letter for", a.kind);
    }
    let mut emailed = Vec::new();
    let mut by_hand = Vec::new();
    for code in &a.codes {
        let l = letter::letter(conn, code, a.kind, ctx.today)?;
        for n in &l.notes {
            eprintln!("{}", printable_line(n));
        }
        if l.to.is_some() { emailed.push((code.clone(), l)) } else { by_hand.push(l) }
    }
    let mut failed = 0;
    if !emailed.is_empty() {
        let sender = super::letter::sender(conn)?;
        let mut mailer: Box<dyn Mailer> = match &a.outbox {
            Some(dir) => Box::new(FileMailer::new(dir.clone())?),
            None => Box::new(smtp_from_env()?),
        };
        for (code, l) in &emailed {
            let o = send::send(conn, l, mailer.as_mut(), &sender, ctx.today)?;
            match &o.error {
                None => println!("sent {} {code} to {} (logged as {})", l.kind, o.to, send::event_for(l.kind)),
                Some(e) => {
                    failed += 1;
                    println!("FAILED {} {code}: {e}", l.kind);
                }
            }
        }
    }
    if !by_hand.is_empty() {
        let dir = a.letters.clone().unwrap_or_else(|| PathBuf::from("letters"));
        std::fs::create_dir_all(&dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
        for l in &by_hand {
            let path = dir.join(file_name(l, "txt"));
            write_file(&path, l.body.as_bytes())?;
            let log = match send::event_for(l.kind) {
                foiatrack::core::status::EventKind::Note => format!("note --note \"{} sent by mail\"", l.kind),
                e => e.to_string(),
            };
            println!(
                "wrote {} {} to {}: send or file it as addressed, then `foiatrack log {} {log}`",
                l.kind,
                l.tracking_code,
                path.display(),
                l.tracking_code,
            );
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} failed");
    }
    Ok(())
}

/// `send --resend CODE --to ADDRESS`: the request's bounced letter, sent again once.
fn resend(conn: &mut rusqlite::Connection, code: &str, to: &str, a: &SendArgs, ctx: &Context) -> anyhow::Result<()> {
    // What is wrong with the request or the address is said before the mail settings are needed.
    send::check_resend(conn, code, to)?;
    let sender = super::letter::sender(conn)?;
    if let Some(dir) = &a.dry_run {
        let code = code.trim().to_ascii_uppercase();
        let msg = send::resend_preview(conn, &code, to, &sender, ctx.today)?;
        FileMailer::new(dir.clone())?.deliver(&code, &msg).map_err(|e| anyhow::anyhow!(e))?;
        println!(
            "Dry run: wrote the letter {code} would be sent again, to {}, in {}; nothing was sent or recorded",
            visible(to.trim()),
            dir.display()
        );
        if a.make_main {
            println!("Sent, it would also make {} the agency's main address (--make-main).", visible(to.trim()));
        }
        return Ok(());
    }
    let mut mailer: Box<dyn Mailer> = match &a.outbox {
        Some(dir) => Box::new(FileMailer::new(dir.clone())?),
        None => Box::new(smtp_from_env()?),
    };
    let r = send::resend(conn, code, to, a.make_main, mailer.as_mut(), &sender, ctx.today)?;
    let first = r.bounced_sent_on.map(|d| format!(" of {d}")).unwrap_or_default();
    if let Some(err) = &r.error {
        anyhow::bail!(
            "{}: the mail server did not take the {} letter for {}: {}; it is still marked bounced, so `send --resend` can try again",
            r.tracking_code,
            r.letter,
            visible(&r.to),
            visible(err)
        );
    }
    println!(
        "Sent the {} letter of {} again to {} ({}); the letter{first} to {} had bounced.",
        r.letter,
        r.tracking_code,
        visible(&r.to),
        visible(&r.message_id),
        visible(&r.bounced_to)
    );
    if r.clock_restarted {
        println!(
            "The request now counts as sent on {}{}.",
            ctx.today,
            r.due_on.map(|d| format!(", due {d}")).unwrap_or_default()
        );
    }
    if r.made_main {
        println!("{} is now the agency's main address.", visible(&r.to));
    } else if let Some(main) = &r.main_failing {
        println!(
            "The agency's main address is still {}, which is failing; add --make-main next time, or change it with `foiatrack agency edit`.",
            visible(main)
        );
    }
    Ok(())
}

/// The email of a letter as `--dry-run` writes it: dated --today, with a recognisable Message-ID.
pub fn dry_run_message(
    conn: &rusqlite::Connection,
    code: &str,
    kind: LetterKind,
    sender: &send::Sender,
    today: chrono::NaiveDate,
) -> foiatrack::Result<lettre::Message> {
    let l = letter::letter(conn, code, kind, today)?;
    send::message_on(&l, sender, &format!("<dry-run.{}@{}>", code, sender.from.email.domain()), today)
}

/// An error about one request, without the tracking code it starts with (printed beside it).
fn without_code<'a>(code: &str, error: &'a str) -> &'a str {
    error.strip_prefix(code).and_then(|e| e.strip_prefix(": ")).unwrap_or(error)
}

/// Letters a dry run could not write, each with its request and why (a bad address).
pub fn report_not_written(bad: &[(String, String)]) {
    if bad.is_empty() {
        return;
    }
    println!();
    println!("Not written ({}); these would not go out:", bad.len());
    for (code, why) in bad {
        println!("  {code}  {}", visible(without_code(code, why)));
    }
}

fn report_unsettled(unsettled: &[foiatrack::store::outbox::Pending]) {
    if unsettled.is_empty() {
        return;
    }
    println!();
    println!("Unsettled ({}): these were being sent when a run stopped; they are NOT re-sent.", unsettled.len());
    println!(
        "Check the mail server or sent folder, then run `foiatrack send --resolve CODE --was-sent` or `--not-sent`:"
    );
    for p in unsettled {
        println!(
            "  {}  {} letter to {} on {} ({})",
            p.tracking_code,
            p.letter,
            visible(&opt(&p.to)),
            p.created_on,
            visible(&opt(&p.message_id))
        );
    }
}

/// `foiatrack outbox`: queued, sending, failed and sent messages.
pub fn outbox(campaign: Option<String>, format: Format, ctx: &Context) -> anyhow::Result<()> {
    let conn = ctx.open()?;
    let rows = foiatrack::store::outbox::outbox(&conn, campaign.as_deref())?;
    // Tables go to a terminal: what came from agencies and servers is shown with visible escapes.
    let cell = |s: &str| if format == Format::Table { visible(s).into_owned() } else { s.to_string() };
    print_list(
        format,
        &rows,
        &["tracking_code", "agency", "letter", "state", "channel", "to", "sent_on", "error"],
        |r| {
            vec![
                r.tracking_code.clone(),
                cell(&r.agency_name),
                r.letter.clone(),
                r.state.clone(),
                r.channel.clone(),
                cell(&opt(&r.to)),
                opt(&r.sent_on),
                cell(&opt(&r.error)),
            ]
        },
    )
}
