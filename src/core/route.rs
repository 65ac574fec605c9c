//! What a jurisdiction's law provides after a denial or silence (its appeal route), whom its
//! response period binds, and who may request under it: the structured facts of
//! `data/appeals.csv` and `data/law_scope.csv`, and the pure decisions made from them — the next
//! step a request can take and the window an appeal must be filed in. No SQL, no I/O.

use chrono::{Duration, NaiveDate};
use serde::Serialize;

use crate::core::calendar::Calendar;
use crate::core::daytype::DayType;
use crate::core::deadline::explain_count;
use crate::core::deadline::{Period, add_business_days};
use crate::core::letter::LetterKind;
use crate::core::status::Status;

crate::string_enum!(AppealKind {
    Administrative = "administrative",
    ExternalReview = "external_review",
    CourtOnly = "court_only",
    Both = "both",
});

crate::string_enum!(AddressedTo { Agency = "agency", Body = "body" });

crate::string_enum!(Binds { All = "all", StateAgencies = "state_agencies", ExecutiveAgencies = "executive_agencies" });

crate::string_enum!(ConstructiveDenial { Yes = "yes", No = "no", DeemedApproved = "deemed_approved" });

crate::string_enum!(WindowFrom {
    Denial = "denial",
    DenialOrDeemedDenial = "denial_or_deemed_denial",
    DenialOrRequest = "denial_or_request",
});

crate::string_enum!(Eligibility { Anyone = "anyone", StateCitizens = "state_citizens", StateResidents = "state_residents" });

impl Binds {
    /// Whether a rule with this reach binds an agency of `kind` (agency kinds: city, county,
    /// school_district, state_agency, special_district, other). Agency kinds do not tell the
    /// branches of state government apart, so executive agencies are the `state_agency` kind.
    pub fn covers(self, agency_kind: &str) -> bool {
        self == Binds::All || agency_kind == "state_agency"
    }

    /// "state executive-branch agencies only", for explanations.
    pub fn describe(self) -> &'static str {
        match self {
            Binds::All => "every agency under the law",
            Binds::StateAgencies => "state agencies only",
            Binds::ExecutiveAgencies => "state executive-branch agencies only",
        }
    }
}

impl Eligibility {
    pub fn describe(self) -> &'static str {
        match self {
            Eligibility::Anyone => "anyone",
            Eligibility::StateCitizens => "citizens of the state only",
            Eligibility::StateResidents => "residents of the state only",
        }
    }
}

/// A number of days and how they are counted (business or calendar).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Days {
    pub days: u32,
    pub day_type: DayType,
}

impl Days {
    pub fn describe(&self) -> String {
        format!("{} {} day{}", self.days, self.day_type, if self.days == 1 { "" } else { "s" })
    }
}

/// A law's route after a denial or silence (one row of `data/appeals.csv`, with corrections).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    pub appeal_kind: AppealKind,
    /// Whom the appeal or petition is addressed to; none where only a court remains.
    pub appeal_body: Option<String>,
    /// Whether that body is reached through the agency (its head or appeals officer) or is
    /// outside it (the letter is then addressed to the body, the agency copied).
    pub appeal_addressed_to: Option<AddressedTo>,
    /// Which agencies the appeal route covers.
    pub appeal_binds: Binds,
    /// Where agencies outside `appeal_binds` go instead (e.g. Oregon's district attorney).
    pub other_appeal_body: Option<String>,
    pub other_appeal_citation: Option<String>,
    /// What a court offers, as a phrase: "an application to the district court".
    pub court_remedy: Option<String>,
    /// The filing window for the appeal or petition, where the law gives a number.
    pub appeal_deadline: Option<Days>,
    pub appeal_window_from: Option<WindowFrom>,
    /// The researched text about the deadline, kept as found ("unverified: ..." included).
    pub appeal_deadline_note: String,
    pub constructive_denial: ConstructiveDenial,
    pub constructive_denial_citation: Option<String>,
    pub constructive_denial_note: String,
    /// Notice the law requires before suing (Colorado: 14 days).
    pub pre_suit_notice: Option<Days>,
    pub pre_suit_notice_citation: Option<String>,
    pub pre_suit_notice_note: String,
    /// The section that gives the appeal or petition (or the court remedy).
    pub appeal_citation: Option<String>,
    pub sources: String,
    pub notes: String,
}

