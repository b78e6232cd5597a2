//! Standard output and standard error sinks.

use super::{Sink, SinkError};
use crate::batch::Batch;
use crate::encode::Format;
use std::io::Write;

/// Which standard stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamTarget {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// Writes each batch to standard output or standard error, in one write per batch so that
/// lines from several sinks or threads never interleave mid-line.
#[derive(Debug)]
pub struct StreamSink {
    target: StreamTarget,
    format: Format,
}

impl StreamSink {
    /// A sink writing `format` lines to `target`.
    pub fn new(target: StreamTarget, format: Format) -> Self {
        StreamSink { target, format }
    }
}

impl Sink for StreamSink {
    fn write(&mut self, batch: &Batch) -> Result<u64, SinkError> {
        let bytes = batch.encoded(self.format);
        match self.target {
            StreamTarget::Stdout => std::io::stdout().lock().write_all(bytes)?,
            StreamTarget::Stderr => std::io::stderr().lock().write_all(bytes)?,
        }
        Ok(bytes.len() as u64)
    }

    fn flush(&mut self) -> Result<(), SinkError> {
        match self.target {
            StreamTarget::Stdout => std::io::stdout().flush()?,
            StreamTarget::Stderr => std::io::stderr().flush()?,
        }
        Ok(())
    }
}
