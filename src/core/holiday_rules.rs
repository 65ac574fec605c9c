//! State office-closure holidays, evaluated from `data/state_holidays.csv`.
//!
//! Why this exists: most state public-records laws count their deadlines in business days,
//! meaning the days the *state's* offices are open. Those days differ from the federal
//! calendar in three ways:
//! - states drop federal holidays (28 drop Columbus Day, 21 drop Juneteenth);
//! - states add their own days (Cesar Chavez Day, Patriots' Day, the day after Thanksgiving);
//! - states move weekend holidays by their own rules. TX does not move them at all; CA, MA, NY
//!   and WI do not move a Saturday holiday to Friday; RI and MS move it to Monday.
//!
//! Counting only federal holidays therefore gets deadlines wrong in most states.
//!
//! The csv and its rule grammar are described in `state_holidays_notes.md`. This module is a
//! Rust port of the reference evaluator `state_holidays_eval.py`, and its tests check that
//! [`StateRules::closures`] equals that evaluator for every state and every year from 2020 to
//! 2030. It is pure: no I/O, and no dependencies besides `chrono` and `std`.
//!
//! Input: [`StateRules::parse`] takes the csv text (the product embeds it with `include_str!`).
//! It has its own small RFC 4180 reader: quoted fields may hold commas, doubled quotes and line
//! breaks; LF or CRLF line endings; a UTF-8 BOM and blank lines are skipped. Parsing is strict
//! where the evaluator would fail or silently ignore a value. Every rule, observed rule,
//! `office_closed` value and federal name is checked when the file is loaded, and the first
//! problem is returned as one sentence naming the line, the field and the value.
//!
//! Semantics (the same as the evaluator unless listed under "Differences"):
//! - The 11 federal holidays ([`FEDERAL_NAMES`]). Juneteenth counts only from 2021.
//!   A `federal_dropped` row removes a holiday unless its `office_closed` is `yes`.
//!   Weekend dates move by the state's `_weekend_rule` (`federal`, or `federal:<Name>` for one
//!   holiday). Without such a row the rule is `sat-fri sun-mon`.
//! - Extra rows: only those with `office_closed` = `yes` and a non-empty `rule`. Rows whose
//!   name starts with `_` are never extra days. Each moves by its own `observed_rule`.
//!   `prev-workday` and `next-workday` rows are placed last, in csv order, and skip any day
//!   already taken.
//! - When two entries fall on the same date, the later one names it. The order is federal, then
//!   extras, then `prev-workday`/`next-workday` rows. For example, DC 2025-01-20 is
//!   "Inauguration Day", not "Martin Luther King Jr. Day".
//! - `varies` (proclamation, county, bargaining unit or half day) counts as **not closed**.
//!   Those days are returned by [`StateRules::listed_not_closed`] so the UI can show them.
//!   `no` rows (legal or commemorative days when offices are open, such as the Texas
//!   skeleton-crew days) are returned by [`StateRules::listed_open`].
//!
//! Differences from `state_holidays_eval.py`:
//! - A day is reported in the calendar year it falls in. When New Year's Day falls on a
//!   Saturday, the observed Friday (e.g. 2027-12-31) appears in the earlier year as
//!   "New Year's Day (next, observed)", exactly as the evaluator prints it for that year. The
//!   evaluator *also* prints it under the next year (as "New Year's Day", dated 2027-12-31 in
//!   its output for 2028). This module leaves that copy out, and the fixture script filters it
//!   the same way. More generally, any date pushed across a year boundary by an observed rule is
//!   reported in the year it lands in. With the current data, only New Year's Day does this.
//! - The "(next, observed)" day uses New Year's Day's own weekend rule (including a
//!   `federal:New Year's Day` override). The evaluator checks only the plain `federal` rule.
//!   No state has such an override, so the output is the same.
//! - Stricter parsing (see above). `nth` accepts N = 1..=5 or -1 (last). As in the evaluator, a
//!   5th weekday that does not exist spills into the next month. A `fixed 02-29` date is absent
//!   in non-leap years.
//! - Years outside 1..=9999 give empty lists instead of an error.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, TimeDelta, Weekday};

/// The federal holidays, exactly as written in the csv's `federal_dropped` column and in
/// `_weekend_rule` overrides (`federal:<Name>`). These are also the names [`StateRules::closures`]
/// gives federal days. (They differ from the federal calendar's own names for MLK Day and Juneteenth.)
pub const FEDERAL_NAMES: [&str; 11] = [
    "New Year's Day",
    "Martin Luther King Jr. Day",
    "Washington's Birthday",
    "Memorial Day",
    "Juneteenth",
    "Independence Day",
    "Labor Day",
    "Columbus Day",
    "Veterans Day",
    "Thanksgiving Day",
    "Christmas Day",
];

/// The date rule of each of [`FEDERAL_NAMES`], in the same order.
const FEDERAL_TERMS: [Term; 11] = [
    Term::Fixed(1, 1),
    Term::Nth { month: 1, weekday: Weekday::Mon, n: 3 },
    Term::Nth { month: 2, weekday: Weekday::Mon, n: 3 },
    Term::Nth { month: 5, weekday: Weekday::Mon, n: -1 },
    Term::Fixed(6, 19),
    Term::Fixed(7, 4),
    Term::Nth { month: 9, weekday: Weekday::Mon, n: 1 },
    Term::Nth { month: 10, weekday: Weekday::Mon, n: 2 },
    Term::Fixed(11, 11),
    Term::Nth { month: 11, weekday: Weekday::Thu, n: 4 },
    Term::Fixed(12, 25),
];

const NEW_YEARS_DAY: usize = 0;
const JUNETEENTH: usize = 4;
/// Juneteenth is a federal holiday from this year on.
const JUNETEENTH_FIRST_YEAR: i32 = 2021;
/// The name of next year's New Year's Day when it is observed on 31 December (as the evaluator names it).
const NEXT_NEW_YEAR_NAME: &str = "New Year's Day (next, observed)";
/// Years for which the public functions answer; outside them they return empty lists.
const YEARS: std::ops::RangeInclusive<i32> = 1..=9999;
/// Largest day offset accepted in a rule (`easter N`, `election-day+N`).
const MAX_OFFSET: i64 = 366;

