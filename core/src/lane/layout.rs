//! The lane in memory (docs/lane-protocol.md, "The lane in memory"): a 256-byte header of four
//! cache lines, each written by one side, then the ring; and the frame header.
//!
//! In the library's build a lane is one allocation, header then ring, so that code in another
//! language can be handed the lane's memory. Under `--cfg loom` the header is a plain value
//! and the ring a slice of loom's checked cells, one per 8-byte word: the same fields and the
//! same steps, with every access seen by the model.

use super::sync::{AtomicU32, AtomicU64};
use crate::entry::EntryData;
use crossbeam_queue::SegQueue;
use std::sync::atomic::Ordering::Relaxed;

/// The identity line's magic: the bytes `"LCLN"`.
pub const LANE_MAGIC: u32 = u32::from_le_bytes(*b"LCLN");
/// The version of the lane protocol this library writes and reads.
pub const LANE_VERSION: u16 = 2;
/// The identity line's flag that says the library's heavy fence is a membarrier, so that a
/// producer's light fence may be a compiler fence (docs/lane-protocol.md, "Conventions").
pub const FLAG_LIGHT_FENCE_COMPILER: u32 = 1;
/// The header's length: the ring starts at this offset.
pub const HEADER_LEN: usize = 256;
/// The smallest ring a pipeline's lane has, in bytes.
pub const MIN_CAPACITY: usize = 4096;
/// The largest ring, in bytes (64 MiB).
pub const MAX_CAPACITY: usize = 64 << 20;
/// The length of a frame's header: u32 length, u32 kind.
pub const FRAME_HEADER: usize = 8;
/// Frames start at positions that are multiples of this.
pub const FRAME_ALIGN: usize = 8;
/// A frame whose payload is one packed record.
pub const KIND_RECORD: u32 = 1;
/// A frame that pads the ring from here to its end.
pub const KIND_SKIP: u32 = 2;
/// A frame that stands for the next entry of the lane's entry queue, which holds entries
/// (not bytes) in the library's own memory; its payload is the entry's number in the lane
/// (u64), which the consumer checks against the entry it takes.
pub const KIND_ENTRY: u32 = 3;
/// The payload of an entry frame.
pub const ENTRY_PAYLOAD: usize = 8;

/// `n` rounded up to a multiple of [`FRAME_ALIGN`].
#[inline]
pub const fn align8(n: usize) -> usize {
    (n + FRAME_ALIGN - 1) & !(FRAME_ALIGN - 1)
}

/// The bytes a frame of a payload of `n` bytes takes in the ring.
#[inline]
pub const fn frame_size(n: usize) -> usize {
    FRAME_HEADER + align8(n)
}

/// Writes a frame header: the payload's length, the kind.
#[inline]
pub(crate) fn write_frame_header(b: &mut [u8], len: u32, kind: u32) {
    b[..4].copy_from_slice(&len.to_le_bytes());
    b[4..8].copy_from_slice(&kind.to_le_bytes());
}

/// Reads a frame header: the payload's length, the kind.
#[inline]
pub(crate) fn read_frame_header(b: &[u8]) -> (usize, u32) {
    let word = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    (word(0) as usize, word(4))
}

/// Offset 0: written once, before the lane is handed out.
#[repr(C, align(64))]
pub(crate) struct Identity {
    pub(crate) magic: u32,
    pub(crate) version: u16,
    pub(crate) header_len: u16,
    pub(crate) capacity: u32,
    pub(crate) max_records: u32,
    pub(crate) flags: u32,
    _reserved: [u32; 11],
}

/// Offset 64: written by the producer only.
#[repr(C, align(64))]
pub(crate) struct ProducerLine {
    pub(crate) write: AtomicU64,
    pub(crate) evict_to: AtomicU64,
    pub(crate) submitted: AtomicU64,
    pub(crate) dropped_level: AtomicU64,
    pub(crate) dropped_full: AtomicU64,
    pub(crate) dropped_timeout: AtomicU64,
    pub(crate) busy: AtomicU32,
    pub(crate) retired: AtomicU32,
    _reserved: u64,
}

