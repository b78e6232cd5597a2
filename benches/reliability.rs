//! Benchmarks of the pipeline's behaviour under pressure, each judged as a ratio between its
//! two functions measured in the same run (docs/benchmarks.md):
//!
//! | name                                  | what one iteration is                                 |
//! |---------------------------------------|-------------------------------------------------------|
//! | `block_queue/capacity_{64,4096}`      | 200,000 standard events from one producer through an  |
//! |                                       | intake queue of that capacity under `block`, into a   |
//! |                                       | null sink, then flush                                  |
//! | `slow_neighbour/file_alone`           | 200,000 events into a file sink, timed until the file |
//! |                                       | sink has delivered all of them                        |
//! | `slow_neighbour/file_beside_slow_callback` | the same with a callback sink beside it that sleeps |
//! |                                       | 50 ms per batch, on its default policy                |
//!
//! Targets: capacity 64 within 2× of capacity 4096 (a producer waiting for room is woken when
//! there is room); the file sink beside the slow callback within 2× of its time alone (a slow
//! sink degrades only itself). Every run panics unless the sinks that must get everything did.
//!
//! `cargo bench --bench reliability`; `-- --test` runs each once, as a check.

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode,
    Throughput,
};
use logcap_core::Pipeline;
use std::time::{Duration, Instant};

mod common;
use common::fill_standard;

const EVENTS: u64 = 200_000;
const LONG: Duration = Duration::from_secs(600);

fn submit(p: &Pipeline, n: u64) {
    for _ in 0..n {
        let e = p.acquire();
        e.with(fill_standard);
        p.submit(e).expect("block never refuses within its timeout");
    }
}

/// A group of runs of `EVENTS` entries each: ten samples of one run.
fn group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements(EVENTS));
    g
}

fn block_queue(c: &mut Criterion) {
    let mut g = group(c, "block_queue");
    for capacity in [64usize, 4096] {
        g.bench_function(BenchmarkId::new("capacity", capacity), |b| {
            let p = Pipeline::from_json(&format!(
                r#"{{"queue":{{"capacity":{capacity},"when_full":"block","block_timeout_ms":600000}},
                    "sinks":[{{"type":"null"}}]}}"#
            ))
            .unwrap();
            let mut rounds = 0;
            b.iter(|| {
                submit(&p, EVENTS);
                p.flush(LONG).unwrap();
                rounds += 1;
            });
            p.close(LONG).unwrap();
            let s = p.stats();
            assert_eq!(s.sinks[0].delivered, rounds * EVENTS, "{s:#?}");
            assert_eq!(s.dropped(), 0, "{s:#?}");
        });
    }
    g.finish();
}

/// Runs one iteration: `EVENTS` into a fresh pipeline's file sink, with or without a slow
/// callback beside it; returns how long until the file sink had delivered them all.
fn file_run(dir: &std::path::Path, slow: bool) -> Duration {
    let path = dir.join(if slow { "beside.log" } else { "alone.log" });
    let _ = std::fs::remove_file(&path);
    let sinks = if slow {
        format!(r#"[{{"type":"file","path":{path:?}}},{{"type":"callback","name":"slow"}}]"#)
    } else {
        format!(r#"[{{"type":"file","path":{path:?}}}]"#)
    };
    let cfg = logcap_core::Config::from_json(&format!(
        r#"{{"queue":{{"when_full":"block","block_timeout_ms":600000}},"sinks":{sinks}}}"#
    ))
    .unwrap();
    let mut b = Pipeline::builder(cfg);
    if slow {
        b = b.callback("slow", |_| {
            std::thread::sleep(Duration::from_millis(50));
            Ok(())
        });
    }
    let p = b.build().unwrap();
    let t0 = Instant::now();
    submit(&p, EVENTS);
    while p.stats().sinks[0].delivered < EVENTS {
        std::thread::sleep(Duration::from_micros(200));
    }
    let took = t0.elapsed();
    // Close at once: the slow sink's backlog is abandoned (counted as dropped), not waited for.
    let _ = p.close(Duration::ZERO);
    p.close(LONG).unwrap();
    let s = p.stats();
    let file = &s.sinks[0];
    assert_eq!((file.delivered, file.dropped), (EVENTS, 0), "{s:#?}");
    if slow {
        let k = &s.sinks[1];
        assert_eq!(k.received, k.delivered + k.dropped + k.failed, "{s:#?}");
    }
    took
}

fn slow_neighbour(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut g = group(c, "slow_neighbour");
    for (name, slow) in [("file_alone", false), ("file_beside_slow_callback", true)] {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| (0..iters).map(|_| file_run(dir.path(), slow)).sum());
        });
    }
    g.finish();
}

criterion_group!(benches, block_queue, slow_neighbour);
criterion_main!(benches);
