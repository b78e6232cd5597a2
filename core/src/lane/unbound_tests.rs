//! Lanes bound to no thread, written as the Go binding writes them: writers on any thread
//! taking turns under a lock, writing frames into the lane's memory themselves and calling the
//! library for the rest. The writer's side is raw memory, as it is for Go: unsafe code.
#![allow(unsafe_code)]

use super::set_tests::parse;
use super::*;
use crate::record::{encode, Record};
use parking_lot::Mutex;
use std::sync::atomic::{fence, AtomicBool, AtomicU32, AtomicU64, Ordering::*};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn rec(producer: u64, n: u64, pad: usize) -> Vec<u8> {
    let msg = format!("{producer} {n}");
    let pad = "p".repeat(pad);
    let mut b = Vec::new();
    encode(
        &Record {
            message: &msg,
            fields: &[("pad", crate::ValueRef::Str(&pad))],
            ..Record::default()
        },
        &mut b,
    )
    .unwrap();
    b
}

fn u64_at(mem: *mut u8, off: usize) -> &'static AtomicU64 {
    // SAFETY: the tests keep the lane alive while they use its memory; `off` is a u64 field
    // of the header (docs/lane-protocol.md), aligned to 8 in memory aligned to 64.
    unsafe { AtomicU64::from_ptr(mem.add(off).cast()) }
}

fn u32_at(mem: *mut u8, off: usize) -> &'static AtomicU32 {
    // SAFETY: as in `u64_at`, for a u32 field.
    unsafe { AtomicU32::from_ptr(mem.add(off).cast()) }
}

/// What a writer outside the library does with `record` (docs/lane-protocol.md, the plain
/// case, with SeqCst stores and loads as Go's sync/atomic has them): `None` when it is not
/// the plain case (closed, poisoned, no room, larger than the ring) and the library must take
/// it; otherwise whether the consumer must be woken.
fn foreign_push(mem: *mut u8, record: &[u8]) -> Option<bool> {
    let busy = u32_at(mem, 112);
    busy.store(1, SeqCst);
    if u32_at(mem, 196).load(SeqCst) != 0 || u32_at(mem, 200).load(SeqCst) != 0 {
        busy.store(0, SeqCst);
        return None;
    }
    let cap = u64::from(u32_at(mem, 8).load(Relaxed));
    let max = u64::from(u32_at(mem, 12).load(Relaxed));
    let w = u64_at(mem, 64).load(Relaxed);
    let submitted = u64_at(mem, 80).load(Relaxed);
    let pushed = submitted
        - u64_at(mem, 88).load(Relaxed)
        - u64_at(mem, 96).load(Relaxed)
        - u64_at(mem, 104).load(Relaxed);
    let f = 8 + align8(record.len()) as u64;
    let to_end = cap - (w & (cap - 1));
    let skip = if f <= to_end { 0 } else { to_end };
    let (read, released) = (
        u64_at(mem, 128).load(Acquire),
        u64_at(mem, 160).load(Acquire),
    );
    if f > cap || w + skip + f - read > cap || (max != 0 && pushed - released >= max) {
        busy.store(0, SeqCst);
        return None;
    }
    let ring = |pos: u64| {
        // SAFETY: the ring starts after the header and holds `cap` bytes; `pos` is masked.
        unsafe { mem.add(HEADER_LEN + (pos & (cap - 1)) as usize) }
    };
    let header = |at: *mut u8, len: u32, kind: u32| {
        // SAFETY: a frame header's 8 bytes lie within the ring (frames never run past it).
        unsafe {
            at.cast::<[u8; 4]>().write(len.to_le_bytes());
            at.add(4).cast::<[u8; 4]>().write(kind.to_le_bytes());
        }
    };
    if skip != 0 {
        header(ring(w), 0, KIND_SKIP);
    }
    let at = ring(w + skip);
    header(at, record.len() as u32, KIND_RECORD);
    // SAFETY: the frame's payload fits before the ring's end (`f ≤` what is left there).
    unsafe { std::ptr::copy_nonoverlapping(record.as_ptr(), at.add(8), record.len()) };
    u64_at(mem, 80).store(submitted + 1, Relaxed);
    u64_at(mem, 64).store(w + skip + f, SeqCst);
    busy.store(0, SeqCst);
    fence(SeqCst);
    Some(u32_at(mem, 192).load(SeqCst) != 0)
}

/// Records the writers wrote themselves, for the tests to check that they did.
static FOREIGN: AtomicU64 = AtomicU64::new(0);

