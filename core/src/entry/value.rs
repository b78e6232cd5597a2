//! Typed field values.

use super::arena::{Arena, Span};

/// The type of a field value. The numbers are part of the C ABI and the packed record format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum ValueKind {
    /// UTF-8 text.
    #[default]
    Str = 0,
    /// Signed 64-bit integer.
    I64 = 1,
    /// Unsigned 64-bit integer.
    U64 = 2,
    /// IEEE 754 double.
    F64 = 3,
    /// Boolean.
    Bool = 4,
}

impl ValueKind {
    /// The kind with this numeric value, if there is one.
    pub fn from_u8(v: u8) -> Option<ValueKind> {
        match v {
            0 => Some(ValueKind::Str),
            1 => Some(ValueKind::I64),
            2 => Some(ValueKind::U64),
            3 => Some(ValueKind::F64),
            4 => Some(ValueKind::Bool),
            _ => None,
        }
    }
}

/// A borrowed field value, as read from an entry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    /// Text.
    Str(&'a str),
    /// Signed integer.
    I64(i64),
    /// Unsigned integer.
    U64(u64),
    /// Double.
    F64(f64),
    /// Boolean.
    Bool(bool),
}

impl ValueRef<'_> {
    /// The kind of this value.
    pub fn kind(&self) -> ValueKind {
        match self {
            ValueRef::Str(_) => ValueKind::Str,
            ValueRef::I64(_) => ValueKind::I64,
            ValueRef::U64(_) => ValueKind::U64,
            ValueRef::F64(_) => ValueKind::F64,
            ValueRef::Bool(_) => ValueKind::Bool,
        }
    }

    /// An owned copy of this value.
    pub fn to_owned_value(&self) -> Value {
        match *self {
            ValueRef::Str(s) => Value::Str(s.to_owned()),
            ValueRef::I64(v) => Value::I64(v),
            ValueRef::U64(v) => Value::U64(v),
            ValueRef::F64(v) => Value::F64(v),
            ValueRef::Bool(v) => Value::Bool(v),
        }
    }
}

/// An owned field value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Text.
    Str(String),
    /// Signed integer.
    I64(i64),
    /// Unsigned integer.
    U64(u64),
    /// Double.
    F64(f64),
    /// Boolean.
    Bool(bool),
}

impl Value {
    /// A borrowed view of this value.
    pub fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Str(s) => ValueRef::Str(s),
            Value::I64(v) => ValueRef::I64(*v),
            Value::U64(v) => ValueRef::U64(*v),
            Value::F64(v) => ValueRef::F64(*v),
            Value::Bool(v) => ValueRef::Bool(*v),
        }
    }
}

impl<'a> From<&'a str> for ValueRef<'a> {
    fn from(v: &'a str) -> Self {
        ValueRef::Str(v)
    }
}
impl From<i64> for ValueRef<'_> {
    fn from(v: i64) -> Self {
        ValueRef::I64(v)
    }
}
impl From<u64> for ValueRef<'_> {
    fn from(v: u64) -> Self {
        ValueRef::U64(v)
    }
}
impl From<f64> for ValueRef<'_> {
    fn from(v: f64) -> Self {
        ValueRef::F64(v)
    }
}
impl From<bool> for ValueRef<'_> {
    fn from(v: bool) -> Self {
        ValueRef::Bool(v)
    }
}

/// A field value as an entry stores it: a string as a span of the entry's text.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stored {
    Str(Span),
    I64(i64),
    U64(u64),
    F64(f64),
    Bool(bool),
}

impl Stored {
    /// Stores `v`, appending a string to `text`.
    #[inline]
    pub(crate) fn new(v: ValueRef<'_>, text: &mut Arena) -> Stored {
        match v {
            ValueRef::Str(s) => Stored::Str(text.push(s)),
            ValueRef::I64(n) => Stored::I64(n),
            ValueRef::U64(n) => Stored::U64(n),
            ValueRef::F64(n) => Stored::F64(n),
            ValueRef::Bool(b) => Stored::Bool(b),
        }
    }

    /// The value, its string read from `text`.
    #[inline]
    pub(crate) fn get(self, text: &Arena) -> ValueRef<'_> {
        match self {
            Stored::Str(s) => ValueRef::Str(text.get(s)),
            Stored::I64(n) => ValueRef::I64(n),
            Stored::U64(n) => ValueRef::U64(n),
            Stored::F64(n) => ValueRef::F64(n),
            Stored::Bool(b) => ValueRef::Bool(b),
        }
    }

    /// Notes that the value's string, if it has one, is no longer referred to.
    #[inline]
    pub(crate) fn release(self, text: &mut Arena) {
        if let Stored::Str(s) = self {
            text.drop_span(s);
        }
    }

    /// The approximate encoded size of the value.
    #[inline]
    pub(crate) fn encoded_len(self) -> usize {
        match self {
            Stored::Str(s) => s.len() + 2,
            _ => 20,
        }
    }
}
