//! `backup` and `doctor`: the database as a whole.

use std::path::Path;

use super::Context;
use super::output::Format;

pub fn backup(dest: &Path, ctx: &Context) -> anyhow::Result<()> {
    let conn = ctx.open()?;
    let r = foiatrack::ops::database::backup(&conn, &ctx.db_path, dest)?;
    println!("Backed up {} to {} ({} files copied)", ctx.db_path.display(), r.database, r.files_copied);
    if !r.files_missing.is_empty() {
        println!("{} files the database refers to were missing and are not in the backup:", r.files_missing.len());
        for f in &r.files_missing {
            println!("  {f}");
        }
    }
    Ok(())
}

pub fn doctor(fix: bool, format: Format, ctx: &Context) -> anyhow::Result<()> {
    let mut conn = ctx.open()?;
    let c = foiatrack::ops::database::doctor(&mut conn, &ctx.db_path, fix)?;
    if format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&c)?);
    } else {
        let section = |title: &str, items: &[String]| {
            if items.is_empty() {
                println!("{title}: ok");
            } else {
                println!("{title}: {} problem(s)", items.len());
                for i in items {
                    println!("  {i}");
                }
            }
        };
        section("Database integrity", &c.integrity);
        section("Derived request figures", &c.derived_mismatches);
        section("Files referenced but missing", &c.files_missing);
        section("Files stored but unreferenced", &c.files_unreferenced);
        for f in &c.fixed {
            println!("Fixed: {f}");
        }
    }
    let remaining = c.is_healthy() || (fix && c.integrity.is_empty() && c.files_missing.is_empty());
    if !remaining {
        anyhow::bail!(
            "the database has problems (see above){}",
            if fix { "" } else { "; `doctor --fix` repairs what it can" }
        );
    }
    Ok(())
}
