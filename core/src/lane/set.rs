//! The lanes of one pipeline (docs/lane-protocol.md, "Who writes a lane", "Flush and close",
//! "Retiring a lane"): each thread that submits gets a lane of its own on its first submit
//! (thread-local), retired when the thread exits; the one consumer reads them all in the
//! order they were registered, sleeps when all are empty, and drops the lanes that are done.

use super::consumer::{checking, prepare_sleep, woke, Checked, Consumer, Pass};
use super::control::close_lanes;
use super::layout::{frame_size, Lane, LaneCounters, ENTRY_PAYLOAD, MAX_CAPACITY};
use super::producer::{FullPolicy, Producer, SubmitError};
use crate::entry::EntryData;
use parking_lot::Mutex;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::thread::Thread;
use std::time::{Duration, Instant};

static NEXT_SET: AtomicU64 = AtomicU64::new(1);

/// The lanes registered so far, in order; `generation` changes with the list.
#[derive(Default)]
struct Registry {
    lanes: Vec<Arc<Lane>>,
    generation: u64,
    closed: bool,
}

/// Every lane of one pipeline.
pub struct LaneSet {
    id: u64,
    capacity: usize,
    max_records: u32,
    policy: FullPolicy,
    registry: Mutex<Registry>,
    /// The consumer's thread, which producers unpark.
    consumer: OnceLock<Thread>,
    /// The counters of lanes the consumer has dropped.
    retired: Mutex<LaneCounters>,
    closed: AtomicBool,
    /// The pipeline's minimum level, which every lane's control line repeats.
    min_level: AtomicU32,
}

/// A thread's lane as [`LaneSet::attach`] hands it to code in another language: the lane's
/// memory stays allocated as long as this value lives, whatever happens to the lane.
pub struct ThreadLane {
    lane: Arc<Lane>,
    set: Weak<LaneSet>,
}

impl ThreadLane {
    /// The lane's memory, header and ring: [`ThreadLane::size`] bytes, aligned to 64.
    pub fn memory(&self) -> *mut u8 {
        self.lane.memory()
    }

    /// The lane's size in bytes, header and ring.
    pub fn size(&self) -> usize {
        Lane::bytes_for(self.lane.capacity())
    }

    /// Wakes the set's consumer (after a publish that found `asleep` set); nothing once the
    /// set is gone.
    pub fn wake(&self) {
        if let Some(set) = self.set.upgrade() {
            set.wake();
        }
    }
}

/// A thread's producers, one per set it has submitted to.
struct Local {
    set: Weak<LaneSet>,
    id: u64,
    /// Always `Some` but while being dropped.
    producer: Option<Producer>,
}

impl Drop for Local {
    fn drop(&mut self) {
        // The thread exits (or the set is gone): retire the lane, so that its records are
        // delivered and the lane dropped; wake the consumer to do it.
        let Some(p) = self.producer.take() else {
            return;
        };
        if p.retire() {
            if let Some(set) = self.set.upgrade() {
                set.wake();
            }
        }
    }
}

/// The producer of a thread's entry.
fn producer(l: &mut Local) -> &mut Producer {
    l.producer.as_mut().expect("a live producer")
}

thread_local! {
    static PRODUCERS: RefCell<Vec<Local>> = const { RefCell::new(Vec::new()) };
}

impl LaneSet {
    /// A set whose lanes have rings of `capacity` bytes holding at most `max_records` records
    /// each (0: as many as fit), under `policy` when one is full.
    pub fn new(capacity: usize, max_records: u32, policy: FullPolicy) -> Option<Arc<LaneSet>> {
        Lane::bounded(capacity, max_records)?;
        Some(Arc::new(LaneSet {
            id: NEXT_SET.fetch_add(1, Ordering::Relaxed),
            capacity,
            max_records,
            policy,
            registry: Mutex::new(Registry::default()),
            consumer: OnceLock::new(),
            retired: Mutex::new(LaneCounters::default()),
            closed: AtomicBool::new(false),
            min_level: AtomicU32::new(0),
        }))
    }

