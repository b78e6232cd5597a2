//! The result codes.

use std::ffi::c_char;

/// The result of every fallible call. The numbers are stable and never reused.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum logcap_result {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullArgument = 1,
    /// An argument was out of range (a level above fatal, for instance).
    InvalidArgument = 2,
    /// An entry handle that was never issued.
    InvalidHandle = 3,
    /// An entry handle that was released or submitted already.
    StaleHandle = 4,
    /// An entry of one pipeline was used with another.
    WrongPipeline = 5,
    /// The configuration is invalid; logcap_last_error() names the key.
    Config = 6,
    /// A sink could not be set up (a file that cannot be opened, an unbound callback).
    SinkSetup = 7,
    /// The pipeline is closed.
    Closed = 8,
    /// The queue was full: the entry was dropped and counted.
    QueueFull = 9,
    /// The call did not finish within its timeout.
    Timeout = 10,
    /// The label or field is not set.
    NotFound = 11,
    /// An entry limit was reached (too many labels or fields).
    Limit = 12,
    /// The caller's buffer is too small; the needed length was written.
    BufferTooSmall = 13,
    /// A packed record is malformed; logcap_last_error() says where and why.
    MalformedRecord = 14,
    /// A sink failed to flush.
    SinkFlush = 15,
    /// logcap panicked inside the call (a bug); the call had no effect that can be relied on.
    Panic = 16,
    /// A file could not be read or written (a dead-letter replay); logcap_last_error() says
    /// which and why.
    Io = 17,
}

/// A static, NUL-terminated description of a result code (unknown codes included).
/// The string is owned by the library and must not be freed.
#[no_mangle]
pub extern "C" fn logcap_result_text(code: u32) -> *const c_char {
    let s: &'static std::ffi::CStr = match code {
        0 => c"ok",
        1 => c"a required pointer argument was NULL",
        2 => c"an argument is out of range",
        3 => c"invalid entry handle",
        4 => c"stale entry handle: released or submitted already",
        5 => c"the entry belongs to another pipeline",
        6 => c"invalid configuration",
        7 => c"a sink could not be set up",
        8 => c"the pipeline is closed",
        9 => c"the queue is full: the entry was dropped",
        10 => c"timed out",
        11 => c"not found",
        12 => c"entry limit reached",
        13 => c"buffer too small",
        14 => c"malformed record",
        15 => c"a sink failed to flush",
        16 => c"internal panic",
        17 => c"a file could not be read or written",
        _ => c"unknown result code",
    };
    s.as_ptr()
}
