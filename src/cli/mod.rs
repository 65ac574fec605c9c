//! The command-line adapter: parses flags, calls the library, formats what comes back.
//! One file per command group; `dispatch` is the single place commands are routed.

mod agency;
mod campaign;
mod config;
mod data;
mod database;
mod deadline;
mod demo;
mod due;
mod export;
mod followup;
mod holiday;
mod init;
mod law;
mod letter;
mod log;
mod mail;
pub mod output;
mod report;
mod request;
mod send;
mod serve;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use foiatrack::Error;

#[derive(Debug, Parser)]
#[command(
    name = "foiatrack",
    version,
    about = "Run public-records campaigns: agencies and their laws, requests and deadlines, letters, intake and reports.",
    after_help = "Examples:\n  foiatrack demo                       # the whole product on example data\n  foiatrack init\n  foiatrack agency import examples/agencies.csv\n  foiatrack due"
)]
pub struct Cli {
    /// The database file [default: foiatrack.db in the current directory]
    #[arg(long, global = true, env = "FOIATRACK_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// The date to treat as today, for reproducible output [default: the system date]
    #[arg(long, global = true, env = "FOIATRACK_TODAY", value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub today: Option<NaiveDate>,

    /// Who is acting, recorded on every event [default: the OS user]
    #[arg(long = "as", global = true, env = "FOIATRACK_AS", value_name = "NAME")]
    pub actor: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the database (or bring it up to date) and load the built-in records laws
    #[command(
        after_help = "Example:\n  foiatrack --db campaign.db init\n\nRunning it again is harmless: corrections made with `law set` are kept."
    )]
    Init,
    /// The records law of each state, DC and federal FOIA (US)
    #[command(subcommand)]
    Law(law::LawCommand),
    /// Holiday calendars: federal holidays by rule plus each jurisdiction's own days
    #[command(subcommand)]
    Holiday(holiday::HolidayCommand),
    /// The agencies a campaign writes to
    #[command(subcommand)]
    Agency(agency::AgencyCommand),
    /// Settings: the requester profile that signs letters, and policy
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Campaigns: one request text sent to many agencies
    #[command(subcommand)]
    Campaign(campaign::CampaignCommand),
    /// Record what happened to a request (an append-only event)
    Log(log::LogArgs),
    /// Correct the event log
    #[command(subcommand)]
    Event(log::EventCommand),
    /// Explain a request's due date step by step
    #[command(after_help = "Example:\n  foiatrack deadline AMZ16-0007 --today 2026-03-20")]
    Deadline {
        /// The request's tracking code
        code: String,
    },
    /// Requests: lists and details
    #[command(subcommand)]
    Request(request::RequestCommand),
    /// The morning digest: overdue, due soon, waiting on us, follow-ups due
    #[command(after_help = "Example:\n  foiatrack due --campaign amazon-2016")]
    Due {
        #[arg(long)]
        campaign: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: output::DocFormat,
    },
    /// Print a request, follow-up or appeal letter, or write a campaign's letters to files
    Letter(letter::LetterArgs),
    /// Email request letters: exactly once, never twice
    Send(send::SendArgs),
    /// What is queued, sending, sent and failed
    #[command(after_help = "Example:\n  foiatrack outbox --campaign amazon-2016")]
    Outbox {
        #[arg(long)]
        campaign: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: output::Format,
    },
    /// Chase late requests: list, send, or write follow-up letters
    Followup(followup::FollowupArgs),
    /// Replies: import mailboxes, match them to requests
    #[command(subcommand)]
    Mail(mail::MailCommand),
    /// Spending data: import agencies' files, record reported totals, see the figures
    #[command(subcommand)]
    Data(data::DataCommand),
    /// The findings: response rates and spending, as tables, Markdown, CSV, JSON or HTML
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// Export requests, events, communications, spending or agencies (CSV, JSON), or a calendar
    Export(export::ExportArgs),
    /// The whole product on the example data, in one command, on a fresh database
    Demo(demo::DemoArgs),
    /// A consistent copy of the database and its files, safe while others write
    #[command(after_help = "Example:\n  foiatrack backup backups/campaign-2026-12-02.db")]
    Backup {
        /// The new database file to write (its files folder goes beside it)
        dest: PathBuf,
    },
    /// The web workspace: the same operations for a team, in a browser
    Serve(serve::ServeArgs),
    /// People who may sign in to the web workspace
    #[command(subcommand)]
    User(serve::UserCommand),
    /// Check the database: integrity, derived figures against the events, stored files
    #[command(after_help = "Example:\n  foiatrack doctor\n  foiatrack doctor --fix")]
    Doctor {
        /// Recompute derived figures that disagree and remove files nothing refers to
        #[arg(long)]
        fix: bool,
        #[arg(long, value_enum, default_value_t)]
        format: output::Format,
    },
}