    /// Sets the minimum level (a level's number) that every lane's control line repeats, for
    /// producers that check it themselves (docs/lane-protocol.md).
    pub fn set_min_level(&self, level: u8) {
        self.min_level.store(u32::from(level), Ordering::Relaxed);
        for l in &self.registry.lock().lanes {
            l.set_min_level(level);
        }
    }

    /// The policy for a full lane.
    pub(super) fn policy(&self) -> FullPolicy {
        self.policy
    }

    /// Wakes the consumer (the slow path of a publish that found it asleep).
    pub fn wake(&self) {
        if let Some(t) = self.consumer.get() {
            t.unpark();
        }
    }

    /// A new lane, registered, for a record of `len` bytes (larger than the set's rings when
    /// the record needs it).
    pub(super) fn register(&self, len: usize) -> Option<Arc<Lane>> {
        let need = frame_size(len).next_power_of_two().max(self.capacity);
        if need > MAX_CAPACITY {
            return None;
        }
        let lane = Arc::new(Lane::bounded(need, self.max_records)?);
        let mut r = self.registry.lock();
        if r.closed {
            lane.mark_closed();
        }
        // Under the registry's lock, which `set_min_level` takes after storing the level: a
        // lane registered meanwhile gets the new level either here or there.
        lane.set_min_level(self.min_level.load(Ordering::Relaxed) as u8);
        r.lanes.push(Arc::clone(&lane));
        r.generation += 1;
        drop(r);
        // A consumer that took the list of lanes before this one and is about to sleep has
        // not marked this lane asleep, so a publish into it would not wake it: unpark it now
        // (the park token keeps the wake-up if it has not parked yet), so that it takes the
        // list again.
        self.wake();
        Some(lane)
    }

    /// Submits one packed record (already checked by the caller) into the calling thread's
    /// lane, creating and registering the lane on the thread's first submit.
    pub fn submit(self: &Arc<Self>, record: &[u8]) -> Result<(), SubmitError> {
        self.submit_stamped(record, 0)
    }

    /// [`LaneSet::submit`], with the copy's timestamp set to `stamp` unless it is 0 (see
    /// [`Producer::submit_stamped`]).
    pub fn submit_stamped(self: &Arc<Self>, record: &[u8], stamp: u64) -> Result<(), SubmitError> {
        let wake = || self.wake();
        self.with_producer(record.len(), |p| {
            p.submit_stamped(record, stamp, self.policy, &wake)
        })
    }

    /// Submits an entry whole into the calling thread's lane (see
    /// [`Producer::submit_entry`]); on `Err` the entry comes back.
    pub fn submit_entry(
        self: &Arc<Self>,
        entry: Box<EntryData>,
    ) -> Result<(), (SubmitError, Box<EntryData>)> {
        let wake = || self.wake();
        let mut slot = Some(entry);
        let r = self.with_producer(ENTRY_PAYLOAD, |p| {
            let e = slot.take().expect("the entry is back after a refusal");
            p.submit_entry(e, self.policy, &wake).map_err(|(err, e)| {
                slot = Some(e);
                err
            })
        });
        match (r, slot) {
            (Ok(()), _) => Ok(()),
            (Err(err), Some(e)) => Err((err, e)),
            (Err(err), None) => unreachable!("a refused entry comes back ({err:?})"),
        }
    }

    /// Counts, in the calling thread's lane, a record that the minimum level drops: one
    /// `submitted` and one `dropped level`, nothing written to the ring. `Closed` after close.
    pub fn count_below_level(self: &Arc<Self>) -> Result<(), SubmitError> {
        self.with_producer(0, Producer::count_below_level)
    }

