//! The shared packed-record vectors (tests/vectors/records.json) against the Rust decoder and
//! encoder. The C, Go and Node tests read the same file.

use logcap_core::record::{
    decode_into, encode, encode_entry, unpack_into, Record, RecordErrorKind, Writer,
};
use logcap_core::{EntryData, Level, Value, ValueRef};
use serde::Deserialize;
use std::collections::BTreeSet;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Vectors {
    comment: String,
    version: u8,
    valid: Vec<Valid>,
    malformed: Vec<Malformed>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Valid {
    name: String,
    #[serde(default)]
    decode_only: bool,
    hex: String,
    entry: JsonEntry,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Malformed {
    name: String,
    hex: String,
    error: String,
    offset: usize,
    result: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonEntry {
    timestamp_ns: String,
    level: Level,
    message: String,
    trace_id: Option<String>,
    span_id: Option<String>,
    labels: Vec<(String, String)>,
    fields: Vec<JsonField>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonField {
    key: String,
    #[serde(rename = "type")]
    kind: String,
    value: serde_json::Value,
}

impl JsonField {
    fn value(&self) -> Value {
        let v = &self.value;
        let text = || {
            v.as_str()
                .unwrap_or_else(|| panic!("{}: not a string", self.key))
        };
        match self.kind.as_str() {
            "str" => Value::Str(text().to_owned()),
            "i64" => Value::I64(text().parse().expect("an i64 in decimal")),
            "u64" => Value::U64(text().parse().expect("a u64 in decimal")),
            "f64" => Value::F64(v.as_f64().expect("a number")),
            "bool" => Value::Bool(v.as_bool().expect("a bool")),
            other => panic!("{}: unknown type {other:?}", self.key),
        }
    }
}

impl JsonEntry {
    fn timestamp(&self) -> u64 {
        self.timestamp_ns.parse().expect("a u64 in decimal")
    }

    fn to_entry(&self) -> EntryData {
        let mut e = EntryData::new();
        e.set_timestamp_ns(self.timestamp());
        e.set_level(self.level);
        e.set_message(&self.message);
        e.set_trace_id(self.trace_id.as_deref().unwrap_or(""));
        e.set_span_id(self.span_id.as_deref().unwrap_or(""));
        for (k, v) in &self.labels {
            e.set_label(k, v).unwrap();
        }
        for f in &self.fields {
            e.set_field(&f.key, f.value().as_ref()).unwrap();
        }
        e
    }

    /// Encodes the entry as written, in order, as a binding's encoder would.
    fn encode(&self) -> Vec<u8> {
        let values: Vec<Value> = self.fields.iter().map(JsonField::value).collect();
        let labels: Vec<(&str, &str)> = self
            .labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let fields: Vec<(&str, ValueRef<'_>)> = self
            .fields
            .iter()
            .zip(&values)
            .map(|(f, v)| (f.key.as_str(), v.as_ref()))
            .collect();
        let mut out = Vec::new();
        encode(
            &Record {
                timestamp_ns: self.timestamp(),
                level: self.level,
                message: &self.message,
                trace_id: self.trace_id.as_deref().unwrap_or(""),
                span_id: self.span_id.as_deref().unwrap_or(""),
                labels: &labels,
                fields: &fields,
            },
            &mut out,
        )
        .unwrap();
        out
    }
}

fn load() -> Vectors {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/records.json");
    let text = std::fs::read_to_string(path).expect("tests/vectors/records.json");
    let v: Vectors = serde_json::from_str(&text).expect("the vectors parse");
    assert_eq!(v.version, logcap_core::record::VERSION);
    assert!(
        v.comment.contains("gen_vectors"),
        "says how it was generated"
    );
    assert!(!v.valid.is_empty() && !v.malformed.is_empty());
    v
}

fn unhex(s: &str) -> Vec<u8> {
    assert_eq!(s.len() % 2, 0, "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The canonical encoding, which tells floats apart by their bits (-0.0 from 0.0).
fn canonical(e: &EntryData) -> Vec<u8> {
    let mut out = Vec::new();
    encode_entry(e, &mut out).unwrap();
    out
}

/// A non-empty entry, to show that decoding replaces it and a refusal leaves it alone.
fn prior() -> EntryData {
    let mut e = EntryData::new();
    e.set_timestamp_ns(99);
    e.set_level(Level::Error);
    e.set_message("prior");
    e.set_trace_id("prior-trace");
    e.set_label("prior", "label").unwrap();
    e.set_field("prior", -0.0).unwrap();
    e.set_field("text", "prior text").unwrap();
    e
}

#[test]
fn valid_vectors_decode_to_their_entries() {
    for v in load().valid {
        let want = v.entry.to_entry();
        for mut e in [EntryData::new(), prior()] {
            decode_into(&unhex(&v.hex), &mut e).unwrap_or_else(|err| panic!("{}: {err}", v.name));
            assert_eq!(e, want, "{}", v.name);
            assert_eq!(canonical(&e), canonical(&want), "{}: bits differ", v.name);
        }
    }
}

#[test]
fn valid_vectors_are_what_the_encoder_writes() {
    let v = load();
    let mut encoded = 0;
    for v in v.valid.iter().filter(|v| !v.decode_only) {
        assert_eq!(hex(&v.entry.encode()), v.hex, "{}", v.name);
        encoded += 1;
    }
    assert!(encoded >= 6);
}

/// Writes a vector's entry through the incremental writer: in layout order, or with the trace
/// context last and labels and fields interleaved (which the writer moves into place).
fn write(w: &mut Writer, e: &JsonEntry, shuffled: bool) -> Vec<u8> {
    w.begin(e.level, e.message.as_bytes(), true).unwrap();
    let trace = |w: &mut Writer| {
        let t = e.trace_id.as_deref().unwrap_or("");
        let s = e.span_id.as_deref().unwrap_or("");
        w.trace(t.as_bytes(), s.as_bytes()).unwrap();
    };
    if !shuffled {
        trace(w);
    }
    let fields = e.fields.iter().map(|f| (f.key.as_bytes(), f.value()));
    let mut labels = e.labels.iter();
    for (k, v) in fields {
        if shuffled {
            if let Some((lk, lv)) = labels.next() {
                w.label(lk.as_bytes(), lv.as_bytes()).unwrap();
            }
        } else {
            for (lk, lv) in labels.by_ref() {
                w.label(lk.as_bytes(), lv.as_bytes()).unwrap();
            }
        }
        match v {
            Value::Str(s) => w.field_str(k, s.as_bytes()),
            Value::I64(n) => w.field_i64(k, n),
            Value::U64(n) => w.field_u64(k, n),
            Value::F64(n) => w.field_f64(k, n),
            Value::Bool(b) => w.field_bool(k, b),
        }
        .unwrap();
    }
    for (lk, lv) in labels {
        w.label(lk.as_bytes(), lv.as_bytes()).unwrap();
    }
    if shuffled {
        trace(w);
    }
    w.timestamp(e.timestamp());
    let out = w.finish().to_vec();
    w.reset();
    out
}

#[test]
fn valid_vectors_are_what_the_writer_writes() {
    let v = load();
    let mut w = Writer::new();
    let mut written = 0;
    for v in v.valid.iter().filter(|v| !v.decode_only) {
        for shuffled in [false, true] {
            let out = write(&mut w, &v.entry, shuffled);
            assert_eq!(hex(&out), v.hex, "{}, shuffled: {shuffled}", v.name);
        }
        written += 1;
    }
    assert!(written >= 6);
}

#[test]
fn malformed_vectors_are_refused_with_their_error() {
    for v in load().malformed {
        let err = decode_into(&unhex(&v.hex), &mut EntryData::new()).expect_err(&v.name);
        assert_eq!(err.kind.name(), v.error, "{}", v.name);
        assert_eq!(err.offset, v.offset, "{}", v.name);
        assert!(err.to_string().contains(&format!("at byte {}", v.offset)));
        let result = if err.kind.is_limit() {
            "LOGCAP_RESULT_LIMIT"
        } else {
            "LOGCAP_RESULT_MALFORMED_RECORD"
        };
        assert_eq!(v.result, result, "{}", v.name);
    }
}

#[test]
fn malformed_vectors_leave_the_entry_untouched() {
    let before = prior();
    for v in load().malformed {
        let mut e = prior();
        assert!(decode_into(&unhex(&v.hex), &mut e).is_err(), "{}", v.name);
        assert_eq!(e, before, "{}", v.name);
        assert_eq!(canonical(&e), canonical(&before), "{}", v.name);
    }
}

#[test]
fn the_batchers_one_pass_decoder_takes_and_refuses_what_the_checked_one_does() {
    // `unpack_into` (how the batcher reads a lane's unchecked records) into an empty pooled
    // entry, as the batcher does.
    for v in load().valid {
        let mut e = EntryData::new();
        assert!(unpack_into(&unhex(&v.hex), &mut e), "{}", v.name);
        let want = v.entry.to_entry();
        assert_eq!(e, want, "{}", v.name);
        assert_eq!(canonical(&e), canonical(&want), "{}: bits differ", v.name);
    }
    for v in load().malformed {
        let mut e = EntryData::new();
        assert!(!unpack_into(&unhex(&v.hex), &mut e), "{}", v.name);
        assert_eq!(
            e,
            EntryData::new(),
            "{}: a refused record leaves the entry empty",
            v.name
        );
    }
}

#[test]
fn vectors_cover_every_error_level_and_value_type() {
    let v = load();
    let errors: BTreeSet<_> = v.malformed.iter().map(|m| m.error.as_str()).collect();
    // A message over the limit takes a quarter of a megabyte: tests/vectors/limits.json
    // describes that case instead (tests/limits.rs).
    for kind in RecordErrorKind::ALL
        .into_iter()
        .filter(|&k| k != RecordErrorKind::MessageTooLong)
    {
        assert!(
            errors.contains(kind.name()),
            "no vector for {}",
            kind.name()
        );
    }
    let encoded = || v.valid.iter().filter(|v| !v.decode_only);
    let levels: BTreeSet<_> = encoded().map(|v| v.entry.level).collect();
    assert_eq!(levels.len(), Level::ALL.len());
    let types: BTreeSet<_> = encoded()
        .flat_map(|v| v.entry.fields.iter().map(|f| f.kind.as_str()))
        .collect();
    assert_eq!(types, BTreeSet::from(["bool", "f64", "i64", "str", "u64"]));
    let names: BTreeSet<_> = v
        .valid
        .iter()
        .map(|v| &v.name)
        .chain(v.malformed.iter().map(|m| &m.name))
        .collect();
    assert_eq!(
        names.len(),
        v.valid.len() + v.malformed.len(),
        "names are unique"
    );
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
