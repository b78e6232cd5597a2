//! The decoder's fast paths: a check that reads a record once and keeps nothing, and a fill
//! that decodes it in one pass, in place, into the entry that holds it.
//!
//! Both decline (answer `None`) at the first thing they do not take, without saying why:
//! anything malformed, and for the fill, strings that are not valid UTF-8 (they need the
//! replacing path). The caller then runs the general walk of decode.rs, which finds the same
//! record either wrong, with the precise error, or valid, and fills it with the replacing
//! rules. So the fast paths change no outcome, only the cost of the common one; the tests
//! check that they agree with the walk on every vector and on mutated records.

use super::{HEADER_LEN, MAGIC, MAX_KEY_BYTES, MAX_RECORD_BYTES, VERSION};
use crate::entry::{
    Arena, EntryData, Level, Span, Stored, MAX_FIELDS, MAX_LABELS, MAX_MESSAGE_BYTES,
};

/// The fixed header, read and checked.
pub(crate) struct Header {
    pub(crate) level: Level,
    pub(crate) timestamp_ns: u64,
    labels: usize,
    fields: usize,
}

/// Reads the header and checks everything it says on its own (magic, version, level, total
/// length against `buf`, counts against the limits).
#[inline]
pub(crate) fn header(buf: &[u8]) -> Option<Header> {
    let h: &[u8; HEADER_LEN] = buf.get(..HEADER_LEN)?.try_into().ok()?;
    if h[..2] != MAGIC || h[2] != VERSION {
        return None;
    }
    let level = Level::from_u8(h[3])?;
    let total = u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as usize;
    if total != buf.len() || total > MAX_RECORD_BYTES {
        return None;
    }
    let mut ts = [0u8; 8];
    ts.copy_from_slice(&h[8..16]);
    let labels = usize::from(u16::from_le_bytes([h[16], h[17]]));
    let fields = usize::from(u16::from_le_bytes([h[18], h[19]]));
    if labels > MAX_LABELS || fields > MAX_FIELDS {
        return None;
    }
    Some(Header {
        level,
        timestamp_ns: u64::from_le_bytes(ts),
        labels,
        fields,
    })
}

/// Checks the whole layout (not the text: invalid UTF-8 is no error) and returns the header.
pub(super) fn check(buf: &[u8]) -> Option<Header> {
    let h = header(buf)?;
    let mut c = Cursor {
        buf,
        pos: HEADER_LEN,
    };
    // A message over the limit is left to the general walk, which names it.
    let message = c.u32()? as usize;
    if message > MAX_MESSAGE_BYTES {
        return None;
    }
    c.skip(message)?;
    for _ in 0..2 {
        c.skip_str()?;
    }
    for _ in 0..h.labels {
        c.skip_key()?;
        c.skip_str()?;
    }
    for _ in 0..h.fields {
        c.skip_key()?;
        match c.u8()? {
            0 => c.skip_str()?,
            1..=3 => c.skip(8)?,
            4 => {
                if c.u8()? > 1 {
                    return None;
                }
            }
            _ => return None,
        }
    }
    (c.pos == buf.len()).then_some(h)
}

