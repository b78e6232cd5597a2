//! The atomics, fence and byte cells the lane uses: std's in every build, loom's under
//! `--cfg loom`, so that the model checks the very code the library runs.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicU32, AtomicU64};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicU32, AtomicU64};

/// Loom's checked cell for one 8-byte word of the ring: the model sees every access to the
/// ring's bytes and reports one that is not ordered after the write it reads.
#[cfg(loom)]
pub(crate) type WordCell = loom::cell::UnsafeCell<[u8; 8]>;