/// One record from a writer holding `lane`: its own write when it can, the library's call
/// otherwise, as the Go binding does.
fn push(lane: &mut UnboundLane, record: &[u8], library: bool) -> Result<(), SubmitError> {
    if !library {
        if let Some(wake) = foreign_push(lane.memory(), record) {
            FOREIGN.fetch_add(1, Relaxed);
            if wake {
                lane.wake();
            }
            return Ok(());
        }
    }
    lane.submit_stamped(record, 0)
}

/// Reads until `stop` and every lane is empty, checking each producer's order; returns how
/// many came from each.
fn read_all(set: Arc<LaneSet>, producers: usize, stop: Arc<AtomicBool>) -> Vec<u64> {
    let mut reader = set.reader();
    let mut next = vec![0u64; producers];
    loop {
        let pass = reader.pass(|r| {
            let (p, n) = parse(r.record);
            assert_eq!(n, next[p as usize], "producer {p}: out of order or twice");
            next[p as usize] += 1;
        });
        assert_eq!(pass.malformed, 0);
        if stop.load(Acquire) && reader.is_empty() {
            return next;
        }
        reader.sleep(Some(Duration::from_millis(50)));
    }
}

#[test]
fn writers_on_any_thread_taking_turns_at_two_unbound_lanes_deliver_each_once_in_order() {
    const N: u64 = 5_000;
    let set = LaneSet::new(4096, 32, FullPolicy::Block(Duration::from_secs(30))).unwrap();
    let lanes: Arc<Vec<Mutex<UnboundLane>>> =
        Arc::new((0..2).map(|_| Mutex::new(set.unbound().unwrap())).collect());
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (set, stop) = (Arc::clone(&set), Arc::clone(&stop));
        std::thread::spawn(move || read_all(set, 4, stop))
    };
    // Producer p writes through lane p % 2 only, so its records keep one order; each record
    // goes in by the writer's own stores or, one in five and whenever those cannot, by the
    // library, from threads that change: a producer's records come from several threads.
    let producers: Vec<_> = (0..4u64)
        .map(|p| {
            let lanes = Arc::clone(&lanes);
            std::thread::spawn(move || {
                for chunk in 0..10 {
                    let lanes = Arc::clone(&lanes);
                    std::thread::spawn(move || {
                        for n in chunk * N / 10..(chunk + 1) * N / 10 {
                            let r = rec(p, n, (n % 300) as usize);
                            let mut lane = lanes[(p % 2) as usize].lock();
                            push(&mut lane, &r, n % 5 == 0).unwrap();
                        }
                    })
                    .join()
                    .unwrap();
                }
            })
        })
        .collect();
    let foreign = FOREIGN.load(Relaxed);
    for p in producers {
        p.join().unwrap();
    }
    stop.store(true, Release);
    set.wake();
    assert_eq!(reader.join().unwrap(), vec![N; 4]);
    let c = set.counters();
    assert_eq!((c.submitted, c.consumed, c.pending()), (4 * N, 4 * N, 0));
    // Most records went in by the writers' own stores (four in five were meant to; a full
    // lane sends some to the library), not all through the library.
    let foreign = FOREIGN.load(Relaxed) - foreign;
    assert!(
        foreign > 4 * N / 2,
        "{foreign} of {} written by the writers",
        4 * N
    );
}

#[test]
fn a_writer_that_finds_the_consumer_asleep_wakes_it_through_the_lane() {
    // The consumer sleeps with no timer of its own: only a wake gets it to the records.
    let set = LaneSet::new(4096, 0, FullPolicy::DropNewest).unwrap();
    let mut lane = set.unbound().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = {
        let set = Arc::clone(&set);
        std::thread::spawn(move || {
            let mut reader = set.reader();
            let mut seen = 0;
            while seen < 3 {
                reader.sleep(None);
                reader.pass(|_| seen += 1);
            }
            tx.send(seen).unwrap();
        })
    };
    // Let the reader go to sleep on its (still empty) set, then publish one record at a time.
    std::thread::sleep(Duration::from_millis(50));
    for n in 0..3 {
        push(&mut lane, &rec(0, n, 0), false).unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(30)),
        Ok(3),
        "the consumer was not woken"
    );
    reader.join().unwrap();
}

#[test]
fn a_record_larger_than_the_ring_moves_an_unbound_lane_and_keeps_the_order() {
    let set = LaneSet::new(4096, 16, FullPolicy::Block(Duration::from_secs(5))).unwrap();
    let mut reader = set.reader();
    let mut lane = set.unbound().unwrap();
    let first = lane.memory();
    push(&mut lane, &rec(0, 0, 0), false).unwrap();
    push(&mut lane, &rec(0, 1, 10_000), false).unwrap();
    assert_ne!(lane.memory(), first, "the lane was replaced");
    assert!(lane.size() >= HEADER_LEN + 16_384);
    push(&mut lane, &rec(0, 2, 0), false).unwrap();
    let mut seen = Vec::new();
    reader.pass(|r| seen.push(parse(r.record).1));
    assert_eq!(seen, [0, 1, 2]);
    // The old lane was retired and, read to its end, dropped.
    assert_eq!(set.footprint().0, 1);
    drop(lane);
    reader.pass(|_| panic!("nothing left"));
    assert_eq!(set.footprint(), (0, 0));
    assert_eq!(set.counters().consumed, 3);
}

