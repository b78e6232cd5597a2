//! The network sinks against real servers: VictoriaLogs (a receiver of the Loki push API) and
//! rsyslog, started by the tests on 127.0.0.1. Faults are real too: a backend down at start,
//! one that answers 400, one killed in the middle of a run.
//!
//! Run with `make test-network` (it builds or installs the servers with .ci/servers.sh and
//! runs these tests one at a time). Without the servers' environment variables a test skips
//! with a printed reason, except under `CI=true`, where it fails.

mod common;
#[path = "common/servers.rs"]
mod servers;

use common::{base_ns, fill_standard, pipeline, read_dead_letters, sink, LABELS};
use logcap_core::encode::time::parse_rfc3339;
use logcap_core::{Format, Pipeline};
use serde_json::Value;
use servers::{free_port, server_bin, Rsyslog, VictoriaLogs};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(120);

fn vlogs_bin() -> Option<PathBuf> {
    server_bin("LOGCAP_VLOGS_BIN")
}

fn rsyslogd_bin() -> Option<PathBuf> {
    server_bin("LOGCAP_RSYSLOGD")
}

/// Submits the standard event with a `seq` field, timestamped `base + seq µs`.
fn submit(p: &Pipeline, seqs: impl IntoIterator<Item = u64>, base: u64) {
    for seq in seqs {
        let e = p.acquire();
        e.with(|d| {
            fill_standard(d);
            d.set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
            d.set_field("seq", seq).unwrap();
            d.set_timestamp_ns(base + seq * 1_000);
        });
        p.submit(e).unwrap();
    }
}

fn field<'a>(log: &'a Value, k: &str) -> &'a str {
    log.get(k)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no {k} in {log}"))
}

/// The `seq` values of logs, from `key`.
fn seqs_of(logs: &[Value], key: &str) -> BTreeSet<u64> {
    logs.iter()
        .map(|l| field(l, key).parse::<u64>().unwrap())
        .collect()
}

/// Every log is the standard event, with its labels as stream fields, its fields, level and
/// trace id as structured metadata, and its exact timestamp; the `seq`s are `0..n`.
fn assert_standard_logs(logs: &[Value], n: u64, base: u64) {
    assert_eq!(logs.len() as u64, n, "{:?}", logs.first());
    assert_eq!(seqs_of(logs, "seq"), (0..n).collect());
    for log in logs {
        assert_eq!(field(log, "_msg"), "request completed", "{log}");
        assert_eq!(
            field(log, "_stream"),
            r#"{env="prod",host="web-1",region="eu-west-1",service="checkout"}"#
        );
        for (k, v) in LABELS {
            assert_eq!(field(log, k), v, "{log}");
        }
        for (k, v) in [
            ("level", "info"),
            ("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"),
            ("method", "GET"),
            ("path", "/api/v1/orders/12345"),
            ("status", "200"),
            ("latency_ms", "12.5"),
            ("user_id", "u-998877"),
            ("cache_hit", "true"),
        ] {
            assert_eq!(field(log, k), v, "{log}");
        }
        let seq: u64 = field(log, "seq").parse().unwrap();
        assert_eq!(
            parse_rfc3339(field(log, "_time")),
            Some(base + seq * 1_000),
            "{log}"
        );
    }
}

fn structured_metadata_round_trip(encoding: &str) {
    let Some(bin) = vlogs_bin() else { return };
    let vl = VictoriaLogs::start(&bin);
    let p = pipeline(&format!(
        r#"{{"type":"loki","name":"loki","url":"{}","encoding":"{encoding}"}}"#,
        vl.push_url()
    ));
    let base = base_ns();
    submit(&p, 0..1_000, base);
    p.close(WAIT).unwrap();
    let s = p.stats();
    let k = sink(&s, "loki");
    assert_eq!((k.delivered, k.failed, k.dropped), (1_000, 0, 0), "{k:#?}");
    assert_eq!(k.requests, s.batches, "one request per batch: {k:#?}");
    assert_eq!(
        (k.retries, k.permanent_failures, k.dead_lettered),
        (0, 0, 0)
    );
    assert!(k.bytes_sent > 0 && k.bytes_sent == k.bytes, "{k:#?}");
    assert_standard_logs(&vl.wait_for("*", 1_000), 1_000, base);
}

