use std::path::PathBuf;

use chrono::{Datelike, NaiveDate};
use clap::Subcommand;

use super::output::{Format, print_list, printable_line};
use super::{Context, parse_date, read_file};
use foiatrack::store::holiday;

#[derive(Debug, Subcommand)]
pub enum HolidayCommand {
    /// The holidays a jurisdiction observes in a year (federal by rule, plus its own)
    #[command(
        after_help = "Examples:\n  foiatrack holiday list --state CO --year 2026\n  foiatrack holiday list --state US --year 2026 --format json"
    )]
    List {
        /// Jurisdiction code [default: US, the federal calendar]
        #[arg(long, default_value = "US")]
        state: String,
        /// [default: the current year]
        #[arg(long)]
        year: Option<i32>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Add a day a jurisdiction observes
    #[command(after_help = "Example:\n  foiatrack holiday add CO 2026-11-27 \"Day after Thanksgiving\"")]
    Add {
        state: String,
        #[arg(value_parser = parse_date)]
        date: NaiveDate,
        name: String,
    },
    /// Remove a day from a jurisdiction's calendar (an added day, or a federal day it does not observe)
    #[command(after_help = "Example:\n  foiatrack holiday remove CO 2026-10-12")]
    Remove {
        state: String,
        #[arg(value_parser = parse_date)]
        date: NaiveDate,
    },
    /// Add a whole calendar from a CSV file with columns state,date,name (all or nothing)
    #[command(after_help = "Example:\n  foiatrack holiday import co-2027.csv")]
    Import { file: PathBuf },
}

pub fn run(cmd: HolidayCommand, ctx: &Context) -> anyhow::Result<()> {
    let mut conn = ctx.open()?;
    match cmd {
        HolidayCommand::List { state, year, format } => {
            let state = foiatrack::store::law::code(&conn, &state)?;
            let year = year.unwrap_or(ctx.today.year());
            if !(1900..=2199).contains(&year) {
                anyhow::bail!("--year {year} is out of range: give a year from 1900 to 2199");
            }
            let days = holiday::calendar(&conn, &state)?.holidays(year);
            print_list(format, &days, &["date", "weekday", "name", "origin"], |h| {
                vec![
                    h.date.to_string(),
                    h.date.format("%a").to_string(),
                    h.name.clone(),
                    serde_json::to_value(h.origin).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default(),
                ]
            })
        }
        HolidayCommand::Add { state, date, name } => {
            let state = foiatrack::store::law::code(&conn, &state)?;
            foiatrack::ops::holiday::add(&mut conn, &state, date, &name)?;
            println!("Added {date} ({}) \"{}\" to {state}", date.format("%a"), printable_line(name.trim()));
            Ok(())
        }
        HolidayCommand::Remove { state, date } => {
            let state = foiatrack::store::law::code(&conn, &state)?;
            let name = foiatrack::ops::holiday::remove(&mut conn, &state, date)?;
            println!("Removed {date} \"{}\" from {state}", printable_line(&name));
            Ok(())
        }
        HolidayCommand::Import { file } => {
            let data = read_file(&file)?;
            let done = foiatrack::ops::holiday::import(&mut conn, &file.display().to_string(), &data)?;
            println!(
                "Imported {} holidays from {} ({} already in the calendar)",
                done.added,
                file.display(),
                done.unchanged
            );
            Ok(())
        }
    }
}
