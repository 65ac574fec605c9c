//! Output for people (aligned tables) and for scripts (JSON, CSV with snake_case fields).

use std::io::Write;

use clap::ValueEnum;
use comfy_table::{LineStyle, Table, TableStyle};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    Csv,
}

/// Aligned columns under a dashed header line: readable in a terminal, a pipe or an email.
const PLAIN: TableStyle = TableStyle::new().header_separator(LineStyle::none().fill('-').junction(' '));

pub fn table(columns: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut t = Table::new();
    t.load_style(PLAIN);
    t.force_no_tty();
    t.set_header(columns.iter().map(|c| c.replace('_', " ").to_uppercase()));
    for r in rows {
        t.add_row(r);
    }
    t.trim_fmt()
}

/// Neutralises a cell a spreadsheet would run as a formula (=, +, -, @), leaving numbers alone.
pub fn csv_safe(cell: &str) -> String {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.parse::<f64>().is_err() { format!("'{cell}") } else { cell.to_string() }
}

pub fn write_csv(
    out: &mut impl Write,
    columns: &[&str],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(columns)?;
    for r in rows {
        w.write_record(r.iter().map(|c| csv_safe(c)))?;
    }
    w.flush()?;
    Ok(())
}

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
