//! The read-only batch view a callback sink receives.

use super::error::fail;
use super::panic::{boundary, FfiResult};
use super::pointer::{out, try_ref, Borrowed, Castable};
use super::result::logcap_result;
use super::types::{logcap_field_view, logcap_str};
use logcap_core::batch::Batch;
use logcap_core::config::Format;
use logcap_core::entry::EntryData;

/// A batch, as seen by a callback: read-only, valid only during the callback.
pub struct logcap_batch {
    _private: [u8; 0],
}

impl Castable for logcap_batch {
    type Ownership = Borrowed;
    type Rust = Batch;
    const NAME: &'static str = "batch";
}

/// One entry of a batch. The strings point into the batch: valid only during the callback.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct logcap_entry_view {
    /// A logcap_level.
    pub level: u32,
    /// Nanoseconds since the Unix epoch.
    pub timestamp_ns: u64,
    /// The message.
    pub message: logcap_str,
    /// The trace id (empty when absent).
    pub trace_id: logcap_str,
    /// The span id (empty when absent).
    pub span_id: logcap_str,
    /// How many labels (for logcap_batch_label).
    pub label_count: usize,
    /// How many fields (for logcap_batch_field).
    pub field_count: usize,
}

fn entry(b: &Batch, index: usize) -> FfiResult<&EntryData> {
    b.get(index).ok_or_else(|| {
        fail(
            logcap_result::InvalidArgument,
            format!(
                "entry index {index} is out of range: the batch has {}",
                b.len()
            ),
        )
    })
}

fn out_of_range(what: &str, i: usize, n: usize) -> logcap_result {
    fail(
        logcap_result::InvalidArgument,
        format!("{what} index {i} is out of range: the entry has {n}"),
    )
}

/// Writes the number of entries in the batch to `*out_len`.
#[no_mangle]
pub extern "C" fn logcap_batch_len(
    batch: *const logcap_batch,
    out_len: *mut usize,
) -> logcap_result {
    boundary(|| {
        let b = try_ref(batch)?;
        *out(out_len, "out_len")? = b.len();
        Ok(())
    })
}

/// Points `*out_json` at the whole batch encoded as JSON lines (docs/output.md), one line per
/// entry. Encoded once per batch and shared with the other sinks; valid only during the
/// callback.
#[no_mangle]
pub extern "C" fn logcap_batch_json(
    batch: *const logcap_batch,
    out_json: *mut logcap_str,
) -> logcap_result {
    boundary(|| {
        let b = try_ref(batch)?;
        let o = out(out_json, "out_json")?;
        let bytes = b.encoded(Format::Json);
        *o = logcap_str {
            ptr: bytes.as_ptr(),
            len: bytes.len(),
        };
        Ok(())
    })
}

/// Writes a view of the entry at `index` to `*out_entry`.
#[no_mangle]
pub extern "C" fn logcap_batch_entry(
    batch: *const logcap_batch,
    index: usize,
    out_entry: *mut logcap_entry_view,
) -> logcap_result {
    boundary(|| {
        let e = entry(try_ref(batch)?, index)?;
        *out(out_entry, "out_entry")? = logcap_entry_view {
            level: e.level() as u32,
            timestamp_ns: e.timestamp_ns(),
            message: logcap_str::of(e.message()),
            trace_id: logcap_str::of(e.trace_id().unwrap_or("")),
            span_id: logcap_str::of(e.span_id().unwrap_or("")),
            label_count: e.label_count(),
            field_count: e.field_count(),
        };
        Ok(())
    })
}

/// Writes the key and value of label `label_index` of entry `index`, in the order they were
/// set.
#[no_mangle]
pub extern "C" fn logcap_batch_label(
    batch: *const logcap_batch,
    index: usize,
    label_index: usize,
    out_key: *mut logcap_str,
    out_value: *mut logcap_str,
) -> logcap_result {
    boundary(|| {
        let e = entry(try_ref(batch)?, index)?;
        let (k, v) = e
            .label_at(label_index)
            .ok_or_else(|| out_of_range("label", label_index, e.label_count()))?;
        let (ok, ov) = (out(out_key, "out_key")?, out(out_value, "out_value")?);
        *ok = logcap_str::of(k);
        *ov = logcap_str::of(v);
        Ok(())
    })
}

/// Writes the key and typed value of field `field_index` of entry `index`, in the order they
/// were set.
#[no_mangle]
pub extern "C" fn logcap_batch_field(
    batch: *const logcap_batch,
    index: usize,
    field_index: usize,
    out_key: *mut logcap_str,
    out_value: *mut logcap_field_view,
) -> logcap_result {
    boundary(|| {
        let e = entry(try_ref(batch)?, index)?;
        let (k, v) = e
            .field_at(field_index)
            .ok_or_else(|| out_of_range("field", field_index, e.field_count()))?;
        let (ok, ov) = (out(out_key, "out_key")?, out(out_value, "out_value")?);
        *ok = logcap_str::of(k);
        *ov = logcap_field_view::from_value(v);
        Ok(())
    })
}
