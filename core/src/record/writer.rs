//! The incremental encoder: one packed record written item by item, for callers that log
//! through a sequence of calls (the C ABI's record writer, `logcap_write_*`) rather than with
//! the whole event at hand, as [`super::encode`] needs.
//!
//! Items may come in any order: a label written after a field, or the trace context written
//! last, is moved into its place in the layout (labels before fields, the ids after the
//! message), so the bytes are always those [`super::encode`] writes for the same event. Each
//! item is refused, as it comes, exactly as the decoder would refuse the finished record for it
//! (the same kind, at the same offset): the checks are the encoder's, shared with it.

use super::encode::{check_key, check_message, field_count, label_count};
use super::error::{RecordError, RecordErrorKind as Kind};
use super::{HEADER_LEN, MAGIC, MAX_RECORD_BYTES, VERSION};
use crate::entry::{Level, ValueKind};

/// A writer keeps at most this much buffer capacity between records: a larger record's buffer
/// is freed when the record ends, so that one huge record does not pin its memory.
pub const WRITER_RETAINED_BYTES: usize = 64 * 1024;

/// An incremental encoder of one packed record at a time, reusing its buffer.
///
/// [`Writer::begin`] starts a record, the item methods add to it, [`Writer::finish`] gives its
/// bytes and [`Writer::reset`] ends it. A refused item leaves the record as it was before the
/// call. A record begun with `encode: false` is not written at all but still judged: every
/// limit is checked as if it were (for a caller that knows the record will be dropped, by its
/// level, and owes only the verdict).
///
/// ```
/// use logcap_core::record::{check, encode, Record, Writer};
/// use logcap_core::{Level, ValueRef};
///
/// let mut w = Writer::new();
/// w.begin(Level::Info, b"request completed", true).unwrap();
/// w.field_i64(b"status", 200).unwrap();
/// w.label(b"service", b"checkout").unwrap(); // moved before the field
/// let mut expected = Vec::new();
/// encode(
///     &Record {
///         message: "request completed",
///         labels: &[("service", "checkout")],
///         fields: &[("status", ValueRef::I64(200))],
///         ..Record::default()
///     },
///     &mut expected,
/// )
/// .unwrap();
/// assert_eq!(w.finish(), &expected[..]);
/// assert!(check(w.finish()).is_ok());
/// ```
#[derive(Debug, Default)]
pub struct Writer {
    buf: Vec<u8>,
    /// The record's length as encoded so far: `buf.len()` when encoding; otherwise the length
    /// it would have, so that the size limit is judged the same.
    len: usize,
    labels: u16,
    fields: u16,
    /// Where the trace id's length prefix is, and how many bytes the two ids take there.
    ids_at: usize,
    ids_len: usize,
    /// Where the first field starts (the end of the labels).
    fields_at: usize,
    encode: bool,
}

impl Writer {
    /// An empty writer; its buffer grows with the first record and is reused afterwards.
    pub const fn new() -> Self {
        Writer {
            buf: Vec::new(),
            len: 0,
            labels: 0,
            fields: 0,
            ids_at: 0,
            ids_len: 0,
            fields_at: 0,
            encode: false,
        }
    }

    /// Starts a record at `level` with `message`, replacing whatever the writer held. With
    /// `encode` false nothing is written, but every later item is still judged.
    ///
    /// A message longer than [`crate::entry::MAX_MESSAGE_BYTES`] is refused
    /// (`message_too_long`, or `too_large` past what a whole record may hold); the record is then begun without a message, so that the later
    /// items are judged as before.
    pub fn begin(&mut self, level: Level, message: &[u8], encode: bool) -> Result<(), RecordError> {
        self.buf.clear();
        self.encode = encode;
        self.labels = 0;
        self.fields = 0;
        // A message that makes the record too large on its own is that first, as the decoder
        // judges the total length before the message.
        let refused = if message.len() > MAX_RECORD_BYTES - HEADER_LEN - 4 - 8 {
            Err(RecordError::new(Kind::TooLarge, 4))
        } else {
            check_message(message.len())
        };
        let message = if refused.is_ok() { message } else { &[] };
        if encode {
            self.buf.extend_from_slice(&MAGIC);
            self.buf.push(VERSION);
            self.buf.push(level as u8);
            // The total length (4), the timestamp (8), the counts (2 + 2): patched by finish.
            self.buf.extend_from_slice(&[0; 16]);
            debug_assert_eq!(self.buf.len(), HEADER_LEN);
            self.buf
                .extend_from_slice(&(message.len() as u32).to_le_bytes());
            self.buf.extend_from_slice(message);
            // No trace id, no span id.
            self.buf.extend_from_slice(&[0; 8]);
        }
        self.ids_at = HEADER_LEN + 4 + message.len();
        self.ids_len = 8;
        self.len = self.ids_at + self.ids_len;
        self.fields_at = self.len;
        refused
    }

