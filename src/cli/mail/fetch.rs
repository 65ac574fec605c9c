//! `mail fetch`: new replies read from an IMAP folder and imported as `mail import` imports
//! files. The settings come from the environment; the work is `ops::fetch`.

use std::time::Duration;

use clap::Args;
use rusqlite::Connection;

use crate::cli::Context;
use crate::cli::output::{DocFormat, print_json};
use foiatrack::ops::fetch::{self, Account, Afterwards, Progress};
use foiatrack::ops::mail::{Imported, Skipped};
use foiatrack::ops::send::visible;
use foiatrack::store::files::FileStore;

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// The folder to read, as a URL (see below)
    #[arg(long, env = "FOIATRACK_IMAP_URL", hide_env_values = true, value_name = "URL")]
    url: Option<String>,
    /// Keep fetching until stopped (Ctrl-C or SIGTERM), printing one line per message
    #[arg(long)]
    watch: bool,
    /// With --watch: check the folder at least this often (this often when the server cannot
    /// announce new mail itself)
    #[arg(long, value_name = "SECONDS", default_value_t = 60, requires = "watch",
          value_parser = clap::value_parser!(u64).range(1..=86400))]
    interval: u64,
    /// Move each imported message to this folder on the server (it must exist)
    #[arg(long, value_name = "FOLDER", conflicts_with = "flag")]
    move_to: Option<String>,
    /// Flag each imported message on the server: \Seen when no FLAG is given, or \Flagged,
    /// \Answered, or a keyword of your own
    #[arg(long, value_name = "FLAG", num_args = 0..=1, default_missing_value = "\\Seen")]
    flag: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    format: DocFormat,
}

pub fn run(args: FetchArgs, conn: &mut Connection, store: &FileStore, ctx: &Context) -> anyhow::Result<()> {
    let afterwards = match (&args.move_to, &args.flag) {
        (Some(folder), _) => Afterwards::move_to(folder)?,
        (None, Some(flag)) => Afterwards::flag(flag)?,
        (None, None) => Afterwards::Leave,
    };
    let url = args.url.as_deref().filter(|u| !u.trim().is_empty()).ok_or_else(|| {
        anyhow::anyhow!(
            "set FOIATRACK_IMAP_URL (e.g. imaps://USER@imap.example.org/INBOX) and FOIATRACK_IMAP_PASSWORD, or give --url"
        )
    })?;
    let password = std::env::var("FOIATRACK_IMAP_PASSWORD").ok();
    let ca = match std::env::var_os("FOIATRACK_IMAP_CA_FILE").filter(|p| !p.is_empty()) {
        Some(p) => {
            let path = std::path::PathBuf::from(p);
            Some((format!("FOIATRACK_IMAP_CA_FILE {}", path.display()), crate::cli::read_file(&path)?))
        }
        None => None,
    };
    let account = Account::new(url, password.as_deref(), ca.as_ref().map(|(n, b)| (n.as_str(), b.as_slice())))?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    if args.watch {
        watch(&rt, conn, store, &account, &afterwards, Duration::from_secs(args.interval), args.format, ctx)
    } else {
        once(&rt, conn, store, &account, &afterwards, args.format, ctx)
    }
}

fn note(text: &str) {
    eprintln!("note: {}", visible(text));
}

/// What a message's import came to, in words.
fn result(i: &Imported) -> String {
    if i.duplicate {
        return "already imported".to_string();
    }
    match (&i.tracking_code, i.matched_by) {
        (Some(code), Some(by)) => {
            format!("{code} by {}{}", by.as_str(), if i.acknowledged { ", acknowledged" } else { "" })
        }
        _ => "UNMATCHED".into(),
    }
}

