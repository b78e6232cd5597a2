//! The whole pipeline with faulty sinks: one that fails, one that hangs, one that panics and
//! one that is slow, beside a file sink, under load from several threads, closed at a random
//! moment. At the end the invariants of src/stats.rs hold exactly and the file is complete.
//!
//! The moment, the intake policy and the close deadline come from a seed, printed so that a
//! failure can be replayed: `LOGCAP_SEED=<seed> cargo test --test fault_injection`.

mod common;

use common::standard_entry;
use logcap_core::sink::SinkError;
use logcap_core::{Config, Error, Pipeline};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(120);
const THREADS: u64 = 4;
/// Sequence numbers of producer `t` start at `t * SPAN`.
const SPAN: u64 = 1 << 40;

/// splitmix64: enough randomness for choosing moments, reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn seed() -> u64 {
    std::env::var("LOGCAP_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
}

/// How the producers' submits ended.
#[derive(Default)]
struct Outcomes {
    ok: AtomicU64,
    refused: AtomicU64,
    closed: AtomicU64,
}

/// Calls into the callback sinks, to check that none starts after close returns.
#[derive(Default)]
struct Calls {
    total: AtomicU64,
    running: AtomicU64,
}

impl Calls {
    fn enter(&self) {
        self.total.fetch_add(1, Ordering::SeqCst);
        self.running.fetch_add(1, Ordering::SeqCst);
    }
    fn leave(&self) {
        self.running.fetch_sub(1, Ordering::SeqCst);
    }
}

