//! Which request an unmatched message is most likely about: the look-ups a message calls for
//! (its sender's domains, the names and numbers written in it), and a score for each candidate
//! request the look-ups found, with the reasons a person can check.
//!
//! Pure: the store runs the look-ups (each on an index, see `store::candidates`) and hands back
//! [`Candidate`]s; this module scores them. Nothing here assigns anything: the import ties a
//! message to a request only when the match is certain (a reply to our letter, our tracking
//! code, our plus-address, or the one open request of the sending agency); everything else waits
//! for a person, who sees these suggestions.
//!
//! Each signal is one function in [`SIGNALS`] from the message and a candidate to an optional
//! [`Reason`] with a weight in 0..1; a candidate's score combines its reasons' weights as
//! independent pieces of evidence (1 minus the product of each weight's complement), so every
//! reason adds to the score, and the score never reaches 1.
//! Adding a signal (a portal's request number, say) is one more field on [`Candidate`] or
//! [`Lookups`] and one more function in the list.
//!
//! Bounded: the text read is cut to [`MAX_TEXT`] bytes, and the look-ups to [`MAX_PHRASES`]
//! names, [`MAX_TOKENS`] reference numbers and [`MAX_CODES`] loosely written tracking codes.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use crate::core::status::Status;

/// Suggestions shown per message.
pub const MAX_SUGGESTIONS: usize = 3;
/// Bytes of body read (the start, where people write, and the end, where signatures are).
pub const MAX_TEXT: usize = 16 * 1024;
/// Candidate agency names looked up per message.
pub const MAX_PHRASES: usize = 4_000;
/// Words in a candidate agency name.
pub const MAX_NAME_WORDS: usize = 8;
/// Reference-like numbers looked up per message.
pub const MAX_TOKENS: usize = 200;
/// Loosely written tracking codes looked up per message.
pub const MAX_CODES: usize = 20;
/// Lines at the end of a message's own text read as its signature.
const SIGNATURE_LINES: usize = 15;

/// Mail services shared by everyone: a sender there says nothing about the agency by its domain,
/// only by its full address.
const SHARED_MAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "aol.com",
    "icloud.com",
    "me.com",
    "protonmail.com",
    "proton.me",
    "comcast.net",
    "att.net",
    "verizon.net",
    "mail.com",
    "gmx.com",
    "zoho.com",
];

/// A message tied to no request, as text.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    /// The sender's address.
    pub from: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
}

/// What to look up for a message. Every list is bounded and lowercase (as SQLite's `lower()`
/// makes ASCII text).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lookups {
    /// The sender's address, lowercase.
    pub address: String,
    /// The sender's domain, then each parent domain of at least two labels
    /// (`police.town.example.org`, `town.example.org`, `example.org`); empty for shared mail
    /// services.
    pub domains: Vec<String>,
    /// Runs of one to [`MAX_NAME_WORDS`] words starting with a capital letter, as an agency
    /// name could be written ("city of example").
    pub phrases: Vec<String>,
    /// Reference-like numbers ("26-1187", "prr-2026-00418").
    pub references: Vec<String>,
    /// Tracking codes written loosely: (campaign prefix as stored, sequence number).
    pub codes: Vec<(String, u32)>,
}

/// A request the look-ups found, with what the scorer compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub request_id: i64,
    pub tracking_code: String,
    pub campaign_prefix: String,
    pub campaign_title: String,
    pub agency_name: String,
    pub agency_email: Option<String>,
    pub agency_reference: Option<String>,
    pub status: Status,
    /// The subject of the request letter we sent, if it went by email.
    pub letter_subject: Option<String>,
}

/// Why a candidate scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Signal {
    SenderAddress,
    SenderDomain,
    AgencyName,
    Reference,
    TrackingCode,
    SubjectLike,
    CampaignPrefix,
    Open,
}

/// One reason, with what it adds to the score and how a person reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    pub signal: Signal,
    pub weight: f32,
    pub text: String,
}

/// A candidate with its score (0..1, two decimals) and reasons, strongest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub candidate: Candidate,
    pub score: f32,
    pub reasons: Vec<Reason>,
}

// ---------------------------------------------------------------------------------------------
// Text helpers

fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn tail(s: &str, max: usize) -> &str {
    let mut start = s.len().saturating_sub(max);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

/// The start and the end of a long body: where people write, and where they sign.
fn readable(body: &str) -> String {
    if body.len() <= MAX_TEXT {
        return body.to_string();
    }
    format!("{}\n{}", clip(body, MAX_TEXT * 3 / 4), tail(body, MAX_TEXT / 4))
}

/// Lowercase words of letters and digits, one space apart, with a space at each end, so a
/// name is found as whole words with `contains(" name ")`.
fn words(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(' ');
    for c in s.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

fn domain_of(addr: &str) -> &str {
    addr.rsplit_once('@').map(|(_, d)| d).unwrap_or("").trim_matches(['>', '.', ' '])
}

/// The message's own text, without what it quotes (lines starting with '>', and everything
/// from "-----Original Message-----" or "On ... wrote:" on).
fn own_text(body: &str) -> &str {
    static CUT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?im)^\s*(?:-{2,}\s*original message\s*-{2,}|_{8,}\s*$|-{5,}\s*forwarded message|begin forwarded message|>|on .{1,240}\bwrote:\s*$)")
            .expect("a valid pattern")
    });
    match CUT.find(body) {
        Some(m) => &body[..m.start()],
        None => body,
    }
}

/// The last lines of the message's own text.
fn signature(body: &str) -> String {
    let lines: Vec<&str> = own_text(body).lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(SIGNATURE_LINES)..].join("\n")
}

// ---------------------------------------------------------------------------------------------
// Look-ups

/// A reference number: letters, digits, '-' and '/', with at least two digits.
static TOKEN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9][A-Za-z0-9/-]*[0-9][A-Za-z0-9/-]*").expect("a valid pattern"));

/// What to look up for `m`, given the campaign prefixes (`AMZ16`...) in the database.
pub struct Finder {
    /// A campaign prefix and the number after it: "AMZ16-7", "amz16 #0007", "AMZ16/07".
    code: Option<Regex>,
    prefixes: Vec<String>,
}

impl Finder {
    pub fn new(prefixes: &[String]) -> Finder {
        let mut sorted: Vec<String> = prefixes.iter().filter(|p| !p.is_empty()).cloned().collect();
        sorted.sort_by_key(|p| std::cmp::Reverse(p.len()));
        let code = (!sorted.is_empty()).then(|| {
            let alt = sorted.iter().map(|p| regex::escape(p)).collect::<Vec<_>>().join("|");
            Regex::new(&format!(r"(?i)(?:^|[^a-z0-9])({alt})(?:\s*[-_–#/]\s*|\s+)(?:no\.?\s*)?(\d{{1,6}})(?:[^0-9]|$)"))
                .expect("escaped prefixes make a valid pattern")
        });
        Finder { code, prefixes: sorted }
    }

    pub fn lookups(&self, m: &Message<'_>) -> Lookups {
        let address = m.from.trim().trim_matches(['<', '>']).to_ascii_lowercase();
        let domain = domain_of(&address).to_string();
        let mut domains = Vec::new();
        if domain.contains('.') && !SHARED_MAIL_DOMAINS.contains(&domain.as_str()) {
            let labels: Vec<&str> = domain.split('.').collect();
            for i in 0..labels.len().saturating_sub(1).min(6) {
                domains.push(labels[i..].join("."));
            }
        }
        let text = format!("{}\n{}", clip(m.subject, 2048), readable(m.body));
        let mut phrases = Vec::new();
        let mut seen = HashSet::new();
        'lines: for line in text.lines() {
            let toks: Vec<&str> = line.split_whitespace().collect();
            for start in 0..toks.len() {
                if !toks[start].trim_start_matches(|c: char| !c.is_alphanumeric()).starts_with(char::is_uppercase) {
                    continue;
                }
                for n in 1..=MAX_NAME_WORDS.min(toks.len() - start) {
                    let phrase = toks[start..start + n]
                        .join(" ")
                        .replace(['\u{2019}', '\u{2018}'], "'")
                        .trim_matches(|c: char| !c.is_alphanumeric() && c != ')')
                        .to_ascii_lowercase();
                    if phrase.len() >= 4 && phrase.len() <= 200 && seen.insert(phrase.clone()) {
                        phrases.push(phrase);
                        if phrases.len() >= MAX_PHRASES {
                            break 'lines;
                        }
                    }
                }
            }
        }
        let mut references = Vec::new();
        for t in TOKEN.find_iter(&text) {
            let t = t.as_str().trim_end_matches(['-', '/']).to_ascii_lowercase();
            let digits = t.bytes().filter(u8::is_ascii_digit).count();
            if (3..=40).contains(&t.len()) && digits >= 2 && !references.contains(&t) {
                references.push(t);
                if references.len() >= MAX_TOKENS {
                    break;
                }
            }
        }
        let mut codes = Vec::new();
        if let Some(re) = &self.code {
            for c in re.captures_iter(&text) {
                let Some(prefix) = self.prefixes.iter().find(|p| p.eq_ignore_ascii_case(&c[1])) else { continue };
                let Ok(seq) = c[2].parse::<u32>() else { continue };
                let code = (prefix.clone(), seq);
                if seq > 0 && !codes.contains(&code) {
                    codes.push(code);
                    if codes.len() >= MAX_CODES {
                        break;
                    }
                }
            }
        }
        Lookups { address, domains, phrases, references, codes }
    }
}

