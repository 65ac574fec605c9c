use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::Context;
use super::output::{Format, opt, print_json, print_list, table};
use foiatrack::core::money::format_cents;
use foiatrack::core::spending::ColumnChoice;
use foiatrack::ops::data::{self, ImportOptions};
use foiatrack::store::files::FileStore;

#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Import an agency's spending file (CSV, XLSX, XLS) for a request
    Import(ImportArgs),
    /// Record a total an agency reported instead of transactions
    #[command(
        after_help = "Example:\n  foiatrack data total AMZ16-0012 548419.00 --year 2016 --note \"letter of 4 April\""
    )]
    Total {
        code: String,
        /// The amount, e.g. 548419.00 (a negative figure is allowed)
        #[arg(allow_hyphen_values = true)]
        amount: String,
        #[arg(long)]
        year: i32,
        #[arg(long)]
        note: Option<String>,
    },
    /// An agency's figures for a request: totals by year, counts, sources
    #[command(after_help = "Example:\n  foiatrack data show AMZ16-0013 --format json")]
    Show {
        code: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Every request with figures
    #[command(after_help = "Example:\n  foiatrack data list --campaign amazon-2016")]
    List {
        #[arg(long)]
        campaign: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Debug, Args)]
#[command(after_help = "The header row is found even below title rows; columns are recognised from common names
(date, transaction date, posting date; amount, debit, charge, total; vendor, merchant, payee,
supplier; description, item, memo) and can be named with --date-col etc. by header or letter.
Rows whose vendor does not match the campaign's vendor pattern are kept as excluded, with why.
One bad amount or date fails the whole import, naming file, row, column and value.

Examples:
  foiatrack data import AMZ16-0013 pcard-2016.xlsx --dry-run
  foiatrack data import AMZ16-0013 pcard-2016.csv --vendor-col Merchant --amount-col D
  foiatrack data import AMZ16-0013 --attachment 1")]
