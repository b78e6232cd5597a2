//! Writes the packed-record test vectors shared by the Rust, C, Go and Node tests.
//!
//! ```text
//! cargo run --example gen_vectors > tests/vectors/records.json
//! ```
//!
//! Valid vectors are encoded by `logcap_core::record::encode` from the entry written beside them,
//! so every other encoder can be checked byte for byte against the same input; the
//! `decode_only` ones are hand-built bytes whose entry is what decoding gives. Malformed
//! vectors are checked here against the decoder before they are written.

use logcap_core::entry::{MAX_FIELDS, MAX_LABELS};
use logcap_core::record::{
    decode_into, encode, Record, RecordErrorKind, HEADER_LEN, MAX_KEY_BYTES, MAX_RECORD_BYTES,
};
use logcap_core::{EntryData, Level, Value, ValueRef};
use serde::Serialize;
use serde_json::json;

#[derive(Serialize)]
struct Vectors {
    comment: &'static str,
    version: u8,
    valid: Vec<Valid>,
    malformed: Vec<Malformed>,
}

#[derive(Serialize)]
struct Valid {
    name: &'static str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    decode_only: bool,
    hex: String,
    entry: JsonEntry,
}

#[derive(Serialize)]
struct Malformed {
    name: &'static str,
    hex: String,
    error: &'static str,
    offset: usize,
}

#[derive(Serialize)]
struct JsonEntry {
    timestamp_ns: String,
    level: &'static str,
    message: String,
    trace_id: Option<String>,
    span_id: Option<String>,
    labels: Vec<[String; 2]>,
    fields: Vec<JsonField>,
}

#[derive(Serialize)]
struct JsonField {
    key: String,
    #[serde(rename = "type")]
    kind: &'static str,
    value: serde_json::Value,
}

/// An entry as the input of an encoder.
struct Input {
    timestamp_ns: u64,
    level: Level,
    message: String,
    trace_id: String,
    span_id: String,
    labels: Vec<(String, String)>,
    fields: Vec<(String, Value)>,
}

impl Default for Input {
    fn default() -> Self {
        Input {
            timestamp_ns: 0,
            level: Level::Info,
            message: String::new(),
            trace_id: String::new(),
            span_id: String::new(),
            labels: Vec::new(),
            fields: Vec::new(),
        }
    }
}

fn strs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn vals(pairs: Vec<(&str, Value)>) -> Vec<(String, Value)> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

impl Input {
    fn encode(&self) -> Vec<u8> {
        let labels: Vec<(&str, &str)> = self
            .labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let fields: Vec<(&str, ValueRef<'_>)> = self
            .fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_ref()))
            .collect();
        let rec = Record {
            timestamp_ns: self.timestamp_ns,
            level: self.level,
            message: &self.message,
            trace_id: &self.trace_id,
            span_id: &self.span_id,
            labels: &labels,
            fields: &fields,
        };
        let mut out = Vec::new();
        encode(&rec, &mut out).expect("a valid vector's input encodes");
        out
    }

    fn json(&self) -> JsonEntry {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        JsonEntry {
            timestamp_ns: self.timestamp_ns.to_string(),
            level: self.level.as_str(),
            message: self.message.clone(),
            trace_id: opt(&self.trace_id),
            span_id: opt(&self.span_id),
            labels: self
                .labels
                .iter()
                .map(|(k, v)| [k.clone(), v.clone()])
                .collect(),
            fields: self
                .fields
                .iter()
                .map(|(k, v)| json_field(k, v.as_ref()))
                .collect(),
        }
    }

    fn from_entry(e: &EntryData) -> Input {
        Input {
            timestamp_ns: e.timestamp_ns(),
            level: e.level(),
            message: e.message().to_string(),
            trace_id: e.trace_id().unwrap_or("").to_string(),
            span_id: e.span_id().unwrap_or("").to_string(),
            labels: e
                .labels()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            fields: e
                .fields()
                .map(|(k, v)| (k.to_string(), v.to_owned_value()))
                .collect(),
        }
    }
}

