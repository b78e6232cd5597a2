//! Redaction: values of configured label and field keys are replaced by a censor string, and
//! configured patterns are masked in the message and in string field values.
//!
//! Keys are matched without regard to ASCII case, with `*` standing for any run of
//! characters anywhere in the key (`password`, `*token*`, `x-api-*`, `*secret`). A field
//! matched by key is replaced whatever its type (it becomes the censor string). Patterns are
//! regular expressions (the `regex` crate's syntax, linear time) or one of the built-in names
//! in [`BUILTIN_PATTERNS`]; each match is replaced by the censor. Label values are redacted by
//! key only: labels are low-cardinality stream labels, not free text.
//!
//! Patterns need the cargo feature `regex` (on by default); without it, a configuration with
//! patterns is refused, naming the feature, and keys work as ever.

use crate::config::{ConfigError, RedactConfig};
use crate::entry::{EntryData, ValueRef};
#[cfg(feature = "regex")]
use regex::{Captures, NoExpand, Regex, Replacer};
#[cfg(feature = "regex")]
use std::borrow::Cow;

/// The built-in pattern names, with what they match. `credit_card` also checks the Luhn
/// digit, so that order numbers and timestamps are left alone.
pub const BUILTIN_PATTERNS: [(&str, &str); 4] = [
    // 13 to 19 digits, optionally grouped by single spaces or dashes. ASCII word boundaries
    // (`(?-u:\b)`) keep the expressions on the fast DFA path.
    ("credit_card", r"(?-u:\b)(?:[0-9][ -]?){12,18}[0-9](?-u:\b)"),
    // An HTTP bearer credential, the word included.
    (
        "bearer_token",
        r"(?-u:\b)(?i:bearer)\s+[A-Za-z0-9\-._~+/]+=*",
    ),
    (
        "email",
        r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}",
    ),
    // A JSON Web Token: three base64url parts, the first a JSON object (`eyJ`).
    (
        "jwt",
        r"(?-u:\b)eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*",
    ),
];

pub use crate::config::DEFAULT_CENSOR;

#[cfg(feature = "regex")]
struct Pattern {
    re: Regex,
    luhn: bool,
}

/// A key pattern split at its stars: `*tok*en` is `["", "tok", "en"]`.
struct KeyGlob {
    parts: Vec<Box<[u8]>>,
    /// The literal bytes' [`byte_mask`]: a key lacking any of them cannot match.
    mask: u64,
    /// The literal bytes' count: a shorter key cannot match.
    min_len: usize,
}

/// A 64-bit set of the ASCII-case-folded bytes of `s` (bit `b & 63`). Keys repeat from entry
/// to entry and almost never match, so one pass over the key and a mask test per pattern
/// rejects nearly every key without comparing strings.
#[inline]
fn byte_mask(s: &[u8]) -> u64 {
    s.iter()
        .fold(0, |m, b| m | 1 << (b.to_ascii_lowercase() & 63))
}

/// The redaction stage of one pipeline.
pub(crate) struct Redactor {
    keys: Vec<KeyGlob>,
    #[cfg(feature = "regex")]
    patterns: Vec<Pattern>,
    /// Every pattern in one expression: a string that does not match it is left alone after
    /// one scan.
    #[cfg(feature = "regex")]
    any: Option<Regex>,
    censor: String,
}

impl Redactor {
    /// Compiles the configuration; errors name the key (`redact.patterns[1]`).
    pub(crate) fn new(cfg: &RedactConfig) -> Result<Redactor, ConfigError> {
        let mut keys = Vec::with_capacity(cfg.keys.len());
        for (i, k) in cfg.keys.iter().enumerate() {
            if k.is_empty() {
                return Err(ConfigError::new(
                    format!("redact.keys[{i}]"),
                    "must not be empty",
                ));
            }
            let literal: Vec<u8> = k.bytes().filter(|&b| b != b'*').collect();
            keys.push(KeyGlob {
                parts: k.split('*').map(|p| p.as_bytes().into()).collect(),
                mask: byte_mask(&literal),
                min_len: literal.len(),
            });
        }
        #[cfg(feature = "regex")]
        let (patterns, any) = compile_patterns(&cfg.patterns)?;
        #[cfg(not(feature = "regex"))]
        if !cfg.patterns.is_empty() {
            return Err(ConfigError::new(
                "redact.patterns",
                "patterns are not in this build: logcap was built without the cargo feature `regex`",
            ));
        }
        Ok(Redactor {
            keys,
            #[cfg(feature = "regex")]
            patterns,
            #[cfg(feature = "regex")]
            any,
            censor: cfg.censor.clone(),
        })
    }

