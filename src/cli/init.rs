use anyhow::Context as _;

use super::Context;

pub fn run(ctx: &Context) -> anyhow::Result<()> {
    let existed = ctx.db_path.exists();
    let mut conn = foiatrack::ops::database::create_or_open(&ctx.db_path)
        .with_context(|| format!("cannot open {}", ctx.db_path.display()))?;
    let laws = foiatrack::ops::law::load_builtin(&mut conn)?;
    let version = foiatrack::store::db::user_version(&conn)?;
    println!(
        "{} {} (schema version {version}); {laws} records laws loaded",
        if existed { "Updated" } else { "Created" },
        ctx.db_path.display()
    );
    Ok(())
}
