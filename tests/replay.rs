//! Dead-letter replay counts only what the pipeline took into its queue: entries its level or
//! hook drop stay in the file; leftovers of a replay that did not finish are read again.

use logcap_core::sink::SinkError;
use logcap_core::{Config, HookAction, Level, Pipeline, ReplayReport};
use parking_lot::Mutex;
use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

/// A dead-letter record as a network sink writes it, with message `msg`.
fn record(level: &str, msg: &str) -> String {
    format!(
        r#"{{"entry":{{"ts":"2026-11-27T20:42:08.000000001Z","level":"{level}","msg":"{msg}","labels":{{"service":"checkout"}},"fields":{{"status":500}}}},"sink":"loki-0","error":"HTTP 400","attempts":1,"time":"2026-11-27T20:42:09Z"}}"#
    )
}

fn write_records(path: &Path, recs: &[String]) {
    let mut text = String::new();
    for r in recs {
        text.push_str(r);
        text.push('\n');
    }
    fs::write(path, text).unwrap();
}

/// A pipeline with one callback sink that records each message it delivers.
fn collecting(min_level: &str, hook: bool) -> (Pipeline, Arc<Mutex<Vec<String>>>) {
    collecting_with("{}", min_level, hook)
}

/// `collecting`, with `queue` as the configuration's queue.
fn collecting_with(
    queue: &str,
    min_level: &str,
    hook: bool,
) -> (Pipeline, Arc<Mutex<Vec<String>>>) {
    let cfg = Config::from_json(&format!(
        r#"{{"queue":{queue},"min_level":"{min_level}","batch":{{"max_delay_ms":1}},
            "sinks":[{{"type":"callback","name":"cb"}}]}}"#
    ))
    .unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = Arc::clone(&seen);
    let mut b = Pipeline::builder(cfg).callback("cb", move |batch: &logcap_core::Batch| {
        s.lock()
            .extend(batch.iter().map(|e| e.message().to_owned()));
        Ok::<(), SinkError>(())
    });
    if hook {
        b = b.processor(|e| {
            if e.message().starts_with("hook-drop") {
                HookAction::Drop
            } else {
                HookAction::Keep
            }
        });
    }
    (b.build().unwrap(), seen)
}

fn lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn dir_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|d| d.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn replayed_entries_reach_a_pipeline_with_lanes() {
    // With lanes, replayed entries still go through the shared queue, which the batcher reads
    // after each pass over the lanes, beside entries logged through the lanes meanwhile.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dead.jsonl");
    let recs: Vec<String> = (0..10)
        .map(|i| record("info", &format!("replayed-{i}")))
        .collect();
    write_records(&path, &recs);
    let (p, seen) = collecting_with(r#"{"lanes":true}"#, "info", false);
    let e = p.acquire();
    e.set_message("logged");
    p.submit(e).unwrap();
    let r = p.replay_dead_letters(&path).unwrap();
    assert_eq!((r.submitted, r.kept), (10, 0));
    p.flush(LONG).unwrap();
    let mut got = seen.lock().clone();
    got.sort();
    let mut want: Vec<String> = (0..10).map(|i| format!("replayed-{i}")).collect();
    want.push("logged".into());
    want.sort();
    assert_eq!(got, want);
    let s = p.stats();
    assert_eq!((s.submitted, s.accepted, s.queued), (11, 11, 0), "{s:#?}");
    assert_eq!(s.lanes, 1, "the logging thread's lane");
    p.close(LONG).unwrap();
    assert!(!path.exists());
}

#[test]
fn entries_below_the_minimum_level_stay_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dead.jsonl");
    let infos: Vec<String> = (0..10)
        .map(|i| record("info", &format!("info-{i}")))
        .collect();
    let mut recs = infos.clone();
    recs.extend((0..5).map(|i| record("warn", &format!("warn-{i}"))));
    write_records(&path, &recs);

    let (p, seen) = collecting("warn", false);
    let r = p.replay_dead_letters(&path).unwrap();
    assert_eq!(
        r,
        ReplayReport {
            submitted: 5,
            kept: 10,
            ..ReplayReport::default()
        }
    );
    p.flush(LONG).unwrap();
    let want: Vec<String> = (0..5).map(|i| format!("warn-{i}")).collect();
    assert_eq!(*seen.lock(), want);
    // The ten entries the pipeline dropped are still in the file, unchanged; nothing else is.
    assert_eq!(lines(&path), infos);
    assert_eq!(dir_names(dir.path()), ["dead.jsonl"]);
    let s = p.stats();
    assert_eq!((s.submitted, s.accepted, s.dropped_level), (15, 5, 10));

    // Again: nothing is replayed, nothing is lost.
    let r = p.replay_dead_letters(&path).unwrap();
    assert_eq!((r.submitted, r.kept), (0, 10));
    assert_eq!(lines(&path), infos);

    // With the level lowered they go through, and the file is gone.
    p.set_min_level(Level::Info);
    let r = p.replay_dead_letters(&path).unwrap();
    assert_eq!((r.submitted, r.kept), (10, 0));
    p.close(LONG).unwrap();
    assert!(!path.exists());
    assert_eq!(dir_names(dir.path()), Vec::<String>::new());
    assert_eq!(seen.lock().len(), 15);
}

