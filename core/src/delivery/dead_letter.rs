//! The dead-letter file: what a network sink finally could not deliver, one JSON line per
//! entry, and the replay that re-submits it.
//!
//! A record, on one line (indented here for reading):
//!
//! ```json
//! {"entry": {"ts": "2026-11-27T20:42:08.123456789Z", "level": "info", "msg": "…",
//!            "labels": {…}, "fields": {…}},
//!  "sink": "loki-0", "error": "permanent failure after 1 attempt: HTTP 400: …",
//!  "attempts": 1, "time": "2026-11-27T20:42:09.000000000Z"}
//! ```
//!
//! `entry` is the entry exactly as the JSON-lines output writes it (docs/output.md), so a
//! replay gets back the same timestamp, level, message, trace context, labels and fields.
//!
//! Writers and the replay take an exclusive advisory lock on the file for each write or read,
//! and a writer that finds the file renamed away (by a replay) reopens the path, so no record
//! is lost between the two.

use crate::encode::json;
use crate::encode::time::{parse_rfc3339, write_rfc3339_nanos};
use crate::entry::{EntryData, Level};
use crate::error::Error;
use crate::stats::DeliveryCounters;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Writes a sink's dead letters, if it has a dead-letter path.
#[derive(Debug)]
pub struct DeadLetters {
    path: Option<PathBuf>,
    sink: String,
    buf: Vec<u8>,
}

impl DeadLetters {
    /// Dead letters of the sink `sink`, written to `path` (none: nothing is written).
    pub fn new(path: Option<PathBuf>, sink: &str) -> Self {
        DeadLetters {
            path,
            sink: sink.to_owned(),
            buf: Vec::new(),
        }
    }

    /// The file, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Appends one record per entry, all in one write, and syncs the file. Returns how many
    /// records were written: 0 without a path.
    pub fn write<'a>(
        &mut self,
        entries: impl IntoIterator<Item = &'a EntryData>,
        error: &str,
        attempts: u32,
    ) -> io::Result<u64> {
        let Some(path) = &self.path else {
            return Ok(0);
        };
        self.buf.clear();
        let mut time = Vec::with_capacity(30);
        write_rfc3339_nanos(crate::clock::now_ns(), &mut time);
        let mut n = 0;
        for e in entries {
            self.buf.extend_from_slice(b"{\"entry\":");
            json::encode(e, &mut self.buf);
            self.buf.pop(); // the encoder's newline
            self.buf.extend_from_slice(b",\"sink\":");
            json::write_str(&self.sink, &mut self.buf);
            self.buf.extend_from_slice(b",\"error\":");
            json::write_str(error, &mut self.buf);
            self.buf.extend_from_slice(b",\"attempts\":");
            self.buf
                .extend_from_slice(itoa::Buffer::new().format(attempts).as_bytes());
            self.buf.extend_from_slice(b",\"time\":\"");
            self.buf.extend_from_slice(&time);
            self.buf.extend_from_slice(b"\"}\n");
            n += 1;
        }
        if n > 0 {
            append_locked(path, &self.buf)?;
        }
        Ok(n)
    }
}

impl DeadLetters {
    /// Dead-letters the entries of a request given up on (as [`DeadLetters::write`]) and
    /// counts them in `counters`. Returns `error`, with the dead-letter file's own failure
    /// appended if it could not be written: the text for the sink's error.
    pub fn give_up<'a>(
        &mut self,
        entries: impl IntoIterator<Item = &'a EntryData>,
        error: &str,
        attempts: u32,
        counters: &DeliveryCounters,
    ) -> String {
        match self.write(entries, error, attempts) {
            Ok(n) => {
                counters.dead_lettered(n);
                error.to_owned()
            }
            Err(e) => format!("{error}; and the dead-letter file failed: {e}"),
        }
    }
}

