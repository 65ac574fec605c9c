//! Vendor names normalised: a campaign's vendor map sends each raw spelling on an agency's
//! statement ("AMZN Mktp US*2K4L93", "AMAZON.COM MKTPL", "Amazon Prime*MS3K21") to a canonical
//! vendor ("Amazon Marketplace", "Amazon Prime"). Each entry is a regular expression, matched
//! case-insensitively anywhere in the spelling; the first entry that matches wins, so the more
//! specific entries come first. A spelling no entry matches has no canonical vendor: it is listed
//! for review, never guessed.
//!
//! Patterns are user input, so each is compiled within bounds (`MAX_PATTERN_CHARS` characters,
//! `REGEX_SIZE_LIMIT` bytes compiled, `REGEX_NEST_LIMIT` levels of nesting) and refused with one
//! sentence otherwise. Pure: no SQL, no I/O.

use regex::{Regex, RegexBuilder};

use crate::core::csvin;
use crate::core::spending::excerpt;
use crate::error::RowProblem;
use crate::{Error, Result};

/// The longest pattern accepted, in characters.
pub const MAX_PATTERN_CHARS: usize = 200;
/// The longest canonical vendor name, in characters.
pub const MAX_VENDOR_CHARS: usize = 100;
/// The most entries one map holds.
pub const MAX_ENTRIES: usize = 500;
/// The most memory one compiled pattern may take (256 KiB): far more than any vendor spelling
/// needs, far less than a pattern such as `(a{100}){100}` would build.
pub const REGEX_SIZE_LIMIT: usize = 256 * 1024;
/// The most memory the lazy DFA of one pattern may use while matching (1 MiB).
pub const REGEX_DFA_SIZE_LIMIT: usize = 1 << 20;
/// The deepest nesting of groups and repetitions in a pattern.
pub const REGEX_NEST_LIMIT: u32 = 32;

/// One entry of a vendor map: spellings matching `pattern` are `vendor`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    pub pattern: String,
    pub vendor: String,
}

impl Entry {
    pub fn new(pattern: &str, vendor: &str) -> Self {
        Entry { pattern: pattern.into(), vendor: vendor.into() }
    }
}

/// The built-in starting map for campaigns about Amazon (a vendor pattern that matches
/// "Amazon.com" and "AMZN Mktp US"). Card statements spell the same seller many ways; the
/// specific kinds come first, the retail store last. Anything else that matches the campaign's
/// pattern ("Amazon Fresh", "AMZN*" with no more) is left for review.
pub const AMAZON_MAP: &[(&str, &str)] = &[
    (r"mktp|marketplace", "Amazon Marketplace"),
    (r"prime", "Amazon Prime"),
    (r"web\s*services|\baws\b", "Amazon Web Services"),
    (r"kindle|digital|audible", "Amazon Digital"),
    (r"amazon\.com|amzn\.com|amazon\s+com\b|amazon\s+reta|amazon\s+business|^\s*(amazon|amzn)\s*$", "Amazon.com"),
];

/// Spellings that tell a campaign's vendor pattern is about Amazon.
const AMAZON_PROBES: &[&str] = &["Amazon.com", "AMZN Mktp US", "Amazon Marketplace"];

/// Compiles a user's pattern within the bounds above, case-insensitively; `what` names it in the
/// error ("the pattern", "--vendor-pattern"). The error is one sentence.
pub fn compile(what: &str, pattern: &str) -> std::result::Result<Regex, String> {
    let shown = excerpt(pattern);
    if pattern.trim().is_empty() {
        return Err(format!("{what} is empty: give a regular expression such as 'mktp|marketplace'"));
    }
    let chars = pattern.chars().count();
    if chars > MAX_PATTERN_CHARS {
        return Err(format!(
            "{what} '{shown}' is {chars} characters long, more than the {MAX_PATTERN_CHARS} foiatrack accepts; split it into several entries"
        ));
    }
    if pattern.chars().any(char::is_control) {
        return Err(format!("{what} '{}' contains a control character", shown.escape_debug()));
    }
    RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_DFA_SIZE_LIMIT)
        .nest_limit(REGEX_NEST_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(limit) => format!(
                "{what} '{shown}' is too complex: compiled, it would take more than {} KiB; write it more simply",
                limit / 1024
            ),
            regex::Error::Syntax(text) => {
                format!("{what} '{shown}' is not a valid regular expression: {}", syntax_reason(&text))
            }
            other => {
                format!("{what} '{shown}' is not a usable regular expression: {}", syntax_reason(&other.to_string()))
            }
        })
}

