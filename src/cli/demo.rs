//! `foiatrack demo`: the whole product on the example data, through the same library functions
//! the commands use: agencies, a campaign, letters sent (to an outbox folder, not a server), a
//! season of replies, follow-ups, figures from 60 of the 90 agencies, and the reports.

// Amounts in cents are written dollars_cents (1_560_726_00) so the published figures read as such.
#![allow(clippy::inconsistent_digit_grouping)]

use std::path::{Path, PathBuf};

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use clap::Args;
use rusqlite::Connection;

use super::Context;
use foiatrack::core::letter::LetterKind;
use foiatrack::core::status::EventKind;
use foiatrack::ops::send::{self, FileMailer, Sender};
use foiatrack::ops::{data as ingest, mail as intake};
use foiatrack::store::files::FileStore;
use foiatrack::store::request::{self, NewEvent, Via};
use foiatrack::views::request as request_view;

const AGENCIES: &str = include_str!("../../examples/agencies.csv");

/// Published in the study the demo follows (the Institute for Local Self-Reliance's 2016-17
/// study of local governments' Amazon purchases): the 2016 totals of the ten largest spenders,
/// in dollars_cents. Every other figure in the demo is illustrative, and says so.
const PUBLISHED: &[(&str, i64)] = &[
    ("denver-public-schools-co", 1_560_726_00),
    ("portland-public-schools-or", 629_031_00),
    ("city-and-county-of-denver-co", 548_419_00),
    ("salt-lake-county-ut", 515_686_00),
    ("city-of-austin-tx", 501_724_00),
    ("city-of-portland-or", 493_677_00),
    ("montgomery-county-md", 455_011_00),
    ("city-of-pittsburgh-pa", 289_128_00),
    ("hennepin-county-mn", 233_819_00),
    ("los-angeles-county-ca", 217_850_00),
];

/// Rutland, Vermont: the study says it spent less than $3,000; the cents are illustrative.
const RUTLAND: (&str, i64) = ("city-of-rutland-vt", 2_847_13);

/// The study's increases after the purchasing contract, in percent: Denver Public Schools 77%,
/// the City and County of Denver 49%. Their 2017 totals here are the 2016 figures times these,
/// to the cent: illustrative amounts that reproduce the published rates.
const PUBLISHED_INCREASES: &[(&str, i64)] = &[("denver-public-schools-co", 77), ("city-and-county-of-denver-co", 49)];

/// Illustrative: two small cities that spent more per resident than Denver Public Schools, so
/// that it ranks third per capita ($2.29) as the study reports.
const PER_CAPITA_LEADERS: &[(&str, i64)] = &[("city-of-cheyenne-wy", 169_791_93), ("city-of-missoula-mt", 175_517_91)];

/// Illustrative 2017 totals for six agencies: the change from 2016 in tenths of a percent.
const CHANGES_2017: &[(&str, i64)] = &[
    ("city-of-charleston-sc", 182),
    ("city-of-jackson-ms", -65),
    ("city-of-greensboro-nc", 410),
    ("kansas-city-mo", 33),
    ("dane-county-wi", -128),
    ("city-of-minneapolis-mn", 250),
];

/// The agencies that send their raw p-card files (illustrative transactions), imported with
/// `data import`: (agency, years, rows per year, seed). Boise sends 2016 and 2017.
const RAW_FILES: &[(&str, &[i32], usize, u64)] = &[
    ("city-of-boise-id", &[2016, 2017], 600, 1375),
    ("city-of-ann-arbor-mi", &[2016], 300, 4242),
    ("salt-lake-city-school-district-ut", &[2016], 250, 9001),
];

/// Generated illustrative figures stay below this many cents per resident, under the published
/// per-capita figures, so the ranking the study reports holds.
const GENERATED_PER_CAPITA_CAP: i64 = 2_00;