/// Appends `bytes` to the file at `path` under an exclusive lock, then syncs it. If the file
/// was renamed away between open and lock, appends to the file now at `path` instead.
pub(crate) fn append_locked(path: &Path, bytes: &[u8]) -> io::Result<()> {
    loop {
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o640)
            .open(path)?;
        f.lock()?;
        let ours = f.metadata()?;
        let current = match fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        if (ours.dev(), ours.ino()) != (current.dev(), current.ino()) {
            continue;
        }
        f.write_all(bytes)?;
        return f.sync_data();
    }
}

/// What a replay did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplayReport {
    /// Entries re-submitted to the pipeline and taken into its queue.
    pub submitted: u64,
    /// Entries the pipeline's minimum level, sampling, rate limiting or hook dropped: they
    /// were not replayed and stay in the dead-letter file.
    pub kept: u64,
    /// Lines that were not dead-letter records; they were moved to `<path>.malformed`.
    pub malformed: u64,
    /// Files `<path>.replay-<pid>-<n>` left by a replay that did not finish (a crash), read
    /// again by this one.
    pub leftovers: u64,
}

/// What the pipeline did with one replayed line.
pub(crate) enum Replayed {
    /// Re-submitted and queued.
    Submitted,
    /// Submitted, but dropped by the level, sampling, rate limiting or the hook: the line
    /// goes back to the file.
    Kept,
    /// Not a dead-letter record.
    Malformed,
    /// The pipeline refused it (closed, or a full queue): it goes back to the file.
    Refused(Error),
}

static REPLAY_SEQ: AtomicU64 = AtomicU64::new(0);

const REPLAY_INFIX: &str = ".replay-";

fn io_err(what: &str, p: &Path, e: io::Error) -> Error {
    Error::Io(format!("dead-letter replay: {what} {}: {e}", p.display()))
}

/// `path` with `suffix` appended to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Opens and locks the file at `path` if it is still there, as the same file, once the lock
/// is held; `None` if it is gone. With `wait` false, `None` also when another replay holds it.
fn open_locked(path: &Path, wait: bool) -> io::Result<Option<File>> {
    loop {
        let f = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if wait {
            f.lock()?;
        } else {
            match f.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => return Ok(None),
                Err(fs::TryLockError::Error(e)) => return Err(e),
            }
        }
        let ours = f.metadata()?;
        match fs::metadata(path) {
            Ok(m) if (m.dev(), m.ino()) == (ours.dev(), ours.ino()) => return Ok(Some(f)),
            // Renamed away or removed between open and lock: a replay had it.
            Ok(_) if wait => continue,
            Ok(_) => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        }
    }
}

/// The files `<path>.replay-*` next to `path`, oldest name first.
fn leftover_files(path: &Path) -> io::Result<Vec<PathBuf>> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Ok(Vec::new());
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let mut prefix = name.to_owned();
    prefix.push(REPLAY_INFIX);
    let prefix = prefix.as_encoded_bytes().to_vec();
    let mut found = Vec::new();
    for d in fs::read_dir(dir)? {
        let d = d?;
        if d.file_name().as_encoded_bytes().starts_with(&prefix) && d.file_type()?.is_file() {
            found.push(dir.join(d.file_name()));
        }
    }
    found.sort();
    Ok(found)
}

