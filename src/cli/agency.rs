use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::output::{DocFormat, Format, opt, print_json, print_list, printable, printable_line};
use super::{Context, read_file};
use foiatrack::ops::agency::{self as agency_ops, ImportOptions};
use foiatrack::store::agency::{self, AgencyInput, Filter, Kind};
use foiatrack::store::contacts::{Contact, ContactState};

#[derive(Debug, Subcommand)]
pub enum AgencyCommand {
    /// Import or update agencies from a CSV file (all or nothing unless --skip-invalid)
    #[command(
        after_help = "Columns (header names are case-insensitive): name, state (required); key, kind, population,\n\
email, portal_url, mailing_address, phone, contact_name, notes, response_days, day_type.\n\n\
Examples:\n  foiatrack agency import examples/agencies.csv --dry-run\n  foiatrack agency import examples/agencies.csv"
    )]
    Import {
        file: PathBuf,
        /// Check the file and show what would change, without changing anything
        #[arg(long)]
        dry_run: bool,
        /// Import the good rows and list the bad ones, instead of importing nothing
        #[arg(long)]
        skip_invalid: bool,
        #[arg(long, value_enum, default_value_t)]
        format: DocFormat,
    },
    /// List agencies
    #[command(
        after_help = "Examples:\n  foiatrack agency list --state CO\n  foiatrack agency list --kind school_district --format csv"
    )]
    List {
        /// Only these states (repeatable)
        #[arg(long = "state")]
        states: Vec<String>,
        /// Only these kinds (repeatable)
        #[arg(long = "kind", value_parser = parse_kind)]
        kinds: Vec<Kind>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Everything about one agency
    #[command(after_help = "Example:\n  foiatrack agency show denver-public-schools-co")]
    Show {
        key: String,
        #[arg(long, value_enum, default_value_t)]
        format: DocFormat,
    },
    /// Add one agency
    #[command(
        after_help = "Example:\n  foiatrack agency add --name \"Town of Example\" --state VT --kind city --email clerk@town.example.org"
    )]
    Add(AddArgs),
    /// Change fields of one agency (an empty value clears an optional field)
    #[command(after_help = "Example:\n  foiatrack agency edit city-of-austin-tx --email publicinfo@austin.example.org")]
    Edit {
        key: String,
        #[command(flatten)]
        fields: Fields,
    },
    /// An agency's addresses and whether each works (good, failing, unconfirmed)
    #[command(subcommand)]
    Contact(ContactCommand),
}

#[derive(Debug, Subcommand)]
pub enum ContactCommand {
    /// An agency's addresses: the main one first, then good, unconfirmed and failing ones
    #[command(after_help = "A reply from an address marks it good; a reply from a new address adds it as unconfirmed;
a letter that bounces marks its address failing.

Example:\n  foiatrack agency contact list city-of-austin-tx")]
    List {
        /// The agency's key
        key: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Add an address to an agency (unconfirmed unless --state says otherwise)
    #[command(
        after_help = "Example:\n  foiatrack agency contact add city-of-austin-tx records@austin.example.org --note \"from the clerk\""
    )]
    Add {
        /// The agency's key
        key: String,
        /// An email address at the agency
        address: String,
        /// good, failing or unconfirmed [default: unconfirmed]
        #[arg(long, value_parser = parse_contact_state)]
        state: Option<ContactState>,
        /// Kept with the address (who gave it, why)
        #[arg(long)]
        note: Option<String>,
    },
    /// Say whether an address works: good, failing or unconfirmed
    #[command(
        after_help = "Example:\n  foiatrack agency contact mark city-of-austin-tx records@austin.example.org good"
    )]
    Mark {
        /// The agency's key
        key: String,
        /// One of its addresses
        address: String,
        /// good, failing or unconfirmed
        #[arg(value_parser = parse_contact_state)]
        state: ContactState,
        /// Kept with the address, replacing its note
        #[arg(long)]
        note: Option<String>,
    },
}

fn parse_contact_state(s: &str) -> Result<ContactState, String> {
    s.parse().map_err(|_| format!("unknown state '{}'; use good, failing or unconfirmed", s.trim()))
}

