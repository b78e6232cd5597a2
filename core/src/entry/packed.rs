//! The packed record an entry may carry: [`crate::Pipeline::submit_record`] checks a record
//! and copies it into an empty entry on the producer's thread (`pack`), as the batcher does for a
//! lane's record; the batcher (or, with lanes, the first sink that reads its batch) decodes it
//! in place (crate::record) through `take_packed`, the `index_*` methods and `restore_text`,
//! before anything reads the entry's contents.

use super::{field_len, find, label_len, Arena, EntryData, EntryError, Level, Span, Stored};
use super::{MAX_FIELDS, MAX_LABELS};

/// Adds `slot`, spans of `text`, to `slots`; when its key `may_be_set`, the slot with the
/// same key takes the value instead. The size estimate of what was replaced and of what is
/// there now (by `size`), or `None` when `slots` already holds `limit` keys.
#[inline(always)]
fn index_into<V: Copy>(
    slots: &mut Vec<(Span, V)>,
    text: &Arena,
    (key, value): (Span, V),
    may_be_set: bool,
    limit: usize,
    size: impl Fn(usize, V) -> usize,
) -> Option<(usize, usize)> {
    let now = size(key.len(), value);
    if may_be_set {
        if let Some(i) = find(text, slots.iter().map(|s| s.0), text.get(key)) {
            let old = std::mem::replace(&mut slots[i].1, value);
            return Some((size(key.len(), old), now));
        }
    }
    if slots.len() >= limit {
        return None;
    }
    slots.push((key, value));
    Some((0, now))
}

impl EntryData {
    /// Makes this empty entry carry a checked record, to be decoded later by `record::expand`:
    /// the level and timestamp are set now (the intake reads them), the record is copied as it
    /// is. Until it is decoded, the size estimate ([`EntryData::size_hint`]) counts the
    /// record's bytes, about what the decoded entry counts (its strings, and a few bytes per
    /// item).
    #[inline]
    pub(crate) fn pack(&mut self, record: &[u8], level: Level, timestamp_ns: u64) {
        debug_assert!(self.is_empty(), "only an empty entry carries a record");
        self.level = level;
        self.timestamp_ns = timestamp_ns;
        self.text.fill(record);
        self.packed = true;
        self.bytes = record.len();
        self.peak = self.peak.max(record.len());
    }

    /// The packed record, if the entry carries one, to be decoded into the entry by
    /// `record::expand` with [`EntryData::index_strings`], [`EntryData::index_label`] and
    /// [`EntryData::index_field`], and given back with [`EntryData::restore_text`]. The entry
    /// holds no text meanwhile.
    #[inline]
    pub(crate) fn take_packed(&mut self) -> Option<Arena> {
        if !self.packed {
            return None;
        }
        self.packed = false;
        // The decoding counts the entry's size again as it indexes the record.
        self.bytes = 0;
        Some(std::mem::take(&mut self.text))
    }

    /// Gives back the text [`EntryData::take_packed`] took, now indexed by the entry's spans.
    #[inline]
    pub(crate) fn restore_text(&mut self, text: Arena) {
        debug_assert!(
            self.text.is_empty(),
            "the entry wrote text while it had none"
        );
        self.text = text;
    }

    /// Sets the message and trace context to spans of the taken text.
    #[inline]
    pub(crate) fn index_strings(&mut self, message: Span, trace_id: Span, span_id: Span) {
        self.message = message;
        self.trace_id = trace_id;
        self.span_id = span_id;
        self.bytes += message.len() + trace_id.len() + span_id.len();
    }

    /// Adds a label of spans of the taken `text`; when the key `may_be_set`, a label with the
    /// same key takes the value instead (the key keeps its first place).
    #[inline]
    pub(crate) fn index_label(
        &mut self,
        text: &Arena,
        key: Span,
        value: Span,
        may_be_set: bool,
    ) -> Result<(), EntryError> {
        let size = |k: usize, v: Span| label_len(k, v.len());
        let (old, new) = index_into(
            &mut self.labels,
            text,
            (key, value),
            may_be_set,
            MAX_LABELS,
            size,
        )
        .ok_or(EntryError::TooManyLabels)?;
        self.bytes = self.bytes + new - old;
        Ok(())
    }

    /// [`EntryData::index_label`] for a field.
    #[inline]
    pub(crate) fn index_field(
        &mut self,
        text: &Arena,
        key: Span,
        value: Stored,
        may_be_set: bool,
    ) -> Result<(), EntryError> {
        let (old, new) = index_into(
            &mut self.fields,
            text,
            (key, value),
            may_be_set,
            MAX_FIELDS,
            field_len,
        )
        .ok_or(EntryError::TooManyFields)?;
        self.bytes = self.bytes + new - old;
        Ok(())
    }
}
