//! The OTLP logs sink: exports batches to an OpenTelemetry Collector (or any OTLP/HTTP logs
//! receiver) as `ExportLogsServiceRequest`s.

use super::http::{classify, http_agent, retry_after};
use super::{Sink, SinkError};
use crate::batch::Batch;
use crate::config::OtlpSinkConfig;
use crate::delivery::{DeadLetters, Failure, Retrier};
use crate::encode::otlp::{estimated_size, OtlpEncoder};
use crate::entry::EntryData;
use crate::stats::DeliveryCounters;
use std::sync::Arc;
use ureq::Agent;

/// The longest response body read.
const RESPONSE_LIMIT: u64 = 1 << 20;

/// Exports each batch in one or more requests (`max_request_entries`, `max_request_bytes`),
/// each retried on transient failures and dead-lettered when it finally fails. Connections
/// are kept alive and reused.
pub struct OtlpSink {
    name: String,
    cfg: OtlpSinkConfig,
    agent: Agent,
    headers: Vec<(String, String)>,
    encoder: OtlpEncoder,
    retrier: Retrier,
    dead: DeadLetters,
    counters: Arc<DeliveryCounters>,
}

impl OtlpSink {
    /// A sink named `name` (for its dead letters). Reads `ca_file`; does not connect.
    pub fn new(name: &str, cfg: OtlpSinkConfig) -> Result<OtlpSink, SinkError> {
        Ok(OtlpSink {
            name: name.to_owned(),
            agent: http_agent(cfg.timeout_ms, cfg.ca_file.as_deref())?,
            headers: cfg
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            encoder: OtlpEncoder::new(cfg.encoding, cfg.labels_as, cfg.resource.clone(), cfg.gzip),
            retrier: Retrier::new(cfg.retry.clone()),
            dead: DeadLetters::new(cfg.dead_letter_path.clone(), name),
            counters: Arc::default(),
            cfg,
        })
    }

    /// The sink's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Splits entries into requests of at most `max_request_entries` entries and about
    /// `max_request_bytes` (an entry larger than that goes alone).
    fn requests<'a>(&self, entries: &[&'a EntryData]) -> Vec<Vec<&'a EntryData>> {
        let mut out: Vec<Vec<&EntryData>> = Vec::new();
        let mut size = 0;
        for &e in entries {
            let s = estimated_size(e);
            match out.last_mut() {
                Some(cur)
                    if cur.len() < self.cfg.max_request_entries
                        && size + s <= self.cfg.max_request_bytes =>
                {
                    cur.push(e);
                    size += s;
                }
                _ => {
                    out.push(vec![e]);
                    size = s;
                }
            }
        }
        out
    }
}

/// OTLP/HTTP's answer to a status: 2xx is success; 429, 502, 503 and 504 are transient (with
/// the server's `Retry-After`); every other status, 400 and 500 included, is permanent.
fn status_outcome(
    status: u16,
    body: &str,
    retry_after: Option<std::time::Duration>,
) -> Result<(), Failure> {
    if (200..300).contains(&status) {
        return Ok(());
    }
    let message = format!("HTTP {status}: {}", body.trim());
    if matches!(status, 429 | 502 | 503 | 504) {
        Err(Failure::Transient {
            message,
            retry_after,
        })
    } else {
        Err(Failure::Permanent(message))
    }
}

/// One POST; the response body on success.
fn post(
    agent: &Agent,
    url: &str,
    headers: &[(String, String)],
    encoder: &OtlpEncoder,
    body: &[u8],
) -> Result<Vec<u8>, Failure> {
    let mut req = agent
        .post(url)
        .header("Content-Type", encoder.content_type());
    if let Some(enc) = encoder.content_encoding() {
        req = req.header("Content-Encoding", enc);
    }
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let mut resp = req.send(body).map_err(classify)?;
    let status = resp.status().as_u16();
    let hint = retry_after(resp.headers());
    // Read the body to its end, so that the connection goes back to the pool.
    let bytes = resp
        .body_mut()
        .with_config()
        .limit(RESPONSE_LIMIT)
        .read_to_vec()
        .unwrap_or_default();
    status_outcome(status, &String::from_utf8_lossy(&bytes), hint)?;
    Ok(bytes)
}

