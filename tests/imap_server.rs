//! A real IMAP server for the tests: Debian's Dovecot, started on free 127.0.0.1 ports with a
//! throwaway configuration, one user with a plain password in a passwd-file, Maildir folders in
//! a temporary directory, and (optionally) TLS with a certificate of a test authority made on the
//! spot. Messages are delivered by writing files into the Maildir, as a delivery agent does.
//! Also a proxy that cuts or stalls a connection midway, and a fake server that echoes the
//! LOGIN line in its refusal.
//!
//! Without Dovecot installed, [`Dovecot::start`] says so and returns `None` (the test then
//! passes as skipped), unless `FOIATRACK_REQUIRE_IMAP=1` (CI), where it panics.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const USER: &str = "jane";

#[derive(Debug, Clone)]
pub struct Options {
    /// `ssl = required` with a certificate for 127.0.0.1 and localhost, an imaps port besides
    /// the plain one (which then offers STARTTLS); else `ssl = no`.
    pub tls: bool,
    pub password: String,
    /// What the server says it supports, instead of Dovecot's own list (`imap_capability`).
    pub capability: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options { tls: false, password: "correct horse battery".into(), capability: None }
    }
}

pub struct Dovecot {
    pub dir: tempfile::TempDir,
    /// The plain port (STARTTLS with `tls`).
    pub port: u16,
    /// The imaps port, when `tls`.
    pub tls_port: u16,
    /// The test authority's certificate (PEM), when `tls`.
    pub ca_file: Option<PathBuf>,
    pub opts: Options,
    uid: u32,
    gid: u32,
    child: Option<Child>,
}

fn binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
        .map(|d| d.join("dovecot"))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The user and group names of an id, for Dovecot's settings.
fn name_of(uid: u32, group: bool) -> String {
    let file = if group { "/etc/group" } else { "/etc/passwd" };
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() > 2 && f[2] == uid.to_string()).then(|| f[0].to_string())
        })
        .unwrap_or_else(|| panic!("no name for id {uid} in {file}"))
}

