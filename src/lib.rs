//! logcap: a log pipeline core for polyglot services.
//!
//! Pooled entries with locked label and field maps, an asynchronous dispatcher that batches
//! entries and fans each immutable batch out to several isolated sinks, and a C ABI that C,
//! C++, Go and Node.js programs share.
//!
//! ```
//! use logcap::{Level, Pipeline};
//! use std::time::Duration;
//!
//! let pipeline = Pipeline::from_json(r#"{"sinks": [{"type": "null"}]}"#).unwrap();
//! let entry = pipeline.acquire();
//! entry.set_level(Level::Info);
//! entry.set_message("request completed");
//! entry.set_label("service", "checkout").unwrap();
//! entry.set_field("status", 200i64).unwrap();
//! pipeline.submit(entry).unwrap();
//! pipeline.close(Duration::from_secs(5)).unwrap();
//! assert_eq!(pipeline.stats().sinks[0].delivered, 1);
//! ```

pub mod config;
pub mod delivery;
pub mod dispatcher;
pub mod encode;
pub mod entry;
pub mod error;
pub mod ffi;
pub mod metrics;
pub mod pipeline;
pub mod pool;
pub mod process;
pub mod record;
pub mod sink;
pub mod stats;

pub use config::{
    Config, ConfigError, DedupConfig, RateLimitConfig, RedactConfig, SamplingConfig, WhenFull,
};
pub use delivery::ReplayReport;
pub use dispatcher::Batch;
pub use encode::Format;
pub use entry::{Entry, EntryData, EntryError, Level, Value, ValueKind, ValueRef};
pub use error::Error;
pub use pipeline::{Pipeline, PipelineBuilder};
pub use pool::{Pool, PoolLimits, PoolStats};
pub use process::{Clock, HookAction, ManualClock};
pub use stats::{DeliveryCounters, SinkStats, Stats};
