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
                     {"type":"callback","name":"healthy","when_full":"block"},
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
            "sinks":[{"type":"callback","name":"panicky"},
                     {"type":"callback","name":"ok","when_full":"block"}]}"#,
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

/// What a callback sink saw of one batch.
#[derive(Debug, PartialEq)]
struct Seen {
    seq: u64,
    len: usize,
    is_empty: bool,
    first: Option<String>,
    past_the_end: bool,
    messages: Vec<String>,
}

#[test]
fn batches_close_by_count_and_reach_the_sink_numbered_from_one() {
    batches_close_by_count(r#"{}"#);
}

#[test]
fn batches_close_by_count_with_lanes_too() {
    batches_close_by_count(r#"{"lanes":true}"#);
}

/// Ten entries into batches of 4 with a minute's delay, through a pipeline with `queue`: only
/// the count (4) and the flush close these batches.
fn batches_close_by_count(queue: &str) {
    let cfg = Config::from_json(&format!(
        r#"{{"queue":{queue},"batch":{{"max_entries":4,"max_delay_ms":60000}},
            "sinks":[{{"type":"callback","name":"cb"}}]}}"#
    ))
    .unwrap();
    let seen = Arc::new(parking_lot::Mutex::new(Vec::new()));
    let s = seen.clone();
    let p = Pipeline::builder(cfg)
        .callback("cb", move |b: &logcap_core::Batch| {
            s.lock().push(Seen {
                seq: b.seq(),
                len: b.len(),
                is_empty: b.is_empty(),
                first: b.get(0).map(|e| e.message().to_owned()),
                past_the_end: b.get(b.len()).is_some(),
                messages: b.iter().map(|e| e.message().to_owned()).collect(),
            });
            Ok::<(), SinkError>(())
        })
        .build()
        .unwrap();
    let submit = |i: usize| {
        let e = p.acquire();
        e.set_message(&format!("m{i}"));
        p.submit(e).unwrap();
    };
    // Two, taken by the batcher into an open batch before the other eight come: the batch
    // stays open for them (a minute), whatever the batcher's passes.
    submit(0);
    submit(1);
    let deadline = Instant::now() + LONG;
    while p.stats().queued > 0 {
        assert!(Instant::now() < deadline, "{:#?}", p.stats());
        std::thread::sleep(Duration::from_millis(1));
    }
    (2..10).for_each(submit);
    p.flush(LONG).unwrap();
    let batch = |seq: u64, range: std::ops::Range<usize>| Seen {
        seq,
        len: range.len(),
        is_empty: false,
        first: Some(format!("m{}", range.start)),
        past_the_end: false,
        messages: range.map(|i| format!("m{i}")).collect(),
    };
    assert_eq!(
        *seen.lock(),
        [batch(1, 0..4), batch(2, 4..8), batch(3, 8..10)]
    );
    p.close(LONG).unwrap();
    let s = p.stats();
    assert_eq!((s.batches, s.accepted), (3, 10));
}

/// A pipeline of configuration `queue_and_batch` (its `queue` and `batch` members) with a
/// callback sink that records each batch's size.
fn batch_sizes(queue_and_batch: &str) -> (Pipeline, Arc<parking_lot::Mutex<Vec<usize>>>) {
    let cfg = Config::from_json(&format!(
        r#"{{{queue_and_batch}, "sinks":[{{"type":"callback","name":"cb"}}]}}"#
    ))
    .unwrap();
    let sizes = Arc::new(parking_lot::Mutex::new(Vec::new()));
    let s = sizes.clone();
    let p = Pipeline::builder(cfg)
        .callback("cb", move |b: &logcap_core::Batch| {
            s.lock().push(b.len());
            Ok::<(), SinkError>(())
        })
        .build()
        .unwrap();
    (p, sizes)
}

/// A pipeline whose queue holds `capacity` entries (submits wait for room), with batches of
/// up to `max_entries` and a minute's delay, and a callback sink that records each batch's
/// size.
fn small_queue(
    capacity: usize,
    max_entries: usize,
) -> (Pipeline, Arc<parking_lot::Mutex<Vec<usize>>>) {
    batch_sizes(&format!(
        r#""queue":{{"capacity":{capacity},"when_full":"block","block_timeout_ms":120000}},
           "batch":{{"max_entries":{max_entries},"max_delay_ms":60000}}"#
    ))
}

