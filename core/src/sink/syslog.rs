//! The syslog sink: RFC 5424 messages over UDP, TCP or a unix socket.

use super::{Sink, SinkError};
use crate::batch::Batch;
use crate::config::{SyslogFieldsAs, SyslogSinkConfig, SyslogTransport};
use crate::delivery::{DeadLetters, Failure, Retrier};
use crate::encode::syslog::{header_field, SyslogFormatter, SyslogHeader};
use crate::entry::EntryData;
use crate::stats::DeliveryCounters;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::os::unix::net::{UnixDatagram, UnixStream};
use std::sync::Arc;
use std::time::Duration;

/// Sends each entry as one RFC 5424 message (see [`crate::encode::syslog`]).
///
/// - `udp` and `unix`: one message per datagram, cut to `max_message_bytes`. A message the
///   socket refuses for good (too long for it) is dead-lettered alone; on a transient error
///   the rest of the batch is retried from the message that failed.
/// - `tcp` and `unix_stream`: octet-counting framing (RFC 6587, `LEN SP MSG`), so no content
///   can break the framing. A batch goes out in one write; on an error the connection is
///   reopened and the whole batch is sent again (at least once: the receiver may see some
///   messages twice).
///
/// The sink connects on its first batch, not when the pipeline starts, so a receiver that
/// starts later is no error; it reconnects whenever a send fails.
pub struct SyslogSink {
    cfg: SyslogSinkConfig,
    formatter: SyslogFormatter,
    conn: Option<Conn>,
    retrier: Retrier,
    dead: DeadLetters,
    counters: Arc<DeliveryCounters>,
    buf: Vec<u8>,
    /// Each entry's message (datagram transports) or frame (stream transports) in `buf`.
    spans: Vec<(usize, usize)>,
}

enum Conn {
    Udp(UdpSocket),
    Tcp(TcpStream),
    Unix(UnixDatagram),
    UnixStream(UnixStream),
}

impl SyslogSink {
    /// A sink named `name` (for its dead letters). Does not connect yet.
    pub fn new(name: &str, cfg: SyslogSinkConfig) -> SyslogSink {
        let hostname = cfg.hostname.clone().unwrap_or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim().to_owned())
                .unwrap_or_default()
        });
        let app_name = cfg.app_name.clone().unwrap_or_else(|| {
            std::env::current_exe()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_else(|| "logcap".into())
        });
        let header = SyslogHeader {
            facility: cfg.facility.0,
            hostname: header_field(&hostname, 255),
            app_name: header_field(&app_name, 48),
            procid: std::process::id().to_string(),
            enterprise_id: cfg.enterprise_id,
        };
        SyslogSink {
            formatter: SyslogFormatter::new(
                header,
                cfg.fields_as,
                cfg.msg_format,
                cfg.max_message_bytes,
            ),
            conn: None,
            retrier: Retrier::new(cfg.retry.clone()),
            dead: DeadLetters::new(cfg.dead_letter_path.clone(), name),
            counters: Arc::default(),
            buf: Vec::new(),
            spans: Vec::new(),
            cfg,
        }
    }

    fn stream(&self) -> bool {
        matches!(
            self.cfg.transport,
            SyslogTransport::Tcp | SyslogTransport::UnixStream
        )
    }

    /// Formats every entry into `buf`, framed for stream transports.
    fn format(&mut self, batch: &Batch) {
        self.buf.clear();
        self.spans.clear();
        let lines = match self.cfg.fields_as {
            SyslogFieldsAs::Msg => Some(batch.encoded(self.cfg.msg_format)),
            SyslogFieldsAs::StructuredData => None,
        };
        let mut lines = lines.map(|l| l.split(|&b| b == b'\n'));
        let stream = self.stream();
        let mut msg = Vec::new();
        for e in batch.iter() {
            let line = lines.as_mut().and_then(|l| l.next());
            let start = self.buf.len();
            if stream {
                msg.clear();
                self.formatter.format(e, line, &mut msg);
                self.buf
                    .extend_from_slice(itoa::Buffer::new().format(msg.len()).as_bytes());
                self.buf.push(b' ');
                self.buf.extend_from_slice(&msg);
            } else {
                self.formatter.format(e, line, &mut self.buf);
            }
            self.spans.push((start, self.buf.len()));
        }
    }

    fn dead_letter<'a>(
        &mut self,
        entries: impl Iterator<Item = &'a EntryData>,
        msg: &mut String,
        attempts: u32,
    ) {
        match self.dead.write(entries, msg, attempts) {
            Ok(n) => self.counters.dead_lettered(n),
            Err(e) => msg.push_str(&format!("; and the dead-letter file failed: {e}")),
        }
    }
}

