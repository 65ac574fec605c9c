//! CSV input helpers shared by every import: CRLF to LF (so reported line numbers are the file's),
//! header normalising, and the one record loop that agency and holiday imports share.

use std::io::Read;

use crate::error::RowProblem;
use crate::{Error, Result};

/// Turns CRLF into LF while streaming, so the CSV reader's line numbers match the file's lines
/// (it counts a CRLF record end as ending before the LF).
pub struct CrlfToLf<R> {
    inner: R,
    held_cr: bool,
    /// At most one byte that did not fit the caller's buffer.
    pending: Option<u8>,
}

impl<R: Read> CrlfToLf<R> {
    pub fn new(inner: R) -> Self {
        CrlfToLf { inner, held_cr: false, pending: None }
    }
}

impl<R: Read> Read for CrlfToLf<R> {
    /// Reads straight into `out` and removes each CR that precedes an LF in place; a CR at the
    /// end of what was read waits for the next byte.
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if out.is_empty() {
                return Ok(0);
            }
            // What the last call kept back comes first: a held CR (dropped below if an LF
            // follows) or the byte after one that did not fit.
            let mut start = 0;
            if let Some(b) = self.pending.take() {
                out[0] = b;
                start = 1;
            } else if self.held_cr {
                self.held_cr = false;
                out[0] = b'\r';
                start = 1;
            }
            if start == out.len() && out[0] == b'\r' {
                // No room to look past the held CR: look at one byte.
                let mut one = [0u8; 1];
                if self.inner.read(&mut one)? == 0 {
                    return Ok(1);
                }
                match one[0] {
                    b'\n' => out[0] = b'\n',
                    b'\r' => self.held_cr = true,
                    b => self.pending = Some(b),
                }
                return Ok(1);
            }
            if start == out.len() {
                return Ok(start);
            }
            let n = self.inner.read(&mut out[start..])?;
            if n == 0 {
                // The end: a held CR is data.
                return Ok(start);
            }
            let total = start + n;
            let (mut r, mut w) = (0, 0);
            while let Some(i) = memchr::memchr(b'\r', &out[r..total]) {
                let cr = r + i;
                out.copy_within(r..cr, w);
                w += cr - r;
                r = cr + 1;
                if r == total {
                    self.held_cr = true;
                } else if out[r] != b'\n' {
                    out[w] = b'\r';
                    w += 1;
                }
            }
            out.copy_within(r..total, w);
            w += total - r;
            if w > 0 {
                return Ok(w);
            }
            // Only a CR came, held for the next byte: read on.
        }
    }
}

/// CRLF to LF for a file already in memory (agency and holiday lists), for true line numbers.
pub fn crlf_to_lf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    CrlfToLf::new(data).read_to_end(&mut out).expect("reading from memory cannot fail");
    out
}

/// The line (1-based) where a quoted field starts that is never closed, if any. The CSV reader
/// would otherwise swallow the rest of the file into that one field and report a confusing
/// problem about a later column.
pub fn unclosed_quote_line(data: &[u8]) -> Option<u64> {
    let mut line = 1u64;
    let mut in_quotes = false;
    let mut opened_on = 0u64;
    let mut at_field_start = true;
    let mut i = 0;
    while i < data.len() {
        let b = data[i];
        if in_quotes {
            if b == b'"' {
                if data.get(i + 1) == Some(&b'"') {
                    i += 1; // an escaped quote
                } else {
                    in_quotes = false;
                }
            } else if b == b'\n' {
                line += 1;
            }
        } else {
            match b {
                b'"' if at_field_start => {
                    in_quotes = true;
                    opened_on = line;
                }
                b'\n' => line += 1,
                _ => {}
            }
            at_field_start = matches!(b, b',' | b'\n' | b';' | b'\t');
        }
        i += 1;
    }
    in_quotes.then_some(opened_on)
}

/// A small CSV table (an agency or holiday list) read whole: normalised header names and each
/// record with its line, or the problem that made a record unreadable. Blank rows are skipped.
pub struct Table {
    /// Header names trimmed, lower-cased, BOM removed, spaces as `_`.
    pub headers: Vec<String>,
    pub records: Vec<std::result::Result<(u64, csv::StringRecord), RowProblem>>,
}