impl Sink for OtlpSink {
    fn write(&mut self, batch: &Batch) -> Result<u64, SinkError> {
        let entries: Vec<&EntryData> = batch.iter().collect();
        let mut sent = 0u64;
        let mut failed = 0u64;
        let mut first_error = None;
        for chunk in self.requests(&entries) {
            let body = self
                .encoder
                .body(&self.encoder.request(chunk.iter().copied()));
            let (agent, url, headers, encoder) =
                (&self.agent, &self.cfg.url, &self.headers, &self.encoder);
            match self.retrier.run(&self.counters, |_| {
                post(agent, url, headers, encoder, &body)
            }) {
                Ok((resp, _)) => {
                    sent += body.len() as u64;
                    self.counters.sent(body.len() as u64);
                    // Partial success: the server took the request but refused some records;
                    // it does not say which, and they must not be sent again, so they are
                    // counted as failed (not dead-lettered).
                    let rejected = match self.encoder.response(&resp) {
                        Ok(r) => r.partial_success.map_or(0, |p| {
                            let n = u64::try_from(p.rejected_log_records)
                                .unwrap_or(0)
                                .min(chunk.len() as u64);
                            if n > 0 {
                                first_error.get_or_insert(format!(
                                    "partial success: {n} log records rejected: {}",
                                    p.error_message
                                ));
                            }
                            n
                        }),
                        Err(e) => {
                            first_error.get_or_insert(e);
                            0
                        }
                    };
                    failed += rejected;
                }
                Err(gave_up) => {
                    failed += chunk.len() as u64;
                    let msg = self.dead.give_up(
                        chunk.iter().copied(),
                        &gave_up.to_string(),
                        gave_up.attempts,
                        &self.counters,
                    );
                    first_error.get_or_insert(msg);
                }
            }
        }
        SinkError::batch_outcome(sent, failed, entries.len(), &self.cfg.url, first_error)
    }

    fn delivery_counters(&self) -> Option<Arc<DeliveryCounters>> {
        Some(Arc::clone(&self.counters))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, SinkKind};
    use std::time::Duration;

    #[test]
    fn statuses_follow_otlp_http() {
        assert_eq!(status_outcome(200, "", None), Ok(()));
        for transient in [429, 502, 503, 504] {
            let f = status_outcome(transient, "busy", Some(Duration::from_secs(3)));
            assert_eq!(
                f,
                Err(Failure::Transient {
                    message: format!("HTTP {transient}: busy"),
                    retry_after: Some(Duration::from_secs(3))
                })
            );
        }
        for permanent in [400, 401, 404, 413, 415, 500, 501] {
            assert!(status_outcome(permanent, "", None)
                .unwrap_err()
                .is_permanent());
        }
    }

