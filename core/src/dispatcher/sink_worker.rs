//! One sink's queue and thread.

use crate::batch::Batch;
use crate::config::{SinkConfig, SinkKind, WhenFull};
use crate::sink::Sink;
use crate::stats::{SinkCounters, SinkStats};
use crossbeam_channel::{
    bounded, unbounded, Receiver, Select, SendTimeoutError, Sender, TrySendError,
};
use parking_lot::{Condvar, Mutex};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::ThreadId;
use std::time::{Duration, Instant};

/// How long a batch offered under `block` waits for room at a time (see [`SinkFeed::offer`]).
const BETWEEN: Duration = Duration::from_millis(1);

/// A sink's answer to a flush: `Err` names the sink and says what failed.
pub(crate) type FlushReply = Result<(), String>;

/// A request to a sink thread.
pub(crate) enum SinkControl {
    /// Reply once every batch up to the `upto`-th offered one is accounted for and the sink
    /// has flushed: `Ok`, or the sink's error.
    Flush {
        upto: u64,
        reply: Sender<FlushReply>,
    },
}

/// What the pipeline and the batcher both see of a sink.
pub(crate) struct SinkShared {
    pub(crate) name: String,
    pub(crate) counters: SinkCounters,
    /// Batches accounted for: written, failed or dropped.
    accounted: AtomicU64,
    /// The sink's last error, for diagnostics.
    pub(crate) last_error: Mutex<Option<String>>,
    queue: Receiver<Arc<Batch>>,
    /// Every call into the sink passes this gate, which close shuts at its deadline.
    gate: Gate,
    /// Whether the sink runs the caller's code (a callback sink): shutting its gate waits for
    /// a call in progress to return, since the caller may free what that code uses as soon as
    /// close returns.
    calls_out: bool,
}

/// Whether calls into a sink may start, and whether one is running.
#[derive(Default)]
struct Gate {
    state: Mutex<GateState>,
    idle: Condvar,
}

#[derive(Default)]
struct GateState {
    shut: bool,
    /// The thread in a call into the sink (always the sink's own thread), if one is.
    in_call: Option<ThreadId>,
}

impl Gate {
    /// Starts a call into the sink; `false` once the gate is shut.
    fn enter(&self) -> bool {
        let mut st = self.state.lock();
        if st.shut {
            return false;
        }
        st.in_call = Some(std::thread::current().id());
        true
    }

    /// Ends a call started by [`Gate::enter`].
    fn leave(&self) {
        self.state.lock().in_call = None;
        self.idle.notify_all();
    }

    /// Shuts the gate: no call starts afterwards; with `wait`, returns only once the call in
    /// progress (if any) has returned, unless that call is the caller's own (a callback that
    /// closes its own pipeline), which could never return while it waits.
    fn shut(&self, wait: bool) {
        let me = std::thread::current().id();
        let mut st = self.state.lock();
        st.shut = true;
        while wait && st.in_call.is_some_and(|t| t != me) {
            self.idle.wait(&mut st);
        }
    }
}

impl SinkShared {
    /// Ends delivery to this sink, for a close that ran out of time: no call into the sink
    /// starts afterwards; a call in progress into a callback sink is waited for (foreign code
    /// cannot be interrupted), one into another sink is left to finish on its thread. Every
    /// batch queued now, or offered later, is counted as `dropped` and never delivered.
    pub(crate) fn abandon(&self) {
        self.gate.shut(self.calls_out);
        while let Ok(b) = self.queue.try_recv() {
            self.drop_batch(&b);
        }
    }

    pub(crate) fn stats(&self) -> SinkStats {
        self.counters.snapshot(&self.name, self.queue.len())
    }

    fn account(&self) {
        self.accounted.fetch_add(1, Ordering::Release);
    }

    fn accounted(&self) -> u64 {
        self.accounted.load(Ordering::Acquire)
    }

    fn drop_batch(&self, b: &Batch) {
        self.counters.dropped.add(b.len() as u64);
        self.account();
    }
}

/// The batcher's end of a sink: offers batches under the sink's `when_full` policy.
pub(crate) struct SinkFeed {
    pub(crate) shared: Arc<SinkShared>,
    tx: Sender<Arc<Batch>>,
    ctl: Sender<SinkControl>,
    when_full: WhenFull,
    block_timeout: Duration,
    offered: u64,
}