/// Offset 128: written by the consumer only.
#[repr(C, align(64))]
pub(crate) struct ConsumerLine {
    pub(crate) read: AtomicU64,
    pub(crate) consumed: AtomicU64,
    pub(crate) evicted: AtomicU64,
    pub(crate) malformed: AtomicU64,
    pub(crate) released: AtomicU64,
    _reserved: [u64; 3],
}

/// Offset 192: written by the library's side (the consumer, the closer), read by the producer.
#[repr(C, align(64))]
pub(crate) struct ControlLine {
    pub(crate) asleep: AtomicU32,
    pub(crate) closed: AtomicU32,
    pub(crate) poisoned: AtomicU32,
    pub(crate) min_level: AtomicU32,
    _reserved: [u32; 12],
}

/// The whole header.
#[repr(C)]
pub(crate) struct Header {
    pub(crate) identity: Identity,
    pub(crate) producer: ProducerLine,
    pub(crate) consumer: ConsumerLine,
    pub(crate) control: ControlLine,
}

// The offsets docs/lane-protocol.md states, held to the code (loom's atomics are larger).
#[cfg(not(loom))]
const _: () = {
    use std::mem::{offset_of, size_of};
    assert!(size_of::<Header>() == HEADER_LEN);
    assert!(offset_of!(Header, identity) == 0);
    assert!(offset_of!(Identity, version) == 4);
    assert!(offset_of!(Identity, header_len) == 6);
    assert!(offset_of!(Identity, capacity) == 8);
    assert!(offset_of!(Identity, max_records) == 12);
    assert!(offset_of!(Identity, flags) == 16);
    assert!(offset_of!(Header, producer) == 64);
    assert!(offset_of!(ProducerLine, write) == 0);
    assert!(offset_of!(ProducerLine, evict_to) == 8);
    assert!(offset_of!(ProducerLine, submitted) == 16);
    assert!(offset_of!(ProducerLine, dropped_level) == 24);
    assert!(offset_of!(ProducerLine, dropped_full) == 32);
    assert!(offset_of!(ProducerLine, dropped_timeout) == 40);
    assert!(offset_of!(ProducerLine, busy) == 48);
    assert!(offset_of!(ProducerLine, retired) == 52);
    assert!(offset_of!(Header, consumer) == 128);
    assert!(offset_of!(ConsumerLine, read) == 0);
    assert!(offset_of!(ConsumerLine, consumed) == 8);
    assert!(offset_of!(ConsumerLine, evicted) == 16);
    assert!(offset_of!(ConsumerLine, malformed) == 24);
    assert!(offset_of!(ConsumerLine, released) == 32);
    assert!(offset_of!(Header, control) == 192);
    assert!(offset_of!(ControlLine, asleep) == 0);
    assert!(offset_of!(ControlLine, closed) == 4);
    assert!(offset_of!(ControlLine, poisoned) == 8);
    assert!(offset_of!(ControlLine, min_level) == 12);
};

impl Header {
    fn new(capacity: usize, max_records: u32) -> Header {
        let u64s = || AtomicU64::new(0);
        Header {
            identity: Identity {
                magic: LANE_MAGIC,
                version: LANE_VERSION,
                header_len: HEADER_LEN as u16,
                capacity: capacity as u32,
                max_records,
                flags: if super::sync::light_fence_is_compiler_only() {
                    FLAG_LIGHT_FENCE_COMPILER
                } else {
                    0
                },
                _reserved: [0; 11],
            },
            producer: ProducerLine {
                write: u64s(),
                evict_to: u64s(),
                submitted: u64s(),
                dropped_level: u64s(),
                dropped_full: u64s(),
                dropped_timeout: u64s(),
                busy: AtomicU32::new(0),
                retired: AtomicU32::new(0),
                _reserved: 0,
            },
            consumer: ConsumerLine {
                read: u64s(),
                consumed: u64s(),
                evicted: u64s(),
                malformed: u64s(),
                released: u64s(),
                _reserved: [0; 3],
            },
            control: ControlLine {
                // A new lane's first publish wakes the consumer, which then finds the lane.
                asleep: AtomicU32::new(1),
                closed: AtomicU32::new(0),
                poisoned: AtomicU32::new(0),
                min_level: AtomicU32::new(0),
                _reserved: [0; 12],
            },
        }
    }
}

