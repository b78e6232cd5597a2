//! Text from outside: bytes that should be UTF-8 and may not be.

use std::borrow::Cow;

/// Whether the bytes are all ASCII. Inlined, with two overlapping word loads for the short
/// strings that keys and most values are, where the standard library's out-of-line check
/// costs more than the check itself.
#[inline(always)]
pub fn is_ascii(b: &[u8]) -> bool {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let n = b.len();
    let word = |at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[at..at + 8]);
        u64::from_ne_bytes(w)
    };
    let half = |at: usize| {
        let mut w = [0u8; 4];
        w.copy_from_slice(&b[at..at + 4]);
        u64::from(u32::from_ne_bytes(w))
    };
    match n {
        0 => true,
        1..=3 => (u64::from(b[0]) | u64::from(b[n / 2]) | u64::from(b[n - 1])) & 0x80 == 0,
        4..=7 => (half(0) | half(n - 4)) & HIGH == 0,
        8..=16 => (word(0) | word(n - 8)) & HIGH == 0,
        _ => b.is_ascii(),
    }
}

/// The bytes as a string if they are valid UTF-8, checking ASCII first.
#[inline(always)]
pub fn utf8(b: &[u8]) -> Option<&str> {
    if is_ascii(b) {
        // SAFETY: ASCII is valid UTF-8.
        Some(unsafe { std::str::from_utf8_unchecked(b) })
    } else {
        std::str::from_utf8(b).ok()
    }
}

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

    #[test]
    fn is_ascii_agrees_with_the_standard_library_at_every_length_and_position() {
        for n in 0..40 {
            let mut b = vec![b'a'; n];
            assert!(is_ascii(&b));
            for i in 0..n {
                b[i] = 0xc3;
                assert!(!is_ascii(&b), "{n} {i}");
                assert_eq!(utf8(&b), std::str::from_utf8(&b).ok());
                b[i] = b'a';
            }
        }
    }
}
