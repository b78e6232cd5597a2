//! The encoder: what a binding does in its own language, in Rust, for Rust callers, benches and
//! the test vectors.

use super::error::{RecordError, RecordErrorKind as Kind};
use super::{HEADER_LEN, MAGIC, MAX_KEY_BYTES, MAX_RECORD_BYTES, VERSION};
use crate::entry::{EntryData, Level, ValueRef, MAX_FIELDS, MAX_LABELS, MAX_MESSAGE_BYTES};

/// The contents of one record, borrowed, for [`encode`].
///
/// Labels and fields are written in the order given, duplicates included (the decoder keeps
/// the last value of a duplicated key).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Record<'a> {
    /// Nanoseconds since the Unix epoch; 0 lets the pipeline stamp the entry at submit.
    pub timestamp_ns: u64,
    /// The level.
    pub level: Level,
    /// The message.
    pub message: &'a str,
    /// The trace id; empty means absent.
    pub trace_id: &'a str,
    /// The span id; empty means absent.
    pub span_id: &'a str,
    /// Labels, key then value.
    pub labels: &'a [(&'a str, &'a str)],
    /// Fields, key then value.
    pub fields: &'a [(&'a str, ValueRef<'a>)],
}

/// Encodes `rec` as one packed record into `out`, replacing what `out` held and reusing its
/// capacity.
///
/// Refuses, with the error the decoder would report, a record the decoder would refuse: more
/// than [`MAX_LABELS`] labels or [`MAX_FIELDS`] fields, an empty key, a key longer than
/// [`MAX_KEY_BYTES`], a message longer than [`MAX_MESSAGE_BYTES`], or a record longer than
/// [`MAX_RECORD_BYTES`]. On error `out` is left empty.
pub fn encode(rec: &Record<'_>, out: &mut Vec<u8>) -> Result<(), RecordError> {
    let head = Head {
        timestamp_ns: rec.timestamp_ns,
        level: rec.level,
        message: rec.message,
        trace_id: rec.trace_id,
        span_id: rec.span_id,
    };
    let labels = rec.labels.iter().copied();
    let fields = rec.fields.iter().copied();
    write_or_clear(out, &head, labels, fields)
}

/// Encodes an entry as one packed record into `out`, as [`encode`] does.
///
/// Decoding the result gives an entry equal to `e`. An entry that was itself decoded from a
/// record with invalid UTF-8 can be refused here: replacement characters make strings longer,
/// so a key can grow past [`MAX_KEY_BYTES`] or the record past [`MAX_RECORD_BYTES`].
pub fn encode_entry(e: &EntryData, out: &mut Vec<u8>) -> Result<(), RecordError> {
    let head = Head {
        timestamp_ns: e.timestamp_ns(),
        level: e.level(),
        message: e.message(),
        trace_id: e.trace_id().unwrap_or(""),
        span_id: e.span_id().unwrap_or(""),
    };
    write_or_clear(out, &head, e.labels(), e.fields())
}

struct Head<'a> {
    timestamp_ns: u64,
    level: Level,
    message: &'a str,
    trace_id: &'a str,
    span_id: &'a str,
}

fn write_or_clear<'a>(
    out: &mut Vec<u8>,
    head: &Head<'_>,
    labels: impl ExactSizeIterator<Item = (&'a str, &'a str)>,
    fields: impl ExactSizeIterator<Item = (&'a str, ValueRef<'a>)>,
) -> Result<(), RecordError> {
    out.clear();
    let r = write(out, head, labels, fields);
    if r.is_err() {
        out.clear();
    }
    r
}

