//! A human-readable, logfmt-like line per entry.
//!
//! ```text
//! 2026-11-27T20:42:08.123Z INFO request completed service=checkout env=prod status=200 trace_id=4bf92f35
//! ```
//!
//! Rules (also in `docs/output.md`):
//!
//! - Parts are separated by one space: timestamp, level, message, then every label, every
//!   field, `trace_id` and `span_id`, each as `key=value`.
//! - The timestamp is RFC 3339 UTC truncated to the millisecond: `2026-11-27T20:42:08.123Z`.
//! - The level is upper case and not padded: `TRACE` `DEBUG` `INFO` `WARN` `ERROR` `FATAL`.
//! - The message is written as is, spaces included, unless it contains `=`, `"`, a control
//!   character (U+0000–U+001F, U+007F, U+0085) or a line or paragraph separator (U+2028,
//!   U+2029), or starts or ends with a space: then it is quoted. An empty message is left out
//!   (with its separating space).
//! - Labels come in insertion order, then fields in insertion order, then `trace_id=…` and
//!   `span_id=…` when present.
//! - A key or a string value is quoted when it is empty or contains a space, `=`, `"`, a control
//!   character or a line or paragraph separator; otherwise it is written as is.
//! - Quoted text is a valid JSON string literal: `"` and `\` are escaped, `\n` `\r` `\t` `\b`
//!   `\f` are used for those characters, other control characters become `\u00XX`, and U+0085,
//!   U+2028 and U+2029 become `\u0085`, `\u2028`, `\u2029`. So an entry is always one line.
//! - Integers are written in decimal, floats in their shortest exact form (`12.5`, `200.0`,
//!   `1e300`) or as `NaN`, `Infinity`, `-Infinity`; booleans as `true` / `false`.

use super::json::{non_finite_name, write_escaped, write_finite_f64, TEXT_ESCAPES};
use super::time::write_rfc3339_millis;
use crate::entry::{EntryData, ValueRef};

/// Whether `s` holds a byte sequence that forces quoting: a control character, DEL, `=`, `"`,
/// U+0085, U+2028 or U+2029, and also a space unless `spaces_ok`.
#[inline]
fn has_special(s: &str, spaces_ok: bool) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().any(|(i, &c)| match c {
        b' ' => !spaces_ok,
        0x00..=0x1F | 0x7F | b'=' | b'"' => true,
        0xC2 => b.get(i + 1) == Some(&0x85),
        0xE2 => b.get(i + 1) == Some(&0x80) && matches!(b.get(i + 2), Some(0xA8 | 0xA9)),
        _ => false,
    })
}

#[inline]
fn write_quoted(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    write_escaped(&TEXT_ESCAPES, s, out);
    out.push(b'"');
}

