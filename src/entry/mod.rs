//! The entry data model: timestamp, level, message, trace context, labels and typed fields.
//!
//! [`EntryData`] is the plain data, owned by one thread at a time: the pipeline moves it into
//! immutable batches without copying. [`Entry`] wraps it behind one `parking_lot` lock so that
//! any number of threads may read and write one entry at once.

mod level;
mod locked;
mod map;
pub mod text;
mod value;

pub use level::{Level, UnknownLevel};
pub use locked::Entry;
pub use value::{Value, ValueKind, ValueRef};

use map::FlatMap;
use std::fmt;
use value::ValueSlot;

/// At most this many labels on one entry. Labels are stream labels (low cardinality).
pub const MAX_LABELS: usize = 64;
/// At most this many fields on one entry.
pub const MAX_FIELDS: usize = 1024;

/// Why an entry refused a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryError {
    /// The entry already has [`MAX_LABELS`] labels and the key is new.
    TooManyLabels,
    /// The entry already has [`MAX_FIELDS`] fields and the key is new.
    TooManyFields,
}

impl fmt::Display for EntryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryError::TooManyLabels => write!(f, "an entry holds at most {MAX_LABELS} labels"),
            EntryError::TooManyFields => write!(f, "an entry holds at most {MAX_FIELDS} fields"),
        }
    }
}

impl std::error::Error for EntryError {}

/// One log entry's data.
///
/// A timestamp of 0 means "not set": the pipeline stamps the entry when it is submitted.
/// Empty trace and span ids mean "absent".
#[derive(Debug, Default, Clone)]
pub struct EntryData {
    timestamp_ns: u64,
    level: Level,
    message: String,
    trace_id: String,
    span_id: String,
    labels: FlatMap<String>,
    fields: FlatMap<ValueSlot>,
    /// The approximate encoded size of the content, kept up to date by every setter so that
    /// the batcher never walks the maps (see `size_hint`).
    bytes: usize,
    /// The largest `bytes` since the last reset: only an entry that held much content can
    /// retain much heap, so `reset` measures the heap only then.
    peak: usize,
    /// A packed record not decoded yet, or empty. [`crate::Pipeline::submit_record`] checks a
    /// record and copies it here on the producer's thread; the batcher decodes it into this
    /// same entry (`record::expand`) before anything reads the entry's contents.
    packed: Vec<u8>,
}

/// An entry's values open to change in place; see [`EntryData::edit_in_place`].
pub(crate) struct InPlace<'a> {
    pub(crate) message: &'a mut String,
    pub(crate) labels: &'a mut [(String, String)],
    pub(crate) fields: &'a mut [(String, ValueSlot)],
}

/// The approximate encoded size of a label.
#[inline]
fn label_len(k: &str, v: &str) -> usize {
    k.len() + v.len() + 6
}

