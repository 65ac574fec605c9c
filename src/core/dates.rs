//! Date and period bounds. Every date a user or a file gives, and every period in days, is
//! checked against these before it is saved, so the deadline arithmetic never overflows and a
//! typo such as `+10000-01-01` is refused with a sentence instead of breaking reports later.

use chrono::NaiveDate;

/// The earliest date foiatrack accepts (records requests predate no statute before this).
pub const MIN_DATE: NaiveDate = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
/// The latest date foiatrack accepts.
pub const MAX_DATE: NaiveDate = NaiveDate::from_ymd_opt(2199, 12, 31).unwrap();
/// The longest period in days (business or calendar) for a law, an agency, an extension, an
/// estimate or a follow-up interval: a year of business days is far beyond any statute.
pub const MAX_PERIOD_DAYS: u32 = 365;

/// Whether a date is within the bounds above.
pub fn in_bounds(d: NaiveDate) -> bool {
    (MIN_DATE..=MAX_DATE).contains(&d)
}

/// Parses `YYYY-MM-DD` strictly (four-digit year, no sign) within the bounds; the error is one
/// sentence naming the value.
pub fn parse_ymd(s: &str) -> Result<NaiveDate, String> {
    let t = s.trim();
    let shape_ok = t.len() == 10
        && t.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    let d = if shape_ok { NaiveDate::parse_from_str(t, "%Y-%m-%d").ok() } else { None };
    match d {
        Some(d) if in_bounds(d) => Ok(d),
        Some(_) => Err(format!("'{t}' is outside the dates foiatrack accepts ({MIN_DATE} to {MAX_DATE})")),
        None => Err(format!("'{t}' is not a date in the form YYYY-MM-DD")),
    }
}

/// Checks a period in days against `MAX_PERIOD_DAYS`; `what` names the flag or field.
pub fn check_days(what: &str, n: u32) -> Result<u32, String> {
    if (1..=MAX_PERIOD_DAYS).contains(&n) {
        Ok(n)
    } else {
        Err(format!("{what} {n} is out of range: give 1 to {MAX_PERIOD_DAYS} days"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_dates() {
        assert_eq!(parse_ymd(" 2026-03-02 ").unwrap().to_string(), "2026-03-02");
        assert!(parse_ymd("+10000-01-01").unwrap_err().contains("not a date"));
        assert!(parse_ymd("-0001-01-01").unwrap_err().contains("not a date"));
        assert!(parse_ymd("2300-01-01").unwrap_err().contains("outside"));
        assert!(parse_ymd("2026-02-30").unwrap_err().contains("not a date"));
        assert!(parse_ymd("2026-3-2").is_err());
    }

    #[test]
    fn period_bounds() {
        assert_eq!(check_days("--days", 365), Ok(365));
        assert!(check_days("--days", 0).is_err());
        assert_eq!(
            check_days("--days", 4294967295).unwrap_err(),
            "--days 4294967295 is out of range: give 1 to 365 days"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn parsing_never_panics_and_round_trips(s in "\\PC{0,16}", days in 0i64..(300 * 366)) {
            let _ = parse_ymd(&s);
            let d = MIN_DATE + chrono::Duration::days(days);
            if in_bounds(d) {
                proptest::prop_assert_eq!(parse_ymd(&d.to_string()), Ok(d));
            } else {
                proptest::prop_assert!(parse_ymd(&d.to_string()).is_err());
            }
        }

        #[test]
        fn period_checks_never_panic(n: u32) {
            let r = check_days("--days", n);
            proptest::prop_assert_eq!(r.is_ok(), (1..=MAX_PERIOD_DAYS).contains(&n));
        }
    }
}
