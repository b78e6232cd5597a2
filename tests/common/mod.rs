//! Helpers shared by the integration tests.
#![allow(dead_code)]

use logcap_core::{Entry, EntryData, Pipeline};

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
