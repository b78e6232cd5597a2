//! JSON lines: one JSON object per entry, keys in a fixed order.
//!
//! ```text
//! {"ts":"2026-11-27T20:42:08.123456789Z","level":"info","msg":"request completed","trace_id":"…","span_id":"…","labels":{…},"fields":{…}}
//! ```
//!
//! See `docs/output.md` for the full schema. The encoder writes straight into the caller's
//! buffer: no intermediate `serde_json::Value`, no allocation beyond growing `out`.

use super::time::write_rfc3339_nanos;
use crate::entry::{EntryData, ValueRef};

/// Table code: the byte needs no escape.
const PLAIN: u8 = 0;
/// Table code: `0xE2`, the lead byte of U+2028 and U+2029 (and of many characters that need
/// no escape).
const LEAD_E2: u8 = 1;
/// Table code: `0xC2`, the lead byte of U+0085 (and of many characters that need no escape).
const LEAD_C2: u8 = 2;

/// What to do with each byte of a JSON string: [`PLAIN`], a lead byte to look past, `b'u'` for
/// a `\u00XX` escape, or the letter of a short escape (`\n`, `\"`, …).
static JSON_ESCAPES: [u8; 256] = escape_table(false);
/// As [`JSON_ESCAPES`], plus DEL (0x7F) and U+0085 (NEL): the text encoding escapes those too,
/// since some terminals and viewers treat them as control characters or line breaks.
pub(super) static TEXT_ESCAPES: [u8; 256] = escape_table(true);