/// Where a day comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DayOrigin {
    /// One of the 11 federal holidays (including next year's New Year's Day observed on 31 December).
    Federal,
    /// A state's own row in the csv.
    State,
}

/// One day of a state's calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateDay {
    /// The observed date, after any weekend move.
    pub date: NaiveDate,
    /// The csv name for state days, one of [`FEDERAL_NAMES`] for federal days, or
    /// "New Year's Day (next, observed)".
    pub name: String,
    pub origin: DayOrigin,
    /// The `source` of the csv row. For federal days, this is the state's `_weekend_rule` row
    /// that applied (it cites the state's holiday statute). Empty if the row has none.
    pub source: String,
}

/// The holiday rules of every jurisdiction in the csv (50 states and DC), ready to evaluate for any year.
#[derive(Debug, Clone)]
pub struct StateRules {
    /// Keyed by upper-case state code.
    states: BTreeMap<String, State>,
}

#[derive(Debug, Clone, Default)]
struct State {
    /// The `_weekend_rule` row with rule `federal`: (rule, source).
    weekend: Option<(Shift, String)>,
    /// `_weekend_rule` rows with rule `federal:<Name>`, indexed like [`FEDERAL_NAMES`].
    weekend_for: [Option<(Shift, String)>; 11],
    /// `federal_dropped` rows: (index into [`FEDERAL_NAMES`], `office_closed`).
    dropped: Vec<(usize, Closed)>,
    /// Rows that name a day with a rule, in csv order.
    extras: Vec<Extra>,
    /// Distinct non-empty sources, in csv order.
    sources: Vec<String>,
}

#[derive(Debug, Clone)]
struct Extra {
    name: String,
    rule: Rule,
    shift: Shift,
    closed: Closed,
    source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closed {
    Yes,
    No,
    Varies,
}

/// An `observed_rule`: how a date that falls on a weekend moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shift {
    /// `none` or empty: a weekend date is not observed at all.
    Drop,
    SatFriSunMon,
    /// Sunday moves to Monday; a Saturday date is not observed.
    SunMon,
    SatMonSunMon,
    /// The nearest earlier weekday that is not already a holiday.
    PrevWorkday,
    /// The nearest later weekday that is not already a holiday.
    NextWorkday,
}

/// A parsed `rule`: `[<year prefixes>] <term>[+-N] [since YYYY]`.
#[derive(Debug, Clone)]
struct Rule {
    since: Option<i32>,
    prefixes: Vec<YearPrefix>,
    term: Term,
    offset: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum YearPrefix {
    Even,
    Every,
    /// year % 4 == 0
    Presidential,
    /// year % 4 == 1
    Inauguration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Term {
    /// `fixed MM-DD`
    Fixed(u32, u32),
    /// `nth WEEKDAY MM N`, N = 1..=5, or -1 for the last one.
    Nth { month: u32, weekday: Weekday, n: i32 },
    /// `easter N`: N days from Western Easter Sunday.
    Easter(i64),
    /// `after-thanksgiving`: the Friday after the 4th Thursday of November.
    AfterThanksgiving,
    /// `election-day`: the Tuesday after the first Monday of November.
    ElectionDay,
    /// `tue-after-first-mon MM`
    TueAfterFirstMon(u32),
    /// `christmas-adjacent` (GA, IN; as python-holidays)
    ChristmasAdjacent,
    /// `christmas-bridge` (OK)
    ChristmasBridge,
}

/// One evaluated day, borrowing its name and source from the rules.
#[derive(Debug, Clone, Copy)]
struct Hit<'a> {
    name: &'a str,
    origin: DayOrigin,
    source: &'a str,
}

impl StateRules {
    /// Parses the text of `state_holidays.csv`.
    ///
    /// The header must contain the columns `state`, `name`, `rule`, `observed_rule`,
    /// `federal_dropped`, `office_closed` and `source`, in any order; other columns (`notes`) are
    /// ignored. Every record must have as many fields as the header. State codes are
    /// case-insensitive. The error names the line (1-based, where the record starts), the field
    /// and the value.
    pub fn parse(csv_text: &str) -> Result<StateRules, String> {
        let text = csv_text.strip_prefix('\u{feff}').unwrap_or(csv_text);
        let mut records = split_records(text)?.into_iter();
        let Some((_, header)) = records.next() else {
            return Err("line 1: the csv is empty, but a header row was expected".to_string());
        };
        let column = |name: &str| -> Result<usize, String> {
            let mut hits = header.iter().enumerate().filter(|(_, h)| h.as_str() == name).map(|(i, _)| i);
            match (hits.next(), hits.next()) {
                (Some(i), None) => Ok(i),
                (None, _) => Err(format!("line 1: the header has no {name} column")),
                (Some(_), Some(_)) => Err(format!("line 1: the header has the {name} column twice")),
            }
        };
        let [c_state, c_name, c_rule, c_observed, c_dropped, c_closed, c_source] =
            ["state", "name", "rule", "observed_rule", "federal_dropped", "office_closed", "source"].map(column);
        let (c_state, c_name, c_rule, c_observed, c_dropped, c_closed, c_source) =
            (c_state?, c_name?, c_rule?, c_observed?, c_dropped?, c_closed?, c_source?);

        let mut states: BTreeMap<String, State> = BTreeMap::new();
        for (line, fields) in records {
            if fields.len() != header.len() {
                return Err(format!(
                    "line {line}: the record has {} fields, but the header has {}",
                    fields.len(),
                    header.len()
                ));
            }
            let bad = |column: usize, problem: &str| {
                format!("line {line}, field {} = {:?}: {problem}", header[column], fields[column])
            };
            let code = fields[c_state].trim().to_ascii_uppercase();
            if code.is_empty() {
                return Err(bad(c_state, "the state code is empty"));
            }
            let name = fields[c_name].as_str();
            let rule = fields[c_rule].as_str();
            let observed = fields[c_observed].as_str();
            let source = fields[c_source].as_str();
            let closed = match fields[c_closed].as_str() {
                "yes" => Closed::Yes,
                "no" => Closed::No,
                "varies" => Closed::Varies,
                _ => return Err(bad(c_closed, "office_closed must be yes, no or varies")),
            };
            let state = states.entry(code).or_default();
            if !source.is_empty() && !state.sources.iter().any(|s| s == source) {
                state.sources.push(source.to_string());
            }
            let dropped = fields[c_dropped].as_str();
            if !dropped.is_empty() {
                let Some(i) = federal_index(dropped) else {
                    return Err(bad(c_dropped, "federal_dropped is not one of the 11 federal holiday names"));
                };
                state.dropped.push((i, closed));
            }
            let is_weekend_rule = name == "_weekend_rule";
            if name.starts_with('_') && !is_weekend_rule {
                continue; // `_note_*` rows are information only.
            }
            let shift = parse_shift(observed)
                .ok_or_else(|| bad(c_observed, "unknown observed_rule (see the notes for the allowed values)"))?;
            if is_weekend_rule {
                let entry = Some((shift, source.to_string()));
                if rule == "federal" {
                    state.weekend = entry;
                } else if let Some(i) = rule.strip_prefix("federal:").and_then(federal_index) {
                    state.weekend_for[i] = entry;
                } else {
                    return Err(bad(
                        c_rule,
                        "a _weekend_rule rule must be federal or federal:<one of the 11 federal names>",
                    ));
                }
                continue;
            }
            if rule.is_empty() {
                continue; // A day the grammar cannot express (Diwali, days the governor picks).
            }
            if name.is_empty() {
                return Err(bad(c_name, "a row with a rule needs a name"));
            }
            let rule = parse_rule(rule).map_err(|problem| bad(c_rule, &problem))?;
            state.extras.push(Extra { name: name.to_string(), rule, shift, closed, source: source.to_string() });
        }
        if states.is_empty() {
            return Err("line 2: the csv has a header but no rows".to_string());
        }
        Ok(StateRules { states })
    }

