//! Reading mailboxes one message at a time: an mbox file streamed (memory holds one message,
//! never the file), and the message files of a Maildir folder. Messages larger than
//! [`MAX_MESSAGE_BYTES`] are passed over (their size is reported instead of their bytes).

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

/// The largest message read: an mbox message, a Maildir file or an .eml file. Mail servers take
/// 25 to 50 MB; a larger one is skipped with its size, and reading goes on with the next.
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;

/// The sentence for a message over the limit.
pub fn too_large(size: u64) -> String {
    format!(
        "the message is {} MiB, more than the {} MiB foiatrack reads",
        size.div_ceil(1 << 20),
        MAX_MESSAGE_BYTES >> 20
    )
}

/// One message of an mbox file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MboxMessage {
    /// 1 for the first message of the file.
    pub number: usize,
    /// The byte offset of its "From " line.
    pub offset: u64,
    /// The message, without its "From " line, `>From ` unquoted; `Err(size)` when it is larger
    /// than the limit (its bytes were passed over).
    pub contents: Result<Vec<u8>, u64>,
}

/// Whether a line (from an mbox file) is a message separator: `From ADDRESS DATE`, with the
/// date as mbox writers put it (`Thu Mar  5 10:00:00 2026`, optionally with a zone, or
/// `Thu, 05 Mar 2026 10:00:00 +0000`). A line of text that starts with "From " but is not one
/// ("From the attached files you can see") belongs to the message it is in.
pub fn is_separator(line: &[u8]) -> bool {
    static RE: std::sync::OnceLock<regex::bytes::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        let day = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*";
        let month = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*";
        let time = r"\d{1,2}:\d{2}(?::\d{2})?";
        let zone = r"(?:[a-z]{1,5}|[+-]\d{4})";
        regex::bytes::Regex::new(&format!(
            r"(?i)^From (?:\S+[ \t]+)?{day},?[ \t]+(?:{month}[ \t]+\d{{1,2}}[ \t]+{time}(?:[ \t]+{zone})?[ \t]+\d{{4}}|\d{{1,2}}[ \t]+{month}[ \t]+\d{{4}}[ \t]+{time})(?:[ \t].*)?\r?\n?$"
        ))
        .expect("a valid pattern")
    })
    .is_match(line)
}

/// Lines are read in pieces of at most this many bytes, so a file without line breaks is read
/// in bounded steps too.
const PIECE: u64 = 64 * 1024;

/// Reads an mbox file message by message. The first line always starts a message (the caller
/// checked that the file starts with "From "); after that only lines that look like separators
/// do. Lines quoted as `>From `, `>>From ` lose one `>`.
pub struct MboxReader<R> {
    inner: R,
    max: usize,
    /// Bytes read so far.
    offset: u64,
    /// Messages started so far.
    started: usize,
    /// The message whose separator was read last: (number, offset).
    next: Option<(usize, u64)>,
    at_line_start: bool,
    done: bool,
    piece: Vec<u8>,
}

impl<R: BufRead> MboxReader<R> {
    pub fn new(inner: R) -> Self {
        Self::with_limit(inner, MAX_MESSAGE_BYTES)
    }

    pub fn with_limit(inner: R, max: usize) -> Self {
        MboxReader {
            inner,
            max,
            offset: 0,
            started: 0,
            next: None,
            at_line_start: true,
            done: false,
            piece: Vec::new(),
        }
    }

    /// Reads one piece of a line into `self.piece`: whether it ends its line, or `None` at the
    /// end of the file.
    fn read_piece(&mut self) -> std::io::Result<Option<bool>> {
        self.piece.clear();
        let n = (&mut self.inner).take(PIECE).read_until(b'\n', &mut self.piece)?;
        if n == 0 {
            return Ok(None);
        }
        self.offset += n as u64;
        let ends = self.piece.last() == Some(&b'\n');
        self.at_line_start = ends;
        Ok(Some(ends))
    }

    /// Reads and drops the rest of a line whose first piece was read.
    fn skip_line(&mut self, mut ends: bool) -> std::io::Result<()> {
        while !ends {
            match self.read_piece()? {
                Some(e) => ends = e,
                None => break,
            }
        }
        Ok(())
    }

