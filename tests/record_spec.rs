//! The packed record format checked against sources the Rust encoder did not write:
//!
//! - records written out byte by byte from docs/record-format.md, annotated, compared with
//!   `logcap_core::record::encode`, with the shared vectors (tests/vectors/records.json) and decoded;
//! - a second encoder, written here from the same document without `logcap_core::record`, that
//!   must give every shared vector's bytes from the vector's JSON entry.

use logcap_core::record::{decode_into, encode, Record};
use logcap_core::{EntryData, Level, Value, ValueRef};

/// `s` as the format's `str`: a u32 little-endian length, then the bytes.
fn text(s: &[u8]) -> Vec<u8> {
    let mut v = (s.len() as u32).to_le_bytes().to_vec();
    v.extend_from_slice(s);
    v
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// A shared vector's bytes, by name.
fn vector_hex(name: &str) -> Vec<u8> {
    let doc: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/vectors/records.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let v = doc["valid"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no vector {name}"));
    unhex(v["hex"].as_str().unwrap())
}

fn unhex(h: &str) -> Vec<u8> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
        .collect()
}

fn encoded(rec: &Record<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    encode(rec, &mut out).unwrap();
    out
}

fn decoded(bytes: &[u8]) -> EntryData {
    let mut e = EntryData::new();
    decode_into(bytes, &mut e).unwrap();
    e
}

#[test]
fn the_documented_example_byte_by_byte() {
    // docs/record-format.md, "Example": info, timestamp 1 ns, message "m", label k=v, field
    // f=true; 50 bytes.
    #[rustfmt::skip]
    let want: [u8; 50] = [
        0x4c, 0x43,                                     //  0 magic "LC"
        0x01,                                           //  2 version 1
        0x02,                                           //  3 level info
        0x32, 0x00, 0x00, 0x00,                         //  4 total length 50
        0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //  8 timestamp 1
        0x01, 0x00,                                     // 16 one label
        0x01, 0x00,                                     // 18 one field
        0x01, 0x00, 0x00, 0x00, b'm',                   // 20 message "m"
        0x00, 0x00, 0x00, 0x00,                         // 25 no trace id
        0x00, 0x00, 0x00, 0x00,                         // 29 no span id
        0x01, 0x00, 0x00, 0x00, b'k',                   // 33 label key "k"
        0x01, 0x00, 0x00, 0x00, b'v',                   // 38 label value "v"
        0x01, 0x00, 0x00, 0x00, b'f',                   // 43 field key "f"
        0x04,                                           // 48 type bool
        0x01,                                           // 49 true
    ];
    let rec = Record {
        timestamp_ns: 1,
        level: Level::Info,
        message: "m",
        trace_id: "",
        span_id: "",
        labels: &[("k", "v")],
        fields: &[("f", ValueRef::Bool(true))],
    };
    assert_eq!(encoded(&rec), want);
    let e = decoded(&want);
    assert_eq!(
        (e.level(), e.timestamp_ns(), e.message()),
        (Level::Info, 1, "m")
    );
    assert_eq!((e.trace_id(), e.span_id()), (None, None));
    assert_eq!(e.label("k"), Some("v"));
    assert_eq!(e.field("f"), Some(ValueRef::Bool(true)));
}

#[test]
fn the_empty_vector_byte_by_byte() {
    // trace, timestamp 0 (stamped at submit), nothing else: the header and three empty strs.
    #[rustfmt::skip]
    let want: [u8; 32] = [
        0x4c, 0x43, 0x01,                               //  0 magic, version 1
        0x00,                                           //  3 level trace
        0x20, 0x00, 0x00, 0x00,                         //  4 total length 32
        0, 0, 0, 0, 0, 0, 0, 0,                         //  8 timestamp 0
        0x00, 0x00, 0x00, 0x00,                         // 16 no labels, no fields
        0, 0, 0, 0,                                     // 20 message ""
        0, 0, 0, 0,                                     // 24 no trace id
        0, 0, 0, 0,                                     // 28 no span id
    ];
    assert_eq!(vector_hex("empty"), want);
    let rec = Record {
        timestamp_ns: 0,
        level: Level::Trace,
        message: "",
        trace_id: "",
        span_id: "",
        labels: &[],
        fields: &[],
    };
    assert_eq!(encoded(&rec), want);
    let e = decoded(&want);
    assert_eq!(
        (e.level(), e.message(), e.label_count()),
        (Level::Trace, "", 0)
    );
}

#[test]
fn the_trace_id_only_vector_byte_by_byte() {
    let trace = b"4bf92f3577b34da6a3ce929d0e0e4736";
    let want = cat(&[
        &[0x4c, 0x43, 0x01, 0x02], // magic, version, level info
        &71u32.to_le_bytes(),      // total: 20 + (4+7) + (4+32) + 4 = 71
        &[2, 0, 0, 0, 0, 0, 0, 0], // timestamp 2
        &[0, 0, 0, 0],             // no labels, no fields
        &[7, 0, 0, 0],             // message length 7
        b"no span",                //
        &[32, 0, 0, 0],            // trace id length 32
        trace,                     //
        &[0, 0, 0, 0],             // no span id
    ]);
    assert_eq!(want.len(), 71);
    assert_eq!(vector_hex("trace_id_only"), want);
    let e = decoded(&want);
    assert_eq!(e.trace_id(), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
    assert_eq!(e.span_id(), None);
}

#[test]
fn every_value_type_byte_by_byte() {
    // fatal, timestamp 0x0102030405060708, message "hé" (é is c3 a9), span id "s", label
    // z=é, then one field of each type: the payloads little-endian, f64 as its bit pattern.
    #[rustfmt::skip]
    let want = cat(&[
        &[0x4c, 0x43, 0x01, 0x05],
        &[0x6c, 0x00, 0x00, 0x00],                         // total length 108: 20 + 7 + 4 + 5 + 11 + 12 + 3 * 14 + 7
        &[0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01], // timestamp, little-endian
        &[0x01, 0x00, 0x05, 0x00],                         // 1 label, 5 fields
        &[0x03, 0, 0, 0, b'h', 0xc3, 0xa9],                // message "hé": 3 bytes
        &[0, 0, 0, 0],                                     // no trace id
        &[0x01, 0, 0, 0, b's'],                            // span id "s"
        &[0x01, 0, 0, 0, b'z', 0x02, 0, 0, 0, 0xc3, 0xa9], // label z=é
        &[0x01, 0, 0, 0, b'a', 0x00, 0x02, 0, 0, 0, b'x', b'y'], // a: str "xy"
        &[0x01, 0, 0, 0, b'b', 0x01, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // b: i64 -2
        &[0x01, 0, 0, 0, b'c', 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0x80], // c: u64 2^63 + 256
        &[0x01, 0, 0, 0, b'd', 0x03, 0, 0, 0, 0, 0, 0, 0x29, 0xc0], // d: f64 -12.5 = 0xc029000000000000
        &[0x01, 0, 0, 0, b'e', 0x04, 0x00],               // e: bool false
    ]);
    assert_eq!(want.len(), 108);
    let rec = Record {
        timestamp_ns: 0x0102_0304_0506_0708,
        level: Level::Fatal,
        message: "hé",
        trace_id: "",
        span_id: "s",
        labels: &[("z", "é")],
        fields: &[
            ("a", ValueRef::Str("xy")),
            ("b", ValueRef::I64(-2)),
            ("c", ValueRef::U64((1 << 63) + 256)),
            ("d", ValueRef::F64(-12.5)),
            ("e", ValueRef::Bool(false)),
        ],
    };
    assert_eq!(encoded(&rec), want);
    let e = decoded(&want);
    assert_eq!(
        (e.level(), e.message(), e.span_id()),
        (Level::Fatal, "hé", Some("s"))
    );
    assert_eq!(e.timestamp_ns(), 0x0102_0304_0506_0708);
    assert_eq!(e.label("z"), Some("é"));
    let fields: Vec<(&str, ValueRef<'_>)> = e.fields().collect();
    assert_eq!(fields, rec.fields);
}

/// A second encoder of the format, from docs/record-format.md alone.
fn spec_encode(entry: &serde_json::Value) -> Vec<u8> {
    let level = match entry["level"].as_str().unwrap() {
        "trace" => 0u8,
        "debug" => 1,
        "info" => 2,
        "warn" => 3,
        "error" => 4,
        "fatal" => 5,
        other => panic!("level {other}"),
    };
    let s = |v: &serde_json::Value| text(v.as_str().unwrap_or("").as_bytes());
    let labels = entry["labels"].as_array().unwrap();
    let fields = entry["fields"].as_array().unwrap();
    let mut body = Vec::new();
    body.extend(s(&entry["message"]));
    body.extend(s(&entry["trace_id"]));
    body.extend(s(&entry["span_id"]));
    for l in labels {
        body.extend(s(&l[0]));
        body.extend(s(&l[1]));
    }
    for f in fields {
        body.extend(s(&f["key"]));
        let v = &f["value"];
        match f["type"].as_str().unwrap() {
            "str" => {
                body.push(0);
                body.extend(s(v));
            }
            "i64" => {
                body.push(1);
                let n: i64 = v.as_str().unwrap().parse().unwrap();
                body.extend(n.to_le_bytes());
            }
            "u64" => {
                body.push(2);
                let n: u64 = v.as_str().unwrap().parse().unwrap();
                body.extend(n.to_le_bytes());
            }
            "f64" => {
                body.push(3);
                body.extend(v.as_f64().unwrap().to_bits().to_le_bytes());
            }
            "bool" => {
                body.push(4);
                body.push(u8::from(v.as_bool().unwrap()));
            }
            other => panic!("type {other}"),
        }
    }
    let ts: u64 = entry["timestamp_ns"].as_str().unwrap().parse().unwrap();
    let mut out = vec![0x4c, 0x43, 1, level];
    out.extend(((20 + body.len()) as u32).to_le_bytes());
    out.extend(ts.to_le_bytes());
    out.extend((labels.len() as u16).to_le_bytes());
    out.extend((fields.len() as u16).to_le_bytes());
    out.extend(body);
    out
}

#[test]
fn a_second_encoder_gives_every_shared_vector() {
    let doc: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/vectors/records.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let mut checked = 0;
    for v in doc["valid"].as_array().unwrap() {
        // Decode-only vectors hold bytes no encoder writes (invalid UTF-8, duplicate keys);
        // their entry is what decoding gives.
        if v["decode_only"].as_bool() == Some(true) {
            continue;
        }
        let name = v["name"].as_str().unwrap();
        let want = unhex(v["hex"].as_str().unwrap());
        assert_eq!(spec_encode(&v["entry"]), want, "{name}");
        // And the vector decodes to its entry's values (the f64 bits included).
        let e = decoded(&want);
        for f in v["entry"]["fields"].as_array().unwrap() {
            let key = f["key"].as_str().unwrap();
            let got = e
                .field(key)
                .unwrap_or_else(|| panic!("{name}: no field {key}"));
            let want_value = match f["type"].as_str().unwrap() {
                "str" => Value::Str(f["value"].as_str().unwrap().to_owned()),
                "i64" => Value::I64(f["value"].as_str().unwrap().parse().unwrap()),
                "u64" => Value::U64(f["value"].as_str().unwrap().parse().unwrap()),
                "f64" => Value::F64(f["value"].as_f64().unwrap()),
                _ => Value::Bool(f["value"].as_bool().unwrap()),
            };
            match (got, want_value.as_ref()) {
                (ValueRef::F64(a), ValueRef::F64(b)) => {
                    assert_eq!(a.to_bits(), b.to_bits(), "{name}: {key}")
                }
                (a, b) => assert_eq!(a, b, "{name}: {key}"),
            }
        }
        checked += 1;
    }
    assert!(checked >= 8, "{checked} vectors checked");
}
