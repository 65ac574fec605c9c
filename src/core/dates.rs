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

/// A date stored as `YYYY-MM-DD`, read without a format parser: listings read several dates
/// per request, and chrono's general parser was a tenth of a page's time. `None` for anything
/// else (the caller falls back to the general reader, which says what is wrong).
pub fn ymd_fast(s: &[u8]) -> Option<NaiveDate> {
    if s.len() != 10 || s[4] != b'-' || s[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| {
        s[r].iter().try_fold(0u32, |n, b| b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0')))
    };
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
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
    fn stored_dates_read_fast_and_the_same() {
        assert_eq!(ymd_fast(b"2026-03-02"), NaiveDate::from_ymd_opt(2026, 3, 2));
        assert_eq!(ymd_fast(b"1900-01-01"), NaiveDate::from_ymd_opt(1900, 1, 1));
        for bad in [
            &b"2026-02-30"[..],
            b"2026-3-02",
            b"2026-03-2 ",
            b"2026/03/02",
            b"20260302",
            b"2026-0a-02",
            b"",
            b"-001-01-01",
        ] {
            assert_eq!(ymd_fast(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    proptest::proptest! {
        #[test]
        fn fast_and_general_readers_agree(s in "[0-9]{4}-[0-9]{2}-[0-9]{2}") {
            proptest::prop_assert_eq!(ymd_fast(s.as_bytes()), NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok());
        }
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
