//! RFC 3339 timestamps from nanoseconds since the Unix epoch, without a date library.
//!
//! The calendar conversion is Howard Hinnant's `civil_from_days`
//! (<https://howardhinnant.github.io/date_algorithms.html>): a handful of integer divisions,
//! no loops and no tables. Timestamps are `u64` nanoseconds, so every instant falls between
//! 1970-01-01 and 2554-07-21 and the year always has four digits.

/// Nanoseconds in one day.
const NS_PER_DAY: u64 = 86_400 * 1_000_000_000;

/// The two ASCII digits of every number from 0 to 99, back to back.
const DIGITS2: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// The proleptic Gregorian date `(year, month 1–12, day 1–31)` of the day that is `days`
/// days after 1970-01-01.
#[inline]
pub fn civil_from_days(days: u64) -> (u32, u32, u32) {
    // Shift the epoch to 0000-03-01, so that leap days fall at the end of a year.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097; // day of era, [0, 146096]
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365; // year of era, [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of year from March 1, [0, 365]
    let mp = (5 * doy + 2) / 153; // month from March, [0, 11]
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year as u32, month as u32, day as u32)
}

#[inline]
fn put2(buf: &mut [u8], at: usize, v: u32) {
    let i = (v as usize) * 2;
    buf[at..at + 2].copy_from_slice(&DIGITS2[i..i + 2]);
}