/// Whom a law's period binds and who may request under it (one row of `data/law_scope.csv`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Coverage {
    pub period_binds: Binds,
    pub period_binds_citation: Option<String>,
    pub period_binds_note: String,
    pub eligibility: Eligibility,
    pub eligibility_citation: Option<String>,
    pub eligibility_note: String,
    pub sources: String,
}

/// The next step a request can take after a denial or silence, as a letter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Appeal, Petition, NoticeOfIntent or FinalDemand.
    pub kind: LetterKind,
    /// The body the letter is addressed to, where it is not the agency.
    pub body: Option<String>,
    /// The body reached through the agency (head of the agency, appeals officer).
    pub attention: Option<String>,
    /// The section the appeal, petition or notice rests on.
    pub citation: Option<String>,
    /// False when the route does not cover this agency and the court fallback was taken.
    pub covered: bool,
}

impl Route {
    /// The next step for an agency of `agency_kind` under this route.
    pub fn next_step(&self, agency_kind: &str) -> Step {
        if !self.appeal_binds.covers(agency_kind) {
            if let Some(body) = &self.other_appeal_body {
                return Step {
                    kind: LetterKind::Petition,
                    body: Some(body.clone()),
                    attention: None,
                    citation: self.other_appeal_citation.clone(),
                    covered: true,
                };
            }
            return Step { kind: LetterKind::FinalDemand, body: None, attention: None, citation: None, covered: false };
        }
        match (self.appeal_kind, &self.appeal_body) {
            (AppealKind::CourtOnly, _) | (_, None) => match self.pre_suit_notice {
                Some(_) => Step {
                    kind: LetterKind::NoticeOfIntent,
                    body: None,
                    attention: None,
                    citation: self.pre_suit_notice_citation.clone(),
                    covered: true,
                },
                None => Step {
                    kind: LetterKind::FinalDemand,
                    body: None,
                    attention: None,
                    citation: self.appeal_citation.clone(),
                    covered: true,
                },
            },
            (kind, Some(body)) => {
                let to_body = kind == AppealKind::ExternalReview || self.appeal_addressed_to == Some(AddressedTo::Body);
                Step {
                    kind: if kind == AppealKind::ExternalReview { LetterKind::Petition } else { LetterKind::Appeal },
                    body: to_body.then(|| body.clone()),
                    attention: (!to_body).then(|| body.clone()),
                    citation: self.appeal_citation.clone(),
                    covered: true,
                }
            }
        }
    }

    /// The filing window rule, when the route covers this agency and the law gives a number.
    pub fn window_rule(&self, agency_kind: &str) -> Option<WindowRule> {
        if !self.appeal_binds.covers(agency_kind) || self.appeal_kind == AppealKind::CourtOnly {
            return None;
        }
        Some(WindowRule {
            deadline: self.appeal_deadline?,
            from: self.appeal_window_from?,
            citation: self.appeal_citation.clone(),
            body: self.appeal_body.clone().unwrap_or_default(),
            deemed_denial_citation: self.constructive_denial_citation.clone(),
        })
    }
}

/// How long an appeal or petition may be filed, and from what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowRule {
    pub deadline: Days,
    pub from: WindowFrom,
    pub citation: Option<String>,
    pub body: String,
    pub deemed_denial_citation: Option<String>,
}

/// What started an appeal window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The agency's denial (or no-records answer) on that day.
    Denial,
    /// The response was due that day and none came: a deemed denial.
    DeemedDenial,
    /// No response: the window runs from the day the request was sent.
    Request,
}

/// An open (or closed) appeal window for one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Window {
    pub trigger: Trigger,
    pub from: NaiveDate,
    pub closes_on: NaiveDate,
    /// The counting, line by line.
    #[serde(skip)]
    pub steps: Vec<String>,
}

/// The facts of a request a window depends on (all on the cached request row).
#[derive(Debug, Clone, Copy)]
pub struct WindowFacts {
    pub status: Status,
    pub sent_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
}

