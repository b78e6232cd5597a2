//! Real servers for the network sink tests and benchmarks: VictoriaLogs (which accepts the
//! Loki push API) and rsyslog, each started on 127.0.0.1 with its own temporary directory.
//!
//! The binaries come from environment variables that `.ci/servers.sh` writes to
//! `build/servers.env` (`make test-network` sets them). Without them a test skips with a
//! printed reason, except under `CI=true`, where it fails.
#![allow(dead_code)]

use serde_json::Value;
use std::fs;
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The path (a file or a directory) in `var`, or `None` (after saying why) when a local run has not set it.
/// Panics under `CI=true`: there the servers must be there.
pub fn server_bin(var: &str) -> Option<PathBuf> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    match std::env::var_os(var) {
        Some(p) if Path::new(&p).exists() => Some(PathBuf::from(p)),
        Some(p) => panic!("{var}={} does not exist", Path::new(&p).display()),
        None if ci => panic!(
            "{var} is not set under CI=true: run `make test-network`, which runs .ci/servers.sh"
        ),
        None => {
            // Straight to the process's stderr: the test harness captures `eprintln!` of a
            // passing test, and a skip must be seen.
            use std::io::Write;
            let test = std::thread::current().name().unwrap_or("?").to_owned();
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: {var} is not set (run `make test-network` to build and use the \
                 real servers; under CI=true this fails)"
            );
            None
        }
    }
}

/// A free TCP port on 127.0.0.1 (free when this returns; the caller binds it soon).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A free UDP port on 127.0.0.1.
pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn wait_until(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !ready() {
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Sends a signal to a child by its pid with `kill(1)`.
pub fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(child.id().to_string())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "kill -{sig} {}", child.id());
}

/// Starts `cmd` with its standard output discarded and its standard error appended to `log`,
/// and waits until what it appends contains `ready`. Panics, with what it logged, if it exits
/// first or is not ready within `timeout`.
pub fn start_logged(cmd: &mut Command, log: &Path, ready: &str, timeout: Duration) -> Child {
    let read = || fs::read_to_string(log).unwrap_or_default();
    let from = read().len();
    let file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(file)
        .spawn()
        .unwrap_or_else(|e| panic!("start {cmd:?}: {e}"));
    wait_until(ready, timeout, || {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{cmd:?} exited ({status}):\n{}", &read()[from..]);
        }
        read()[from..].contains(ready)
    });
    child
}

/// Kills a child at once (SIGKILL) and reaps it.
pub fn kill_child(child: &mut Option<Child>) {
    if let Some(mut c) = child.take() {
        let _ = c.kill();
        let _ = c.wait();
    }
}