/// Reads a small CSV file held in memory, the one record loop every list import shares.
pub fn read_table(file: &str, data: &[u8]) -> Result<Table> {
    if let Some(line) = unclosed_quote_line(data) {
        return Err(Error::Import {
            file: file.into(),
            problems: vec![RowProblem {
                file: file.into(),
                line,
                column: None,
                value: None,
                message: "a quoted field starts here and is never closed (a missing '\"')".into(),
            }],
        });
    }
    let data = crlf_to_lf(data);
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(data.as_slice());
    let headers = rdr
        .headers()
        .map_err(|e| Error::invalid(format!("{file}: cannot read the header row: {e}")))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').trim().to_ascii_lowercase().replace(' ', "_"))
        .collect();
    let records = rdr
        .records()
        .filter_map(|rec| match rec {
            Ok(r) if r.iter().all(|f| f.trim().is_empty()) => None,
            // The line from the byte offset: the reader's own count skips blank lines.
            Ok(r) => {
                let mut at = r.position().map_or(0, |p| p.byte() as usize).min(data.len());
                // The reported start can sit on blank lines before the record.
                while at < data.len() && data[at] == b'\n' {
                    at += 1;
                }
                let line = 1 + data[..at].iter().filter(|b| **b == b'\n').count() as u64;
                Some(Ok((line, r)))
            }
            Err(e) => Some(Err(RowProblem::unreadable(file, &e))),
        })
        .collect();
    Ok(Table { headers, records })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `input` through `CrlfToLf`, `chunk` bytes at a time from a source that gives `step`
    /// bytes per read.
    fn through(input: &[u8], chunk: usize, step: usize) -> Vec<u8> {
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(buf.len()).min(self.1);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut r = CrlfToLf::new(Trickle(input, step));
        let mut out = Vec::new();
        let mut buf = vec![0u8; chunk];
        loop {
            let n = r.read(&mut buf).unwrap();
            if n == 0 {
                return out;
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    #[test]
    fn crlf_becomes_lf_whatever_the_read_sizes() {
        let cases: [(&[u8], &[u8]); 7] = [
            (b"a,b\r\nc,d\r\n", b"a,b\nc,d\n"),
            (b"a\rb\r\r\nc\r", b"a\rb\r\nc\r"),
            (b"\r\n\r\n", b"\n\n"),
            (b"\r\r\r", b"\r\r\r"),
            (b"\r", b"\r"),
            (b"", b""),
            (b"x\n\ry\r\n", b"x\n\ry\n"),
        ];
        for (input, want) in cases {
            for chunk in [1, 2, 3, 64] {
                for step in [1, 2, 5, 100] {
                    assert_eq!(through(input, chunk, step), want, "{input:?} chunk {chunk} step {step}");
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn crlf_to_lf_is_the_same_as_replacing(
            input in proptest::collection::vec(proptest::sample::select(vec![b'\r', b'\n', b'a']), 0..200),
            chunk in 1usize..9,
            step in 1usize..9,
        ) {
            let mut want = Vec::new();
            let mut i = 0;
            while i < input.len() {
                if input[i] == b'\r' && input.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                want.push(input[i]);
                i += 1;
            }
            proptest::prop_assert_eq!(through(&input, chunk, step), want);
        }
    }

    #[test]
    fn finds_the_line_of_an_unclosed_quote() {
        assert_eq!(unclosed_quote_line(b"name,state\n\"City of X,CO\nCity of Y,CO\n"), Some(2));
        assert_eq!(unclosed_quote_line(b"name,state\n\"City \"\"X\"\"\",CO\n\"a\nb\",CO\n"), None);
        assert_eq!(unclosed_quote_line(b"name,note\nX,5\" pipe\n"), None, "a quote inside a field is data");
    }

    #[test]
    fn a_table_normalises_headers_and_skips_blank_rows() {
        let t = read_table("f.csv", b"\xef\xbb\xbfKey, Mailing Address\r\n\r\na,b\r\n").unwrap();
        assert_eq!(t.headers, ["key", "mailing_address"]);
        assert_eq!(t.records.len(), 1);
        assert_eq!(t.records[0].as_ref().unwrap().0, 3);
    }
}
