//! Deduplication: identical entries within a window collapse into the first one, which
//! carries the number of entries it stands for in a field `repeats` (when more than one).
//!
//! Entries are identical when their level, message and labels (as a set: order does not
//! matter) are equal; fields, timestamps and trace context are not compared, and those of the
//! first entry are kept. A window opens at an entry with no identical entry held, and closes
//! `window_ms` later (a fixed window, so an entry waits at most that long); an identical
//! entry after that opens a new window.
//!
//! The table is bounded: at most `max_keys` entries are held. A new entry that finds it full
//! closes the oldest window early (its entry is delivered with its count so far), so nothing
//! is lost. Keys are 64-bit hashes checked by a full comparison: two different entries whose
//! hashes collide are never merged; the held one's window just closes early.
//!
//! The table lives on the batcher thread: windows close on the batcher's timer, a flush or a
//! close delivers every held entry at once, and no lock is needed.

// Entries travel as boxes so that holding and releasing one moves a pointer.
#![allow(clippy::vec_box)]

use super::hash::{self, BuildPreHashed};
use crate::config::DedupConfig;
use crate::entry::EntryData;
use std::collections::{HashMap, VecDeque};

/// The field that carries the count of a collapsed entry.
pub const REPEATS_FIELD: &str = "repeats";

struct Held {
    entry: Box<EntryData>,
    hash: u64,
    count: u64,
    deadline_ns: u64,
    /// Whether `index` points at this entry (false after a hash collision displaced it).
    indexed: bool,
}

/// What became of an offered entry.
pub(crate) enum Offer {
    /// An identical entry is held: this one is counted in it and can go back to the pool.
    Absorbed(Box<EntryData>),
    /// The entry is held until its window closes.
    Held,
    /// The entry is held, and the table was full: this older entry's window closed early and
    /// it must be delivered now.
    Evicted(Box<EntryData>),
}

/// The deduplication table of one pipeline.
pub(crate) struct Dedup {
    window_ns: u64,
    max_keys: usize,
    seed: u64,
    /// Held entries in the order their windows opened, which is the order they close.
    held: VecDeque<Held>,
    /// Key hash → sequence number of the held entry (`front_seq` is `held[0]`'s).
    index: HashMap<u64, u64, BuildPreHashed>,
    front_seq: u64,
}

impl Dedup {
    pub(crate) fn new(cfg: &DedupConfig, seed: u64) -> Self {
        Dedup {
            window_ns: cfg.window_ms.saturating_mul(1_000_000),
            max_keys: cfg.max_keys,
            seed,
            held: VecDeque::with_capacity(cfg.max_keys.min(4096)),
            index: HashMap::with_capacity_and_hasher(cfg.max_keys.min(4096), BuildPreHashed),
            front_seq: 0,
        }
    }

    /// How many entries are held.
    pub(crate) fn len(&self) -> usize {
        self.held.len()
    }

    /// When the next window closes (clock ns), if any entry is held.
    pub(crate) fn next_deadline(&self) -> Option<u64> {
        self.held.front().map(|h| h.deadline_ns)
    }

    /// Offers an entry arriving at `now`. Close expired windows first ([`Dedup::pop_expired`]).
    pub(crate) fn offer(&mut self, e: Box<EntryData>, now: u64) -> Offer {
        let h = key_hash(self.seed, &e);
        if let Some(&seq) = self.index.get(&h) {
            let held = &mut self.held[(seq - self.front_seq) as usize];
            if same_key(&held.entry, &e) {
                held.count += 1;
                return Offer::Absorbed(e);
            }
            // A collision: the held entry keeps its window, unindexed.
            held.indexed = false;
            self.index.remove(&h);
        }
        let evicted = if self.held.len() >= self.max_keys {
            self.pop_front()
        } else {
            None
        };
        let seq = self.front_seq + self.held.len() as u64;
        self.held.push_back(Held {
            entry: e,
            hash: h,
            count: 1,
            deadline_ns: now.saturating_add(self.window_ns),
            indexed: true,
        });
        self.index.insert(h, seq);
        match evicted {
            Some(x) => Offer::Evicted(x),
            None => Offer::Held,
        }
    }

    /// The next entry whose window has closed at `now`, with its `repeats` field set.
    pub(crate) fn pop_expired(&mut self, now: u64) -> Option<Box<EntryData>> {
        if self.held.front()?.deadline_ns <= now {
            self.pop_front()
        } else {
            None
        }
    }

    /// The oldest held entry, its window closed now (for flush, close and eviction).
    pub(crate) fn pop_front(&mut self) -> Option<Box<EntryData>> {
        let h = self.held.pop_front()?;
        self.front_seq += 1;
        if h.indexed {
            self.index.remove(&h.hash);
        }
        let mut e = h.entry;
        if h.count > 1 {
            // Only an entry already at the field limit refuses, and then it goes out as is.
            let _ = e.set_field(REPEATS_FIELD, h.count);
        }
        Some(e)
    }
}

/// The hash of an entry's identity: level, message and the set of labels.
fn key_hash(seed: u64, e: &EntryData) -> u64 {
    let mut h = hash::fold_u64(seed, e.level() as u64);
    h = hash::fold(h, e.message().as_bytes());
    // Labels as a set: a commutative sum of each pair's own hash.
    let labels = e.labels().fold(0u64, |acc, (k, v)| {
        acc.wrapping_add(hash::finish(hash::fold(
            hash::fold(seed ^ 0x9e37_79b9_7f4a_7c15, k.as_bytes()),
            v.as_bytes(),
        )))
    });
    h = hash::fold_u64(h, labels);
    hash::finish(hash::fold_u64(h, e.label_count() as u64))
}