fn json_field(key: &str, v: ValueRef<'_>) -> JsonField {
    // 64-bit integers as decimal strings: JavaScript numbers hold 53 bits.
    let (kind, value) = match v {
        ValueRef::Str(s) => ("str", json!(s)),
        ValueRef::I64(n) => ("i64", json!(n.to_string())),
        ValueRef::U64(n) => ("u64", json!(n.to_string())),
        ValueRef::F64(n) => {
            assert!(n.is_finite(), "JSON has no NaN or infinity");
            ("f64", json!(n))
        }
        ValueRef::Bool(b) => ("bool", json!(b)),
    };
    JsonField {
        key: key.to_string(),
        kind,
        value,
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Bytes written by hand, for records the encoder will not write.
#[derive(Default)]
struct Raw(Vec<u8>);

impl Raw {
    fn header(level: u8, timestamp_ns: u64, labels: u16, fields: u16) -> Raw {
        let mut r = Raw(b"LC\x01".to_vec());
        r.0.push(level);
        r.0.extend_from_slice(&[0; 4]);
        r.0.extend_from_slice(&timestamp_ns.to_le_bytes());
        r.0.extend_from_slice(&labels.to_le_bytes());
        r.0.extend_from_slice(&fields.to_le_bytes());
        r
    }
    fn str(mut self, s: &[u8]) -> Raw {
        self.0.extend_from_slice(&(s.len() as u32).to_le_bytes());
        self.0.extend_from_slice(s);
        self
    }
    fn bytes(mut self, b: &[u8]) -> Raw {
        self.0.extend_from_slice(b);
        self
    }
    /// The bytes, with the length field set to their count.
    fn finish(mut self) -> Vec<u8> {
        let n = self.0.len() as u32;
        self.0[4..8].copy_from_slice(&n.to_le_bytes());
        self.0
    }
}

fn valid_inputs() -> Vec<(&'static str, Input)> {
    let controls: String = (0u32..0x20)
        .chain(0x7f..0xa0)
        .filter_map(char::from_u32)
        .collect();
    vec![
        (
            // /work/shared/standard-event.json, the event every binding benchmarks.
            "standard_event",
            Input {
                timestamp_ns: 1_735_689_600_000_000_000,
                level: Level::Info,
                message: "request completed".into(),
                labels: strs(&[
                    ("service", "checkout"),
                    ("env", "prod"),
                    ("host", "web-1"),
                    ("region", "eu-west-1"),
                ]),
                fields: vals(vec![
                    ("method", Value::Str("GET".into())),
                    ("path", Value::Str("/api/v1/orders/12345".into())),
                    ("status", Value::I64(200)),
                    ("latency_ms", Value::F64(12.5)),
                    ("user_id", Value::Str("u-998877".into())),
                    ("cache_hit", Value::Bool(true)),
                ]),
                ..Input::default()
            },
        ),
        (
            "empty",
            Input {
                level: Level::Trace,
                ..Input::default()
            },
        ),
        (
            "trace_and_span",
            Input {
                timestamp_ns: 1,
                level: Level::Debug,
                message: "with trace context".into(),
                trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
                span_id: "00f067aa0ba902b7".into(),
                labels: strs(&[("service", "checkout")]),
                ..Input::default()
            },
        ),
        (
            "trace_id_only",
            Input {
                timestamp_ns: 2,
                message: "no span".into(),
                trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
                ..Input::default()
            },
        ),
        (
            "every_value_type",
            Input {
                timestamp_ns: u64::MAX,
                level: Level::Warn,
                message: "every value type".into(),
                fields: vals(vec![
                    ("str", Value::Str("text".into())),
                    ("str_empty", Value::Str(String::new())),
                    ("i64_min", Value::I64(i64::MIN)),
                    ("i64_max", Value::I64(i64::MAX)),
                    ("i64_minus_one", Value::I64(-1)),
                    ("i64_zero", Value::I64(0)),
                    ("u64_max", Value::U64(u64::MAX)),
                    ("u64_zero", Value::U64(0)),
                    ("f64_negative_zero", Value::F64(-0.0)),
                    ("f64_1e300", Value::F64(1e300)),
                    ("f64_max", Value::F64(f64::MAX)),
                    ("f64_min_subnormal", Value::F64(5e-324)),
                    ("f64_tenth", Value::F64(0.1)),
                    ("f64_negative", Value::F64(-12.5)),
                    ("bool_true", Value::Bool(true)),
                    ("bool_false", Value::Bool(false)),
                ]),
                ..Input::default()
            },
        ),
        (
            "unicode",
            Input {
                timestamp_ns: 1_735_689_600_000_000_001,
                level: Level::Error,
                message: "héllo wörld — 日本語のログ 🎉👍🏽".into(),
                labels: strs(&[("region", "東京"), ("键", "值")]),
                fields: vals(vec![
                    ("emoji_🔥", Value::Str("👨‍👩‍👧‍👦".into())),
                    ("名前", Value::Str("テスト".into())),
                ]),
                ..Input::default()
            },
        ),
        (
            "control_chars",
            Input {
                timestamp_ns: 3,
                level: Level::Fatal,
                message: controls.clone(),
                labels: vec![("controls".into(), controls.clone())],
                fields: vec![("controls".into(), Value::Str(controls))],
                ..Input::default()
            },
        ),
        (
            "longest_key",
            Input {
                timestamp_ns: 4,
                labels: vec![("l".repeat(MAX_KEY_BYTES), "v".into())],
                fields: vec![("f".repeat(MAX_KEY_BYTES), Value::U64(1))],
                ..Input::default()
            },
        ),
    ]
}

/// Hand-built records whose decoded entry differs from their bytes' literal contents.
fn decode_only_inputs() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "invalid_utf8_replaced",
            Raw::header(2, 42, 1, 2)
                .str(b"bad \xff byte")
                .str(b"t\xc3")
                .str(b"")
                .str(b"k\xe2\x82")
                .str(b"\xed\xa0\x80") // a surrogate: three replacements
                .str(b"f\x80")
                .bytes(&[0])
                .str(b"cut \xf0\x9f\x98 emoji")
                .str(b"\xc0\xafok") // an overlong '/': two replacements
                .bytes(&[0])
                .str(b"\xf4\x90\x80\x80") // above U+10FFFF
                .finish(),
        ),
        (
            "duplicate_keys_last_wins",
            Raw::header(2, 0, 3, 3)
                .str(b"duplicates")
                .str(b"")
                .str(b"")
                .str(b"a")
                .str(b"first")
                .str(b"b")
                .str(b"only")
                .str(b"a")
                .str(b"last")
                .str(b"x")
                .bytes(&[1])
                .bytes(&7i64.to_le_bytes())
                .str(b"y")
                .bytes(&[4, 0])
                .str(b"x")
                .bytes(&[0])
                .str(b"now text")
                .finish(),
        ),
    ]
}

