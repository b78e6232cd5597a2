//! The CPU time each thread of a pipeline spends per entry: the standard event, encoded
//! beforehand as a packed record, submitted by one or two producer threads into a null sink,
//! through the producers' lanes and through the shared queue (`queue.lanes`). Read from the
//! kernel's per-thread counters (/proc/self/task/*/stat, Linux only), so the figures are CPU
//! time, not wall time: what the batcher (the consumer) costs per entry whatever else runs.
//!
//! `cargo run --release --example intake_cpu [entries]` (default 2,000,000 per producer).

mod common;

use common::{clk_tck, standard_record, thread_ticks};
use logcap_core::Pipeline;
use std::time::{Duration, Instant};

fn run(lanes: bool, producers: usize, each: u64, record: &[u8]) {
    let p = Pipeline::from_json(&format!(
        r#"{{"queue": {{"capacity": 65536, "when_full": "block", "block_timeout_ms": 600000,
                        "lanes": {lanes}}},
            "sinks": [{{"type": "null", "name": "null", "block_timeout_ms": 600000}}]}}"#
    ))
    .unwrap();
    let before = thread_ticks();
    let t = Instant::now();
    let producer_ticks: u64 = std::thread::scope(|s| {
        let threads: Vec<_> = (0..producers)
            .map(|i| {
                let (p, record) = (&p, record);
                std::thread::Builder::new()
                    .name(format!("producer-{i}"))
                    .spawn_scoped(s, move || {
                        for _ in 0..each {
                            p.submit_record(record).unwrap();
                        }
                        // The thread's own counters, read before it exits.
                        thread_ticks()
                            .get(&format!("producer-{i}"))
                            .copied()
                            .unwrap_or(0)
                    })
                    .unwrap()
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).sum()
    });
    p.flush(Duration::from_secs(600)).unwrap();
    let wall = t.elapsed();
    let after = thread_ticks();
    let total = each * producers as u64;
    let s = p.stats();
    assert_eq!((s.submitted, s.accepted), (total, total), "{s:#?}");
    let tick_ns = 1e9 / clk_tck();
    let per = |name: &str| {
        let d = after.get(name).copied().unwrap_or(0) - before.get(name).copied().unwrap_or(0);
        d as f64 * tick_ns / total as f64
    };
    println!(
        "lanes {lanes:5}, {producers} producer(s), {total} entries: {:.2} M entries/s wall; \
         CPU ns per entry: producers {:.0}, batcher {:.0}, null sink {:.0}",
        total as f64 / wall.as_secs_f64() / 1e6,
        producer_ticks as f64 * tick_ns / total as f64,
        per("logcap-batcher"),
        per("logcap-sink-nul"),
    );
    p.close(Duration::from_secs(600)).unwrap();
}

fn main() {
    let each: u64 = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("entries per producer"))
        .unwrap_or(2_000_000);
    let record = standard_record();
    for round in 0..2 {
        println!("round {round}");
        for producers in [1, 2] {
            for lanes in [true, false] {
                run(lanes, producers, each, &record);
            }
        }
    }
}
