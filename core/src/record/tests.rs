use super::*;
use crate::entry::{EntryData, Level, ValueRef, MAX_FIELDS, MAX_LABELS, MAX_MESSAGE_BYTES};
use RecordErrorKind as Kind;

const EVERY_TYPE: &[(&str, ValueRef<'static>)] = &[
    ("s", ValueRef::Str("text")),
    ("empty", ValueRef::Str("")),
    ("i", ValueRef::I64(i64::MIN)),
    ("u", ValueRef::U64(u64::MAX)),
    ("f", ValueRef::F64(-0.0)),
    ("nan", ValueRef::F64(f64::NAN)),
    ("t", ValueRef::Bool(true)),
    ("b", ValueRef::Bool(false)),
];

fn standard() -> Record<'static> {
    Record {
        timestamp_ns: 1_700_000_000_123_456_789,
        level: Level::Info,
        message: "request completed",
        trace_id: "",
        span_id: "",
        labels: &[("service", "checkout"), ("env", "prod")],
        fields: &[
            ("method", ValueRef::Str("GET")),
            ("status", ValueRef::I64(200)),
            ("latency_ms", ValueRef::F64(12.5)),
            ("cache_hit", ValueRef::Bool(true)),
        ],
    }
}

fn bytes_of(rec: &Record<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    encode(rec, &mut out).unwrap();
    out
}

fn decoded(buf: &[u8]) -> Result<EntryData, RecordError> {
    let mut e = EntryData::new();
    decode_into(buf, &mut e).map(|()| e)
}

fn err(buf: &[u8]) -> (Kind, usize) {
    let e = decoded(buf).unwrap_err();
    (e.kind, e.offset)
}

/// Equality that tells floats apart by their bits (NaN equals itself, -0.0 differs from 0.0).
fn same(a: &EntryData, b: &EntryData) -> bool {
    let same_value = |x: ValueRef<'_>, y: ValueRef<'_>| match (x, y) {
        (ValueRef::F64(x), ValueRef::F64(y)) => x.to_bits() == y.to_bits(),
        _ => x == y,
    };
    a.timestamp_ns() == b.timestamp_ns()
        && a.level() == b.level()
        && a.message() == b.message()
        && a.trace_id() == b.trace_id()
        && a.span_id() == b.span_id()
        && a.labels().eq(b.labels())
        && a.field_count() == b.field_count()
        && a.fields()
            .zip(b.fields())
            .all(|((ka, va), (kb, vb))| ka == kb && same_value(va, vb))
}

fn set_u16(buf: &mut [u8], at: usize, v: u16) {
    buf[at..at + 2].copy_from_slice(&v.to_le_bytes());
}
fn set_u32(buf: &mut [u8], at: usize, v: u32) {
    buf[at..at + 4].copy_from_slice(&v.to_le_bytes());
}
fn patch_len(buf: &mut [u8]) {
    let n = buf.len() as u32;
    set_u32(buf, 4, n);
}

#[test]
fn header_is_laid_out_as_documented() {
    let buf = bytes_of(&standard());
    assert_eq!(&buf[..4], b"LC\x01\x02");
    assert_eq!(&buf[4..8], &(buf.len() as u32).to_le_bytes());
    assert_eq!(&buf[8..16], &1_700_000_000_123_456_789u64.to_le_bytes());
    assert_eq!(&buf[16..20], &[2, 0, 4, 0]);
    // The message, then empty trace and span ids.
    assert_eq!(&buf[20..24], &17u32.to_le_bytes());
    assert_eq!(&buf[24..41], b"request completed");
    assert_eq!(&buf[41..49], &[0; 8]);
    // The first label.
    assert_eq!(&buf[49..53], &7u32.to_le_bytes());
    assert_eq!(&buf[53..60], b"service");
    // The last field: key "cache_hit", type 4, value 1, and nothing after.
    assert_eq!(&buf[buf.len() - 15..], b"\x09\0\0\0cache_hit\x04\x01");
}