    /// Runs `call` with the calling thread's producer of this set, creating and registering
    /// its lane on the thread's first call (one that holds a record of `len` bytes). A lane
    /// that is poisoned, or too small for `len`, is retired (dropping its `Local` does) and
    /// `call` runs again in a new lane, registered after it, so the consumer reads it after.
    fn with_producer(
        self: &Arc<Self>,
        len: usize,
        mut call: impl FnMut(&mut Producer) -> Result<(), SubmitError>,
    ) -> Result<(), SubmitError> {
        let mut run = |locals: &mut Vec<Local>| -> Result<(), SubmitError> {
            let at = match locals.iter().position(|l| l.id == self.id) {
                Some(i) => i,
                None => {
                    // A thread's first call into this set: forget the sets that are gone.
                    locals.retain(|l| l.set.strong_count() > 0);
                    let lane = self.register(len).ok_or(SubmitError::TooLarge)?;
                    locals.push(Local {
                        set: Arc::downgrade(self),
                        id: self.id,
                        producer: Some(Producer::new(lane)),
                    });
                    locals.len() - 1
                }
            };
            let p = producer(&mut locals[at]);
            p.take_up_shared();
            match call(p) {
                Err(SubmitError::Poisoned | SubmitError::TooLarge) => {
                    let lane = self.register(len).ok_or(SubmitError::TooLarge)?;
                    locals[at] = Local {
                        set: Arc::downgrade(self),
                        id: self.id,
                        producer: Some(Producer::new(lane)),
                    };
                    call(producer(&mut locals[at]))
                }
                r => r,
            }
        };
        PRODUCERS
            .try_with(|cell| run(&mut cell.borrow_mut()))
            .unwrap_or(Err(SubmitError::Closed))
    }

    /// The calling thread's lane of this set (created and registered if the thread has none),
    /// for code in another language on this thread that writes it directly between the
    /// library's own calls (docs/lane-protocol.md, "Who writes a lane"): the thread's
    /// producer takes up what that code wrote before each of its own calls. The lane stays
    /// the thread's until the thread exits or the library replaces it (a poisoned lane, a
    /// record larger than its ring), which retires it: the other writer sees `retired` and
    /// asks again. `Closed` when the thread is exiting.
    pub fn attach(self: &Arc<Self>) -> Result<ThreadLane, SubmitError> {
        let mut lane = None;
        self.with_producer(0, |p| {
            p.share();
            lane = Some(Arc::clone(p.lane()));
            Ok(())
        })?;
        Ok(ThreadLane {
            lane: lane.expect("with_producer ran the call"),
            set: Arc::downgrade(self),
        })
    }

    /// Stops intake (docs/lane-protocol.md, "Close", steps 1–3): every lane, and every lane
    /// registered later, refuses calls; then waits, at most until `deadline`, until no call
    /// is half-way. Returns whether none is; the consumer's next pass is then the last one.
    pub fn close(&self, deadline: Instant) -> bool {
        self.closed.store(true, Ordering::Release);
        let lanes = {
            let mut r = self.registry.lock();
            r.closed = true;
            r.lanes.clone()
        };
        close_lanes(lanes.iter().map(|l| &**l));
        for l in &lanes {
            while l.is_busy() {
                if Instant::now() >= deadline {
                    return false;
                }
                std::thread::yield_now();
            }
        }
        true
    }

    /// How many lanes are registered and not yet dropped, and the bytes they take (headers
    /// and rings).
    pub fn footprint(&self) -> (usize, usize) {
        let r = self.registry.lock();
        let bytes = r.lanes.iter().map(|l| Lane::bytes_for(l.capacity())).sum();
        (r.lanes.len(), bytes)
    }

    /// Whether [`LaneSet::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// The counters of every lane, live and dropped, summed.
    pub fn counters(&self) -> LaneCounters {
        let mut sum = *self.retired.lock();
        for l in &self.registry.lock().lanes {
            add(&mut sum, &l.counters());
        }
        sum
    }

    /// The lanes registered now, for tests that look into one.
    #[cfg(test)]
    pub(super) fn lanes(&self) -> Vec<Arc<Lane>> {
        self.registry.lock().lanes.clone()
    }

    /// The reading side. Call once, on the consumer's thread: producers wake that thread.
    pub fn reader(self: &Arc<Self>) -> SetReader {
        let _ = self.consumer.set(std::thread::current());
        SetReader {
            set: Arc::clone(self),
            lanes: Vec::new(),
            generation: u64::MAX,
        }
    }
}

fn add(sum: &mut LaneCounters, c: &LaneCounters) {
    sum.submitted += c.submitted;
    sum.dropped_level += c.dropped_level;
    sum.dropped_full += c.dropped_full;
    sum.dropped_timeout += c.dropped_timeout;
    sum.consumed += c.consumed;
    sum.evicted += c.evicted;
    sum.malformed += c.malformed;
}

