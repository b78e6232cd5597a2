//! Decodes arbitrary bytes as a packed record into a reused entry.
//!
//! What must hold: no panic; a refusal points inside the buffer and leaves the entry exactly as
//! it was; an accepted record re-encodes to bytes that decode to the same entry, and to the
//! input itself when decoding neither replaced invalid UTF-8 nor collapsed a duplicated key;
//! `record::check` agrees with decoding on every input.

#![no_main]

use libfuzzer_sys::fuzz_target;
use logcap_core::record::{check, decode_into, encode_entry, RecordErrorKind};
use logcap_core::{EntryData, ValueRef};
use std::cell::RefCell;

thread_local! {
    // Reused across inputs, as a pooled entry is: stale buffers and slots must not leak.
    static ENTRY: RefCell<EntryData> = RefCell::new(EntryData::new());
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

fn replaced(e: &EntryData) -> bool {
    let has = |s: &str| s.contains(char::REPLACEMENT_CHARACTER);
    has(e.message())
        || has(e.trace_id().unwrap_or(""))
        || has(e.span_id().unwrap_or(""))
        || e.labels().any(|(k, v)| has(k) || has(v))
        || e.fields()
            .any(|(k, v)| has(k) || matches!(v, ValueRef::Str(s) if has(s)))
}

fuzz_target!(|data: &[u8]| {
    ENTRY.with(|cell| {
        let e = &mut *cell.borrow_mut();
        let before = e.clone();
        // The check a submit runs on the caller's thread accepts exactly what decoding does,
        // with the same error, and reads the same header.
        let checked = check(data);
        let decoded = decode_into(data, e);
        match (&checked, &decoded) {
            (Ok((level, ts)), Ok(())) => assert_eq!((*level, *ts), (e.level(), e.timestamp_ns())),
            (Err(a), Err(b)) => assert_eq!(a, b),
            _ => panic!("check {checked:?} but decode {decoded:?}"),
        }
        if let Err(err) = decoded {
            assert!(err.offset <= data.len(), "{err}");
            assert!(
                same(e, &before),
                "a refused record changed the entry: {err}"
            );
            return;
        }
        let mut b1 = Vec::new();
        if let Err(err) = encode_entry(e, &mut b1) {
            // Only replacement characters, longer than the bytes they replace, can push a
            // decoded entry past a limit.
            assert!(replaced(e), "an accepted record does not re-encode: {err}");
            assert!(matches!(
                err.kind,
                RecordErrorKind::KeyTooLong | RecordErrorKind::TooLarge
            ));
            return;
        }
        let mut e2 = EntryData::new();
        decode_into(&b1, &mut e2).expect("a re-encoded record decodes");
        assert!(same(e, &e2), "the round trip changed the entry");
        let mut b2 = Vec::new();
        encode_entry(&e2, &mut b2).expect("a round-tripped entry encodes");
        assert_eq!(b1, b2);
        let announced = (
            u16::from_le_bytes([data[16], data[17]]),
            u16::from_le_bytes([data[18], data[19]]),
        );
        let collapsed = announced != (e.label_count() as u16, e.field_count() as u16);
        if !replaced(e) && !collapsed {
            assert_eq!(b1, data, "decoding is not canonical");
        }
    });
});
