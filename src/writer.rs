//! The record writer: a log event as a sequence of plain calls (`logcap_write_begin`, labels,
//! typed fields, `logcap_write_commit`), with no handle and no lock. Each thread has one
//! writer, which encodes the event as a packed record into a buffer of its own as the calls
//! come (logcap_core::record::Writer) and submits it on commit exactly as
//! logcap_pipeline_submit_record submits a record: the same limits, refusals and counters.
//!
//! The error model: the first failing call of a record fails the record. That call returns
//! its code, and every later call of the record returns the same code and does nothing, until
//! commit (or abort) ends the record and returns it again; logcap_last_error() gives the
//! first failure's detail after each of them, naming the item (`label 65 ("l64"): more than
//! 64 labels (too_many_labels)`).

use super::error::{fail, from_error};
use super::panic::{boundary, FfiResult};
use super::pipeline::logcap_pipeline;
use super::pointer::{bytes, try_ref};
use super::result::logcap_result;
use super::types::level;
use logcap_core::record::{RecordError, Writer};
use logcap_core::{Error, Pipeline};
use std::cell::RefCell;

/// The calling thread's writer and its open record, if any.
struct ThreadWriter {
    writer: Writer,
    open: Option<Open>,
}

/// The record open on a thread.
struct Open {
    /// The pipeline given to begin: the commit submits there. NULL when begin was given NULL
    /// (the record has failed then).
    pipeline: *const logcap_pipeline,
    /// The first failure, if any: the record is refused at commit with it.
    failed: Option<Failure>,
    /// Labels and fields written so far, to name an item in a detail.
    labels: usize,
    fields: usize,
}

/// Why a record failed.
struct Failure {
    code: logcap_result,
    detail: String,
    /// A fault of the record itself, answered at commit as the packed record's is.
    record: Option<RecordError>,
}

thread_local! {
    // Freed at thread exit with whatever it holds: an open record there is discarded.
    static WRITER: RefCell<ThreadWriter> = const {
        RefCell::new(ThreadWriter { writer: Writer::new(), open: None })
    };
}

/// Runs `f` on the calling thread's writer.
fn with_writer<R>(f: impl FnOnce(&mut ThreadWriter) -> FfiResult<R>) -> FfiResult<R> {
    WRITER
        .try_with(|w| match w.try_borrow_mut() {
            Ok(mut tw) => f(&mut tw),
            Err(_) => Err(busy()),
        })
        .unwrap_or_else(|_| Err(exiting()))
}

/// A writer call made while the thread's writer is committing: from a processor hook, which
/// runs on the committing thread.
#[cold]
fn busy() -> logcap_result {
    fail(
        logcap_result::InvalidArgument,
        "the record writer is committing on this thread: a processor hook cannot log through it",
    )
}

#[cold]
fn exiting() -> logcap_result {
    fail(
        logcap_result::InvalidArgument,
        "the thread is exiting: its record writer is gone",
    )
}

#[cold]
fn not_open() -> logcap_result {
    fail(
        logcap_result::InvalidArgument,
        "no record is open on this thread: call logcap_write_begin first",
    )
}

/// The detail of a record fault found at `item`.
fn record_failure(item: &str, e: RecordError) -> Failure {
    let code = if e.kind.is_limit() {
        logcap_result::Limit
    } else {
        // An empty key: what every setter of the C ABI answers for one.
        logcap_result::InvalidArgument
    };
    Failure {
        code,
        detail: format!("{item}: {} ({})", e.kind, e.kind.name()),
        record: Some(e),
    }
}

/// Names a label or field by its position (from 1) and the start of its key.
fn item(what: &str, n: usize, key: &[u8]) -> String {
    const SHOWN: usize = 32;
    let shown = String::from_utf8_lossy(&key[..key.len().min(SHOWN)]);
    let more = if key.len() > SHOWN { "…" } else { "" };
    format!("{what} {n} ({shown:?}{more})")
}

