//! The immutable batch every sink of a pipeline shares.
//!
//! Plain data: the entries and the pool they return to. [`Batch::encoded`], which encodes the
//! whole batch once per format and keeps it here, is written in crate::encode.

// Entries travel pool → queue → batch → pool as boxes, so that each step moves a pointer and
// never the entry: `Vec<Box<EntryData>>` is deliberate.
#![allow(clippy::vec_box)]

use crate::entry::EntryData;
use crate::pool::Pool;
use std::sync::{Arc, OnceLock};

/// A closed batch of entries, shared by reference by every sink (`Arc<Batch>`), never copied
/// per sink and never mutated once made. When the last sink lets go of it, its entries return
/// to the pool.
pub struct Batch {
    seq: u64,
    entries: Vec<Box<EntryData>>,
    pool: Option<Arc<Pool>>,
    /// The whole batch encoded, once per output format (by the format's index, see
    /// crate::encode), made on first use.
    encoded: [OnceLock<Vec<u8>>; FORMATS],
}

/// How many output formats a batch keeps an encoding of.
pub(crate) const FORMATS: usize = 2;

impl Batch {
    pub(crate) fn new(seq: u64, entries: Vec<Box<EntryData>>, pool: Arc<Pool>) -> Self {
        Batch {
            seq,
            entries,
            pool: Some(pool),
            encoded: Default::default(),
        }
    }

    /// A batch that is not tied to a pool (for tests and tools).
    pub fn from_entries(entries: Vec<Box<EntryData>>) -> Self {
        Batch {
            seq: 0,
            entries,
            pool: None,
            encoded: Default::default(),
        }
    }

    /// The batch's sequence number in its pipeline, from 1.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// How many entries the batch holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the batch holds no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries, in submission order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &EntryData> {
        self.entries.iter().map(|e| &**e)
    }

    /// The entry at `i`.
    pub fn get(&self, i: usize) -> Option<&EntryData> {
        self.entries.get(i).map(|e| &**e)
    }

    /// Where the batch encoded in format number `index` is kept once made (by
    /// [`Batch::encoded`]).
    #[inline]
    pub(crate) fn encoded_cell(&self, index: usize) -> &OnceLock<Vec<u8>> {
        &self.encoded[index]
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        if let Some(pool) = &self.pool {
            pool.put_all(self.entries.drain(..));
        }
    }
}

/// A batch, not tied to a pool, of `n` entries with the messages `m0`, `m1`, …
#[cfg(test)]
pub(crate) fn of_messages(n: usize) -> Batch {
    Batch::from_entries(
        (0..n)
            .map(|i| {
                let mut e = EntryData::new();
                e.set_message(&format!("m{i}"));
                Box::new(e)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_made_from_entries_holds_them_in_order() {
        let empty = Batch::from_entries(Vec::new());
        assert!(empty.is_empty());
        assert_eq!(empty.len(), 0);
        assert!(empty.get(0).is_none());
        assert_eq!(empty.seq(), 0);

        let b = of_messages(3);
        assert!(!b.is_empty());
        assert_eq!(b.len(), 3);
        assert_eq!(b.get(2).map(EntryData::message), Some("m2"));
        assert!(b.get(3).is_none());
        let messages: Vec<&str> = b.iter().map(EntryData::message).collect();
        assert_eq!(messages, ["m0", "m1", "m2"]);
    }
}
