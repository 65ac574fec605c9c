//! Output for people (aligned tables) and for scripts (JSON, CSV with snake_case fields), on
//! stdout or, with `--out`, in a file replaced whole or not at all.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use serde::Serialize;

/// For lists: one row per item, so all three formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    Csv,
}

/// For one record or a digest (`request show`, `agency show`, `due`, an import's summary): text
/// for people or JSON for scripts. Not one flat table, so no CSV; clap refuses `--format csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum DocFormat {
    #[default]
    Table,
    Json,
}

pub use foiatrack::views::render::{printable, printable_line, table, write_csv};

/// Prints a list in the chosen format: `row` gives the table/CSV cells, serde gives the JSON.
pub fn print_list<T: Serialize>(
    format: Format,
    items: &[T],
    columns: &[&str],
    row: impl Fn(&T) -> Vec<String>,
) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        Format::Table => writeln!(out, "{}", table(columns, items.iter().map(row)))?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, items)?;
            writeln!(out)?;
        }
        Format::Csv => write_csv(&mut out, columns, items.iter().map(row))?,
    }
    Ok(())
}

pub fn print_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

pub fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(|v| v.to_string()).unwrap_or_default()
}

/// Writes `path` whole or not at all. What `write` writes goes to a new temporary file in the
/// same folder (so the same file system), is flushed to disk, and is then renamed over `path`:
/// anyone reading `path` sees the old file or the new one, never half of one. On any error, from
/// `write` (a failed render) or from the disk (a full one), the temporary file is removed and
/// `path` is left as it was. A symlink is followed, so the file it points to is replaced; an
/// existing file keeps its permissions.
pub fn write_atomic(path: &Path, write: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>) -> anyhow::Result<()> {
    let cannot = |e: std::io::Error| anyhow::anyhow!("cannot write {}: {e}", path.display());
    let target = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path).map_err(cannot)?,
        _ => path.to_path_buf(),
    };
    let name = target.file_name().ok_or_else(|| anyhow::anyhow!("cannot write {}: not a file", path.display()))?;
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // Hidden, unique, and short enough for any file system whatever the target's name.
    let stem: String = name.to_string_lossy().chars().take(40).collect();
    let temp = dir.join(format!(".{stem}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let file = OpenOptions::new().write(true).create_new(true).open(&temp).map_err(cannot)?;
    let written = (|| -> anyhow::Result<()> {
        let mut w = BufWriter::new(file);
        write(&mut w).map_err(|e| match e.downcast::<std::io::Error>() {
            Ok(io) => cannot(io),
            Err(other) => other,
        })?;
        let file = w.into_inner().map_err(|e| cannot(e.into_error()))?;
        if let Ok(old) = std::fs::metadata(&target) {
            file.set_permissions(old.permissions()).map_err(cannot)?;
        }
        file.sync_all().map_err(cannot)?;
        drop(file);
        std::fs::rename(&temp, &target).map_err(cannot)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
        return written;
    }
    // Make the rename itself durable. A file system that cannot sync a folder has still
    // replaced the file, so a failure here is not one.
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// [`write_atomic`] with bytes already in hand.
pub fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_atomic(path, |w| Ok(w.write_all(bytes)?))
}

/// Prints what `render` makes, or writes it to `--out` with [`write_atomic`] and says so on
/// stderr. The temporary file is made before `render` runs, so an unwritable folder is
/// reported before the work is done, and a render that fails leaves the old file alone.
pub fn emit(out: Option<&Path>, render: impl FnOnce() -> anyhow::Result<String>) -> anyhow::Result<()> {
    match out {
        Some(p) => {
            write_atomic(p, |w| Ok(w.write_all(render()?.as_bytes())?))?;
            eprintln!("Wrote {}", p.display());
        }
        None => {
            let text = render()?;
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Built into the integration test binary (`tests/tests.rs` mounts the CLI).
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    /// A writer that takes `n` bytes and then fails as a full disk does.
    struct FullDisk<'a> {
        inner: &'a mut dyn Write,
        room: usize,
    }

    impl Write for FullDisk<'_> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.room == 0 {
                return Err(std::io::Error::from_raw_os_error(libc::ENOSPC));
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            self.inner.write(&buf[..n])
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.inner.flush()
        }
    }

    #[test]
    fn write_atomic_replaces_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.html");
        std::fs::write(&path, "an older and longer report than the new one").unwrap();
        write_file(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(names(dir.path()), ["report.html"]);
        write_file(&dir.path().join("fresh.csv"), b"a,b\n").unwrap();
        assert_eq!(names(dir.path()), ["fresh.csv", "report.html"]);
    }

    #[test]
    fn a_writer_error_leaves_the_old_file_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.csv");
        std::fs::write(&path, "the previous export\n").unwrap();
        let err = write_atomic(&path, |w| {
            let mut disk = FullDisk { inner: w, room: 5 };
            disk.write_all(b"half of a new export")?;
            Ok(())
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("cannot write {}: {}", path.display(), std::io::Error::from_raw_os_error(libc::ENOSPC))
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "the previous export\n");
        assert_eq!(names(dir.path()), ["export.csv"]);
    }

    #[test]
    fn a_failed_render_is_reported_as_itself_and_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.md");
        std::fs::write(&path, "previous").unwrap();
        let err = emit(Some(&path), || anyhow::bail!("a stored due date is not a date")).unwrap_err();
        assert_eq!(err.to_string(), "a stored due date is not a date");
        let err = write_atomic(&path, |w| {
            w.write_all(b"partial")?;
            anyhow::bail!("the render failed halfway")
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "the render failed halfway");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "previous");
        assert_eq!(names(dir.path()), ["report.md"]);
    }

    #[test]
    fn a_target_that_cannot_be_replaced_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("letters");
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join("kept.txt"), "kept").unwrap();
        let err = write_file(&folder, b"x").unwrap_err();
        assert!(err.to_string().starts_with(&format!("cannot write {}: ", folder.display())), "{err}");
        assert_eq!(names(dir.path()), ["letters"]);
        assert_eq!(names(&folder), ["kept.txt"]);
        let missing = dir.path().join("no-such-folder/report.html");
        let err = write_file(&missing, b"x").unwrap_err();
        assert!(err.to_string().starts_with(&format!("cannot write {}: ", missing.display())), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_followed_and_permissions_are_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.ics");
        std::fs::write(&real, "old").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o600)).unwrap();
        let link = dir.path().join("deadlines.ics");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_file(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link stays a link");
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        assert_eq!(std::fs::metadata(&real).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(names(dir.path()), ["deadlines.ics", "real.ics"]);
    }
}