fn timeout(cfg: &SyslogSinkConfig) -> Duration {
    Duration::from_millis(cfg.timeout_ms)
}

fn resolve(address: &str) -> Result<Vec<SocketAddr>, Failure> {
    let addrs: Vec<SocketAddr> = address
        .to_socket_addrs()
        .map_err(|e| Failure::from_io(&format!("resolve {address}"), &e))?
        .collect();
    if addrs.is_empty() {
        return Err(Failure::transient(format!("{address} resolves to nothing")));
    }
    Ok(addrs)
}

fn connect(cfg: &SyslogSinkConfig) -> Result<Conn, Failure> {
    let t = timeout(cfg);
    let address = cfg.address.as_deref().unwrap_or_default();
    let path = cfg
        .path
        .as_deref()
        .unwrap_or(std::path::Path::new("/dev/log"));
    let ctx = |what: &str| format!("{what} {address}{}", path_ctx(cfg));
    match cfg.transport {
        SyslogTransport::Udp => {
            let mut last = None;
            for addr in resolve(address)? {
                let local: SocketAddr = if addr.is_ipv4() {
                    ([0u8; 4], 0).into()
                } else {
                    ([0u16; 8], 0).into()
                };
                match UdpSocket::bind(local).and_then(|s| s.connect(addr).map(|()| s)) {
                    Ok(s) => {
                        s.set_write_timeout(Some(t)).ok();
                        return Ok(Conn::Udp(s));
                    }
                    Err(e) => last = Some(e),
                }
            }
            Err(Failure::from_io(
                &ctx("connect"),
                &last.unwrap_or_else(|| io::ErrorKind::NotFound.into()),
            ))
        }
        SyslogTransport::Tcp => {
            let mut last = None;
            for addr in resolve(address)? {
                match TcpStream::connect_timeout(&addr, t) {
                    Ok(s) => {
                        s.set_write_timeout(Some(t)).ok();
                        s.set_nodelay(true).ok();
                        return Ok(Conn::Tcp(s));
                    }
                    Err(e) => last = Some(e),
                }
            }
            Err(Failure::from_io(
                &ctx("connect"),
                &last.unwrap_or_else(|| io::ErrorKind::NotFound.into()),
            ))
        }
        SyslogTransport::Unix => {
            let s = UnixDatagram::unbound()
                .and_then(|s| s.connect(path).map(|()| s))
                .map_err(|e| Failure::from_io(&ctx("connect"), &e))?;
            s.set_write_timeout(Some(t)).ok();
            Ok(Conn::Unix(s))
        }
        SyslogTransport::UnixStream => {
            let s = UnixStream::connect(path).map_err(|e| Failure::from_io(&ctx("connect"), &e))?;
            s.set_write_timeout(Some(t)).ok();
            Ok(Conn::UnixStream(s))
        }
    }
}

fn path_ctx(cfg: &SyslogSinkConfig) -> String {
    cfg.path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

/// Whether a stream's peer has closed it. A syslog receiver never sends, so a readable stream
/// means end of file (or an error): the connection is dead even though a write would still
/// succeed once, into the kernel's buffer, and be lost.
fn peer_closed(conn: &mut Conn) -> bool {
    fn check<S: Read>(s: &mut S, set_nb: impl Fn(bool) -> io::Result<()>) -> bool {
        if set_nb(true).is_err() {
            return true;
        }
        let mut b = [0u8; 64];
        let closed = match s.read(&mut b) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => e.kind() != io::ErrorKind::WouldBlock,
        };
        closed || set_nb(false).is_err()
    }
    match conn {
        Conn::Tcp(s) => {
            let c = s.try_clone();
            match c {
                Ok(c) => check(s, |nb| c.set_nonblocking(nb)),
                Err(_) => true,
            }
        }
        Conn::UnixStream(s) => {
            let c = s.try_clone();
            match c {
                Ok(c) => check(s, |nb| c.set_nonblocking(nb)),
                Err(_) => true,
            }
        }
        Conn::Udp(_) | Conn::Unix(_) => false,
    }
}