/// The appeal window for a request on `today`: from a denial (or no-records answer), or, where
/// the law allows it, from silence past the due date. None once an appeal is made, while the
/// agency may still answer in time, or where nothing starts a window.
pub fn window(rule: &WindowRule, f: WindowFacts, cal: &Calendar, today: NaiveDate) -> Option<Window> {
    let (trigger, from) = match f.status {
        Status::Rejected | Status::NoRecords => (Trigger::Denial, f.closed_on?),
        Status::AwaitingAck | Status::AwaitingResponse => {
            let due = f.due_on?;
            if today <= due {
                return None;
            }
            match rule.from {
                WindowFrom::Denial => return None,
                WindowFrom::DenialOrDeemedDenial => (Trigger::DeemedDenial, due),
                WindowFrom::DenialOrRequest => (Trigger::Request, f.sent_on?),
            }
        }
        _ => return None,
    };
    let d = rule.deadline;
    let mut steps = Vec::new();
    let cite = rule.citation.as_deref().map(|c| format!(" ({c})")).unwrap_or_default();
    steps.push(format!(
        "Appeal window: {} to file with the {}{cite}, from {}.",
        d.describe(),
        rule.body,
        match rule.from {
            WindowFrom::Denial => "the denial",
            WindowFrom::DenialOrDeemedDenial => "the denial or deemed denial",
            WindowFrom::DenialOrRequest => "the response, or from the request when there was none",
        }
    ));
    steps.push(match trigger {
        Trigger::Denial => format!("Denied on {} (day 0).", day(from)),
        Trigger::DeemedDenial => format!(
            "Deemed denied{}: the response was due {} and none came (day 0).",
            rule.deemed_denial_citation.as_deref().map(|c| format!(" under {c}")).unwrap_or_default(),
            day(from)
        ),
        Trigger::Request => format!("No response: counted from the request sent {} (day 0).", day(from)),
    });
    let closes_on = match d.day_type {
        DayType::Business => {
            let period = Period::new(Some(d.days), DayType::Business);
            let mut lines = explain_count(cal, from, period);
            lines.pop();
            steps.extend(lines);
            add_business_days(cal, from, d.days)
        }
        _ => {
            let end = from.checked_add_signed(Duration::days(d.days as i64)).unwrap_or(from);
            steps.push(format!(
                "  {from} + {} calendar days = {} (a weekend or holiday is not skipped: file by then to be safe)",
                d.days,
                day(end)
            ));
            end
        }
    };
    steps.push(format!("Appeal window {} on {}.", if today > closes_on { "closed" } else { "closes" }, day(closes_on)));
    Some(Window { trigger, from, closes_on, steps })
}

fn day(d: NaiveDate) -> String {
    format!("{} {d}", d.format("%a"))
}

