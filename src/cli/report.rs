use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};

use super::Context;
use super::output::emit;
use foiatrack::views::render::{self, Document};
use foiatrack::views::report::{self, SpendingOptions, SpendingSort};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ReportFormat {
    #[default]
    Table,
    Md,
    Csv,
    Json,
    Html,
}

/// The order of the spending ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum SortBy {
    /// By the agency's figure
    #[default]
    Total,
    /// By spending per resident; agencies without a population are listed after, unranked
    PerCapita,
}

impl From<SortBy> for SpendingSort {
    fn from(s: SortBy) -> Self {
        match s {
            SortBy::Total => SpendingSort::Total,
            SortBy::PerCapita => SpendingSort::PerCapita,
        }
    }
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
    /// Agencies ranked by spending or per capita, with sources; years side by side with --compare
    #[command(after_help = "Percentages are exact from the cents, rounded half away from zero to one decimal place.

Examples:
  foiatrack report spending --campaign amazon-2016 --year 2016
  foiatrack report spending --campaign amazon-2016 --sort per-capita
  foiatrack report spending --campaign amazon-2016 --year 2017 --compare 2016
  foiatrack report spending --format csv --out spending.csv")]
    Spending {
        #[arg(long)]
        campaign: Option<String>,
        /// The year [default: the campaign's year, else all years]
        #[arg(long)]
        year: Option<i32>,
        /// Another year to set beside it: each agency's figure then, the change, the sums, the
        /// median change, and the agencies with figures for only one of the two years
        #[arg(long, value_name = "YEAR")]
        compare: Option<i32>,
        /// The order, and so the rank
        #[arg(long, value_enum, default_value_t)]
        sort: SortBy,
        #[arg(long, value_enum, default_value_t)]
        format: ReportFormat,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Canonical vendors (from the campaign's vendor map): totals, transactions and spellings,
    /// per agency and overall, and the spellings to review
    #[command(after_help = "Reported totals without transactions are shown unsplit, never divided between vendors.
Edit the map with `foiatrack campaign vendor-map`.

Examples:
  foiatrack report vendors --campaign amazon-2016
  foiatrack report vendors --campaign amazon-2016 --year 2017 --format csv --out vendors.csv")]
    Vendors {
        #[arg(long)]
        campaign: String,
        /// The year [default: the campaign's year, else all years]
        #[arg(long)]
        year: Option<i32>,
        #[arg(long, value_enum, default_value_t)]
        format: ReportFormat,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Both reports in one self-contained HTML file (or Markdown), and the vendors with --vendors
    #[command(
        after_help = "Examples:\n  foiatrack report all --campaign amazon-2016 --out report.html\n  foiatrack report all --campaign amazon-2016 --year 2017 --compare 2016 --vendors --out report.html"
    )]
    All {
        #[arg(long)]
        campaign: Option<String>,
        #[arg(long)]
        year: Option<i32>,
        /// Another year to set beside the spending figures
        #[arg(long, value_name = "YEAR")]
        compare: Option<i32>,
        /// The order of the spending ranking
        #[arg(long, value_enum, default_value_t)]
        sort: SortBy,
        /// Add the vendor report of the campaign (needs --campaign)
        #[arg(long, requires = "campaign")]
        vendors: bool,
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
        ReportCommand::Spending { campaign, year, compare, sort, format, out } => emit(out.as_deref(), || {
            let opts = SpendingOptions { year, compare, sort: sort.into() };
            let s = report::spending_report(&ctx.open()?, campaign.as_deref(), &opts, ctx.today)?;
            Ok(match (format, document(format)) {
                (_, Some(doc)) => render::spending_document(&s, doc)?,
                (ReportFormat::Csv, _) => render::spending_csv(&s),
                _ => serde_json::to_string_pretty(&s)? + "\n",
            })
        }),
        ReportCommand::Vendors { campaign, year, format, out } => emit(out.as_deref(), || {
            let v = report::vendors(&ctx.open()?, &campaign, year, ctx.today)?;
            Ok(match (format, document(format)) {
                (_, Some(doc)) => render::vendors_document(&v, doc)?,
                (ReportFormat::Csv, _) => render::vendors_csv(&v),
                _ => serde_json::to_string_pretty(&v)? + "\n",
            })
        }),
        ReportCommand::All { campaign, year, compare, sort, vendors, format, out } => {
            if format == ReportFormat::Csv {
                anyhow::bail!(
                    "`report all` is HTML, Markdown, a table or JSON; for CSV use `report responses` or `report spending`"
                );
            }
            emit(out.as_deref(), || {
                let conn = ctx.open()?;
                let r = report::responses(&conn, campaign.as_deref(), ctx.today)?;
                let opts = SpendingOptions { year, compare, sort: sort.into() };
                let s = report::spending_report(&conn, campaign.as_deref(), &opts, ctx.today)?;
                let v = match (&campaign, vendors) {
                    (Some(c), true) => Some(report::vendors(&conn, c, s.year, ctx.today)?),
                    _ => None,
                };
                Ok(match document(format) {
                    Some(doc) => render::findings_document_with(&r, &s, v.as_ref(), doc)?,
                    None => {
                        let mut all = serde_json::json!({"responses": r, "spending": s});
                        if let Some(v) = v {
                            all["vendors"] = serde_json::to_value(v)?;
                        }
                        serde_json::to_string_pretty(&all)? + "\n"
                    }
                })
            })
        }
    }
}
