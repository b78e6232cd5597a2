//! Packed records submitted through `Pipeline::submit_record`: checked on the caller's thread,
//! decoded later into the same pooled entry, and seen by the stages and the sinks exactly as
//! `record::decode_into` decodes them.

mod common;

use logcap_core::record::{decode_into, encode, Record, RecordErrorKind};
use logcap_core::{Config, EntryData, Error, HookAction, Level, Pipeline, ValueRef};
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const LONG: Duration = Duration::from_secs(60);

type Seen = Arc<Mutex<Vec<EntryData>>>;

/// A pipeline with the given extra configuration members and one callback sink that keeps a
/// copy of every entry.
fn capturing(extra: &str, hook: bool) -> (Pipeline, Seen) {
    let cfg = Config::from_json(&format!(
        r#"{{"batch":{{"max_entries":100,"max_delay_ms":5}},
            "sinks":[{{"type":"callback","name":"cap","when_full":"block"}}]{extra}}}"#
    ))
    .unwrap();
    let seen: Seen = Arc::default();
    let s = Arc::clone(&seen);
    let mut b = Pipeline::builder(cfg).callback("cap", move |batch| {
        s.lock().extend(batch.iter().cloned());
        Ok(())
    });
    if hook {
        b = b.processor(|e| {
            // The hook sees the decoded entry: it can read and change it.
            let drop = e.field("drop") == Some(ValueRef::Bool(true));
            e.set_label("seen_by_hook", e.message().len().to_string().as_str())
                .unwrap();
            if drop {
                HookAction::Drop
            } else {
                HookAction::Keep
            }
        });
    }
    (b.build().unwrap(), seen)
}