/// `agency show --format json`: the agency's fields as before, with its addresses.
#[derive(serde::Serialize)]
struct Shown<'a> {
    #[serde(flatten)]
    agency: &'a agency::Agency,
    contacts: Vec<Contact>,
}

fn contact_rows(list: &[Contact]) -> impl Iterator<Item = Vec<String>> + '_ {
    list.iter().map(|c| {
        vec![
            c.address.clone(),
            c.state.to_string(),
            if c.main { "yes".into() } else { String::new() },
            c.source.to_string(),
            opt(&c.first_seen),
            opt(&c.last_seen),
            opt(&c.note),
        ]
    })
}

const CONTACT_COLUMNS: [&str; 7] = ["address", "state", "main", "source", "first_seen", "last_seen", "note"];

fn contacts_of(conn: &rusqlite::Connection, key: &str) -> anyhow::Result<Vec<Contact>> {
    let id = agency::id(conn, key)?.ok_or_else(|| anyhow::anyhow!("agency not found: {key}"))?;
    Ok(foiatrack::store::contacts::list(conn, id)?)
}

fn parse_kind(s: &str) -> Result<Kind, String> {
    s.parse().map_err(|e: foiatrack::Error| e.to_string())
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// A stable slug [default: derived from name and state]
    #[arg(long)]
    key: Option<String>,
    #[command(flatten)]
    fields: Fields,
}

#[derive(Debug, Args)]
pub struct Fields {
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    state: Option<String>,
    /// city, county, school_district, state_agency, special_district or other
    #[arg(long)]
    kind: Option<String>,
    #[arg(long)]
    population: Option<String>,
    #[arg(long)]
    email: Option<String>,
    #[arg(long)]
    portal_url: Option<String>,
    #[arg(long)]
    mailing_address: Option<String>,
    #[arg(long)]
    phone: Option<String>,
    #[arg(long)]
    contact_name: Option<String>,
    #[arg(long)]
    notes: Option<String>,
    /// This agency's own response period, overriding its state's law
    #[arg(long)]
    response_days: Option<String>,
    /// business, calendar or none, with --response-days
    #[arg(long)]
    day_type: Option<String>,
}

impl Fields {
    fn into_input(self, key: Option<String>) -> AgencyInput {
        AgencyInput {
            key,
            name: self.name,
            state: self.state,
            kind: self.kind,
            population: self.population,
            email: self.email,
            portal_url: self.portal_url,
            mailing_address: self.mailing_address,
            phone: self.phone,
            contact_name: self.contact_name,
            notes: self.notes,
            response_days: self.response_days,
            day_type: self.day_type,
        }
    }
}