#[test]
fn loki_protobuf_entries_arrive_with_labels_and_fields() {
    structured_metadata_round_trip("protobuf");
}

#[test]
fn loki_json_entries_arrive_with_labels_and_fields() {
    structured_metadata_round_trip("json");
}

/// `fields_as: line`: the line is the JSON-lines entry, which VictoriaLogs parses into
/// fields; an extra header (VictoriaLogs' `VL-Msg-Field`) makes its `msg` the message. With
/// a text line, the line is the message.
#[test]
fn loki_line_mode_sends_the_encoded_entry() {
    let Some(bin) = vlogs_bin() else { return };
    let vl = VictoriaLogs::start(&bin);
    let p = pipeline(&format!(
        r#"{{"type":"loki","name":"json","url":"{url}","encoding":"protobuf","fields_as":"line",
             "line_format":"json","tenant_id":"1:0","headers":{{"VL-Msg-Field":"msg"}}}},
           {{"type":"loki","name":"text","url":"{url}","encoding":"json","fields_as":"line",
             "line_format":"text","tenant_id":"2:0"}}"#,
        url = vl.push_url()
    ));
    let base = base_ns();
    submit(&p, 0..200, base);
    p.close(WAIT).unwrap();
    let s = p.stats();
    for name in ["json", "text"] {
        assert_eq!(sink(&s, name).delivered, 200, "{:#?}", sink(&s, name));
    }
    let logs = vl.query_tenant("*", (1, 0));
    assert_eq!(seqs_of(&logs, "fields.seq"), (0..200).collect());
    for log in &logs {
        assert_eq!(field(log, "_msg"), "request completed", "{log}");
        assert_eq!(field(log, "level"), "info");
        assert_eq!(field(log, "labels.service"), "checkout");
        assert_eq!(field(log, "fields.path"), "/api/v1/orders/12345");
        assert_eq!(field(log, "fields.latency_ms"), "12.5");
        assert_eq!(field(log, "service"), "checkout", "stream label: {log}");
    }
    let logs = vl.query_tenant("*", (2, 0));
    assert_eq!(logs.len(), 200);
    for log in &logs {
        let msg = field(log, "_msg");
        let seq: u64 = msg
            .split(' ')
            .find_map(|t| t.strip_prefix("seq="))
            .unwrap()
            .parse()
            .unwrap();
        let mut e = logcap_core::EntryData::new();
        fill_standard(&mut e);
        e.set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
        e.set_field("seq", seq).unwrap();
        e.set_timestamp_ns(base + seq * 1_000);
        let mut line = Vec::new();
        logcap_core::encode::encode(Format::Text, &e, &mut line);
        assert_eq!(msg.as_bytes(), &line[..line.len() - 1]);
    }
}

/// A batch is split into requests of at most `max_request_entries`; entries are grouped into
/// one stream per label set.
#[test]
fn loki_requests_are_split_and_streams_grouped() {
    let Some(bin) = vlogs_bin() else { return };
    let vl = VictoriaLogs::start(&bin);
    let p = Pipeline::from_json(&format!(
        r#"{{"batch":{{"max_entries":50,"max_delay_ms":60000}},
             "sinks":[{{"type":"loki","name":"loki","url":"{}","max_request_entries":7}}]}}"#,
        vl.push_url()
    ))
    .unwrap();
    let base = base_ns();
    for seq in 0..100u64 {
        let e = p.acquire();
        e.with(|d| {
            fill_standard(d);
            d.set_label("env", if seq.is_multiple_of(2) { "prod" } else { "dev" })
                .unwrap();
            d.set_label("pod.name", "api-7").unwrap();
            d.set_field("seq", seq).unwrap();
            d.set_timestamp_ns(base + seq * 1_000);
        });
        p.submit(e).unwrap();
    }
    p.flush(WAIT).unwrap();
    let s = p.stats();
    let k = sink(&s, "loki");
    assert_eq!(s.batches, 2);
    assert_eq!((k.delivered, k.requests), (100, 16), "{k:#?}");
    let logs = vl.wait_for("*", 100);
    assert_eq!(seqs_of(&logs, "seq"), (0..100).collect());
    let mut streams: BTreeMap<&str, usize> = BTreeMap::new();
    for log in &logs {
        *streams.entry(field(log, "_stream")).or_default() += 1;
        // The label name was sanitised.
        assert_eq!(field(log, "pod_name"), "api-7");
    }
    assert_eq!(
        streams.into_iter().collect::<Vec<_>>(),
        [
            (
                r#"{env="dev",host="web-1",pod_name="api-7",region="eu-west-1",service="checkout"}"#,
                50
            ),
            (
                r#"{env="prod",host="web-1",pod_name="api-7",region="eu-west-1",service="checkout"}"#,
                50
            ),
        ]
    );
    p.close(WAIT).unwrap();
}

