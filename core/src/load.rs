//! Loading a configuration: one JSON document parsed into a [`Config`] and validated
//! strictly.
//!
//! Every key is optional and has a default (docs/configuration.md lists them). An unknown key,
//! a wrong type or an invalid value is an error that names the key by its path, such as
//! `sinks[1].max_bytes`. Redaction patterns are compiled (by crate::process) to be checked, so
//! that a bad one fails here and not when the pipeline starts.

use crate::config::{
    is_sink_name_char, BasicAuth, BatchConfig, Config, ConfigError, DedupConfig, Facility,
    FileSinkConfig, Format, LokiEncoding, LokiFieldsAs, LokiSinkConfig, PoolConfig, QueueConfig,
    RateLimitConfig, RedactConfig, RetryConfig, SamplingConfig, SinkConfig, SinkKind,
    SyslogFieldsAs, SyslogSinkConfig, SyslogTransport, WhenFull, DEFAULT_SINK_BLOCK_MS,
    DEFAULT_SINK_QUEUE,
};
use crate::entry::Level;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

mod kafka;
mod otlp;
#[cfg(feature = "schema")]
mod schema;
#[cfg(feature = "schema")]
pub use schema::config_schema;

/// The document as written, before validation.
#[derive(Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(
    feature = "schema",
    schemars(
        title = "logcap configuration",
        description = "A pipeline's configuration (docs/configuration.md). Every key is optional; an empty document gives one JSON-lines sink on stdout."
    )
)]
#[serde(deny_unknown_fields, default)]
struct RawConfig {
    min_level: Option<Level>,
    queue: QueueConfig,
    batch: BatchConfig,
    pool: PoolConfig,
    // The schema describes each sink type's keys (schema::SinkDoc); the parser reads their
    // union and checks per type.
    #[cfg_attr(feature = "schema", schemars(with = "Option<Vec<schema::SinkDoc>>"))]
    sinks: Option<Vec<RawSink>>,
    sampling: Option<SamplingConfig>,
    rate_limit: Option<RawRateLimit>,
    dedup: Option<DedupConfig>,
    redact: Option<RedactConfig>,
}

/// `rate_limit` as written: the burst's default depends on the rate.
#[derive(Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
struct RawRateLimit {
    per_second: f64,
    burst: Option<u64>,
    by_label: Option<String>,
    max_keys: Option<usize>,
}

/// A sink as written: the union of every sink type's keys, checked per type afterwards.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSink {
    #[serde(rename = "type")]
    kind: String,
    name: Option<String>,
    queue_capacity: Option<usize>,
    when_full: Option<WhenFull>,
    block_timeout_ms: Option<u64>,
    format: Option<Format>,
    path: Option<PathBuf>,
    max_bytes: Option<u64>,
    keep: Option<u32>,
    fsync_on_flush: Option<bool>,
    create_dirs: Option<bool>,
    url: Option<String>,
    tenant_id: Option<String>,
    basic_auth: Option<BasicAuth>,
    bearer_token: Option<String>,
    headers: Option<BTreeMap<String, String>>,
    ca_file: Option<PathBuf>,
    encoding: Option<LokiEncoding>,
    fields_as: Option<String>,
    line_format: Option<Format>,
    max_request_entries: Option<usize>,
    max_request_bytes: Option<usize>,
    timeout_ms: Option<u64>,
    retry: Option<RetryConfig>,
    dead_letter_path: Option<PathBuf>,
    transport: Option<SyslogTransport>,
    address: Option<String>,
    facility: Option<Facility>,
    app_name: Option<String>,
    hostname: Option<String>,
    max_message_bytes: Option<usize>,
    msg_format: Option<Format>,
    enterprise_id: Option<u32>,
    brokers: Option<Vec<String>>,
    topic: Option<String>,
    topic_label: Option<String>,
    error_topic: Option<String>,
    debug_topic: Option<String>,
    key_label: Option<String>,
    compression: Option<String>,
    acks: Option<String>,
    idempotence: Option<bool>,
    message_timeout_ms: Option<u64>,
    properties: Option<BTreeMap<String, String>>,
    labels_as: Option<String>,
    resource: Option<BTreeMap<String, String>>,
}

impl Config {
    /// Parses and validates a JSON document. An empty or all-blank document gives the default.
    pub fn from_json(doc: &str) -> Result<Config, ConfigError> {
        if doc.trim().is_empty() {
            return Ok(Config::default());
        }
        check_top_level(doc)?;
        let mut de = serde_json::Deserializer::from_str(doc);
        let raw: RawConfig = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let key = e.path().to_string();
            let key = if key == "." { String::new() } else { key };
            ConfigError::new(key, e.inner().to_string())
        })?;
        // Whatever follows the object (a stray brace, a second document, any text) is an
        // error, not ignored: a configuration is one document.
        de.end().map_err(|e| {
            ConfigError::new(
                "",
                format!("nothing may follow the configuration object: {e}"),
            )
        })?;
        raw.validate()
    }
}