pub struct ImportArgs {
    code: String,
    /// The file; or use --attachment
    #[arg(required_unless_present = "attachment", conflicts_with = "attachment")]
    file: Option<PathBuf>,
    /// Import attachment N of the request (see `request files CODE`)
    #[arg(long)]
    attachment: Option<usize>,
    #[arg(long)]
    sheet: Option<String>,
    /// The header's row number in the file (1-based)
    #[arg(long)]
    header_row: Option<usize>,
    #[arg(long)]
    date_col: Option<String>,
    #[arg(long)]
    amount_col: Option<String>,
    #[arg(long)]
    vendor_col: Option<String>,
    #[arg(long)]
    description_col: Option<String>,
    /// Which vendors count [default: the campaign's pattern]
    #[arg(long)]
    vendor_pattern: Option<String>,
    /// Replace the rows of a file imported before
    #[arg(long)]
    replace: bool,
    /// Import the good rows and list the bad ones
    #[arg(long)]
    skip_invalid: bool,
    /// Show what would be imported; change nothing
    #[arg(long)]
    dry_run: bool,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

pub fn run(cmd: DataCommand, ctx: &Context) -> anyhow::Result<()> {
    let mut conn = ctx.open()?;
    let store = FileStore::beside(&ctx.db_path);
    match cmd {
        DataCommand::Import(a) => {
            let (path, name) = match (&a.file, a.attachment) {
                (Some(f), _) => (f.clone(), f.display().to_string()),
                (None, Some(n)) => {
                    let (att, path) = foiatrack::store::mail::attachment_path(&conn, &store, &a.code, n)?;
                    (path, att.file_name)
                }
                (None, None) => unreachable!("clap requires one"),
            };
            let opts = ImportOptions {
                sheet: a.sheet,
                header_row: a.header_row,
                columns: ColumnChoice {
                    date: a.date_col,
                    amount: a.amount_col,
                    vendor: a.vendor_col,
                    description: a.description_col,
                },
                vendor_pattern: a.vendor_pattern,
                replace: a.replace,
                skip_invalid: a.skip_invalid,
                dry_run: a.dry_run,
            };
            let s = data::import(&mut conn, &store, &a.code, &path, &name, &opts, ctx.today)?;
            if a.format == Format::Json {
                return print_json(&s);
            }
            println!(
                "{} {} for {} ({}{}, header on row {})",
                if s.dry_run {
                    "Would import"
                } else if s.replaced {
                    "Replaced"
                } else {
                    "Imported"
                },
                s.file,
                s.tracking_code,
                s.format,
                s.sheet.as_ref().map(|x| format!(", sheet {x}")).unwrap_or_default(),
                s.header_row
            );
            println!(
                "Columns: date {}, amount {}, vendor {}{}",
                s.date_column,
                s.amount_column,
                s.vendor_column,
                s.description_column.as_ref().map(|d| format!(", description {d}")).unwrap_or_default()
            );
            println!(
                "Rows read {}: matched {}, excluded {}, invalid {}{}",
                s.rows_read,
                s.matched,
                s.excluded,
                s.invalid,
                if s.total_rows_skipped > 0 {
                    format!(" (and {} total row(s) ignored)", s.total_rows_skipped)
                } else {
                    String::new()
                }
            );
            println!("Total matched: {}", format_cents(s.total_matched_cents));
            if let (Some(a), Some(b)) = (s.first_date, s.last_date) {
                println!("Dates: {a} to {b}");
            }
            if s.outside_period > 0 {
                println!(
                    "WARNING: {} matched row(s) dated outside the campaign period, e.g. {}",
                    s.outside_period,
                    s.outside_period_examples.join("; ")
                );
            }
            println!();
            println!("Vendors (pattern {}):", s.vendor_pattern.as_deref().unwrap_or("none: every row counts"));
            println!(
                "{}",
                table(
                    &["vendor", "rows", "total", "counted"],
                    s.vendors.iter().map(|v| vec![
                        v.vendor.clone(),
                        v.rows.to_string(),
                        format_cents(v.total_cents),
                        if v.matched { "yes".into() } else { "no".into() }
                    ])
                )
            );
            if !s.problems.is_empty() {
                println!();
                println!("Skipped {} invalid row(s):", s.invalid);
                for p in &s.problems {
                    println!("  {p}");
                }
            }
            Ok(())
        }
        DataCommand::Total { code, amount, year, note } => {
            let cents = foiatrack::core::money::parse_cents(&amount)?;
            data::record_total(&mut conn, &code, year, cents, note.as_deref(), ctx.today)?;
            println!("Recorded {} for {year} on {}", format_cents(cents), code.trim().to_ascii_uppercase());
            Ok(())
        }
        DataCommand::Show { code, format } => {
            let d = foiatrack::views::data::dataset(&conn, &code)?;
            if format == Format::Json {
                return print_json(&d);
            }
            println!("{} — {} ({})", d.tracking_code, d.agency_name, d.state);
            println!("Total:        {}", d.total_cents.map(format_cents).unwrap_or_else(|| "no figures yet".into()));
            println!("Transactions: {} counted, {} excluded", d.transactions, d.excluded);
            if let Some(r) = d.reported_total_cents {
                println!("Reported:     {}", format_cents(r));
            }
            if !d.years.is_empty() {
                println!(
                    "{}",
                    table(
                        &["year", "figure", "from", "transactions", "reported", "note"],
                        d.years.iter().map(|y| vec![
                            y.year.to_string(),
                            format_cents(y.figure_cents),
                            y.source.clone(),
                            y.transactions_cents.map(format_cents).unwrap_or_default(),
                            y.reported_total_cents.map(format_cents).unwrap_or_default(),
                            if y.differs { "DIFFER: check both".into() } else { String::new() }
                        ])
                    )
                );
            }
            for s in &d.sources {
                println!(
                    "Source: {} ({}{}, {} rows, sha256 {}, imported {})",
                    s.file_name,
                    s.format,
                    s.sheet.as_ref().map(|x| format!(" sheet {x}")).unwrap_or_default(),
                    s.rows_read,
                    s.sha256,
                    s.imported_on
                );
            }
            Ok(())
        }
        DataCommand::List { campaign, format } => {
            let list = foiatrack::views::data::datasets(&conn, campaign.as_deref())?;
            print_list(
                format,
                &list,
                &["tracking_code", "agency", "state", "total", "transactions", "reported", "flag"],
                |d| {
                    vec![
                        d.tracking_code.clone(),
                        d.agency_name.clone(),
                        d.state.clone(),
                        d.total_cents.map(format_cents).unwrap_or_default(),
                        d.transactions.to_string(),
                        d.reported_total_cents.map(format_cents).unwrap_or_default(),
                        if d.years.iter().any(|y| y.differs) { "differ".into() } else { opt::<String>(&None) },
                    ]
                },
            )
        }
    }
}
