//! What a user meets when something goes wrong: a slow or dead sink, a close that runs out of
//! time, a sink that cannot start, a sink name that is not text.

mod common;

use common::standard_entry;
use logcap_core::config::{SinkConfig, SinkKind};
use logcap_core::{Config, Error, Pipeline, WhenFull};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(120);

#[test]
fn by_default_a_slow_sink_degrades_only_itself() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let cfg = Config::from_json(&format!(
        r#"{{"queue":{{"when_full":"block","block_timeout_ms":60000}},
            "sinks":[{{"type":"file","name":"disk","path":{:?}}},
                     {{"type":"callback","name":"slow"}}]}}"#,
        path.to_str().unwrap()
    ))
    .unwrap();
    let policies: Vec<_> = cfg.sinks.iter().map(|s| s.when_full).collect();
    assert_eq!(policies, [WhenFull::Block, WhenFull::DropNewest]);
    let calls = Arc::new(AtomicU64::new(0));
    let c = calls.clone();
    let p = Pipeline::builder(cfg)
        .callback("slow", move |_| {
            c.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(50));
            Ok(())
        })
        .build()
        .unwrap();
    for i in 0..200_000 {
        p.submit(standard_entry(&p, i)).unwrap();
    }
    p.close(LONG).unwrap();
    let s = p.stats();
    assert_eq!(s.submitted, 200_000);
    assert_eq!(
        s.accepted, 200_000,
        "nothing dropped before the sinks: {s:#?}"
    );
    let (disk, slow) = (&s.sinks[0], &s.sinks[1]);
    assert_eq!(disk.delivered, 200_000, "{disk:#?}");
    assert_eq!(disk.dropped + disk.failed, 0, "{disk:#?}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap().lines().count(),
        200_000
    );
    assert!(
        slow.dropped > 0,
        "the slow sink dropped its own batches: {slow:#?}"
    );
    assert_eq!(slow.received, 200_000);
    assert_eq!(
        slow.received,
        slow.delivered + slow.dropped + slow.failed,
        "{slow:#?}"
    );
    assert_eq!(slow.batches, calls.load(Ordering::Relaxed));
}

#[test]
fn block_stays_available_when_configured() {
    let cfg = Config::from_json(
        r#"{"batch":{"max_entries":10,"max_delay_ms":1},
            "sinks":[{"type":"callback","name":"slow","queue_capacity":1,"when_full":"block","block_timeout_ms":60000}]}"#,
    )
    .unwrap();
    assert_eq!(cfg.sinks[0].when_full, WhenFull::Block);
    let p = Pipeline::builder(cfg)
        .callback("slow", |_| {
            std::thread::sleep(Duration::from_millis(1));
            Ok(())
        })
        .build()
        .unwrap();
    for i in 0..2_000 {
        p.submit(standard_entry(&p, i)).unwrap();
    }
    p.close(LONG).unwrap();
    let k = &p.stats().sinks[0];
    assert_eq!((k.delivered, k.dropped), (2_000, 0), "{k:#?}");
}

/// A callback that sleeps `each` per batch and records whether it is running.
struct Slow {
    calls: AtomicU64,
    returned: AtomicU64,
    running: AtomicBool,
}

