use chrono::Datelike;
use clap::{Args, Subcommand};

use super::Context;
use super::output::{Format, opt, print_json, print_list, printable, printable_line};
use foiatrack::core::daytype::DayType;
use foiatrack::store::law::{self, LawChange};

#[derive(Debug, Subcommand)]
pub enum LawCommand {
    /// List every jurisdiction's law: period, day type, citation
    #[command(after_help = "Examples:\n  foiatrack law list\n  foiatrack law list --format json")]
    List {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Everything known about one jurisdiction's law, notes and sources included
    #[command(after_help = "Example:\n  foiatrack law show CO")]
    Show {
        /// Two-letter code: a state, DC, or US for federal FOIA
        code: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Correct a law when a legislature changes it (kept across `init`)
    #[command(
        after_help = "Examples:\n  foiatrack law set CO --days 3 --day-type business --note \"HB 24-1234\"\n  foiatrack law set PA --appeal-days 15 --appeal-day-type business --appeal-body \"Office of Open Records\""
    )]
    Set(Box<SetArgs>),
    /// Drop a correction and go back to the built-in facts
    #[command(after_help = "Example:\n  foiatrack law reset CO")]
    Reset { code: String },
}

#[derive(Debug, Args)]
pub struct SetArgs {
    code: String,
    /// Response period in days
    #[arg(long)]
    days: Option<u32>,
    /// business, calendar, or none (no fixed period)
    #[arg(long, value_parser = parse_day_type)]
    day_type: Option<DayType>,
    #[arg(long)]
    citation: Option<String>,
    /// The law's name
    #[arg(long)]
    name: Option<String>,
    /// Days an agency may extend by
    #[arg(long)]
    extension_days: Option<u32>,
    /// Why the law was corrected (a bill number, a source)
    #[arg(long)]
    note: Option<String>,
    /// The citation letters use (the law's sections, no remarks)
    #[arg(long)]
    letter_citation: Option<String>,
    /// administrative, external_review, court_only or both (administrative, then external review)
    #[arg(long)]
    appeal_kind: Option<String>,
    /// Whom an appeal or petition is addressed to, e.g. "Office of Open Records"
    #[arg(long)]
    appeal_body: Option<String>,
    /// agency (an officer within the agency) or body (an outside body; the agency is copied)
    #[arg(long)]
    appeal_addressed_to: Option<String>,
    /// Which agencies the appeal route covers: all, state_agencies or executive_agencies
    #[arg(long)]
    appeal_binds: Option<String>,
    /// Days to file an appeal or petition
    #[arg(long)]
    appeal_days: Option<u32>,
    /// business or calendar; none removes the appeal deadline
    #[arg(long, value_parser = parse_day_type)]
    appeal_day_type: Option<DayType>,
    /// What starts the appeal window: denial, denial_or_deemed_denial or denial_or_request
    #[arg(long)]
    appeal_window_from: Option<String>,
    /// The section that gives the appeal, petition or court remedy
    #[arg(long)]
    appeal_citation: Option<String>,
    /// What a court offers, as a phrase: "an action in district court"
    #[arg(long)]
    court_remedy: Option<String>,
    /// What silence past the period means: yes (deemed denial), no, or deemed_approved
    #[arg(long)]
    constructive_denial: Option<String>,
    /// The section that says so
    #[arg(long)]
    constructive_denial_citation: Option<String>,
    /// Days of written notice the law requires before suing (0 removes it)
    #[arg(long)]
    notice_days: Option<u32>,
    /// business or calendar, for --notice-days
    #[arg(long, value_parser = parse_day_type)]
    notice_day_type: Option<DayType>,
    /// Whom the response period binds: all, state_agencies or executive_agencies
    #[arg(long)]
    period_binds: Option<String>,
    /// Who may request: anyone, state_citizens or state_residents
    #[arg(long)]
    eligibility: Option<String>,
}

