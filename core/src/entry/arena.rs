//! An entry's text: every string it holds (message, ids, keys, values) in one buffer, each
//! named by a [`Span`].
//!
//! One buffer instead of one `String` per key and value: a pooled entry refilled keeps one
//! allocation, filling it touches a few consecutive cache lines instead of a score of scattered
//! ones, a copy is one `memcpy`, and a packed record copied in by
//! [`crate::Pipeline::submit_record`] *is* the arena: decoding it only validates the strings in
//! place and notes where they lie (`record::expand`).
//!
//! The buffer is append-only between [`Arena::clear`]s: a string replaced leaves its old bytes
//! behind as dead bytes, and [`super::EntryData`] compacts once the dead bytes outweigh the
//! live ones. Bytes once written never change, and every span is made either from a `&str`
//! ([`Arena::push`]) or by validating the bytes it covers ([`Arena::text_span`]), so a span of
//! an arena always covers valid UTF-8 of that arena, which is what makes [`Arena::get`] sound.

use super::text::utf8;

/// Where one string lies in an [`Arena`]. Made only by the arena it indexes, and never used
/// with another one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Span {
    at: usize,
    len: usize,
}

impl Span {
    /// The string's length in bytes.
    #[inline]
    pub(crate) fn len(self) -> usize {
        self.len
    }
}

/// The bytes of an entry's strings; see the module documentation.
#[derive(Debug, Default)]
pub(crate) struct Arena {
    /// The strings in `..len`; past it, the bytes of strings cleared away, which
    /// [`Arena::push`] leaves unwritten where it would write the same.
    buf: Vec<u8>,
    len: usize,
    /// Bytes no span refers to any more.
    dead: usize,
}

impl Clone for Arena {
    fn clone(&self) -> Self {
        Arena {
            buf: self.bytes().to_vec(),
            len: self.len,
            dead: self.dead,
        }
    }

    fn clone_from(&mut self, src: &Self) {
        self.buf.clear();
        self.buf.extend_from_slice(src.bytes());
        self.len = src.len;
        self.dead = src.dead;
    }
}

impl Arena {
    /// The string at `s`.
    #[inline(always)]
    pub(crate) fn get(&self, s: Span) -> &str {
        // One bounds check, against the whole buffer: spans lie below `len` by construction.
        let b = &self.buf[s.at..s.at + s.len];
        debug_assert!(s.at + s.len <= self.len, "a span past the live bytes");
        debug_assert!(std::str::from_utf8(b).is_ok(), "a span over invalid UTF-8");
        // SAFETY: `s` was made by this arena from a `&str` (`push`) or over bytes it checked
        // (`text_span`); bytes are never rewritten until `clear`, after which the entry holds
        // no span (module documentation).
        unsafe { std::str::from_utf8_unchecked(b) }
    }

    /// Appends `s`; its span. A pooled entry refilled by the same call site finds its keys
    /// where they were before it was cleared: those bytes are compared, not rewritten, so the
    /// cache lines stay shared with the thread that last read them.
    #[inline(always)]
    pub(crate) fn push(&mut self, s: &str) -> Span {
        let (at, n) = (self.len, s.len());
        let end = at + n;
        match self.buf.get_mut(at..end) {
            Some(old) => {
                if !same(old, s.as_bytes()) {
                    old.copy_from_slice(s.as_bytes());
                }
            }
            None => {
                self.buf.truncate(at);
                self.buf.extend_from_slice(s.as_bytes());
            }
        }
        self.len = end;
        Span { at, len: n }
    }

    /// Notes that nothing refers to the bytes of `s` any more.
    #[inline(always)]
    pub(crate) fn drop_span(&mut self, s: Span) {
        self.dead += s.len;
    }

    /// Whether enough of the buffer is dead to be worth compacting: more than 4 KiB, and more
    /// than the live bytes.
    #[inline(always)]
    pub(crate) fn wants_compaction(&self) -> bool {
        self.dead > 4096 && self.dead * 2 > self.len
    }

    /// The span of `len` bytes at `at` if they lie in the buffer and are valid UTF-8.
    #[inline(always)]
    pub(crate) fn text_span(&self, at: usize, len: usize) -> Option<Span> {
        let end = at.checked_add(len)?;
        utf8(self.bytes().get(at..end)?)?;
        Some(Span { at, len })
    }