/// `tenant_id` is sent as `X-Scope-OrgID`, which VictoriaLogs reads as `account:project`.
#[test]
fn loki_tenant_header_selects_the_tenant() {
    let Some(bin) = vlogs_bin() else { return };
    let vl = VictoriaLogs::start(&bin);
    let p = pipeline(&format!(
        r#"{{"type":"loki","url":"{}","tenant_id":"12:34"}}"#,
        vl.push_url()
    ));
    submit(&p, 0..50, base_ns());
    p.close(WAIT).unwrap();
    vl.force_flush();
    assert_eq!(vl.query_tenant("*", (12, 34)).len(), 50);
    assert_eq!(vl.query("*").len(), 0);
}

/// With a server that requires basic authentication: the configured credentials get in, a
/// missing one is refused with 401 (permanent: dead-lettered, never retried), and `headers`
/// can carry an Authorization of their own.
#[test]
fn loki_basic_auth_and_extra_headers_are_sent() {
    let Some(bin) = vlogs_bin() else { return };
    let vl = VictoriaLogs::start_with_auth(&bin, "logcap", "s3cr:et");
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    let p = pipeline(&format!(
        r#"{{"type":"loki","name":"basic","url":"{url}","basic_auth":{{"username":"logcap","password":"s3cr:et"}}}},
           {{"type":"loki","name":"header","url":"{url}","headers":{{"Authorization":"Basic {token}"}}}},
           {{"type":"loki","name":"none","url":"{url}","dead_letter_path":"{dead}"}}"#,
        url = vl.push_url(),
        token = servers::base64(b"logcap:s3cr:et"),
        dead = dead.display()
    ));
    submit(&p, 0..30, base_ns());
    p.close(WAIT).unwrap();
    let s = p.stats();
    assert_eq!(sink(&s, "basic").delivered, 30);
    assert_eq!(sink(&s, "header").delivered, 30);
    let none = sink(&s, "none");
    assert_eq!(
        (none.delivered, none.failed, none.dead_lettered),
        (0, 30, 30)
    );
    assert_eq!(none.retries, 0);
    assert_eq!(none.permanent_failures, none.requests);
    let letters = read_dead_letters(&dead);
    assert_eq!(letters.len(), 30);
    assert!(
        field(&letters[0], "error").contains("HTTP 401"),
        "{}",
        letters[0]
    );
    assert_eq!(vl.wait_for("*", 60).len(), 60);
}

/// https with a private CA from `ca_file`; without it the certificate is unknown, which is
/// permanent: dead-lettered at once.
#[test]
fn loki_https_with_a_ca_file() {
    let Some(bin) = vlogs_bin() else { return };
    let vl = VictoriaLogs::start_tls(&bin);
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    let p = pipeline(&format!(
        r#"{{"type":"loki","name":"ca","url":"{url}","ca_file":"{ca}"}},
           {{"type":"loki","name":"web_roots","url":"{url}","dead_letter_path":"{dead}"}}"#,
        url = vl.push_url(),
        ca = vl.ca_file.as_ref().unwrap().display(),
        dead = dead.display()
    ));
    assert!(vl.push_url().starts_with("https://"));
    submit(&p, 0..40, base_ns());
    p.close(WAIT).unwrap();
    let s = p.stats();
    assert_eq!(
        sink(&s, "ca").delivered,
        40,
        "{:?}",
        p.sink_last_error("ca")
    );
    let w = sink(&s, "web_roots");
    assert_eq!(
        (w.failed, w.dead_lettered, w.retries),
        (40, 40, 0),
        "{w:#?}"
    );
    let err = field(&read_dead_letters(&dead)[0], "error").to_owned();
    assert!(
        err.contains("permanent") && err.to_lowercase().contains("cert"),
        "{err}"
    );
    assert_eq!(vl.wait_for("*", 40).len(), 40);
}