#[test]
fn every_part_round_trips() {
    let rec = Record {
        timestamp_ns: u64::MAX,
        level: Level::Fatal,
        message: "m\0\u{1F600}",
        trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
        span_id: "00f067aa0ba902b7",
        labels: &[("k", "v"), ("東京", "")],
        fields: EVERY_TYPE,
    };
    let e = decoded(&bytes_of(&rec)).unwrap();
    assert_eq!(e.timestamp_ns(), u64::MAX);
    assert_eq!(e.level(), Level::Fatal);
    assert_eq!(e.message(), rec.message);
    assert_eq!(e.trace_id(), Some(rec.trace_id));
    assert_eq!(e.span_id(), Some(rec.span_id));
    assert!(e.labels().eq(rec.labels.iter().copied()));
    assert_eq!(e.field_count(), EVERY_TYPE.len());
    for ((k, v), (ek, ev)) in EVERY_TYPE.iter().zip(e.fields()) {
        assert_eq!(*k, ek);
        match (v, ev) {
            (ValueRef::F64(a), ValueRef::F64(b)) => assert_eq!(a.to_bits(), b.to_bits()),
            _ => assert_eq!(*v, ev),
        }
    }
    // Re-encoding the decoded entry gives the same bytes.
    let mut again = Vec::new();
    encode_entry(&e, &mut again).unwrap();
    assert_eq!(again, bytes_of(&rec));
}

#[test]
fn decoding_replaces_everything_the_entry_held() {
    let mut e = decoded(&bytes_of(&Record {
        timestamp_ns: 5,
        level: Level::Error,
        message: "old",
        trace_id: "t",
        span_id: "s",
        labels: &[("old", "1")],
        fields: &[("old", ValueRef::I64(1))],
    }))
    .unwrap();
    decode_into(&bytes_of(&Record::default()), &mut e).unwrap();
    assert_eq!(e, EntryData::new());
}

#[test]
fn a_refused_record_leaves_the_entry_as_it_was() {
    let mut e = decoded(&bytes_of(&standard())).unwrap();
    let before = e.clone();
    let mut bad = bytes_of(&Record {
        message: "replacement",
        labels: &[("a", "b")],
        fields: &[("x", ValueRef::Bool(true))],
        ..Record::default()
    });
    let last = bad.len() - 1;
    bad[last] = 2; // the bool, the very last byte: everything before it was fine
    assert_eq!(
        decode_into(&bad, &mut e),
        Err(RecordError::new(Kind::BadBool, last))
    );
    assert!(same(&e, &before));
}

#[test]
fn header_errors_name_the_header_field() {
    let good = bytes_of(&standard());
    assert_eq!(err(&[]), (Kind::Truncated, 0));
    assert_eq!(err(b"L"), (Kind::Truncated, 0));
    assert_eq!(err(b"XC\x01\x02"), (Kind::BadMagic, 0));
    assert_eq!(err(b"LC"), (Kind::Truncated, 2));

    let mut b = good.clone();
    b[2] = 2;
    assert_eq!(err(&b), (Kind::UnsupportedVersion, 2));
    let mut b = good.clone();
    b[3] = 6;
    assert_eq!(err(&b), (Kind::BadLevel, 3));
    assert_eq!(err(&good[..7]), (Kind::Truncated, 4));
    assert_eq!(err(&good[..good.len() - 1]), (Kind::LengthMismatch, 4));

    let mut b = good.clone();
    set_u32(&mut b, 4, (MAX_RECORD_BYTES + 1) as u32);
    assert_eq!(err(&b), (Kind::TooLarge, 4));

    // A header cut short, its length patched to match: the timestamp is missing.
    let mut b = good[..12].to_vec();
    patch_len(&mut b);
    assert_eq!(err(&b), (Kind::Truncated, 8));

    let mut b = good.clone();
    set_u16(&mut b, 16, MAX_LABELS as u16 + 1);
    assert_eq!(err(&b), (Kind::TooManyLabels, 16));
    let mut b = good.clone();
    set_u16(&mut b, 18, MAX_FIELDS as u16 + 1);
    assert_eq!(err(&b), (Kind::TooManyFields, 18));
}