    /// The next message, or `None` at the end of the file.
    pub fn next_message(&mut self) -> Option<std::io::Result<MboxMessage>> {
        match self.read_message() {
            Ok(m) => m.map(Ok),
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }

    fn read_message(&mut self) -> std::io::Result<Option<MboxMessage>> {
        if self.done {
            return Ok(None);
        }
        let (number, offset) = match self.next.take() {
            Some(next) => next,
            None => {
                // The first line starts the first message, whatever it looks like.
                let Some(ends) = self.read_piece()? else {
                    self.done = true;
                    return Ok(None);
                };
                self.skip_line(ends)?;
                self.started = 1;
                (1, 0)
            }
        };
        let mut contents = Vec::new();
        let mut size = 0u64;
        loop {
            let line_start = self.at_line_start;
            let start = self.offset;
            let Some(ends) = self.read_piece()? else {
                self.done = true;
                break;
            };
            if line_start && self.piece.starts_with(b"From ") && is_separator(&self.piece) {
                self.skip_line(ends)?;
                self.started += 1;
                self.next = Some((self.started, start));
                break;
            }
            let quotes = if line_start { self.piece.iter().take_while(|b| **b == b'>').count() } else { 0 };
            let line = if quotes > 0 && self.piece[quotes..].starts_with(b"From ") {
                &self.piece[1..]
            } else {
                &self.piece[..]
            };
            size += line.len() as u64;
            if size > self.max as u64 {
                // Passed over: only its size is kept.
                contents = Vec::new();
            } else {
                contents.extend_from_slice(line);
            }
        }
        let contents = if size > self.max as u64 { Err(size) } else { Ok(contents) };
        Ok(Some(MboxMessage { number, offset, contents }))
    }
}

/// File names held at once while a Maildir folder is listed in order: memory stays the same
/// for a folder of any size (see [`MaildirFiles`]).
pub const MAILDIR_WINDOW: usize = 4096;

/// The message files of a Maildir folder (`cur/` and `new/`, not dot files), in order of their
/// paths (Maildir names start with the delivery time, so oldest first), read a window at a time:
/// each pass over the folder keeps only the next [`MAILDIR_WINDOW`] names after the last one
/// given, so memory does not grow with the folder (a pass over the directory costs far less than
/// reading its files). A file delivered while the folder is read is taken if its name comes after
/// the window being read, else at the next import. `Err` says why the folder is not one.
pub fn maildir_files(path: &Path) -> Result<MaildirFiles, String> {
    maildir_files_by(path, MAILDIR_WINDOW)
}

/// [`maildir_files`] with windows of `window` names (at least 1).
pub fn maildir_files_by(path: &Path, window: usize) -> Result<MaildirFiles, String> {
    for sub in ["cur", "new"] {
        if !path.join(sub).is_dir() {
            return Err(format!("not a Maildir folder (no {sub}/ in it)"));
        }
    }
    Ok(MaildirFiles {
        root: path.to_path_buf(),
        window: window.max(1),
        after: None,
        next: Vec::new().into_iter(),
        last_window: false,
    })
}

/// The files of a Maildir folder, in order; see [`maildir_files`].
pub struct MaildirFiles {
    root: PathBuf,
    window: usize,
    /// The last path given: the next window starts after it.
    after: Option<std::ffi::OsString>,
    next: std::vec::IntoIter<std::ffi::OsString>,
    /// The window being given held every name left.
    last_window: bool,
}

impl MaildirFiles {
    /// Lists the folder once, keeping the `window` smallest paths after `after`, sorted.
    fn read_window(&self) -> Result<Vec<std::ffi::OsString>, String> {
        let mut heap = std::collections::BinaryHeap::with_capacity(self.window + 1);
        for sub in ["cur", "new"] {
            let entries = std::fs::read_dir(self.root.join(sub)).map_err(|e| format!("cannot read {sub}/: {e}"))?;
            for entry in entries {
                let entry = entry.map_err(|e| format!("cannot read {sub}/: {e}"))?;
                if entry.file_name().as_encoded_bytes().starts_with(b".") {
                    continue;
                }
                let p = entry.path().into_os_string();
                if self.after.as_ref().is_some_and(|a| p <= *a) {
                    continue;
                }
                if heap.len() == self.window && heap.peek().is_some_and(|top| p >= *top) {
                    continue;
                }
                // Only files are messages: checked (a stat) only for a name the window would
                // keep, and before it takes another's place, so a folder, a dangling link or a
                // file gone since the listing never pushes a message out of the window.
                if !Path::new(&p).is_file() {
                    continue;
                }
                if heap.len() == self.window {
                    heap.pop();
                }
                heap.push(p);
            }
        }
        Ok(heap.into_sorted_vec())
    }
}

impl Iterator for MaildirFiles {
    type Item = Result<PathBuf, String>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(p) = self.next.next() {
            return Some(Ok(PathBuf::from(p)));
        }
        if self.last_window {
            return None;
        }
        match self.read_window() {
            Err(reason) => {
                self.last_window = true;
                Some(Err(reason))
            }
            Ok(names) => {
                self.last_window = names.len() < self.window;
                self.after = names.last().cloned();
                self.next = names.into_iter();
                self.next.next().map(|p| Ok(PathBuf::from(p)))
            }
        }
    }
}

