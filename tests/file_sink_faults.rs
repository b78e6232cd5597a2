//! The file sink's less travelled paths: rotation with `keep: 0`, a rotation that cannot
//! rename, a device that refuses writes, `fsync_on_flush`, a file moved away under the sink
//! (as logrotate does), and two pipelines of one process on two files.

mod common;

use common::standard_entry;
use logcap_core::{Error, Pipeline, SinkStats};
use std::fs;
use std::path::Path;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(60);

/// O_NONBLOCK on Linux (the crate does not depend on libc).
const O_NONBLOCK: i32 = 0o4000;

fn file_pipeline(path: &Path, extra: &str) -> Pipeline {
    Pipeline::from_json(&format!(
        r#"{{"batch":{{"max_entries":10,"max_delay_ms":1}},
            "sinks":[{{"type":"file","name":"file","path":{:?}{extra}}}]}}"#,
        path.to_str().unwrap()
    ))
    .unwrap()
}

fn submit_range(p: &Pipeline, range: std::ops::Range<u64>) {
    for i in range {
        p.submit(standard_entry(p, i)).unwrap();
    }
}

/// The `seq` of every line of the file at `path`, in order.
fn seqs(path: &Path) -> Vec<u64> {
    let text = fs::read_to_string(path).unwrap();
    text.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a whole JSON line");
            v["fields"]["seq"].as_u64().unwrap()
        })
        .collect()
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

fn sink(p: &Pipeline) -> SinkStats {
    p.stats().sinks[0].clone()
}

#[test]
fn keep_zero_rotates_by_truncating_to_a_fresh_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let p = file_pipeline(&path, r#","max_bytes":4096,"keep":0"#);
    let n = 500;
    submit_range(&p, 0..n);
    p.close(LONG).unwrap();
    let k = sink(&p);
    assert_eq!((k.delivered, k.failed), (n, 0));
    // No rotated file is kept: only the path, holding the newest lines, in order, up to the
    // last one, and no more than max_bytes.
    assert_eq!(names(dir.path()), ["app.log"]);
    assert!(fs::metadata(&path).unwrap().len() <= 4096);
    let got = seqs(&path);
    assert!(
        !got.is_empty() && got[0] > 0,
        "the file was rotated: {got:?}"
    );
    assert_eq!(got, (got[0]..n).collect::<Vec<_>>());
}

#[test]
fn a_rotation_that_cannot_rename_fails_its_batch_and_the_sink_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    // app.log.1 is a directory with a file in it: rotation (keep 1) cannot remove it.
    let blocker = dir.path().join("app.log.1");
    fs::create_dir(&blocker).unwrap();
    fs::write(blocker.join("inside"), "untouched\n").unwrap();
    let p = file_pipeline(&path, r#","max_bytes":2048,"keep":1"#);
    submit_range(&p, 0..100);
    p.flush(LONG).unwrap();
    let k = sink(&p);
    assert!(k.failed > 0, "{k:#?}");
    assert_eq!(k.received, k.delivered + k.failed, "{k:#?}");
    let err = p.sink_last_error("file").expect("the failure is reported");
    assert!(!err.is_empty());
    assert_eq!(
        fs::read_to_string(blocker.join("inside")).unwrap(),
        "untouched\n"
    );

    // Once the obstacle is gone, rotation works again and later entries are delivered.
    fs::remove_dir_all(&blocker).unwrap();
    let before = sink(&p);
    submit_range(&p, 100..200);
    p.close(LONG).unwrap();
    let after = sink(&p);
    assert_eq!(after.failed, before.failed, "{after:#?}");
    assert_eq!(after.delivered, before.delivered + 100);
    assert_eq!(names(dir.path()), ["app.log", "app.log.1"]);
    // The newest lines, in order, end with the last entry.
    let mut got = seqs(&blocker);
    got.extend(seqs(&path));
    assert_eq!(*got.last().unwrap(), 199);
    assert!(got.windows(2).all(|w| w[0] < w[1]), "{got:?}");
}