impl SinkFeed {
    /// Offers a batch. Never blocks longer than the sink's `block_timeout_ms`; while it waits
    /// for room it calls `between` every millisecond or so.
    pub(crate) fn offer(&mut self, batch: &Arc<Batch>, between: &mut dyn FnMut()) {
        let sh = &*self.shared;
        sh.counters.received.add(batch.len() as u64);
        self.offered += 1;
        let b = Arc::clone(batch);
        let refused = match self.when_full {
            WhenFull::DropNewest => self.tx.try_send(b).err().map(TrySendError::into_inner),
            WhenFull::Block => {
                let deadline = Instant::now() + self.block_timeout;
                let mut b = b;
                loop {
                    let slice = deadline
                        .saturating_duration_since(Instant::now())
                        .min(BETWEEN);
                    match self.tx.send_timeout(b, slice) {
                        Ok(()) => break None,
                        Err(SendTimeoutError::Timeout(back)) if Instant::now() < deadline => {
                            between();
                            b = back;
                        }
                        Err(e) => break Some(e.into_inner()),
                    }
                }
            }
            WhenFull::DropOldest => {
                let mut b = b;
                loop {
                    match self.tx.try_send(b) {
                        Ok(()) => break None,
                        Err(TrySendError::Full(back)) => {
                            if let Ok(old) = sh.queue.try_recv() {
                                sh.drop_batch(&old);
                            }
                            b = back;
                        }
                        Err(TrySendError::Disconnected(back)) => break Some(back),
                    }
                }
            }
        };
        if let Some(b) = refused {
            sh.drop_batch(&b);
        }
    }

    /// Asks the sink to flush once everything offered so far is accounted for.
    pub(crate) fn request_flush(&self, reply: Sender<FlushReply>) {
        // If the sink thread is gone the reply sender is dropped, and the waiter sees it.
        let _ = self.ctl.send(SinkControl::Flush {
            upto: self.offered,
            reply,
        });
    }
}

/// Starts a sink's thread; returns the batcher's end. The thread runs until the feed is dropped
/// and its queue is drained, then closes the sink and calls `on_exit`.
pub(crate) fn spawn(
    cfg: &SinkConfig,
    mut sink: Box<dyn Sink>,
    on_exit: impl FnOnce() + Send + 'static,
) -> std::io::Result<(SinkFeed, std::thread::JoinHandle<()>)> {
    let (tx, rx) = bounded::<Arc<Batch>>(cfg.queue_capacity);
    let (ctl_tx, ctl_rx) = unbounded::<SinkControl>();
    let shared = Arc::new(SinkShared {
        name: cfg.name.clone(),
        counters: SinkCounters {
            delivery: sink.delivery_counters(),
            ..SinkCounters::default()
        },
        accounted: AtomicU64::new(0),
        last_error: Mutex::new(None),
        queue: rx.clone(),
        gate: Gate::default(),
        calls_out: matches!(cfg.kind, SinkKind::Callback),
    });
    let sh = Arc::clone(&shared);
    let handle = std::thread::Builder::new()
        .name(thread_name(&cfg.name))
        .spawn(move || {
            let _exit = OnExit(Some(on_exit));
            run(&sh, &mut *sink, &rx, &ctl_rx);
        })?;
    let feed = SinkFeed {
        shared,
        tx,
        ctl: ctl_tx,
        when_full: cfg.when_full,
        block_timeout: Duration::from_millis(cfg.block_timeout_ms),
        offered: 0,
    };
    Ok((feed, handle))
}

/// The sink thread's name. A configuration built in code need not have passed validation, so
/// only the characters a parsed sink name may hold are kept: a NUL would make the thread
/// builder panic.
fn thread_name(sink: &str) -> String {
    let mut name = String::from("logcap-sink-");
    name.extend(
        sink.chars()
            .filter(|&c| crate::config::is_sink_name_char(c)),
    );
    name
}

struct OnExit<F: FnOnce()>(Option<F>);

impl<F: FnOnce()> Drop for OnExit<F> {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}