/// The base of most malformed vectors: message "m", label k=v, field f=true.
/// Offsets: message 20, label 33 (value 38), field 43 (type 48, value 49), length 50.
fn base() -> Vec<u8> {
    let mut out = Vec::new();
    let rec = Record {
        timestamp_ns: 1,
        message: "m",
        labels: &[("k", "v")],
        fields: &[("f", ValueRef::Bool(true))],
        ..Record::default()
    };
    encode(&rec, &mut out).expect("the base record encodes");
    assert_eq!(out.len(), 50);
    out
}

fn patched(at: usize, bytes: &[u8]) -> Vec<u8> {
    let mut b = base();
    b[at..at + bytes.len()].copy_from_slice(bytes);
    b
}

fn relength(mut b: Vec<u8>) -> Vec<u8> {
    let n = b.len() as u32;
    b[4..8].copy_from_slice(&n.to_le_bytes());
    b
}

fn malformed_inputs() -> Vec<(&'static str, Vec<u8>, RecordErrorKind, usize)> {
    use RecordErrorKind::*;
    let le16 = |n: usize| (n as u16).to_le_bytes();
    let le32 = |n: usize| (n as u32).to_le_bytes();
    let one_field = |key: &[u8], rest: &[u8]| {
        Raw::header(2, 0, 0, 1)
            .str(b"")
            .str(b"")
            .str(b"")
            .str(key)
            .bytes(rest)
            .finish()
    };
    let mut with_extra = base();
    with_extra.push(0);
    vec![
        ("bad_magic", patched(0, b"X"), BadMagic, 0),
        ("bad_magic_lower_case", patched(0, b"lc"), BadMagic, 0),
        (
            "unsupported_version_0",
            patched(2, &[0]),
            UnsupportedVersion,
            2,
        ),
        (
            "unsupported_version_2",
            patched(2, &[2]),
            UnsupportedVersion,
            2,
        ),
        ("bad_level_6", patched(3, &[6]), BadLevel, 3),
        ("bad_level_255", patched(3, &[255]), BadLevel, 3),
        (
            "length_mismatch_buffer_longer",
            with_extra.clone(),
            LengthMismatch,
            4,
        ),
        (
            "length_mismatch_buffer_shorter",
            base()[..49].to_vec(),
            LengthMismatch,
            4,
        ),
        (
            "length_mismatch_zero",
            patched(4, &[0; 4]),
            LengthMismatch,
            4,
        ),
        ("truncated_empty", Vec::new(), Truncated, 0),
        ("truncated_magic_only", b"LC".to_vec(), Truncated, 2),
        ("truncated_in_length", base()[..6].to_vec(), Truncated, 4),
        (
            "truncated_header",
            relength(base()[..12].to_vec()),
            Truncated,
            8,
        ),
        ("truncated_string", patched(20, &le32(1000)), Truncated, 20),
        (
            "truncated_before_type",
            relength(base()[..48].to_vec()),
            Truncated,
            48,
        ),
        (
            "truncated_value",
            one_field(b"n", &[1, 0, 0, 0, 0]),
            Truncated,
            HEADER_LEN + 12 + 5 + 1,
        ),
        (
            "too_large",
            patched(4, &le32(MAX_RECORD_BYTES + 1)),
            TooLarge,
            4,
        ),
        ("too_large_u32_max", patched(4, &[0xff; 4]), TooLarge, 4),
        (
            "too_many_labels",
            patched(16, &le16(MAX_LABELS + 1)),
            TooManyLabels,
            16,
        ),
        (
            "too_many_fields",
            patched(18, &le16(MAX_FIELDS + 1)),
            TooManyFields,
            18,
        ),
        ("empty_label_key", patched(33, &le32(0)), EmptyKey, 33),
        (
            "empty_field_key",
            one_field(b"", &[4, 1]),
            EmptyKey,
            HEADER_LEN + 12,
        ),
        (
            "key_too_long",
            one_field(&[b'k'; MAX_KEY_BYTES + 1], &[4, 1]),
            KeyTooLong,
            HEADER_LEN + 12,
        ),
        ("bad_value_type_5", patched(48, &[5]), BadValueType, 48),
        ("bad_value_type_255", patched(48, &[255]), BadValueType, 48),
        ("bad_bool_2", patched(49, &[2]), BadBool, 49),
        ("bad_bool_255", patched(49, &[255]), BadBool, 49),
        ("trailing_bytes", relength(with_extra), TrailingBytes, 50),
        (
            "trailing_bytes_field_uncounted",
            patched(18, &le16(0)),
            TrailingBytes,
            43,
        ),
    ]
}

