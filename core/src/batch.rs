//! The immutable batch every sink of a pipeline shares.
//!
//! Plain data: the entries and the pool they return to. [`Batch::encoded`], which encodes the
//! whole batch once per format and keeps it here, is written in crate::encode.
//!
//! Entries may come in still packed (a record copied in as it was submitted, checked, not yet
//! decoded): the batcher leaves the decoding to the first sink that reads the batch, on that
//! sink's thread, once for every sink. A sink that never reads the entries (the null sink)
//! never has them decoded.

// Entries travel pool → queue → batch → pool as boxes, so that each step moves a pointer and
// never the entry: `Vec<Box<EntryData>>` is deliberate.
#![allow(clippy::vec_box)]

use crate::entry::EntryData;
use crate::pool::Pool;
use parking_lot::Mutex;
use std::sync::{Arc, OnceLock};

/// A closed batch of entries, shared by reference by every sink (`Arc<Batch>`), never copied
/// per sink and never mutated once made. When the last sink lets go of it, its entries return
/// to the pool.
pub struct Batch {
    seq: u64,
    len: usize,
    /// The entries as the batcher closed the batch, some perhaps packed; moved into `entries`,
    /// decoded, on the first read.
    pending: Mutex<Vec<Box<EntryData>>>,
    /// The entries, every one decoded.
    entries: OnceLock<Vec<Box<EntryData>>>,
    pool: Option<Arc<Pool>>,
    /// The whole batch encoded, once per output format (by the format's index, see
    /// crate::encode), made on first use.
    encoded: [OnceLock<Vec<u8>>; FORMATS],
}

/// How many output formats a batch keeps an encoding of.
pub(crate) const FORMATS: usize = 2;

impl Batch {
    /// A batch of a pipeline's entries; `decoded` when none of them is packed, else they are
    /// decoded on the first read.
    pub(crate) fn new(
        seq: u64,
        entries: Vec<Box<EntryData>>,
        pool: Arc<Pool>,
        decoded: bool,
    ) -> Self {
        Batch::made(seq, entries, Some(pool), decoded)
    }

    /// A batch that is not tied to a pool (for tests and tools).
    pub fn from_entries(entries: Vec<Box<EntryData>>) -> Self {
        Batch::made(0, entries, None, false)
    }

    fn made(
        seq: u64,
        entries: Vec<Box<EntryData>>,
        pool: Option<Arc<Pool>>,
        decoded: bool,
    ) -> Self {
        let len = entries.len();
        let (pending, ready) = if decoded {
            (Vec::new(), OnceLock::from(entries))
        } else {
            (entries, OnceLock::new())
        };
        Batch {
            seq,
            len,
            pending: Mutex::new(pending),
            entries: ready,
            pool,
            encoded: Default::default(),
        }
    }