#[test]
fn a_dropped_unbound_lane_is_retired_with_its_records_delivered() {
    let set = LaneSet::new(4096, 0, FullPolicy::DropNewest).unwrap();
    let mut reader = set.reader();
    let mut lane = set.unbound().unwrap();
    for n in 0..5 {
        push(&mut lane, &rec(0, n, 0), n == 2).unwrap();
    }
    drop(lane);
    let mut seen = Vec::new();
    reader.pass(|r| seen.push(parse(r.record).1));
    assert_eq!(seen, [0, 1, 2, 3, 4]);
    assert_eq!(set.footprint(), (0, 0));
    let c = set.counters();
    assert_eq!((c.submitted, c.consumed), (5, 5));
}

#[test]
fn a_full_unbound_lane_takes_the_policy_through_the_library_and_counts() {
    let set = LaneSet::new(4096, 4, FullPolicy::DropNewest).unwrap();
    let mut lane = set.unbound().unwrap();
    for n in 0..4 {
        push(&mut lane, &rec(0, n, 0), false).unwrap();
    }
    // The writer finds no room and leaves it to the library, which applies drop_newest.
    assert_eq!(foreign_push(lane.memory(), &rec(0, 4, 0)), None);
    assert_eq!(
        push(&mut lane, &rec(0, 4, 0), false),
        Err(SubmitError::Full)
    );
    lane.count_below_level().unwrap();
    let c = set.counters();
    assert_eq!(
        (c.submitted, c.dropped_full, c.dropped_level, c.pending()),
        (6, 1, 1, 4)
    );
}

#[test]
fn after_close_an_unbound_lane_refuses_both_ways_and_no_new_one_opens() {
    let set = LaneSet::new(4096, 0, FullPolicy::DropNewest).unwrap();
    let mut lane = set.unbound().unwrap();
    push(&mut lane, &rec(0, 0, 0), false).unwrap();
    assert!(set.close(Instant::now() + Duration::from_secs(5)));
    assert_eq!(foreign_push(lane.memory(), &rec(0, 1, 0)), None);
    assert_eq!(
        lane.submit_stamped(&rec(0, 1, 0), 0),
        Err(SubmitError::Closed)
    );
    assert_eq!(lane.count_below_level(), Err(SubmitError::Closed));
    assert!(matches!(set.unbound(), Err(SubmitError::Closed)));
    let c = set.counters();
    assert_eq!((c.submitted, c.pending()), (1, 1));
}

#[test]
fn an_entry_submitted_into_an_unbound_lane_keeps_its_place_among_the_records() {
    let set = LaneSet::new(4096, 16, FullPolicy::Block(Duration::from_secs(5))).unwrap();
    let mut reader = set.reader();
    let mut lane = set.unbound().unwrap();
    let entry = |n: u64| {
        let mut e = Box::new(crate::entry::EntryData::new());
        e.set_message(&format!("0 {n}"));
        e
    };
    push(&mut lane, &rec(0, 0, 0), false).unwrap();
    lane.submit_entry(entry(1)).unwrap();
    push(&mut lane, &rec(0, 2, 0), false).unwrap();
    let first = lane.memory();
    // Larger than the ring: the lane moves, and the next entry goes into the new one.
    push(&mut lane, &rec(0, 3, 10_000), false).unwrap();
    assert_ne!(lane.memory(), first);
    lane.submit_entry(entry(4)).unwrap();
    push(&mut lane, &rec(0, 5, 0), false).unwrap();
    let seen = std::cell::RefCell::new(Vec::new());
    let pass = reader.pass_all(
        |r| seen.borrow_mut().push(parse(r.record).1),
        |e| {
            let (_, n) = e.message().split_once(' ').unwrap();
            seen.borrow_mut().push(n.parse().unwrap());
        },
    );
    assert_eq!(seen.into_inner(), [0, 1, 2, 3, 4, 5]);
    assert_eq!(pass.malformed, 0);
    assert_eq!(set.counters().submitted, 6);
    // After close the entry is refused and comes back.
    assert!(set.close(Instant::now() + Duration::from_secs(5)));
    let (err, back) = lane.submit_entry(entry(6)).unwrap_err();
    assert_eq!(err, SubmitError::Closed);
    assert_eq!(back.message(), "0 6");
}