impl Open {
    /// Fails the record with `f`, unless it has failed already; returns the record's code.
    #[cold]
    fn fail_with(&mut self, f: Failure) -> logcap_result {
        let f = self.failed.get_or_insert(f);
        fail(f.code, f.detail.clone())
    }
}

/// Runs one item call: on the open record unless it has failed (then its first code again),
/// and a failure of this call fails the record.
fn item_call(f: impl FnOnce(&mut Writer, &mut Open) -> Result<(), Failure>) -> logcap_result {
    boundary(|| {
        with_writer(|tw| {
            let open = tw.open.as_mut().ok_or_else(not_open)?;
            if let Some(failed) = &open.failed {
                return Err(fail(failed.code, failed.detail.clone()));
            }
            match f(&mut tw.writer, open) {
                Ok(()) => Ok(()),
                Err(failure) => Err(open.fail_with(failure)),
            }
        })
    })
}

/// An argument's bytes, or the failure that NULL with a length is.
fn arg<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a [u8], Failure> {
    bytes(ptr, len, what).map_err(|code| Failure {
        code,
        detail: crate::error::last_detail(),
        record: None,
    })
}

/// Opens a record on the calling thread for `pipeline`, at `level` (a logcap_level), with a
/// message of `len` bytes: the start of a log event written as a sequence of calls
/// (logcap_write_label, logcap_write_str and the other typed fields, logcap_write_trace,
/// logcap_write_timestamp), ended by logcap_write_commit or logcap_write_abort.
///
/// Does not take ownership of `pipeline` or `message`; the message is copied. The record is
/// the calling thread's: the later calls take no handle and apply to it, and only this
/// thread can end it. It holds `pipeline` until it ends, so freeing that pipeline while a
/// record is open for it (on any thread) and then calling logcap_write_commit is a
/// use-after-free, as any use of a freed pipeline is (logcap_write_abort does not touch the
/// pipeline and stays safe).
///
/// A record below the pipeline's minimum level is judged but not encoded: the later calls do
/// only their checks, and commit counts it as dropped by level, as a packed record is counted.
///
/// On an invalid argument (NULL `pipeline`: LOGCAP_RESULT_NULL_ARGUMENT; `level` above 5 or a
/// NULL `message` with a length: LOGCAP_RESULT_INVALID_ARGUMENT, LOGCAP_RESULT_NULL_ARGUMENT;
/// a message over LOGCAP_MAX_MESSAGE_BYTES: LOGCAP_RESULT_LIMIT) the record is opened all the
/// same, failed: its later calls return that code and commit returns it. When a record is open
/// on the thread already, LOGCAP_RESULT_INVALID_ARGUMENT: nothing is opened, and the open
/// record fails with that error (records cannot nest; nothing half-written is submitted).
#[no_mangle]
pub extern "C" fn logcap_write_begin(
    pipeline: *const logcap_pipeline,
    level: u32,
    message: *const u8,
    len: usize,
) -> logcap_result {
    boundary(|| {
        with_writer(|tw| {
            if let Some(open) = &mut tw.open {
                let detail = "logcap_write_begin was called while a record was open on this \
                              thread: that record fails (records cannot nest)";
                return Err(open.fail_with(Failure {
                    code: logcap_result::InvalidArgument,
                    detail: detail.into(),
                    record: None,
                }));
            }
            let open = tw.open.insert(Open {
                pipeline,
                failed: None,
                labels: 0,
                fields: 0,
            });
            let begun = (|| {
                let p: &Pipeline = try_ref(pipeline)?;
                let l = self::level(level)?;
                let msg = bytes(message, len, "message")?;
                Ok((p, l, msg))
            })();
            let (p, l, msg) = match begun {
                Ok(v) => v,
                Err(code) => {
                    let failure = Failure {
                        code,
                        detail: crate::error::last_detail(),
                        record: None,
                    };
                    tw.writer.reset();
                    return Err(open.fail_with(failure));
                }
            };
            match tw.writer.begin(l, msg, p.enabled(l)) {
                Ok(()) => Ok(()),
                Err(e) => Err(open.fail_with(record_failure("message", e))),
            }
        })
    })
}