/// Refuses a document whose top-level value is not an object (`[]`, `["info"]`, `3`…), which
/// serde would otherwise read as a struct written as a sequence.
fn check_top_level(doc: &str) -> Result<(), ConfigError> {
    let what = match doc.trim_start().as_bytes().first() {
        Some(b'{') | None => return Ok(()),
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        Some(b'-' | b'0'..=b'9') => "a number",
        Some(_) => "not JSON",
    };
    Err(ConfigError::new(
        "",
        format!("the document must be a JSON object, and it is {what}"),
    ))
}

impl RawConfig {
    fn validate(self) -> Result<Config, ConfigError> {
        positive("queue.capacity", self.queue.capacity)?;
        lane_bytes(self.queue.lane_bytes)?;
        positive("batch.max_entries", self.batch.max_entries)?;
        positive("batch.max_bytes", self.batch.max_bytes)?;
        positive("pool.max_idle", self.pool.max_idle)?;
        let sinks = match self.sinks {
            None => Config::default().sinks,
            Some(raw) => {
                let mut sinks = Vec::with_capacity(raw.len());
                for (i, s) in raw.into_iter().enumerate() {
                    let sink = s.validate(i)?;
                    if sinks.iter().any(|o: &SinkConfig| o.name == sink.name) {
                        return Err(ConfigError::new(
                            format!("sinks[{i}].name"),
                            format!("duplicate sink name {:?}", sink.name),
                        ));
                    }
                    sinks.push(sink);
                }
                if sinks.is_empty() {
                    return Err(ConfigError::new("sinks", "at least one sink is needed"));
                }
                sinks
            }
        };
        let rate_limit = self.rate_limit.map(RawRateLimit::into_config);
        let config = Config {
            min_level: self.min_level.unwrap_or(Level::Trace),
            queue: self.queue,
            batch: self.batch,
            pool: self.pool,
            sinks,
            sampling: self.sampling,
            rate_limit,
            dedup: self.dedup,
            redact: self.redact,
        };
        config.validate_processing()?;
        Ok(config)
    }
}

impl RawRateLimit {
    /// Fills the defaults: the burst is the rate rounded up (at least 1), 1024 label keys.
    fn into_config(self) -> RateLimitConfig {
        RateLimitConfig {
            per_second: self.per_second,
            burst: self
                .burst
                .unwrap_or_else(|| (self.per_second.ceil() as u64).max(1)),
            by_label: self.by_label,
            max_keys: self.max_keys.unwrap_or(1_024),
        }
    }
}

impl Config {
    /// Checks the processing stages' values; a configuration built in code is checked by
    /// this when the pipeline is built.
    pub(crate) fn validate_processing(&self) -> Result<(), ConfigError> {
        if let Some(s) = &self.sampling {
            if s.tick_ms == 0 {
                return Err(ConfigError::new(
                    "sampling.tick_ms",
                    "must be greater than 0",
                ));
            }
            if s.initial == 0 && s.thereafter == 0 {
                return Err(ConfigError::new(
                    "sampling",
                    "initial and thereafter are both 0: every entry would be dropped",
                ));
            }
        }
        if let Some(r) = &self.rate_limit {
            if !(r.per_second > 0.0 && r.per_second <= 1e9) {
                return Err(ConfigError::new(
                    "rate_limit.per_second",
                    format!(
                        "must be greater than 0 and at most 1e9, not {}",
                        r.per_second
                    ),
                ));
            }
            if r.burst == 0 {
                return Err(ConfigError::new(
                    "rate_limit.burst",
                    "must be greater than 0",
                ));
            }
            if r.by_label.as_deref() == Some("") {
                return Err(ConfigError::new("rate_limit.by_label", "must not be empty"));
            }
            positive("rate_limit.max_keys", r.max_keys)?;
        }
        if let Some(d) = &self.dedup {
            if d.window_ms == 0 {
                return Err(ConfigError::new(
                    "dedup.window_ms",
                    "must be greater than 0",
                ));
            }
            positive("dedup.max_keys", d.max_keys)?;
        }
        if let Some(r) = &self.redact {
            crate::process::Redactor::new(r)?;
        }
        Ok(())
    }
}

/// `queue.lane_bytes`: a power of two within the lane protocol's bounds.
fn lane_bytes(v: usize) -> Result<(), ConfigError> {
    use crate::lane::{MAX_CAPACITY, MIN_CAPACITY};
    if !v.is_power_of_two() || !(MIN_CAPACITY..=MAX_CAPACITY).contains(&v) {
        return Err(ConfigError::new(
            "queue.lane_bytes",
            format!("must be a power of two from {MIN_CAPACITY} to {MAX_CAPACITY}, and it is {v}"),
        ));
    }
    Ok(())
}

fn positive(key: &str, v: usize) -> Result<(), ConfigError> {
    if v == 0 {
        Err(ConfigError::new(key, "must be greater than 0"))
    } else {
        Ok(())
    }
}

/// The cargo feature a sink type needs, when this build was made without it.
fn compiled_out(kind: &str) -> Option<&'static str> {
    match kind {
        "loki" if !cfg!(feature = "loki") => Some("loki"),
        "syslog" if !cfg!(feature = "syslog") => Some("syslog"),
        "kafka" if !cfg!(feature = "kafka") => Some("kafka"),
        "otlp" if !cfg!(feature = "otlp") => Some("otlp"),
        _ => None,
    }
}