/// The note on a reported total, saying where the figure comes from.
const NOTE_PUBLISHED: &str = "published in the ILSR study of 2016-17";
const NOTE_RUTLAND: &str = "the ILSR study: under $3,000; the cents are illustrative";
const NOTE_ILLUSTRATIVE: &str = "illustrative: made up for the demo";

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  foiatrack demo
  foiatrack demo --db /tmp/demo.db --today 2026-06-01
  foiatrack demo --db demo.db --force      # replace an earlier demo database")]
pub struct DemoArgs {
    /// Replace the database named with --db if it exists
    #[arg(long)]
    force: bool,
}

/// What happens to one request during the demo season.
#[derive(Debug, Clone)]
enum Step {
    Log(NewEvent),
    /// An email reply, imported and matched like any other.
    Reply {
        subject: String,
        body: String,
        html: bool,
        /// File name and content of each attachment.
        attachments: Vec<(String, String)>,
    },
    /// A total the agency reported for a year, with a note saying where the figure comes from.
    Total {
        year: i32,
        cents: i64,
        note: &'static str,
    },
    /// Import the request's attachment number N (1-based) as its spending data.
    ImportAttachment(usize),
    /// Everyone late gets chased.
    FollowupRound,
}

fn monday_on_or_before(d: NaiveDate) -> NaiveDate {
    d - Duration::days(d.weekday().num_days_from_monday() as i64)
}

fn weekday_on_or_after(d: NaiveDate) -> NaiveDate {
    match d.weekday() {
        Weekday::Sat => d + Duration::days(2),
        Weekday::Sun => d + Duration::days(1),
        _ => d,
    }
}

/// A small deterministic generator, so every run of the demo tells the same story.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// A reference code as card statements append to a spelling ("AMZN Mktp US*2K4L93").
fn reference(rng: &mut Lcg) -> String {
    const CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    (0..6).map(|_| CHARS[rng.next(CHARS.len() as u64) as usize] as char).collect()
}

/// An illustrative p-card export: title rows, then a year of transactions with Amazon's many
/// spellings (a few that no vendor-map entry names, for review) among other vendors.
fn pcard_csv(agency: &str, year: i32, rows: usize, seed: u64) -> String {
    let mut rng = Lcg(seed);
    let mut out = format!(
        "{agency}\nPurchasing card transactions, January 1 - December 31, {year}\n\nTransaction Date,Merchant,Description,Amount\n"
    );
    for i in 0..rows {
        let mut cents = 106 + rng.next(44_894) as i64;
        let refund = i % 53 == 7;
        if refund {
            cents = -cents / 3;
        }
        let amount = if cents < 0 {
            format!("({}.{:02})", -cents / 100, -cents % 100)
        } else {
            format!("{}.{:02}", cents / 100, cents % 100)
        };
        let vendor = match rng.next(20) {
            0..=4 => format!("AMZN Mktp US*{}", reference(&mut rng)),
            5 => format!("AMAZON.COM MKTPL*{}", reference(&mut rng)),
            6 => "Amazon Marketplace".to_string(),
            7..=9 => format!("Amazon.com*{}", reference(&mut rng)),
            10 => format!("AMAZON.COM*{} AMZN.COM/BILL", reference(&mut rng)),
            11 => "AmazonPrime Membership".to_string(),
            12 => format!("AMZN Digital*{}", reference(&mut rng)),
            13 => "Amazon Fresh".to_string(),
            14 | 15 => "Staples".to_string(),
            16 | 17 => "Office Depot".to_string(),
            _ => "The Home Depot #1234".to_string(),
        };
        out += &format!("{}/{}/{year},{vendor},Supplies,{amount}\n", 1 + rng.next(12), 1 + rng.next(28));
    }
    out
}