/// Every counter of one lane, as loaded now (docs/lane-protocol.md, the producer and consumer
/// lines). Exact once the lane is quiet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LaneCounters {
    /// Records the producer was asked to submit.
    pub submitted: u64,
    /// Of those, below the minimum level.
    pub dropped_level: u64,
    /// Refused because the lane was full.
    pub dropped_full: u64,
    /// Refused because the lane stayed full for the block timeout.
    pub dropped_timeout: u64,
    /// Decoded and handed on by the consumer.
    pub consumed: u64,
    /// Skipped undecoded under `drop_oldest`.
    pub evicted: u64,
    /// Dropped as malformed.
    pub malformed: u64,
}

impl LaneCounters {
    /// Records the producer published: submitted less what it refused.
    pub fn published(&self) -> u64 {
        self.submitted
            .wrapping_sub(self.dropped_level)
            .wrapping_sub(self.dropped_full)
            .wrapping_sub(self.dropped_timeout)
    }

    /// Published records the consumer has not accounted for yet (in the ring, or lost to a
    /// poisoned lane).
    pub fn pending(&self) -> u64 {
        self.published()
            .wrapping_sub(self.consumed)
            .wrapping_sub(self.evicted)
            .wrapping_sub(self.malformed)
    }

    /// [`LaneCounters::pending`] for a snapshot read while records move, which may see an
    /// outcome before its submit: 0 rather than a wrapped count.
    pub fn pending_saturating(&self) -> u64 {
        self.submitted.saturating_sub(
            self.dropped_level
                + self.dropped_full
                + self.dropped_timeout
                + self.consumed
                + self.evicted
                + self.malformed,
        )
    }
}

/// One lane: its header and its ring. Shared by its producer and the consumer (in an `Arc`);
/// each side keeps its own position and touches only its own fields.
pub struct Lane {
    #[cfg(not(loom))]
    base: std::ptr::NonNull<u8>,
    #[cfg(loom)]
    header: Box<Header>,
    #[cfg(loom)]
    ring: Box<[super::sync::WordCell]>,
    capacity: usize,
    /// Entries submitted whole (the entry API), in the order of their frames, each with its
    /// number: only the library's own producers push here, so a lane's untrusted bytes never
    /// hold a pointer.
    entries: SegQueue<(u64, Box<EntryData>)>,
    /// Set while the lane's producer (a thread of this process) waits for room, parked:
    /// the consumer unparks it after releasing frames. Library memory, not the lane's shared
    /// bytes: a wake-up between the library's own threads, not part of the protocol.
    waiting: AtomicU32,
    /// The waiting producer's thread, set whenever it waits.
    waiter: parking_lot::Mutex<Option<std::thread::Thread>>,
}

// SAFETY: the header's fields are atomics, and the ring's bytes are written by one producer
// and read by the consumer only after the Release/Acquire pair of the write position orders
// the two (docs/lane-protocol.md); `Lane` hands out no reference to the ring that outlives
// those rules' scope. (Under loom, its cells check the same rules.)
#[allow(unsafe_code)]
unsafe impl Send for Lane {}
// SAFETY: as for Send.
#[allow(unsafe_code)]
unsafe impl Sync for Lane {}

#[cfg(not(loom))]
impl Lane {
    fn layout(capacity: usize) -> std::alloc::Layout {
        std::alloc::Layout::from_size_align(HEADER_LEN + capacity, 64)
            .expect("a lane's size is bounded by MAX_CAPACITY")
    }

