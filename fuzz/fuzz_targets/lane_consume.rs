//! Consumes a lane whose bytes are arbitrary: the input is laid over the lane from its
//! producer line on (offset 64: the positions, the counters, the control line and the ring),
//! as a broken binding or a stray write could leave it.
//!
//! What must hold (docs/lane-protocol.md, "A malformed lane"): no panic and no hang; every
//! record handed on decodes; the batcher's pass (`drain_unchecked` with
//! `record::unpack_into`) takes, decodes and counts exactly what the checked pass does; a pass reads only frames that lie within the ring and before the
//! write position; a poisoned lane is never read again, and its producer is told; a second
//! pass over an unchanged lane hands on nothing more.

#![no_main]

use libfuzzer_sys::fuzz_target;
use logcap_core::lane::{Consumer, Lane, Producer, Refused};
use logcap_core::record::{decode_into, unpack_into};
use logcap_core::EntryData;
use std::sync::Arc;

const CAPACITY: usize = 4096;

/// An entry as text, every field with its value: equal for equal entries, a NaN field
/// included (NaN is not equal to itself, and a decoded entry need not re-encode: invalid UTF-8
/// replaced in a key can make it longer than a key may be).
fn bits(e: &EntryData) -> String {
    format!("{e:?}")
}

/// A lane whose bytes from offset 64 on are `data`'s.
fn lane_of(data: &[u8]) -> Lane {
    let mut lane = Lane::new(CAPACITY).expect("a valid capacity");
    let bytes = lane.bytes_mut();
    let n = data.len().min(bytes.len() - 64);
    bytes[64..64 + n].copy_from_slice(&data[..n]);
    lane
}

fuzz_target!(|data: &[u8]| {
    let mut lane = lane_of(data);
    let write = u64::from_le_bytes(lane.bytes_mut()[64..72].try_into().unwrap());
    let lane = Arc::new(lane);

    // The batcher's way (unchecked frames, each record checked as `unpack_into` decodes it),
    // over a copy of the same bytes: the same records taken, the same entries, the same
    // counts as the checked pass below.
    let mut unchecked = Consumer::new(Arc::new(lane_of(data)));
    let mut decoded = Vec::new();
    let by_batcher = unchecked.drain_unchecked(
        |r| {
            let mut e = EntryData::new();
            let ok = unpack_into(r, &mut e);
            let mut want = EntryData::new();
            assert_eq!(ok, decode_into(r, &mut want).is_ok(), "unpack_into and decode_into disagree");
            if ok {
                // Compared as text: a NaN field is not equal to itself.
                assert_eq!(bits(&e), bits(&want));
                decoded.push(bits(&e));
            }
            ok
        },
        |_| panic!("no entry frame has an entry behind it in a lane made of bytes"),
    );
    let mut c = Consumer::new(Arc::clone(&lane));
    let mut e = EntryData::new();
    let mut handed = 0u64;
    let mut checked = Vec::new();
    let first = c.drain(|r| {
        handed += 1;
        decode_into(r.record, &mut e).expect("a checked record decodes");
        assert_eq!((e.level(), e.timestamp_ns()), (r.level, r.timestamp_ns));
        checked.push(bits(&e));
    });
    assert_eq!(first.consumed, handed);
    assert_eq!(first, by_batcher, "the batcher's pass counts as the checked pass does");
    assert!(decoded == checked, "the batcher's pass decodes what the checked pass hands on");
    // At most one frame per 8 bytes of what was published.
    let frames = first.consumed + first.evicted;
    assert!(frames <= (CAPACITY / 8) as u64);
    if first.poisoned {
        assert!(first.malformed >= 1);
        assert!(c.is_finished() && c.is_empty());
        // Told, unless the (arbitrary) control line also says closed, which is checked first.
        let told = Producer::new(Arc::clone(&lane)).enter();
        let want = if lane.is_closed() {
            Refused::Closed
        } else {
            Refused::Poisoned
        };
        assert_eq!(told, Err(want));
    } else {
        assert!(write <= CAPACITY as u64 && write % 8 == 0);
        assert!(c.is_empty());
    }
    let second = c.drain(|_| panic!("an unchanged lane handed on a record twice"));
    assert_eq!(second.consumed + second.evicted + second.malformed, 0);
});
