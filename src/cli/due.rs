use super::Context;
use super::output::{DocFormat, opt, print_json, printable_line, table};
use foiatrack::views::request::Listed;

fn rows(list: &[Listed], days: impl Fn(&Listed) -> String) -> Vec<Vec<String>> {
    list.iter()
        .map(|l| {
            vec![
                l.request.tracking_code.clone(),
                l.request.agency_name.clone(),
                l.request.state.clone(),
                l.request.status.to_string(),
                opt(&l.request.due_on),
                days(l),
            ]
        })
        .collect()
}

/// A digest heading, and its table when there is anything to show.
fn section(heading: &str, empty: bool, table: impl FnOnce() -> String) {
    println!("{heading}");
    if !empty {
        println!("{}", table());
    }
}

/// The morning digest for staff.
pub fn run(campaign: Option<String>, format: DocFormat, ctx: &Context) -> anyhow::Result<()> {
    let conn = ctx.open()?;
    let d = foiatrack::views::request::digest(&conn, campaign, ctx.today)?;
    if format == DocFormat::Json {
        return print_json(&d);
    }
    let cols = ["tracking_code", "agency", "state", "status", "due_on", "business_days"];
    println!("Digest for {}", d.today);
    println!();
    // Only when there are any: the agency never got these letters.
    if !d.letters_bounced.is_empty() {
        section(&format!("Letters bounced ({}), the agency never got them:", d.letters_bounced.len()), false, || {
            table(
                &["tracking_code", "agency", "letter", "to", "status", "bounced_on"],
                d.letters_bounced.iter().map(|b| {
                    vec![
                        b.tracking_code.clone(),
                        b.agency_name.clone(),
                        b.letter.to_string(),
                        b.to.clone(),
                        opt(&b.status),
                        b.on.to_string(),
                    ]
                }),
            )
        });
        println!("Send each again to another address: foiatrack send --resend CODE --to ADDRESS");
        println!();
    }
    section(&format!("Overdue ({}), most late first:", d.overdue.len()), d.overdue.is_empty(), || {
        table(
            &cols,
            rows(&d.overdue, |l| {
                format!("{} late{}", l.overdue_days.unwrap_or(0), if l.very_overdue { " (very)" } else { "" })
            }),
        )
    });
    println!();
    section(&format!("Due in the next 7 days ({}):", d.due_soon.len()), d.due_soon.is_empty(), || {
        table(&cols, rows(&d.due_soon, |l| format!("{} left", l.days_left.unwrap_or(0))))
    });
    println!();
    section(&format!("Waiting on us ({}):", d.waiting_on_us.len()), d.waiting_on_us.is_empty(), || {
        table(
            &["tracking_code", "agency", "status", "since", "reason", "fee"],
            d.waiting_on_us.iter().map(|w| {
                vec![
                    w.tracking_code.clone(),
                    w.agency_name.clone(),
                    w.status.to_string(),
                    opt(&w.since),
                    w.reason.clone(),
                    w.fee_cents.map(foiatrack::core::money::format_cents).unwrap_or_default(),
                ]
            }),
        )
    });
    println!();
    section(&format!("Follow-ups due ({}):", d.followups_due.len()), d.followups_due.is_empty(), || {
        table(
            &["tracking_code", "agency", "state", "status", "due_on", "follow_up_from"],
            d.followups_due.iter().map(|l| {
                vec![
                    l.request.tracking_code.clone(),
                    l.request.agency_name.clone(),
                    l.request.state.clone(),
                    l.request.status.to_string(),
                    opt(&l.request.due_on),
                    opt(&l.request.followup_on),
                ]
            }),
        )
    });
    println!();
    section(
        &format!("Appeal windows closing ({}), soonest first:", d.appeal_windows.len()),
        d.appeal_windows.is_empty(),
        || {
            table(
                &["tracking_code", "agency", "state", "status", "file_with", "closes_on", "business_days"],
                d.appeal_windows.iter().map(|w| {
                    vec![
                        w.tracking_code.clone(),
                        w.agency_name.clone(),
                        w.state.clone(),
                        w.status.to_string(),
                        w.file_with.clone(),
                        w.closes_on.to_string(),
                        format!("{} left", w.days_left),
                    ]
                }),
            )
        },
    );
    Ok(())
}

/// One sentence on a bounced letter and how to send it again, its first line after `label` and
/// the second indented to match.
pub fn bounced_sentence(label: &str, b: &foiatrack::store::mail::BouncedLetter) -> String {
    let sent = b.sent_on.map(|d| format!(" of {d}")).unwrap_or_default();
    let status = b.status.as_deref().map(|s| format!(" ({})", printable_line(s))).unwrap_or_default();
    let via = b.failed_recipient.as_deref().map(|f| format!(", via {}", printable_line(f))).unwrap_or_default();
    format!(
        "{label}the {} letter{sent} to {} was not delivered{status}{via}; reported {}\n{}send it to another address: {}",
        b.letter,
        printable_line(&b.to),
        b.on,
        " ".repeat(label.chars().count()),
        b.resend
    )
}
