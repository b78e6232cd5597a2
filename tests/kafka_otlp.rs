//! The Kafka and OTLP sinks against real servers: an Apache Kafka broker (KRaft) and an
//! OpenTelemetry Collector, started by the tests on 127.0.0.1. Faults are real too: the broker
//! killed with SIGKILL in the middle of a run and restarted, the collector stopped for a while,
//! an unknown topic on a broker that does not create topics, a collector that answers 400.
//!
//! Run with `make test-network` (it provisions the servers with .ci/servers.sh and runs these
//! tests one at a time). Without the servers' environment variables a test skips with a
//! printed reason, except under `CI=true`, where it fails.

mod common;
#[path = "common/kafka.rs"]
mod kafka;
#[path = "common/otel.rs"]
mod otel;
#[path = "common/servers.rs"]
mod servers;

use common::{base_ns, fill_standard, pipeline, read_dead_letters, sink, LABELS};
use kafka::Kafka;
use logcap_core::{EntryData, Format, Level, Pipeline};
use otel::Collector;
use serde_json::{json, Value};
use servers::server_bin;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(120);
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN_ID: &str = "00f067aa0ba902b7";

fn kafka_jars() -> Option<PathBuf> {
    server_bin("LOGCAP_KAFKA_JARS")
}

fn otelcol_bin() -> Option<PathBuf> {
    server_bin("LOGCAP_OTELCOL_BIN")
}

/// The standard event with trace context, a `seq` field, level `level` and the timestamp
/// `base + seq µs`.
fn standard(seq: u64, level: Level, base: u64) -> EntryData {
    let mut e = EntryData::new();
    fill_standard(&mut e);
    e.set_level(level);
    e.set_trace_id(TRACE_ID);
    e.set_span_id(SPAN_ID);
    e.set_field("seq", seq).unwrap();
    e.set_timestamp_ns(base + seq * 1_000);
    e
}

fn submit_with(p: &Pipeline, seqs: impl IntoIterator<Item = u64>, f: impl Fn(u64, &mut EntryData)) {
    for seq in seqs {
        let e = p.acquire();
        e.with(|d| f(seq, d));
        p.submit(e).unwrap();
    }
}

fn submit(p: &Pipeline, seqs: impl IntoIterator<Item = u64>, base: u64) {
    submit_with(p, seqs, |seq, d| *d = standard(seq, Level::Info, base));
}

