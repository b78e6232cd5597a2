//! The producers' side: level check, the processing stages that run before the queue
//! (crate::process), the calling thread's lane (crate::lane) or the shared intake queue and
//! its policy, and the guard that lets close() know no submit is half-way.

use crate::clock::{now_ns, stamp};
use crate::config::{QueueConfig, WhenFull};
use crate::entry::{EntryData, Level};
use crate::error::Error;
use crate::lane::{FullPolicy, LaneSet, SubmitError, ThreadLane, UnboundLane};
use crate::pool::Pool;
use crate::process::Stages;
use crate::stats::IntakeCounters;
use crossbeam_channel::{Receiver, SendTimeoutError, Sender, TrySendError};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::thread::Thread;
use std::time::{Duration, Instant};

/// Set in `state` once the pipeline closes; the low bits count submits in progress.
const CLOSED: u64 = 1 << 63;

pub(crate) struct Intake {
    tx: Sender<Box<EntryData>>,
    /// A receiver of the same queue, used only to evict the oldest entry (`drop_oldest`).
    evict: Receiver<Box<EntryData>>,
    state: AtomicU64,
    min_level: AtomicU8,
    when_full: WhenFull,
    block_timeout: Duration,
    pub(crate) counters: Arc<IntakeCounters>,
    pool: Arc<Pool>,
    /// The stages that run before the shared queue; `None` when all are off, and with lanes
    /// (the batcher runs them then).
    stages: Option<Box<Stages>>,
    /// The batcher's thread, which polls while a batch is open: a producer that finds the
    /// queue full unparks it, so that room appears at once rather than at its next poll.
    batcher: Option<Thread>,
    /// The lanes, one per producing thread, when the pipeline uses them (`queue.lanes`, and
    /// no processor hook); `None`: every submit goes into the shared queue.
    lanes: Option<Arc<LaneSet>>,
}

/// The lanes' policy for a full lane: the queue's.
pub(crate) fn lane_policy(cfg: &QueueConfig) -> FullPolicy {
    let wait = Duration::from_millis(cfg.block_timeout_ms);
    match cfg.when_full {
        WhenFull::Block => FullPolicy::Block(wait),
        WhenFull::DropNewest => FullPolicy::DropNewest,
        WhenFull::DropOldest => FullPolicy::DropOldest(wait),
    }
}

impl Intake {
    pub(crate) fn new(
        cfg: &QueueConfig,
        min_level: Level,
        tx: Sender<Box<EntryData>>,
        evict: Receiver<Box<EntryData>>,
        counters: Arc<IntakeCounters>,
        pool: Arc<Pool>,
        stages: Option<Box<Stages>>,
    ) -> Self {
        Intake {
            tx,
            evict,
            state: AtomicU64::new(0),
            min_level: AtomicU8::new(min_level as u8),
            when_full: cfg.when_full,
            block_timeout: Duration::from_millis(cfg.block_timeout_ms),
            counters,
            pool,
            stages,
            batcher: None,
            lanes: None,
        }
    }

    /// Sends submits into the calling thread's lane of `lanes` (see [`Intake::submit_record`]).
    pub(crate) fn with_lanes(mut self, lanes: Arc<LaneSet>) -> Self {
        debug_assert!(
            self.stages.is_none(),
            "with lanes, the stages run on the batcher"
        );
        lanes.set_min_level(self.min_level.load(Ordering::Relaxed));
        self.lanes = Some(lanes);
        self
    }

    /// The lanes, when submits go through them.
    pub(crate) fn lanes(&self) -> Option<&Arc<LaneSet>> {
        self.lanes.as_ref()
    }

    /// Sets the batcher's thread, which [`Intake::wake`] unparks.
    pub(crate) fn waking(mut self, batcher: Thread) -> Self {
        self.batcher = Some(batcher);
        self
    }

    #[inline]
    pub(crate) fn min_level(&self) -> Level {
        Level::from_u8(self.min_level.load(Ordering::Relaxed)).unwrap_or(Level::Trace)
    }

