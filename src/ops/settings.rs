//! Settings changed together, as the web workspace's settings form sends them: every change
//! lands, or none does.

use rusqlite::Connection;

use crate::Result;
use crate::store::config;

/// Sets each (name, value) whose value differs from what is in force now (its value, or its
/// default); an empty value clears a setting. One transaction: with any refused value nothing
/// changes. Returns the names changed, in the order given.
pub fn set_many(conn: &mut Connection, values: &[(String, String)]) -> Result<Vec<String>> {
    let tx = super::begin(conn)?;
    let current = config::list(&tx)?;
    let mut changed = Vec::new();
    for (name, value) in values {
        let name = name.trim();
        let value = value.trim();
        let now = current.iter().find(|s| s.name == name).and_then(|s| s.value.clone().or(s.default.clone()));
        if now.as_deref().unwrap_or("") == value {
            continue;
        }
        config::set(&tx, name, value)?;
        changed.push(name.to_string());
    }
    tx.commit()?;
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        crate::ops::database::open_in_memory().unwrap()
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn changes_only_what_differs_and_all_or_nothing() {
        let mut conn = db();
        let changed = set_many(
            &mut conn,
            &pairs(&[("requester.name", "Jane Doe"), ("requester.email", ""), ("policy.very_overdue_days", "20")]),
        )
        .unwrap();
        assert_eq!(changed, ["requester.name"], "an unchanged default and an empty unset value are no change");
        assert_eq!(config::get(&conn, "requester.name").unwrap().as_deref(), Some("Jane Doe"));
        let err = set_many(&mut conn, &pairs(&[("requester.name", "Someone Else"), ("requester.email", "not mail")]))
            .unwrap_err();
        assert!(err.to_string().contains("not a valid email"), "{err}");
        assert_eq!(config::get(&conn, "requester.name").unwrap().as_deref(), Some("Jane Doe"), "nothing changed");
        let changed = set_many(&mut conn, &pairs(&[("requester.name", " ")])).unwrap();
        assert_eq!(changed, ["requester.name"]);
        assert_eq!(config::get(&conn, "requester.name").unwrap(), None, "cleared");
        assert!(set_many(&mut conn, &pairs(&[("nope", "1")])).is_err());
    }
}