#[test]
fn a_device_that_refuses_writes_fails_every_batch() {
    // /dev/full accepts the open and answers every write with ENOSPC. No max_bytes: the sink
    // must never try to rename it; no fsync (which a device refuses with EINVAL), so the last
    // error is the write's.
    let p = file_pipeline(Path::new("/dev/full"), r#","fsync_on_flush":false"#);
    submit_range(&p, 0..50);
    p.close(LONG).unwrap();
    let k = sink(&p);
    assert_eq!(k.received, 50);
    assert_eq!(
        (k.delivered, k.failed, k.batches, k.bytes),
        (0, 50, 0, 0),
        "{k:#?}"
    );
    let err = p.sink_last_error("file").unwrap();
    assert!(err.contains("No space left"), "{err}");
    assert!(Path::new("/dev/full").exists());
}

#[test]
fn fsync_on_flush_syncs_at_each_flush_and_only_then() {
    // fsync on a FIFO fails (EINVAL), so a flush that syncs is seen to fail, and one that
    // does not sync succeeds.
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = tempfile::tempdir().unwrap();
    for (fsync, must_fail) in [(true, true), (false, false)] {
        let fifo = dir.path().join(format!("fifo-{fsync}"));
        let st = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(st.success());
        // A reader, so the sink's open for writing does not wait.
        let mut reader = fs::OpenOptions::new()
            .read(true)
            .custom_flags(O_NONBLOCK)
            .open(&fifo)
            .unwrap();
        let p = file_pipeline(&fifo, &format!(r#","fsync_on_flush":{fsync}"#));
        submit_range(&p, 0..3);
        let r = p.flush(LONG);
        if must_fail {
            assert!(
                matches!(&r, Err(Error::SinkFlush(m)) if m.contains("file")),
                "{r:?}"
            );
        } else {
            r.unwrap();
        }
        let k = sink(&p);
        assert_eq!((k.delivered, k.failed), (3, 0), "writes succeed either way");
        let _ = p.close(LONG);
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        assert_eq!(text.lines().count(), 3);
    }
}

#[test]
fn a_file_moved_away_under_the_sink_loses_no_line() {
    // What logrotate does without copytruncate: rename the file and expect the writer to
    // move on. The sink keeps its open file: lines go on into the moved file until the sink's
    // own next rotation, which opens a fresh file at the path.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let moved = dir.path().join("app.log-20261205");
    let p = file_pipeline(&path, r#","max_bytes":8192,"keep":2"#);
    submit_range(&p, 0..10);
    p.flush(LONG).unwrap();
    fs::rename(&path, &moved).unwrap();
    submit_range(&p, 10..400);
    p.close(LONG).unwrap();
    let k = sink(&p);
    assert_eq!((k.delivered, k.failed), (400, 0));
    // The moved file holds the first lines, contiguous: those before the move and those
    // written after it until the sink's own first rotation.
    let first = seqs(&moved);
    assert!(
        first.len() > 10,
        "lines after the move went on into the moved file"
    );
    assert_eq!(first, (0..first.len() as u64).collect::<Vec<_>>());
    // Then the sink's own files, oldest first, contiguous up to the last entry (keep 2 has
    // deleted what fell off in between).
    assert_eq!(
        names(dir.path()),
        ["app.log", "app.log-20261205", "app.log.1", "app.log.2"]
    );
    let mut rest = Vec::new();
    for name in ["app.log.2", "app.log.1", "app.log"] {
        rest.extend(seqs(&dir.path().join(name)));
    }
    assert_eq!(rest, (rest[0]..400).collect::<Vec<_>>());
    assert!(rest[0] >= first.len() as u64);
}

#[test]
fn two_pipelines_write_their_own_files_and_close_independently() {
    let dir = tempfile::tempdir().unwrap();
    let (a_path, b_path) = (dir.path().join("a.log"), dir.path().join("b.log"));
    let a = file_pipeline(&a_path, "");
    let b = file_pipeline(&b_path, "");
    std::thread::scope(|s| {
        s.spawn(|| submit_range(&a, 0..1000));
        s.spawn(|| submit_range(&b, 5000..6000));
    });
    a.close(LONG).unwrap();
    // b is still open and working after a closed.
    assert!(matches!(
        a.submit(standard_entry(&a, 1)),
        Err(Error::Closed)
    ));
    submit_range(&b, 6000..6500);
    b.flush(LONG).unwrap();
    assert_eq!(seqs(&a_path), (0..1000).collect::<Vec<_>>());
    assert_eq!(seqs(&b_path), (5000..6500).collect::<Vec<_>>());
    b.close(LONG).unwrap();
    let (sa, sb) = (a.stats(), b.stats());
    assert_eq!((sa.submitted, sa.sinks[0].delivered), (1000, 1000));
    assert_eq!((sb.submitted, sb.sinks[0].delivered), (1500, 1500));
    assert_eq!(
        seqs(&a_path).len(),
        1000,
        "a's file unchanged after b went on"
    );
}