    /// Whether the stage would change anything at all.
    pub(crate) fn is_active(&self) -> bool {
        #[cfg(feature = "regex")]
        let patterns = !self.patterns.is_empty();
        #[cfg(not(feature = "regex"))]
        let patterns = false;
        !self.keys.is_empty() || patterns
    }

    /// Whether a label or field key is to be redacted.
    #[inline]
    pub(crate) fn key_matches(&self, key: &str) -> bool {
        let key = key.as_bytes();
        let mask = byte_mask(key);
        self.keys
            .iter()
            .any(|g| key.len() >= g.min_len && g.mask & !mask == 0 && g.matches(key))
    }

    /// Redacts an entry in place.
    pub(crate) fn apply(&self, e: &mut EntryData) {
        if !self.keys.is_empty() {
            for i in 0..e.label_count() {
                let Some((k, _)) = e.label_at(i) else { break };
                // A value that is the censor already is left as it is by the setter.
                if self.key_matches(k) {
                    e.set_label_value_at(i, &self.censor);
                }
            }
        }
        for i in 0..e.field_count() {
            let Some((k, v)) = e.field_at(i) else { break };
            if !self.keys.is_empty() && self.key_matches(k) {
                e.set_field_value_at(i, ValueRef::Str(&self.censor));
            } else if let ValueRef::Str(text) = v {
                if let Some(masked) = self.masked(text) {
                    e.set_field_value_at(i, ValueRef::Str(&masked));
                }
            }
        }
        if let Some(masked) = self.masked(e.message()) {
            e.set_message(&masked);
        }
    }

    /// `s` with every pattern masked, or `None` when no pattern replaced anything.
    #[cfg(not(feature = "regex"))]
    pub(crate) fn masked(&self, _: &str) -> Option<String> {
        None
    }

    /// `s` with every pattern masked, or `None` when no pattern replaced anything.
    #[cfg(feature = "regex")]
    pub(crate) fn masked(&self, s: &str) -> Option<String> {
        let any = self.any.as_ref()?;
        if !any.is_match(s) {
            return None;
        }
        let mut out = Cow::Borrowed(s);
        for p in &self.patterns {
            let masked = if p.luhn {
                p.re.replace_all(&out, LuhnCensor(&self.censor))
            } else {
                p.re.replace_all(&out, NoExpand(&self.censor))
            };
            if let Cow::Owned(m) = masked {
                out = Cow::Owned(m);
            }
        }
        match out {
            Cow::Owned(m) => Some(m),
            Cow::Borrowed(_) => None,
        }
    }
}

/// Compiles the patterns, each alone (to mask) and all in one (to skip what none matches).
#[cfg(feature = "regex")]
fn compile_patterns(configured: &[String]) -> Result<(Vec<Pattern>, Option<Regex>), ConfigError> {
    let mut patterns = Vec::with_capacity(configured.len());
    let mut sources = Vec::with_capacity(configured.len());
    for (i, p) in configured.iter().enumerate() {
        let builtin = BUILTIN_PATTERNS.iter().find(|(name, _)| name == p);
        let src = builtin.map_or(p.as_str(), |(_, re)| re);
        if src.is_empty() {
            return Err(ConfigError::new(
                format!("redact.patterns[{i}]"),
                "must not be empty",
            ));
        }
        let re = Regex::new(src).map_err(|e| {
            ConfigError::new(
                format!("redact.patterns[{i}]"),
                format!(
                    "not a built-in pattern name ({}) nor a valid regular expression: {e}",
                    BUILTIN_PATTERNS.map(|(n, _)| n).join(", ")
                ),
            )
        })?;
        patterns.push(Pattern {
            re,
            luhn: builtin.is_some_and(|(name, _)| *name == "credit_card"),
        });
        sources.push(format!("(?:{src})"));
    }
    let any = if sources.is_empty() {
        None
    } else {
        Some(Regex::new(&sources.join("|")).map_err(|e| {
            ConfigError::new(
                "redact.patterns",
                format!("the patterns do not combine: {e}"),
            )
        })?)
    };
    Ok((patterns, any))
}

