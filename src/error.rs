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

/// This thread's last error detail, as text (for a failure recorded to be repeated later).
pub(crate) fn last_detail() -> String {
    LAST_ERROR.with(|l| l.borrow().to_string_lossy().into_owned())
}

/// The detail of the most recent failing call on this thread, NUL-terminated: what
/// logcap_result_text does not already say (which configuration key, which file, which byte
/// of a record), so print the two together as `text: detail`. "" when the code says it all
/// (CLOSED, QUEUE_FULL, TIMEOUT) and before any failure. Owned by the library: valid until the
/// next failing call on this thread; must not be freed.
#[no_mangle]
pub extern "C" fn logcap_last_error() -> *const c_char {
    LAST_ERROR.with(|l| l.borrow().as_ptr())
}

/// The detail of a core error for logcap_last_error: what logcap_result_text does not
/// already say, so that the two printed together (`text: detail`) repeat nothing. Empty when
/// the code says it all (CLOSED, QUEUE_FULL, TIMEOUT).
fn detail(e: &Error) -> String {
    match e {
        Error::Config(c) if c.key.is_empty() => c.message.clone(),
        Error::Config(c) => format!("{}: {}", c.key, c.message),
        Error::Closed | Error::QueueFull | Error::Timeout => String::new(),
        Error::SinkFlush(m) | Error::Io(m) => m.clone(),
        Error::Record(r) => format!("at byte {}: {} ({})", r.offset, r.kind, r.kind.name()),
        Error::SinkSetup { .. } | Error::Entry(_) => e.to_string(),
    }
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
        Error::Record(r) if r.kind.is_limit() => logcap_result::Limit,
        Error::Record(_) => logcap_result::MalformedRecord,
    };
    fail(code, detail(e))
}