/// Waits until the sink `name` has delivered something (at most 30 s), so that a fault comes
/// in the middle of a run.
fn wait_delivered(p: &Pipeline, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while sink(&p.stats(), name).delivered == 0 {
        assert!(Instant::now() < deadline, "nothing delivered within 30 s");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn line(format: Format, e: &EntryData) -> String {
    let mut out = Vec::new();
    logcap_core::encode::encode(format, e, &mut out);
    out.pop();
    String::from_utf8(out).unwrap()
}

fn seq_of_json(value: &str) -> u64 {
    let v: Value = serde_json::from_str(value).unwrap();
    v["fields"]["seq"].as_u64().unwrap()
}

// ---------------------------------------------------------------------------------------
// Kafka

/// Each entry is one message: the value is the entry's JSON-lines (or text) line exactly, the
/// labels are the headers, the key is the `key_label`'s value.
#[test]
fn kafka_messages_are_the_entries_with_headers_and_key() {
    let Some(jars) = kafka_jars() else { return };
    let k = Kafka::start(&jars);
    let p = pipeline(&format!(
        r#"{{"type":"kafka","name":"json","brokers":["{b}"],"topic":"logs.json","key_label":"host"}},
           {{"type":"kafka","name":"text","brokers":["{b}"],"topic":"logs.text","format":"text"}}"#,
        b = k.bootstrap()
    ));
    let base = base_ns();
    submit(&p, 0..1_000, base);
    p.close(WAIT).unwrap();
    let s = p.stats();
    for name in ["json", "text"] {
        let st = sink(&s, name);
        assert_eq!(
            (st.delivered, st.failed, st.dead_lettered),
            (1_000, 0, 0),
            "{st:#?}"
        );
        assert_eq!(st.requests, 1_000, "one message per entry");
        assert!(st.bytes_sent > 0 && st.bytes_sent == st.bytes, "{st:#?}");
    }
    let got = k.consume("logs.json", 1_000);
    assert_eq!(got.len(), 1_000);
    let mut seqs = BTreeSet::new();
    for r in &got {
        let seq = seq_of_json(&r.value);
        assert!(seqs.insert(seq), "seq {seq} twice");
        assert_eq!(
            r.value,
            line(Format::Json, &standard(seq, Level::Info, base))
        );
        assert_eq!(r.key.as_deref(), Some("web-1"));
        let millis = (base + seq * 1_000) / 1_000_000;
        assert_eq!(r.timestamp, Some(millis as i64), "the entry's time");
        let labels: Vec<(String, String)> = LABELS
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(r.headers, labels);
    }
    assert_eq!(seqs, (0..1_000).collect());
    let got = k.consume("logs.text", 1_000);
    let mut texts: Vec<&str> = got.iter().map(|r| r.value.as_str()).collect();
    texts.sort_unstable();
    let mut want: Vec<String> = (0..1_000)
        .map(|seq| line(Format::Text, &standard(seq, Level::Info, base)))
        .collect();
    want.sort_unstable();
    assert_eq!(texts, want);
    assert!(got.iter().all(|r| r.key.is_none()), "no key_label: no key");
}

/// The topic is the entry's `topic_label`, else its level's topic, else `topic`.
#[test]
fn kafka_topics_are_routed_by_label_and_level() {
    let Some(jars) = kafka_jars() else { return };
    let k = Kafka::start(&jars);
    let p = pipeline(&format!(
        r#"{{"type":"kafka","name":"k","brokers":["{}"],"topic":"app","topic_label":"stream",
             "error_topic":"app.errors","debug_topic":"app.debug","key_label":"tenant"}}"#,
        k.bootstrap()
    ));
    let base = base_ns();
    let levels = Level::ALL;
    submit_with(&p, 0..600, |seq, d| {
        *d = standard(seq, levels[seq as usize % 6], base);
        if seq % 10 == 0 {
            d.set_label("stream", "audit").unwrap();
        }
        d.set_label("tenant", &format!("t{}", seq % 3)).unwrap();
    });
    p.close(WAIT).unwrap();
    assert_eq!(sink(&p.stats(), "k").delivered, 600);
    let mut want: BTreeMap<&str, BTreeSet<u64>> = BTreeMap::new();
    for seq in 0..600u64 {
        let topic = if seq % 10 == 0 {
            "audit"
        } else {
            match levels[seq as usize % 6] {
                Level::Error | Level::Fatal => "app.errors",
                Level::Trace | Level::Debug => "app.debug",
                _ => "app",
            }
        };
        want.entry(topic).or_default().insert(seq);
    }
    for (topic, seqs) in want {
        let got = k.consume(topic, seqs.len());
        assert_eq!(got.len(), seqs.len(), "{topic}");
        let got_seqs: BTreeSet<u64> = got.iter().map(|r| seq_of_json(&r.value)).collect();
        assert_eq!(got_seqs, seqs, "{topic}");
        for r in &got {
            let seq = seq_of_json(&r.value);
            assert_eq!(r.key.as_deref(), Some(format!("t{}", seq % 3).as_str()));
        }
    }
}

/// Every codec delivers the same messages, and the compressing ones store them in much less
/// space than `none` (what the broker keeps is the producer's compressed record batches).
#[test]
fn kafka_every_compression_codec() {
    let Some(jars) = kafka_jars() else { return };
    let k = Kafka::start(&jars);
    let codecs = ["none", "gzip", "snappy", "lz4", "zstd"];
    let sinks: Vec<String> = codecs
        .iter()
        .map(|c| {
            format!(
                r#"{{"type":"kafka","name":"{c}","brokers":["{}"],"topic":"codec.{c}","compression":"{c}"}}"#,
                k.bootstrap()
            )
        })
        .collect();
    let p = Pipeline::from_json(&format!(
        r#"{{"batch":{{"max_entries":500,"max_delay_ms":50}},"sinks":[{}]}}"#,
        sinks.join(",")
    ))
    .unwrap();
    let base = base_ns();
    submit(&p, 0..2_000, base);
    p.close(WAIT).unwrap();
    let s = p.stats();
    let mut sizes = BTreeMap::new();
    for c in codecs {
        assert_eq!(sink(&s, c).delivered, 2_000, "{c}: {:#?}", sink(&s, c));
        let got = k.consume(&format!("codec.{c}"), 2_000);
        let seqs: BTreeSet<u64> = got.iter().map(|r| seq_of_json(&r.value)).collect();
        assert_eq!((got.len(), seqs.len()), (2_000, 2_000), "{c}");
        for r in got.iter().take(50) {
            let seq = seq_of_json(&r.value);
            assert_eq!(
                r.value,
                line(Format::Json, &standard(seq, Level::Info, base)),
                "{c}"
            );
        }
        sizes.insert(c, k.segment_bytes(&format!("codec.{c}"), 0));
    }
    for c in &codecs[1..] {
        assert!(
            sizes[c] * 2 < sizes["none"],
            "{c} is not compressed: {sizes:?}"
        );
    }
}

