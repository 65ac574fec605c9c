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

/// Why a text (or a spreadsheet number) is not an amount foiatrack accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountProblem {
    /// Not written as money at all ("twelve", "1e5", "1,23.00").
    NotMoney,
    /// More than two decimal places that are not float noise ("1.234").
    FractionOfCent,
    /// Written as money, but beyond `MAX_AMOUNT_CENTS` (either sign).
    TooLarge,
}

impl AmountProblem {
    /// The problem in words, without the value (a row problem names the value beside it).
    pub fn describe(self) -> String {
        match self {
            AmountProblem::NotMoney => "not an amount of money".into(),
            AmountProblem::FractionOfCent => "has fractions of a cent".into(),
            AmountProblem::TooLarge => {
                format!("more than foiatrack accepts for one amount ({})", format_cents(MAX_AMOUNT_CENTS))
            }
        }
    }

    /// One sentence naming the value as given.
    pub fn sentence(self, input: &str) -> String {
        let v = input.trim();
        let v = match v.char_indices().nth(40) {
            Some((i, _)) => format!("{}...", &v[..i]),
            None => v.to_string(),
        };
        match self {
            AmountProblem::NotMoney => format!("'{v}' is not an amount of money (e.g. 1234.56)"),
            AmountProblem::FractionOfCent => format!("'{v}' has fractions of a cent"),
            AmountProblem::TooLarge => format!("'{v}' is {}", self.describe()),
        }
    }
}

/// Parses "25", "25.5", "$1,234.56", "-12.00" and "(12.00)" (accounting negative) into cents.
/// Refuses more than two decimal places rather than rounding someone's money, and anything
/// beyond `MAX_AMOUNT_CENTS`.
pub fn parse_cents(input: &str) -> Result<i64> {
    parse_amount(input).map_err(|p| Error::Invalid(p.sentence(input)))
}

/// `parse_cents`, saying why an amount is refused. Never panics, whatever the text.
pub fn parse_amount(input: &str) -> std::result::Result<i64, AmountProblem> {
    use AmountProblem::*;
    let mut s = input.trim();
    let mut negative = false;
    if s.len() >= 2 && s.starts_with('(') && s.ends_with(')') {
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
        return Err(NotMoney);
    }
    negative |= minus == 1;
    if s.is_empty() {
        return Err(NotMoney);
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
            return Err(NotMoney);
        }
    }
    let digits: String = whole.chars().filter(|c| *c != ',').collect();
    if (digits.is_empty() && frac.is_empty())
        || !digits.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return Err(NotMoney);
    }
    if frac.len() > 2 {
        return Err(FractionOfCent);
    }
    // Digits only from here on, so a failed parse means too many of them.
    let whole: i64 = if digits.is_empty() { 0 } else { digits.parse().map_err(|_| TooLarge)? };
    let cents: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().map_err(|_| NotMoney)? * 10,
        _ => frac.parse().map_err(|_| NotMoney)?,
    };
    let total = whole.checked_mul(100).and_then(|w| w.checked_add(cents)).ok_or(TooLarge)?;
    let total = if negative { -total } else { total };
    check_amount(total).map_err(|_| TooLarge)
}

