//! `drop_oldest`, at the intake queue and at a sink's queue: the entries that survive a full
//! queue are the newest, the evicted ones are counted under their own reason, and the
//! counters still add up.
//!
//! Both tests hold the pipeline still with a callback that waits at a gate, so which entries
//! are where is known exactly, not left to thread timing.

mod common;

use common::standard_entry;
use logcap_core::sink::SinkError;
use logcap_core::{Config, Pipeline, Stats, ValueRef};
use parking_lot::{Condvar, Mutex};
use std::sync::Arc;
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(60);

/// A callback that records the `seq` field of every entry it is given, and waits in each
/// call until the gate is opened.
#[derive(Default)]
struct Gate {
    state: Mutex<GateState>,
    cv: Condvar,
}

#[derive(Default)]
struct GateState {
    open: bool,
    entered: u64,
    seen: Vec<u64>,
}

impl Gate {
    fn callback(
        self: &Arc<Self>,
    ) -> impl FnMut(&logcap_core::Batch) -> Result<(), SinkError> + Send {
        let g = Arc::clone(self);
        move |b| {
            let mut st = g.state.lock();
            for e in b.iter() {
                match e.field("seq") {
                    Some(ValueRef::U64(n)) => st.seen.push(n),
                    other => panic!("entry without a u64 seq: {other:?}"),
                }
            }
            st.entered += 1;
            g.cv.notify_all();
            while !st.open {
                g.cv.wait(&mut st);
            }
            Ok(())
        }
    }

    fn wait_entered(&self, n: u64) {
        let mut st = self.state.lock();
        let deadline = Instant::now() + LONG;
        while st.entered < n {
            assert!(
                !self.cv.wait_until(&mut st, deadline).timed_out(),
                "the callback was not called {n} times"
            );
        }
    }

    fn open(&self) {
        self.state.lock().open = true;
        self.cv.notify_all();
    }

    fn seen(&self) -> Vec<u64> {
        self.state.lock().seen.clone()
    }
}

/// Waits until `cond` holds for the pipeline's counters.
fn wait_stats(p: &Pipeline, what: &str, cond: impl Fn(&Stats) -> bool) -> Stats {
    let deadline = Instant::now() + LONG;
    loop {
        let s = p.stats();
        if cond(&s) {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {s:#?}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A pipeline of configuration `doc` whose callback sink "gate" is a [`Gate`], with entry 0
/// submitted and waiting in the callback.
fn gated(doc: &str) -> (Pipeline, Arc<Gate>) {
    let gate = Arc::new(Gate::default());
    let p = Pipeline::builder(Config::from_json(doc).unwrap())
        .callback("gate", gate.callback())
        .build()
        .unwrap();
    submit_seq(&p, 0..1);
    gate.wait_entered(1);
    (p, gate)
}

fn submit_seq(p: &Pipeline, range: std::ops::Range<u64>) {
    for i in range {
        p.submit(standard_entry(p, i))
            .unwrap_or_else(|e| panic!("submit {i}: {e}"));
    }
}

#[test]
fn a_full_intake_queue_evicts_its_oldest_entries() {
    const CAP: u64 = 8;
    const EXTRA: u64 = 5;
    // One entry per batch; the sink queue holds one batch and blocks the batcher when full.
    let (p, gate) = gated(&format!(
        r#"{{"queue":{{"capacity":{CAP},"when_full":"drop_oldest"}},
            "batch":{{"max_entries":1,"max_delay_ms":1}},
            "sinks":[{{"type":"callback","name":"gate","queue_capacity":1,
                       "when_full":"block","block_timeout_ms":600000}}]}}"#
    ));
    // Entry 0 is in the callback, entry 1 in the sink's queue, entry 2 in the batcher's hand,
    // which now waits for room in the sink's queue and takes nothing from the intake.
    submit_seq(&p, 1..2);
    wait_stats(&p, "entry 1 in the sink queue", |s| {
        s.sinks[0].received == 2 && s.sinks[0].queued_batches == 1
    });
    submit_seq(&p, 2..3);
    wait_stats(&p, "entry 2 offered", |s| {
        s.sinks[0].received == 3 && s.queued == 0
    });
    // CAP + EXTRA more: the queue keeps the last CAP of them.
    let last = 3 + CAP + EXTRA;
    submit_seq(&p, 3..last);
    let s = p.stats();
    assert_eq!(s.queued, CAP, "{s:#?}");
    assert_eq!(s.dropped_queue_evicted, EXTRA, "{s:#?}");
    gate.open();
    p.close(LONG).unwrap();

    let want: Vec<u64> = (0..3).chain(last - CAP..last).collect();
    assert_eq!(gate.seen(), want, "the newest entries survive, in order");
    let s = p.stats();
    assert_eq!(s.submitted, last);
    assert_eq!(s.dropped_queue_evicted, EXTRA, "{s:#?}");
    assert_eq!(s.dropped(), EXTRA, "no other reason: {s:#?}");
    assert_eq!(s.accepted, last - EXTRA);
    assert_eq!(s.submitted, s.accepted + s.dropped() + s.queued + s.held);
    let k = &s.sinks[0];
    assert_eq!(
        (k.received, k.delivered, k.dropped, k.failed),
        (s.accepted, s.accepted, 0, 0)
    );
}

#[test]
fn a_full_sink_queue_evicts_its_oldest_batches() {
    const QCAP: u64 = 4;
    const EXTRA: u64 = 6;
    let (p, gate) = gated(&format!(
        r#"{{"queue":{{"capacity":1024,"when_full":"block","block_timeout_ms":600000}},
            "batch":{{"max_entries":1,"max_delay_ms":1}},
            "sinks":[{{"type":"callback","name":"gate","queue_capacity":{QCAP},
                       "when_full":"drop_oldest"}},
                     {{"type":"null","name":"null"}}]}}"#
    ));
    let last = 1 + QCAP + EXTRA;
    submit_seq(&p, 1..last);
    // A batch is counted received as it is offered, a moment before it is queued and the
    // eviction it causes is counted: wait for every one to be in the queue or dropped.
    let s = wait_stats(&p, "every batch offered and placed", |s| {
        let k = &s.sinks[0];
        k.received == last && k.dropped + k.queued_batches == last - 1
    });
    assert_eq!(s.sinks[0].dropped, EXTRA, "{s:#?}");
    assert_eq!(s.sinks[0].queued_batches, QCAP, "{s:#?}");
    gate.open();
    p.close(LONG).unwrap();

    let want: Vec<u64> = std::iter::once(0).chain(last - QCAP..last).collect();
    assert_eq!(gate.seen(), want, "the newest batches survive, in order");
    let s = p.stats();
    assert_eq!(s.dropped(), 0, "the intake dropped nothing: {s:#?}");
    assert_eq!(s.accepted, last);
    let k = &s.sinks[0];
    assert_eq!(k.received, last);
    assert_eq!(k.dropped, EXTRA, "{k:#?}");
    assert_eq!(k.delivered, 1 + QCAP);
    assert_eq!(k.failed, 0);
    assert_eq!(k.received, k.delivered + k.dropped + k.failed);
    // The other sink has a queue of its own and lost nothing.
    let n = &s.sinks[1];
    assert_eq!((n.received, n.delivered, n.dropped), (last, last, 0));
}
