//! The JSON lines encoding: every line is one valid JSON object, with the documented keys in
//! the documented order, and reads back to the entry's exact strings and values.

use logcap_core::encode::{encode, encode_all, Format};
use logcap_core::{EntryData, Level, ValueRef};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// A JSON value that keeps object keys in their order in the text (serde_json's own `Value`
/// sorts them), so the tests can check key order and see duplicate keys.
#[derive(Debug, Clone, PartialEq)]
enum J {
    Null,
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

impl<'de> Deserialize<'de> for J {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = J;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E>(self) -> Result<J, E> {
                Ok(J::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<J, E> {
                Ok(J::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<J, E> {
                Ok(J::I64(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<J, E> {
                Ok(J::U64(v))
            }
            fn visit_f64<E>(self, v: f64) -> Result<J, E> {
                Ok(J::F64(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<J, E> {
                Ok(J::Str(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<J, E> {
                Ok(J::Str(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<J, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = a.next_element()? {
                    items.push(item);
                }
                Ok(J::Arr(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<J, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = a.next_entry()? {
                    entries.push(entry);
                }
                Ok(J::Obj(entries))
            }
        }
        d.deserialize_any(V)
    }
}

/// The parts of one decoded line.
#[derive(Debug, PartialEq)]
struct Decoded {
    ts: String,
    level: String,
    msg: String,
    trace_id: Option<String>,
    span_id: Option<String>,
    labels: Vec<(String, String)>,
    fields: Vec<(String, J)>,
}

/// Parses one encoded line strictly: a single JSON object, then `\n`, nothing else; the keys
/// exactly `ts level msg [trace_id] [span_id] labels fields` in that order.
fn decode(line: &[u8]) -> Decoded {
    let text = std::str::from_utf8(line).expect("UTF-8");
    let body = text.strip_suffix('\n').expect("ends with a newline");
    assert!(!body.contains('\n'), "one line only: {text:?}");
    assert!(
        !body.bytes().any(|b| b < 0x20) && !body.contains(['\u{2028}', '\u{2029}']),
        "raw control character or separator: {text:?}"
    );
    let mut de = serde_json::Deserializer::from_str(body);
    let value = J::deserialize(&mut de).unwrap_or_else(|e| panic!("{e}: {body}"));
    de.end()
        .unwrap_or_else(|e| panic!("trailing bytes, {e}: {body}"));
    let J::Obj(top) = value else {
        panic!("not an object: {body}")
    };
    let keys: Vec<&str> = top.iter().map(|(k, _)| k.as_str()).collect();
    let str_of = |key: &str| -> Option<String> {
        top.iter().find(|(k, _)| k == key).map(|(_, v)| match v {
            J::Str(s) => s.clone(),
            other => panic!("{key} is not a string: {other:?}"),
        })
    };
    let obj_of = |key: &str| -> Vec<(String, J)> {
        match top.iter().find(|(k, _)| k == key) {
            Some((_, J::Obj(o))) => o.clone(),
            other => panic!("{key} is not an object: {other:?}"),
        }
    };
    let d = Decoded {
        ts: str_of("ts").expect("ts"),
        level: str_of("level").expect("level"),
        msg: str_of("msg").expect("msg"),
        trace_id: str_of("trace_id"),
        span_id: str_of("span_id"),
        labels: obj_of("labels")
            .into_iter()
            .map(|(k, v)| match v {
                J::Str(s) => (k, s),
                other => panic!("label {k} is not a string: {other:?}"),
            })
            .collect(),
        fields: obj_of("fields"),
    };
    let mut want = vec!["ts", "level", "msg"];
    if d.trace_id.is_some() {
        want.push("trace_id");
    }
    if d.span_id.is_some() {
        want.push("span_id");
    }
    want.extend(["labels", "fields"]);
    assert_eq!(keys, want, "{body}");
    d
}

fn json_line(e: &EntryData) -> Vec<u8> {
    let mut out = Vec::new();
    encode(Format::Json, e, &mut out);
    out
}

/// Whether `got`, read back from JSON, is the field value `want`.
fn same_value(want: ValueRef<'_>, got: &J) -> bool {
    match (want, got) {
        (ValueRef::Str(w), J::Str(g)) => w == g,
        // serde_json reads non-negative integers as u64 and negative ones as i64.
        (ValueRef::I64(w), J::U64(g)) => u64::try_from(w) == Ok(*g),
        (ValueRef::I64(w), J::I64(g)) => w == *g,
        (ValueRef::U64(w), J::U64(g)) => w == *g,
        (ValueRef::F64(w), J::Str(g)) if !w.is_finite() => {
            g == if w.is_nan() {
                "NaN"
            } else if w > 0.0 {
                "Infinity"
            } else {
                "-Infinity"
            }
        }
        // serde_json's default float parser is not always correctly rounded (it can miss by a
        // few units in the last place): `assert_round_trip` checks the digits themselves.
        (ValueRef::F64(w), J::F64(_)) => w.is_finite(),
        (ValueRef::Bool(w), J::Bool(g)) => w == *g,
        _ => false,
    }
}

/// The text of every number literal in a JSON text, in order (skipping strings).
fn number_literals(json: &str) -> Vec<&str> {
    let b = json.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < b.len() && matches!(b[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                found.push(&json[start..i]);
            }
            _ => i += 1,
        }
    }
    found
}

/// Checks that `line` decodes to exactly the contents of `e`.
fn assert_round_trip(e: &EntryData, line: &[u8]) {
    let d = decode(line);
    let ctx = || String::from_utf8_lossy(line).into_owned();
    assert_eq!(d.level, e.level().as_str(), "{}", ctx());
    assert_eq!(d.msg, e.message(), "{}", ctx());
    assert_eq!(d.trace_id.as_deref(), e.trace_id(), "{}", ctx());
    assert_eq!(d.span_id.as_deref(), e.span_id(), "{}", ctx());
    let labels: Vec<(String, String)> = e
        .labels()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    assert_eq!(d.labels, labels, "{}", ctx());
    assert_eq!(d.fields.len(), e.field_count(), "{}", ctx());
    for ((wk, wv), (gk, gv)) in e.fields().zip(&d.fields) {
        assert_eq!(wk, gk, "{}", ctx());
        assert!(same_value(wv, gv), "{wk}: {wv:?} vs {gv:?} in {}", ctx());
    }
    // The numbers as written, read back exactly with the standard library's parsers.
    let text = std::str::from_utf8(line).unwrap();
    let numeric = e.fields().filter_map(|(_, v)| match v {
        ValueRef::I64(_) | ValueRef::U64(_) => Some(v),
        ValueRef::F64(f) if f.is_finite() => Some(v),
        _ => None,
    });
    let literals = number_literals(text);
    assert_eq!(literals.len(), numeric.clone().count(), "{}", ctx());
    for (want, lit) in numeric.zip(literals) {
        let exact = match want {
            ValueRef::I64(w) => lit.parse::<i64>() == Ok(w),
            ValueRef::U64(w) => lit.parse::<u64>() == Ok(w),
            ValueRef::F64(w) => lit.parse::<f64>().map(f64::to_bits) == Ok(w.to_bits()),
            _ => unreachable!(),
        };
        assert!(exact, "{want:?} written as {lit} in {}", ctx());
    }
    // The timestamp: RFC 3339 UTC, nine fractional digits, seconds and nanoseconds as given.
    let ns = e.timestamp_ns();
    assert_eq!(d.ts.len(), 30, "{}", d.ts);
    assert_eq!(&d.ts[29..], "Z");
    assert_eq!(d.ts[20..29].parse::<u64>().unwrap(), ns % 1_000_000_000);
    let secs_of_day = ns / 1_000_000_000 % 86_400;
    let hms = format!(
        "{:02}:{:02}:{:02}",
        secs_of_day / 3600,
        secs_of_day / 60 % 60,
        secs_of_day % 60
    );
    assert_eq!(&d.ts[11..19], hms);
}

/// The standard event that every binding's benchmarks log, at
/// 2026-11-27T20:42:08.123456789Z, with trace context.
fn standard_event() -> EntryData {
    let mut e = EntryData::new();
    e.set_timestamp_ns(1_795_812_128_123_456_789);
    e.set_level(Level::Info);
    e.set_message("request completed");
    e.set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
    e.set_span_id("00f067aa0ba902b7");
    for (k, v) in [
        ("service", "checkout"),
        ("env", "prod"),
        ("host", "web-1"),
        ("region", "eu-west-1"),
    ] {
        e.set_label(k, v).unwrap();
    }
    e.set_field("method", "GET").unwrap();
    e.set_field("path", "/api/v1/orders/12345").unwrap();
    e.set_field("status", 200i64).unwrap();
    e.set_field("latency_ms", 12.5).unwrap();
    e.set_field("user_id", "u-998877").unwrap();
    e.set_field("cache_hit", true).unwrap();
    e
}

const STANDARD_JSON: &str = r#"{"ts":"2026-11-27T20:42:08.123456789Z","level":"info","msg":"request completed","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","labels":{"service":"checkout","env":"prod","host":"web-1","region":"eu-west-1"},"fields":{"method":"GET","path":"/api/v1/orders/12345","status":200,"latency_ms":12.5,"user_id":"u-998877","cache_hit":true}}"#;

const STANDARD_TEXT: &str = "2026-11-27T20:42:08.123Z INFO request completed service=checkout env=prod host=web-1 region=eu-west-1 method=GET path=/api/v1/orders/12345 status=200 latency_ms=12.5 user_id=u-998877 cache_hit=true trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7";

#[test]
fn standard_event_matches_the_documented_lines() {
    let e = standard_event();
    assert_eq!(
        String::from_utf8(json_line(&e)).unwrap(),
        format!("{STANDARD_JSON}\n")
    );
    let mut text = Vec::new();
    encode(Format::Text, &e, &mut text);
    assert_eq!(
        String::from_utf8(text).unwrap(),
        format!("{STANDARD_TEXT}\n")
    );
    assert_round_trip(&e, &json_line(&e));

    // docs/output.md shows these exact lines.
    let docs = include_str!("../docs/output.md");
    assert!(
        docs.contains(STANDARD_JSON),
        "docs/output.md lacks the JSON example"
    );
    assert!(
        docs.contains(STANDARD_TEXT),
        "docs/output.md lacks the text example"
    );
}

#[test]
fn trace_context_is_omitted_when_absent_and_maps_always_present() {
    let mut e = EntryData::new();
    e.set_timestamp_ns(1_709_208_000_000_000_000);
    e.set_level(Level::Fatal);
    e.set_message("m");
    let line = String::from_utf8(json_line(&e)).unwrap();
    assert_eq!(
        line,
        "{\"ts\":\"2024-02-29T12:00:00.000000000Z\",\"level\":\"fatal\",\"msg\":\"m\",\
         \"labels\":{},\"fields\":{}}\n"
    );
    e.set_trace_id("t");
    let d = decode(&json_line(&e));
    assert_eq!((d.trace_id.as_deref(), d.span_id), (Some("t"), None));
    assert!(d.labels.is_empty() && d.fields.is_empty());
}

#[test]
fn every_level_name() {
    for level in Level::ALL {
        let mut e = EntryData::new();
        e.set_level(level);
        assert_eq!(decode(&json_line(&e)).level, level.as_str());
    }
}

/// All of U+0000–U+001F, in every string position of an entry.
#[test]
fn every_control_character_round_trips() {
    let controls: String = (0u8..0x20).map(char::from).collect();
    let s = format!("ctl[{controls}]end");
    let mut e = EntryData::new();
    e.set_message(&s);
    e.set_trace_id(&s);
    e.set_span_id(&controls);
    e.set_label(&s, &s).unwrap();
    e.set_label(&controls, "").unwrap();
    e.set_field(&s, s.as_str()).unwrap();
    e.set_field(&controls, controls.as_str()).unwrap();
    let line = json_line(&e);
    // No raw control byte survives, so the line is one line.
    let body = &line[..line.len() - 1];
    assert!(
        body.iter().all(|&b| b >= 0x20),
        "{:?}",
        String::from_utf8_lossy(&line)
    );
    assert_round_trip(&e, &line);
    // The short escapes are used where JSON has them.
    let text = String::from_utf8(line).unwrap();
    for esc in [
        r"\b", r"\t", r"\n", r"\f", r"\r", r"\u0000", r"\u001f", r"\u000b",
    ] {
        assert!(text.contains(esc), "missing {esc}");
    }
}

#[test]
fn quotes_backslashes_separators_and_emoji_round_trip() {
    let samples = [
        r#"she said "hi" \o/ C:\path\"#,
        "\"",
        "\\",
        "\\\"",
        "line\u{2028}sep\u{2029}para",
        "\u{2028}",
        "emoji 😀👍🏽 family 👨‍👩‍👧 flags 🇫🇷",
        "\u{85}\u{7f}\u{a0}\u{feff}\u{fffd}",
        "€ ✓ … — 中文 ἀλφα",
        "",
    ];
    for s in samples {
        let mut e = EntryData::new();
        e.set_message(s);
        e.set_label("k", s).unwrap();
        e.set_label(&format!("key {s}"), "v").unwrap();
        e.set_field(&format!("f{s}"), s).unwrap();
        let line = json_line(&e);
        let text = std::str::from_utf8(&line).unwrap();
        assert!(
            !text.contains('\u{2028}') && !text.contains('\u{2029}'),
            "{text}"
        );
        assert_round_trip(&e, &line);
    }
}

/// Deterministic xorshift64 generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn bytes(&mut self, max_len: u64) -> Vec<u8> {
        let len = self.below(max_len + 1);
        (0..len).map(|_| self.next() as u8).collect()
    }
    /// A random string from a mixed alphabet: printable ASCII, every control character, quotes,
    /// backslashes, the line separators, multi-byte characters, emoji; or, one time in eight,
    /// the lossy decoding of random (mostly invalid) bytes.
    fn string(&mut self, max_len: u64) -> String {
        const SPECIAL: &[char] = &[
            '"',
            '\\',
            '/',
            '\u{7f}',
            '\u{85}',
            '\u{a0}',
            '\u{2028}',
            '\u{2029}',
            'é',
            '中',
            '€',
            '\u{fffd}',
            '\u{feff}',
            '😀',
            '🇫',
            '\u{10ffff}',
        ];
        if self.below(8) == 0 {
            let bytes = self.bytes(max_len);
            return String::from_utf8_lossy(&bytes).into_owned();
        }
        let len = self.below(max_len + 1);
        (0..len)
            .map(|_| match self.below(4) {
                0 => char::from(self.below(0x20) as u8),
                1 => SPECIAL[self.below(SPECIAL.len() as u64) as usize],
                _ => char::from(0x20 + self.below(0x5f) as u8),
            })
            .collect()
    }
}

#[test]
fn lossy_decoded_invalid_bytes_round_trip() {
    let mut rng = Rng(0xDEAD_BEEF_CAFE_F00D);
    let mut replaced = 0;
    for _ in 0..2_000 {
        let bytes = rng.bytes(40);
        let s = String::from_utf8_lossy(&bytes).into_owned();
        replaced += usize::from(s.contains('\u{fffd}'));
        let mut e = EntryData::new();
        e.set_message(&s);
        e.set_label(&s, &s).unwrap();
        e.set_field("v", s.as_str()).unwrap();
        assert_round_trip(&e, &json_line(&e));
    }
    // The inputs really were mostly invalid UTF-8.
    assert!(replaced > 1_500, "{replaced}");
}

#[test]
fn numbers_round_trip() {
    let mut e = EntryData::new();
    e.set_field("i_min", i64::MIN).unwrap();
    e.set_field("i_max", i64::MAX).unwrap();
    e.set_field("i_neg", -1i64).unwrap();
    e.set_field("i_zero", 0i64).unwrap();
    e.set_field("u_max", u64::MAX).unwrap();
    e.set_field("f_int", 200.0).unwrap();
    e.set_field("f_neg_zero", -0.0).unwrap();
    e.set_field("f_tiny", f64::MIN_POSITIVE).unwrap();
    e.set_field("f_sub", 5e-324).unwrap();
    e.set_field("f_max", f64::MAX).unwrap();
    e.set_field("f_third", 1.0 / 3.0).unwrap();
    e.set_field("t", true).unwrap();
    e.set_field("f", false).unwrap();
    let line = json_line(&e);
    assert_round_trip(&e, &line);
    let text = std::str::from_utf8(&line).unwrap();
    for exact in [
        r#""i_min":-9223372036854775808,"#,
        r#""u_max":18446744073709551615,"#,
        r#""f_int":200.0,"#,
        r#""f_tiny":2.2250738585072014e-308,"#,
        r#""f_sub":5e-324,"#,
        r#""f_max":1.7976931348623157e308,"#,
        r#""f_third":0.3333333333333333,"#,
        r#""t":true,"f":false}}"#,
    ] {
        assert!(text.contains(exact), "{exact} not in {text}");
    }
    let d = decode(&line);
    // Integral floats stay JSON floats; -0.0 keeps its sign.
    assert_eq!(d.fields[5], ("f_int".to_owned(), J::F64(200.0)));
    let J::F64(neg_zero) = d.fields[6].1 else {
        panic!("{:?}", d.fields[6])
    };
    assert!(neg_zero == 0.0 && neg_zero.is_sign_negative());
    assert_eq!(d.fields[4].1, J::U64(u64::MAX));
    assert_eq!(d.fields[0].1, J::I64(i64::MIN));
}

#[test]
fn non_finite_floats_are_strings() {
    let mut e = EntryData::new();
    e.set_field("nan", f64::NAN).unwrap();
    e.set_field("inf", f64::INFINITY).unwrap();
    e.set_field("ninf", f64::NEG_INFINITY).unwrap();
    let line = json_line(&e);
    let text = std::str::from_utf8(&line).unwrap();
    assert!(
        text.contains(r#""fields":{"nan":"NaN","inf":"Infinity","ninf":"-Infinity"}"#),
        "{text}"
    );
    assert_round_trip(&e, &line);
}

/// 10,000 random entries: every line parses as one JSON object and reads back to the entry's
/// message, labels, fields and trace context.
#[test]
fn random_entries_round_trip() {
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    let mut out = Vec::new();
    let mut entries = Vec::new();
    for case in 0..10_000 {
        let mut e = EntryData::new();
        e.set_timestamp_ns(rng.next());
        e.set_level(Level::ALL[rng.below(6) as usize]);
        let msg = rng.string(40);
        e.set_message(&msg);
        if rng.below(2) == 0 {
            e.set_trace_id(&rng.string(32));
        }
        if rng.below(2) == 0 {
            e.set_span_id(&rng.string(16));
        }
        for _ in 0..rng.below(5) {
            let (k, v) = (rng.string(10), rng.string(20));
            e.set_label(&k, &v).unwrap();
        }
        for _ in 0..rng.below(7) {
            let k = rng.string(10);
            match rng.below(6) {
                0 => e.set_field(&k, rng.string(30).as_str()),
                1 => e.set_field(&k, rng.next() as i64),
                2 => e.set_field(&k, rng.next()),
                // Multiples of 1/1024 below 100 have at most 13 significant digits, which
                // serde_json reads back exactly (one correctly rounded division).
                3 => e.set_field(&k, (rng.below(204_801) as f64 - 102_400.0) / 1024.0),
                4 => e.set_field(&k, f64::from_bits(rng.next())),
                _ => e.set_field(&k, rng.below(2) == 0),
            }
            .unwrap();
        }
        let line = json_line(&e);
        assert_eq!(decode(&line).msg, msg, "case {case}");
        assert_round_trip(&e, &line);
        // Floats read back bit for bit where the parser is exact.
        for ((_, want), (_, got)) in e.fields().zip(decode(&line).fields) {
            if let (ValueRef::F64(w), J::F64(g)) = (want, &got) {
                if (w * 1024.0).fract() == 0.0 && w.abs() <= 100.0 {
                    assert_eq!(w.to_bits(), g.to_bits(), "case {case}");
                }
            }
        }
        out.extend_from_slice(&line);
        if case % 100 == 0 {
            entries.push(e);
        }
    }
    // Encoding the entries one by one or all at once gives the same bytes.
    let mut one_by_one = Vec::new();
    for e in &entries {
        one_by_one.extend_from_slice(&json_line(e));
    }
    let mut all = Vec::new();
    encode_all(Format::Json, &entries, &mut all);
    assert_eq!(all, one_by_one);
    assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 10_000);
}
