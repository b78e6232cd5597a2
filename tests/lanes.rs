//! The pipeline's intake through lanes (docs/lane-protocol.md): each producing thread's
//! records and entries arrive once and in its order, a thread that exits leaves its records
//! delivered and its lane dropped, close racing producers loses nothing it accepted, a
//! consumer held up by a sink still serves `drop_oldest`, the shared queue is used when lanes
//! are off or a stage runs on the producer's side, and a lane bound to no thread (the Go
//! binding's) takes records from any thread with the library's checks.

mod common;

use common::{fill_standard, wait_until};
use logcap_core::entry::EntryData;
use logcap_core::record::{encode_entry, Writer};
use logcap_core::{Config, Error, HookAction, Level, Pipeline, Stats, ValueRef};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

type Seen = Arc<Mutex<Vec<(u64, u64)>>>;

/// A pipeline with `queue` (a JSON object) and one callback sink that keeps the `thread` and
/// `seq` fields of every entry, in the order delivered. The sink blocks rather than drops
/// (a callback sink's default) when its queue is full; `sink` adds or replaces settings.
fn capture(queue: &str, sink: &str, delay: Duration) -> (Pipeline, Seen) {
    let sink = if sink.is_empty() {
        r#","when_full":"block","block_timeout_ms":60000"#
    } else {
        sink
    };
    let cfg = Config::from_json(&format!(
        r#"{{"queue":{queue},"batch":{{"max_entries":64,"max_delay_ms":5}},
            "sinks":[{{"type":"callback","name":"cap"{sink}}}]}}"#
    ))
    .unwrap();
    let seen: Seen = Arc::default();
    let s = Arc::clone(&seen);
    let p = Pipeline::builder(cfg)
        .callback("cap", move |batch| {
            let mut s = s.lock();
            for e in batch.iter() {
                s.push((num(e, "thread"), num(e, "seq")));
            }
            drop(s);
            std::thread::sleep(delay);
            Ok(())
        })
        .build()
        .unwrap();
    (p, seen)
}

/// A pipeline from the configuration `cfg`, whose callback sink "cap" keeps `map` of every
/// entry it receives, in the order delivered.
fn collecting<T: Send + 'static>(
    cfg: &str,
    map: fn(&EntryData) -> T,
) -> (Pipeline, Arc<Mutex<Vec<T>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = Arc::clone(&seen);
    let p = Pipeline::builder(Config::from_json(cfg).unwrap())
        .callback("cap", move |batch| {
            s.lock().extend(batch.iter().map(map));
            Ok(())
        })
        .build()
        .unwrap();
    (p, seen)
}

fn num(e: &EntryData, key: &str) -> u64 {
    match e.field(key) {
        Some(ValueRef::U64(n)) => n,
        other => panic!("{key}: {other:?}"),
    }
}

/// The standard event with `thread` and `seq` fields, as a packed record.
fn record(thread: u64, seq: u64) -> Vec<u8> {
    let mut d = EntryData::new();
    fill_standard(&mut d);
    d.set_field("thread", thread).unwrap();
    d.set_field("seq", seq).unwrap();
    let mut out = Vec::new();
    encode_entry(&d, &mut out).unwrap();
    out
}

/// Submits the standard event through each API in turn: as a packed record, through the
/// record writer (`Pipeline::submit_written`, which the C writer's commit calls), through the
/// entry API.
fn submit_mixed(p: &Pipeline, thread: u64, seq: u64) -> Result<(), Error> {
    match seq % 3 {
        0 => return p.submit_record(&record(thread, seq)),
        1 => {
            let mut w = Writer::new();
            w.begin(Level::Info, b"request completed", true).unwrap();
            w.label(b"service", b"checkout").unwrap();
            w.field_u64(b"thread", thread).unwrap();
            w.field_u64(b"seq", seq).unwrap();
            return p.submit_written(&mut w);
        }
        _ => {}
    }
    let e = p.acquire();
    e.with(|d| {
        fill_standard(d);
        d.set_field("thread", thread).unwrap();
        d.set_field("seq", seq).unwrap();
    });
    p.submit(e)
}