/// A value for an enumerated field, checked before it is stored.
fn checked<T: std::str::FromStr<Err = foiatrack::Error> + std::fmt::Display>(v: &str) -> anyhow::Result<String> {
    Ok(v.parse::<T>()?.to_string())
}

/// The route and scope corrections given, by field name.
fn fields(a: &SetArgs) -> anyhow::Result<std::collections::BTreeMap<&'static str, String>> {
    use foiatrack::core::route::{AddressedTo, AppealKind, Binds, ConstructiveDenial, Eligibility, WindowFrom};
    let mut f = std::collections::BTreeMap::new();
    let mut put = |k: &'static str, v: Option<String>| {
        if let Some(v) = v {
            f.insert(k, v);
        }
    };
    put("letter_citation", a.letter_citation.clone());
    put("appeal_kind", a.appeal_kind.as_deref().map(checked::<AppealKind>).transpose()?);
    put("appeal_body", a.appeal_body.clone());
    put("appeal_addressed_to", a.appeal_addressed_to.as_deref().map(checked::<AddressedTo>).transpose()?);
    put("appeal_binds", a.appeal_binds.as_deref().map(checked::<Binds>).transpose()?);
    put("appeal_window_from", a.appeal_window_from.as_deref().map(checked::<WindowFrom>).transpose()?);
    put("appeal_citation", a.appeal_citation.clone());
    put("court_remedy", a.court_remedy.clone());
    put("constructive_denial", a.constructive_denial.as_deref().map(checked::<ConstructiveDenial>).transpose()?);
    put("constructive_denial_citation", a.constructive_denial_citation.clone());
    put("period_binds", a.period_binds.as_deref().map(checked::<Binds>).transpose()?);
    put("eligibility", a.eligibility.as_deref().map(checked::<Eligibility>).transpose()?);
    match (a.appeal_days, a.appeal_day_type) {
        (Some(_), Some(DayType::None)) => anyhow::bail!("--appeal-days cannot be given with --appeal-day-type none"),
        (_, Some(DayType::None)) => {
            f.insert("appeal_days", String::new());
            f.insert("appeal_day_type", String::new());
        }
        (days, t) => {
            if let Some(d) = days {
                f.insert("appeal_days", d.to_string());
            }
            if let Some(t) = t {
                f.insert("appeal_day_type", t.to_string());
            }
        }
    }
    match (a.notice_days, a.notice_day_type) {
        (Some(0), _) | (None, Some(DayType::None)) => {
            f.insert("pre_suit_notice_days", String::new());
            f.insert("pre_suit_notice_day_type", String::new());
        }
        (Some(_), Some(DayType::None)) => anyhow::bail!("--notice-days cannot be given with --notice-day-type none"),
        (days, t) => {
            if let Some(d) = days {
                f.insert("pre_suit_notice_days", d.to_string());
            }
            if let Some(t) = t {
                f.insert("pre_suit_notice_day_type", t.to_string());
            }
        }
    }
    Ok(f)
}

pub fn parse_day_type(s: &str) -> Result<DayType, String> {
    s.parse().map_err(|e: foiatrack::Error| e.to_string())
}