/// Every sink type, in the order the documentation lists them.
pub(crate) const SINK_TYPES: [&str; 9] = [
    "null", "stdout", "stderr", "file", "callback", "loki", "syslog", "kafka", "otlp",
];

/// The keys a sink of type `kind` takes besides `type` and the keys every sink takes (`name`,
/// `queue_capacity`, `when_full`, `block_timeout_ms`); `None` for an unknown type.
pub(crate) fn sink_keys(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "null" | "callback" => &[],
        "stdout" | "stderr" => &["format"],
        "file" => &[
            "format",
            "path",
            "max_bytes",
            "keep",
            "fsync_on_flush",
            "create_dirs",
        ],
        "loki" => LOKI_KEYS,
        "syslog" => SYSLOG_KEYS,
        "kafka" => kafka::KAFKA_KEYS,
        "otlp" => otlp::OTLP_KEYS,
        _ => return None,
    })
}

const LOKI_KEYS: &[&str] = &[
    "url",
    "tenant_id",
    "basic_auth",
    "bearer_token",
    "headers",
    "ca_file",
    "encoding",
    "fields_as",
    "line_format",
    "max_request_entries",
    "max_request_bytes",
    "timeout_ms",
    "retry",
    "dead_letter_path",
];

const SYSLOG_KEYS: &[&str] = &[
    "transport",
    "address",
    "path",
    "facility",
    "app_name",
    "hostname",
    "max_message_bytes",
    "fields_as",
    "msg_format",
    "enterprise_id",
    "timeout_ms",
    "retry",
    "dead_letter_path",
];