impl KeyGlob {
    /// Matches `key`, ignoring ASCII case.
    fn matches(&self, key: &[u8]) -> bool {
        let parts = &self.parts;
        let (first, last) = (&parts[0], &parts[parts.len() - 1]);
        if parts.len() == 1 {
            return key.eq_ignore_ascii_case(first);
        }
        if key.len() < first.len() + last.len()
            || !key[..first.len()].eq_ignore_ascii_case(first)
            || !key[key.len() - last.len()..].eq_ignore_ascii_case(last)
        {
            return false;
        }
        let mut rest = &key[first.len()..key.len() - last.len()];
        for p in &parts[1..parts.len() - 1] {
            if p.is_empty() {
                continue;
            }
            match rest
                .windows(p.len())
                .position(|w| w.eq_ignore_ascii_case(p))
            {
                Some(i) => rest = &rest[i + p.len()..],
                None => return false,
            }
        }
        true
    }
}

/// Replaces a card-number candidate only when its Luhn check digit is right.
#[cfg(feature = "regex")]
struct LuhnCensor<'a>(&'a str);

#[cfg(feature = "regex")]
impl Replacer for LuhnCensor<'_> {
    fn replace_append(&mut self, caps: &Captures<'_>, dst: &mut String) {
        let m = &caps[0];
        dst.push_str(if luhn_valid(m) { self.0 } else { m });
    }
}

/// The Luhn check over the digits of `s` (separators skipped).
#[cfg(feature = "regex")]
fn luhn_valid(s: &str) -> bool {
    let mut sum = 0u32;
    let mut n = 0;
    for b in s.bytes().rev().filter(u8::is_ascii_digit) {
        let d = u32::from(b - b'0');
        sum += if n % 2 == 1 {
            let x = d * 2;
            if x > 9 {
                x - 9
            } else {
                x
            }
        } else {
            d
        };
        n += 1;
    }
    (13..=19).contains(&n) && sum.is_multiple_of(10)
}

#[cfg(all(test, feature = "regex"))]
mod tests {
    use super::*;

    fn redactor(keys: &[&str], patterns: &[&str]) -> Redactor {
        Redactor::new(&RedactConfig {
            keys: keys.iter().map(|s| s.to_string()).collect(),
            patterns: patterns.iter().map(|s| s.to_string()).collect(),
            censor: DEFAULT_CENSOR.into(),
        })
        .unwrap()
    }

    fn masked(r: &Redactor, s: &str) -> String {
        r.masked(s).unwrap_or_else(|| s.to_owned())
    }

    #[test]
    fn key_globs_match_case_insensitively() {
        let r = redactor(&["password", "*token*", "x-api-*", "*secret", "a*b*c"], &[]);
        for k in [
            "password",
            "PassWord",
            "token",
            "access_token",
            "X-Token-Id",
            "x-api-key",
            "X-API-",
            "client_secret",
            "SECRET",
            "abc",
            "a-b-c",
            "aXXbYYc",
        ] {
            assert!(r.key_matches(k), "{k}");
        }
        for k in [
            "passwords",
            "my_password",
            "tokn",
            "x-apikey",
            "secrets",
            "ab",
            "acb",
            "a-b-cd",
            "",
        ] {
            assert!(!r.key_matches(k), "{k}");
        }
        assert!(redactor(&["*"], &[]).key_matches("anything"));
    }

