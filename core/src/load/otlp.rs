//! Validation of an OTLP sink's keys into an [`OtlpSinkConfig`].

use super::{http_headers, http_url, non_empty_path, positive, ConfigError, LokiEncoding, RawSink};
use crate::config::{OtlpEncoding, OtlpLabelsAs, OtlpSinkConfig};

/// The keys of an OTLP sink, besides the common ones.
pub(super) const OTLP_KEYS: &[&str] = &[
    "url",
    "encoding",
    "compression",
    "labels_as",
    "resource",
    "headers",
    "ca_file",
    "max_request_entries",
    "max_request_bytes",
    "timeout_ms",
    "retry",
    "dead_letter_path",
];

impl RawSink {
    pub(super) fn otlp(
        mut self,
        key: &dyn Fn(&str) -> String,
    ) -> Result<OtlpSinkConfig, ConfigError> {
        let retry = self.retry(key)?;
        let url = self
            .url
            .take()
            .ok_or_else(|| ConfigError::new(key("url"), "an otlp sink needs a url"))?;
        let url = http_url(&url, "/v1/logs").map_err(|m| ConfigError::new(key("url"), m))?;
        let headers = http_headers(self.headers.take(), key)?;
        let encoding = match self.encoding {
            None | Some(LokiEncoding::Protobuf) => OtlpEncoding::Protobuf,
            Some(LokiEncoding::Json) => OtlpEncoding::Json,
        };
        let gzip = match self.compression.as_deref() {
            None | Some("gzip") => true,
            Some("none") => false,
            Some(other) => {
                return Err(ConfigError::new(
                    key("compression"),
                    format!("unknown value {other:?}: expected \"gzip\" or \"none\""),
                ))
            }
        };
        let labels_as = match self.labels_as.as_deref() {
            None | Some("resource") => OtlpLabelsAs::Resource,
            Some("attributes") => OtlpLabelsAs::Attributes,
            Some(other) => {
                return Err(ConfigError::new(
                    key("labels_as"),
                    format!("unknown value {other:?}: expected \"resource\" or \"attributes\""),
                ))
            }
        };
        let resource = self.resource.take().unwrap_or_default();
        if resource.contains_key("") {
            return Err(ConfigError::new(
                key("resource"),
                "an attribute name must not be empty",
            ));
        }
        let max_request_entries = self.max_request_entries.unwrap_or(10_000);
        positive(&key("max_request_entries"), max_request_entries)?;
        let max_request_bytes = self.max_request_bytes.unwrap_or(4 << 20);
        positive(&key("max_request_bytes"), max_request_bytes)?;
        let timeout_ms = self.timeout_ms.unwrap_or(10_000);
        positive(&key("timeout_ms"), timeout_ms as usize)?;
        Ok(OtlpSinkConfig {
            url,
            encoding,
            gzip,
            labels_as,
            resource,
            headers,
            ca_file: non_empty_path(self.ca_file, &key("ca_file"))?,
            max_request_entries,
            max_request_bytes,
            timeout_ms,
            retry,
            dead_letter_path: non_empty_path(self.dead_letter_path, &key("dead_letter_path"))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, RetryConfig, SinkKind, WhenFull};

    fn otlp(sink: &str) -> Result<OtlpSinkConfig, ConfigError> {
        let c = Config::from_json(&format!(r#"{{"sinks":[{sink}]}}"#))?;
        match &c.sinks[0].kind {
            SinkKind::Otlp(o) => {
                assert_eq!(c.sinks[0].when_full, WhenFull::DropNewest);
                Ok((**o).clone())
            }
            k => panic!("{k:?}"),
        }
    }

    #[test]
    fn otlp_sink_parses_with_defaults() {
        let o = otlp(r#"{"type":"otlp","url":"http://127.0.0.1:4318"}"#).unwrap();
        assert_eq!(o.url, "http://127.0.0.1:4318/v1/logs");
        assert_eq!((o.encoding, o.gzip), (OtlpEncoding::Protobuf, true));
        assert_eq!(o.labels_as, OtlpLabelsAs::Resource);
        assert_eq!(o.retry, RetryConfig::default());
        assert_eq!((o.max_request_entries, o.timeout_ms), (10_000, 10_000));
        let o = otlp(
            r#"{"type":"otlp","url":"https://otel:4318/custom/logs","encoding":"json",
                "compression":"none","labels_as":"attributes","resource":{"service.name":"api"},
                "headers":{"Authorization":"Bearer x"},"ca_file":"ca.pem","max_request_entries":5,
                "max_request_bytes":100,"timeout_ms":50,"retry":{"attempts":2},
                "dead_letter_path":"d.jsonl"}"#,
        )
        .unwrap();
        assert_eq!(o.url, "https://otel:4318/custom/logs");
        assert_eq!((o.encoding, o.gzip), (OtlpEncoding::Json, false));
        assert_eq!(o.labels_as, OtlpLabelsAs::Attributes);
        assert_eq!(o.resource["service.name"], "api");
        assert_eq!(o.retry.attempts, 2);
    }

    #[test]
    fn otlp_sink_errors_name_the_key() {
        for (sink, k, msg) in [
            (r#"{"type":"otlp"}"#, "url", "needs a url"),
            (r#"{"type":"otlp","url":"grpc://x"}"#, "url", "not an http"),
            (
                r#"{"type":"otlp","url":"http://x","compression":"zstd"}"#,
                "compression",
                "\"gzip\" or \"none\"",
            ),
            (
                r#"{"type":"otlp","url":"http://x","labels_as":"fields"}"#,
                "labels_as",
                "\"resource\" or \"attributes\"",
            ),
            (
                r#"{"type":"otlp","url":"http://x","headers":{"Content-Encoding":"br"}}"#,
                "headers.Content-Encoding",
                "set by the sink",
            ),
            (
                r#"{"type":"otlp","url":"http://x","resource":{"":"x"}}"#,
                "resource",
                "must not be empty",
            ),
            (
                r#"{"type":"otlp","url":"http://x","retry":{"attempts":0}}"#,
                "retry.attempts",
                "at least 1",
            ),
            (
                r#"{"type":"otlp","url":"http://x","topic":"t"}"#,
                "topic",
                "not a key of a otlp sink",
            ),
        ] {
            let e = otlp(sink).unwrap_err();
            assert_eq!(e.key, format!("sinks[0].{k}"), "{sink}: {e}");
            assert!(e.message.contains(msg), "{sink}: {e}");
        }
    }
}
