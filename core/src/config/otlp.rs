//! The OTLP logs sink's configuration (`"type": "otlp"`), as typed data.

use super::RetryConfig;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The body encoding of an OTLP/HTTP export request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OtlpEncoding {
    /// `ExportLogsServiceRequest` in protobuf, `Content-Type: application/x-protobuf`.
    #[default]
    Protobuf,
    /// OTLP/JSON, `Content-Type: application/json`.
    Json,
}

/// Where an OTLP sink puts an entry's labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OtlpLabelsAs {
    /// Resource attributes: entries with the same labels share one `ResourceLogs`.
    #[default]
    Resource,
    /// Log record attributes, beside the fields; one resource for the whole request.
    Attributes,
}

/// An OTLP logs sink (OTLP/HTTP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtlpSinkConfig {
    /// The logs endpoint. A URL without a path gets `/v1/logs`.
    pub url: String,
    /// The body encoding.
    pub encoding: OtlpEncoding,
    /// Whether bodies are gzip-compressed (`Content-Encoding: gzip`).
    pub gzip: bool,
    /// Where labels go.
    pub labels_as: OtlpLabelsAs,
    /// Resource attributes of every request (`service.name`…), before the labels.
    pub resource: BTreeMap<String, String>,
    /// Extra request headers (authentication…).
    pub headers: BTreeMap<String, String>,
    /// PEM file of the certificate authorities trusted for https.
    pub ca_file: Option<PathBuf>,
    /// At most this many log records in one request.
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
