//! The consumer's side of a lane (docs/lane-protocol.md, "Consume", "Sleep and wake",
//! "A malformed lane"): everything it reads is checked first, since a lane's bytes are
//! untrusted, and a pass never reads past the write position it loaded at its start.

use super::layout::{
    bump, frame_size, read_frame_header, Lane, ENTRY_PAYLOAD, FRAME_ALIGN, FRAME_HEADER,
    HEADER_LEN, KIND_ENTRY, KIND_RECORD, KIND_SKIP, LANE_MAGIC, LANE_VERSION,
};
use super::sync::{fence, heavy_fence};
use crate::entry::EntryData;
use crate::entry::Level;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};
use std::sync::Arc;

/// One checked record of a lane, still in the ring: decode or copy it before returning.
pub struct Checked<'a> {
    /// The packed record (docs/record-format.md), its layout already checked.
    pub record: &'a [u8],
    /// Its level.
    pub level: Level,
    /// Its timestamp (0: to be stamped).
    pub timestamp_ns: u64,
}

/// What one pass over a lane did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pass {
    /// Records handed on.
    pub consumed: u64,
    /// Records skipped under `drop_oldest`.
    pub evicted: u64,
    /// Records dropped as malformed (a poisoning counts what the lane still held).
    pub malformed: u64,
    /// Whether this pass poisoned the lane.
    pub poisoned: bool,
    /// Whether the lane's producer was waiting for room (and was woken): the lane was full.
    pub full: bool,
}

/// The reading side of one lane.
pub struct Consumer {
    lane: Arc<Lane>,
    /// Up to where frames are consumed (the consumer's own copy).
    read: u64,
    /// Records whose frames are released: consumed, evicted or malformed.
    released: u64,
    poisoned: bool,
}

