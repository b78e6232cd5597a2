//! The producer's side of a lane (docs/lane-protocol.md, "Reserve", "Write", "Publish",
//! "A full lane", "Close"): one `Producer` per lane, owned by the one thread that writes it.

use super::layout::{
    bump, frame_size, read_frame_header, write_frame_header, Lane, ENTRY_PAYLOAD, FRAME_HEADER,
    KIND_ENTRY, KIND_RECORD, KIND_SKIP,
};
use super::sync::{fence, light_fence};
use crate::entry::EntryData;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where a packed record's timestamp ends (it is the u64 at bytes 8 to 16,
/// docs/record-format.md).
const STAMP_END: usize = 16;

/// Why a call may not write into the lane at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The pipeline stopped intake.
    Closed,
    /// The consumer stopped reading this lane: it must be replaced.
    Poisoned,
}

/// Why a record did not go into the ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushError {
    /// No room now.
    Full,
    /// Its frame is longer than the whole ring: it needs a larger lane.
    TooLarge,
}

/// What a full lane does to a new record (the pipeline's `queue.when_full`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FullPolicy {
    /// Refuse it (counted in `dropped full`).
    DropNewest,
    /// Wait for room at most this long, then refuse it (counted in `dropped timeout`).
    Block(Duration),
    /// Ask the consumer to skip the oldest records, and wait for it at most this long, then
    /// refuse it (counted in `dropped full`).
    DropOldest(Duration),
}

/// Why [`Producer::submit`] did not publish a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubmitError {
    /// The pipeline stopped intake; nothing was counted.
    Closed,
    /// The lane is poisoned; nothing was counted: replace the lane and submit again.
    Poisoned,
    /// The record is longer than the ring; nothing was counted: replace the lane with a
    /// larger one and submit again.
    TooLarge,
    /// Refused for want of room (`drop_newest`, or `drop_oldest` after its wait); counted.
    Full,
    /// Refused after waiting for room under `block`; counted.
    Timeout,
}

impl From<Refused> for SubmitError {
    fn from(r: Refused) -> SubmitError {
        match r {
            Refused::Closed => SubmitError::Closed,
            Refused::Poisoned => SubmitError::Poisoned,
        }
    }
}

/// The writing side of one lane.
pub struct Producer {
    lane: Arc<Lane>,
    /// Where the next frame goes (the producer's own copy of its position).
    write: u64,
    /// The last read position loaded from the consumer's line.
    read: u64,
    /// The write position last published.
    published: u64,
    /// Records pushed so far.
    pushed: u64,
    /// Entries pushed so far (entry frames), the next one's number.
    entries: u64,
    /// The last count of released records loaded from the consumer's line.
    released: u64,
    /// Whether the lane is retired (by `retire` or the drop).
    retired: bool,
    /// Whether a producer in another language writes the lane too, from this same thread
    /// (see [`Producer::share`]).
    shared: bool,
}

impl Producer {
    /// The producer of a lane that nobody has written yet.
    pub fn new(lane: Arc<Lane>) -> Producer {
        Producer {
            lane,
            write: 0,
            read: 0,
            published: 0,
            pushed: 0,
            entries: 0,
            released: 0,
            retired: false,
            shared: false,
        }
    }

    /// Lets code in another language on this same thread write this lane between this
    /// producer's calls (logcap.hpp's `log()`, docs/lane-protocol.md, "Who writes a lane"):
    /// from now on the caller of each call first takes up the position and counts that code
    /// left in the producer line ([`Producer::take_up_shared`]). The two never write at once:
    /// they are one thread.
    pub fn share(&mut self) {
        self.shared = true;
    }

