//! Output encodings: JSON lines and a human-readable, logfmt-like text line.
//!
//! Every encoder appends exactly one line, terminated by `\n`, to a caller-owned buffer, so a
//! sink can encode a whole batch into one reused `Vec<u8>` and write it with one call. The
//! exact formats are documented in `docs/output.md`.
//!
//! ```
//! use logcap_core::encode::{encode, Format};
//! use logcap_core::EntryData;
//!
//! let mut e = EntryData::new();
//! e.set_timestamp_ns(1_795_812_128_123_456_789);
//! e.set_message("request completed");
//! e.set_label("service", "checkout").unwrap();
//! e.set_field("status", 200i64).unwrap();
//!
//! let mut out = Vec::new();
//! encode(Format::Json, &e, &mut out);
//! encode("text".parse().unwrap(), &e, &mut out);
//! assert_eq!(
//!     String::from_utf8(out).unwrap(),
//!     "{\"ts\":\"2026-11-27T20:42:08.123456789Z\",\"level\":\"info\",\"msg\":\"request completed\",\
//!      \"labels\":{\"service\":\"checkout\"},\"fields\":{\"status\":200}}\n\
//!      2026-11-27T20:42:08.123Z INFO request completed service=checkout status=200\n"
//! );
//! ```

pub mod json;
#[cfg(feature = "loki")]
pub mod loki;
#[cfg(feature = "otlp")]
pub mod otlp;
#[cfg(feature = "syslog")]
pub mod syslog;
pub mod text;
pub mod time;

use crate::batch::{Batch, FORMATS};
use crate::entry::EntryData;
#[cfg(any(feature = "loki", feature = "syslog"))]
use crate::entry::ValueRef;

pub use crate::config::{Format, UnknownFormat};

/// Appends one entry to `out` in `format`: exactly one line, terminated by `\n`.
#[inline]
pub fn encode(format: Format, e: &EntryData, out: &mut Vec<u8>) {
    match format {
        Format::Json => json::encode(e, out),
        Format::Text => text::encode(e, out),
    }
}

/// Appends every entry to `out` in `format`, one line each, in order.
pub fn encode_all<'a>(
    format: Format,
    entries: impl IntoIterator<Item = &'a EntryData>,
    out: &mut Vec<u8>,
) {
    match format {
        Format::Json => entries.into_iter().for_each(|e| json::encode(e, out)),
        Format::Text => entries.into_iter().for_each(|e| text::encode(e, out)),
    }
}

impl Batch {
    /// The whole batch encoded in `format`, one line per entry. Encoded once, on first use, and
    /// shared by every sink that asks for the same format.
    pub fn encoded(&self, format: Format) -> &[u8] {
        let cell = self.encoded_cell(format as usize);
        cell.get_or_init(|| {
            let mut out = Vec::with_capacity(self.iter().map(EntryData::size_hint).sum());
            encode_all(format, self.iter(), &mut out);
            out
        })
    }
}

// A batch keeps one encoding per format, by the format's index.
const _: () = assert!(Format::ALL.len() == FORMATS);

/// The plain text of a field value, replacing `out`: a string as is, numbers as in JSON
/// (`200`, `12.5`, `NaN`), `true` / `false`. For formats whose values are all text (Loki
/// structured metadata, syslog structured data).
#[cfg(any(feature = "loki", feature = "syslog"))]
pub(crate) fn value_text(v: ValueRef<'_>, out: &mut String) {
    out.clear();
    match v {
        ValueRef::Str(s) => out.push_str(s),
        ValueRef::I64(n) => out.push_str(itoa::Buffer::new().format(n)),
        ValueRef::U64(n) => out.push_str(itoa::Buffer::new().format(n)),
        ValueRef::F64(n) if n.is_finite() => out.push_str(ryu::Buffer::new().format_finite(n)),
        ValueRef::F64(n) => out.push_str(json::non_finite_name(n)),
        ValueRef::Bool(b) => out.push_str(if b { "true" } else { "false" }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_parse_strictly() {
        for f in Format::ALL {
            assert_eq!(f.as_str().parse::<Format>().unwrap(), f);
            assert_eq!(f.to_string(), f.as_str());
        }
        assert_eq!(
            "JSON".parse::<Format>(),
            Err(UnknownFormat("JSON".to_owned()))
        );
        assert!("logfmt".parse::<Format>().is_err());
        assert_eq!(Format::default(), Format::Json);
    }

    #[test]
    fn format_deserializes_from_lower_case_names() {
        let f: Vec<Format> = serde_json::from_str(r#"["json", "text"]"#).unwrap();
        assert_eq!(f, [Format::Json, Format::Text]);
        let err = serde_json::from_str::<Format>(r#""xml""#).unwrap_err();
        assert!(err.to_string().contains("unknown format \"xml\""), "{err}");
        assert!(serde_json::from_str::<Format>(r#""Text""#).is_err());
        assert!(serde_json::from_str::<Format>("1").is_err());
    }

    #[test]
    fn encode_all_writes_one_line_per_entry_in_order() {
        let entries: Vec<EntryData> = (0..3)
            .map(|i| {
                let mut e = EntryData::new();
                e.set_message(&format!("m{i}\nsecond line"));
                e
            })
            .collect();
        for format in Format::ALL {
            let mut out = Vec::new();
            encode_all(format, &entries, &mut out);
            let text = String::from_utf8(out).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len(), 3, "{format}: {text:?}");
            assert!(text.ends_with('\n'));
            for (i, l) in lines.iter().enumerate() {
                assert!(l.contains(&format!("m{i}\\nsecond line")), "{format}: {l}");
                let mut one = Vec::new();
                encode(format, &entries[i], &mut one);
                assert_eq!(one, format!("{l}\n").into_bytes());
            }
        }
    }

    #[test]
    fn a_batch_is_encoded_once_per_format_and_shared() {
        let batch = crate::batch::of_messages(3);
        for format in Format::ALL {
            let first = batch.encoded(format);
            let mut whole = Vec::new();
            encode_all(format, batch.iter(), &mut whole);
            assert_eq!(first, whole);
            // Every later caller (each sink) gets the same bytes, not an encoding of its own.
            assert!(std::ptr::eq(first, batch.encoded(format)), "{format}");
        }
        assert_ne!(batch.encoded(Format::Json), batch.encoded(Format::Text));
    }
}
