use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Subcommand};

use super::output::{Format, opt, print_json, print_list, printable_line};
use super::{Context, parse_date, read_file};
use foiatrack::ops::campaign::{self as campaign_ops, Selection};
use foiatrack::store::agency::Kind;
use foiatrack::store::campaign::{self, NewCampaign};

#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// Start a campaign: what is asked for, for which period, and its policy
    #[command(
        after_help = "Example:\n  foiatrack campaign new amazon-2016 --title \"Amazon purchases 2016\" \\\n    --records \"All records of purchases from Amazon (Amazon.com, Amazon Marketplace, AMZN Mktp) ...\" \\\n    --period-start 2016-01-01 --period-end 2016-12-31 --code-prefix AMZ16 \\\n    --vendor-pattern \"(?i)amazon|amzn\" --fee-limit 50.00"
    )]
    New(NewArgs),
    /// Add agencies to a campaign: one draft request each, never two
    #[command(
        after_help = "Examples:\n  foiatrack campaign add amazon-2016 --all\n  foiatrack campaign add amazon-2016 --state CO --state UT --kind school_district\n  foiatrack campaign add amazon-2016 --agency city-of-austin-tx"
    )]
    Add(AddArgs),
    /// List campaigns with their request counts
    #[command(after_help = "Example:\n  foiatrack campaign list")]
    List {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// A campaign's details, counts by status and overdue count
    #[command(after_help = "Example:\n  foiatrack campaign show amazon-2016 --today 2026-04-01")]
    Show {
        slug: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// A short name for the campaign: lower-case letters, digits and '-'
    slug: String,
    #[arg(long)]
    title: String,
    /// The records asked for, as the letter will say it
    #[arg(long, conflicts_with = "records_file", required_unless_present = "records_file")]
    records: Option<String>,
    /// Read the records description from a file
    #[arg(long)]
    records_file: Option<PathBuf>,
    #[arg(long, value_parser = parse_date)]
    period_start: Option<NaiveDate>,
    #[arg(long, value_parser = parse_date)]
    period_end: Option<NaiveDate>,
    /// Tracking codes are PREFIX-0001, PREFIX-0002... [default: from the slug]
    #[arg(long)]
    code_prefix: Option<String>,
    /// Regular expression for the vendor names that count (spending data)
    #[arg(long)]
    vendor_pattern: Option<String>,
    /// Ask to be told before fees above this amount, e.g. 50.00
    #[arg(long)]
    fee_limit: Option<String>,
    /// Fee waiver request text for the letters
    #[arg(long)]
    fee_waiver: Option<String>,
    /// Business days between follow-ups [default: 10]
    #[arg(long)]
    followup_every: Option<u32>,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    slug: String,
    /// Every agency
    #[arg(long, conflicts_with_all = ["states", "kinds", "agencies"])]
    all: bool,
    /// Agencies in these states (repeatable)
    #[arg(long = "state", num_args = 1..)]
    states: Vec<String>,
    /// Agencies of these kinds (repeatable)
    #[arg(long = "kind", num_args = 1.., value_parser = parse_kind)]
    kinds: Vec<Kind>,
    /// These agencies, by key (repeatable)
    #[arg(long = "agency", num_args = 1..)]
    agencies: Vec<String>,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

fn parse_kind(s: &str) -> Result<Kind, String> {
    s.parse().map_err(|e: foiatrack::Error| e.to_string())
}

pub fn run(cmd: CampaignCommand, ctx: &Context) -> anyhow::Result<()> {
    let mut conn = ctx.open()?;
    match cmd {
        CampaignCommand::New(a) => {
            let records = match (a.records, a.records_file) {
                (Some(r), _) => r,
                (None, Some(f)) => String::from_utf8(read_file(&f)?)
                    .map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", f.display()))?,
                (None, None) => unreachable!("clap requires one"),
            };
            let fee_limit_cents = a.fee_limit.as_deref().map(foiatrack::core::money::parse_cents).transpose()?;
            let c = campaign_ops::create(
                &mut conn,
                &NewCampaign {
                    slug: a.slug,
                    title: a.title,
                    records,
                    period_start: a.period_start,
                    period_end: a.period_end,
                    code_prefix: a.code_prefix,
                    vendor_pattern: a.vendor_pattern,
                    fee_limit_cents,
                    fee_waiver: a.fee_waiver,
                    followup_every: a.followup_every,
                },
                ctx.today,
            )?;
            println!("Created campaign {} \"{}\"; tracking codes {}-0001...", c.slug, c.title, c.code_prefix);
            println!("Next: foiatrack campaign add {} --all", c.slug);
        }
        CampaignCommand::Add(a) => {
            let sel = Selection { all: a.all, states: a.states, kinds: a.kinds, keys: a.agencies };
            let report = campaign_ops::add_agencies(&mut conn, &a.slug, &sel, ctx.today)?;
            for w in foiatrack::views::send::eligibility_warnings(&conn, &report.codes)? {
                eprintln!("{}", printable_line(&w));
            }
            if a.format == Format::Json {
                return print_json(&report);
            }
            println!(
                "Added {} request{} ({} agenc{} already in the campaign)",
                report.added,
                if report.added == 1 { "" } else { "s" },
                report.existed,
                if report.existed == 1 { "y was" } else { "ies were" }
            );
        }
        CampaignCommand::List { format } => {
            let campaigns = campaign::list(&conn)?;
            let summaries = campaigns
                .iter()
                .map(|c| campaign::summary(&conn, c, ctx.today))
                .collect::<foiatrack::Result<Vec<_>>>()?;
            print_list(format, &summaries, &["slug", "title", "code_prefix", "requests", "overdue"], |s| {
                vec![
                    s.slug.clone(),
                    s.title.clone(),
                    s.code_prefix.clone(),
                    s.requests.to_string(),
                    s.overdue.to_string(),
                ]
            })?;
        }
        CampaignCommand::Show { slug, format } => {
            let c = campaign::get(&conn, &slug)?;
            let s = campaign::summary(&conn, &c, ctx.today)?;
            if format == Format::Json {
                return print_json(&serde_json::json!({ "campaign": c, "summary": s }));
            }
            println!("{} — {}", c.slug, c.title);
            println!("Records:         {}", c.records);
            if c.period_start.is_some() || c.period_end.is_some() {
                println!("Period:          {} to {}", opt(&c.period_start), opt(&c.period_end));
            }
            println!("Tracking codes:  {}-NNNN", c.code_prefix);
            if let Some(v) = &c.vendor_pattern {
                println!("Vendor pattern:  {v}");
            }
            if let Some(f) = c.fee_limit_cents {
                println!("Fee limit:       {}", foiatrack::core::money::format_cents(f));
            }
            if let Some(w) = &c.fee_waiver {
                println!("Fee waiver:      {w}");
            }
            println!("Follow up every: {} business days", c.followup_every);
            println!("Requests:        {} ({} overdue on {})", s.requests, s.overdue, ctx.today);
            let rows: Vec<(String, i64)> = s.by_status.iter().filter(|(_, n)| *n > 0).cloned().collect();
            if !rows.is_empty() {
                println!();
                println!(
                    "{}",
                    super::output::table(
                        &["status", "requests"],
                        rows.iter().map(|(st, n)| vec![st.clone(), n.to_string()])
                    )
                );
            }
        }
    }
    Ok(())
}