/// The sequence numbers each of `threads` threads delivered, in order of delivery.
fn per_thread(seen: &Seen, threads: u64) -> Vec<Vec<u64>> {
    let mut out = vec![Vec::new(); threads as usize];
    for &(t, s) in seen.lock().iter() {
        out[t as usize].push(s);
    }
    out
}

/// `submitted = accepted + dropped() + queued + held`, with nothing queued or held: the
/// invariant of src/stats.rs once flushed or closed.
fn assert_settled(s: &Stats) {
    assert_eq!(s.queued, 0, "{s:#?}");
    assert_eq!(s.held, 0, "{s:#?}");
    assert_eq!(s.submitted, s.accepted + s.dropped(), "{s:#?}");
    for k in &s.sinks {
        assert_eq!(
            (k.delivered, k.dropped, k.failed),
            (s.accepted, 0, 0),
            "{s:#?}"
        );
    }
}

#[test]
fn each_threads_records_and_entries_arrive_once_and_in_its_order() {
    let (p, seen) = capture(r#"{"capacity":256,"lanes":true}"#, "", Duration::ZERO);
    let p = Arc::new(p);
    const THREADS: u64 = 4;
    const EACH: u64 = 5_000;
    let start = Arc::new(Barrier::new(THREADS as usize));
    let lanes_seen = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let (p, start, lanes_seen) = (Arc::clone(&p), Arc::clone(&start), lanes_seen.clone());
            std::thread::spawn(move || {
                start.wait();
                for seq in 0..EACH {
                    submit_mixed(&p, t, seq).unwrap();
                }
                // Every thread still holds its lane here.
                start.wait();
                lanes_seen.fetch_max(p.stats().lanes, Ordering::Relaxed);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    p.flush(LONG).unwrap();
    for (t, seqs) in per_thread(&seen, THREADS).into_iter().enumerate() {
        assert_eq!(seqs, (0..EACH).collect::<Vec<_>>(), "thread {t}");
    }
    let s = p.stats();
    assert_settled(&s);
    assert_eq!((s.submitted, s.accepted), (THREADS * EACH, THREADS * EACH));
    assert_eq!(
        lanes_seen.load(Ordering::Relaxed),
        THREADS,
        "a lane per thread"
    );
    // The threads have exited: their lanes were retired, read to their end and dropped.
    assert_eq!((s.lanes, s.lane_bytes), (0, 0), "{s:#?}");
}

#[test]
fn a_thread_that_exits_leaves_its_records_delivered_and_its_lane_dropped() {
    // A long batch delay: the records are still in the lane when the thread exits.
    let cfg = Config::from_json(
        r#"{"queue":{"lanes":true},"batch":{"max_entries":100000,"max_delay_ms":60000},
            "sinks":[{"type":"callback","name":"cap","when_full":"block"}]}"#,
    )
    .unwrap();
    let seen: Seen = Arc::default();
    let s2 = Arc::clone(&seen);
    let p = Arc::new(
        Pipeline::builder(cfg)
            .callback("cap", move |b| {
                s2.lock()
                    .extend(b.iter().map(|e| (num(e, "thread"), num(e, "seq"))));
                Ok(())
            })
            .build()
            .unwrap(),
    );
    let q = Arc::clone(&p);
    std::thread::spawn(move || {
        for seq in 0..1_000 {
            q.submit_record(&record(0, seq)).unwrap();
        }
        let s = q.stats();
        assert_eq!(s.lanes, 1, "{s:#?}");
        assert_eq!(s.lane_bytes, 256 + 256 * 1024, "the default lane: {s:#?}");
    })
    .join()
    .unwrap();
    p.flush(LONG).unwrap();
    assert_eq!(per_thread(&seen, 1)[0], (0..1_000).collect::<Vec<_>>());
    let s = p.stats();
    assert_settled(&s);
    assert_eq!((s.accepted, s.lanes), (1_000, 0), "{s:#?}");
}

/// The batcher sleeps with no timer while every lane is empty; a thread that exits then wakes
/// it as it retires its lane, so that the lane is read to its end and dropped without any
/// other record, flush or close coming.
#[test]
fn a_thread_that_exits_while_the_batcher_sleeps_wakes_it_to_drop_its_lane() {
    let p = Arc::new(
        Pipeline::from_json(
            r#"{"queue":{"lanes":true},"batch":{"max_delay_ms":1},"sinks":[{"type":"null"}]}"#,
        )
        .unwrap(),
    );
    let (q, exit) = (Arc::clone(&p), Arc::new(Barrier::new(2)));
    let exit2 = Arc::clone(&exit);
    let thread = std::thread::spawn(move || {
        q.submit_record(&record(0, 0)).unwrap();
        exit2.wait();
    });
    wait_until(&p, |s| s.sinks[0].delivered == 1);
    // Idle for long enough that the batcher has gone from polling to sleeping (a few
    // milliseconds after the last record); the lane is still the thread's.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(p.stats().lanes, 1);
    exit.wait();
    thread.join().unwrap();
    // Retiring the lane woke the batcher, which read it to its end and dropped it.
    wait_until(&p, |s| s.lanes == 0);
    assert_settled(&p.stats());
}

/// A thread that logs into one pipeline, then into another, keeps its lane in the first: its
/// first call into the second forgets only the pipelines that are gone.
#[test]
fn a_threads_first_call_into_a_pipeline_keeps_its_lanes_in_the_others() {
    let open =
        || Pipeline::from_json(r#"{"queue":{"lanes":true},"sinks":[{"type":"null"}]}"#).unwrap();
    let (a, b) = (open(), open());
    std::thread::scope(|s| {
        s.spawn(|| {
            a.submit_record(&record(0, 1)).unwrap();
            b.submit_record(&record(0, 2)).unwrap();
            for p in [&a, &b] {
                p.flush(LONG).unwrap();
                let s = p.stats();
                assert_eq!((s.lanes, s.sinks[0].delivered), (1, 1), "{s:#?}");
            }
            a.submit_record(&record(0, 3)).unwrap();
            a.flush(LONG).unwrap();
            let s = a.stats();
            assert_eq!(
                (s.lanes, s.sinks[0].delivered),
                (1, 2),
                "the same lane: {s:#?}"
            );
        });
    });
    for p in [a, b] {
        p.close(LONG).unwrap();
        assert_settled(&p.stats());
    }
}

/// Lanes of the largest size there is (`lane_bytes` 64 MiB) are made and take records.
#[test]
fn lanes_of_the_largest_size_take_records() {
    let p = Pipeline::from_json(
        r#"{"queue":{"lanes":true,"lane_bytes":67108864},"sinks":[{"type":"null"}]}"#,
    )
    .unwrap();
    p.submit_record(&record(0, 0)).unwrap();
    p.flush(LONG).unwrap();
    let s = p.stats();
    assert_eq!((s.lanes, s.lane_bytes), (1, 256 + (64 << 20)), "{s:#?}");
    assert_eq!(s.sinks[0].delivered, 1);
}

#[test]
fn close_racing_producers_delivers_every_record_it_accepted() {
    let (p, seen) = capture(r#"{"capacity":64,"lanes":true}"#, "", Duration::ZERO);
    let p = Arc::new(p);
    const THREADS: u64 = 4;
    let started = Arc::new(Barrier::new(THREADS as usize + 1));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let (p, started) = (Arc::clone(&p), Arc::clone(&started));
            std::thread::spawn(move || {
                started.wait();
                let mut ok = Vec::new();
                for seq in 0.. {
                    match submit_mixed(&p, t, seq) {
                        Ok(()) => ok.push(seq),
                        Err(Error::Closed) => return ok,
                        Err(e) => panic!("thread {t}: {e}"),
                    }
                }
                unreachable!()
            })
        })
        .collect();
    started.wait();
    std::thread::sleep(Duration::from_millis(30));
    p.close(LONG).unwrap();
    let accepted: Vec<Vec<u64>> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let got = per_thread(&seen, THREADS);
    for t in 0..THREADS as usize {
        assert!(!accepted[t].is_empty(), "thread {t} submitted nothing");
        assert_eq!(
            got[t], accepted[t],
            "thread {t}: delivered = accepted, in order"
        );
    }
    let s = p.stats();
    assert_settled(&s);
    let n: u64 = accepted.iter().map(|a| a.len() as u64).sum();
    assert_eq!((s.submitted, s.accepted), (n, n), "{s:#?}");
}

#[test]
fn a_consumer_held_up_by_a_sink_still_serves_drop_oldest() {
    // The sink takes one batch at a time, blocks the batcher while it is busy, and takes
    // 200 ms a batch: the batcher spends most of the run waiting in front of it. A producer
    // under drop_oldest that finds its lane full asks the batcher to skip its oldest records
    // and waits at most 100 ms for that: unless the batcher serves the request while it
    // waits for the sink, the request times out and the record is refused.
    let (p, seen) = capture(
        r#"{"capacity":64,"when_full":"drop_oldest","block_timeout_ms":100,"lanes":true}"#,
        r#","queue_capacity":1,"when_full":"block","block_timeout_ms":60000"#,
        Duration::from_millis(200),
    );
    let mut refused = 0u64;
    for seq in 0..2_000 {
        match p.submit_record(&record(0, seq)) {
            Ok(()) => {}
            Err(Error::QueueFull) => refused += 1,
            Err(e) => panic!("{e}"),
        }
    }
    p.flush(LONG).unwrap();
    let s = p.stats();
    assert_settled(&s);
    assert_eq!(s.submitted, 2_000);
    assert!(s.dropped_queue_evicted > 0, "{s:#?}");
    assert_eq!((refused, s.dropped_queue_full), (0, 0), "{s:#?}");
    // What arrived is in order, with gaps where records were evicted.
    let got = per_thread(&seen, 1).remove(0);
    assert_eq!(got.len() as u64, s.accepted);
    assert!(got.windows(2).all(|w| w[0] < w[1]), "in order");
}

#[test]
fn the_shared_queue_is_used_when_lanes_are_off_or_a_hook_is_set() {
    let lanes_after_submit = |extra: &str, hook: bool| {
        let cfg = Config::from_json(&format!(
            r#"{{"sinks":[{{"type":"null","name":"n"}}]{extra}}}"#
        ))
        .unwrap();
        let mut b = Pipeline::builder(cfg);
        if hook {
            b = b.processor(|_| HookAction::Keep);
        }
        let p = b.build().unwrap();
        p.submit_record(&record(0, 0)).unwrap();
        let lanes = p.stats().lanes;
        p.flush(LONG).unwrap();
        let s = p.stats();
        assert_settled(&s);
        assert_eq!(s.submitted, 1);
        lanes
    };
    assert_eq!(
        lanes_after_submit("", false),
        0,
        "the shared queue is the default"
    );
    assert_eq!(lanes_after_submit(r#","queue":{"lanes":true}"#, false), 1);
    assert_eq!(lanes_after_submit(r#","queue":{"lanes":false}"#, false), 0);
    // Sampling, rate limiting and redaction run on the batcher with lanes
    // (tests/processing.rs runs their tests both ways); the hook runs on the caller's thread,
    // before the shared queue.
    let lanes = r#","queue":{"lanes":true}"#;
    for stage in [
        r#""sampling":{"initial":1,"thereafter":1,"tick_ms":1000}"#,
        r#""rate_limit":{"per_second":10,"burst":5}"#,
        r#""redact":{"keys":["password"]}"#,
    ] {
        assert_eq!(
            lanes_after_submit(&format!("{lanes},{stage}"), false),
            1,
            "{stage}"
        );
    }
    assert_eq!(lanes_after_submit(lanes, true), 0, "a hook");
}

#[test]
fn a_record_without_a_timestamp_is_stamped_when_submitted_not_when_read() {
    // The batcher reads the lane only after the sink let go of a first, slow batch.
    let cfg = Config::from_json(
        r#"{"queue":{"lanes":true},"batch":{"max_entries":1},
            "sinks":[{"type":"callback","name":"cap","queue_capacity":1,"when_full":"block"}]}"#,
    )
    .unwrap();
    let stamps = Arc::new(Mutex::new(Vec::new()));
    let (st, slow) = (Arc::clone(&stamps), Arc::new(AtomicBool::new(true)));
    let p = Pipeline::builder(cfg)
        .callback("cap", move |b| {
            if slow.swap(false, Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(300));
            }
            st.lock().extend(b.iter().map(|e| e.timestamp_ns()));
            Ok(())
        })
        .build()
        .unwrap();
    let before = logcap_core::clock::now_ns();
    for seq in 0..4 {
        p.submit_record(&record(0, seq)).unwrap();
    }
    let after = logcap_core::clock::now_ns();
    p.flush(LONG).unwrap();
    let stamps = stamps.lock();
    assert_eq!(stamps.len(), 4);
    for &t in stamps.iter() {
        assert!((before..=after).contains(&t), "{before} <= {t} <= {after}");
    }
}

#[test]
fn lane_bytes_must_be_a_power_of_two_within_the_protocols_bounds() {
    for bad in ["1000", "2048", "134217728"] {
        let e = Config::from_json(&format!(r#"{{"queue":{{"lane_bytes":{bad}}}}}"#))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("queue.lane_bytes") && e.contains(bad),
            "{bad}: {e}"
        );
    }
    let c = Config::from_json(r#"{"queue":{"lane_bytes":4096,"lanes":true}}"#).unwrap();
    assert_eq!(c.queue.lane_bytes, 4096);
}

#[test]
fn a_written_record_arrives_as_the_same_record_submitted_whole() {
    // Pipeline::submit_written (the C writer's commit) skips the caller-side check with lanes
    // on, where the batcher checks as it decodes; with the shared queue it checks. Either way
    // the entry is the one the same bytes make through submit_record.
    for queue in [r#"{"lanes":true}"#, r#"{"lanes":false}"#] {
        let (p, seen) = collecting(
            &format!(r#"{{"queue":{queue},"sinks":[{{"type":"callback","name":"cap"}}]}}"#),
            |e| format!("{e:?}"),
        );
        let mut w = Writer::new();
        w.begin(Level::Warn, "über 9000 ✓".as_bytes(), true)
            .unwrap();
        w.timestamp(1_735_689_600_000_000_000);
        w.label(b"service", b"checkout").unwrap();
        w.field_str(b"path", b"/api/v1/orders/12345").unwrap();
        w.field_f64(b"latency_ms", 12.5).unwrap();
        w.trace(&[7; 16], &[9; 8]).unwrap();
        let whole = w.finish().to_vec();
        p.submit_written(&mut w).unwrap();
        p.submit_record(&whole).unwrap();
        p.close(LONG).unwrap();
        let seen = seen.lock();
        assert_eq!(seen.len(), 2, "{queue}");
        assert_eq!(seen[0], seen[1], "{queue}");
        assert!(seen[0].contains("über 9000 ✓"), "{}", seen[0]);
        assert_settled(&p.stats());
        assert_eq!(p.submit_written(&mut w), Err(Error::Closed), "{queue}");
    }
}

#[test]
fn the_minimum_level_holds_in_the_lanes_for_every_api() {
    // With lanes the level is judged on the producer's side, before the lane: below the
    // minimum is dropped and counted, at it and above are delivered, through the packed
    // record, the record writer and the entry API alike.
    let (p, seen) = collecting(
        r#"{"queue":{"lanes":true},"min_level":"warn",
            "sinks":[{"type":"callback","name":"cap"}]}"#,
        |e| (e.level(), e.message().to_owned()),
    );
    let levels = [Level::Debug, Level::Info, Level::Warn, Level::Error];
    for level in levels {
        let msg = format!("record {level:?}");
        let mut rec = Vec::new();
        logcap_core::record::encode(
            &logcap_core::record::Record {
                level,
                message: &msg,
                ..Default::default()
            },
            &mut rec,
        )
        .unwrap();
        p.submit_record(&rec).unwrap();
        let mut w = Writer::new();
        w.begin(level, format!("writer {level:?}").as_bytes(), true)
            .unwrap();
        p.submit_written(&mut w).unwrap();
        let e = p.acquire();
        e.with(|d| {
            d.set_level(level);
            d.set_message(&format!("entry {level:?}"));
        });
        p.submit(e).unwrap();
    }
    p.close(LONG).unwrap();
    let mut got = seen.lock().clone();
    got.sort();
    let mut want = Vec::new();
    for level in [Level::Warn, Level::Error] {
        for api in ["record", "writer", "entry"] {
            want.push((level, format!("{api} {level:?}")));
        }
    }
    want.sort();
    assert_eq!(got, want);
    let st = p.stats();
    assert_eq!((st.submitted, st.dropped_level, st.accepted), (12, 6, 6));
    assert_settled(&st);
}

#[test]
fn a_trusted_record_is_checked_where_it_is_decoded_with_lanes_and_at_once_without() {
    // A record whose header holds and whose body does not (a field of value type 9).
    let mut bad = record(0, 0);
    let at = bad.len() - 8 - 1; // the last field, `seq`: a u64 after its type byte
    assert_eq!(bad[at], 2, "the type byte of a u64");
    bad[at] = 9;
    assert!(logcap_core::record::check(&bad).is_err());
    // A record whose header does not hold (its total length one short of its bytes).
    let mut short = record(0, 1);
    short.push(0);
    for lanes in [true, false] {
        let (p, seen) = capture(&format!(r#"{{"lanes":{lanes}}}"#), "", Duration::ZERO);
        p.submit_trusted_record(&record(0, 7)).unwrap();
        let body = p.submit_trusted_record(&bad);
        let header = p.submit_trusted_record(&short);
        assert!(matches!(header, Err(Error::Record(_))), "{header:?}");
        p.close(LONG).unwrap();
        let s = p.stats();
        if lanes {
            // Taken, then dropped where the batcher decodes it, and counted.
            assert_eq!(body, Ok(()));
            assert_eq!(
                (s.submitted, s.dropped_malformed, s.accepted),
                (2, 1, 1),
                "{s:#?}"
            );
        } else {
            // Refused at once, as submit_record refuses it; nothing counted.
            assert!(matches!(body, Err(Error::Record(_))), "{body:?}");
            assert_eq!(
                (s.submitted, s.dropped_malformed, s.accepted),
                (1, 0, 1),
                "{s:#?}"
            );
        }
        assert_eq!(per_thread(&seen, 1), vec![vec![7]], "lanes {lanes}");
        assert_settled(&s);
    }
}

#[test]
fn a_full_lane_counts_its_refusals_in_the_pipelines_stats() {
    // Batches of one entry into a sink that takes 100 ms a batch and holds the batcher while
    // it is busy: a lane of 4 records fills, and each policy refuses what does not fit. Every
    // refusal the caller saw is counted once in the pipeline's stats (the lanes' counters
    // summed with the queue's), and the invariant holds once flushed.
    for (policy, want) in [("drop_newest", Error::QueueFull), ("block", Error::Timeout)] {
        let cfg = Config::from_json(&format!(
            r#"{{"queue":{{"capacity":4,"when_full":"{policy}","block_timeout_ms":20,"lanes":true}},
                "batch":{{"max_entries":1}},
                "sinks":[{{"type":"callback","name":"cap","queue_capacity":1,
                          "when_full":"block","block_timeout_ms":60000}}]}}"#
        ))
        .unwrap();
        let delivered = Arc::new(AtomicU64::new(0));
        let d = Arc::clone(&delivered);
        let p = Pipeline::builder(cfg)
            .callback("cap", move |batch| {
                std::thread::sleep(Duration::from_millis(100));
                d.fetch_add(batch.len() as u64, Ordering::Relaxed);
                Ok(())
            })
            .build()
            .unwrap();
        let mut refused = 0u64;
        for seq in 0..20 {
            match p.submit_record(&record(0, seq)) {
                Ok(()) => {}
                Err(e) if e == want => refused += 1,
                Err(e) => panic!("{policy}: {e}"),
            }
        }
        p.flush(LONG).unwrap();
        let s = p.stats();
        assert!(refused > 0, "{policy}: nothing refused: {s:#?}");
        let counted = match policy {
            "block" => (s.dropped_queue_timeout, s.dropped_queue_full),
            _ => (s.dropped_queue_full, s.dropped_queue_timeout),
        };
        assert_eq!(counted, (refused, 0), "{policy}: {s:#?}");
        assert_eq!(
            (s.submitted, s.accepted),
            (20, 20 - refused),
            "{policy}: {s:#?}"
        );
        assert_settled(&s);
        assert_eq!(delivered.load(Ordering::Relaxed), 20 - refused);
    }
}

/// A lane bound to no thread (the Go binding's), driven through the pipeline: writers on
/// several threads taking turns, the library's checks, counters and refusals on its slow path,
/// another pipeline's lane refused, and none with the shared queue or after close.
#[test]
fn an_unbound_lane_takes_records_from_any_thread_with_the_librarys_checks() {
    use logcap_core::record::RecordErrorKind;
    let none = Pipeline::from_json(r#"{"sinks":[{"type":"null","name":"n"}]}"#).unwrap();
    assert!(none.unbound_lane().unwrap().is_none(), "the shared queue");
    let other =
        Pipeline::from_json(r#"{"queue":{"lanes":true},"sinks":[{"type":"null"}]}"#).unwrap();
    let (p, seen) = capture(
        r#"{"lanes":true,"lane_bytes":4096,"capacity":16}"#,
        "",
        Duration::ZERO,
    );
    p.set_min_level(Level::Info);
    let lane = Arc::new(Mutex::new(p.unbound_lane().unwrap().expect("lanes are on")));
    let p = Arc::new(p);
    // Three threads, one after the other, and a lane that fills (16 records) and moves to a
    // larger one for a record over its ring: one order, every fourth an entry submitted whole.
    for t in 0..3u64 {
        let (p, lane) = (Arc::clone(&p), Arc::clone(&lane));
        std::thread::spawn(move || {
            for seq in t * 100..(t + 1) * 100 {
                if seq % 4 == 3 {
                    let mut d = EntryData::new();
                    fill_standard(&mut d);
                    d.set_field("thread", 0u64).unwrap();
                    d.set_field("seq", seq).unwrap();
                    p.submit_data_to(&mut lane.lock(), Box::new(d)).unwrap();
                    continue;
                }
                let mut rec = record(0, seq);
                if seq == 150 {
                    let mut d = EntryData::new();
                    fill_standard(&mut d);
                    d.set_field("thread", 0u64).unwrap();
                    d.set_field("seq", seq).unwrap();
                    d.set_field("pad", "x".repeat(5000).as_str()).unwrap();
                    rec.clear();
                    encode_entry(&d, &mut rec).unwrap();
                }
                p.submit_record_to(&mut lane.lock(), &rec).unwrap();
            }
        })
        .join()
        .unwrap();
    }
    let mut lane = lane.lock();
    // Below the level: counted, nothing written. Malformed or over a limit: refused with the
    // record's error, over a limit counted in refused_limit.
    let mut debug = record(0, 999);
    debug[3] = Level::Debug as u8;
    p.submit_record_to(&mut lane, &debug).unwrap();
    let bad = &record(0, 999)[..30];
    assert!(matches!(
        p.submit_record_to(&mut lane, bad),
        Err(Error::Record(_))
    ));
    let mut over = record(0, 999);
    over[16..18].copy_from_slice(&65u16.to_le_bytes()); // 65 labels: over the limit of 64
    match p.submit_record_to(&mut lane, &over) {
        Err(Error::Record(e)) => assert_eq!(e.kind, RecordErrorKind::TooManyLabels),
        r => panic!("{r:?}"),
    }
    // The same for entries: a message at the limit taken, below the level counted, a message
    // over the limit refused and counted.
    let mut d = EntryData::new();
    d.set_message(&"m".repeat(logcap_core::entry::MAX_MESSAGE_BYTES));
    d.set_field("thread", 0u64).unwrap();
    d.set_field("seq", 300u64).unwrap();
    p.submit_data_to(&mut lane, Box::new(d)).unwrap();
    let mut d = EntryData::new();
    d.set_level(Level::Debug);
    p.submit_data_to(&mut lane, Box::new(d)).unwrap();
    let mut d = EntryData::new();
    d.set_message(&"m".repeat(logcap_core::entry::MAX_MESSAGE_BYTES + 1));
    assert!(matches!(
        p.submit_data_to(&mut lane, Box::new(d)),
        Err(Error::Entry(_))
    ));
    let mine = other.unbound_lane().unwrap().unwrap();
    assert!(p.owns_lane(&lane) && !p.owns_lane(&mine) && !other.owns_lane(&lane));
    p.flush(LONG).unwrap();
    assert_eq!(per_thread(&seen, 1)[0], (0..=300).collect::<Vec<_>>());
    let s = p.stats();
    assert_settled(&s);
    assert_eq!(
        (s.submitted, s.accepted, s.dropped_level, s.refused_limit),
        (303, 301, 2, 2)
    );
    p.close(LONG).unwrap();
    assert!(matches!(
        p.submit_record_to(&mut lane, &record(0, 0)),
        Err(Error::Closed)
    ));
    assert!(matches!(
        p.submit_data_to(&mut lane, Box::new(EntryData::new())),
        Err(Error::Closed)
    ));
    assert!(matches!(p.unbound_lane(), Err(Error::Closed)));
}

#[test]
fn every_sink_reads_a_lanes_records_decoded_whether_the_batcher_or_a_sink_decodes_them() {
    // With lanes and no stage on the batcher, batches carry the records still packed and the
    // first sink that reads one decodes it for all; with redaction, the batcher decodes them
    // to run it. Either way three sinks reading the same batches at once (two callbacks and a
    // JSON-lines file) see every entry whole, with invalid UTF-8 replaced, in each thread's
    // order, and the file holds what the callbacks saw.
    let block = r#","when_full":"block","block_timeout_ms":60000"#;
    for stage in ["", r#","redact":{"keys":["password"]}"#] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let cfg = Config::from_json(&format!(
            r#"{{"queue":{{"lanes":true}},"batch":{{"max_entries":16,"max_delay_ms":2}}{stage},
                "sinks":[{{"type":"callback","name":"a"{block}}},{{"type":"callback","name":"b"{block}}},
                         {{"type":"file","name":"f","path":{},"format":"json"{block}}}]}}"#,
            serde_json::to_string(&path).unwrap()
        ))
        .unwrap();
        let seen: [Arc<Mutex<Vec<String>>>; 2] = Default::default();
        let mut b = Pipeline::builder(cfg);
        for (name, s) in ["a", "b"].into_iter().zip(&seen) {
            let s = Arc::clone(s);
            b = b.callback(name, move |batch| {
                s.lock().extend(batch.iter().map(|e| {
                    format!(
                        "{}/{}/{:?}",
                        num(e, "thread"),
                        num(e, "seq"),
                        e.label("password")
                    )
                }));
                Ok(())
            });
        }
        let p = b.build().unwrap();
        let per = 300u64;
        std::thread::scope(|s| {
            for t in 0..2u64 {
                let p = &p;
                s.spawn(move || {
                    for seq in 0..per {
                        let mut d = EntryData::new();
                        fill_standard(&mut d);
                        d.set_field("thread", t).unwrap();
                        d.set_field("seq", seq).unwrap();
                        d.set_label("password", "hunter2").unwrap();
                        let mut rec = Vec::new();
                        encode_entry(&d, &mut rec).unwrap();
                        if seq.is_multiple_of(7) {
                            // "hunter2" → "hunt\xff r2": invalid UTF-8, replaced on decoding.
                            let at = rec.windows(7).position(|w| w == b"hunter2").unwrap();
                            rec[at + 4] = 0xff;
                        }
                        p.submit_record(&rec).unwrap();
                    }
                });
            }
        });
        p.close(LONG).unwrap();
        assert_settled(&p.stats());
        let (a, b) = (seen[0].lock(), seen[1].lock());
        assert_eq!(*a, *b, "{stage}");
        assert_eq!(a.len() as u64, 2 * per, "{stage}");
        let password = if stage.is_empty() {
            |seq: u64| {
                if seq.is_multiple_of(7) {
                    "Some(\"hunt\u{fffd}r2\")"
                } else {
                    "Some(\"hunter2\")"
                }
            }
        } else {
            |_| "Some(\"[REDACTED]\")"
        };
        for t in 0..2 {
            let mine: Vec<&String> = a
                .iter()
                .filter(|l| l.starts_with(&format!("{t}/")))
                .collect();
            let want: Vec<String> = (0..per)
                .map(|seq| format!("{t}/{seq}/{}", password(seq)))
                .collect();
            assert_eq!(mine, want.iter().collect::<Vec<_>>(), "{stage}");
        }
        let lines: Vec<serde_json::Value> = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let from_file: Vec<String> = lines
            .iter()
            .map(|v| {
                let label = v["labels"]["password"].as_str().map(|s| format!("{s:?}"));
                format!(
                    "{}/{}/{}",
                    v["fields"]["thread"],
                    v["fields"]["seq"],
                    label.map_or("None".into(), |s| format!("Some({s})"))
                )
            })
            .collect();
        assert_eq!(from_file, *a, "{stage}");
    }
}