    /// The state codes in the csv, upper case, sorted.
    pub fn states(&self) -> Vec<String> {
        self.states.keys().cloned().collect()
    }

    /// The distinct sources cited by a state's rows, in csv order (empty for an unknown state).
    pub fn source_for(&self, state: &str) -> Vec<String> {
        self.state(state).map(|s| s.sources.clone()).unwrap_or_default()
    }

    /// The days the state's offices close in `year`, sorted by date, one entry per date.
    ///
    /// These are the federal holidays the state keeps, moved by its weekend rules, plus its own
    /// `office_closed = yes` days. A `varies` day counts as open. Every date is a weekday in
    /// `year`. The result is empty for an unknown state or a year outside 1..=9999.
    pub fn closures(&self, state: &str, year: i32) -> Vec<StateDay> {
        self.days(state, year, &[Closed::Yes], &[])
    }

    /// Days listed as `varies` in `year` that are not closure days. These are closed only by
    /// proclamation, in some counties or bargaining units, or for half a day. The list includes
    /// federal days a state drops with `varies` (e.g. FL Washington's Birthday).
    ///
    /// Precisely: the days that would close if every `varies` were `yes`, minus the days
    /// [`closures`](Self::closures) returns. Rows with no rule (e.g. MS "Thanksgiving/Christmas
    /// extra days") have no date and never appear. The list is sorted, with one entry per date.
    pub fn listed_not_closed(&self, state: &str, year: i32) -> Vec<StateDay> {
        self.days(state, year, &[Closed::Yes, Closed::Varies], &[Closed::Yes])
    }

    /// Days listed as `no` in `year`: legal or commemorative days when offices stay open.
    /// This includes federal days a state drops with `no`, such as CA Columbus Day.
    ///
    /// These do not close offices, but some laws still treat them as non-business days: the
    /// Texas skeleton-crew holidays under Gov't Code 552.0031, and New York GCL §24 days under
    /// §25-a (see the notes). Days already in [`closures`](Self::closures) or
    /// [`listed_not_closed`](Self::listed_not_closed) are left out. The list is sorted, with
    /// one entry per date.
    pub fn listed_open(&self, state: &str, year: i32) -> Vec<StateDay> {
        self.days(state, year, &[Closed::Yes, Closed::Varies, Closed::No], &[Closed::Yes, Closed::Varies])
    }

    fn state(&self, code: &str) -> Option<&State> {
        self.states.get(&code.trim().to_ascii_uppercase())
    }

    /// The days closed under `include`, minus the dates closed under `exclude` (when it is not empty).
    fn days(&self, state: &str, year: i32, include: &[Closed], exclude: &[Closed]) -> Vec<StateDay> {
        let Some(st) = self.state(state) else { return Vec::new() };
        if !YEARS.contains(&year) {
            return Vec::new();
        }
        let mut days = st.in_year(year, include);
        if !exclude.is_empty() {
            let before = st.in_year(year, exclude);
            days.retain(|d, _| !before.contains_key(d));
        }
        days.into_iter()
            .map(|(date, hit)| StateDay {
                date,
                name: hit.name.to_string(),
                origin: hit.origin,
                source: hit.source.to_string(),
            })
            .collect()
    }
}

impl State {
    /// The weekend rule for federal holiday `fed` and the source row that set it.
    fn weekend_rule(&self, fed: usize) -> (Shift, &str) {
        match self.weekend_for[fed].as_ref().or(self.weekend.as_ref()) {
            Some((shift, source)) => (*shift, source.as_str()),
            None => (Shift::SatFriSunMon, ""),
        }
    }

    fn is_dropped(&self, fed: usize, include: &[Closed]) -> bool {
        self.dropped.iter().any(|&(f, closed)| f == fed && !include.contains(&closed))
    }

