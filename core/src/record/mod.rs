//! The packed record: a whole log entry in one little-endian buffer, so that a binding makes
//! one foreign call per log call.
//!
//! A binding encodes the entry in its own language into a buffer it reuses, and submits the
//! buffer; [`decode_into`] fills a pooled entry straight from those bytes. Version 1 of the
//! layout (every integer little-endian, `str` = u32 byte length then the UTF-8 bytes):
//!
//! ```text
//! offset size
//! 0      2   magic: 'L' 'C'
//! 2      1   version: 1
//! 3      1   level: 0 trace, 1 debug, 2 info, 3 warn, 4 error, 5 fatal
//! 4      4   u32 total record length in bytes, header included
//! 8      8   u64 timestamp, ns since the Unix epoch; 0 = stamped by the pipeline at submit
//! 16     2   u16 label count
//! 18     2   u16 field count
//! 20     ... str message, str trace_id, str span_id (empty = absent)
//!            label_count × (str key, str value)
//!            field_count × (str key, u8 type, payload)
//! type: 0 str (payload: str), 1 i64, 2 u64, 3 f64 (8 bytes each; f64 as its IEEE 754 bits),
//!       4 bool (1 byte, 0 or 1)
//! ```
//!
//! [`Writer`] encodes a record item by item, for callers that log through a sequence of calls
//! (the C ABI's `logcap_write_*`).
//!
//! docs/record-format.md describes it byte by byte, with its limits and an example; the shared
//! test vectors are in tests/vectors/records.json.
//!
//! ```
//! use logcap_core::record::{decode_into, encode, Record};
//! use logcap_core::{EntryData, Level, ValueRef};
//!
//! let mut buf = Vec::new();
//! let rec = Record {
//!     level: Level::Warn,
//!     message: "disk almost full",
//!     labels: &[("service", "store")],
//!     fields: &[("free_pct", ValueRef::F64(3.5))],
//!     ..Record::default()
//! };
//! encode(&rec, &mut buf).unwrap();
//!
//! let mut e = EntryData::new();
//! decode_into(&buf, &mut e).unwrap();
//! assert_eq!(e.message(), "disk almost full");
//! assert_eq!(e.field("free_pct"), Some(ValueRef::F64(3.5)));
//!
//! let err = decode_into(&buf[..buf.len() - 1], &mut e).unwrap_err();
//! assert_eq!(err.kind.name(), "length_mismatch");
//! ```

mod decode;
mod encode;
mod error;
mod fast;
#[cfg(test)]
mod tests;
mod writer;

pub use decode::{check, decode_into, unpack_into};
pub(crate) use decode::{expand, expanded, pack_checked};
pub use encode::{encode, encode_entry, Record};
pub use error::{RecordError, RecordErrorKind};
pub(crate) use fast::header;
pub use writer::{Writer, WRITER_RETAINED_BYTES};

/// The first two bytes of every record.
pub const MAGIC: [u8; 2] = *b"LC";
/// The layout version this library writes and reads.
pub const VERSION: u8 = 1;
/// The length of the fixed header, before the message.
pub const HEADER_LEN: usize = 20;
/// The longest record accepted, in bytes, header included (1 MiB).
pub const MAX_RECORD_BYTES: usize = 1 << 20;
/// The longest label or field key accepted, in bytes as encoded: the entry's own limit.
pub const MAX_KEY_BYTES: usize = crate::entry::MAX_KEY_BYTES;
