//! What the HTTP sinks (Loki, OTLP) share: the client, the reading of `Retry-After`, and the
//! classing of transport errors as transient or permanent.

use super::SinkError;
use crate::delivery::Failure;
use std::path::Path;
use std::time::Duration;
use ureq::Agent;

/// The HTTP client of an HTTP sink: keep-alive, no redirects, `timeout_ms` for a whole
/// request, and the certificate authorities of `ca_file` (else the bundled web roots).
pub(crate) fn http_agent(timeout_ms: u64, ca_file: Option<&Path>) -> Result<Agent, SinkError> {
    let mut tls = ureq::tls::TlsConfig::builder();
    if let Some(ca) = ca_file {
        let pem = std::fs::read(ca)
            .map_err(|e| SinkError::new(format!("ca_file {}: {e}", ca.display())))?;
        let mut certs = Vec::new();
        for item in ureq::tls::parse_pem(&pem) {
            match item {
                Ok(ureq::tls::PemItem::Certificate(c)) => certs.push(c),
                Ok(_) => {}
                Err(e) => return Err(SinkError::new(format!("ca_file {}: {e}", ca.display()))),
            }
        }
        if certs.is_empty() {
            return Err(SinkError::new(format!(
                "ca_file {}: no PEM certificate in it",
                ca.display()
            )));
        }
        tls = tls.root_certs(ureq::tls::RootCerts::from(certs));
    }
    Ok(Agent::new_with_config(
        Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_millis(timeout_ms)))
            .user_agent(concat!("logcap/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls.build())
            .build(),
    ))
}

/// A response's `Retry-After` in seconds, if it has one.
pub(crate) fn retry_after(headers: &ureq::http::HeaderMap) -> Option<Duration> {
    headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// Transient: what a backend coming back fixes (refused, reset, timeouts, name lookups, a
/// connection closed mid-response). Permanent: TLS and certificate errors, a bad URL.
pub(crate) fn classify(e: ureq::Error) -> Failure {
    match e {
        ureq::Error::Io(io) => Failure::from_io("request", &io),
        ureq::Error::Timeout(t) => Failure::transient(format!("request timed out ({t})")),
        e @ (ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed
        | ureq::Error::Protocol(_)
        | ureq::Error::BodyStalled) => Failure::transient(format!("request: {e}")),
        e => Failure::permanent(format!("request: {e}")),
    }
}
