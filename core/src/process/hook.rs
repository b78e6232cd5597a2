//! The processor hook: user code that may change or drop each entry.

use crate::entry::EntryData;
use crate::pool::Pool;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// What a processor hook decides for an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookAction {
    /// The entry goes on (with whatever changes the hook made).
    Keep,
    /// The entry is dropped and counted as `dropped_by_hook`.
    Drop,
}

/// How a hook ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookOutcome {
    /// Keep the entry.
    Keep,
    /// Drop the entry.
    Drop,
    /// The hook panicked or returned an error: counted, and the entry is kept.
    Failed,
}

/// Where the entry came from, for hooks that lend it to foreign code as a handle.
pub struct HookContext {
    /// The pool of the entry's pipeline.
    pub pool: Arc<Pool>,
    /// The pipeline's id, unique in the process.
    pub pipeline_id: u64,
}

/// A hook as the pipeline runs it. It takes the entry by value so that an implementation can
/// lend it (the C ABI puts it behind a temporary handle) and must give it back.
pub trait EntryHook: Send + Sync {
    /// Runs the hook on `e`. Returns the entry (`None` only if it was lost, which is counted
    /// as a failure and a drop) and the outcome.
    fn run(&self, e: Box<EntryData>, ctx: &HookContext) -> (Option<Box<EntryData>>, HookOutcome);
}

/// A Rust closure as a hook; a panic in it is caught.
pub(crate) struct FnHook<F>(pub(crate) F);

impl<F> EntryHook for FnHook<F>
where
    F: Fn(&mut EntryData) -> HookAction + Send + Sync,
{
    fn run(
        &self,
        mut e: Box<EntryData>,
        _ctx: &HookContext,
    ) -> (Option<Box<EntryData>>, HookOutcome) {
        let outcome = match catch_unwind(AssertUnwindSafe(|| (self.0)(&mut e))) {
            Ok(HookAction::Keep) => HookOutcome::Keep,
            Ok(HookAction::Drop) => HookOutcome::Drop,
            Err(_) => HookOutcome::Failed,
        };
        (Some(e), outcome)
    }
}