const fn escape_table(text: bool) -> [u8; 256] {
    let mut t = [PLAIN; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0A] = b'n';
    t[0x0C] = b'f';
    t[0x0D] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t[0xE2] = LEAD_E2;
    if text {
        t[0x7F] = b'u';
        t[0xC2] = LEAD_C2;
    }
    t
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends the body of a JSON string (without the surrounding quotes), escaping with `table`.
///
/// Runs of bytes that need no escape are copied with one `extend_from_slice` each, and are
/// skipped eight bytes at a time while no byte of the eight can need one ([`may_escape`]).
/// `s` is valid UTF-8, so `0xE2 0x80 0xA8` can only be U+2028 and `0xC2 0x85` only U+0085.
#[inline]
pub(super) fn write_escaped(table: &[u8; 256], s: &str, out: &mut Vec<u8>) {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        while let Some(word) = bytes.get(i..i + 8) {
            if may_escape(u64::from_le_bytes(word.try_into().expect("eight bytes"))) {
                break;
            }
            i += 8;
        }
        // Byte by byte up to the end of the word that may need an escape (or of the string),
        // then back to whole words. An escape may end past `end`.
        let end = bytes.len().min(i + 8);
        while i < end {
            let b = bytes[i];
            let code = table[usize::from(b)];
            if code == PLAIN {
                i += 1;
                continue;
            }
            let (escape, width): (&[u8], usize) = match code {
                LEAD_E2 => match (bytes.get(i + 1), bytes.get(i + 2)) {
                    (Some(0x80), Some(0xA8)) => (b"\\u2028", 3),
                    (Some(0x80), Some(0xA9)) => (b"\\u2029", 3),
                    _ => {
                        i += 1;
                        continue;
                    }
                },
                LEAD_C2 => match bytes.get(i + 1) {
                    Some(0x85) => (b"\\u0085", 2),
                    _ => {
                        i += 1;
                        continue;
                    }
                },
                b'u' => {
                    out.extend_from_slice(&bytes[start..i]);
                    out.extend_from_slice(&[
                        b'\\',
                        b'u',
                        b'0',
                        b'0',
                        HEX[usize::from(b >> 4)],
                        HEX[usize::from(b & 0xF)],
                    ]);
                    i += 1;
                    start = i;
                    continue;
                }
                letter => {
                    out.extend_from_slice(&bytes[start..i]);
                    out.extend_from_slice(&[b'\\', letter]);
                    i += 1;
                    start = i;
                    continue;
                }
            };
            out.extend_from_slice(&bytes[start..i]);
            out.extend_from_slice(escape);
            i += width;
            start = i;
        }
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Whether any of the eight bytes in `word` may need an escape in either table: a control
/// character (below 0x20), `"`, `\`, DEL (0x7F) or any byte from 0x80 (the lead bytes the
/// tables look past are among those). Never false for a word holding such a byte; true also for
/// some words that need nothing (any non-ASCII byte), which the byte loop then copies as is.
#[inline]
fn may_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte that is zero in `x` (exact as a whole: a borrow only marks
    // bytes above a zero byte, never a word without one).
    let zero = |x: u64| x.wrapping_sub(ONES) & !x;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word;
    let quote = zero(word ^ (ONES * u64::from(b'"')));
    let backslash = zero(word ^ (ONES * u64::from(b'\\')));
    let del = zero(word ^ (ONES * 0x7F));
    (below_space | quote | backslash | del | word) & HIGH != 0
}

/// Appends `s` as a quoted JSON string.
///
/// `"` and `\` are escaped, control characters (U+0000–U+001F) become `\b` `\t` `\n` `\f` `\r`
/// or `\u00XX`, and U+2028 / U+2029 become `\u2028` / `\u2029` (so the output is also safe to
/// embed in JavaScript). Everything else is copied as is.
#[inline]
pub fn write_str(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    write_escaped(&JSON_ESCAPES, s, out);
    out.push(b'"');
}

/// Appends a float as a JSON number (shortest representation that reads back exactly, via
/// `ryu`), or, when it is not finite, as one of the strings `"NaN"`, `"Infinity"`,
/// `"-Infinity"`: JSON has no literal for them.
#[inline]
pub fn write_f64(v: f64, out: &mut Vec<u8>) {
    if v.is_finite() {
        write_finite_f64(v, out);
    } else {
        out.push(b'"');
        out.extend_from_slice(non_finite_name(v).as_bytes());
        out.push(b'"');
    }
}

/// Appends a finite float exactly as `ryu` writes it (the shortest decimal that reads back to
/// the same bits; `200.0`, `12.5`, `1e300`), by a shorter way when it has at most four
/// decimals and a magnitude under 2^36, as most measured values have.
///
/// That way: the smallest `k` in 0..=4 for which `n = round(|v| × 10^k)` gives back `|v|` as
/// `n / 10^k` (one correctly rounded division of two exact numbers: the decimal `n × 10^-k`
/// reads back to `v`), written as `n / 10^k`, a point and `k` digits (`.0` for `k` = 0). Under
/// 2^36, `|v| × 10^j` is within 0.19 of any integer `m` whose `m × 10^-j` reads back to `v`, so
/// no shorter decimal than the one found reads back either; and that decimal has no trailing
/// zero, or a smaller `k` would have found it. So it is ryu's shortest, which ryu prints in
/// this notation in this range (`encode::json::tests` compares them over millions of values).
#[inline]
pub(super) fn write_finite_f64(v: f64, out: &mut Vec<u8>) {
    if !write_short_decimal(v, out) {
        out.extend_from_slice(ryu::Buffer::new().format_finite(v).as_bytes());
    }
}

/// [`write_finite_f64`]'s shorter way; `false` (nothing written) when it does not apply.
#[inline]
fn write_short_decimal(v: f64, out: &mut Vec<u8>) -> bool {
    const SCALES: [f64; 5] = [1.0, 10.0, 100.0, 1_000.0, 10_000.0];
    const LIMIT: f64 = (1u64 << 36) as f64;
    let a = v.abs();
    // Zero keeps its sign through ryu; NaN fails the comparison.
    if !(a > 0.0 && a < LIMIT) {
        return false;
    }
    for (k, scale) in SCALES.into_iter().enumerate() {
        let scaled = a * scale;
        let n = scaled.round();
        // The first test only spares the division for values that are far from it.
        if (scaled - n).abs() > 0.25 || n / scale != a {
            continue;
        }
        // Exact: n < 2^36 × 10^4 < 2^53.
        let (n, pow) = (n as u64, 10u64.pow(k as u32));
        if v < 0.0 {
            out.push(b'-');
        }
        out.extend_from_slice(itoa::Buffer::new().format(n / pow).as_bytes());
        out.push(b'.');
        if k == 0 {
            out.push(b'0');
        } else {
            let mut digits = [b'0'; 4];
            let mut fraction = n % pow;
            for d in digits[..k].iter_mut().rev() {
                *d = b'0' + (fraction % 10) as u8;
                fraction /= 10;
            }
            out.extend_from_slice(&digits[..k]);
        }
        return true;
    }
    false
}

/// The name of a non-finite float: `NaN`, `Infinity` or `-Infinity`.
#[inline]
pub(super) fn non_finite_name(v: f64) -> &'static str {
    if v.is_nan() {
        "NaN"
    } else if v > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    }
}

