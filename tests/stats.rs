//! The arithmetic of the counters' snapshots: `Stats::dropped` sums every drop reason and
//! nothing else, `SinkStats::in_flight` is what is neither delivered, dropped nor failed.

mod common;

use common::standard_entry;
use logcap_core::sink::{Sink, SinkError};
use logcap_core::{Batch, DeliveryCounters, Pipeline, SinkStats, Stats};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[test]
fn dropped_is_the_sum_of_every_drop_reason_and_nothing_else() {
    // Each reason a power of two of its own, so a reason left out, counted twice or
    // subtracted gives another number; every other counter set too, and left out.
    let s = Stats {
        submitted: 1 << 40,
        accepted: 1 << 41,
        queued: 1 << 42,
        batches: 1 << 43,
        hook_errors: 1 << 44,
        held: 1 << 45,
        dropped_level: 1,
        sampled_out: 1 << 1,
        rate_limited: 1 << 2,
        dropped_by_hook: 1 << 3,
        deduplicated: 1 << 4,
        dropped_queue_full: 1 << 5,
        dropped_queue_evicted: 1 << 6,
        dropped_queue_timeout: 1 << 7,
        dropped_malformed: 1 << 8,
        ..Stats::default()
    };
    assert_eq!(s.dropped(), 0x1ff);
    // Each reason alone is counted once.
    for (i, reason) in [
        "dropped_level",
        "sampled_out",
        "rate_limited",
        "dropped_by_hook",
        "deduplicated",
        "dropped_queue_full",
        "dropped_queue_evicted",
        "dropped_queue_timeout",
        "dropped_malformed",
    ]
    .into_iter()
    .enumerate()
    {
        let mut doc = serde_json::to_value(Stats::default()).unwrap();
        doc[reason] = 3.into();
        let one: Stats = serde_json::from_value(doc).unwrap();
        assert_eq!(one.dropped(), 3, "{reason} (#{i})");
    }
    assert_eq!(Stats::default().dropped(), 0);
}

#[test]
fn in_flight_is_what_is_neither_delivered_dropped_nor_failed() {
    let k = SinkStats {
        received: 100,
        delivered: 50,
        dropped: 20,
        failed: 10,
        batches: 7,
        queued_batches: 3,
        ..SinkStats::default()
    };
    assert_eq!(k.in_flight(), 20);
    for (delivered, dropped, failed, want) in [
        (100, 0, 0, 0),
        (0, 100, 0, 0),
        (0, 0, 100, 0),
        (1, 2, 4, 93),
    ] {
        let k = SinkStats {
            received: 100,
            delivered,
            dropped,
            failed,
            ..SinkStats::default()
        };
        assert_eq!(k.in_flight(), want, "{k:?}");
    }
    // A snapshot read while entries move may show more outcomes than receipts: 0, not a wrap.
    let k = SinkStats {
        received: 1,
        delivered: 2,
        ..SinkStats::default()
    };
    assert_eq!(k.in_flight(), 0);
}

const LONG: Duration = Duration::from_secs(60);

/// A sink that counts as a network sink does: per batch one retried request, one permanent
/// failure, its entries dead-lettered, and 1000 bytes sent.
struct Counting(Arc<DeliveryCounters>);

impl Sink for Counting {
    fn write(&mut self, batch: &Batch) -> Result<u64, SinkError> {
        self.0.request(false);
        self.0.request(true);
        self.0.permanent_failure();
        self.0.dead_lettered(batch.len() as u64);
        self.0.sent(1000);
        Ok(7 * batch.len() as u64)
    }

    fn delivery_counters(&self) -> Option<Arc<DeliveryCounters>> {
        Some(Arc::clone(&self.0))
    }
}

#[test]
fn a_sinks_own_counters_reach_its_snapshot() {
    let cfg = logcap_core::Config::from_json(
        r#"{"batch":{"max_entries":10,"max_delay_ms":1},
            "sinks":[{"type":"callback","name":"net"},{"type":"callback","name":"boom"}]}"#,
    )
    .unwrap();
    let mut calls = 0;
    let p = Pipeline::builder(cfg)
        .sink("net", Box::new(Counting(Arc::default())))
        .callback("boom", move |_| {
            calls += 1;
            if calls % 2 == 0 {
                panic!("every other batch panics");
            }
            Ok(())
        })
        .build()
        .unwrap();
    for i in 0..100 {
        p.submit(standard_entry(&p, i)).unwrap();
    }
    p.close(LONG).unwrap();
    let s = p.stats();
    let (net, boom) = (&s.sinks[0], &s.sinks[1]);
    assert_eq!(net.delivered, 100);
    assert!(net.batches >= 10, "{net:#?}");
    assert_eq!(net.batches, s.batches, "one write per batch");
    assert_eq!(net.bytes, 700, "the bytes each write reported");
    assert_eq!(
        (net.requests, net.retries, net.permanent_failures),
        (2 * net.batches, net.batches, net.batches)
    );
    assert_eq!(
        (net.dead_lettered, net.bytes_sent),
        (100, 1000 * net.batches)
    );
    assert_eq!(net.panics, 0);
    // The callback sink: every other call panicked, each counted, its batch failed.
    assert_eq!(boom.panics, s.batches / 2, "{boom:#?}");
    assert_eq!(boom.batches, s.batches - boom.panics);
    assert_eq!(boom.delivered + boom.failed, 100);
    assert_eq!(boom.requests + boom.bytes_sent, 0, "not a network sink");
}