    /// Sets the timestamp (ns since the Unix epoch; 0, the default, lets the pipeline stamp
    /// the entry at submit).
    pub fn timestamp(&mut self, ns: u64) {
        if self.encode {
            self.buf[8..16].copy_from_slice(&ns.to_le_bytes());
        }
    }

    /// Sets the trace id and the span id, replacing the ones set before; an empty one is
    /// absent. Refused (`too_large`) when the record would grow past [`MAX_RECORD_BYTES`].
    pub fn trace(&mut self, trace_id: &[u8], span_id: &[u8]) -> Result<(), RecordError> {
        let new = 8 + trace_id.len() + span_id.len();
        let grown = (self.len - self.ids_len)
            .checked_add(new)
            .filter(|&n| n <= MAX_RECORD_BYTES);
        let Some(len) = grown else {
            return Err(RecordError::new(Kind::TooLarge, 4));
        };
        if self.encode {
            let at = self.ids_at;
            self.buf.drain(at..at + self.ids_len);
            let w = self.open_gap(at, new);
            let w = put_str_at(&mut self.buf, w, trace_id);
            put_str_at(&mut self.buf, w, span_id);
        }
        self.fields_at = self.fields_at - self.ids_len + new;
        self.ids_len = new;
        self.len = len;
        Ok(())
    }

    /// Adds a label (duplicates are written as they come; the decoder keeps the last value).
    pub fn label(&mut self, key: &[u8], value: &[u8]) -> Result<(), RecordError> {
        let count = label_count(usize::from(self.labels) + 1)?;
        let at = self.fields_at;
        check_key(key.len(), at)?;
        let n = self.room(4 + key.len() + 4 + value.len())?;
        if self.encode {
            if at == self.buf.len() {
                self.buf.reserve(n);
                put_str(&mut self.buf, key);
                put_str(&mut self.buf, value);
            } else {
                // After a field: the fields move up to make room.
                let w = self.open_gap(at, n);
                let w = put_str_at(&mut self.buf, w, key);
                put_str_at(&mut self.buf, w, value);
            }
        }
        self.labels = count;
        self.fields_at += n;
        self.len += n;
        Ok(())
    }

    /// Adds a string field (which may hold invalid UTF-8: the decoder replaces it).
    pub fn field_str(&mut self, key: &[u8], value: &[u8]) -> Result<(), RecordError> {
        let count = self.field_room(key, 4 + value.len())?;
        if self.encode {
            self.put_field_head(key, ValueKind::Str, 4 + value.len());
            put_str(&mut self.buf, value);
        }
        self.fields = count;
        Ok(())
    }

    /// Adds a signed integer field.
    pub fn field_i64(&mut self, key: &[u8], value: i64) -> Result<(), RecordError> {
        self.field_fixed(key, ValueKind::I64, value.to_le_bytes())
    }

    /// Adds an unsigned integer field.
    pub fn field_u64(&mut self, key: &[u8], value: u64) -> Result<(), RecordError> {
        self.field_fixed(key, ValueKind::U64, value.to_le_bytes())
    }

