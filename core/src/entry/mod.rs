//! The entry data model: timestamp, level, message, trace context, labels and typed fields.
//!
//! [`EntryData`] is the plain data, owned by one thread at a time: the pipeline moves it into
//! immutable batches without copying. [`crate::pool::Entry`] wraps it behind one `parking_lot`
//! lock so that any number of threads may read and write one entry at once.
//!
//! An entry keeps all its strings in one buffer (arena.rs), and its labels and fields as short
//! vectors of spans into it, scanned linearly: entries carry few keys, and a vector of a few
//! cache lines beats a hash map, keeps the order of insertion for stable output, and is kept
//! with its capacity when a pooled entry is reused.

#[allow(unsafe_code)] // `str` over bytes already checked (see the crate root)
mod arena;
mod level;
mod packed;
#[allow(unsafe_code)] // `str` over bytes already checked (see the crate root)
pub mod text;
mod value;

pub use level::{Level, UnknownLevel};
pub use value::{Value, ValueKind, ValueRef};

pub(crate) use arena::{Arena, Span};
pub(crate) use value::Stored;

use arena::same_str as same;
use std::fmt;

/// At most this many labels on one entry. Labels are stream labels (low cardinality).
pub const MAX_LABELS: usize = 64;
/// At most this many fields on one entry.
pub const MAX_FIELDS: usize = 1024;
/// A label or field key is at most this many bytes long.
pub const MAX_KEY_BYTES: usize = 1024;
/// A message is at most this many bytes long when it is submitted.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// Why an entry refused a change, or a submit refused an entry: a limit was reached. Every
/// API refuses the same things with the same error (LOGCAP_RESULT_LIMIT from C), counted in
/// [`crate::Stats::refused_limit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryError {
    /// The entry already has [`MAX_LABELS`] labels and the key is new.
    TooManyLabels,
    /// The entry already has [`MAX_FIELDS`] fields and the key is new.
    TooManyFields,
    /// A key is longer than [`MAX_KEY_BYTES`].
    KeyTooLong,
    /// The message is longer than [`MAX_MESSAGE_BYTES`] (refused at submit).
    MessageTooLong,
}

impl fmt::Display for EntryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryError::TooManyLabels => write!(f, "an entry holds at most {MAX_LABELS} labels"),
            EntryError::TooManyFields => write!(f, "an entry holds at most {MAX_FIELDS} fields"),
            EntryError::KeyTooLong => write!(f, "a key is at most {MAX_KEY_BYTES} bytes long"),
            EntryError::MessageTooLong => {
                write!(f, "a message is at most {MAX_MESSAGE_BYTES} bytes long")
            }
        }
    }
}

impl std::error::Error for EntryError {}

/// One log entry's data.
///
/// A timestamp of 0 means "not set": the pipeline stamps the entry when it is submitted.
/// Empty trace and span ids mean "absent".
#[derive(Default, Clone)]
pub struct EntryData {
    timestamp_ns: u64,
    level: Level,
    /// Every string of the entry; the spans below index it.
    text: Arena,
    message: Span,
    trace_id: Span,
    span_id: Span,
    /// Keys and values, in the order keys were first set.
    labels: Vec<(Span, Span)>,
    fields: Vec<(Span, Stored)>,
    /// The approximate encoded size of the content, kept up to date by every setter so that
    /// the batcher never walks the maps (see `size_hint`).
    bytes: usize,
    /// The largest `bytes` since the last reset: only an entry that held much content can
    /// retain much heap, so `reset` measures the heap only then.
    peak: usize,
    /// Whether `text` holds a packed record not decoded yet (and nothing else).
    /// [`crate::Pipeline::submit_record`] checks a record and copies it in on the producer's
    /// thread; the batcher, or with lanes the first sink that reads its batch (crate::batch),
    /// decodes it in place (`record::expand`) before anything reads the
    /// entry's contents.
    packed: bool,
}

