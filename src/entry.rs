//! Entry functions: acquire, release, set_label, submit and the rest.

use super::error::{fail, from_error};
use super::handles::{self, Ended, Live};
use super::panic::{boundary, FfiResult};
use super::pipeline::logcap_pipeline;
use super::pointer::{copy_out, key, out, text, try_ref};
use super::result::logcap_result;
use super::types::{self, logcap_field_view, logcap_str};
use logcap_core::entry::{EntryData, EntryError, ValueRef};
use logcap_core::pool::Pool;
use std::sync::Arc;

/// An entry handle. Not a pointer to memory: a checked token, so a released or submitted
/// handle is detected (LOGCAP_RESULT_STALE_HANDLE) rather than undefined behaviour.
pub struct logcap_entry {
    _private: [u8; 0],
}

fn handle(e: *const logcap_entry) -> usize {
    e as usize
}

/// A limit refusal: counted in the entry's pipeline, whatever the API.
fn limit(e: EntryError, pool: &Pool) -> logcap_result {
    pool.count_limit_refusal();
    fail(logcap_result::Limit, e.to_string())
}

fn with_data<R>(
    e: *const logcap_entry,
    f: impl FnOnce(&mut EntryData) -> FfiResult<R>,
) -> FfiResult<R> {
    handles::with_live(handle(e), |l, _| f(&mut l.data))
}

/// Copies text into one of the entry's string attributes.
fn set_text(
    entry: *mut logcap_entry,
    ptr: *const u8,
    len: usize,
    what: &str,
    set: fn(&mut EntryData, &str),
) -> logcap_result {
    boundary(|| {
        let v = text(ptr, len, what)?;
        with_data(entry, |d| {
            set(d, &v);
            Ok(())
        })
    })
}

/// Acquires an empty entry (level info, no timestamp: it is stamped at submit) from the
/// pipeline's pool and writes its handle to `*out_entry`.
///
/// Does not take ownership of `pipeline`. The entry is owned by the caller until it is
/// consumed by logcap_submit or logcap_release; it may be used from any thread.
/// LOGCAP_RESULT_CLOSED after the pipeline was closed.
#[no_mangle]
pub extern "C" fn logcap_acquire(
    pipeline: *const logcap_pipeline,
    out_entry: *mut *mut logcap_entry,
) -> logcap_result {
    boundary(|| {
        let p = try_ref(pipeline)?;
        let o = out(out_entry, "out_entry")?;
        if p.is_closed() {
            return Err(from_error(&logcap_core::Error::Closed));
        }
        let live = Live {
            data: p.pool().take(),
            pipeline_id: p.id(),
            lent: false,
        };
        *o = handles::issue(live, p.pool())? as *mut logcap_entry;
        Ok(())
    })
}

/// Refuses to end a handle lent to a processor hook: the pipeline owns that entry.
fn not_lent(l: &Live, verb: &str) -> FfiResult {
    if l.lent {
        Err(fail(
            logcap_result::InvalidArgument,
            format!("the entry is lent to a processor hook: it cannot be {verb} during the call"),
        ))
    } else {
        Ok(())
    }
}

/// Releases an entry without submitting it: it returns to its pool.
///
/// `entry` is consumed; must not be used afterwards (a later use gives
/// LOGCAP_RESULT_STALE_HANDLE). Releasing NULL is a no-op. The entry a processor hook is
/// given cannot be released (LOGCAP_RESULT_INVALID_ARGUMENT).
#[no_mangle]
pub extern "C" fn logcap_release(entry: *mut logcap_entry) -> logcap_result {
    boundary(|| {
        if entry.is_null() {
            return Ok(());
        }
        handles::end(
            handle(entry),
            Ended::Released,
            |l| not_lent(l, "released"),
            |l, pool| pool.put(l.data),
        )
    })
}

