//! The files folder beside the database (`foiatrack.db` -> `foiatrack.files/`): attachments and
//! imported spreadsheets stored under their sha256. A name chosen by a sender never becomes a
//! path, so `../../etc/passwd` cannot write outside the folder.
//!
//! A file enters the folder in two steps: it is *staged* (copied to a hidden temporary in the
//! folder, hashed on the way), then *kept* (renamed to its hash) only once the database has
//! committed the rows that refer to it. A staged file that is not kept is removed when it is
//! dropped, so a refused import, a full disk or an error anywhere leaves the folder as it was.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, params};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

#[derive(Debug, Clone)]
pub struct FileStore {
    pub root: PathBuf,
}

fn read_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Read { path: path.display().to_string(), source }
}

/// A failure to write into the store, named as such (not as a failure to read).
fn write_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |e| Error::invalid(format!("cannot write {}: {e}", path.display()))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Copies `src` to `dst` in blocks, hashing what passes; returns (sha256, bytes). Read failures
/// name `src_name`, write failures `dst_name` (e.g. "cannot write ...: No space left on device").
pub fn copy_hashing(
    src: &mut dyn Read,
    dst: &mut dyn Write,
    src_name: &Path,
    dst_name: &Path,
) -> Result<(String, u64)> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_err(src_name)(e)),
        };
        h.update(&buf[..n]);
        dst.write_all(&buf[..n]).map_err(write_err(dst_name))?;
        total += n as u64;
    }
    dst.flush().map_err(write_err(dst_name))?;
    Ok((hex::encode(h.finalize()), total))
}

/// A file copied into the store under a hidden temporary name, not yet kept. Read it at
/// `path()`; `keep()` it after the database commit; dropping it removes the temporary (and the
/// store folder, when staging created it and nothing else is in it).
#[derive(Debug)]
pub struct Staged {
    tmp: Option<PathBuf>,
    dest: PathBuf,
    root: PathBuf,
    created_root: bool,
    pub sha256: String,
    pub size: u64,
}

impl Staged {
    /// Where the staged bytes can be read.
    pub fn path(&self) -> &Path {
        self.tmp.as_deref().expect("a staged file has its temporary until it is kept")
    }

    /// Where `keep` puts it.
    pub fn destination(&self) -> &Path {
        &self.dest
    }

    /// Records the file in `files` (inside the caller's transaction).
    pub fn record(&self, conn: &Connection) -> Result<()> {
        conn.execute(
            "INSERT OR IGNORE INTO files (sha256, size) VALUES (?1, ?2)",
            params![self.sha256, self.size as i64],
        )?;
        Ok(())
    }

    /// Moves the file to its place under its hash (call after the database commit). When the
    /// same bytes are stored already, the temporary is simply removed.
    pub fn keep(mut self) -> Result<PathBuf> {
        let tmp = self.tmp.take().expect("kept once");
        let dir = self.dest.parent().expect("hash path has a parent");
        let placed = std::fs::create_dir_all(dir)
            .map_err(write_err(dir))
            .and_then(|()| std::fs::rename(&tmp, &self.dest).map_err(write_err(&self.dest)));
        if placed.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        placed?;
        Ok(self.dest.clone())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let _ = std::fs::remove_file(&tmp);
            if self.created_root {
                // Fails, harmlessly, unless the folder is empty.
                let _ = std::fs::remove_dir(&self.root);
            }
        }
    }
}

/// A file staged as it is read: every byte read through it is hashed and copied to a hidden
/// temporary in the store, so what is kept is exactly what was read, and the copy is made while
/// the reader works instead of before. `finish` it after the last read (it copies what was not
/// read); dropping it unfinished removes the temporary.
pub struct StagingReader<R> {
    inner: R,
    out: std::io::BufWriter<std::fs::File>,
    hasher: Sha256,
    /// Holds the temporary (removed on drop) until `finish`.
    staged: Staged,
    /// The first failure to write the copy: reported by `finish`, so the reader sees the file
    /// as it is and a full disk is named as such.
    write_error: Option<std::io::Error>,
    src_name: PathBuf,
}

impl<R: Read> Read for StagingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.staged.size += n as u64;
        if self.write_error.is_none()
            && let Err(e) = self.out.write_all(&buf[..n])
        {
            self.write_error = Some(e);
        }
        Ok(n)
    }
}

impl<R: Read> StagingReader<R> {
    /// Copies what was not read yet, makes the copy durable and returns it, hashed.
    pub fn finish(mut self) -> Result<Staged> {
        let mut rest = vec![0u8; 1 << 16];
        loop {
            match self.read(&mut rest) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(read_err(&self.src_name)(e)),
            }
        }
        if let Some(e) = self.write_error.take() {
            return Err(write_err(&self.staged.root)(e));
        }
        self.out.flush().map_err(write_err(&self.staged.root))?;
        self.out.get_ref().sync_all().map_err(write_err(&self.staged.root))?;
        let sha = hex::encode(std::mem::take(&mut self.hasher).finalize());
        let mut staged = std::mem::replace(
            &mut self.staged,
            Staged {
                tmp: None,
                dest: PathBuf::new(),
                root: PathBuf::new(),
                created_root: false,
                sha256: String::new(),
                size: 0,
            },
        );
        staged.dest = FileStore { root: staged.root.clone() }.path(&sha);
        staged.sha256 = sha;
        Ok(staged)
    }
}