/// Appends a key or a string value: as is, or quoted when it is empty or contains a space, `=`,
/// `"`, a control character (U+0000–U+001F, U+007F, U+0085), U+2028 or U+2029.
#[inline]
pub fn write_token(s: &str, out: &mut Vec<u8>) {
    if s.is_empty() || has_special(s, false) {
        write_quoted(s, out);
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

/// Appends a message: as is (inner spaces included), or quoted when it contains `=`, `"`, a
/// control character, U+2028 or U+2029, or starts or ends with a space. Writes nothing for an
/// empty message.
#[inline]
pub fn write_message(s: &str, out: &mut Vec<u8>) {
    if s.starts_with(' ') || s.ends_with(' ') || has_special(s, true) {
        write_quoted(s, out);
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

/// Appends a field value: a string as [`write_token`] does, an integer in decimal, a float in
/// its shortest exact form or as `NaN` / `Infinity` / `-Infinity`, a boolean as `true` /
/// `false`.
#[inline]
pub fn write_value(v: ValueRef<'_>, out: &mut Vec<u8>) {
    match v {
        ValueRef::Str(s) => write_token(s, out),
        ValueRef::I64(n) => out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
        ValueRef::U64(n) => out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
        ValueRef::F64(n) if n.is_finite() => write_finite_f64(n, out),
        ValueRef::F64(n) => out.extend_from_slice(non_finite_name(n).as_bytes()),
        ValueRef::Bool(true) => out.extend_from_slice(b"true"),
        ValueRef::Bool(false) => out.extend_from_slice(b"false"),
    }
}

/// Appends one entry as a text line followed by `\n`. The line holds no other line break.
pub fn encode(e: &EntryData, out: &mut Vec<u8>) {
    out.reserve(e.size_hint() + 32);
    write_rfc3339_millis(e.timestamp_ns(), out);
    out.push(b' ');
    out.extend_from_slice(e.level().as_upper_str().as_bytes());
    if !e.message().is_empty() {
        out.push(b' ');
        write_message(e.message(), out);
    }
    for (k, v) in e.labels() {
        out.push(b' ');
        write_token(k, out);
        out.push(b'=');
        write_token(v, out);
    }
    for (k, v) in e.fields() {
        out.push(b' ');
        write_token(k, out);
        out.push(b'=');
        write_value(v, out);
    }
    if let Some(id) = e.trace_id() {
        out.extend_from_slice(b" trace_id=");
        write_token(id, out);
    }
    if let Some(id) = e.span_id() {
        out.extend_from_slice(b" span_id=");
        write_token(id, out);
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Level;

    fn line(e: &EntryData) -> String {
        let mut out = Vec::new();
        encode(e, &mut out);
        String::from_utf8(out).unwrap()
    }

    fn token(s: &str) -> String {
        let mut out = Vec::new();
        write_token(s, &mut out);
        String::from_utf8(out).unwrap()
    }

    fn message(s: &str) -> String {
        let mut out = Vec::new();
        write_message(s, &mut out);
        String::from_utf8(out).unwrap()
    }

    /// The standard event of the benchmarks, at 2026-11-27T20:42:08.123456789Z.
    fn standard() -> EntryData {
        let mut e = EntryData::new();
        e.set_timestamp_ns(1_795_812_128_123_456_789);
        e.set_level(Level::Info);
        e.set_message("request completed");
        for (k, v) in [
            ("service", "checkout"),
            ("env", "prod"),
            ("host", "web-1"),
            ("region", "eu-west-1"),
        ] {
            e.set_label(k, v).unwrap();
        }
        e.set_field("method", "GET").unwrap();
        e.set_field("path", "/api/v1/orders/12345").unwrap();
        e.set_field("status", 200i64).unwrap();
        e.set_field("latency_ms", 12.5).unwrap();
        e.set_field("user_id", "u-998877").unwrap();
        e.set_field("cache_hit", true).unwrap();
        e
    }

    #[test]
    fn standard_event_line() {
        let mut e = standard();
        e.set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
        e.set_span_id("00f067aa0ba902b7");
        assert_eq!(
            line(&e),
            "2026-11-27T20:42:08.123Z INFO request completed service=checkout env=prod \
             host=web-1 region=eu-west-1 method=GET path=/api/v1/orders/12345 status=200 \
             latency_ms=12.5 user_id=u-998877 cache_hit=true \
             trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7\n"
        );
    }

    #[test]
    fn empty_message_and_no_trace_context() {
        let mut e = EntryData::new();
        e.set_level(Level::Error);
        assert_eq!(line(&e), "1970-01-01T00:00:00.000Z ERROR\n");
        e.set_field("n", -3i64).unwrap();
        e.set_field("u", u64::MAX).unwrap();
        e.set_field("f", 200.0).unwrap();
        e.set_field("nan", f64::NAN).unwrap();
        e.set_field("inf", f64::NEG_INFINITY).unwrap();
        e.set_field("b", false).unwrap();
        assert_eq!(
            line(&e),
            "1970-01-01T00:00:00.000Z ERROR n=-3 u=18446744073709551615 f=200.0 nan=NaN \
             inf=-Infinity b=false\n"
        );
    }

    #[test]
    fn tokens_are_quoted_only_when_needed() {
        assert_eq!(token("plain"), "plain");
        assert_eq!(token(r"C:\dir"), r"C:\dir");
        assert_eq!(token("é😀"), "é😀");
        assert_eq!(token(""), r#""""#);
        assert_eq!(token("a b"), r#""a b""#);
        assert_eq!(token("a=b"), r#""a=b""#);
        assert_eq!(token(r#"say "hi""#), r#""say \"hi\"""#);
        assert_eq!(token("a\\b c"), r#""a\\b c""#);
        assert_eq!(token("l1\nl2"), r#""l1\nl2""#);
        assert_eq!(token("\u{7f}"), r#""\u007f""#);
        assert_eq!(token("x\u{85}"), r#""x\u0085""#);
        assert_eq!(token("x\u{2029}"), r#""x\u2029""#);
        // Characters sharing a lead byte with U+0085 or U+2028 are not special.
        assert_eq!(token("\u{a9}\u{2026}"), "\u{a9}\u{2026}");
    }

    #[test]
    fn messages_keep_inner_spaces_but_quote_the_rest() {
        assert_eq!(message("request completed"), "request completed");
        assert_eq!(message(" leading"), r#"" leading""#);
        assert_eq!(message("trailing "), r#""trailing ""#);
        assert_eq!(message("user=bob logged in"), r#""user=bob logged in""#);
        assert_eq!(message("two\nlines"), r#""two\nlines""#);
        assert_eq!(message("tab\there"), r#""tab\there""#);
    }

    #[test]
    fn quoted_text_reads_back_as_a_json_string() {
        let samples = [
            "a b",
            "\"quoted\" \\ back",
            "\u{0}\u{1f}\u{7f}\u{85}\u{2028}\u{2029}",
            "emoji 😀 = ok",
            "",
        ];
        for s in samples {
            let t = token(s);
            assert!(t.starts_with('"'), "{t}");
            assert_eq!(serde_json::from_str::<String>(&t).unwrap(), s);
        }
    }

    /// Reads one quoted string (a JSON string literal) or one bare token ending before any of
    /// `stops`; returns the text and the rest of the input.
    fn read_token<'a>(s: &'a str, stops: &[char]) -> (String, &'a str) {
        if let Some(body) = s.strip_prefix('"') {
            let b = body.as_bytes();
            let mut i = 0;
            while b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            let text = serde_json::from_str(&s[..i + 2]).expect("quoted text is a JSON string");
            (text, &s[i + 2..])
        } else {
            let end = s.find(stops).unwrap_or(s.len());
            (s[..end].to_owned(), &s[end..])
        }
    }

    /// Parses a text line back into (timestamp, level, message, key-value pairs), following
    /// the documented rules, to show that they are unambiguous.
    fn parse(line: &str) -> (String, String, String, Vec<(String, String)>) {
        let line = line.strip_suffix('\n').expect("terminated by a newline");
        let mut parts = line.splitn(3, ' ');
        let ts = parts.next().unwrap().to_owned();
        let level = parts.next().unwrap().to_owned();
        let mut rest = parts.next().unwrap_or("");
        let message;
        if rest.starts_with('"') {
            let (text, after) = read_token(rest, &[]);
            if after.starts_with('=') {
                message = String::new(); // a quoted key: the message was empty
            } else {
                message = text;
                rest = after.strip_prefix(' ').unwrap_or(after);
            }
        } else {
            // A bare message holds no `=` or `"`: it ends at the last space before the first.
            let cut = match rest.find(['=', '"']) {
                Some(i) => rest[..i].rfind(' ').map_or(0, |s| s + 1),
                None => rest.len(),
            };
            message = rest[..cut].trim_end_matches(' ').to_owned();
            rest = &rest[cut..];
        }
        let mut pairs = Vec::new();
        while !rest.is_empty() {
            let (k, after) = read_token(rest, &['=']);
            let after = after.strip_prefix('=').expect("key followed by =");
            let (v, after) = read_token(after, &[' ']);
            pairs.push((k, v));
            rest = after.strip_prefix(' ').unwrap_or(after);
        }
        (ts, level, message, pairs)
    }

    #[test]
    fn standard_line_parses_back() {
        let (ts, level, msg, pairs) = parse(&line(&standard()));
        assert_eq!(
            (ts.as_str(), level.as_str()),
            ("2026-11-27T20:42:08.123Z", "INFO")
        );
        assert_eq!(msg, "request completed");
        assert_eq!(pairs.len(), 10);
        assert_eq!(pairs[9], ("cache_hit".to_owned(), "true".to_owned()));
    }

    /// Random messages, keys and values: every line is exactly one line, and parsing it by the
    /// documented rules gives back the original strings.
    #[test]
    fn random_text_is_one_line_and_parses_back() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet: Vec<char> = (0u32..0x80)
            .filter_map(char::from_u32)
            .chain("\u{85}\u{2028}\u{2029}é😀        ====\"\"\"\"".chars())
            .collect();
        let mut random = |max: u64| -> String {
            let len = next() % (max + 1);
            (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect()
        };
        for _ in 0..3_000 {
            let msg = random(12);
            let (key, label, field, trace) = (random(6), random(6), random(6), random(6));
            let mut e = EntryData::new();
            e.set_message(&msg);
            e.set_label(&key, &label).unwrap();
            e.set_field("f", field.as_str()).unwrap();
            e.set_trace_id(&trace);
            let l = line(&e);
            let body = l.strip_suffix('\n').unwrap();
            assert!(
                !body.contains(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}']),
                "{l:?}"
            );
            assert!(!body.bytes().any(|b| b < 0x20 || b == 0x7f), "{l:?}");

            let (_, level, got_msg, pairs) = parse(&l);
            assert_eq!(level, "INFO");
            assert_eq!(got_msg, msg, "{l:?}");
            let mut want = vec![(key, label), ("f".to_owned(), field)];
            if !trace.is_empty() {
                want.push(("trace_id".to_owned(), trace));
            }
            assert_eq!(pairs, want, "{l:?}");
        }
    }
}