    pub(crate) fn set_min_level(&self, l: Level) {
        self.min_level.store(l as u8, Ordering::Relaxed);
        if let Some(lanes) = &self.lanes {
            lanes.set_min_level(l as u8);
        }
    }

    /// The calling thread's lane, for code in another language on this thread that writes it
    /// directly (see [`LaneSet::attach`]); `Ok(None)` when submits go through the shared queue.
    pub(crate) fn thread_lane(&self) -> Result<Option<ThreadLane>, Error> {
        match &self.lanes {
            None => Ok(None),
            Some(_) if self.is_closed() => Err(Error::Closed),
            Some(lanes) => lanes.attach().map(Some).map_err(lane_error),
        }
    }

    /// A new lane bound to no thread (see [`LaneSet::unbound`]); `Ok(None)` when submits go
    /// through the shared queue.
    pub(crate) fn unbound_lane(&self) -> Result<Option<UnboundLane>, Error> {
        match &self.lanes {
            None => Ok(None),
            Some(_) if self.is_closed() => Err(Error::Closed),
            Some(lanes) => lanes.unbound().map(Some).map_err(lane_error),
        }
    }

    /// Whether `lane` is one of this intake's.
    pub(crate) fn owns(&self, lane: &UnboundLane) -> bool {
        self.lanes.as_ref().is_some_and(|l| lane.belongs_to(l))
    }

    /// [`Intake::submit_record`] into `lane`, one of this intake's lanes bound to no thread.
    pub(crate) fn submit_record_to(
        &self,
        lane: &mut UnboundLane,
        record: &[u8],
        level: Level,
        timestamp_ns: u64,
    ) -> Result<bool, Error> {
        self.record_into(lane, record, level, timestamp_ns)
    }

    /// [`Intake::submit`] into `lane`, one of the pipeline's unbound lanes: the entry API of a
    /// binding that writes the lane itself, so that its entries keep their place among the
    /// records it writes there.
    pub(crate) fn submit_entry_to(
        &self,
        lane: &mut UnboundLane,
        e: Box<EntryData>,
    ) -> Result<bool, Error> {
        self.entry_into(lane, e)
    }

    #[inline]
    pub(crate) fn is_closed(&self) -> bool {
        self.state.load(Ordering::Acquire) & CLOSED != 0
    }

    /// Queues an entry: `Ok(true)` when it went into the queue, `Ok(false)` when the level,
    /// sampling, rate limiting or the hook dropped it (counted, not an error). On any refusal
    /// the entry goes back to the pool and the refusal is counted by its reason.
    #[inline]
    pub(crate) fn submit(&self, e: Box<EntryData>) -> Result<bool, Error> {
        if let Some(lanes) = &self.lanes {
            return self.entry_into(lanes, e);
        }
        self.submit_to_queue(e)
    }

    /// [`Intake::submit`] through the shared queue, whatever the pipeline uses.
    #[inline]
    pub(crate) fn submit_to_queue(&self, e: Box<EntryData>) -> Result<bool, Error> {
        if !self.enter() {
            self.pool.put(e);
            return Err(Error::Closed);
        }
        let r = self.enqueue(e);
        self.leave();
        if self.lanes.is_some() && matches!(r, Ok(true)) {
            // The batcher sleeps on its lanes, not on the queue.
            self.wake();
        }
        r
    }

    /// Submits a packed record already checked (its level and timestamp read from its
    /// header): into the calling thread's lane, stamped there if its timestamp is 0; or, when
    /// the pipeline has no lanes, copied into a pooled entry and queued as [`Intake::submit`]
    /// does. `Ok(false)` when a decision of the configuration dropped it (counted).
    #[inline]
    pub(crate) fn submit_record(
        &self,
        record: &[u8],
        level: Level,
        timestamp_ns: u64,
    ) -> Result<bool, Error> {
        let Some(lanes) = &self.lanes else {
            let mut data = self.pool.take();
            data.pack(record, level, timestamp_ns);
            return self.submit_to_queue(data);
        };
        self.record_into(lanes, record, level, timestamp_ns)
    }

