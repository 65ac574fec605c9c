//! CSV input helpers shared by every import: CRLF to LF (so reported line numbers are the file's),
//! header normalising, and the one record loop that agency and holiday imports share.

use std::io::Read;

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
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        let mut w = 0;
        if let Some(b) = self.pending.take() {
            out[0] = b;
            w = 1;
        }
        let mut buf = [0u8; 8192];
        while w < out.len() {
            let room = (out.len() - w).min(buf.len());
            let n = self.inner.read(&mut buf[..room])?;
            if n == 0 {
                if self.held_cr {
                    self.held_cr = false;
                    out[w] = b'\r';
                    w += 1;
                }
                break;
            }
            // Each input byte yields at most one output byte, plus one held CR: so at most one
            // byte overflows into `pending`.
            for &b in &buf[..n] {
                let mut emit = |x: u8| {
                    if w < out.len() {
                        out[w] = x;
                        w += 1;
                    } else {
                        self.pending = Some(x);
                    }
                };
                if self.held_cr {
                    self.held_cr = false;
                    if b != b'\n' {
                        emit(b'\r');
                    }
                }
                if b == b'\r' {
                    self.held_cr = true;
                } else {
                    emit(b);
                }
            }
            if w > 0 {
                break;
            }
        }
        Ok(w)
    }
}

/// CRLF to LF for a file already in memory (agency and holiday lists), for true line numbers.
pub fn crlf_to_lf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    CrlfToLf::new(data).read_to_end(&mut out).expect("reading from memory cannot fail");
    out
}
