//! A real `foiatrack serve` on 127.0.0.1 for the web tests: started on a free port against a test
//! database, signed in with its one-time link, and spoken to over HTTP.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::util::Env;

pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// The one-time sign-in link the server printed.
    pub sign_in_link: String,
    agent: ureq::Agent,
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A signed-in browser: its session cookie and the form token of its session.
#[derive(Debug, Clone)]
pub struct Client {
    pub cookie: String,
    pub csrf: String,
}

#[allow(dead_code)]
impl Server {
    /// Starts the server on `env`'s database (with `env.today`).
    pub fn start(env: &Env, extra: &[&str]) -> Server {
        Self::start_with_env(env, extra, &[])
    }

    /// `start` with environment variables for the server (FOIATRACK_SMTP_URL...).
    pub fn start_with_env(env: &Env, extra: &[&str], vars: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_foiatrack"));
        for (k, _) in std::env::vars() {
            if k.starts_with("FOIATRACK_") {
                cmd.env_remove(k);
            }
        }
        cmd.envs(vars.iter().copied());
        let mut child = cmd
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(extra)
            .env("FOIATRACK_DB", &env.db)
            .env("FOIATRACK_TODAY", &env.today)
            .env("FOIATRACK_AS", "owner")
            .current_dir(env.dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start foiatrack serve");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).expect("the URL line");
        let link = first.trim().to_string();
        assert!(link.starts_with("http://127.0.0.1:") && link.contains("/signin?token="), "first line: {link:?}");
        let base = link[..link.find("/signin").unwrap()].to_string();
        let agent = ureq::AgentBuilder::new().redirects(0).timeout(Duration::from_secs(30)).build();
        Server { child, base, sign_in_link: link, agent }
    }

    fn answer(r: Result<ureq::Response, ureq::Error>) -> Answer {
        let resp = match r {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("no answer: {e}"),
        };
        let status = resp.status();
        let headers = resp
            .headers_names()
            .into_iter()
            .flat_map(|n| resp.all(&n).into_iter().map(move |v| (n.clone(), v.to_string())).collect::<Vec<_>>())
            .collect();
        let body = resp.into_string().unwrap_or_default();
        Answer { status, headers, body }
    }

    /// Signs in with the one-time link (as the owner, an admin).
    pub fn owner(&self) -> Client {
        let a = Self::answer(self.agent.get(&self.sign_in_link).call());
        assert_eq!(a.status, 303, "{a:?}");
        let cookie = session_cookie(&a).expect("a session cookie");
        self.client_from_cookie(cookie)
    }

    /// Signs in with a name and password; `None` when refused.
    pub fn sign_in(&self, name: &str, password: &str) -> Option<Client> {
        let page = Self::answer(self.agent.get(&format!("{}/signin", self.base)).call());
        let pre = hidden(&page.body, "pre").expect("pre token");
        let pre_cookie = page.header("set-cookie").and_then(|c| c.split(';').next()).unwrap().to_string();
        let a =
            Self::answer(self.agent.post(&format!("{}/signin", self.base)).set("Cookie", &pre_cookie).send_form(&[
                ("name", name),
                ("password", password),
                ("pre", &pre),
            ]));
        if a.status != 303 {
            return None;
        }
        Some(self.client_from_cookie(session_cookie(&a)?))
    }

    fn client_from_cookie(&self, cookie: String) -> Client {
        let home = Self::answer(self.agent.get(&format!("{}/", self.base)).set("Cookie", &cookie).call());
        assert_eq!(home.status, 200, "{home:?}");
        let csrf = hidden(&home.body, "csrf").expect("every page carries the form token");
        Client { cookie, csrf }
    }

    pub fn get(&self, c: Option<&Client>, path: &str) -> Answer {
        let mut r = self.agent.get(&format!("{}{path}", self.base));
        if let Some(c) = c {
            r = r.set("Cookie", &c.cookie);
        }
        Self::answer(r.call())
    }

    /// Posts a form with the session's token added.
    pub fn post(&self, c: &Client, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut all: Vec<(&str, &str)> = vec![("csrf", c.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(Some(c), path, &all)
    }

    /// Posts exactly these fields (no token added), to test refusals.
    pub fn post_raw(&self, c: Option<&Client>, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut r = self.agent.post(&format!("{}{path}", self.base));
        if let Some(c) = c {
            r = r.set("Cookie", &c.cookie);
        }
        Self::answer(r.send_form(fields))
    }

    /// Posts a multipart form (uploads), with the token as its first field.
    pub fn post_multipart(&self, c: &Client, path: &str, fields: &[(&str, &str)], file: (&str, &str, &[u8])) -> Answer {
        let boundary = "----foiatrack-test-boundary";
        let mut body = Vec::new();
        let mut field = |name: &str, value: &[u8], filename: Option<&str>| {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            match filename {
                Some(f) => body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
                ),
                None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
            }
            body.extend_from_slice(value);
            body.extend_from_slice(b"\r\n");
        };
        field("csrf", c.csrf.as_bytes(), None);
        for (k, v) in fields {
            field(k, v.as_bytes(), None);
        }
        field(file.0, file.2, Some(file.1));
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        Self::answer(
            self.agent
                .post(&format!("{}{path}", self.base))
                .set("Cookie", &c.cookie)
                .set("Content-Type", &format!("multipart/form-data; boundary={boundary}"))
                .send_bytes(&body),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn session_cookie(a: &Answer) -> Option<String> {
    a.headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .find_map(|(_, v)| v.starts_with("ft_session=").then(|| v.split(';').next().unwrap().to_string()))
}

/// The value of a hidden input in a page.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &html[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_string())
}