    /// For a lane [`Producer::share`] opened to another writer: takes up what that writer left,
    /// its published write position and the records it pushed (every submitted record that no
    /// counter says was refused). Relaxed loads of the producer line: the same thread wrote
    /// them. Nothing for a lane only this producer writes.
    pub fn take_up_shared(&mut self) {
        if !self.shared {
            return;
        }
        let p = &self.lane.header().producer;
        let write = p.write.load(Relaxed);
        self.write = write;
        self.published = write;
        // Wrapping: garbage from a faulty writer must not panic here (the consumer checks what
        // it reads, and the ring's offsets are masked).
        self.pushed = p
            .submitted
            .load(Relaxed)
            .wrapping_sub(p.dropped_level.load(Relaxed))
            .wrapping_sub(p.dropped_full.load(Relaxed))
            .wrapping_sub(p.dropped_timeout.load(Relaxed));
    }

    /// The lane.
    pub fn lane(&self) -> &Arc<Lane> {
        &self.lane
    }

    /// Opens a call (steps 1–3 of "Close"): marks the lane busy, then checks that the pipeline
    /// is open and the lane not poisoned. On `Err` the lane is no longer busy; on `Ok`, end the
    /// call with [`Producer::leave`].
    #[inline]
    pub fn enter(&self) -> Result<(), Refused> {
        let h = self.lane.header();
        h.producer.busy.store(1, Relaxed);
        // Pairs with the closer's heavy fence after it sets `closed` (a Dekker pair): either
        // this load sees `closed`, or the closer sees `busy` and waits for `leave`.
        light_fence();
        let refused = if h.control.closed.load(Relaxed) != 0 {
            Some(Refused::Closed)
        } else if h.control.poisoned.load(Acquire) != 0 {
            Some(Refused::Poisoned)
        } else {
            None
        };
        match refused {
            None => Ok(()),
            Some(r) => {
                h.producer.busy.store(0, Release);
                Err(r)
            }
        }
    }

    /// Ends a call [`Producer::enter`] opened: what it published is visible to a closer that
    /// sees the lane not busy.
    #[inline]
    pub fn leave(&self) {
        self.lane.header().producer.busy.store(0, Release);
    }

    /// The bytes a record of `len` bytes takes from the write position: its frame, and the
    /// skip frame before it if it would run past the ring's end. `None` if it can never fit.
    #[inline]
    fn taken(&self, len: usize) -> Option<(usize, usize)> {
        let cap = self.lane.capacity();
        let f = frame_size(len);
        if f > cap || len > u32::MAX as usize {
            return None;
        }
        let to_end = cap - (self.write as usize & (cap - 1));
        Some(if f <= to_end { (0, f) } else { (to_end, f) })
    }

    /// Whether `total` more bytes and one more record fit, loading the consumer's read
    /// position and released count (Acquire) again only when the ones known say they do not.
    #[inline]
    fn room(&mut self, total: usize) -> bool {
        let cap = self.lane.capacity() as u64;
        let max = u64::from(self.lane.max_records());
        let end = self.write + total as u64;
        let fits = |p: &Self| {
            end.wrapping_sub(p.read) <= cap && (max == 0 || p.pushed.wrapping_sub(p.released) < max)
        };
        if fits(self) {
            return true;
        }
        let c = &self.lane.header().consumer;
        // Pairs with the consumer's Release stores: the bytes before `read` are free, and
        // `released` counts the records before it.
        self.read = c.read.load(Acquire);
        self.released = c.released.load(Acquire);
        fits(self)
    }

    /// Writes a record of `len` bytes into the ring through `fill`, which must write all
    /// `len` bytes (the encoder writes in place), unpublished until [`Producer::publish`].
    pub fn try_push_with(
        &mut self,
        len: usize,
        fill: impl FnOnce(&mut [u8]),
    ) -> Result<(), PushError> {
        self.try_push_kind(KIND_RECORD, len, fill)
    }

