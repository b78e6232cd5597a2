//! The pipeline's configuration as typed, plain data: every section with its defaults, and
//! the option enums the encoders and sinks read.
//!
//! Every key is optional and has a default (docs/configuration.md lists them). The JSON
//! document is parsed and validated into a [`Config`] by crate::load ([`Config::from_json`]);
//! a configuration built in code is validated when the pipeline is built.

use crate::entry::Level;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

mod kafka;
mod otlp;

pub use kafka::{KafkaAcks, KafkaCompression, KafkaSinkConfig};
pub use otlp::{OtlpEncoding, OtlpLabelsAs, OtlpSinkConfig};

/// An output encoding. In configuration it is written `"json"` or `"text"` (lower case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// JSON lines: one JSON object per entry (see [`crate::encode::json`]).
    #[default]
    Json,
    /// A human-readable, logfmt-like line per entry (see [`crate::encode::text`]).
    Text,
}

impl Format {
    /// Both formats.
    pub const ALL: [Format; 2] = [Format::Json, Format::Text];

    /// The configuration name: `"json"` or `"text"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Text => "text",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error for a format name that is neither `"json"` nor `"text"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFormat(pub String);

impl fmt::Display for UnknownFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown format {:?}: expected \"json\" or \"text\"",
            self.0
        )
    }
}

impl std::error::Error for UnknownFormat {}

impl FromStr for Format {
    type Err = UnknownFormat;

    /// Parses `"json"` or `"text"`, exactly (lower case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "json" => Ok(Format::Json),
            "text" => Ok(Format::Text),
            _ => Err(UnknownFormat(s.to_owned())),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Format {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What a full queue does with one more item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum WhenFull {
    /// Wait for room, at most the queue's `block_timeout_ms`; then drop the new item.
    #[default]
    Block,
    /// Drop the new item.
    DropNewest,
    /// Drop the oldest queued item to make room for the new one.
    DropOldest,
}

impl WhenFull {
    /// The configuration name (`"drop_newest"`).
    pub fn as_str(self) -> &'static str {
        match self {
            WhenFull::Block => "block",
            WhenFull::DropNewest => "drop_newest",
            WhenFull::DropOldest => "drop_oldest",
        }
    }
}

/// The intake between producers and the batcher: one queue that every producer shares, or a
/// lane per producing thread (docs/lane-protocol.md).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct QueueConfig {
    /// How many entries the queue holds; with lanes, how many each thread's lane holds.
    pub capacity: usize,
    /// What a submit does when the queue (or its thread's lane) is full.
    pub when_full: WhenFull,
    /// With `block`, how long a submit may wait for room before the entry is dropped.
    pub block_timeout_ms: u64,
    /// Whether each producing thread writes into a lane of its own, or every producer into
    /// one shared queue (the default). Lanes keep each thread's entries in order; a producer
    /// that moves between threads (a goroutine, an asynchronous task) needs the shared queue
    /// to keep its own order. The shared queue is used anyway while a stage that runs on the
    /// producer's thread is on (sampling, rate limiting, the hook, redaction).
    pub lanes: bool,
    /// The bytes of each lane's ring: a power of two from 4,096 to 67,108,864. A record
    /// larger than the ring gets a larger lane of its own.
    pub lane_bytes: usize,
}

/// The default bytes of a lane's ring.
pub const DEFAULT_LANE_BYTES: usize = 256 * 1024;

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            capacity: 16_384,
            when_full: WhenFull::Block,
            block_timeout_ms: 1_000,
            lanes: false,
            lane_bytes: DEFAULT_LANE_BYTES,
        }
    }
}

/// When a batch closes: whichever limit is reached first.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct BatchConfig {
    /// At most this many entries in a batch.
    pub max_entries: usize,
    /// A batch closes once its entries' estimated encoded size reaches this many bytes.
    pub max_bytes: usize,
    /// A batch closes at the latest this long after its first entry arrived.
    pub max_delay_ms: u64,
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig {
            max_entries: 512,
            max_bytes: 1 << 20,
            max_delay_ms: 100,
        }
    }
}

/// Bounds of the entry pool.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct PoolConfig {
    /// At most this many idle entries are kept for reuse.
    pub max_idle: usize,
    /// An entry retaining more heap than this is emptied of its buffers when released.
    pub max_retained_bytes: usize,
}

impl Default for PoolConfig {
    fn default() -> Self {
        let d = crate::pool::PoolLimits::default();
        PoolConfig {
            max_idle: d.max_idle,
            max_retained_bytes: d.max_retained_bytes,
        }
    }
}

