//! The dispatcher's guarantees: counters that add up under load, close and flush that lose
//! nothing, per-sink isolation.

mod common;

use common::standard_entry;
use logcap_core::sink::SinkError;
use logcap_core::{Config, Error, Level, Pipeline, Stats};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(120);

fn submit_from_threads(p: &Pipeline, threads: u64, per_thread: u64) -> u64 {
    let refused = AtomicU64::new(0);
    std::thread::scope(|s| {
        for t in 0..threads {
            let (p, refused) = (p, &refused);
            s.spawn(move || {
                for i in 0..per_thread {
                    if p.submit(standard_entry(p, t * per_thread + i)).is_err() {
                        refused.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    refused.into_inner()
}

fn assert_invariants(s: &Stats, submitted: u64) {
    assert_eq!(s.submitted, submitted, "{s:#?}");
    assert_eq!(s.queued, 0);
    assert_eq!(s.submitted, s.accepted + s.dropped(), "{s:#?}");
    for k in &s.sinks {
        assert_eq!(
            k.received, s.accepted,
            "sink {} saw every batch: {s:#?}",
            k.name
        );
        assert_eq!(k.in_flight(), 0, "{k:#?}");
        assert_eq!(k.received, k.delivered + k.dropped + k.failed, "{k:#?}");
    }
}

/// A callback sink that counts what it sees, optionally slow, optionally failing.
fn counting(
    seen: Arc<AtomicU64>,
    every_nth_fails: u64,
    sleep: Duration,
) -> impl FnMut(&logcap_core::Batch) -> Result<(), SinkError> + Send {
    let mut n = 0u64;
    move |b| {
        n += 1;
        if !sleep.is_zero() {
            std::thread::sleep(sleep);
        }
        if every_nth_fails > 0 && n.is_multiple_of(every_nth_fails) {
            return Err(SinkError::new("refused on purpose"));
        }
        seen.fetch_add(b.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}

#[test]
fn a_million_entries_add_up_under_each_queue_policy() {
    for policy in ["block", "drop_newest", "drop_oldest"] {
        let cfg = Config::from_json(&format!(
            r#"{{"queue":{{"capacity":4096,"when_full":"{policy}","block_timeout_ms":60000}},
                "batch":{{"max_entries":256,"max_delay_ms":5}},
                "sinks":[{{"type":"null","name":"null"}},
                         {{"type":"callback","name":"failing"}},
                         {{"type":"callback","name":"slow_newest","queue_capacity":2,"when_full":"drop_newest"}},
                         {{"type":"callback","name":"slow_oldest","queue_capacity":2,"when_full":"drop_oldest"}}]}}"#
        ))
        .unwrap();
        let failing_seen = Arc::new(AtomicU64::new(0));
        let newest_seen = Arc::new(AtomicU64::new(0));
        let oldest_seen = Arc::new(AtomicU64::new(0));
        let p = Pipeline::builder(cfg)
            .callback("failing", counting(failing_seen.clone(), 7, Duration::ZERO))
            .callback(
                "slow_newest",
                counting(newest_seen.clone(), 0, Duration::from_micros(300)),
            )
            .callback(
                "slow_oldest",
                counting(oldest_seen.clone(), 0, Duration::from_micros(300)),
            )
            .build()
            .unwrap();
        let refused = submit_from_threads(&p, 2, 500_000);
        p.close(LONG).unwrap();
        let s = p.stats();
        assert_invariants(&s, 1_000_000);
        assert_eq!(
            refused,
            s.dropped_queue_full + s.dropped_queue_timeout,
            "{policy}"
        );
        let by_name = |n: &str| s.sinks.iter().find(|k| k.name == n).unwrap().clone();
        assert_eq!(
            by_name("failing").delivered,
            failing_seen.load(Ordering::Relaxed)
        );
        assert!(by_name("failing").failed > 0);
        assert_eq!(
            by_name("slow_newest").delivered,
            newest_seen.load(Ordering::Relaxed)
        );
        assert_eq!(
            by_name("slow_oldest").delivered,
            oldest_seen.load(Ordering::Relaxed)
        );
        assert!(
            by_name("slow_newest").dropped > 0,
            "{policy}: the slow sink's own policy dropped"
        );
        assert_eq!(
            by_name("null").dropped + by_name("null").failed,
            0,
            "{policy}"
        );
        match policy {
            "block" => {
                assert_eq!(s.dropped(), 0, "block loses nothing: {s:#?}");
                assert_eq!(by_name("null").delivered, 1_000_000);
            }
            "drop_newest" => assert_eq!(s.dropped_queue_evicted + s.dropped_queue_timeout, 0),
            _ => assert_eq!(s.dropped_queue_full + s.dropped_queue_timeout, 0),
        }
    }
}

#[test]
fn close_delivers_everything_in_flight_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.log");
    let p = Pipeline::from_json(&format!(
        r#"{{"queue":{{"when_full":"block","block_timeout_ms":60000}},
            "sinks":[{{"type":"file","path":{:?}}}]}}"#,
        path.to_str().unwrap()
    ))
    .unwrap();
    let refused = submit_from_threads(&p, 2, 500_000);
    assert_eq!(refused, 0);
    // Most of the million are still queued or batched here: close must deliver them all.
    p.close(LONG).unwrap();
    let s = p.stats();
    assert_invariants(&s, 1_000_000);
    assert_eq!(s.sinks[0].delivered, 1_000_000);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut seen = vec![false; 1_000_000];
    let mut lines = 0;
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("every line is JSON");
        let seq = v["fields"]["seq"].as_u64().unwrap() as usize;
        assert!(!seen[seq], "entry {seq} written twice");
        seen[seq] = true;
        assert_eq!(v["msg"], "request completed");
        lines += 1;
    }
    assert_eq!(lines, 1_000_000);
    assert_eq!(s.sinks[0].bytes, text.len() as u64);
}

#[test]
fn a_sink_that_blocks_for_ever_slows_nobody_and_flush_times_out() {
    let cfg = Config::from_json(
        r#"{"batch":{"max_entries":100,"max_delay_ms":5},
            "sinks":[{"type":"callback","name":"stuck","queue_capacity":1,"when_full":"drop_newest"},
                     {"type":"callback","name":"healthy"},
                     {"type":"null","name":"null"}]}"#,
    )
    .unwrap();
    let (release_tx, release_rx) = crossbeam_channel::bounded::<()>(0);
    let seen = Arc::new(AtomicU64::new(0));
    let p = Pipeline::builder(cfg)
        .callback("stuck", move |_| {
            // Blocks until the test lets it go, i.e. for the whole test.
            let _ = release_rx.recv();
            Ok(())
        })
        .callback("healthy", counting(seen.clone(), 0, Duration::ZERO))
        .build()
        .unwrap();
    submit_from_threads(&p, 1, 100_000);
    let deadline = Duration::from_millis(300);
    let t0 = Instant::now();
    assert_eq!(p.flush(deadline), Err(Error::Timeout));
    let took = t0.elapsed();
    assert!(
        took >= deadline,
        "flush returned before its deadline: {took:?}"
    );
    assert!(
        took < deadline + Duration::from_secs(5),
        "flush overran its deadline: {took:?}"
    );
    // The healthy sinks got everything while the stuck one held its first batch.
    let s = p.stats();
    let healthy = s.sinks.iter().find(|k| k.name == "healthy").unwrap();
    assert_eq!(healthy.delivered, 100_000, "{s:#?}");
    assert_eq!(seen.load(Ordering::Relaxed), 100_000);
    assert_eq!(
        s.sinks.iter().find(|k| k.name == "null").unwrap().delivered,
        100_000
    );
    let stuck = s.sinks.iter().find(|k| k.name == "stuck").unwrap();
    assert!(stuck.dropped > 0, "{stuck:#?}");
    assert_eq!(
        stuck.received,
        stuck.delivered + stuck.dropped + stuck.failed + stuck.in_flight()
    );
    drop(release_tx);
    p.close(LONG).unwrap();
    assert_invariants(&p.stats(), 100_000);
}

#[test]
fn a_panicking_sink_is_contained_and_counted() {
    let cfg = Config::from_json(
        r#"{"batch":{"max_entries":10,"max_delay_ms":5},
            "sinks":[{"type":"callback","name":"panicky"},{"type":"callback","name":"ok"}]}"#,
    )
    .unwrap();
    let seen = Arc::new(AtomicU64::new(0));
    let mut n = 0;
    let p = Pipeline::builder(cfg)
        .callback("panicky", move |_| {
            n += 1;
            if n % 2 == 1 {
                panic!("sink bug #{n}");
            }
            Ok(())
        })
        .callback("ok", counting(seen.clone(), 0, Duration::ZERO))
        .build()
        .unwrap();
    submit_from_threads(&p, 1, 10_000);
    p.flush(LONG).unwrap();
    let s = p.stats();
    let panicky = &s.sinks[0];
    assert!(panicky.panics > 0 && panicky.failed > 0, "{panicky:#?}");
    assert!(panicky.delivered > 0, "the sink goes on after a panic");
    let last = p.sink_last_error("panicky").unwrap();
    assert!(last.contains("sink bug"), "{last}");
    assert_eq!(seen.load(Ordering::Relaxed), 10_000);
    // The pipeline still works after the panics.
    p.submit(standard_entry(&p, 10_000)).unwrap();
    p.close(LONG).unwrap();
    assert_invariants(&p.stats(), 10_001);
}

#[test]
fn flush_returns_once_everything_before_it_is_delivered() {
    let cfg = Config::from_json(
        r#"{"batch":{"max_entries":1000,"max_delay_ms":60000},"sinks":[{"type":"callback","name":"cb"}]}"#,
    )
    .unwrap();
    let seen = Arc::new(AtomicU64::new(0));
    let p = Pipeline::builder(cfg)
        .callback("cb", counting(seen.clone(), 0, Duration::from_millis(1)))
        .build()
        .unwrap();
    for round in 1..=5u64 {
        for i in 0..777 {
            p.submit(standard_entry(&p, i)).unwrap();
        }
        // The batch delay is a minute: only flush can close these batches now.
        p.flush(LONG).unwrap();
        assert_eq!(seen.load(Ordering::Relaxed), round * 777);
    }
    p.close(LONG).unwrap();
}

#[test]
fn submit_after_close_is_refused_and_close_is_idempotent() {
    let p = Pipeline::from_json(r#"{"sinks":[{"type":"null"}]}"#).unwrap();
    p.submit(standard_entry(&p, 0)).unwrap();
    p.close(LONG).unwrap();
    assert_eq!(p.submit(standard_entry(&p, 1)), Err(Error::Closed));
    assert_eq!(p.flush(LONG), Err(Error::Closed));
    p.close(LONG).unwrap();
    let s = p.stats();
    assert_eq!(s.submitted, 1);
    assert_eq!(s.sinks[0].delivered, 1);
}

#[test]
fn the_minimum_level_changes_at_runtime() {
    let p = Pipeline::from_json(r#"{"min_level":"warn","sinks":[{"type":"null"}]}"#).unwrap();
    let submit = |l: Level| {
        let e = p.acquire();
        e.set_level(l);
        p.submit(e).unwrap();
    };
    assert!(!p.enabled(Level::Info) && p.enabled(Level::Error));
    submit(Level::Info);
    submit(Level::Error);
    p.set_min_level(Level::Debug);
    assert!(p.enabled(Level::Info));
    submit(Level::Info);
    submit(Level::Trace);
    p.close(LONG).unwrap();
    let s = p.stats();
    assert_eq!(
        (s.submitted, s.dropped_level, s.sinks[0].delivered),
        (4, 2, 2)
    );
}

#[test]
fn callback_binding_errors_are_clear() {
    let cfg = Config::from_json(r#"{"sinks":[{"type":"callback","name":"cb"}]}"#).unwrap();
    match Pipeline::new(cfg.clone()) {
        Err(Error::SinkSetup { sink, .. }) => assert_eq!(sink, "cb"),
        other => panic!("{:?}", other.err()),
    }
    match Pipeline::builder(cfg)
        .callback("cb", |_| Ok(()))
        .callback("other", |_| Ok(()))
        .build()
    {
        Err(Error::Config(e)) => assert!(e.message.contains("\"other\""), "{e}"),
        other => panic!("{:?}", other.err()),
    }
}
