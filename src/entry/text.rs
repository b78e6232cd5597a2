//! Text from outside: bytes that should be UTF-8 and may not be.

use std::borrow::Cow;

/// The bytes as text, each invalid UTF-8 sequence replaced with U+FFFD as
/// [`String::from_utf8_lossy`] does. Valid text (the common case) is checked with the
/// standard library's fast validator and borrowed; only invalid text takes the slower,
/// replacing path.
#[inline]
pub fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Appends the bytes to `dst` as [`lossy`] reads them, without an intermediate string.
#[inline]
pub fn push_lossy(dst: &mut String, bytes: &[u8]) {
    if let Ok(s) = std::str::from_utf8(bytes) {
        dst.push_str(s);
        return;
    }
    for chunk in bytes.utf8_chunks() {
        dst.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            dst.push(char::REPLACEMENT_CHARACTER);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_the_standard_library() {
        let cases: [&[u8]; 6] = [
            b"",
            b"plain",
            "caf\u{e9} \u{1F600}".as_bytes(),
            b"a\xffb",
            b"\xe2\x82",
            b"ok\xc3\x28end",
        ];
        for c in cases {
            assert_eq!(lossy(c), String::from_utf8_lossy(c));
            let mut s = String::from("x");
            push_lossy(&mut s, c);
            assert_eq!(s, format!("x{}", String::from_utf8_lossy(c)));
        }
        assert!(matches!(lossy(b"valid"), Cow::Borrowed(_)));
    }
}
