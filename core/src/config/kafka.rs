//! The Kafka sink's configuration (`"type": "kafka"`), as typed data.

use super::Format;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// How the Kafka sink compresses its record batches (`compression.codec`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KafkaCompression {
    /// No compression.
    #[default]
    None,
    /// gzip.
    Gzip,
    /// Snappy.
    Snappy,
    /// LZ4.
    Lz4,
    /// Zstandard.
    Zstd,
}

/// Every codec.
const CODECS: [KafkaCompression; 5] = [
    KafkaCompression::None,
    KafkaCompression::Gzip,
    KafkaCompression::Snappy,
    KafkaCompression::Lz4,
    KafkaCompression::Zstd,
];

impl KafkaCompression {
    /// The codec of a configuration name (`"zstd"`), if it is one.
    pub fn from_name(name: &str) -> Option<Self> {
        CODECS.into_iter().find(|c| c.as_str() == name)
    }

    /// The configuration name, which is also librdkafka's.
    pub fn as_str(self) -> &'static str {
        match self {
            KafkaCompression::None => "none",
            KafkaCompression::Gzip => "gzip",
            KafkaCompression::Snappy => "snappy",
            KafkaCompression::Lz4 => "lz4",
            KafkaCompression::Zstd => "zstd",
        }
    }
}

/// Which acknowledgement a Kafka sink waits for (`acks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KafkaAcks {
    /// Every in-sync replica has the record (`"all"`).
    #[default]
    All,
    /// The partition leader has it (`"1"`).
    Leader,
    /// None: a record counts as delivered once sent (`"0"`).
    None,
}

impl KafkaAcks {
    /// The value of librdkafka's `acks`.
    pub fn as_str(self) -> &'static str {
        match self {
            KafkaAcks::All => "all",
            KafkaAcks::Leader => "1",
            KafkaAcks::None => "0",
        }
    }
}

/// A Kafka sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaSinkConfig {
    /// Bootstrap brokers, `host:port` each.
    pub brokers: Vec<String>,
    /// The topic of every entry that no rule below sends elsewhere.
    pub topic: String,
    /// An entry with this label goes to the topic the label names.
    pub topic_label: Option<String>,
    /// Entries at `error` and `fatal` go to this topic (unless `topic_label` says otherwise).
    pub error_topic: Option<String>,
    /// Entries at `trace` and `debug` go to this topic (unless `topic_label` says otherwise).
    pub debug_topic: Option<String>,
    /// The message key is this label's value; none: messages have no key.
    pub key_label: Option<String>,
    /// The message value's encoding: the JSON-lines or text line of the entry.
    pub format: Format,
    /// Record batch compression.
    pub compression: KafkaCompression,
    /// Acknowledgements waited for.
    pub acks: KafkaAcks,
    /// The idempotent producer: no duplicates from the client's own retries.
    pub idempotence: bool,
    /// How long the client may try to deliver a message before it gives up
    /// (`message.timeout.ms`); what it gives up on is dead-lettered.
    pub message_timeout_ms: u64,
    /// Further librdkafka properties, set last (security, timeouts…).
    pub properties: BTreeMap<String, String>,
    /// JSON-lines file for what cannot be delivered; none: such entries are only counted.
    pub dead_letter_path: Option<PathBuf>,
}
