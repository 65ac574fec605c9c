//! Laws: loading the built-in data and the user's corrections. A correction recomputes only the
//! requests that follow that law's period.

use chrono::NaiveDate;
use rusqlite::Connection;

use crate::Result;
use crate::projection::{self, Scope};
use crate::store::law::{self, Law, LawChange};

/// Loads (or reloads) the built-in laws; when a newer foiatrack ships changed periods, the
/// requests' dates are recomputed in the same transaction.
pub fn load_builtin(conn: &mut Connection) -> Result<usize> {
    let tx = super::begin(conn)?;
    let before = law::periods_fingerprint(&tx)?;
    let n = law::load_builtin_rows(&tx)?;
    if before.is_some() && before != law::periods_fingerprint(&tx)? {
        projection::recompute(&tx, Scope::All)?;
    }
    tx.commit()?;
    Ok(n)
}

/// Records a correction and recomputes the requests under that law.
pub fn set(conn: &mut Connection, code: &str, change: &LawChange, today: NaiveDate) -> Result<Law> {
    let tx = super::begin(conn)?;
    let law = law::set_override(&tx, code, change, today)?;
    projection::recompute(&tx, Scope::Law(&law.code))?;
    tx.commit()?;
    Ok(law)
}

/// Drops a correction and recomputes the requests under that law.
pub fn reset(conn: &mut Connection, code: &str) -> Result<Law> {
    let tx = super::begin(conn)?;
    let law = law::reset_override(&tx, code)?;
    projection::recompute(&tx, Scope::Law(&law.code))?;
    tx.commit()?;
    Ok(law)
}