pub fn run(args: DemoArgs, ctx: &Context) -> anyhow::Result<()> {
    let db_path: PathBuf = if ctx.db_given {
        ctx.db_path.clone()
    } else {
        let dir = std::env::temp_dir().join(format!(
            "foiatrack-demo-{}-{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0)
        ));
        std::fs::create_dir_all(&dir)?;
        dir.join("demo.db")
    };
    let store = FileStore::beside(&db_path);
    if db_path.exists() {
        if !args.force {
            anyhow::bail!(
                "{} exists; the demo only runs on a fresh database (add --force to replace it)",
                db_path.display()
            );
        }
        for suffix in ["", "-wal", "-shm"] {
            let p = PathBuf::from(format!("{}{suffix}", db_path.display()));
            if p.exists() {
                std::fs::remove_file(&p)?;
            }
        }
        if store.root.exists() {
            std::fs::remove_dir_all(&store.root)?;
        }
    }
    let base = db_path.parent().map(Path::to_path_buf).unwrap_or_default();
    let base = if base.as_os_str().is_empty() { PathBuf::from(".") } else { base };
    let outbox = base.join("outbox");
    let report_path = base.join("report.html");
    let today = ctx.today;

    let mut conn = foiatrack::ops::database::create_or_open(&db_path)?;
    foiatrack::store::db::set_actor(&conn, "demo")?;
    foiatrack::ops::law::load_builtin(&mut conn)?;
    foiatrack::ops::agency::import(
        &mut conn,
        "examples/agencies.csv",
        AGENCIES.as_bytes(),
        foiatrack::ops::agency::ImportOptions::default(),
    )?;
    for (k, v) in [
        ("requester.name", "Jane Doe"),
        ("requester.organization", "Example Newsroom"),
        ("requester.email", "jane@newsroom.example.org"),
        ("requester.address", "1 Press Row\nSpringfield, XX 00000"),
    ] {
        foiatrack::ops::config::set(&mut conn, k, v)?;
    }
    let sent_on = monday_on_or_before(today - Duration::days(98));
    let c = foiatrack::ops::campaign::create(
        &mut conn,
        &foiatrack::store::campaign::NewCampaign {
            slug: "amazon-2016".into(),
            title: "Amazon purchases 2016".into(),
            records: "All records of purchases from Amazon (including Amazon.com, Amazon Marketplace, AMZN Mktp US and Amazon Prime) made in calendar year 2016, showing the date, amount, vendor and description of each purchase. Purchasing-card transaction exports are ideal.".into(),
            period_start: NaiveDate::from_ymd_opt(2016, 1, 1),
            period_end: NaiveDate::from_ymd_opt(2016, 12, 31),
            code_prefix: Some("AMZ16".into()),
            vendor_pattern: Some("amazon|amzn".into()),
            fee_limit_cents: Some(50_00),
            fee_waiver: None,
            followup_every: Some(10),
        },
        sent_on,
    )?;
    let added = foiatrack::ops::campaign::add_agencies(
        &mut conn,
        &c.slug,
        &foiatrack::ops::campaign::Selection { all: true, ..Default::default() },
        sent_on,
    )?;
    println!("Loaded {} agencies and the records laws; campaign \"{}\" with {} requests.", 90, c.title, added.added);

    // Send: email to an outbox folder (the dry-run transport, recorded as sent); the rest by mail.
    let sender = Sender::new("Jane Doe <jane@newsroom.example.org>", Some("records+{code}@newsroom.example.org"))?;
    let mut files = FileMailer::new(outbox.clone())?;
    let plan = foiatrack::views::send::plan(&conn, &[], Some(&c.slug))?;
    for code in &plan.by_email {
        let o = send_letter(&mut conn, code, LetterKind::Request, &mut files, &sender, sent_on)?;
        if let Some(e) = o.error {
            anyhow::bail!("{code}: {e}");
        }
    }
    for code in &plan.by_hand {
        let mut e = NewEvent::new(EventKind::Sent, sent_on);
        e.via = Some(Via::Portal);
        e.note = Some("submitted through the agency's records portal".into());
        foiatrack::ops::request::log(&mut conn, code, &e, today)?;
    }
    println!(
        "Sent {} request letters on {sent_on}: {} by email into {}, {} through portals.",
        added.added,
        plan.by_email.len(),
        outbox.display(),
        plan.by_hand.len()
    );

    // The season of replies.
    let mut requests = request_view::list(
        &conn,
        &request_view::Filter { campaign: Some(c.slug.clone()), ..Default::default() },
        today,
    )?;
    // By tracking code, so the season does not shift when a law's period changes the due dates.
    requests.sort_by(|a, b| a.request.tracking_code.cmp(&b.request.tracking_code));
    let mut steps: Vec<(NaiveDate, String, Step)> = Vec::new();
    let day = |n: i64| weekday_on_or_after(sent_on + Duration::days(n));
    let ev = |kind: EventKind, on: NaiveDate| NewEvent::new(kind, on);
    let mut rng = Lcg(2016);
    // Which 48 of the other agencies answer with figures: spread across states and kinds.
    let mut candidates: Vec<usize> = requests
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            let k = l.request.agency_key.as_str();
            // Boise, Rutland and the published ten answer for sure; 48 others are chosen here
            // (the other raw files, the per-capita leaders and the 2017 figures among them).
            k != RAW_FILES[0].0 && k != RUTLAND.0 && !PUBLISHED.iter().any(|(p, _)| *p == k)
        })
        .map(|(i, _)| i)
        .collect();
    candidates.sort_by_key(|i| (i * 37) % 91);
    let answering: std::collections::BTreeSet<usize> = candidates.into_iter().take(48).collect();
    // The agencies the demo gives special figures to are among those that answer.
    let with_figures = |k: &str| {
        requests
            .iter()
            .enumerate()
            .any(|(i, l)| l.request.agency_key == k && (answering.contains(&i) || k == RAW_FILES[0].0))
    };
    for k in RAW_FILES
        .iter()
        .map(|r| r.0)
        .chain(PER_CAPITA_LEADERS.iter().map(|r| r.0))
        .chain(CHANGES_2017.iter().map(|r| r.0))
    {
        if !with_figures(k) {
            anyhow::bail!(
                "internal error (a bug in foiatrack; please report it): the demo's agency {k} does not answer"
            );
        }
    }
    let (mut rejected, mut no_records, mut withdrawn, mut open) = (0, 0, 0, 0);
    for (i, l) in requests.iter().enumerate() {
        let r = &l.request;
        let code = r.tracking_code.clone();
        let key = r.agency_key.as_str();
        let ack = day(2 + rng.next(6) as i64);
        let done = day(25 + rng.next(60) as i64);
        let published = PUBLISHED.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
        let raw = RAW_FILES.iter().find(|(k, ..)| *k == key);
        let mut push = |d: NaiveDate, s: Step| steps.push((d, code.clone(), s));
        let figures = published.is_some() || raw.is_some() || key == RUTLAND.0 || answering.contains(&i);
        if figures {
            // An agency that answers with figures: acknowledgement (some by email), maybe a fee or
            // a clarification, then the records.
            if i % 3 == 0 && r.agency_email.is_some() {
                push(
                    ack,
                    Step::Reply {
                        subject: "Re: your public records request".into(),
                        body: "Thank you for your request. It has been assigned to our records team.".into(),
                        html: i % 2 == 0,
                        attachments: Vec::new(),
                    },
                );
            } else {
                push(ack, Step::Log(ev(EventKind::Acknowledged, ack)));
            }
            match i % 9 {
                1 => {
                    let mut fee = ev(EventKind::Fee, day(12));
                    fee.amount_cents = Some(25_00 + 5_00 * (i as i64 % 4));
                    fee.note = Some("estimated staff time to run the report".into());
                    push(day(12), Step::Log(fee));
                    let mut resumed = ev(EventKind::Resumed, day(19));
                    resumed.note = Some("fee paid".into());
                    push(day(19), Step::Log(resumed));
                }
                4 => {
                    let mut cl = ev(EventKind::Clarification, day(9));
                    cl.note = Some("asked whether p-card data is enough".into());
                    push(day(9), Step::Log(cl));
                    let mut resumed = ev(EventKind::Resumed, day(11));
                    resumed.note = Some("replied: yes, p-card transactions are what we need".into());
                    push(day(11), Step::Log(resumed));
                }
                7 => {
                    let mut ext = ev(EventKind::Extended, day(10));
                    ext.days = Some(10);
                    push(day(10), Step::Log(ext));
                }
                _ => {}
            }
            if let Some((_, years, rows, seed)) = raw {
                let files: Vec<(String, String)> = years
                    .iter()
                    .map(|y| {
                        let name = format!("{}-pcard-{y}.csv", key.rsplit_once('-').map_or(key, |k| k.0));
                        (name, pcard_csv(&r.agency_name, *y, *rows, seed + *y as u64))
                    })
                    .collect();
                let years_text = years.iter().map(i32::to_string).collect::<Vec<_>>().join(" and ");
                push(
                    done,
                    Step::Reply {
                        subject: format!("{code}: records"),
                        body: format!("Attached are our purchasing-card transactions for {years_text}."),
                        html: false,
                        attachments: files,
                    },
                );
                for n in 1..=years.len() {
                    push(done, Step::ImportAttachment(n));
                }
            } else {
                let generated = (5_000 + (i as i64 * 7919) % 180_000) * 100 + (i as i64 * 37) % 100;
                let cap = r.population.map_or(i64::MAX, |p| p.saturating_mul(GENERATED_PER_CAPITA_CAP));
                let (cents, note) = match (published, PER_CAPITA_LEADERS.iter().find(|(k, _)| *k == key)) {
                    (Some(p), _) => (p, NOTE_PUBLISHED),
                    (None, Some((_, c))) => (*c, NOTE_ILLUSTRATIVE),
                    _ if key == RUTLAND.0 => (RUTLAND.1, NOTE_RUTLAND),
                    _ => (generated.min(cap), NOTE_ILLUSTRATIVE),
                };
                push(done, Step::Total { year: 2016, cents, note });
                // 2017: the published increases for Denver, illustrative changes for six others.
                let later = if let Some((_, pct)) = PUBLISHED_INCREASES.iter().find(|(k, _)| *k == key) {
                    Some((
                        cents * (100 + pct) / 100,
                        "illustrative: the 2016 figure times the increase the ILSR study published",
                    ))
                } else {
                    CHANGES_2017.iter().find(|(k, _)| *k == key).map(|(_, t)| {
                        let c = foiatrack::views::report::div_round(cents as i128 * (1000 + *t) as i128, 1000) as i64;
                        (c, NOTE_ILLUSTRATIVE)
                    })
                };
                if let Some((c, note)) = later {
                    push(done, Step::Total { year: 2017, cents: c, note });
                }
            }
            push(done, Step::Log(ev(EventKind::Completed, done)));
            continue;
        }
        // The thirty without figures.
        if rejected < 5 {
            rejected += 1;
            push(ack, Step::Log(ev(EventKind::Acknowledged, ack)));
            let mut rej = ev(EventKind::Rejected, day(20 + rejected * 3));
            rej.note = Some("the agency cites an exemption for procurement records".into());
            push(day(20 + rejected * 3), Step::Log(rej));
            if rejected == 1 {
                push(day(40), Step::Log(ev(EventKind::Reopened, day(40))));
                push(day(40), Step::Log(ev(EventKind::Appealed, day(40))));
            }
        } else if no_records < 5 {
            no_records += 1;
            let mut nr = ev(EventKind::NoRecords, day(15 + no_records * 4));
            nr.note = Some("the agency says it made no purchases from Amazon in 2016".into());
            push(day(15 + no_records * 4), Step::Log(nr));
        } else if withdrawn < 1 {
            withdrawn += 1;
            let mut w = ev(EventKind::Withdrawn, day(30));
            w.note = Some("duplicate of an earlier request".into());
            push(day(30), Step::Log(w));
        } else {
            open += 1;
            match open {
                1..=4 => {
                    push(ack, Step::Log(ev(EventKind::Acknowledged, ack)));
                    let mut ext = ev(EventKind::Extended, day(12));
                    ext.days = Some(15);
                    push(day(12), Step::Log(ext));
                }
                5 => {
                    let mut fee = ev(EventKind::Fee, day(60));
                    fee.amount_cents = Some(75_00);
                    push(day(60), Step::Log(fee));
                }
                6 => {
                    push(ack, Step::Log(ev(EventKind::Acknowledged, ack)));
                    push(day(50), Step::Log(ev(EventKind::Partial, day(50))));
                    // A partial release: its 2017 total only (an agency in one year of two).
                    push(day(50), Step::Total { year: 2017, cents: 64_210_55, note: NOTE_ILLUSTRATIVE });
                }
                7 => {
                    let mut est = ev(EventKind::Estimated, day(20));
                    est.until = Some(day(110));
                    push(day(20), Step::Log(est));
                }
                _ => {} // no word at all: they get follow-ups
            }
        }
    }
    steps.push((day(45), String::new(), Step::FollowupRound));
    steps.push((day(70), String::new(), Step::FollowupRound));
    steps.retain(|(d, _, _)| *d <= today);
    steps.sort_by_key(|(d, code, s)| (*d, matches!(s, Step::FollowupRound), code.clone()));

    let mut replies = 0;
    let mut followups = 0;
    for (d, code, step) in steps {
        match step {
            Step::Log(e) => {
                foiatrack::ops::request::log(&mut conn, &code, &e, today)?;
            }
            Step::Total { year, cents, note } => ingest::record_total(&mut conn, &code, year, cents, Some(note), d)?,
            Step::Reply { subject, body, html, attachments } => {
                let raw = reply_email(&conn, &code, d, &subject, &body, html, &attachments)?;
                intake::import_message(&mut conn, &store, raw.as_bytes(), &format!("demo reply {code}"), today)?;
                replies += 1;
            }
            Step::ImportAttachment(n) => {
                let (att, path) = foiatrack::store::mail::attachment_path(&conn, &store, &code, n)?;
                ingest::import(&mut conn, &store, &code, &path, &att.file_name, &ingest::ImportOptions::default(), d)?;
            }
            Step::FollowupRound => {
                for chase in foiatrack::views::send::to_chase(&conn, Some(&c.slug), d)? {
                    if chase.agency_email.is_some() {
                        send_letter(&mut conn, &chase.tracking_code, LetterKind::Followup, &mut files, &sender, d)?;
                    } else {
                        let l = foiatrack::views::letter::letter(&conn, &chase.tracking_code, LetterKind::Followup, d)?;
                        send::record_paper(&mut conn, &l, "the agency's portal", d)?;
                    }
                    followups += 1;
                }
            }
        }
    }
    println!("Replayed the season up to {today}: {replies} email replies matched, {followups} follow-ups sent.");
    println!();

    let r = foiatrack::views::report::responses(&conn, Some(&c.slug), today)?;
    print_findings(&conn, &c.slug, &r, today, &report_path)?;
    println!();
    println!("Database: {}", db_path.display());
    println!("Outbox:   {}", outbox.display());
    println!("Report:   {}", report_path.display());
    println!();
    println!(
        "Keep exploring (after `cargo install --path .`, or with `cargo run --release --` in place of `foiatrack`):"
    );
    let db = db_path.display();
    println!("  foiatrack --db {db} --today {today} due");
    println!("  foiatrack --db {db} --today {today} request show AMZ16-0013");
    println!("  foiatrack --db {db} --today {today} deadline AMZ16-0013");
    println!("  foiatrack --db {db} --today {today} followup --campaign amazon-2016 --list");
    println!("  foiatrack --db {db} --today {today} report spending --campaign amazon-2016 --format md");
    println!("  foiatrack --db {db} --today {today} report spending --campaign amazon-2016 --sort per-capita");
    println!("  foiatrack --db {db} --today {today} report spending --campaign amazon-2016 --year 2017 --compare 2016");
    println!("  foiatrack --db {db} --today {today} report vendors --campaign amazon-2016");
    println!("  foiatrack --db {db} --today {today} campaign vendor-map list amazon-2016");
    Ok(())
}

