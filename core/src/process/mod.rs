//! The processing stage: sampling, rate limiting, a processor hook, redaction and
//! deduplication, between submit and the batches.
//!
//! ```text
//! submit ─▶ level ─▶ sample ─▶ rate limit ─▶ stamp ─▶ hook ─▶ redact ─▶ queue ─▶ dedup ─▶ batch
//!          └──────────── the submitting thread ─────────────────────┘        └─ batcher ─┘
//!
//! with lanes (`queue.lanes`) and no hook:
//! submit ─▶ level ─▶ stamp ─▶ lane ─▶ sample ─▶ rate limit ─▶ redact ─▶ dedup ─▶ batch
//!          └─ submitting thread ─┘      └─────────────── batcher ──────────────────┘
//! ```
//!
//! With lanes, [`Stages`] runs on the batcher as it takes each entry (the dispatcher gives it
//! to the batcher instead of the intake): lanes exist to take work off the caller's path, and
//! the stages need the decoded entry, which with lanes exists only on the batcher. A hook keeps
//! a pipeline on the shared queue, for the reasons below and because hooks read the caller's
//! thread-local context. docs/processing.md says what changes with lanes.
//!
//! # Where each stage runs, and why
//!
//! Sampling, rate limiting, the hook and redaction run **on the submitting thread**, after the
//! level check and before the queue:
//! - Sampling and rate limiting exist to shed load. Deciding before the queue means a flood
//!   never takes queue slots, never makes producers block (`block`) or evicts other entries
//!   (`drop_oldest`): what is refused costs one decision and goes straight back to the pool.
//! - The cost lands on the threads that log, in parallel, instead of serialising every regex
//!   and hook on the one batcher thread, which would then cap the whole pipeline.
//! - The hook runs where the caller is. A binding's callback (Go through cgo, Node through
//!   koffi) is then a plain synchronous call on the caller's thread; from the batcher it would
//!   be a call from a foreign thread, which Node can only queue to its event loop while the
//!   batcher waits: a deadlock whenever the JS thread is itself blocked in submit.
//! - Redaction is done before the entry is queued, so no sink, queue or batch ever holds the
//!   original; it runs after the hook, so whatever a hook adds is redacted too.
//!
//! The cheapest refusals come first, so that a sampled-out entry costs no hook or regex, and
//! the timestamp is stamped before the hook so that the hook sees it.
//!
//! Deduplication runs **on the batcher thread**, after the queue. Its held entries need a
//! timer (a window closes on its own), and a flush or close must deliver them: the batcher
//! already owns the batch timer and the flush and close requests, and it is the only thread
//! that touches the table, so the table needs no lock and producers pay nothing for it.
//!
//! With every stage off the producer pays one branch (`Option::is_none` on the stages) and the
//! batcher one more per entry. The counters keep one invariant (see [`crate::Stats`]):
//! `submitted = accepted + dropped_level + sampled_out + rate_limited + dropped_by_hook +
//! dropped_queue_* + deduplicated + queued + held`.

pub(crate) mod dedup;
mod hash;
mod hook;
mod limit;
pub(crate) mod redact;
mod sample;

pub use crate::clock::{Clock, ManualClock, MonotonicClock};
pub use dedup::REPEATS_FIELD;
pub(crate) use hook::FnHook;
pub use hook::HookAction;
pub use hook::{EntryHook, HookContext, HookOutcome};
pub(crate) use redact::Redactor;
pub use redact::{BUILTIN_PATTERNS, DEFAULT_CENSOR};

use crate::clock::stamp;
use crate::config::{Config, ConfigError};
use crate::entry::EntryData;
use crate::stats::IntakeCounters;
use dedup::Dedup;
use limit::RateLimiter;
use sample::Sampler;
use std::sync::Arc;

/// The stages that run on the submitting thread (on the batcher, with lanes). Exists only
/// when one of them is on.
pub(crate) struct Stages {
    clock: Arc<dyn Clock>,
    sampler: Option<Sampler>,
    limiter: Option<RateLimiter>,
    hook: Option<Arc<dyn EntryHook>>,
    redactor: Option<Redactor>,
    ctx: HookContext,
}

/// Deduplication with its clock, run by the batcher.
pub(crate) struct BatcherDedup {
    pub(crate) table: Dedup,
    pub(crate) clock: Arc<dyn Clock>,
}

impl Stages {
    /// The producer-side stages the configuration asks for; `None` when all are off.
    pub(crate) fn build(
        cfg: &Config,
        hook: Option<Arc<dyn EntryHook>>,
        clock: &Arc<dyn Clock>,
        ctx: HookContext,
        seed: u64,
    ) -> Result<Option<Box<Stages>>, ConfigError> {
        let redactor = match &cfg.redact {
            Some(r) => Some(Redactor::new(r)?).filter(Redactor::is_active),
            None => None,
        };
        let stages = Stages {
            clock: Arc::clone(clock),
            sampler: cfg.sampling.as_ref().map(|s| Sampler::new(s, seed)),
            limiter: cfg.rate_limit.as_ref().map(RateLimiter::new),
            hook,
            redactor,
            ctx,
        };
        let any = stages.sampler.is_some()
            || stages.limiter.is_some()
            || stages.hook.is_some()
            || stages.redactor.is_some();
        Ok(any.then(|| Box::new(stages)))
    }

    /// Whether a processor hook is among them (it runs on the caller's thread, so a pipeline
    /// with a hook takes its submits through the shared queue, never through lanes).
    pub(crate) fn has_hook(&self) -> bool {
        self.hook.is_some()
    }

    /// Runs the stages on an entry that passed the level check, and stamps it. Returns the
    /// entry to queue, or `None` when a stage dropped it (counted, and back in the pool).
    #[inline]
    pub(crate) fn run(&self, mut e: Box<EntryData>, c: &IntakeCounters) -> Option<Box<EntryData>> {
        if self.sampler.is_some() || self.limiter.is_some() {
            let now = self.clock.now_ns();
            if let Some(s) = &self.sampler {
                if !s.keep(e.level(), e.message(), now) {
                    c.sampled_out.add(1);
                    self.ctx.pool.put(e);
                    return None;
                }
            }
            if let Some(l) = &self.limiter {
                if !l.allow(&e, now) {
                    c.rate_limited.add(1);
                    self.ctx.pool.put(e);
                    return None;
                }
            }
        }
        stamp(&mut e);
        if let Some(h) = &self.hook {
            let (back, outcome) = h.run(e, &self.ctx);
            let Some(back) = back else {
                c.hook_errors.add(1);
                c.dropped_by_hook.add(1);
                return None;
            };
            e = back;
            match outcome {
                HookOutcome::Keep => {}
                HookOutcome::Drop => {
                    c.dropped_by_hook.add(1);
                    self.ctx.pool.put(e);
                    return None;
                }
                HookOutcome::Failed => c.hook_errors.add(1),
            }
            // A hook may have cleared the timestamp.
            stamp(&mut e);
        }
        if let Some(r) = &self.redactor {
            r.apply(&mut e);
        }
        Some(e)
    }
}

impl BatcherDedup {
    /// The batcher's deduplication, when the configuration asks for it.
    pub(crate) fn build(cfg: &Config, clock: &Arc<dyn Clock>, seed: u64) -> Option<BatcherDedup> {
        cfg.dedup.as_ref().map(|d| BatcherDedup {
            table: Dedup::new(d, seed),
            clock: Arc::clone(clock),
        })
    }
}

/// A fresh random seed for a pipeline's hashed tables.
pub(crate) fn seed() -> u64 {
    hash::random_seed()
}
