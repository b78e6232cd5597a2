//! The locked entry: one entry shared by any number of threads.

use super::Pool;
use crate::entry::{EntryData, EntryError, Level, ValueRef};
use parking_lot::Mutex;
use std::sync::Arc;

/// A pooled entry whose state sits behind one lock, so that any number of threads may get and
/// set on it at once. Dropping it returns its storage to the pool; submitting it moves the
/// storage into the pipeline without a copy.
pub struct Entry {
    data: Mutex<Option<Box<EntryData>>>,
    pool: Arc<Pool>,
}

impl Entry {
    pub(crate) fn new(data: Box<EntryData>, pool: Arc<Pool>) -> Self {
        Entry {
            data: Mutex::new(Some(data)),
            pool,
        }
    }

    /// Runs `f` on the entry's data under the lock.
    #[inline]
    pub fn with<R>(&self, f: impl FnOnce(&mut EntryData) -> R) -> R {
        let mut guard = self.data.lock();
        // Only `into_data` and `drop` take the data out, and both consume the entry.
        f(guard
            .as_mut()
            .expect("entry data is present until the entry is consumed"))
    }

    /// Sets a label. See [`EntryData::set_label`].
    #[inline]
    pub fn set_label(&self, key: &str, value: &str) -> Result<(), EntryError> {
        self.with(|d| d.set_label(key, value))
    }
    /// A copy of a label's value.
    pub fn label(&self, key: &str) -> Option<String> {
        self.with(|d| d.label(key).map(str::to_owned))
    }
    /// Calls `f` with a label's value, without copying it.
    #[inline]
    pub fn with_label<R>(&self, key: &str, f: impl FnOnce(Option<&str>) -> R) -> R {
        self.with(|d| f(d.label(key)))
    }
    /// Removes a label; returns whether it was present.
    pub fn remove_label(&self, key: &str) -> bool {
        self.with(|d| d.remove_label(key))
    }
    /// Sets a typed field. See [`EntryData::set_field`].
    #[inline]
    pub fn set_field<'a>(
        &self,
        key: &str,
        value: impl Into<ValueRef<'a>>,
    ) -> Result<(), EntryError> {
        let v = value.into();
        self.with(|d| d.set_field(key, v))
    }
    /// Calls `f` with a field's value, without copying it.
    #[inline]
    pub fn with_field<R>(&self, key: &str, f: impl FnOnce(Option<ValueRef<'_>>) -> R) -> R {
        self.with(|d| f(d.field(key)))
    }
    /// Removes a field; returns whether it was present.
    pub fn remove_field(&self, key: &str) -> bool {
        self.with(|d| d.remove_field(key))
    }
    /// Sets the message.
    pub fn set_message(&self, msg: &str) {
        self.with(|d| d.set_message(msg))
    }
    /// Sets the level.
    pub fn set_level(&self, level: Level) {
        self.with(|d| d.set_level(level))
    }

    /// A deep copy: a new pooled entry with the same contents, independent of this one.
    pub fn deep_copy(&self) -> Entry {
        let mut copy = self.pool.take();
        self.with(|d| copy.copy_from(d));
        Entry::new(copy, Arc::clone(&self.pool))
    }

    /// Consumes the entry and yields its data (for submission).
    pub(crate) fn into_data(mut self) -> Box<EntryData> {
        // `Drop` then finds no data and returns nothing to the pool.
        self.data
            .get_mut()
            .take()
            .expect("entry data is present until the entry is consumed")
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        if let Some(data) = self.data.get_mut().take() {
            self.pool.put(data);
        }
    }
}