/// Adds a label (a low-cardinality stream label) to the calling thread's open record. Labels
/// and fields may come in any order; a key given twice keeps its last value.
///
/// Does not take ownership of the strings; they are copied. LOGCAP_RESULT_LIMIT beyond 64
/// labels, for a key over 1024 bytes or a record over 1 MiB; LOGCAP_RESULT_INVALID_ARGUMENT
/// for an empty key or when no record is open; LOGCAP_RESULT_NULL_ARGUMENT for NULL with a
/// length. A failure fails the record (see logcap_write_begin).
#[no_mangle]
pub extern "C" fn logcap_write_label(
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
) -> logcap_result {
    item_call(|w, open| {
        let n = open.labels + 1;
        let k = arg(key, key_len, "key")?;
        let v = arg(value, value_len, "value")?;
        w.label(k, v)
            .map_err(|e| record_failure(&item("label", n, k), e))?;
        open.labels = n;
        Ok(())
    })
}

/// A field's value as it crosses the ABI.
enum FieldValue {
    Str(*const u8, usize),
    I64(i64),
    U64(u64),
    F64(f64),
    Bool(bool),
}

/// Adds a field, counting it for the details.
fn field_call(key: *const u8, key_len: usize, value: FieldValue) -> logcap_result {
    item_call(|w, open| {
        let n = open.fields + 1;
        let k = arg(key, key_len, "key")?;
        let written = match value {
            FieldValue::Str(ptr, len) => w.field_str(k, arg(ptr, len, "value")?),
            FieldValue::I64(v) => w.field_i64(k, v),
            FieldValue::U64(v) => w.field_u64(k, v),
            FieldValue::F64(v) => w.field_f64(k, v),
            FieldValue::Bool(v) => w.field_bool(k, v),
        };
        written.map_err(|e| record_failure(&item("field", n, k), e))?;
        open.fields = n;
        Ok(())
    })
}

/// Adds a string field to the calling thread's open record.
///
/// Does not take ownership of the strings; they are copied. LOGCAP_RESULT_LIMIT beyond 1024
/// fields, for a key over 1024 bytes or a record over 1 MiB; otherwise as logcap_write_label.
#[no_mangle]
pub extern "C" fn logcap_write_str(
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
) -> logcap_result {
    field_call(key, key_len, FieldValue::Str(value, value_len))
}

/// Adds a signed integer field to the calling thread's open record (as logcap_write_str).
#[no_mangle]
pub extern "C" fn logcap_write_i64(key: *const u8, key_len: usize, value: i64) -> logcap_result {
    field_call(key, key_len, FieldValue::I64(value))
}

/// Adds an unsigned integer field to the calling thread's open record (as logcap_write_str).
#[no_mangle]
pub extern "C" fn logcap_write_u64(key: *const u8, key_len: usize, value: u64) -> logcap_result {
    field_call(key, key_len, FieldValue::U64(value))
}

/// Adds a double field to the calling thread's open record (as logcap_write_str; NaN and the
/// infinities are written as strings in JSON).
#[no_mangle]
pub extern "C" fn logcap_write_f64(key: *const u8, key_len: usize, value: f64) -> logcap_result {
    field_call(key, key_len, FieldValue::F64(value))
}

/// Adds a boolean field to the calling thread's open record (as logcap_write_str).
#[no_mangle]
pub extern "C" fn logcap_write_bool(key: *const u8, key_len: usize, value: bool) -> logcap_result {
    field_call(key, key_len, FieldValue::Bool(value))
}