    /// [`Producer::try_push_with`] for a frame of any kind but the skip frame.
    pub(crate) fn try_push_kind(
        &mut self,
        kind: u32,
        len: usize,
        fill: impl FnOnce(&mut [u8]),
    ) -> Result<(), PushError> {
        let (mut skip, f) = self.taken(len).ok_or(PushError::TooLarge)?;
        let cap = self.lane.capacity();
        if skip + f > cap {
            // The skip frame and the frame together are more than the ring (a frame over half
            // of it, at an unlucky position): they never fit at once. The skip frame goes
            // alone, published as soon as its bytes are free, so that the consumer steps over
            // it; the frame then goes at the ring's start.
            if !self.room(skip) {
                return Err(PushError::Full);
            }
            self.write_skip();
            self.published = self.write;
            // Pairs with the consumer's Acquire load of `write`, as in `publish`.
            self.lane.header().producer.write.store(self.write, Release);
            skip = 0;
        }
        if !self.room(skip + f) {
            return Err(PushError::Full);
        }
        if skip > 0 {
            self.write_skip();
        }
        let off = self.write as usize & (cap - 1);
        // SAFETY: `taken` placed the frame so that it ends at or before the ring's end; its
        // bytes are free (`room`) and unpublished.
        #[allow(unsafe_code)]
        unsafe {
            self.lane.ring_write_with(off, FRAME_HEADER, |b| {
                write_frame_header(b, len as u32, kind)
            });
            self.lane.ring_write_with(off + FRAME_HEADER, len, fill);
        }
        self.write += f as u64;
        self.pushed += 1;
        Ok(())
    }

    /// Writes a skip frame at the write position, to the ring's end, and steps past it; the
    /// caller found its bytes free.
    fn write_skip(&mut self) {
        let cap = self.lane.capacity();
        let off = self.write as usize & (cap - 1);
        // SAFETY: a frame header at a multiple of 8 below the capacity (a multiple of 8) is
        // in bounds; the bytes are free (`room`) and unpublished.
        #[allow(unsafe_code)]
        unsafe {
            self.lane
                .ring_write_with(off, FRAME_HEADER, |b| write_frame_header(b, 0, KIND_SKIP))
        };
        self.write += (cap - off) as u64;
    }

    /// Copies a packed record into the ring, unpublished until [`Producer::publish`].
    #[inline]
    pub fn try_push(&mut self, record: &[u8]) -> Result<(), PushError> {
        self.try_push_with(record.len(), |b| b.copy_from_slice(record))
    }

    /// Publishes every frame pushed so far (a Release store of the write position), then
    /// tells whether the consumer is asleep and must be woken (a light fence, then the flag).
    #[inline]
    #[must_use = "an asleep consumer must be woken"]
    pub fn publish(&mut self) -> bool {
        let h = self.lane.header();
        if self.write != self.published {
            self.published = self.write;
            h.producer.write.store(self.write, Release);
        }
        // Pairs with the consumer's heavy fence between setting `asleep` and its last look at
        // `write`: one of the two sides sees the other's store.
        light_fence();
        h.control.asleep.load(Relaxed) != 0
    }

    /// Asks the consumer to skip the oldest records until a record of `len` bytes fits
    /// (`drop_oldest`): walks its own published frames from the consumer's read position to
    /// the first position at which there would be room, and stores it in `evict to`.
    pub fn request_eviction(&mut self, len: usize) {
        let Some((skip, f)) = self.taken(len) else {
            return;
        };
        let h = self.lane.header();
        let cap = self.lane.capacity();
        let max = u64::from(self.lane.max_records());
        let need = (self.write + (skip + f) as u64).saturating_sub(cap as u64);
        let mut at = h.consumer.read.load(Acquire);
        let mut pending = self.pushed.wrapping_sub(h.consumer.released.load(Acquire));
        while at < self.published && (at < need || (max > 0 && pending >= max)) {
            let off = at as usize & (cap - 1);
            // SAFETY: a frame header this producer published at a multiple of 8 below the
            // capacity; nobody writes it until this producer does.
            #[allow(unsafe_code)]
            let (flen, kind) = unsafe { self.lane.ring_read(off, FRAME_HEADER, read_frame_header) };
            if kind == KIND_SKIP {
                at += (cap - off) as u64;
            } else {
                at += frame_size(flen) as u64;
                pending = pending.saturating_sub(1);
            }
        }
        let evict_to = &h.producer.evict_to;
        if evict_to.load(Relaxed) < at {
            evict_to.store(at, Release);
        }
    }

