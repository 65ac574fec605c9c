use clap::{Args, Subcommand};

use super::Context;
use super::output::{Format, opt, print_json, print_list, printable, printable_line};
use foiatrack::core::daytype::DayType;
use foiatrack::store::law::{self, LawChange};

#[derive(Debug, Subcommand)]
pub enum LawCommand {
    /// List every jurisdiction's law: period, day type, citation
    #[command(after_help = "Examples:\n  foiatrack law list\n  foiatrack law list --format json")]
    List {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Everything known about one jurisdiction's law, notes and sources included
    #[command(after_help = "Example:\n  foiatrack law show CO")]
    Show {
        /// Two-letter code: a state, DC, or US for federal FOIA
        code: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Correct a law when a legislature changes it (kept across `init`)
    #[command(after_help = "Example:\n  foiatrack law set CO --days 3 --day-type business --note \"HB 24-1234\"")]
    Set(SetArgs),
    /// Drop a correction and go back to the built-in facts
    #[command(after_help = "Example:\n  foiatrack law reset CO")]
    Reset { code: String },
}

#[derive(Debug, Args)]
pub struct SetArgs {
    code: String,
    /// Response period in days
    #[arg(long)]
    days: Option<u32>,
    /// business, calendar, or none (no fixed period)
    #[arg(long, value_parser = parse_day_type)]
    day_type: Option<DayType>,
    #[arg(long)]
    citation: Option<String>,
    /// The law's name
    #[arg(long)]
    name: Option<String>,
    /// Days an agency may extend by
    #[arg(long)]
    extension_days: Option<u32>,
    /// Why the law was corrected (a bill number, a source)
    #[arg(long)]
    note: Option<String>,
}

pub fn parse_day_type(s: &str) -> Result<DayType, String> {
    s.parse().map_err(|e: foiatrack::Error| e.to_string())
}

pub fn run(cmd: LawCommand, ctx: &Context) -> anyhow::Result<()> {
    let mut conn = ctx.open()?;
    match cmd {
        LawCommand::List { format } => {
            let laws = law::list(&conn)?;
            print_list(
                format,
                &laws,
                &["code", "short_name", "response_days", "day_type", "extension_days", "citation", "corrected"],
                |l| {
                    vec![
                        l.code.clone(),
                        l.short_name.clone(),
                        opt(&l.response_days),
                        l.day_type.to_string(),
                        opt(&l.extension_days),
                        l.citation.clone(),
                        if l.correction.is_some() { "yes".into() } else { String::new() },
                    ]
                },
            )
        }
        LawCommand::Show { code, format } => {
            let l = law::get(&conn, &code)?;
            match format {
                Format::Json => print_json(&l),
                Format::Csv => print_list(format, std::slice::from_ref(&l), &["code", "law_name", "citation"], |l| {
                    vec![l.code.clone(), l.law_name.clone(), l.citation.clone()]
                }),
                Format::Table => {
                    print!("{}", printable(&describe(&l)));
                    Ok(())
                }
            }
        }
        LawCommand::Set(a) => {
            let change = LawChange {
                law_name: a.name,
                citation: a.citation,
                response_days: a.days,
                day_type: a.day_type,
                extension_days: a.extension_days,
                note: a.note,
            };
            if change.law_name.is_none()
                && change.citation.is_none()
                && change.response_days.is_none()
                && change.day_type.is_none()
                && change.extension_days.is_none()
                && change.note.is_none()
            {
                anyhow::bail!(
                    "nothing to change: give --days, --day-type, --citation, --name, --extension-days or --note"
                );
            }
            let l = foiatrack::ops::law::set(&mut conn, &a.code, &change, ctx.today)?;
            println!(
                "Corrected {}: {} ({}), {}",
                l.code,
                printable_line(&l.law_name),
                printable_line(&l.citation),
                l.period()
            );
            Ok(())
        }
        LawCommand::Reset { code } => {
            let l = foiatrack::ops::law::reset(&mut conn, &code)?;
            println!(
                "{} is back to the built-in law: {} ({}), {}",
                l.code,
                printable_line(&l.law_name),
                printable_line(&l.citation),
                l.period()
            );
            Ok(())
        }
    }
}

fn describe(l: &law::Law) -> String {
    let mut s = String::new();
    s += &format!("{} — {} ({})\n", l.code, l.law_name, l.short_name);
    s += &format!("Citation:        {}\n", l.citation);
    s += &format!("Response period: {}\n", l.period());
    if let Some(e) = l.extension_days {
        s += &format!("Extension:       up to {e} days\n");
    }
    if let Some(c) = &l.correction {
        s += &format!("Corrected by user on {}:\n", c.set_on);
        for ch in &c.changes {
            s += &format!("  {ch}\n");
        }
        if !c.note.is_empty() {
            s += &format!("  note: {}\n", c.note);
        }
    }
    s += &format!("Notes:           {}\n", l.notes);
    s += "Sources:\n";
    for src in l.source.split('|').map(str::trim).filter(|s| !s.is_empty()) {
        s += &format!("  {src}\n");
    }
    s
}