    /// A checked record into `lane` (the calling thread's or an unbound one): counted there
    /// when the minimum level drops it, else copied in, stamped now unless it carries a
    /// timestamp.
    #[inline]
    fn record_into<L: IntakeLane>(
        &self,
        mut lane: L,
        record: &[u8],
        level: Level,
        timestamp_ns: u64,
    ) -> Result<bool, Error> {
        if level < self.min_level() {
            return below_level(lane);
        }
        let stamp = if timestamp_ns == 0 { now_ns() } else { 0 };
        lane.submit_stamped(record, stamp)
            .map(|()| true)
            .map_err(lane_error)
    }

    /// An entry whole into `lane` (the calling thread's or an unbound one): an entry frame in
    /// the ring, the entry itself in the lane's entry queue (see [`crate::lane::KIND_ENTRY`]),
    /// so that a producer that submits entries and records keeps them in one order, and the
    /// entry is neither encoded nor decoded. Counted there when the minimum level drops it,
    /// else stamped and submitted; back in the pool when not taken.
    fn entry_into<L: IntakeLane>(&self, mut lane: L, mut e: Box<EntryData>) -> Result<bool, Error> {
        if e.level() < self.min_level() {
            self.pool.put(e);
            return below_level(lane);
        }
        stamp(&mut e);
        match lane.submit_entry(e) {
            Ok(()) => Ok(true),
            Err((err, e)) => {
                self.pool.put(e);
                Err(lane_error(err))
            }
        }
    }

    /// Counts an entry that the minimum level drops, as [`Intake::submit`] counts one, for a
    /// caller that knew the level before building anything (the C record writer).
    #[inline]
    pub(crate) fn submit_below_level(&self) -> Result<(), Error> {
        if let Some(lanes) = &self.lanes {
            return lanes.count_below_level().map_err(lane_error);
        }
        if !self.enter() {
            return Err(Error::Closed);
        }
        self.counters.submitted.add(1);
        self.counters.dropped_level.add(1);
        self.leave();
        Ok(())
    }

    /// Marks a submit in progress, for close to wait for; false (and nothing marked) once
    /// closed.
    #[inline]
    fn enter(&self) -> bool {
        if self.state.fetch_add(1, Ordering::Acquire) & CLOSED != 0 {
            self.leave();
            return false;
        }
        true
    }

    #[inline]
    fn leave(&self) {
        self.state.fetch_sub(1, Ordering::Release);
    }

    /// Takes the entry by value: every path moves the box on (queue or pool), so a submit
    /// allocates nothing.
    #[inline]
    fn enqueue(&self, mut entry: Box<EntryData>) -> Result<bool, Error> {
        let c = &*self.counters;
        c.submitted.add(1);
        if entry.level() < self.min_level() {
            c.dropped_level.add(1);
            self.pool.put(entry);
            return Ok(false);
        }
        // The one branch every submit pays for the processing stages.
        match &self.stages {
            None => stamp(&mut entry),
            Some(stages) => match stages.run(crate::record::expanded(entry), c) {
                Some(e) => entry = e,
                None => return Ok(false),
            },
        }
        match self.when_full {
            WhenFull::DropNewest => match self.tx.try_send(entry) {
                Ok(()) => Ok(true),
                Err(err) => {
                    self.wake();
                    c.dropped_queue_full.add(1);
                    self.pool.put(err.into_inner());
                    Err(Error::QueueFull)
                }
            },
            WhenFull::Block => {
                let back = match self.tx.try_send(entry) {
                    Ok(()) => return Ok(true),
                    Err(TrySendError::Full(back) | TrySendError::Disconnected(back)) => back,
                };
                // About to wait for room: have the batcher make it now.
                self.wake();
                match self.tx.send_timeout(back, self.block_timeout) {
                    Ok(()) => Ok(true),
                    Err(SendTimeoutError::Timeout(back) | SendTimeoutError::Disconnected(back)) => {
                        c.dropped_queue_timeout.add(1);
                        self.pool.put(back);
                        Err(Error::Timeout)
                    }
                }
            }
            WhenFull::DropOldest => loop {
                match self.tx.try_send(entry) {
                    Ok(()) => return Ok(true),
                    Err(TrySendError::Full(back)) => {
                        self.wake();
                        if let Ok(old) = self.evict.try_recv() {
                            c.dropped_queue_evicted.add(1);
                            self.pool.put(old);
                        }
                        entry = back;
                    }
                    Err(TrySendError::Disconnected(back)) => {
                        c.dropped_queue_full.add(1);
                        self.pool.put(back);
                        return Err(Error::QueueFull);
                    }
                }
            },
        }
    }

