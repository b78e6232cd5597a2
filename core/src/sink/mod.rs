//! The `Sink` trait and the sinks.
//!
//! Each sink runs on its own thread, fed by its own bounded queue of batches, so a sink needs no
//! locking of its own and a slow sink delays nobody else.

mod callback;
mod file;
#[cfg(feature = "kafka")]
mod kafka;
mod loki;
mod null;
#[cfg(feature = "otlp")]
mod otlp;
mod stream;
mod syslog;

pub use callback::CallbackSink;
pub use file::FileSink;
#[cfg(feature = "kafka")]
pub use kafka::KafkaSink;
pub use loki::LokiSink;
pub use null::NullSink;
#[cfg(feature = "otlp")]
pub use otlp::OtlpSink;
pub use stream::{StreamSink, StreamTarget};
pub use syslog::SyslogSink;

use crate::batch::Batch;
use crate::config::{BatchConfig, SinkConfig, SinkKind};
use crate::stats::DeliveryCounters;
use std::fmt;
use std::sync::Arc;

/// What a sink could not do.
#[derive(Debug)]
pub struct SinkError {
    message: String,
    partial: Option<Partial>,
}

/// The part of a batch that a sink did deliver before it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partial {
    /// Entries of the batch that were not delivered.
    pub failed: u64,
    /// Bytes written for the entries that were delivered.
    pub bytes: u64,
}

impl SinkError {
    /// An error with this description: the whole batch failed.
    pub fn new(message: impl Into<String>) -> Self {
        SinkError {
            message: message.into(),
            partial: None,
        }
    }

    /// An error for a batch of which only `failed` entries were not delivered: the others were,
    /// with `bytes` written for them. Network sinks that split a batch into several requests
    /// report this when some of the requests fail.
    pub fn partial(message: impl Into<String>, failed: u64, bytes: u64) -> Self {
        SinkError {
            message: message.into(),
            partial: Some(Partial { failed, bytes }),
        }
    }

    /// For an error made with [`SinkError::partial`], what was and was not delivered.
    pub fn partial_delivery(&self) -> Option<Partial> {
        self.partial
    }
}

impl fmt::Display for SinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SinkError {}

impl From<std::io::Error> for SinkError {
    fn from(e: std::io::Error) -> Self {
        SinkError::new(e.to_string())
    }
}

/// A destination for batches. Called from the sink's own thread only.
pub trait Sink: Send {
    /// Writes one batch; returns the bytes written. An error counts the whole batch as failed
    /// for this sink (and for no other).
    fn write(&mut self, batch: &Batch) -> Result<u64, SinkError>;

    /// Makes everything written so far durable or visible (called by a pipeline flush).
    fn flush(&mut self) -> Result<(), SinkError> {
        Ok(())
    }

    /// Flushes and releases resources; called once, when the pipeline closes.
    fn close(&mut self) -> Result<(), SinkError> {
        self.flush()
    }

    /// The sink's delivery counters (requests, retries, dead letters…), if it keeps them.
    /// Asked once, when the sink's thread starts; sinks that return `None` report zeros.
    fn delivery_counters(&self) -> Option<Arc<DeliveryCounters>> {
        None
    }
}

/// Builds the sink a configuration describes, in a pipeline that makes batches by `batch`.
/// Callback sinks are bound by the pipeline builder, so they are not built here.
pub(crate) fn build(cfg: &SinkConfig, batch: &BatchConfig) -> Result<Box<dyn Sink>, SinkError> {
    Ok(match &cfg.kind {
        SinkKind::Null => Box::new(NullSink),
        SinkKind::Stdout { format } => Box::new(StreamSink::new(StreamTarget::Stdout, *format)),
        SinkKind::Stderr { format } => Box::new(StreamSink::new(StreamTarget::Stderr, *format)),
        SinkKind::File(f) => Box::new(FileSink::open(f.clone())?),
        SinkKind::Loki(l) => Box::new(LokiSink::new(&cfg.name, (**l).clone())?),
        SinkKind::Syslog(s) => Box::new(SyslogSink::new(&cfg.name, (**s).clone())),
        #[cfg(feature = "kafka")]
        SinkKind::Kafka(k) => Box::new(KafkaSink::new(&cfg.name, (**k).clone(), batch)?),
        #[cfg(feature = "otlp")]
        SinkKind::Otlp(o) => Box::new(OtlpSink::new(&cfg.name, (**o).clone())?),
        #[cfg(not(feature = "kafka"))]
        SinkKind::Kafka(_) => return Err(feature_off("kafka", batch)),
        #[cfg(not(feature = "otlp"))]
        SinkKind::Otlp(_) => return Err(feature_off("otlp", batch)),
        SinkKind::Callback => {
            return Err(SinkError::new(format!(
                "callback sink {:?} has no function bound to it",
                cfg.name
            )))
        }
    })
}

/// The error for a sink type whose cargo feature this build leaves out.
#[cfg(not(all(feature = "kafka", feature = "otlp")))]
fn feature_off(kind: &str, _: &BatchConfig) -> SinkError {
    SinkError::new(format!(
        "this build of logcap has no {kind} sink: it was built without the `{kind}` feature"
    ))
}