/// The approximate encoded size of a label.
#[inline]
fn label_len(key: usize, value: usize) -> usize {
    key + value + 6
}

/// The approximate encoded size of a field.
#[inline]
fn field_len(key: usize, v: Stored) -> usize {
    key + 4 + v.encoded_len()
}

/// Makes `span` name `s`, appending it unless the span already holds it (labels are
/// low-cardinality: a label is often set again to the value it has). Whether it changed.
#[inline(always)]
fn put(text: &mut Arena, span: &mut Span, s: &str) -> bool {
    if same(text.get(*span), s) {
        return false;
    }
    text.drop_span(*span);
    *span = text.push(s);
    true
}

/// The position of `key` among `keys`, spans of `text`. The lengths, kept beside the spans,
/// are compared first: most keys differ in length, and the arena is read only for the others.
#[inline(always)]
fn find(text: &Arena, keys: impl Iterator<Item = Span>, key: &str) -> Option<usize> {
    for (i, k) in keys.enumerate() {
        if k.len() == key.len() && same(text.get(k), key) {
            return Some(i);
        }
    }
    None
}

impl EntryData {
    /// An empty entry at level info.
    pub fn new() -> Self {
        Self::default()
    }

    /// Nanoseconds since the Unix epoch; 0 when not set yet.
    #[inline]
    pub fn timestamp_ns(&self) -> u64 {
        self.timestamp_ns
    }
    /// Sets the timestamp in nanoseconds since the Unix epoch (0 means "stamp at submit").
    #[inline]
    pub fn set_timestamp_ns(&mut self, ns: u64) {
        self.timestamp_ns = ns;
    }
    /// The level.
    #[inline]
    pub fn level(&self) -> Level {
        self.level
    }
    /// Sets the level.
    #[inline]
    pub fn set_level(&mut self, level: Level) {
        self.level = level;
    }
    /// The message.
    #[inline]
    pub fn message(&self) -> &str {
        self.text.get(self.message)
    }
    /// Sets the message.
    #[inline]
    pub fn set_message(&mut self, msg: &str) {
        let old = self.message.len();
        if put(&mut self.text, &mut self.message, msg) {
            self.account(old, msg.len());
        }
    }
    /// Replaces `old` bytes of content with `new` ones in the size estimate, and compacts the
    /// strings when replaced ones have left too many dead bytes behind.
    #[inline]
    fn account(&mut self, old: usize, new: usize) {
        self.bytes = self.bytes + new - old;
        self.peak = self.peak.max(self.bytes);
        if self.text.wants_compaction() {
            self.compact();
        }
    }
    /// The trace id, if set.
    #[inline]
    pub fn trace_id(&self) -> Option<&str> {
        non_empty(self.text.get(self.trace_id))
    }
    /// Sets the trace id; an empty string clears it.
    #[inline]
    pub fn set_trace_id(&mut self, id: &str) {
        let old = self.trace_id.len();
        if put(&mut self.text, &mut self.trace_id, id) {
            self.account(old, id.len());
        }
    }
    /// The span id, if set.
    #[inline]
    pub fn span_id(&self) -> Option<&str> {
        non_empty(self.text.get(self.span_id))
    }
    /// Sets the span id; an empty string clears it.
    #[inline]
    pub fn set_span_id(&mut self, id: &str) {
        let old = self.span_id.len();
        if put(&mut self.text, &mut self.span_id, id) {
            self.account(old, id.len());
        }
    }

    /// Sets a label, replacing any value it had.
    #[inline]
    pub fn set_label(&mut self, key: &str, value: &str) -> Result<(), EntryError> {
        if key.len() > MAX_KEY_BYTES {
            return Err(EntryError::KeyTooLong);
        }
        self.put_label(key, value)
    }