    /// The days that fall in `year`. These are the evaluator's days for `year` that fall inside
    /// it, plus any day of the evaluation for `year - 1` or `year + 1` that an observed rule
    /// moved into `year`, if that date is still free.
    fn in_year(&self, year: i32, include: &[Closed]) -> BTreeMap<NaiveDate, Hit<'_>> {
        let mut days = self.evaluate(year, include);
        days.retain(|d, _| d.year() == year);
        for other in [year - 1, year + 1] {
            for (date, hit) in self.evaluate(other, include) {
                if date.year() == year {
                    days.entry(date).or_insert(hit);
                }
            }
        }
        days
    }

    /// `state_days()` of the reference evaluator: the closed days computed for `year`. This can
    /// include a date in the previous year (New Year's Day observed on 31 December).
    fn evaluate(&self, year: i32, include: &[Closed]) -> BTreeMap<NaiveDate, Hit<'_>> {
        let none_taken = BTreeSet::new();
        let mut out = BTreeMap::new();
        for (fed, (name, term)) in FEDERAL_NAMES.iter().zip(FEDERAL_TERMS).enumerate() {
            if self.is_dropped(fed, include) || (fed == JUNETEENTH && year < JUNETEENTH_FIRST_YEAR) {
                continue;
            }
            let (shift, source) = self.weekend_rule(fed);
            if let Some(date) = term.date(year).and_then(|d| shift.apply(d, &none_taken)) {
                out.insert(date, Hit { name, origin: DayOrigin::Federal, source });
            }
        }
        let counted = || self.extras.iter().filter(|e| include.contains(&e.closed));
        let is_later = |e: &&Extra| matches!(e.shift, Shift::PrevWorkday | Shift::NextWorkday);
        for e in counted().filter(|e| !is_later(e)) {
            if let Some(date) = e.rule.date(year).and_then(|d| e.shift.apply(d, &none_taken)) {
                out.insert(date, Hit { name: &e.name, origin: DayOrigin::State, source: &e.source });
            }
        }
        for e in counted().filter(is_later) {
            let taken: BTreeSet<NaiveDate> = out.keys().copied().collect();
            if let Some(date) = e.rule.date(year).and_then(|d| e.shift.apply(d, &taken)) {
                out.insert(date, Hit { name: &e.name, origin: DayOrigin::State, source: &e.source });
            }
        }
        // Next year's New Year's Day, observed in this year (a Saturday moved to Friday 31 December).
        if !self.is_dropped(NEW_YEARS_DAY, include) {
            let (shift, source) = self.weekend_rule(NEW_YEARS_DAY);
            let next = year.checked_add(1).and_then(|y| FEDERAL_TERMS[NEW_YEARS_DAY].date(y));
            if let Some(date) = next.and_then(|d| shift.apply(d, &none_taken))
                && date.year() == year
            {
                out.insert(date, Hit { name: NEXT_NEW_YEAR_NAME, origin: DayOrigin::Federal, source });
            }
        }
        out
    }
}

fn federal_index(name: &str) -> Option<usize> {
    FEDERAL_NAMES.iter().position(|n| *n == name)
}

fn parse_shift(text: &str) -> Option<Shift> {
    Some(match text {
        "" | "none" => Shift::Drop,
        "sat-fri sun-mon" => Shift::SatFriSunMon,
        "sun-mon" => Shift::SunMon,
        "sat-mon sun-mon" => Shift::SatMonSunMon,
        "prev-workday" => Shift::PrevWorkday,
        "next-workday" => Shift::NextWorkday,
        _ => return None,
    })
}

/// Parses a `rule` the way the evaluator reads it. First a trailing ` since YYYY` is removed.
/// Then the year prefixes are checked in the order even, every, presidential, inauguration.
/// Then a trailing `+N`/`-N` offset is read, except on `easter`, `nth` and `fixed`. Finally,
/// the term is parsed. Unlike the evaluator, this rejects extra words.
fn parse_rule(text: &str) -> Result<Rule, String> {
    let mut rest = text;
    let mut since = None;
    if let Some(head) = rest.len().checked_sub(4).and_then(|n| rest.get(..n))
        && let Some(stem) = head.strip_suffix(" since ")
        && rest[head.len()..].bytes().all(|b| b.is_ascii_digit())
    {
        since = Some(rest[head.len()..].parse::<i32>().map_err(|e| e.to_string())?);
        rest = stem;
    }
    let mut prefixes = Vec::new();
    for (word, prefix) in [
        ("even-year ", YearPrefix::Even),
        ("every-year ", YearPrefix::Every),
        ("presidential-year ", YearPrefix::Presidential),
        ("inauguration-year ", YearPrefix::Inauguration),
    ] {
        if let Some(r) = rest.strip_prefix(word) {
            prefixes.push(prefix);
            rest = r;
        }
    }
    let mut offset = 0;
    if !["easter", "nth", "fixed"].iter().any(|w| rest.starts_with(w)) {
        let digits_at = rest.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        if digits_at < rest.len() && rest[..digits_at].ends_with(['+', '-']) {
            offset = parse_offset(&rest[digits_at - 1..])?;
            rest = &rest[..digits_at - 1];
        }
    }
    let words: Vec<&str> = rest.split_whitespace().collect();
    let arity = |n: usize| {
        if words.len() == n { Ok(()) } else { Err(format!("{} takes {} argument(s)", words[0], n - 1)) }
    };
    let term = match words.first().copied() {
        None => return Err("the rule has no term".to_string()),
        Some("fixed") => {
            arity(2)?;
            let (m, d) = words[1].split_once('-').ok_or("fixed needs MM-DD")?;
            let (m, d) = (parse_month(m)?, d.parse::<u32>().map_err(|_| format!("day {d:?} is not a number"))?);
            NaiveDate::from_ymd_opt(2000, m, d).ok_or(format!("{m:02}-{d:02} is not a date"))?;
            Term::Fixed(m, d)
        }
        Some("nth") => {
            arity(4)?;
            let weekday = match words[1] {
                "mon" => Weekday::Mon,
                "tue" => Weekday::Tue,
                "wed" => Weekday::Wed,
                "thu" => Weekday::Thu,
                "fri" => Weekday::Fri,
                "sat" => Weekday::Sat,
                "sun" => Weekday::Sun,
                w => return Err(format!("{w:?} is not a weekday (mon..sun)")),
            };
            let month = parse_month(words[2])?;
            let n = words[3].parse::<i32>().map_err(|_| format!("N = {:?} is not a number", words[3]))?;
            if !(n == -1 || (1..=5).contains(&n)) {
                return Err(format!("N = {n} must be 1 to 5, or -1 for the last"));
            }
            Term::Nth { month, weekday, n }
        }
        Some("easter") => {
            arity(2)?;
            Term::Easter(parse_offset(words[1])?)
        }
        Some("after-thanksgiving") => {
            arity(1)?;
            Term::AfterThanksgiving
        }
        Some("election-day") => {
            arity(1)?;
            Term::ElectionDay
        }
        Some("tue-after-first-mon") => {
            arity(2)?;
            Term::TueAfterFirstMon(parse_month(words[1])?)
        }
        Some("christmas-adjacent") => {
            arity(1)?;
            Term::ChristmasAdjacent
        }
        Some("christmas-bridge") => {
            arity(1)?;
            Term::ChristmasBridge
        }
        Some(w) => return Err(format!("unknown term {w:?}")),
    };
    Ok(Rule { since, prefixes, term, offset })
}