/// The reason in a regex syntax error, without the pattern and caret lines around it.
fn syntax_reason(text: &str) -> String {
    let reason = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .unwrap_or_else(|| text.lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap_or("invalid syntax"));
    reason.trim_end_matches('.').to_string()
}

/// Checks a canonical vendor name: trimmed, not empty, at most `MAX_VENDOR_CHARS` characters,
/// no control characters. Returns it trimmed.
pub fn check_vendor(name: &str) -> std::result::Result<String, String> {
    let v = name.trim();
    if v.is_empty() {
        return Err("a map entry needs a canonical vendor name, e.g. 'Amazon Marketplace'".into());
    }
    if v.chars().count() > MAX_VENDOR_CHARS {
        return Err(format!(
            "the vendor name '{}' is longer than the {MAX_VENDOR_CHARS} characters foiatrack accepts",
            excerpt(v)
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(format!("the vendor name '{}' contains a control character", excerpt(v).escape_debug()));
    }
    Ok(v.to_string())
}

/// Checks a whole map: each pattern compiles, each vendor name is usable, no pattern twice, at
/// most `MAX_ENTRIES` entries. The error is one sentence naming the entry.
pub fn check_entries(entries: &[Entry]) -> std::result::Result<(), String> {
    if entries.len() > MAX_ENTRIES {
        return Err(format!("a vendor map holds at most {MAX_ENTRIES} entries; this one would have {}", entries.len()));
    }
    for (i, e) in entries.iter().enumerate() {
        compile("the pattern", &e.pattern).map_err(|m| format!("entry {}: {m}", i + 1))?;
        check_vendor(&e.vendor).map_err(|m| format!("entry {}: {m}", i + 1))?;
        if let Some(j) = entries[..i].iter().position(|o| o.pattern == e.pattern) {
            return Err(format!("entries {} and {} have the same pattern '{}'", j + 1, i + 1, excerpt(&e.pattern)));
        }
    }
    Ok(())
}

/// The starting map for a campaign's vendor pattern: the Amazon map when the pattern matches
/// Amazon's spellings, else no entries (every spelling is then listed for review).
pub fn builtin_for(vendor_pattern: Option<&str>) -> Vec<Entry> {
    let Some(re) = vendor_pattern.and_then(|p| compile("--vendor-pattern", p).ok()) else {
        return Vec::new();
    };
    if AMAZON_PROBES.iter().all(|s| re.is_match(s)) {
        AMAZON_MAP.iter().map(|(p, v)| Entry::new(p, v)).collect()
    } else {
        Vec::new()
    }
}

/// A map compiled for matching.
#[derive(Debug, Clone)]
pub struct VendorMap {
    entries: Vec<(Entry, Regex)>,
}

impl VendorMap {
    /// Compiles every entry; the error is one sentence naming the entry.
    pub fn new(entries: &[Entry]) -> std::result::Result<Self, String> {
        let compiled = entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                compile("the pattern", &e.pattern)
                    .map(|re| (e.clone(), re))
                    .map_err(|m| format!("vendor map entry {}: {m}", i + 1))
            })
            .collect::<std::result::Result<Vec<_>, String>>()?;
        Ok(VendorMap { entries: compiled })
    }

    /// The canonical vendor of a raw spelling: the vendor of the first entry that matches.
    pub fn canonical(&self, spelling: &str) -> Option<&str> {
        self.entries.iter().find(|(_, re)| re.is_match(spelling)).map(|(e, _)| e.vendor.as_str())
    }

    /// The 1-based number of the first entry that matches.
    pub fn entry_for(&self, spelling: &str) -> Option<usize> {
        self.entries.iter().position(|(_, re)| re.is_match(spelling)).map(|i| i + 1)
    }

    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().map(|(e, _)| e)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Reads a vendor map file: a CSV header with the columns `pattern` and `vendor` (a `position`
/// column, as `campaign vendor-map list --format csv` writes, is allowed and ignored: the rows'
/// order is the order of matching). Atomic: every bad row is named by file, line, field and
/// value, and nothing is returned unless every row is good.
pub fn parse_csv(file: &str, data: &[u8]) -> Result<Vec<Entry>> {
    let table = csvin::read_table(file, data)?;
    let headers = &table.headers;
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(pi), Some(vi)) = (col("pattern"), col("vendor").or_else(|| col("canonical_vendor"))) else {
        return Err(Error::invalid(format!(
            "{file}: the header must have the columns pattern and vendor (found: {})",
            headers.join(", ")
        )));
    };
    if let Some(other) =
        headers.iter().find(|h| !["pattern", "vendor", "canonical_vendor", "position", ""].contains(&h.as_str()))
    {
        return Err(Error::invalid(format!(
            "{file}: unknown column '{other}' in the header; a vendor map has the columns pattern and vendor"
        )));
    }
    let mut entries: Vec<(u64, Entry)> = Vec::new();
    let mut problems = Vec::new();
    for rec in table.records {
        let (line, rec) = match rec {
            Ok(r) => r,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        let problem = |column: &str, value: &str, message: String| RowProblem {
            file: file.into(),
            line,
            column: Some(column.into()),
            value: Some(excerpt(value)),
            message,
        };
        if rec.len() > headers.len() {
            problems.push(RowProblem {
                file: file.into(),
                line,
                column: None,
                value: None,
                message: format!("{} fields, but the header has {}", rec.len(), headers.len()),
            });
            continue;
        }
        let pattern = rec.get(pi).unwrap_or("").trim().to_string();
        let vendor = rec.get(vi).unwrap_or("");
        let mut ok = true;
        if let Err(m) = compile("the pattern", &pattern) {
            problems.push(problem("pattern", &pattern, m));
            ok = false;
        } else if let Some((first, _)) = entries.iter().find(|(_, e)| e.pattern == pattern) {
            problems.push(problem("pattern", &pattern, format!("the same pattern as line {first}")));
            ok = false;
        }
        match check_vendor(vendor) {
            Ok(v) if ok => entries.push((line, Entry { pattern, vendor: v })),
            Ok(_) => {}
            Err(m) => problems.push(problem("vendor", vendor, m)),
        }
    }
    if !problems.is_empty() {
        return Err(Error::Import { file: file.into(), problems });
    }
    if entries.len() > MAX_ENTRIES {
        return Err(Error::invalid(format!(
            "{file} has {} entries; a vendor map holds at most {MAX_ENTRIES}",
            entries.len()
        )));
    }
    Ok(entries.into_iter().map(|(_, e)| e).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amazon() -> VendorMap {
        VendorMap::new(&builtin_for(Some("amazon|amzn"))).unwrap()
    }

    #[test]
    fn the_amazon_map_sorts_the_usual_spellings() {
        let m = amazon();
        for (spelling, vendor) in [
            ("AMZN Mktp US*2K4L93", Some("Amazon Marketplace")),
            ("AMAZON.COM MKTPL", Some("Amazon Marketplace")),
            ("Amazon Marketplace", Some("Amazon Marketplace")),
            ("AMAZON MKTPLACE PMTS", Some("Amazon Marketplace")),
            ("Amazon Prime", Some("Amazon Prime")),
            ("Amazon Prime*MS3K21", Some("Amazon Prime")),
            ("AmazonPrime Membership", Some("Amazon Prime")),
            ("Amazon Web Services", Some("Amazon Web Services")),
            ("AWS EMEA", Some("Amazon Web Services")),
            ("AMZN Digital*RT4QW", Some("Amazon Digital")),
            ("Kindle Svcs*M12", Some("Amazon Digital")),
            ("Amazon.com", Some("Amazon.com")),
            ("AMAZON.COM*MK1AB2CD3 AMZN.COM/BILL", Some("Amazon.com")),
            ("AMAZON RETA* 1X2Y3Z", Some("Amazon.com")),
            ("amazon", Some("Amazon.com")),
            ("Amazon Fresh", None),
            ("AMZN*9Q8W7E", None),
        ] {
            assert_eq!(m.canonical(spelling), vendor, "{spelling}");
        }
    }

    #[test]
    fn the_builtin_map_follows_the_campaign_pattern() {
        assert_eq!(builtin_for(Some("(?i)amazon|amzn")).len(), AMAZON_MAP.len());
        assert_eq!(builtin_for(Some("amazon|amzn|aws")).len(), AMAZON_MAP.len());
        assert!(builtin_for(Some("staples")).is_empty());
        assert!(builtin_for(Some("amazon")).is_empty(), "a pattern that misses AMZN Mktp is not the Amazon one");
        assert!(builtin_for(None).is_empty());
        assert!(builtin_for(Some("(")).is_empty());
    }

    #[test]
    fn the_first_matching_entry_wins() {
        let m = VendorMap::new(&[Entry::new("amazon", "Amazon"), Entry::new("mktp", "Marketplace")]).unwrap();
        assert_eq!(m.canonical("AMAZON MKTP"), Some("Amazon"));
        assert_eq!(m.entry_for("x mktp"), Some(2));
        assert_eq!(m.entry_for("staples"), None);
    }

    #[test]
    fn patterns_are_bounded_and_errors_are_one_sentence() {
        let err = compile("the pattern", "(amzn").unwrap_err();
        assert_eq!(err, "the pattern '(amzn' is not a valid regular expression: unclosed group");
        let err = compile("the pattern", "a{1000}{1000}").unwrap_err();
        assert!(err.contains("too complex") || err.contains("not a valid"), "{err}");
        assert!(!err.contains('\n'), "{err}");
        let err = compile("the pattern", "((((((((((((((((((((((((((((((((((a))))))))))))))))))))))))))))))))))")
            .unwrap_err();
        assert!(!err.contains('\n') && err.contains("not a valid"), "{err}");
        let err = compile("the pattern", &"a".repeat(MAX_PATTERN_CHARS + 1)).unwrap_err();
        assert!(err.contains("201 characters long"), "{err}");
        assert!(compile("the pattern", "  ").unwrap_err().contains("empty"));
        assert!(compile("the pattern", "a\u{7}b").unwrap_err().contains("control"));
        // Large but legitimate alternations compile.
        let many = (0..20).map(|i| format!("vendor{i}")).collect::<Vec<_>>().join("|");
        assert!(compile("the pattern", &many).is_ok());
        let big = "\\w{50}".repeat(3);
        let err = compile("the pattern", &big).unwrap_err();
        assert!(err.contains("too complex") && err.ends_with("write it more simply"), "{err}");
    }

    #[test]
    fn vendor_names_are_checked() {
        assert_eq!(check_vendor("  Amazon Prime ").unwrap(), "Amazon Prime");
        assert!(check_vendor(" ").is_err());
        assert!(check_vendor(&"x".repeat(MAX_VENDOR_CHARS + 1)).is_err());
        assert!(check_vendor("Amazon\x1b[2J").is_err());
    }

    #[test]
    fn whole_maps_are_checked() {
        assert!(check_entries(&[Entry::new("a", "A"), Entry::new("b", "B")]).is_ok());
        let err = check_entries(&[Entry::new("a", "A"), Entry::new("a", "B")]).unwrap_err();
        assert_eq!(err, "entries 1 and 2 have the same pattern 'a'");
        let err = check_entries(&[Entry::new("a", "A"), Entry::new("(", "B")]).unwrap_err();
        assert!(err.starts_with("entry 2: the pattern '(' is not a valid"), "{err}");
    }

    #[test]
    fn a_map_file_is_read_whole_or_refused_with_every_bad_row() {
        let good =
            parse_csv("map.csv", b"position,pattern,vendor\r\n1,mktp,Amazon Marketplace\r\n2,prime,Amazon Prime\r\n")
                .unwrap();
        assert_eq!(good, [Entry::new("mktp", "Amazon Marketplace"), Entry::new("prime", "Amazon Prime")]);
        let err = parse_csv("map.csv", b"pattern,vendor\nmktp,Amazon Marketplace\n(amzn,Amazon\nprime,\nmktp,Again\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("3 invalid rows in map.csv; nothing was imported"), "{err}");
        assert!(
            err.contains("map.csv:3: column 'pattern': the pattern '(amzn' is not a valid regular expression: unclosed group (value: '(amzn')"),
            "{err}"
        );
        assert!(err.contains("map.csv:4: column 'vendor': a map entry needs a canonical vendor name"), "{err}");
        assert!(err.contains("map.csv:5: column 'pattern': the same pattern as line 2 (value: 'mktp')"), "{err}");
        let err = parse_csv("map.csv", b"regex,name\nx,y\n").unwrap_err().to_string();
        assert_eq!(err, "map.csv: the header must have the columns pattern and vendor (found: regex, name)");
        let err = parse_csv("map.csv", b"pattern,vendor,colour\nx,y,red\n").unwrap_err().to_string();
        assert!(err.contains("unknown column 'colour'"), "{err}");
        let err = parse_csv("map.csv", b"pattern,vendor\n\"x,y\n").unwrap_err().to_string();
        assert!(err.contains("never closed"), "{err}");
    }
}