/// Twenty requests, one connection: the client end of the connection to the server is the
/// same after every request.
#[test]
fn loki_connections_are_kept_alive() {
    let Some(bin) = vlogs_bin() else { return };
    let vl = VictoriaLogs::start(&bin);
    let p = pipeline(&format!(
        r#"{{"type":"loki","name":"loki","url":"{}"}}"#,
        vl.push_url()
    ));
    let base = base_ns();
    let mut seen = BTreeSet::new();
    for round in 0..20 {
        submit(&p, round * 10..round * 10 + 10, base);
        p.flush(WAIT).unwrap();
        let ports = vl.client_ports();
        assert_eq!(ports.len(), 1, "round {round}: {ports:?}");
        seen.extend(ports);
    }
    assert_eq!(seen.len(), 1, "one connection for every request: {seen:?}");
    p.close(WAIT).unwrap();
    let k = &p.stats().sinks[0];
    assert_eq!((k.delivered, k.requests, k.retries), (200, 20, 0), "{k:#?}");
}

/// The backend is down when the pipeline starts and comes up 1.5 s later: every entry is
/// delivered after retries, none dead-lettered.
#[test]
fn loki_backend_down_at_start_is_retried_until_up() {
    let Some(bin) = vlogs_bin() else { return };
    let port = free_port();
    let mut vl = VictoriaLogs::prepared(&bin, port, &[]);
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    let p = pipeline(&format!(
        r#"{{"type":"loki","name":"loki","url":"{}","when_full":"block","block_timeout_ms":60000,
             "retry":{{"initial_ms":50,"max_ms":400,"attempts":60}},"dead_letter_path":"{}"}}"#,
        vl.push_url(),
        dead.display()
    ));
    let base = base_ns();
    submit(&p, 0..500, base);
    std::thread::sleep(Duration::from_millis(1_500));
    assert_eq!(p.stats().sinks[0].delivered, 0);
    vl.up();
    p.flush(WAIT).unwrap();
    let s = p.stats();
    let k = sink(&s, "loki");
    assert_eq!(
        (k.delivered, k.failed, k.dead_lettered),
        (500, 0, 0),
        "{k:#?}"
    );
    assert!(k.retries > 0, "{k:#?}");
    assert_eq!(k.permanent_failures, 0);
    assert!(!dead.exists());
    assert_standard_logs(&vl.wait_for("*", 500), 500, base);
    p.close(WAIT).unwrap();
}

/// VictoriaLogs answers 400 to a tenant that is not `account:project`: a permanent failure,
/// dead-lettered after one attempt; replayed through a pipeline with a valid tenant, every
/// entry arrives intact.
#[test]
fn loki_http_400_is_dead_lettered_without_retry_and_replays() {
    let Some(bin) = vlogs_bin() else { return };
    let vl = VictoriaLogs::start(&bin);
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    let p = pipeline(&format!(
        r#"{{"type":"loki","name":"loki","url":"{}","tenant_id":"team-a","dead_letter_path":"{}",
             "retry":{{"initial_ms":10,"max_ms":10,"attempts":5}}}}"#,
        vl.push_url(),
        dead.display()
    ));
    let base = base_ns();
    submit(&p, 0..300, base);
    p.close(WAIT).unwrap();
    let s = p.stats();
    let k = sink(&s, "loki");
    assert_eq!(
        (k.delivered, k.failed, k.dead_lettered),
        (0, 300, 300),
        "{k:#?}"
    );
    assert_eq!(k.retries, 0, "a 400 is never retried");
    assert_eq!(k.requests, s.batches);
    assert_eq!(k.permanent_failures, k.requests);
    let letters = read_dead_letters(&dead);
    assert_eq!(letters.len(), 300);
    for l in &letters {
        assert_eq!(l["sink"], "loki");
        assert_eq!(l["attempts"], 1);
        assert!(field(l, "error").contains("HTTP 400"), "{l}");
        assert_eq!(l["entry"]["labels"]["service"], "checkout");
    }
    vl.force_flush();
    assert_eq!(vl.query("*").len(), 0);

    let q = pipeline(&format!(
        r#"{{"type":"loki","name":"loki","url":"{}"}}"#,
        vl.push_url()
    ));
    let report = q.replay_dead_letters(&dead).unwrap();
    assert_eq!((report.submitted, report.malformed), (300, 0));
    assert!(!dead.exists(), "a replayed file is removed");
    q.close(WAIT).unwrap();
    assert_eq!(q.stats().sinks[0].delivered, 300);
    assert_standard_logs(&vl.wait_for("*", 300), 300, base);
}