fn parse_month(text: &str) -> Result<u32, String> {
    match text.parse::<u32>() {
        Ok(m @ 1..=12) => Ok(m),
        _ => Err(format!("month {text:?} must be 01 to 12")),
    }
}

fn parse_offset(text: &str) -> Result<i64, String> {
    match text.parse::<i64>() {
        Ok(n) if n.abs() <= MAX_OFFSET => Ok(n),
        _ => Err(format!("offset {text:?} must be a whole number of days from -{MAX_OFFSET} to {MAX_OFFSET}")),
    }
}

impl Rule {
    /// The unshifted date in `year`, or `None` if the rule does not apply that year.
    fn date(&self, year: i32) -> Option<NaiveDate> {
        if self.since.is_some_and(|since| year < since) {
            return None;
        }
        let applies = |p: &YearPrefix| match p {
            YearPrefix::Even => year.rem_euclid(2) == 0,
            YearPrefix::Every => true,
            YearPrefix::Presidential => year.rem_euclid(4) == 0,
            YearPrefix::Inauguration => year.rem_euclid(4) == 1,
        };
        if !self.prefixes.iter().all(applies) {
            return None;
        }
        add_days(self.term.date(year)?, self.offset)
    }
}

impl Term {
    fn date(self, year: i32) -> Option<NaiveDate> {
        match self {
            Term::Fixed(m, d) => NaiveDate::from_ymd_opt(year, m, d),
            Term::Nth { month, weekday, n } => nth_weekday(year, month, weekday, n),
            Term::Easter(offset) => add_days(easter(year)?, offset),
            Term::AfterThanksgiving => add_days(nth_weekday(year, 11, Weekday::Thu, 4)?, 1),
            Term::ElectionDay => tue_after_first_mon(year, 11),
            Term::TueAfterFirstMon(month) => tue_after_first_mon(year, month),
            // Indexed by Christmas Day's weekday, Monday first.
            Term::ChristmasAdjacent => christmas_neighbour(year, [26, 24, 24, 26, 24, 23, 23]),
            Term::ChristmasBridge => christmas_neighbour(year, [26, 24, 24, 26, 24, 23, 27]),
        }
    }
}

