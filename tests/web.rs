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
    assert!(err.contains("--behind-proxy") && err.contains("--tls-cert and --tls-key"), "{err}");
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

/// One HTTPS GET with rustls, trusting only `ca_pem`: (status line, headers and body).
fn https_get(addr: &str, ca_pem: &str, path: &str) -> std::io::Result<String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    use std::io::{Read, Write};
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap().to_owned();
    let conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name).unwrap();
    let tcp = std::net::TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(std::time::Duration::from_secs(20)))?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    write!(tls, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")?;
    let mut out = Vec::new();
    match tls.read_to_end(&mut out) {
        Ok(_) => {}
        // Some servers close without a TLS close_notify; what arrived is the answer.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !out.is_empty() => {}
        Err(e) => return Err(e),
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[test]
fn the_server_speaks_https_itself_with_tls_cert_and_key() {
    let env = Env::new();
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let cert_pem = env.write("cert.pem", &cert.cert.pem());
    let key_pem = env.write("key.pem", &cert.signing_key.serialize_pem());
    // The flags go together, and not with --behind-proxy.
    let err = env.fails(&["serve", "--tls-cert", cert_pem.to_str().unwrap()], 2);
    assert!(err.contains("--tls-key"), "{err}");
    let err = env.fails(
        &["serve", "--behind-proxy", "--tls-cert", cert_pem.to_str().unwrap(), "--tls-key", key_pem.to_str().unwrap()],
        2,
    );
    assert!(err.contains("cannot be used with"), "{err}");
    // A key that is not a key is one sentence naming the file, before anything listens.
    let bogus = env.write("bogus.pem", "not a key\n");
    let err = env.fails(
        &[
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--tls-cert",
            cert_pem.to_str().unwrap(),
            "--tls-key",
            bogus.to_str().unwrap(),
        ],
        1,
    );
    assert!(err.contains("bogus.pem") && err.contains("private key"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    // Other addresses accept TLS in place of a proxy once there are users.
    let out = env
        .cmd()
        .args(["user", "add", "ada", "--role", "admin"])
        .write_stdin("a long enough secret\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_foiatrack"))
        .args(["serve", "--bind", "127.0.0.1:0", "--tls-cert"])
        .arg(&cert_pem)
        .arg("--tls-key")
        .arg(&key_pem)
        .env("FOIATRACK_DB", &env.db)
        .env("FOIATRACK_TODAY", &env.today)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut first).unwrap();
    let link = first.trim().to_string();
    let result = std::panic::catch_unwind(|| {
        assert!(link.starts_with("https://127.0.0.1:") && link.contains("/signin?token="), "{link}");
        let addr = link["https://".len()..link.find("/signin").unwrap()].to_string();
        let path = &link[link.find("/signin").unwrap()..];
        let answer = https_get(&addr, &cert.cert.pem(), path).unwrap();
        assert!(answer.starts_with("HTTP/1.1 303"), "{answer}");
        let cookie =
            answer.lines().find(|l| l.to_ascii_lowercase().starts_with("set-cookie: ft_session=")).expect("a cookie");
        assert!(
            cookie.contains("; Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
        // Plain HTTP on the same port gets no page.
        let mut plain = std::net::TcpStream::connect(&addr).unwrap();
        plain.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
        std::io::Write::write_all(&mut plain, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut plain, &mut buf);
        assert!(!String::from_utf8_lossy(&buf).contains("HTTP/1.1 200"), "no page over plain HTTP");
    });
    let _ = child.kill();
    let _ = child.wait();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

#[test]
fn the_home_page_lists_the_oldest_fifty_unmatched_replies_and_counts_them_all() {
    let env = Env::new();
    let mut mbox = String::new();
    for i in 1..=55 {
        mbox += &format!(
            "From someone@elsewhere.example.net Mon Mar 02 10:00:00 2026\nFrom: someone@elsewhere.example.net\nSubject: Message {i:02}\nDate: Mon, 2 Mar 2026 10:{i:02}:00 +0000\nMessage-ID: <m{i}@elsewhere.example.net>\n\nHello.\n\n"
        );
    }
    let path = env.write("many.mbox", &mbox);
    env.ok(&["mail", "import", path.to_str().unwrap()]);
    let server = Server::start(&env, &[]);
    let owner = server.owner();
    let home = server.get(Some(&owner), "/");
    assert!(home.body.contains("Replies not yet matched (55)"), "{}", home.body);
    assert!(home.body.contains("The oldest 50 are listed;"), "{}", home.body);
    assert_eq!(home.body.matches("action=\"/replies/").count(), 50);
    assert!(home.body.contains("Message 50") && !home.body.contains("Message 51"));
}

/// The report in the page lists at most 200 rows of a table, says how many there are, and the
/// downloads keep every row.
#[test]
fn the_report_page_shows_the_first_200_rows_of_a_long_table() {
    let mut env = Env::new();
    let mut csv = String::from("key,name,state,kind,email\n");
    for i in 1..=205 {
        csv += &format!("town-{i:03},Town {i:03},VT,city,clerk@town{i:03}.example.org\n");
    }
    let agencies = env.write("towns.csv", &csv);
    env.ok(&["agency", "import", agencies.to_str().unwrap()]);
    env.ok(&["config", "set", "requester.email", "records@newsroom.example.net"]);
    env.ok(&["config", "set", "requester.name", "Jane Reporter"]);
    env.ok(&["campaign", "new", "towns", "--title", "Towns", "--records", "All purchases", "--code-prefix", "TW"]);
    env.ok(&["campaign", "add", "towns", "--all"]);
    let outbox = env.path("outbox");
    env.ok(&["send", "--campaign", "towns", "--outbox", outbox.to_str().unwrap()]);
    env.today = "2026-06-01".into();
    let server = Server::start(&env, &[]);
    let owner = server.owner();
    let page = server.get(Some(&owner), "/reports?campaign=towns");
    assert_eq!(page.status, 200);
    let silent = page.body.split("<h4>Agencies that have not responded</h4>").nth(1).unwrap();
    let silent = silent.split("</table>").next().unwrap();
    assert_eq!(silent.matches("<tr><td>TW-").count(), 200);
    assert!(silent.contains("<td>TW-0200</td>") && !silent.contains("<td>TW-0201</td>"));
    assert!(page.body.contains(
        "Agencies that have not responded: the first 200 of 205 rows are shown here; the downloads and the report as its own page list them all."
    ));
    let whole = server.get(Some(&owner), "/reports/findings.html?campaign=towns");
    assert!(whole.body.contains("<td>TW-0205</td>"));
    let json = server.get(Some(&owner), "/reports/responses.json?campaign=towns");
    let v: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(v["non_responders"].as_array().unwrap().len(), 205);
}
