//! The lane under `--cfg loom`: the header a plain value, the ring loom's checked cells (see
//! layout.rs, which includes this file only in the loom build).

use super::super::sync::AtomicU32;
use super::{Header, Lane};
use crossbeam_queue::SegQueue;

impl Lane {
    /// A lane of any power of two from 16 bytes: the model uses rings of a few frames.
    pub fn bounded(capacity: usize, max_records: u32) -> Option<Lane> {
        if capacity < 16 || !capacity.is_power_of_two() {
            return None;
        }
        super::super::sync::init_fences();
        let ring = (0..capacity / 8).map(|_| super::super::sync::WordCell::new([0; 8]));
        Some(Lane {
            header: Box::new(Header::new(capacity, max_records)),
            ring: ring.collect(),
            capacity,
            entries: SegQueue::new(),
            waiting: AtomicU32::new(0),
            waiter: parking_lot::Mutex::new(None),
        })
    }

    #[inline]
    pub(crate) fn header(&self) -> &Header {
        &self.header
    }

    /// Under loom the header and the ring are apart: the header's address, which no model
    /// uses (producers in another language are outside the model).
    pub fn memory(&self) -> *mut u8 {
        (&*self.header as *const Header).cast_mut().cast()
    }

    /// # Safety
    /// As in the library's build.
    #[allow(unsafe_code)]
    pub(crate) unsafe fn ring_write_with(&self, off: usize, len: usize, f: impl FnOnce(&mut [u8])) {
        let mut buf = vec![0u8; len];
        f(&mut buf);
        for (i, chunk) in buf.chunks(8).enumerate() {
            let start = off + i * 8;
            // SAFETY: loom checks that this access is ordered with every other.
            self.ring[start / 8].with_mut(|w| unsafe {
                (&mut *w)[start % 8..start % 8 + chunk.len()].copy_from_slice(chunk)
            });
        }
    }

    /// # Safety
    /// As in the library's build.
    #[allow(unsafe_code)]
    pub(crate) unsafe fn ring_read<R>(
        &self,
        off: usize,
        len: usize,
        f: impl FnOnce(&[u8]) -> R,
    ) -> R {
        let mut buf = Vec::with_capacity(len + 8);
        let mut at = off;
        while at < off + len {
            // SAFETY: loom checks that this access is ordered with every other.
            self.ring[at / 8].with(|w| buf.extend_from_slice(unsafe { &(&*w)[at % 8..] }));
            at = (at / 8 + 1) * 8;
        }
        f(&buf[..len])
    }
}