/// Replays the dead-letter file at `path`, handing each line to `submit`.
///
/// The file is locked and renamed to `<path>.replay-<pid>-<n>` first, so entries that fail
/// again during the replay are dead-lettered into a fresh file at `path`, never read twice.
/// Files of that name left by a replay that did not finish (no replay holds their lock) are
/// read first. Lines the pipeline dropped by its level, sampling, rate limiting or hook
/// ([`Replayed::Kept`]) are appended back to `path`; a taken file is deleted only once each of
/// its lines is replayed, kept, or set aside as malformed. If the pipeline refuses an entry,
/// that line and every line after it in the same file are appended back to `path` and the
/// refusal is returned (other leftover files stay for the next replay). A missing file
/// replays nothing.
pub(crate) fn replay(
    path: &Path,
    mut submit: impl FnMut(&str) -> Replayed,
) -> Result<ReplayReport, Error> {
    match fs::symlink_metadata(path) {
        Ok(m) if !m.file_type().is_file() => {
            return Err(Error::Io(format!(
                "dead-letter replay: {} is not a regular file",
                path.display()
            )))
        }
        _ => {}
    }
    let taken = with_suffix(
        path,
        &format!(
            "{REPLAY_INFIX}{}-{}",
            std::process::id(),
            REPLAY_SEQ.fetch_add(1, Ordering::Relaxed)
        ),
    );
    // Locked before the rename: a writer that opened the file before waits, then finds it
    // renamed and reopens the path; another replay never takes it for a leftover.
    let ours = match open_locked(path, true).map_err(|e| io_err("cannot open", path, e))? {
        Some(f) => {
            fs::rename(path, &taken).map_err(|e| io_err("cannot take", path, e))?;
            Some(f)
        }
        None => None,
    };
    let mut report = ReplayReport::default();
    let leftovers =
        leftover_files(path).map_err(|e| io_err("cannot list leftovers of", path, e))?;
    for old in leftovers.iter().filter(|p| **p != taken) {
        // Held by a replay that is running: not a leftover.
        let Some(f) = open_locked(old, false).map_err(|e| io_err("cannot open", old, e))? else {
            continue;
        };
        report.leftovers += 1;
        replay_file(path, old, &f, &mut submit, &mut report)?;
    }
    if let Some(f) = ours {
        replay_file(path, &taken, &f, &mut submit, &mut report)?;
    }
    Ok(report)
}

/// Replays one taken file (locked by the caller), then removes it.
fn replay_file(
    path: &Path,
    taken: &Path,
    file: &File,
    submit: &mut impl FnMut(&str) -> Replayed,
    report: &mut ReplayReport,
) -> Result<(), Error> {
    let malformed_path = with_suffix(path, ".malformed");
    let mut back = String::new();
    let mut lines = BufReader::new(file).lines();
    let mut refused = None;
    while let Some(line) = lines.next() {
        let line = line.map_err(|e| io_err("cannot read", taken, e))?;
        if line.trim().is_empty() {
            continue;
        }
        match submit(&line) {
            Replayed::Submitted => report.submitted += 1,
            Replayed::Kept => {
                report.kept += 1;
                back.push_str(&line);
                back.push('\n');
            }
            Replayed::Malformed => {
                report.malformed += 1;
                append_locked(&malformed_path, format!("{line}\n").as_bytes())
                    .map_err(|e| io_err("cannot write", &malformed_path, e))?;
            }
            Replayed::Refused(err) => {
                back.push_str(&line);
                back.push('\n');
                for l in lines.by_ref() {
                    let l = l.map_err(|e| io_err("cannot read", taken, e))?;
                    if l.trim().is_empty() {
                        continue;
                    }
                    back.push_str(&l);
                    back.push('\n');
                }
                refused = Some(err);
                break;
            }
        }
    }
    if !back.is_empty() {
        append_locked(path, back.as_bytes())
            .map_err(|e| io_err("cannot put back into", path, e))?;
    }
    fs::remove_file(taken).map_err(|e| io_err("cannot remove", taken, e))?;
    match refused {
        Some(err) => Err(err),
        None => Ok(()),
    }
}

