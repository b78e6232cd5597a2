//! The file sink: rotation under load loses no line and touches only the sink's own files.

mod common;

use common::standard_entry;
use logcap_core::Pipeline;
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

const LONG: Duration = Duration::from_secs(120);

/// Files in `dir` with their contents.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().into_string().unwrap(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn foreign_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let foreign = [
        ("app.log.bak", "backup\n"),
        ("app.log.1x", "not a rotation\n"),
        ("app.log.01", "zero-padded: not ours\n"),
        ("other.log", "another program\n"),
        ("other.log.1", "another program's rotation\n"),
        ("app.logx.1", "a lookalike\n"),
    ];
    for (name, text) in foreign {
        fs::write(dir.join(name), text).unwrap();
    }
    snapshot(dir)
}

fn run(dir: &Path, max_bytes: u64, keep: u32, n: u64) -> Pipeline {
    run_threads(dir, max_bytes, keep, n, 2)
}

/// Submits entries with `seq` 0..n from `threads` threads (each a contiguous range) to a file
/// sink at `dir/app.log`, and closes the pipeline.
fn run_threads(dir: &Path, max_bytes: u64, keep: u32, n: u64, threads: u64) -> Pipeline {
    let path = dir.join("app.log");
    let p = Pipeline::from_json(&format!(
        r#"{{"batch":{{"max_entries":100}},
            "sinks":[{{"type":"file","path":{:?},"max_bytes":{max_bytes},"keep":{keep}}}]}}"#,
        path.to_str().unwrap()
    ))
    .unwrap();
    std::thread::scope(|s| {
        for t in 0..threads {
            let p = &p;
            s.spawn(move || {
                for i in 0..n / threads {
                    p.submit(standard_entry(p, t * (n / threads) + i)).unwrap();
                }
            });
        }
    });
    p.close(LONG).unwrap();
    p
}

#[test]
fn rotation_under_load_loses_no_line() {
    let dir = tempfile::tempdir().unwrap();
    let before = foreign_files(dir.path());
    let n = 200_000u64;
    let p = run(dir.path(), 256 * 1024, 10_000, n);
    assert_eq!(p.stats().sinks[0].delivered, n);
    let after = snapshot(dir.path());
    for (name, content) in &before {
        assert_eq!(after.get(name), Some(content), "{name} was touched");
    }
    let mut seen = vec![false; n as usize];
    let mut files = 0;
    for (name, content) in &after {
        if before.contains_key(name) {
            continue;
        }
        assert!(
            name == "app.log"
                || name
                    .strip_prefix("app.log.")
                    .is_some_and(|k| k.parse::<u32>().is_ok()),
            "{name}"
        );
        assert!(
            content.len() <= 256 * 1024,
            "{name} is {} bytes",
            content.len()
        );
        files += 1;
        for line in content.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let v: serde_json::Value = serde_json::from_slice(line).expect("a whole JSON line");
            let seq = v["fields"]["seq"].as_u64().unwrap() as usize;
            assert!(!seen[seq], "line {seq} twice");
            seen[seq] = true;
        }
    }
    assert!(files > 10, "rotated {files} times only");
    assert!(seen.iter().all(|s| *s), "a line was lost");
}

#[test]
fn rotation_keeps_only_n_files_and_deletes_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let before = foreign_files(dir.path());
    // One producer, so the order of the lines is the order of `seq`.
    let n = 20_000;
    run_threads(dir.path(), 32 * 1024, 3, n, 1);
    let after = snapshot(dir.path());
    let ours: Vec<_> = after
        .keys()
        .filter(|k| !before.contains_key(*k))
        .cloned()
        .collect();
    assert_eq!(ours, ["app.log", "app.log.1", "app.log.2", "app.log.3"]);
    for (name, content) in &before {
        assert_eq!(after.get(name), Some(content), "{name} was touched");
    }
    // The oldest kept lines are in .3, then .2, .1 and app.log: read in that order, every line
    // is the one after the line before it, up to the last entry submitted.
    let mut seqs = Vec::new();
    for name in ["app.log.3", "app.log.2", "app.log.1", "app.log"] {
        let text = std::str::from_utf8(&after[name]).unwrap();
        assert!(!text.is_empty(), "{name} is empty");
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("a whole JSON line");
            seqs.push(v["fields"]["seq"].as_u64().unwrap());
        }
    }
    let first = seqs[0];
    let want: Vec<u64> = (first..n).collect();
    assert_eq!(
        seqs, want,
        "lines out of order or missing in the kept files"
    );
    assert!(first > 0, "older files were deleted");
}

#[test]
fn files_are_created_with_mode_0640_and_appended_to() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    fs::write(&path, "an earlier line\n").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    run(dir.path(), 0, 1, 10);
    let text = fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("an earlier line\n"),
        "appends, never truncates"
    );
    assert_eq!(text.lines().count(), 11);
    fs::remove_file(&path).unwrap();
    run(dir.path(), 0, 1, 2);
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode & !0o640, 0, "mode {mode:o}");
    assert_eq!(mode & 0o640, 0o640 & !umask(), "mode {mode:o}");
}

fn umask() -> u32 {
    // Read the process umask from /proc; the test process does not change it.
    let status = fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Umask:")).unwrap();
    u32::from_str_radix(line.split_whitespace().nth(1).unwrap(), 8).unwrap()
}