pub fn run(cmd: AgencyCommand, ctx: &Context) -> anyhow::Result<()> {
    let mut conn = ctx.open()?;
    match cmd {
        AgencyCommand::Import { file, dry_run, skip_invalid, format } => {
            let data = read_file(&file)?;
            let name = file.display().to_string();
            let report = agency_ops::import(&mut conn, &name, &data, ImportOptions { dry_run, skip_invalid })?;
            if format == DocFormat::Json {
                return print_json(&report);
            }
            for col in &report.unknown_columns {
                eprintln!("note: {name}: unknown column '{}' ignored", printable_line(col));
            }
            if !report.skipped.is_empty() {
                eprintln!("Skipped {} invalid row(s):", report.skipped.len());
                for p in &report.skipped {
                    eprintln!("  {}", printable_line(&p.to_string()));
                }
            }
            if dry_run {
                for c in &report.changes {
                    let show = |v: &Option<String>| v.as_deref().map_or("(empty)".to_string(), |v| format!("'{v}'"));
                    println!("  {}: {} {} -> {}", c.key, c.field, show(&c.before), show(&c.after));
                }
            }
            let verb = if dry_run { "Would import" } else { "Imported" };
            println!(
                "{verb} {name}: {} added, {} updated, {} unchanged{}",
                report.added,
                report.updated,
                report.unchanged,
                if report.skipped.is_empty() { String::new() } else { format!(", {} skipped", report.skipped.len()) }
            );
            Ok(())
        }
        AgencyCommand::List { states, kinds, format } => {
            let states =
                states.iter().map(|s| foiatrack::store::law::code(&conn, s)).collect::<foiatrack::Result<Vec<_>>>()?;
            let list = agency::list(&conn, &Filter { states, kinds })?;
            print_list(format, &list, &["key", "name", "state", "kind", "population", "email", "portal_url"], |a| {
                vec![
                    a.key.clone(),
                    a.name.clone(),
                    a.state.clone(),
                    a.kind.to_string(),
                    opt(&a.population),
                    opt(&a.email),
                    opt(&a.portal_url),
                ]
            })
        }
        AgencyCommand::Show { key, format } => {
            let a = agency::get(&conn, &key)?;
            let contacts = contacts_of(&conn, &a.key)?;
            if format == DocFormat::Json {
                return print_json(&Shown { agency: &a, contacts });
            }
            let law = foiatrack::store::law::get(&conn, &a.state)?;
            let rows: Vec<(&str, String)> = vec![
                ("Key", a.key.clone()),
                ("Name", a.name.clone()),
                ("State", a.state.clone()),
                ("Kind", a.kind.to_string()),
                ("Population", opt(&a.population)),
                ("Email", opt(&a.email)),
                ("Portal", opt(&a.portal_url)),
                ("Mailing address", opt(&a.mailing_address)),
                ("Phone", opt(&a.phone)),
                ("Contact", opt(&a.contact_name)),
                ("Notes", opt(&a.notes)),
                ("Records law", format!("{} ({}), {}", law.law_name, law.citation, law.period())),
                (
                    "Agency's own period",
                    match (a.response_days, a.day_type) {
                        (Some(n), Some(t)) => format!("{n} {t} days (overrides the state law)"),
                        (None, Some(t)) => format!("{t} (overrides the state law)"),
                        _ => String::new(),
                    },
                ),
            ];
            for (label, value) in rows.iter().filter(|(_, v)| !v.is_empty()) {
                println!("{:<20} {}", format!("{label}:"), printable(value).replace('\n', "\n                     "));
            }
            if !contacts.is_empty() {
                println!();
                println!("Addresses:");
                println!("{}", super::output::table(&CONTACT_COLUMNS, contact_rows(&contacts)));
            }
            Ok(())
        }
        AgencyCommand::Contact(cmd) => contact(cmd, &mut conn, ctx),
        AgencyCommand::Add(a) => {
            let agency = agency_ops::add(&mut conn, &a.fields.into_input(a.key))?;
            println!("Added agency {} ({})", agency.key, printable_line(&agency.name));
            Ok(())
        }
        AgencyCommand::Edit { key, fields } => {
            let agency = agency_ops::edit(&mut conn, &key, &fields.into_input(None))?;
            println!("Updated agency {} ({})", agency.key, printable_line(&agency.name));
            Ok(())
        }
    }
}

fn contact(cmd: ContactCommand, conn: &mut rusqlite::Connection, ctx: &Context) -> anyhow::Result<()> {
    match cmd {
        ContactCommand::List { key, format } => {
            let a = agency::get(conn, &key)?;
            let list = contacts_of(conn, &a.key)?;
            print_list(format, &list, &CONTACT_COLUMNS, |c| {
                contact_rows(std::slice::from_ref(c)).next().unwrap_or_default()
            })
        }
        ContactCommand::Add { key, address, state, note } => {
            let c = foiatrack::ops::contacts::add(conn, &key, &address, state, note.as_deref(), ctx.today)?;
            println!("Added {} to {} ({})", c.address, key.trim().to_ascii_lowercase(), c.state);
            Ok(())
        }
        ContactCommand::Mark { key, address, state, note } => {
            let c = foiatrack::ops::contacts::mark(conn, &key, &address, state, note.as_deref())?;
            println!("{} at {} is now {}", c.address, key.trim().to_ascii_lowercase(), c.state);
            Ok(())
        }
    }
}
