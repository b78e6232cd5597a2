//! The pipeline's counters in the Prometheus text exposition format (version 0.0.4).
//!
//! Every number of [`Stats`] and [`SinkStats`], as their `metrics()` list them (one entry per
//! struct field), becomes a `logcap_*_total` counter or, for levels, a gauge (no `_total`),
//! each with its `# HELP` and `# TYPE` lines. Entry drops share one metric,
//! `logcap_entries_dropped_total`, with a `reason` label, so that `sum()` gives every drop;
//! per-sink metrics carry a `sink` label with the sink's name.

use crate::stats::{Metric, MetricKind, SinkStats, Stats};
use std::fmt::Write;

/// Renders `s` as Prometheus text: every metric of [`Stats::metrics`], then every metric of
/// [`SinkStats::metrics`] with one sample per sink.
pub fn prometheus_text(s: &Stats) -> String {
    let mut out = String::with_capacity(4096 + 1024 * s.sinks.len());
    let w = &mut out;
    let mut last = "";
    for m in s.metrics() {
        if m.name != last {
            family_header(w, &m);
            last = m.name;
        }
        sample(w, m.name, m.label, m.value);
    }
    let per_sink: Vec<Vec<Metric>> = s.sinks.iter().map(SinkStats::metrics).collect();
    for (i, family) in SinkStats::default().metrics().iter().enumerate() {
        family_header(w, family);
        for (k, metrics) in s.sinks.iter().zip(&per_sink) {
            sample(w, family.name, Some(("sink", &k.name)), metrics[i].value);
        }
    }
    out
}

fn family_header(w: &mut String, m: &Metric) {
    let kind = match m.kind {
        MetricKind::Counter => "counter",
        MetricKind::Gauge => "gauge",
    };
    header(w, m.name, m.help, kind);
}

fn header(w: &mut String, name: &str, help: &str, kind: &str) {
    // HELP texts are constants without backslashes or line breaks: nothing to escape.
    let _ = writeln!(w, "# HELP {name} {help}\n# TYPE {name} {kind}");
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

    /// A sample: metric name, labels (sorted), value.
    type SampleKey = (String, Vec<(String, String)>, u64);

    /// Each number of `v` (an object, nested objects and arrays of objects included), set to
    /// a value of its own, counting up from `next`.
    fn distinct(v: &mut serde_json::Value, next: &mut u64) {
        match v {
            serde_json::Value::Number(_) => {
                *v = (*next).into();
                *next += 1;
            }
            serde_json::Value::Object(o) => o.values_mut().for_each(|x| distinct(x, next)),
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| distinct(x, next)),
            _ => {}
        }
    }

    /// The numeric fields of a serialized struct as `field` or `outer.field`, with values.
    fn numbers(v: &serde_json::Value, prefix: &str) -> Vec<(String, u64)> {
        let mut out = Vec::new();
        for (k, x) in v.as_object().unwrap() {
            match x {
                serde_json::Value::Number(n) => {
                    out.push((format!("{prefix}{k}"), n.as_u64().unwrap()))
                }
                serde_json::Value::Object(_) => out.extend(numbers(x, &format!("{k}."))),
                _ => {}
            }
        }
        out.sort();
        out
    }

    #[test]
    fn every_field_of_the_stats_structs_is_a_metric_with_its_value() {
        // Field names and values come from the structs themselves (serde), not from a list.
        let mut doc = serde_json::to_value(Stats {
            sinks: vec![SinkStats::default(), SinkStats::default()],
            ..Stats::default()
        })
        .unwrap();
        distinct(&mut doc, &mut 1001);
        doc["sinks"][0]["name"] = "a".into();
        doc["sinks"][1]["name"] = "b-2".into();
        let stats: Stats = serde_json::from_value(doc.clone()).unwrap();

        let fields: Vec<(String, u64)> = {
            let mut v: Vec<_> = stats
                .metrics()
                .iter()
                .map(|m| (m.field.to_owned(), m.value))
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            fields,
            numbers(&doc, ""),
            "Stats::metrics against the Stats fields"
        );
        for (i, k) in stats.sinks.iter().enumerate() {
            let mut v: Vec<_> = k
                .metrics()
                .iter()
                .map(|m| (m.field.to_owned(), m.value))
                .collect();
            v.sort();
            assert_eq!(
                v,
                numbers(&doc["sinks"][i], ""),
                "SinkStats::metrics against the fields"
            );
        }

        // Every one of them is rendered, once, under its name and labels, and nothing else is.
        let text = prometheus_text(&stats);
        let scrape =
            prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap();
        let mut want: Vec<SampleKey> = Vec::new();
        for m in stats.metrics() {
            let labels = m
                .label
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            want.push((m.name.to_owned(), labels, m.value));
        }
        for k in &stats.sinks {
            for m in k.metrics() {
                want.push((
                    m.name.to_owned(),
                    vec![("sink".into(), k.name.clone())],
                    m.value,
                ));
            }
        }
        let mut got: Vec<SampleKey> = scrape
            .samples
            .iter()
            .map(|x| {
                let mut labels: Vec<(String, String)> = x
                    .labels
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                labels.sort();
                let v = match x.value {
                    prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Gauge(v) => v,
                    ref other => panic!("{other:?}"),
                };
                (x.metric.clone(), labels, v as u64)
            })
            .collect();
        want.sort();
        got.sort();
        assert_eq!(got, want);
        // Each value is distinct, so each sample is the field it claims to be.
        let n = numbers(&doc, "").len() + 2 * numbers(&doc["sinks"][0], "").len();
        assert_eq!(got.len(), n);
    }
}