/// The consumer of a [`LaneSet`]: one pass over every lane in registration order, and sleep.
pub struct SetReader {
    set: Arc<LaneSet>,
    lanes: Vec<Consumer>,
    generation: u64,
}

impl SetReader {
    /// Takes lanes registered since the last look.
    fn refresh(&mut self) {
        let r = self.set.registry.lock();
        if r.generation == self.generation {
            return;
        }
        self.generation = r.generation;
        let known = self.lanes.len();
        // Registered lanes are only ever appended; dropped ones are removed from both lists.
        for l in r.lanes.iter().skip(known) {
            self.lanes.push(Consumer::new(Arc::clone(l)));
        }
        // A lane is created with `asleep = 1`, so that its first publish wakes the consumer;
        // the consumer is awake now and reading it, which it tells the new lanes' producers
        // (step 5 of "Sleep and wake") so that they stop waking it.
        woke(&self.lanes[known..]);
    }

    /// One pass over every lane, in registration order: each record goes to `take`. Lanes
    /// that are done (retired and read to their end, or poisoned) are dropped, their
    /// counters kept in the set's totals.
    pub fn pass(&mut self, take: impl FnMut(Checked<'_>)) -> Pass {
        self.pass_all(take, drop)
    }

    /// [`SetReader::pass`], with the entries of entry frames going to `take_entry` in their
    /// places (see [`Consumer::drain_all`]).
    pub fn pass_all(
        &mut self,
        take: impl FnMut(Checked<'_>),
        take_entry: impl FnMut(Box<EntryData>),
    ) -> Pass {
        self.pass_unchecked(checking(take), take_entry)
    }

    /// [`SetReader::pass_all`] for a reader that checks each record as it decodes it (see
    /// [`Consumer::drain_unchecked`]).
    pub fn pass_unchecked(
        &mut self,
        mut take: impl FnMut(&[u8]) -> bool,
        mut take_entry: impl FnMut(Box<EntryData>),
    ) -> Pass {
        self.refresh();
        let mut total = Pass::default();
        for c in &mut self.lanes {
            let p = c.drain_unchecked(&mut take, &mut take_entry);
            total.consumed += p.consumed;
            total.evicted += p.evicted;
            total.malformed += p.malformed;
            total.poisoned |= p.poisoned;
            total.full |= p.full;
        }
        if self.lanes.iter().any(Consumer::is_finished) {
            let mut r = self.set.registry.lock();
            let mut retired = self.set.retired.lock();
            self.lanes.retain(|c| {
                if !c.is_finished() {
                    return true;
                }
                add(&mut retired, &c.lane().counters());
                r.lanes.retain(|l| !Arc::ptr_eq(l, c.lane()));
                false
            });
            // The reader's list is still a prefix of the set's. Its generation may follow the
            // set's only if it had seen every change before this one: a lane registered since
            // the pass took the list is not in the reader's list yet, and must stay due.
            let up_to_date = r.generation == self.generation;
            r.generation += 1;
            if up_to_date {
                self.generation = r.generation;
            }
        }
        total
    }

    /// Serves every lane's eviction request (`drop_oldest`) without decoding anything: for a
    /// reader that waits for room in a sink's queue, between two looks.
    pub fn serve_evictions(&mut self) -> u64 {
        self.refresh();
        self.lanes.iter_mut().map(|c| c.evict().evicted).sum()
    }

    /// Sleeps until a producer wakes it, or `timeout` passes, unless a lane is not empty (or
    /// a lane was registered meanwhile).
    pub fn sleep(&mut self, timeout: Option<Duration>) {
        self.refresh();
        if !prepare_sleep(&self.lanes) {
            return;
        }
        match timeout {
            Some(t) => std::thread::park_timeout(t),
            None => std::thread::park(),
        }
        woke(&self.lanes);
    }

    /// Whether every lane is empty now.
    pub fn is_empty(&mut self) -> bool {
        self.refresh();
        self.lanes.iter().all(Consumer::is_empty)
    }
}
