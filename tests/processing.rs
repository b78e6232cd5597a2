//! The processing stage through the pipeline: sampling, rate limiting, deduplication,
//! redaction and the processor hook, their counters, and the metrics text read back by a
//! Prometheus text parser. Time-dependent stages run on a manual clock.

mod common;

use common::{fill_standard, standard_entry, wait_until};
use logcap_core::process::REPEATS_FIELD;
use logcap_core::{
    Config, EntryData, HookAction, Level, ManualClock, Pipeline, PipelineBuilder, Stats, ValueRef,
};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const LONG: Duration = Duration::from_secs(60);

type Seen = Arc<Mutex<Vec<EntryData>>>;

/// A builder for `stages` (JSON members) with one callback sink, "cap", that keeps a copy of
/// every entry it receives; the shared queue.
fn capture(stages: &str) -> (PipelineBuilder, Seen) {
    capture_in(false, stages)
}

/// [`capture`], through lanes when `lanes` (where the stages run on the batcher, as it takes
/// each entry) or the shared queue (where they run on the submitting thread).
fn capture_in(lanes: bool, stages: &str) -> (PipelineBuilder, Seen) {
    capture_queue(&format!(r#""lanes":{lanes}"#), stages)
}

/// [`capture`] with `queue` as the members of the configuration's queue.
fn capture_queue(queue: &str, stages: &str) -> (PipelineBuilder, Seen) {
    let comma = if stages.is_empty() { "" } else { "," };
    let cfg = Config::from_json(&format!(
        r#"{{"batch":{{"max_entries":64,"max_delay_ms":5}},"queue":{{{queue}}},
            "sinks":[{{"type":"callback","name":"cap","when_full":"block"}}]{comma}{stages}}}"#
    ))
    .unwrap();
    let seen: Seen = Arc::default();
    let s = Arc::clone(&seen);
    let b = Pipeline::builder(cfg).callback("cap", move |batch| {
        s.lock().extend(batch.iter().cloned());
        Ok(())
    });
    (b, seen)
}

// Tests that move a manual clock flush first: with lanes, a stage decides when the batcher
// takes the entry.
common::in_both_intakes!(
    sampling_keeps_the_first_n_then_every_mth_per_level_and_message_and_tick,
    sampling_runs_after_the_level_check,
    rate_limit_is_a_token_bucket_on_the_injected_clock,
    rate_limit_by_label_gives_each_value_its_bucket_and_bounds_them,
    dedup_collapses_identical_entries_into_one_with_repeats,
    redaction_happens_before_any_sink_or_file_sees_the_entry,
    counts_add_up_with_every_stage_on_across_threads,
);

fn submit(p: &Pipeline, level: Level, msg: &str, seq: u64) {
    let e = p.acquire();
    e.with(|d| {
        d.set_level(level);
        d.set_message(msg);
        d.set_field("seq", seq).unwrap();
    });
    p.submit(e).unwrap();
}

fn seqs(seen: &Seen, msg: &str, level: Level) -> Vec<u64> {
    seen.lock()
        .iter()
        .filter(|e| e.message() == msg && e.level() == level)
        .map(|e| match e.field("seq") {
            Some(ValueRef::U64(n)) => n,
            other => panic!("{other:?}"),
        })
        .collect()
}

fn repeats(e: &EntryData) -> u64 {
    match e.field(REPEATS_FIELD) {
        Some(ValueRef::U64(n)) => n,
        None => 1,
        other => panic!("{other:?}"),
    }
}

/// Keeps the panics the tests cause on purpose out of the output (others still print).
fn quiet_expected_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let msg = info
                .payload()
                .downcast_ref::<&str>()
                .copied()
                .unwrap_or_default();
            if !msg.starts_with("expected:") {
                prev(info)
            }
        }));
    });
}

