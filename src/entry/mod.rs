//! The entry data model: timestamp, level, message, trace context, labels and typed fields.
//!
//! [`EntryData`] is the plain data, owned by one thread at a time: the pipeline moves it into
//! immutable batches without copying. [`Entry`] wraps it behind one `parking_lot` lock so that
//! any number of threads may read and write one entry at once.

mod level;
mod locked;
mod map;
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
        self.message.clear();
        self.message.push_str(msg);
    }
    /// The message buffer, for decoders that fill it in place.
    pub(crate) fn message_mut(&mut self) -> &mut String {
        self.message.clear();
        &mut self.message
    }
    /// The message buffer as it is, for stages that change it in place.
    pub(crate) fn message_buf(&mut self) -> &mut String {
        &mut self.message
    }
    /// The trace id, if set.
    #[inline]
    pub fn trace_id(&self) -> Option<&str> {
        non_empty(&self.trace_id)
    }
    /// Sets the trace id; an empty string clears it.
    #[inline]
    pub fn set_trace_id(&mut self, id: &str) {
        self.trace_id.clear();
        self.trace_id.push_str(id);
    }
    /// The span id, if set.
    #[inline]
    pub fn span_id(&self) -> Option<&str> {
        non_empty(&self.span_id)
    }
    /// Sets the span id; an empty string clears it.
    #[inline]
    pub fn set_span_id(&mut self, id: &str) {
        self.span_id.clear();
        self.span_id.push_str(id);
    }

    /// Sets a label, replacing any value it had.
    #[inline]
    pub fn set_label(&mut self, key: &str, value: &str) -> Result<(), EntryError> {
        let slot = self
            .labels
            .slot_mut(key, MAX_LABELS)
            .ok_or(EntryError::TooManyLabels)?;
        slot.clear();
        slot.push_str(value);
        Ok(())
    }
    /// The value of a label.
    #[inline]
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }
    /// Removes a label; returns whether it was present.
    pub fn remove_label(&mut self, key: &str) -> bool {
        self.labels.remove(key)
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

    /// The labels with their values open to change in place (keys stay as they are).
    pub(crate) fn labels_mut(&mut self) -> impl Iterator<Item = (&str, &mut String)> {
        self.labels
            .live_mut()
            .iter_mut()
            .map(|(k, v)| (k.as_str(), v))
    }

    /// The fields with their values open to change in place (keys stay as they are).
    pub(crate) fn fields_mut(&mut self) -> impl Iterator<Item = (&str, &mut ValueSlot)> {
        self.fields
            .live_mut()
            .iter_mut()
            .map(|(k, v)| (k.as_str(), v))
    }

    /// Sets a typed field, replacing any value it had (of any type).
    #[inline]
    pub fn set_field<'a>(
        &mut self,
        key: &str,
        value: impl Into<ValueRef<'a>>,
    ) -> Result<(), EntryError> {
        self.fields
            .slot_mut(key, MAX_FIELDS)
            .ok_or(EntryError::TooManyFields)?
            .set(value.into());
        Ok(())
    }
    /// The string buffer of a string field, cleared, for decoders that fill it in place.
    pub(crate) fn field_text_mut(&mut self, key: &str) -> Result<&mut String, EntryError> {
        Ok(self
            .fields
            .slot_mut(key, MAX_FIELDS)
            .ok_or(EntryError::TooManyFields)?
            .text_mut_as_str())
    }
    /// The value of a field.
    #[inline]
    pub fn field(&self, key: &str) -> Option<ValueRef<'_>> {
        self.fields.get(key).map(ValueSlot::get)
    }
    /// Removes a field; returns whether it was present.
    pub fn remove_field(&mut self, key: &str) -> bool {
        self.fields.remove(key)
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
        self.labels.clear(usize::MAX);
        for (k, v) in src.labels() {
            // Cannot fail: src holds no more keys than the limits.
            let _ = self.set_label(k, v);
        }
        self.fields.clear(usize::MAX);
        for (k, v) in src.fields() {
            let _ = self.set_field(k, v);
        }
    }

    /// Empties the entry for reuse. Buffers are kept, unless the entry retains more than
    /// `max_retained_bytes` of heap, in which case they are freed and `true` is returned.
    pub fn reset(&mut self, max_retained_bytes: usize) -> bool {
        self.timestamp_ns = 0;
        self.level = Level::Info;
        self.message.clear();
        self.trace_id.clear();
        self.span_id.clear();
        self.labels.clear(usize::MAX);
        self.fields.clear(usize::MAX);
        if self.retained_bytes() > max_retained_bytes {
            *self = EntryData::default();
            return true;
        }
        false
    }

    /// Heap bytes this entry holds on to, live or kept for reuse.
    pub fn retained_bytes(&self) -> usize {
        self.message.capacity()
            + self.trace_id.capacity()
            + self.span_id.capacity()
            + self.labels.retained_bytes()
            + self.fields.retained_bytes()
    }

    /// A cheap estimate of the entry's encoded size in bytes, used to close batches by size.
    pub fn size_hint(&self) -> usize {
        let mut n = 64 + self.message.len() + self.trace_id.len() + self.span_id.len();
        for (k, v) in self.labels.live() {
            n += k.len() + v.len() + 6;
        }
        for (k, v) in self.fields.live() {
            n += k.len()
                + 6
                + match v.get() {
                    ValueRef::Str(s) => s.len() + 2,
                    _ => 20,
                };
        }
        n
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
