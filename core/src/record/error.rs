//! Why a packed record was refused.

use super::{MAX_KEY_BYTES, MAX_RECORD_BYTES, VERSION};
use crate::entry::{MAX_FIELDS, MAX_LABELS};
use std::fmt;

/// What is wrong with a packed record.
///
/// The [`name`](RecordErrorKind::name) of each kind is stable: the shared test vectors and the
/// bindings' tests refer to kinds by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordErrorKind {
    /// The first two bytes are not `'L' 'C'`.
    BadMagic,
    /// The version byte is not one this library reads.
    UnsupportedVersion,
    /// The level byte is not 0 to 5.
    BadLevel,
    /// The length in the header is not the length of the buffer.
    LengthMismatch,
    /// An item (header, string, type byte, value) runs past the end of the record.
    Truncated,
    /// The record is longer than [`MAX_RECORD_BYTES`].
    TooLarge,
    /// The label count is above [`MAX_LABELS`].
    TooManyLabels,
    /// The field count is above [`MAX_FIELDS`].
    TooManyFields,
    /// A label or field key is empty.
    EmptyKey,
    /// A label or field key is longer than [`MAX_KEY_BYTES`].
    KeyTooLong,
    /// A field's type byte is not 0 to 4.
    BadValueType,
    /// A bool value byte is neither 0 nor 1.
    BadBool,
    /// Bytes follow the last field.
    TrailingBytes,
}

impl RecordErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [RecordErrorKind; 13] = [
        RecordErrorKind::BadMagic,
        RecordErrorKind::UnsupportedVersion,
        RecordErrorKind::BadLevel,
        RecordErrorKind::LengthMismatch,
        RecordErrorKind::Truncated,
        RecordErrorKind::TooLarge,
        RecordErrorKind::TooManyLabels,
        RecordErrorKind::TooManyFields,
        RecordErrorKind::EmptyKey,
        RecordErrorKind::KeyTooLong,
        RecordErrorKind::BadValueType,
        RecordErrorKind::BadBool,
        RecordErrorKind::TrailingBytes,
    ];

    /// The stable snake_case name (`"bad_magic"`), as used by the test vectors.
    pub fn name(self) -> &'static str {
        match self {
            RecordErrorKind::BadMagic => "bad_magic",
            RecordErrorKind::UnsupportedVersion => "unsupported_version",
            RecordErrorKind::BadLevel => "bad_level",
            RecordErrorKind::LengthMismatch => "length_mismatch",
            RecordErrorKind::Truncated => "truncated",
            RecordErrorKind::TooLarge => "too_large",
            RecordErrorKind::TooManyLabels => "too_many_labels",
            RecordErrorKind::TooManyFields => "too_many_fields",
            RecordErrorKind::EmptyKey => "empty_key",
            RecordErrorKind::KeyTooLong => "key_too_long",
            RecordErrorKind::BadValueType => "bad_value_type",
            RecordErrorKind::BadBool => "bad_bool",
            RecordErrorKind::TrailingBytes => "trailing_bytes",
        }
    }
}

impl fmt::Display for RecordErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordErrorKind::BadMagic => f.write_str("the magic is not \"LC\""),
            RecordErrorKind::UnsupportedVersion => {
                write!(
                    f,
                    "unsupported version (this library reads version {VERSION})"
                )
            }
            RecordErrorKind::BadLevel => {
                f.write_str("the level is not one of 0 (trace) to 5 (fatal)")
            }
            RecordErrorKind::LengthMismatch => {
                f.write_str("the length in the header is not the length of the buffer")
            }
            RecordErrorKind::Truncated => f.write_str("an item runs past the end of the record"),
            RecordErrorKind::TooLarge => {
                write!(f, "the record is longer than {MAX_RECORD_BYTES} bytes")
            }
            RecordErrorKind::TooManyLabels => write!(f, "more than {MAX_LABELS} labels"),
            RecordErrorKind::TooManyFields => write!(f, "more than {MAX_FIELDS} fields"),
            RecordErrorKind::EmptyKey => f.write_str("a key is empty"),
            RecordErrorKind::KeyTooLong => write!(f, "a key is longer than {MAX_KEY_BYTES} bytes"),
            RecordErrorKind::BadValueType => {
                f.write_str("the field value type is not one of 0 (str) to 4 (bool)")
            }
            RecordErrorKind::BadBool => f.write_str("a bool value is neither 0 nor 1"),
            RecordErrorKind::TrailingBytes => f.write_str("bytes follow the last field"),
        }
    }
}

/// A refused packed record: what is wrong, and where.
///
/// `offset` is the byte offset, from the start of the record, of the item at fault: the
/// header field for header errors, the start (the length prefix) of a string or key, the type
/// byte, or the value. For [`RecordErrorKind::TrailingBytes`] it is the first extra byte. When
/// the encoder refuses an input, `offset` is where in the record the offending item would have
/// gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecordError {
    /// What is wrong.
    pub kind: RecordErrorKind,
    /// Where: a byte offset from the start of the record.
    pub offset: usize,
}

impl RecordError {
    pub(crate) fn new(kind: RecordErrorKind, offset: usize) -> Self {
        RecordError { kind, offset }
    }
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "malformed packed record at byte {}: {} ({})",
            self.offset,
            self.kind,
            self.kind.name()
        )
    }
}

impl std::error::Error for RecordError {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_snake_case_and_messages_carry_the_offset() {
        let names: HashSet<_> = RecordErrorKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names.len(), RecordErrorKind::ALL.len());
        for n in names {
            assert!(
                n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{n}"
            );
        }
        let msg = RecordError::new(RecordErrorKind::KeyTooLong, 57).to_string();
        assert_eq!(
            msg,
            "malformed packed record at byte 57: a key is longer than 1024 bytes (key_too_long)"
        );
    }
}
