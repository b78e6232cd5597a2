//! The pipeline's counters in the Prometheus text exposition format (version 0.0.4).
//!
//! Every counter of [`Stats`] becomes a `logcap_*_total` counter and every level a gauge
//! (no `_total`), each with its `# HELP` and `# TYPE` lines. Entry drops share one metric,
//! `logcap_entries_dropped_total`, with a `reason` label, so that `sum()` gives every drop;
//! per-sink metrics carry a `sink` label with the sink's name.

use crate::stats::{SinkStats, Stats};
use std::fmt::Write;

/// Renders `s` as Prometheus text.
pub fn prometheus_text(s: &Stats) -> String {
    let mut out = String::with_capacity(4096 + 1024 * s.sinks.len());
    let w = &mut out;
    counter(
        w,
        "logcap_entries_submitted_total",
        "Entries handed to submit on an open pipeline.",
        s.submitted,
    );
    counter(
        w,
        "logcap_entries_accepted_total",
        "Entries that passed every stage into batches (a deduplicated entry counts once).",
        s.accepted,
    );
    header(
        w,
        "logcap_entries_dropped_total",
        "Entries that did not reach a batch, by reason.",
        "counter",
    );
    for (reason, v) in [
        ("level", s.dropped_level),
        ("sampled_out", s.sampled_out),
        ("rate_limited", s.rate_limited),
        ("hook", s.dropped_by_hook),
        ("queue_full", s.dropped_queue_full),
        ("queue_evicted", s.dropped_queue_evicted),
        ("queue_timeout", s.dropped_queue_timeout),
    ] {
        sample(
            w,
            "logcap_entries_dropped_total",
            Some(("reason", reason)),
            v,
        );
    }
    counter(
        w,
        "logcap_entries_deduplicated_total",
        "Entries collapsed into an identical earlier entry (counted in its repeats field).",
        s.deduplicated,
    );
    counter(
        w,
        "logcap_hook_errors_total",
        "Processor hook calls that panicked or returned an error; the entry was kept.",
        s.hook_errors,
    );
    counter(w, "logcap_batches_total", "Batches made.", s.batches);
    gauge(
        w,
        "logcap_queued_entries",
        "Entries in the intake queue now.",
        s.queued,
    );
    gauge(
        w,
        "logcap_held_entries",
        "Entries held by deduplication now, waiting for their window to close.",
        s.held,
    );
    let p = &s.pool;
    counter(
        w,
        "logcap_pool_acquired_total",
        "Entries handed out by the pool.",
        p.acquired,
    );
    counter(
        w,
        "logcap_pool_reused_total",
        "Entries handed out from the idle set.",
        p.reused,
    );
    counter(
        w,
        "logcap_pool_allocated_total",
        "Entries allocated because the idle set was empty.",
        p.allocated,
    );
    counter(
        w,
        "logcap_pool_discarded_total",
        "Entries freed on release because the idle set was full.",
        p.discarded,
    );
    counter(
        w,
        "logcap_pool_trimmed_total",
        "Entries whose buffers were freed on release because they retained too much.",
        p.trimmed,
    );
    gauge(
        w,
        "logcap_pool_idle_entries",
        "Idle entries in the pool now.",
        p.idle,
    );
    type Get = fn(&SinkStats) -> u64;
    let sink_metrics: [(&str, &str, &str, Get); 8] = [
        (
            "logcap_sink_entries_received_total",
            "Entries in batches offered to the sink.",
            "counter",
            |k| k.received,
        ),
        (
            "logcap_sink_entries_delivered_total",
            "Entries the sink wrote.",
            "counter",
            |k| k.delivered,
        ),
        (
            "logcap_sink_entries_dropped_total",
            "Entries dropped by the sink's queue policy.",
            "counter",
            |k| k.dropped,
        ),
        (
            "logcap_sink_entries_failed_total",
            "Entries in batches the sink failed to write.",
            "counter",
            |k| k.failed,
        ),
        (
            "logcap_sink_batches_total",
            "Batches the sink wrote.",
            "counter",
            |k| k.batches,
        ),
        (
            "logcap_sink_bytes_total",
            "Bytes the sink wrote.",
            "counter",
            |k| k.bytes,
        ),
        (
            "logcap_sink_panics_total",
            "Panics caught in the sink.",
            "counter",
            |k| k.panics,
        ),
        (
            "logcap_sink_queued_batches",
            "Batches in the sink's queue now.",
            "gauge",
            |k| k.queued_batches,
        ),
    ];
    for (name, help, kind, get) in sink_metrics {
        header(w, name, help, kind);
        for k in &s.sinks {
            sample(w, name, Some(("sink", &k.name)), get(k));
        }
    }
    out
}

fn header(w: &mut String, name: &str, help: &str, kind: &str) {
    // HELP texts are constants without backslashes or line breaks: nothing to escape.
    let _ = writeln!(w, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn counter(w: &mut String, name: &str, help: &str, v: u64) {
    header(w, name, help, "counter");
    sample(w, name, None, v);
}

fn gauge(w: &mut String, name: &str, help: &str, v: u64) {
    header(w, name, help, "gauge");
    sample(w, name, None, v);
}

fn sample(w: &mut String, name: &str, label: Option<(&str, &str)>, v: u64) {
    w.push_str(name);
    if let Some((k, val)) = label {
        w.push('{');
        w.push_str(k);
        w.push_str("=\"");
        escape_label_value(w, val);
        w.push_str("\"}");
    }
    let _ = writeln!(w, " {v}");
}

/// Escapes a label value as the format requires: backslash, double quote and line feed.
fn escape_label_value(w: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '\\' => w.push_str("\\\\"),
            '"' => w.push_str("\\\""),
            '\n' => w.push_str("\\n"),
            c => w.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        let mut s = String::new();
        escape_label_value(&mut s, "a\\b\"c\nd");
        assert_eq!(s, r#"a\\b\"c\nd"#);
    }

    #[test]
    fn every_metric_has_help_and_type_before_its_samples() {
        let mut stats = Stats {
            submitted: 3,
            ..Stats::default()
        };
        stats.sinks.push(SinkStats {
            name: "odd \"name\"".into(),
            delivered: 2,
            ..SinkStats::default()
        });
        let text = prometheus_text(&stats);
        assert!(text.contains("logcap_entries_submitted_total 3\n"));
        assert!(text.contains("logcap_sink_entries_delivered_total{sink=\"odd \\\"name\\\"\"} 2\n"));
        let mut typed = std::collections::HashSet::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let name = rest.split(' ').next().unwrap();
                assert!(typed.insert(name.to_owned()), "{name} typed twice");
            } else if !line.starts_with('#') {
                let name = line.split(['{', ' ']).next().unwrap();
                assert!(typed.contains(name), "{name} has no TYPE line before it");
                let is_gauge = text.contains(&format!("# TYPE {name} gauge"));
                assert_eq!(!is_gauge, name.ends_with("_total"), "{name}");
            }
        }
        assert!(text.ends_with('\n'));
    }
}
