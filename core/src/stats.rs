//! Counters of a pipeline, its sinks and its pool.
//!
//! Counters are monotonic and updated with relaxed atomics; a snapshot taken while entries move
//! may see one counter before another, but once the pipeline is flushed or closed the
//! invariants hold exactly:
//! - `submitted = accepted + dropped_level + sampled_out + rate_limited + dropped_by_hook +
//!   dropped_queue_full + dropped_queue_evicted + dropped_queue_timeout + dropped_malformed +
//!   deduplicated + queued + held`, that is `submitted = accepted + dropped() + queued + held`
//! - per sink, `received = delivered + dropped + failed + in_flight`

use crate::pool::PoolStats;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A snapshot of a pipeline's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Entries handed to submit on an open pipeline.
    pub submitted: u64,
    /// Entries that passed every stage into batches (a deduplicated entry counts once).
    pub accepted: u64,
    /// Entries dropped at submit because their level was below the minimum.
    pub dropped_level: u64,
    /// Entries refused because the queue was full (`drop_newest`).
    pub dropped_queue_full: u64,
    /// Queued entries dropped to make room for newer ones (`drop_oldest`).
    pub dropped_queue_evicted: u64,
    /// Entries dropped after waiting `block_timeout_ms` for room (`block`).
    pub dropped_queue_timeout: u64,
    /// Records the batcher found malformed in a lane and dropped (docs/lane-protocol.md, "A
    /// malformed lane"): a writer of the lane broke the protocol. The library's own writers
    /// never do, so this stays 0 unless something wrote into a lane's memory by mistake.
    #[serde(default)]
    pub dropped_malformed: u64,
    /// Entries in the lanes and the intake queue now.
    pub queued: u64,
    /// Batches made.
    pub batches: u64,
    /// Entries dropped by sampling.
    pub sampled_out: u64,
    /// Entries refused by the rate limiter.
    pub rate_limited: u64,
    /// Entries the processor hook dropped.
    pub dropped_by_hook: u64,
    /// Hook calls that panicked or returned an error (each entry was kept).
    pub hook_errors: u64,
    /// Entries collapsed into an identical earlier one (counted in its `repeats`).
    pub deduplicated: u64,
    /// Entries held by deduplication now, waiting for their window to close.
    pub held: u64,
    /// Lanes in use now: one per thread that has submitted since the pipeline started and
    /// has not exited (docs/lane-protocol.md); 0 when the pipeline uses its shared queue.
    #[serde(default)]
    pub lanes: u64,
    /// The bytes those lanes take (their headers and rings).
    #[serde(default)]
    pub lane_bytes: u64,
    /// Calls refused because an entry limit was reached (docs/api.md, "Limits"): a setter of
    /// the handle API (the entry keeps what it had), a submit whose message is too long or a
    /// packed record over a limit (nothing is submitted). Not part of `submitted`.
    pub refused_limit: u64,
    /// The entry pool's counters.
    pub pool: PoolStats,
    /// One snapshot per sink, in configuration order.
    pub sinks: Vec<SinkStats>,
}

impl Stats {
    /// Every entry that did not reach a batch as an entry of its own, whatever the reason
    /// (deduplicated entries included: they are counted in the entry they collapsed into).
    pub fn dropped(&self) -> u64 {
        self.dropped_level
            + self.sampled_out
            + self.rate_limited
            + self.dropped_by_hook
            + self.deduplicated
            + self.dropped_queue_full
            + self.dropped_queue_evicted
            + self.dropped_queue_timeout
            + self.dropped_malformed
    }
}

/// A snapshot of one sink's counters. Entry counts, except `batches`, `bytes`, `requests`,
/// `retries` and `bytes_sent`.
///
/// The delivery counters (`requests` to `bytes_sent`) are kept by network sinks; every other
/// sink reports them as 0.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SinkStats {
    /// The sink's name.
    pub name: String,
    /// Entries in batches offered to the sink.
    pub received: u64,
    /// Entries the sink wrote successfully.
    pub delivered: u64,
    /// Entries in batches dropped by the sink's queue policy.
    pub dropped: u64,
    /// Entries in batches the sink failed to write (an error or a panic).
    pub failed: u64,
    /// Batches the sink wrote successfully.
    pub batches: u64,
    /// Bytes the sink wrote.
    pub bytes: u64,
    /// Panics caught in the sink (each also counts its batch as failed).
    pub panics: u64,
    /// Batches in the sink's queue now.
    pub queued_batches: u64,
    /// Requests (HTTP requests, syslog sends) attempted, retries included.
    pub requests: u64,
    /// Of those, attempts that repeated a request after a transient failure.
    pub retries: u64,
    /// Requests refused permanently (such as HTTP 400), never retried.
    pub permanent_failures: u64,
    /// Entries written to the dead-letter file (they also count as `failed`).
    pub dead_lettered: u64,
    /// Bytes sent on the wire in successful requests (after compression).
    pub bytes_sent: u64,
}

