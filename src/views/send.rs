//! Outbound email: building messages from letters, and sending each exactly once.
//!
//! Every send is recorded as an outbound communication in state `sending` and committed before
//! the server is contacted; once the server accepts the message it is marked `sent` and the
//! request's event (`sent` or `followed-up`) is logged in the same transaction. A message left
//! in `sending` (the process died mid-send) is never re-sent silently: `resolve` settles it.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::core::status::Status;
use crate::store::outbox::{Pending, pending};
use crate::store::request;
use crate::views::request::{Filter, list};
use crate::{Error, Result};

/// The draft requests a send would pick, split by how they can go.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Drafts whose agency has an email.
    pub by_email: Vec<String>,
    /// Drafts whose agency has no email: to send by mail or portal.
    pub by_hand: Vec<String>,
    /// Named requests that are not drafts, with why they are skipped.
    pub skipped: Vec<(String, String)>,
    /// Messages left in 'sending' by an earlier run.
    pub unsettled: Vec<Pending>,
}

/// Which requests `send` would send: the named codes, or a campaign's drafts.
pub fn plan(conn: &Connection, codes: &[String], campaign: Option<&str>) -> Result<Plan> {
    let unsettled = pending(conn)?;
    let stuck: Vec<&str> = unsettled.iter().map(|p| p.tracking_code.as_str()).collect();
    let mut plan = Plan::default();
    let requests: Vec<request::Request> = if codes.is_empty() {
        let slug = campaign.ok_or_else(|| Error::invalid("name tracking codes or --campaign SLUG"))?;
        let c = crate::store::campaign::get(conn, slug)?;
        let mut stmt =
            conn.prepare("SELECT tracking_code FROM requests WHERE campaign_id = ?1 AND status = 'draft'")?;
        let codes = stmt.query_map([c.id], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        codes.iter().map(|code| request::find(conn, code)).collect::<Result<Vec<_>>>()?
    } else {
        codes.iter().map(|c| request::find(conn, c)).collect::<Result<Vec<_>>>()?
    };
    let mut requests = requests;
    requests.sort_by(|a, b| a.tracking_code.cmp(&b.tracking_code));
    for r in requests {
        if r.status != Status::Draft {
            plan.skipped.push((r.tracking_code.clone(), format!("already {}", r.status)));
        } else if stuck.contains(&r.tracking_code.as_str()) {
            // Reported in `unsettled`; never re-sent silently.
        } else if r.agency_email.is_some() {
            plan.by_email.push(r.tracking_code);
        } else {
            plan.by_hand.push(r.tracking_code);
        }
    }
    plan.unsettled = unsettled;
    Ok(plan)
}

/// Requests that need chasing on `today`, for `followup`.
#[derive(Debug, Clone, Serialize)]
pub struct Chase {
    pub tracking_code: String,
    pub agency_name: String,
    pub agency_email: Option<String>,
    pub state: String,
    pub status: Status,
    pub sent_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub followup_on: Option<NaiveDate>,
    pub overdue_days: Option<i64>,
    /// Which follow-up this would be (1 = first).
    pub followup_number: u32,
    /// Enough follow-ups went unanswered: appeal where the law provides one.
    pub ready_to_appeal: bool,
    /// The law's appeal route: administrative, external_review, court_only or both.
    pub appeal: crate::core::route::AppealKind,
    /// The letter `letter CODE --kind appeal` writes for this request: appeal, petition,
    /// notice-of-intent or final-demand.
    pub next_step: crate::core::letter::LetterKind,
    /// Where the next step goes when it is not the agency (a petition's review body).
    pub next_step_body: Option<String>,
}

/// Open requests past their follow-up date (overdue, or past the campaign's interval where the
/// law sets no period), not waiting on us, not before an agency's own estimate, and not chased
/// already today.
pub fn to_chase(conn: &Connection, campaign: Option<&str>, today: NaiveDate) -> Result<Vec<Chase>> {
    let threshold = crate::store::config::number(conn, "policy.followups_before_appeal")?;
    let list = list(conn, &Filter { campaign: campaign.map(String::from), ..Default::default() }, today)?;
    let mut out = Vec::new();
    for l in list {
        let r = &l.request;
        if !r.status.can_be_overdue() || r.followup_on.is_none_or(|f| f > today) {
            continue;
        }
        let chased_today: bool = conn
            .query_row(
                "SELECT 1 FROM communications WHERE request_id = ?1 AND letter = 'followup' AND created_on = ?2
                   AND state IN ('sending', 'sent')",
                params![r.id, today],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if chased_today {
            continue;
        }
        let law = crate::store::law::get(conn, &r.state)?;
        let route = law.route()?;
        let step = route.next_step(&r.kind);
        out.push(Chase {
            tracking_code: r.tracking_code.clone(),
            agency_name: r.agency_name.clone(),
            agency_email: r.agency_email.clone(),
            state: r.state.clone(),
            status: r.status,
            sent_on: r.sent_on,
            due_on: r.due_on,
            followup_on: r.followup_on,
            overdue_days: l.overdue_days,
            followup_number: r.followups + 1,
            ready_to_appeal: r.followups >= threshold && r.status != Status::Appealing,
            appeal: route.appeal_kind,
            next_step: step.kind,
            next_step_body: step.body,
        });
    }
    out.sort_by(|a, b| b.overdue_days.cmp(&a.overdue_days).then(a.tracking_code.cmp(&b.tracking_code)));
    Ok(out)
}

/// Agencies under a law that gives the right to request to its own citizens or residents only,
/// when the requester (`requester.state`) is from elsewhere or has not said: one warning per
/// state, naming the agencies, so staff can arrange a local requester.
pub fn eligibility_warnings(conn: &Connection, codes: &[String]) -> Result<Vec<String>> {
    use crate::core::route::Eligibility;
    use std::collections::BTreeMap;
    let requester_state = crate::store::config::get(conn, "requester.state")?;
    let mut by_state: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for code in codes {
        let r = request::find(conn, code)?;
        if requester_state.as_deref() == Some(r.state.as_str()) {
            continue;
        }
        by_state.entry(r.state.clone()).or_default().push(r.agency_name.clone());
    }
    let mut out = Vec::new();
    for (state, agencies) in by_state {
        let law = crate::store::law::get(conn, &state)?;
        let Some(scope) = &law.scope else { continue };
        if scope.eligibility == Eligibility::Anyone {
            continue;
        }
        let who = match &requester_state {
            Some(s) => format!("the requester's state is {s}"),
            None => "requester.state is not set (`foiatrack config set requester.state XX`)".into(),
        };
        out.push(format!(
            "warning: {who}, and the {} ({state}) gives the right to request to {}{}: arrange a local requester for {}",
            law.law_name,
            scope.eligibility.describe(),
            scope.eligibility_citation.as_ref().map(|c| format!(" ({c})")).unwrap_or_default(),
            agencies.join(", ")
        ));
    }
    Ok(out)
}