/// "published" or "illustrative" for an agency's 2016 figure in the demo.
fn provenance(key: &str) -> &'static str {
    if PUBLISHED.iter().any(|(k, _)| *k == key) { "published" } else { "illustrative" }
}

/// What the demo shows of the findings: the response summary, the study's statements
/// reproduced (each figure marked published or illustrative), and report.html.
fn print_findings(
    conn: &Connection,
    slug: &str,
    r: &foiatrack::views::report::ResponseReport,
    today: NaiveDate,
    report_path: &Path,
) -> anyhow::Result<()> {
    use foiatrack::core::money::format_cents;
    use foiatrack::views::render;
    use foiatrack::views::report::{self, SpendingOptions, SpendingSort};
    let s = report::spending(conn, Some(slug), Some(2016), today)?;
    let per_capita = report::spending_report(
        conn,
        Some(slug),
        &SpendingOptions { year: Some(2016), sort: SpendingSort::PerCapita, ..Default::default() },
        today,
    )?;
    let change = report::spending_report(
        conn,
        Some(slug),
        &SpendingOptions { year: Some(2017), compare: Some(2016), ..Default::default() },
        today,
    )?;
    let vendors = report::vendors(conn, slug, Some(2016), today)?;

    print!("{}", render::render_text(&[render::responses_section(r)]).split("\nBy kind").next().unwrap_or(""));
    println!();
    println!(
        "Figures marked \"published\" are the ILSR study's (2016-17); every other figure is illustrative, made up for the demo."
    );
    println!();
    println!("== Top 10 spenders, 2016 ==");
    println!(
        "{}",
        super::output::table(
            &["rank", "agency", "state", "total", "per_capita", "source", "figure"],
            s.rows.iter().take(10).map(|row| vec![
                row.rank.map(|n| n.to_string()).unwrap_or_default(),
                row.agency_name.clone(),
                row.state.clone(),
                format_cents(row.total_cents),
                row.per_capita_cents.map(format_cents).unwrap_or_default(),
                row.source.clone(),
                provenance(&row.agency_key).into(),
            ])
        )
    );
    println!(
        "{} agencies reported figures, {} in all (median {}).",
        s.agencies_reporting,
        format_cents(s.sum_cents),
        s.median_cents.map(format_cents).unwrap_or_default()
    );
    println!();
    println!("== Per capita, 2016 (report spending --sort per-capita) ==");
    println!(
        "{}",
        super::output::table(
            &["rank", "agency", "state", "per_capita", "total", "population", "figure"],
            per_capita.rows.iter().take(5).map(|row| vec![
                row.rank.map(|n| n.to_string()).unwrap_or_default(),
                row.agency_name.clone(),
                row.state.clone(),
                row.per_capita_cents.map(format_cents).unwrap_or_default(),
                format_cents(row.total_cents),
                row.population.map(|p| p.to_string()).unwrap_or_default(),
                if row.agency_key == "denver-public-schools-co" {
                    "published: third, $2.29".into()
                } else {
                    provenance(&row.agency_key).to_string()
                },
            ])
        )
    );
    println!();
    println!("== 2017 compared with 2016 (report spending --year 2017 --compare 2016) ==");
    println!(
        "{}",
        super::output::table(
            &["agency", "state", "2016", "2017", "change", "figures"],
            change.rows.iter().filter(|row| row.change_percent.is_some()).map(|row| vec![
                row.agency_name.clone(),
                row.state.clone(),
                row.previous_total_cents.map(format_cents).unwrap_or_default(),
                format_cents(row.total_cents),
                row.change_percent.map(|c| format!("{c:+.1}%")).unwrap_or_default(),
                match PUBLISHED_INCREASES.iter().find(|(k, _)| *k == row.agency_key) {
                    Some((_, pct)) => format!("published: +{pct}%; amounts illustrative"),
                    None => "illustrative".into(),
                },
            ])
        )
    );
    if let Some(cmp) = &change.comparison {
        println!(
            "{} agencies with figures for both years (median change {}); {} for 2017 only, {} for 2016 only.",
            cmp.agencies_in_both,
            cmp.median_change_percent.map(|c| format!("{c:+.1}%")).unwrap_or_else(|| "-".into()),
            cmp.only_in_year.len(),
            cmp.only_in_compare_year.len()
        );
    }
    println!();
    if let Some(rutland) = s.rows.iter().find(|row| row.agency_key == RUTLAND.0) {
        println!(
            "City of Rutland, VT: {} in 2016 (published: less than $3,000; the cents are illustrative).",
            format_cents(rutland.total_cents)
        );
        println!();
    }
    println!("== Amazon Marketplace share, 2016: agencies that sent transactions (illustrative) ==");
    println!(
        "{}",
        super::output::table(
            &["agency", "state", "counted_transactions", "amazon_marketplace", "share"],
            vendors.agencies.iter().filter(|a| a.transactions > 0).map(|a| {
                let m = a.vendors.iter().find(|l| l.vendor.as_deref() == Some("Amazon Marketplace"));
                vec![
                    a.agency_name.clone(),
                    a.state.clone(),
                    format_cents(a.transactions_cents),
                    m.map(|l| format_cents(l.total_cents)).unwrap_or_else(|| format_cents(0)),
                    m.and_then(|l| l.share_percent).map(|p| format!("{p:.1}%")).unwrap_or_else(|| "0.0%".into()),
                ]
            })
        )
    );
    println!(
        "The study's point: buying from local sellers through Amazon Marketplace still pays Amazon a cut of each sale.\n{} spelling{} the vendor pattern but no vendor-map entry: see `report vendors`.",
        vendors.review.len(),
        if vendors.review.len() == 1 { " matches" } else { "s match" }
    );
    let mut compared = render::spending_section(&change);
    compared.id = "spending-2017".into();
    let sections =
        [render::responses_section(r), render::spending_section(&s), compared, render::vendors_section(&vendors)];
    let html = render::render_html(
        "Amazon purchases 2016: findings",
        r.campaign.clone(),
        r.records.clone(),
        today,
        &sections,
    )?;
    std::fs::write(report_path, html)?;
    Ok(())
}