fn same_key(a: &EntryData, b: &EntryData) -> bool {
    a.level() == b.level()
        && a.message() == b.message()
        && a.label_count() == b.label_count()
        && a.labels().all(|(k, v)| b.label(k) == Some(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::{Level, ValueRef};

    const MS: u64 = 1_000_000;

    fn dedup(window_ms: u64, max_keys: usize) -> Dedup {
        Dedup::new(
            &DedupConfig {
                window_ms,
                max_keys,
            },
            9,
        )
    }

    fn entry(msg: &str, labels: &[(&str, &str)]) -> Box<EntryData> {
        let mut e = Box::<EntryData>::default();
        e.set_message(msg);
        for (k, v) in labels {
            e.set_label(k, v).unwrap();
        }
        e
    }

    fn repeats(e: &EntryData) -> Option<u64> {
        match e.field(REPEATS_FIELD) {
            Some(ValueRef::U64(n)) => Some(n),
            None => None,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn identical_entries_collapse_with_a_count() {
        let mut d = dedup(100, 16);
        let mut first = entry("boom", &[("a", "1"), ("b", "2")]);
        first.set_field("seq", 1u64).unwrap();
        assert!(matches!(d.offer(first, 0), Offer::Held));
        for i in 0..4u64 {
            // Labels in another order are the same set; fields are not compared.
            let mut e = entry("boom", &[("b", "2"), ("a", "1")]);
            e.set_field("seq", i + 2).unwrap();
            assert!(matches!(d.offer(e, i * MS), Offer::Absorbed(_)));
        }
        assert!(d.pop_expired(99 * MS).is_none(), "the window is still open");
        let out = d.pop_expired(100 * MS).unwrap();
        assert_eq!(repeats(&out), Some(5));
        assert_eq!(
            out.field("seq"),
            Some(ValueRef::U64(1)),
            "the first entry is kept"
        );
        assert_eq!(d.len(), 0);
    }

    #[test]
    fn level_message_and_labels_each_tell_entries_apart() {
        let mut d = dedup(100, 16);
        let mut warn = entry("m", &[]);
        warn.set_level(Level::Warn);
        for e in [
            entry("m", &[]),
            warn,
            entry("m2", &[]),
            entry("m", &[("a", "1")]),
            entry("m", &[("a", "2")]),
            entry("m", &[("a", "1"), ("b", "1")]),
        ] {
            assert!(matches!(d.offer(e, 0), Offer::Held));
        }
        assert_eq!(d.len(), 6);
        let mut n = 0;
        while let Some(e) = d.pop_front() {
            assert_eq!(repeats(&e), None, "a single entry has no repeats field");
            n += 1;
        }
        assert_eq!(n, 6);
    }

    #[test]
    fn an_identical_entry_after_the_window_opens_a_new_one() {
        let mut d = dedup(10, 16);
        assert!(matches!(d.offer(entry("m", &[]), 0), Offer::Held));
        assert!(matches!(
            d.offer(entry("m", &[]), 5 * MS),
            Offer::Absorbed(_)
        ));
        let closed = d.pop_expired(10 * MS).unwrap();
        assert_eq!(repeats(&closed), Some(2));
        assert!(matches!(d.offer(entry("m", &[]), 10 * MS), Offer::Held));
        assert_eq!(d.next_deadline(), Some(20 * MS));
    }

    #[test]
    fn a_full_table_closes_the_oldest_window_early() {
        let mut d = dedup(1000, 2);
        assert!(matches!(d.offer(entry("a", &[]), 0), Offer::Held));
        assert!(matches!(d.offer(entry("a", &[]), 0), Offer::Absorbed(_)));
        assert!(matches!(d.offer(entry("b", &[]), 1), Offer::Held));
        match d.offer(entry("c", &[]), 2) {
            Offer::Evicted(e) => {
                assert_eq!(e.message(), "a");
                assert_eq!(repeats(&e), Some(2));
            }
            _ => panic!("expected an eviction"),
        }
        assert_eq!(d.len(), 2);
        // "a" is no longer held: it opens a new window (evicting "b").
        assert!(matches!(d.offer(entry("a", &[]), 3), Offer::Evicted(_)));
        assert!(matches!(d.offer(entry("c", &[]), 3), Offer::Absorbed(_)));
    }

    #[test]
    fn a_hash_collision_never_merges_different_entries() {
        let mut d = dedup(1000, 16);
        // Force a collision by giving two different entries the same index key.
        let a = entry("a", &[]);
        let b = entry("b", &[]);
        let ha = key_hash(d.seed, &a);
        assert!(matches!(d.offer(a, 0), Offer::Held));
        // Pretend "b" hashed like "a": point its own hash at a's slot.
        let hb = key_hash(d.seed, &b);
        let seq = d.index.remove(&ha).unwrap();
        d.index.insert(hb, seq);
        d.held[0].hash = hb;
        assert!(matches!(d.offer(b, 1), Offer::Held), "not merged into a");
        assert_eq!(d.len(), 2);
        assert!(!d.held[0].indexed && d.held[1].indexed);
        let first = d.pop_front().unwrap();
        assert_eq!((first.message(), repeats(&first)), ("a", None));
        // Popping the displaced entry leaves the index of the new one alone.
        assert!(matches!(d.offer(entry("b", &[]), 2), Offer::Absorbed(_)));
        assert_eq!(repeats(&d.pop_front().unwrap()), Some(2));
    }
}