/// Whether a fee-waiver (or other user) text cites federal law, which a state letter should
/// not do without a word: "5 U.S.C." or "U.S.C. § 552".
pub fn cites_federal_law(text: &str) -> bool {
    let t = text.to_ascii_uppercase().replace(' ', "");
    t.contains("5U.S.C") || t.contains("U.S.C.§552") || t.contains("USC552") || t.contains("5USC")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn route(kind: AppealKind, body: Option<&str>) -> Route {
        Route {
            appeal_kind: kind,
            appeal_body: body.map(String::from),
            appeal_addressed_to: body
                .map(|_| if kind == AppealKind::ExternalReview { AddressedTo::Body } else { AddressedTo::Agency }),
            appeal_binds: Binds::All,
            other_appeal_body: None,
            other_appeal_citation: None,
            court_remedy: Some("an action in court".into()),
            appeal_deadline: None,
            appeal_window_from: None,
            appeal_deadline_note: String::new(),
            constructive_denial: ConstructiveDenial::No,
            constructive_denial_citation: None,
            constructive_denial_note: String::new(),
            pre_suit_notice: None,
            pre_suit_notice_citation: None,
            pre_suit_notice_note: String::new(),
            appeal_citation: Some("§ 1".into()),
            sources: String::new(),
            notes: String::new(),
        }
    }

    #[test]
    fn next_step_follows_the_route() {
        let pa = route(AppealKind::ExternalReview, Some("Office of Open Records"));
        let s = pa.next_step("city");
        assert_eq!(
            (s.kind, s.body.as_deref(), s.attention.as_deref()),
            (LetterKind::Petition, Some("Office of Open Records"), None)
        );
        let ny = route(AppealKind::Administrative, Some("records access appeals officer"));
        let s = ny.next_step("city");
        assert_eq!(
            (s.kind, s.body, s.attention.as_deref()),
            (LetterKind::Appeal, None, Some("records access appeals officer"))
        );
        let mut co = route(AppealKind::CourtOnly, None);
        assert_eq!(co.next_step("county").kind, LetterKind::FinalDemand);
        co.pre_suit_notice = Some(Days { days: 14, day_type: DayType::Calendar });
        assert_eq!(co.next_step("county").kind, LetterKind::NoticeOfIntent);
        let mut ak = route(AppealKind::Administrative, Some("head of the agency"));
        ak.appeal_binds = Binds::ExecutiveAgencies;
        assert_eq!(ak.next_step("state_agency").kind, LetterKind::Appeal);
        let city = ak.next_step("city");
        assert_eq!((city.kind, city.covered), (LetterKind::FinalDemand, false));
        ak.other_appeal_body = Some("district attorney of the county".into());
        assert_eq!(ak.next_step("city").kind, LetterKind::Petition);
    }

    #[test]
    fn pennsylvania_window_counts_business_days_from_the_deemed_denial() {
        let mut pa = route(AppealKind::ExternalReview, Some("Office of Open Records"));
        pa.appeal_deadline = Some(Days { days: 15, day_type: DayType::Business });
        pa.appeal_window_from = Some(WindowFrom::DenialOrDeemedDenial);
        let rule = pa.window_rule("city").unwrap();
        let cal = Calendar::federal();
        let silent = WindowFacts {
            status: Status::AwaitingAck,
            sent_on: Some(d("2026-03-02")),
            due_on: Some(d("2026-03-09")),
            closed_on: None,
        };
        assert_eq!(window(&rule, silent, &cal, d("2026-03-09")), None, "not yet deemed denied");
        let w = window(&rule, silent, &cal, d("2026-03-10")).unwrap();
        // Mon 03-09 + 15 business days = Mon 03-30.
        assert_eq!((w.trigger, w.closes_on), (Trigger::DeemedDenial, d("2026-03-30")));
        let denied = WindowFacts { status: Status::Rejected, closed_on: Some(d("2026-05-22")), ..silent };
        // Fri 05-22; Memorial Day Mon 05-25 is skipped: 15 business days = Mon 06-15.
        let w = window(&rule, denied, &cal, d("2026-05-26")).unwrap();
        assert_eq!(w.closes_on, d("2026-06-15"));
        assert!(w.steps.iter().any(|s| s.contains("Memorial Day")), "{:?}", w.steps);
        let appealing = WindowFacts { status: Status::Appealing, ..silent };
        assert_eq!(window(&rule, appealing, &cal, d("2026-03-20")), None);
    }

    #[test]
    fn federal_window_runs_from_a_denial_only() {
        let mut us = route(AppealKind::Administrative, Some("FOIA appeals officer of the agency"));
        us.appeal_deadline = Some(Days { days: 90, day_type: DayType::Calendar });
        us.appeal_window_from = Some(WindowFrom::Denial);
        let rule = us.window_rule("other").unwrap();
        let cal = Calendar::federal();
        let silent = WindowFacts {
            status: Status::AwaitingResponse,
            sent_on: Some(d("2026-03-02")),
            due_on: Some(d("2026-03-30")),
            closed_on: None,
        };
        assert_eq!(window(&rule, silent, &cal, d("2026-05-01")), None);
        let denied = WindowFacts { status: Status::Rejected, closed_on: Some(d("2026-04-01")), ..silent };
        assert_eq!(window(&rule, denied, &cal, d("2026-04-02")).unwrap().closes_on, d("2026-06-30"));
    }

    #[test]
    fn federal_citations_are_noticed() {
        assert!(cites_federal_law("I ask for a fee waiver under 5 U.S.C. § 552(a)(4)(A)(iii)."));
        assert!(cites_federal_law("per 5 USC 552"));
        assert!(!cites_federal_law("I ask that fees be waived: the records are for a news report."));
    }
}