impl SinkStats {
    /// Entries received but not yet delivered, dropped or failed.
    pub fn in_flight(&self) -> u64 {
        self.received
            .saturating_sub(self.delivered + self.dropped + self.failed)
    }
}

/// Whether a metric only grows (a Prometheus counter) or is a level now (a gauge).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Monotonic; its name ends in `_total`.
    Counter,
    /// A level now.
    Gauge,
}

/// One number of a stats snapshot as a metric (src/metrics.rs renders them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    /// The struct field it reads: `submitted`, `pool.idle`, `bytes_sent`, ...
    pub field: &'static str,
    /// The metric family's name.
    pub name: &'static str,
    /// A label that tells this number from the others of its family, if the family has
    /// several (entry drops by `reason`).
    pub label: Option<(&'static str, &'static str)>,
    /// Counter or gauge.
    pub kind: MetricKind,
    /// The family's help text (one line, no backslash).
    pub help: &'static str,
    /// The value.
    pub value: u64,
}

const fn metric(
    field: &'static str,
    name: &'static str,
    label: Option<(&'static str, &'static str)>,
    kind: MetricKind,
    help: &'static str,
    value: u64,
) -> Metric {
    Metric {
        field,
        name,
        label,
        kind,
        help,
        value,
    }
}

const DROPPED_HELP: &str = "Entries that did not reach a batch, by reason.";

impl Stats {
    /// Every number of the snapshot, its pool's included, as a metric; the sinks' are
    /// [`SinkStats::metrics`]. Every field is named here (the destructuring has no `..`), so
    /// a counter added to the struct cannot be left out of the metrics.
    pub fn metrics(&self) -> Vec<Metric> {
        use MetricKind::{Counter, Gauge};
        let Stats {
            submitted,
            accepted,
            dropped_level,
            dropped_queue_full,
            dropped_queue_evicted,
            dropped_queue_timeout,
            dropped_malformed,
            queued,
            batches,
            sampled_out,
            rate_limited,
            dropped_by_hook,
            hook_errors,
            refused_limit,
            deduplicated,
            held,
            lanes,
            lane_bytes,
            pool,
            sinks: _,
        } = self;
        let PoolStats {
            acquired,
            reused,
            allocated,
            discarded,
            trimmed,
            idle,
        } = pool;
        let dropped = |field, reason, v| {
            metric(
                field,
                "logcap_entries_dropped_total",
                Some(("reason", reason)),
                Counter,
                DROPPED_HELP,
                v,
            )
        };
        vec![
            metric(
                "submitted",
                "logcap_entries_submitted_total",
                None,
                Counter,
                "Entries handed to submit on an open pipeline.",
                *submitted,
            ),
            metric(
                "accepted",
                "logcap_entries_accepted_total",
                None,
                Counter,
                "Entries that passed every stage into batches (a deduplicated entry counts once).",
                *accepted,
            ),
            dropped("dropped_level", "level", *dropped_level),
            dropped("sampled_out", "sampled_out", *sampled_out),
            dropped("rate_limited", "rate_limited", *rate_limited),
            dropped("dropped_by_hook", "hook", *dropped_by_hook),
            dropped("dropped_queue_full", "queue_full", *dropped_queue_full),
            dropped(
                "dropped_queue_evicted",
                "queue_evicted",
                *dropped_queue_evicted,
            ),
            dropped(
                "dropped_queue_timeout",
                "queue_timeout",
                *dropped_queue_timeout,
            ),
            dropped("dropped_malformed", "malformed", *dropped_malformed),
            metric(
                "deduplicated",
                "logcap_entries_deduplicated_total",
                None,
                Counter,
                "Entries collapsed into an identical earlier entry (counted in its repeats field).",
                *deduplicated,
            ),
            metric(
                "hook_errors",
                "logcap_hook_errors_total",
                None,
                Counter,
                "Processor hook calls that panicked or returned an error; the entry was kept.",
                *hook_errors,
            ),
            metric(
                "refused_limit",
                "logcap_refused_limit_total",
                None,
                Counter,
                "Calls refused because an entry limit was reached (labels, fields, key, message, record size).",
                *refused_limit,
            ),
            metric(
                "batches",
                "logcap_batches_total",
                None,
                Counter,
                "Batches made.",
                *batches,
            ),
            metric(
                "queued",
                "logcap_queued_entries",
                None,
                Gauge,
                "Entries in the lanes and the intake queue now.",
                *queued,
            ),
            metric(
                "lanes",
                "logcap_lanes",
                None,
                Gauge,
                "Lanes in use now, one per producing thread.",
                *lanes,
            ),
            metric(
                "lane_bytes",
                "logcap_lane_bytes",
                None,
                Gauge,
                "Bytes the lanes take now, headers and rings.",
                *lane_bytes,
            ),
            metric(
                "held",
                "logcap_held_entries",
                None,
                Gauge,
                "Entries held by deduplication now, waiting for their window to close.",
                *held,
            ),
            metric(
                "pool.acquired",
                "logcap_pool_acquired_total",
                None,
                Counter,
                "Entries handed out by the pool.",
                *acquired,
            ),
            metric(
                "pool.reused",
                "logcap_pool_reused_total",
                None,
                Counter,
                "Entries handed out from the idle set.",
                *reused,
            ),
            metric(
                "pool.allocated",
                "logcap_pool_allocated_total",
                None,
                Counter,
                "Entries allocated because the idle set was empty.",
                *allocated,
            ),
            metric(
                "pool.discarded",
                "logcap_pool_discarded_total",
                None,
                Counter,
                "Entries freed on release because the idle set was full.",
                *discarded,
            ),
            metric(
                "pool.trimmed",
                "logcap_pool_trimmed_total",
                None,
                Counter,
                "Entries whose buffers were freed on release because they retained too much.",
                *trimmed,
            ),
            metric(
                "pool.idle",
                "logcap_pool_idle_entries",
                None,
                Gauge,
                "Idle entries in the pool now.",
                *idle,
            ),
        ]
    }
}