fn once(
    rt: &tokio::runtime::Runtime,
    conn: &mut Connection,
    store: &FileStore,
    account: &Account,
    afterwards: &Afterwards,
    format: DocFormat,
    ctx: &Context,
) -> anyhow::Result<()> {
    let mut imported: Vec<Imported> = Vec::new();
    let mut skipped: Vec<Skipped> = Vec::new();
    let mut on = |p: Progress<'_>| match p {
        Progress::Imported(i) => imported.push(i.clone()),
        Progress::Skipped(s) => skipped.push(s.clone()),
        Progress::Note(n) => note(n),
    };
    let outcome = rt.block_on(fetch::fetch(conn, store, account, afterwards, ctx.today, &mut on));
    // What was imported before a failure is kept, and shown.
    if format == DocFormat::Json {
        print_json(&imported)?;
    } else if imported.is_empty() && skipped.is_empty() {
        if matches!(outcome, Ok(true)) {
            println!("No new messages in {}.", account.describe());
        }
    } else {
        let rows = imported.iter().map(|i| {
            vec![
                i.date.to_string(),
                visible(&i.from).into_owned(),
                visible(&i.subject).into_owned(),
                i.attachments.to_string(),
                result(i),
            ]
        });
        println!("{}", crate::cli::output::table(&["date", "from", "subject", "files", "matched"], rows));
        let new = imported.iter().filter(|i| !i.duplicate).count();
        let unmatched = imported.iter().filter(|i| !i.duplicate && i.tracking_code.is_none()).count();
        println!(
            "{} message(s) from {}: {new} new ({unmatched} unmatched), {} already imported{}",
            imported.len() + skipped.len(),
            account.describe(),
            imported.len() - new,
            if skipped.is_empty() { String::new() } else { format!(", {} skipped", skipped.len()) }
        );
        if unmatched > 0 {
            println!("See them with `foiatrack mail unmatched`; tie one with `foiatrack mail assign ID CODE`.");
        }
    }
    if !skipped.is_empty() {
        let lines: Vec<String> = skipped.iter().map(|s| format!("  {}", visible(&s.to_string()))).collect();
        let head = format!("Skipped ({}); left on the server as they were, the rest was imported:", skipped.len());
        if format == DocFormat::Json {
            eprintln!("{head}\n{}", lines.join("\n"));
        } else {
            println!("\n{head}\n{}", lines.join("\n"));
        }
    }
    outcome?;
    if !skipped.is_empty() {
        anyhow::bail!("{} message(s) could not be imported; see the list above", skipped.len());
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn watch(
    rt: &tokio::runtime::Runtime,
    conn: &mut Connection,
    store: &FileStore,
    account: &Account,
    afterwards: &Afterwards,
    interval: Duration,
    format: DocFormat,
    ctx: &Context,
) -> anyhow::Result<()> {
    let mut skipped = 0usize;
    let mut printed: anyhow::Result<()> = Ok(());
    let mut on = |p: Progress<'_>| match p {
        Progress::Imported(i) => {
            let line = if format == DocFormat::Json {
                serde_json::to_string(i).map_err(anyhow::Error::from)
            } else {
                Ok(format!("{}  {}  {}  {}", i.date, visible(&i.from), visible(&i.subject), result(i)))
            };
            if printed.is_ok() {
                use std::io::Write;
                printed = line.and_then(|l| writeln!(std::io::stdout(), "{l}").map_err(anyhow::Error::from));
            }
        }
        Progress::Skipped(s) => {
            skipped += 1;
            eprintln!("skipped {}", visible(&s.to_string()));
        }
        Progress::Note(n) => note(n),
    };
    let today = || ctx.today_fixed.unwrap_or_else(|| chrono::Local::now().date_naive());
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let outcome = rt.block_on(async {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        // The first Ctrl-C or SIGTERM stops after the message being imported; a second one at once.
        tokio::spawn(async move {
            tokio::select! { _ = int.recv() => {}, _ = term.recv() => {} }
            let _ = stop_tx.send(true);
            tokio::select! { _ = int.recv() => {}, _ = term.recv() => {} }
            std::process::exit(130);
        });
        fetch::watch(conn, store, account, afterwards, interval, &today, stop, &mut on)
            .await
            .map_err(anyhow::Error::from)
    });
    outcome?;
    printed?;
    if skipped > 0 {
        anyhow::bail!("{skipped} message(s) could not be imported; see the lines above");
    }
    Ok(())
}
