//! Severity levels.

use std::fmt;
use std::str::FromStr;

/// The severity of an entry, from least to most severe.
///
/// The numeric values are part of the C ABI and of the packed record format: never renumber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(u8)]
pub enum Level {
    /// Very fine-grained diagnostics.
    Trace = 0,
    /// Diagnostics useful while developing.
    Debug = 1,
    /// Normal operation.
    #[default]
    Info = 2,
    /// Something unexpected that the program handled.
    Warn = 3,
    /// An operation failed.
    Error = 4,
    /// The program cannot go on.
    Fatal = 5,
}

impl Level {
    /// Every level, from least to most severe.
    pub const ALL: [Level; 6] = [
        Level::Trace,
        Level::Debug,
        Level::Info,
        Level::Warn,
        Level::Error,
        Level::Fatal,
    ];

    /// The level with this numeric value, if there is one.
    pub fn from_u8(v: u8) -> Option<Level> {
        Level::ALL.get(usize::from(v)).copied()
    }

    /// The lower-case name used in configuration and output (`"info"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
            Level::Fatal => "fatal",
        }
    }

    /// The upper-case name used by the text encoding (`"INFO"`).
    pub fn as_upper_str(self) -> &'static str {
        match self {
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
            Level::Fatal => "FATAL",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error for a level name that is not one of the six.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLevel(pub String);

impl fmt::Display for UnknownLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown level {:?}: expected one of trace, debug, info, warn, error, fatal",
            self.0
        )
    }
}

impl std::error::Error for UnknownLevel {}

impl FromStr for Level {
    type Err = UnknownLevel;

    /// Parses a level name, ignoring ASCII case; `"warning"` is accepted for `warn`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let found = Level::ALL
            .iter()
            .copied()
            .find(|l| l.as_str().eq_ignore_ascii_case(s));
        match found {
            Some(l) => Ok(l),
            None if s.eq_ignore_ascii_case("warning") => Ok(Level::Warn),
            None => Err(UnknownLevel(s.to_owned())),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Level {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_order_holds() {
        for (i, l) in Level::ALL.iter().enumerate() {
            assert_eq!(Level::from_u8(i as u8), Some(*l));
            assert_eq!(l.as_str().parse::<Level>().unwrap(), *l);
            assert_eq!(l.as_upper_str().parse::<Level>().unwrap(), *l);
        }
        assert_eq!(Level::from_u8(6), None);
        assert!(Level::Trace < Level::Fatal);
        assert_eq!("WARNING".parse::<Level>().unwrap(), Level::Warn);
        let err = "loud".parse::<Level>().unwrap_err();
        assert!(err.to_string().contains("\"loud\""));
    }
}
