use super::Context;

/// Prints how a request's due date was computed, step by step.
pub fn run(code: &str, ctx: &Context) -> anyhow::Result<()> {
    let conn = ctx.open()?;
    let d = foiatrack::views::request::detail(&conn, code, ctx.today)?;
    println!("{} — {} ({}), status {}", d.tracking_code, d.agency_name, d.state, d.status);
    for line in &d.explanation {
        println!("{line}");
    }
    Ok(())
}
