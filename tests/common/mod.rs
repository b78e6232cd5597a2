//! Helpers shared by the integration tests.
#![allow(dead_code)]

use logcap_core::{Entry, EntryData, Pipeline, SinkStats, Stats};
use std::path::Path;
use std::time::{Duration, Instant};

/// The standard event of ../shared/standard-event.json, as labels and typed fields.
pub const LABELS: [(&str, &str); 4] = [
    ("service", "checkout"),
    ("env", "prod"),
    ("host", "web-1"),
    ("region", "eu-west-1"),
];

/// Fills an entry with the standard event.
pub fn fill_standard(e: &mut EntryData) {
    e.set_level(logcap_core::Level::Info);
    e.set_message("request completed");
    for (k, v) in LABELS {
        e.set_label(k, v).unwrap();
    }
    e.set_field("method", "GET").unwrap();
    e.set_field("path", "/api/v1/orders/12345").unwrap();
    e.set_field("status", 200i64).unwrap();
    e.set_field("latency_ms", 12.5).unwrap();
    e.set_field("user_id", "u-998877").unwrap();
    e.set_field("cache_hit", true).unwrap();
}

/// A pooled entry holding the standard event with a sequence number field.
pub fn standard_entry(p: &Pipeline, seq: u64) -> Entry {
    let e = p.acquire();
    e.with(|d| {
        fill_standard(d);
        d.set_field("seq", seq).unwrap();
    });
    e
}

/// A minute ago: recent enough for a backend's retention, exact enough to compare
/// timestamps `base + seq µs`.
pub fn base_ns() -> u64 {
    logcap_core::clock::now_ns() - 60_000_000_000
}

/// The stats of the sink `name`.
pub fn sink<'a>(s: &'a Stats, name: &str) -> &'a SinkStats {
    s.sinks.iter().find(|k| k.name == name).unwrap()
}

/// `{"batch": …, "sinks": [sinks…]}` with small, quick batches.
pub fn pipeline(sinks: &str) -> Pipeline {
    Pipeline::from_json(&format!(
        r#"{{"batch":{{"max_entries":100,"max_delay_ms":20}},"sinks":[{sinks}]}}"#
    ))
    .unwrap()
}

/// The records of a dead-letter file (none if it does not exist).
pub fn read_dead_letters(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Each named test function, given whether the pipeline has lanes, runs twice: `name::
/// shared_queue` and `name::lanes` (`"queue": {"lanes": true}`).
#[allow(unused_macros)] // not every test file uses it
macro_rules! in_both_intakes {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn shared_queue() {
                    super::$name(false)
                }
                #[test]
                fn lanes() {
                    super::$name(true)
                }
            }
        )*
    };
}
#[allow(unused_imports)]
pub(crate) use in_both_intakes;

/// Waits, a minute at most, until the pipeline's stats satisfy `cond` (the batcher and the sinks
/// have caught up); panics with the stats after that.
pub fn wait_until(p: &Pipeline, cond: impl Fn(&Stats) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cond(&p.stats()) {
        assert!(Instant::now() < deadline, "{:#?}", p.stats());
        std::thread::yield_now();
    }
}
