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
use crate::lane::SetReader;
use crate::pool::Pool;
use crate::process::dedup::Offer;
use crate::process::{BatcherDedup, Stages};
use crate::stats::IntakeCounters;
use crossbeam_channel::{select, Receiver, Sender, TryRecvError};
use crossbeam_utils::Backoff;
use std::cell::RefCell;
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
/// Bounds the extra latency an entry can see (besides `max_delay_ms`) to about this much;
/// a producer that finds the queue full wakes the batcher at once.
const POLL: Duration = Duration::from_millis(1);

/// How often the batcher of a pipeline with lanes looks at them while a batch is open and
/// they are empty: shorter than the shared queue's poll, since a lane holds fewer entries than
/// the shared queue (a producer that fills its lane wakes the batcher at once).
const LANE_POLL: Duration = Duration::from_micros(100);

/// How many polls in a row may find the lanes empty before the batcher of a pipeline with
/// lanes sleeps until woken (about a millisecond without an entry).
const IDLE_POLLS: u32 = 10;

/// A pass over the lanes that took at least this many entries found producers writing
/// faster than the batcher reads: the next pass starts at once.
const LANE_PRESSURE: usize = 256;

pub(crate) struct Batcher {
    pub(crate) rx: Receiver<Box<EntryData>>,
    pub(crate) ctl: Receiver<Control>,
    pub(crate) sinks: Vec<SinkFeed>,
    pub(crate) pool: Arc<Pool>,
    pub(crate) cfg: BatchConfig,
    pub(crate) counters: Arc<IntakeCounters>,
    pub(crate) dedup: Option<BatcherDedup>,
    /// The stages that run on the batcher rather than on the producer's thread: those of a
    /// pipeline with lanes (sampling, rate limiting, redaction; see crate::process).
    pub(crate) stages: Option<Box<Stages>>,
    /// The reader of the pipeline's lanes, when it has them (see [`Batcher::run_lanes`]).
    pub(crate) lanes: Option<SetReader>,
}

struct Open {
    entries: Vec<Box<EntryData>>,
    bytes: usize,
    deadline: Option<Instant>,
}

impl Open {
    fn new(max_entries: usize) -> Open {
        Open {
            entries: Vec::with_capacity(max_entries),
            bytes: 0,
            deadline: None,
        }
    }
}