/// The broker is killed (SIGKILL) in the middle of a run (once the first entries are
/// delivered, while more are being submitted) and restarted 1 s later on the same
/// data: the idempotent producer delivers everything exactly once; what it could not deliver
/// would be dead-lettered. delivered + dead-lettered = accepted, and every accepted entry is
/// in the topic or in the dead-letter file, once.
#[test]
fn kafka_broker_killed_mid_run_loses_nothing() {
    let Some(jars) = kafka_jars() else { return };
    let mut k = Kafka::start(&jars);
    k.create_topic("crash", 3);
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    let p = pipeline(&format!(
        r#"{{"type":"kafka","name":"k","brokers":["{}"],"topic":"crash","key_label":"k",
             "message_timeout_ms":60000,"dead_letter_path":"{}",
             "when_full":"block","block_timeout_ms":120000,"queue_capacity":64}}"#,
        k.bootstrap(),
        dead.display()
    ));
    let base = base_ns();
    let n = 6_000u64;
    let at_kill = std::thread::scope(|s| {
        s.spawn(|| {
            for chunk in 0..60 {
                submit_with(&p, chunk * 100..chunk * 100 + 100, |seq, d| {
                    *d = standard(seq, Level::Info, base);
                    d.set_label("k", &format!("{}", seq % 7)).unwrap();
                });
                std::thread::sleep(Duration::from_millis(25));
            }
        });
        wait_delivered(&p, "k");
        k.kill();
        let at_kill = sink(&p.stats(), "k").delivered;
        std::thread::sleep(Duration::from_secs(1));
        k.up();
        at_kill
    });
    assert!(
        at_kill > 0 && at_kill < n,
        "the broker died mid-run: {at_kill} delivered"
    );
    p.close(WAIT).unwrap();
    let s = p.stats();
    let st = sink(&s, "k");
    assert_eq!(s.accepted, n);
    assert_eq!(st.dropped, 0, "{st:#?}");
    assert_eq!(st.delivered + st.failed, n, "{st:#?}");
    assert_eq!(st.failed, st.dead_lettered, "{st:#?}");
    let letters: Vec<u64> = read_dead_letters(&dead)
        .iter()
        .map(|l| l["entry"]["fields"]["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(letters.len() as u64, st.dead_lettered);
    let got = k.consume("crash", st.delivered as usize);
    assert_eq!(
        got.len() as u64,
        st.delivered,
        "no duplicates, nothing lost"
    );
    let mut all: BTreeSet<u64> = got.iter().map(|r| seq_of_json(&r.value)).collect();
    assert_eq!(all.len() as u64, st.delivered);
    all.extend(letters.iter().copied());
    assert_eq!(
        all,
        (0..n).collect(),
        "every entry is in Kafka or dead-lettered"
    );
    assert!(
        k.log().matches("Kafka Server started").count() == 2,
        "the broker was restarted"
    );
}

/// A topic that does not exist, on a broker that does not create topics: the client's answer
/// is final, every entry is dead-lettered at once (one attempt each, no retry by the sink),
/// and a replay after the topic is created delivers them.
#[test]
fn kafka_unknown_topic_is_dead_lettered_and_replayable() {
    let Some(jars) = kafka_jars() else { return };
    let k = Kafka::start_with(&jars, &["auto.create.topics.enable=false"]);
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    let p = pipeline(&format!(
        r#"{{"type":"kafka","name":"k","brokers":["{}"],"topic":"missing",
             "properties":{{"topic.metadata.propagation.max.ms":"1000"}},
             "dead_letter_path":"{}"}}"#,
        k.bootstrap(),
        dead.display()
    ));
    let base = base_ns();
    let started = Instant::now();
    submit(&p, 0..200, base);
    p.flush(WAIT).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let st = sink(&p.stats(), "k").clone();
    assert_eq!(
        (st.delivered, st.failed, st.dead_lettered),
        (0, 200, 200),
        "{st:#?}"
    );
    assert_eq!(
        (st.requests, st.retries, st.permanent_failures),
        (200, 0, 200)
    );
    let letters = read_dead_letters(&dead);
    assert_eq!(letters.len(), 200);
    for l in &letters {
        let err = l["error"].as_str().unwrap();
        assert!(err.contains("Unknown topic"), "{err}");
        assert_eq!(l["attempts"], 1);
        assert_eq!(l["sink"], "k");
    }
    k.create_topic("missing", 1);
    // The client learns of the new topic at its next metadata refresh: entries replayed before
    // that fail again, into a fresh dead-letter file, and are replayed again.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut replays = 0;
    while dead.exists() {
        assert!(Instant::now() < deadline, "still dead-lettering after 60 s");
        let report = p.replay_dead_letters(&dead).unwrap();
        assert!(report.submitted > 0 && report.malformed == 0, "{report:?}");
        p.flush(WAIT).unwrap();
        replays += 1;
        if dead.exists() {
            std::thread::sleep(Duration::from_millis(500));
        }
    }
    assert!(replays >= 1);
    p.close(WAIT).unwrap();
    assert_eq!(sink(&p.stats(), "k").delivered, 200);
    let got = k.consume("missing", 200);
    let seqs: BTreeSet<u64> = got.iter().map(|r| seq_of_json(&r.value)).collect();
    assert_eq!((got.len(), seqs), (200, (0..200).collect()));
    for r in &got {
        let seq = seq_of_json(&r.value);
        assert_eq!(
            r.value,
            line(Format::Json, &standard(seq, Level::Info, base))
        );
    }
}