/// The invariant, once flushed or closed: every submitted entry is accounted for once.
fn assert_adds_up(s: &Stats) {
    assert_eq!(s.queued, 0, "{s:#?}");
    assert_eq!(s.held, 0, "{s:#?}");
    assert_eq!(
        s.submitted,
        s.accepted
            + s.dropped_level
            + s.sampled_out
            + s.rate_limited
            + s.dropped_by_hook
            + s.deduplicated
            + s.dropped_queue_full
            + s.dropped_queue_evicted
            + s.dropped_queue_timeout,
        "{s:#?}"
    );
    assert_eq!(s.submitted, s.accepted + s.dropped(), "{s:#?}");
    for k in &s.sinks {
        assert_eq!(k.received, s.accepted, "{s:#?}");
    }
}

fn sampling_keeps_the_first_n_then_every_mth_per_level_and_message_and_tick(lanes: bool) {
    let clock = Arc::new(ManualClock::new());
    let (b, seen) = capture_in(
        lanes,
        r#""sampling":{"initial":3,"thereafter":5,"tick_ms":1000}"#,
    );
    let p = b.clock(clock.clone()).build().unwrap();
    // Two keys that never share a counter: the level picks the counter table.
    for i in 1..=20 {
        submit(&p, Level::Info, "cache miss", i);
        submit(&p, Level::Warn, "cache miss", i);
    }
    p.flush(LONG).unwrap();
    assert_eq!(seqs(&seen, "cache miss", Level::Info), [1, 2, 3, 8, 13, 18]);
    assert_eq!(seqs(&seen, "cache miss", Level::Warn), [1, 2, 3, 8, 13, 18]);
    // Within the same tick, counting goes on: 21..=25 gives 23 (= 3 + 4·5).
    clock.advance(Duration::from_millis(999));
    for i in 21..=25 {
        submit(&p, Level::Info, "cache miss", i);
    }
    p.flush(LONG).unwrap();
    // A new tick starts counting again.
    clock.advance(Duration::from_millis(1));
    for i in 26..=30 {
        submit(&p, Level::Info, "cache miss", i);
    }
    p.close(LONG).unwrap();
    assert_eq!(
        seqs(&seen, "cache miss", Level::Info),
        [1, 2, 3, 8, 13, 18, 23, 26, 27, 28]
    );
    let s = p.stats();
    assert_eq!((s.submitted, s.accepted, s.sampled_out), (50, 16, 34));
    assert_adds_up(&s);
}

fn sampling_runs_after_the_level_check(lanes: bool) {
    let (b, seen) = capture_in(
        lanes,
        r#""min_level":"info","sampling":{"initial":1,"thereafter":0,"tick_ms":60000}"#,
    );
    let p = b.build().unwrap();
    for i in 0..5 {
        submit(&p, Level::Debug, "m", i);
    }
    for i in 0..5 {
        submit(&p, Level::Info, "m", i);
    }
    p.close(LONG).unwrap();
    let s = p.stats();
    assert_eq!((s.dropped_level, s.sampled_out, s.accepted), (5, 4, 1));
    assert_eq!(seqs(&seen, "m", Level::Info), [0]);
    assert_adds_up(&s);
}