fn main() {
    let mut valid = Vec::new();
    for (name, input) in valid_inputs() {
        valid.push(Valid {
            name,
            decode_only: false,
            hex: hex(&input.encode()),
            entry: input.json(),
        });
    }
    for (name, bytes) in decode_only_inputs() {
        let mut e = EntryData::new();
        decode_into(&bytes, &mut e).expect("a decode-only vector decodes");
        valid.push(Valid {
            name,
            decode_only: true,
            hex: hex(&bytes),
            entry: Input::from_entry(&e).json(),
        });
    }

    let mut malformed = Vec::new();
    let mut covered = Vec::new();
    for (name, bytes, kind, offset) in malformed_inputs() {
        let mut e = EntryData::new();
        let err = decode_into(&bytes, &mut e).expect_err(name);
        assert_eq!((err.kind, err.offset), (kind, offset), "{name}");
        covered.push(kind);
        malformed.push(Malformed {
            name,
            hex: hex(&bytes),
            error: kind.name(),
            offset,
        });
    }
    for kind in RecordErrorKind::ALL {
        assert!(covered.contains(&kind), "no malformed vector for {kind:?}");
    }

    let vectors = Vectors {
        comment: "Packed record test vectors (docs/record-format.md). Generated by \
                  `cargo run --example gen_vectors`; do not edit by hand.",
        version: logcap_core::record::VERSION,
        valid,
        malformed,
    };
    let text = serde_json::to_string_pretty(&vectors).expect("vectors serialize");
    println!("{text}");
}