impl Dovecot {
    /// Starts a server, or returns `None` (after a note) when Dovecot is not installed.
    pub fn start(opts: Options) -> Option<Self> {
        let Some(bin) = binary() else {
            if std::env::var("FOIATRACK_REQUIRE_IMAP").is_ok_and(|v| v == "1") {
                panic!("FOIATRACK_REQUIRE_IMAP=1 but dovecot is not installed: apt-get install dovecot-imapd");
            }
            eprintln!("note: IMAP test skipped: dovecot is not installed (apt-get install dovecot-imapd)");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        // SAFETY: plain getters.
        let (euid, egid) = unsafe { (libc::geteuid(), libc::getegid()) };
        // Dovecot will not give mail to root: as root, the mail belongs to nobody.
        let (uid, gid) = if euid == 0 { (65534, 65534) } else { (euid, egid) };
        let mut d = Dovecot {
            dir,
            port: free_port(),
            tls_port: if opts.tls { free_port() } else { 0 },
            ca_file: None,
            opts,
            uid,
            gid,
            child: None,
        };
        d.configure(euid);
        d.run(&bin);
        Some(d)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn configure(&mut self, euid: u32) {
        let dir = self.dir.path().display().to_string();
        let home = self.path("home");
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(home.join("Maildir").join(sub)).unwrap();
        }
        self.chown_all(&home);
        std::fs::write(
            self.path("passwd"),
            format!("{USER}:{{PLAIN}}{}:{}:{}::{}::\n", self.opts.password, self.uid, self.gid, home.display()),
        )
        .unwrap();
        let mut ssl = "ssl = no\ndisable_plaintext_auth = no\n".to_string();
        if self.opts.tls {
            let (ca, cert, key) = certificates();
            std::fs::write(self.path("ca.pem"), ca).unwrap();
            std::fs::write(self.path("cert.pem"), cert).unwrap();
            std::fs::write(self.path("key.pem"), key).unwrap();
            self.ca_file = Some(self.path("ca.pem"));
            ssl = format!("ssl = required\nssl_cert = <{dir}/cert.pem\nssl_key = <{dir}/key.pem\n");
        }
        if let Some(c) = &self.opts.capability {
            ssl += &format!("imap_capability = {c}\n");
        }
        let (users, chroot) = if euid == 0 {
            (String::new(), "")
        } else {
            let user = name_of(euid, false);
            let group = name_of(self.gid, true);
            (
                format!(
                    "default_internal_user = {user}\ndefault_internal_group = {group}\ndefault_login_user = {user}\nservice anvil {{\n  chroot =\n}}\n"
                ),
                "  chroot =\n",
            )
        };
        let config = format!(
            "protocols = imap
listen = 127.0.0.1
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
instance_name = foiatrack-test-{port}
{ssl}auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {dir}/passwd
}}
userdb {{
  driver = passwd-file
  args = {dir}/passwd
}}
mail_location = maildir:~/Maildir
first_valid_uid = {uid}
{users}service imap-login {{
{chroot}  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
",
            port = self.port,
            tls_port = self.tls_port,
            uid = self.uid.clamp(1, 1000),
        );
        std::fs::write(self.path("dovecot.conf"), config).unwrap();
    }

    fn run(&mut self, bin: &Path) {
        let child = Command::new(bin)
            .args(["-F", "-c"])
            .arg(self.path("dovecot.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(self.path("dovecot.stderr")).unwrap()))
            .spawn()
            .expect("start dovecot");
        self.child = Some(child);
        // Ready once a connection gets the greeting that follows the auth process starting.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(s) = TcpStream::connect(("127.0.0.1", self.port)) {
                s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let mut r = BufReader::new(s);
                let mut line = String::new();
                let mut ready = false;
                while r.read_line(&mut line).is_ok_and(|n| n > 0) {
                    if line.contains("ready.") {
                        ready = true;
                        break;
                    }
                    line.clear();
                }
                if ready {
                    let _ = r.get_mut().write_all(b"x LOGOUT\r\n");
                    return;
                }
            }
            if let Some(Some(status)) = self.child.as_mut().map(|c| c.try_wait().unwrap()) {
                panic!("dovecot exited ({status}):\n{}", self.log());
            }
            assert!(Instant::now() < deadline, "dovecot did not start:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What Dovecot wrote, for failure messages.
    pub fn log(&self) -> String {
        let read = |n: &str| std::fs::read_to_string(self.path(n)).unwrap_or_default();
        format!("{}{}", read("dovecot.stderr"), read("dovecot.log"))
    }

    fn chown_all(&self, path: &Path) {
        let _ = std::os::unix::fs::chown(path, Some(self.uid), Some(self.gid));
        if path.is_dir() {
            for e in std::fs::read_dir(path).unwrap() {
                self.chown_all(&e.unwrap().path());
            }
        }
    }

    /// The Maildir of a folder ("INBOX", or another at the top level).
    pub fn maildir(&self, folder: &str) -> PathBuf {
        let root = self.path("home").join("Maildir");
        if folder == "INBOX" { root } else { root.join(format!(".{folder}")) }
    }

    pub fn create_folder(&self, folder: &str) {
        let m = self.maildir(folder);
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(m.join(sub)).unwrap();
        }
        self.chown_all(&m);
    }

    /// Delivers a message to a folder, as a delivery agent does (tmp/, then new/).
    pub fn deliver(&self, folder: &str, raw: &str) {
        static N: AtomicUsize = AtomicUsize::new(0);
        let m = self.maildir(folder);
        let name = format!("1772700000.M{}P{}.foiatrack-test", N.fetch_add(1, Ordering::SeqCst), std::process::id());
        let tmp = m.join("tmp").join(&name);
        std::fs::write(&tmp, raw).unwrap();
        let _ = std::os::unix::fs::chown(&tmp, Some(self.uid), Some(self.gid));
        std::fs::rename(&tmp, m.join("new").join(&name)).unwrap();
    }

    /// The file names of a folder's messages (new/ and cur/; in cur/ with their flags, ":2,S").
    pub fn files(&self, folder: &str) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.maildir(folder).join(sub)) {
                out.extend(entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()));
            }
        }
        out.sort();
        out
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            // SAFETY: signalling our own child.
            unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(10);
            while c.try_wait().unwrap().is_none() {
                if Instant::now() > deadline {
                    let _ = c.kill();
                    let _ = c.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    pub fn restart(&mut self) {
        self.stop();
        self.run(&binary().unwrap());
    }

    /// Makes the server renumber INBOX, as when a mailbox is restored or recreated: its UID
    /// list and indexes are replaced by a list with this UIDVALIDITY and no UIDs yet.
    pub fn renumber(&mut self, uidvalidity: u32) {
        self.stop();
        let m = self.maildir("INBOX");
        for e in std::fs::read_dir(&m).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if p.is_file() && name.starts_with("dovecot") {
                std::fs::remove_file(&p).unwrap();
            }
        }
        std::fs::write(m.join("dovecot-uidlist"), format!("3 V{uidvalidity} N1\n")).unwrap();
        self.chown_all(&m);
        self.run(&binary().unwrap());
    }

    /// `imap://jane@127.0.0.1:PORT/FOLDER`: no TLS, allowed to this machine.
    pub fn plain_url(&self, folder: &str) -> String {
        format!("imap://{USER}@127.0.0.1:{}/{folder}", self.port)
    }

    /// `imaps://jane@localhost:TLS_PORT/FOLDER`.
    pub fn imaps_url(&self, folder: &str) -> String {
        format!("imaps://{USER}@localhost:{}/{folder}", self.tls_port)
    }

    /// `imap://jane@127.0.0.1:PORT/FOLDER?tls=starttls`.
    pub fn starttls_url(&self, folder: &str) -> String {
        format!("imap://{USER}@127.0.0.1:{}/{folder}?tls=starttls", self.port)
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A test authority's certificate, and a server certificate it signed for localhost and
/// 127.0.0.1 with its key (all PEM).
fn certificates() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "foiatrack test authority");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    leaf.distinguished_name.push(DnType::CommonName, "localhost");
    let cert = leaf.signed_by(&key, &ca).unwrap();
    (ca.pem(), cert.pem(), key.serialize_pem())
}

/// Forwards a free 127.0.0.1 port to a server. The first connection is cut (or, with `stall`,
/// left hanging: nothing more is forwarded either way) just before the server sends the body of
/// message `after + 1`; later connections pass through untouched.
pub struct Proxy {
    pub port: u16,
    /// The first connection has reached its cut.
    pub cut: Arc<AtomicBool>,
    /// Connections accepted so far.
    pub connections: Arc<AtomicUsize>,
    /// Streams held open by a stalled connection.
    held: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    pub fn start(upstream: u16, after: usize, stall: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(AtomicUsize::new(0));
        let held = Arc::new(Mutex::new(Vec::new()));
        let (c, n, h) = (cut.clone(), connections.clone(), held.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { break };
                let first = n.fetch_add(1, Ordering::SeqCst) == 0;
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else { continue };
                let (mut c_in, mut s_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut c_in, &mut s_out);
                    let _ = s_out.shutdown(Shutdown::Write);
                });
                let (cut, held) = (c.clone(), h.clone());
                std::thread::spawn(move || {
                    let limit = if first { Some(after) } else { None };
                    forward(server, client, limit, stall, &cut, &held);
                });
            }
        });
        Proxy { port, cut, connections, held }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        for s in self.held.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

