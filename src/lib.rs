//! logcap: a log pipeline core for polyglot services.
//!
//! Pooled entries with locked label and field maps, an asynchronous dispatcher that batches
//! entries and fans each immutable batch out to several isolated sinks, and a C ABI (in
//! [`ffi`]) that C, C++, Go and Node.js programs share.
//!
//! ```
//! use logcap::{Config, Level, Pipeline};
//!
//! let cfg = Config::from_json(r#"{"sinks": [{"type": "null"}]}"#).unwrap();
//! let pipeline = Pipeline::new(cfg).unwrap();
//! let entry = pipeline.acquire();
//! entry.set_level(Level::Info);
//! entry.set_message("request completed");
//! entry.set_label("service", "checkout").unwrap();
//! entry.set_field("status", 200i64).unwrap();
//! pipeline.submit(entry).unwrap();
//! pipeline.close(std::time::Duration::from_secs(5)).unwrap();
//! assert_eq!(pipeline.stats().sinks[0].delivered, 1);
//! ```

pub mod entry;
pub mod pool;
pub mod record;

pub use entry::{Entry, EntryData, EntryError, Level, Value, ValueKind, ValueRef};
pub use pool::{Pool, PoolLimits, PoolStats};
