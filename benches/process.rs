//! The processing stage: the standard event built and submitted with every stage off, then
//! with each stage on, through the Rust API, and the processor hook through the C ABI.
//!
//! Each case measures what the submitting thread pays: entries are submitted in chunks of
//! 1000 and the pipeline is flushed between chunks, outside the timed region, so the queue
//! never backs up and every acquire reuses a pooled entry (a backed-up queue would measure
//! allocation and queue policy instead of the stages). Deduplication runs on the batcher
//! thread, so its case shows only that producers do not pay for it. Where a stage could
//! refuse, the case is set so that entries pass (the cost of the decision), except
//! `sampling_flood`, zap's production setting under a flood of one message (99 in 100 are
//! refused: the cost of shedding load).
//!
//! The `lanes_*` cases are the same with `"queue": {"lanes": true}`, where sampling, rate
//! limiting and redaction run on the batcher (docs/processing.md, "Stages and lanes"): the
//! submitting thread then pays for the level check, the stamp and the lane.
//!
//! After each case the pipeline is closed and its counters checked: the case panics unless
//! every submitted entry was accepted and delivered by the sink, but for the refusals it is
//! set up to measure (`sampled_out` in `sampling_flood`, `deduplicated` in `dedup` and `all`).

use criterion::{black_box, criterion_group, criterion_main, Bencher, Criterion};
use logcap::builder::*;
use logcap::entry::*;
use logcap::pipeline::*;
use logcap::result::logcap_result;
use logcap::types::{logcap_sink_stats, logcap_stats};
use logcap_core::{HookAction, Pipeline, Stats};
use std::ffi::c_void;
use std::time::Duration;

mod common;
use common::{fill_c, fill_standard, ok};

/// Entries submitted between two (untimed) flushes.
const CHUNK: u64 = 1000;

/// Times `iters` calls of `submit_one`, flushing every [`CHUNK`] outside the timing.
fn chunked(iters: u64, submit_one: impl FnMut(), flush: impl FnMut()) -> Duration {
    common::timed_in_rounds(iters, CHUNK, submit_one, flush)
}

const BASE: &str =
    r#""queue":{"capacity":1048576,"when_full":"drop_newest"},"sinks":[{"type":"null"}]"#;