#[test]
fn faulty_sinks_under_load_closed_at_a_random_moment() {
    let seed = seed();
    println!("fault_injection seed: {seed} (LOGCAP_SEED={seed} replays it)");
    let mut rng = Rng(seed);
    let policy = ["block", "drop_newest", "drop_oldest"][rng.below(3) as usize];
    let run_for = Duration::from_millis(50 + rng.below(450));
    let close_deadline = Duration::from_millis(300 + rng.below(500));
    println!("intake {policy}, close after {run_for:?} with a {close_deadline:?} deadline");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let cfg = Config::from_json(&format!(
        r#"{{"queue":{{"capacity":1024,"when_full":"{policy}","block_timeout_ms":50}},
            "batch":{{"max_entries":64,"max_delay_ms":2}},
            "sinks":[{{"type":"file","name":"disk","path":{:?}}},
                     {{"type":"callback","name":"failing"}},
                     {{"type":"callback","name":"hanging","queue_capacity":2}},
                     {{"type":"callback","name":"panicking"}},
                     {{"type":"callback","name":"slow","queue_capacity":4}}]}}"#,
        path.to_str().unwrap()
    ))
    .unwrap();

    let calls = Arc::new(Calls::default());
    // The hanging sink blocks in every call until the test lets go, well after close's
    // deadline; close must wait for the call it is in, and start no other.
    let (release_tx, release_rx) = crossbeam_channel::bounded::<()>(0);
    let mut n_failing = 0u64;
    let mut n_panicking = 0u64;
    let (c1, c2, c3, c4) = (calls.clone(), calls.clone(), calls.clone(), calls.clone());
    let p = Pipeline::builder(cfg)
        .callback("failing", move |_| {
            c1.enter();
            n_failing += 1;
            let r = if n_failing.is_multiple_of(3) {
                Err(SinkError::new("refused on purpose"))
            } else {
                Ok(())
            };
            c1.leave();
            r
        })
        .callback("hanging", move |_| {
            c2.enter();
            let _ = release_rx.recv();
            c2.leave();
            Ok(())
        })
        .callback("panicking", move |_| {
            c3.enter();
            n_panicking += 1;
            // Leave the call before unwinding: the counter must not stay up.
            c3.leave();
            if !n_panicking.is_multiple_of(2) {
                panic!("sink bug #{n_panicking}");
            }
            Ok(())
        })
        .callback("slow", move |_| {
            c4.enter();
            std::thread::sleep(Duration::from_millis(3));
            c4.leave();
            Ok(())
        })
        .build()
        .unwrap();

    let outcomes = Outcomes::default();
    let stop = AtomicBool::new(false);
    let close_result = std::thread::scope(|s| {
        for t in 0..THREADS {
            let (p, outcomes, stop) = (&p, &outcomes, &stop);
            s.spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    match p.submit(standard_entry(p, t * SPAN + i)) {
                        Ok(()) => outcomes.ok.fetch_add(1, Ordering::Relaxed),
                        Err(Error::QueueFull | Error::Timeout) => {
                            outcomes.refused.fetch_add(1, Ordering::Relaxed)
                        }
                        Err(Error::Closed) => {
                            outcomes.closed.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                        Err(e) => panic!("unexpected refusal: {e}"),
                    };
                    i += 1;
                }
            });
        }
        std::thread::sleep(run_for);
        let released = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(1_500));
            drop(release_tx);
        });
        // Close while the producers are still submitting.
        let t0 = Instant::now();
        let r = p.close(close_deadline);
        let took = t0.elapsed();
        stop.store(true, Ordering::Relaxed);
        released.join().unwrap();
        (r, took)
    });
    let (first_close, took) = close_result;
    // The hanging sink holds a batch past the deadline: close abandons delivery, after waiting
    // for the call in progress.
    assert_eq!(first_close, Err(Error::Timeout), "closed in {took:?}");
    assert!(took >= close_deadline, "{took:?}");
    assert_eq!(
        calls.running.load(Ordering::SeqCst),
        0,
        "a call ran on after close returned"
    );
    let calls_at_close = calls.total.load(Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        calls.total.load(Ordering::SeqCst),
        calls_at_close,
        "a callback ran after close"
    );

    // A later close finds the threads gone; the counters are then final.
    p.close(LONG).unwrap();
    assert_eq!(calls.total.load(Ordering::SeqCst), calls_at_close);
    let s = p.stats();
    println!("{s:#?}");

    // src/stats.rs, pipeline: every submit has exactly one outcome.
    let ok = outcomes.ok.load(Ordering::Relaxed);
    let refused = outcomes.refused.load(Ordering::Relaxed);
    assert_eq!(
        s.submitted,
        ok + refused,
        "a refused Closed submit is not counted"
    );
    assert_eq!((s.queued, s.held), (0, 0));
    assert_eq!(
        s.submitted,
        s.accepted + s.dropped() + s.queued + s.held,
        "{s:#?}"
    );
    assert_eq!(refused, s.dropped_queue_full + s.dropped_queue_timeout);
    assert_eq!(
        s.dropped_level + s.sampled_out + s.rate_limited + s.dropped_by_hook,
        0
    );
    assert!(s.accepted > 0, "the run submitted something");
    // src/stats.rs, per sink: every entry received has exactly one outcome.
    for k in &s.sinks {
        assert_eq!(k.received, s.accepted, "{k:#?}");
        assert_eq!(k.received, k.delivered + k.dropped + k.failed, "{k:#?}");
        assert_eq!(k.in_flight(), 0);
    }
    let sink = |name: &str| s.sinks.iter().find(|k| k.name == name).unwrap();
    assert!(sink("failing").failed > 0, "{:#?}", sink("failing"));
    assert!(sink("panicking").panics > 0, "{:#?}", sink("panicking"));
    assert!(sink("panicking").failed >= sink("panicking").panics);
    assert!(sink("hanging").dropped > 0, "{:#?}", sink("hanging"));
    assert!(
        sink("hanging").batches <= 1,
        "one call, released after close returned"
    );

    // The file sink is complete: every accepted entry, once, nothing else.
    let disk = sink("disk");
    assert_eq!(
        (disk.delivered, disk.dropped, disk.failed),
        (s.accepted, 0, 0),
        "{disk:#?}"
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let mut seen = HashSet::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("every line is JSON");
        let seq = v["fields"]["seq"].as_u64().unwrap();
        assert!(seq / SPAN < THREADS, "{seq}");
        assert!(seen.insert(seq), "entry {seq} written twice");
    }
    assert_eq!(seen.len() as u64, s.accepted);
    assert_eq!(disk.bytes, text.len() as u64);
}
