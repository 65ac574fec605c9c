//! `serve`: the web workspace, and `user`: the people who may sign in to it.

use std::io::{BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::Context;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  foiatrack serve --demo\n  foiatrack --db campaign.db serve\n  foiatrack serve --bind 0.0.0.0:8080 --behind-proxy
  foiatrack serve --bind 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem

On 127.0.0.1 (the default) the first line printed is a one-time sign-in link. Binding any other
address needs users (`foiatrack user add`) and HTTPS: either --tls-cert and --tls-key (PEM files;
the server speaks HTTPS itself) or a TLS-terminating proxy in front (--behind-proxy)."
)]
pub struct ServeArgs {
    /// Address and port to listen on
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// Serve a fresh copy of the demo campaign instead of --db
    #[arg(long)]
    demo: bool,
    /// A proxy in front terminates TLS: cookies are marked Secure (needed for non-loopback binds)
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    behind_proxy: bool,
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM) for --tls-cert
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

pub fn serve(a: ServeArgs, ctx: &Context) -> anyhow::Result<()> {
    let db_path = if a.demo { demo_copy(ctx)? } else { ctx.db_path.clone() };
    // Opening checks the database is foiatrack's (and migrates it) before anyone connects.
    let conn = foiatrack::ops::database::open(&db_path)?;
    if !foiatrack::web::is_loopback(&a.bind) {
        if foiatrack::store::users::count(&conn)? == 0 {
            anyhow::bail!(
                "binding {} lets other machines connect: add users first (`foiatrack user add NAME --role admin`)",
                a.bind
            );
        }
        if !a.behind_proxy && a.tls_cert.is_none() {
            anyhow::bail!(
                "binding {} sends passwords over the network: serve HTTPS with --tls-cert and --tls-key, or put a TLS-terminating proxy in front and add --behind-proxy",
                a.bind
            );
        }
    }
    drop(conn);
    let opts = foiatrack::web::Options {
        bind: a.bind,
        db_path,
        today: ctx.today_fixed,
        owner: ctx.actor.clone(),
        behind_proxy: a.behind_proxy,
        tls: a.tls_cert.zip(a.tls_key).map(|(cert, key)| foiatrack::web::Tls { cert, key }),
    };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(foiatrack::web::serve(opts, |url| {
        println!("{url}");
        let _ = std::io::stdout().flush();
        eprintln!("foiatrack is serving; open the link above (it signs you in once). Stop with Ctrl-C.");
    }))?;
    Ok(())
}

/// Builds the demo campaign in a fresh folder by running `foiatrack demo` quietly.
fn demo_copy(ctx: &Context) -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("foiatrack-serve-demo-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("demo.db");
    let out = std::process::Command::new(std::env::current_exe()?)
        .arg("--db")
        .arg(&db)
        .arg("--today")
        .arg(ctx.today.to_string())
        .arg("demo")
        .current_dir(&dir)
        .stdout(std::process::Stdio::null())
        .output()?;
    if !out.status.success() {
        anyhow::bail!("the demo could not be built: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(db)
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a person who may sign in (password from the terminal, or one line on stdin)
    #[command(
        after_help = "Example:\n  foiatrack user add jane --role staff\n  printf '%s\\n' \"$PASSWORD\" | foiatrack user add ci --role viewer"
    )]
    Add {
        name: String,
        #[arg(long, value_parser = ["admin", "staff", "viewer"])]
        role: String,
    },
    /// List the people who may sign in
    #[command(after_help = "Example:\n  foiatrack user list")]
    List,
    /// Remove a person
    #[command(after_help = "Example:\n  foiatrack user remove jane")]
    Remove { name: String },
}

pub fn user(cmd: UserCommand, ctx: &Context) -> anyhow::Result<()> {
    let mut conn = ctx.open()?;
    match cmd {
        UserCommand::Add { name, role } => {
            let password = read_password()?;
            foiatrack::ops::users::add(&mut conn, &name, &role, &password, ctx.today)?;
            println!("User {} can sign in as {role}", name.trim());
        }
        UserCommand::List => {
            for u in foiatrack::store::users::list(&conn)? {
                println!("{}\t{}\t{}", u.name, u.role, u.created_on);
            }
        }
        UserCommand::Remove { name } => {
            foiatrack::ops::users::remove(&mut conn, &name)?;
            println!("Removed user {}", name.trim());
        }
    }
    Ok(())
}

/// The password, never echoed: from the terminal with echo off, or the first line of stdin.
fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password: ");
        let _ = std::io::stderr().flush();
        let _echo = EchoOff::new();
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        eprintln!();
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// Turns terminal echo off while alive.
struct EchoOff(Option<libc::termios>);

impl EchoOff {
    fn new() -> Self {
        // SAFETY: tcgetattr/tcsetattr on stdin with a zeroed, then filled, termios.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut t) != 0 {
                return EchoOff(None);
            }
            let old = t;
            t.c_lflag &= !libc::ECHO;
            libc::tcsetattr(0, libc::TCSANOW, &t);
            EchoOff(Some(old))
        }
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        if let Some(old) = self.0 {
            // SAFETY: restoring the settings read in `new`.
            unsafe {
                libc::tcsetattr(0, libc::TCSANOW, &old);
            }
        }
    }
}
