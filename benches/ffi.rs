//! The C ABI against the Rust API it wraps, measured in the same run: acquire+release,
//! set_label, the standard event by handle calls, and the standard event as one packed record.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use logcap::ffi::entry::*;
use logcap::ffi::pipeline::*;
use logcap::{EntryData, Pipeline};
use std::time::Duration;

mod common;
use common::{fill_c, fill_standard, ok};

const CONFIG: &str =
    r#"{"queue":{"capacity":1048576,"when_full":"drop_newest"},"sinks":[{"type":"null"}]}"#;

fn open_c() -> *mut logcap_pipeline {
    let mut p = std::ptr::null_mut();
    ok(logcap_pipeline_new(CONFIG.as_ptr(), CONFIG.len(), &mut p));
    p
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

    let mut g = c.benchmark_group("abi_standard_event");
    g.bench_function("rust_handle_calls", |b| {
        b.iter(|| {
            let e = rp.acquire();
            e.with(fill_standard);
            let _ = rp.submit(e);
        })
    });
    g.bench_function("c_handle_calls", |b| {
        b.iter(|| {
            let mut e = std::ptr::null_mut();
            ok(logcap_acquire(p, &mut e));
            fill_c(e);
            let _ = logcap_submit(p, e);
        })
    });
    let mut std_event = EntryData::new();
    fill_standard(&mut std_event);
    let mut record = Vec::new();
    logcap::record::encode_entry(&std_event, &mut record).unwrap();
    g.bench_function("c_packed_record", |b| {
        b.iter(|| {
            let r = black_box(&record);
            let _ = logcap_pipeline_submit_record(p, r.as_ptr(), r.len());
        })
    });
    g.finish();

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