#[test]
fn body_errors_name_the_item() {
    let rec = Record {
        message: "m",
        labels: &[("k", "v")],
        fields: &[("f", ValueRef::Bool(true))],
        ..Record::default()
    };
    let good = bytes_of(&rec);
    // 20 header, 5 message, 4 + 4 ids; label at 33 (key 5, value 5); field at 43.
    let (label_at, field_at) = (33, 43);
    assert_eq!(&good[label_at + 4..label_at + 5], b"k");
    assert_eq!(&good[field_at + 4..field_at + 5], b"f");

    let mut b = good.clone();
    set_u32(&mut b, label_at, 0);
    assert_eq!(err(&b), (Kind::EmptyKey, label_at));
    let mut b = good.clone();
    set_u32(&mut b, field_at, MAX_KEY_BYTES as u32 + 1);
    assert_eq!(err(&b), (Kind::KeyTooLong, field_at));
    let mut b = good.clone();
    b[field_at + 5] = 5;
    assert_eq!(err(&b), (Kind::BadValueType, field_at + 5));
    let mut b = good.clone();
    b[field_at + 6] = 0xff;
    assert_eq!(err(&b), (Kind::BadBool, field_at + 6));

    // A string longer than what is left is reported at its length prefix.
    let mut b = good.clone();
    set_u32(&mut b, label_at + 5, 1000);
    assert_eq!(err(&b), (Kind::Truncated, label_at + 5));
    // Cut inside the field's type byte, length patched.
    let mut b = good[..field_at + 5].to_vec();
    patch_len(&mut b);
    assert_eq!(err(&b), (Kind::Truncated, field_at + 5));
    // One field fewer announced: its bytes are left over.
    let mut b = good.clone();
    set_u16(&mut b, 18, 0);
    assert_eq!(err(&b), (Kind::TrailingBytes, field_at));
    let mut b = good.clone();
    b.push(0);
    patch_len(&mut b);
    assert_eq!(err(&b), (Kind::TrailingBytes, good.len()));
}

