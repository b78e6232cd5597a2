//! The decoder: a check over the bytes, then a fill of the entry, in place in the entry's
//! copy of the record.
//!
//! Both run in two forms. The fast ones (fast.rs) take the common record in one tight pass
//! each and decline anything else; the general [`walk`] then gives the precise error, or fills
//! with invalid UTF-8 replaced. The check does nothing but read, so a refused record leaves the
//! entry as it was and costs no allocation.

use super::error::{RecordError, RecordErrorKind as Kind};
use super::fast;
use super::{HEADER_LEN, MAGIC, MAX_KEY_BYTES, MAX_RECORD_BYTES, VERSION};
use crate::entry::text::lossy;
use crate::entry::{
    EntryData, Level, ValueKind, ValueRef, MAX_FIELDS, MAX_LABELS, MAX_MESSAGE_BYTES,
};
use std::borrow::Cow;

/// Decodes one packed record into `e`.
///
/// `buf` must hold exactly one record: the length in its header must equal `buf.len()`.
/// The whole record is checked before `e` is touched, so:
/// - on success, `e` holds exactly the record's contents: whatever it held before (timestamp,
///   level, message, trace context, labels, fields) is replaced, its buffers are reused;
/// - on error, `e` is left exactly as it was.
///
/// Strings that are not valid UTF-8 are not an error: each invalid sequence becomes U+FFFD,
/// as [`String::from_utf8_lossy`] does. `buf` is copied into the entry's text buffer once,
/// and valid strings are used where they lie in that copy. A key that occurs twice keeps the
/// position of its first occurrence and the value (and type) of its last. See
/// docs/record-format.md for the layout.
pub fn decode_into(buf: &[u8], e: &mut EntryData) -> Result<(), RecordError> {
    let (level, timestamp_ns) = check(buf)?;
    e.reset(usize::MAX);
    e.pack(buf, level, timestamp_ns);
    expand(e);
    Ok(())
}

/// Checks a whole record without decoding it, and returns its level and timestamp.
///
/// Accepts exactly the records [`decode_into`] accepts, with the same errors; what it does not
/// look at is the text, which is never an error (see [`decode_into`]).
pub fn check(buf: &[u8]) -> Result<(Level, u64), RecordError> {
    if let Some(h) = fast::check(buf) {
        return Ok((h.level, h.timestamp_ns));
    }
    let mut c = Check::default();
    walk(buf, &mut c)?;
    Ok(c.header)
}

/// Decodes the record that [`EntryData::pack`] left in `e`, if any, into `e` itself: the
/// second half of [`crate::Pipeline::submit_record`] and of a lane's record, run by the
/// batcher when a stage there reads the entry, else by the first sink that reads the batch.
/// The record was checked when it was packed.
pub(crate) fn expand(e: &mut EntryData) {
    let Some(text) = e.take_packed() else { return };
    // The entry was stamped at submit if the record carried no timestamp: keep that.
    let stamped = e.timestamp_ns();
    if fast::fill(&text, e).is_some() {
        e.restore_text(text);
    } else {
        // Valid but not all UTF-8: the replacing walk, which finds nothing to refuse in bytes
        // that were accepted, copies the strings into a text of the entry's own.
        e.reset(usize::MAX);
        let filled = walk(text.bytes(), &mut Fill(e));
        debug_assert!(filled.is_ok(), "a checked record failed to decode");
    }
    e.set_timestamp_ns(stamped);
}

/// Decodes with the general walk alone, for the tests that hold the fast paths to it.
#[cfg(test)]
pub(super) fn decode_general(buf: &[u8], e: &mut EntryData) -> Result<(), RecordError> {
    e.reset(usize::MAX);
    walk(buf, &mut Fill(e))
}

/// Copies a record that nobody has checked into `e` (an empty pooled entry) and decodes it
/// there, checking it as it goes: what [`check`] and [`decode_into`] do together, with the
/// record walked once rather than twice when it is the common kind (all UTF-8). For a reader
/// of untrusted bytes (a lane). `false`, with `e` reset, when the record is malformed.
pub fn unpack_into(buf: &[u8], e: &mut EntryData) -> bool {
    let (level, timestamp_ns) = match fast::header(buf) {
        Some(h) => (h.level, h.timestamp_ns),
        None => match check(buf) {
            Ok(h) => h,
            Err(_) => return false,
        },
    };
    e.pack(buf, level, timestamp_ns);
    let Some(text) = e.take_packed() else {
        return false;
    };
    if fast::fill(&text, e).is_some() {
        e.restore_text(text);
        return true;
    }
    // Not the common kind: the general walk, which refuses what `check` refuses and
    // replaces invalid UTF-8.
    e.reset(usize::MAX);
    if walk(text.bytes(), &mut Fill(e)).is_ok() {
        return true;
    }
    e.reset(usize::MAX);
    false
}