fn rate_limit_is_a_token_bucket_on_the_injected_clock(lanes: bool) {
    let clock = Arc::new(ManualClock::new());
    let (b, seen) = capture_in(lanes, r#""rate_limit":{"per_second":10,"burst":5}"#);
    let p = b.clock(clock.clone()).build().unwrap();
    let mut seq = 0;
    let mut burst = |n: usize| {
        for _ in 0..n {
            seq += 1;
            submit(&p, Level::Info, "m", seq);
        }
    };
    let flush = |p: &Pipeline| p.flush(LONG).unwrap();
    burst(20); // the burst: 5 pass
    flush(&p);
    clock.advance(Duration::from_millis(350));
    burst(20); // 3.5 tokens: 3 pass
    flush(&p);
    clock.advance(Duration::from_secs(10));
    burst(20); // refilled, but never beyond the burst: 5 pass
    p.close(LONG).unwrap();
    let s = p.stats();
    assert_eq!((s.accepted, s.rate_limited), (13, 47));
    assert_eq!(
        seqs(&seen, "m", Level::Info),
        [1, 2, 3, 4, 5, 21, 22, 23, 41, 42, 43, 44, 45]
    );
    assert_adds_up(&s);
}

fn rate_limit_by_label_gives_each_value_its_bucket_and_bounds_them(lanes: bool) {
    let clock = Arc::new(ManualClock::new());
    let (b, _seen) = capture_in(
        lanes,
        r#""rate_limit":{"per_second":1,"burst":2,"by_label":"service","max_keys":2}"#,
    );
    let p = b.clock(clock.clone()).build().unwrap();
    let send = |service: Option<&str>, n: usize| {
        for _ in 0..n {
            let e = p.acquire();
            if let Some(s) = service {
                e.set_label("service", s).unwrap();
            }
            p.submit(e).unwrap();
        }
    };
    send(Some("checkout"), 10); // 2 pass
    send(Some("billing"), 10); // 2 pass: its own bucket
    send(Some("search"), 10); // the table is full: the overflow bucket, 2 pass
    send(None, 10); // also overflow (the empty value has no slot): 0 pass
    p.flush(LONG).unwrap();
    assert_eq!(p.stats().accepted, 6);
    clock.advance(Duration::from_secs(1));
    send(Some("checkout"), 10); // one token refilled
    p.close(LONG).unwrap();
    let s = p.stats();
    assert_eq!((s.accepted, s.rate_limited), (7, 43));
    assert_adds_up(&s);
}

fn dedup_collapses_identical_entries_into_one_with_repeats(lanes: bool) {
    let clock = Arc::new(ManualClock::new());
    let (b, seen) = capture_in(lanes, r#""dedup":{"window_ms":1000,"max_keys":100}"#);
    let p = b.clock(clock.clone()).build().unwrap();
    let send = |level: Level, msg: &str, labels: &[(&str, &str)], seq: u64| {
        let e = p.acquire();
        e.with(|d| {
            d.set_level(level);
            d.set_message(msg);
            for (k, v) in labels {
                d.set_label(k, v).unwrap();
            }
            d.set_field("seq", seq).unwrap();
        });
        p.submit(e).unwrap();
    };
    for i in 0..5 {
        send(Level::Error, "db down", &[("svc", "a"), ("env", "prod")], i);
    }
    for i in 0..3 {
        // The same labels in another order are the same entry.
        send(
            Level::Error,
            "db down",
            &[("env", "prod"), ("svc", "a")],
            10 + i,
        );
    }
    for i in 0..2 {
        send(
            Level::Error,
            "db down",
            &[("svc", "b"), ("env", "prod")],
            20 + i,
        );
    }
    send(Level::Warn, "db down", &[("svc", "a"), ("env", "prod")], 30);
    send(Level::Error, "db up", &[("svc", "a"), ("env", "prod")], 40);
    // The clock is frozen: no window closes by itself. The flush delivers what is held.
    p.flush(LONG).unwrap();
    let s = p.stats();
    assert_eq!(
        (s.submitted, s.accepted, s.deduplicated, s.held),
        (12, 4, 8, 0)
    );
    {
        let got = seen.lock();
        let summary: Vec<(&str, Level, u64, Option<ValueRef<'_>>)> = got
            .iter()
            .map(|e| (e.message(), e.level(), repeats(e), e.field("seq")))
            .collect();
        assert_eq!(
            summary,
            [
                ("db down", Level::Error, 8, Some(ValueRef::U64(0))),
                ("db down", Level::Error, 2, Some(ValueRef::U64(20))),
                ("db down", Level::Warn, 1, Some(ValueRef::U64(30))),
                ("db up", Level::Error, 1, Some(ValueRef::U64(40))),
            ]
        );
        assert!(
            got[2].field(REPEATS_FIELD).is_none(),
            "no field for a single entry"
        );
    }
    assert_adds_up(&s);

    // A window closes on the clock. The batcher reads the clock when it takes an entry, so
    // the test lets it catch up before each step.
    seen.lock().clear();
    send(Level::Info, "tick", &[], 1);
    send(Level::Info, "tick", &[], 2);
    wait_until(&p, |s| s.deduplicated == 9);
    clock.advance(Duration::from_millis(999));
    send(Level::Info, "tick", &[], 3);
    wait_until(&p, |s| s.deduplicated == 10);
    clock.advance(Duration::from_millis(1));
    send(Level::Info, "tick", &[], 4);
    // Close delivers the held entry too: nothing is lost.
    p.close(LONG).unwrap();
    let got: Vec<(u64, u64)> = seen
        .lock()
        .iter()
        .map(|e| {
            let Some(ValueRef::U64(seq)) = e.field("seq") else {
                panic!()
            };
            (seq, repeats(e))
        })
        .collect();
    assert_eq!(got, [(1, 3), (4, 1)]);
    assert_adds_up(&p.stats());
}

#[test]
fn dedup_windows_close_on_the_batcher_timer() {
    let (b, seen) = capture(r#""dedup":{"window_ms":20}"#);
    let p = b.build().unwrap();
    for i in 0..3 {
        submit(&p, Level::Info, "same", i);
    }
    // No flush, no close: the window and the batch close on their own.
    let deadline = Instant::now() + LONG;
    while seen.lock().is_empty() {
        assert!(Instant::now() < deadline, "the held entry never came");
        std::thread::sleep(Duration::from_millis(2));
    }
    let got = seen.lock().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(repeats(&got[0]), 3);
    let s = p.stats();
    assert_eq!((s.held, s.deduplicated, s.accepted), (0, 2, 1));
}

#[test]
fn dedup_max_keys_closes_the_oldest_window_early_and_loses_nothing() {
    let clock = Arc::new(ManualClock::new());
    let (b, seen) = capture(r#""dedup":{"window_ms":60000,"max_keys":2}"#);
    let p = b.clock(clock).build().unwrap();
    for (i, m) in ["a", "a", "b", "c", "c", "a"].iter().enumerate() {
        submit(&p, Level::Info, m, i as u64);
    }
    p.flush(LONG).unwrap();
    let got: Vec<(String, u64)> = seen
        .lock()
        .iter()
        .map(|e| (e.message().to_owned(), repeats(e)))
        .collect();
    // "c" evicted "a" (2), the second "a" evicted "b"; the flush delivered "c" (2) and "a".
    assert_eq!(
        got,
        [
            ("a".into(), 2),
            ("b".into(), 1),
            ("c".into(), 2),
            ("a".into(), 1)
        ]
    );
    assert_adds_up(&p.stats());
}

fn redaction_happens_before_any_sink_or_file_sees_the_entry(lanes: bool) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.log");
    let cfg = Config::from_json(&format!(
        r#"{{"queue":{{"lanes":{lanes}}},
            "sinks":[{{"type":"file","path":{:?}}},{{"type":"callback","name":"cap","when_full":"block"}}],
            "redact":{{"keys":["password","*token*","X-Api-*"],
                       "patterns":["credit_card","email","bearer_token","\\bsk-[a-z0-9]{{8,}}\\b"],
                       "censor":"[X]"}}}}"#,
        path.to_str().unwrap()
    ))
    .unwrap();
    let seen: Seen = Arc::default();
    let s2 = Arc::clone(&seen);
    let p = Pipeline::builder(cfg)
        .callback("cap", move |b| {
            s2.lock().extend(b.iter().cloned());
            Ok(())
        })
        .build()
        .unwrap();
    let e = p.acquire();
    e.with(|d| {
        fill_standard(d);
        d.set_message("paid with 4111 1111 1111 1111 by jane@example.com, key sk-abcdef123456");
        d.set_label("x-api-key", "k-123").unwrap();
        d.set_field("password", "hunter2").unwrap();
        d.set_field("Session_Token", 987654321i64).unwrap();
        d.set_field("header", "Authorization: Bearer eyJabc.def.ghi")
            .unwrap();
        d.set_field("order", "4111111111111112").unwrap(); // fails the Luhn check
    });
    p.submit(e).unwrap();
    p.close(LONG).unwrap();
    let got = seen.lock()[0].clone();
    assert_eq!(got.message(), "paid with [X] by [X], key [X]");
    assert_eq!(got.label("x-api-key"), Some("[X]"));
    assert_eq!(got.label("service"), Some("checkout"));
    assert_eq!(got.field("password"), Some(ValueRef::Str("[X]")));
    assert_eq!(got.field("Session_Token"), Some(ValueRef::Str("[X]")));
    assert_eq!(
        got.field("header"),
        Some(ValueRef::Str("Authorization: [X]"))
    );
    assert_eq!(got.field("order"), Some(ValueRef::Str("4111111111111112")));
    assert_eq!(got.field("status"), Some(ValueRef::I64(200)));
    let written = std::fs::read_to_string(&path).unwrap();
    for secret in [
        "4111 1111",
        "jane@",
        "sk-abc",
        "k-123",
        "hunter2",
        "987654321",
        "eyJ",
    ] {
        assert!(
            !written.contains(secret),
            "{secret} reached the file: {written}"
        );
    }
    assert!(written.contains("[X]"));
}

#[test]
fn the_hook_changes_and_drops_entries_and_its_panics_are_contained() {
    quiet_expected_panics();
    let calls = Arc::new(AtomicU64::new(0));
    let c2 = Arc::clone(&calls);
    let (b, seen) = capture(r#""redact":{"keys":["*token*"]}"#);
    let p = b
        .processor(move |e| {
            c2.fetch_add(1, Ordering::Relaxed);
            match e.message() {
                "drop me" => HookAction::Drop,
                "panic me" => {
                    e.set_label("touched", "before the panic").unwrap();
                    panic!("expected: hook bug")
                }
                _ => {
                    e.set_label("region", "eu").unwrap();
                    // Whatever the hook adds is still redacted afterwards.
                    e.set_field("api_token", "t-secret").unwrap();
                    HookAction::Keep
                }
            }
        })
        .build()
        .unwrap();
    submit(&p, Level::Info, "keep me", 1);
    submit(&p, Level::Info, "drop me", 2);
    submit(&p, Level::Info, "panic me", 3);
    submit(&p, Level::Info, "keep me too", 4);
    p.close(LONG).unwrap();
    let s = p.stats();
    assert_eq!(calls.load(Ordering::Relaxed), 4);
    assert_eq!((s.accepted, s.dropped_by_hook, s.hook_errors), (3, 1, 1));
    assert_adds_up(&s);
    let got = seen.lock();
    let msgs: Vec<&str> = got.iter().map(|e| e.message()).collect();
    assert_eq!(msgs, ["keep me", "panic me", "keep me too"]);
    assert_eq!(got[0].label("region"), Some("eu"));
    assert_eq!(got[0].field("api_token"), Some(ValueRef::Str("[REDACTED]")));
    // The panicking hook's entry is kept as the hook left it.
    assert_eq!(got[1].label("touched"), Some("before the panic"));
    assert!(got[1].timestamp_ns() > 0);
}

#[test]
fn the_hook_sees_only_what_sampling_and_the_limiter_let_through() {
    let clock = Arc::new(ManualClock::new());
    let calls = Arc::new(AtomicU64::new(0));
    let c2 = Arc::clone(&calls);
    let (b, _seen) = capture(
        r#""sampling":{"initial":10,"thereafter":0,"tick_ms":1000},"rate_limit":{"per_second":1,"burst":4}"#,
    );
    let p = b
        .clock(clock)
        .processor(move |e| {
            assert!(e.timestamp_ns() > 0, "the hook sees the stamped entry");
            c2.fetch_add(1, Ordering::Relaxed);
            HookAction::Keep
        })
        .build()
        .unwrap();
    for i in 0..100 {
        submit(&p, Level::Info, "m", i);
    }
    p.close(LONG).unwrap();
    let s = p.stats();
    assert_eq!((s.sampled_out, s.rate_limited, s.accepted), (90, 6, 4));
    assert_eq!(calls.load(Ordering::Relaxed), 4);
    assert_adds_up(&s);
}

fn counts_add_up_with_every_stage_on_across_threads(lanes: bool) {
    let queue = format!(r#""capacity":4096,"when_full":"drop_oldest","lanes":{lanes}"#);
    let cfg = r#""sampling":{"initial":200,"thereafter":3,"tick_ms":1000},
        "rate_limit":{"per_second":200000,"burst":500,"by_label":"service","max_keys":3},
        "dedup":{"window_ms":1000,"max_keys":400},
        "redact":{"keys":["user_id"],"patterns":["email"]}"#;
    let (b, seen) = capture_queue(&queue, cfg);
    // A hook keeps a pipeline on the shared queue (it runs on the caller's thread), so the
    // run with lanes has every other stage, on the batcher.
    let b = if lanes {
        b
    } else {
        b.processor(|e| match e.field("seq") {
            Some(ValueRef::U64(n)) if n % 7 == 0 => HookAction::Drop,
            Some(ValueRef::U64(n)) if n % 101 == 0 => panic!("expected: sometimes"),
            _ => HookAction::Keep,
        })
    };
    let p = b.build().unwrap();
    quiet_expected_panics();
    let threads = 4u64;
    let per_thread = 20_000u64;
    std::thread::scope(|s| {
        for t in 0..threads {
            let p = &p;
            s.spawn(move || {
                for i in 0..per_thread {
                    let seq = t * per_thread + i;
                    let e = standard_entry(p, seq);
                    e.with(|d| {
                        d.set_message(&format!("event {}", seq % 13));
                        d.set_level(Level::ALL[(seq % 6) as usize]);
                        d.set_label("service", ["a", "b", "c", "d", "e"][(seq % 5) as usize])
                            .unwrap();
                    });
                    let _ = p.submit(e);
                }
            });
        }
    });
    let lanes_used = p.stats().lanes;
    p.close(LONG).unwrap();
    let s = p.stats();
    assert_eq!(s.submitted, threads * per_thread);
    assert_adds_up(&s);
    assert!(s.sampled_out > 0 && s.deduplicated > 0, "{s:#?}");
    if lanes {
        assert_eq!(s.dropped_malformed, 0, "{s:#?}");
        assert_eq!((s.dropped_by_hook, s.hook_errors), (0, 0), "{s:#?}");
    } else {
        assert_eq!(lanes_used, 0);
        assert!(s.dropped_by_hook > 0 && s.hook_errors > 0, "{s:#?}");
    }
    // Every delivered entry stands for `repeats` submitted ones.
    let got = seen.lock();
    assert_eq!(got.len() as u64, s.accepted);
    let represented: u64 = got.iter().map(repeats).sum();
    assert_eq!(represented, s.accepted + s.deduplicated);
    assert!(got
        .iter()
        .all(|e| e.field("user_id") == Some(ValueRef::Str("[REDACTED]"))));
}

#[test]
fn metrics_text_is_read_back_by_a_prometheus_parser() {
    let cfg = Config::from_json(
        r#"{"min_level":"debug","sampling":{"initial":2,"thereafter":0,"tick_ms":60000},
            "dedup":{"window_ms":60000},
            "sinks":[{"type":"null","name":"main"},{"type":"callback","name":"audit-log"}]}"#,
    )
    .unwrap();
    let p = Pipeline::builder(cfg)
        .callback("audit-log", |_| {
            Err(logcap_core::sink::SinkError::new("refused"))
        })
        .build()
        .unwrap();
    for i in 0..10 {
        submit(&p, Level::Info, "m", i);
        submit(&p, Level::Trace, "t", i);
    }
    p.flush(LONG).unwrap();
    let s = p.stats();
    let text = p.metrics_text();

    // Every line is one the parser understands: HELP, TYPE or a sample.
    for line in text.lines() {
        let info = prometheus_parse::LineInfo::parse(line);
        assert!(
            !matches!(
                info,
                prometheus_parse::LineInfo::Ignored | prometheus_parse::LineInfo::Empty
            ),
            "unparsed line {line:?}"
        );
    }
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap();
    let value = |name: &str, label: Option<(&str, &str)>| -> f64 {
        let found: Vec<_> = scrape
            .samples
            .iter()
            .filter(|x| x.metric == name && label.is_none_or(|(k, v)| x.labels.get(k) == Some(v)))
            .collect();
        assert_eq!(found.len(), 1, "{name} {label:?}");
        match found[0].value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            ref other => panic!("{other:?}"),
        }
    };
    assert_eq!(value("logcap_entries_submitted_total", None), 20.0);
    assert_eq!(
        value("logcap_entries_accepted_total", None),
        s.accepted as f64
    );
    assert_eq!(value("logcap_entries_accepted_total", None), 1.0);
    assert_eq!(
        value("logcap_entries_dropped_total", Some(("reason", "level"))),
        10.0
    );
    assert_eq!(
        value(
            "logcap_entries_dropped_total",
            Some(("reason", "sampled_out"))
        ),
        8.0
    );
    assert_eq!(value("logcap_entries_deduplicated_total", None), 1.0);
    assert_eq!(value("logcap_held_entries", None), 0.0);
    assert_eq!(
        value(
            "logcap_sink_entries_delivered_total",
            Some(("sink", "main"))
        ),
        1.0
    );
    assert_eq!(
        value(
            "logcap_sink_entries_failed_total",
            Some(("sink", "audit-log"))
        ),
        1.0
    );
    // Types and help texts: counters end in _total, gauges do not, and every sample's
    // metric is documented.
    for x in &scrape.samples {
        assert!(
            scrape.docs.contains_key(&x.metric),
            "{} has no HELP",
            x.metric
        );
        match x.value {
            prometheus_parse::Value::Counter(_) => assert!(x.metric.ends_with("_total")),
            prometheus_parse::Value::Gauge(_) => assert!(!x.metric.ends_with("_total")),
            ref other => panic!("{} is {other:?}", x.metric),
        }
    }
    // Every number of the snapshot is there, with the value the struct holds: the list comes
    // from Stats::metrics and SinkStats::metrics, which name every field of the structs
    // (src/metrics.rs checks them against the fields).
    type Sample = (String, Option<(String, String)>, f64);
    let mut want: Vec<Sample> = s
        .metrics()
        .iter()
        .map(|m| {
            let label = m.label.map(|(k, v)| (k.to_owned(), v.to_owned()));
            (m.name.to_owned(), label, m.value as f64)
        })
        .collect();
    for k in &s.sinks {
        for m in k.metrics() {
            let label = Some(("sink".to_owned(), k.name.clone()));
            want.push((m.name.to_owned(), label, m.value as f64));
        }
    }
    for (name, label, v) in &want {
        let l = label.as_ref().map(|(k, v)| (k.as_str(), v.as_str()));
        // `s` was read before the text: the pool's counters may have moved since.
        if !name.starts_with("logcap_pool_") {
            assert_eq!(value(name, l), *v, "{name} {label:?}");
        }
    }
    assert_eq!(scrape.samples.len(), want.len());
    for name in [
        "logcap_sink_requests_total",
        "logcap_sink_retries_total",
        "logcap_sink_permanent_failures_total",
        "logcap_sink_entries_dead_lettered_total",
        "logcap_sink_bytes_sent_total",
    ] {
        assert_eq!(value(name, Some(("sink", "main"))), 0.0, "{name}");
    }
    p.close(LONG).unwrap();
}

#[test]
fn configuration_of_the_stages_is_strict() {
    for (doc, key) in [
        (r#"{"sampling":{"intial":1}}"#, "sampling.intial"),
        (r#"{"sampling":{"tick_ms":0}}"#, "sampling.tick_ms"),
        (r#"{"sampling":{"initial":0,"thereafter":0}}"#, "sampling"),
        (r#"{"rate_limit":{}}"#, "rate_limit"),
        (
            r#"{"rate_limit":{"per_second":0}}"#,
            "rate_limit.per_second",
        ),
        (
            r#"{"rate_limit":{"per_second":5,"burst":0}}"#,
            "rate_limit.burst",
        ),
        (
            r#"{"rate_limit":{"per_second":5,"by_lable":"x"}}"#,
            "rate_limit.by_lable",
        ),
        (r#"{"dedup":{"window_ms":0}}"#, "dedup.window_ms"),
        (r#"{"dedup":{"max_keys":0}}"#, "dedup.max_keys"),
        (
            r#"{"redact":{"patterns":["email","(oops"]}}"#,
            "redact.patterns[1]",
        ),
        (r#"{"redact":{"keys":[""]}}"#, "redact.keys[0]"),
        (r#"{"redact":{"censor":7}}"#, "redact.censor"),
        (r#"{"redact":{"key":["x"]}}"#, "redact.key"),
    ] {
        let e = Config::from_json(doc).unwrap_err();
        assert_eq!(e.key, key, "{doc}: {e}");
    }
    let c =
        Config::from_json(r#"{"rate_limit":{"per_second":2.5},"sampling":{},"dedup":{}}"#).unwrap();
    let r = c.rate_limit.unwrap();
    assert_eq!(
        (r.per_second, r.burst, r.max_keys, r.by_label),
        (2.5, 3, 1024, None)
    );
    assert_eq!(c.sampling.unwrap().initial, 100);
    assert_eq!(c.dedup.unwrap().window_ms, 1000);
    // A configuration built in code is checked when the pipeline is built.
    let mut c = Config::from_json(r#"{"sinks":[{"type":"null"}]}"#).unwrap();
    c.dedup = Some(logcap_core::DedupConfig {
        window_ms: 0,
        max_keys: 1,
    });
    match Pipeline::new(c) {
        Err(logcap_core::Error::Config(e)) => assert_eq!(e.key, "dedup.window_ms"),
        other => panic!("{:?}", other.err()),
    }
}

/// Close waits for a submit still in progress (here, still in its hook) before it shuts the
/// pipeline down: that entry is delivered, not left in a queue nobody reads.
#[test]
fn close_waits_for_a_submit_still_running_its_hook() {
    let (entered_tx, entered) = crossbeam_channel::bounded::<()>(1);
    let (release, release_rx) = crossbeam_channel::bounded::<()>(1);
    let (b, seen) = capture("");
    let p = b
        .processor(move |_| {
            entered_tx.send(()).unwrap();
            release_rx.recv().unwrap();
            HookAction::Keep
        })
        .build()
        .unwrap();
    std::thread::scope(|s| {
        let submitter = s.spawn(|| submit(&p, Level::Info, "in the hook", 1));
        entered.recv_timeout(LONG).unwrap();
        let closer = s.spawn(|| p.close(LONG));
        let deadline = Instant::now() + LONG;
        while !p.is_closed() {
            assert!(Instant::now() < deadline, "close never began");
            std::thread::yield_now();
        }
        release.send(()).unwrap();
        submitter.join().unwrap();
        closer.join().unwrap().unwrap();
    });
    assert_eq!(seqs(&seen, "in the hook", Level::Info), [1]);
    let s = p.stats();
    assert_eq!((s.submitted, s.accepted), (1, 1));
    assert_adds_up(&s);
}