impl SinkStats {
    /// Every number of the sink's snapshot as a metric (the renderer adds the `sink` label).
    /// Every field is named here (the destructuring has no `..`), so a counter added to the
    /// struct cannot be left out of the metrics.
    pub fn metrics(&self) -> Vec<Metric> {
        use MetricKind::{Counter, Gauge};
        let SinkStats {
            name: _,
            received,
            delivered,
            dropped,
            failed,
            batches,
            bytes,
            panics,
            queued_batches,
            requests,
            retries,
            permanent_failures,
            dead_lettered,
            bytes_sent,
        } = self;
        vec![
            metric(
                "received",
                "logcap_sink_entries_received_total",
                None,
                Counter,
                "Entries in batches offered to the sink.",
                *received,
            ),
            metric(
                "delivered",
                "logcap_sink_entries_delivered_total",
                None,
                Counter,
                "Entries the sink wrote.",
                *delivered,
            ),
            metric(
                "dropped",
                "logcap_sink_entries_dropped_total",
                None,
                Counter,
                "Entries dropped by the sink's queue policy.",
                *dropped,
            ),
            metric(
                "failed",
                "logcap_sink_entries_failed_total",
                None,
                Counter,
                "Entries in batches the sink failed to write.",
                *failed,
            ),
            metric(
                "batches",
                "logcap_sink_batches_total",
                None,
                Counter,
                "Batches the sink wrote.",
                *batches,
            ),
            metric(
                "bytes",
                "logcap_sink_bytes_total",
                None,
                Counter,
                "Bytes the sink wrote.",
                *bytes,
            ),
            metric(
                "panics",
                "logcap_sink_panics_total",
                None,
                Counter,
                "Panics caught in the sink.",
                *panics,
            ),
            metric(
                "queued_batches",
                "logcap_sink_queued_batches",
                None,
                Gauge,
                "Batches in the sink's queue now.",
                *queued_batches,
            ),
            metric(
                "requests",
                "logcap_sink_requests_total",
                None,
                Counter,
                "Requests a network sink attempted, retries included.",
                *requests,
            ),
            metric(
                "retries",
                "logcap_sink_retries_total",
                None,
                Counter,
                "Requests a network sink repeated after a transient failure.",
                *retries,
            ),
            metric(
                "permanent_failures",
                "logcap_sink_permanent_failures_total",
                None,
                Counter,
                "Requests refused permanently (such as HTTP 400), never retried.",
                *permanent_failures,
            ),
            metric(
                "dead_lettered",
                "logcap_sink_entries_dead_lettered_total",
                None,
                Counter,
                "Entries written to the dead-letter file (also counted as failed).",
                *dead_lettered,
            ),
            metric(
                "bytes_sent",
                "logcap_sink_bytes_sent_total",
                None,
                Counter,
                "Bytes a network sink sent in successful requests, after compression.",
                *bytes_sent,
            ),
        ]
    }
}