/// The approximate encoded size of a field.
#[inline]
fn field_len(k: &str, v: &ValueSlot) -> usize {
    k.len() + 4 + v.encoded_len()
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
        &self.message
    }
    /// Sets the message, reusing the entry's buffer.
    #[inline]
    pub fn set_message(&mut self, msg: &str) {
        self.fill_message(|m| m.push_str(msg));
    }
    /// Refills the message in place with `f` (for decoders).
    #[inline]
    pub(crate) fn fill_message(&mut self, f: impl FnOnce(&mut String)) {
        let old = self.message.len();
        self.message.clear();
        f(&mut self.message);
        self.account(old, self.message.len());
    }
    /// Replaces `old` bytes of content with `new` ones in the size estimate.
    #[inline]
    fn account(&mut self, old: usize, new: usize) {
        self.bytes = self.bytes + new - old;
        self.peak = self.peak.max(self.bytes);
    }
    /// The trace id, if set.
    #[inline]
    pub fn trace_id(&self) -> Option<&str> {
        non_empty(&self.trace_id)
    }
    /// Sets the trace id; an empty string clears it.
    #[inline]
    pub fn set_trace_id(&mut self, id: &str) {
        let old = self.trace_id.len();
        self.trace_id.clear();
        self.trace_id.push_str(id);
        self.account(old, id.len());
    }
    /// The span id, if set.
    #[inline]
    pub fn span_id(&self) -> Option<&str> {
        non_empty(&self.span_id)
    }
    /// Sets the span id; an empty string clears it.
    #[inline]
    pub fn set_span_id(&mut self, id: &str) {
        let old = self.span_id.len();
        self.span_id.clear();
        self.span_id.push_str(id);
        self.account(old, id.len());
    }

    /// Sets a label, replacing any value it had.
    #[inline]
    pub fn set_label(&mut self, key: &str, value: &str) -> Result<(), EntryError> {
        self.put_label(key, value, false)
    }
    /// Sets a label the entry does not have yet: as [`EntryData::set_label`], without looking
    /// for the key (for a decoder that knows which keys it has set).
    #[inline]
    pub(crate) fn add_label(&mut self, key: &str, value: &str) -> Result<(), EntryError> {
        self.put_label(key, value, true)
    }
    #[inline(always)]
    fn put_label(&mut self, key: &str, value: &str, absent: bool) -> Result<(), EntryError> {
        let (slot, new) = if absent {
            self.labels.claim(key, MAX_LABELS).map(|slot| (slot, true))
        } else {
            self.labels.slot_mut(key, MAX_LABELS)
        }
        .ok_or(EntryError::TooManyLabels)?;
        let old = if new { 0 } else { label_len(key, slot) };
        // Labels are low-cardinality: the value is often the one the slot already holds.
        map::replace(slot, value);
        self.account(old, label_len(key, value));
        Ok(())
    }
    /// The value of a label.
    #[inline]
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }
    /// Removes a label; returns whether it was present.
    pub fn remove_label(&mut self, key: &str) -> bool {
        match self.labels.remove(key, |k, v| label_len(k, v)) {
            Some(n) => {
                self.account(n, 0);
                true
            }
            None => false,
        }
    }
    /// How many labels the entry has.
    #[inline]
    pub fn label_count(&self) -> usize {
        self.labels.len()
    }
    /// The labels in the order they were first set.
    pub fn labels(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + Clone {
        self.labels
            .live()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Rewrites values in place (for stages such as redaction): `f` gets the message, the
    /// labels and the fields, and must leave the keys as they are. The size estimate is
    /// recomputed afterwards.
    pub(crate) fn edit_in_place(&mut self, f: impl FnOnce(InPlace<'_>)) {
        f(InPlace {
            message: &mut self.message,
            labels: self.labels.live_mut(),
            fields: self.fields.live_mut(),
        });
        self.bytes =
            self.message.len() + self.trace_id.len() + self.span_id.len() + self.maps_len();
        self.peak = self.peak.max(self.bytes);
    }

    /// Sets a typed field, replacing any value it had (of any type).
    #[inline]
    pub fn set_field<'a>(
        &mut self,
        key: &str,
        value: impl Into<ValueRef<'a>>,
    ) -> Result<(), EntryError> {
        self.update_field(key, |slot| slot.set(value.into()))
    }
    /// Makes a field a string filled in place by `f` (for decoders).
    pub(crate) fn fill_field_text(
        &mut self,
        key: &str,
        f: impl FnOnce(&mut String),
    ) -> Result<(), EntryError> {
        self.update_field(key, |slot| slot.fill_text(f))
    }
    /// Sets a field the entry does not have yet: as [`EntryData::set_field`], without looking
    /// for the key (for a decoder that knows which keys it has set).
    #[inline]
    pub(crate) fn add_field(&mut self, key: &str, value: ValueRef<'_>) -> Result<(), EntryError> {
        let slot = self
            .fields
            .claim(key, MAX_FIELDS)
            .ok_or(EntryError::TooManyFields)?;
        slot.set(value);
        let now = field_len(key, slot);
        self.account(0, now);
        Ok(())
    }
    #[inline]
    fn update_field(
        &mut self,
        key: &str,
        f: impl FnOnce(&mut ValueSlot),
    ) -> Result<(), EntryError> {
        let (slot, new) = self
            .fields
            .slot_mut(key, MAX_FIELDS)
            .ok_or(EntryError::TooManyFields)?;
        let old = if new { 0 } else { field_len(key, slot) };
        f(slot);
        let now = field_len(key, slot);
        self.account(old, now);
        Ok(())
    }
    /// The value of a field.
    #[inline]
    pub fn field(&self, key: &str) -> Option<ValueRef<'_>> {
        self.fields.get(key).map(ValueSlot::get)
    }
    /// Removes a field; returns whether it was present.
    pub fn remove_field(&mut self, key: &str) -> bool {
        match self.fields.remove(key, field_len) {
            Some(n) => {
                self.account(n, 0);
                true
            }
            None => false,
        }
    }
    /// How many fields the entry has.
    #[inline]
    pub fn field_count(&self) -> usize {
        self.fields.len()
    }
    /// The fields in the order they were first set.
    pub fn fields(&self) -> impl ExactSizeIterator<Item = (&str, ValueRef<'_>)> + Clone {
        self.fields
            .live()
            .iter()
            .map(|(k, v)| (k.as_str(), v.get()))
    }

    /// Makes this entry an exact copy of `src`, reusing this entry's buffers.
    pub fn copy_from(&mut self, src: &EntryData) {
        self.timestamp_ns = src.timestamp_ns;
        self.level = src.level;
        self.set_message(&src.message);
        self.set_trace_id(&src.trace_id);
        self.set_span_id(&src.span_id);
        self.clear_maps();
        for (k, v) in src.labels() {
            // Cannot fail: src holds no more keys than the limits.
            let _ = self.set_label(k, v);
        }
        for (k, v) in src.fields() {
            let _ = self.set_field(k, v);
        }
    }

    /// Makes this empty entry carry a checked record, to be decoded later by `record::expand`:
    /// the level and timestamp are set now (the intake reads them), the rest is copied as it
    /// is.
    pub(crate) fn pack(&mut self, record: &[u8], level: Level, timestamp_ns: u64) {
        debug_assert!(self.is_empty(), "only an empty entry carries a record");
        self.level = level;
        self.timestamp_ns = timestamp_ns;
        self.packed.extend_from_slice(record);
        self.peak = self.peak.max(record.len());
    }

    /// The packed record, if the entry carries one; the entry keeps an empty buffer meanwhile.
    #[inline]
    pub(crate) fn take_packed(&mut self) -> Option<Vec<u8>> {
        if self.packed.is_empty() {
            None
        } else {
            Some(std::mem::take(&mut self.packed))
        }
    }

    /// Gives back the buffer [`EntryData::take_packed`] took, emptied, for the next record.
    #[inline]
    pub(crate) fn restore_packed_buffer(&mut self, mut buf: Vec<u8>) {
        buf.clear();
        self.packed = buf;
    }

    /// Empties the entry for reuse. Buffers are kept, unless the entry retains more than
    /// `max_retained_bytes` of heap, in which case they are freed and `true` is returned.
    pub fn reset(&mut self, max_retained_bytes: usize) -> bool {
        self.timestamp_ns = 0;
        self.level = Level::Info;
        self.message.clear();
        self.trace_id.clear();
        self.span_id.clear();
        self.labels.clear();
        self.fields.clear();
        self.packed.clear();
        self.bytes = 0;
        // Buffers grow at most to twice what they held, plus per-slot overhead: an entry
        // whose content never passed a quarter of the budget cannot be over it, so the heap
        // walk is skipped on the common path.
        let may_be_over = self.peak > max_retained_bytes / 4;
        self.peak = 0;
        if may_be_over && self.retained_bytes() > max_retained_bytes {
            *self = EntryData::default();
            return true;
        }
        false
    }

    /// The size estimate of the labels and fields, walked.
    fn maps_len(&self) -> usize {
        self.labels().map(|(k, v)| label_len(k, v)).sum::<usize>()
            + self
                .fields
                .live()
                .iter()
                .map(|(k, v)| field_len(k, v))
                .sum::<usize>()
    }

    fn clear_maps(&mut self) {
        let held = self.maps_len();
        self.labels.clear();
        self.fields.clear();
        self.account(held, 0);
    }

    /// Heap bytes this entry holds on to, live or kept for reuse.
    pub fn retained_bytes(&self) -> usize {
        self.message.capacity()
            + self.trace_id.capacity()
            + self.span_id.capacity()
            + self.labels.retained_bytes()
            + self.fields.retained_bytes()
            + self.packed.capacity()
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
            && self.labels.len() == 0
            && self.fields.len() == 0
            && self.packed.is_empty()
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
            && self.message == other.message
            && self.trace_id == other.trace_id
            && self.span_id == other.span_id
            && self.labels().eq(other.labels())
            && self.fields().eq(other.fields())
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
        64 + e.message.len() + e.trace_id.len() + e.span_id.len() + e.maps_len()
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
                8 => e.fill_field_text(key, |t| t.push_str(&text)).unwrap(),
                9 => e.copy_from(&other),
                10 => {
                    e.reset(usize::MAX);
                }
                11 => e.edit_in_place(|v| {
                    v.message.push_str(&text);
                    for (_, val) in v.labels.iter_mut() {
                        val.clear();
                    }
                    for (_, slot) in v.fields.iter_mut() {
                        if let Some(t) = slot.text_mut() {
                            t.push_str("masked");
                        }
                    }
                }),
                _ => e.set_field(key, true).unwrap(),
            }
            assert_eq!(e.size_hint(), walked_size(&e));
        }
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