/// Sampling in the style of zap: per (level, message), the first `initial` entries of each
/// tick of `tick_ms`, then every `thereafter`-th (none if 0).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct SamplingConfig {
    /// Entries kept per (level, message) at the start of each tick.
    pub initial: u64,
    /// After those, every this-many-th entry is kept; 0 keeps none.
    pub thereafter: u64,
    /// The length of a tick in milliseconds.
    pub tick_ms: u64,
}

impl Default for SamplingConfig {
    fn default() -> Self {
        SamplingConfig {
            initial: 100,
            thereafter: 100,
            tick_ms: 1_000,
        }
    }
}

/// A token bucket: `burst` entries at once, refilled at `per_second`; optionally one bucket per
/// value of the label `by_label`, at most `max_keys` of them.
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimitConfig {
    /// Tokens added per second (may be fractional), at most 1e9.
    pub per_second: f64,
    /// The bucket's capacity: how many entries may pass at once.
    pub burst: u64,
    /// One bucket per value of this label, when set.
    pub by_label: Option<String>,
    /// With `by_label`, at most this many buckets; values beyond share one overflow bucket.
    pub max_keys: usize,
}

/// Deduplication: identical entries (level, message, labels) within `window_ms` collapse into
/// the first, with a field `repeats`; at most `max_keys` entries are held.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct DedupConfig {
    /// How long an entry is held, collecting identical ones, before it is delivered.
    pub window_ms: u64,
    /// At most this many entries are held; a new one closes the oldest window early.
    pub max_keys: usize,
}

impl Default for DedupConfig {
    fn default() -> Self {
        DedupConfig {
            window_ms: 1_000,
            max_keys: 1_024,
        }
    }
}

/// Redaction: label and field keys (globs with `*`, ASCII case-insensitive) whose values are
/// replaced by `censor`, and patterns (regular expressions or built-in names) masked in the
/// message and in string field values.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct RedactConfig {
    /// Keys whose values are replaced.
    pub keys: Vec<String>,
    /// Patterns masked in the message and string fields.
    pub patterns: Vec<String>,
    /// What replaces a redacted value or match.
    pub censor: String,
}

/// The default censor string.
pub const DEFAULT_CENSOR: &str = "[REDACTED]";

impl Default for RedactConfig {
    fn default() -> Self {
        RedactConfig {
            keys: Vec::new(),
            patterns: Vec::new(),
            censor: DEFAULT_CENSOR.to_owned(),
        }
    }
}

/// What a sink does with batches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkKind {
    /// Discards every batch (for benchmarks).
    Null,
    /// Writes each batch to standard output.
    Stdout {
        /// Output encoding.
        format: Format,
    },
    /// Writes each batch to standard error.
    Stderr {
        /// Output encoding.
        format: Format,
    },
    /// Appends to a file, rotating by size.
    File(FileSinkConfig),
    /// Hands each batch to a function registered with the pipeline builder under the sink's name.
    Callback,
    /// Pushes to a Loki push API endpoint (docs/network-sinks.md).
    Loki(Box<LokiSinkConfig>),
    /// Sends RFC 5424 syslog messages (docs/network-sinks.md).
    Syslog(Box<SyslogSinkConfig>),
    /// Produces one Kafka message per entry (docs/network-sinks.md).
    Kafka(Box<KafkaSinkConfig>),
    /// Exports log records over OTLP/HTTP (docs/network-sinks.md).
    Otlp(Box<OtlpSinkConfig>),
}

impl SinkKind {
    /// Whether the sink sends over a network or a socket (Loki, syslog, Kafka, OTLP).
    pub fn is_network(&self) -> bool {
        matches!(
            self,
            SinkKind::Loki(_) | SinkKind::Syslog(_) | SinkKind::Kafka(_) | SinkKind::Otlp(_)
        )
    }

    /// The sink's queue policy unless configured.
    ///
    /// A sink whose pace is set outside the library (a callback runs the caller's code, a
    /// network sink waits on its backend and retries) can be slow or stop for any length of
    /// time; with `block` it would hold up the dispatcher and so every other sink. Such sinks
    /// drop instead, each drop counted in the sink's `dropped`, so that a slow or dead one
    /// degrades only itself. `drop_newest` rather than `drop_oldest`: the batcher never takes
    /// batches out of a queue its sink thread reads, and what a sink has queued it delivers
    /// as one contiguous run, so an overload leaves one gap rather than a thinned stream.
    ///
    /// Local sinks (file, stdout, stderr, null) keep `block`: they are the record of last
    /// resort and keep up unless the machine cannot, so a burst is absorbed by backpressure
    /// to the intake queue, whose own policy then decides, rather than by dropping batches
    /// that a moment later could have been written.
    pub fn default_when_full(&self) -> WhenFull {
        match self {
            SinkKind::Callback
            | SinkKind::Loki(_)
            | SinkKind::Syslog(_)
            | SinkKind::Kafka(_)
            | SinkKind::Otlp(_) => WhenFull::DropNewest,
            SinkKind::Null
            | SinkKind::Stdout { .. }
            | SinkKind::Stderr { .. }
            | SinkKind::File(_) => WhenFull::Block,
        }
    }
}

