//! The asynchronous dispatcher: a bounded intake queue, a batcher thread, and one queue and
//! thread per sink.
//!
//! ```text
//! producers ──submit──▶ a lane per thread ──▶ batcher ──Arc<Batch>──▶ sink queue ──▶ sink thread
//!                      (or the shared queue)              └────────▶ sink queue ──▶ sink thread
//! ```
//! Each producing thread writes packed records into a lane of its own (crate::lane,
//! docs/lane-protocol.md); the batcher reads every lane, and the shared intake queue, which
//! takes every submit when lanes are off (`queue.lanes`) or a processor hook is set. A batch is
//! immutable and shared by every sink; when the last sink lets go of it its entries go back to
//! the pool. The processing stages (crate::process) run in submit, before the shared queue,
//! or, with lanes, in the batcher as it takes each entry; deduplication always runs in the
//! batcher.

mod batcher;
mod intake;
mod sink_worker;

pub use sink_worker::panic_message;

use crate::config::Config;
use crate::entry::{EntryData, Level};
use crate::error::Error;
use crate::lane::LaneSet;
use crate::pool::Pool;
use crate::process::{BatcherDedup, Stages};
use crate::sink::Sink;
use crate::stats::{IntakeCounters, Stats};
use batcher::{Batcher, Control};
use crossbeam_channel::{bounded, unbounded, Receiver, RecvTimeoutError, Sender};
use intake::Intake;
use parking_lot::Mutex;
use sink_worker::SinkShared;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The lane set of a pipeline whose configuration asks for lanes and that has no processor
/// hook (the hook runs on the caller's thread, before the shared queue: crate::process says
/// why).
fn lane_set(cfg: &Config, stages: &Option<Box<Stages>>) -> Option<Arc<LaneSet>> {
    if !cfg.queue.lanes || stages.as_ref().is_some_and(|s| s.has_hook()) {
        return None;
    }
    let records = u32::try_from(cfg.queue.capacity).unwrap_or(u32::MAX);
    LaneSet::new(
        cfg.queue.lane_bytes,
        records,
        intake::lane_policy(&cfg.queue),
    )
}

struct Lifecycle {
    shutdown_sent: bool,
    running: usize,
    done: Receiver<()>,
    handles: Vec<JoinHandle<()>>,
}

/// The running machinery of one pipeline.
pub(crate) struct Dispatcher {
    intake: Intake,
    ctl: Sender<Control>,
    sinks: Vec<Arc<SinkShared>>,
    counters: Arc<IntakeCounters>,
    lifecycle: Mutex<Lifecycle>,
    /// The batcher's thread: a request unparks it, since with lanes it sleeps by parking.
    batcher: std::thread::Thread,
}

impl Dispatcher {
    /// Starts the batcher and one thread per sink. `sinks` pairs each sink configuration with
    /// its built sink, in configuration order. `stages` run in submit (in the batcher with
    /// lanes), `dedup` in the batcher.
    pub(crate) fn start(
        cfg: &Config,
        sinks: Vec<Box<dyn Sink>>,
        pool: Arc<Pool>,
        stages: Option<Box<Stages>>,
        dedup: Option<BatcherDedup>,
    ) -> Result<Dispatcher, Error> {
        let (tx, rx) = bounded::<Box<EntryData>>(cfg.queue.capacity);
        let (ctl_tx, ctl_rx) = unbounded();
        let (done_tx, done_rx) = unbounded::<()>();
        let counters = Arc::new(IntakeCounters::default());
        let mut feeds = Vec::with_capacity(sinks.len());
        let mut handles = Vec::with_capacity(sinks.len() + 1);
        let spawn_err = |e: std::io::Error| Error::SinkSetup {
            sink: String::new(),
            key: String::new(),
            message: format!("cannot start a thread: {e}"),
        };
        for (sc, sink) in cfg.sinks.iter().zip(sinks) {
            let done = done_tx.clone();
            let (feed, h) = sink_worker::spawn(sc, sink, move || {
                let _ = done.send(());
            })
            .map_err(spawn_err)?;
            feeds.push(feed);
            handles.push(h);
        }
        let shared: Vec<_> = feeds.iter().map(|f| Arc::clone(&f.shared)).collect();
        let lanes = lane_set(cfg, &stages);
        // With lanes, the stages run on the batcher as it takes each entry; without, on the
        // producer's thread before the shared queue.
        let (stages, batcher_stages) = match lanes {
            Some(_) => (None, stages),
            None => (stages, None),
        };
        let reader_of = lanes.clone();
        let batcher = Batcher {
            rx: rx.clone(),
            ctl: ctl_rx,
            sinks: feeds,
            pool: Arc::clone(&pool),
            cfg: cfg.batch.clone(),
            counters: Arc::clone(&counters),
            dedup,
            stages: batcher_stages,
            lanes: None,
        };
        let done = done_tx;
        let h = std::thread::Builder::new()
            .name("logcap-batcher".into())
            .spawn(move || {
                let mut batcher = batcher;
                match reader_of {
                    // The reader is made on this thread: producers unpark the thread that
                    // made it.
                    Some(set) => {
                        batcher.lanes = Some(set.reader());
                        batcher.run_lanes();
                    }
                    None => batcher.run(),
                }
                let _ = done.send(());
            })
            .map_err(spawn_err)?;
        let batcher_thread = h.thread().clone();
        handles.push(h);
        let running = handles.len();
        let mut intake = Intake::new(
            &cfg.queue,
            cfg.min_level,
            tx,
            rx,
            Arc::clone(&counters),
            pool,
            stages,
        )
        .waking(batcher_thread.clone());
        if let Some(set) = lanes {
            intake = intake.with_lanes(set);
        }
        Ok(Dispatcher {
            intake,
            batcher: batcher_thread,
            ctl: ctl_tx,
            sinks: shared,
            counters,
            lifecycle: Mutex::new(Lifecycle {
                shutdown_sent: false,
                running,
                done: done_rx,
                handles,
            }),
        })
    }