#[test]
fn once_close_returns_at_its_deadline_no_callback_runs() {
    let cfg = Config::from_json(
        r#"{"batch":{"max_entries":1,"max_delay_ms":1},
            "sinks":[{"type":"callback","name":"slow","when_full":"block"}]}"#,
    )
    .unwrap();
    let st = Arc::new(Slow {
        calls: AtomicU64::new(0),
        returned: AtomicU64::new(0),
        running: AtomicBool::new(false),
    });
    let s2 = st.clone();
    let p = Pipeline::builder(cfg)
        .callback("slow", move |_| {
            s2.running.store(true, Ordering::SeqCst);
            s2.calls.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(300));
            s2.returned.fetch_add(1, Ordering::SeqCst);
            s2.running.store(false, Ordering::SeqCst);
            Ok(())
        })
        .build()
        .unwrap();
    for i in 0..5 {
        p.submit(standard_entry(&p, i)).unwrap();
    }
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(p.close(Duration::from_millis(100)), Err(Error::Timeout));
    // The call in progress at the deadline was waited for; no other starts.
    assert!(
        !st.running.load(Ordering::SeqCst),
        "close returned during a call"
    );
    let calls = st.calls.load(Ordering::SeqCst);
    assert_eq!(calls, st.returned.load(Ordering::SeqCst));
    assert!(calls < 5, "the deadline cut delivery short: {calls} calls");
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(
        st.calls.load(Ordering::SeqCst),
        calls,
        "a callback ran after close returned"
    );
    // A later close finds the threads gone; the undelivered entries were counted as dropped.
    p.close(LONG).unwrap();
    assert_eq!(st.calls.load(Ordering::SeqCst), calls);
    let s = p.stats();
    let k = &s.sinks[0];
    assert_eq!(s.submitted, 5);
    assert_eq!(s.accepted + s.dropped(), 5, "{s:#?}");
    assert_eq!(k.received, s.accepted);
    assert_eq!(k.delivered, calls, "{k:#?}");
    assert_eq!(k.received, k.delivered + k.dropped + k.failed, "{k:#?}");
    assert!(k.dropped > 0, "{k:#?}");
}

#[test]
fn once_a_pipeline_is_dropped_no_callback_runs() {
    let cfg = Config::from_json(
        r#"{"batch":{"max_entries":1,"max_delay_ms":1},
            "sinks":[{"type":"callback","name":"slow","when_full":"block"}]}"#,
    )
    .unwrap();
    let calls = Arc::new(AtomicU64::new(0));
    let c = calls.clone();
    let p = Pipeline::builder(cfg)
        .callback("slow", move |_| {
            c.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(2_000));
            Ok(())
        })
        .build()
        .unwrap();
    for i in 0..4 {
        p.submit(standard_entry(&p, i)).unwrap();
    }
    // Drop waits 5 s: calls run at 0, 2 and 4 s; the one in progress at 5 s is waited for.
    drop(p);
    let at_drop = calls.load(Ordering::SeqCst);
    assert_eq!(at_drop, 3);
    std::thread::sleep(Duration::from_millis(2_500));
    assert_eq!(
        calls.load(Ordering::SeqCst),
        at_drop,
        "a callback ran after drop"
    );
}

#[test]
fn a_sink_name_that_is_not_text_never_panics() {
    let e = Config::from_json(r#"{"sinks":[{"type":"null","name":"a\u0000b"}]}"#).unwrap_err();
    assert_eq!(e.key, "sinks[0].name");
    // A configuration built in code skips parsing: the pipeline still starts.
    let cfg = Config {
        sinks: vec![SinkConfig {
            name: "a\0b c".into(),
            kind: SinkKind::Null,
            queue_capacity: 4,
            when_full: WhenFull::Block,
            block_timeout_ms: 100,
        }],
        ..Config::default()
    };
    let p = Pipeline::new(cfg).unwrap();
    p.submit(standard_entry(&p, 0)).unwrap();
    p.close(LONG).unwrap();
    assert_eq!(p.stats().sinks[0].delivered, 1);
}

#[test]
fn a_sink_that_cannot_start_names_the_key_and_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x/y/app.log");
    let doc = |create: bool| {
        format!(
            r#"{{"sinks":[{{"type":"null"}},{{"type":"file","path":{:?},"create_dirs":{create}}}]}}"#,
            path.to_str().unwrap()
        )
    };
    let err = Pipeline::from_json(&doc(false)).err().unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "sinks[1].path: cannot open {}: No such file or directory",
            path.display()
        )
    );
    match &err {
        Error::SinkSetup { sink, key, .. } => {
            assert_eq!((&**sink, &**key), ("file-1", "sinks[1].path"))
        }
        e => panic!("{e:?}"),
    }
    assert!(!path.parent().unwrap().exists());
    let p = Pipeline::from_json(&doc(true)).unwrap();
    p.submit(standard_entry(&p, 0)).unwrap();
    p.close(LONG).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 1);
    // A directory where the file should be is named the same way.
    let err = Pipeline::from_json(&format!(
        r#"{{"sinks":[{{"type":"file","path":{:?}}}]}}"#,
        dir.path().to_str().unwrap()
    ))
    .err()
    .unwrap();
    assert!(
        err.to_string().starts_with(&format!(
            "sinks[0].path: cannot open {}: ",
            dir.path().display()
        )),
        "{err}"
    );
}

