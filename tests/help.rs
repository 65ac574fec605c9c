//! The full `--help` reference is snapshotted, so any change to the command line shows in review.

use crate::cli::Cli;
use clap::CommandFactory;

fn walk(cmd: &mut clap::Command, path: &str, out: &mut String) {
    let name = if path.is_empty() { cmd.get_name().to_string() } else { format!("{path} {}", cmd.get_name()) };
    out.push_str(&format!("===== {name} --help =====\n"));
    out.push_str(&cmd.render_long_help().to_string());
    out.push('\n');
    let mut subs: Vec<clap::Command> = cmd.get_subcommands().cloned().collect();
    for sub in subs.iter_mut().filter(|s| s.get_name() != "help") {
        walk(sub, &name, out);
    }
}

#[test]
fn full_help_reference() {
    let mut cmd = Cli::command();
    cmd.build();
    cmd = cmd.term_width(100);
    let mut out = String::new();
    walk(&mut cmd, "", &mut out);
    insta::assert_snapshot!("help", out);
}

#[test]
fn every_subcommand_has_an_example() {
    let mut cmd = Cli::command();
    cmd.build();
    fn check(cmd: &clap::Command, path: &str) {
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let name = format!("{path} {}", sub.get_name());
            if sub.has_subcommands() {
                check(sub, &name);
            } else {
                let after = sub.get_after_help().map(|s| s.to_string()).unwrap_or_default();
                assert!(after.contains("Example"), "`{name} --help` has no example");
            }
        }
    }
    check(&cmd, "foiatrack");
}