impl Batcher {
    pub(crate) fn run(mut self) {
        let max_delay = Duration::from_millis(self.cfg.max_delay_ms);
        let mut seq = 0u64;
        let mut open = Open::new(self.cfg.max_entries);
        // Half the intake queue: a drain that took at least this many entries found the queue
        // (nearly) full, so producers are likely waiting for room or about to.
        let pressure = self.rx.capacity().map_or(usize::MAX, |c| c.div_ceil(2));
        loop {
            // Take whatever is queued without blocking; close batches as they fill.
            let mut drained = 0usize;
            while let Ok(e) = self.rx.try_recv() {
                drained += 1;
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
            // Under pressure the next entries are microseconds away: wait for them briefly
            // (spinning, then yielding) rather than parking for a poll, so that a small queue
            // under `block` keeps moving.
            if drained >= pressure && !open.entries.is_empty() {
                let backoff = Backoff::new();
                while self.rx.is_empty() && !backoff.is_completed() {
                    backoff.snooze();
                }
                if !self.rx.is_empty() {
                    // Still honour the batch's deadline and requests before draining again.
                    if open.deadline.is_some_and(|d| d <= Instant::now()) {
                        self.dispatch(&mut open, &mut seq);
                    }
                    if let Ok(c) = self.ctl.try_recv() {
                        if !self.handle(c, &mut open, &mut seq) {
                            return;
                        }
                    }
                    continue;
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
                // never pay for waking the batcher while entries stream in. A producer that
                // finds the queue full unparks the batcher (Intake::wake), so room appears
                // as soon as the batcher can make it, not at the next poll.
                let wait = self.next_wait(&open).unwrap_or(Duration::ZERO);
                if wait.is_zero() {
                    if open.deadline.is_some_and(|d| d <= Instant::now()) {
                        self.dispatch(&mut open, &mut seq);
                    }
                } else {
                    std::thread::park_timeout(POLL.min(wait));
                }
                self.release_held(&mut open, &mut seq, max_delay, false);
                self.request()
            };
            if let Some(c) = control {
                if !self.handle(c, &mut open, &mut seq) {
                    return;
                }
            }
        }
    }

    /// The loop of a pipeline with lanes: a pass over every lane and a look at the shared
    /// queue (which only replayed dead letters take), then requests and timers. While entries
    /// stream in it polls the lanes; when idle it spins briefly, then sleeps until a producer,
    /// a request or the next timer wakes it (docs/lane-protocol.md, "Sleep and wake").
    pub(crate) fn run_lanes(mut self) {
        let max_delay = Duration::from_millis(self.cfg.max_delay_ms);
        let mut seq = 0u64;
        let mut open = Open::new(self.cfg.max_entries);
        let mut got = Vec::new();
        let mut empty_polls = 0u32;
        let mut pressed = false;
        loop {
            let (taken, full) = self.take_lanes(&mut got, &mut open, &mut seq, max_delay);
            if let Some(c) = self.request() {
                if !self.handle(c, &mut open, &mut seq) {
                    return;
                }
                continue;
            }
            if open.deadline.is_some_and(|d| d <= Instant::now()) {
                self.dispatch(&mut open, &mut seq);
            }
            self.release_held(&mut open, &mut seq, max_delay, false);
            if full || taken >= LANE_PRESSURE {
                // Producers write faster than one pass reads (a lane was full, or the pass
                // was long): read on at once.
                pressed = true;
                continue;
            }
            if std::mem::take(&mut pressed) && taken > 0 && self.wait_briefly() {
                // Just after a full lane, its producer is writing again and the next records
                // are microseconds away: they came while the batcher waited briefly for
                // them, rather than for a poll, so that a small lane keeps moving.
                continue;
            }
            let wait = self.next_wait(&open);
            if wait.is_some_and(|w| w.is_zero()) {
                continue;
            }
            empty_polls = if taken > 0 { 0 } else { empty_polls + 1 };
            if empty_polls <= IDLE_POLLS || !open.entries.is_empty() {
                // Entries are streaming in (one came within the last few polls, or a batch
                // is open): poll rather than sleep, so that producers never pay for waking
                // the batcher (they see no asleep flag), and the batcher reads a poll's worth
                // at a time. A producer that finds its lane full unparks the batcher at once;
                // a lane holds hundreds of records, more than one poll's.
                std::thread::park_timeout(wait.map_or(LANE_POLL, |w| w.min(LANE_POLL)));
                continue;
            }
            // Idle: the next record may be microseconds away, so look again for a moment
            // before sleeping; then sleep until a producer, a request or a timer wakes it.
            if self.wait_briefly() {
                continue;
            }
            if let Some(r) = self.lanes.as_mut() {
                // Producers on the shared queue and requesters unpark the thread; the
                // park token keeps an unpark that comes before the park.
                r.sleep(wait);
            }
        }
    }

    /// The next request, without waiting; a batcher whose requesters are all gone shuts down.
    fn request(&self) -> Option<Control> {
        match self.ctl.try_recv() {
            Ok(c) => Some(c),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Control::Shutdown),
        }
    }

    /// Spins, then yields, for a moment while nothing comes; returns whether something did.
    fn wait_briefly(&mut self) -> bool {
        let backoff = Backoff::new();
        while !backoff.is_completed() {
            if !self.idle() {
                return true;
            }
            backoff.snooze();
        }
        !self.idle()
    }

    /// Whether no lane, the queue and the requests have anything now.
    fn idle(&mut self) -> bool {
        self.rx.is_empty()
            && self.ctl.is_empty()
            && self.lanes.as_mut().is_none_or(SetReader::is_empty)
    }

    /// One pass over the lanes, then the shared queue: every record becomes a pooled entry
    /// and goes through [`Batcher::take`]. Returns how many came.
    fn take_lanes(
        &mut self,
        got: &mut Vec<Box<EntryData>>,
        open: &mut Open,
        seq: &mut u64,
        max_delay: Duration,
    ) -> (usize, bool) {
        let mut full = false;
        let decode = self.decodes();
        if let Some(r) = self.lanes.as_mut() {
            let pool = &self.pool;
            let entries = RefCell::new(&mut *got);
            full = r
                .pass_unchecked(
                    |record| match unpack(pool, record, decode) {
                        Some(e) => {
                            entries.borrow_mut().push(e);
                            true
                        }
                        None => false,
                    },
                    |e| entries.borrow_mut().push(e),
                )
                .full;
        }
        let mut n = got.len();
        for e in got.drain(..) {
            self.take(open, seq, e, max_delay);
        }
        while let Ok(e) = self.rx.try_recv() {
            n += 1;
            self.take(open, seq, e, max_delay);
        }
        (n, full)
    }

    /// Whether the batcher decodes the records it takes: when it reads the entries (a stage
    /// runs here, or deduplication), and when the pipeline has the shared queue, whose
    /// producers copied and checked each record already, so that decoding is the batcher's
    /// one job and runs beside the sinks' encoding. Else (lanes, where the batcher copies
    /// and checks each record and was the pipeline's bottleneck) entries go into batches
    /// still packed, and the first sink that reads a batch decodes it (crate::batch), off the
    /// batcher's thread. docs/benchmarks.md, "Records decoded by the sinks", has the
    /// measurements behind the choice.
    #[inline]
    fn decodes(&self) -> bool {
        self.lanes.is_none() || self.stages.is_some() || self.dedup.is_some()
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

    /// Takes one entry off the queue: through the stages that run here and deduplication,
    /// when on, into the open batch.
    /// Returns whether a batch was dispatched.
    fn take(
        &mut self,
        open: &mut Open,
        seq: &mut u64,
        mut e: Box<EntryData>,
        max_delay: Duration,
    ) -> bool {
        if self.decodes() {
            crate::record::expand(&mut e);
        }
        if let Some(stages) = &self.stages {
            match stages.run(e, &self.counters) {
                Some(kept) => e = kept,
                // Dropped by a stage: counted, and back in the pool.
                None => return false,
            }
        }
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
        let batch = Arc::new(Batch::new(
            *seq,
            entries,
            Arc::clone(&self.pool),
            self.decodes(),
        ));
        let lanes = &mut self.lanes;
        // While a sink's full queue holds the batcher up, producers under `drop_oldest`
        // still get the room they ask for in their lanes.
        let mut serve = || {
            if let Some(r) = lanes.as_mut() {
                r.serve_evictions();
            }
        };
        for s in &mut self.sinks {
            s.offer(&batch, &mut serve);
        }
    }

    /// Handles a request; returns whether to keep running.
    fn handle(&mut self, c: Control, open: &mut Open, seq: &mut u64) -> bool {
        let max_delay = Duration::from_millis(self.cfg.max_delay_ms);
        match c {
            Control::Flush(reply) => {
                // Everything submitted before the flush call is in the lanes or the queue
                // now (or already taken, or evicted and counted); entries queued later may
                // ride along.
                if self.lanes.is_some() {
                    let mut got = Vec::new();
                    self.take_lanes(&mut got, open, seq, max_delay);
                }
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
                // Intake is closed and no submit is half-way: what the lanes hold now is
                // all they will ever hold. Lanes retired meanwhile are read to their end too.
                if self.lanes.is_some() {
                    let mut got = Vec::new();
                    while self.take_lanes(&mut got, open, seq, max_delay).0 > 0 {}
                }
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

/// A record read from a lane, unchecked: copied into a pooled entry, checked, and decoded there
/// when the batcher reads entries (`decode`: `record::unpack_into`, one walk for both), else
/// left packed for the sinks (`record::pack_checked`); stamped now if it came without a
/// timestamp (producers stamp what they submit). `None` (the entry back in the pool) for a
/// malformed record.
#[inline]
fn unpack(pool: &Pool, record: &[u8], decode: bool) -> Option<Box<EntryData>> {
    let mut e = pool.take();
    let taken = if decode {
        crate::record::unpack_into(record, &mut e)
    } else {
        crate::record::pack_checked(record, &mut e)
    };
    if !taken {
        pool.put(e);
        return None;
    }
    crate::clock::stamp(&mut e);
    Some(e)
}
