//! The Loki sink: pushes batches to a Loki push API endpoint over HTTP(S).

use super::http::{classify, http_agent, retry_after};
use super::{Sink, SinkError};
use crate::batch::Batch;
use crate::config::{LokiFieldsAs, LokiSinkConfig};
use crate::delivery::{DeadLetters, Failure, Retrier};
use crate::encode::loki::{LokiEncoder, RequestLimits};
use crate::entry::EntryData;
use crate::stats::DeliveryCounters;
use std::sync::Arc;
use std::time::Duration;
use ureq::Agent;

/// The longest error body kept for a message.
const ERROR_BODY_LIMIT: u64 = 64 * 1024;

/// Pushes each batch to Loki, in one or more requests (`max_request_entries`,
/// `max_request_bytes`), each retried on transient failures and dead-lettered when it finally
/// fails. Connections are kept alive and reused between requests. The sink's thread blocks
/// while it retries: its own queue, under its `when_full` policy, absorbs the outage.
pub struct LokiSink {
    name: String,
    cfg: LokiSinkConfig,
    agent: Agent,
    headers: Vec<(String, String)>,
    encoder: LokiEncoder,
    retrier: Retrier,
    dead: DeadLetters,
    counters: Arc<DeliveryCounters>,
}

impl LokiSink {
    /// A sink named `name` (for its dead letters). Reads `ca_file`; does not connect.
    pub fn new(name: &str, cfg: LokiSinkConfig) -> Result<LokiSink, SinkError> {
        let agent = http_agent(cfg.timeout_ms, cfg.ca_file.as_deref())?;
        let mut headers: Vec<(String, String)> = cfg
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Some(t) = &cfg.tenant_id {
            headers.push(("X-Scope-OrgID".into(), t.clone()));
        }
        if let Some(b) = &cfg.basic_auth {
            let token = base64(format!("{}:{}", b.username, b.password).as_bytes());
            headers.push(("Authorization".into(), format!("Basic {token}")));
        }
        if let Some(t) = &cfg.bearer_token {
            headers.push(("Authorization".into(), format!("Bearer {t}")));
        }
        Ok(LokiSink {
            name: name.to_owned(),
            encoder: LokiEncoder::new(cfg.encoding, cfg.fields_as, cfg.line_format),
            retrier: Retrier::new(cfg.retry.clone()),
            dead: DeadLetters::new(cfg.dead_letter_path.clone(), name),
            counters: Arc::default(),
            agent,
            headers,
            cfg,
        })
    }

