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

    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
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
}
