use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};

use super::Context;
use super::output::emit;
use foiatrack::views::render::{self, Document};
use foiatrack::views::report;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ReportFormat {
    #[default]
    Table,
    Md,
    Csv,
    Json,
    Html,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Who answered, how fast, what is still open; by kind of agency and by state
    #[command(
        after_help = "Examples:\n  foiatrack report responses --campaign amazon-2016\n  foiatrack report responses --campaign amazon-2016 --format html --out responses.html"
    )]
    Responses {
        #[arg(long)]
        campaign: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: ReportFormat,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Agencies ranked by spending, with per-capita figures and sources
    #[command(
        after_help = "Examples:\n  foiatrack report spending --campaign amazon-2016 --year 2016\n  foiatrack report spending --format csv --out spending.csv"
    )]
    Spending {
        #[arg(long)]
        campaign: Option<String>,
        #[arg(long)]
        year: Option<i32>,
        #[arg(long, value_enum, default_value_t)]
        format: ReportFormat,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Both reports in one self-contained HTML file (or Markdown)
    #[command(after_help = "Example:\n  foiatrack report all --campaign amazon-2016 --out report.html")]
    All {
        #[arg(long)]
        campaign: Option<String>,
        #[arg(long)]
        year: Option<i32>,
        #[arg(long, value_enum, default_value = "html")]
        format: ReportFormat,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// The document a format names, or `None` for JSON and CSV, which are not documents.
fn document(format: ReportFormat) -> Option<Document> {
    match format {
        ReportFormat::Table => Some(Document::Text),
        ReportFormat::Md => Some(Document::Markdown),
        ReportFormat::Html => Some(Document::Html),
        ReportFormat::Json | ReportFormat::Csv => None,
    }
}

pub fn run(cmd: ReportCommand, ctx: &Context) -> anyhow::Result<()> {
    match cmd {
        ReportCommand::Responses { campaign, format, out } => emit(out.as_deref(), || {
            let r = report::responses(&ctx.open()?, campaign.as_deref(), ctx.today)?;
            Ok(match (format, document(format)) {
                (_, Some(doc)) => render::responses_document(&r, doc)?,
                (ReportFormat::Csv, _) => render::responses_csv(&r),
                _ => serde_json::to_string_pretty(&r)? + "\n",
            })
        }),
        ReportCommand::Spending { campaign, year, format, out } => emit(out.as_deref(), || {
            let s = report::spending(&ctx.open()?, campaign.as_deref(), year, ctx.today)?;
            Ok(match (format, document(format)) {
                (_, Some(doc)) => render::spending_document(&s, doc)?,
                (ReportFormat::Csv, _) => render::spending_csv(&s),
                _ => serde_json::to_string_pretty(&s)? + "\n",
            })
        }),
        ReportCommand::All { campaign, year, format, out } => {
            if format == ReportFormat::Csv {
                anyhow::bail!(
                    "`report all` is HTML, Markdown, a table or JSON; for CSV use `report responses` or `report spending`"
                );
            }
            emit(out.as_deref(), || {
                let conn = ctx.open()?;
                let r = report::responses(&conn, campaign.as_deref(), ctx.today)?;
                let s = report::spending(&conn, campaign.as_deref(), year, ctx.today)?;
                Ok(match document(format) {
                    Some(doc) => render::findings_document(&r, &s, doc)?,
                    None => serde_json::to_string_pretty(&serde_json::json!({"responses": r, "spending": s}))? + "\n",
                })
            })
        }
    }
}