#[test]
fn a_batch_closes_by_bytes_too() {
    // Each entry is over the byte limit on its own, so each closes its batch.
    let (p, sizes) =
        batch_sizes(r#""batch":{"max_entries":1000,"max_bytes":1,"max_delay_ms":60000}"#);
    for i in 0..5 {
        p.submit(standard_entry(&p, i)).unwrap();
    }
    p.flush(LONG).unwrap();
    assert_eq!(*sizes.lock(), [1; 5]);
    p.close(LONG).unwrap();
}

#[test]
fn under_queue_pressure_batches_still_close_only_by_count() {
    // The batcher finds the queue of 4 (nearly) full at each drain, and waits for the next
    // entries instead of parking; the open batch must still close only when full.
    let (p, sizes) = small_queue(4, 500);
    for i in 0..2_000 {
        p.submit(standard_entry(&p, i)).unwrap();
    }
    p.flush(LONG).unwrap();
    assert_eq!(*sizes.lock(), [500; 4]);
    p.close(LONG).unwrap();
    assert_invariants(&p.stats(), 2_000);
}

#[test]
fn a_flush_after_a_drain_under_pressure_is_answered() {
    // Batches of 2 into a sink that holds the first until released; its queue takes one more
    // and then the batcher waits to offer the third. Three more entries wait in the intake
    // queue (of 4) meanwhile.
    let cfg = Config::from_json(
        r#"{"queue":{"capacity":4,"when_full":"block","block_timeout_ms":120000},
            "batch":{"max_entries":2,"max_delay_ms":60000},
            "sinks":[{"type":"callback","name":"cb","queue_capacity":1,
                      "when_full":"block","block_timeout_ms":120000}]}"#,
    )
    .unwrap();
    let (release_tx, release_rx) = crossbeam_channel::bounded::<()>(0);
    let seen = Arc::new(AtomicU64::new(0));
    let s = seen.clone();
    let p = Pipeline::builder(cfg)
        .callback("cb", move |b: &logcap_core::Batch| {
            // Returns at once when the test drops the sender.
            let _ = release_rx.recv();
            s.fetch_add(b.len() as u64, Ordering::Relaxed);
            Ok::<(), SinkError>(())
        })
        .build()
        .unwrap();
    for i in 0..6 {
        p.submit(standard_entry(&p, i)).unwrap();
    }
    let deadline = Instant::now() + LONG;
    while p.stats().sinks[0].received < 6 {
        assert!(Instant::now() < deadline, "the third batch was not offered");
        std::thread::sleep(Duration::from_millis(1));
    }
    for i in 6..9 {
        p.submit(standard_entry(&p, i)).unwrap();
    }
    assert_eq!(p.stats().queued, 3);
    // Released, the batcher drains those three at once (half its queue or more: pressure),
    // leaves the last one in an open batch and finds the queue empty: it must go back to
    // serving requests, not wait for entries that will not come.
    drop(release_tx);
    // The flush comes once the batcher has taken the last entry (had it come sooner, the
    // batcher would have seen it between batches).
    while p.stats().sinks[0].received < 8 || p.stats().queued > 0 {
        assert!(Instant::now() < deadline, "the entries were not taken");
        std::thread::sleep(Duration::from_millis(1));
    }
    p.flush(LONG).unwrap();
    assert_eq!(seen.load(Ordering::Relaxed), 9);
    p.close(LONG).unwrap();
    assert_invariants(&p.stats(), 9);
}

/// The ids of this process's threads named `name`.
fn threads_named(name: &str) -> std::collections::BTreeSet<String> {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|t| {
            let t = t.ok()?;
            let comm = std::fs::read_to_string(t.path().join("comm")).ok()?;
            (comm.trim_end() == name).then(|| t.file_name().into_string().unwrap())
        })
        .collect()
}

/// How long the thread `tid` has run or waited to run, in nanoseconds (the kernel's
/// schedstat): it grows with the wall clock for a thread that never sleeps, however busy the
/// machine, and not at all for one that is blocked. `None` once the thread has exited.
fn runnable_ns(tid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat")).ok()?;
    Some(
        stat.split_whitespace()
            .take(2)
            .map(|n| n.parse::<u64>().unwrap())
            .sum(),
    )
}