/// `take` behind `record::check`: the reader of unchecked frames that hands on each
/// well-formed record with its level and timestamp, and answers whether it was well-formed.
pub(super) fn checking(mut take: impl FnMut(Checked<'_>)) -> impl FnMut(&[u8]) -> bool {
    move |record: &[u8]| match crate::record::check(record) {
        Ok((level, timestamp_ns)) => {
            take(Checked {
                record,
                level,
                timestamp_ns,
            });
            true
        }
        Err(_) => false,
    }
}

/// Within a pass, a producer that waits for room is woken after at most this many released
/// frames, not only at the end of the pass.
const WAKE_EVERY: u64 = 256;

/// How a frame at the read position is to be handled.
#[derive(Clone, Copy)]
enum Step {
    /// Step over this many bytes of padding.
    Skip(u64),
    /// A record frame of this payload length, taking this many bytes.
    Record(usize, u64),
    /// An entry frame, taking this many bytes.
    Entry(u64),
}

impl Consumer {
    /// The consumer of a lane that nobody has read yet.
    pub fn new(lane: Arc<Lane>) -> Consumer {
        Consumer {
            lane,
            read: 0,
            released: 0,
            poisoned: false,
        }
    }

    /// The lane.
    pub fn lane(&self) -> &Arc<Lane> {
        &self.lane
    }

    /// Whether this consumer poisoned the lane (and reads it no more).
    pub fn is_poisoned(&self) -> bool {
        self.poisoned
    }

    /// Whether a published frame waits (an Acquire load of the write position). A poisoned
    /// lane is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.poisoned || self.lane.header().producer.write.load(Acquire) == self.read
    }

    /// Whether the lane is done with: poisoned, or retired by its producer and read to its end.
    pub fn is_finished(&self) -> bool {
        self.poisoned || (self.lane.header().producer.retired.load(Acquire) != 0 && self.is_empty())
    }

    /// One pass: every frame published when it starts, in order. Each well-formed record goes
    /// to `take`; a record under an eviction request is skipped, a malformed one dropped; bad
    /// framing poisons the lane. Counters and the read position are stored as it goes.
    pub fn drain(&mut self, take: impl FnMut(Checked<'_>)) -> Pass {
        self.drain_all(take, drop)
    }

    /// [`Consumer::drain`], with each entry of an entry frame (see
    /// [`super::KIND_ENTRY`]) going to `take_entry`, in its place among the records. An entry
    /// frame whose number is not that of the lane's next queued entry is malformed (the
    /// entry taken for it is dropped).
    pub fn drain_all(
        &mut self,
        take: impl FnMut(Checked<'_>),
        take_entry: impl FnMut(Box<EntryData>),
    ) -> Pass {
        self.run(Some((checking(take), take_entry)))
    }

    /// [`Consumer::drain_all`] for a reader that checks each record itself as it takes it
    /// (the batcher: `record::unpack_into` when it decodes there, `record::pack_checked` when
    /// the sinks will), rather than having it walked once here and once more there: `take`
    /// gets the frame's bytes, unchecked, and answers whether the record was well-formed
    /// (counted consumed) or not (counted malformed).
    pub fn drain_unchecked(
        &mut self,
        take: impl FnMut(&[u8]) -> bool,
        take_entry: impl FnMut(Box<EntryData>),
    ) -> Pass {
        self.run(Some((take, take_entry)))
    }

    /// Serves the producer's eviction request alone (`drop_oldest`): skips the records before
    /// `evict to` and stops at the first record after it, decoding nothing. For a consumer
    /// that waits for something else (room in a sink's queue) and must not leave a producer
    /// waiting meanwhile.
    pub fn evict(&mut self) -> Pass {
        self.run(None::<(fn(&[u8]) -> bool, fn(Box<EntryData>))>)
    }

    fn run(
        &mut self,
        mut take: Option<(impl FnMut(&[u8]) -> bool, impl FnMut(Box<EntryData>))>,
    ) -> Pass {
        let mut pass = Pass::default();
        if self.poisoned {
            return pass;
        }
        let lane = Arc::clone(&self.lane);
        let h = lane.header();
        let cap = lane.capacity() as u64;
        let id = &h.identity;
        let write = h.producer.write.load(Acquire);
        if id.magic != LANE_MAGIC
            || id.version != LANE_VERSION
            || usize::from(id.header_len) != HEADER_LEN
            || u64::from(id.capacity) != cap
            || !write.is_multiple_of(FRAME_ALIGN as u64)
            || write < self.read
            || write - self.read > cap
        {
            return self.poison(pass);
        }
        let evict_to = h.producer.evict_to.load(Acquire);
        let start = self.read;
        // A waiting producer is woken once half the lane is free, not only at the end of the
        // pass: half its records or half its bytes (a kilobyte a frame, for a rough count), at
        // most WAKE_EVERY frames.
        let by_records = match u64::from(lane.max_records()) {
            0 => WAKE_EVERY,
            n => n / 2,
        };
        let wake_every = WAKE_EVERY.min(by_records).min(cap / 1024 / 2).max(1);
        while self.read < write {
            let Some(step) = self.frame(write) else {
                return self.poison(pass);
            };
            match step {
                Step::Skip(n) => self.read += n,
                Step::Record(_, n) if self.read < evict_to => {
                    pass.evicted += 1;
                    self.read += n;
                }
                Step::Entry(n) if self.read < evict_to => {
                    // The entry is dropped with its frame (freed, not pooled: the lane does
                    // not know the pool).
                    drop(lane.entries().pop());
                    pass.evicted += 1;
                    self.read += n;
                }
                Step::Record(..) | Step::Entry(_) if take.is_none() => break,
                Step::Entry(n) => {
                    let off = (self.read % cap) as usize + FRAME_HEADER;
                    // SAFETY: `frame` checked that the payload lies before the ring's end and
                    // before `write`: published bytes, not yet released.
                    #[allow(unsafe_code)]
                    let number = unsafe {
                        lane.ring_read(off, ENTRY_PAYLOAD, |b| {
                            u64::from_le_bytes(b.try_into().expect("8 bytes"))
                        })
                    };
                    match lane.entries().pop() {
                        Some((k, e)) if k == number => {
                            if let Some((_, take_entry)) = take.as_mut() {
                                take_entry(e);
                            }
                            pass.consumed += 1;
                        }
                        _ => pass.malformed += 1,
                    }
                    self.read += n;
                }
                Step::Record(len, n) => {
                    let off = (self.read % cap) as usize + FRAME_HEADER;
                    // SAFETY: `frame` checked that the payload lies before the ring's end and
                    // before `write`: published bytes, not yet released.
                    #[allow(unsafe_code)]
                    let ok = unsafe {
                        lane.ring_read(off, len, |record| match take.as_mut() {
                            Some((take, _)) => take(record),
                            None => false,
                        })
                    };
                    if ok {
                        pass.consumed += 1;
                    } else {
                        pass.malformed += 1;
                    }
                    self.read += n;
                }
            }
            // Released frame by frame: a producer waiting for room gets it at once.
            h.consumer.read.store(self.read, Release);
            if !matches!(step, Step::Skip(_)) {
                self.released += 1;
                h.consumer.released.store(self.released, Release);
                if self.released.is_multiple_of(wake_every) {
                    fence(SeqCst);
                    pass.full |= lane.wake_waiter();
                }
            }
        }
        self.count(&pass);
        if self.read != start {
            // Pairs with the fence of a producer that waits for room (`Lane::wait_for_room`).
            fence(SeqCst);
            pass.full |= lane.wake_waiter();
        }
        pass
    }

    /// Reads and checks the frame header at the read position, `write` being the end of
    /// what is published. `None` when the framing is bad.
    fn frame(&self, write: u64) -> Option<Step> {
        let cap = self.lane.capacity();
        let off = (self.read % cap as u64) as usize;
        let left = write - self.read;
        // SAFETY: `off` is a multiple of 8 below the capacity, a multiple of 8 too, so the
        // 8 bytes are in the ring; `left >= 8` (both positions are multiples of 8), so they
        // are published and not released.
        #[allow(unsafe_code)]
        let (len, kind) = unsafe { self.lane.ring_read(off, FRAME_HEADER, read_frame_header) };
        match kind {
            KIND_SKIP if len == 0 => {
                let pad = (cap - off) as u64;
                (pad <= left).then_some(Step::Skip(pad))
            }
            KIND_RECORD if len <= cap - off - FRAME_HEADER => {
                let n = frame_size(len) as u64;
                (n <= left).then_some(Step::Record(len, n))
            }
            KIND_ENTRY if len == ENTRY_PAYLOAD && len <= cap - off - FRAME_HEADER => {
                let n = frame_size(len) as u64;
                (n <= left).then_some(Step::Entry(n))
            }
            _ => None,
        }
    }

    /// Stops reading the lane: counts what it still held as malformed (by the producer's
    /// counters; at least one) and tells the producer.
    #[cold]
    fn poison(&mut self, mut pass: Pass) -> Pass {
        self.count(&pass);
        let c = self.lane.counters();
        let pending = c.pending();
        // The producer's counters are as untrusted as the rest: one that makes no sense
        // counts one.
        let lost = if pending == 0 || pending > c.published() {
            1
        } else {
            pending
        };
        bump(&self.lane.header().consumer.malformed, lost);
        pass.malformed += lost;
        pass.poisoned = true;
        self.poisoned = true;
        self.lane.header().control.poisoned.store(1, Release);
        pass
    }

    fn count(&self, pass: &Pass) {
        let c = &self.lane.header().consumer;
        if pass.consumed > 0 {
            bump(&c.consumed, pass.consumed);
        }
        if pass.evicted > 0 {
            bump(&c.evicted, pass.evicted);
        }
        if pass.malformed > 0 {
            bump(&c.malformed, pass.malformed);
        }
    }
}

/// Steps 1–3 of going to sleep: marks every lane asleep, then looks at each once more. `true`
/// when all are empty and the caller may park until woken; `false` (with the marks cleared)
/// when one is not. After parking, call [`woke`].
pub fn prepare_sleep(lanes: &[Consumer]) -> bool {
    for c in lanes {
        c.lane.header().control.asleep.store(1, Relaxed);
    }
    // Pairs with the light fence a producer makes after publishing (`Producer::publish`).
    heavy_fence();
    if lanes.iter().all(Consumer::is_empty) {
        return true;
    }
    woke(lanes);
    false
}

/// Step 5: the consumer is awake; producers need not wake it.
pub fn woke(lanes: &[Consumer]) {
    for c in lanes {
        c.lane.header().control.asleep.store(0, Relaxed);
    }
}
