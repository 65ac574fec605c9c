//! The command-line adapter: parses flags, calls the library, formats what comes back.
//! One file per command group; `dispatch` is the single place commands are routed.

mod agency;
mod campaign;
mod config;
mod data;
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
}

pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| format!("'{s}' is not a date in the form YYYY-MM-DD"))
}

/// What every command needs: where the database is and what day it is.
pub struct Context {
    pub db_path: PathBuf,
    /// The user named the database (--db or FOIATRACK_DB) rather than taking the default.
    pub db_given: bool,
    pub today: NaiveDate,
}

impl Context {
    /// Opens the database, which must exist already.
    pub fn open(&self) -> foiatrack::Result<rusqlite::Connection> {
        foiatrack::ops::database::open(&self.db_path)
    }
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
    };
    match dispatch(cli.command, &ctx) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {}", output::printable(&format!("{e:#}")));
            ExitCode::from(1)
        }
    }
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
    }
}

/// Reads a whole input file, naming it in the error.
pub(crate) fn read_file(path: &std::path::Path) -> foiatrack::Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::Read { path: path.display().to_string(), source })
}