/// Appends a field value as JSON: a string, an integer, a number (see [`write_f64`]) or
/// `true` / `false`.
#[inline]
pub fn write_value(v: ValueRef<'_>, out: &mut Vec<u8>) {
    match v {
        ValueRef::Str(s) => write_str(s, out),
        ValueRef::I64(n) => out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
        ValueRef::U64(n) => out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
        ValueRef::F64(n) => write_f64(n, out),
        ValueRef::Bool(true) => out.extend_from_slice(b"true"),
        ValueRef::Bool(false) => out.extend_from_slice(b"false"),
    }
}

/// Appends one entry as a JSON object followed by `\n`.
///
/// Keys, in this order: `ts`, `level`, `msg`, `trace_id` and `span_id` (each only when
/// present), `labels`, `fields`. `labels` and `fields` are always present, possibly `{}`, with
/// their keys in the entry's insertion order.
pub fn encode(e: &EntryData, out: &mut Vec<u8>) {
    out.reserve(e.size_hint() + 64);
    out.extend_from_slice(b"{\"ts\":\"");
    write_rfc3339_nanos(e.timestamp_ns(), out);
    out.extend_from_slice(b"\",\"level\":\"");
    out.extend_from_slice(e.level().as_str().as_bytes());
    out.extend_from_slice(b"\",\"msg\":");
    write_str(e.message(), out);
    if let Some(id) = e.trace_id() {
        out.extend_from_slice(b",\"trace_id\":");
        write_str(id, out);
    }
    if let Some(id) = e.span_id() {
        out.extend_from_slice(b",\"span_id\":");
        write_str(id, out);
    }
    out.extend_from_slice(b",\"labels\":{");
    for (i, (k, v)) in e.labels().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(k, out);
        out.push(b':');
        write_str(v, out);
    }
    out.extend_from_slice(b"},\"fields\":{");
    for (i, (k, v)) in e.fields().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(k, out);
        out.push(b':');
        write_value(v, out);
    }
    out.extend_from_slice(b"}}\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A xorshift64 generator: the same values every run.
    fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        }
    }

    fn json_str(s: &str) -> String {
        let mut out = Vec::new();
        write_str(s, &mut out);
        String::from_utf8(out).unwrap()
    }

    fn value(v: ValueRef<'_>) -> String {
        let mut out = Vec::new();
        write_value(v, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_exactly_the_required_characters() {
        assert_eq!(json_str(""), r#""""#);
        assert_eq!(json_str("plain text"), r#""plain text""#);
        assert_eq!(json_str("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(json_str("\n\r\t\u{8}\u{c}"), r#""\n\r\t\b\f""#);
        assert_eq!(json_str("\0\u{1}\u{1f}"), r#""\u0000\u0001\u001f""#);
        assert_eq!(json_str("x\u{2028}y\u{2029}z"), r#""x\u2028y\u2029z""#);
        // Other characters, including ones that share the lead byte 0xE2 and DEL, pass through.
        assert_eq!(json_str("€ … ✓ \u{7f} é 😀"), "\"€ … ✓ \u{7f} é 😀\"");
        assert_eq!(json_str("\u{85}"), "\"\u{85}\"");
        // Escapes at the very start and end, back to back.
        assert_eq!(json_str("\"\""), r#""\"\"""#);
    }

    #[test]
    fn every_control_character_has_an_escape_serde_json_reads_back() {
        for b in 0u8..0x20 {
            let s = format!("a{}b", char::from(b));
            let encoded = json_str(&s);
            assert!(encoded.bytes().all(|c| c >= 0x20), "{encoded:?}");
            assert_eq!(serde_json::from_str::<String>(&encoded).unwrap(), s);
        }
    }

    /// Every byte that either table escapes or looks past, at each of the eight places of a
    /// word of plain bytes, makes the word one that may need an escape.
    #[test]
    fn no_word_holding_a_byte_to_escape_is_skipped() {
        for b in 0..=255u8 {
            let escapes =
                JSON_ESCAPES[usize::from(b)] != PLAIN || TEXT_ESCAPES[usize::from(b)] != PLAIN;
            for at in 0..8 {
                let mut word = *b"abcdefgh";
                word[at] = b;
                let flagged = may_escape(u64::from_le_bytes(word));
                if escapes {
                    assert!(flagged, "byte {b:#04x} at {at} not flagged");
                }
                if b.is_ascii() && b >= 0x20 && b != b'"' && b != b'\\' && b != 0x7F {
                    assert!(!flagged, "plain byte {b:#04x} at {at} flagged");
                }
            }
        }
        assert!(!may_escape(u64::from_le_bytes(*b"request ")));
    }

    /// The byte loop alone, as write_escaped was before it skipped whole words: what the
    /// output must stay.
    fn escaped_byte_by_byte(table: &[u8; 256], s: &str) -> Vec<u8> {
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            match table[usize::from(b)] {
                PLAIN => out.push(b),
                LEAD_E2 if bytes[i + 1..].starts_with(&[0x80, 0xA8]) => {
                    out.extend_from_slice(b"\\u2028");
                    i += 2;
                }
                LEAD_E2 if bytes[i + 1..].starts_with(&[0x80, 0xA9]) => {
                    out.extend_from_slice(b"\\u2029");
                    i += 2;
                }
                LEAD_C2 if bytes.get(i + 1) == Some(&0x85) => {
                    out.extend_from_slice(b"\\u0085");
                    i += 1;
                }
                LEAD_E2 | LEAD_C2 => out.push(b),
                b'u' => out.extend_from_slice(format!("\\u{:04x}", b).as_bytes()),
                letter => out.extend_from_slice(&[b'\\', letter]),
            }
            i += 1;
        }
        out
    }

    /// Strings of every length up to 40 made of plain ASCII, every character either table
    /// escapes, and other non-ASCII characters (some sharing a lead byte with an escaped
    /// one), at every alignment: escaped exactly as byte by byte.
    #[test]
    fn skipping_whole_words_escapes_exactly_as_byte_by_byte() {
        const PARTS: [&str; 14] = [
            "a", "Z", "/", "\"", "\\", "\n", "\u{1}", "\u{1f}", "\u{7f}", "\u{85}", "\u{2028}",
            "\u{2029}", "é", "€",
        ];
        let mut next = xorshift(0x2545_F491_4F6C_DD1Du64);
        for _ in 0..20_000 {
            let len = next() % 41;
            let mut s = String::new();
            for _ in 0..len {
                // Mostly plain, so that whole words occur between the others.
                let r = next();
                s.push_str(if r.is_multiple_of(3) {
                    PARTS[(r >> 8) as usize % PARTS.len()]
                } else {
                    "x"
                });
            }
            for table in [&JSON_ESCAPES, &TEXT_ESCAPES] {
                let mut out = b"<".to_vec();
                write_escaped(table, &s, &mut out);
                assert_eq!(out[1..], escaped_byte_by_byte(table, &s)[..], "{s:?}");
            }
        }
    }

    #[test]
    fn text_table_also_escapes_del_and_nel() {
        let mut out = Vec::new();
        write_escaped(&TEXT_ESCAPES, "a\u{7f}b\u{85}c\u{2028}é", &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), r"a\u007fb\u0085c\u2028é");
    }

    #[test]
    fn numbers_and_booleans() {
        assert_eq!(value(ValueRef::I64(i64::MIN)), "-9223372036854775808");
        assert_eq!(value(ValueRef::U64(u64::MAX)), "18446744073709551615");
        assert_eq!(value(ValueRef::F64(200.0)), "200.0");
        assert_eq!(value(ValueRef::F64(12.5)), "12.5");
        assert_eq!(value(ValueRef::F64(-0.0)), "-0.0");
        assert_eq!(value(ValueRef::F64(1e300)), "1e300");
        assert_eq!(value(ValueRef::F64(f64::NAN)), r#""NaN""#);
        assert_eq!(value(ValueRef::F64(f64::INFINITY)), r#""Infinity""#);
        assert_eq!(value(ValueRef::F64(f64::NEG_INFINITY)), r#""-Infinity""#);
        assert_eq!(value(ValueRef::Bool(true)), "true");
        assert_eq!(value(ValueRef::Bool(false)), "false");
        assert_eq!(value(ValueRef::Str("x")), r#""x""#);
    }

    fn ryu(v: f64) -> String {
        ryu::Buffer::new().format_finite(v).to_string()
    }

    fn short(v: f64) -> String {
        let mut out = Vec::new();
        write_finite_f64(v, &mut out);
        String::from_utf8(out).unwrap()
    }

    /// The shorter way writes what ryu writes: for decimals of 0 to 6 places (the shorter way
    /// takes up to 4) over the whole range it covers and past it, their neighbours one bit
    /// away, random bit patterns, and the edges.
    #[test]
    fn short_decimals_are_written_as_ryu_writes_them() {
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15u64);
        let limit = (1u64 << 36) as f64;
        for _ in 0..400_000 {
            let r = next();
            let places = (r % 7) as i32;
            // Integers of 1 to 13 digits, so that values run past 2^36.
            let digits = 1 + (r >> 8) % 13;
            let n = (next() % 10u64.pow(digits as u32)) as f64;
            let v = n / 10f64.powi(places);
            let up = f64::from_bits(v.to_bits() + 1);
            let down = f64::from_bits(v.to_bits().saturating_sub(1));
            for v in [v, -v, up, -up, down] {
                assert_eq!(short(v), ryu(v), "{v:e}");
            }
            // Every decimal of at most four places under the limit takes the shorter way.
            if places <= 4 && v > 0.0 && v < limit {
                assert!(write_short_decimal(v, &mut Vec::new()), "{v:e} not taken");
            }
            let bits = f64::from_bits(next());
            if bits.is_finite() {
                assert_eq!(short(bits), ryu(bits), "{bits:e}");
            }
        }
        for v in [
            0.0,
            -0.0,
            1e-4,
            5e-5,
            1.5e-4,
            0.1,
            0.2,
            0.3,
            1.0 / 3.0,
            0.5,
            9.9999,
            99999.99995,
            12.5,
            200.0,
            1e10,
            123_456_789.123_4,
            limit,
            limit - 0.5,
            limit - 0.0625,
            limit + 1.0,
            1e15,
            1e16,
            1e300,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::EPSILON,
        ] {
            assert_eq!(short(v), ryu(v), "{v:e}");
            assert_eq!(short(-v), ryu(-v), "{:e}", -v);
        }
    }

    /// Every finite float is written as a JSON number that reads back to the same bits.
    #[test]
    fn finite_floats_are_valid_json_numbers_and_exact() {
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
        for _ in 0..20_000 {
            let v = f64::from_bits(next());
            if !v.is_finite() {
                continue;
            }
            let text = value(ValueRef::F64(v));
            assert_eq!(
                text.parse::<f64>().unwrap().to_bits(),
                v.to_bits(),
                "{text}"
            );
            let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert!(parsed.is_f64(), "{text} is not a JSON float");
        }
    }

    #[test]
    fn entry_without_labels_fields_or_trace_context() {
        let mut e = EntryData::new();
        e.set_timestamp_ns(1);
        e.set_level(crate::Level::Warn);
        let mut out = Vec::new();
        encode(&e, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"ts\":\"1970-01-01T00:00:00.000000001Z\",\"level\":\"warn\",\"msg\":\"\",\
             \"labels\":{},\"fields\":{}}\n"
        );
    }

    #[test]
    fn span_without_trace_and_appending_to_existing_bytes() {
        let mut e = EntryData::new();
        e.set_span_id("s1");
        e.set_field("k", "v").unwrap();
        let mut out = b"prefix\n".to_vec();
        encode(&e, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "prefix\n{\"ts\":\"1970-01-01T00:00:00.000000000Z\",\"level\":\"info\",\"msg\":\"\",\
             \"span_id\":\"s1\",\"labels\":{},\"fields\":{\"k\":\"v\"}}\n"
        );
    }
}
