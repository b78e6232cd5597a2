//! Arbitrary bytes as a configuration document: never a panic; a refusal names a key path
//! (or none, for the document itself) that its message repeats; an accepted configuration is
//! valid (at least one sink, unique names, positive capacities, processing stages within their
//! ranges).
#![no_main]

use libfuzzer_sys::fuzz_target;
use logcap_core::Config;

fuzz_target!(|data: &[u8]| {
    let doc = String::from_utf8_lossy(data);
    match Config::from_json(&doc) {
        Ok(c) => {
            assert!(!c.sinks.is_empty());
            assert!(c.queue.capacity > 0 && c.batch.max_entries > 0 && c.batch.max_bytes > 0);
            for (i, s) in c.sinks.iter().enumerate() {
                assert!(!s.name.is_empty() && s.queue_capacity > 0);
                assert!(c.sinks[..i].iter().all(|o| o.name != s.name), "duplicate sink name");
            }
            if let Some(s) = &c.sampling {
                assert!(s.tick_ms > 0 && (s.initial > 0 || s.thereafter > 0));
            }
            if let Some(r) = &c.rate_limit {
                assert!(r.per_second > 0.0 && r.per_second <= 1e9 && r.burst > 0 && r.max_keys > 0);
            }
            if let Some(d) = &c.dedup {
                assert!(d.window_ms > 0 && d.max_keys > 0);
            }
        }
        Err(e) => {
            assert!(!e.message.is_empty());
            if !e.key.is_empty() {
                assert!(e.to_string().contains(&e.key));
            }
        }
    }
});
