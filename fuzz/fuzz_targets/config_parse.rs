//! Arbitrary bytes as a configuration document: never a panic; a refusal names a key path
//! (or none, for the document itself) that its message repeats; an accepted configuration is
//! valid (at least one sink, unique names, positive capacities).
#![no_main]

use libfuzzer_sys::fuzz_target;
use logcap::Config;

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
        }
        Err(e) => {
            assert!(!e.message.is_empty());
            if !e.key.is_empty() {
                assert!(e.to_string().contains(&e.key));
            }
        }
    }
});
