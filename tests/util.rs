//! A test environment: a temporary directory with its own database, a fixed clock and no
//! foiatrack variables inherited from the caller's shell.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub struct Env {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    pub today: String,
}

#[allow(dead_code)]
impl Env {
    /// A fresh environment with `init` already run.
    pub fn new() -> Self {
        let env = Self::empty();
        env.ok(&["init"]);
        env
    }

    /// A fresh environment without a database.
    pub fn empty() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("test.db");
        Env { dir, db, today: "2026-03-02".into() }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, contents).expect("write fixture");
        p
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("foiatrack").expect("binary built");
        for (k, _) in std::env::vars() {
            if k.starts_with("FOIATRACK_") {
                c.env_remove(k);
            }
        }
        c.current_dir(self.dir.path());
        c.env("FOIATRACK_DB", &self.db);
        c.env("FOIATRACK_TODAY", &self.today);
        c.env("NO_COLOR", "1");
        c
    }

    /// Runs a command that must succeed; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().expect("run foiatrack");
        assert!(
            out.status.success(),
            "foiatrack {args:?} failed ({:?}):\nstdout: {}\nstderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    /// Runs a command that must fail with `code`; returns stderr.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.cmd().args(args).output().expect("run foiatrack");
        assert_eq!(
            out.status.code(),
            Some(code),
            "foiatrack {args:?} should exit {code}:\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let stderr = String::from_utf8(out.stderr).expect("utf-8 stderr");
        assert!(!stderr.contains("panicked"), "panic on user input: {stderr}");
        stderr
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).expect("valid JSON output")
    }
}

/// The example agencies shipped with the project.
pub fn example_agencies() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/agencies.csv")
}

/// The tracking code of the request to one agency (the tests run one campaign at a time).
pub fn code_of(env: &Env, agency_key: &str) -> String {
    let list = env.json(&["request", "list", "--format", "json"]);
    list.as_array()
        .unwrap()
        .iter()
        .find(|r| r["agency_key"] == agency_key)
        .unwrap_or_else(|| panic!("no request to {agency_key}"))["tracking_code"]
        .as_str()
        .unwrap()
        .to_string()
}
