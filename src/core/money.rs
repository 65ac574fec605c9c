//! Money as exact integer cents: parsing what people and spreadsheets write, and formatting it back.

use crate::{Error, Result};

/// The largest amount foiatrack accepts, in cents: $10,000,000,000.00. No single purchase or
/// reported annual total from one agency comes near it, and a sum of a million such amounts
/// still fits in an `i64`; anything larger is a typo or a hostile file, refused with its row.
pub const MAX_AMOUNT_CENTS: i64 = 1_000_000_000_000;

/// Checks an amount against `MAX_AMOUNT_CENTS` (either sign); the error is one sentence.
pub fn check_amount(cents: i64) -> std::result::Result<i64, String> {
    if cents.unsigned_abs() > MAX_AMOUNT_CENTS as u64 {
        Err(format!(
            "{} is more than foiatrack accepts for one amount ({})",
            format_cents(cents),
            format_cents(MAX_AMOUNT_CENTS)
        ))
    } else {
        Ok(cents)
    }
}

/// Adds amounts, refusing overflow instead of wrapping into a wrong (negative) total.
pub fn checked_sum(amounts: impl IntoIterator<Item = i64>) -> Result<i64> {
    amounts.into_iter().try_fold(0i64, |acc, c| {
        acc.checked_add(c).ok_or_else(|| Error::invalid("the amounts add up to more than foiatrack can count"))
    })
}

/// Parses "25", "25.5", "$1,234.56", "-12.00" and "(12.00)" (accounting negative) into cents.
/// Refuses more than two decimal places rather than rounding someone's money.
pub fn parse_cents(input: &str) -> Result<i64> {
    let bad = || Error::invalid(format!("'{}' is not an amount of money (e.g. 1234.56)", input.trim()));
    let mut s = input.trim();
    let mut negative = false;
    if s.starts_with('(') && s.ends_with(')') {
        negative = true;
        s = &s[1..s.len() - 1];
    }
    let mut s = s.trim();
    // One minus sign, before or after the currency sign; never two, never with parentheses.
    let mut minus = 0;
    let mut plus = false;
    if let Some(rest) = s.strip_prefix('-') {
        minus += 1;
        s = rest.trim_start();
    } else if let Some(rest) = s.strip_prefix('+') {
        plus = true;
        s = rest.trim_start();
    }
    if let Some(rest) = s.strip_prefix('$') {
        s = rest.trim_start();
    }
    if let Some(rest) = s.strip_prefix('-') {
        minus += 1;
        s = rest;
    }
    if minus > 1 || (minus == 1 && (negative || plus)) {
        return Err(bad());
    }
    negative |= minus == 1;
    if s.is_empty() {
        return Err(bad());
    }
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, f),
        None => (s, ""),
    };
    // Thousands separators only between groups of three digits.
    if whole.contains(',') {
        let groups: Vec<&str> = whole.split(',').collect();
        let ok = !groups[0].is_empty() && groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3);
        if !ok {
            return Err(bad());
        }
    }
    let digits: String = whole.chars().filter(|c| *c != ',').collect();
    if (digits.is_empty() && frac.is_empty())
        || !digits.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
    {
        return Err(bad());
    }
    let whole: i64 = if digits.is_empty() { 0 } else { digits.parse().map_err(|_| bad())? };
    let cents: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().map_err(|_| bad())? * 10,
        _ => frac.parse().map_err(|_| bad())?,
    };
    let total = whole.checked_mul(100).and_then(|w| w.checked_add(cents)).ok_or_else(bad)?;
    let total = if negative { -total } else { total };
    check_amount(total).map_err(Error::Invalid)
}

/// Formats cents as "$1,234.56" (negative as "-$12.00").
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let whole = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}${grouped}.{:02}", abs % 100)
}

/// Formats cents as a plain decimal ("1234.56"), for CSV and JSON consumers.
pub fn decimal(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.unsigned_abs() / 100, cents.unsigned_abs() % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_common_forms() {
        assert_eq!(parse_cents("25").unwrap(), 2500);
        assert_eq!(parse_cents("25.5").unwrap(), 2550);
        assert_eq!(parse_cents("$1,234.56").unwrap(), 123456);
        assert_eq!(parse_cents("-12.00").unwrap(), -1200);
        assert_eq!(parse_cents("(12.00)").unwrap(), -1200);
        assert_eq!(parse_cents("($1.06)").unwrap(), -106);
        assert_eq!(parse_cents("-$3.10").unwrap(), -310);
        assert_eq!(parse_cents(" .5 ").unwrap(), 50);
    }

    #[test]
    fn refuses_what_is_not_money() {
        for s in ["", "abc", "1.234", "1,23.00", "12,34", "$", "1.2.3", "--1", "1e5"] {
            assert!(parse_cents(s).is_err(), "{s}");
        }
    }

    #[test]
    fn formats() {
        assert_eq!(format_cents(156072600), "$1,560,726.00");
        assert_eq!(format_cents(-106), "-$1.06");
        assert_eq!(format_cents(5), "$0.05");
        assert_eq!(decimal(-106), "-1.06");
    }

    proptest! {
        #[test]
        fn format_then_parse_roundtrips(cents in -1_000_000_000_000i64..1_000_000_000_000i64) {
            prop_assert_eq!(parse_cents(&format_cents(cents)).unwrap(), cents);
            prop_assert_eq!(parse_cents(&decimal(cents)).unwrap(), cents);
        }
    }
}