    /// Adds a double field, as its IEEE 754 bits (every value crosses unchanged).
    pub fn field_f64(&mut self, key: &[u8], value: f64) -> Result<(), RecordError> {
        self.field_fixed(key, ValueKind::F64, value.to_bits().to_le_bytes())
    }

    /// Adds a boolean field.
    pub fn field_bool(&mut self, key: &[u8], value: bool) -> Result<(), RecordError> {
        self.field_fixed(key, ValueKind::Bool, [u8::from(value)])
    }

    #[inline]
    fn field_fixed<const N: usize>(
        &mut self,
        key: &[u8],
        kind: ValueKind,
        payload: [u8; N],
    ) -> Result<(), RecordError> {
        let count = self.field_room(key, N)?;
        if self.encode {
            self.put_field_head(key, kind, N);
            self.buf.extend_from_slice(&payload);
        }
        self.fields = count;
        Ok(())
    }

    /// Judges one more field with this key and a payload of `payload` bytes, and counts its
    /// length; gives the new field count.
    #[inline]
    fn field_room(&mut self, key: &[u8], payload: usize) -> Result<u16, RecordError> {
        let count = field_count(usize::from(self.fields) + 1)?;
        check_key(key.len(), self.len)?;
        self.len += self.room(4 + key.len() + 1 + payload)?;
        Ok(count)
    }

    /// Writes a field's key and type (fields always go at the end), with room for the rest.
    #[inline]
    fn put_field_head(&mut self, key: &[u8], kind: ValueKind, payload: usize) {
        self.buf.reserve(4 + key.len() + 1 + payload);
        put_str(&mut self.buf, key);
        self.buf.push(kind as u8);
    }

    /// `n`, if the record can grow by `n` bytes; `too_large` otherwise, where the decoder
    /// reports it (the total length in the header).
    #[inline]
    fn room(&self, n: usize) -> Result<usize, RecordError> {
        if n > MAX_RECORD_BYTES - self.len {
            return Err(RecordError::new(Kind::TooLarge, 4));
        }
        Ok(n)
    }

    /// Opens a gap of `n` bytes at `at`, moving what follows; returns `at`.
    #[cold]
    fn open_gap(&mut self, at: usize, n: usize) -> usize {
        let end = self.buf.len();
        self.buf.resize(end + n, 0);
        self.buf.copy_within(at..end, at + n);
        at
    }

    /// Whether the record is being encoded (begun with `encode`).
    pub fn encoding(&self) -> bool {
        self.encode
    }

    /// The finished record: its total length and counts written into the header. Empty for a
    /// record begun without `encode`, or before any.
    pub fn finish(&mut self) -> &[u8] {
        if self.encode && self.buf.len() >= HEADER_LEN {
            // `room` kept the length within MAX_RECORD_BYTES, which fits in a u32.
            let total = self.buf.len() as u32;
            self.buf[4..8].copy_from_slice(&total.to_le_bytes());
            self.buf[16..18].copy_from_slice(&self.labels.to_le_bytes());
            self.buf[18..20].copy_from_slice(&self.fields.to_le_bytes());
        }
        &self.buf
    }

    /// Ends the record: the buffer is emptied and kept for the next one, unless the record
    /// made it hold more than [`WRITER_RETAINED_BYTES`], which are then freed.
    pub fn reset(&mut self) {
        if self.buf.capacity() > WRITER_RETAINED_BYTES {
            self.buf = Vec::new();
        }
        self.buf.clear();
        self.len = 0;
        self.labels = 0;
        self.fields = 0;
        self.ids_at = 0;
        self.ids_len = 0;
        self.fields_at = 0;
        self.encode = false;
    }
}

/// Appends a `str`: its u32 length, then its bytes.
#[inline]
fn put_str(buf: &mut Vec<u8>, s: &[u8]) {
    buf.extend_from_slice(&(s.len() as u32).to_le_bytes());
    buf.extend_from_slice(s);
}

/// Writes a `str` over `buf[at..]`; returns where it ends.
fn put_str_at(buf: &mut [u8], at: usize, s: &[u8]) -> usize {
    buf[at..at + 4].copy_from_slice(&(s.len() as u32).to_le_bytes());
    buf[at + 4..at + 4 + s.len()].copy_from_slice(s);
    at + 4 + s.len()
}