/// Standard base64 (RFC 4648) with padding.
pub fn base64(input: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let mut b = [0u8; 3];
        b[..chunk.len()].copy_from_slice(chunk);
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                ABC[(n >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

/// A VictoriaLogs server.
pub struct VictoriaLogs {
    bin: PathBuf,
    dir: tempfile::TempDir,
    child: Option<Child>,
    extra: Vec<String>,
    /// The port it listens on.
    pub port: u16,
    scheme: &'static str,
    /// The CA for https, if it serves https.
    pub ca_file: Option<PathBuf>,
    /// Basic authentication the server requires (`-httpAuth.*`), sent by the helpers.
    pub auth: Option<(String, String)>,
}

impl VictoriaLogs {
    /// Starts a server on a free port.
    pub fn start(bin: &Path) -> VictoriaLogs {
        Self::start_with(bin, free_port(), &[])
    }

    /// Starts a server on `port` with extra flags.
    pub fn start_with(bin: &Path, port: u16, extra: &[&str]) -> VictoriaLogs {
        let mut v = Self::prepared(bin, port, extra);
        v.up();
        v
    }

    /// A server that is not started yet (see [`VictoriaLogs::up`]).
    pub fn prepared(bin: &Path, port: u16, extra: &[&str]) -> VictoriaLogs {
        VictoriaLogs {
            bin: bin.to_owned(),
            dir: tempfile::tempdir().unwrap(),
            child: None,
            extra: extra.iter().map(|s| s.to_string()).collect(),
            port,
            scheme: "http",
            ca_file: None,
            auth: None,
        }
    }

    /// Starts a server that requires basic authentication.
    pub fn start_with_auth(bin: &Path, user: &str, password: &str) -> VictoriaLogs {
        let mut v = Self::prepared(
            bin,
            free_port(),
            &[
                &format!("-httpAuth.username={user}"),
                &format!("-httpAuth.password={password}"),
            ],
        );
        v.auth = Some((user.to_owned(), password.to_owned()));
        v.up();
        v
    }

    fn authorize<B>(&self, r: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        match &self.auth {
            None => r,
            Some((u, p)) => {
                let token = base64(format!("{u}:{p}").as_bytes());
                r.header("Authorization", format!("Basic {token}"))
            }
        }
    }

    /// Starts a server with https: a private CA and a server certificate for 127.0.0.1 that it
    /// signed, made with `openssl`. [`VictoriaLogs::ca_file`] is the CA.
    pub fn start_tls(bin: &Path) -> VictoriaLogs {
        let mut v = Self::prepared(bin, free_port(), &[]);
        let d = v.dir.path().to_owned();
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(&d)
                .output()
                .expect("openssl is needed for the https test");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        let ca_subject = ["-days", "2", "-subj", "/CN=logcap test CA"];
        let ca_out = ["-keyout", "ca.key", "-out", "ca.pem"];
        openssl(&[&["req", "-x509"][..], &ec, &ca_subject, &ca_out].concat());
        let csr = [
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "key.pem",
            "-out",
            "server.csr",
        ];
        openssl(&[&["req"][..], &ec, &csr].concat());
        fs::write(
            d.join("server.ext"),
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n\
             extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
        )
        .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "cert.pem",
        ]);
        v.extra = vec![
            "-tls".into(),
            format!("-tlsCertFile={}", d.join("cert.pem").display()),
            format!("-tlsKeyFile={}", d.join("key.pem").display()),
        ];
        v.scheme = "https";
        v.ca_file = Some(d.join("ca.pem"));
        v.up();
        v
    }

    /// Starts (or restarts) the process on the same port and storage.
    pub fn up(&mut self) {
        assert!(self.child.is_none(), "already running");
        let log = fs::File::create(self.dir.path().join("server.log")).unwrap();
        let child = Command::new(&self.bin)
            .arg(format!(
                "-storageDataPath={}",
                self.dir.path().join("data").display()
            ))
            .arg(format!("-httpListenAddr=127.0.0.1:{}", self.port))
            .arg("-loggerLevel=ERROR")
            .arg("-inmemoryDataFlushInterval=1s")
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start victoria-logs");
        self.child = Some(child);
        let port = self.port;
        wait_until("victoria-logs listening", Duration::from_secs(20), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
    }

    /// Kills the process at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Stops the process gracefully (SIGTERM) and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            signal(&c, "TERM");
            let _ = c.wait();
        }
    }

    /// The base URL.
    pub fn base(&self) -> String {
        format!("{}://127.0.0.1:{}", self.scheme, self.port)
    }

    /// The Loki push endpoint.
    pub fn push_url(&self) -> String {
        format!("{}/insert/loki/api/v1/push", self.base())
    }

    fn agent(&self) -> ureq::Agent {
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(ca) = &self.ca_file {
            let pem = fs::read(ca).unwrap();
            let certs: Vec<_> = ureq::tls::parse_pem(&pem)
                .filter_map(|i| match i.unwrap() {
                    ureq::tls::PemItem::Certificate(c) => Some(c),
                    _ => None,
                })
                .collect();
            tls = tls.root_certs(ureq::tls::RootCerts::from(certs));
        }
        ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .tls_config(tls.build())
                .timeout_global(Some(Duration::from_secs(30)))
                .build(),
        )
    }

    /// Makes what was ingested searchable now.
    pub fn force_flush(&self) {
        let mut r = self
            .authorize(
                self.agent()
                    .get(format!("{}/internal/force_flush", self.base())),
            )
            .call()
            .expect("force_flush");
        let _ = r.body_mut().read_to_string();
    }

    /// Every log matching the LogsQL `query` in tenant `(account, project)`, one JSON object
    /// each.
    pub fn query_tenant(&self, query: &str, tenant: (u32, u32)) -> Vec<Value> {
        self.force_flush();
        let mut r = self
            .authorize(
                self.agent()
                    .post(format!("{}/select/logsql/query", self.base())),
            )
            .header("AccountID", tenant.0.to_string())
            .header("ProjectID", tenant.1.to_string())
            .send_form([("query", query), ("limit", "1000000")])
            .expect("query");
        let body = r
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_string()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{body}");
        body.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Every log matching `query` in the default tenant.
    pub fn query(&self, query: &str) -> Vec<Value> {
        self.query_tenant(query, (0, 0))
    }

    /// Waits until `query` finds at least `n` logs, and returns them.
    pub fn wait_for(&self, query: &str, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.query(query);
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The local ports of this machine's established TCP connections to the server (from
    /// /proc/net/tcp): the client ends.
    pub fn client_ports(&self) -> std::collections::BTreeSet<u16> {
        let table = fs::read_to_string("/proc/net/tcp").unwrap();
        table
            .lines()
            .skip(1)
            .filter_map(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                let port = |a: &str| u16::from_str_radix(a.rsplit(':').next()?, 16).ok();
                (cols.get(3) == Some(&"01") && port(cols[2])? == self.port)
                    .then(|| port(cols[1]))
                    .flatten()
            })
            .collect()
    }

    /// The value of a counter in `/metrics`, summed over the lines that start with `name`.
    pub fn metric(&self, name: &str) -> f64 {
        let mut r = self
            .authorize(self.agent().get(format!("{}/metrics", self.base())))
            .call()
            .expect("metrics");
        let text = r.body_mut().read_to_string().unwrap();
        text.lines()
            .filter(|l| l.starts_with(name))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// The server's own log.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for VictoriaLogs {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An rsyslog daemon listening on UDP and TCP ports of 127.0.0.1, a unix datagram socket and
/// a unix stream socket, writing one line per message to a file:
/// `<input> <severity> <facility> <hostname> <app-name> <procid> <structured-data> <msg>`
/// (control characters in a message are written `#ooo`, rsyslog's default).
pub struct Rsyslog {
    bin: PathBuf,
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// UDP port.
    pub udp_port: u16,
    /// TCP port.
    pub tcp_port: u16,
}

impl Rsyslog {
    /// Starts rsyslogd.
    pub fn start(bin: &Path) -> Rsyslog {
        let mut r = Self::prepared(bin);
        r.up();
        r
    }

    /// An rsyslogd that is not started yet (see [`Rsyslog::up`]).
    pub fn prepared(bin: &Path) -> Rsyslog {
        let r = Rsyslog {
            bin: bin.to_owned(),
            dir: tempfile::tempdir().unwrap(),
            child: None,
            udp_port: free_udp_port(),
            tcp_port: free_port(),
        };
        let d = r.dir.path().display();
        let conf = format!(
            r#"global(workDirectory="{d}" maxMessageSize="64k")
module(load="imudp")
module(load="imtcp")
module(load="imptcp")
module(load="imuxsock" SysSock.Use="off")
template(name="line" type="string" string="%inputname% %syslogseverity% %syslogfacility% %hostname% %app-name% %procid% %structured-data% %msg%\n")
input(type="imudp" address="127.0.0.1" port="{udp}")
input(type="imtcp" address="127.0.0.1" port="{tcp}")
input(type="imuxsock" Socket="{d}/dgram.sock" UseSpecialParser="off" ParseHostname="on" RateLimit.Interval="0")
input(type="imptcp" path="{d}/stream.sock" unlink="on")
action(type="omfile" file="{d}/out.log" template="line")
"#,
            udp = r.udp_port,
            tcp = r.tcp_port
        );
        fs::write(r.dir.path().join("rsyslog.conf"), conf).unwrap();
        r
    }

    /// Starts (or restarts) rsyslogd in the foreground.
    pub fn up(&mut self) {
        assert!(self.child.is_none(), "already running");
        let d = self.dir.path();
        let _ = fs::remove_file(d.join("rsyslogd.pid"));
        let log = fs::File::create(d.join("rsyslogd.log")).unwrap();
        let child = Command::new(&self.bin)
            .arg("-n")
            .arg("-f")
            .arg(d.join("rsyslog.conf"))
            .arg("-i")
            .arg(d.join("rsyslogd.pid"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start rsyslogd");
        self.child = Some(child);
        let tcp = self.tcp_port;
        let (dgram, stream) = (self.dgram_path(), self.stream_path());
        wait_until("rsyslogd listening", Duration::from_secs(20), || {
            TcpStream::connect(("127.0.0.1", tcp)).is_ok() && dgram.exists() && stream.exists()
        });
    }

    /// Kills rsyslogd at once (SIGKILL).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The unix datagram socket.
    pub fn dgram_path(&self) -> PathBuf {
        self.dir.path().join("dgram.sock")
    }

    /// The unix stream socket.
    pub fn stream_path(&self) -> PathBuf {
        self.dir.path().join("stream.sock")
    }

    /// The lines written so far.
    pub fn lines(&self) -> Vec<String> {
        fs::read_to_string(self.dir.path().join("out.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// How many lines from `input` were written so far.
    pub fn count(&self, input: &str) -> usize {
        let prefix = format!("{input} ");
        self.lines()
            .iter()
            .filter(|l| l.starts_with(&prefix))
            .count()
    }

    /// Waits until at least `n` lines from `input` (`imudp`, `imtcp`, `imuxsock`, `imptcp`)
    /// were written, or 30 s; returns those lines.
    pub fn wait_for(&self, input: &str, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let prefix = format!("{input} ");
        loop {
            let got: Vec<String> = self
                .lines()
                .into_iter()
                .filter(|l| l.starts_with(&prefix))
                .collect();
            if got.len() >= n || Instant::now() > deadline {
                // A little longer, to see any line beyond `n`.
                std::thread::sleep(Duration::from_millis(300));
                return self
                    .lines()
                    .into_iter()
                    .filter(|l| l.starts_with(&prefix))
                    .collect();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// rsyslogd's own messages.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("rsyslogd.log")).unwrap_or_default()
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        self.kill();
    }
}