fn send_datagram(conn: &Conn, msg: &[u8]) -> io::Result<()> {
    let n = match conn {
        Conn::Udp(s) => s.send(msg)?,
        Conn::Unix(s) => s.send(msg)?,
        Conn::Tcp(_) | Conn::UnixStream(_) => unreachable!("datagram transports only"),
    };
    if n == msg.len() {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::WriteZero,
            "the datagram was sent in part",
        ))
    }
}

fn write_stream(conn: &mut Conn, bytes: &[u8]) -> io::Result<()> {
    match conn {
        Conn::Tcp(s) => s.write_all(bytes).and_then(|()| s.flush()),
        Conn::UnixStream(s) => s.write_all(bytes).and_then(|()| s.flush()),
        Conn::Udp(_) | Conn::Unix(_) => unreachable!("stream transports only"),
    }
}

impl Sink for SyslogSink {
    fn write(&mut self, batch: &Batch) -> Result<u64, SinkError> {
        self.format(batch);
        let entries: Vec<&EntryData> = batch.iter().collect();
        let total = entries.len() as u64;
        let mut failed = 0u64;
        let mut sent = 0u64;
        let mut first_error: Option<String> = None;
        if self.stream() {
            let (cfg, conn, buf) = (&self.cfg, &mut self.conn, &self.buf);
            let result = self.retrier.run(&self.counters, |_| {
                if conn.as_mut().is_some_and(peer_closed) {
                    *conn = None;
                }
                let c = match conn {
                    Some(c) => c,
                    None => conn.insert(connect(cfg)?),
                };
                write_stream(c, buf).map_err(|e| {
                    *conn = None;
                    Failure::from_io("send", &e)
                })
            });
            match result {
                Ok(_) => {
                    sent = self.buf.len() as u64;
                    self.counters.sent(sent);
                }
                Err(gave_up) => {
                    failed = total;
                    let mut msg = gave_up.to_string();
                    self.dead_letter(entries.iter().copied(), &mut msg, gave_up.attempts);
                    first_error = Some(msg);
                }
            }
        } else {
            let mut next = 0;
            while next < self.spans.len() {
                let (cfg, conn, buf, spans) = (&self.cfg, &mut self.conn, &self.buf, &self.spans);
                let mut done = 0u64;
                let result = self.retrier.run(&self.counters, |_| {
                    while next < spans.len() {
                        let c = match conn {
                            Some(c) => c,
                            None => conn.insert(connect(cfg)?),
                        };
                        let (a, b) = spans[next];
                        send_datagram(c, &buf[a..b]).map_err(|e| {
                            *conn = None;
                            Failure::from_io("send", &e)
                        })?;
                        done += (b - a) as u64;
                        next += 1;
                    }
                    Ok(())
                });
                sent += done;
                self.counters.sent(done);
                if let Err(gave_up) = result {
                    // A permanent failure is one message's; otherwise the receiver is gone
                    // and every message left fails with it.
                    let upto = if gave_up.failure.is_permanent() {
                        next + 1
                    } else {
                        self.spans.len()
                    };
                    failed += (upto - next) as u64;
                    let mut msg = gave_up.to_string();
                    self.dead_letter(
                        entries[next..upto].iter().copied(),
                        &mut msg,
                        gave_up.attempts,
                    );
                    first_error.get_or_insert(msg);
                    next = upto;
                }
            }
        }
        match first_error {
            None => Ok(sent),
            Some(msg) => Err(SinkError::partial(
                format!("{failed} of {total} entries not delivered: {msg}"),
                failed,
                sent,
            )),
        }
    }

    fn delivery_counters(&self) -> Option<Arc<DeliveryCounters>> {
        Some(Arc::clone(&self.counters))
    }
}