/// Exact cents from a spreadsheet number: as Excel shows it when that is money, else the number
/// times 100 when the rest is float noise (0.1 + 0.2); never beyond `MAX_AMOUNT_CENTS`.
pub fn float_cents(f: f64) -> std::result::Result<i64, AmountProblem> {
    if !f.is_finite() {
        return Err(AmountProblem::NotMoney);
    }
    if f.abs() > (MAX_AMOUNT_CENTS / 100 + 1) as f64 {
        return Err(AmountProblem::TooLarge);
    }
    match parse_amount(&f.to_string()) {
        Ok(c) => Ok(c),
        Err(AmountProblem::TooLarge) => Err(AmountProblem::TooLarge),
        Err(_) => {
            let scaled = f * 100.0;
            if (scaled - scaled.round()).abs() < 1e-6 {
                check_amount(scaled.round() as i64).map_err(|_| AmountProblem::TooLarge)
            } else {
                Err(AmountProblem::FractionOfCent)
            }
        }
    }
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
        for s in ["", "abc", "1.234", "1,23.00", "12,34", "$", "1.2.3", "--1", "1e5", "+-5.00", "+$-5.00", "(-5.00)"] {
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

    #[test]
    fn refuses_implausible_amounts_and_says_so() {
        assert_eq!(parse_cents("10,000,000,000.00").unwrap(), MAX_AMOUNT_CENTS);
        assert_eq!(parse_cents("-10000000000").unwrap(), -MAX_AMOUNT_CENTS);
        assert_eq!(parse_amount("10000000000.01"), Err(AmountProblem::TooLarge));
        assert_eq!(parse_amount("90000000000000000.00"), Err(AmountProblem::TooLarge));
        assert_eq!(parse_amount("92233720368547758.07"), Err(AmountProblem::TooLarge));
        assert_eq!(parse_amount("99999999999999999999999999"), Err(AmountProblem::TooLarge));
        assert_eq!(parse_amount("(99999999999999999999999999.00)"), Err(AmountProblem::TooLarge));
        assert_eq!(parse_amount("1.234"), Err(AmountProblem::FractionOfCent));
        assert_eq!(parse_amount("twelve"), Err(AmountProblem::NotMoney));
        assert_eq!(parse_amount("("), Err(AmountProblem::NotMoney));
        assert_eq!(parse_amount(")"), Err(AmountProblem::NotMoney));
        assert_eq!(
            parse_cents("92233720368547758.07").unwrap_err().to_string(),
            "'92233720368547758.07' is more than foiatrack accepts for one amount ($10,000,000,000.00)"
        );
        assert_eq!(parse_cents(" 1.234 ").unwrap_err().to_string(), "'1.234' has fractions of a cent");
        assert_eq!(parse_cents("abc").unwrap_err().to_string(), "'abc' is not an amount of money (e.g. 1234.56)");
        let long = "9".repeat(500);
        assert_eq!(
            parse_cents(&long).unwrap_err().to_string(),
            format!("'{}...' is more than foiatrack accepts for one amount ($10,000,000,000.00)", &long[..40])
        );
    }

    #[test]
    fn spreadsheet_numbers_within_bounds() {
        assert_eq!(float_cents(1234.56), Ok(123456));
        assert_eq!(float_cents(0.1 + 0.2), Ok(30));
        assert_eq!(float_cents(-12.0), Ok(-1200));
        assert_eq!(float_cents(1.005), Err(AmountProblem::FractionOfCent));
        assert_eq!(float_cents(1e10), Ok(MAX_AMOUNT_CENTS));
        assert_eq!(float_cents(10_000_000_000.01), Err(AmountProblem::TooLarge));
        assert_eq!(float_cents(9e16), Err(AmountProblem::TooLarge));
        assert_eq!(float_cents(-1e300), Err(AmountProblem::TooLarge));
        assert_eq!(float_cents(f64::NAN), Err(AmountProblem::NotMoney));
        assert_eq!(float_cents(f64::INFINITY), Err(AmountProblem::NotMoney));
        assert_eq!(float_cents(1e-300), Ok(0), "float noise");
    }

    #[test]
    fn sums_are_checked() {
        assert_eq!(checked_sum([MAX_AMOUNT_CENTS, -5, 5]).unwrap(), MAX_AMOUNT_CENTS);
        assert!(checked_sum([i64::MAX, 1]).is_err());
        assert!(checked_sum([i64::MIN, -1]).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn format_then_parse_roundtrips(cents in -MAX_AMOUNT_CENTS..=MAX_AMOUNT_CENTS) {
            prop_assert_eq!(parse_cents(&format_cents(cents)).unwrap(), cents);
            prop_assert_eq!(parse_cents(&decimal(cents)).unwrap(), cents);
            let accounting = if cents < 0 { format!("({})", format_cents(-cents)) } else { format_cents(cents) };
            prop_assert_eq!(parse_cents(&accounting).unwrap(), cents);
        }

        #[test]
        fn beyond_the_ceiling_is_refused_as_too_large(cents in any::<i64>()) {
            prop_assume!(cents.unsigned_abs() > MAX_AMOUNT_CENTS as u64);
            prop_assert_eq!(parse_amount(&format_cents(cents)), Err(AmountProblem::TooLarge));
            prop_assert_eq!(parse_amount(&decimal(cents)), Err(AmountProblem::TooLarge));
        }

        #[test]
        fn any_text_parses_or_is_refused_never_panics(s in any::<String>()) {
            if let Ok(c) = parse_amount(&s) {
                prop_assert!(c.unsigned_abs() <= MAX_AMOUNT_CENTS as u64);
            }
            let _ = parse_cents(&s);
        }

        #[test]
        fn money_like_text_never_panics(s in "[-+($),.0-9 ]{0,40}") {
            if let Ok(c) = parse_amount(&s) {
                prop_assert!(c.unsigned_abs() <= MAX_AMOUNT_CENTS as u64);
            }
        }

        #[test]
        fn any_float_gives_bounded_cents_or_a_reason(f in any::<f64>()) {
            if let Ok(c) = float_cents(f) {
                prop_assert!(c.unsigned_abs() <= MAX_AMOUNT_CENTS as u64);
            }
        }
    }
}
