//! What a user meets when something goes wrong: a slow or dead sink, a close that runs out of
//! time, a sink that cannot start, a sink name that is not text.

mod common;

use common::standard_entry;
use logcap::config::{SinkConfig, SinkKind};
use logcap::{Config, Error, Pipeline, WhenFull};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(120);

#[test]
fn a_sink_name_that_is_not_text_never_panics() {
    let e = Config::from_json(r#"{"sinks":[{"type":"null","name":"a\u0000b"}]}"#).unwrap_err();
    assert_eq!(e.key, "sinks[0].name");
    // A configuration built in code skips parsing: the pipeline still starts.
    let mut cfg = Config::default();
    cfg.sinks = vec![SinkConfig {
        name: "a\0b c".into(),
        kind: SinkKind::Null,
        queue_capacity: 4,
        when_full: WhenFull::Block,
        block_timeout_ms: 100,
    }];
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