    /// [`EntryData::set_label`] without the key's length check, for the record decoder: a
    /// key within the limit as encoded can grow when invalid UTF-8 in it is replaced.
    #[inline]
    pub(crate) fn put_label(&mut self, key: &str, value: &str) -> Result<(), EntryError> {
        if let Some(i) = self.label_index(key) {
            self.set_label_value_at(i, value);
            return Ok(());
        }
        if self.labels.len() >= MAX_LABELS {
            return Err(EntryError::TooManyLabels);
        }
        let k = self.text.push(key);
        let v = self.text.push(value);
        self.labels.push((k, v));
        self.account(0, label_len(key.len(), value.len()));
        Ok(())
    }
    #[inline]
    fn label_index(&self, key: &str) -> Option<usize> {
        find(&self.text, self.labels.iter().map(|l| l.0), key)
    }
    /// The value of a label.
    #[inline]
    pub fn label(&self, key: &str) -> Option<&str> {
        self.label_index(key)
            .map(|i| self.text.get(self.labels[i].1))
    }
    /// Removes a label; returns whether it was present.
    pub fn remove_label(&mut self, key: &str) -> bool {
        let Some(i) = self.label_index(key) else {
            return false;
        };
        let (k, v) = self.labels.remove(i);
        self.text.drop_span(k);
        self.text.drop_span(v);
        self.account(label_len(k.len(), v.len()), 0);
        true
    }
    /// How many labels the entry has.
    #[inline]
    pub fn label_count(&self) -> usize {
        self.labels.len()
    }
    /// The labels in the order they were first set.
    pub fn labels(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + Clone {
        self.labels
            .iter()
            .map(|&(k, v)| (self.text.get(k), self.text.get(v)))
    }
    /// Label `i` in the order of [`EntryData::labels`], if there is one.
    #[inline]
    pub fn label_at(&self, i: usize) -> Option<(&str, &str)> {
        let &(k, v) = self.labels.get(i)?;
        Some((self.text.get(k), self.text.get(v)))
    }
    /// Replaces the value of label `i`.
    #[inline(always)]
    pub(crate) fn set_label_value_at(&mut self, i: usize, value: &str) {
        let v = &mut self.labels[i].1;
        let old = v.len();
        if put(&mut self.text, v, value) {
            self.account(old, value.len());
        }
    }

    /// Sets a typed field, replacing any value it had (of any type).
    #[inline]
    pub fn set_field<'a>(
        &mut self,
        key: &str,
        value: impl Into<ValueRef<'a>>,
    ) -> Result<(), EntryError> {
        if key.len() > MAX_KEY_BYTES {
            return Err(EntryError::KeyTooLong);
        }
        self.put_field(key, value.into())
    }