/// Reads one dead-letter record (or a bare JSON-lines entry) into `into`, which is reset
/// first.
///
/// Field types come back as the JSON-lines output can tell them (docs/output.md): integers
/// as i64 (u64 above i64's range), numbers with a `.` or an exponent as f64, and the
/// not-finite floats, written as the strings `"NaN"`, `"Infinity"` and `"-Infinity"`, as
/// those strings.
pub fn decode_record(line: &str, into: &mut EntryData) -> Result<(), String> {
    use serde_json::Value;
    into.reset(usize::MAX);
    let doc: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let entry = match doc.get("entry") {
        Some(e) => e,
        None => &doc,
    };
    let obj = entry.as_object().ok_or("the entry is not an object")?;
    let text = |k: &str| -> Result<Option<&str>, String> {
        match obj.get(k) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(format!("`{k}` is not a string")),
        }
    };
    let ts = text("ts")?.ok_or("no `ts`")?;
    into.set_timestamp_ns(parse_rfc3339(ts).ok_or_else(|| format!("bad `ts` {ts:?}"))?);
    if let Some(l) = text("level")? {
        into.set_level(l.parse::<Level>().map_err(|e| e.to_string())?);
    }
    into.set_message(text("msg")?.unwrap_or(""));
    into.set_trace_id(text("trace_id")?.unwrap_or(""));
    into.set_span_id(text("span_id")?.unwrap_or(""));
    if let Some(labels) = obj.get("labels") {
        let labels = labels.as_object().ok_or("`labels` is not an object")?;
        for (k, v) in labels {
            let v = v
                .as_str()
                .ok_or_else(|| format!("label {k:?} is not a string"))?;
            into.set_label(k, v).map_err(|e| e.to_string())?;
        }
    }
    if let Some(fields) = obj.get("fields") {
        let fields = fields.as_object().ok_or("`fields` is not an object")?;
        for (k, v) in fields {
            let r = match v {
                Value::String(s) => into.set_field(k, s.as_str()),
                Value::Bool(b) => into.set_field(k, *b),
                Value::Number(n) => {
                    if let Some(i) = n.as_i64() {
                        into.set_field(k, i)
                    } else if let Some(u) = n.as_u64() {
                        into.set_field(k, u)
                    } else {
                        into.set_field(k, n.as_f64().unwrap_or(f64::NAN))
                    }
                }
                _ => return Err(format!("field {k:?} is not a string, number or bool")),
            };
            r.map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ValueRef;

    fn sample() -> EntryData {
        let mut e = EntryData::new();
        e.set_timestamp_ns(1_795_812_128_123_456_789);
        e.set_level(Level::Warn);
        e.set_message("line \"one\"\nline two ]");
        e.set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
        e.set_label("service", "checkout").unwrap();
        e.set_label("zone", "é").unwrap();
        e.set_field("status", 200i64).unwrap();
        e.set_field("neg", -3i64).unwrap();
        e.set_field("big", u64::MAX).unwrap();
        e.set_field("latency_ms", 12.5).unwrap();
        e.set_field("whole", 200.0).unwrap();
        e.set_field("tiny", 5e-324).unwrap();
        e.set_field("ok", true).unwrap();
        e.set_field("path", "/a\\b").unwrap();
        e
    }

    #[test]
    fn records_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dead.jsonl");
        let mut d = DeadLetters::new(Some(path.clone()), "loki-0");
        assert_eq!(d.path(), Some(path.as_path()));
        // Nothing to write: no file either (and no sync).
        assert_eq!(d.write([], "HTTP 400: bad", 1).unwrap(), 0);
        assert!(!path.exists());
        let e = sample();
        assert_eq!(d.write([&e, &e], "HTTP 400: bad", 1).unwrap(), 2);
        let text = fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(v["sink"], "loki-0");
        assert_eq!(v["error"], "HTTP 400: bad");
        assert_eq!(v["attempts"], 1);
        assert_eq!(v["entry"]["msg"], "line \"one\"\nline two ]");
        let mut back = EntryData::new();
        back.set_label("stale", "x").unwrap();
        decode_record(lines[1], &mut back).unwrap();
        assert_eq!(back, e);
        assert_eq!(back.field("big"), Some(ValueRef::U64(u64::MAX)));
        assert_eq!(back.field("whole"), Some(ValueRef::F64(200.0)));
    }

    #[test]
    fn no_path_writes_nothing() {
        let mut d = DeadLetters::new(None, "s");
        assert_eq!(d.path(), None);
        assert_eq!(d.write([&sample()], "e", 3).unwrap(), 0);
    }

    #[test]
    fn malformed_records_are_refused() {
        let mut e = EntryData::new();
        for bad in [
            "",
            "[]",
            "{\"entry\":1}",
            "{\"entry\":{}}",
            "{\"entry\":{\"ts\":\"yesterday\"}}",
            "{\"entry\":{\"ts\":\"2026-11-27T20:42:08Z\",\"level\":\"loud\"}}",
            "{\"entry\":{\"ts\":\"2026-11-27T20:42:08Z\",\"labels\":{\"a\":1}}}",
            "{\"entry\":{\"ts\":\"2026-11-27T20:42:08Z\",\"fields\":{\"a\":[1]}}}",
        ] {
            assert!(decode_record(bad, &mut e).is_err(), "{bad}");
        }
    }

    #[test]
    fn replay_takes_the_file_and_puts_back_refusals() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dead.jsonl");
        let mut d = DeadLetters::new(Some(path.clone()), "s");
        let e = sample();
        d.write([&e, &e, &e], "x", 2).unwrap();
        fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"not a record\n\n")
            .unwrap();
        d.write([&e], "x", 2).unwrap();

        // The second entry is refused: it and the rest go back, the malformed line included.
        let mut n = 0;
        let err = replay(&path, |line| {
            let mut back = EntryData::new();
            if decode_record(line, &mut back).is_err() {
                return Replayed::Malformed;
            }
            assert_eq!(back, e);
            n += 1;
            if n == 2 {
                Replayed::Refused(Error::QueueFull)
            } else {
                Replayed::Submitted
            }
        })
        .unwrap_err();
        assert_eq!(err, Error::QueueFull);
        let back = fs::read_to_string(&path).unwrap();
        assert_eq!(back.lines().count(), 4, "{back}");

        // Now everything goes through; the malformed line is set aside.
        let report = replay(&path, |line| {
            let mut back = EntryData::new();
            match decode_record(line, &mut back) {
                Ok(()) => Replayed::Submitted,
                Err(_) => Replayed::Malformed,
            }
        })
        .unwrap();
        assert_eq!(
            report,
            ReplayReport {
                submitted: 3,
                malformed: 1,
                ..ReplayReport::default()
            }
        );
        assert!(!path.exists());
        let mal = fs::read_to_string(dir.path().join("dead.jsonl.malformed")).unwrap();
        assert_eq!(mal, "not a record\n");
        // Nothing left behind but the malformed lines.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        // A missing file replays nothing.
        assert_eq!(
            replay(&path, |_| unreachable!()).unwrap(),
            ReplayReport::default()
        );
        // A directory is never taken.
        let err = replay(dir.path(), |_| unreachable!()).unwrap_err();
        assert!(
            matches!(&err, Error::Io(m) if m.contains("not a regular file")),
            "{err}"
        );
        assert!(dir.path().is_dir());
    }

    #[test]
    fn a_writer_racing_a_replay_loses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dead.jsonl");
        let e = sample();
        let written = std::thread::scope(|s| {
            let w = s.spawn(|| {
                let mut d = DeadLetters::new(Some(path.clone()), "s");
                let mut n = 0;
                for _ in 0..300 {
                    n += d.write([&e], "x", 1).unwrap();
                }
                n
            });
            let mut replayed = 0;
            while !w.is_finished() {
                replayed += replay(&path, |_| Replayed::Submitted).unwrap().submitted;
            }
            replayed += replay(&path, |_| Replayed::Submitted).unwrap().submitted;
            (w.join().unwrap(), replayed)
        });
        assert_eq!(written.0, 300);
        assert_eq!(written.1, 300);
    }

    /// How many of this process's file descriptors are open on the file at `path`.
    fn fds_on(path: &Path) -> usize {
        let path = fs::canonicalize(path).unwrap();
        fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter_map(|d| fs::read_link(d.ok()?.path()).ok())
            .filter(|p| *p == path)
            .count()
    }

    /// Replays `path` on another thread while this one holds the lock on the file there:
    /// once the replay has opened that file (and so waits for the lock), runs `meanwhile`,
    /// then lets go of the lock. Returns the messages the replay submitted and its result.
    fn replay_waiting_for_the_lock(
        path: &Path,
        meanwhile: impl FnOnce(),
    ) -> (Vec<String>, Result<ReplayReport, Error>) {
        let held = File::open(path).unwrap();
        held.lock().unwrap();
        std::thread::scope(|s| {
            let replaying = s.spawn(|| {
                let mut seen = Vec::new();
                let r = replay(path, |line| {
                    let mut e = EntryData::new();
                    decode_record(line, &mut e).unwrap();
                    seen.push(e.message().to_owned());
                    Replayed::Submitted
                });
                (seen, r)
            });
            while fds_on(path) < 2 {
                assert!(
                    !replaying.is_finished(),
                    "the replay did not wait for the lock"
                );
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            meanwhile();
            drop(held);
            replaying.join().unwrap()
        })
    }

    fn entry(msg: &str) -> EntryData {
        let mut e = sample();
        e.set_message(msg);
        e
    }

    #[test]
    fn a_replay_reads_the_file_that_replaced_the_one_it_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dead.jsonl");
        let moved = dir.path().join("elsewhere.jsonl");
        let mut d = DeadLetters::new(Some(path.clone()), "s");
        d.write([&entry("old")], "x", 1).unwrap();
        let (seen, r) = replay_waiting_for_the_lock(&path, || {
            // Another process takes the file away and a writer starts a new one.
            fs::rename(&path, &moved).unwrap();
            d.write([&entry("new")], "x", 1).unwrap();
        });
        assert_eq!(r.unwrap().submitted, 1);
        assert_eq!(seen, ["new"]);
        assert!(!path.exists());
        // The file it had opened is not its to take: left whole where it went.
        let old = fs::read_to_string(&moved).unwrap();
        assert_eq!(old.lines().count(), 1);
        assert!(old.contains("\"msg\":\"old\""), "{old}");
    }

    #[test]
    fn a_replay_whose_file_went_away_while_it_waited_replays_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dead.jsonl");
        let moved = dir.path().join("elsewhere.jsonl");
        DeadLetters::new(Some(path.clone()), "s")
            .write([&entry("taken")], "x", 1)
            .unwrap();
        let (seen, r) = replay_waiting_for_the_lock(&path, || fs::rename(&path, &moved).unwrap());
        assert_eq!(r.unwrap(), ReplayReport::default());
        assert!(seen.is_empty());
        assert_eq!(fs::read_to_string(&moved).unwrap().lines().count(), 1);
    }

    #[test]
    fn a_dead_letter_path_that_cannot_be_looked_at_is_an_error_not_an_empty_file() {
        let dir = tempfile::tempdir().unwrap();
        // Under a regular file: not absent, but not a path that can be opened either.
        let file = dir.path().join("file");
        fs::write(&file, "").unwrap();
        let err = replay(&file.join("dead.jsonl"), |_| unreachable!()).unwrap_err();
        assert!(
            matches!(&err, Error::Io(m) if m.contains("cannot open")),
            "{err}"
        );

        // The same once the file is opened: its directory replaced by a regular file while
        // the replay waits for the lock.
        let sub = dir.path().join("sub");
        fs::create_dir(&sub).unwrap();
        let path = sub.join("dead.jsonl");
        DeadLetters::new(Some(path.clone()), "s")
            .write([&entry("kept")], "x", 1)
            .unwrap();
        let (seen, r) = replay_waiting_for_the_lock(&path, || {
            fs::rename(&sub, dir.path().join("sub.moved")).unwrap();
            fs::write(&sub, "").unwrap();
        });
        let err = r.unwrap_err();
        assert!(
            matches!(&err, Error::Io(m) if m.contains("cannot open")),
            "{err}"
        );
        assert!(seen.is_empty());
        let kept = dir.path().join("sub.moved").join("dead.jsonl");
        assert_eq!(fs::read_to_string(kept).unwrap().lines().count(), 1);
    }
}
