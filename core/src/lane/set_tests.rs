use super::*;
use crate::record::{encode, Record};
use crate::EntryData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A record whose message names its producer and its number.
fn rec(producer: u64, n: u64) -> Vec<u8> {
    let msg = format!("{producer} {n}");
    let mut b = Vec::new();
    encode(
        &Record {
            message: &msg,
            ..Record::default()
        },
        &mut b,
    )
    .unwrap();
    b
}

pub(super) fn parse(record: &[u8]) -> (u64, u64) {
    let mut e = EntryData::new();
    crate::record::decode_into(record, &mut e).unwrap();
    let (p, n) = e.message().split_once(' ').unwrap();
    (p.parse().unwrap(), n.parse().unwrap())
}

const BLOCK: FullPolicy = FullPolicy::Block(Duration::from_secs(30));

/// Reads until `stop` says so and every lane is empty, checking that each producer's records
/// come once and in order; returns how many came from each.
fn read_all(set: Arc<LaneSet>, producers: usize, stop: Arc<AtomicBool>) -> Vec<u64> {
    let mut reader = set.reader();
    let mut next = vec![0u64; producers];
    loop {
        reader.pass(|r| {
            let (p, n) = parse(r.record);
            assert_eq!(n, next[p as usize], "producer {p}: out of order or twice");
            next[p as usize] += 1;
        });
        if stop.load(Ordering::Acquire) && reader.is_empty() {
            reader.pass(|_| panic!("a record after the last pass"));
            return next;
        }
        reader.sleep(Some(Duration::from_millis(50)));
    }
}

#[test]
fn four_producer_threads_each_in_order_and_exactly_once() {
    const N: u64 = 20_000;
    let set = LaneSet::new(4096, 64, BLOCK).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (set, stop) = (Arc::clone(&set), Arc::clone(&stop));
        std::thread::spawn(move || read_all(set, 4, stop))
    };
    let producers: Vec<_> = (0..4)
        .map(|p| {
            let set = Arc::clone(&set);
            std::thread::spawn(move || {
                for n in 0..N {
                    set.submit(&rec(p, n)).unwrap();
                }
            })
        })
        .collect();
    for p in producers {
        p.join().unwrap();
    }
    stop.store(true, Ordering::Release);
    set.wake();
    assert_eq!(reader.join().unwrap(), vec![N; 4]);
    let c = set.counters();
    assert_eq!((c.submitted, c.consumed, c.pending()), (4 * N, 4 * N, 0));
}

#[test]
fn a_thread_that_exits_with_records_in_its_lane_loses_none() {
    let set = LaneSet::new(8192, 0, BLOCK).unwrap();
    let mut reader = set.reader();
    {
        let set = Arc::clone(&set);
        std::thread::spawn(move || {
            for n in 0..50 {
                set.submit(&rec(0, n)).unwrap();
            }
        })
        .join()
        .unwrap();
    }
    // The exited thread's lane is still there, holding its records.
    assert_eq!(set.footprint(), (1, HEADER_LEN + 8192));
    let mut seen = Vec::new();
    reader.pass(|r| seen.push(parse(r.record).1));
    assert_eq!(seen, (0..50).collect::<Vec<_>>());
    // The lane was retired by the thread's exit and is dropped once read; its counters stay.
    assert_eq!(set.footprint(), (0, 0));
    let c = set.counters();
    assert_eq!((c.submitted, c.consumed), (50, 50));
}