/// Sets the trace context of the calling thread's open record: its trace id and span id
/// (either may be empty: absent), replacing any set before.
///
/// Does not take ownership of the strings; they are copied. LOGCAP_RESULT_LIMIT for a record
/// over 1 MiB; otherwise as logcap_write_label.
#[no_mangle]
pub extern "C" fn logcap_write_trace(
    trace_id: *const u8,
    trace_id_len: usize,
    span_id: *const u8,
    span_id_len: usize,
) -> logcap_result {
    item_call(|w, _| {
        let t = arg(trace_id, trace_id_len, "trace_id")?;
        let s = arg(span_id, span_id_len, "span_id")?;
        w.trace(t, s)
            .map_err(|e| record_failure("the trace context", e))
    })
}

/// Sets the timestamp of the calling thread's open record, in nanoseconds since the Unix
/// epoch; 0 (the default) stamps the entry when it is committed.
/// LOGCAP_RESULT_INVALID_ARGUMENT when no record is open.
#[no_mangle]
pub extern "C" fn logcap_write_timestamp(timestamp_ns: u64) -> logcap_result {
    item_call(|w, _| {
        w.timestamp(timestamp_ns);
        Ok(())
    })
}

/// Ends the calling thread's open record and submits it to the pipeline given to
/// logcap_write_begin, as logcap_pipeline_submit_record submits a packed record: the same
/// result, the same counters.
///
/// The record ends whatever the result. A failed record is not submitted: commit returns its
/// first failure's code, and logcap_last_error() its detail; a limit is counted in
/// refused_limit then, exactly as the packed record's is (after close: LOGCAP_RESULT_CLOSED,
/// not counted). A record below the minimum level is counted as dropped (OK). Otherwise as
/// logcap_submit: LOGCAP_RESULT_CLOSED, QUEUE_FULL, TIMEOUT. LOGCAP_RESULT_INVALID_ARGUMENT
/// when no record is open. A processor hook runs on the committing thread: a writer call it
/// makes gets LOGCAP_RESULT_INVALID_ARGUMENT (the writer is busy committing); a hook logs with
/// logcap_pipeline_submit_record or the handle API instead.
#[no_mangle]
pub extern "C" fn logcap_write_commit() -> logcap_result {
    boundary(|| {
        // The writer stays borrowed while the record is submitted: a processor hook that runs
        // on this thread meanwhile and calls the writer is told it is busy.
        with_writer(|tw| {
            let open = tw.open.take().ok_or_else(not_open)?;
            let r = commit(&open, &mut tw.writer);
            tw.writer.reset();
            r
        })
    })
}

fn commit(open: &Open, writer: &mut Writer) -> FfiResult {
    if let Some(f) = &open.failed {
        let refused = match (f.record, try_ref(open.pipeline)) {
            (Some(e), Ok(p)) => p.refuse_record(e),
            _ => return Err(fail(f.code, f.detail.clone())),
        };
        return Err(match refused {
            Error::Record(_) => fail(f.code, f.detail.clone()),
            other => from_error(&other),
        });
    }
    let p: &Pipeline = try_ref(open.pipeline)?;
    if !writer.encoding() {
        return p.submit_below_level().map_err(|e| from_error(&e));
    }
    p.submit_written(writer).map_err(|e| from_error(&e))
}

/// Ends the calling thread's open record without submitting it. Does not touch the record's
/// pipeline. Returns the code of the record's first failure if it had failed (with its
/// detail in logcap_last_error()), OK otherwise, and OK when no record is open: a no-op,
/// safe in any cleanup path.
#[no_mangle]
pub extern "C" fn logcap_write_abort() -> logcap_result {
    boundary(|| {
        with_writer(|tw| {
            let Some(open) = tw.open.take() else {
                return Ok(());
            };
            tw.writer.reset();
            match open.failed {
                Some(f) => Err(fail(f.code, f.detail)),
                None => Ok(()),
            }
        })
    })
}