    #[test]
    fn built_in_patterns() {
        let r = redactor(&[], &["credit_card", "bearer_token", "email", "jwt"]);
        let cases = [
            ("card 4111 1111 1111 1111 ok", "card [REDACTED] ok"),
            ("card 4111-1111-1111-1111", "card [REDACTED]"),
            ("card 4111111111111111.", "card [REDACTED]."),
            // Fails the Luhn check: an order number, not a card.
            ("order 4111111111111112", "order 4111111111111112"),
            // Too short and too long digit runs are not cards.
            ("id 411111111111", "id 411111111111"),
            ("ts 17356896000000000000001", "ts 17356896000000000000001"),
            (
                "Authorization: Bearer abc.DEF-123_~+/==",
                "Authorization: [REDACTED]",
            ),
            ("bearer", "bearer"),
            (
                "mail jane.doe+x@mail.example.co.uk now",
                "mail [REDACTED] now",
            ),
            ("not@mail", "not@mail"),
            (
                "t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_nat-ure end",
                "t=[REDACTED] end",
            ),
            ("request completed", "request completed"),
        ];
        for (input, want) in cases {
            assert_eq!(masked(&r, input), want, "{input}");
        }
    }

    #[test]
    fn raw_regexes_and_a_custom_censor() {
        let r = Redactor::new(&RedactConfig {
            keys: vec![],
            patterns: vec![r"\d{16}".into(), "(?i)secret-[a-z]+".into()],
            censor: "***".into(),
        })
        .unwrap();
        assert_eq!(masked(&r, "n=1234567812345678 SECRET-abc x"), "n=*** *** x");
    }

    #[test]
    fn the_whole_entry_is_redacted_before_any_sink() {
        let r = redactor(&["password", "*token*", "auth"], &["email"]);
        let mut e = EntryData::new();
        e.set_message("login by jane@example.com");
        e.set_label("service", "auth").unwrap();
        e.set_label("Auth", "basic").unwrap();
        e.set_field("password", "hunter2").unwrap();
        e.set_field("refresh_token", 12345i64).unwrap();
        e.set_field("note", "mail bob@example.org").unwrap();
        e.set_field("status", 200i64).unwrap();
        r.apply(&mut e);
        assert_eq!(e.message(), "login by [REDACTED]");
        assert_eq!(e.label("service"), Some("auth"), "values are not keys");
        assert_eq!(e.label("Auth"), Some("[REDACTED]"));
        assert_eq!(e.field("password"), Some(ValueRef::Str("[REDACTED]")));
        assert_eq!(
            e.field("refresh_token"),
            Some(ValueRef::Str("[REDACTED]")),
            "any type is replaced"
        );
        assert_eq!(e.field("note"), Some(ValueRef::Str("mail [REDACTED]")));
        assert_eq!(e.field("status"), Some(ValueRef::I64(200)));
    }

    /// The library's build of `regex` leaves out the `Age` and break properties (core/Cargo.toml);
    /// everything else a redaction pattern is likely to use must still compile. (Tests build
    /// `regex` with every feature, through other crates' dev-dependencies, so the refusal of
    /// the left-out properties is not observable here.)
    #[test]
    fn unicode_classes_the_library_keeps_compile() {
        for ok in [
            r"\p{Greek}+",
            r"(?i)straße",
            r"\w+@\d+",
            r"\bkey\b",
            r"\p{Lu}\s",
        ] {
            let config = RedactConfig {
                keys: vec![],
                patterns: vec![ok.into()],
                censor: DEFAULT_CENSOR.into(),
            };
            assert!(Redactor::new(&config).is_ok(), "{ok} compiles");
        }
    }

    #[test]
    fn invalid_patterns_name_their_index() {
        let e = Redactor::new(&RedactConfig {
            keys: vec![],
            patterns: vec!["email".into(), "(unclosed".into()],
            censor: DEFAULT_CENSOR.into(),
        })
        .err()
        .unwrap();
        assert_eq!(e.key, "redact.patterns[1]");
        assert!(e.message.contains("regular expression"), "{e}");
        let e = Redactor::new(&RedactConfig {
            keys: vec!["ok".into(), String::new()],
            patterns: vec![],
            censor: DEFAULT_CENSOR.into(),
        })
        .err()
        .unwrap();
        assert_eq!(e.key, "redact.keys[1]");
    }

    #[test]
    fn luhn() {
        assert!(luhn_valid("4111111111111111"));
        assert!(luhn_valid("5500 0000 0000 0004"));
        assert!(luhn_valid("378282246310005"));
        assert!(!luhn_valid("4111111111111112"));
        assert!(!luhn_valid("0000000000"), "too short");
    }
}
