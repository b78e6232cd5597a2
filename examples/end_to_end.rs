//! End-to-end throughput of one build, for A/B runs against another build of the library:
//! producer threads submit the standard event into a null sink or a JSON-lines file in rounds
//! of 20,000, each round ended by a flush, and the program prints the median round's rate and
//! the CPU time each thread of the process spent per entry (the kernel's per-thread counters,
//! /proc/self/task/*/stat: Linux only).
//!
//! ```text
//! cargo run --release --example end_to_end -- SINK WORK PRODUCERS LANES
//!   SINK       null | file      (the file is a temporary one, removed at the end)
//!   WORK       record           the event encoded beforehand, Pipeline::submit_record
//!              trusted          the same through Pipeline::submit_trusted_record (what
//!                               logcap.hpp, the record writer, Go and Node.js submit)
//!              entry            acquire, twelve setters, submit (the entry API)
//!   PRODUCERS  1, 2, ...        threads, the round split evenly between them
//!   LANES      1 | 0 | -        queue.lanes on, off, or not in the configuration
//! ROUNDS=100 (environment): timed rounds, after ten untimed ones
//! ```
//!
//! The program uses only what the library had before its lanes (the commit e49ec3d), so the
//! same files build against both: copy it and `examples/common/` into that checkout's
//! `examples/` without the `trusted` arm (no `submit_trusted_record` then) and pass `-` for
//! LANES. docs/benchmarks.md, "Against the commit before the lanes", has the figures. It panics
//! unless every entry was delivered and none dropped: a run never measures losses.

mod common;

use common::{clk_tck, standard_record, thread_ticks, LABELS};
use logcap_core::{Level, Pipeline};
use std::collections::BTreeMap;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

const ROUND: usize = 20_000;
const WARM_UP: usize = 10;

fn submit_entry(p: &Pipeline) {
    let e = p.acquire();
    e.set_level(Level::Info);
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
    let _ = p.submit(e);
}

fn usage(what: &str) -> ! {
    eprintln!(
        "end_to_end: {what}\nusage: end_to_end null|file record|trusted|entry PRODUCERS 1|0|-"
    );
    std::process::exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [sink, work, producers, lanes] = args.as_slice() else {
        usage("four arguments expected")
    };
    if !["record", "trusted", "entry"].contains(&work.as_str()) {
        usage(&format!("unknown WORK {work:?}"));
    }
    let producers: usize = match producers.parse() {
        Ok(n) if (1..=ROUND).contains(&n) => n,
        _ => usage(&format!(
            "PRODUCERS must be 1 to {ROUND}, not {producers:?}"
        )),
    };
    let lanes = match lanes.as_str() {
        "-" => String::new(),
        "1" | "0" => format!(r#", "lanes": {}"#, lanes == "1"),
        _ => usage(&format!("LANES must be 1, 0 or -, not {lanes:?}")),
    };
    let rounds: usize = match std::env::var("ROUNDS") {
        Ok(s) => s
            .parse()
            .unwrap_or_else(|_| usage("ROUNDS must be a number")),
        Err(_) => 100,
    };
    let path = std::env::temp_dir().join(format!("logcap_end_to_end_{}.log", std::process::id()));
    let sink_doc = match sink.as_str() {
        "null" => {
            r#"{"type": "null", "name": "null", "when_full": "block", "block_timeout_ms": 600000}"#
                .to_string()
        }
        "file" => format!(
            r#"{{"type": "file", "name": "file", "path": {}, "format": "json",
                "fsync_on_flush": false, "when_full": "block", "block_timeout_ms": 600000}}"#,
            serde_json::to_string(path.to_str().expect("UTF-8 temporary path")).unwrap()
        ),
        _ => usage(&format!("unknown SINK {sink:?}")),
    };
    let p = Arc::new(
        Pipeline::from_json(&format!(
            r#"{{"queue": {{"capacity": 65536, "when_full": "block", "block_timeout_ms": 600000{lanes}}},
                "batch": {{"max_entries": 512}}, "sinks": [{sink_doc}]}}"#
        ))
        .expect("configuration"),
    );

    let record = Arc::new(standard_record());
    let each = ROUND / producers;
    // Each round: the main thread and the producers meet at `start`, the producers submit their
    // share, all meet at `done`, the main thread flushes. One more `start` at the end keeps
    // the producers alive until their CPU counters have been read.
    let start = Arc::new(Barrier::new(producers + 1));
    let done = Arc::new(Barrier::new(producers + 1));
    let threads: Vec<_> = (0..producers)
        .map(|_| {
            let (p, record, start, done, work) = (
                Arc::clone(&p),
                Arc::clone(&record),
                Arc::clone(&start),
                Arc::clone(&done),
                work.clone(),
            );
            std::thread::Builder::new()
                .name("producer".into())
                .spawn(move || {
                    for _ in 0..WARM_UP + rounds {
                        start.wait();
                        for _ in 0..each {
                            // Refusals are not checked here: the stats at the end are.
                            match work.as_str() {
                                "record" => {
                                    let _ = p.submit_record(std::hint::black_box(&record));
                                }
                                "trusted" => {
                                    let _ = p.submit_trusted_record(std::hint::black_box(&record));
                                }
                                _ => submit_entry(&p),
                            }
                        }
                        done.wait();
                    }
                    start.wait();
                })
                .expect("a producer thread")
        })
        .collect();

    let mut times = Vec::with_capacity(rounds);
    let mut before = BTreeMap::new();
    for round in 0..WARM_UP + rounds {
        if round == WARM_UP {
            before = thread_ticks();
        }
        let t = Instant::now();
        start.wait();
        done.wait();
        p.flush(Duration::from_secs(600)).expect("flush");
        if round >= WARM_UP {
            times.push(t.elapsed().as_secs_f64());
        }
    }
    let after = thread_ticks();
    start.wait();
    for t in threads {
        t.join().expect("producer thread");
    }
    p.close(Duration::from_secs(600)).expect("close");

    let s = p.stats();
    let total = ((WARM_UP + rounds) * each * producers) as u64;
    let delivered = s.sinks.iter().all(|k| k.delivered == total);
    if s.submitted != total || s.dropped() != 0 || !delivered {
        panic!("{total} entries submitted, but not all were delivered: {s:#?}");
    }
    let _ = std::fs::remove_file(&path);

    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let timed = (rounds * each * producers) as f64;
    let tick_ns = 1e9 / clk_tck();
    let cpu: Vec<String> = after
        .iter()
        .filter_map(|(name, t)| {
            let ns = (t - before.get(name).copied().unwrap_or(0)) as f64 * tick_ns / timed;
            (ns >= 1.0).then(|| format!("{name} {ns:.0}"))
        })
        .collect();
    println!(
        "{sink} {work} {producers}p lanes={}: median {:.2} M entries/s; CPU ns per entry: {}",
        args[3],
        (each * producers) as f64 / median / 1e6,
        cpu.join(", ")
    );
}