    /// A new, empty lane with a ring of `capacity` bytes: a power of two from
    /// [`MIN_CAPACITY`] to [`MAX_CAPACITY`], holding at most `max_records` records at once
    /// (0: as many as fit). `None` for any other capacity.
    pub fn bounded(capacity: usize, max_records: u32) -> Option<Lane> {
        if !(MIN_CAPACITY..=MAX_CAPACITY).contains(&capacity) || !capacity.is_power_of_two() {
            return None;
        }
        // Before the lane exists, so that its producer and its consumer see the same fences.
        super::sync::init_fences();
        let layout = Self::layout(capacity);
        // SAFETY: the layout's size is at least HEADER_LEN, never zero.
        #[allow(unsafe_code)]
        let base = unsafe { std::alloc::alloc_zeroed(layout) };
        let Some(base) = std::ptr::NonNull::new(base) else {
            std::alloc::handle_alloc_error(layout)
        };
        // SAFETY: `base` is a fresh allocation aligned to 64 and at least HEADER_LEN long, as
        // `Header` (size HEADER_LEN, alignment 64) needs.
        #[allow(unsafe_code)]
        unsafe {
            base.as_ptr()
                .cast::<Header>()
                .write(Header::new(capacity, max_records))
        };
        Some(Lane {
            base,
            capacity,
            entries: SegQueue::new(),
            waiting: AtomicU32::new(0),
            waiter: parking_lot::Mutex::new(None),
        })
    }

    #[inline]
    pub(crate) fn header(&self) -> &Header {
        // SAFETY: `new` wrote a Header at `base`, which lives as long as `self`; every field
        // that changes is an atomic, so shared references are sound.
        #[allow(unsafe_code)]
        unsafe {
            &*self.base.as_ptr().cast::<Header>()
        }
    }

    #[inline]
    fn ring(&self) -> *mut u8 {
        // SAFETY: HEADER_LEN + capacity bytes were allocated at `base`.
        #[allow(unsafe_code)]
        unsafe {
            self.base.as_ptr().add(HEADER_LEN)
        }
    }

    /// Writes `len` bytes at ring offset `off` through `f`.
    ///
    /// # Safety
    /// `off + len <= capacity`; only the lane's producer calls it, and only on bytes that are
    /// free (before `read + capacity`) and not yet published.
    #[inline]
    #[allow(unsafe_code)]
    pub(crate) unsafe fn ring_write_with(&self, off: usize, len: usize, f: impl FnOnce(&mut [u8])) {
        debug_assert!(off + len <= self.capacity);
        // SAFETY: in bounds by the caller's contract; no other reference to these bytes exists
        // while the producer holds them (the consumer reads them only after the publish).
        f(unsafe { std::slice::from_raw_parts_mut(self.ring().add(off), len) })
    }

    /// Reads `len` bytes at ring offset `off` through `f`.
    ///
    /// # Safety
    /// `off + len <= capacity`; the consumer calls it on published bytes that it has not
    /// released yet, the producer on bytes it published and has not written again since (so
    /// nobody writes them meanwhile).
    #[inline]
    #[allow(unsafe_code)]
    pub(crate) unsafe fn ring_read<R>(
        &self,
        off: usize,
        len: usize,
        f: impl FnOnce(&[u8]) -> R,
    ) -> R {
        debug_assert!(off + len <= self.capacity);
        // SAFETY: in bounds by the caller's contract; the bytes are published and not
        // released, so nobody writes them while this shared slice lives.
        f(unsafe { std::slice::from_raw_parts(self.ring().add(off), len) })
    }

    /// The lane's memory, header and ring (`HEADER_LEN + capacity` bytes, aligned to 64), for
    /// a producer in another language that writes it as docs/lane-protocol.md says. It lives
    /// as long as this lane: the caller keeps an `Arc` of it while the address is in use.
    pub fn memory(&self) -> *mut u8 {
        self.base.as_ptr()
    }

