//! The panic boundary every export runs inside.

use super::error::fail;
use super::result::logcap_result;
use logcap_core::dispatcher::panic_message;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The result of an export's body: `Err` carries a code whose detail is already recorded.
pub(crate) type FfiResult<T = ()> = Result<T, logcap_result>;

/// Runs an export's body, turning `Err` into its code and a panic into
/// `LOGCAP_RESULT_PANIC`, so that no panic ever unwinds into foreign code.
pub(crate) fn boundary(f: impl FnOnce() -> FfiResult) -> logcap_result {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => logcap_result::Ok,
        Ok(Err(code)) => code,
        Err(p) => fail(
            logcap_result::Panic,
            format!("logcap panicked: {}", panic_message(&*p)),
        ),
    }
}
