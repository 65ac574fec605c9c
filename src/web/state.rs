//! What the server keeps between requests: where the database is, the signed-in sessions, the
//! one-time sign-in token and the sign-in attempt counts. Data itself lives only in SQLite; each
//! request opens its own connection (WAL: readers never block, writers wait their turn).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use rusqlite::Connection;

use super::Options;
use crate::Result;

/// A role: viewers read, staff act, admins also manage laws, users and settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Staff,
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "staff" => Some(Role::Staff),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Staff => "staff",
            Role::Admin => "admin",
        }
    }
}

/// A signed-in person.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: String,
    pub role: Role,
    /// The token every form of this session carries.
    pub csrf: String,
    pub expires: Instant,
}

/// How long a session lasts without use.
pub const SESSION_IDLE: Duration = Duration::from_secs(12 * 3600);
/// Sign-in attempts allowed per address per window.
pub const SIGN_IN_ATTEMPTS: usize = 10;
pub const SIGN_IN_WINDOW: Duration = Duration::from_secs(300);

pub struct AppState {
    pub opts: Options,
    sessions: Mutex<HashMap<String, Session>>,
    sign_in_token: Mutex<Option<String>>,
    attempts: Mutex<HashMap<IpAddr, Vec<Instant>>>,
}

/// 256 bits from the operating system's generator, as hex.
pub fn random_token() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

impl AppState {
    pub fn new(opts: Options) -> Self {
        AppState {
            opts,
            sessions: Mutex::new(HashMap::new()),
            sign_in_token: Mutex::new(None),
            attempts: Mutex::new(HashMap::new()),
        }
    }

    /// The day the server treats as today.
    pub fn today(&self) -> NaiveDate {
        self.opts.today.unwrap_or_else(|| chrono::Local::now().date_naive())
    }

    /// A fresh one-time sign-in token (replacing any unused one).
    pub fn new_sign_in_token(&self) -> String {
        let t = random_token();
        *self.sign_in_token.lock().unwrap_or_else(|e| e.into_inner()) = Some(t.clone());
        t
    }

    /// Uses up the one-time token if `given` is it (compared in constant time).
    pub fn take_sign_in_token(&self, given: &str) -> bool {
        let mut slot = self.sign_in_token.lock().unwrap_or_else(|e| e.into_inner());
        match slot.as_deref() {
            Some(t) if constant_time_eq(t.as_bytes(), given.as_bytes()) => {
                *slot = None;
                true
            }
            _ => false,
        }
    }

    /// Starts a session; returns its cookie value.
    pub fn start_session(&self, user: &str, role: Role) -> String {
        let id = random_token();
        let s = Session { user: user.to_string(), role, csrf: random_token(), expires: Instant::now() + SESSION_IDLE };
        let mut all = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        all.retain(|_, s| s.expires > Instant::now());
        all.insert(id.clone(), s);
        id
    }

    /// The live session for a cookie value, its idle time renewed.
    pub fn session(&self, id: &str) -> Option<Session> {
        let mut all = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let s = all.get_mut(id)?;
        if s.expires <= Instant::now() {
            all.remove(id);
            return None;
        }
        s.expires = Instant::now() + SESSION_IDLE;
        Some(s.clone())
    }

    pub fn end_session(&self, id: &str) {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
    }

    /// Ends every session of `user` (removed, or given another role or password).
    pub fn end_sessions_of(&self, user: &str) {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner()).retain(|_, s| s.user != user);
    }

    /// Counts a sign-in attempt; false when the address has used up its attempts.
    pub fn allow_attempt(&self, ip: IpAddr) -> bool {
        let mut all = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let list = all.entry(ip).or_default();
        list.retain(|t| now.duration_since(*t) < SIGN_IN_WINDOW);
        if list.len() >= SIGN_IN_ATTEMPTS {
            return false;
        }
        list.push(now);
        true
    }

    /// Opens the database for one request, acting as `user`.
    pub fn open(&self, user: &str) -> Result<Connection> {
        let conn = crate::ops::database::open(&self.opts.db_path)?;
        crate::store::db::set_actor(&conn, user)?;
        Ok(conn)
    }
}

/// Equal bytes, in time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