/// Submits `0..n` from another thread at a steady pace while `during` runs.
fn submit_while(p: &Pipeline, n: u64, base: u64, during: impl FnOnce()) {
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            for seq in 0..n {
                submit(p, [seq], base);
                if seq % 20 == 19 {
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
            done.store(true, Ordering::Release);
        });
        during();
        while !done.load(Ordering::Acquire) {
            std::thread::sleep(Duration::from_millis(10));
        }
    });
}

fn killed_mid_run_config(url: &str, dead: &Path) -> String {
    format!(
        r#"{{"type":"loki","name":"loki","url":"{url}","when_full":"block","block_timeout_ms":60000,
             "queue_capacity":1000,"retry":{{"initial_ms":50,"max_ms":200,"attempts":4}},
             "dead_letter_path":"{}"}}"#,
        dead.display()
    )
}

/// The backend is killed (SIGKILL) in the middle of a run and restarted 1.5 s later, longer
/// than the retry budget: every accepted entry is either delivered or dead-lettered, and the
/// dead letters, replayed, all arrive.
#[test]
fn loki_backend_killed_mid_run_loses_nothing() {
    let Some(bin) = vlogs_bin() else { return };
    let mut vl = VictoriaLogs::start(&bin);
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    let p = pipeline(&killed_mid_run_config(&vl.push_url(), &dead));
    let base = base_ns();
    submit_while(&p, 4_000, base, || {
        std::thread::sleep(Duration::from_millis(700));
        vl.kill();
        std::thread::sleep(Duration::from_millis(1_500));
        vl.up();
    });
    p.flush(WAIT).unwrap();
    let s = p.stats();
    let k = sink(&s, "loki").clone();
    assert_eq!(s.accepted, 4_000);
    assert_eq!(k.delivered + k.dead_lettered, s.accepted, "{k:#?}");
    assert_eq!(k.failed, k.dead_lettered);
    assert!(k.dead_lettered > 0 && k.retries > 0, "{k:#?}");
    let letters = read_dead_letters(&dead);
    assert_eq!(letters.len() as u64, k.dead_lettered);
    let lettered: BTreeSet<u64> = letters
        .iter()
        .map(|l| l["entry"]["fields"]["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(lettered.len() as u64, k.dead_lettered);

    let report = p.replay_dead_letters(&dead).unwrap();
    assert_eq!(report.submitted, k.dead_lettered);
    p.close(WAIT).unwrap();
    let s = p.stats();
    assert_eq!(s.sinks[0].delivered, 4_000, "{:#?}", s.sinks[0]);
    let stored = seqs_of(&vl.wait_for("*", 1), "seq");
    assert!(
        lettered.is_subset(&stored),
        "every dead letter arrived after the replay"
    );
}

/// The backend is stopped (SIGTERM) in the middle of a run and started again: after the
/// dead letters are replayed, the server holds every entry.
#[test]
fn loki_backend_stopped_mid_run_every_entry_is_stored_after_replay() {
    let Some(bin) = vlogs_bin() else { return };
    let mut vl = VictoriaLogs::start(&bin);
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    let p = pipeline(&killed_mid_run_config(&vl.push_url(), &dead));
    let base = base_ns();
    submit_while(&p, 4_000, base, || {
        std::thread::sleep(Duration::from_millis(700));
        vl.stop();
        std::thread::sleep(Duration::from_millis(1_500));
        vl.up();
    });
    p.flush(WAIT).unwrap();
    let k = p.stats().sinks[0].clone();
    assert_eq!(k.delivered + k.dead_lettered, 4_000, "{k:#?}");
    assert!(k.dead_lettered > 0, "{k:#?}");
    p.replay_dead_letters(&dead).unwrap();
    p.close(WAIT).unwrap();
    let logs = vl.wait_for("*", 4_000);
    assert_eq!(seqs_of(&logs, "seq"), (0..4_000).collect());
}

/// A Loki sink whose backend is gone retries on its own thread; a file sink in the same
/// pipeline gets everything at once, and the Loki sink's queue policy drops what it cannot
/// hold.
#[test]
fn loki_outage_leaves_other_sinks_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.jsonl");
    let p = pipeline(&format!(
        r#"{{"type":"file","name":"file","path":"{}"}},
           {{"type":"loki","name":"loki","url":"http://127.0.0.1:{}","queue_capacity":2,
             "retry":{{"initial_ms":500,"max_ms":500,"attempts":6}}}}"#,
        file.display(),
        free_port()
    ));
    let start = Instant::now();
    submit(&p, 0..5_000, base_ns());
    loop {
        let s = p.stats();
        if sink(&s, "file").delivered == 5_000 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{s:#?}");
        std::thread::sleep(Duration::from_millis(5));
    }
    let s = p.stats();
    let k = sink(&s, "loki");
    assert_eq!(k.delivered, 0);
    assert!(k.dropped > 0, "{k:#?}");
    assert!(k.in_flight() > 0, "still retrying: {k:#?}");
    p.close(WAIT).unwrap();
    let s = p.stats();
    let k = sink(&s, "loki");
    assert_eq!(k.received, k.dropped + k.failed, "{k:#?}");
    assert_eq!(k.dead_lettered, 0, "no dead-letter path: only counted");
    assert!(k.retries > 0);
    let lines = std::fs::read_to_string(&file).unwrap().lines().count();
    assert_eq!(lines, 5_000);
}

// ---------------------------------------------------------------------------------------
// syslog → rsyslog

/// `<input> <severity> <facility> <hostname> <app-name> <procid> <structured-data> <msg>`
fn parse_rsyslog_line(line: &str) -> (Vec<&str>, &str, &str) {
    let mut parts = line.splitn(7, ' ');
    let head: Vec<&str> = (0..6).map(|_| parts.next().unwrap()).collect();
    let rest = parts.next().unwrap();
    let cut = rest.rfind("] ").map_or(rest.len(), |i| i + 1);
    (head, &rest[..cut], rest[cut..].trim_start())
}

fn assert_syslog_lines(lines: &[String], input: &str, n: u64) {
    let mut seqs = BTreeSet::new();
    for line in lines {
        let (head, sd, msg) = parse_rsyslog_line(line);
        assert_eq!(head[..5], [input, "6", "19", "web-1", "checkout"], "{line}");
        assert_eq!(head[5], std::process::id().to_string());
        assert_eq!(msg, "request completed", "{line}");
        let want = "[logcap@32473 level=\"info\" trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\"]\
                    [labels@32473 service=\"checkout\" env=\"prod\" host=\"web-1\" region=\"eu-west-1\"]\
                    [fields@32473 method=\"GET\" path=\"/api/v1/orders/12345\" status=\"200\" latency_ms=\"12.5\" user_id=\"u-998877\" cache_hit=\"true\" seq=\"";
        assert!(sd.starts_with(want), "{sd}");
        let seq: u64 = sd[want.len()..].trim_end_matches("\"]").parse().unwrap();
        assert!(seqs.insert(seq), "{seq} twice: {line}");
    }
    assert_eq!(seqs, (0..n).collect(), "{input}");
}

fn syslog_sink(name: &str, transport: &str, target: &str, extra: &str) -> String {
    let key = if transport.starts_with("unix") {
        "path"
    } else {
        "address"
    };
    format!(
        r#"{{"type":"syslog","name":"{name}","transport":"{transport}","{key}":"{target}",
             "facility":"local3","app_name":"checkout","hostname":"web-1"{extra}}}"#
    )
}