/// How a network sink retries a failed request.
///
/// A transient failure (connection refused or reset, a timeout, HTTP 429 or 5xx) is retried
/// after `initial_ms`, then after twice as long each time, at most `max_ms`, each delay with
/// random jitter (between half and all of it); a permanent failure is never retried.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, default)]
pub struct RetryConfig {
    /// The delay before the first retry, in milliseconds.
    pub initial_ms: u64,
    /// The longest delay between two attempts, in milliseconds.
    pub max_ms: u64,
    /// How many times a request is tried in all, the first attempt included (at least 1).
    pub attempts: u32,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            initial_ms: 100,
            max_ms: 5_000,
            attempts: 5,
        }
    }
}

/// HTTP basic authentication.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct BasicAuth {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
}

impl fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicAuth")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// The body encoding of a Loki push request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum LokiEncoding {
    /// `logproto.PushRequest` in protobuf, snappy-compressed (Loki's default).
    #[default]
    Protobuf,
    /// The JSON push body, gzip-compressed.
    Json,
}

/// Where a Loki sink puts an entry's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum LokiFieldsAs {
    /// The line is the message; fields, level and trace context are structured metadata.
    #[default]
    StructuredMetadata,
    /// The line is the whole entry in `line_format`; no structured metadata.
    Line,
}

/// A Loki sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LokiSinkConfig {
    /// The push endpoint. A URL without a path gets `/loki/api/v1/push`.
    pub url: String,
    /// Sent as `X-Scope-OrgID` when set.
    pub tenant_id: Option<String>,
    /// HTTP basic authentication.
    pub basic_auth: Option<BasicAuth>,
    /// Sent as `Authorization: Bearer …` when set.
    pub bearer_token: Option<String>,
    /// Extra request headers.
    pub headers: BTreeMap<String, String>,
    /// PEM file of the certificate authorities trusted for https (instead of the bundled
    /// web roots).
    pub ca_file: Option<PathBuf>,
    /// The body encoding.
    pub encoding: LokiEncoding,
    /// Where fields go.
    pub fields_as: LokiFieldsAs,
    /// The line's encoding with `fields_as: line`.
    pub line_format: Format,
    /// At most this many entries in one request.
    pub max_request_entries: usize,
    /// At most about this many uncompressed bytes in one request.
    pub max_request_bytes: usize,
    /// The whole request's timeout, in milliseconds.
    pub timeout_ms: u64,
    /// Retries.
    pub retry: RetryConfig,
    /// JSON-lines file for what cannot be delivered; none: such entries are only counted.
    pub dead_letter_path: Option<PathBuf>,
}

/// How a syslog sink reaches its receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SyslogTransport {
    /// UDP datagrams, one message each (RFC 5426).
    Udp,
    /// TCP with octet-counting framing (RFC 6587).
    Tcp,
    /// A unix datagram socket such as `/dev/log`, one message per datagram.
    #[default]
    Unix,
    /// A unix stream socket, octet-counting framing.
    UnixStream,
}

/// Where a syslog sink puts labels and fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SyslogFieldsAs {
    /// STRUCTURED-DATA elements; MSG is the message.
    #[default]
    StructuredData,
    /// MSG is the whole entry in `msg_format`; no STRUCTURED-DATA.
    Msg,
}

/// A syslog facility code, 0 (kern) to 23 (local7). In configuration a name (`"local0"`) or
/// the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facility(pub u8);

impl Facility {
    pub(crate) const NAMES: [&'static str; 24] = [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
        "authpriv", "ftp", "ntp", "audit", "alert", "clock", "local0", "local1", "local2",
        "local3", "local4", "local5", "local6", "local7",
    ];
}

impl<'de> Deserialize<'de> for Facility {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Code(u64),
            Name(String),
        }
        let err = || {
            serde::de::Error::custom(
                "unknown facility: expected 0 to 23 or a name such as \"user\" or \"local0\"",
            )
        };
        match Raw::deserialize(d)? {
            Raw::Code(n) if n < 24 => Ok(Facility(n as u8)),
            Raw::Code(_) => Err(err()),
            Raw::Name(n) => Facility::NAMES
                .iter()
                .position(|&k| k == n)
                .map(|i| Facility(i as u8))
                .ok_or_else(err),
        }
    }
}