impl Shift {
    /// The observed date of `date`, or `None` if a weekend date is not observed. `taken` is
    /// used only by the workday rules.
    fn apply(self, date: NaiveDate, taken: &BTreeSet<NaiveDate>) -> Option<NaiveDate> {
        let weekday = date.weekday();
        match self {
            Shift::Drop => (!is_weekend(date)).then_some(date),
            Shift::SatFriSunMon => match weekday {
                Weekday::Sat => add_days(date, -1),
                Weekday::Sun => add_days(date, 1),
                _ => Some(date),
            },
            Shift::SunMon => match weekday {
                Weekday::Sat => None,
                Weekday::Sun => add_days(date, 1),
                _ => Some(date),
            },
            Shift::SatMonSunMon => match weekday {
                Weekday::Sat => add_days(date, 2),
                Weekday::Sun => add_days(date, 1),
                _ => Some(date),
            },
            Shift::PrevWorkday | Shift::NextWorkday => {
                let step = if self == Shift::PrevWorkday { -1 } else { 1 };
                let mut date = date;
                // Ends: `taken` is finite, so a free weekday is always reached.
                while is_weekend(date) || taken.contains(&date) {
                    date = add_days(date, step)?;
                }
                Some(date)
            }
        }
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

fn add_days(date: NaiveDate, days: i64) -> Option<NaiveDate> {
    date.checked_add_signed(TimeDelta::try_days(days)?)
}

/// The `n`-th `weekday` of the month, or the last one for `n` = -1. As in the evaluator, a
/// 5th weekday that does not exist spills into the next month.
fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: i32) -> Option<NaiveDate> {
    if n > 0 {
        let first = NaiveDate::from_ymd_opt(year, month, 1)?;
        let ahead = (7 + weekday.num_days_from_monday() - first.weekday().num_days_from_monday()) % 7;
        add_days(first, i64::from(ahead) + 7 * i64::from(n - 1))
    } else {
        let (next_year, next_month) = if month == 12 { (year.checked_add(1)?, 1) } else { (year, month + 1) };
        let last = NaiveDate::from_ymd_opt(next_year, next_month, 1)?.pred_opt()?;
        let back = (7 + last.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
        add_days(last, -i64::from(back))
    }
}

fn tue_after_first_mon(year: i32, month: u32) -> Option<NaiveDate> {
    add_days(nth_weekday(year, month, Weekday::Mon, 1)?, 1)
}

/// A December day chosen by Christmas Day's weekday (`days[0]` for Monday).
fn christmas_neighbour(year: i32, days: [u32; 7]) -> Option<NaiveDate> {
    let christmas = NaiveDate::from_ymd_opt(year, 12, 25)?;
    NaiveDate::from_ymd_opt(year, 12, days[christmas.weekday().num_days_from_monday() as usize])
}

/// Western (Gregorian) Easter Sunday. This is a line-by-line port of `dateutil.easter.easter`
/// (method 3), which the evaluator uses. Python's floor division and modulo become
/// `div_euclid` and `rem_euclid`.
fn easter(year: i32) -> Option<NaiveDate> {
    let y = i64::from(year);
    let g = y.rem_euclid(19);
    let c = y.div_euclid(100);
    let h = (c - c.div_euclid(4) - (8 * c + 13).div_euclid(25) + 19 * g + 15).rem_euclid(30);
    let i = h - h.div_euclid(28) * (1 - h.div_euclid(28) * 29i64.div_euclid(h + 1) * (21 - g).div_euclid(11));
    let j = (y + y.div_euclid(4) + i + 2 - c + c.div_euclid(4)).rem_euclid(7);
    let p = i - j;
    let d = 1 + (p + 27 + (p + 6).div_euclid(40)).rem_euclid(31);
    let m = 3 + (p + 26).div_euclid(30);
    NaiveDate::from_ymd_opt(year, u32::try_from(m).ok()?, u32::try_from(d).ok()?)
}

/// Splits RFC 4180 text into records of fields. Each record carries the 1-based line where it
/// starts. Quoted fields may contain commas, line breaks and doubled quotes (`""`). Records end
/// at LF, CRLF or a lone CR. Blank lines are skipped. A quote inside an unquoted field, text
/// after a closing quote, or an unclosed quote is an error.
fn split_records(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    #[derive(PartialEq)]
    enum At {
        FieldStart,
        Unquoted,
        Quoted,
        AfterQuote,
    }
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut at = At::FieldStart;
    let (mut line, mut start) = (1, 1);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if at == At::Quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => at = At::AfterQuote,
                _ => {
                    if c == '\n' || (c == '\r' && chars.peek() != Some(&'\n')) {
                        line += 1;
                    }
                    field.push(c);
                }
            }
            continue;
        }
        match c {
            ',' => {
                fields.push(std::mem::take(&mut field));
                at = At::FieldStart;
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                let blank = fields.is_empty() && field.is_empty() && at == At::FieldStart;
                if !blank {
                    fields.push(std::mem::take(&mut field));
                    records.push((start, std::mem::take(&mut fields)));
                }
                line += 1;
                start = line;
                at = At::FieldStart;
            }
            '"' if at == At::FieldStart => at = At::Quoted,
            '"' => {
                return Err(format!(
                    "line {line}, field {} = {field:?}: a quote inside an unquoted field",
                    fields.len() + 1
                ));
            }
            _ if at == At::AfterQuote => {
                return Err(format!(
                    "line {line}, field {} = {field:?}: text follows the closing quote",
                    fields.len() + 1
                ));
            }
            _ => {
                field.push(c);
                at = At::Unquoted;
            }
        }
    }
    if at == At::Quoted {
        return Err(format!("line {start}, field {} = {field:?}: the quoted field is never closed", fields.len() + 1));
    }
    if !(fields.is_empty() && field.is_empty() && at == At::FieldStart) {
        fields.push(field);
        records.push((start, fields));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = include_str!("../../data/state_holidays.csv");
    /// Generated by `scripts/state_holidays_expected.sh` from `state_holidays_eval.py`.
    const EXPECTED: &str = include_str!("../../tests/fixtures/state_holidays_expected.tsv");

    fn rules() -> StateRules {
        StateRules::parse(CSV).expect("the shipped csv parses")
    }

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn has(days: &[StateDay], date: NaiveDate, name: &str) -> bool {
        days.iter().any(|d| d.date == date && d.name == name)
    }

    #[test]
    fn closures_match_the_reference_evaluator_2020_to_2030() {
        let rules = rules();
        let mut expected: BTreeMap<(String, i32), Vec<(String, String)>> = BTreeMap::new();
        for line in EXPECTED.lines() {
            let parts: Vec<&str> = line.split('\t').collect();
            assert_eq!(parts.len(), 3, "fixture line {line:?}");
            let year: i32 = parts[1][..4].parse().unwrap();
            expected
                .entry((parts[0].to_string(), year))
                .or_default()
                .push((parts[1].to_string(), parts[2].to_string()));
        }
        let fixture_states: BTreeSet<&str> = expected.keys().map(|(s, _)| s.as_str()).collect();
        assert_eq!(
            fixture_states.into_iter().collect::<Vec<_>>(),
            rules.states(),
            "fixture and csv cover the same states"
        );
        assert_eq!(rules.states().len(), 51);
        let mut compared = 0;
        let mut mismatches = Vec::new();
        for state in rules.states() {
            for year in 2020..=2030 {
                let got: Vec<(String, String)> =
                    rules.closures(&state, year).into_iter().map(|d| (d.date.to_string(), d.name)).collect();
                let want = expected.get(&(state.clone(), year)).cloned().unwrap_or_default();
                compared += want.len();
                if got != want {
                    mismatches.push(format!("{state} {year}:\n  got  {got:?}\n  want {want:?}"));
                }
            }
        }
        assert_eq!(compared, EXPECTED.lines().count());
        assert!(mismatches.is_empty(), "{} state-years differ:\n{}", mismatches.len(), mismatches.join("\n"));
    }

    #[test]
    fn exact_days() {
        let rules = rules();
        assert!(has(&rules.closures("DC", 2027), ymd(2027, 4, 16), "District of Columbia Emancipation Day"));
        assert!(has(&rules.closures("TX", 2026), ymd(2026, 11, 27), "Day after Thanksgiving"));
        assert!(has(&rules.closures("CA", 2027), ymd(2027, 3, 31), "Cesar Chavez Day"));
        assert!(has(&rules.closures("MA", 2027), ymd(2027, 4, 19), "Patriots' Day"));
        let origin = |st: &str, y: i32, date: NaiveDate| {
            rules.closures(st, y).into_iter().find(|d| d.date == date).map(|d| (d.origin, d.source.is_empty()))
        };
        assert_eq!(origin("MA", 2027, ymd(2027, 4, 19)), Some((DayOrigin::State, false)));
        assert_eq!(origin("MA", 2027, ymd(2027, 7, 5)), Some((DayOrigin::Federal, false)));
    }

    #[test]
    fn dropped_columbus_day_is_not_listed() {
        let rules = rules();
        for state in ["CA", "TX", "WI", "AK"] {
            let days = rules.closures(state, 2027);
            assert!(!days.iter().any(|d| d.name == "Columbus Day" || d.date == ymd(2027, 10, 11)), "{state}");
        }
        assert!(has(&rules.closures("NY", 2027), ymd(2027, 10, 11), "Columbus Day"));
    }

    #[test]
    fn weekend_rules() {
        let rules = rules();
        // Christmas 2027 is a Saturday.
        assert!(has(&rules.closures("AL", 2027), ymd(2027, 12, 24), "Christmas Day"));
        assert!(has(&rules.closures("RI", 2027), ymd(2027, 12, 27), "Christmas Day"));
        assert!(!rules.closures("CA", 2027).iter().any(|d| d.name == "Christmas Day"));
        assert!(!rules.closures("TX", 2027).iter().any(|d| d.name == "Christmas Day"));
        // CA moves Veterans Day (Saturday 2028-11-11) to Friday, but not other holidays.
        assert!(has(&rules.closures("CA", 2028), ymd(2028, 11, 10), "Veterans Day"));
        // LA does not move Veterans Day at all.
        assert!(!rules.closures("LA", 2028).iter().any(|d| d.name == "Veterans Day"));
        // NC: Christmas Eve and the day after Christmas step around the observed Christmas.
        let nc: Vec<NaiveDate> =
            rules.closures("NC", 2021).into_iter().map(|d| d.date).filter(|d| d.month() == 12).collect();
        assert_eq!(nc, [ymd(2021, 12, 23), ymd(2021, 12, 24), ymd(2021, 12, 27), ymd(2021, 12, 31)]);
    }

    #[test]
    fn new_years_day_on_saturday_belongs_to_the_earlier_year() {
        let rules = rules();
        assert!(has(&rules.closures("AL", 2027), ymd(2027, 12, 31), NEXT_NEW_YEAR_NAME));
        assert!(rules.closures("AL", 2028).iter().all(|d| d.date.year() == 2028));
        assert!(!rules.closures("AL", 2028).iter().any(|d| d.name == "New Year's Day"));
        // States that do not move Saturdays to Friday lose it; RI/MS move it to Monday 3 January.
        assert!(!rules.closures("NY", 2027).iter().any(|d| d.date == ymd(2027, 12, 31)));
        assert!(has(&rules.closures("RI", 2028), ymd(2028, 1, 3), "New Year's Day"));
    }

    #[test]
    fn varies_and_no_rows() {
        let rules = rules();
        let fl = rules.listed_not_closed("FL", 2027);
        assert!(fl.iter().any(|d| d.date == ymd(2027, 2, 15) && d.origin == DayOrigin::Federal));
        assert!(!rules.closures("FL", 2027).iter().any(|d| d.date == ymd(2027, 2, 15)));
        assert!(has(&rules.listed_not_closed("NH", 2026), ymd(2026, 11, 3), "Biennial Election Day"));
        assert!(!rules.closures("NH", 2026).iter().any(|d| d.date == ymd(2026, 11, 3)));
        assert!(!rules.listed_not_closed("UT", 2026).iter().any(|d| d.name == "Good Friday"));
        assert!(has(&rules.listed_not_closed("UT", 2027), ymd(2027, 3, 26), "Good Friday"));
        assert!(has(&rules.listed_open("TX", 2026), ymd(2026, 3, 2), "Texas Independence Day"));
        assert!(has(&rules.listed_open("CA", 2027), ymd(2027, 10, 11), "Columbus Day"));
        for state in rules.states() {
            for year in 2020..=2030 {
                let closed: BTreeSet<NaiveDate> = rules.closures(&state, year).into_iter().map(|d| d.date).collect();
                let varies: BTreeSet<NaiveDate> =
                    rules.listed_not_closed(&state, year).into_iter().map(|d| d.date).collect();
                let open: BTreeSet<NaiveDate> = rules.listed_open(&state, year).into_iter().map(|d| d.date).collect();
                assert!(closed.is_disjoint(&varies) && closed.is_disjoint(&open) && varies.is_disjoint(&open));
            }
        }
    }

    #[test]
    fn every_year_1900_to_2200_is_sorted_weekdays_in_that_year() {
        let rules = rules();
        for state in rules.states() {
            for year in 1900..=2200 {
                for days in [
                    rules.closures(&state, year),
                    rules.listed_not_closed(&state, year),
                    rules.listed_open(&state, year),
                ] {
                    assert!(days.windows(2).all(|w| w[0].date < w[1].date), "{state} {year}");
                    assert!(days.iter().all(|d| d.date.year() == year && !is_weekend(d.date)), "{state} {year}");
                }
            }
        }
        assert!(rules.closures("TX", 1900).len() >= 8);
        assert!(!rules.closures("AL", 2020).iter().any(|d| d.name == "Juneteenth"));
    }

    #[test]
    fn unknown_states_and_years() {
        let rules = rules();
        assert!(rules.closures("ZZ", 2027).is_empty());
        assert!(rules.closures("", 2027).is_empty());
        assert!(rules.source_for("ZZ").is_empty());
        assert_eq!(rules.closures("ma", 2027), rules.closures("MA", 2027));
        for year in [i32::MIN, -1, 0, 10_000, i32::MAX] {
            assert!(rules.closures("AL", year).is_empty());
            assert!(rules.listed_not_closed("AL", year).is_empty());
        }
        assert!(!rules.closures("AL", 1).is_empty() && !rules.closures("AL", 9999).is_empty());
    }

    #[test]
    fn sources() {
        let rules = rules();
        for state in rules.states() {
            let sources = rules.source_for(&state);
            assert!(!sources.is_empty(), "{state}");
            assert_eq!(sources.iter().collect::<BTreeSet<_>>().len(), sources.len());
        }
        assert!(rules.closures("CA", 2027).iter().all(|d| !d.source.is_empty()));
    }

    #[test]
    fn grammar_terms() {
        let date = |rule: &str, year: i32| parse_rule(rule).unwrap().date(year);
        assert_eq!(date("even-year election-day+2", 2026), Some(ymd(2026, 11, 5)));
        assert_eq!(date("even-year election-day+2", 2027), None);
        assert_eq!(date("every-year tue-after-first-mon 05", 2026), Some(ymd(2026, 5, 5)));
        assert_eq!(date("presidential-year election-day", 2028), Some(ymd(2028, 11, 7)));
        assert_eq!(date("presidential-year election-day", 2026), None);
        assert_eq!(date("inauguration-year fixed 01-20", 2029), Some(ymd(2029, 1, 20)));
        assert_eq!(date("inauguration-year fixed 01-20", 2028), None);
        assert_eq!(date("nth mon 06 3 since 2025", 2024), None);
        assert_eq!(date("nth mon 06 3 since 2025", 2025), Some(ymd(2025, 6, 16)));
        assert_eq!(date("nth fri 10 -1", 2026), Some(ymd(2026, 10, 30)));
        assert_eq!(date("nth mon 02 5", 2026), Some(ymd(2026, 3, 2)), "spills like the evaluator");
        assert_eq!(date("easter -47", 2026), Some(ymd(2026, 2, 17)));
        assert_eq!(date("after-thanksgiving-1", 2026), Some(ymd(2026, 11, 26)));
        // Christmas on Wednesday (2024), Sunday (2022), Saturday (2021), Monday (2023).
        assert_eq!(date("christmas-adjacent", 2024), Some(ymd(2024, 12, 24)));
        assert_eq!(date("christmas-adjacent", 2022), Some(ymd(2022, 12, 23)));
        assert_eq!(date("christmas-bridge", 2022), Some(ymd(2022, 12, 27)));
        assert_eq!(date("christmas-bridge", 2021), Some(ymd(2021, 12, 23)));
        assert_eq!(date("christmas-bridge", 2023), Some(ymd(2023, 12, 26)));
        assert_eq!(date("fixed 02-29", 2027), None);
        for bad in [
            "",
            "fixed 13-01",
            "fixed 02-30",
            "nth xyz 01 1",
            "nth mon 01 6",
            "easter",
            "easter 999",
            "foo 12",
            "election-day 11",
            "even-year",
            "presidential-year even-year election-day",
        ] {
            assert!(parse_rule(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn easter_matches_dateutil() {
        // From python3 -c 'from dateutil.easter import easter; ...'
        for (y, m, d) in [
            (1, 4, 1),
            (1583, 4, 10),
            (1900, 4, 15),
            (1954, 4, 18),
            (1981, 4, 19),
            (2000, 4, 23),
            (2008, 3, 23),
            (2019, 4, 21),
            (2038, 4, 25),
            (2200, 4, 6),
            (2285, 3, 22),
            (9999, 3, 28),
        ] {
            assert_eq!(easter(y), Some(ymd(y, m, d)), "{y}");
        }
    }

    #[test]
    fn csv_reader() {
        let text = "a,b,c\r\n\"x, \"\"y\"\"\",,\"multi\nline\"\r\n\r\n1,2,3";
        let records = split_records(text).unwrap();
        assert_eq!(records.len(), 3);
        assert_eq!(records[1], (2, vec!["x, \"y\"".to_string(), String::new(), "multi\nline".to_string()]));
        assert_eq!(records[2].0, 5);
        assert!(split_records("a,b\"c").unwrap_err().contains("line 1, field 2"));
        assert!(split_records("a,\"b\"c").is_err());
        assert!(split_records("a\n\"b").unwrap_err().contains("never closed"));
    }

    #[test]
    fn parse_errors_name_line_field_and_value() {
        let header = "state,name,rule,observed_rule,federal_dropped,office_closed,source,notes\n";
        let err = |rows: &str| StateRules::parse(&format!("{header}{rows}")).unwrap_err();
        let e = err("XX,_weekend_rule,federal,sat-fri sun-mon,,yes,s,\nXX,Day,nth mon 13 1,none,,yes,s,\n");
        assert!(e.starts_with("line 3, field rule = \"nth mon 13 1\": month"), "{e}");
        let e = err("XX,Day,fixed 01-02,sat-sun,,yes,s,\n");
        assert!(e.starts_with("line 2, field observed_rule = \"sat-sun\""), "{e}");
        let e = err("XX,,,,Columbus,no,s,\n");
        assert!(e.starts_with("line 2, field federal_dropped = \"Columbus\""), "{e}");
        let e = err("XX,Day,fixed 01-02,none,,maybe,s,\n");
        assert!(e.starts_with("line 2, field office_closed = \"maybe\""), "{e}");
        assert!(err("XX,Day,fixed 01-02\n").starts_with("line 2: the record has 3 fields"));
        assert!(StateRules::parse("state,name\n").unwrap_err().contains("no rule column"));
        assert!(StateRules::parse("").is_err());
        // A note's rule is not read; "\"a, b\"" is one field.
        let ok = StateRules::parse(&format!("{header}XX,_note_x,whatever,,,yes,s,\"a, b\"\n")).unwrap();
        assert_eq!(ok.states(), ["XX"]);
        assert_eq!(ok.closures("XX", 2026).len(), 11, "all federal days, standard weekend rule");
    }
}