/// Every date flag: strict `YYYY-MM-DD` within the dates foiatrack accepts (1900-2199).
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    foiatrack::core::dates::parse_ymd(s)
}

/// What every command needs: where the database is and what day it is.
pub struct Context {
    pub db_path: PathBuf,
    /// The user named the database (--db or FOIATRACK_DB) rather than taking the default.
    pub db_given: bool,
    pub today: NaiveDate,
    /// Who is acting: `--as NAME`, else the OS user.
    pub actor: String,
    /// `--today` as given (the server follows the clock when it is not).
    pub today_fixed: Option<NaiveDate>,
}

impl Context {
    /// Opens the database, which must exist already, acting as the command's user.
    pub fn open(&self) -> foiatrack::Result<rusqlite::Connection> {
        let conn = foiatrack::ops::database::open(&self.db_path)?;
        foiatrack::store::db::set_actor(&conn, &self.actor)?;
        Ok(conn)
    }
}

/// The OS user running the command, for events logged from the terminal.
fn os_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "cli".to_string())
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are not errors; clap prints them and says so.
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let ctx = Context {
        db_path: cli.db.clone().unwrap_or_else(|| PathBuf::from("foiatrack.db")),
        db_given: cli.db.is_some(),
        today: cli.today.unwrap_or_else(|| chrono::Local::now().date_naive()),
        actor: cli.actor.clone().unwrap_or_else(os_user),
        today_fixed: cli.today,
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| dispatch(cli.command, &ctx))) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            // stderr may be a closed pipe too (`2>&1 | head`): nothing more to say then.
            let _ = writeln!(std::io::stderr().lock(), "error: {}", output::printable(&message(&e)));
            let internal = e.chain().any(|c| c.downcast_ref::<Error>().is_some_and(Error::is_internal));
            ExitCode::from(if internal { EXIT_INTERNAL } else { 1 })
        }
        // The panic hook has printed where; say what it means.
        Err(_) => {
            let _ = writeln!(
                std::io::stderr().lock(),
                "error: internal error (a bug in foiatrack; please report it): the command stopped unexpectedly"
            );
            ExitCode::from(EXIT_INTERNAL)
        }
    }
}

/// Exit code for a bug in foiatrack (user errors exit 1, usage errors 2).
pub const EXIT_INTERNAL: u8 = 3;

/// The error as one message: the context lines the CLI added, then foiatrack's own sentence,
/// which already says its cause (so rusqlite's and io's own words are not repeated after it).
fn message(e: &anyhow::Error) -> String {
    let mut parts = Vec::new();
    for cause in e.chain() {
        parts.push(cause.to_string());
        if cause.downcast_ref::<Error>().is_some() {
            break;
        }
    }
    parts.join(": ")
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}

fn dispatch(command: Command, ctx: &Context) -> anyhow::Result<()> {
    match command {
        Command::Init => init::run(ctx),
        Command::Law(cmd) => law::run(cmd, ctx),
        Command::Holiday(cmd) => holiday::run(cmd, ctx),
        Command::Agency(cmd) => agency::run(cmd, ctx),
        Command::Config(cmd) => config::run(cmd, ctx),
        Command::Campaign(cmd) => campaign::run(cmd, ctx),
        Command::Log(args) => log::run(args, ctx),
        Command::Event(cmd) => log::run_event(cmd, ctx),
        Command::Deadline { code } => deadline::run(&code, ctx),
        Command::Request(cmd) => request::run(cmd, ctx),
        Command::Due { campaign, format } => due::run(campaign, format, ctx),
        Command::Letter(args) => letter::run(args, ctx),
        Command::Send(args) => send::run(args, ctx),
        Command::Outbox { campaign, format } => send::outbox(campaign, format, ctx),
        Command::Followup(args) => followup::run(args, ctx),
        Command::Mail(cmd) => mail::run(cmd, ctx),
        Command::Data(cmd) => data::run(cmd, ctx),
        Command::Report(cmd) => report::run(cmd, ctx),
        Command::Export(args) => export::run(args, ctx),
        Command::Demo(args) => demo::run(args, ctx),
        Command::Backup { dest } => database::backup(&dest, ctx),
        Command::Serve(args) => serve::serve(args, ctx),
        Command::User(cmd) => serve::user(cmd, ctx),
        Command::Doctor { fix, format } => database::doctor(fix, format, ctx),
    }
}

/// Reads a whole input file, naming it in the error.
pub(crate) fn read_file(path: &std::path::Path) -> foiatrack::Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::Read { path: path.display().to_string(), source })
}
