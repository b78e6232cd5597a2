//! The flat, insertion-ordered map behind an entry's labels and fields.
//!
//! Entries carry few keys (a handful of labels, a dozen fields), so a vector scanned linearly
//! beats a hash map: no hashing, one cache line or two, and order of insertion kept for stable
//! output. Slots past `len` keep their string buffers, so a pooled entry refilled with the same
//! keys allocates nothing.

/// Storage a map slot keeps across reuse.
pub(crate) trait SlotValue: Default {
    /// Heap bytes this value retains.
    fn retained_bytes(&self) -> usize;
}

impl SlotValue for String {
    fn retained_bytes(&self) -> usize {
        self.capacity()
    }
}

impl SlotValue for super::value::ValueSlot {
    fn retained_bytes(&self) -> usize {
        self.text_capacity()
    }
}

/// Whether two strings are equal: inline for the short strings keys are, where a call to
/// `memcmp` costs more than the comparison.
#[inline(always)]
pub(crate) fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
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

/// Makes `dst` hold `src`, writing nothing when it already does: a pooled entry refilled with
/// the same keys and label values keeps its buffers untouched.
#[inline(always)]
pub(crate) fn replace(dst: &mut String, src: &str) {
    if !same(dst, src) {
        dst.clear();
        dst.push_str(src);
    }
}

#[derive(Debug, Default)]
pub(crate) struct FlatMap<V> {
    slots: Vec<(String, V)>,
    len: usize,
}

impl<V: SlotValue + Clone> Clone for FlatMap<V> {
    fn clone(&self) -> Self {
        FlatMap {
            slots: self.live().to_vec(),
            len: self.len,
        }
    }
}

impl<V: SlotValue> FlatMap<V> {
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(crate) fn live(&self) -> &[(String, V)] {
        &self.slots[..self.len]
    }

    #[inline]
    pub(crate) fn live_mut(&mut self) -> &mut [(String, V)] {
        &mut self.slots[..self.len]
    }

    #[inline]
    fn position(&self, key: &str) -> Option<usize> {
        self.live().iter().position(|(k, _)| same(k, key))
    }

    #[inline]
    pub(crate) fn get(&self, key: &str) -> Option<&V> {
        self.live()
            .iter()
            .find(|(k, _)| same(k, key))
            .map(|(_, v)| v)
    }

    /// The value slot for `key` and whether the key is new, claiming a new slot (and copying
    /// the key into its retained buffer) when the key is absent. `None` when the map already
    /// holds `limit` keys.
    #[inline]
    pub(crate) fn slot_mut(&mut self, key: &str, limit: usize) -> Option<(&mut V, bool)> {
        if let Some(i) = self.position(key) {
            return Some((&mut self.slots[i].1, false));
        }
        self.claim(key, limit).map(|v| (v, true))
    }

    /// Claims a new slot for `key`, which the map must not hold (the caller knows: no scan).
    /// `None` when the map already holds `limit` keys.
    #[inline]
    pub(crate) fn claim(&mut self, key: &str, limit: usize) -> Option<&mut V> {
        debug_assert!(self.position(key).is_none(), "claim of a present key");
        if self.len >= limit {
            return None;
        }
        if self.len == self.slots.len() {
            self.slots
                .push((String::with_capacity(key.len()), V::default()));
        }
        let slot = &mut self.slots[self.len];
        // A pooled entry refilled by the same call site finds its keys where they were.
        replace(&mut slot.0, key);
        self.len += 1;
        Some(&mut slot.1)
    }

    /// Removes `key`, keeping the order of the others. Returns `size` of the removed key and
    /// value, or `None` when the key was absent.
    pub(crate) fn remove(
        &mut self,
        key: &str,
        size: impl FnOnce(&str, &V) -> usize,
    ) -> Option<usize> {
        let i = self.position(key)?;
        let n = size(&self.slots[i].0, &self.slots[i].1);
        // Rotate the removed slot to the end of the live range so its buffers are kept.
        self.slots[i..self.len].rotate_left(1);
        self.len -= 1;
        Some(n)
    }

    /// Forgets every key, keeping the buffers.
    #[inline]
    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }

    pub(crate) fn retained_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<(String, V)>()
            + self
                .slots
                .iter()
                .map(|(k, v)| k.capacity() + v.retained_bytes())
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(m: &mut FlatMap<String>, k: &str, v: &str) -> bool {
        match m.slot_mut(k, 8) {
            Some((s, _)) => {
                s.clear();
                s.push_str(v);
                true
            }
            None => false,
        }
    }

    #[test]
    fn keeps_insertion_order_across_remove_and_reuse() {
        let mut m = FlatMap::<String>::default();
        for (k, v) in [("a", "1"), ("b", "2"), ("c", "3")] {
            assert!(set(&mut m, k, v));
        }
        assert!(set(&mut m, "b", "22"));
        assert_eq!(m.len(), 3);
        assert_eq!(m.remove("a", |k, v| k.len() + v.len()), Some(2));
        assert_eq!(m.remove("a", |_, _| 0), None);
        let keys: Vec<_> = m
            .live()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(keys, [("b", "22"), ("c", "3")]);
        assert!(set(&mut m, "d", "4"));
        assert_eq!(m.get("d").map(String::as_str), Some("4"));
        assert_eq!(m.get("a"), None);
    }

    #[test]
    fn limit_refuses_new_keys_but_not_updates() {
        let mut m = FlatMap::<String>::default();
        for i in 0..8 {
            assert!(set(&mut m, &i.to_string(), "x"));
        }
        assert!(!set(&mut m, "new", "x"));
        assert!(set(&mut m, "3", "y"));
        assert_eq!(m.get("3").map(String::as_str), Some("y"));
    }

    #[test]
    fn same_agrees_with_eq_at_every_length_and_position() {
        for n in 0..40 {
            let a = "k".repeat(n);
            assert!(same(&a, &a.clone()));
            assert!(!same(&a, &"k".repeat(n + 1)));
            for i in 0..n {
                let mut b = a.clone().into_bytes();
                b[i] = b'x';
                let b = String::from_utf8(b).unwrap();
                assert!(!same(&a, &b), "{n} {i}");
            }
        }
    }

    #[test]
    fn clear_keeps_buffers() {
        let mut m = FlatMap::<String>::default();
        set(&mut m, "key", &"v".repeat(100));
        let before = m.retained_bytes();
        m.clear();
        assert_eq!(m.len(), 0);
        assert_eq!(m.retained_bytes(), before);
        assert!(set(&mut m, "abc", "x"));
        assert_eq!(
            m.retained_bytes(),
            before,
            "the slot and its buffers are reused"
        );
    }
}
