//! Holiday calendars: the federal holidays computed by rule for any year, each state's own
//! office-closure days (`data/state_holidays.csv`, evaluated by `core::holiday_rules`), and the
//! user's additions and removals on top. The deadline engine counts business days on these.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use crate::core::holiday_rules::{DayOrigin, StateRules};

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::Serialize;

/// Where a holiday comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// A federal holiday (5 U.S.C. § 6103) that this jurisdiction's offices observe.
    Federal,
    /// A day this state's own law closes its offices (`data/state_holidays.csv`, with sources).
    StateRule,
    /// Added for this jurisdiction by the user.
    User,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holiday {
    pub date: NaiveDate,
    pub name: String,
    pub origin: Origin,
}

/// The researched state calendars, parsed once. The data ships inside the binary and a unit test
/// parses it, so a failure here is a build defect; the federal calendar is the fallback.
fn state_rules() -> Option<&'static StateRules> {
    static RULES: OnceLock<Option<StateRules>> = OnceLock::new();
    RULES.get_or_init(|| StateRules::parse(include_str!("../../data/state_holidays.csv")).ok()).as_ref()
}

/// The days a jurisdiction's offices close in `year` before any user change: its state rules
/// (which include the federal days it observes, moved by its own weekend rule), or the federal
/// calendar for federal agencies and any jurisdiction without researched rules.
pub fn built_in(state: &str, year: i32) -> Vec<(NaiveDate, String, Origin)> {
    if let Some(rules) = state_rules()
        && state != "US"
        && rules.states().iter().any(|s| s == state)
    {
        return rules
            .closures(state, year)
            .into_iter()
            .map(|d| {
                let origin = if d.origin == DayOrigin::Federal { Origin::Federal } else { Origin::StateRule };
                (d.date, d.name, origin)
            })
            .collect();
    }
    federal(year).into_iter().map(|(d, n)| (d, n.to_string(), Origin::Federal)).collect()
}

/// Sources for a jurisdiction's built-in calendar.
pub fn sources(state: &str) -> Vec<String> {
    match state_rules() {
        Some(r) if state != "US" => r.source_for(state),
        _ => vec!["https://www.opm.gov/policy-data-oversight/pay-leave/federal-holidays/".into()],
    }
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid fixed holiday date")
}

/// The n-th (1-based) given weekday of a month.
fn nth_weekday(y: i32, m: u32, wd: Weekday, n: u8) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(y, m, wd, n).expect("every month has four of each weekday")
}

fn last_weekday(y: i32, m: u32, wd: Weekday) -> NaiveDate {
    let first_next = if m == 12 { ymd(y + 1, 1, 1) } else { ymd(y, m + 1, 1) };
    let mut d = first_next - Duration::days(1);
    while d.weekday() != wd {
        d -= Duration::days(1);
    }
    d
}

/// Saturday holidays are observed the Friday before, Sunday ones the Monday after.
pub fn observed(d: NaiveDate) -> NaiveDate {
    match d.weekday() {
        Weekday::Sat => d - Duration::days(1),
        Weekday::Sun => d + Duration::days(1),
        _ => d,
    }
}

/// The federal holidays as observed in `year`, in date order. Includes 31 December when the
/// next New Year's Day falls on a Saturday.
pub fn federal(year: i32) -> Vec<(NaiveDate, &'static str)> {
    // Outside these years there is no 31 December of the next year's observance to compute and
    // chrono's range ends; foiatrack's own dates stay within 1900-2199 (`core::dates`).
    if !(1..=9998).contains(&year) {
        return Vec::new();
    }
    let mut days = Vec::with_capacity(12);
    let new_year = observed(ymd(year, 1, 1));
    if new_year.year() == year {
        days.push((new_year, "New Year's Day"));
    }
    if year >= 1986 {
        days.push((nth_weekday(year, 1, Weekday::Mon, 3), "Birthday of Martin Luther King, Jr."));
    }
    days.push((nth_weekday(year, 2, Weekday::Mon, 3), "Washington's Birthday"));
    days.push((last_weekday(year, 5, Weekday::Mon), "Memorial Day"));
    if year >= 2021 {
        days.push((observed(ymd(year, 6, 19)), "Juneteenth National Independence Day"));
    }
    days.push((observed(ymd(year, 7, 4)), "Independence Day"));
    days.push((nth_weekday(year, 9, Weekday::Mon, 1), "Labor Day"));
    days.push((nth_weekday(year, 10, Weekday::Mon, 2), "Columbus Day"));
    days.push((observed(ymd(year, 11, 11)), "Veterans Day"));
    days.push((nth_weekday(year, 11, Weekday::Thu, 4), "Thanksgiving Day"));
    days.push((observed(ymd(year, 12, 25)), "Christmas Day"));
    let next_new_year = observed(ymd(year + 1, 1, 1));
    if next_new_year.year() == year {
        days.push((next_new_year, "New Year's Day"));
    }
    days
}