    /// [`EntryData::set_field`] without the key's length check (see [`EntryData::put_label`]).
    #[inline]
    pub(crate) fn put_field(&mut self, key: &str, value: ValueRef<'_>) -> Result<(), EntryError> {
        if let Some(i) = self.field_index(key) {
            self.set_field_value_at(i, value);
            return Ok(());
        }
        if self.fields.len() >= MAX_FIELDS {
            return Err(EntryError::TooManyFields);
        }
        let k = self.text.push(key);
        let v = Stored::new(value, &mut self.text);
        self.fields.push((k, v));
        self.account(0, field_len(key.len(), v));
        Ok(())
    }
    #[inline]
    fn field_index(&self, key: &str) -> Option<usize> {
        find(&self.text, self.fields.iter().map(|f| f.0), key)
    }
    /// The value of a field.
    #[inline]
    pub fn field(&self, key: &str) -> Option<ValueRef<'_>> {
        self.field_index(key)
            .map(|i| self.fields[i].1.get(&self.text))
    }
    /// Removes a field; returns whether it was present.
    pub fn remove_field(&mut self, key: &str) -> bool {
        let Some(i) = self.field_index(key) else {
            return false;
        };
        let (k, v) = self.fields.remove(i);
        self.text.drop_span(k);
        v.release(&mut self.text);
        self.account(field_len(k.len(), v), 0);
        true
    }
    /// How many fields the entry has.
    #[inline]
    pub fn field_count(&self) -> usize {
        self.fields.len()
    }
    /// The fields in the order they were first set.
    pub fn fields(&self) -> impl ExactSizeIterator<Item = (&str, ValueRef<'_>)> + Clone {
        self.fields
            .iter()
            .map(|&(k, v)| (self.text.get(k), v.get(&self.text)))
    }
    /// Field `i` in the order of [`EntryData::fields`], if there is one.
    #[inline]
    pub fn field_at(&self, i: usize) -> Option<(&str, ValueRef<'_>)> {
        let &(k, v) = self.fields.get(i)?;
        Some((self.text.get(k), v.get(&self.text)))
    }
    /// Replaces the value of field `i` (with a value of any type).
    #[inline]
    pub(crate) fn set_field_value_at(&mut self, i: usize, value: ValueRef<'_>) {
        let (k, old) = self.fields[i];
        if let (Stored::Str(mut s), ValueRef::Str(new)) = (old, value) {
            // A string replaced by a string: kept when it is the same.
            if !put(&mut self.text, &mut s, new) {
                return;
            }
            self.fields[i].1 = Stored::Str(s);
        } else {
            old.release(&mut self.text);
            self.fields[i].1 = Stored::new(value, &mut self.text);
        }
        let now = field_len(k.len(), self.fields[i].1);
        self.account(field_len(k.len(), old), now);
    }

    /// Makes this entry an exact copy of `src`, reusing this entry's buffers.
    pub fn copy_from(&mut self, src: &EntryData) {
        self.timestamp_ns = src.timestamp_ns;
        self.level = src.level;
        self.text.clone_from(&src.text);
        self.message = src.message;
        self.trace_id = src.trace_id;
        self.span_id = src.span_id;
        self.labels.clone_from(&src.labels);
        self.fields.clone_from(&src.fields);
        self.bytes = src.bytes;
        self.peak = self.peak.max(src.bytes);
        self.packed = src.packed;
    }

    /// Copies the live strings into a fresh buffer, leaving the dead ones behind.
    #[cold]
    fn compact(&mut self) {
        let mut text = Arena::default();
        let old = &self.text;
        let mut keep = |s: &mut Span| *s = text.push(old.get(*s));
        keep(&mut self.message);
        keep(&mut self.trace_id);
        keep(&mut self.span_id);
        for (k, v) in &mut self.labels {
            keep(k);
            keep(v);
        }
        for (k, v) in &mut self.fields {
            keep(k);
            if let Stored::Str(s) = v {
                keep(s);
            }
        }
        self.text = text;
    }

    /// Empties the entry for reuse. Buffers are kept, unless the entry retains more than
    /// `max_retained_bytes` of heap, in which case they are freed and `true` is returned.
    pub fn reset(&mut self, max_retained_bytes: usize) -> bool {
        self.timestamp_ns = 0;
        self.level = Level::Info;
        self.text.clear();
        self.message = Span::default();
        self.trace_id = Span::default();
        self.span_id = Span::default();
        self.labels.clear();
        self.fields.clear();
        self.packed = false;
        self.bytes = 0;
        // Buffers grow at most to twice what they held, plus per-slot overhead: an entry
        // whose content never passed a quarter of the budget cannot be over it, so the heap
        // is not measured on the common path.
        let may_be_over = self.peak > max_retained_bytes / 4;
        self.peak = 0;
        if may_be_over && self.retained_bytes() > max_retained_bytes {
            *self = EntryData::default();
            return true;
        }
        false
    }

    /// Heap bytes this entry holds on to, live or kept for reuse.
    pub fn retained_bytes(&self) -> usize {
        self.text.capacity()
            + self.labels.capacity() * std::mem::size_of::<(Span, Span)>()
            + self.fields.capacity() * std::mem::size_of::<(Span, Stored)>()
    }

    /// An estimate of the entry's encoded size in bytes, used to close batches by size and to
    /// reserve output buffers. Kept up to date by every setter: O(1).
    #[inline]
    pub fn size_hint(&self) -> usize {
        64 + self.bytes
    }

    /// Whether the entry is as [`EntryData::new`] makes it (or [`EntryData::reset`] leaves
    /// it): no timestamp, level info, no text, no labels, no fields.
    pub fn is_empty(&self) -> bool {
        self.timestamp_ns == 0
            && self.level == Level::Info
            && self.bytes == 0
            && self.labels.is_empty()
            && self.fields.is_empty()
            && !self.packed
    }
}

