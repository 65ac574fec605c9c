//! The library's typed errors. Each says what went wrong in words a user can act on.

use std::fmt;

/// One problem found in one row of an imported file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowProblem {
    pub file: String,
    pub line: u64,
    /// The column (header name) the problem is in, when it is in one.
    pub column: Option<String>,
    pub value: Option<String>,
    pub message: String,
}

impl RowProblem {
    /// A row the CSV reader could not read at all (bad quoting, invalid text).
    pub fn unreadable(file: &str, e: &csv::Error) -> Self {
        RowProblem {
            file: file.into(),
            line: e.position().map_or(0, |p| p.line()),
            column: None,
            value: None,
            message: e.to_string(),
        }
    }
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.file, self.line)?;
        if let Some(col) = &self.column {
            write!(f, "column '{col}': ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(v) = &self.value {
            write!(f, " (value: '{v}')")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{what} '{key}' not found")]
    NotFound { what: &'static str, key: String },

    /// Bad input from the user: a flag value, a state code, a date.
    #[error("{0}")]
    Invalid(String),

    /// An import found bad rows; nothing was imported.
    #[error("{} in {}; nothing was imported:\n{}", plural(.problems.len(), "invalid row"), .file, list(.problems))]
    Import { file: String, problems: Vec<RowProblem> },

    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },

    #[error("no database at {0}; create one with `foiatrack init`")]
    NoDatabase(String),

    #[error("{}", db_sentence(.0))]
    Db(#[from] rusqlite::Error),

    /// A bug in foiatrack (a template that does not render, a replayed history that disagrees
    /// with the data it came from): reported as such, with its own exit code.
    #[error("internal error (a bug in foiatrack; please report it): {0}")]
    Internal(String),
}

/// One sentence for a database error, in words a user can act on.
fn db_sentence(e: &rusqlite::Error) -> String {
    use rusqlite::ErrorCode as C;
    match e {
        rusqlite::Error::SqliteFailure(f, msg) => match f.code {
            C::DatabaseBusy | C::DatabaseLocked => {
                "the database is busy: another foiatrack command kept it locked for too long; try again".into()
            }
            C::ReadOnly => "the database is read-only: this command changes data (reading commands still work)".into(),
            C::DiskFull => "the disk is full: nothing was changed".into(),
            C::CannotOpen => "the database file cannot be opened".into(),
            C::NotADatabase => "the file is not a database".into(),
            C::ConstraintViolation => format!(
                "internal error (a bug in foiatrack; please report it): the database refused a value that should have been checked first ({})",
                msg.as_deref().unwrap_or("constraint")
            ),
            _ => format!("database error: {}", msg.clone().unwrap_or_else(|| f.to_string())),
        },
        other => format!("database error: {other}"),
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}

fn list(problems: &[RowProblem]) -> String {
    problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n")
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::Invalid(msg.into())
    }

    /// Whether this is a bug in foiatrack rather than a problem with the input.
    pub fn is_internal(&self) -> bool {
        match self {
            Error::Internal(_) => true,
            Error::Db(rusqlite::Error::SqliteFailure(f, _)) => f.code == rusqlite::ErrorCode::ConstraintViolation,
            _ => false,
        }
    }
}
