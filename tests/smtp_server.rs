//! A small SMTP server on 127.0.0.1 for the tests: it speaks real SMTP to lettre, records what
//! it accepts, and can be told to refuse recipients (with its own words), to go away after N
//! messages, to be slow, or to ask for AUTH and echo the AUTH lines back in its 535 refusal (as
//! some real servers do).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub data: String,
}

impl Received {
    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default().parse(self.data.as_bytes()).expect("a parsable message")
    }
    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_string()
    }
    pub fn message_id(&self) -> String {
        format!("<{}>", self.parsed().message_id().unwrap_or_default())
    }
    pub fn text(&self) -> String {
        self.parsed().body_text(0).unwrap_or_default().to_string()
    }
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Recipients answered with 550.
    pub reject: Vec<String>,
    /// After this many accepted messages, answer DATA with 421 and hang up.
    pub accept_only: Option<usize>,
    /// Wait this long before accepting each message.
    pub delay: Duration,
    /// The text after "550 " for a refused recipient [default: "5.1.1 <addr>: mailbox unavailable"].
    pub reject_text: Option<String>,
    /// AUTH mechanisms to offer in EHLO ("PLAIN", "LOGIN"); none: no AUTH.
    pub auth: Vec<&'static str>,
    /// Refuse every AUTH with 535, echoing what the client sent.
    pub auth_echo: bool,
}

pub struct SmtpServer {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    auth_lines: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    /// Messages whose whole text has arrived (counted before the `delay`, before the answer).
    in_hand: Arc<AtomicUsize>,
}

impl SmtpServer {
    pub fn start(opts: Options) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let auth_lines = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let accepted = Arc::new(AtomicUsize::new(0));
        let in_hand = Arc::new(AtomicUsize::new(0));
        let (r, s, al, ih) = (received.clone(), stop.clone(), auth_lines.clone(), in_hand.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (r, opts, accepted, al, ih) = (r.clone(), opts.clone(), accepted.clone(), al.clone(), ih.clone());
                std::thread::spawn(move || {
                    let _ = session(stream, &r, &opts, &accepted, &al, &ih);
                });
            }
        });
        SmtpServer { port, received, auth_lines, stop, in_hand }
    }

    /// How many messages the server holds in full (some perhaps not yet answered).
    #[allow(dead_code)]
    pub fn in_hand(&self) -> usize {
        self.in_hand.load(Ordering::SeqCst)
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Every line the client sent during AUTH, as sent.
    #[allow(dead_code)]
    pub fn auth_lines(&self) -> Vec<String> {
        self.auth_lines.lock().unwrap().clone()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn session(
    stream: TcpStream,
    received: &Mutex<Vec<Received>>,
    opts: &Options,
    accepted: &AtomicUsize,
    auth_lines: &Mutex<Vec<String>>,
    in_hand: &AtomicUsize,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut reply = |text: &str| out.write_all(format!("{text}\r\n").as_bytes());
    reply("220 127.0.0.1 ESMTP foiatrack-test")?;
    let mut from = String::new();
    let mut rcpts: Vec<String> = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_string();
        let upper = cmd.to_ascii_uppercase();
        let addr = || {
            cmd.split_once(':')
                .map(|(_, a)| a.trim().trim_start_matches('<').split('>').next().unwrap_or("").to_string())
                .unwrap_or_default()
        };
        if upper.starts_with("EHLO") {
            if opts.auth.is_empty() {
                reply("250-127.0.0.1\r\n250-8BITMIME\r\n250 SIZE 10000000")?;
            } else {
                reply(&format!(
                    "250-127.0.0.1\r\n250-8BITMIME\r\n250-AUTH {}\r\n250 SIZE 10000000",
                    opts.auth.join(" ")
                ))?;
            }
        } else if upper.starts_with("AUTH ") && !opts.auth.is_empty() {
            let mut sent = vec![cmd.clone()];
            let mut next = |reply: &mut dyn FnMut(&str) -> std::io::Result<()>, challenge: &str| {
                reply(challenge)?;
                let mut l = String::new();
                reader.read_line(&mut l)?;
                sent.push(l.trim_end().to_string());
                std::io::Result::Ok(())
            };
            if upper == "AUTH LOGIN" {
                next(&mut reply, "334 VXNlcm5hbWU6")?;
                next(&mut reply, "334 UGFzc3dvcmQ6")?;
            } else if upper == "AUTH PLAIN" {
                next(&mut reply, "334 ")?;
            }
            auth_lines.lock().unwrap().extend(sent.iter().cloned());
            if opts.auth_echo {
                reply(&format!("535 5.7.8 Authentication failed: {}", sent.join(" ")))?;
            } else {
                reply("235 2.7.0 Authentication successful")?;
            }
        } else if upper.starts_with("HELO") {
            reply("250 127.0.0.1")?;
        } else if upper.starts_with("MAIL FROM:") {
            from = addr();
            rcpts.clear();
            reply("250 2.1.0 OK")?;
        } else if upper.starts_with("RCPT TO:") {
            let a = addr();
            if opts.reject.iter().any(|r| r.eq_ignore_ascii_case(&a)) {
                match &opts.reject_text {
                    Some(t) => reply(&format!("550 {t}"))?,
                    None => reply(&format!("550 5.1.1 <{a}>: mailbox unavailable"))?,
                }
            } else {
                rcpts.push(a);
                reply("250 2.1.5 OK")?;
            }
        } else if upper == "DATA" {
            reply("354 End data with <CR><LF>.<CR><LF>")?;
            let mut data = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                let l = line.strip_prefix('.').unwrap_or(&line);
                data.push_str(l);
            }
            in_hand.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(opts.delay);
            if opts.accept_only.is_some_and(|n| accepted.load(Ordering::SeqCst) >= n) {
                reply("421 4.3.0 service shutting down")?;
                return Ok(());
            }
            accepted.fetch_add(1, Ordering::SeqCst);
            received.lock().unwrap().push(Received { mail_from: from.clone(), rcpt_to: rcpts.clone(), data });
            reply("250 2.0.0 OK queued")?;
        } else if upper == "RSET" {
            rcpts.clear();
            reply("250 OK")?;
        } else if upper == "NOOP" {
            reply("250 OK")?;
        } else if upper == "QUIT" {
            reply("221 2.0.0 Bye")?;
            return Ok(());
        } else {
            reply("502 5.5.2 command not implemented")?;
        }
    }
}
