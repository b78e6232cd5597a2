//! The `Sink` trait and the sinks.
//!
//! Each sink runs on its own thread, fed by its own bounded queue of batches, so a sink needs no
//! locking of its own and a slow sink delays nobody else.

mod callback;
mod file;
#[cfg(any(feature = "loki", feature = "otlp"))]
mod http;
#[cfg(feature = "kafka")]
mod kafka;
#[cfg(feature = "loki")]
mod loki;
mod null;
#[cfg(feature = "otlp")]
mod otlp;
mod stream;
#[cfg(feature = "syslog")]
mod syslog;

pub use callback::CallbackSink;
pub use file::FileSink;
#[cfg(feature = "kafka")]
pub use kafka::KafkaSink;
#[cfg(feature = "loki")]
pub use loki::LokiSink;
pub use null::NullSink;
#[cfg(feature = "otlp")]
pub use otlp::OtlpSink;
pub use stream::{StreamSink, StreamTarget};
#[cfg(feature = "syslog")]
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

    /// The outcome of a batch an HTTP sink sent in several requests: the bytes `sent` when every
    /// request went through, else a partial error naming `failed` of `total` entries, the
    /// destination `to` and the first request's error.
    #[cfg(any(feature = "loki", feature = "otlp"))]
    pub(crate) fn batch_outcome(
        sent: u64,
        failed: u64,
        total: usize,
        to: &str,
        first_error: Option<String>,
    ) -> Result<u64, SinkError> {
        match first_error {
            None => Ok(sent),
            Some(msg) => Err(SinkError::partial(
                format!("{failed} of {total} entries not delivered to {to}: {msg}"),
                failed,
                sent,
            )),
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

/// Why a sink could not be built: the key of the sink's configuration at fault (`path`) and
/// what went wrong.
#[derive(Debug)]
pub(crate) struct SetupError {
    pub(crate) key: &'static str,
    pub(crate) message: String,
}

/// Builds the sink a configuration describes, in a pipeline that makes batches by `batch`.
/// Callback sinks are bound by the pipeline builder, so they are not built here.
#[cfg_attr(not(feature = "kafka"), allow(unused_variables))]
pub(crate) fn build(cfg: &SinkConfig, batch: &BatchConfig) -> Result<Box<dyn Sink>, SetupError> {
    let at = |key: &'static str| {
        move |e: SinkError| SetupError {
            key,
            message: e.to_string(),
        }
    };
    Ok(match &cfg.kind {
        SinkKind::Null => Box::new(NullSink),
        SinkKind::Stdout { format } => Box::new(StreamSink::new(StreamTarget::Stdout, *format)),
        SinkKind::Stderr { format } => Box::new(StreamSink::new(StreamTarget::Stderr, *format)),
        SinkKind::File(f) => Box::new(FileSink::open(f.clone()).map_err(at("path"))?),
        #[cfg(feature = "loki")]
        SinkKind::Loki(l) => {
            Box::new(LokiSink::new(&cfg.name, (**l).clone()).map_err(at("ca_file"))?)
        }
        #[cfg(feature = "syslog")]
        SinkKind::Syslog(s) => Box::new(SyslogSink::new(&cfg.name, (**s).clone())),
        #[cfg(feature = "kafka")]
        SinkKind::Kafka(k) => {
            Box::new(KafkaSink::new(&cfg.name, (**k).clone(), batch).map_err(at("brokers"))?)
        }
        #[cfg(feature = "otlp")]
        SinkKind::Otlp(o) => {
            Box::new(OtlpSink::new(&cfg.name, (**o).clone()).map_err(at("ca_file"))?)
        }
        // A configuration from JSON never gets here (load names the feature); one built in
        // code does.
        #[cfg(not(feature = "loki"))]
        SinkKind::Loki(_) => return Err(compiled_out("loki")),
        #[cfg(not(feature = "syslog"))]
        SinkKind::Syslog(_) => return Err(compiled_out("syslog")),
        #[cfg(not(feature = "kafka"))]
        SinkKind::Kafka(_) => return Err(compiled_out("kafka")),
        #[cfg(not(feature = "otlp"))]
        SinkKind::Otlp(_) => return Err(compiled_out("otlp")),
        SinkKind::Callback => {
            return Err(SetupError {
                key: "name",
                message: format!("no function is bound to the callback sink {:?}", cfg.name),
            })
        }
    })
}

/// The error for a sink type whose cargo feature this build leaves out.
#[cfg(not(all(
    feature = "loki",
    feature = "syslog",
    feature = "kafka",
    feature = "otlp"
)))]
fn compiled_out(kind: &str) -> SetupError {
    SetupError {
        key: "type",
        message: format!(
            "the {kind} sink is not in this build: logcap was built without the cargo feature `{kind}`"
        ),
    }
}

/// An I/O error's text without Rust's ` (os error N)` suffix, for messages that already say
/// what was being done: `cannot open /x/app.log: No such file or directory`.
pub(crate) fn io_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) if s.ends_with(')') => s[..i].to_owned(),
        _ => s,
    }
}