/// Years covered by the precomputed bitset; dates outside fall back to the rule.
const FIRST_YEAR: i32 = 1900;
const LAST_YEAR: i32 = 2199;

fn epoch() -> NaiveDate {
    ymd(FIRST_YEAR, 1, 1)
}

fn day_index(d: NaiveDate) -> Option<usize> {
    if (FIRST_YEAR..=LAST_YEAR).contains(&d.year()) { Some((d - epoch()).num_days() as usize) } else { None }
}

/// One bit a day, 1900-2199, for a jurisdiction's built-in calendar; computed once a process.
fn built_in_bits(state: &str) -> Arc<Vec<u64>> {
    static BITS: OnceLock<Mutex<HashMap<String, Arc<Vec<u64>>>>> = OnceLock::new();
    let cache = BITS.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(b) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(state) {
        return b.clone();
    }
    let days = (ymd(LAST_YEAR + 1, 1, 1) - epoch()).num_days() as usize;
    let mut bits = vec![0u64; days.div_ceil(64)];
    for y in FIRST_YEAR..=LAST_YEAR {
        for (d, _, _) in built_in(state, y) {
            if let Some(i) = day_index(d) {
                bits[i / 64] |= 1 << (i % 64);
            }
        }
    }
    let bits = Arc::new(bits);
    cache.lock().unwrap_or_else(|e| e.into_inner()).insert(state.to_string(), bits.clone());
    bits
}

/// The holidays one jurisdiction observes: its built-in days, plus the user's additions, minus
/// the user's removals.
/// Lookups are a bit test, so counting business days stays cheap.
#[derive(Debug, Clone)]
pub struct Calendar {
    pub state: String,
    added: BTreeMap<NaiveDate, String>,
    removed: BTreeSet<NaiveDate>,
    /// Shared with the built-in calendar while the user changed nothing: listings build a
    /// calendar per state on every page.
    bits: Arc<Vec<u64>>,
}

impl Calendar {
    /// The federal calendar alone.
    pub fn federal() -> Self {
        Self::with_changes("US", BTreeMap::new(), BTreeSet::new())
    }

    /// A jurisdiction's built-in calendar with no user changes.
    pub fn built_in(state: &str) -> Self {
        Self::with_changes(state, BTreeMap::new(), BTreeSet::new())
    }

    pub fn with_changes(state: &str, added: BTreeMap<NaiveDate, String>, removed: BTreeSet<NaiveDate>) -> Self {
        let built_in = built_in_bits(state);
        if added.is_empty() && removed.is_empty() {
            return Calendar { state: state.to_string(), added, removed, bits: built_in };
        }
        let mut bits = built_in.as_ref().clone();
        for d in &removed {
            if let Some(i) = day_index(*d) {
                bits[i / 64] &= !(1 << (i % 64));
            }
        }
        for d in added.keys() {
            if let Some(i) = day_index(*d) {
                bits[i / 64] |= 1 << (i % 64);
            }
        }
        Calendar { state: state.to_string(), added, removed, bits: Arc::new(bits) }
    }

    pub fn is_holiday(&self, d: NaiveDate) -> bool {
        match day_index(d) {
            Some(i) => self.bits[i / 64] & (1 << (i % 64)) != 0,
            None => self.holiday_name(d).is_some(),
        }
    }

    /// A weekday that is not a holiday here.
    pub fn is_business_day(&self, d: NaiveDate) -> bool {
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !self.is_holiday(d)
    }

