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
