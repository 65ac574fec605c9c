use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::Context;
use super::output::{emit, write_csv};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ExportFormat {
    #[default]
    Csv,
    Json,
}

#[derive(Debug, Args)]
#[command(after_help = "What: requests, events, communications, spending, agencies, or calendar (an .ics file
of due dates and follow-up dates to subscribe to). CSV cells that start with =, +, -, @, a tab or
a carriage return get a leading ' so spreadsheets do not run them, unless they are plain decimal
numbers such as -12.50. --out replaces the file only once the whole export is written.

Examples:
  foiatrack export requests --campaign amazon-2016 --format csv --out requests.csv
  foiatrack export spending --format json
  foiatrack export calendar --campaign amazon-2016 --out deadlines.ics")]
pub struct ExportArgs {
    /// requests, events, communications, spending, agencies or calendar
    what: String,
    #[arg(long)]
    campaign: Option<String>,
    /// For the table exports [default: csv]; the calendar is always iCalendar
    #[arg(long, value_enum)]
    format: Option<ExportFormat>,
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(a: ExportArgs, ctx: &Context) -> anyhow::Result<()> {
    if let (Some(f), "calendar") = (a.format, a.what.as_str()) {
        anyhow::bail!(
            "`export calendar` writes an iCalendar (.ics) file, not {}; --format is for the other exports",
            f.to_possible_value().expect("no skipped values").get_name()
        );
    }
    emit(a.out.as_deref(), || {
        let conn = ctx.open()?;
        if a.what == "calendar" {
            return Ok(foiatrack::views::export::calendar(&conn, a.campaign.as_deref(), ctx.today)?);
        }
        let t = foiatrack::views::export::export(&conn, &a.what, a.campaign.as_deref(), ctx.today)?;
        Ok(match a.format.unwrap_or_default() {
            ExportFormat::Json => serde_json::to_string_pretty(&t.objects())? + "\n",
            ExportFormat::Csv => {
                let mut buf = Vec::new();
                let cols: Vec<&str> = t.columns.iter().map(String::as_str).collect();
                let cell = |v: &serde_json::Value| match v {
                    serde_json::Value::Null => String::new(),
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                write_csv(&mut buf, &cols, t.rows.iter().map(|r| r.iter().map(cell).collect()))?;
                String::from_utf8(buf)?
            }
        })
    })
}