/// A whole message file (an .eml file or a Maildir entry), read only when it is within the limit:
/// `Ok(Err(size))` when it is larger.
pub fn read_message_file(path: &Path) -> std::io::Result<Result<Vec<u8>, u64>> {
    let f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    if len > MAX_MESSAGE_BYTES as u64 {
        return Ok(Err(len));
    }
    let mut raw = Vec::with_capacity(len as usize);
    // A file that grows while it is read is read up to the limit and one byte more.
    f.take(MAX_MESSAGE_BYTES as u64 + 1).read_to_end(&mut raw)?;
    if raw.len() > MAX_MESSAGE_BYTES {
        return Ok(Err(raw.len() as u64));
    }
    Ok(Ok(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every message of an mbox held in memory.
    pub fn mbox_messages(raw: &[u8], max: usize) -> Vec<MboxMessage> {
        let mut r = MboxReader::with_limit(raw, max);
        let mut out = Vec::new();
        while let Some(m) = r.next_message() {
            out.push(m.unwrap());
        }
        out
    }

    #[test]
    fn separators_look_like_from_address_date() {
        for yes in [
            "From clerk@agency.example.org Thu Mar 05 10:00:00 2026\n",
            "From clerk@agency.example.org Thu Mar  5 10:00:00 2026\r\n",
            "From MAILER-DAEMON Fri Jul  8 12:08:34 2011",
            "From - Mon Jan 05 09:00:00 2026\n",
            "From a@b.example Thu Mar 05 10:00 2026\n",
            "From a@b.example Thu Mar 05 10:00:00 +0000 2026\n",
            "From a@b.example Thu Mar 05 10:00:00 PST 2026\n",
            "From a@b.example Thu Mar 05 10:00:00 2026 remote from somewhere\n",
            "From a@b.example Thu, 05 Mar 2026 10:00:00 +0000\n",
            "From Thu Mar 05 10:00:00 2026\n",
        ] {
            assert!(is_separator(yes.as_bytes()), "{yes:?}");
        }
        for no in [
            "From the attached spreadsheet you can see the purchases.\n",
            "From 2016 to 2017 we bought nothing from Amazon.\n",
            "From: clerk@agency.example.org\n",
            "From clerk@agency.example.org\n",
            "From Monday on, Thu Mar 05 10:00:00 2026 is the date\n",
            "From clerk@agency.example.org on Thu Mar 05 10:00:00 2026\n",
            ">From clerk@agency.example.org Thu Mar 05 10:00:00 2026\n",
        ] {
            assert!(!is_separator(no.as_bytes()), "{no:?}");
        }
    }

    #[test]
    fn mbox_splits_only_at_separators_and_unquotes() {
        let raw = b"From a@x.example Thu Mar 05 10:00:00 2026\nSubject: one\n\nFrom the records:\n>From here\n>>From there\n\nFrom b@x.example Fri Mar 06 10:00:00 2026\nSubject: two\n\nbody\n";
        let m = mbox_messages(raw, MAX_MESSAGE_BYTES);
        assert_eq!(m.len(), 2);
        assert_eq!((m[0].number, m[0].offset), (1, 0));
        assert_eq!(m[0].contents.as_deref().unwrap(), b"Subject: one\n\nFrom the records:\nFrom here\n>From there\n\n");
        assert_eq!(m[1].number, 2);
        assert_eq!(m[1].offset, raw.windows(6).position(|w| w == b"From b").unwrap() as u64);
        assert_eq!(m[1].contents.as_deref().unwrap(), b"Subject: two\n\nbody\n");
        // The first line starts a message even when it is not a well-formed separator.
        assert_eq!(mbox_messages(b"From nobody\nSubject: x\n\ny\n", MAX_MESSAGE_BYTES).len(), 1);
        // A file that ends without a line break, and an empty message between two separators.
        let m = mbox_messages(
            b"From a Thu Mar 05 10:00:00 2026\nFrom b Thu Mar 05 10:00:00 2026\nSubject: x\n\nno newline",
            MAX_MESSAGE_BYTES,
        );
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].contents.as_deref().unwrap(), b"");
        assert_eq!(m[1].contents.as_deref().unwrap(), b"Subject: x\n\nno newline");
    }

    #[test]
    fn a_message_over_the_limit_is_passed_over_and_the_next_one_read() {
        let mut raw = b"From a Thu Mar 05 10:00:00 2026\nSubject: big\n\n".to_vec();
        // A long body: lines of 100 bytes, and one line of 200 KiB without a break.
        for _ in 0..50 {
            raw.extend_from_slice(&[b'x'; 99]);
            raw.push(b'\n');
        }
        raw.extend(std::iter::repeat_n(b'y', 200 * 1024));
        raw.extend_from_slice(b"\nFrom b Fri Mar 06 10:00:00 2026\nSubject: small\n\nhi\n");
        let m = mbox_messages(&raw, 100 * 1024);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].contents, Err(14 + 5000 + 200 * 1024 + 1));
        assert_eq!(m[1].contents.as_deref().unwrap(), b"Subject: small\n\nhi\n");
        assert_eq!(m[1].offset, raw.windows(6).position(|w| w == b"From b").unwrap() as u64);
        assert_eq!(too_large(70 << 20), "the message is 70 MiB, more than the 64 MiB foiatrack reads");
    }

    #[test]
    fn a_separator_line_longer_than_a_piece_is_dropped_whole() {
        let mut raw = b"From a Thu Mar 05 10:00:00 2026 ".to_vec();
        raw.extend(std::iter::repeat_n(b'z', 100 * 1024));
        raw.extend_from_slice(b"\nSubject: one\n\nbody\n");
        let m = mbox_messages(&raw, MAX_MESSAGE_BYTES);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].contents.as_deref().unwrap(), b"Subject: one\n\nbody\n");
    }

    #[test]
    fn a_maildir_is_listed_in_order_a_window_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir(root.join(sub)).unwrap();
        }
        let mut want = Vec::new();
        for i in (0..23).rev() {
            let sub = if i % 3 == 0 { "new" } else { "cur" };
            let p = root.join(sub).join(format!("17000{i:02}.M1P2.host:2,S"));
            std::fs::write(&p, "Subject: x\n\ny\n").unwrap();
            want.push(p);
        }
        std::fs::write(root.join("cur/.hidden"), "x").unwrap();
        std::fs::create_dir(root.join("cur/a-folder")).unwrap();
        // Entries that are not message files, sorting among and before the messages: a
        // folder, a dangling link.
        std::fs::create_dir(root.join("cur/0-folder")).unwrap();
        std::fs::create_dir(root.join("new/1700010.folder")).unwrap();
        std::os::unix::fs::symlink(root.join("gone"), root.join("cur/1700005.dangling")).unwrap();
        std::fs::write(root.join("tmp/being-delivered"), "x").unwrap();
        want.sort_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
        for window in [1, 2, 5, 23, 24, 100] {
            let got: Vec<PathBuf> = maildir_files_by(root, window).unwrap().map(Result::unwrap).collect();
            assert_eq!(got, want, "window {window}");
        }
        std::fs::remove_dir_all(root.join("new")).unwrap();
        assert_eq!(maildir_files(root).err().unwrap(), "not a Maildir folder (no new/ in it)");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]
        /// Streaming gives what splitting the whole file at its separator lines gives.
        #[test]
        fn the_streaming_reader_splits_like_the_whole_file(
            lines in proptest::collection::vec(
                proptest::sample::select(vec![
                    "From a@x.example Thu Mar 05 10:00:00 2026\n", "From the records\n", ">From quoted\n",
                    ">>From twice\n", "Subject: s\n", "\n", "body text\r\n", "From \n", "x",
                ]),
                1..40,
            ),
        ) {
            let raw = format!("From first Thu Mar 05 10:00:00 2026\n{}", lines.concat()).into_bytes();
            let mut want: Vec<(u64, Vec<u8>)> = Vec::new();
            let mut offset = 0u64;
            for line in raw.split_inclusive(|b| *b == b'\n') {
                if line.starts_with(b"From ") && (want.is_empty() || is_separator(line)) {
                    want.push((offset, Vec::new()));
                } else if let Some((_, m)) = want.last_mut() {
                    let q = line.iter().take_while(|b| **b == b'>').count();
                    m.extend_from_slice(if q > 0 && line[q..].starts_with(b"From ") { &line[1..] } else { line });
                }
                offset += line.len() as u64;
            }
            let got: Vec<(u64, Vec<u8>)> =
                mbox_messages(&raw, MAX_MESSAGE_BYTES).into_iter().map(|m| (m.offset, m.contents.unwrap())).collect();
            proptest::prop_assert_eq!(got, want);
        }
    }
}
