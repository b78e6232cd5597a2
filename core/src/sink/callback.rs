//! The callback sink: hands each batch to a function.

use super::{Sink, SinkError};
use crate::batch::Batch;

/// The function a callback sink calls with each batch, on the sink's thread.
pub type BatchFn = Box<dyn FnMut(&Batch) -> Result<(), SinkError> + Send>;

/// Calls a function with each batch. The function sees the batch read-only and only for the
/// duration of the call; an error or a panic counts the batch as failed for this sink.
pub struct CallbackSink {
    f: BatchFn,
}

impl CallbackSink {
    /// A sink calling `f` with each batch.
    pub fn new(f: impl FnMut(&Batch) -> Result<(), SinkError> + Send + 'static) -> Self {
        CallbackSink { f: Box::new(f) }
    }
}

impl Sink for CallbackSink {
    fn write(&mut self, batch: &Batch) -> Result<u64, SinkError> {
        (self.f)(batch).map(|()| 0)
    }
}
