//! The errors of the pipeline API.

use crate::config::ConfigError;
use crate::entry::EntryError;
use crate::record::RecordError;
use std::fmt;

/// What a pipeline operation could not do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The configuration is invalid.
    Config(ConfigError),
    /// A sink could not be set up (for example, its file could not be opened).
    SinkSetup {
        /// The sink's name.
        sink: String,
        /// What went wrong.
        message: String,
    },
    /// The pipeline is closed (or closing): it takes no more entries.
    Closed,
    /// The intake queue was full and the entry was dropped (`drop_newest`); it is counted.
    QueueFull,
    /// The operation did not finish within its timeout (for a submit with the `block` policy,
    /// the entry was dropped and counted).
    Timeout,
    /// An entry refused a change.
    Entry(EntryError),
    /// A sink failed to flush; the text names the sink.
    SinkFlush(String),
    /// A file could not be read or written (a dead-letter replay); the text says which.
    Io(String),
    /// A packed record is malformed (docs/record-format.md): nothing was submitted.
    Record(RecordError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(e) => e.fmt(f),
            Error::SinkSetup { sink, message } => write!(f, "sink {sink:?}: {message}"),
            Error::Closed => f.write_str("the pipeline is closed"),
            Error::QueueFull => f.write_str("the queue is full: the entry was dropped"),
            Error::Timeout => f.write_str("timed out"),
            Error::Entry(e) => e.fmt(f),
            Error::SinkFlush(m) => write!(f, "flush failed: {m}"),
            Error::Io(m) => f.write_str(m),
            Error::Record(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Config(e)
    }
}

impl From<RecordError> for Error {
    fn from(e: RecordError) -> Self {
        Error::Record(e)
    }
}

impl From<EntryError> for Error {
    fn from(e: EntryError) -> Self {
        Error::Entry(e)
    }
}