fn non_empty(s: &str) -> Option<&str> {
    if s.is_empty() {
        None
    } else {
        Some(s)
    }
}

impl PartialEq for EntryData {
    /// Entries are equal when every attribute, label and field is, in the same order.
    fn eq(&self, other: &Self) -> bool {
        self.timestamp_ns == other.timestamp_ns
            && self.level == other.level
            && self.message() == other.message()
            && self.trace_id() == other.trace_id()
            && self.span_id() == other.span_id()
            && self.labels().eq(other.labels())
            && self.fields().eq(other.fields())
    }
}

impl fmt::Debug for EntryData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("EntryData");
        d.field("timestamp_ns", &self.timestamp_ns)
            .field("level", &self.level);
        if self.packed {
            return d.field("packed", &self.text.bytes().len()).finish();
        }
        d.field("message", &self.message())
            .field("trace_id", &self.trace_id())
            .field("span_id", &self.span_id())
            .field("labels", &self.labels().collect::<Vec<_>>())
            .field("fields", &self.fields().collect::<Vec<_>>())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standard() -> EntryData {
        let mut e = EntryData::new();
        e.set_message("request completed");
        for (k, v) in [("service", "checkout"), ("env", "prod"), ("host", "web-1")] {
            e.set_label(k, v).unwrap();
        }
        e.set_field("method", "GET").unwrap();
        e.set_field("status", 200i64).unwrap();
        e.set_field("latency_ms", 12.5).unwrap();
        e.set_field("cache_hit", true).unwrap();
        e.set_field("bytes", u64::MAX).unwrap();
        e
    }

    #[test]
    fn typed_fields_round_trip_and_can_change_type() {
        let mut e = standard();
        assert_eq!(e.field("method"), Some(ValueRef::Str("GET")));
        assert_eq!(e.field("status"), Some(ValueRef::I64(200)));
        assert_eq!(e.field("latency_ms"), Some(ValueRef::F64(12.5)));
        assert_eq!(e.field("cache_hit"), Some(ValueRef::Bool(true)));
        assert_eq!(e.field("bytes"), Some(ValueRef::U64(u64::MAX)));
        e.set_field("status", "ok").unwrap();
        assert_eq!(e.field("status"), Some(ValueRef::Str("ok")));
        assert_eq!(e.field_count(), 5);
        assert!(e.remove_field("status"));
        assert_eq!(e.field("status"), None);
        assert_eq!(e.field_count(), 4);
    }

    #[test]
    fn reset_keeps_capacity_within_budget_and_frees_beyond_it() {
        let mut e = standard();
        let kept = e.retained_bytes();
        e.reset(usize::MAX);
        assert_eq!(e, EntryData::new());
        assert_eq!(e.retained_bytes(), kept);
        let mut big = standard();
        big.set_message(&"x".repeat(1 << 20));
        big.reset(64 * 1024);
        assert_eq!(big.retained_bytes(), 0);
    }

    #[test]
    fn copy_from_is_equal_and_independent() {
        let src = standard();
        let mut dst = EntryData::new();
        dst.set_label("stale", "x").unwrap();
        dst.copy_from(&src);
        assert_eq!(dst, src);
        dst.set_label("service", "other").unwrap();
        assert_eq!(src.label("service"), Some("checkout"));
        assert_eq!(dst.clone(), dst);
    }

    #[test]
    fn limits_are_enforced() {
        let mut e = EntryData::new();
        for i in 0..MAX_LABELS {
            e.set_label(&i.to_string(), "v").unwrap();
        }
        assert_eq!(e.set_label("one-more", "v"), Err(EntryError::TooManyLabels));
        e.set_label("0", "updated").unwrap();
        assert_eq!(e.label_count(), MAX_LABELS);
    }

    /// The size estimate computed from scratch.
    fn walked_size(e: &EntryData) -> usize {
        let labels: usize = e.labels().map(|(k, v)| label_len(k.len(), v.len())).sum();
        let fields: usize = e.fields.iter().map(|&(k, v)| field_len(k.len(), v)).sum();
        64 + e.message().len()
            + e.trace_id().map_or(0, str::len)
            + e.span_id().map_or(0, str::len)
            + labels
            + fields
    }

    #[test]
    fn size_hint_tracks_every_change() {
        let mut rng = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
        let mut e = EntryData::new();
        let other = standard();
        for _ in 0..20_000 {
            let key = ["a", "bb", "service", "status", "x"][next(5) as usize];
            let text = "v".repeat(next(40) as usize);
            match next(13) {
                0 => e.set_label(key, &text).unwrap(),
                1 => {
                    e.remove_label(key);
                }
                2 => e.set_field(key, text.as_str()).unwrap(),
                3 => e.set_field(key, next(1000) as i64).unwrap(),
                4 => {
                    e.remove_field(key);
                }
                5 => e.set_message(&text),
                6 => e.set_trace_id(&text),
                7 => e.set_span_id(&text),
                8 if e.label_count() > 0 => {
                    let i = next(e.label_count() as u64) as usize;
                    e.set_label_value_at(i, &text);
                    assert_eq!(e.label_at(i).map(|l| l.1), Some(text.as_str()));
                }
                9 => e.copy_from(&other),
                10 => {
                    e.reset(usize::MAX);
                }
                11 if e.field_count() > 0 => {
                    let i = next(e.field_count() as u64) as usize;
                    let v = if next(2) == 0 {
                        ValueRef::Str(&text)
                    } else {
                        ValueRef::I64(7)
                    };
                    e.set_field_value_at(i, v);
                    assert_eq!(e.field_at(i).map(|f| f.1), Some(v));
                }
                _ => e.set_field(key, true).unwrap(),
            }
            assert_eq!(e.size_hint(), walked_size(&e));
        }
    }

    #[test]
    fn replaced_strings_are_compacted_away_and_the_rest_survives() {
        let mut e = standard();
        let mut last = String::new();
        for i in 0..20_000 {
            last = format!("value-{i}-{}", "x".repeat(i % 50));
            e.set_label("service", &last).unwrap();
            e.set_field("method", last.as_str()).unwrap();
            e.set_message(&last);
            e.set_field("status", i as i64).unwrap();
            assert!(e.text.capacity() < 64 * 1024, "dead text is reclaimed");
        }
        let mut expected = standard();
        expected.set_label("service", &last).unwrap();
        expected.set_field("method", last.as_str()).unwrap();
        expected.set_message(&last);
        expected.set_field("status", 19_999i64).unwrap();
        assert_eq!(e, expected);
        assert_eq!(e.size_hint(), expected.size_hint());
    }

    #[test]
    fn trace_context_is_optional() {
        let mut e = EntryData::new();
        assert_eq!(e.trace_id(), None);
        e.set_trace_id("abc");
        e.set_span_id("def");
        assert_eq!((e.trace_id(), e.span_id()), (Some("abc"), Some("def")));
        e.set_trace_id("");
        assert_eq!(e.trace_id(), None);
    }
}