#[test]
fn limits_are_inclusive_and_the_encoder_enforces_them_too() {
    let keys: Vec<String> = (0..MAX_FIELDS + 1).map(|i| format!("k{i}")).collect();
    let labels: Vec<(&str, &str)> = keys.iter().map(|k| (k.as_str(), "v")).collect();
    let fields: Vec<(&str, ValueRef<'_>)> = keys
        .iter()
        .map(|k| (k.as_str(), ValueRef::U64(7)))
        .collect();
    let long_key = "k".repeat(MAX_KEY_BYTES);

    let full = Record {
        labels: &labels[..MAX_LABELS],
        fields: &fields[..MAX_FIELDS],
        ..Record::default()
    };
    let e = decoded(&bytes_of(&full)).unwrap();
    assert_eq!((e.label_count(), e.field_count()), (MAX_LABELS, MAX_FIELDS));
    let e = decoded(&bytes_of(&Record {
        labels: &[(&long_key, "v")],
        ..Record::default()
    }))
    .unwrap();
    assert_eq!(e.label(&long_key), Some("v"));

    let refused = |rec: Record<'_>| {
        let mut out = vec![1, 2, 3];
        let e = encode(&rec, &mut out).unwrap_err();
        assert!(out.is_empty());
        (e.kind, e.offset)
    };
    let too_long = format!("{long_key}k");
    assert_eq!(
        refused(Record {
            labels: &labels[..MAX_LABELS + 1],
            ..Record::default()
        }),
        (Kind::TooManyLabels, 16)
    );
    assert_eq!(
        refused(Record {
            fields: &fields,
            ..Record::default()
        }),
        (Kind::TooManyFields, 18)
    );
    assert_eq!(
        refused(Record {
            labels: &[("", "v")],
            ..Record::default()
        }),
        (Kind::EmptyKey, 32)
    );
    assert_eq!(
        refused(Record {
            fields: &[(&too_long, ValueRef::Bool(true))],
            ..Record::default()
        }),
        (Kind::KeyTooLong, 32)
    );

    // The longest message, and one byte more.
    let longest = "m".repeat(MAX_MESSAGE_BYTES);
    let buf = bytes_of(&Record {
        message: &longest,
        ..Record::default()
    });
    assert_eq!(decoded(&buf).unwrap().message().len(), MAX_MESSAGE_BYTES);
    let over = format!("{longest}m");
    assert_eq!(
        refused(Record {
            message: &over,
            ..Record::default()
        }),
        (Kind::MessageTooLong, HEADER_LEN)
    );
    let mut raw = buf.clone();
    raw.insert(HEADER_LEN + 4, b'm');
    raw[HEADER_LEN..HEADER_LEN + 4].copy_from_slice(&(MAX_MESSAGE_BYTES as u32 + 1).to_le_bytes());
    let n = raw.len() as u32;
    raw[4..8].copy_from_slice(&n.to_le_bytes());
    let e = decoded(&raw).unwrap_err();
    assert_eq!((e.kind, e.offset), (Kind::MessageTooLong, HEADER_LEN));

    // The largest string field that fits: header, three empty strings, key "f", its type
    // byte and the value's prefix.
    let fits = "v".repeat(MAX_RECORD_BYTES - HEADER_LEN - 12 - 5 - 1 - 4);
    let buf = bytes_of(&Record {
        fields: &[("f", ValueRef::Str(&fits))],
        ..Record::default()
    });
    assert_eq!(buf.len(), MAX_RECORD_BYTES);
    let e = decoded(&buf).unwrap();
    assert_eq!(e.field("f"), Some(ValueRef::Str(&fits)));
    // One byte more does not fit, and is refused before it is copied.
    let over = format!("{fits}v");
    assert_eq!(
        refused(Record {
            fields: &[("f", ValueRef::Str(&over))],
            ..Record::default()
        })
        .0,
        Kind::TooLarge
    );
    // A buffer over the limit is refused by its header, before anything else.
    let mut big = buf.clone();
    big.push(0);
    patch_len(&mut big);
    assert_eq!(err(&big), (Kind::TooLarge, 4));
}

#[test]
fn invalid_utf8_is_replaced_like_from_utf8_lossy() {
    let raw: &[&[u8]] = &[
        b"ok\xffok",
        b"\xe6\x9d",             // a truncated three-byte sequence
        b"\xed\xa0\x80",         // a surrogate
        b"\xc0\xaf",             // an overlong encoding
        b"\xf4\x90\x80\x80x",    // above U+10FFFF
        b"\xf0\x9f\x98\x80\x80", // an emoji, then a stray continuation byte
    ];
    for bytes in raw {
        let expect = String::from_utf8_lossy(bytes);
        // Same-length placeholders, overwritten in place with the raw bytes.
        let ph = "x".repeat(bytes.len());
        let mut buf = bytes_of(&Record {
            message: &ph,
            trace_id: &ph,
            labels: &[("l", &ph)],
            fields: &[("f", ValueRef::Str(&ph))],
            ..Record::default()
        });
        let mut patched = 0;
        let mut i = 0;
        while i + ph.len() <= buf.len() {
            if buf[i..i + ph.len()] == *ph.as_bytes() {
                buf[i..i + ph.len()].copy_from_slice(bytes);
                patched += 1;
                i += ph.len();
            } else {
                i += 1;
            }
        }
        assert_eq!(patched, 4);
        let e = decoded(&buf).unwrap();
        assert_eq!(e.message(), expect);
        assert_eq!(e.trace_id(), Some(&*expect));
        assert_eq!(e.label("l"), Some(&*expect));
        assert_eq!(e.field("f"), Some(ValueRef::Str(&expect)));
    }
}