#[test]
fn clone_after_close_says_closed_like_acquire() {
    use logcap::entry::{
        logcap_acquire, logcap_entry_clone, logcap_entry_set_message, logcap_release,
    };
    use logcap::pipeline::{logcap_pipeline_close, logcap_pipeline_free, logcap_pipeline_new};
    use logcap::result::logcap_result;
    let doc = br#"{"sinks":[{"type":"null"}]}"#;
    let mut p = std::ptr::null_mut();
    assert_eq!(
        logcap_pipeline_new(doc.as_ptr(), doc.len(), &mut p),
        logcap_result::Ok
    );
    let mut e = std::ptr::null_mut();
    assert_eq!(logcap_acquire(p, &mut e), logcap_result::Ok);
    let mut copy = std::ptr::null_mut();
    assert_eq!(logcap_entry_clone(e, &mut copy), logcap_result::Ok);
    assert_eq!(logcap_release(copy), logcap_result::Ok);
    assert_eq!(logcap_pipeline_close(p, 5_000), logcap_result::Ok);
    let mut other = std::ptr::null_mut();
    assert_eq!(logcap_acquire(p, &mut other), logcap_result::Closed);
    assert_eq!(logcap_entry_clone(e, &mut copy), logcap_result::Closed);
    logcap_pipeline_free(p);
    // After free the entry is still a valid handle: it can be read and changed, not copied.
    assert_eq!(logcap_entry_clone(e, &mut copy), logcap_result::Closed);
    assert_eq!(
        logcap_entry_set_message(e, b"x".as_ptr(), 1),
        logcap_result::Ok
    );
    assert_eq!(logcap_release(e), logcap_result::Ok);
}

#[test]
fn a_callback_that_closes_its_own_pipeline_does_not_hang() {
    use std::sync::{OnceLock, Weak};
    let cfg = Config::from_json(
        r#"{"batch":{"max_entries":1,"max_delay_ms":1},
            "sinks":[{"type":"callback","name":"closer","when_full":"block"}]}"#,
    )
    .unwrap();
    let me: Arc<OnceLock<Weak<Pipeline>>> = Arc::default();
    let (tx, rx) = crossbeam_channel::unbounded();
    let m = me.clone();
    let p = Arc::new(
        Pipeline::builder(cfg)
            .callback("closer", move |_| {
                if let Some(p) = m.get().and_then(Weak::upgrade) {
                    // Close cannot wait for this very call: it abandons delivery at its
                    // deadline and returns.
                    let r = p.close(Duration::from_millis(50));
                    drop(p);
                    let _ = tx.send(r);
                }
                Ok(())
            })
            .build()
            .unwrap(),
    );
    me.set(Arc::downgrade(&p)).unwrap();
    p.submit(standard_entry(&p, 0)).unwrap();
    let r = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("close returned");
    assert_eq!(r, Err(Error::Timeout));
    p.close(LONG).unwrap();
    let k = &p.stats().sinks[0];
    assert_eq!((k.received, k.delivered), (1, 1), "{k:#?}");
}