/// [`capturing`] without a hook, through lanes when `lanes`.
fn capturing_in(lanes: bool, extra: &str) -> (Pipeline, Seen) {
    capturing(&format!(r#","queue":{{"lanes":{lanes}}}{extra}"#), false)
}

common::in_both_intakes!(
    every_record_arrives_decoded_and_stamped_at_submit,
    a_record_keeps_the_timestamp_it_carries,
    a_malformed_record_is_refused_with_its_error_and_counts_nothing,
    below_the_minimum_level_a_record_is_dropped_and_counted,
    records_from_many_threads_all_arrive_once,
);

fn record(seq: u64, msg: &str, labels: &[(&str, &str)]) -> Vec<u8> {
    let fields = [
        ("seq", ValueRef::U64(seq)),
        ("path", ValueRef::Str("/api/v1/orders/12345")),
        ("status", ValueRef::I64(200)),
        ("latency_ms", ValueRef::F64(12.5)),
        ("cache_hit", ValueRef::Bool(seq.is_multiple_of(2))),
    ];
    let mut buf = Vec::new();
    encode(
        &Record {
            timestamp_ns: 0,
            level: Level::Info,
            message: msg,
            labels,
            fields: &fields,
            ..Record::default()
        },
        &mut buf,
    )
    .unwrap();
    buf
}

fn decoded(buf: &[u8]) -> EntryData {
    let mut e = EntryData::new();
    decode_into(buf, &mut e).unwrap();
    e
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

/// Equal but for the timestamp, which the pipeline stamps.
fn same_content(a: &EntryData, b: &EntryData) -> bool {
    a.level() == b.level()
        && a.message() == b.message()
        && a.trace_id() == b.trace_id()
        && a.span_id() == b.span_id()
        && a.labels().eq(b.labels())
        && a.fields().eq(b.fields())
}

fn every_record_arrives_decoded_and_stamped_at_submit(lanes: bool) {
    let (p, seen) = capturing_in(lanes, "");
    let mut sent = Vec::new();
    let before = now_ns();
    for i in 0..1000u64 {
        let labels: &[(&str, &str)] = if i.is_multiple_of(3) {
            &[("service", "checkout"), ("env", "prod")]
        } else {
            // A repeated key: the later value wins, in the first one's place.
            &[("service", "a"), ("host", "web-1"), ("service", "b")]
        };
        let mut buf = record(i, &format!("request {i} done"), labels);
        if i.is_multiple_of(7) {
            // Invalid UTF-8 is replaced when the batcher decodes, never refused.
            let at = buf.windows(7).position(|w| w == b"request").unwrap();
            buf[at] = 0xff;
        }
        p.submit_record(&buf).unwrap();
        sent.push(buf);
    }
    let after = now_ns();
    p.flush(LONG).unwrap();
    let seen = seen.lock();
    assert_eq!(seen.len(), sent.len());
    for (got, buf) in seen.iter().zip(&sent) {
        let want = decoded(buf);
        assert!(same_content(got, &want), "{got:?}\n!=\n{want:?}");
        assert!((before..=after).contains(&got.timestamp_ns()));
    }
    assert!(seen[0].message().starts_with('\u{fffd}'));
    assert_eq!(seen[1].label("service"), Some("b"));
    let s = p.stats();
    assert_eq!((s.submitted, s.accepted), (1000, 1000));
}

fn a_record_keeps_the_timestamp_it_carries(lanes: bool) {
    let (p, seen) = capturing_in(lanes, "");
    let mut buf = Vec::new();
    encode(
        &Record {
            timestamp_ns: 1_700_000_000_123_456_789,
            level: Level::Warn,
            message: "m",
            ..Record::default()
        },
        &mut buf,
    )
    .unwrap();
    p.submit_record(&buf).unwrap();
    p.flush(LONG).unwrap();
    let got = &seen.lock()[0];
    assert_eq!(got.timestamp_ns(), 1_700_000_000_123_456_789);
    assert_eq!(got.level(), Level::Warn);
}

fn a_malformed_record_is_refused_with_its_error_and_counts_nothing(lanes: bool) {
    let (p, seen) = capturing_in(lanes, "");
    let good = record(1, "ok", &[("k", "v")]);
    let mut bad_magic = good.clone();
    bad_magic[0] = b'X';
    let mut bad_bool = good.clone();
    let n = bad_bool.len();
    bad_bool[n - 1] = 2; // cache_hit is the last field: a bool byte of 2
    let cases: [(&[u8], RecordErrorKind); 4] = [
        (&good[..good.len() - 1], RecordErrorKind::LengthMismatch),
        (&bad_magic, RecordErrorKind::BadMagic),
        (&bad_bool, RecordErrorKind::BadBool),
        (&[], RecordErrorKind::Truncated),
    ];
    for (buf, kind) in cases {
        match p.submit_record(buf) {
            Err(Error::Record(e)) => assert_eq!(e.kind, kind, "{buf:02x?}"),
            other => panic!("{other:?} for {buf:02x?}"),
        }
    }
    p.flush(LONG).unwrap();
    assert_eq!(p.stats().submitted, 0);
    assert!(seen.lock().is_empty());
    p.close(LONG).unwrap();
    assert_eq!(p.submit_record(&good), Err(Error::Closed));
    assert_eq!(p.submit_record(&bad_magic), Err(Error::Closed));
}

fn below_the_minimum_level_a_record_is_dropped_and_counted(lanes: bool) {
    let (p, seen) = capturing_in(lanes, r#","min_level":"warn""#);
    p.submit_record(&record(1, "info is below warn", &[]))
        .unwrap();
    p.flush(LONG).unwrap();
    let s = p.stats();
    assert_eq!((s.submitted, s.dropped_level, s.accepted), (1, 1, 0));
    assert!(seen.lock().is_empty());
}

#[test]
fn the_processing_stages_see_records_decoded() {
    let (p, seen) = capturing(
        r#","redact":{"keys":["password"]},"dedup":{"window_ms":60000}"#,
        true,
    );
    let secret = |seq: u64, drop: bool| {
        let fields = [
            ("seq", ValueRef::U64(seq)),
            ("password", ValueRef::Str("hunter2")),
            ("drop", ValueRef::Bool(drop)),
        ];
        let mut buf = Vec::new();
        encode(
            &Record {
                message: "login",
                fields: &fields,
                ..Record::default()
            },
            &mut buf,
        )
        .unwrap();
        buf
    };
    p.submit_record(&secret(1, false)).unwrap();
    p.submit_record(&secret(2, true)).unwrap();
    // Identical twice: deduplication (on the batcher) collapses them.
    let twice = record(3, "again", &[("k", "v")]);
    p.submit_record(&twice).unwrap();
    p.submit_record(&twice).unwrap();
    p.flush(LONG).unwrap();
    let seen = seen.lock();
    assert_eq!(seen.len(), 2, "{seen:?}");
    let login = &seen[0];
    assert_eq!(login.field("password"), Some(ValueRef::Str("[REDACTED]")));
    assert_eq!(login.field("seq"), Some(ValueRef::U64(1)));
    assert_eq!(login.label("seen_by_hook"), Some("5"));
    assert_eq!(seen[1].message(), "again");
    let s = p.stats();
    assert_eq!((s.dropped_by_hook, s.deduplicated), (1, 1));
}

fn records_from_many_threads_all_arrive_once(lanes: bool) {
    const THREADS: u64 = 4;
    const EACH: u64 = 20_000;
    let (p, seen) = capturing_in(lanes, "");
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let p = &p;
            s.spawn(move || {
                let host = format!("host-{t}");
                for i in 0..EACH {
                    let buf = record(t * EACH + i, "hello", &[("host", &host)]);
                    p.submit_record(&buf).unwrap();
                }
            });
        }
    });
    p.close(LONG).unwrap();
    let seen = seen.lock();
    let mut seqs: Vec<u64> = seen
        .iter()
        .map(|e| match e.field("seq") {
            Some(ValueRef::U64(n)) => {
                assert_eq!(e.label("host"), Some(format!("host-{}", n / EACH).as_str()));
                n
            }
            other => panic!("{other:?}"),
        })
        .collect();
    seqs.sort_unstable();
    assert!(seqs.iter().copied().eq(0..THREADS * EACH));
}
