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
    /// Entries re-submitted to the pipeline.
    pub submitted: u64,
    /// Lines that were not dead-letter records; they were moved to `<path>.malformed`.
    pub malformed: u64,
}

/// What the pipeline did with one replayed line.
pub(crate) enum Replayed {
    /// Re-submitted.
    Submitted,
    /// Not a dead-letter record.
    Malformed,
    /// The pipeline refused it (closed, or a full queue): it goes back to the file.
    Refused(Error),
}

static REPLAY_SEQ: AtomicU64 = AtomicU64::new(0);

/// Replays the dead-letter file at `path`, handing each line to `submit`.
///
/// The file is first renamed to `<path>.replay-<pid>-<n>`, so entries that fail again during
/// the replay are dead-lettered into a fresh file at `path`, never read twice. On success the
/// renamed file is deleted. If the pipeline refuses an entry, that line and every line after
/// it are appended back to `path` and the refusal is returned. A missing file replays nothing.
pub(crate) fn replay(
    path: &Path,
    mut submit: impl FnMut(&str) -> Replayed,
) -> Result<ReplayReport, Error> {
    let io_err = |what: &str, p: &Path, e: io::Error| {
        Error::Io(format!("dead-letter replay: {what} {}: {e}", p.display()))
    };
    let mut taken = path.as_os_str().to_owned();
    taken.push(format!(
        ".replay-{}-{}",
        std::process::id(),
        REPLAY_SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let taken = PathBuf::from(taken);
    match fs::symlink_metadata(path) {
        Ok(m) if !m.file_type().is_file() => {
            return Err(Error::Io(format!(
                "dead-letter replay: {} is not a regular file",
                path.display()
            )))
        }
        _ => {}
    }
    match fs::rename(path, &taken) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(ReplayReport::default()),
        Err(e) => return Err(io_err("cannot take", path, e)),
    }
    let file = File::open(&taken).map_err(|e| io_err("cannot open", &taken, e))?;
    // Waits for a writer that opened the file before the rename to finish its append.
    file.lock().map_err(|e| io_err("cannot lock", &taken, e))?;
    let mut malformed_path = path.as_os_str().to_owned();
    malformed_path.push(".malformed");
    let malformed_path = PathBuf::from(malformed_path);
    let mut report = ReplayReport::default();
    let mut lines = BufReader::new(&file).lines();
    while let Some(line) = lines.next() {
        let line = line.map_err(|e| io_err("cannot read", &taken, e))?;
        if line.trim().is_empty() {
            continue;
        }
        match submit(&line) {
            Replayed::Submitted => report.submitted += 1,
            Replayed::Malformed => {
                report.malformed += 1;
                append_locked(&malformed_path, format!("{line}\n").as_bytes())
                    .map_err(|e| io_err("cannot write", &malformed_path, e))?;
            }
            Replayed::Refused(err) => {
                let mut rest = format!("{line}\n");
                for l in lines.by_ref() {
                    let l = l.map_err(|e| io_err("cannot read", &taken, e))?;
                    if l.trim().is_empty() {
                        continue;
                    }
                    rest.push_str(&l);
                    rest.push('\n');
                }
                append_locked(path, rest.as_bytes())
                    .map_err(|e| io_err("cannot put back into", path, e))?;
                let _ = fs::remove_file(&taken);
                return Err(err);
            }
        }
    }
    fs::remove_file(&taken).map_err(|e| io_err("cannot remove", &taken, e))?;
    Ok(report)
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
                malformed: 1
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
}
