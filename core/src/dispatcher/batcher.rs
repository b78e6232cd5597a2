//! The batcher thread: takes entries off the intake queue, runs deduplication (which holds
//! entries until their window closes), closes batches by count, bytes or time, and offers each
//! batch to every sink. A flush or close delivers every held entry.

// Entries travel pool → queue → batch → pool as boxes, so that each step moves a pointer and
// never the entry: `Vec<Box<EntryData>>` is deliberate.
#![allow(clippy::vec_box)]

use super::sink_worker::{FlushReply, SinkFeed};
use crate::batch::Batch;
use crate::config::BatchConfig;
use crate::entry::EntryData;
use crate::pool::Pool;
use crate::process::dedup::Offer;
use crate::process::BatcherDedup;
use crate::stats::IntakeCounters;
use crossbeam_channel::{select, Receiver, Sender, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A request to the batcher.
pub(crate) enum Control {
    /// Close the open batch with everything queued now, and have every sink reply once it
    /// has handled all of it.
    Flush(Sender<FlushReply>),
    /// Take everything queued (intake is already closed), dispatch it and stop, which lets the
    /// sink threads drain and close.
    Shutdown,
}

/// How often the batcher looks at the queue while a batch is open and the queue is empty.
/// Bounds the extra latency an entry can see (besides `max_delay_ms`) to about this much.
const POLL: Duration = Duration::from_millis(1);

pub(crate) struct Batcher {
    pub(crate) rx: Receiver<Box<EntryData>>,
    pub(crate) ctl: Receiver<Control>,
    pub(crate) sinks: Vec<SinkFeed>,
    pub(crate) pool: Arc<Pool>,
    pub(crate) cfg: BatchConfig,
    pub(crate) counters: Arc<IntakeCounters>,
    pub(crate) dedup: Option<BatcherDedup>,
}

struct Open {
    entries: Vec<Box<EntryData>>,
    bytes: usize,
    deadline: Option<Instant>,
}

impl Batcher {
    pub(crate) fn run(mut self) {
        let max_delay = Duration::from_millis(self.cfg.max_delay_ms);
        let mut seq = 0u64;
        let mut open = Open {
            entries: Vec::with_capacity(self.cfg.max_entries),
            bytes: 0,
            deadline: None,
        };
        loop {
            // Take whatever is queued without blocking; close batches as they fill.
            while let Ok(e) = self.rx.try_recv() {
                if self.take(&mut open, &mut seq, e, max_delay) {
                    // Under sustained load the queue never empties: look at requests between
                    // batches so a flush is not starved.
                    if let Ok(c) = self.ctl.try_recv() {
                        if !self.handle(c, &mut open, &mut seq) {
                            return;
                        }
                    }
                }
            }
            let control = if open.entries.is_empty() {
                // No batch open: block until an entry or a request comes (the first submit
                // after idling pays one wake-up), or until a held duplicate's window ends.
                match self.next_wait(&open) {
                    Some(wait) => select! {
                        recv(self.rx) -> e => { if let Ok(e) = e { self.take(&mut open, &mut seq, e, max_delay); } None }
                        recv(self.ctl) -> c => Some(c.unwrap_or(Control::Shutdown)),
                        default(wait) => {
                            self.release_held(&mut open, &mut seq, max_delay, false);
                            None
                        }
                    },
                    None => select! {
                        recv(self.rx) -> e => { if let Ok(e) = e { self.take(&mut open, &mut seq, e, max_delay); } None }
                        recv(self.ctl) -> c => Some(c.unwrap_or(Control::Shutdown)),
                    },
                }
            } else {
                // A batch is open: poll instead of blocking on the queue, so that producers
                // never pay for waking the batcher while entries stream in.
                let wait = self.next_wait(&open).unwrap_or(Duration::ZERO);
                if wait.is_zero() {
                    if open.deadline.is_some_and(|d| d <= Instant::now()) {
                        self.dispatch(&mut open, &mut seq);
                    }
                } else {
                    std::thread::sleep(POLL.min(wait));
                }
                self.release_held(&mut open, &mut seq, max_delay, false);
                match self.ctl.try_recv() {
                    Ok(c) => Some(c),
                    Err(TryRecvError::Empty) => None,
                    Err(TryRecvError::Disconnected) => Some(Control::Shutdown),
                }
            };
            if let Some(c) = control {
                if !self.handle(c, &mut open, &mut seq) {
                    return;
                }
            }
        }
    }

    /// How long to wait for the next timer: the open batch's deadline or the first held
    /// entry's window, whichever is sooner; `None` when neither is pending.
    fn next_wait(&self, open: &Open) -> Option<Duration> {
        let batch = open
            .deadline
            .map(|d| d.saturating_duration_since(Instant::now()));
        let held = self.dedup.as_ref().and_then(|d| {
            let end = d.table.next_deadline()?;
            Some(Duration::from_nanos(end.saturating_sub(d.clock.now_ns())))
        });
        match (batch, held) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Takes one entry off the queue: through deduplication, when on, into the open batch.
    /// Returns whether a batch was dispatched.
    fn take(
        &mut self,
        open: &mut Open,
        seq: &mut u64,
        e: Box<EntryData>,
        max_delay: Duration,
    ) -> bool {
        let e = crate::record::expanded(e);
        let Some(mut d) = self.dedup.take() else {
            return self.push(open, seq, e, max_delay);
        };
        let now = d.clock.now_ns();
        let mut dispatched = false;
        while let Some(x) = d.table.pop_expired(now) {
            dispatched |= self.push(open, seq, x, max_delay);
        }
        match d.table.offer(e, now) {
            Offer::Absorbed(dup) => {
                self.counters.deduplicated.add(1);
                self.pool.put(dup);
            }
            Offer::Held => {}
            Offer::Evicted(x) => dispatched |= self.push(open, seq, x, max_delay),
        }
        self.counters.held.set(d.table.len() as u64);
        self.dedup = Some(d);
        dispatched
    }

    /// Moves held entries into batches: those whose window has closed, or all of them.
    fn release_held(&mut self, open: &mut Open, seq: &mut u64, max_delay: Duration, all: bool) {
        let Some(mut d) = self.dedup.take() else {
            return;
        };
        let now = d.clock.now_ns();
        loop {
            let next = if all {
                d.table.pop_front()
            } else {
                d.table.pop_expired(now)
            };
            let Some(x) = next else { break };
            self.push(open, seq, x, max_delay);
        }
        self.counters.held.set(d.table.len() as u64);
        self.dedup = Some(d);
    }

    /// Adds an entry to the open batch and dispatches the batch if that filled it. Returns
    /// whether it did.
    fn push(
        &mut self,
        open: &mut Open,
        seq: &mut u64,
        e: Box<EntryData>,
        max_delay: Duration,
    ) -> bool {
        if self.add(open, e, max_delay) {
            self.dispatch(open, seq);
            true
        } else {
            false
        }
    }

    /// Adds an entry to the open batch; returns whether the batch is now full.
    #[inline]
    fn add(&self, open: &mut Open, e: Box<EntryData>, max_delay: Duration) -> bool {
        if open.entries.is_empty() {
            open.deadline = Some(Instant::now() + max_delay);
        }
        open.bytes += e.size_hint();
        open.entries.push(e);
        open.entries.len() >= self.cfg.max_entries || open.bytes >= self.cfg.max_bytes
    }

    fn dispatch(&mut self, open: &mut Open, seq: &mut u64) {
        open.deadline = None;
        open.bytes = 0;
        if open.entries.is_empty() {
            return;
        }
        let entries =
            std::mem::replace(&mut open.entries, Vec::with_capacity(self.cfg.max_entries));
        *seq += 1;
        self.counters.accepted.add(entries.len() as u64);
        self.counters.batches.add(1);
        let batch = Arc::new(Batch::new(*seq, entries, Arc::clone(&self.pool)));
        for s in &mut self.sinks {
            s.offer(&batch);
        }
    }

    /// Handles a request; returns whether to keep running.
    fn handle(&mut self, c: Control, open: &mut Open, seq: &mut u64) -> bool {
        let max_delay = Duration::from_millis(self.cfg.max_delay_ms);
        match c {
            Control::Flush(reply) => {
                // Everything submitted before the flush call is in the queue now (or already
                // taken, or evicted and counted); entries queued later may ride along.
                for _ in 0..self.rx.len() {
                    match self.rx.try_recv() {
                        Ok(e) => {
                            self.take(open, seq, e, max_delay);
                        }
                        Err(_) => break,
                    }
                }
                // Held entries stand for entries submitted before the flush: deliver them.
                self.release_held(open, seq, max_delay, true);
                self.dispatch(open, seq);
                for s in &self.sinks {
                    s.request_flush(reply.clone());
                }
                true
            }
            Control::Shutdown => {
                while let Ok(e) = self.rx.try_recv() {
                    self.take(open, seq, e, max_delay);
                }
                self.release_held(open, seq, max_delay, true);
                self.dispatch(open, seq);
                false
            }
        }
    }
}