    /// The batch's sequence number in its pipeline, from 1.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// How many entries the batch holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the batch holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The entries, in submission order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &EntryData> {
        self.entries().iter().map(|e| &**e)
    }

    /// The entry at `i`.
    pub fn get(&self, i: usize) -> Option<&EntryData> {
        self.entries().get(i).map(|e| &**e)
    }

    /// The entries, decoded on the first call (by whichever sink's thread reads first; the
    /// others wait for it).
    fn entries(&self) -> &[Box<EntryData>] {
        self.entries.get_or_init(|| {
            let mut entries = std::mem::take(&mut *self.pending.lock());
            for e in &mut entries {
                crate::record::expand(e);
            }
            entries
        })
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
            pool.put_all(self.pending.get_mut().drain(..));
            if let Some(entries) = self.entries.take() {
                pool.put_all(entries);
            }
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

    /// Entry `i` of [`packed_batch`]: its record, and the entry that decoding it gives.
    fn record(i: usize) -> (Vec<u8>, EntryData) {
        let mut e = EntryData::new();
        e.set_message(&format!("m{i}"));
        e.set_label("service", &format!("s{i}")).unwrap();
        e.set_field("i", i as i64).unwrap();
        // Invalid UTF-8 in one of them, which the decoding replaces.
        let mut rec = Vec::new();
        crate::record::encode_entry(&e, &mut rec).unwrap();
        if i == 3 {
            let at = rec.windows(2).position(|w| w == b"s3").unwrap() + 1;
            rec[at] = 0xff;
        }
        let mut want = EntryData::new();
        crate::record::decode_into(&rec, &mut want).unwrap();
        (rec, want)
    }

    /// A batch tied to `pool` of `n` entries holding packed records, as a batcher of a
    /// pipeline with lanes closes it.
    fn packed_batch(pool: &Arc<Pool>, n: usize) -> Batch {
        let entries = (0..n)
            .map(|i| {
                let mut e = pool.take();
                assert!(crate::record::pack_checked(&record(i).0, &mut e));
                e
            })
            .collect();
        Batch::new(7, entries, Arc::clone(pool), false)
    }

    #[test]
    fn packed_entries_are_decoded_on_the_first_read_and_only_then() {
        let pool = Arc::new(Pool::new(crate::pool::PoolLimits::default()));
        let b = packed_batch(&pool, 5);
        assert_eq!((b.len(), b.is_empty(), b.seq()), (5, false, 7));
        // Counting them decodes nothing.
        assert!(b.entries.get().is_none());
        assert_eq!(b.pending.lock().len(), 5);
        assert!(b.pending.lock().iter().all(|e| e.message().is_empty()));

        let got: Vec<&EntryData> = b.iter().collect();
        assert_eq!(got.len(), 5);
        for (i, e) in got.iter().enumerate() {
            assert_eq!(**e, record(i).1, "entry {i}");
        }
        assert_eq!(b.get(3).unwrap().label("service"), Some("s\u{fffd}"));
        assert!(b.get(5).is_none());
        assert!(b.pending.lock().is_empty(), "decoded once, moved out");
    }

    #[test]
    fn sinks_reading_one_batch_at_once_see_it_decoded_once() {
        let pool = Arc::new(Pool::new(crate::pool::PoolLimits::default()));
        let b = Arc::new(packed_batch(&pool, 64));
        let want: Vec<EntryData> = (0..64).map(|i| record(i).1).collect();
        let readers: Vec<_> = (0..4)
            .map(|_| {
                let b = Arc::clone(&b);
                std::thread::spawn(move || {
                    b.iter().map(|e| e as *const EntryData as usize).collect()
                })
            })
            .collect();
        let seen: Vec<Vec<usize>> = readers.into_iter().map(|r| r.join().unwrap()).collect();
        // Every reader saw the same entries (one decoding), and what they hold is right.
        assert!(seen.windows(2).all(|w| w[0] == w[1]));
        assert!(b.iter().zip(&want).all(|(e, w)| e == w));
    }

    #[test]
    fn a_batch_gives_its_entries_back_to_the_pool_read_or_not() {
        let pool = Arc::new(Pool::new(crate::pool::PoolLimits::default()));
        drop(packed_batch(&pool, 5));
        assert_eq!(pool.stats().idle, 5, "never read");
        let b = packed_batch(&pool, 5);
        assert_eq!(b.iter().count(), 5);
        drop(b);
        assert_eq!(pool.stats().idle, 5, "read");
        let s = pool.stats();
        assert_eq!((s.allocated, s.reused), (5, 5));
        // A batch made of decoded entries reads them as they are.
        let entries = (0..2).map(|i| Box::new(record(i).1)).collect();
        let b = Batch::new(1, entries, Arc::clone(&pool), true);
        assert!(b.pending.lock().is_empty());
        assert_eq!(b.get(1).unwrap().message(), "m1");
        drop(b);
        assert_eq!(pool.stats().idle, 7);
    }
}