/// A syslog sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyslogSinkConfig {
    /// How the receiver is reached.
    pub transport: SyslogTransport,
    /// `host:port` for `udp` and `tcp`.
    pub address: Option<String>,
    /// The socket for `unix` and `unix_stream`.
    pub path: Option<PathBuf>,
    /// The facility of every message.
    pub facility: Facility,
    /// APP-NAME; `None`: the executable's name.
    pub app_name: Option<String>,
    /// HOSTNAME; `None`: the machine's host name.
    pub hostname: Option<String>,
    /// Longer messages are truncated to this many bytes.
    pub max_message_bytes: usize,
    /// Where labels and fields go.
    pub fields_as: SyslogFieldsAs,
    /// MSG's encoding with `fields_as: msg`.
    pub msg_format: Format,
    /// The private enterprise number in the SD-IDs (`labels@32473`).
    pub enterprise_id: u32,
    /// Connect and write timeout, in milliseconds.
    pub timeout_ms: u64,
    /// Retries.
    pub retry: RetryConfig,
    /// JSON-lines file for what cannot be delivered; none: such entries are only counted.
    pub dead_letter_path: Option<PathBuf>,
}

/// A file sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSinkConfig {
    /// The file written to. Rotated files are named `<path>.1` (newest) to `<path>.<keep>`.
    pub path: PathBuf,
    /// Output encoding.
    pub format: Format,
    /// Rotate once the file reaches this size; 0 never rotates.
    pub max_bytes: u64,
    /// How many rotated files to keep.
    pub keep: u32,
    /// Whether a pipeline flush also fsyncs the file.
    pub fsync_on_flush: bool,
    /// Whether missing parent directories of `path` are created when the sink starts.
    pub create_dirs: bool,
}

/// One sink and its own queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkConfig {
    /// The sink's name, unique in the pipeline: it names the sink's counters.
    pub name: String,
    /// The sink itself.
    pub kind: SinkKind,
    /// How many batches the sink's queue holds.
    pub queue_capacity: usize,
    /// What happens to a batch when the sink's queue is full.
    pub when_full: WhenFull,
    /// With `block`, how long the dispatcher waits for room before dropping the batch for this
    /// sink. The wait delays every sink, which is why callback and network sinks do not block
    /// unless configured to ([`SinkKind::default_when_full`]).
    pub block_timeout_ms: u64,
}

/// The whole pipeline's configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Entries below this level are dropped at submit (counted as `dropped_level`).
    pub min_level: Level,
    /// The intake queue.
    pub queue: QueueConfig,
    /// Batching.
    pub batch: BatchConfig,
    /// The entry pool.
    pub pool: PoolConfig,
    /// The sinks; every batch goes to each of them.
    pub sinks: Vec<SinkConfig>,
    /// Sampling, when set.
    pub sampling: Option<SamplingConfig>,
    /// Rate limiting, when set.
    pub rate_limit: Option<RateLimitConfig>,
    /// Deduplication, when set.
    pub dedup: Option<DedupConfig>,
    /// Redaction, when set.
    pub redact: Option<RedactConfig>,
}

impl Default for Config {
    /// The embedded default: one JSON-lines sink on standard output.
    fn default() -> Self {
        Config {
            min_level: Level::Trace,
            queue: QueueConfig::default(),
            batch: BatchConfig::default(),
            pool: PoolConfig::default(),
            sinks: vec![SinkConfig {
                name: "stdout".into(),
                kind: SinkKind::Stdout {
                    format: Format::Json,
                },
                queue_capacity: DEFAULT_SINK_QUEUE,
                when_full: WhenFull::Block,
                block_timeout_ms: DEFAULT_SINK_BLOCK_MS,
            }],
            sampling: None,
            rate_limit: None,
            dedup: None,
            redact: None,
        }
    }
}

impl Config {
    /// How long a blocked submit may wait.
    pub fn block_timeout(&self) -> Duration {
        Duration::from_millis(self.queue.block_timeout_ms)
    }
}

pub(crate) const DEFAULT_SINK_QUEUE: usize = 16;

/// Whether `c` may appear in a sink name: ASCII letters and digits, `_`, `-` and `.`. A name
/// becomes a metric label value, a thread name and a key callers bind functions to, so it is
/// kept to characters that are safe in all of them.
pub fn is_sink_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

pub(crate) const DEFAULT_SINK_BLOCK_MS: u64 = 1_000;

/// A configuration error: the key path (empty for the document itself) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Where: a path such as `sinks[0].max_bytes`, or empty.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl ConfigError {
    pub(crate) fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            key: key.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "configuration: {}", self.message)
        } else {
            write!(f, "configuration key `{}`: {}", self.key, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}