    /// The whole buffer (a packed record, before it is decoded).
    #[inline]
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Replaces the whole buffer with `bytes`, keeping the allocation.
    #[inline]
    pub(crate) fn fill(&mut self, bytes: &[u8]) {
        self.buf.clear();
        self.buf.extend_from_slice(bytes);
        self.len = bytes.len();
        self.dead = 0;
    }

    /// Forgets every string, keeping the allocation. Every span is stale afterwards.
    #[inline]
    pub(crate) fn clear(&mut self) {
        self.len = 0;
        self.dead = 0;
    }

    /// Whether the buffer holds nothing.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Heap bytes held.
    pub(crate) fn capacity(&self) -> usize {
        self.buf.capacity()
    }
}

/// Whether two strings are equal: inline for the short strings keys are, where a call to
/// `memcmp` costs more than the comparison.
#[inline(always)]
pub(crate) fn same_str(a: &str, b: &str) -> bool {
    same(a.as_bytes(), b.as_bytes())
}

/// [`same_str`] for bytes.
#[inline(always)]
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_ne_bytes(w)
    };
    let half = |s: &[u8], at: usize| {
        let mut w = [0u8; 4];
        w.copy_from_slice(&s[at..at + 4]);
        u32::from_ne_bytes(w)
    };
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_back_what_was_pushed_and_clear_keeps_the_allocation() {
        let mut a = Arena::default();
        let s1 = a.push("service");
        let s2 = a.push("é-checkout");
        let s3 = a.push("");
        assert_eq!(
            (a.get(s1), a.get(s2), a.get(s3)),
            ("service", "é-checkout", "")
        );
        assert_eq!(s2.len(), "é-checkout".len());
        let cap = a.capacity();
        a.clear();
        assert!(a.is_empty());
        assert_eq!(a.capacity(), cap);
        // Refilled: the same strings where they were, others over the old bytes.
        let t1 = a.push("service");
        let t2 = a.push("prod");
        let t3 = a.push("a longer string than before");
        assert_eq!((t1, a.get(t1)), (s1, "service"));
        assert_eq!(
            (a.get(t2), a.get(t3)),
            ("prod", "a longer string than before")
        );
        assert_eq!(a.bytes(), b"serviceproda longer string than before");
        assert_eq!(a.clone().bytes(), a.bytes());
        let mut c = Arena::default();
        c.push("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz");
        c.clone_from(&a);
        assert_eq!(c.bytes(), a.bytes());
        assert_eq!(c.get(t3), "a longer string than before");
    }

    #[test]
    fn text_span_checks_bounds_and_utf8() {
        let mut a = Arena::default();
        a.fill(b"ok\xffhi\xc3\xa9");
        assert_eq!(a.text_span(0, 2).map(|s| a.get(s)), Some("ok"));
        assert_eq!(a.text_span(3, 4).map(|s| a.get(s)), Some("hié"));
        assert_eq!(a.text_span(1, 2), None, "invalid UTF-8");
        assert_eq!(a.text_span(5, 1), None, "half a character");
        assert_eq!(a.text_span(6, 2), None, "past the end");
        assert_eq!(a.text_span(usize::MAX, 2), None, "overflow");
    }

    #[test]
    fn compaction_is_wanted_only_when_dead_bytes_dominate() {
        let mut a = Arena::default();
        let big = "x".repeat(5000);
        let s = a.push(&big);
        assert!(!a.wants_compaction());
        a.push(&big);
        a.drop_span(s);
        assert!(!a.wants_compaction(), "half dead is not more than half");
        a.drop_span(a.text_span(0, 1).unwrap());
        assert!(a.wants_compaction());
    }

    #[test]
    fn same_agrees_with_eq_at_every_length_and_position() {
        for n in 0..40 {
            let a = "k".repeat(n);
            assert!(same_str(&a, &a.clone()));
            assert!(!same_str(&a, &"k".repeat(n + 1)));
            for i in 0..n {
                let mut b = a.clone().into_bytes();
                b[i] = b'x';
                let b = String::from_utf8(b).unwrap();
                assert!(!same_str(&a, &b), "{n} {i}");
            }
        }
    }
}
