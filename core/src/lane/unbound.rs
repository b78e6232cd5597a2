//! A lane bound to no thread (docs/lane-protocol.md, "Who writes a lane"): for a binding whose
//! writers move between threads and take turns at the lane themselves, as Go's goroutines do
//! under a lock of the lane's. The binding writes records into the lane's memory directly and
//! calls the library only for what the plain case does not cover (a full lane, a record larger
//! than the ring, a poisoned lane, waking the consumer); that call runs on whatever thread the
//! writer is on, and takes up what the writer left, as a thread's producer does for a writer
//! of its thread's lane.

use super::producer::{Producer, SubmitError};
use super::set::LaneSet;
use crate::entry::EntryData;
use std::sync::{Arc, Weak};

/// A lane of a [`LaneSet`] that no thread owns. Its user keeps one writer at a time (the
/// binding's lock; `&mut self` here): the library's calls and the binding's own writes then
/// make one producer, one after the other. Dropping it retires the lane: its records are
/// still delivered.
pub struct UnboundLane {
    set: Weak<LaneSet>,
    producer: Producer,
}

impl LaneSet {
    /// A new lane bound to no thread, registered after every lane so far. `Closed` after
    /// close.
    pub fn unbound(self: &Arc<Self>) -> Result<UnboundLane, SubmitError> {
        if self.is_closed() {
            return Err(SubmitError::Closed);
        }
        Ok(UnboundLane {
            set: Arc::downgrade(self),
            producer: self.shared_producer(0)?,
        })
    }

    /// A producer of a newly registered lane that holds a record of `len` bytes, shared with
    /// a writer in another language.
    fn shared_producer(&self, len: usize) -> Result<Producer, SubmitError> {
        let lane = self.register(len).ok_or(SubmitError::TooLarge)?;
        let mut p = Producer::new(lane);
        p.share();
        Ok(p)
    }
}

impl UnboundLane {
    /// The lane's memory, header and ring: [`UnboundLane::size`] bytes, aligned to 64. It
    /// changes when a call replaces the lane.
    pub fn memory(&self) -> *mut u8 {
        self.producer.lane().memory()
    }

    /// The lane's size in bytes, header and ring.
    pub fn size(&self) -> usize {
        super::Lane::bytes_for(self.producer.lane().capacity())
    }

    /// Whether this is a lane of `set`.
    pub fn belongs_to(&self, set: &Arc<LaneSet>) -> bool {
        std::ptr::eq(self.set.as_ptr(), Arc::as_ptr(set))
    }

    /// Wakes the set's consumer (after a publish that found `asleep` set); nothing once the
    /// set is gone.
    pub fn wake(&self) {
        if let Some(set) = self.set.upgrade() {
            set.wake();
        }
    }

    /// Submits one packed record (already checked by the caller) as the set's thread lanes
    /// do ([`LaneSet::submit_stamped`]), after taking up what the other writer published: the
    /// set's policy when the lane is full, and a new lane, registered after this one, when
    /// this one is poisoned or too small for the record (its records are delivered first).
    /// The caller finds the new lane's memory in [`UnboundLane::memory`].
    pub fn submit_stamped(&mut self, record: &[u8], stamp: u64) -> Result<(), SubmitError> {
        let set = self.set.upgrade().ok_or(SubmitError::Closed)?;
        let wake = || set.wake();
        self.producer.take_up_shared();
        match self
            .producer
            .submit_stamped(record, stamp, set.policy(), &wake)
        {
            Err(SubmitError::Poisoned | SubmitError::TooLarge) => {
                self.replace(&set, record.len())?;
                self.producer
                    .submit_stamped(record, stamp, set.policy(), &wake)
            }
            r => r,
        }
    }

    /// Submits an entry whole, as a thread's lane takes one ([`LaneSet::submit_entry`]): an
    /// entry frame in the ring, the entry in the lane's entry queue, so that it keeps its place
    /// among the records the binding writes. After taking up what the other writer published;
    /// a poisoned lane is replaced as [`UnboundLane::submit_stamped`] replaces it. On `Err` the
    /// entry comes back.
    pub fn submit_entry(
        &mut self,
        entry: Box<EntryData>,
    ) -> Result<(), (SubmitError, Box<EntryData>)> {
        let Some(set) = self.set.upgrade() else {
            return Err((SubmitError::Closed, entry));
        };
        let wake = || set.wake();
        self.producer.take_up_shared();
        match self.producer.submit_entry(entry, set.policy(), &wake) {
            Err((SubmitError::Poisoned, entry)) => {
                if let Err(e) = self.replace(&set, 0) {
                    return Err((e, entry));
                }
                self.producer.submit_entry(entry, set.policy(), &wake)
            }
            r => r,
        }
    }

    /// Moves the writer to a new lane of `set` that holds a record of `len` bytes, registered
    /// after every lane so far; the old one is retired (its records are delivered first).
    fn replace(&mut self, set: &Arc<LaneSet>, len: usize) -> Result<(), SubmitError> {
        let old = std::mem::replace(&mut self.producer, set.shared_producer(len)?);
        if old.retire() {
            set.wake();
        }
        Ok(())
    }

    /// Counts a record that the minimum level drops: one `submitted` and one `dropped
    /// level`, nothing written. `Closed` after close.
    pub fn count_below_level(&mut self) -> Result<(), SubmitError> {
        self.producer.take_up_shared();
        self.producer.count_below_level()
    }
}

impl Drop for UnboundLane {
    fn drop(&mut self) {
        // Retire the lane and wake the consumer to deliver what is left in it and drop it.
        if self.producer.finish() {
            self.wake();
        }
    }
}