/// Submits an entry to the pipeline it was acquired from: it is stamped (if its timestamp is
/// 0) and queued, then batched and written by every sink.
///
/// Does not take ownership of `pipeline`. `entry` is consumed whatever the result, except
/// for LOGCAP_RESULT_NULL_ARGUMENT, INVALID_HANDLE, STALE_HANDLE and WRONG_PIPELINE, after
/// which the caller still owns it. LOGCAP_RESULT_LIMIT when the message is longer than
/// LOGCAP_MAX_MESSAGE_BYTES (counted in refused_limit). LOGCAP_RESULT_QUEUE_FULL and
/// LOGCAP_RESULT_TIMEOUT mean the queue policy dropped it (and counted it);
/// LOGCAP_RESULT_CLOSED that the pipeline is closed. An entry below the minimum level, sampled out, rate limited or dropped by the
/// processor hook is counted and OK is returned. The entry a processor hook is given cannot
/// be submitted (LOGCAP_RESULT_INVALID_ARGUMENT; the hook's return value decides its fate).
#[no_mangle]
pub extern "C" fn logcap_submit(
    pipeline: *const logcap_pipeline,
    entry: *mut logcap_entry,
) -> logcap_result {
    boundary(|| {
        let p = try_ref(pipeline)?;
        let data = end_to_submit(p, entry)?;
        p.submit_data(data).map_err(|e| from_error(&e))
    })
}

/// Ends `entry`'s handle as submitted and gives its data, after checking that it was
/// acquired from `p` and is not lent to a hook; the errors after which the caller still owns
/// the handle (see logcap_submit).
pub(crate) fn end_to_submit(
    p: &logcap_core::Pipeline,
    entry: *mut logcap_entry,
) -> FfiResult<Box<EntryData>> {
    let id = p.id();
    let check = |l: &Live| {
        not_lent(l, "submitted")?;
        if l.pipeline_id == id {
            Ok(())
        } else {
            Err(fail(
                logcap_result::WrongPipeline,
                "the entry was acquired from another pipeline",
            ))
        }
    };
    handles::end(handle(entry), Ended::Submitted, check, |l, _| l.data)
}

/// Sets a label (a low-cardinality stream label), replacing its value if set.
///
/// Does not take ownership of the strings; they are copied. LOGCAP_RESULT_LIMIT beyond 64
/// labels or for a key over 1024 bytes (LOGCAP_MAX_KEY_BYTES; counted in refused_limit, the
/// entry keeps what it had); an empty key is LOGCAP_RESULT_INVALID_ARGUMENT.
#[no_mangle]
pub extern "C" fn logcap_set_label(
    entry: *mut logcap_entry,
    key_ptr: *const u8,
    key_len: usize,
    value_ptr: *const u8,
    value_len: usize,
) -> logcap_result {
    boundary(|| {
        let k = key(key_ptr, key_len)?;
        let v = text(value_ptr, value_len, "value")?;
        handles::with_live(handle(entry), |l, pool| {
            l.data.set_label(&k, &v).map_err(|e| limit(e, pool))
        })
    })
}