/// Writes the fixed-width digits of `v` (right-aligned, zero-padded) into `buf`.
#[inline]
fn put_digits(buf: &mut [u8], mut v: u32) {
    for b in buf.iter_mut().rev() {
        *b = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// Fills `buf[..20]` with `YYYY-MM-DDTHH:MM:SS.` and returns the nanoseconds within the second.
#[inline]
fn put_date_time(buf: &mut [u8], ns: u64) -> u32 {
    let days = ns / NS_PER_DAY;
    let ns_of_day = ns % NS_PER_DAY;
    let secs = (ns_of_day / 1_000_000_000) as u32;
    let sub = (ns_of_day % 1_000_000_000) as u32;
    let (year, month, day) = civil_from_days(days);
    put2(buf, 0, year / 100);
    put2(buf, 2, year % 100);
    buf[4] = b'-';
    put2(buf, 5, month);
    buf[7] = b'-';
    put2(buf, 8, day);
    buf[10] = b'T';
    put2(buf, 11, secs / 3_600);
    buf[13] = b':';
    put2(buf, 14, secs / 60 % 60);
    buf[16] = b':';
    put2(buf, 17, secs % 60);
    buf[19] = b'.';
    sub
}

/// Appends `ns` (nanoseconds since the Unix epoch) as RFC 3339 UTC with exactly nine
/// fractional digits: `2026-11-27T20:42:08.123456789Z` (30 bytes).
#[inline]
pub fn write_rfc3339_nanos(ns: u64, out: &mut Vec<u8>) {
    let mut buf = [0u8; 30];
    let sub = put_date_time(&mut buf, ns);
    put_digits(&mut buf[20..29], sub);
    buf[29] = b'Z';
    out.extend_from_slice(&buf);
}

/// Appends `ns` (nanoseconds since the Unix epoch) as RFC 3339 UTC with exactly three
/// fractional digits, truncated (not rounded) to the millisecond: `2026-11-27T20:42:08.123Z`
/// (24 bytes).
#[inline]
pub fn write_rfc3339_millis(ns: u64, out: &mut Vec<u8>) {
    let mut buf = [0u8; 24];
    let sub = put_date_time(&mut buf, ns);
    put_digits(&mut buf[20..23], sub / 1_000_000);
    buf[23] = b'Z';
    out.extend_from_slice(&buf);
}

/// Appends `ns` (nanoseconds since the Unix epoch) as RFC 3339 UTC with exactly six
/// fractional digits, truncated to the microsecond: `2026-11-27T20:42:08.123456Z` (27 bytes).
/// RFC 5424 (syslog) allows at most six.
#[inline]
pub fn write_rfc3339_micros(ns: u64, out: &mut Vec<u8>) {
    let mut buf = [0u8; 27];
    let sub = put_date_time(&mut buf, ns);
    put_digits(&mut buf[20..26], sub / 1_000);
    buf[26] = b'Z';
    out.extend_from_slice(&buf);
}

/// The number of days from 1970-01-01 to the proleptic Gregorian date `(year, month, day)`;
/// the inverse of [`civil_from_days`] (Howard Hinnant's `days_from_civil`). `None` before 1970.
pub fn days_from_civil(year: u32, month: u32, day: u32) -> Option<u64> {
    let y = u64::from(year).checked_sub(u64::from(month <= 2))?;
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = u64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + u64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).checked_sub(719_468)
}

/// Parses an RFC 3339 timestamp (`2026-11-27T20:42:08.123456789Z`, any number of fractional
/// digits, `Z` or a `±HH:MM` offset, `t`/`z`/space accepted) into nanoseconds since the Unix
/// epoch. `None` if it is malformed or outside what a `u64` of nanoseconds holds.
pub fn parse_rfc3339(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let d = b.get(r)?;
        if !d.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(d.iter().fold(0u32, |n, &c| n * 10 + u32::from(c - b'0')))
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > days_in_month || hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let mut i = 19;
    let mut nanos = 0u64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 9 {
                nanos = nanos * 10 + u64::from(b[i] - b'0');
            }
            i += 1;
        }
        let n = i - start;
        if n == 0 {
            return None;
        }
        for _ in n..9 {
            nanos *= 10;
        }
    }
    let offset_secs: i64 = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
            let (h, m) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if h > 23 || m > 59 {
                return None;
            }
            let o = i64::from(h * 3_600 + m * 60);
            if sign == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day)?;
    let secs = days * 86_400 + u64::from(hour * 3_600 + min * 60 + sec);
    let secs = u64::try_from(i64::try_from(secs).ok()?.checked_sub(offset_secs)?).ok()?;
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: u64 = 1_000_000_000;

    fn nanos(ns: u64) -> String {
        let mut out = Vec::new();
        write_rfc3339_nanos(ns, &mut out);
        String::from_utf8(out).unwrap()
    }

    fn millis(ns: u64) -> String {
        let mut out = Vec::new();
        write_rfc3339_millis(ns, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn epoch_zero() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(nanos(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(nanos(1), "1970-01-01T00:00:00.000000001Z");
    }

    #[test]
    fn leap_day_2024() {
        // `date -u -d 2024-02-29T12:00:00Z +%s` = 1709208000
        let ns = 1_709_208_000 * SEC + 7;
        assert_eq!(nanos(ns), "2024-02-29T12:00:00.000000007Z");
        assert_eq!(civil_from_days(1_709_208_000 / 86_400 + 1), (2024, 3, 1));
        assert_eq!(civil_from_days(1_709_208_000 / 86_400 - 1), (2024, 2, 28));
    }

    #[test]
    fn standard_event_time() {
        // `date -u -d 2026-11-27T20:42:08Z +%s` = 1795812128
        let ns = 1_795_812_128 * SEC + 123_456_789;
        assert_eq!(nanos(ns), "2026-11-27T20:42:08.123456789Z");
        assert_eq!(millis(ns), "2026-11-27T20:42:08.123Z");
        // Milliseconds truncate, never round up into the next second.
        assert_eq!(
            millis(1_795_812_128 * SEC + 999_999_999),
            "2026-11-27T20:42:08.999Z"
        );
    }

    #[test]
    fn year_2100_is_not_a_leap_year() {
        // `date -u -d 2100-02-28T23:59:59Z +%s` = 4107542399
        let ns = 4_107_542_399 * SEC + 999_999_999;
        assert_eq!(nanos(ns), "2100-02-28T23:59:59.999999999Z");
        assert_eq!(nanos(ns + 1), "2100-03-01T00:00:00.000000000Z");
    }

    #[test]
    fn largest_timestamp() {
        // `date -u -d @18446744073` = Sun Jul 21 23:34:33 UTC 2554
        assert_eq!(nanos(u64::MAX), "2554-07-21T23:34:33.709551615Z");
        assert_eq!(millis(u64::MAX), "2554-07-21T23:34:33.709Z");
    }

    /// Checks every day a `u64` timestamp can reach against a naive day-by-day calendar.
    #[test]
    fn every_reachable_day_matches_a_naive_calendar() {
        fn is_leap(y: u32) -> bool {
            (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
        }
        let (mut y, mut m, mut d) = (1970u32, 1u32, 1u32);
        for days in 0..=(u64::MAX / NS_PER_DAY) {
            assert_eq!(civil_from_days(days), (y, m, d), "day {days}");
            let len = match m {
                2 if is_leap(y) => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            d += 1;
            if d > len {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
        }
        assert_eq!((y, m, d), (2554, 7, 22));
    }

    #[test]
    fn micros_truncate() {
        let ns = 1_795_812_128 * SEC + 123_456_789;
        let mut out = Vec::new();
        write_rfc3339_micros(ns, &mut out);
        assert_eq!(out, b"2026-11-27T20:42:08.123456Z");
    }

    #[test]
    fn parse_reads_back_what_is_written() {
        for ns in [
            0,
            1,
            1_709_208_000 * SEC + 7,
            1_795_812_128 * SEC + 123_456_789,
            4_107_542_399 * SEC + 999_999_999,
            u64::MAX,
        ] {
            assert_eq!(parse_rfc3339(&nanos(ns)), Some(ns), "{}", nanos(ns));
            assert_eq!(parse_rfc3339(&millis(ns)), Some(ns / 1_000_000 * 1_000_000));
        }
        for days in (0..=(u64::MAX / NS_PER_DAY)).step_by(97) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), Some(days));
        }
    }

    #[test]
    fn parse_accepts_offsets_and_rejects_garbage() {
        let base = 1_795_812_128 * SEC;
        assert_eq!(parse_rfc3339("2026-11-27T20:42:08Z"), Some(base));
        assert_eq!(parse_rfc3339("2026-11-27T21:42:08+01:00"), Some(base));
        assert_eq!(
            parse_rfc3339("2026-11-27t19:42:08.5-01:00"),
            Some(base + SEC / 2)
        );
        assert_eq!(
            parse_rfc3339("2026-11-27T20:42:08.1234567891Z"),
            Some(base + 123_456_789)
        );
        for bad in [
            "",
            "2026-11-27",
            "2026-11-27T20:42:08",
            "2026-13-27T20:42:08Z",
            "2026-02-29T20:42:08Z",
            "2026-11-27T24:42:08Z",
            "2026-11-27T20:42:08.Z",
            "2026-11-27T20:42:08ZZ",
            "1969-12-31T23:59:59Z",
            "2554-07-21T23:34:34Z",
            "+026-11-27T20:42:08Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn time_of_day_fields() {
        let ns = (86_400 - 1) * SEC + 5_000_000;
        assert_eq!(nanos(ns), "1970-01-01T23:59:59.005000000Z");
        assert_eq!(millis(ns), "1970-01-01T23:59:59.005Z");
        let ns = (10 * 3_600 + 7 * 60 + 3) * SEC;
        assert_eq!(nanos(ns), "1970-01-01T10:07:03.000000000Z");
    }
}