impl RawSink {
    /// The type-specific keys that are set.
    fn given(&self) -> [(&'static str, bool); 41] {
        [
            ("format", self.format.is_some()),
            ("path", self.path.is_some()),
            ("max_bytes", self.max_bytes.is_some()),
            ("keep", self.keep.is_some()),
            ("fsync_on_flush", self.fsync_on_flush.is_some()),
            ("create_dirs", self.create_dirs.is_some()),
            ("url", self.url.is_some()),
            ("tenant_id", self.tenant_id.is_some()),
            ("basic_auth", self.basic_auth.is_some()),
            ("bearer_token", self.bearer_token.is_some()),
            ("headers", self.headers.is_some()),
            ("ca_file", self.ca_file.is_some()),
            ("encoding", self.encoding.is_some()),
            ("fields_as", self.fields_as.is_some()),
            ("line_format", self.line_format.is_some()),
            ("max_request_entries", self.max_request_entries.is_some()),
            ("max_request_bytes", self.max_request_bytes.is_some()),
            ("timeout_ms", self.timeout_ms.is_some()),
            ("retry", self.retry.is_some()),
            ("dead_letter_path", self.dead_letter_path.is_some()),
            ("transport", self.transport.is_some()),
            ("address", self.address.is_some()),
            ("facility", self.facility.is_some()),
            ("app_name", self.app_name.is_some()),
            ("hostname", self.hostname.is_some()),
            ("max_message_bytes", self.max_message_bytes.is_some()),
            ("msg_format", self.msg_format.is_some()),
            ("enterprise_id", self.enterprise_id.is_some()),
            ("brokers", self.brokers.is_some()),
            ("topic", self.topic.is_some()),
            ("topic_label", self.topic_label.is_some()),
            ("error_topic", self.error_topic.is_some()),
            ("debug_topic", self.debug_topic.is_some()),
            ("key_label", self.key_label.is_some()),
            ("compression", self.compression.is_some()),
            ("acks", self.acks.is_some()),
            ("idempotence", self.idempotence.is_some()),
            ("message_timeout_ms", self.message_timeout_ms.is_some()),
            ("properties", self.properties.is_some()),
            ("labels_as", self.labels_as.is_some()),
            ("resource", self.resource.is_some()),
        ]
    }

    fn validate(self, i: usize) -> Result<SinkConfig, ConfigError> {
        let key = |k: &str| format!("sinks[{i}].{k}");
        if let Some(feature) = compiled_out(&self.kind) {
            return Err(ConfigError::new(
                key("type"),
                format!(
                    "sink type {:?} is not in this build: logcap was built without the cargo feature `{feature}`",
                    self.kind
                ),
            ));
        }
        let Some(allowed) = sink_keys(&self.kind) else {
            return Err(ConfigError::new(
                key("type"),
                format!(
                    "unknown sink type {:?}: expected one of {}",
                    self.kind,
                    SINK_TYPES.join(", ")
                ),
            ));
        };
        if let Some((k, _)) = self
            .given()
            .iter()
            .find(|(k, set)| *set && !allowed.contains(k))
        {
            return Err(ConfigError::new(
                key(k),
                format!("not a key of a {} sink", self.kind),
            ));
        }
        let format = self.format.unwrap_or(Format::Json);
        let queue_capacity = self.queue_capacity.unwrap_or(DEFAULT_SINK_QUEUE);
        positive(&key("queue_capacity"), queue_capacity)?;
        let (name, when_full, block_timeout_ms) =
            (self.name.clone(), self.when_full, self.block_timeout_ms);
        let type_name = self.kind.clone();
        let kind = match self.kind.as_str() {
            "null" => SinkKind::Null,
            "callback" => SinkKind::Callback,
            "stdout" => SinkKind::Stdout { format },
            "stderr" => SinkKind::Stderr { format },
            "loki" => SinkKind::Loki(Box::new(self.loki(&key)?)),
            "syslog" => SinkKind::Syslog(Box::new(self.syslog(&key)?)),
            "kafka" => SinkKind::Kafka(Box::new(self.kafka(&key)?)),
            "otlp" => SinkKind::Otlp(Box::new(self.otlp(&key)?)),
            _ => {
                let path = self
                    .path
                    .filter(|p| !p.as_os_str().is_empty())
                    .ok_or_else(|| ConfigError::new(key("path"), "a file sink needs a path"))?;
                SinkKind::File(FileSinkConfig {
                    path,
                    format,
                    max_bytes: self.max_bytes.unwrap_or(0),
                    keep: self.keep.unwrap_or(5),
                    fsync_on_flush: self.fsync_on_flush.unwrap_or(true),
                    create_dirs: self.create_dirs.unwrap_or(false),
                })
            }
        };
        let name = match name {
            Some(n) => check_sink_name(n).map_err(|m| ConfigError::new(key("name"), m))?,
            None if matches!(kind, SinkKind::Callback) => {
                return Err(ConfigError::new(
                    key("name"),
                    "a callback sink needs a name, to bind its function to",
                ))
            }
            None => format!("{type_name}-{i}"),
        };
        Ok(SinkConfig {
            name,
            when_full: when_full.unwrap_or_else(|| kind.default_when_full()),
            kind,
            queue_capacity,
            block_timeout_ms: block_timeout_ms.unwrap_or(DEFAULT_SINK_BLOCK_MS),
        })
    }

    fn retry(&mut self, key: &dyn Fn(&str) -> String) -> Result<RetryConfig, ConfigError> {
        let retry = self.retry.take().unwrap_or_default();
        if retry.attempts == 0 {
            return Err(ConfigError::new(
                key("retry.attempts"),
                "must be at least 1 (the first attempt)",
            ));
        }
        if retry.initial_ms > retry.max_ms {
            return Err(ConfigError::new(
                key("retry.initial_ms"),
                "must not be greater than retry.max_ms",
            ));
        }
        Ok(retry)
    }

    fn loki(mut self, key: &dyn Fn(&str) -> String) -> Result<LokiSinkConfig, ConfigError> {
        let retry = self.retry(key)?;
        let url = self
            .url
            .take()
            .ok_or_else(|| ConfigError::new(key("url"), "a loki sink needs a url"))?;
        let url =
            http_url(&url, "/loki/api/v1/push").map_err(|m| ConfigError::new(key("url"), m))?;
        if self.basic_auth.is_some() && self.bearer_token.is_some() {
            return Err(ConfigError::new(
                key("bearer_token"),
                "basic_auth and bearer_token exclude each other",
            ));
        }
        if let Some(t) = &self.tenant_id {
            header_value(t).map_err(|m| ConfigError::new(key("tenant_id"), m))?;
            if t.is_empty() {
                return Err(ConfigError::new(key("tenant_id"), "must not be empty"));
            }
        }
        if let Some(t) = &self.bearer_token {
            header_value(t).map_err(|m| ConfigError::new(key("bearer_token"), m))?;
        }
        let headers = http_headers(self.headers.take(), key)?;
        let fields_as = match self.fields_as.as_deref() {
            None | Some("structured_metadata") => LokiFieldsAs::StructuredMetadata,
            Some("line") => LokiFieldsAs::Line,
            Some(other) => {
                return Err(ConfigError::new(
                    key("fields_as"),
                    format!(
                        "unknown value {other:?}: expected \"structured_metadata\" or \"line\""
                    ),
                ))
            }
        };
        let max_request_entries = self.max_request_entries.unwrap_or(10_000);
        positive(&key("max_request_entries"), max_request_entries)?;
        let max_request_bytes = self.max_request_bytes.unwrap_or(4 << 20);
        positive(&key("max_request_bytes"), max_request_bytes)?;
        let timeout_ms = self.timeout_ms.unwrap_or(10_000);
        positive(&key("timeout_ms"), timeout_ms as usize)?;
        Ok(LokiSinkConfig {
            url,
            tenant_id: self.tenant_id,
            basic_auth: self.basic_auth,
            bearer_token: self.bearer_token,
            headers,
            ca_file: non_empty_path(self.ca_file, &key("ca_file"))?,
            encoding: self.encoding.unwrap_or_default(),
            fields_as,
            line_format: self.line_format.unwrap_or(Format::Json),
            max_request_entries,
            max_request_bytes,
            timeout_ms,
            retry,
            dead_letter_path: non_empty_path(self.dead_letter_path, &key("dead_letter_path"))?,
        })
    }

    fn syslog(mut self, key: &dyn Fn(&str) -> String) -> Result<SyslogSinkConfig, ConfigError> {
        let retry = self.retry(key)?;
        let transport = self.transport.unwrap_or_default();
        let (address, path) = match transport {
            SyslogTransport::Udp | SyslogTransport::Tcp => {
                if self.path.is_some() {
                    return Err(ConfigError::new(
                        key("path"),
                        "udp and tcp transports take an address, not a path",
                    ));
                }
                let a = self
                    .address
                    .take()
                    .filter(|a| !a.is_empty())
                    .ok_or_else(|| {
                        ConfigError::new(
                            key("address"),
                            "udp and tcp transports need an address (host:port)",
                        )
                    })?;
                match a.rsplit_once(':') {
                    Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {}
                    _ => {
                        return Err(ConfigError::new(
                            key("address"),
                            format!("{a:?} is not host:port"),
                        ))
                    }
                }
                (Some(a), None)
            }
            SyslogTransport::Unix | SyslogTransport::UnixStream => {
                if self.address.is_some() {
                    return Err(ConfigError::new(
                        key("address"),
                        "unix transports take a path, not an address",
                    ));
                }
                let p = non_empty_path(self.path.take(), &key("path"))?
                    .unwrap_or_else(|| PathBuf::from("/dev/log"));
                (None, Some(p))
            }
        };
        let fields_as = match self.fields_as.as_deref() {
            None | Some("structured_data") => SyslogFieldsAs::StructuredData,
            Some("msg") => SyslogFieldsAs::Msg,
            Some(other) => {
                return Err(ConfigError::new(
                    key("fields_as"),
                    format!("unknown value {other:?}: expected \"structured_data\" or \"msg\""),
                ))
            }
        };
        let max_message_bytes = self.max_message_bytes.unwrap_or(match transport {
            SyslogTransport::Udp | SyslogTransport::Unix => 2048,
            SyslogTransport::Tcp | SyslogTransport::UnixStream => 65_536,
        });
        if max_message_bytes < 480 {
            return Err(ConfigError::new(
                key("max_message_bytes"),
                "must be at least 480 (RFC 5424's smallest message size)",
            ));
        }
        let timeout_ms = self.timeout_ms.unwrap_or(10_000);
        positive(&key("timeout_ms"), timeout_ms as usize)?;
        for (k, v) in [("app_name", &self.app_name), ("hostname", &self.hostname)] {
            if let Some(v) = v {
                if v.is_empty() || !v.bytes().all(|b| (33..=126).contains(&b)) {
                    return Err(ConfigError::new(
                        key(k),
                        "must be printable ASCII without spaces",
                    ));
                }
            }
        }
        if self.app_name.as_ref().is_some_and(|a| a.len() > 48) {
            return Err(ConfigError::new(key("app_name"), "at most 48 characters"));
        }
        if self.hostname.as_ref().is_some_and(|a| a.len() > 255) {
            return Err(ConfigError::new(key("hostname"), "at most 255 characters"));
        }
        Ok(SyslogSinkConfig {
            transport,
            address,
            path,
            facility: self.facility.unwrap_or(Facility(1)),
            app_name: self.app_name,
            hostname: self.hostname,
            max_message_bytes,
            fields_as,
            msg_format: self.msg_format.unwrap_or(Format::Json),
            enterprise_id: self.enterprise_id.unwrap_or(32_473),
            timeout_ms,
            retry,
            dead_letter_path: non_empty_path(self.dead_letter_path, &key("dead_letter_path"))?,
        })
    }
}

/// The longest sink name, in bytes.
const MAX_SINK_NAME_BYTES: usize = 64;

fn check_sink_name(n: String) -> Result<String, String> {
    if n.is_empty() {
        return Err("must not be empty".into());
    }
    if n.len() > MAX_SINK_NAME_BYTES {
        return Err(format!(
            "is {} bytes long: at most {MAX_SINK_NAME_BYTES} are allowed",
            n.len()
        ));
    }
    if let Some(c) = n.chars().find(|&c| !is_sink_name_char(c)) {
        return Err(format!(
            "{n:?} contains {c:?}: a sink name may contain only ASCII letters, digits, '_', '-' and '.'"
        ));
    }
    Ok(n)
}

fn non_empty_path(p: Option<PathBuf>, key: &str) -> Result<Option<PathBuf>, ConfigError> {
    match p {
        Some(p) if p.as_os_str().is_empty() => Err(ConfigError::new(key, "must not be empty")),
        p => Ok(p),
    }
}

/// RFC 9110 `tchar`.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn header_value(v: &str) -> Result<(), String> {
    if v.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        Err("must not contain control characters".into())
    } else {
        Ok(())
    }
}