    /// Counts one submitted record.
    #[inline]
    pub fn count_submitted(&self) {
        bump(&self.lane.header().producer.submitted, 1);
    }

    /// Counts one submitted record below the minimum level.
    #[inline]
    pub fn count_dropped_level(&self) {
        bump(&self.lane.header().producer.dropped_level, 1);
    }

    /// Whether the consumer says it is asleep (a hint for a producer that waits for room).
    #[inline]
    fn consumer_asleep(&self) -> bool {
        self.lane.header().control.asleep.load(Relaxed) != 0
    }

    /// One whole call for a record that the minimum level drops: one `submitted` and one
    /// `dropped level`, nothing written. `Closed` after close.
    pub fn count_below_level(&mut self) -> Result<(), SubmitError> {
        self.enter()?;
        self.count_submitted();
        self.count_dropped_level();
        self.leave();
        Ok(())
    }

    /// One whole call: enter, count, push under `policy`, publish, leave. `wake` is called
    /// when the consumer must be woken (after a publish that finds it asleep, or while
    /// waiting for room).
    pub fn submit(
        &mut self,
        record: &[u8],
        policy: FullPolicy,
        wake: &dyn Fn(),
    ) -> Result<(), SubmitError> {
        self.submit_stamped(record, 0, policy, wake)
    }

    /// [`Producer::submit`], with the copy's timestamp (bytes 8 to 16 of the record,
    /// docs/record-format.md) set to `stamp` unless it is 0: for a caller that stamps a
    /// record submitted without a timestamp at the time of the call, without copying it
    /// first. The record itself is not changed.
    pub fn submit_stamped(
        &mut self,
        record: &[u8],
        stamp: u64,
        policy: FullPolicy,
        wake: &dyn Fn(),
    ) -> Result<(), SubmitError> {
        if self.taken(record.len()).is_none() || (stamp != 0 && record.len() < STAMP_END) {
            return Err(SubmitError::TooLarge);
        }
        self.enter()?;
        self.count_submitted();
        let fill = |b: &mut [u8]| {
            b.copy_from_slice(record);
            if stamp != 0 {
                b[STAMP_END - 8..STAMP_END].copy_from_slice(&stamp.to_le_bytes());
            }
        };
        let r = self.push_under(KIND_RECORD, record.len(), fill, policy, wake);
        if r.is_ok() && self.publish() {
            wake();
        }
        self.leave();
        r
    }

    /// One whole call for an entry submitted whole (the entry API): as [`Producer::submit`],
    /// with an entry frame in the ring and the entry itself in the lane's entry queue, so that
    /// the entry keeps its place among the thread's records without being encoded. On `Err`
    /// the entry comes back.
    pub fn submit_entry(
        &mut self,
        entry: Box<EntryData>,
        policy: FullPolicy,
        wake: &dyn Fn(),
    ) -> Result<(), (SubmitError, Box<EntryData>)> {
        if let Err(r) = self.enter() {
            return Err((r.into(), entry));
        }
        self.count_submitted();
        let number = self.entries;
        let fill = |b: &mut [u8]| b.copy_from_slice(&number.to_le_bytes());
        let r = self.push_under(KIND_ENTRY, ENTRY_PAYLOAD, fill, policy, wake);
        let r = match r {
            Ok(()) => {
                // Queued before the frame is published: the consumer that sees the frame
                // finds the entry.
                self.lane.entries().push((number, entry));
                self.entries += 1;
                if self.publish() {
                    wake();
                }
                Ok(())
            }
            Err(e) => Err((e, entry)),
        };
        self.leave();
        r
    }

