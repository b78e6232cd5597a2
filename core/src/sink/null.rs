//! The null sink.

use super::{Sink, SinkError};
use crate::batch::Batch;

/// Discards every batch and reports it delivered: measures the pipeline without output.
#[derive(Debug, Default)]
pub struct NullSink;

impl Sink for NullSink {
    fn write(&mut self, _batch: &Batch) -> Result<u64, SinkError> {
        Ok(0)
    }
}
