//! A fast seeded hash for the stages' bounded tables.
//!
//! Messages and labels are short, and the sampler hashes one per submit, so SipHash (~20 ns)
//! would cost more than the rest of the decision. This is the word-at-a-time multiply-rotate
//! hash of rustc's FxHasher, started from a per-pipeline random seed and finished with
//! MurmurHash3's avalanche, so that the low bits used as a table index are well mixed. It is
//! not collision-resistant against an adversary; every table that uses it treats a collision
//! as harmless (a shared sampling counter, an early deduplication window).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

const K: u64 = 0x517c_c1b7_2722_0a95;

/// A random seed, different for every call (every pipeline).
pub(crate) fn random_seed() -> u64 {
    RandomState::new().hash_one(0x6c6f_6763_6170u64)
}

#[inline]
fn mix(h: u64, w: u64) -> u64 {
    (h.rotate_left(5) ^ w).wrapping_mul(K)
}

/// Folds `bytes` (and their length) into the running hash `h`.
#[inline]
pub(crate) fn fold(mut h: u64, bytes: &[u8]) -> u64 {
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = mix(h, u64::from_le_bytes(w));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = mix(h, u64::from_le_bytes(w));
    }
    mix(h, bytes.len() as u64)
}

/// Folds one word into the running hash.
#[inline]
pub(crate) fn fold_u64(h: u64, w: u64) -> u64 {
    mix(h, w)
}

/// The final avalanche (MurmurHash3 fmix64).
#[inline]
pub(crate) fn finish(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// A `HashMap` hasher for keys that are already hashes.
#[derive(Default, Clone, Copy)]
pub(crate) struct PreHashed(u64);

impl Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are used; fold anything else rather than lose it.
        self.0 = finish(fold(self.0, bytes));
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Builds [`PreHashed`] hashers.
#[derive(Default, Clone, Copy)]
pub(crate) struct BuildPreHashed;

impl BuildHasher for BuildPreHashed {
    type Hasher = PreHashed;
    fn build_hasher(&self) -> PreHashed {
        PreHashed(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(seed: u64, s: &str) -> u64 {
        finish(fold(seed, s.as_bytes()))
    }

    #[test]
    fn equal_inputs_hash_equal_and_lengths_matter() {
        assert_eq!(h(1, "request completed"), h(1, "request completed"));
        assert_ne!(h(1, "request completed"), h(2, "request completed"));
        assert_ne!(h(1, "a"), h(1, "a\0"));
        assert_ne!(h(1, ""), h(1, "\0"));
    }

    #[test]
    fn low_bits_spread_over_a_table() {
        // 4096 similar messages into 4096 slots: a well-mixed hash fills about 63% of them.
        let mut used = vec![false; 4096];
        for i in 0..4096 {
            used[(h(7, &format!("user {i} logged in")) & 4095) as usize] = true;
        }
        let filled = used.iter().filter(|u| **u).count();
        assert!((2400..2800).contains(&filled), "{filled}");
    }
}