#[test]
fn a_duplicated_key_keeps_its_first_place_and_its_last_value() {
    let buf = bytes_of(&Record {
        labels: &[("a", "1"), ("b", "2"), ("a", "3")],
        fields: &[
            ("x", ValueRef::I64(1)),
            ("y", ValueRef::Bool(false)),
            ("x", ValueRef::Str("now text")),
        ],
        ..Record::default()
    });
    let e = decoded(&buf).unwrap();
    assert!(e.labels().eq([("a", "3"), ("b", "2")]));
    assert!(e.fields().eq([
        ("x", ValueRef::Str("now text")),
        ("y", ValueRef::Bool(false))
    ]));
}

#[test]
fn refilling_a_pooled_entry_reuses_its_buffers() {
    let rec = standard();
    let buf = bytes_of(&rec);
    let mut e = decoded(&buf).unwrap();
    let ptrs = |e: &EntryData| {
        let mut p = vec![e.message().as_ptr()];
        p.extend(e.labels().flat_map(|(k, v)| [k.as_ptr(), v.as_ptr()]));
        p.extend(e.fields().flat_map(|(k, v)| match v {
            ValueRef::Str(s) => vec![k.as_ptr(), s.as_ptr()],
            _ => vec![k.as_ptr()],
        }));
        p
    };
    let (before, retained) = (ptrs(&e), e.retained_bytes());
    e.reset(usize::MAX);
    decode_into(&buf, &mut e).unwrap();
    assert_eq!(ptrs(&e), before);
    assert_eq!(e.retained_bytes(), retained);
}

/// A small deterministic generator, so that a failure is reproducible from its seed.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn byte(&mut self) -> u8 {
        self.next() as u8
    }
}

fn mutate(rng: &mut XorShift, buf: &mut Vec<u8>) {
    for _ in 0..1 + rng.below(3) {
        let len = buf.len();
        match rng.below(7) {
            0 if len > 0 => buf[rng.below(len)] ^= 1 << rng.below(8),
            1 if len > 0 => buf[rng.below(len)] = rng.byte(),
            2 if len > 0 => {
                const EDGES: [u8; 6] = [0, 1, 2, 0x7f, 0x80, 0xff];
                buf[rng.below(len)] = EDGES[rng.below(EDGES.len())];
            }
            3 => buf.truncate(rng.below(len + 1)),
            4 => {
                for _ in 0..1 + rng.below(16) {
                    let b = rng.byte();
                    buf.push(b);
                }
            }
            5 => {
                let at = rng.below(len + 1);
                let b = rng.byte();
                buf.insert(at, b);
            }
            _ if len > 0 => {
                let at = rng.below(len);
                let n = 1 + rng.below((len - at).min(8));
                buf.drain(at..at + n);
            }
            _ => {}
        }
    }
    // Most mutations break the length first; fixing it half the time reaches the body.
    if buf.len() >= 8 && rng.below(2) == 0 {
        patch_len(buf);
    }
}

/// The record decoded by the fast fill alone, in place in a text of its own; `None` when the
/// fast fill declines it.
fn fast_fill(buf: &[u8]) -> Option<EntryData> {
    let mut text = crate::entry::Arena::default();
    text.fill(buf);
    let mut e = EntryData::new();
    super::fast::fill(&text, &mut e)?;
    e.restore_text(text);
    Some(e)
}

