//! Submission lanes: rings of bytes the library allocates, each written by one producer and
//! read, in order, by the pipeline's consumer (docs/lane-protocol.md, version 1).
//!
//! A producer reserves room, writes a packed record (crate::record) into it as a frame, and
//! publishes it with a Release store; the consumer loads the write position with an Acquire
//! load, checks every frame and record it reads (a lane's bytes are untrusted), hands each
//! record on where it lies, and releases the bytes. The consumer sleeps when every lane is
//! empty; the producer that finds it asleep after publishing wakes it. The lane knows no
//! threads: waking and parking are the caller's.
//!
//! - `layout`: the header's cache lines, the frame header, the allocation, the counters;
//! - `producer`: reserve, write, publish, the full-lane policies, retiring;
//! - `consumer`: consume, eviction on request, poisoning, the sleep handshake;
//! - `control`: the closer's side;
//! - `set`: the lanes of one pipeline: a lane per thread (thread-local, retired at thread
//!   exit), the consumer's pass over all of them in registration order, sleep, close;
//! - `unbound`: a lane no thread owns, for a binding whose writers move between threads and
//!   take turns at it themselves (Go).
//!
//! ```
//! use logcap_core::lane::{prepare_sleep, Consumer, Lane, Producer};
//! use logcap_core::record::{encode, Record};
//! use std::sync::Arc;
//!
//! let lane = Arc::new(Lane::new(4096).unwrap());
//! let (mut p, mut c) = (Producer::new(Arc::clone(&lane)), Consumer::new(lane));
//! let mut rec = Vec::new();
//! encode(&Record { message: "hello", ..Record::default() }, &mut rec).unwrap();
//! p.enter().unwrap();
//! p.try_push(&rec).unwrap();
//! let _wake = p.publish(); // a new lane starts asleep: its first publish says to wake
//! p.leave();
//! let mut seen = Vec::new();
//! let pass = c.drain(|r| seen.push(r.record.to_vec()));
//! assert_eq!((pass.consumed, seen), (1, vec![rec]));
//! let lanes = [c];
//! assert!(prepare_sleep(&lanes)); // all empty: the consumer may park
//! ```

mod consumer;
mod control;
mod layout;
mod producer;
mod set;
mod sync;
mod unbound;

#[cfg(all(test, loom))]
mod loom;
#[cfg(all(test, not(loom)))]
mod set_tests;
#[cfg(all(test, not(loom)))]
mod tests;
#[cfg(all(test, not(loom)))]
mod unbound_tests;

pub use consumer::{prepare_sleep, woke, Checked, Consumer, Pass};
pub use control::close_lanes;
pub use layout::{
    align8, frame_size, Lane, LaneCounters, ENTRY_PAYLOAD, FLAG_LIGHT_FENCE_COMPILER, FRAME_ALIGN,
    FRAME_HEADER, HEADER_LEN, KIND_ENTRY, KIND_RECORD, KIND_SKIP, LANE_MAGIC, LANE_VERSION,
    MAX_CAPACITY, MIN_CAPACITY,
};
pub use producer::{FullPolicy, Producer, PushError, Refused, SubmitError};
pub use set::{LaneSet, SetReader, ThreadLane};
pub use unbound::UnboundLane;