#[test]
fn entries_held_by_dedup_are_counted_while_held() {
    let p = Pipeline::from_json(
        r#"{"dedup":{"window_ms":600000},"batch":{"max_delay_ms":1},
            "sinks":[{"type":"null","name":"null"}]}"#,
    )
    .unwrap();
    for i in 0..3 {
        // Distinct messages: three windows open, each holding its entry.
        let e = standard_entry(&p, i);
        e.set_message(&format!("distinct {i}"));
        p.submit(e).unwrap();
    }
    let deadline = Instant::now() + LONG;
    loop {
        let s = p.stats();
        if s.held == 3 {
            assert_eq!(s.submitted, s.accepted + s.dropped() + s.queued + s.held);
            break;
        }
        assert!(Instant::now() < deadline, "held never reached 3: {s:#?}");
        std::thread::sleep(Duration::from_millis(1));
    }
    p.close(LONG).unwrap();
    let s = p.stats();
    assert_eq!((s.held, s.accepted, s.sinks[0].delivered), (0, 3, 3));
}

/// A sink that delivers part of each batch, as a network sink whose batch went out in several
/// requests: `failed` of its entries are not delivered, `bytes` were written for the others.
/// Its flush fails, or panics when `panic_on_flush`.
struct PartlyDelivering {
    failed: u64,
    bytes: u64,
    panic_on_flush: bool,
}

impl Sink for PartlyDelivering {
    fn write(&mut self, _batch: &Batch) -> Result<u64, SinkError> {
        Err(SinkError::partial(
            "some requests failed",
            self.failed,
            self.bytes,
        ))
    }

    fn flush(&mut self) -> Result<(), SinkError> {
        if self.panic_on_flush {
            panic!("expected: flush bug");
        }
        Err(SinkError::new("flush refused"))
    }
}

#[test]
fn a_partly_delivered_batch_counts_what_was_and_was_not_delivered() {
    // Batches close only when full: 100 entries make 10 batches of 10.
    let cfg = logcap_core::Config::from_json(
        r#"{"batch":{"max_entries":10,"max_delay_ms":600000},
            "sinks":[{"type":"callback","name":"part"},{"type":"callback","name":"over"}]}"#,
    )
    .unwrap();
    let p = Pipeline::builder(cfg)
        .sink(
            "part",
            Box::new(PartlyDelivering {
                failed: 3,
                bytes: 70,
                panic_on_flush: false,
            }),
        )
        // Reports more failures than the batch holds: the whole batch failed, no more.
        .sink(
            "over",
            Box::new(PartlyDelivering {
                failed: 25,
                bytes: 0,
                panic_on_flush: true,
            }),
        )
        .build()
        .unwrap();
    for i in 0..100 {
        p.submit(standard_entry(&p, i)).unwrap();
    }
    // A flush waits for every batch, then reports the first error a sink answers with; the
    // panic in a flush is contained and counted.
    let err = p.flush(LONG).unwrap_err().to_string();
    assert!(
        err.contains(r#"sink "part": flush refused"#)
            || err.contains(r#"sink "over": panic: expected: flush bug"#),
        "{err}"
    );
    let s = p.stats();
    assert_eq!(s.batches, 10, "{s:#?}");
    let (part, over) = (&s.sinks[0], &s.sinks[1]);
    assert_eq!((part.delivered, part.failed, part.bytes), (70, 30, 700));
    assert_eq!(
        part.batches, 0,
        "a batch with a failure is not a written batch"
    );
    assert_eq!((over.delivered, over.failed, over.bytes), (0, 100, 0));
    assert_eq!((part.panics, over.panics), (0, 1));
    assert_eq!(
        p.sink_last_error("over").as_deref(),
        Some("panic: expected: flush bug")
    );
    p.close(LONG).unwrap();
}