    /// Wakes the batcher if it is between two polls of a full queue. Called only when the
    /// queue is full, so a producer pays nothing while there is room.
    #[cold]
    fn wake(&self) {
        if let Some(t) = &self.batcher {
            t.unpark();
        }
    }

    /// Stops intake and waits, at most until `deadline`, for submits in progress to finish.
    /// Returns whether none is left.
    pub(crate) fn close(&self, deadline: Instant) -> bool {
        self.state.fetch_or(CLOSED, Ordering::AcqRel);
        if let Some(lanes) = &self.lanes {
            if !lanes.close(deadline) {
                return false;
            }
        }
        loop {
            if self.state.load(Ordering::Acquire) & !CLOSED == 0 {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::yield_now();
        }
    }

    /// Entries in the shared queue now (not counting the lanes').
    pub(crate) fn queued(&self) -> usize {
        self.tx.len()
    }
}

/// A lane the intake submits into: the calling thread's lane of a set, or an unbound lane.
trait IntakeLane {
    fn count_below_level(&mut self) -> Result<(), SubmitError>;
    fn submit_stamped(&mut self, record: &[u8], stamp: u64) -> Result<(), SubmitError>;
    fn submit_entry(&mut self, e: Box<EntryData>) -> Result<(), (SubmitError, Box<EntryData>)>;
}

impl IntakeLane for &Arc<LaneSet> {
    fn count_below_level(&mut self) -> Result<(), SubmitError> {
        LaneSet::count_below_level(self)
    }
    fn submit_stamped(&mut self, record: &[u8], stamp: u64) -> Result<(), SubmitError> {
        LaneSet::submit_stamped(self, record, stamp)
    }
    fn submit_entry(&mut self, e: Box<EntryData>) -> Result<(), (SubmitError, Box<EntryData>)> {
        LaneSet::submit_entry(self, e)
    }
}

impl IntakeLane for &mut UnboundLane {
    fn count_below_level(&mut self) -> Result<(), SubmitError> {
        UnboundLane::count_below_level(self)
    }
    fn submit_stamped(&mut self, record: &[u8], stamp: u64) -> Result<(), SubmitError> {
        UnboundLane::submit_stamped(self, record, stamp)
    }
    fn submit_entry(&mut self, e: Box<EntryData>) -> Result<(), (SubmitError, Box<EntryData>)> {
        UnboundLane::submit_entry(self, e)
    }
}

/// Counts, in `lane`, an entry below the minimum level: `Ok(false)`, as a decision of the
/// configuration.
fn below_level(mut lane: impl IntakeLane) -> Result<bool, Error> {
    lane.count_below_level().map(|()| false).map_err(lane_error)
}

/// What a submit into a lane answers for a record the lane did not take. `Closed`, `Full`
/// and `Timeout` are the queue's refusals; a record too large even for a lane of its own
/// (over 64 MiB, beyond any record's limit) and a lane poisoned twice in a row are answered
/// as a full queue.
#[cold]
fn lane_error(e: SubmitError) -> Error {
    match e {
        SubmitError::Closed => Error::Closed,
        SubmitError::Timeout => Error::Timeout,
        SubmitError::Full | SubmitError::TooLarge | SubmitError::Poisoned => Error::QueueFull,
    }
}