/// What must hold for any bytes: decoding does not panic; a refusal names an offset inside
/// the buffer and leaves the entry alone; an accepted record re-encodes canonically, and
/// exactly to the input when nothing was replaced or collapsed. The fast paths agree with
/// the general walk, and a record packed then expanded decodes as decode_into decodes it.
fn check(buf: &[u8], e: &mut EntryData) -> Result<(), Kind> {
    let before = e.clone();
    let fast_checked = super::fast::check(buf).is_some();
    let fast_filled = fast_fill(buf);
    let result = decode_into(buf, e);
    assert_eq!(fast_checked, result.is_ok(), "fast check on {buf:02x?}");
    if let Some(fast_filled) = fast_filled {
        assert!(result.is_ok(), "fast fill accepted {buf:02x?}");
        assert!(same(e, &fast_filled), "fast fill differs on {buf:02x?}");
    }
    if result.is_ok() {
        let mut general = EntryData::new();
        super::decode::decode_general(buf, &mut general).unwrap();
        assert!(same(e, &general), "the general walk differs on {buf:02x?}");
    }
    if let Ok((level, ts)) = super::check(buf) {
        let mut packed = EntryData::new();
        packed.pack(buf, level, ts);
        let mut expanded = super::expanded(Box::new(packed));
        assert!(same(e, &expanded), "expand differs on {buf:02x?}");
        assert!(expanded.take_packed().is_none());
    }
    match result {
        Err(err) => {
            assert!(err.offset <= buf.len(), "{err} in {buf:02x?}");
            assert!(same(e, &before), "entry changed by refused {buf:02x?}");
            Err(err.kind)
        }
        Ok(()) => {
            let has = |s: &str| s.contains(char::REPLACEMENT_CHARACTER);
            let replaced = has(e.message())
                || has(e.trace_id().unwrap_or(""))
                || has(e.span_id().unwrap_or(""))
                || e.labels().any(|(k, v)| has(k) || has(v))
                || e.fields()
                    .any(|(k, v)| has(k) || matches!(v, ValueRef::Str(s) if has(s)));
            let mut b1 = Vec::new();
            if let Err(err) = encode_entry(e, &mut b1) {
                // Replacement characters are longer than the bytes they replace.
                assert!(replaced, "{err} re-encoding {buf:02x?}");
                assert!(matches!(err.kind, Kind::KeyTooLong | Kind::TooLarge));
                return Ok(());
            }
            let e2 = decoded(&b1).unwrap();
            assert!(same(e, &e2), "round trip changed {buf:02x?}");
            let mut b2 = Vec::new();
            encode_entry(&e2, &mut b2).unwrap();
            assert_eq!(b1, b2);
            let announced = (
                u16::from_le_bytes([buf[16], buf[17]]),
                u16::from_le_bytes([buf[18], buf[19]]),
            );
            let collapsed = announced != (e.label_count() as u16, e.field_count() as u16);
            if !replaced && !collapsed {
                assert_eq!(b1, buf, "decoding is not canonical");
            }
            Ok(())
        }
    }
}

#[test]
fn mutated_records_never_panic_and_accepted_ones_round_trip() {
    let long_key = "k".repeat(MAX_KEY_BYTES);
    let mut with_bad_utf8 = bytes_of(&Record {
        message: "ab",
        labels: &[("ab", "ab")],
        ..Record::default()
    });
    for i in 0..with_bad_utf8.len() - 1 {
        if &with_bad_utf8[i..i + 2] == b"ab" {
            with_bad_utf8[i] = 0xc3;
        }
    }
    let seeds = [
        bytes_of(&standard()),
        bytes_of(&Record::default()),
        bytes_of(&Record {
            trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
            span_id: "00f067aa0ba902b7",
            labels: &[("a", "1"), ("a", "2")],
            fields: EVERY_TYPE,
            ..Record::default()
        }),
        bytes_of(&Record {
            message: "héllo 世界 🎉",
            fields: &[(&long_key, ValueRef::Str("é"))],
            ..Record::default()
        }),
        with_bad_utf8,
    ];
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut e = EntryData::new();
    let mut outcomes = std::collections::HashMap::<Result<(), Kind>, usize>::new();
    for _ in 0..30_000 {
        let mut buf = seeds[rng.below(seeds.len())].clone();
        mutate(&mut rng, &mut buf);
        *outcomes.entry(check(&buf, &mut e)).or_default() += 1;
    }
    // The loop must have reached both acceptance and most of the ways to refuse.
    assert!(
        outcomes.get(&Ok(())).copied().unwrap_or(0) > 100,
        "{outcomes:?}"
    );
    let kinds = outcomes.keys().filter(|k| k.is_err()).count();
    assert!(
        kinds >= 11,
        "only {kinds} kinds of refusal reached: {outcomes:?}"
    );
}