pub fn run(cmd: LawCommand, ctx: &Context) -> anyhow::Result<()> {
    let mut conn = ctx.open()?;
    match cmd {
        LawCommand::List { format } => {
            let laws = law::list(&conn)?;
            print_list(
                format,
                &laws,
                &[
                    "code",
                    "short_name",
                    "response_days",
                    "day_type",
                    "extension_days",
                    "citation",
                    "appeal",
                    "period_binds",
                    "eligibility",
                    "corrected",
                ],
                |l| {
                    vec![
                        l.code.clone(),
                        l.short_name.clone(),
                        opt(&l.response_days),
                        l.day_type.to_string(),
                        opt(&l.extension_days),
                        l.citation.clone(),
                        l.appeal_route.as_ref().map(|r| r.appeal_kind.to_string()).unwrap_or_default(),
                        l.scope.as_ref().map(|c| c.period_binds.to_string()).unwrap_or_default(),
                        l.scope.as_ref().map(|c| c.eligibility.to_string()).unwrap_or_default(),
                        if l.correction.is_some() { "yes".into() } else { String::new() },
                    ]
                },
            )
        }
        LawCommand::Show { code, format } => {
            let l = law::get(&conn, &code)?;
            match format {
                Format::Json => print_json(&l),
                Format::Csv => print_list(format, std::slice::from_ref(&l), &["code", "law_name", "citation"], |l| {
                    vec![l.code.clone(), l.law_name.clone(), l.citation.clone()]
                }),
                Format::Table => {
                    print!("{}", printable(&describe(&l)));
                    print!("{}", printable(&holidays(&conn, &l.code, ctx.today.year())?));
                    Ok(())
                }
            }
        }
        LawCommand::Set(a) => {
            let fields = fields(&a)?;
            let change = LawChange {
                law_name: a.name,
                citation: a.citation,
                response_days: a.days,
                day_type: a.day_type,
                extension_days: a.extension_days,
                note: a.note,
                fields,
            };
            if change.is_empty() {
                anyhow::bail!(
                    "nothing to change: give --days, --day-type, --citation, --name, --extension-days, --note, or an --appeal-*, --notice-*, --period-binds or --eligibility correction"
                );
            }
            let l = foiatrack::ops::law::set(&mut conn, &a.code, &change, ctx.today)?;
            println!(
                "Corrected {}: {} ({}), {}",
                l.code,
                printable_line(&l.law_name),
                printable_line(&l.citation),
                l.period()
            );
            Ok(())
        }
        LawCommand::Reset { code } => {
            let l = foiatrack::ops::law::reset(&mut conn, &code)?;
            println!(
                "{} is back to the built-in law: {} ({}), {}",
                l.code,
                printable_line(&l.law_name),
                printable_line(&l.citation),
                l.period()
            );
            Ok(())
        }
    }
}

fn describe(l: &law::Law) -> String {
    let mut s = String::new();
    s += &format!("{} — {} ({})\n", l.code, l.law_name, l.short_name);
    s += &format!("Citation:        {}\n", l.citation);
    s += &format!("In letters:      {}\n", l.letter_citation);
    s += &format!("Response period: {}\n", l.period());
    if let Some(e) = l.extension_days {
        s += &format!("Extension:       up to {e} days\n");
    }
    if let Some(c) = &l.scope {
        let cite = |c: &Option<String>| c.as_ref().map(|c| format!(" ({c})")).unwrap_or_default();
        s += &format!("Period binds:    {}{}\n", c.period_binds.describe(), cite(&c.period_binds_citation));
        if !c.period_binds_note.is_empty() {
            s += &format!("                 {}\n", c.period_binds_note);
        }
        s += &format!("Who may request: {}{}\n", c.eligibility.describe(), cite(&c.eligibility_citation));
        if !c.eligibility_note.is_empty() {
            s += &format!("                 {}\n", c.eligibility_note);
        }
    }
    if let Some(r) = &l.appeal_route {
        s += &route_lines(r);
    } else {
        s += "Appeal route:    not loaded (run `foiatrack init`)\n";
    }
    if let Some(c) = &l.correction {
        s += &format!("Corrected by user on {}:\n", c.set_on);
        for ch in &c.changes {
            s += &format!("  {ch}\n");
        }
        if !c.note.is_empty() {
            s += &format!("  note: {}\n", c.note);
        }
    }
    s += &format!("Notes:           {}\n", l.notes);
    if let Some(r) = &l.appeal_route {
        s += &format!("Appeal notes:    {}\n", r.notes);
    }
    let mut seen = std::collections::BTreeSet::new();
    s += "Sources:\n";
    let all = [
        Some(l.source.as_str()),
        l.appeal_route.as_ref().map(|r| r.sources.as_str()),
        l.scope.as_ref().map(|c| c.sources.as_str()),
    ];
    for src in all.into_iter().flatten().flat_map(|x| x.split('|')).map(str::trim).filter(|s| !s.is_empty()) {
        if seen.insert(src.to_string()) {
            s += &format!("  {src}\n");
        }
    }
    s
}