// ---------------------------------------------------------------------------------------------
// Scoring

/// What every signal reads: the message, prepared once.
pub struct Context<'a> {
    m: Message<'a>,
    lookups: &'a Lookups,
    subject_words: String,
    signature_words: String,
    body_words: String,
    /// Agencies among the candidates whose email domain is the sender's (or a parent of it).
    domain_agencies: usize,
}

impl<'a> Context<'a> {
    pub fn new(m: Message<'a>, lookups: &'a Lookups, candidates: &[Candidate]) -> Context<'a> {
        let body = readable(m.body);
        let mut agencies: Vec<&str> = candidates
            .iter()
            .filter(|c| {
                c.agency_email
                    .as_deref()
                    .is_some_and(|e| lookups.domains.iter().any(|d| domain_of(e).eq_ignore_ascii_case(d)))
            })
            .map(|c| c.agency_name.as_str())
            .collect();
        agencies.sort_unstable();
        agencies.dedup();
        Context {
            m,
            lookups,
            subject_words: words(clip(m.subject, 2048)),
            signature_words: words(&signature(&body)),
            body_words: words(&body),
            domain_agencies: agencies.len(),
        }
    }
}

/// A signal: what one piece of evidence says about one candidate.
pub type SignalFn = fn(&Context<'_>, &Candidate) -> Option<Reason>;

/// Every signal, in the order reasons are listed on a tie of weight.
pub const SIGNALS: &[SignalFn] = &[sender, agency_name, reference, tracking_code, subject_like, campaign_prefix, open];

fn reason(signal: Signal, weight: f32, text: String) -> Option<Reason> {
    Some(Reason { signal, weight, text })
}

/// The sender is the agency's address, or writes from its domain (or a subdomain of it).
fn sender(cx: &Context<'_>, c: &Candidate) -> Option<Reason> {
    let email = c.agency_email.as_deref()?.trim().to_ascii_lowercase();
    if !cx.lookups.address.is_empty() && email == cx.lookups.address {
        return reason(Signal::SenderAddress, 0.5, format!("sender {email} is the agency's address"));
    }
    let theirs = domain_of(&email);
    let pos = cx.lookups.domains.iter().position(|d| d == theirs)?;
    let shared = match cx.domain_agencies {
        0 | 1 => String::new(),
        n => format!(" (shared by {n} agencies)"),
    };
    let mut weight: f32 = if pos == 0 { 0.35 } else { 0.25 };
    weight *= match cx.domain_agencies {
        0 | 1 => 1.0,
        2 | 3 => 0.6,
        _ => 0.3,
    };
    let text = if pos == 0 {
        format!("sender's domain {theirs} is the agency's{shared}")
    } else {
        format!("sender's domain {} is under the agency's {theirs}{shared}", cx.lookups.domains[0])
    };
    reason(Signal::SenderDomain, weight, text)
}

/// The agency's name is written in the subject, the signature or the text.
fn agency_name(cx: &Context<'_>, c: &Candidate) -> Option<Reason> {
    let name = words(&c.agency_name);
    if name.trim().len() < 4 {
        return None;
    }
    let (weight, place) = if cx.subject_words.contains(&name) {
        (0.35, "the subject")
    } else if cx.signature_words.contains(&name) {
        (0.35, "the signature")
    } else if cx.body_words.contains(&name) {
        (0.25, "the text")
    } else {
        return None;
    };
    reason(Signal::AgencyName, weight, format!("agency name \"{}\" in {place}", c.agency_name.trim()))
}

/// A number in the message is the agency's reference for the request.
fn reference(cx: &Context<'_>, c: &Candidate) -> Option<Reason> {
    let r = c.agency_reference.as_deref()?.trim();
    let low = r.to_ascii_lowercase();
    cx.lookups.references.contains(&low).then(|| Reason {
        signal: Signal::Reference,
        weight: 0.6,
        text: format!("reference {r} is the agency's reference for this request"),
    })
}

/// The tracking code, written loosely ("AMZ16-7", "amz16 #0007").
fn tracking_code(cx: &Context<'_>, c: &Candidate) -> Option<Reason> {
    let (prefix, seq) = c.tracking_code.rsplit_once('-')?;
    let seq: u32 = seq.parse().ok()?;
    cx.lookups.codes.iter().any(|(p, s)| p == prefix && *s == seq).then(|| Reason {
        signal: Signal::TrackingCode,
        weight: 0.6,
        text: format!("the text gives {prefix} number {seq}: tracking code {}", c.tracking_code),
    })
}

/// The words of a subject that say what it is about: no "Re:", no tracking code, no small
/// words, and none of the words every records request's subject has.
fn subject_words(s: &str, code: &str) -> Vec<String> {
    const SMALL: &[&str] = &[
        "re", "fw", "fwd", "aw", "tr", "the", "a", "an", "of", "for", "and", "to", "in", "on", "your", "our", "from",
        "public", "records", "record", "request", "requests", "foia", "open", "follow", "up", "followup",
    ];
    let code = words(code);
    let mut w: Vec<String> = words(&words(clip(s, 1024)).replace(&code, " "))
        .split_whitespace()
        .filter(|x| !SMALL.contains(x))
        .map(str::to_string)
        .collect();
    w.sort_unstable();
    w.dedup();
    w
}

/// The subject reads like the subject of our request letter (or the campaign's title): at least
/// two words in common, and half the words of the two together.
fn subject_like(cx: &Context<'_>, c: &Candidate) -> Option<Reason> {
    let ours: Vec<String> = subject_words(cx.m.subject, &c.tracking_code);
    if ours.len() < 2 {
        return None;
    }
    let best = [c.letter_subject.as_deref(), Some(c.campaign_title.as_str())]
        .into_iter()
        .flatten()
        .map(|s| {
            let theirs = subject_words(s, &c.tracking_code);
            let shared = theirs.iter().filter(|w| ours.contains(w)).count();
            // Dice: how much the two word sets share; one word in common is chance.
            if shared < 2 { 0.0 } else { 2.0 * shared as f32 / (theirs.len() + ours.len()) as f32 }
        })
        .fold(0.0f32, f32::max);
    if best < 0.5 {
        return None;
    }
    let what = if c.letter_subject.is_some() { "our letter's" } else { "the campaign's title" };
    reason(
        Signal::SubjectLike,
        (0.3 * best * 100.0).round() / 100.0,
        format!("subject like {what} ({:.0}% of the words shared)", best * 100.0),
    )
}

/// The campaign's code prefix is written in the message (without a number that names a request).
fn campaign_prefix(cx: &Context<'_>, c: &Candidate) -> Option<Reason> {
    if cx.lookups.codes.iter().any(|(p, _)| *p == c.campaign_prefix) {
        return None; // the code itself says more
    }
    let p = words(&c.campaign_prefix);
    let place = if cx.subject_words.contains(&p) {
        "the subject"
    } else if cx.body_words.contains(&p) {
        "the text"
    } else {
        return None;
    };
    reason(Signal::CampaignPrefix, 0.15, format!("campaign prefix {} in {place}", c.campaign_prefix))
}

/// Open requests first: an agency answers a request it has.
fn open(_: &Context<'_>, c: &Candidate) -> Option<Reason> {
    let is_open = c.status != Status::Draft && !c.status.is_terminal();
    is_open.then(|| Reason { signal: Signal::Open, weight: 0.1, text: format!("the request is open ({})", c.status) })
}

/// The candidates worth showing, best first, at most [`MAX_SUGGESTIONS`]: each with at least
/// one reason besides being open. Ties go to open requests, then to the lower tracking code.
pub fn score(m: Message<'_>, lookups: &Lookups, candidates: &[Candidate]) -> Vec<Scored> {
    let cx = Context::new(m, lookups, candidates);
    let mut out: Vec<Scored> = Vec::new();
    for c in candidates {
        if out.iter().any(|s| s.candidate.request_id == c.request_id) {
            continue;
        }
        let mut reasons: Vec<Reason> = SIGNALS.iter().filter_map(|f| f(&cx, c)).collect();
        if reasons.iter().all(|r| r.signal == Signal::Open) {
            continue;
        }
        reasons.sort_by(|a, b| b.weight.total_cmp(&a.weight));
        let doubt: f64 = reasons.iter().map(|r| 1.0 - f64::from(r.weight.clamp(0.0, 1.0))).product();
        let score = ((1.0 - doubt) * 100.0).round() as f32 / 100.0;
        out.push(Scored { candidate: c.clone(), score, reasons });
    }
    let is_open = |s: &Scored| s.reasons.iter().any(|r| r.signal == Signal::Open);
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(is_open(b).cmp(&is_open(a)))
            .then(a.candidate.tracking_code.cmp(&b.candidate.tracking_code))
    });
    out.truncate(MAX_SUGGESTIONS);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(id: i64, code: &str, agency: &str, email: &str, status: Status) -> Candidate {
        Candidate {
            request_id: id,
            tracking_code: code.into(),
            campaign_prefix: code.split('-').next().unwrap().into(),
            campaign_title: "Amazon purchases 2016".into(),
            agency_name: agency.into(),
            agency_email: Some(email.into()),
            agency_reference: None,
            status,
            letter_subject: Some(format!("Public records request {code}: Amazon purchases 2016")),
        }
    }

    fn finder() -> Finder {
        Finder::new(&["AMZ16".to_string(), "POL".to_string()])
    }

    #[test]
    fn lookups_are_the_domains_names_numbers_and_codes_in_the_message() {
        let m = Message {
            from: "Records@Police.Town.Example.org",
            subject: "RE: Your request (amz16-7)",
            body: "Your request 26-1187 is in process.\n\nJane Roe\nRecords Clerk, City of Example\n",
        };
        let l = finder().lookups(&m);
        assert_eq!(l.address, "records@police.town.example.org");
        assert_eq!(l.domains, vec!["police.town.example.org", "town.example.org", "example.org"]);
        for p in ["city of example", "records clerk, city of example", "jane roe", "your request"] {
            assert!(l.phrases.contains(&p.to_string()), "{p}: {:?}", l.phrases);
        }
        assert!(!l.phrases.iter().any(|p| p.starts_with("is in")), "names start with a capital");
        assert_eq!(l.references, vec!["amz16-7", "26-1187"]);
        assert_eq!(l.codes, vec![("AMZ16".to_string(), 7)]);
        let webmail = finder().lookups(&Message { from: "clerk.smalltown@gmail.com", subject: "", body: "" });
        assert!(webmail.domains.is_empty());
    }

    #[test]
    fn lookups_stay_bounded() {
        let body = "Aa Bb Cc Dd Ee Ff Gg Hh Ii Jj 12-34 ".repeat(20_000);
        let l = finder().lookups(&Message { from: "x@y.example.org", subject: &body, body: &body });
        assert!(l.phrases.len() <= MAX_PHRASES);
        assert!(l.references.len() <= MAX_TOKENS);
        let codes =
            "AMZ16-1 AMZ16-2 AMZ16-3 ".repeat(1000) + &(1..100).map(|i| format!("AMZ16-{i} ")).collect::<String>();
        assert!(finder().lookups(&Message { from: "", subject: "", body: &codes }).codes.len() <= MAX_CODES);
        let _ = finder().lookups(&Message { from: "@", subject: "\u{2019}", body: "é".repeat(MAX_TEXT).as_str() });
    }

    #[test]
    fn reasons_are_weighed_and_open_requests_come_first() {
        let mut a = cand(1, "AMZ16-0001", "City of Example", "records@town.example.org", Status::AwaitingResponse);
        a.agency_reference = Some("26-1187".into());
        let mut b = cand(2, "POL-0002", "City of Example", "records@town.example.org", Status::Completed);
        b.campaign_title = "Police overtime".into();
        b.letter_subject = Some("Public records request POL-0002: Police overtime".into());
        let c = cand(3, "AMZ16-0003", "Other County", "foia@other.example.net", Status::AwaitingResponse);
        let m = Message {
            from: "clerk@town.example.org",
            subject: "RE: Public records request: Amazon purchases 2016",
            body: "Your reference is 26-1187.\n\nThanks,\nCity of Example Records\n",
        };
        let l = finder().lookups(&m);
        let s = score(m, &l, &[a, b, c]);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].candidate.tracking_code, "AMZ16-0001");
        let texts: Vec<&str> = s[0].reasons.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "reference 26-1187 is the agency's reference for this request",
                "sender's domain town.example.org is the agency's",
                "agency name \"City of Example\" in the signature",
                "subject like our letter's (100% of the words shared)",
                "the request is open (awaiting_response)",
            ]
        );
        assert_eq!(s[0].score, 0.89);
        // The same agency's closed request: the domain and the name, not the reference.
        assert_eq!(s[1].candidate.tracking_code, "POL-0002");
        assert_eq!(s[1].score, 0.58);
        // Another agency's request of the campaign: only the subject.
        assert_eq!(s[2].candidate.tracking_code, "AMZ16-0003");
        assert_eq!(s[2].reasons[0].text, "subject like our letter's (100% of the words shared)");
        assert_eq!(s[2].score, 0.37);
    }

    #[test]
    fn a_candidate_with_nothing_but_being_open_is_dropped_and_ties_prefer_open() {
        let a = cand(1, "AMZ16-0001", "Town of Elm", "clerk@elm.example.org", Status::Completed);
        let b = cand(2, "AMZ16-0002", "Town of Elm", "clerk@elm.example.org", Status::AwaitingAck);
        let c = cand(3, "AMZ16-0003", "Far County", "foia@far.example.net", Status::AwaitingAck);
        let m = Message { from: "clerk@elm.example.org", subject: "Question", body: "Call me." };
        let l = finder().lookups(&m);
        let s = score(m, &l, &[a, b, c]);
        let codes: Vec<&str> = s.iter().map(|x| x.candidate.tracking_code.as_str()).collect();
        assert_eq!(codes, vec!["AMZ16-0002", "AMZ16-0001"]);
        assert_eq!(s[0].reasons[0].text, "sender clerk@elm.example.org is the agency's address");
        assert_eq!((s[0].score, s[1].score), (0.55, 0.5));
    }

    #[test]
    fn shared_domains_weigh_less_and_loose_codes_and_prefixes_count() {
        let a = cand(1, "AMZ16-0007", "Parks Department", "parks@state.example.gov", Status::AwaitingResponse);
        let b = cand(2, "AMZ16-0008", "Revenue Department", "revenue@state.example.gov", Status::AwaitingResponse);
        let m = Message { from: "help@state.example.gov", subject: "About amz16 #7", body: "" };
        let l = finder().lookups(&m);
        let s = score(m, &l, &[a.clone(), b.clone()]);
        assert_eq!(s[0].candidate.tracking_code, "AMZ16-0007");
        assert_eq!(
            s[0].reasons.iter().map(|r| r.text.as_str()).collect::<Vec<_>>(),
            vec![
                "the text gives AMZ16 number 7: tracking code AMZ16-0007",
                "sender's domain state.example.gov is the agency's (shared by 2 agencies)",
                "the request is open (awaiting_response)",
            ]
        );
        assert_eq!(s[0].score, 0.72);
        assert_eq!(s[1].reasons[0].text, "sender's domain state.example.gov is the agency's (shared by 2 agencies)");
        // The prefix alone.
        let m = Message { from: "x@elsewhere.example.net", subject: "AMZ16 question", body: "" };
        let l = finder().lookups(&m);
        let s = score(m, &l, &[a]);
        assert_eq!(s[0].reasons[0].text, "campaign prefix AMZ16 in the subject");
        assert_eq!(s[0].score, 0.24);
    }
}
