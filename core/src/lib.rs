//! logcap's core: a log pipeline for polyglot services, in Rust.
//!
//! Pooled entries with locked label and field maps, an asynchronous dispatcher that batches
//! entries and fans each immutable batch out to several isolated sinks. The C ABI that C,
//! C++, Go and Node.js programs share is another crate built on this one (`logcap`, at the
//! repository's root); docs/architecture.md draws the layers of both.
//!
//! ```
//! use logcap_core::{Level, Pipeline};
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

// Safe Rust everywhere but in the modules named here, each for one reason:
// - clock: reads CLOCK_REALTIME through libc (one call, cheaper than SystemTime::now).
// - entry::arena and entry::text: hand out `str` over bytes already checked to be UTF-8,
//   without checking them again (the allows are on those two modules, in entry/mod.rs).
// - lane: the submission lanes are memory shared with producers in other languages: one
//   allocation of header and ring, atomics at fixed offsets, bytes written by one side and
//   read by the other (docs/lane-protocol.md). Each block is allowed where it stands.
#![deny(unsafe_code)]

// The modules in layers: each uses only modules of its own layer or below, and never one
// that uses it (tests/module_graph.rs fails on a cycle). docs/architecture.md has the graph.

// Plain data and leaves: the entry, the clock, the pool, the batch, counters, the packed
// record format.
pub mod batch;
#[allow(unsafe_code)]
pub mod clock;
pub mod entry;
pub mod lane;
pub mod pool;
pub mod record;
pub mod stats;

// The configuration as plain typed data, and the error type.
pub mod config;
pub mod error;

// What an entry goes through: encoders, processing stages, delivery, sinks, the dispatcher.
pub mod delivery;
pub mod dispatcher;
pub mod encode;
pub mod metrics;
pub mod process;
pub mod sink;

// On top: loading a configuration document, and the pipeline that ties it all together.
pub mod load;
pub mod pipeline;

pub use batch::Batch;
pub use clock::{Clock, ManualClock};
pub use config::Format;
pub use config::{
    Config, ConfigError, DedupConfig, RateLimitConfig, RedactConfig, SamplingConfig, WhenFull,
};
pub use delivery::ReplayReport;
pub use entry::{EntryData, EntryError, Level, Value, ValueKind, ValueRef};
pub use error::Error;
pub use pipeline::{Pipeline, PipelineBuilder};
pub use pool::{Entry, Pool, PoolLimits, PoolStats};
pub use process::HookAction;
pub use stats::{DeliveryCounters, SinkStats, Stats};
