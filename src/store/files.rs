//! The files folder beside the database (`foiatrack.db` -> `foiatrack.files/`): attachments and
//! imported spreadsheets stored under their sha256. A name chosen by a sender never becomes a
//! path, so `../../etc/passwd` cannot write outside the folder.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, params};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

#[derive(Debug, Clone)]
pub struct FileStore {
    pub root: PathBuf,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Read { path: path.display().to_string(), source }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
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

    /// Stores bytes (once) and records them; returns the sha256.
    pub fn put(&self, conn: &Connection, bytes: &[u8]) -> Result<String> {
        let sha = sha256_hex(bytes);
        let path = self.path(&sha);
        if !path.exists() {
            let dir = path.parent().expect("hash path has a parent");
            std::fs::create_dir_all(dir).map_err(io_err(dir))?;
            let tmp = dir.join(format!(".{sha}.tmp"));
            let mut f = std::fs::File::create(&tmp).map_err(io_err(&tmp))?;
            f.write_all(bytes).map_err(io_err(&tmp))?;
            f.sync_all().map_err(io_err(&tmp))?;
            std::fs::rename(&tmp, &path).map_err(io_err(&path))?;
        }
        conn.execute("INSERT OR IGNORE INTO files (sha256, size) VALUES (?1, ?2)", params![sha, bytes.len() as i64])?;
        Ok(sha)
    }

    /// Stores a file by streaming it (it may be large); returns the sha256.
    pub fn put_file(&self, conn: &Connection, src: &Path) -> Result<String> {
        let sha = hash_file(src)?;
        let path = self.path(&sha);
        if !path.exists() {
            let dir = path.parent().expect("hash path has a parent");
            std::fs::create_dir_all(dir).map_err(io_err(dir))?;
            let tmp = dir.join(format!(".{sha}.tmp"));
            std::fs::copy(src, &tmp).map_err(io_err(src))?;
            std::fs::rename(&tmp, &path).map_err(io_err(&path))?;
        }
        let size = std::fs::metadata(&path).map_err(io_err(&path))?.len();
        conn.execute("INSERT OR IGNORE INTO files (sha256, size) VALUES (?1, ?2)", params![sha, size as i64])?;
        Ok(sha)
    }
}

/// The sha256 of a file, read in blocks.
pub fn hash_file(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).map_err(io_err(path))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(io_err(path))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}