    /// The date `n` business days after `start`. Works on day numbers and the bitset directly,
    /// because deadline listings call it for every request.
    pub fn add_business_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let Some(first) = day_index(start) else {
            return self.add_business_days_slow(start, n);
        };
        // 1900-01-01 was a Monday: index % 7 gives 0 = Monday .. 6 = Sunday.
        let mut i = first;
        let mut left = n;
        let limit = (ymd(LAST_YEAR + 1, 1, 1) - epoch()).num_days() as usize;
        while left > 0 {
            i += 1;
            if i >= limit {
                return self.add_business_days_slow(start, n);
            }
            let weekend = i % 7 >= 5;
            if !weekend && self.bits[i / 64] & (1 << (i % 64)) == 0 {
                left -= 1;
            }
        }
        epoch() + Duration::days(i as i64)
    }

    /// Business days in (`after`, `up_to`]; negative when `up_to` is before `after`. Counts on
    /// day numbers and the bitset, since reports call it for every open request.
    pub fn business_days_between(&self, after: NaiveDate, up_to: NaiveDate) -> i64 {
        if up_to < after {
            return -self.business_days_between(up_to, after);
        }
        let (Some(a), Some(b)) = (day_index(after), day_index(up_to)) else {
            let mut n = 0;
            let mut d = after;
            while d < up_to {
                d = d.succ_opt().expect("date within chrono's range");
                n += self.is_business_day(d) as i64;
            }
            return n;
        };
        ((a + 1)..=b).filter(|i| i % 7 < 5 && self.bits[i / 64] & (1 << (i % 64)) == 0).count() as i64
    }

    fn add_business_days_slow(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut d = start;
        let mut left = n;
        while left > 0 {
            d = d.succ_opt().expect("date within chrono's range");
            if self.is_business_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// The name of the holiday on `d`, if this jurisdiction observes one.
    pub fn holiday_name(&self, d: NaiveDate) -> Option<String> {
        if let Some(name) = self.added.get(&d) {
            return Some(name.clone());
        }
        if self.removed.contains(&d) {
            return None;
        }
        built_in(&self.state, d.year()).into_iter().find(|(bd, _, _)| *bd == d).map(|(_, n, _)| n)
    }

    /// Whether `d` is one of the jurisdiction's built-in days (before user changes).
    pub fn is_built_in(&self, d: NaiveDate) -> bool {
        built_in(&self.state, d.year()).iter().any(|(bd, _, _)| *bd == d)
    }

    /// Every holiday observed in `year`, in date order.
    pub fn holidays(&self, year: i32) -> Vec<Holiday> {
        let mut out: Vec<Holiday> = built_in(&self.state, year)
            .into_iter()
            .filter(|(d, _, _)| !self.removed.contains(d) && !self.added.contains_key(d))
            .map(|(date, name, origin)| Holiday { date, name, origin })
            .collect();
        out.extend(self.added.range(ymd(year, 1, 1)..=ymd(year, 12, 31)).map(|(d, n)| Holiday {
            date: *d,
            name: n.clone(),
            origin: Origin::User,
        }));
        out.sort_by_key(|h| h.date);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn federal_2026_matches_opm() {
        let got: Vec<String> = federal(2026).iter().map(|(d, _)| d.to_string()).collect();
        assert_eq!(
            got,
            [
                "2026-01-01",
                "2026-01-19",
                "2026-02-16",
                "2026-05-25",
                "2026-06-19",
                "2026-07-03",
                "2026-09-07",
                "2026-10-12",
                "2026-11-11",
                "2026-11-26",
                "2026-12-25"
            ]
        );
    }

    #[test]
    fn saturday_new_year_is_observed_the_december_before() {
        // 1 January 2028 is a Saturday.
        let y2027: Vec<_> = federal(2027).into_iter().map(|(d, _)| d).collect();
        assert!(y2027.contains(&ymd(2027, 12, 31)));
        assert!(!federal(2028).iter().any(|(d, _)| d.year() != 2028 || *d == ymd(2028, 1, 1)));
    }

    #[test]
    fn sunday_holiday_moves_to_monday() {
        // Juneteenth 2022 fell on a Sunday.
        assert!(federal(2022).iter().any(|(d, _)| *d == ymd(2022, 6, 20)));
    }

    #[test]
    fn state_changes_apply() {
        let mut added = BTreeMap::new();
        added.insert(ymd(2026, 11, 27), "Day after Thanksgiving".to_string());
        let removed = BTreeSet::from([ymd(2026, 10, 12)]);
        let cal = Calendar::with_changes("CO", added, removed);
        assert!(cal.is_holiday(ymd(2026, 11, 27)));
        assert!(!cal.is_holiday(ymd(2026, 10, 12)));
        assert!(cal.is_holiday(ymd(2026, 7, 3)));
        assert!(!cal.is_business_day(ymd(2026, 11, 28)), "Saturday");
        assert!(cal.is_business_day(ymd(2026, 10, 12)));
        let names: Vec<_> = cal.holidays(2026).into_iter().map(|h| (h.date.to_string(), h.origin)).collect();
        assert!(names.contains(&("2026-11-27".into(), Origin::User)));
        assert!(!names.iter().any(|(d, _)| d == "2026-10-12"));
    }

    #[test]
    fn bitset_agrees_with_rule_outside_and_inside_range() {
        let cal = Calendar::federal();
        for y in [1950, 2026, 2199] {
            for (d, _) in federal(y) {
                assert!(cal.is_holiday(d), "{d}");
            }
        }
        assert!(cal.is_holiday(ymd(2300, 12, 25)));
        assert_eq!(epoch().weekday(), Weekday::Mon, "add_business_days relies on it");
        for (start, n) in [(ymd(2026, 2, 13), 3), (ymd(2199, 12, 20), 15), (ymd(1899, 12, 29), 4)] {
            assert_eq!(cal.add_business_days(start, n), cal.add_business_days_slow(start, n), "{start} + {n}");
        }
        assert!(!cal.is_holiday(ymd(2300, 12, 26)));
    }
}
