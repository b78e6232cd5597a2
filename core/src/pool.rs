//! The entry pool: reset entries kept with their buffers, bounded by idle count and by the heap
//! each idle entry may retain; and [`Entry`], a pooled entry behind a lock, which returns to
//! its pool when dropped.

mod locked;

pub use locked::Entry;

use crate::entry::EntryData;
use crossbeam_queue::ArrayQueue;
use crossbeam_utils::CachePadded;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed, Ordering::SeqCst};

/// Bounds of a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolLimits {
    /// At most this many idle entries are kept; more are freed on release.
    pub max_idle: usize,
    /// An entry that retains more heap than this is emptied of its buffers on release, so one
    /// huge entry cannot pin memory for ever.
    pub max_retained_bytes: usize,
}

impl Default for PoolLimits {
    fn default() -> Self {
        PoolLimits {
            // As many as the default queue holds, so a full queue drains into reuse.
            max_idle: 16_384,
            max_retained_bytes: 64 * 1024,
        }
    }
}

/// A snapshot of a pool's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PoolStats {
    /// Entries handed out (reused + newly allocated).
    pub acquired: u64,
    /// Entries handed out from the idle set.
    pub reused: u64,
    /// Entries allocated because the idle set was empty.
    pub allocated: u64,
    /// Entries freed on release because the idle set was full.
    pub discarded: u64,
    /// Entries whose buffers were freed on release because they retained too much.
    pub trimmed: u64,
    /// Idle entries now.
    pub idle: u64,
}

/// A bounded pool of reusable entries, shared by every producer of one pipeline.
pub struct Pool {
    idle: ArrayQueue<Box<EntryData>>,
    max_retained_bytes: usize,
    reused: AtomicU64,
    allocated: AtomicU64,
    discarded: AtomicU64,
    trimmed: AtomicU64,
    /// Set when the pipeline is dropped: idle entries are freed, not kept. Read by every
    /// `put`, written once: on a line of its own, away from the counters that `take` writes
    /// on another core.
    retired: CachePadded<AtomicBool>,
    /// Calls refused because an entry limit was reached, whatever the API (see
    /// [`crate::Stats::refused_limit`]): counted here because every entry of the pipeline,
    /// whichever API made it, reaches its pool.
    refused_limit: AtomicU64,
    /// Set when the pipeline closes (and when it is dropped), for the entry functions that
    /// reach a pipeline only through its pool: a copy of an entry is refused once it is set.
    closed: AtomicBool,
}

impl Pool {
    /// An empty pool with these limits (`max_idle` of 0 is taken as 1).
    pub fn new(limits: PoolLimits) -> Self {
        Pool {
            idle: ArrayQueue::new(limits.max_idle.max(1)),
            max_retained_bytes: limits.max_retained_bytes,
            reused: AtomicU64::new(0),
            allocated: AtomicU64::new(0),
            discarded: AtomicU64::new(0),
            trimmed: AtomicU64::new(0),
            retired: CachePadded::new(AtomicBool::new(false)),
            closed: AtomicBool::new(false),
            refused_limit: AtomicU64::new(0),
        }
    }

    /// Counts one call refused because an entry limit was reached.
    pub fn count_limit_refusal(&self) {
        self.refused_limit.fetch_add(1, Relaxed);
    }

    /// Calls refused because an entry limit was reached.
    pub fn limit_refusals(&self) -> u64 {
        self.refused_limit.load(Relaxed)
    }

    /// Marks the pool's pipeline closed (see [`Pool::is_closed`]).
    pub fn close(&self) {
        self.closed.store(true, SeqCst);
    }

    /// Whether the pool's pipeline was closed or dropped: it takes no more entries.
    pub fn is_closed(&self) -> bool {
        self.closed.load(SeqCst)
    }

    /// An empty entry: an idle one if there is one, else a new one.
    #[inline]
    pub fn take(&self) -> Box<EntryData> {
        match self.idle.pop() {
            Some(e) => {
                self.reused.fetch_add(1, Relaxed);
                e
            }
            None => {
                self.allocated.fetch_add(1, Relaxed);
                Box::default()
            }
        }
    }

    /// Resets an entry and keeps it for reuse, within the pool's bounds.
    #[inline]
    pub fn put(&self, mut e: Box<EntryData>) {
        if e.reset(self.max_retained_bytes) {
            self.trimmed.fetch_add(1, Relaxed);
        }
        if self.idle.push(e).is_err() {
            self.discarded.fetch_add(1, Relaxed);
        }
        if self.retired.load(SeqCst) {
            self.drain();
        }
    }

    /// Frees every idle entry, and from now on every entry put back: the pool's pipeline is
    /// gone, and entries still acquired (or references to the pool kept elsewhere, as the C
    /// ABI's handle slots keep them) must not keep its entries alive.
    pub fn retire(&self) {
        self.closed.store(true, SeqCst);
        self.retired.store(true, SeqCst);
        self.drain();
    }

    fn drain(&self) {
        while let Some(e) = self.idle.pop() {
            drop(e);
        }
    }

    /// Like [`Pool::put`] for many entries at once.
    pub fn put_all(&self, entries: impl IntoIterator<Item = Box<EntryData>>) {
        for e in entries {
            self.put(e);
        }
    }

    /// The pool's counters now.
    pub fn stats(&self) -> PoolStats {
        let reused = self.reused.load(Relaxed);
        let allocated = self.allocated.load(Relaxed);
        PoolStats {
            acquired: reused + allocated,
            reused,
            allocated,
            discarded: self.discarded.load(Relaxed),
            trimmed: self.trimmed.load(Relaxed),
            idle: self.idle.len() as u64,
        }
    }
}
