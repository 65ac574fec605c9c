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

/// Totals as published for the ten largest spenders, and Rutland (Vermont), in dollars.
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
    ("city-of-rutland-vt", 2_847_13),
];

/// The agency whose raw p-card file is ingested with `data import`.
const RAW_FILE_AGENCY: &str = "city-of-boise-id";

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
        attachment: Option<(String, String)>,
    },
    Total(i64),
    ImportAttachment,
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

fn pcard_csv() -> String {
    let vendors =
        ["Amazon.com", "AMZN Mktp US", "Amazon Marketplace", "AmazonPrime Membership", "Staples", "Office Depot"];
    let mut rng = Lcg(1375);
    let mut out = String::from(
        "City of Boise\nPurchasing card transactions, January 1 - December 31, 2016\n\nTransaction Date,Merchant,Description,Amount\n",
    );
    for i in 0..600 {
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
        out += &format!(
            "{}/{}/2016,{},Supplies,{amount}\n",
            1 + rng.next(12),
            1 + rng.next(28),
            vendors[rng.next(vendors.len() as u64) as usize]
        );
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
            k != RAW_FILE_AGENCY && !PUBLISHED.iter().any(|(p, _)| *p == k)
        })
        .map(|(i, _)| i)
        .collect();
    candidates.sort_by_key(|i| (i * 37) % 91);
    let answering: std::collections::BTreeSet<usize> = candidates.into_iter().take(48).collect();
    let (mut rejected, mut no_records, mut withdrawn, mut open) = (0, 0, 0, 0);
    for (i, l) in requests.iter().enumerate() {
        let r = &l.request;
        let code = r.tracking_code.clone();
        let key = r.agency_key.as_str();
        let ack = day(2 + rng.next(6) as i64);
        let done = day(25 + rng.next(60) as i64);
        let published = PUBLISHED.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
        let mut push = |d: NaiveDate, s: Step| steps.push((d, code.clone(), s));
        let figures = published.is_some() || key == RAW_FILE_AGENCY || answering.contains(&i);
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
                        attachment: None,
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
            if key == RAW_FILE_AGENCY {
                push(
                    done,
                    Step::Reply {
                        subject: format!("{code}: records"),
                        body: "Attached are our purchasing-card transactions for 2016.".into(),
                        html: false,
                        attachment: Some(("boise-pcard-2016.csv".into(), pcard_csv())),
                    },
                );
                push(done, Step::ImportAttachment);
            } else {
                let cents =
                    published.unwrap_or_else(|| (5_000 + (i as i64 * 7919) % 180_000) * 100 + (i as i64 * 37) % 100);
                push(done, Step::Total(cents));
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
            Step::Total(cents) => {
                ingest::record_total(&mut conn, &code, 2016, cents, Some("total reported by the agency"), d)?
            }
            Step::Reply { subject, body, html, attachment } => {
                let raw = reply_email(&conn, &code, d, &subject, &body, html, attachment.as_ref())?;
                intake::import_message(&mut conn, &store, raw.as_bytes(), &format!("demo reply {code}"), today)?;
                replies += 1;
            }
            Step::ImportAttachment => {
                let (att, path) = foiatrack::store::mail::attachment_path(&conn, &store, &code, 1)?;
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
    let s = foiatrack::views::report::spending(&conn, Some(&c.slug), Some(2016), today)?;
    use foiatrack::views::render;
    print!("{}", render::render_text(&[render::responses_section(&r)]).split("\nBy kind").next().unwrap_or(""));
    println!();
    println!("== Top 10 spenders, 2016 ==");
    println!(
        "{}",
        super::output::table(
            &["rank", "agency", "state", "total", "per_capita", "source"],
            s.rows.iter().take(10).map(|row| vec![
                row.rank.to_string(),
                row.agency_name.clone(),
                row.state.clone(),
                foiatrack::core::money::format_cents(row.total_cents),
                row.per_capita_cents.map(foiatrack::core::money::format_cents).unwrap_or_default(),
                row.source.clone(),
            ])
        )
    );
    println!(
        "{} agencies reported figures, {} in all (median {}).",
        s.agencies_reporting,
        foiatrack::core::money::format_cents(s.sum_cents),
        s.median_cents.map(foiatrack::core::money::format_cents).unwrap_or_default()
    );
    let sections = [render::responses_section(&r), render::spending_section(&s)];
    let html = render::render_html(
        "Amazon purchases 2016: findings",
        r.campaign.clone(),
        r.records.clone(),
        today,
        &sections,
    )?;
    std::fs::write(&report_path, html)?;
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
    attachment: Option<&(String, String)>,
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
    match attachment {
        None if html => {
            raw += &format!(
                "Content-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>{body}</p><p>Records Office</p></body></html>\r\n"
            )
        }
        None => raw += &format!("Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n\r\nRecords Office\r\n"),
        Some((name, content)) => {
            raw += "Content-Type: multipart/mixed; boundary=\"demo-boundary\"\r\n\r\n";
            raw += &format!("--demo-boundary\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n");
            raw += &format!(
                "--demo-boundary\r\nContent-Type: text/csv; charset=utf-8\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\r\n{content}\r\n--demo-boundary--\r\n"
            );
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