/// An agency's reply to the request letter, threaded to it by In-Reply-To.
fn reply_email(
    conn: &Connection,
    code: &str,
    on: NaiveDate,
    subject: &str,
    body: &str,
    html: bool,
    attachments: &[(String, String)],
) -> anyhow::Result<String> {
    let req = request::find(conn, code)?;
    let from = req.agency_email.clone().unwrap_or_else(|| "records@agency.example.org".into());
    let in_reply_to: Option<String> = conn
        .query_row(
            "SELECT message_id FROM communications WHERE request_id = ?1 AND direction = 'outbound' AND letter = 'request'",
            [req.id],
            |r| r.get(0),
        )
        .ok();
    let date = on.format("%a, %d %b %Y 10:00:00 -0500");
    let mut raw = format!(
        "From: Records Office <{from}>\r\nTo: Jane Doe <jane@newsroom.example.org>\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: <reply.{code}.{}@agency.example.org>\r\nMIME-Version: 1.0\r\n",
        on.format("%Y%m%d")
    );
    if let Some(id) = in_reply_to {
        raw += &format!("In-Reply-To: {id}\r\nReferences: {id}\r\n");
    }
    match attachments {
        [] if html => {
            raw += &format!(
                "Content-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>{body}</p><p>Records Office</p></body></html>\r\n"
            )
        }
        [] => raw += &format!("Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n\r\nRecords Office\r\n"),
        files => {
            raw += "Content-Type: multipart/mixed; boundary=\"demo-boundary\"\r\n\r\n";
            raw += &format!("--demo-boundary\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n");
            for (name, content) in files {
                raw += &format!(
                    "--demo-boundary\r\nContent-Type: text/csv; charset=utf-8\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\r\n{content}\r\n"
                );
            }
            raw += "--demo-boundary--\r\n";
        }
    }
    Ok(raw)
}

/// Renders and sends one letter, as `send` does.
fn send_letter(
    conn: &mut rusqlite::Connection,
    code: &str,
    kind: LetterKind,
    mailer: &mut FileMailer,
    sender: &Sender,
    on: NaiveDate,
) -> foiatrack::Result<send::Outcome> {
    let letter = foiatrack::views::letter::letter(conn, code, kind, on)?;
    send::send(conn, &letter, mailer, sender, on)
}
