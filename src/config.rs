//! Pipeline configuration: one JSON document, validated strictly.
//!
//! Every key is optional and has a default (docs/configuration.md lists them). An unknown key,
//! a wrong type or an invalid value is an error that names the key by its path, such as
//! `sinks[1].max_bytes`.

use crate::encode::Format;
use crate::entry::Level;
use serde::Deserialize;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// What a full queue does with one more item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
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

/// The intake queue between producers and the batcher.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QueueConfig {
    /// How many entries the queue holds.
    pub capacity: usize,
    /// What a submit does when the queue is full.
    pub when_full: WhenFull,
    /// With `block`, how long a submit may wait for room before the entry is dropped.
    pub block_timeout_ms: u64,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            capacity: 16_384,
            when_full: WhenFull::Block,
            block_timeout_ms: 1_000,
        }
    }
}

/// When a batch closes: whichever limit is reached first.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
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
#[serde(deny_unknown_fields, default)]
pub struct RedactConfig {
    /// Keys whose values are replaced.
    pub keys: Vec<String>,
    /// Patterns masked in the message and string fields.
    pub patterns: Vec<String>,
    /// What replaces a redacted value or match.
    pub censor: String,
}

impl Default for RedactConfig {
    fn default() -> Self {
        RedactConfig {
            keys: Vec::new(),
            patterns: Vec::new(),
            censor: crate::process::DEFAULT_CENSOR.to_owned(),
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
    /// sink. The wait delays every sink, so a sink that may hang should use a drop policy.
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

const DEFAULT_SINK_QUEUE: usize = 16;
const DEFAULT_SINK_BLOCK_MS: u64 = 1_000;

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

/// The document as written, before validation.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawConfig {
    min_level: Option<Level>,
    queue: QueueConfig,
    batch: BatchConfig,
    pool: PoolConfig,
    sinks: Option<Vec<RawSink>>,
    sampling: Option<SamplingConfig>,
    rate_limit: Option<RawRateLimit>,
    dedup: Option<DedupConfig>,
    redact: Option<RedactConfig>,
}

/// `rate_limit` as written: the burst's default depends on the rate.
#[derive(Deserialize)]
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
}

impl Config {
    /// Parses and validates a JSON document. An empty or all-blank document gives the default.
    pub fn from_json(doc: &str) -> Result<Config, ConfigError> {
        if doc.trim().is_empty() {
            return Ok(Config::default());
        }
        let de = &mut serde_json::Deserializer::from_str(doc);
        let raw: RawConfig = serde_path_to_error::deserialize(de).map_err(|e| {
            let key = e.path().to_string();
            let key = if key == "." { String::new() } else { key };
            ConfigError::new(key, e.inner().to_string())
        })?;
        raw.validate()
    }

    /// How long a blocked submit may wait.
    pub fn block_timeout(&self) -> Duration {
        Duration::from_millis(self.queue.block_timeout_ms)
    }
}

impl RawConfig {
    fn validate(self) -> Result<Config, ConfigError> {
        positive("queue.capacity", self.queue.capacity)?;
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

fn positive(key: &str, v: usize) -> Result<(), ConfigError> {
    if v == 0 {
        Err(ConfigError::new(key, "must be greater than 0"))
    } else {
        Ok(())
    }
}

impl RawSink {
    fn validate(self, i: usize) -> Result<SinkConfig, ConfigError> {
        let key = |k: &str| format!("sinks[{i}].{k}");
        let given: [(&str, bool); 5] = [
            ("format", self.format.is_some()),
            ("path", self.path.is_some()),
            ("max_bytes", self.max_bytes.is_some()),
            ("keep", self.keep.is_some()),
            ("fsync_on_flush", self.fsync_on_flush.is_some()),
        ];
        let allowed: &[&str] = match self.kind.as_str() {
            "null" | "callback" => &[],
            "stdout" | "stderr" => &["format"],
            "file" => &["format", "path", "max_bytes", "keep", "fsync_on_flush"],
            other => {
                return Err(ConfigError::new(
                    key("type"),
                    format!(
                        "unknown sink type {other:?}: expected one of null, stdout, stderr, file, callback"
                    ),
                ))
            }
        };
        if let Some((k, _)) = given.iter().find(|(k, set)| *set && !allowed.contains(k)) {
            return Err(ConfigError::new(
                key(k),
                format!("not a key of a {} sink", self.kind),
            ));
        }
        let format = self.format.unwrap_or(Format::Json);
        let kind = match self.kind.as_str() {
            "null" => SinkKind::Null,
            "callback" => SinkKind::Callback,
            "stdout" => SinkKind::Stdout { format },
            "stderr" => SinkKind::Stderr { format },
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
                })
            }
        };
        let queue_capacity = self.queue_capacity.unwrap_or(DEFAULT_SINK_QUEUE);
        positive(&key("queue_capacity"), queue_capacity)?;
        let name = match self.name {
            Some(n) if n.is_empty() => {
                return Err(ConfigError::new(key("name"), "must not be empty"))
            }
            Some(n) => n,
            None if matches!(kind, SinkKind::Callback) => {
                return Err(ConfigError::new(
                    key("name"),
                    "a callback sink needs a name, to bind its function to",
                ))
            }
            None => format!("{}-{i}", self.kind),
        };
        Ok(SinkConfig {
            name,
            kind,
            queue_capacity,
            when_full: self.when_full.unwrap_or_default(),
            block_timeout_ms: self.block_timeout_ms.unwrap_or(DEFAULT_SINK_BLOCK_MS),
        })
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
                r#"{"sinks":[{"type":"kafka"}]}"#,
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
    fn syntax_errors_are_reported() {
        let e = err("{\"queue\":");
        assert!(e.message.contains("EOF"), "{e}");
        let e = err("[1]");
        assert!(e.message.contains("invalid type"), "{e}");
    }
}
