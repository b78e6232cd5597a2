//! The shared limit vectors (tests/vectors/limits.json) through every Rust-side API: the
//! locked `Entry`, the C ABI's handle calls, the packed record and the record writer. Each case gets the same
//! result and the same counts whichever way the entry is made.

use logcap::entry::*;
use logcap::pipeline::*;
use logcap::result::logcap_result;
use logcap::writer::*;
use logcap_core::{Error, Pipeline, Stats};
use serde::Deserialize;

#[derive(Deserialize)]
struct Vectors {
    limits: Limits,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Limits {
    max_labels: usize,
    max_fields: usize,
    max_key_bytes: usize,
    max_message_bytes: usize,
    max_record_bytes: usize,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    labels: usize,
    fields: usize,
    message_bytes: usize,
    #[serde(default)]
    long_label_key: Option<usize>,
    #[serde(default)]
    long_field_key: Option<usize>,
    result: String,
}

impl Case {
    fn message(&self) -> String {
        "m".repeat(self.message_bytes)
    }
    fn labels(&self) -> Vec<(String, String)> {
        let mut l: Vec<_> = (0..self.labels)
            .map(|i| (format!("l{i}"), "v".to_owned()))
            .collect();
        if let Some(n) = self.long_label_key {
            l.push(("k".repeat(n), "v".to_owned()));
        }
        l
    }
    fn fields(&self) -> Vec<(String, i64)> {
        let mut f: Vec<_> = (0..self.fields)
            .map(|i| (format!("f{i}"), i as i64))
            .collect();
        if let Some(n) = self.long_field_key {
            f.push(("k".repeat(n), 0));
        }
        f
    }
    /// The case as one packed record (docs/record-format.md), written by hand: the library's
    /// own encoder refuses what is over a limit, and the point is to hand that to submit.
    fn record(&self) -> Vec<u8> {
        fn str(out: &mut Vec<u8>, s: &str) {
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        let (labels, fields) = (self.labels(), self.fields());
        let mut out = b"LC".to_vec();
        out.push(1); // version
        out.push(2); // info
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&0u64.to_le_bytes());
        out.extend_from_slice(&(labels.len() as u16).to_le_bytes());
        out.extend_from_slice(&(fields.len() as u16).to_le_bytes());
        str(&mut out, &self.message());
        str(&mut out, "");
        str(&mut out, "");
        for (k, v) in &labels {
            str(&mut out, k);
            str(&mut out, v);
        }
        for (k, v) in &fields {
            str(&mut out, k);
            out.push(1); // i64
            out.extend_from_slice(&v.to_le_bytes());
        }
        let n = out.len() as u32;
        out[4..8].copy_from_slice(&n.to_le_bytes());
        out
    }
}

fn vectors() -> Vectors {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/limits.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn name_of(rc: logcap_result) -> &'static str {
    match rc {
        logcap_result::Ok => "LOGCAP_RESULT_OK",
        logcap_result::Limit => "LOGCAP_RESULT_LIMIT",
        logcap_result::MalformedRecord => "LOGCAP_RESULT_MALFORMED_RECORD",
        _ => "other",
    }
}

/// Checks the counts a case must leave, (refused_limit, submitted) before and after: one
/// refusal or one submit.
fn check_counts(what: &str, case: &Case, before: (u64, u64), after: (u64, u64)) {
    let refused = u64::from(case.result == "LOGCAP_RESULT_LIMIT");
    assert_eq!(
        (after.0 - before.0, after.1 - before.1),
        (refused, 1 - refused),
        "{what}, {}",
        case.name
    );
}

fn counts(s: &Stats) -> (u64, u64) {
    (s.refused_limit, s.submitted)
}

fn c_counts(p: *const logcap_pipeline) -> (u64, u64) {
    let mut s = std::mem::MaybeUninit::<logcap::types::logcap_stats>::zeroed();
    assert_eq!(logcap_pipeline_stats(p, s.as_mut_ptr()), logcap_result::Ok);
    // SAFETY: logcap_pipeline_stats returned OK, so it wrote the whole struct.
    let s = unsafe { s.assume_init() };
    (s.refused_limit, s.submitted)
}

const CONFIG: &str = r#"{"sinks":[{"type":"null"}]}"#;

#[test]
fn the_limits_are_the_library_s() {
    let v = vectors();
    let l = &v.limits;
    assert_eq!(l.max_labels, logcap_core::entry::MAX_LABELS);
    assert_eq!(l.max_fields, logcap_core::entry::MAX_FIELDS);
    assert_eq!(l.max_key_bytes, logcap_core::entry::MAX_KEY_BYTES);
    assert_eq!(l.max_message_bytes, logcap_core::entry::MAX_MESSAGE_BYTES);
    assert_eq!(l.max_record_bytes, logcap_core::record::MAX_RECORD_BYTES);
    assert!(v.cases.len() >= 10);
}

#[test]
fn rust_entry_api() {
    let p = Pipeline::from_json(CONFIG).unwrap();
    for case in vectors().cases {
        let before = p.stats();
        let e = p.acquire();
        e.set_message(&case.message());
        let mut r = Ok(());
        for (k, val) in case.labels() {
            r = r.and_then(|()| e.set_label(&k, &val).map_err(Error::Entry));
        }
        for (k, val) in case.fields() {
            r = r.and_then(|()| e.set_field(&k, val).map_err(Error::Entry));
        }
        let r = match r {
            Ok(()) => p.submit(e),
            Err(err) => Err(err),
        };
        let got = match r {
            Ok(()) => "LOGCAP_RESULT_OK",
            Err(Error::Entry(_)) => "LOGCAP_RESULT_LIMIT",
            Err(e) => panic!("{}: {e}", case.name),
        };
        assert_eq!(got, case.result, "{}", case.name);
        check_counts("Entry", &case, counts(&before), counts(&p.stats()));
    }
}

#[test]
fn c_handle_api_and_packed_record() {
    let mut p = std::ptr::null_mut();
    assert_eq!(
        logcap_pipeline_new(CONFIG.as_ptr(), CONFIG.len(), &mut p),
        logcap_result::Ok
    );
    for case in vectors().cases {
        // The handle API: the first refused call gives the result; the entry is then released.
        let before = c_counts(p);
        let mut e = std::ptr::null_mut();
        assert_eq!(logcap_acquire(p, &mut e), logcap_result::Ok);
        let m = case.message();
        let mut rc = logcap_entry_set_message(e, m.as_ptr(), m.len());
        for (k, val) in case.labels() {
            if rc == logcap_result::Ok {
                rc = logcap_set_label(e, k.as_ptr(), k.len(), val.as_ptr(), val.len());
            }
        }
        for (k, val) in case.fields() {
            if rc == logcap_result::Ok {
                rc = logcap_entry_set_field_i64(e, k.as_ptr(), k.len(), val);
            }
        }
        if rc == logcap_result::Ok {
            rc = logcap_submit(p, e);
        } else {
            assert_eq!(logcap_release(e), logcap_result::Ok);
        }
        assert_eq!(name_of(rc), case.result, "handle API, {}", case.name);
        check_counts("handle API", &case, before, c_counts(p));

        // The packed record: the same result, the same counts.
        let before = c_counts(p);
        let rec = case.record();
        let rc = logcap_pipeline_submit_record(p, rec.as_ptr(), rec.len());
        assert_eq!(name_of(rc), case.result, "packed record, {}", case.name);
        check_counts("packed record", &case, before, c_counts(p));
        let packed_detail = last_error();

        // The record writer: every call made (the first failure is sticky), commit gives the
        // result; the same counts, and a refusal names the packed record's error kind.
        let before = c_counts(p);
        let _ = logcap_write_begin(p, 2, m.as_ptr(), m.len());
        for (k, val) in case.labels() {
            let _ = logcap_write_label(k.as_ptr(), k.len(), val.as_ptr(), val.len());
        }
        for (k, val) in case.fields() {
            let _ = logcap_write_i64(k.as_ptr(), k.len(), val);
        }
        let rc = logcap_write_commit();
        assert_eq!(name_of(rc), case.result, "writer, {}", case.name);
        check_counts("writer", &case, before, c_counts(p));
        if rc != logcap_result::Ok {
            let kind = &packed_detail[packed_detail.rfind('(').unwrap()..];
            assert!(
                last_error().ends_with(kind),
                "writer, {}: {} is not {kind}",
                case.name,
                last_error()
            );
        }
    }
    logcap_pipeline_free(p);
}

fn last_error() -> String {
    // SAFETY: logcap_last_error returns a NUL-terminated string valid until the next failing
    // call on this thread; it is copied at once.
    unsafe { std::ffi::CStr::from_ptr(logcap::error::logcap_last_error()) }
        .to_string_lossy()
        .into_owned()
}