const PENDING_TICK: Duration = Duration::from_millis(5);

fn run(
    sh: &SinkShared,
    sink: &mut dyn Sink,
    rx: &Receiver<Arc<Batch>>,
    ctl: &Receiver<SinkControl>,
) {
    let mut pending: Vec<(u64, Sender<FlushReply>)> = Vec::new();
    loop {
        let mut disconnected = false;
        let mut sel = Select::new();
        let data = sel.recv(rx);
        sel.recv(ctl);
        // A batch counted in a flush's `upto` may be evicted from the queue rather than
        // received here, so poll the accounted count while a flush waits.
        let op = if pending.is_empty() {
            Some(sel.select())
        } else {
            sel.select_timeout(PENDING_TICK).ok()
        };
        match op {
            Some(op) if op.index() == data => match op.recv(rx) {
                Ok(b) => write(sh, sink, b),
                Err(_) => disconnected = true,
            },
            Some(op) => {
                if let Ok(SinkControl::Flush { upto, reply }) = op.recv(ctl) {
                    pending.push((upto, reply));
                }
            }
            None => {}
        }
        if !pending.is_empty() {
            let done = sh.accounted();
            let (ready, waiting): (Vec<_>, Vec<_>) =
                pending.drain(..).partition(|(u, _)| *u <= done);
            pending = waiting;
            if !ready.is_empty() {
                let ok = call(sh, || sink.flush());
                for (_, reply) in ready {
                    let _ = reply.send(ok.clone());
                }
            }
        }
        if disconnected {
            break;
        }
    }
    let ok = call(sh, || sink.close());
    for (_, reply) in pending {
        let _ = reply.send(ok.clone());
    }
}

fn write(sh: &SinkShared, sink: &mut dyn Sink, b: Arc<Batch>) {
    if !sh.gate.enter() {
        sh.drop_batch(&b);
        return;
    }
    let n = b.len() as u64;
    let r = catch_unwind(AssertUnwindSafe(|| sink.write(&b)));
    sh.gate.leave();
    match r {
        Ok(Ok(bytes)) => {
            sh.counters.delivered.add(n);
            sh.counters.batches.add(1);
            sh.counters.bytes.add(bytes);
        }
        Ok(Err(e)) => {
            match e.partial_delivery() {
                Some(p) => {
                    let failed = p.failed.min(n);
                    sh.counters.delivered.add(n - failed);
                    sh.counters.failed.add(failed);
                    sh.counters.bytes.add(p.bytes);
                }
                None => sh.counters.failed.add(n),
            }
            *sh.last_error.lock() = Some(e.to_string());
        }
        Err(p) => {
            sh.counters.failed.add(n);
            sh.counters.panics.add(1);
            *sh.last_error.lock() = Some(format!("panic: {}", panic_message(&*p)));
        }
    }
    sh.account();
}

/// Runs a flush or close, containing errors and panics; after an abandoned close, runs
/// nothing.
fn call(sh: &SinkShared, f: impl FnOnce() -> Result<(), crate::sink::SinkError>) -> FlushReply {
    if !sh.gate.enter() {
        return Err(format!(
            "sink {:?}: the pipeline was closed before it finished delivering",
            sh.name
        ));
    }
    let r = catch_unwind(AssertUnwindSafe(f));
    sh.gate.leave();
    let msg = match r {
        Ok(Ok(())) => return Ok(()),
        Ok(Err(e)) => e.to_string(),
        Err(p) => {
            sh.counters.panics.add(1);
            format!("panic: {}", panic_message(&*p))
        }
    };
    *sh.last_error.lock() = Some(msg.clone());
    Err(format!("sink {:?}: {msg}", sh.name))
}

/// The text of a panic payload (a `&str` or a `String`), for error messages.
pub fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::thread_name;

    #[test]
    fn thread_names_hold_no_nul() {
        assert_eq!(thread_name("a\0b c"), "logcap-sink-abc");
        assert_eq!(thread_name("file-0"), "logcap-sink-file-0");
        // What the thread builder would panic on is never passed to it.
        std::thread::Builder::new()
            .name(thread_name("x\0y"))
            .spawn(|| {})
            .unwrap()
            .join()
            .unwrap();
    }
}
