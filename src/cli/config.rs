use clap::Subcommand;

use super::Context;
use super::output::{Format, opt, print_list};
use foiatrack::store::config;

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Set a setting (an empty value clears it)
    #[command(
        after_help = "Examples:\n  foiatrack config set requester.name \"Jane Doe\"\n  foiatrack config set requester.email jane@newsroom.example.org\n  foiatrack config set policy.very_overdue_days 30"
    )]
    Set { name: String, value: String },
    /// Print one setting
    #[command(after_help = "Example:\n  foiatrack config get requester.name")]
    Get { name: String },
    /// List every setting with its value or default
    #[command(after_help = "Example:\n  foiatrack config list")]
    List {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

pub fn run(cmd: ConfigCommand, ctx: &Context) -> anyhow::Result<()> {
    let mut conn = ctx.open()?;
    match cmd {
        ConfigCommand::Set { name, value } => {
            foiatrack::ops::config::set(&mut conn, &name, &value)?;
            if value.trim().is_empty() {
                println!("Cleared {}", name.trim());
            } else {
                println!("Set {} = {}", name.trim(), value.trim());
            }
        }
        ConfigCommand::Get { name } => {
            if let Some(v) = config::get(&conn, name.trim())? {
                println!("{v}");
            }
        }
        ConfigCommand::List { format } => {
            let settings = config::list(&conn)?;
            print_list(format, &settings, &["name", "value", "default", "about"], |s| {
                vec![s.name.clone(), opt(&s.value), opt(&s.default), s.about.clone()]
            })?;
        }
    }
    Ok(())
}