fn write<'a>(
    out: &mut Vec<u8>,
    head: &Head<'_>,
    labels: impl ExactSizeIterator<Item = (&'a str, &'a str)>,
    fields: impl ExactSizeIterator<Item = (&'a str, ValueRef<'a>)>,
) -> Result<(), RecordError> {
    // Counts are checked before anything is copied, where the decoder checks them.
    let label_count = label_count(labels.len())?;
    let field_count = field_count(fields.len())?;

    out.extend_from_slice(&MAGIC);
    out.push(VERSION);
    out.push(head.level as u8);
    out.extend_from_slice(&[0; 4]); // total length, patched below
    out.extend_from_slice(&head.timestamp_ns.to_le_bytes());
    out.extend_from_slice(&label_count.to_le_bytes());
    out.extend_from_slice(&field_count.to_le_bytes());
    debug_assert_eq!(out.len(), HEADER_LEN);

    check_message(head.message.len())?;
    put_str(out, head.message)?;
    put_str(out, head.trace_id)?;
    put_str(out, head.span_id)?;
    let mut labels_written = 0usize;
    for (k, v) in labels {
        put_key(out, k)?;
        put_str(out, v)?;
        labels_written += 1;
    }
    let mut fields_written = 0usize;
    for (k, v) in fields {
        put_key(out, k)?;
        reserve(out, 1)?;
        out.push(v.kind() as u8);
        match v {
            ValueRef::Str(s) => put_str(out, s)?,
            ValueRef::I64(n) => put_bytes(out, &n.to_le_bytes())?,
            ValueRef::U64(n) => put_bytes(out, &n.to_le_bytes())?,
            ValueRef::F64(n) => put_bytes(out, &n.to_bits().to_le_bytes())?,
            ValueRef::Bool(b) => put_bytes(out, &[u8::from(b)])?,
        }
        fields_written += 1;
    }
    // Both callers pass slice-backed iterators, whose `len` is exact.
    debug_assert_eq!(
        (labels_written, fields_written),
        (usize::from(label_count), usize::from(field_count))
    );

    // `reserve` kept the length within MAX_RECORD_BYTES, which fits in a u32.
    let total = u32::try_from(out.len()).map_err(|_| RecordError::new(Kind::TooLarge, 4))?;
    out[4..8].copy_from_slice(&total.to_le_bytes());
    Ok(())
}

/// Refuses to grow the record past [`MAX_RECORD_BYTES`] by `n` more bytes.
#[inline]
fn reserve(out: &[u8], n: usize) -> Result<(), RecordError> {
    if n > MAX_RECORD_BYTES - out.len() {
        return Err(RecordError::new(Kind::TooLarge, out.len()));
    }
    Ok(())
}

#[inline]
fn put_bytes(out: &mut Vec<u8>, b: &[u8]) -> Result<(), RecordError> {
    reserve(out, b.len())?;
    out.extend_from_slice(b);
    Ok(())
}

#[inline]
fn put_str(out: &mut Vec<u8>, s: &str) -> Result<(), RecordError> {
    // Checked first so that a huge string is neither copied nor has its length truncated.
    reserve(out, 4 + s.len())?;
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

#[inline]
fn put_key(out: &mut Vec<u8>, k: &str) -> Result<(), RecordError> {
    check_key(k.len(), out.len())?;
    put_str(out, k)
}

/// The label count of a record with `n` labels, refused as the decoder refuses it (at its
/// place in the header) above [`MAX_LABELS`]. Shared with the incremental [`super::Writer`].
#[inline]
pub(super) fn label_count(n: usize) -> Result<u16, RecordError> {
    u16::try_from(n)
        .ok()
        .filter(|&n| usize::from(n) <= MAX_LABELS)
        .ok_or(RecordError::new(Kind::TooManyLabels, 16))
}

/// The field count of a record with `n` fields, refused above [`MAX_FIELDS`] (see
/// [`label_count`]).
#[inline]
pub(super) fn field_count(n: usize) -> Result<u16, RecordError> {
    u16::try_from(n)
        .ok()
        .filter(|&n| usize::from(n) <= MAX_FIELDS)
        .ok_or(RecordError::new(Kind::TooManyFields, 18))
}

/// Refuses a key of `len` bytes that the decoder would refuse, reporting it at `at`, where
/// its length prefix goes: empty, or longer than [`MAX_KEY_BYTES`]. Shared with the
/// incremental [`super::Writer`].
#[inline]
pub(super) fn check_key(len: usize, at: usize) -> Result<(), RecordError> {
    if len == 0 {
        return Err(RecordError::new(Kind::EmptyKey, at));
    }
    if len > MAX_KEY_BYTES {
        return Err(RecordError::new(Kind::KeyTooLong, at));
    }
    Ok(())
}

/// Refuses a message the decoder would refuse: longer than [`MAX_MESSAGE_BYTES`].
#[inline]
pub(super) fn check_message(len: usize) -> Result<(), RecordError> {
    if len > MAX_MESSAGE_BYTES {
        return Err(RecordError::new(Kind::MessageTooLong, HEADER_LEN));
    }
    Ok(())
}