#[test]
fn an_idle_pipeline_keeps_its_batcher_asleep() {
    // One after the other, so that neither's batcher is taken for the other's. With lanes the
    // batcher polls while entries stream, then sleeps on its lanes.
    idle_batcher_sleeps(r#"{"when_full":"block"}"#);
    idle_batcher_sleeps(r#"{"when_full":"block","lanes":true}"#);
}

/// After a burst of entries (which puts the batcher under pressure: it spins for the next
/// ones) is batched, the batcher of a pipeline with `queue` is neither running nor waiting to
/// run for 500 ms: it sleeps. (Measured: 0 ns; one that polls every 100 µs instead runs or
/// waits for about 50 ms of the 500 here.)
fn idle_batcher_sleeps(queue: &str) {
    let before = threads_named("logcap-batcher");
    let p = Pipeline::from_json(&format!(
        r#"{{"queue":{queue},"batch":{{"max_delay_ms":1}},"sinks":[{{"type":"null"}}]}}"#
    ))
    .unwrap();
    for i in 0..20_000 {
        p.submit(standard_entry(&p, i)).unwrap();
    }
    // Until the batcher has batched them all, without a request (a flush would wake it).
    // A thread takes its name once it runs, which it has by then.
    let deadline = Instant::now() + LONG;
    while p.stats().accepted < 20_000 {
        assert!(Instant::now() < deadline, "{:#?}", p.stats());
        std::thread::sleep(Duration::from_millis(1));
    }
    let ours: Vec<String> = threads_named("logcap-batcher")
        .difference(&before)
        .cloned()
        .collect();
    assert!(!ours.is_empty(), "no batcher thread started");
    // Nothing more to do: the batcher blocks until an entry or a request comes.
    let start: Vec<Option<u64>> = ours.iter().map(|t| runnable_ns(t)).collect();
    std::thread::sleep(Duration::from_millis(500));
    // Another test's pipeline may have started a batcher at the same moment (and closed it
    // since): the least busy of the new ones still there is at least as idle as ours, which
    // is there until the close below.
    let least = ours
        .iter()
        .zip(start)
        .filter_map(|(t, s)| Some(runnable_ns(t)? - s?))
        .min()
        .unwrap();
    assert!(
        least < 10_000_000,
        "the idle batcher ran or waited to run for {least} ns of 500 ms"
    );
    p.close(LONG).unwrap();
}

#[test]
fn delivered_entries_go_back_to_the_pool() {
    let p = Pipeline::from_json(r#"{"sinks":[{"type":"null"},{"type":"null","name":"second"}]}"#)
        .unwrap();
    for i in 0..10 {
        p.submit(standard_entry(&p, i)).unwrap();
    }
    // Once both sinks let go of the batches (close joins their threads), every entry is idle
    // in the pool, ready for the next acquire.
    p.close(LONG).unwrap();
    let pool = p.stats().pool;
    assert_eq!((pool.acquired, pool.idle), (10, 10), "{pool:#?}");
}

#[test]
fn submit_after_close_is_refused_and_close_is_idempotent() {
    let p = Pipeline::from_json(r#"{"sinks":[{"type":"null"}]}"#).unwrap();
    p.submit(standard_entry(&p, 0)).unwrap();
    assert!(!p.is_closed());
    p.close(LONG).unwrap();
    assert!(p.is_closed());
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
    // An encoder that checked `enabled` first counts its entry without building it.
    p.submit_below_level().unwrap();
    p.close(LONG).unwrap();
    assert_eq!(p.submit_below_level(), Err(Error::Closed));
    let s = p.stats();
    assert_eq!(
        (s.submitted, s.dropped_level, s.sinks[0].delivered),
        (5, 3, 2)
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

/// Entries that never let the intake queue empty, with deduplication on, and a flush in the
/// middle of them: the batcher must answer it between batches, not once the stream stops.
/// `dedup` is the configuration's "dedup" object and `clock` the pipeline's: each pair sends
/// entries to batches through another path (a held entry whose window ended, or one evicted
/// to make room).
fn a_flush_is_answered_during_an_endless_stream(dedup: &str, clock: Arc<dyn logcap_core::Clock>) {
    // A queue of 4 under `block`, kept full by a producer; batches of one entry each into a
    // sink that takes 5 ms per batch and holds one batch in its queue, so the batcher waits
    // for it between batches while the producer refills the slot it freed.
    let cfg = Config::from_json(&format!(
        r#"{{"queue":{{"capacity":4,"when_full":"block","block_timeout_ms":120000}},
            "batch":{{"max_entries":1,"max_delay_ms":60000}},
            "dedup":{dedup},
            "sinks":[{{"type":"callback","name":"cb","queue_capacity":1,
                      "when_full":"block","block_timeout_ms":120000}}]}}"#
    ))
    .unwrap();
    let seen = Arc::new(AtomicU64::new(0));
    let s = seen.clone();
    let p = Pipeline::builder(cfg)
        .clock(clock)
        .callback("cb", move |b: &logcap_core::Batch| {
            std::thread::sleep(Duration::from_millis(5));
            s.fetch_add(b.len() as u64, Ordering::Relaxed);
            Ok::<(), SinkError>(())
        })
        .build()
        .unwrap();
    let stop = std::sync::atomic::AtomicBool::new(false);
    let (flushed, submitted) = std::thread::scope(|scope| {
        let producer = scope.spawn(|| {
            let mut n = 0u64;
            // Distinct messages: deduplication holds each, merges none.
            while !stop.load(Ordering::Relaxed) {
                let e = standard_entry(&p, n);
                e.with(|d| d.set_message(&format!("stream {n}")));
                p.submit(e).unwrap();
                n += 1;
            }
            n
        });
        let deadline = Instant::now() + LONG;
        while seen.load(Ordering::Relaxed) < 20 {
            assert!(Instant::now() < deadline, "the stream did not start");
            std::thread::sleep(Duration::from_millis(1));
        }
        // The producer is still writing: the queue has not emptied since it started (at most
        // one of its four slots is free at a time, for a few microseconds every 5 ms).
        let flushed = p.flush(Duration::from_secs(10));
        stop.store(true, Ordering::Relaxed);
        (flushed, producer.join().unwrap())
    });
    flushed.expect("a flush during a stream that never lets the queue empty");
    p.flush(LONG).unwrap();
    assert_eq!(seen.load(Ordering::Relaxed), submitted);
    p.close(LONG).unwrap();
    assert_invariants(&p.stats(), submitted);
}

/// A clock that moves a millisecond on each reading.
struct Ticking(AtomicU64);

impl logcap_core::Clock for Ticking {
    fn now_ns(&self) -> u64 {
        self.0.fetch_add(1_000_000, Ordering::Relaxed)
    }
}

#[test]
fn a_flush_is_answered_during_an_endless_stream_of_entries_whose_window_ends() {
    // Each entry is held for 1 ms, which the ticking clock makes over by the batcher's next
    // take: every take moves the entry before it into a batch. (On the wall clock a take
    // right after another finds nothing expired, and the queue may empty meanwhile.)
    a_flush_is_answered_during_an_endless_stream(
        r#"{"window_ms":1,"max_keys":1000}"#,
        Arc::new(Ticking(AtomicU64::new(0))),
    );
}

#[test]
fn a_flush_is_answered_during_an_endless_stream_of_entries_evicted_from_the_window() {
    // One key held at a time for a minute: each entry evicts the one before into a batch.
    a_flush_is_answered_during_an_endless_stream(
        r#"{"window_ms":60000,"max_keys":1}"#,
        Arc::new(logcap_core::clock::MonotonicClock::new()),
    );
}

#[test]
fn a_sink_full_past_its_block_timeout_drops_the_batch_and_the_others_go_on() {
    // "stuck" holds its first batch until the test lets go, and its queue holds one more:
    // every later batch waits its block_timeout (50 ms) for room, then is dropped and counted,
    // and the batcher goes on to "free", which must see every batch meanwhile.
    let cfg = Config::from_json(
        r#"{"batch":{"max_entries":1,"max_delay_ms":60000},
            "sinks":[{"type":"callback","name":"stuck","queue_capacity":1,
                      "when_full":"block","block_timeout_ms":50},
                     {"type":"callback","name":"free","when_full":"block"}]}"#,
    )
    .unwrap();
    let (release_tx, release_rx) = crossbeam_channel::bounded::<()>(0);
    let (started_tx, started_rx) = crossbeam_channel::unbounded::<()>();
    let free = Arc::new(AtomicU64::new(0));
    let f = free.clone();
    let p = Pipeline::builder(cfg)
        .callback("stuck", move |_b: &logcap_core::Batch| {
            let _ = started_tx.send(());
            // Returns once the test drops the sender.
            let _ = release_rx.recv();
            Ok::<(), SinkError>(())
        })
        .callback("free", move |b: &logcap_core::Batch| {
            f.fetch_add(b.len() as u64, Ordering::Relaxed);
            Ok::<(), SinkError>(())
        })
        .build()
        .unwrap();
    // The first batch in the callback before the others come, so that the queue's one place
    // is free for the second.
    p.submit(standard_entry(&p, 0)).unwrap();
    started_rx.recv_timeout(LONG).unwrap();
    for i in 1..5 {
        p.submit(standard_entry(&p, i)).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let went_on = loop {
        if free.load(Ordering::Relaxed) == 5 {
            break true;
        }
        if Instant::now() >= deadline {
            break false;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let s = p.stats();
    // Let the stuck sink go before any assertion, so that a failure ends the test.
    drop(release_tx);
    assert!(
        went_on,
        "the batcher is held up by a sink past its block timeout: {s:#?}"
    );
    let stuck = s.sinks.iter().find(|k| k.name == "stuck").unwrap();
    // One batch in the callback, one in the queue, three dropped after waiting.
    assert_eq!((stuck.received, stuck.dropped), (5, 3), "{stuck:#?}");
    p.close(LONG).unwrap();
    let s = p.stats();
    let stuck = s.sinks.iter().find(|k| k.name == "stuck").unwrap();
    assert_eq!((stuck.delivered, stuck.dropped), (2, 3), "{stuck:#?}");
    assert_invariants(&s, 5);
}