#[cfg(test)]
mod tests {
    use super::super::check;
    use super::*;
    use crate::entry::{MAX_FIELDS, MAX_KEY_BYTES, MAX_LABELS, MAX_MESSAGE_BYTES};

    /// One call of the writer.
    #[derive(Clone)]
    enum Op {
        Label(Vec<u8>, Vec<u8>),
        Str(Vec<u8>, Vec<u8>),
        I64(Vec<u8>, i64),
        Trace(Vec<u8>, Vec<u8>),
    }

    /// The record the calls describe, written with no check at all (as a faulty encoder
    /// would), for the decoder to judge.
    fn raw(message: &[u8], ops: &[Op]) -> Vec<u8> {
        fn s(out: &mut Vec<u8>, b: &[u8]) {
            out.extend_from_slice(&(b.len() as u32).to_le_bytes());
            out.extend_from_slice(b);
        }
        let (mut labels, mut fields, mut ids) = (Vec::new(), Vec::new(), vec![0u8; 8]);
        let (mut nl, mut nf) = (0u16, 0u16);
        for op in ops {
            match op {
                Op::Label(k, v) => {
                    s(&mut labels, k);
                    s(&mut labels, v);
                    nl = nl.wrapping_add(1);
                }
                Op::Str(k, v) => {
                    s(&mut fields, k);
                    fields.push(0);
                    s(&mut fields, v);
                    nf = nf.wrapping_add(1);
                }
                Op::I64(k, v) => {
                    s(&mut fields, k);
                    fields.push(1);
                    fields.extend_from_slice(&v.to_le_bytes());
                    nf = nf.wrapping_add(1);
                }
                Op::Trace(t, sp) => {
                    ids.clear();
                    s(&mut ids, t);
                    s(&mut ids, sp);
                }
            }
        }
        let mut out = b"LC\x01\x02".to_vec();
        out.extend_from_slice(&[0; 12]);
        out.extend_from_slice(&nl.to_le_bytes());
        out.extend_from_slice(&nf.to_le_bytes());
        s(&mut out, message);
        out.extend_from_slice(&ids);
        out.extend_from_slice(&labels);
        out.extend_from_slice(&fields);
        let n = out.len() as u32;
        out[4..8].copy_from_slice(&n.to_le_bytes());
        out
    }

    /// The writer's first refusal for the calls, encoding or not.
    fn first_error(encode: bool, message: &[u8], ops: &[Op]) -> Option<RecordError> {
        let mut w = Writer::new();
        if let Err(e) = w.begin(Level::Info, message, encode) {
            return Some(e);
        }
        for op in ops {
            let r = match op {
                Op::Label(k, v) => w.label(k, v),
                Op::Str(k, v) => w.field_str(k, v),
                Op::I64(k, v) => w.field_i64(k, *v),
                Op::Trace(t, s) => w.trace(t, s),
            };
            if let Err(e) = r {
                return Some(e);
            }
        }
        if encode {
            assert_eq!(w.finish(), &raw(message, ops)[..], "a record with no fault");
        }
        None
    }

    fn labels(n: usize) -> Vec<Op> {
        (0..n)
            .map(|i| Op::Label(format!("l{i}").into_bytes(), b"v".to_vec()))
            .collect()
    }

    fn fields(n: usize) -> Vec<Op> {
        (0..n)
            .map(|i| Op::I64(format!("f{i}").into_bytes(), i as i64))
            .collect()
    }