    #[inline]
    pub(crate) fn submit(&self, e: Box<EntryData>) -> Result<(), Error> {
        self.intake.submit(e).map(|_queued| ())
    }

    /// Submits a packed record already checked, with the level and timestamp of its header.
    #[inline]
    pub(crate) fn submit_record(
        &self,
        record: &[u8],
        level: Level,
        timestamp_ns: u64,
    ) -> Result<(), Error> {
        self.intake
            .submit_record(record, level, timestamp_ns)
            .map(|_queued| ())
    }

    /// Counts an entry below the minimum level without its contents (see
    /// [`crate::Pipeline::submit_below_level`]).
    #[inline]
    pub(crate) fn submit_below_level(&self) -> Result<(), Error> {
        self.intake.submit_below_level()
    }

    /// Submits as [`Dispatcher::submit`] does; `Ok(true)` when the entry went into the queue,
    /// `Ok(false)` when the level, sampling, rate limiting or the hook dropped it.
    pub(crate) fn submit_queued(&self, e: Box<EntryData>) -> Result<bool, Error> {
        self.intake.submit_to_queue(e)
    }

    /// Sends a request to the batcher and wakes it.
    fn request(&self, c: Control) -> bool {
        let sent = self.ctl.send(c).is_ok();
        self.batcher.unpark();
        sent
    }

    pub(crate) fn min_level(&self) -> Level {
        self.intake.min_level()
    }

    pub(crate) fn set_min_level(&self, l: Level) {
        self.intake.set_min_level(l)
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.intake.is_closed()
    }

    /// Whether submits go through lanes, whose every record the batcher checks as it reads.
    pub(crate) fn has_lanes(&self) -> bool {
        self.intake.lanes().is_some()
    }

    pub(crate) fn thread_lane(&self) -> Result<Option<crate::lane::ThreadLane>, Error> {
        self.intake.thread_lane()
    }

    pub(crate) fn unbound_lane(&self) -> Result<Option<crate::lane::UnboundLane>, Error> {
        self.intake.unbound_lane()
    }

    pub(crate) fn owns(&self, lane: &crate::lane::UnboundLane) -> bool {
        self.intake.owns(lane)
    }

    pub(crate) fn submit_record_to(
        &self,
        lane: &mut crate::lane::UnboundLane,
        record: &[u8],
        level: Level,
        timestamp_ns: u64,
    ) -> Result<(), Error> {
        self.intake
            .submit_record_to(lane, record, level, timestamp_ns)
            .map(|_queued| ())
    }

    pub(crate) fn submit_entry_to(
        &self,
        lane: &mut crate::lane::UnboundLane,
        e: Box<EntryData>,
    ) -> Result<(), Error> {
        self.intake.submit_entry_to(lane, e).map(|_queued| ())
    }

