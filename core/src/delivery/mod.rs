//! Delivery for network sinks: retries with backoff and jitter, the split between transient
//! and permanent failures, and the dead-letter file (written by sinks, replayed by
//! [`Pipeline::replay_dead_letters`](crate::Pipeline::replay_dead_letters)).
//!
//! The guarantee these give, and its limits per transport, are in docs/network-sinks.md.

pub mod dead_letter;
pub mod retry;

pub use dead_letter::{DeadLetters, ReplayReport};
pub use retry::{Failure, GaveUp, Retrier};
