//! What the benchmarks share: the standard event (the integration tests' own fill), the same
//! filled through the C ABI's handle calls, and timing in rounds.
#![allow(dead_code)]

#[path = "../../tests/common/mod.rs"]
mod fixtures;
// Not every benchmark uses both.
#[allow(unused_imports)]
pub use fixtures::{fill_standard, LABELS};

use logcap::entry::*;
use logcap::result::logcap_result;
use std::time::{Duration, Instant};

/// Asserts a C ABI call succeeded.
pub fn ok(r: logcap_result) {
    assert_eq!(r, logcap_result::Ok);
}

macro_rules! s {
    ($lit:expr) => {
        ($lit.as_ptr(), $lit.len())
    };
}

/// Fills an entry with the standard event, one exported call per attribute.
pub fn fill_c(e: *mut logcap_entry) {
    ok(logcap_entry_set_level(e, 2));
    let (m, ml) = s!("request completed");
    ok(logcap_entry_set_message(e, m, ml));
    for (k, v) in [
        ("service", "checkout"),
        ("env", "prod"),
        ("host", "web-1"),
        ("region", "eu-west-1"),
    ] {
        ok(logcap_set_label(
            e,
            k.as_ptr(),
            k.len(),
            v.as_ptr(),
            v.len(),
        ));
    }
    for (k, v) in [
        ("method", "GET"),
        ("path", "/api/v1/orders/12345"),
        ("user_id", "u-998877"),
    ] {
        ok(logcap_entry_set_field_str(
            e,
            k.as_ptr(),
            k.len(),
            v.as_ptr(),
            v.len(),
        ));
    }
    let (k, kl) = s!("status");
    ok(logcap_entry_set_field_i64(e, k, kl, 200));
    let (k, kl) = s!("latency_ms");
    ok(logcap_entry_set_field_f64(e, k, kl, 12.5));
    let (k, kl) = s!("cache_hit");
    ok(logcap_entry_set_field_bool(e, k, kl, true));
}

/// Times `iters` calls of `submit_one` in rounds of `round`, with `flush` between rounds
/// outside the timing: the producer's cost with the pipeline's threads working beside it,
/// and never the cost of a drop or of a backlog (the round fits in the pool and the queue).
pub fn timed_in_rounds(
    iters: u64,
    round: u64,
    mut submit_one: impl FnMut(),
    mut flush: impl FnMut(),
) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let n = left.min(round);
        let t = Instant::now();
        for _ in 0..n {
            submit_one();
        }
        total += t.elapsed();
        flush();
        left -= n;
    }
    total
}