/// Checks the extra headers of an HTTP sink: valid names and values, none that the sink sets.
fn http_headers(
    headers: Option<BTreeMap<String, String>>,
    key: &dyn Fn(&str) -> String,
) -> Result<BTreeMap<String, String>, ConfigError> {
    let headers = headers.unwrap_or_default();
    for (name, value) in &headers {
        let k = key(&format!("headers.{name}"));
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err(ConfigError::new(k, "not a valid HTTP header name"));
        }
        if ["content-type", "content-encoding", "content-length", "host"]
            .contains(&name.to_ascii_lowercase().as_str())
        {
            return Err(ConfigError::new(k, "this header is set by the sink itself"));
        }
        header_value(value).map_err(|m| ConfigError::new(k, m))?;
    }
    Ok(headers)
}

/// The endpoint for a configured URL: `http(s)://host[:port]` gets `default_path`.
fn http_url(url: &str, default_path: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| format!("{url:?} is not an http:// or https:// URL"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if authority.is_empty() || authority.contains(['?', '#', ' ']) {
        return Err(format!("{url:?} has no host"));
    }
    if path.is_empty() || path == "/" {
        Ok(format!("{}{default_path}", url.trim_end_matches('/')))
    } else {
        Ok(url.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(doc: &str) -> ConfigError {
        Config::from_json(doc).unwrap_err()
    }

    #[test]
    fn empty_document_gives_one_json_stdout_sink() {
        for doc in ["", "  ", "{}"] {
            let c = Config::from_json(doc).unwrap();
            assert_eq!(c, Config::default());
            assert_eq!(c.sinks.len(), 1);
            assert_eq!(
                c.sinks[0].kind,
                SinkKind::Stdout {
                    format: Format::Json
                }
            );
        }
    }

    #[test]
    fn full_document_parses() {
        let c = Config::from_json(
            r#"{"min_level":"warn","queue":{"capacity":10,"when_full":"drop_oldest","block_timeout_ms":5},
                "batch":{"max_entries":7,"max_bytes":100,"max_delay_ms":3},
                "pool":{"max_idle":2,"max_retained_bytes":9},
                "sinks":[{"type":"file","name":"f","path":"/tmp/x.log","max_bytes":1000,"keep":3,
                          "format":"text","fsync_on_flush":false,"queue_capacity":4,"when_full":"drop_newest"},
                         {"type":"null"},{"type":"callback","name":"cb"}]}"#,
        )
        .unwrap();
        assert_eq!(c.min_level, Level::Warn);
        assert_eq!(c.queue.when_full, WhenFull::DropOldest);
        assert_eq!(c.batch.max_entries, 7);
        assert_eq!(c.sinks[1].name, "null-1");
        assert_eq!(c.sinks[0].when_full, WhenFull::DropNewest);
        match &c.sinks[0].kind {
            SinkKind::File(f) => {
                assert_eq!((f.max_bytes, f.keep, f.format), (1000, 3, Format::Text));
                assert!(!f.fsync_on_flush);
            }
            k => panic!("unexpected {k:?}"),
        }
    }

    #[test]
    fn errors_name_the_key() {
        let cases = [
            (
                r#"{"queue":{"capacty":1}}"#,
                "queue.capacty",
                "unknown field `capacty`",
            ),
            (
                r#"{"queue":{"capacity":"big"}}"#,
                "queue.capacity",
                "invalid type",
            ),
            (r#"{"min_level":"loud"}"#, "min_level", "unknown level"),
            (
                r#"{"sinks":[{"type":"null"},{"type":"file","path":"a","max_bytes":-1}]}"#,
                "sinks[1].max_bytes",
                "invalid value",
            ),
            (
                r#"{"sinks":[{"type":"amqp"}]}"#,
                "sinks[0].type",
                "unknown sink type",
            ),
            (
                r#"{"sinks":[{"type":"stdout","path":"x"}]}"#,
                "sinks[0].path",
                "not a key of a stdout sink",
            ),
            (
                r#"{"sinks":[{"type":"file"}]}"#,
                "sinks[0].path",
                "needs a path",
            ),
            (
                r#"{"sinks":[{"type":"null","name":"a"},{"type":"null","name":"a"}]}"#,
                "sinks[1].name",
                "duplicate",
            ),
            (
                r#"{"sinks":[{"type":"callback"}]}"#,
                "sinks[0].name",
                "needs a name",
            ),
            (
                r#"{"sinks":[{"type":"null","name":"a\u0000b"}]}"#,
                "sinks[0].name",
                "only ASCII letters, digits, '_', '-' and '.'",
            ),
            (
                r#"{"sinks":[{"type":"null"},{"type":"callback","name":"my sink"}]}"#,
                "sinks[1].name",
                "contains ' '",
            ),
            (
                r#"{"sinks":[{"type":"null","name":"é"}]}"#,
                "sinks[0].name",
                "contains 'é'",
            ),
            (
                r#"{"sinks":[{"type":"null","name":""}]}"#,
                "sinks[0].name",
                "must not be empty",
            ),
            (r#"{"sinks":[]}"#, "sinks", "at least one sink"),
            (
                r#"{"batch":{"max_entries":0}}"#,
                "batch.max_entries",
                "greater than 0",
            ),
            (
                r#"{"sinks":[{"type":"null","when_full":"spill"}]}"#,
                "sinks[0].when_full",
                "unknown variant",
            ),
            (
                r#"{"sinks":[{"type":"null","colour":"red"}]}"#,
                "sinks[0].colour",
                "unknown field `colour`",
            ),
        ];
        for (doc, key, msg) in cases {
            let e = err(doc);
            assert_eq!(e.key, key, "{doc}: {e}");
            assert!(e.message.contains(msg), "{doc}: {e}");
            assert!(e.to_string().contains(key));
        }
    }

    #[test]
    fn loki_sink_parses_with_defaults() {
        let c = Config::from_json(
            r#"{"sinks":[{"type":"loki","url":"http://127.0.0.1:3100"},
                         {"type":"loki","name":"vl","url":"https://logs.example:9428/insert/loki/api/v1/push",
                          "tenant_id":"1:2","basic_auth":{"username":"u","password":"p"},
                          "headers":{"X-Team":"core"},"ca_file":"/etc/ca.pem","encoding":"json",
                          "fields_as":"line","line_format":"text","max_request_entries":10,
                          "max_request_bytes":1000,"timeout_ms":500,
                          "retry":{"initial_ms":10,"max_ms":20,"attempts":3},
                          "dead_letter_path":"/tmp/dead.jsonl","when_full":"block"}]}"#,
        )
        .unwrap();
        let SinkKind::Loki(l) = &c.sinks[0].kind else {
            panic!("{:?}", c.sinks[0].kind)
        };
        assert_eq!(l.url, "http://127.0.0.1:3100/loki/api/v1/push");
        assert_eq!(l.encoding, LokiEncoding::Protobuf);
        assert_eq!(l.fields_as, LokiFieldsAs::StructuredMetadata);
        assert_eq!(l.retry, RetryConfig::default());
        assert_eq!(
            (l.max_request_entries, l.max_request_bytes),
            (10_000, 4 << 20)
        );
        assert_eq!(l.dead_letter_path, None);
        // Network sinks drop rather than hold up the dispatcher, unless told otherwise.
        assert_eq!(c.sinks[0].when_full, WhenFull::DropNewest);
        assert_eq!(c.sinks[0].name, "loki-0");
        let SinkKind::Loki(l) = &c.sinks[1].kind else {
            panic!()
        };
        assert_eq!(l.url, "https://logs.example:9428/insert/loki/api/v1/push");
        assert_eq!(l.encoding, LokiEncoding::Json);
        assert_eq!(
            (l.fields_as, l.line_format),
            (LokiFieldsAs::Line, Format::Text)
        );
        assert_eq!(l.retry.attempts, 3);
        assert_eq!(l.headers["X-Team"], "core");
        assert!(!format!("{:?}", l.basic_auth).contains("\"p\""));
        assert_eq!(c.sinks[1].when_full, WhenFull::Block);
    }

    #[test]
    fn syslog_sink_parses_with_defaults() {
        let c = Config::from_json(
            r#"{"sinks":[{"type":"syslog"},
                         {"type":"syslog","transport":"tcp","address":"127.0.0.1:6514","facility":"local3",
                          "app_name":"api","hostname":"h1","max_message_bytes":8192,"fields_as":"msg",
                          "msg_format":"text","enterprise_id":1,"timeout_ms":100,
                          "retry":{"attempts":1},"dead_letter_path":"d.jsonl"},
                         {"type":"syslog","transport":"udp","address":"[::1]:514","facility":23}]}"#,
        )
        .unwrap();
        let SinkKind::Syslog(s) = &c.sinks[0].kind else {
            panic!()
        };
        assert_eq!(s.transport, SyslogTransport::Unix);
        assert_eq!(s.path.as_deref(), Some(std::path::Path::new("/dev/log")));
        assert_eq!(s.facility, Facility(1));
        assert_eq!(s.max_message_bytes, 2048);
        assert_eq!(s.fields_as, SyslogFieldsAs::StructuredData);
        assert_eq!(s.enterprise_id, 32473);
        let SinkKind::Syslog(s) = &c.sinks[1].kind else {
            panic!()
        };
        assert_eq!(s.transport, SyslogTransport::Tcp);
        assert_eq!(s.facility, Facility(19));
        assert_eq!(
            (s.fields_as, s.msg_format),
            (SyslogFieldsAs::Msg, Format::Text)
        );
        let SinkKind::Syslog(s) = &c.sinks[2].kind else {
            panic!()
        };
        assert_eq!((s.facility, s.max_message_bytes), (Facility(23), 2048));
    }

    #[test]
    fn network_sink_errors_name_the_key() {
        let cases = [
            (r#"{"type":"loki"}"#, "sinks[0].url", "needs a url"),
            (
                r#"{"type":"loki","url":"ftp://x"}"#,
                "sinks[0].url",
                "not an http",
            ),
            (
                r#"{"type":"loki","url":"http:///p"}"#,
                "sinks[0].url",
                "no host",
            ),
            (
                r#"{"type":"loki","url":"http://x","bearer_token":"t","basic_auth":{"username":"u","password":"p"}}"#,
                "sinks[0].bearer_token",
                "exclude each other",
            ),
            (
                r#"{"type":"loki","url":"http://x","basic_auth":{"username":"u"}}"#,
                "sinks[0].basic_auth",
                "missing field `password`",
            ),
            (
                r#"{"type":"loki","url":"http://x","headers":{"Content-Type":"x"}}"#,
                "sinks[0].headers.Content-Type",
                "set by the sink",
            ),
            (
                r#"{"type":"loki","url":"http://x","headers":{"X-A":"a\nb"}}"#,
                "sinks[0].headers.X-A",
                "control characters",
            ),
            (
                r#"{"type":"loki","url":"http://x","encoding":"avro"}"#,
                "sinks[0].encoding",
                "unknown variant",
            ),
            (
                r#"{"type":"loki","url":"http://x","fields_as":"msg"}"#,
                "sinks[0].fields_as",
                "structured_metadata",
            ),
            (
                r#"{"type":"loki","url":"http://x","retry":{"attempts":0}}"#,
                "sinks[0].retry.attempts",
                "at least 1",
            ),
            (
                r#"{"type":"loki","url":"http://x","retry":{"initial_ms":10,"max_ms":5}}"#,
                "sinks[0].retry.initial_ms",
                "greater than retry.max_ms",
            ),
            (
                r#"{"type":"loki","url":"http://x","retry":{"tries":3}}"#,
                "sinks[0].retry.tries",
                "unknown field",
            ),
            (
                r#"{"type":"loki","url":"http://x","max_request_bytes":0}"#,
                "sinks[0].max_request_bytes",
                "greater than 0",
            ),
            (
                r#"{"type":"loki","url":"http://x","transport":"udp"}"#,
                "sinks[0].transport",
                "not a key of a loki sink",
            ),
            (
                r#"{"type":"syslog","url":"http://x"}"#,
                "sinks[0].url",
                "not a key of a syslog sink",
            ),
            (
                r#"{"type":"syslog","transport":"tcp"}"#,
                "sinks[0].address",
                "need an address",
            ),
            (
                r#"{"type":"syslog","transport":"udp","address":"localhost"}"#,
                "sinks[0].address",
                "not host:port",
            ),
            (
                r#"{"type":"syslog","transport":"unix","address":"h:1"}"#,
                "sinks[0].address",
                "take a path",
            ),
            (
                r#"{"type":"syslog","transport":"udp","address":"h:1","path":"/x"}"#,
                "sinks[0].path",
                "not a path",
            ),
            (
                r#"{"type":"syslog","transport":"rfc3164"}"#,
                "sinks[0].transport",
                "unknown variant",
            ),
            (
                r#"{"type":"syslog","facility":"local8"}"#,
                "sinks[0].facility",
                "unknown facility",
            ),
            (
                r#"{"type":"syslog","facility":24}"#,
                "sinks[0].facility",
                "unknown facility",
            ),
            (
                r#"{"type":"syslog","max_message_bytes":100}"#,
                "sinks[0].max_message_bytes",
                "at least 480",
            ),
            (
                r#"{"type":"syslog","app_name":"my app"}"#,
                "sinks[0].app_name",
                "printable ASCII",
            ),
            (
                r#"{"type":"syslog","fields_as":"line"}"#,
                "sinks[0].fields_as",
                "structured_data",
            ),
            (
                r#"{"type":"file","path":"x","dead_letter_path":"y"}"#,
                "sinks[0].dead_letter_path",
                "not a key of a file sink",
            ),
        ];
        for (sink, key, msg) in cases {
            let doc = format!(r#"{{"sinks":[{sink}]}}"#);
            let e = err(&doc);
            assert_eq!(e.key, key, "{doc}: {e}");
            assert!(e.message.contains(msg), "{doc}: {e}");
        }
    }

    #[test]
    fn sinks_paced_from_outside_drop_by_default() {
        let c = Config::from_json(
            r#"{"sinks":[{"type":"callback","name":"cb"},{"type":"file","path":"a"},
                         {"type":"null"},{"type":"stderr"},
                         {"type":"callback","name":"blocks","when_full":"block"}]}"#,
        )
        .unwrap();
        let got: Vec<_> = c.sinks.iter().map(|s| s.when_full).collect();
        use WhenFull::*;
        assert_eq!(got, [DropNewest, Block, Block, Block, Block]);
    }

    #[test]
    fn the_default_configuration_has_no_network_sink() {
        assert!(Config::default().sinks.iter().all(|s| !s.kind.is_network()));
    }

    #[test]
    fn syntax_errors_are_reported() {
        let e = err("{\"queue\":");
        assert!(e.message.contains("EOF"), "{e}");
        let e = err("[1]");
        assert!(e.message.contains("must be a JSON object"), "{e}");
    }

    #[test]
    fn only_one_object_is_a_configuration() {
        let cases = [
            (
                r#"{"sinks":[{"type":"null"}]} trailing"#,
                "nothing may follow",
            ),
            (r#"{"sinks":[{"type":"null"}]}}"#, "nothing may follow"),
            (
                r#"{"sinks":[{"type":"null"}]}{"min_level":"warn"}"#,
                "nothing may follow",
            ),
            (r#"{} []"#, "nothing may follow"),
            ("[]", "it is an array"),
            (r#"["info"]"#, "it is an array"),
            (r#" "info""#, "it is a string"),
            ("3", "it is a number"),
            ("true", "it is a boolean"),
            ("null", "it is null"),
            ("x", "it is not JSON"),
        ];
        for (doc, msg) in cases {
            let e = err(doc);
            assert_eq!(e.key, "", "{doc}: {e}");
            assert!(e.message.contains(msg), "{doc}: {e}");
        }
        // Whitespace around the one object is fine.
        let c = Config::from_json(" \n{\"min_level\":\"warn\"}\n\t ").unwrap();
        assert_eq!(c.min_level, Level::Warn);
    }
}
