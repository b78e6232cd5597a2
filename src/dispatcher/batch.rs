//! The immutable batch every sink of a pipeline shares.

// Entries travel pool → queue → batch → pool as boxes, so that each step moves a pointer and
// never the entry: `Vec<Box<EntryData>>` is deliberate.
#![allow(clippy::vec_box)]

use crate::encode::{self, Format};
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
    json: OnceLock<Vec<u8>>,
    text: OnceLock<Vec<u8>>,
}

impl Batch {
    pub(crate) fn new(seq: u64, entries: Vec<Box<EntryData>>, pool: Arc<Pool>) -> Self {
        Batch {
            seq,
            entries,
            pool: Some(pool),
            json: OnceLock::new(),
            text: OnceLock::new(),
        }
    }

    /// A batch that is not tied to a pool (for tests and tools).
    pub fn from_entries(entries: Vec<Box<EntryData>>) -> Self {
        Batch {
            seq: 0,
            entries,
            pool: None,
            json: OnceLock::new(),
            text: OnceLock::new(),
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

    /// The whole batch encoded in `format`, one line per entry. Encoded once, on first use, and
    /// shared by every sink that asks for the same format.
    pub fn encoded(&self, format: Format) -> &[u8] {
        let cell = match format {
            Format::Json => &self.json,
            Format::Text => &self.text,
        };
        cell.get_or_init(|| {
            let mut out = Vec::with_capacity(self.iter().map(EntryData::size_hint).sum());
            encode::encode_all(format, self.iter(), &mut out);
            out
        })
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        if let Some(pool) = &self.pool {
            pool.put_all(self.entries.drain(..));
        }
    }
}