/// Checks a record that nobody has checked (a lane's) and copies it into `e`, an empty pooled
/// entry, packed: [`expand`] decodes it later, where the entry is first read. `false`, with `e`
/// untouched, when the record is malformed.
pub(crate) fn pack_checked(buf: &[u8], e: &mut EntryData) -> bool {
    match check(buf) {
        Ok((level, timestamp_ns)) => {
            e.pack(buf, level, timestamp_ns);
            true
        }
        Err(_) => false,
    }
}

/// [`expand`] for an entry moved along a pipeline.
#[inline]
pub(crate) fn expanded(mut e: Box<EntryData>) -> Box<EntryData> {
    expand(&mut e);
    e
}

/// A value as read from the record, strings still raw bytes.
#[derive(Clone, Copy)]
enum RawValue<'a> {
    Str(&'a [u8]),
    I64(i64),
    U64(u64),
    F64(f64),
    Bool(bool),
}

/// What one pass does with each item that [`walk`] reads. `at` is the item's offset, for
/// errors.
trait Visit {
    fn header(&mut self, _timestamp_ns: u64, _level: Level) {}
    fn message(&mut self, _s: &[u8]) {}
    fn trace_id(&mut self, _s: &[u8]) {}
    fn span_id(&mut self, _s: &[u8]) {}
    fn label(&mut self, _at: usize, _k: &[u8], _v: &[u8]) -> Result<(), RecordError> {
        Ok(())
    }
    fn field(&mut self, _at: usize, _k: &[u8], _v: RawValue<'_>) -> Result<(), RecordError> {
        Ok(())
    }
}

/// The checking pass: reads, keeps the header.
#[derive(Default)]
struct Check {
    header: (Level, u64),
}

impl Visit for Check {
    fn header(&mut self, timestamp_ns: u64, level: Level) {
        self.header = (level, timestamp_ns);
    }
}

/// The filling pass.
struct Fill<'e>(&'e mut EntryData);

impl Visit for Fill<'_> {
    fn header(&mut self, timestamp_ns: u64, level: Level) {
        self.0.set_timestamp_ns(timestamp_ns);
        self.0.set_level(level);
    }
    fn message(&mut self, s: &[u8]) {
        self.0.set_message(&lossy(s));
    }
    fn trace_id(&mut self, s: &[u8]) {
        self.0.set_trace_id(&lossy(s));
    }
    fn span_id(&mut self, s: &[u8]) {
        self.0.set_span_id(&lossy(s));
    }
    fn label(&mut self, at: usize, k: &[u8], v: &[u8]) -> Result<(), RecordError> {
        self.0
            .put_label(&lossy(k), &lossy(v))
            .map_err(|_| RecordError::new(Kind::TooManyLabels, at))
    }
    fn field(&mut self, at: usize, k: &[u8], v: RawValue<'_>) -> Result<(), RecordError> {
        let key: Cow<'_, str> = lossy(k);
        let set = match v {
            RawValue::Str(s) => self.0.put_field(&key, ValueRef::Str(&lossy(s))),
            RawValue::I64(n) => self.0.put_field(&key, ValueRef::I64(n)),
            RawValue::U64(n) => self.0.put_field(&key, ValueRef::U64(n)),
            RawValue::F64(n) => self.0.put_field(&key, ValueRef::F64(n)),
            RawValue::Bool(b) => self.0.put_field(&key, ValueRef::Bool(b)),
        };
        set.map_err(|_| RecordError::new(Kind::TooManyFields, at))
    }
}