#[test]
fn the_fast_paths_take_valid_utf8_records() {
    let records = [
        standard(),
        Record::default(),
        Record {
            message: "héllo 世界 🎉",
            trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
            span_id: "00f067aa0ba902b7",
            labels: &[("a", "1"), ("a", "2")],
            fields: EVERY_TYPE,
            ..Record::default()
        },
    ];
    for rec in &records {
        let buf = bytes_of(rec);
        assert!(super::fast::check(&buf).is_some(), "{buf:02x?}");
        let e = fast_fill(&buf).unwrap_or_else(|| panic!("{buf:02x?}"));
        let mut general = EntryData::new();
        super::decode::decode_general(&buf, &mut general).unwrap();
        assert!(same(&e, &general));
    }
}

/// The limits are inclusive on the replacing path too: a record at each limit that also holds
/// invalid UTF-8, which the fast fill declines so that the general walk decodes it, is
/// accepted as the fast path accepts it.
#[test]
fn limits_are_inclusive_on_the_replacing_path_too() {
    let keys: Vec<String> = (0..MAX_FIELDS).map(|i| format!("k{i}")).collect();
    let labels: Vec<(&str, &str)> = keys[..MAX_LABELS]
        .iter()
        .map(|k| (k.as_str(), "v"))
        .collect();
    let fields: Vec<(&str, ValueRef<'_>)> = keys
        .iter()
        .map(|k| (k.as_str(), ValueRef::U64(7)))
        .collect();
    // The record with the first byte of its message (after the length prefix) made invalid.
    let invalid_message = |rec: Record<'_>| {
        let mut buf = bytes_of(&rec);
        buf[HEADER_LEN + 4] = 0xff;
        buf
    };

    let e = decoded(&invalid_message(Record {
        message: "x",
        labels: &labels,
        fields: &fields,
        ..Record::default()
    }))
    .unwrap();
    assert_eq!(e.message(), "\u{fffd}");
    assert_eq!((e.label_count(), e.field_count()), (MAX_LABELS, MAX_FIELDS));

    let long_key = "k".repeat(MAX_KEY_BYTES);
    let e = decoded(&invalid_message(Record {
        message: "x",
        labels: &[(&long_key, "v")],
        fields: &[(&long_key, ValueRef::Bool(true))],
        ..Record::default()
    }))
    .unwrap();
    assert_eq!(e.label(&long_key), Some("v"));
    assert_eq!(e.field(&long_key), Some(ValueRef::Bool(true)));

    let longest = "m".repeat(MAX_MESSAGE_BYTES);
    let e = decoded(&invalid_message(Record {
        message: &longest,
        ..Record::default()
    }))
    .unwrap();
    assert_eq!(e.message(), format!("\u{fffd}{}", &longest[1..]));

    // The largest record (as in the test above), its last byte, the end of a string field,
    // made invalid.
    let fits = "v".repeat(MAX_RECORD_BYTES - HEADER_LEN - 12 - 5 - 1 - 4);
    let mut buf = bytes_of(&Record {
        fields: &[("f", ValueRef::Str(&fits))],
        ..Record::default()
    });
    assert_eq!(buf.len(), MAX_RECORD_BYTES);
    *buf.last_mut().unwrap() = 0xff;
    let e = decoded(&buf).unwrap();
    let expect = format!("{}\u{fffd}", &fits[1..]);
    assert_eq!(e.field("f"), Some(ValueRef::Str(&expect)));
}