#[test]
fn entries_the_hook_drops_stay_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dead.jsonl");
    let recs = vec![
        record("error", "a"),
        record("error", "hook-drop-1"),
        record("error", "b"),
        record("error", "hook-drop-2"),
    ];
    write_records(&path, &recs);
    let (p, seen) = collecting("info", true);
    let r = p.replay_dead_letters(&path).unwrap();
    assert_eq!((r.submitted, r.kept, r.malformed), (2, 2, 0));
    p.close(LONG).unwrap();
    assert_eq!(*seen.lock(), ["a", "b"]);
    assert_eq!(lines(&path), [recs[1].clone(), recs[3].clone()]);
    assert_eq!(p.stats().dropped_by_hook, 2);
}

#[test]
fn a_replay_left_unfinished_is_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dead.jsonl");
    // What a crash during a replay leaves: the taken file, and a fresh one at the path.
    let left = dir.path().join("dead.jsonl.replay-999999-3");
    write_records(&left, &[record("warn", "left-0"), record("warn", "left-1")]);
    write_records(&path, &[record("warn", "new-0")]);
    // Not a leftover of this path.
    let other = dir.path().join("other.jsonl.replay-1-1");
    write_records(&other, &[record("warn", "other")]);

    let (p, seen) = collecting("info", false);
    let r = p.replay_dead_letters(&path).unwrap();
    assert_eq!(
        r,
        ReplayReport {
            submitted: 3,
            leftovers: 1,
            ..ReplayReport::default()
        }
    );
    p.close(LONG).unwrap();
    // The leftover first: it is older.
    assert_eq!(*seen.lock(), ["left-0", "left-1", "new-0"]);
    assert_eq!(dir_names(dir.path()), ["other.jsonl.replay-1-1"]);
}

#[test]
fn a_replay_file_another_replay_holds_is_not_a_leftover() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dead.jsonl");
    let busy = dir.path().join("dead.jsonl.replay-999999-4");
    write_records(&busy, &[record("warn", "busy")]);
    write_records(&path, &[record("warn", "new-0")]);
    // The lock a running replay holds on the file it took.
    let held = fs::File::open(&busy).unwrap();
    held.lock().unwrap();

    let (p, seen) = collecting("info", false);
    let r = p.replay_dead_letters(&path).unwrap();
    assert_eq!((r.submitted, r.leftovers), (1, 0));
    p.flush(LONG).unwrap();
    assert_eq!(*seen.lock(), ["new-0"]);
    assert!(busy.exists());

    // Once released (the replay died), the next replay reads it.
    drop(held);
    let r = p.replay_dead_letters(&path).unwrap();
    assert_eq!((r.submitted, r.leftovers), (1, 1));
    p.close(LONG).unwrap();
    assert_eq!(*seen.lock(), ["new-0", "busy"]);
    assert_eq!(dir_names(dir.path()), Vec::<String>::new());
}
