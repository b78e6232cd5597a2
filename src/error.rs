//! The thread-local detail of the last error, and the conversion of core errors to codes.

use super::result::logcap_result;
use logcap_core::error::Error;
use std::cell::RefCell;
use std::ffi::{c_char, CString};

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Records `msg` as this thread's last error and returns `code`.
pub(crate) fn fail(code: logcap_result, msg: impl Into<String>) -> logcap_result {
    let mut bytes = msg.into().into_bytes();
    bytes.retain(|&b| b != 0);
    let c = CString::new(bytes).unwrap_or_default();
    LAST_ERROR.with(|l| *l.borrow_mut() = c);
    code
}

/// The detail of the most recent failing call on this thread, NUL-terminated ("" if none).
/// Owned by the library: valid until the next failing call on this thread; must not be freed.
#[no_mangle]
pub extern "C" fn logcap_last_error() -> *const c_char {
    LAST_ERROR.with(|l| l.borrow().as_ptr())
}

/// The code and detail for a core error.
pub(crate) fn from_error(e: &Error) -> logcap_result {
    let code = match e {
        Error::Config(_) => logcap_result::Config,
        Error::SinkSetup { .. } => logcap_result::SinkSetup,
        Error::Closed => logcap_result::Closed,
        Error::QueueFull => logcap_result::QueueFull,
        Error::Timeout => logcap_result::Timeout,
        Error::Entry(_) => logcap_result::Limit,
        Error::SinkFlush(_) => logcap_result::SinkFlush,
        Error::Io(_) => logcap_result::Io,
        Error::Record(_) => logcap_result::MalformedRecord,
    };
    fail(code, e.to_string())
}