    /// An HTTP/1.1 server on 127.0.0.1 that answers the requests it gets, on kept-alive
    /// connections, with `responses` in turn (status, extra headers, body); returns its URL
    /// and, once it has answered them all, the request bodies.
    fn serve(
        responses: Vec<(u16, &'static str, Vec<u8>)>,
    ) -> (String, std::thread::JoinHandle<Vec<Vec<u8>>>) {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v1/logs", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let mut bodies = Vec::new();
            let mut conn: Option<BufReader<std::net::TcpStream>> = None;
            let mut responses = responses.into_iter();
            let mut next = responses.next();
            while let Some((status, headers, body)) = next.take() {
                let r = conn.get_or_insert_with(|| BufReader::new(listener.accept().unwrap().0));
                let mut len = 0;
                let mut line = String::new();
                let mut closed = false;
                loop {
                    line.clear();
                    if r.read_line(&mut line).unwrap() == 0 {
                        closed = true;
                        break;
                    }
                    if line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap();
                    }
                }
                if closed {
                    conn = None;
                    next = Some((status, headers, body));
                    continue;
                }
                let mut req = vec![0; len];
                r.read_exact(&mut req).unwrap();
                bodies.push(req);
                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\n{headers}\r\n",
                    body.len()
                );
                let w = r.get_mut();
                w.write_all(head.as_bytes()).unwrap();
                w.write_all(&body).unwrap();
                next = responses.next();
            }
            bodies
        });
        (url, server)
    }

    fn entries(n: usize) -> Batch {
        Batch::from_entries(
            (0..n)
                .map(|i| {
                    let mut e = Box::new(EntryData::new());
                    e.set_message(&format!("m{i}"));
                    e
                })
                .collect(),
        )
    }

    fn sink_to(url: &str, extra: &str) -> OtlpSink {
        let c = Config::from_json(&format!(
            r#"{{"sinks":[{{"type":"otlp","url":"{url}","compression":"none"{extra}}}]}}"#
        ))
        .unwrap();
        let SinkKind::Otlp(o) = &c.sinks[0].kind else {
            unreachable!()
        };
        OtlpSink::new("o", (**o).clone()).unwrap()
    }

    /// A 503 with `Retry-After: 1` is retried no sooner than a second later (the backoff
    /// alone would be 1 ms); the 200 that follows reports a partial success, whose rejected
    /// records count as failed, and are not dead-lettered.
    #[test]
    fn retry_after_is_honoured_and_partial_success_counted() {
        use opentelemetry_proto::tonic::collector::logs::v1::{
            ExportLogsPartialSuccess, ExportLogsServiceRequest, ExportLogsServiceResponse,
        };
        use prost::Message;
        let partial = ExportLogsServiceResponse {
            partial_success: Some(ExportLogsPartialSuccess {
                rejected_log_records: 2,
                error_message: "too old".into(),
            }),
        };
        let (url, server) = serve(vec![
            (503, "Retry-After: 1\r\n", b"busy".to_vec()),
            (200, "", partial.encode_to_vec()),
        ]);
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join("dead.jsonl");
        let mut s = sink_to(
            &url,
            &format!(
                r#","retry":{{"initial_ms":1,"max_ms":5000,"attempts":3}},"dead_letter_path":"{}""#,
                dead.display()
            ),
        );
        let started = std::time::Instant::now();
        let err = s.write(&entries(5)).unwrap_err();
        assert!(
            started.elapsed() >= Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        let p = err.partial_delivery().unwrap();
        assert_eq!(p.failed, 2, "{err}");
        assert!(err.to_string().contains("too old"), "{err}");
        let bodies = server.join().unwrap();
        assert_eq!(bodies.len(), 2);
        assert_eq!(bodies[0], bodies[1], "the same request, retried");
        assert_eq!(p.bytes, bodies[1].len() as u64);
        let req = ExportLogsServiceRequest::decode(&bodies[1][..]).unwrap();
        assert_eq!(req.resource_logs[0].scope_logs[0].log_records.len(), 5);
        let mut st = crate::SinkStats::default();
        s.counters.fill_for_test(&mut st);
        assert_eq!((st.requests, st.retries, st.dead_lettered), (2, 1, 0));
        assert!(!dead.exists());
    }

    /// A 400 is permanent: one attempt, the entries dead-lettered with the server's answer.
    #[test]
    fn a_400_is_dead_lettered_at_once() {
        let (url, server) = serve(vec![(400, "", b"bad body".to_vec())]);
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join("dead.jsonl");
        let mut s = sink_to(
            &url,
            &format!(r#","dead_letter_path":"{}""#, dead.display()),
        );
        let err = s.write(&entries(3)).unwrap_err();
        assert_eq!(err.partial_delivery().unwrap().failed, 3);
        assert_eq!(server.join().unwrap().len(), 1);
        let text = std::fs::read_to_string(&dead).unwrap();
        assert_eq!(text.lines().count(), 3);
        assert!(
            text.contains("permanent failure after 1 attempt: HTTP 400: bad body"),
            "{text}"
        );
        let mut st = crate::SinkStats::default();
        s.counters.fill_for_test(&mut st);
        assert_eq!((st.requests, st.retries, st.permanent_failures), (1, 0, 1));
    }

    #[test]
    fn batches_are_split_by_entries_and_bytes() {
        let c = Config::from_json(
            r#"{"sinks":[{"type":"otlp","url":"http://127.0.0.1:1","max_request_entries":3,
                          "max_request_bytes":400}]}"#,
        )
        .unwrap();
        let SinkKind::Otlp(o) = &c.sinks[0].kind else {
            unreachable!()
        };
        let s = OtlpSink::new("otlp-0", (**o).clone()).unwrap();
        assert_eq!(s.name(), "otlp-0");
        let small = EntryData::new();
        let mut big = EntryData::new();
        big.set_message(&"x".repeat(1_000));
        let entries = [&small, &small, &small, &small, &big, &small];
        let sizes: Vec<usize> = s.requests(&entries).iter().map(Vec::len).collect();
        assert_eq!(sizes, [3, 1, 1, 1]);
    }
}