/// A relaxed monotonic counter.
#[derive(Debug, Default)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    #[inline]
    pub(crate) fn add(&self, n: u64) {
        self.0.fetch_add(n, Relaxed);
    }
    #[inline]
    pub(crate) fn get(&self) -> u64 {
        self.0.load(Relaxed)
    }
    /// Sets the value, for gauges that one thread owns.
    #[inline]
    pub(crate) fn set(&self, n: u64) {
        self.0.store(n, Relaxed);
    }
}

/// The live counters of the intake side.
#[derive(Debug, Default)]
pub(crate) struct IntakeCounters {
    pub(crate) submitted: Counter,
    pub(crate) accepted: Counter,
    pub(crate) dropped_level: Counter,
    pub(crate) dropped_queue_full: Counter,
    pub(crate) dropped_queue_evicted: Counter,
    pub(crate) dropped_queue_timeout: Counter,
    pub(crate) batches: Counter,
    pub(crate) sampled_out: Counter,
    pub(crate) rate_limited: Counter,
    pub(crate) dropped_by_hook: Counter,
    pub(crate) hook_errors: Counter,
    pub(crate) deduplicated: Counter,
    /// A gauge: entries held by deduplication (set by the batcher).
    pub(crate) held: Counter,
}

/// The delivery counters of a network sink, shared between the sink (which counts) and the
/// pipeline (which reads them into [`SinkStats`]). A sink hands them over through
/// [`Sink::delivery_counters`](crate::sink::Sink::delivery_counters).
#[derive(Debug, Default)]
pub struct DeliveryCounters {
    requests: Counter,
    retries: Counter,
    permanent_failures: Counter,
    dead_lettered: Counter,
    bytes_sent: Counter,
}

impl DeliveryCounters {
    /// Counts one request attempt; `retry` when it repeats a failed one.
    pub fn request(&self, retry: bool) {
        self.requests.add(1);
        if retry {
            self.retries.add(1);
        }
    }
    /// Counts a request refused permanently.
    pub fn permanent_failure(&self) {
        self.permanent_failures.add(1);
    }
    /// Counts `n` entries written to the dead-letter file.
    pub fn dead_lettered(&self, n: u64) {
        self.dead_lettered.add(n);
    }
    /// Counts `n` bytes sent in a successful request.
    pub fn sent(&self, n: u64) {
        self.bytes_sent.add(n);
    }
    #[cfg(test)]
    pub(crate) fn fill_for_test(&self, s: &mut SinkStats) {
        self.fill(s)
    }

    /// Copies every counter into `s`; the destructuring has no `..`, so a counter added
    /// here cannot be left out of [`SinkStats`].
    fn fill(&self, s: &mut SinkStats) {
        let DeliveryCounters {
            requests,
            retries,
            permanent_failures,
            dead_lettered,
            bytes_sent,
        } = self;
        s.requests = requests.get();
        s.retries = retries.get();
        s.permanent_failures = permanent_failures.get();
        s.dead_lettered = dead_lettered.get();
        s.bytes_sent = bytes_sent.get();
    }
}

/// The live counters of one sink.
#[derive(Debug, Default)]
pub(crate) struct SinkCounters {
    pub(crate) received: Counter,
    pub(crate) delivered: Counter,
    pub(crate) dropped: Counter,
    pub(crate) failed: Counter,
    pub(crate) batches: Counter,
    pub(crate) bytes: Counter,
    pub(crate) panics: Counter,
    /// A network sink's own counters; `None` for the others, which report zeros.
    pub(crate) delivery: Option<std::sync::Arc<DeliveryCounters>>,
}

impl SinkCounters {
    pub(crate) fn snapshot(&self, name: &str, queued_batches: usize) -> SinkStats {
        // Read the outcome counters before `received`, so a snapshot never shows more
        // outcomes than receipts.
        let delivered = self.delivered.get();
        let dropped = self.dropped.get();
        let failed = self.failed.get();
        let mut s = SinkStats {
            name: name.to_owned(),
            delivered,
            dropped,
            failed,
            batches: self.batches.get(),
            bytes: self.bytes.get(),
            panics: self.panics.get(),
            queued_batches: queued_batches as u64,
            ..SinkStats::default()
        };
        if let Some(d) = &self.delivery {
            d.fill(&mut s);
        }
        s.received = self.received.get();
        s
    }
}