    #[test]
    fn each_fault_is_refused_as_the_decoder_refuses_the_record() {
        let key = |n: usize| vec![b'k'; n];
        let big = vec![b'x'; MAX_MESSAGE_BYTES];
        let mut cases: Vec<(&str, Vec<u8>, Vec<Op>)> = vec![
            ("labels at the limit", b"m".to_vec(), labels(MAX_LABELS)),
            ("one label over", b"m".to_vec(), labels(MAX_LABELS + 1)),
            ("fields at the limit", b"m".to_vec(), fields(MAX_FIELDS)),
            ("one field over", b"m".to_vec(), fields(MAX_FIELDS + 1)),
            ("message at the limit", big.clone(), vec![]),
            ("message over", vec![b'm'; MAX_MESSAGE_BYTES + 1], vec![]),
            (
                "message over 1 MiB",
                vec![b'm'; 4 * MAX_RECORD_BYTES],
                vec![],
            ),
        ];
        for op in [Op::Label(vec![], b"v".to_vec()), Op::I64(vec![], 1)] {
            cases.push(("empty key", b"m".to_vec(), vec![op]));
        }
        for n in [MAX_KEY_BYTES, MAX_KEY_BYTES + 1] {
            let mut ops = labels(3);
            ops.push(Op::I64(b"status".to_vec(), 200));
            ops.push(Op::Label(key(n), b"v".to_vec()));
            cases.push(("label key", b"m".to_vec(), ops));
            let mut ops = fields(3);
            ops.push(Op::Str(key(n), b"v".to_vec()));
            cases.push(("field key", b"m".to_vec(), ops));
        }
        // A record of exactly 1 MiB, and one byte more, by the last field or by the ids.
        let base = raw(&big, &[Op::Str(b"a".to_vec(), big.clone())]).len();
        for extra in [0, 1] {
            let pad = MAX_RECORD_BYTES - base - 4 - 1 - 1 - 4 + extra;
            let ops = vec![
                Op::Str(b"a".to_vec(), big.clone()),
                Op::Str(b"b".to_vec(), vec![b'y'; pad]),
            ];
            cases.push(("size by a field", big.clone(), ops));
            let ops = vec![
                Op::Str(b"a".to_vec(), big.clone()),
                Op::Str(b"b".to_vec(), vec![b'y'; pad]),
                Op::Trace(vec![b't'; 2], vec![]),
            ];
            cases.push(("size by the trace", big.clone(), ops));
        }
        let mut refused = 0;
        for (what, message, ops) in &cases {
            let record = raw(message, ops);
            let want = check(&record).err();
            for encode in [true, false] {
                assert_eq!(
                    first_error(encode, message, ops),
                    want,
                    "{what}, {} bytes, encoding: {encode}",
                    record.len()
                );
            }
            refused += usize::from(want.is_some());
        }
        assert!(refused >= 8 && refused < cases.len(), "{refused} refused");
    }

    #[test]
    fn a_refused_item_leaves_the_record_as_it_was() {
        let mut w = Writer::new();
        w.begin(Level::Warn, b"m", true).unwrap();
        w.label(b"a", b"1").unwrap();
        let before = w.finish().to_vec();
        assert!(w.label(&[b'k'; MAX_KEY_BYTES + 1], b"v").is_err());
        assert!(w.field_i64(b"", 1).is_err());
        assert_eq!(w.finish(), &before[..]);
        w.field_bool(b"ok", true).unwrap();
        assert!(check(w.finish()).is_ok());
    }

    #[test]
    fn a_large_record_s_buffer_is_not_kept() {
        let mut w = Writer::new();
        w.begin(Level::Info, b"m", true).unwrap();
        w.field_str(b"big", &vec![b'x'; 2 * WRITER_RETAINED_BYTES])
            .unwrap();
        w.reset();
        assert_eq!(w.buf.capacity(), 0);
        w.begin(Level::Info, b"m", true).unwrap();
        w.field_i64(b"n", 1).unwrap();
        w.reset();
        let kept = w.buf.capacity();
        assert!(kept > 0 && kept <= WRITER_RETAINED_BYTES);
        // Items with no record begun are judged against an empty record, and write nothing.
        w.trace(b"t", b"s").unwrap();
        w.label(b"k", b"v").unwrap();
        assert!(w.finish().is_empty());
        // A record begun without encoding writes nothing.
        w.begin(Level::Info, b"m", false).unwrap();
        w.label(b"k", b"v").unwrap();
        assert!(w.finish().is_empty() && !w.encoding());
    }
}