/// Decodes the record that `text` holds in place, for `e`, which must hold no message, ids,
/// labels or fields: each string is validated where it lies and becomes a span of `text`,
/// nothing is copied. On `None`, `e` holds part of the record and must be reset.
pub(super) fn fill(text: &Arena, e: &mut EntryData) -> Option<()> {
    let buf = text.bytes();
    let h = header(buf)?;
    e.set_timestamp_ns(h.timestamp_ns);
    e.set_level(h.level);
    let mut c = Cursor {
        buf,
        pos: HEADER_LEN,
    };
    let message = c.text(text)?;
    let trace_id = c.text(text)?;
    let span_id = c.text(text)?;
    e.index_strings(message, trace_id, span_id);
    // Keys are looked for among those already set only when a key of the same length and
    // ends was seen before: records rarely repeat a key, and the scans were a fifth of the
    // fill.
    let mut seen = Seen::default();
    for _ in 0..h.labels {
        let k = c.key(text)?;
        let v = c.text(text)?;
        e.index_label(text, k, v, seen.maybe(text.get(k))).ok()?;
    }
    let mut seen = Seen::default();
    for _ in 0..h.fields {
        let k = c.key(text)?;
        let v = match c.u8()? {
            0 => Stored::Str(c.text(text)?),
            1 => Stored::I64(c.u64()? as i64),
            2 => Stored::U64(c.u64()?),
            3 => Stored::F64(f64::from_bits(c.u64()?)),
            4 => match c.u8()? {
                0 => Stored::Bool(false),
                1 => Stored::Bool(true),
                _ => return None,
            },
            _ => return None,
        };
        e.index_field(text, k, v, seen.maybe(text.get(k))).ok()?;
    }
    (c.pos == buf.len()).then_some(())
}

/// The keys set so far, as a 64-bit filter over (length, first byte, last byte): `maybe`
/// answers false only for a key that was certainly not seen, and notes the key.
#[derive(Default)]
struct Seen(u64);

impl Seen {
    #[inline(always)]
    fn maybe(&mut self, key: &str) -> bool {
        let b = key.as_bytes();
        let (first, last) = match b {
            [] => (0, 0),
            [f, .., l] => (*f, *l),
            [f] => (*f, *f),
        };
        let h = b
            .len()
            .wrapping_mul(31)
            .wrapping_add(usize::from(first))
            .wrapping_add(usize::from(last).wrapping_mul(7));
        let bit = 1u64 << (h & 63);
        let seen = self.0 & bit != 0;
        self.0 |= bit;
        seen
    }
}

/// A little-endian cursor that answers `None` past the end.
struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    #[inline(always)]
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    #[inline(always)]
    fn skip(&mut self, n: usize) -> Option<()> {
        let end = self.pos.checked_add(n)?;
        if end > self.buf.len() {
            return None;
        }
        self.pos = end;
        Some(())
    }

    #[inline(always)]
    fn u8(&mut self) -> Option<u8> {
        let b = *self.buf.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    #[inline(always)]
    fn u32(&mut self) -> Option<u32> {
        let b: [u8; 4] = self.take(4)?.try_into().ok()?;
        Some(u32::from_le_bytes(b))
    }

    #[inline(always)]
    fn u64(&mut self) -> Option<u64> {
        let b: [u8; 8] = self.take(8)?.try_into().ok()?;
        Some(u64::from_le_bytes(b))
    }

    #[inline(always)]
    fn skip_str(&mut self) -> Option<()> {
        let n = self.u32()? as usize;
        self.skip(n)
    }

    /// The length of a key: 1 to [`MAX_KEY_BYTES`] bytes.
    #[inline(always)]
    fn key_len(&mut self) -> Option<usize> {
        let n = self.u32()? as usize;
        (n != 0 && n <= MAX_KEY_BYTES).then_some(n)
    }

    #[inline(always)]
    fn skip_key(&mut self) -> Option<()> {
        let n = self.key_len()?;
        self.skip(n)
    }

    /// A length-prefixed string that is valid UTF-8, as a span of `text`, which holds the
    /// record this cursor reads.
    #[inline(always)]
    fn text(&mut self, text: &Arena) -> Option<Span> {
        let n = self.u32()? as usize;
        self.span(text, n)
    }

    #[inline(always)]
    fn key(&mut self, text: &Arena) -> Option<Span> {
        let n = self.key_len()?;
        self.span(text, n)
    }

    #[inline(always)]
    fn span(&mut self, text: &Arena, n: usize) -> Option<Span> {
        let s = text.text_span(self.pos, n)?;
        self.pos += n;
        Some(s)
    }
}
