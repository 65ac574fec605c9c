//! Output for people (aligned tables) and for scripts (JSON, CSV with snake_case fields).

use std::io::Write;

use clap::ValueEnum;
use serde::Serialize;

/// For lists: one row per item, so all three formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    Csv,
}

/// For one record or a digest (`request show`, `agency show`, `due`, an import's summary): text
/// for people or JSON for scripts. Not one flat table, so no CSV; clap refuses `--format csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum DocFormat {
    #[default]
    Table,
    Json,
}

pub use foiatrack::views::render::{printable, printable_line, table, write_csv};

/// Prints a list in the chosen format: `row` gives the table/CSV cells, serde gives the JSON.
pub fn print_list<T: Serialize>(
    format: Format,
    items: &[T],
    columns: &[&str],
    row: impl Fn(&T) -> Vec<String>,
) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        Format::Table => writeln!(out, "{}", table(columns, items.iter().map(row)))?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, items)?;
            writeln!(out)?;
        }
        Format::Csv => write_csv(&mut out, columns, items.iter().map(row))?,
    }
    Ok(())
}

pub fn print_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

pub fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(|v| v.to_string()).unwrap_or_default()
}