// ---------------------------------------------------------------------------------------
// OTLP

/// A record is the entry: timestamp, severity, body, typed attributes, trace context, and its
/// labels as resource attributes (or as record attributes).
fn assert_standard_record(r: &otel::Received, base: u64, labels_in_resource: bool) -> u64 {
    let seq: u64 = r.attr("seq").unwrap()["intValue"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let rec = &r.record;
    assert_eq!(
        rec["timeUnixNano"],
        (base + seq * 1_000).to_string(),
        "{rec}"
    );
    assert_eq!(rec["severityNumber"], 9);
    assert_eq!(rec["severityText"], "INFO");
    assert_eq!(rec["body"], json!({"stringValue": "request completed"}));
    assert_eq!(rec["traceId"], TRACE_ID);
    assert_eq!(rec["spanId"], SPAN_ID);
    for (k, v) in [
        ("method", json!({"stringValue": "GET"})),
        ("path", json!({"stringValue": "/api/v1/orders/12345"})),
        ("status", json!({"intValue": "200"})),
        ("latency_ms", json!({"doubleValue": 12.5})),
        ("user_id", json!({"stringValue": "u-998877"})),
        ("cache_hit", json!({"boolValue": true})),
    ] {
        assert_eq!(r.attr(k), Some(&v), "{k}: {rec}");
    }
    assert_eq!(r.scope, "logcap");
    for (k, v) in LABELS {
        let v = json!({ "stringValue": v });
        if labels_in_resource {
            assert_eq!(r.resource.get(k), Some(&v), "{k}");
            assert!(r.attr(k).is_none());
        } else {
            assert_eq!(r.attr(k), Some(&v), "{k}");
            assert!(!r.resource.contains_key(k));
        }
    }
    seq
}

/// Protobuf with gzip, and OTLP/JSON without: the collector receives every entry as it was
/// logged.
#[test]
fn otlp_records_arrive_typed_in_protobuf_and_json() {
    let Some(bin) = otelcol_bin() else { return };
    let c = Collector::start(&bin);
    let p = pipeline(&format!(
        r#"{{"type":"otlp","name":"pb","url":"{u}","resource":{{"service.name":"pb"}}}},
           {{"type":"otlp","name":"json","url":"{u}","encoding":"json","compression":"none",
             "resource":{{"service.name":"json"}}}},
           {{"type":"otlp","name":"attrs","url":"{u}","labels_as":"attributes",
             "resource":{{"service.name":"attrs"}}}}"#,
        u = c.url()
    ));
    let base = base_ns();
    submit(&p, 0..1_000, base);
    p.close(WAIT).unwrap();
    let s = p.stats();
    for name in ["pb", "json", "attrs"] {
        let st = sink(&s, name);
        assert_eq!(
            (st.delivered, st.failed, st.retries),
            (1_000, 0, 0),
            "{st:#?}"
        );
        assert_eq!(st.requests, s.batches, "one request per batch");
    }
    let got = c.wait_for(3_000);
    assert_eq!(got.len(), 3_000);
    let mut by_service: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    for r in &got {
        let service = r.resource["service.name"]["stringValue"]
            .as_str()
            .unwrap()
            .to_owned();
        let seq = assert_standard_record(r, base, service != "attrs");
        assert!(by_service.entry(service).or_default().insert(seq));
    }
    for name in ["pb", "json", "attrs"] {
        assert_eq!(by_service[name], (0..1_000).collect(), "{name}");
    }
}

/// The collector is stopped for 2 s in the middle of a run (once the first entries are
/// delivered) and started again on the same port: requests are retried until it is back.
/// delivered + dead-lettered = accepted, and every delivered entry arrived, once.
#[test]
fn otlp_collector_stopped_for_a_while_loses_nothing() {
    let Some(bin) = otelcol_bin() else { return };
    let mut c = Collector::start(&bin);
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    let p = pipeline(&format!(
        r#"{{"type":"otlp","name":"o","url":"{}","retry":{{"initial_ms":50,"max_ms":400,"attempts":40}},
             "dead_letter_path":"{}","when_full":"block","block_timeout_ms":60000}}"#,
        c.url(),
        dead.display()
    ));
    let base = base_ns();
    let n = 4_000u64;
    let at_stop = std::thread::scope(|s| {
        s.spawn(|| {
            for chunk in 0..40 {
                submit(&p, chunk * 100..chunk * 100 + 100, base);
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        wait_delivered(&p, "o");
        c.stop();
        let at_stop = sink(&p.stats(), "o").delivered;
        std::thread::sleep(Duration::from_secs(2));
        c.up();
        at_stop
    });
    assert!(
        at_stop > 0 && at_stop < n,
        "the collector stopped mid-run: {at_stop} delivered"
    );
    p.close(WAIT).unwrap();
    let s = p.stats();
    let st = sink(&s, "o");
    assert_eq!(s.accepted, n);
    assert_eq!(st.dropped, 0);
    assert_eq!(st.delivered + st.dead_lettered, n, "{st:#?}");
    assert!(st.retries > 0, "the outage was retried: {st:#?}");
    let letters = read_dead_letters(&dead);
    assert_eq!(letters.len() as u64, st.dead_lettered);
    let got = c.wait_for(st.delivered as usize);
    assert_eq!(got.len() as u64, st.delivered, "nothing twice");
    let mut all = BTreeSet::new();
    for r in &got {
        assert!(all.insert(assert_standard_record(r, base, true)));
    }
    all.extend(
        letters
            .iter()
            .map(|l| l["entry"]["fields"]["seq"].as_u64().unwrap()),
    );
    assert_eq!(all, (0..n).collect());
}

/// A collector that refuses the requests with 400 (its body size limit): permanent, so each
/// request is tried once and its entries dead-lettered.
#[test]
fn otlp_400_is_dead_lettered_without_retry() {
    let Some(bin) = otelcol_bin() else { return };
    let c = Collector::start_with(&bin, "max_request_body_size: 2000");
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    let p = pipeline(&format!(
        r#"{{"type":"otlp","name":"o","url":"{}","compression":"none","dead_letter_path":"{}"}}"#,
        c.url(),
        dead.display()
    ));
    submit(&p, 0..300, base_ns());
    p.close(WAIT).unwrap();
    let st = sink(&p.stats(), "o").clone();
    assert_eq!(
        (st.delivered, st.failed, st.dead_lettered),
        (0, 300, 300),
        "{st:#?}"
    );
    assert_eq!(st.retries, 0);
    assert!(
        st.requests > 0 && st.permanent_failures == st.requests,
        "{st:#?}"
    );
    let letters = read_dead_letters(&dead);
    assert_eq!(letters.len(), 300);
    let err = letters[0]["error"].as_str().unwrap();
    assert!(
        err.contains("permanent failure after 1 attempt: HTTP 400"),
        "{err}"
    );
    assert!(c.records().is_empty());
}