impl FileStore {
    /// Stages a file while it is read through the returned reader (see [`StagingReader`]);
    /// `src_name` names the source in read errors.
    pub fn stage_reading<R: Read>(&self, inner: R, src_name: &Path) -> Result<StagingReader<R>> {
        let (tmp, out, created_root) = self.temporary()?;
        Ok(StagingReader {
            inner,
            out: std::io::BufWriter::with_capacity(1 << 18, out),
            hasher: Sha256::new(),
            staged: Staged {
                tmp: Some(tmp),
                dest: PathBuf::new(),
                root: self.root.clone(),
                created_root,
                sha256: String::new(),
                size: 0,
            },
            write_error: None,
            src_name: src_name.to_path_buf(),
        })
    }
}

impl FileStore {
    /// The folder for a database file.
    pub fn beside(db: &Path) -> Self {
        let stem = db.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "foiatrack".into());
        let dir = db.parent().map(Path::to_path_buf).unwrap_or_default();
        FileStore { root: dir.join(format!("{stem}.files")) }
    }

    /// Where the bytes with this hash live.
    pub fn path(&self, sha256: &str) -> PathBuf {
        self.root.join(&sha256[..2]).join(sha256)
    }

    /// A new hidden temporary in the store folder (created if need be): its path, the open file,
    /// and whether the folder was created for it.
    fn temporary(&self) -> Result<(PathBuf, std::fs::File, bool)> {
        let created_root = !self.root.exists();
        std::fs::create_dir_all(&self.root).map_err(write_err(&self.root))?;
        let tmp = self.root.join(format!(".{}.tmp", uuid::Uuid::new_v4().simple()));
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => Ok((tmp, f, created_root)),
            Err(e) => {
                if created_root {
                    let _ = std::fs::remove_dir(&self.root);
                }
                Err(write_err(&self.root)(e))
            }
        }
    }

    /// Stages a file by streaming it (it may be large): copied and hashed in one pass.
    pub fn stage_file(&self, src: &Path) -> Result<Staged> {
        let mut input = std::fs::File::open(src).map_err(read_err(src))?;
        self.stage_from(&mut input, src)
    }

    /// Stages bytes already in memory.
    pub fn stage_bytes(&self, bytes: &[u8]) -> Result<Staged> {
        let mut input = bytes;
        self.stage_from(&mut input, Path::new("the attachment"))
    }

    fn stage_from(&self, input: &mut dyn Read, src_name: &Path) -> Result<Staged> {
        let (tmp, mut out, created_root) = self.temporary()?;
        let mut staged = Staged {
            tmp: Some(tmp),
            dest: PathBuf::new(),
            root: self.root.clone(),
            created_root,
            sha256: String::new(),
            size: 0,
        };
        // On any error below, dropping `staged` removes the temporary.
        let (sha, size) = copy_hashing(input, &mut out, src_name, &self.root)?;
        out.sync_all().map_err(write_err(&self.root))?;
        staged.dest = self.path(&sha);
        staged.sha256 = sha;
        staged.size = size;
        Ok(staged)
    }

    /// Stores bytes (once) and records them; returns the sha256. The bytes are in place before
    /// the caller commits: prefer `stage_bytes` and `Staged::keep` after the commit.
    pub fn put(&self, conn: &Connection, bytes: &[u8]) -> Result<String> {
        let staged = self.stage_bytes(bytes)?;
        staged.record(conn)?;
        let sha = staged.sha256.clone();
        staged.keep()?;
        Ok(sha)
    }
}

/// The sha256 of a file, read in blocks.
pub fn hash_file(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).map_err(read_err(path))?;
    Ok(copy_hashing(&mut f, &mut std::io::sink(), path, Path::new("nowhere"))?.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(dir: &Path) -> Vec<String> {
        let mut out = Vec::new();
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries {
                let p = e.unwrap().path();
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
                for sub in listing(&p) {
                    out.push(format!("{}/{sub}", p.file_name().unwrap().to_string_lossy()));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn a_staged_file_that_is_not_kept_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::beside(&dir.path().join("x.db"));
        let staged = store.stage_bytes(b"hello").unwrap();
        assert_eq!(staged.sha256, sha256_hex(b"hello"));
        assert_eq!(std::fs::read(staged.path()).unwrap(), b"hello");
        assert!(staged.path().file_name().unwrap().to_string_lossy().starts_with('.'));
        drop(staged);
        assert!(!store.root.exists(), "the folder staging created is gone again: {:?}", listing(dir.path()));

        // Kept: in place under its hash, no temporary left.
        let staged = store.stage_bytes(b"hello").unwrap();
        let placed = staged.keep().unwrap();
        assert_eq!(placed, store.path(&sha256_hex(b"hello")));
        let before = listing(&store.root);
        assert_eq!(before.len(), 2, "{before:?}");
        // Staged again and dropped: the existing folder and file stay, nothing is added.
        drop(store.stage_bytes(b"other").unwrap());
        assert_eq!(listing(&store.root), before);
        // The same bytes kept twice: one file.
        store.stage_bytes(b"hello").unwrap().keep().unwrap();
        assert_eq!(listing(&store.root), before);
    }

    #[test]
    fn a_full_disk_is_named_as_a_write_failure() {
        let Ok(mut full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
            return; // not Linux
        };
        let mut src: &[u8] = &[7u8; 100_000];
        let err = copy_hashing(&mut src, &mut full, Path::new("in.csv"), Path::new("/store")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("cannot write /store: "), "{msg}");
        assert!(msg.contains("No space left on device"), "{msg}");
        assert!(!msg.contains("cannot read"), "{msg}");
    }

    #[test]
    fn hashing_matches_the_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, vec![1u8; 200_000]).unwrap();
        assert_eq!(hash_file(&p).unwrap(), sha256_hex(&vec![1u8; 200_000]));
    }
}
