//! Plain `#[repr(C)]` types shared by several handles.

use super::error::fail;
use super::panic::FfiResult;
use super::result::logcap_result;
use logcap_core::entry::{Level, ValueRef};

/// At most this many labels on one entry.
pub const LOGCAP_MAX_LABELS: usize = 64;
/// At most this many fields on one entry.
pub const LOGCAP_MAX_FIELDS: usize = 1024;
/// A label or field key is at most this many bytes long.
pub const LOGCAP_MAX_KEY_BYTES: usize = 1024;
/// A message is at most this many bytes long when it is submitted (256 KiB).
pub const LOGCAP_MAX_MESSAGE_BYTES: usize = 256 * 1024;
/// The packed record layout version this library reads (docs/record-format.md).
pub const LOGCAP_RECORD_VERSION: u8 = 1;
/// The packed record's fixed header length in bytes.
pub const LOGCAP_RECORD_HEADER_LEN: usize = 20;
/// The longest packed record accepted, header included.
pub const LOGCAP_RECORD_MAX_BYTES: usize = 1 << 20;
/// The longest label or field key accepted in a packed record, in bytes.
pub const LOGCAP_RECORD_MAX_KEY_BYTES: usize = 1024;

/// Levels, for reading `uint32_t level` values. Functions take levels as `uint32_t`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum logcap_level {
    /// Very fine-grained diagnostics.
    Trace = 0,
    /// Diagnostics.
    Debug = 1,
    /// Normal operation.
    Info = 2,
    /// Handled trouble.
    Warn = 3,
    /// A failed operation.
    Error = 4,
    /// The program cannot go on.
    Fatal = 5,
}

/// The type of a field value.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum logcap_value_kind {
    /// UTF-8 text: `str`.
    Str = 0,
    /// Signed integer: `i64`.
    I64 = 1,
    /// Unsigned integer: `u64`.
    U64 = 2,
    /// Double: `f64`.
    F64 = 3,
    /// Boolean: `boolean`.
    Bool = 4,
}

/// A borrowed string: `len` bytes of UTF-8 at `ptr`, not NUL-terminated. Valid only as long
/// as the call or view that produced it says.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct logcap_str {
    /// The first byte (NULL when `len` is 0).
    pub ptr: *const u8,
    /// Length in bytes.
    pub len: usize,
}

impl logcap_str {
    pub(crate) const EMPTY: logcap_str = logcap_str {
        ptr: std::ptr::null(),
        len: 0,
    };

    pub(crate) fn of(s: &str) -> logcap_str {
        if s.is_empty() {
            Self::EMPTY
        } else {
            logcap_str {
                ptr: s.as_ptr(),
                len: s.len(),
            }
        }
    }
}

/// A typed field value. Only the member named by `kind` is meaningful.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct logcap_field_view {
    /// Which member holds the value.
    pub kind: logcap_value_kind,
    /// The value when `kind` is LOGCAP_VALUE_KIND_I64.
    pub i64: i64,
    /// The value when `kind` is LOGCAP_VALUE_KIND_U64.
    pub u64: u64,
    /// The value when `kind` is LOGCAP_VALUE_KIND_F64.
    pub f64: f64,
    /// The value when `kind` is LOGCAP_VALUE_KIND_BOOL.
    pub boolean: bool,
    /// The value when `kind` is LOGCAP_VALUE_KIND_STR.
    pub str: logcap_str,
}

impl logcap_field_view {
    /// A view of `v`; a string's bytes are borrowed from `v`.
    pub(crate) fn from_value(v: ValueRef<'_>) -> logcap_field_view {
        let mut view = logcap_field_view {
            kind: kind_of(v),
            i64: 0,
            u64: 0,
            f64: 0.0,
            boolean: false,
            str: logcap_str::EMPTY,
        };
        match v {
            ValueRef::Str(s) => view.str = logcap_str::of(s),
            ValueRef::I64(n) => view.i64 = n,
            ValueRef::U64(n) => view.u64 = n,
            ValueRef::F64(n) => view.f64 = n,
            ValueRef::Bool(b) => view.boolean = b,
        }
        view
    }
}