/// Copies a label's value into `buf` (`buf_len` bytes, not NUL-terminated) and writes its
/// length to `*out_len`.
///
/// Does not take ownership of anything. LOGCAP_RESULT_NOT_FOUND when the label is not set.
/// LOGCAP_RESULT_BUFFER_TOO_SMALL writes only the needed length to `*out_len`.
#[no_mangle]
pub extern "C" fn logcap_entry_get_label(
    entry: *const logcap_entry,
    key_ptr: *const u8,
    key_len: usize,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> logcap_result {
    boundary(|| {
        let k = key(key_ptr, key_len)?;
        let o = out(out_len, "out_len")?;
        with_data(entry, |d| match d.label(&k) {
            Some(v) => copy_out(v.as_bytes(), buf, buf_len, o),
            None => Err(fail(
                logcap_result::NotFound,
                format!("label {k:?} is not set"),
            )),
        })
    })
}

/// Removes a label. LOGCAP_RESULT_NOT_FOUND when it was not set.
/// Does not take ownership of anything.
#[no_mangle]
pub extern "C" fn logcap_entry_delete_label(
    entry: *mut logcap_entry,
    key_ptr: *const u8,
    key_len: usize,
) -> logcap_result {
    boundary(|| {
        let k = key(key_ptr, key_len)?;
        with_data(entry, |d| {
            if d.remove_label(&k) {
                Ok(())
            } else {
                Err(fail(
                    logcap_result::NotFound,
                    format!("label {k:?} is not set"),
                ))
            }
        })
    })
}

fn set_field(
    entry: *mut logcap_entry,
    key_ptr: *const u8,
    key_len: usize,
    v: ValueRef<'_>,
) -> logcap_result {
    boundary(|| {
        let k = key(key_ptr, key_len)?;
        handles::with_live(handle(entry), |l, pool| {
            l.data.set_field(&k, v).map_err(|e| limit(e, pool))
        })
    })
}

/// Sets a string field, replacing any value (of any type) it had.
/// Does not take ownership of the strings; they are copied. LOGCAP_RESULT_LIMIT beyond 1024
/// fields or for a key over 1024 bytes (counted in refused_limit; the entry keeps what it
/// had).
#[no_mangle]
pub extern "C" fn logcap_entry_set_field_str(
    entry: *mut logcap_entry,
    key_ptr: *const u8,
    key_len: usize,
    value_ptr: *const u8,
    value_len: usize,
) -> logcap_result {
    match text(value_ptr, value_len, "value") {
        Ok(v) => set_field(entry, key_ptr, key_len, ValueRef::Str(&v)),
        Err(code) => code,
    }
}

/// Sets a signed integer field. Does not take ownership of the key; it is copied.
#[no_mangle]
pub extern "C" fn logcap_entry_set_field_i64(
    entry: *mut logcap_entry,
    key_ptr: *const u8,
    key_len: usize,
    value: i64,
) -> logcap_result {
    set_field(entry, key_ptr, key_len, ValueRef::I64(value))
}

/// Sets an unsigned integer field. Does not take ownership of the key; it is copied.
#[no_mangle]
pub extern "C" fn logcap_entry_set_field_u64(
    entry: *mut logcap_entry,
    key_ptr: *const u8,
    key_len: usize,
    value: u64,
) -> logcap_result {
    set_field(entry, key_ptr, key_len, ValueRef::U64(value))
}

/// Sets a double field (NaN and infinities are written as strings in JSON).
/// Does not take ownership of the key; it is copied.
#[no_mangle]
pub extern "C" fn logcap_entry_set_field_f64(
    entry: *mut logcap_entry,
    key_ptr: *const u8,
    key_len: usize,
    value: f64,
) -> logcap_result {
    set_field(entry, key_ptr, key_len, ValueRef::F64(value))
}

/// Sets a boolean field. Does not take ownership of the key; it is copied.
#[no_mangle]
pub extern "C" fn logcap_entry_set_field_bool(
    entry: *mut logcap_entry,
    key_ptr: *const u8,
    key_len: usize,
    value: bool,
) -> logcap_result {
    set_field(entry, key_ptr, key_len, ValueRef::Bool(value))
}

/// Reads a field: its type and value into `*out_value`. A string value is copied into `buf`
/// (`buf_len` bytes) and `out_value->str` points there.
///
/// Does not take ownership of anything. LOGCAP_RESULT_NOT_FOUND when the field is not set.
/// LOGCAP_RESULT_BUFFER_TOO_SMALL writes only the needed length to `out_value->str.len`.
#[no_mangle]
pub extern "C" fn logcap_entry_get_field(
    entry: *const logcap_entry,
    key_ptr: *const u8,
    key_len: usize,
    buf: *mut u8,
    buf_len: usize,
    out_value: *mut logcap_field_view,
) -> logcap_result {
    boundary(|| {
        let k = key(key_ptr, key_len)?;
        let o = out(out_value, "out_value")?;
        with_data(entry, |d| {
            let v = d
                .field(&k)
                .ok_or_else(|| fail(logcap_result::NotFound, format!("field {k:?} is not set")))?;
            let mut view = logcap_field_view::from_value(v);
            if let ValueRef::Str(s) = v {
                let mut n = 0;
                if let Err(code) = copy_out(s.as_bytes(), buf, buf_len, &mut n) {
                    o.str.len = n;
                    return Err(code);
                }
                view.str = logcap_str { ptr: buf, len: n };
            }
            *o = view;
            Ok(())
        })
    })
}

/// Removes a field. LOGCAP_RESULT_NOT_FOUND when it was not set.
/// Does not take ownership of anything.
#[no_mangle]
pub extern "C" fn logcap_entry_delete_field(
    entry: *mut logcap_entry,
    key_ptr: *const u8,
    key_len: usize,
) -> logcap_result {
    boundary(|| {
        let k = key(key_ptr, key_len)?;
        with_data(entry, |d| {
            if d.remove_field(&k) {
                Ok(())
            } else {
                Err(fail(
                    logcap_result::NotFound,
                    format!("field {k:?} is not set"),
                ))
            }
        })
    })
}

/// Writes the number of labels and of fields. Either output may be NULL if not wanted.
#[no_mangle]
pub extern "C" fn logcap_entry_counts(
    entry: *const logcap_entry,
    out_labels: *mut usize,
    out_fields: *mut usize,
) -> logcap_result {
    boundary(|| {
        let (l, f) = with_data(entry, |d| Ok((d.label_count(), d.field_count())))?;
        if !out_labels.is_null() {
            *out(out_labels, "out_labels")? = l;
        }
        if !out_fields.is_null() {
            *out(out_fields, "out_fields")? = f;
        }
        Ok(())
    })
}

/// Sets the message. Does not take ownership of the string; it is copied.
#[no_mangle]
pub extern "C" fn logcap_entry_set_message(
    entry: *mut logcap_entry,
    ptr: *const u8,
    len: usize,
) -> logcap_result {
    set_text(entry, ptr, len, "message", EntryData::set_message)
}

/// Copies the message into `buf` and writes its length to `*out_len`.
/// LOGCAP_RESULT_BUFFER_TOO_SMALL writes only the needed length to `*out_len`.
#[no_mangle]
pub extern "C" fn logcap_entry_get_message(
    entry: *const logcap_entry,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> logcap_result {
    boundary(|| {
        let o = out(out_len, "out_len")?;
        with_data(entry, |d| copy_out(d.message().as_bytes(), buf, buf_len, o))
    })
}

/// Sets the level: a logcap_level (0 trace to 5 fatal); others are
/// LOGCAP_RESULT_INVALID_ARGUMENT.
#[no_mangle]
pub extern "C" fn logcap_entry_set_level(entry: *mut logcap_entry, level: u32) -> logcap_result {
    boundary(|| {
        let l = types::level(level)?;
        with_data(entry, |d| {
            d.set_level(l);
            Ok(())
        })
    })
}

/// Writes the entry's level (a logcap_level) and timestamp (ns since the Unix epoch; 0 until
/// set or submitted). Either output may be NULL if not wanted.
#[no_mangle]
pub extern "C" fn logcap_entry_get_meta(
    entry: *const logcap_entry,
    out_level: *mut u32,
    out_timestamp_ns: *mut u64,
) -> logcap_result {
    boundary(|| {
        let (l, ts) = with_data(entry, |d| Ok((d.level() as u32, d.timestamp_ns())))?;
        if !out_level.is_null() {
            *out(out_level, "out_level")? = l;
        }
        if !out_timestamp_ns.is_null() {
            *out(out_timestamp_ns, "out_timestamp_ns")? = ts;
        }
        Ok(())
    })
}

/// Sets the timestamp in nanoseconds since the Unix epoch; 0 means "stamp at submit".
#[no_mangle]
pub extern "C" fn logcap_entry_set_timestamp(
    entry: *mut logcap_entry,
    timestamp_ns: u64,
) -> logcap_result {
    boundary(|| {
        with_data(entry, |d| {
            d.set_timestamp_ns(timestamp_ns);
            Ok(())
        })
    })
}

/// Sets the trace id; an empty one clears it. Does not take ownership; it is copied.
#[no_mangle]
pub extern "C" fn logcap_entry_set_trace_id(
    entry: *mut logcap_entry,
    ptr: *const u8,
    len: usize,
) -> logcap_result {
    set_text(entry, ptr, len, "trace_id", EntryData::set_trace_id)
}

/// Sets the span id; an empty one clears it. Does not take ownership; it is copied.
#[no_mangle]
pub extern "C" fn logcap_entry_set_span_id(
    entry: *mut logcap_entry,
    ptr: *const u8,
    len: usize,
) -> logcap_result {
    set_text(entry, ptr, len, "span_id", EntryData::set_span_id)
}

/// Deep-copies an entry into a new entry of the same pipeline and writes its handle to
/// `*out_entry`. Does not take ownership of `entry`; the copy is owned by the caller until
/// consumed by logcap_submit or logcap_release. LOGCAP_RESULT_CLOSED once the entry's
/// pipeline is closed or freed, as logcap_acquire.
#[no_mangle]
pub extern "C" fn logcap_entry_clone(
    entry: *const logcap_entry,
    out_entry: *mut *mut logcap_entry,
) -> logcap_result {
    boundary(|| {
        let o = out(out_entry, "out_entry")?;
        let (copy, pool) = handles::with_live(handle(entry), |l, pool| {
            if pool.is_closed() {
                return Err(from_error(&logcap_core::Error::Closed));
            }
            let mut data = pool.take();
            data.copy_from(&l.data);
            let copy = Live {
                data,
                pipeline_id: l.pipeline_id,
                lent: false,
            };
            Ok((copy, Arc::clone(pool)))
        })?;
        *o = handles::issue(copy, &pool)? as *mut logcap_entry;
        Ok(())
    })
}
