//! The web workspace over real HTTP: sign-in, sessions, form tokens, security headers.

use crate::util::Env;
use crate::web_util::{Server, hidden};

#[test]
fn the_one_time_link_signs_in_once_and_pages_need_a_session() {
    let env = Env::new();
    let server = Server::start(&env, &[]);
    let anonymous = server.get(None, "/");
    assert_eq!(anonymous.status, 303);
    assert_eq!(anonymous.header("location"), Some("/signin"));
    let owner = server.owner();
    let home = server.get(Some(&owner), "/");
    assert_eq!(home.status, 200);
    assert!(home.body.contains("Nothing needs action today."), "{}", home.body);
    assert!(home.body.contains("owner (admin)"));
    // The link is used up.
    let again = server.get(None, &server.sign_in_link.replace(&server.base, ""));
    assert_eq!(again.status, 403);
    assert!(again.body.contains("was used already"), "{}", again.body);
}

#[test]
fn every_answer_carries_the_security_headers() {
    let env = Env::new();
    let server = Server::start(&env, &[]);
    let owner = server.owner();
    for path in ["/", "/signin", "/assets/app.css"] {
        let a = server.get(Some(&owner), path);
        let csp = a.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-eval"), "{path}: {csp}");
        assert!(!csp.contains("script-src 'self' 'unsafe-inline'"), "no inline script");
        assert_eq!(a.header("x-content-type-options"), Some("nosniff"), "{path}");
        assert_eq!(a.header("x-frame-options"), Some("DENY"), "{path}");
    }
    let signin = server.get(None, "/signin");
    let cookie = signin.header("set-cookie").unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
}

#[test]
fn a_post_without_the_form_token_is_refused() {
    let env = Env::new();
    let server = Server::start(&env, &[]);
    let owner = server.owner();
    let refused = server.post_raw(Some(&owner), "/signout", &[]);
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("no valid form token"), "{}", refused.body);
    let wrong = server.post_raw(Some(&owner), "/signout", &[("csrf", "0000")]);
    assert_eq!(wrong.status, 403);
    // Still signed in; with the token, sign-out works and ends the session.
    assert_eq!(server.get(Some(&owner), "/").status, 200);
    let out = server.post(&owner, "/signout", &[]);
    assert_eq!(out.status, 303);
    assert_eq!(server.get(Some(&owner), "/").status, 303);
}

#[test]
fn passwords_sign_in_and_attempts_are_limited() {
    let env = Env::new();
    let out = env
        .cmd()
        .args(["user", "add", "jane", "--role", "staff"])
        .write_stdin("correct horse battery\n")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listed = env.ok(&["user", "list"]);
    assert!(listed.starts_with("jane\tstaff\t"), "{listed}");
    let stored: String = rusqlite::Connection::open(&env.db)
        .unwrap()
        .query_row("SELECT password_hash FROM users", [], |r| r.get(0))
        .unwrap();
    assert!(stored.starts_with("$argon2id$") && !stored.contains("horse"));
    let server = Server::start(&env, &[]);
    let jane = server.sign_in("jane", "correct horse battery").expect("signed in");
    let home = server.get(Some(&jane), "/");
    assert!(home.body.contains("jane (staff)"));
    assert!(hidden(&home.body, "csrf").is_some());
    assert!(server.sign_in("jane", "wrong horse battery").is_none());
    // Ten attempts per address in five minutes (two used above); the rest are refused.
    for _ in 0..8 {
        let _ = server.sign_in("jane", "wrong");
    }
    assert!(server.sign_in("jane", "correct horse battery").is_none(), "rate limited");
}

#[test]
fn other_addresses_need_users_and_tls_in_front() {
    let env = Env::new();
    let err = env.fails(&["serve", "--bind", "0.0.0.0:0"], 1);
    assert!(err.contains("add users first"), "{err}");
    let out = env
        .cmd()
        .args(["user", "add", "ada", "--role", "admin"])
        .write_stdin("a long enough secret\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = env.fails(&["serve", "--bind", "0.0.0.0:0"], 1);
    assert!(err.contains("--behind-proxy"), "{err}");
}

#[test]
fn the_home_page_lists_appeal_windows_about_to_close() {
    let mut env = Env::new();
    let agencies =
        env.write("a.csv", "key,name,state,kind,email\npgh,City of Pittsburgh,PA,city,rtk@pgh.example.org\n");
    env.ok(&["agency", "import", agencies.to_str().unwrap()]);
    env.ok(&["campaign", "new", "w", "--title", "W", "--records", "All purchases", "--code-prefix", "W"]);
    env.ok(&["campaign", "add", "w", "--all"]);
    env.today = "2026-02-12".into();
    env.ok(&["log", "W-0001", "sent", "--on", "2026-02-02"]);
    env.ok(&["log", "W-0001", "rejected", "--on", "2026-02-10"]);
    let closes = env.json(&["request", "show", "W-0001", "--format", "json"])["appeal_window_closes_on"].clone();
    let closes = closes.as_str().expect("a window under Pennsylvania's law").to_string();
    let server = Server::start(&env, &[]);
    let owner = server.owner();
    let home = server.get(Some(&owner), "/");
    assert!(home.body.contains("Appeal windows closing (1)"), "{}", home.body);
    assert!(home.body.contains(&format!("file with Office of Open Records by {closes}")), "{}", home.body);
    assert!(home.body.contains("<a href=\"/requests/W-0001\">W-0001</a>"));
}