    /// Waits until everything submitted before the call is delivered, dropped or failed in
    /// every sink, and every sink has flushed.
    pub(crate) fn flush(&self, timeout: Duration) -> Result<(), Error> {
        let deadline = Instant::now() + timeout;
        if self.intake.is_closed() {
            return Err(Error::Closed);
        }
        let (tx, rx) = unbounded();
        if !self.request(Control::Flush(tx)) {
            return Err(Error::Closed);
        }
        let mut first_err = None;
        for _ in 0..self.sinks.len() {
            match rx.recv_deadline(deadline) {
                Ok(Ok(())) => {}
                Ok(Err(msg)) => {
                    first_err.get_or_insert(msg);
                }
                Err(RecvTimeoutError::Timeout) => return Err(Error::Timeout),
                Err(RecvTimeoutError::Disconnected) => return Err(Error::Closed),
            }
        }
        match first_err {
            None => Ok(()),
            Some(message) => Err(Error::SinkFlush(message)),
        }
    }

    /// Stops intake, delivers what is queued, closes the sinks and joins the threads.
    /// Idempotent: a later call waits again for what is still running.
    ///
    /// At the deadline, delivery is abandoned ([`SinkShared::abandon`]): no sink is called
    /// again, a callback in progress is waited for, and what was not delivered is counted as
    /// dropped by each sink. So once close returns, whatever it returns, no callback of the
    /// pipeline runs.
    pub(crate) fn close(&self, timeout: Duration) -> Result<(), Error> {
        let deadline = Instant::now() + timeout;
        let mut lc = self.lifecycle.lock();
        if !lc.shutdown_sent {
            if !self.intake.close(deadline) {
                return Err(self.abandon());
            }
            // The batcher may already be gone only if it panicked; nothing is left to tell.
            let _ = self.request(Control::Shutdown);
            lc.shutdown_sent = true;
        }
        while lc.running > 0 {
            match lc.done.recv_deadline(deadline) {
                Ok(()) => lc.running -= 1,
                Err(RecvTimeoutError::Timeout) => return Err(self.abandon()),
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        for h in lc.handles.drain(..) {
            let _ = h.join();
        }
        Ok(())
    }

    /// Ends delivery to every sink (see [`Dispatcher::close`]); returns the error close gives.
    fn abandon(&self) -> Error {
        for s in &self.sinks {
            s.abandon();
        }
        Error::Timeout
    }

    pub(crate) fn stats(&self, pool: &Pool) -> Stats {
        let sinks = self.sinks.iter().map(|s| s.stats()).collect();
        let c = &*self.counters;
        // Outcomes before `submitted`, so a snapshot never shows more outcomes than submits.
        // The lanes' counters (each written by one thread) add to the queue's.
        let accepted = c.accepted.get();
        let lanes = self
            .intake
            .lanes()
            .map(|l| l.counters())
            .unwrap_or_default();
        let dropped_level = c.dropped_level.get() + lanes.dropped_level;
        let dropped_queue_full = c.dropped_queue_full.get() + lanes.dropped_full;
        let dropped_queue_evicted = c.dropped_queue_evicted.get() + lanes.evicted;
        let dropped_queue_timeout = c.dropped_queue_timeout.get() + lanes.dropped_timeout;
        let dropped_malformed = lanes.malformed;
        let (lane_count, lane_bytes) = self.intake.lanes().map_or((0, 0), |l| l.footprint());
        let sampled_out = c.sampled_out.get();
        let rate_limited = c.rate_limited.get();
        let dropped_by_hook = c.dropped_by_hook.get();
        let deduplicated = c.deduplicated.get();
        let held = c.held.get();
        Stats {
            submitted: c.submitted.get() + lanes.submitted,
            accepted,
            dropped_level,
            dropped_queue_full,
            dropped_queue_evicted,
            dropped_queue_timeout,
            dropped_malformed,
            queued: self.intake.queued() as u64 + lanes.pending_saturating(),
            batches: c.batches.get(),
            sampled_out,
            rate_limited,
            dropped_by_hook,
            hook_errors: c.hook_errors.get(),
            deduplicated,
            held,
            lanes: lane_count as u64,
            lane_bytes: lane_bytes as u64,
            refused_limit: pool.limit_refusals(),
            pool: pool.stats(),
            sinks,
        }
    }

    /// The last error of the named sink, if it had one.
    pub(crate) fn sink_last_error(&self, name: &str) -> Option<String> {
        self.sinks
            .iter()
            .find(|s| s.name == name)
            .and_then(|s| s.last_error.lock().clone())
    }
}
