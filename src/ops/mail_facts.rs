//! The bridge from a parsed message (mail-parser) to the plain-text [`MailFacts`] that
//! `core::reply` reads. Kept apart from the import so the labelled-reply tests and the import
//! use exactly the same conversion.

use mail_parser::{Message, MessagePart, MimeHeaders, PartType};

use crate::core::reply::{MAX_BODY, MailFacts};

/// Bytes of a delivery-status part or returned header block kept (a report is a few hundred).
const MAX_REPORT_PART: usize = 16 * 1024;
/// Attachment names looked at.
const MAX_ATTACHMENT_NAMES: usize = 64;

/// What `core::reply` needs to know about `msg`.
pub fn mail_facts(msg: &Message<'_>) -> MailFacts {
    let from_addr = msg.from().and_then(|a| a.first());
    let mut facts = MailFacts {
        from: from_addr.and_then(|a| a.address()).unwrap_or("").to_ascii_lowercase(),
        from_name: from_addr.and_then(|a| a.name()).unwrap_or("").to_string(),
        subject: msg.subject().unwrap_or("").to_string(),
        headers: msg.headers_raw().map(|(n, v)| (n.to_string(), unfold(v))).collect(),
        content_type: msg.header_raw("Content-Type").map(unfold).unwrap_or_default(),
        body_text: body_text(msg),
        ..MailFacts::default()
    };
    for part in &msg.parts {
        let ctype = part_type(part);
        match ctype.as_str() {
            "message/delivery-status" | "message/global-delivery-status" if facts.delivery_status.is_none() => {
                facts.delivery_status = Some(bounded_text(part.contents()));
            }
            "text/rfc822-headers" | "message/rfc822-headers" | "message/global-headers"
                if facts.returned_headers.is_none() =>
            {
                facts.returned_headers = Some(bounded_text(part.contents()));
            }
            "message/rfc822" | "message/global" if facts.returned_headers.is_none() => {
                facts.returned_headers = Some(match &part.body {
                    PartType::Message(inner) => {
                        let raw = inner.raw_message();
                        let end = inner.root_part().raw_body_offset() as usize;
                        bounded_text(raw.get(..end).unwrap_or(raw))
                    }
                    _ => bounded_text(part.contents()),
                });
            }
            _ => {}
        }
    }
    facts.attachment_names =
        msg.attachments().filter_map(|p| p.attachment_name()).take(MAX_ATTACHMENT_NAMES).map(str::to_string).collect();
    facts
}

/// `type/subtype` of a part, lowercase; `text/plain` when it says nothing.
fn part_type(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(c) => match c.subtype() {
            Some(sub) => format!("{}/{}", c.ctype(), sub).to_ascii_lowercase(),
            None => c.ctype().to_ascii_lowercase(),
        },
        None => "text/plain".into(),
    }
}

/// The readable text of the message: its text bodies, else its HTML bodies as text, cut to
/// [`MAX_BODY`] bytes.
fn body_text(msg: &Message<'_>) -> String {
    let mut out = String::new();
    let mut i = 0;
    while let Some(text) = msg.body_text(i) {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&text);
        if out.len() >= MAX_BODY {
            break;
        }
        i += 1;
    }
    cut(out, MAX_BODY)
}

/// A header value with its line folds removed.
fn unfold(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for (i, line) in v.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if i > 0 && !line.trim().is_empty() {
            out.push(' ');
        }
        out.push_str(if i > 0 { line.trim_start() } else { line });
    }
    out.trim().to_string()
}

fn bounded_text(bytes: &[u8]) -> String {
    let bytes = &bytes[..bytes.len().min(MAX_REPORT_PART)];
    String::from_utf8_lossy(bytes).into_owned()
}

/// `s` cut to at most `max` bytes, at a character boundary.
fn cut(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    #[test]
    fn a_delivery_report_gives_its_status_and_returned_headers() {
        let raw = b"From: MAILER-DAEMON@mx.example.net\r\nTo: us@newsroom.example.org\r\nSubject: Undelivered Mail\r\n\
Content-Type: multipart/report; report-type=delivery-status;\r\n boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
It could not be delivered.\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n\
Final-Recipient: rfc822; clerk@city.example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--b\r\n\
Content-Type: text/rfc822-headers\r\n\r\nMessage-ID: <abc@newsroom.example.org>\r\nSubject: Records request\r\n\r\n--b--\r\n";
        let msg = MessageParser::default().parse(&raw[..]).unwrap();
        let f = mail_facts(&msg);
        assert_eq!(f.from, "mailer-daemon@mx.example.net");
        assert!(f.content_type.starts_with("multipart/report; report-type=delivery-status;"), "{}", f.content_type);
        assert!(!f.content_type.contains('\n'));
        assert!(f.delivery_status.as_deref().unwrap().contains("Status: 5.1.1"));
        assert!(f.returned_headers.as_deref().unwrap().contains("<abc@newsroom.example.org>"));
        assert!(f.body_text.contains("could not be delivered"));
        assert!(f.headers.iter().any(|(n, v)| n == "Subject" && v == "Undelivered Mail"));
    }

    #[test]
    fn folded_headers_are_unfolded() {
        assert_eq!(unfold(" a;\r\n\tb=c\r\n"), "a; b=c");
        assert_eq!(cut("ééé".into(), 3), "é");
    }
}
