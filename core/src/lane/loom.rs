//! The lane protocol under loom, which runs each model in every interleaving (and every
//! outcome the memory orderings allow) of its threads, with no preemption bound: `make test-loom`, that is
//! `RUSTFLAGS="--cfg loom" cargo test --release -p logcap-core --lib lane::loom`.
//!
//! The ring has room for one frame at a time, so every second record wraps behind a skip
//! frame and the producer must wait for the consumer to free the bytes it reuses. Loom's
//! checked cells cover the ring, so a read of bytes not ordered after their write fails too.

use super::{close_lanes, prepare_sleep, woke, Consumer, Lane, Producer, PushError};
use crate::record::{encode, Record};
use loom::thread;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Runs a model in every interleaving with at most `bound` preemptions (`None`: every
/// interleaving), and returns how many there were (a model that explores only a handful
/// checks little).
fn explore(bound: Option<usize>, model: impl Fn() + Sync + Send + 'static) -> usize {
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&runs);
    let mut b = loom::model::Builder::new();
    b.preemption_bound = bound;
    b.check(move || {
        counted.fetch_add(1, Ordering::Relaxed);
        model()
    });
    let n = runs.load(Ordering::Relaxed);
    println!("{n} interleavings");
    n
}

/// A 64-byte ring: one 40-byte frame of a minimal record fits, two do not.
const CAPACITY: usize = 64;

/// Records in the wrap model: the second wraps behind a skip frame, the third wraps again.
const RECORDS: u64 = 3;

/// The smallest record, told apart by its timestamp.
fn rec(n: u64) -> Vec<u8> {
    let mut b = Vec::new();
    let r = Record {
        timestamp_ns: n,
        ..Record::default()
    };
    encode(&r, &mut b).unwrap();
    b
}

/// A record of `n` with a message of 8 bytes: a 48-byte frame, more than half the ring.
fn long_rec(n: u64) -> Vec<u8> {
    let mut b = Vec::new();
    let r = Record {
        timestamp_ns: n,
        message: "12345678",
        ..Record::default()
    };
    encode(&r, &mut b).unwrap();
    b
}

/// Pushes and publishes one record, yielding while the lane is full; returns whether the
/// consumer must be woken.
fn send(p: &mut Producer, n: u64) -> bool {
    send_record(p, &rec(n))
}

/// [`send`] for a record given whole.
fn send_record(p: &mut Producer, r: &[u8]) -> bool {
    loop {
        match p.try_push(r) {
            Ok(()) => return p.publish(),
            Err(PushError::Full) => thread::yield_now(),
            Err(PushError::TooLarge) => unreachable!(),
        }
    }
}

#[test]
fn every_record_once_and_in_order_across_a_wrap() {
    let runs = explore(Some(5), || {
        let lane = Arc::new(Lane::new(CAPACITY).unwrap());
        assert_eq!(super::frame_size(rec(1).len()), 40);
        let mut p = Producer::new(Arc::clone(&lane));
        let producer = thread::spawn(move || {
            for n in 1..=RECORDS {
                let _ = send(&mut p, n);
            }
        });
        let mut c = Consumer::new(lane);
        let mut seen = Vec::new();
        while seen.len() < RECORDS as usize {
            let pass = c.drain(|r| seen.push(r.timestamp_ns));
            assert_eq!((pass.malformed, pass.poisoned), (0, false));
            if pass.consumed == 0 {
                thread::yield_now();
            }
        }
        assert_eq!(seen, (1..=RECORDS).collect::<Vec<_>>());
        producer.join().unwrap();
        assert!(c.is_empty());
    });
    assert!(runs > 100, "{runs}");
}

#[test]
fn a_frame_over_half_the_ring_past_its_middle_goes_in_after_a_lone_skip() {
    let runs = explore(Some(4), || {
        let lane = Arc::new(Lane::new(CAPACITY).unwrap());
        // 40 bytes, then 48 at offset 40: the 24-byte skip and the frame are more than the
        // ring, so the skip is published alone and the frame follows at the ring's start
        // once the consumer has stepped over it; then 40 bytes behind a 16-byte skip.
        assert_eq!(super::frame_size(long_rec(2).len()), 48);
        let mut p = Producer::new(Arc::clone(&lane));
        let producer = thread::spawn(move || {
            let _ = send(&mut p, 1);
            let _ = send_record(&mut p, &long_rec(2));
            let _ = send(&mut p, 3);
        });
        let mut c = Consumer::new(lane);
        let mut seen = Vec::new();
        while seen.len() < 3 {
            let pass = c.drain(|r| seen.push(r.timestamp_ns));
            assert_eq!((pass.malformed, pass.poisoned), (0, false));
            if pass.consumed == 0 {
                thread::yield_now();
            }
        }
        assert_eq!(seen, [1, 2, 3]);
        producer.join().unwrap();
        assert!(c.is_empty());
    });
    assert!(runs > 100, "{runs}");
}

#[test]
fn a_publish_while_the_consumer_goes_to_sleep_always_wakes_it() {
    let runs = explore(None, || {
        let lane = Arc::new(Lane::new(CAPACITY).unwrap());
        let lanes = [Consumer::new(Arc::clone(&lane))];
        // Awake at the start, so that only the handshake can wake it (a new lane says
        // asleep, which would make every first publish wake it).
        woke(&lanes);
        // The consumer on a thread of its own, which nothing but the producer unparks (loom's
        // join waits through the same mechanism, so the joining thread must not park).
        let consumer = thread::spawn(move || {
            let [mut c] = lanes;
            let mut seen = Vec::new();
            loop {
                c.drain(|r| seen.push(r.timestamp_ns));
                if seen.len() == 2 {
                    return seen;
                }
                let lanes = std::slice::from_ref(&c);
                if prepare_sleep(lanes) {
                    // A lost wake-up parks this thread for ever: loom reports a deadlock.
                    thread::park();
                    woke(lanes);
                }
            }
        });
        let mut p = Producer::new(lane);
        for n in 1..=2 {
            if send(&mut p, n) {
                consumer.thread().unpark();
            }
        }
        assert_eq!(consumer.join().unwrap(), [1, 2]);
    });
    assert!(runs > 100, "{runs}");
}

#[test]
fn close_racing_a_producer_loses_no_record_that_was_accepted() {
    let runs = explore(None, || {
        let lane = Arc::new(Lane::new(CAPACITY).unwrap());
        let mut p = Producer::new(Arc::clone(&lane));
        let producer = thread::spawn(move || {
            // One call, as `Producer::submit` makes it: accepted only if it got past `enter`.
            if p.enter().is_err() {
                return false;
            }
            p.try_push(&rec(1)).unwrap();
            let _ = p.publish();
            p.leave();
            true
        });
        close_lanes([&*lane]);
        while lane.is_busy() {
            thread::yield_now();
        }
        // The last pass, after which nothing more is read.
        let mut c = Consumer::new(Arc::clone(&lane));
        let mut seen = Vec::new();
        c.drain(|r| seen.push(r.timestamp_ns));
        let accepted = producer.join().unwrap();
        assert_eq!(seen.len(), usize::from(accepted));
        assert!(c.is_empty(), "a record was published after the last pass");
    });
    assert!(runs > 10, "{runs}");
}
