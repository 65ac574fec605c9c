use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Subcommand};

use super::output::{Format, opt, print_json, print_list, printable_line};
use super::{Context, parse_date, read_file};
use foiatrack::core::vendors::{Entry, VendorMap};
use foiatrack::ops::campaign::{self as campaign_ops, Selection};
use foiatrack::ops::vendors as vendor_ops;
use foiatrack::store::agency::Kind;
use foiatrack::store::campaign::{self, NewCampaign};
use foiatrack::store::vendors::CampaignMap;

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
    /// The vendor map: raw spellings ("AMZN Mktp US*2K4L93") -> canonical vendors
    ///
    /// Each entry is a regular expression (case-insensitive, at most 200 characters) and a
    /// vendor name; a spelling gets the vendor of the first entry that matches it, and a spelling
    /// that matches the campaign's vendor pattern but no entry is listed for review by `report
    /// vendors`. A campaign starts with the built-in map for its vendor pattern (for Amazon:
    /// Amazon Marketplace, Amazon Prime, Amazon Web Services, Amazon Digital, Amazon.com); the
    /// first change stores the whole map, and `reset` goes back to the built-in one.
    #[command(subcommand, name = "vendor-map")]
    VendorMap(VendorMapCommand),
}

#[derive(Debug, Subcommand)]
pub enum VendorMapCommand {
    /// The entries in matching order (`--format csv` writes a file `import` reads back)
    #[command(
        after_help = "Examples:\n  foiatrack campaign vendor-map list amazon-2016\n  foiatrack campaign vendor-map list amazon-2016 --format csv > vendor-map.csv"
    )]
    List {
        slug: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Add an entry (at the end, or at --position N)
    #[command(
        after_help = "Examples:\n  foiatrack campaign vendor-map add amazon-2016 'amazon\\.ca' Amazon.ca\n  foiatrack campaign vendor-map add amazon-2016 'amazon fresh' 'Amazon Fresh' --position 1"
    )]
    Add {
        slug: String,
        /// A regular expression matched anywhere in the spelling, case-insensitively
        pattern: String,
        /// The canonical vendor, e.g. "Amazon Marketplace"
        vendor: String,
        /// Where the entry goes (1 = tried first) [default: last]
        #[arg(long)]
        position: Option<usize>,
    },
    /// Remove an entry, by its number or its exact pattern
    #[command(
        after_help = "Examples:\n  foiatrack campaign vendor-map remove amazon-2016 3\n  foiatrack campaign vendor-map remove amazon-2016 'prime'"
    )]
    Remove {
        slug: String,
        /// The entry's number (as `list` shows it) or its pattern
        entry: String,
    },
    /// Replace the map with a CSV file (columns pattern,vendor; the rows' order is the matching
    /// order); all or nothing, every bad row named
    #[command(
        after_help = "Examples:\n  foiatrack campaign vendor-map import amazon-2016 vendor-map.csv\n  foiatrack campaign vendor-map import amazon-2016 more.csv --append"
    )]
    Import {
        slug: String,
        file: PathBuf,
        /// Add the file's entries after the map's instead of replacing it
        #[arg(long)]
        append: bool,
    },
    /// Go back to the built-in starting map for the campaign's vendor pattern
    #[command(after_help = "Example:\n  foiatrack campaign vendor-map reset amazon-2016")]
    Reset { slug: String },
    /// Which canonical vendor spellings get, and which entry says so
    #[command(
        after_help = "Example:\n  foiatrack campaign vendor-map check amazon-2016 'AMZN Mktp US*2K4L93' 'Amazon Fresh'"
    )]
    Check {
        slug: String,
        /// Spellings as they appear on statements
        #[arg(required = true)]
        spellings: Vec<String>,
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
        CampaignCommand::VendorMap(cmd) => return vendor_map(cmd, &mut conn, ctx),
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

fn print_map(map: &CampaignMap, format: Format) -> anyhow::Result<()> {
    if format == Format::Table {
        println!(
            "Vendor map of {}{}:",
            map.campaign,
            if map.builtin {
                " (the built-in starting map for its vendor pattern; the first change stores it)".to_string()
            } else {
                map.updated_on.map(|d| format!(" (edited on {d})")).unwrap_or_default()
            }
        );
        if map.entries.is_empty() {
            println!("  no entries: every spelling that matches the vendor pattern is listed for review");
            return Ok(());
        }
    }
    let rows: Vec<(usize, &Entry)> = map.entries.iter().enumerate().map(|(i, e)| (i + 1, e)).collect();
    if format == Format::Json {
        return print_json(map);
    }
    print_list(format, &rows, &["position", "pattern", "vendor"], |(i, e)| {
        vec![i.to_string(), e.pattern.clone(), e.vendor.clone()]
    })
}

fn vendor_map(cmd: VendorMapCommand, conn: &mut rusqlite::Connection, ctx: &Context) -> anyhow::Result<()> {
    match cmd {
        VendorMapCommand::List { slug, format } => {
            let c = campaign::get(conn, &slug)?;
            print_map(&foiatrack::store::vendors::effective(conn, &c)?, format)?;
        }
        VendorMapCommand::Add { slug, pattern, vendor, position } => {
            let map = vendor_ops::add(conn, &slug, &pattern, &vendor, position, ctx.today)?;
            let n = map.entries.iter().position(|e| e.pattern == pattern.trim()).map_or(0, |i| i + 1);
            println!(
                "Added entry {n} of {}: /{}/ -> {}",
                map.entries.len(),
                printable_line(pattern.trim()),
                printable_line(vendor.trim())
            );
        }
        VendorMapCommand::Remove { slug, entry } => {
            let (removed, map) = vendor_ops::remove(conn, &slug, &entry, ctx.today)?;
            println!(
                "Removed /{}/ -> {}; {} entries left",
                printable_line(&removed.pattern),
                printable_line(&removed.vendor),
                map.entries.len()
            );
        }
        VendorMapCommand::Import { slug, file, append } => {
            let data = read_file(&file)?;
            let name = file.display().to_string();
            let out = vendor_ops::import(conn, &slug, &name, &data, append, ctx.today)?;
            let entries = |n: usize| if n == 1 { "1 entry".to_string() } else { format!("{n} entries") };
            if append {
                println!(
                    "Added {} from {}; the map has {}",
                    entries(out.imported),
                    printable_line(&name),
                    out.map.entries.len()
                );
            } else {
                println!(
                    "Imported {} from {} (replacing {})",
                    entries(out.imported),
                    printable_line(&name),
                    out.replaced
                );
            }
        }
        VendorMapCommand::Reset { slug } => {
            let map = vendor_ops::reset(conn, &slug)?;
            println!(
                "{}'s vendor map is the built-in starting map again ({} entries)",
                map.campaign,
                map.entries.len()
            );
        }
        VendorMapCommand::Check { slug, spellings } => {
            let c = campaign::get(conn, &slug)?;
            let map = foiatrack::store::vendors::effective(conn, &c)?;
            let compiled = VendorMap::new(&map.entries).map_err(foiatrack::Error::Invalid)?;
            let pattern = c
                .vendor_pattern
                .as_deref()
                .map(|p| foiatrack::core::vendors::compile("the campaign's vendor pattern", p))
                .transpose()
                .map_err(foiatrack::Error::Invalid)?;
            let rows = spellings.iter().map(|s| {
                let counted = pattern.as_ref().is_none_or(|p| p.is_match(s));
                let (vendor, entry) = match compiled.entry_for(s) {
                    Some(n) => (map.entries[n - 1].vendor.clone(), n.to_string()),
                    None if counted => ("(no map entry: listed for review)".to_string(), String::new()),
                    None => (String::new(), String::new()),
                };
                vec![
                    s.clone(),
                    if counted { "yes" } else { "no: excluded by the vendor pattern" }.to_string(),
                    vendor,
                    entry,
                ]
            });
            println!("{}", super::output::table(&["spelling", "counted", "vendor", "entry"], rows));
        }
    }
    Ok(())
}
