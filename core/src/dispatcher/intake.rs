//! The producers' side: level check, the processing stages that run before the queue
//! (crate::process), the bounded intake queue and its policy, and the guard that lets close()
//! know no submit is half-way.

use crate::clock::stamp;
use crate::config::{QueueConfig, WhenFull};
use crate::entry::{EntryData, Level};
use crate::error::Error;
use crate::pool::Pool;
use crate::process::Stages;
use crate::stats::IntakeCounters;
use crossbeam_channel::{Receiver, SendTimeoutError, Sender, TrySendError};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::thread::Thread;
use std::time::Duration;

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
    /// The stages that run before the queue; `None` when all are off.
    stages: Option<Box<Stages>>,
    /// The batcher's thread, which polls while a batch is open: a producer that finds the
    /// queue full unparks it, so that room appears at once rather than at its next poll.
    batcher: Option<Thread>,
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
        }
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
        if !self.enter() {
            self.pool.put(e);
            return Err(Error::Closed);
        }
        let r = self.enqueue(e);
        self.leave();
        r
    }

    /// Counts an entry that the minimum level drops, as [`Intake::submit`] counts one, for a
    /// caller that knew the level before building anything (the C record writer).
    #[inline]
    pub(crate) fn submit_below_level(&self) -> Result<(), Error> {
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
    pub(crate) fn close(&self, deadline: std::time::Instant) -> bool {
        self.state.fetch_or(CLOSED, Ordering::AcqRel);
        loop {
            if self.state.load(Ordering::Acquire) & !CLOSED == 0 {
                return true;
            }
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::yield_now();
        }
    }

    pub(crate) fn queued(&self) -> usize {
        self.tx.len()
    }
}