/// Every entry arrives over UDP and over TCP, with its labels and fields as structured data.
#[test]
fn syslog_udp_and_tcp_deliver_every_entry_to_rsyslog() {
    let Some(bin) = rsyslogd_bin() else { return };
    let rs = Rsyslog::start(&bin);
    let p = pipeline(&format!(
        "{},{}",
        syslog_sink("udp", "udp", &format!("127.0.0.1:{}", rs.udp_port), ""),
        syslog_sink("tcp", "tcp", &format!("127.0.0.1:{}", rs.tcp_port), "")
    ));
    // UDP has no flow control: submit in steps, each once rsyslog has read the one before,
    // so that its socket buffer cannot overflow however busy the machine is.
    let base = base_ns();
    for step in 0..10 {
        submit(&p, step * 100..step * 100 + 100, base);
        p.flush(WAIT).unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while rs.count("imudp") < (step as usize + 1) * 100 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    p.close(WAIT).unwrap();
    let s = p.stats();
    for name in ["udp", "tcp"] {
        let k = sink(&s, name);
        assert_eq!((k.delivered, k.failed, k.retries), (1_000, 0, 0), "{k:#?}");
        assert!(k.bytes_sent > 0);
    }
    assert_syslog_lines(&rs.wait_for("imudp", 1_000), "imudp", 1_000);
    assert_syslog_lines(&rs.wait_for("imtcp", 1_000), "imtcp", 1_000);
}

/// The unix datagram socket (`/dev/log` style) and a unix stream socket with octet counting.
#[test]
fn syslog_unix_datagram_and_stream_deliver_to_rsyslog() {
    let Some(bin) = rsyslogd_bin() else { return };
    let rs = Rsyslog::start(&bin);
    let p = pipeline(&format!(
        "{},{}",
        syslog_sink("dgram", "unix", &rs.dgram_path().display().to_string(), ""),
        syslog_sink(
            "stream",
            "unix_stream",
            &rs.stream_path().display().to_string(),
            ""
        )
    ));
    submit(&p, 0..1_000, base_ns());
    p.close(WAIT).unwrap();
    let s = p.stats();
    for name in ["dgram", "stream"] {
        assert_eq!(sink(&s, name).delivered, 1_000, "{:#?}", sink(&s, name));
    }
    assert_syslog_lines(&rs.wait_for("imuxsock", 1_000), "imuxsock", 1_000);
    assert_syslog_lines(&rs.wait_for("imptcp", 1_000), "imptcp", 1_000);
}

/// Messages full of framing look-alikes (newlines, `<13>1` headers, digits and spaces that
/// look like an octet count, `]`, `"` and `\` in SD values) arrive as exactly one message each
/// on every transport, their SD values escaped as RFC 5424 says; over UDP a long message is
/// cut to `max_message_bytes` and still arrives as one.
#[test]
fn syslog_content_cannot_break_the_framing() {
    let Some(bin) = rsyslogd_bin() else { return };
    let rs = Rsyslog::start(&bin);
    let extra = r#","max_message_bytes":1024"#;
    let p = pipeline(&format!(
        "{},{},{},{}",
        syslog_sink("udp", "udp", &format!("127.0.0.1:{}", rs.udp_port), extra),
        syslog_sink("tcp", "tcp", &format!("127.0.0.1:{}", rs.tcp_port), ""),
        syslog_sink(
            "dgram",
            "unix",
            &rs.dgram_path().display().to_string(),
            extra
        ),
        syslog_sink(
            "stream",
            "unix_stream",
            &rs.stream_path().display().to_string(),
            ""
        )
    ));
    let long = "x".repeat(5_000);
    let evil = "first line\n<13>1 2026-01-01T00:00:00Z evil app - - - injected\n12 <14>1 - - - - - x\r\n\0end";
    for seq in 0..50u64 {
        let e = p.acquire();
        e.with(|d| {
            d.set_message(if seq == 7 { &long } else { evil });
            d.set_label("k", "a]b\"c\\d\n[e@1 f=\"g\"]").unwrap();
            d.set_field("seq", seq).unwrap();
        });
        p.submit(e).unwrap();
    }
    p.close(WAIT).unwrap();
    for input in ["imudp", "imtcp", "imuxsock", "imptcp"] {
        let lines = rs.wait_for(input, 50);
        assert_eq!(lines.len(), 50, "{input}: {lines:#?}");
        let mut seqs = BTreeSet::new();
        for line in &lines {
            let (_, sd, msg) = parse_rsyslog_line(line);
            assert!(
                sd.starts_with(
                    "[logcap@32473 level=\"info\"][labels@32473 k=\"a\\]b\\\"c\\\\d\n[e@1 f=\\\"g\\\"\\]\"][fields@32473 seq=\""
                ) || sd.starts_with(
                    "[logcap@32473 level=\"info\"][labels@32473 k=\"a\\]b\\\"c\\\\d#012[e@1 f=\\\"g\\\"\\]\"][fields@32473 seq=\""
                ),
                "{input}: {sd}"
            );
            let seq: u64 = sd
                .rsplit_once("seq=\"")
                .unwrap()
                .1
                .trim_end_matches("\"]")
                .parse()
                .unwrap();
            seqs.insert(seq);
            if seq == 7 {
                let long = msg.len();
                if input == "imudp" || input == "imuxsock" {
                    assert!(
                        long < 1024 && long > 700,
                        "{input}: cut to the limit: {long}"
                    );
                } else {
                    assert_eq!(long, 5_000, "{input}: streams send it whole");
                }
                assert!(msg.bytes().all(|b| b == b'x'));
            } else {
                assert!(
                    msg.starts_with("first line#012<13>1 2026-01-01T00:00:00Z evil app"),
                    "{input}: {msg}"
                );
                assert!(msg.ends_with("end"), "{input}: {msg}");
            }
        }
        assert_eq!(seqs, (0..50).collect(), "{input}");
    }
}

/// TCP: the receiver is down at start and up 1.5 s later (everything delivered after
/// retries); then killed and restarted in the middle of a run (delivered + dead-lettered
/// covers every accepted entry, and the connection is re-made).
#[test]
fn syslog_tcp_receiver_down_at_start_and_restarted_mid_run() {
    let Some(bin) = rsyslogd_bin() else { return };
    let mut rs = Rsyslog::prepared(&bin);
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    let extra = format!(
        r#","when_full":"block","block_timeout_ms":60000,"queue_capacity":1000,
            "retry":{{"initial_ms":50,"max_ms":300,"attempts":40}},"dead_letter_path":"{}""#,
        dead.display()
    );
    let p = pipeline(&syslog_sink(
        "tcp",
        "tcp",
        &format!("127.0.0.1:{}", rs.tcp_port),
        &extra,
    ));
    submit(&p, 0..500, base_ns());
    std::thread::sleep(Duration::from_millis(1_500));
    assert_eq!(p.stats().sinks[0].delivered, 0);
    rs.up();
    p.flush(WAIT).unwrap();
    let k = p.stats().sinks[0].clone();
    assert_eq!((k.delivered, k.failed), (500, 0), "{k:#?}");
    assert!(k.retries > 0);
    assert_syslog_lines(&rs.wait_for("imtcp", 500), "imtcp", 500);

    let base = base_ns();
    submit_while(&p, 2_000, base, || {
        std::thread::sleep(Duration::from_millis(300));
        rs.kill();
        std::thread::sleep(Duration::from_millis(800));
        rs.up();
    });
    p.flush(WAIT).unwrap();
    let s = p.stats();
    let k = &s.sinks[0];
    assert_eq!(s.accepted, 2_500);
    assert_eq!(k.delivered + k.dead_lettered, 2_500, "{k:#?}");
    // After the restart the sink reconnected: the last entries arrived.
    let lines = rs.wait_for("imtcp", 1);
    assert!(
        lines.iter().any(|l| l.contains("seq=\"1999\"")),
        "{}",
        rs.log()
    );
    p.close(WAIT).unwrap();
}

/// A unix datagram receiver that is not there: every entry is dead-lettered after the retry
/// budget; once rsyslog runs, the replay delivers them all.
#[test]
fn syslog_dead_letters_replay_once_the_receiver_is_up() {
    let Some(bin) = rsyslogd_bin() else { return };
    let mut rs = Rsyslog::prepared(&bin);
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead.jsonl");
    let cfg = syslog_sink(
        "dgram",
        "unix",
        &rs.dgram_path().display().to_string(),
        &format!(
            r#","retry":{{"initial_ms":10,"max_ms":20,"attempts":3}},"dead_letter_path":"{}""#,
            dead.display()
        ),
    );
    let p = pipeline(&cfg);
    submit(&p, 0..200, base_ns());
    p.close(WAIT).unwrap();
    let k = p.stats().sinks[0].clone();
    assert_eq!(
        (k.delivered, k.failed, k.dead_lettered),
        (0, 200, 200),
        "{k:#?}"
    );
    assert_eq!(k.permanent_failures, 0, "a missing socket is transient");
    let letters = read_dead_letters(&dead);
    assert_eq!(letters.len(), 200);
    assert_eq!(letters[0]["attempts"], 3);

    rs.up();
    let q = pipeline(&cfg);
    assert_eq!(q.replay_dead_letters(&dead).unwrap().submitted, 200);
    q.close(WAIT).unwrap();
    assert_eq!(q.stats().sinks[0].delivered, 200);
    assert_syslog_lines(&rs.wait_for("imuxsock", 200), "imuxsock", 200);
}