    /// The sink's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// One POST: `Ok` on 2xx; 429 and 5xx are transient; any other status is permanent.
fn post(
    agent: &Agent,
    url: &str,
    headers: &[(String, String)],
    content_type: &str,
    content_encoding: Option<&str>,
    body: &[u8],
) -> Result<(), Failure> {
    let mut req = agent.post(url).header("Content-Type", content_type);
    if let Some(enc) = content_encoding {
        req = req.header("Content-Encoding", enc);
    }
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let mut resp = req.send(body).map_err(classify)?;
    let status = resp.status().as_u16();
    let retry_after = retry_after(resp.headers());
    // Read the body to its end, so that the connection goes back to the pool.
    let text = resp
        .body_mut()
        .with_config()
        .limit(ERROR_BODY_LIMIT)
        .lossy_utf8(true)
        .read_to_string()
        .unwrap_or_default();
    status_outcome(status, &text, retry_after)
}

/// 2xx is success; 429 and 5xx are transient (with the server's `Retry-After`); every other
/// status (the 4xx, and 1xx or 3xx, which are not followed) is permanent.
fn status_outcome(status: u16, body: &str, retry_after: Option<Duration>) -> Result<(), Failure> {
    if (200..300).contains(&status) {
        return Ok(());
    }
    let message = format!("HTTP {status}: {}", body.trim());
    if status == 429 || status >= 500 {
        Err(Failure::Transient {
            message,
            retry_after,
        })
    } else {
        Err(Failure::Permanent(message))
    }
}

impl Sink for LokiSink {
    fn write(&mut self, batch: &Batch) -> Result<u64, SinkError> {
        let entries: Vec<&EntryData> = batch.iter().collect();
        let lines = match self.cfg.fields_as {
            LokiFieldsAs::Line => Some(batch.encoded(self.cfg.line_format)),
            LokiFieldsAs::StructuredMetadata => None,
        };
        let limits = RequestLimits {
            max_entries: self.cfg.max_request_entries,
            max_bytes: self.cfg.max_request_bytes,
        };
        let requests = self.encoder.encode(&entries, lines, limits);
        let (content_type, content_encoding) =
            (self.encoder.content_type(), self.encoder.content_encoding());
        let mut sent = 0u64;
        let mut failed = 0u64;
        let mut first_error = None;
        for r in &requests {
            let (agent, url, headers) = (&self.agent, &self.cfg.url, &self.headers);
            let result = self.retrier.run(&self.counters, |_| {
                post(agent, url, headers, content_type, content_encoding, &r.body)
            });
            match result {
                Ok(_) => {
                    sent += r.body.len() as u64;
                    self.counters.sent(r.body.len() as u64);
                }
                Err(gave_up) => {
                    failed += r.entries.len() as u64;
                    let msg = self.dead.give_up(
                        r.entries.iter().map(|&i| entries[i]),
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

/// Standard base64 with padding (RFC 4648), for basic authentication.
fn base64(input: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, SinkKind};

    #[test]
    fn statuses_are_classified() {
        for ok in [200, 204] {
            assert_eq!(status_outcome(ok, "", None), Ok(()));
        }
        for transient in [429, 500, 502, 503, 504] {
            let f = status_outcome(transient, " busy\n", Some(Duration::from_secs(2)));
            assert_eq!(
                f,
                Err(Failure::Transient {
                    message: format!("HTTP {transient}: busy"),
                    retry_after: Some(Duration::from_secs(2))
                })
            );
        }
        for permanent in [301, 400, 401, 403, 404, 413, 422] {
            let f = status_outcome(permanent, "no", None).unwrap_err();
            assert!(f.is_permanent(), "{permanent}");
        }
    }

    fn sink(extra: &str) -> LokiSink {
        let c = Config::from_json(&format!(
            r#"{{"sinks":[{{"type":"loki","url":"http://127.0.0.1:1"{extra}}}]}}"#
        ))
        .unwrap();
        let SinkKind::Loki(l) = &c.sinks[0].kind else {
            unreachable!()
        };
        LokiSink::new("loki-0", (**l).clone()).unwrap()
    }

    #[test]
    fn auth_tenant_and_extra_headers_are_sent() {
        let s = sink(r#","tenant_id":"team-a","bearer_token":"t0k","headers":{"X-A":"1"}"#);
        assert_eq!(
            s.headers,
            [
                ("X-A".to_owned(), "1".to_owned()),
                ("X-Scope-OrgID".to_owned(), "team-a".to_owned()),
                ("Authorization".to_owned(), "Bearer t0k".to_owned()),
            ]
        );
        let s = sink(r#","basic_auth":{"username":"u","password":"p:w"}"#);
        assert_eq!(
            s.headers,
            [("Authorization".to_owned(), "Basic dTpwOnc=".to_owned())]
        );
        assert_eq!(s.name(), "loki-0");
    }

    #[test]
    fn a_bad_ca_file_fails_at_setup() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        for (path, msg) in [
            (dir.path().join("missing.pem"), "No such file"),
            (empty, "no PEM certificate"),
        ] {
            let c = Config::from_json(&format!(
                r#"{{"sinks":[{{"type":"loki","url":"https://127.0.0.1:1","ca_file":"{}"}}]}}"#,
                path.display()
            ))
            .unwrap();
            let SinkKind::Loki(l) = &c.sinks[0].kind else {
                unreachable!()
            };
            let err = LokiSink::new("l", (**l).clone()).err().expect("fails");
            assert!(err.to_string().contains(msg), "{err}");
        }
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (raw, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
            ("user:pa:ss", "dXNlcjpwYTpzcw=="),
        ] {
            assert_eq!(base64(raw.as_bytes()), enc);
        }
    }
}
