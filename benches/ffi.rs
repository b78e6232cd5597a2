//! The C ABI against the Rust API it wraps, measured in the same run: acquire+release,
//! set_label, the standard event by handle calls, and the standard event as one packed record.

use criterion::{black_box, criterion_group, criterion_main, Bencher, Criterion};
use logcap::entry::*;
use logcap::pipeline::*;
use logcap_core::{EntryData, Pipeline};
use std::time::Duration;

mod common;
use common::{fill_c, fill_standard, ok, timed_in_rounds};

const CONFIG: &str =
    r#"{"queue":{"capacity":1048576,"when_full":"drop_newest"},"sinks":[{"type":"null"}]}"#;

fn open_c() -> *mut logcap_pipeline {
    let mut p = std::ptr::null_mut();
    ok(logcap_pipeline_new(CONFIG.as_ptr(), CONFIG.len(), &mut p));
    p
}

/// Entries per timed round: fewer than the pool keeps idle and the queue holds.
const ROUND: u64 = 4096;

/// Times `iters` calls of `submit` in rounds of [`ROUND`], with `flush` between rounds
/// outside the timing.
fn producer_side(b: &mut Bencher<'_>, flush: impl Fn(), mut submit: impl FnMut()) {
    b.iter_custom(|iters| timed_in_rounds(iters, ROUND, &mut submit, &flush))
}

fn bench(c: &mut Criterion) {
    let p = open_c();
    let rp = Pipeline::from_json(CONFIG).unwrap();

    let mut g = c.benchmark_group("abi_acquire_release");
    g.bench_function("rust", |b| b.iter(|| drop(black_box(rp.acquire()))));
    g.bench_function("c", |b| {
        b.iter(|| {
            let mut e = std::ptr::null_mut();
            ok(logcap_acquire(p, &mut e));
            ok(logcap_release(black_box(e)));
        })
    });
    g.finish();

    let mut g = c.benchmark_group("abi_set_label");
    let entry = rp.acquire();
    g.bench_function("rust", |b| {
        b.iter(|| {
            entry
                .set_label(black_box("service"), black_box("checkout"))
                .unwrap()
        })
    });
    let mut e = std::ptr::null_mut();
    ok(logcap_acquire(p, &mut e));
    g.bench_function("c", |b| {
        b.iter(|| {
            let (k, v) = (black_box("service"), black_box("checkout"));
            ok(logcap_set_label(
                e,
                k.as_ptr(),
                k.len(),
                v.as_ptr(),
                v.len(),
            ))
        })
    });
    ok(logcap_release(e));
    g.finish();

    // The standard event, timed on the producer's side: in rounds that the pool and the queue
    // hold, with a flush between rounds outside the timing. The batcher and the sink work
    // beside the producer, as in a service, and no entry is ever dropped for a full queue, so
    // the figures are the cost of a logged entry, never the cheaper cost of a refused one.
    let flush_c = || ok(logcap_pipeline_flush(p, 30_000));
    let flush_rust = || rp.flush(Duration::from_secs(30)).unwrap();
    let mut g = c.benchmark_group("abi_standard_event");
    g.bench_function("rust_handle_calls", |b| {
        producer_side(b, flush_rust, || {
            let e = rp.acquire();
            e.with(fill_standard);
            let _ = rp.submit(e);
        })
    });
    g.bench_function("c_handle_calls", |b| {
        producer_side(b, flush_c, || {
            let mut e = std::ptr::null_mut();
            ok(logcap_acquire(p, &mut e));
            fill_c(e);
            ok(logcap_submit(p, e));
        })
    });
    let mut std_event = EntryData::new();
    fill_standard(&mut std_event);
    let mut record = Vec::new();
    logcap_core::record::encode_entry(&std_event, &mut record).unwrap();
    g.bench_function("rust_packed_record", |b| {
        producer_side(b, flush_rust, || {
            rp.submit_record(black_box(&record)).unwrap();
        })
    });
    g.bench_function("c_packed_record", |b| {
        producer_side(b, flush_c, || {
            let r = black_box(&record);
            ok(logcap_pipeline_submit_record(p, r.as_ptr(), r.len()));
        })
    });
    g.finish();

    // Where a packed record's cost goes: the check on the producer's side, and the decode
    // that the batcher runs (here on one warm entry).
    let mut g = c.benchmark_group("record");
    g.bench_function("check", |b| {
        b.iter(|| logcap_core::record::check(black_box(&record)).unwrap())
    });
    let mut warm = EntryData::new();
    g.bench_function("decode", |b| {
        b.iter(|| logcap_core::record::decode_into(black_box(&record), &mut warm).unwrap())
    });
    g.finish();

    // End to end: 20,000 records submitted, then flushed, timed as a whole: what the batcher
    // (which decodes) and the sink sustain.
    let mut g = c.benchmark_group("record_throughput");
    g.throughput(criterion::Throughput::Elements(20_000));
    g.bench_function("null_1p", |b| {
        b.iter(|| {
            for _ in 0..20_000 {
                rp.submit_record(black_box(&record)).unwrap();
            }
            flush_rust();
        })
    });
    g.bench_function("null_1p_handle_calls", |b| {
        b.iter(|| {
            for _ in 0..20_000 {
                let e = rp.acquire();
                e.with(fill_standard);
                rp.submit(e).unwrap();
            }
            flush_rust();
        })
    });
    g.finish();

    let s = rp.stats();
    assert_eq!(s.dropped_queue_full, 0, "the queue never filled");
    rp.close(Duration::from_secs(30)).unwrap();
    ok(logcap_pipeline_close(p, 30_000));
    logcap_pipeline_free(p);
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