/// The appeal route, line by line: the next step, its window, what silence means, the court.
fn route_lines(r: &foiatrack::core::route::Route) -> String {
    use foiatrack::core::route::{AppealKind, Binds, ConstructiveDenial};
    let mut s = String::new();
    let cite = |c: &Option<String>| c.as_ref().map(|c| format!(" ({c})")).unwrap_or_default();
    let body = r.appeal_body.clone().unwrap_or_default();
    let route = match r.appeal_kind {
        AppealKind::Administrative => format!("administrative appeal to the {body}{}", cite(&r.appeal_citation)),
        AppealKind::ExternalReview => format!("petition to the {body}{}, the agency copied", cite(&r.appeal_citation)),
        AppealKind::Both => {
            format!("administrative appeal to the {body}{}, then external review", cite(&r.appeal_citation))
        }
        AppealKind::CourtOnly => "no administrative appeal: court only".to_string(),
    };
    s += &format!("Appeal route:    {route}\n");
    if r.appeal_binds != Binds::All {
        s += &format!(
            "                 covers {}; other agencies: {}\n",
            r.appeal_binds.describe(),
            r.other_appeal_body
                .as_ref()
                .map(|b| format!("petition to the {b}{}", cite(&r.other_appeal_citation)))
                .unwrap_or_else(|| "final demand, then court".into())
        );
    }
    match (&r.appeal_deadline, r.appeal_window_from) {
        (Some(d), Some(from)) => {
            s += &format!("Appeal window:   {} from the {}\n", d.describe(), from.as_str().replace('_', " "))
        }
        _ if r.appeal_kind != AppealKind::CourtOnly => s += "Appeal window:   no number of days (see the note)\n",
        _ => {}
    }
    if !r.appeal_deadline_note.is_empty() {
        s += &format!("                 {}\n", r.appeal_deadline_note);
    }
    let silence = match r.constructive_denial {
        ConstructiveDenial::Yes => format!("deemed a denial{}", cite(&r.constructive_denial_citation)),
        ConstructiveDenial::DeemedApproved => {
            format!("the request is deemed approved, not denied{}", cite(&r.constructive_denial_citation))
        }
        ConstructiveDenial::No => "letters make no claim about what it means".into(),
    };
    s += &format!("Silence:         {silence}\n");
    if let Some(n) = &r.pre_suit_notice {
        s += &format!(
            "Before suing:    written notice at least {} ahead{}\n",
            n.describe(),
            cite(&r.pre_suit_notice_citation)
        );
    }
    if let Some(c) = &r.court_remedy {
        s += &format!(
            "Court:           {c}{}\n",
            if r.appeal_kind == AppealKind::CourtOnly { cite(&r.appeal_citation) } else { String::new() }
        );
    }
    s
}

/// The jurisdiction's holidays this year, each with where it comes from, and the calendar's sources.
fn holidays(conn: &rusqlite::Connection, code: &str, year: i32) -> anyhow::Result<String> {
    let cal = foiatrack::store::holiday::calendar(conn, code)?;
    let mut s = format!("Holidays {year}:\n");
    for h in cal.holidays(year) {
        let origin = serde_json::to_value(h.origin)?.as_str().unwrap_or_default().to_string();
        s += &format!("  {} {}  {} ({origin})\n", h.date, h.date.format("%a"), h.name);
    }
    s += "Holiday sources:\n";
    for src in foiatrack::core::calendar::sources(code) {
        s += &format!("  {src}\n");
    }
    Ok(s)
}