/// Server to client, counting message bodies (`BODY[] {`); at body `limit + 1`, stops.
fn forward(
    mut server: TcpStream,
    mut client: TcpStream,
    limit: Option<usize>,
    stall: bool,
    cut: &AtomicBool,
    held: &Mutex<Vec<TcpStream>>,
) {
    const PATTERN: &[u8] = b"BODY[] {";
    let mut seen = 0;
    let mut carry: Vec<u8> = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        let n = match server.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let Some(limit) = limit else {
            if client.write_all(&buf[..n]).is_err() {
                break;
            }
            continue;
        };
        let mut window = carry.clone();
        window.extend_from_slice(&buf[..n]);
        let offset = carry.len();
        let mut at = None;
        let mut i = 0;
        while i + PATTERN.len() <= window.len() {
            if &window[i..i + PATTERN.len()] == PATTERN && i + PATTERN.len() > offset {
                seen += 1;
                if seen > limit {
                    at = Some(i);
                    break;
                }
            }
            i += 1;
        }
        match at {
            Some(pos) => {
                if pos > offset {
                    let _ = client.write_all(&window[offset..pos]);
                }
                let _ = client.flush();
                cut.store(true, Ordering::SeqCst);
                if stall {
                    held.lock().unwrap().extend([server, client]);
                } else {
                    let _ = client.shutdown(Shutdown::Both);
                    let _ = server.shutdown(Shutdown::Both);
                }
                return;
            }
            None => {
                if client.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
        carry = window[window.len().saturating_sub(PATTERN.len() - 1)..].to_vec();
    }
    let _ = client.shutdown(Shutdown::Write);
}

/// A fake IMAP server that refuses every login, echoing the LOGIN line it received in its NO
/// (as plain text and in base64), then hangs up. Returns its port.
pub fn echoing_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { break };
            std::thread::spawn(move || {
                let _ = conn.write_all(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake server ready\r\n");
                let mut r = BufReader::new(conn.try_clone().unwrap());
                let mut line = String::new();
                while r.read_line(&mut line).is_ok_and(|n| n > 0) {
                    let l = line.trim_end().to_string();
                    let tag = l.split(' ').next().unwrap_or("*").to_string();
                    let b64 = base64(l.as_bytes());
                    let _ = conn.write_all(
                        format!("{tag} NO [AUTHENTICATIONFAILED] you sent: {l} (that is {b64})\r\n").as_bytes(),
                    );
                    line.clear();
                }
            });
        }
    });
    port
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (*b as u32) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() { A[((n >> (18 - 6 * i)) & 63) as usize] as char } else { '=' });
        }
    }
    out
}