    /// The whole lane, header and ring, as bytes, for tests and fuzzing that play a producer
    /// who writes anything at all. Exclusive, so no other side reads meanwhile.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: HEADER_LEN + capacity bytes at `base`, initialised (zeroed, then the header),
        // borrowed exclusively through `&mut self`.
        #[allow(unsafe_code)]
        unsafe {
            std::slice::from_raw_parts_mut(self.base.as_ptr(), HEADER_LEN + self.capacity)
        }
    }
}

#[cfg(not(loom))]
impl Drop for Lane {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this very layout; the header holds no resources.
        #[allow(unsafe_code)]
        unsafe {
            std::alloc::dealloc(self.base.as_ptr(), Self::layout(self.capacity))
        }
    }
}

// The loom build's lane, in its own file: cargo-mutants' runs build without `--cfg loom`, so
// its mutants could never be caught there (.cargo/mutants.toml excludes the file).
#[cfg(loom)]
#[path = "layout_loom.rs"]
mod layout_loom;

impl Lane {
    /// The entries queued with entry frames (see [`KIND_ENTRY`]).
    #[inline]
    pub(crate) fn entries(&self) -> &SegQueue<(u64, Box<EntryData>)> {
        &self.entries
    }

    /// The producer is about to park until the consumer releases frames (see
    /// [`Lane::wake_waiter`]). The caller makes a SeqCst fence, then looks for room once more
    /// before it parks.
    pub(crate) fn wait_for_room(&self) {
        // The thread that waits now: a lane bound to no thread (crate::lane::UnboundLane) has
        // its slow path called from whichever thread its producer runs on.
        let me = std::thread::current();
        let mut w = self.waiter.lock();
        if w.as_ref().map(std::thread::Thread::id) != Some(me.id()) {
            *w = Some(me);
        }
        drop(w);
        self.waiting.store(1, Relaxed);
    }

    /// The producer stopped waiting.
    pub(crate) fn waited(&self) {
        self.waiting.store(0, Relaxed);
    }

    /// After the consumer released frames (Release stores of `read` and `released`) and a
    /// SeqCst fence: unparks a producer that waits for room. With the producer's fence between
    /// `wait_for_room` and its last look at `read`, either the producer sees the room or this
    /// sees it waiting. Returns whether a producer was waiting.
    pub(crate) fn wake_waiter(&self) -> bool {
        if self.waiting.load(Relaxed) == 0 {
            return false;
        }
        if let Some(t) = &*self.waiter.lock() {
            t.unpark();
        }
        true
    }

    /// The bytes a lane whose ring holds `capacity` bytes takes: its header and its ring.
    pub fn bytes_for(capacity: usize) -> usize {
        HEADER_LEN + capacity
    }

    /// A lane bounded by its bytes alone (see [`Lane::bounded`]).
    pub fn new(capacity: usize) -> Option<Lane> {
        Lane::bounded(capacity, 0)
    }

    /// The most records it holds at once; 0 when only its bytes bound it.
    #[inline]
    pub fn max_records(&self) -> u32 {
        self.header().identity.max_records
    }

    /// The ring's length in bytes.
    #[inline]
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Every counter, loaded now (Relaxed: a snapshot, exact once the lane is quiet).
    pub fn counters(&self) -> LaneCounters {
        let h = self.header();
        LaneCounters {
            submitted: h.producer.submitted.load(Relaxed),
            dropped_level: h.producer.dropped_level.load(Relaxed),
            dropped_full: h.producer.dropped_full.load(Relaxed),
            dropped_timeout: h.producer.dropped_timeout.load(Relaxed),
            consumed: h.consumer.consumed.load(Relaxed),
            evicted: h.consumer.evicted.load(Relaxed),
            malformed: h.consumer.malformed.load(Relaxed),
        }
    }
}

/// Adds one to a counter that has a single writer: a load and a store, no read-modify-write.
#[inline]
pub(crate) fn bump(c: &AtomicU64, n: u64) {
    c.store(c.load(Relaxed).wrapping_add(n), Relaxed);
}
