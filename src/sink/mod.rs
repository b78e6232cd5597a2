//! The `Sink` trait and the sinks.
//!
//! Each sink runs on its own thread, fed by its own bounded queue of batches, so a sink needs no
//! locking of its own and a slow sink delays nobody else.

mod callback;
mod file;
mod null;
mod stream;

pub use callback::CallbackSink;
pub use file::FileSink;
pub use null::NullSink;
pub use stream::{StreamSink, StreamTarget};

use crate::config::{SinkConfig, SinkKind};
use crate::dispatcher::Batch;
use std::fmt;

/// What a sink could not do.
#[derive(Debug)]
pub struct SinkError {
    message: String,
}

impl SinkError {
    /// An error with this description.
    pub fn new(message: impl Into<String>) -> Self {
        SinkError {
            message: message.into(),
        }
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
}

/// Builds the sink a configuration describes. Callback sinks are bound by the pipeline
/// builder, so they are not built here.
pub(crate) fn build(cfg: &SinkConfig) -> Result<Box<dyn Sink>, SinkError> {
    Ok(match &cfg.kind {
        SinkKind::Null => Box::new(NullSink),
        SinkKind::Stdout { format } => Box::new(StreamSink::new(StreamTarget::Stdout, *format)),
        SinkKind::Stderr { format } => Box::new(StreamSink::new(StreamTarget::Stderr, *format)),
        SinkKind::File(f) => Box::new(FileSink::open(f.clone())?),
        SinkKind::Callback => {
            return Err(SinkError::new(format!(
                "callback sink {:?} has no function bound to it",
                cfg.name
            )))
        }
    })
}