#[test]
fn close_racing_producers_delivers_every_accepted_record_and_counts_no_other() {
    let set = LaneSet::new(4096, 0, BLOCK).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (set, stop) = (Arc::clone(&set), Arc::clone(&stop));
        std::thread::spawn(move || read_all(set, 4, stop))
    };
    let accepted: Vec<_> = (0..4)
        .map(|p| {
            let set = Arc::clone(&set);
            std::thread::spawn(move || {
                let mut n = 0;
                loop {
                    match set.submit(&rec(p, n)) {
                        Ok(()) => n += 1,
                        Err(SubmitError::Closed) => return n,
                        Err(e) => panic!("{e:?}"),
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(20));
    assert!(set.close(Instant::now() + Duration::from_secs(10)));
    let accepted: Vec<u64> = accepted.into_iter().map(|t| t.join().unwrap()).collect();
    stop.store(true, Ordering::Release);
    set.wake();
    assert_eq!(reader.join().unwrap(), accepted);
    assert!(accepted.iter().all(|&n| n > 0), "{accepted:?}");
    let c = set.counters();
    let total: u64 = accepted.iter().sum();
    assert_eq!((c.submitted, c.consumed), (total, total));
    // A thread that first submits after close gets a lane that is closed from the start.
    let late = Arc::clone(&set);
    let r = std::thread::spawn(move || late.submit(&rec(9, 0)))
        .join()
        .unwrap();
    assert_eq!(r, Err(SubmitError::Closed));
}

#[test]
fn a_record_larger_than_the_rings_moves_the_thread_to_a_larger_lane_in_order() {
    let set = LaneSet::new(4096, 0, BLOCK).unwrap();
    let mut reader = set.reader();
    let big = {
        let pad = "y".repeat(10_000);
        let mut b = Vec::new();
        encode(
            &Record {
                message: "0 1",
                fields: &[("pad", crate::ValueRef::Str(&pad))],
                ..Record::default()
            },
            &mut b,
        )
        .unwrap();
        b
    };
    set.submit(&rec(0, 0)).unwrap();
    set.submit(&big).unwrap();
    set.submit(&rec(0, 2)).unwrap();
    let mut seen = Vec::new();
    reader.pass(|r| seen.push(parse(r.record).1));
    assert_eq!(seen, [0, 1, 2]);
}

#[test]
fn a_reader_that_waits_elsewhere_still_serves_drop_oldest() {
    let policy = FullPolicy::DropOldest(Duration::from_secs(30));
    let set = LaneSet::new(4096, 4, policy).unwrap();
    let reader = {
        let set = Arc::clone(&set);
        std::thread::spawn(move || {
            // Waits elsewhere (as for room in a sink's queue) and only serves evictions,
            // until the producer has submitted everything; then reads what is left.
            let mut r = set.reader();
            let mut evicted = 0;
            while !set.is_closed() {
                evicted += r.serve_evictions();
                std::thread::sleep(Duration::from_micros(200));
            }
            let mut seen = Vec::new();
            r.pass(|x| seen.push(parse(x.record).1));
            (evicted, seen)
        })
    };
    for n in 0..10 {
        set.submit(&rec(0, n)).unwrap();
    }
    assert!(set.close(Instant::now() + Duration::from_secs(10)));
    let (evicted, seen) = reader.join().unwrap();
    // The four newest survive, in order; the six oldest were evicted, undecoded.
    assert_eq!((evicted, seen), (6, vec![6, 7, 8, 9]));
    let c = set.counters();
    assert_eq!(
        (c.submitted, c.evicted, c.consumed, c.dropped_full),
        (10, 6, 4, 0)
    );
}

#[test]
fn a_lane_registered_while_a_pass_drops_a_finished_one_is_still_read() {
    // Thread 0 submits a record and exits: its lane is retired with the record in it. The
    // reader's pass takes the lane list, and while it reads that record (in `take`), thread
    // 1 registers a lane of its own and submits into it. At the end of the pass the first
    // lane is finished and dropped from the list: the reader must still take the second lane
    // on its next look, although the list changed twice since its last.
    let set = LaneSet::new(4096, 0, BLOCK).unwrap();
    let submit_from_a_thread = |producer: u64| {
        let set = Arc::clone(&set);
        std::thread::spawn(move || set.submit(&rec(producer, 0)).unwrap())
            .join()
            .unwrap();
    };
    submit_from_a_thread(0);
    let mut reader = set.reader();
    let mut got = Vec::new();
    reader.pass(|r| {
        got.push(parse(r.record));
        submit_from_a_thread(1);
    });
    assert_eq!(got, [(0, 0)]);
    reader.pass(|r| got.push(parse(r.record)));
    assert_eq!(
        got,
        [(0, 0), (1, 0)],
        "the second lane's record was never read"
    );
    assert!(reader.is_empty());
    assert_eq!(set.counters().consumed, 2);
}

#[test]
fn every_lane_repeats_the_minimum_level_set_before_or_after_it_was_made() {
    let set = LaneSet::new(4096, 0, BLOCK).unwrap();
    set.set_min_level(2);
    let first = set.attach().unwrap();
    let header_level = |t: &ThreadLane| {
        // SAFETY: the lane's memory is `len()` bytes and lives as long as `t`.
        #[allow(unsafe_code)]
        unsafe {
            *t.memory().add(204)
        }
    };
    assert_eq!(
        header_level(&first),
        2,
        "a lane made after the level was set"
    );
    set.set_min_level(4);
    assert_eq!(header_level(&first), 4, "a lane made before");
    // The thread's lane again: the same one.
    assert_eq!(set.attach().unwrap().memory(), first.memory());
    assert_eq!(first.size(), HEADER_LEN + 4096);
}

/// A pass's totals are the sums over its lanes of what it consumed, evicted and dropped as
/// malformed, as the lanes' own counters have them.
#[test]
fn a_pass_adds_up_what_it_did_in_every_lane() {
    let policy = FullPolicy::DropOldest(Duration::from_secs(30));
    let set = LaneSet::new(4096, 4, policy).unwrap();
    let mut reader = set.reader();
    // Two lanes, each with two good records and a malformed one.
    std::thread::scope(|s| {
        for p in 0..2 {
            let set = &set;
            s.spawn(move || {
                let mut bad = rec(p, 1);
                bad[0] = b'X';
                for r in [rec(p, 0), bad, rec(p, 2)] {
                    set.submit(&r).unwrap();
                }
            });
        }
    });
    let mut seen = Vec::new();
    let pass = reader.pass(|r| seen.push(parse(r.record)));
    assert_eq!((pass.consumed, pass.malformed, pass.evicted), (4, 2, 0));
    assert!(!pass.full && !pass.poisoned, "{pass:?}");
    seen.sort_unstable();
    assert_eq!(seen, [(0, 0), (0, 2), (1, 0), (1, 2)]);
    // A third lane, full (four records), and a fifth record waiting for the oldest to be
    // evicted: the next pass evicts it and consumes the other three.
    // Its thread stays until told, so that the lane stays in the reader's list.
    let (exit, exiting) = std::sync::mpsc::channel::<()>();
    let producer = {
        let set = Arc::clone(&set);
        std::thread::spawn(move || {
            for n in 0..5 {
                set.submit(&rec(2, n)).unwrap();
            }
            let _ = exiting.recv();
        })
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let lane = loop {
        let asked = set
            .lanes()
            .into_iter()
            .find(|l| l.header().producer.evict_to.load(Ordering::Acquire) > 0);
        if let Some(l) = asked {
            break l;
        }
        assert!(Instant::now() < deadline, "no eviction asked for");
        std::thread::sleep(Duration::from_millis(1));
    };
    let mut seen = Vec::new();
    let pass = reader.pass(|r| seen.push(parse(r.record).1));
    assert_eq!((pass.consumed, pass.malformed, pass.evicted), (3, 0, 1));
    // (`full` says whether the producer was still waiting when the pass released the frames,
    // which depends on how soon it saw the first one released: not asserted.)
    assert_eq!(seen, [1, 2, 3]);
    // The fifth record, once it is in.
    let h = lane.header();
    while h.producer.write.load(Ordering::Acquire) == h.consumer.read.load(Ordering::Acquire) {
        assert!(Instant::now() < deadline, "the fifth record never came");
        std::thread::sleep(Duration::from_millis(1));
    }
    let last = reader.pass(|r| seen.push(parse(r.record).1));
    assert_eq!((last.consumed, last.evicted), (1, 0));
    assert_eq!(seen, [1, 2, 3, 4]);
    let c = lane.counters();
    assert_eq!((c.consumed, c.evicted), (4, 1));
    let all = set.counters();
    assert_eq!((all.consumed, all.evicted, all.malformed), (8, 1, 2));
    // A write position off the frame alignment poisons the lane: the pass says so.
    h.producer.write.store(
        h.producer.write.load(Ordering::Acquire) + 3,
        Ordering::Release,
    );
    let pass = reader.pass(|_| panic!("nothing to read"));
    assert!(pass.poisoned && !pass.full, "{pass:?}");
    exit.send(()).unwrap();
    producer.join().unwrap();
}