/// A pipeline's counters (see docs/api.md for the invariants they keep).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct logcap_stats {
    /// Entries handed to submit on an open pipeline.
    pub submitted: u64,
    /// Entries that passed the queue into batches.
    pub accepted: u64,
    /// Dropped at submit: below the minimum level.
    pub dropped_level: u64,
    /// Refused: the queue was full (drop_newest).
    pub dropped_queue_full: u64,
    /// Evicted from a full queue for a newer entry (drop_oldest).
    pub dropped_queue_evicted: u64,
    /// Dropped after waiting for room (block).
    pub dropped_queue_timeout: u64,
    /// In the queue now.
    pub queued: u64,
    /// Batches made.
    pub batches: u64,
    /// Entries handed out by the pool.
    pub pool_acquired: u64,
    /// Of those, reused.
    pub pool_reused: u64,
    /// Of those, newly allocated.
    pub pool_allocated: u64,
    /// Entries freed on release because the pool was full.
    pub pool_discarded: u64,
    /// Entries whose buffers were freed on release because they held too much.
    pub pool_trimmed: u64,
    /// Idle entries in the pool now.
    pub pool_idle: u64,
    /// How many sinks the pipeline has (for logcap_pipeline_sink_stats).
    pub sink_count: u64,
    // Appended in 0.1 with the processing stages; fields are only ever added at the end.
    /// Dropped by sampling.
    pub sampled_out: u64,
    /// Refused by the rate limiter.
    pub rate_limited: u64,
    /// Collapsed into an identical earlier entry (counted in its `repeats` field).
    pub deduplicated: u64,
    /// Dropped by the processor hook.
    pub dropped_by_hook: u64,
    /// Processor hook calls that failed (error return or panic); the entry was kept.
    pub hook_errors: u64,
    /// Held by deduplication now, waiting for their window to close.
    pub held: u64,
    /// Calls refused with LOGCAP_RESULT_LIMIT, whatever the API: a setter (the entry keeps
    /// what it had), a submit with a message too long, a packed record over a limit. Not part
    /// of `submitted`.
    pub refused_limit: u64,
    // Appended in 0.1 with the lanes (docs/lane-protocol.md).
    /// Records the pipeline found malformed in a lane and dropped: something broke the lane
    /// protocol (the library's own writers never do). Part of the dropped entries.
    pub dropped_malformed: u64,
    /// Lanes in use now: one per thread that has submitted and not exited; 0 when the
    /// pipeline uses its shared queue (`queue.lanes` false, the default).
    pub lanes: u64,
    /// The bytes those lanes take (headers and rings).
    pub lane_bytes: u64,
}

/// One sink's counters (entries, except `batches`, `bytes`, `requests`, `retries` and
/// `bytes_sent`). Fields are only ever appended, at the end.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct logcap_sink_stats {
    /// Entries in batches offered to the sink.
    pub received: u64,
    /// Entries written.
    pub delivered: u64,
    /// Entries dropped by the sink's queue policy.
    pub dropped: u64,
    /// Entries whose batch the sink failed to write.
    pub failed: u64,
    /// Batches written.
    pub batches: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Panics (or callback failures reported as such) caught in the sink.
    pub panics: u64,
    /// Batches in the sink's queue now.
    pub queued_batches: u64,
    /// Network sinks: requests attempted, retries included (0 for other sinks).
    pub requests: u64,
    /// Network sinks: attempts that repeated a request after a transient failure.
    pub retries: u64,
    /// Network sinks: requests refused permanently (such as HTTP 400), never retried.
    pub permanent_failures: u64,
    /// Network sinks: entries written to the dead-letter file (also counted in `failed`).
    pub dead_lettered: u64,
    /// Network sinks: bytes sent in successful requests, after compression.
    pub bytes_sent: u64,
}

/// A level from C (a logcap_level, 0 trace to 5 fatal); `InvalidArgument` for any other.
pub(crate) fn level(v: u32) -> FfiResult<Level> {
    u8::try_from(v)
        .ok()
        .and_then(Level::from_u8)
        .ok_or_else(|| {
            fail(
                logcap_result::InvalidArgument,
                format!("level {v} is not 0 (trace) to 5 (fatal)"),
            )
        })
}

/// The kind of a value, for views.
pub(crate) fn kind_of(v: ValueRef<'_>) -> logcap_value_kind {
    match v {
        ValueRef::Str(_) => logcap_value_kind::Str,
        ValueRef::I64(_) => logcap_value_kind::I64,
        ValueRef::U64(_) => logcap_value_kind::U64,
        ValueRef::F64(_) => logcap_value_kind::F64,
        ValueRef::Bool(_) => logcap_value_kind::Bool,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use logcap_core::{entry, record};

    #[test]
    fn exported_constants_match_the_core() {
        assert_eq!(LOGCAP_MAX_LABELS, entry::MAX_LABELS);
        assert_eq!(LOGCAP_MAX_FIELDS, entry::MAX_FIELDS);
        assert_eq!(LOGCAP_MAX_KEY_BYTES, entry::MAX_KEY_BYTES);
        assert_eq!(LOGCAP_MAX_MESSAGE_BYTES, entry::MAX_MESSAGE_BYTES);
        assert_eq!(LOGCAP_RECORD_VERSION, record::VERSION);
        assert_eq!(LOGCAP_RECORD_HEADER_LEN, record::HEADER_LEN);
        assert_eq!(LOGCAP_RECORD_MAX_BYTES, record::MAX_RECORD_BYTES);
        assert_eq!(LOGCAP_RECORD_MAX_KEY_BYTES, record::MAX_KEY_BYTES);
    }

    #[test]
    fn level_and_kind_numbers_match_the_core() {
        for l in logcap_core::Level::ALL {
            assert_eq!(l as u32, l as u8 as u32);
        }
        assert_eq!(logcap_level::Fatal as u32, logcap_core::Level::Fatal as u32);
        assert_eq!(logcap_level::Trace as u32, logcap_core::Level::Trace as u32);
        assert_eq!(
            logcap_value_kind::Bool as u32,
            logcap_core::ValueKind::Bool as u32
        );
        assert_eq!(
            logcap_value_kind::F64 as u32,
            logcap_core::ValueKind::F64 as u32
        );
    }
}