    fn push_under(
        &mut self,
        kind: u32,
        len: usize,
        fill: impl Fn(&mut [u8]) + Copy,
        policy: FullPolicy,
        wake: &dyn Fn(),
    ) -> Result<(), SubmitError> {
        match self.try_push_kind(kind, len, fill) {
            Ok(()) => return Ok(()),
            Err(PushError::TooLarge) => unreachable!("checked before the call was counted"),
            Err(PushError::Full) => {}
        }
        let p = &self.lane.header().producer;
        let wait = match policy {
            FullPolicy::DropNewest => {
                bump(&p.dropped_full, 1);
                return Err(SubmitError::Full);
            }
            FullPolicy::Block(t) => t,
            FullPolicy::DropOldest(t) => {
                self.request_eviction(len);
                t
            }
        };
        // Frames pushed before this call are published already; have the consumer make room.
        wake();
        let deadline = Instant::now() + wait;
        let mut step = 0u32;
        // Tell the consumer that this lane is full from the first miss on, so that it reads
        // on at once rather than at its next poll, and wakes this thread if it parks.
        self.lane.wait_for_room();
        let pushed = loop {
            // Pairs with the consumer's fence after it releases frames (`Lane::wake_waiter`).
            fence(SeqCst);
            match self.try_push_kind(kind, len, fill) {
                Ok(()) => break true,
                Err(_) if Instant::now() >= deadline => break false,
                Err(_) => {}
            }
            if self.consumer_asleep() {
                wake();
            }
            if step < SPINS {
                backoff(&mut step);
                continue;
            }
            // Park until the consumer releases frames, rather than spin or yield: on a
            // machine with few cores the consumer needs the CPU to make the room.
            let left = deadline.saturating_duration_since(Instant::now());
            std::thread::park_timeout(left.min(PARK_MAX));
        };
        self.lane.waited();
        if pushed {
            return Ok(());
        }
        let p = &self.lane.header().producer;
        match policy {
            FullPolicy::Block(_) => {
                bump(&p.dropped_timeout, 1);
                Err(SubmitError::Timeout)
            }
            _ => {
                bump(&p.dropped_full, 1);
                Err(SubmitError::Full)
            }
        }
    }

    /// Lets go of the lane for good: publishes what was pushed and marks the lane retired, so
    /// the consumer delivers its records and then drops it. Returns whether the consumer is
    /// asleep and must be woken to do so. Dropping a producer retires its lane too, without
    /// the wake-up.
    #[must_use = "an asleep consumer must be woken"]
    pub fn retire(mut self) -> bool {
        self.finish()
    }

    /// [`Producer::retire`] in place; what dropping the producer does, without the wake-up.
    pub(super) fn finish(&mut self) -> bool {
        if self.retired {
            return false;
        }
        self.retired = true;
        let h = self.lane.header();
        if self.write != self.published {
            self.published = self.write;
            h.producer.write.store(self.write, Release);
        }
        h.producer.retired.store(1, Release);
        // As in `publish`: the consumer sees the lane retired, or the producer sees it asleep.
        light_fence();
        h.control.asleep.load(Relaxed) != 0
    }
}

impl Drop for Producer {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

/// How many times a producer waiting for room spins or yields (see [`backoff`]) before it
/// parks until the consumer releases frames.
const SPINS: u32 = 10;

/// The longest a parked producer sleeps before it looks again (a consumer that has stopped
/// reading, or a wake-up lost to a thread that parked elsewhere and took the token).
const PARK_MAX: Duration = Duration::from_millis(1);

/// Waits a little longer each time: spins, then yields.
fn backoff(step: &mut u32) {
    *step = step.saturating_add(1);
    if *step <= 6 {
        for _ in 0..(1u32 << *step) {
            std::hint::spin_loop();
        }
    } else {
        std::thread::yield_now();
    }
}