/// Reads the record in layout order, refusing the first thing that is wrong, and hands each
/// item to `v`.
fn walk(buf: &[u8], v: &mut impl Visit) -> Result<(), RecordError> {
    let mut r = Reader { buf, pos: 0 };
    if r.bytes(2)? != MAGIC {
        return Err(RecordError::new(Kind::BadMagic, 0));
    }
    if r.u8()? != VERSION {
        return Err(RecordError::new(Kind::UnsupportedVersion, 2));
    }
    let level = Level::from_u8(r.u8()?).ok_or(RecordError::new(Kind::BadLevel, 3))?;
    let total = r.u32()? as usize;
    if total > MAX_RECORD_BYTES {
        return Err(RecordError::new(Kind::TooLarge, 4));
    }
    if total != buf.len() {
        return Err(RecordError::new(Kind::LengthMismatch, 4));
    }
    let timestamp_ns = r.u64()?;
    let label_count = usize::from(r.u16()?);
    if label_count > MAX_LABELS {
        return Err(RecordError::new(Kind::TooManyLabels, 16));
    }
    let field_count = usize::from(r.u16()?);
    if field_count > MAX_FIELDS {
        return Err(RecordError::new(Kind::TooManyFields, 18));
    }
    debug_assert_eq!(r.pos, HEADER_LEN);
    v.header(timestamp_ns, level);
    let message_at = r.pos;
    let message = r.str()?;
    if message.len() > MAX_MESSAGE_BYTES {
        return Err(RecordError::new(Kind::MessageTooLong, message_at));
    }
    v.message(message);
    v.trace_id(r.str()?);
    v.span_id(r.str()?);
    for _ in 0..label_count {
        let at = r.pos;
        let key = r.key()?;
        v.label(at, key, r.str()?)?;
    }
    for _ in 0..field_count {
        let at = r.pos;
        let key = r.key()?;
        let type_at = r.pos;
        let kind =
            ValueKind::from_u8(r.u8()?).ok_or(RecordError::new(Kind::BadValueType, type_at))?;
        let value = match kind {
            ValueKind::Str => RawValue::Str(r.str()?),
            ValueKind::I64 => RawValue::I64(r.u64()? as i64),
            ValueKind::U64 => RawValue::U64(r.u64()?),
            ValueKind::F64 => RawValue::F64(f64::from_bits(r.u64()?)),
            ValueKind::Bool => {
                let bool_at = r.pos;
                match r.u8()? {
                    0 => RawValue::Bool(false),
                    1 => RawValue::Bool(true),
                    _ => return Err(RecordError::new(Kind::BadBool, bool_at)),
                }
            }
        };
        v.field(at, key, value)?;
    }
    if r.pos != buf.len() {
        return Err(RecordError::new(Kind::TrailingBytes, r.pos));
    }
    Ok(())
}

/// A little-endian cursor whose every read is bounds-checked.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// The next `n` bytes; [`Kind::Truncated`] at `at` if there are fewer.
    #[inline]
    fn take_at(&mut self, n: usize, at: usize) -> Result<&'a [u8], RecordError> {
        let rest = &self.buf[self.pos..];
        if rest.len() < n {
            return Err(RecordError::new(Kind::Truncated, at));
        }
        self.pos += n;
        Ok(&rest[..n])
    }

    #[inline]
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], RecordError> {
        self.take_at(n, self.pos)
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> Result<[u8; N], RecordError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.bytes(N)?);
        Ok(a)
    }

    #[inline]
    fn u8(&mut self) -> Result<u8, RecordError> {
        Ok(self.array::<1>()?[0])
    }
    #[inline]
    fn u16(&mut self) -> Result<u16, RecordError> {
        self.array().map(u16::from_le_bytes)
    }
    #[inline]
    fn u32(&mut self) -> Result<u32, RecordError> {
        self.array().map(u32::from_le_bytes)
    }
    #[inline]
    fn u64(&mut self) -> Result<u64, RecordError> {
        self.array().map(u64::from_le_bytes)
    }

    /// A length-prefixed string's bytes. A string that runs past the end is reported at its
    /// length prefix.
    #[inline]
    fn str(&mut self) -> Result<&'a [u8], RecordError> {
        let at = self.pos;
        let n = self.u32()? as usize;
        self.take_at(n, at)
    }

    /// A key: a string, not empty and at most [`MAX_KEY_BYTES`] long. The length is judged
    /// before the bytes are looked for, so an oversized key is reported as such even when the
    /// record also ends too soon.
    #[inline]
    fn key(&mut self) -> Result<&'a [u8], RecordError> {
        let at = self.pos;
        let n = self.u32()? as usize;
        if n == 0 {
            return Err(RecordError::new(Kind::EmptyKey, at));
        }
        if n > MAX_KEY_BYTES {
            return Err(RecordError::new(Kind::KeyTooLong, at));
        }
        self.take_at(n, at)
    }
}