const CASES: [(&str, &str); 8] = [
    ("off", ""),
    (
        "sampling",
        r#""sampling":{"initial":1000000000000,"thereafter":1,"tick_ms":1000}"#,
    ),
    (
        "sampling_flood",
        r#""sampling":{"initial":100,"thereafter":100,"tick_ms":1000}"#,
    ),
    (
        "rate_limit",
        r#""rate_limit":{"per_second":1000000000,"burst":1000000000}"#,
    ),
    (
        "rate_limit_by_label",
        r#""rate_limit":{"per_second":1000000000,"burst":1000000000,"by_label":"service"}"#,
    ),
    ("dedup", r#""dedup":{"window_ms":1000,"max_keys":1024}"#),
    (
        "redact",
        r#""redact":{"keys":["password","*token*","*secret*"],"patterns":["credit_card","email","bearer_token"]}"#,
    ),
    (
        "all",
        r#""sampling":{"initial":1000000000000,"thereafter":1,"tick_ms":1000},
           "rate_limit":{"per_second":1000000000,"burst":1000000000,"by_label":"service"},
           "dedup":{"window_ms":1000,"max_keys":1024},
           "redact":{"keys":["password","*token*","*secret*"],"patterns":["credit_card","email","bearer_token"]}"#,
    ),
];

/// [`BASE`] with a lane per thread (`queue.lanes`): the stages run on the batcher. Each lane
/// holds a chunk and more (the entry API writes 16-byte entry frames).
const BASE_LANES: &str = r#""queue":{"capacity":1048576,"when_full":"drop_newest","lanes":true,"lane_bytes":1048576},"sinks":[{"type":"null"}]"#;

/// The cases run again with lanes: what the submitting thread saves when the stages move to
/// the batcher.
const LANE_CASES: [&str; 4] = ["off", "sampling", "redact", "all"];

fn config(stages: &str) -> String {
    config_on(BASE, stages)
}

fn config_on(base: &str, stages: &str) -> String {
    if stages.is_empty() {
        format!("{{{base}}}")
    } else {
        format!("{{{base},{stages}}}")
    }
}

extern "C" fn c_hook(_userdata: *mut c_void, e: *mut logcap_entry) -> i32 {
    let (k, v) = ("hooked", "yes");
    if logcap_set_label(e, k.as_ptr(), k.len(), v.as_ptr(), v.len()) == logcap_result::Ok {
        LOGCAP_PROCESSOR_KEEP
    } else {
        -1
    }
}

fn open_c(hook: bool) -> *mut logcap_pipeline {
    let cfg = config("");
    let mut b = std::ptr::null_mut();
    ok(logcap_builder_new(cfg.as_ptr(), cfg.len(), &mut b));
    if hook {
        ok(logcap_builder_set_processor(
            b,
            Some(c_hook),
            std::ptr::null_mut(),
        ));
    }
    let mut p = std::ptr::null_mut();
    ok(logcap_builder_build(b, &mut p));
    p
}

/// The standard event through the Rust API, timed as [`chunked`] does.
fn rust_events(b: &mut Bencher<'_>, p: &Pipeline) {
    b.iter_custom(|iters| {
        chunked(
            iters,
            || {
                let e = p.acquire();
                e.with(fill_standard);
                let _ = black_box(p.submit(e));
            },
            || p.flush(Duration::from_secs(30)).unwrap(),
        )
    })
}

/// Panics unless every entry of a closed pipeline was accepted and delivered, but for the
/// refusals the case measures: `sampled_out` for `sampling_flood`, `deduplicated` where dedup
/// is on.
fn assert_nothing_lost(case: &str, s: &Stats) {
    let expected = match case {
        "sampling_flood" => s.sampled_out,
        "dedup" | "all" => s.deduplicated,
        _ => 0,
    };
    let k = &s.sinks[0];
    let lost = s.submitted == 0
        || s.dropped() != expected
        || s.accepted + expected != s.submitted
        || s.queued != 0
        || k.delivered != s.accepted
        || k.dropped + k.failed != 0;
    assert!(
        !lost,
        "{case}: the pipeline lost entries it counts as done: {s:#?}"
    );
}

/// The same check through the C ABI's counters (no stage on, so nothing may be refused).
fn assert_nothing_lost_c(case: &str, p: *mut logcap_pipeline) {
    let mut s = logcap_stats::default();
    ok(logcap_pipeline_stats(p, &mut s));
    let mut k = logcap_sink_stats::default();
    ok(logcap_pipeline_sink_stats(p, 0, &mut k));
    let lost = s.submitted == 0
        || s.accepted != s.submitted
        || s.queued != 0
        || k.delivered != s.submitted
        || k.dropped + k.failed != 0;
    assert!(
        !lost,
        "{case}: the pipeline lost entries it counts as done: submitted {}, accepted {}, \
         queue full {}, sink delivered {} dropped {} failed {}",
        s.submitted, s.accepted, s.dropped_queue_full, k.delivered, k.dropped, k.failed
    );
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("process_standard_event");
    for (name, stages) in CASES {
        let p = Pipeline::from_json(&config(stages)).unwrap();
        g.bench_function(name, |b| rust_events(b, &p));
        p.close(Duration::from_secs(30)).unwrap();
        assert_nothing_lost(name, &p.stats());
    }
    for (name, stages) in CASES.iter().filter(|(n, _)| LANE_CASES.contains(n)) {
        let p = Pipeline::from_json(&config_on(BASE_LANES, stages)).unwrap();
        g.bench_function(format!("lanes_{name}"), |b| rust_events(b, &p));
        p.close(Duration::from_secs(30)).unwrap();
        assert_nothing_lost(name, &p.stats());
    }
    let p = Pipeline::builder(logcap_core::Config::from_json(&config("")).unwrap())
        .processor(|e| {
            e.set_label("hooked", "yes").unwrap();
            HookAction::Keep
        })
        .build()
        .unwrap();
    g.bench_function("hook_rust", |b| rust_events(b, &p));
    p.close(Duration::from_secs(30)).unwrap();
    assert_nothing_lost("hook_rust", &p.stats());
    for (name, hook) in [("c_off", false), ("c_hook", true)] {
        let p = open_c(hook);
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                chunked(
                    iters,
                    || {
                        let mut e = std::ptr::null_mut();
                        ok(logcap_acquire(p, &mut e));
                        fill_c(e);
                        let _ = black_box(logcap_submit(p, e));
                    },
                    || ok(logcap_pipeline_flush(p, 30_000)),
                )
            })
        });
        ok(logcap_pipeline_close(p, 30_000));
        assert_nothing_lost_c(name, p);
        logcap_pipeline_free(p);
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
