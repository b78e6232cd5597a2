//! RFC 5424 syslog messages.
//!
//! ```text
//! <134>1 2026-11-27T20:42:08.123456Z web-1 checkout 4242 - [logcap@32473 level="info"][labels@32473 service="checkout"][fields@32473 status="200"] request completed
//! ```
//!
//! - PRI is `facility · 8 + severity`; the severity comes from the level ([`severity`]).
//! - TIMESTAMP is UTC with microseconds (RFC 5424 allows at most six fractional digits).
//! - MSGID is `-`.
//! - With `fields_as: structured_data`, STRUCTURED-DATA has up to three elements:
//!   `logcap@<enterprise_id>` (`level`, and `trace_id` / `span_id` when set),
//!   `labels@<enterprise_id>` and `fields@<enterprise_id>` (left out when empty); MSG is the
//!   message. PARAM-NAMEs are the keys with every character outside printable ASCII, and `=`,
//!   space, `]` and `"`, replaced by `_`, cut to 32 bytes; PARAM-VALUEs escape `"`, `\` and `]`
//!   with a backslash, as RFC 5424 requires.
//! - With `fields_as: msg`, STRUCTURED-DATA is `-` and MSG is the entry in JSON lines or text
//!   (docs/output.md), without its newline.
//! - MSG is UTF-8 without a BOM.
//!
//! A message longer than the limit is cut: whole SD elements are dropped from the end while the
//! header and STRUCTURED-DATA alone do not fit, then MSG is cut at a character boundary. The
//! message never contains framing: transports send it in one datagram or behind its length.

use super::time::write_rfc3339_micros;
use super::{json, text, value_text, Format};
use crate::config::SyslogFieldsAs;
use crate::entry::{EntryData, Level};

/// The RFC 5424 severity of a level: trace and debug 7 (debug), info 6 (informational),
/// warn 4 (warning), error 3 (error), fatal 2 (critical).
pub fn severity(l: Level) -> u8 {
    match l {
        Level::Trace | Level::Debug => 7,
        Level::Info => 6,
        Level::Warn => 4,
        Level::Error => 3,
        Level::Fatal => 2,
    }
}

/// Keeps the printable US-ASCII of a header field (HOSTNAME, APP-NAME, PROCID), replacing
/// anything else with `_`, cut to `max` bytes; `-` (the nil value) when empty.
pub fn header_field(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if ('!'..='~').contains(&c) { c } else { '_' })
        .take(max)
        .collect();
    if out.is_empty() {
        out.push('-');
    }
    out
}

/// What does not change from one message to the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyslogHeader {
    /// Facility, 0 to 23.
    pub facility: u8,
    /// HOSTNAME (printable ASCII, at most 255 bytes).
    pub hostname: String,
    /// APP-NAME (printable ASCII, at most 48 bytes).
    pub app_name: String,
    /// PROCID.
    pub procid: String,
    /// The private enterprise number of the SD-IDs.
    pub enterprise_id: u32,
}

/// Formats entries as RFC 5424 messages.
pub struct SyslogFormatter {
    header: SyslogHeader,
    fields_as: SyslogFieldsAs,
    msg_format: Format,
    max_bytes: usize,
    sd: Vec<u8>,
    sd_ends: Vec<usize>,
    line: Vec<u8>,
    value: String,
}

impl SyslogFormatter {
    /// A formatter. `max_bytes` bounds each message (at least 480, RFC 5424's minimum).
    pub fn new(
        header: SyslogHeader,
        fields_as: SyslogFieldsAs,
        msg_format: Format,
        max_bytes: usize,
    ) -> Self {
        SyslogFormatter {
            header,
            fields_as,
            msg_format,
            max_bytes: max_bytes.max(480),
            sd: Vec::new(),
            sd_ends: Vec::new(),
            line: Vec::new(),
            value: String::new(),
        }
    }

    /// Appends one message for `e` to `out`, without framing; `line`, if given, is the
    /// entry already encoded in `msg_format` (used with `fields_as: msg`). Returns whether
    /// the message had to be cut.
    pub fn format(&mut self, e: &EntryData, line: Option<&[u8]>, out: &mut Vec<u8>) -> bool {
        let start = out.len();
        let h = &self.header;
        out.push(b'<');
        let pri = u32::from(h.facility) * 8 + u32::from(severity(e.level()));
        out.extend_from_slice(itoa::Buffer::new().format(pri).as_bytes());
        out.extend_from_slice(b">1 ");
        write_rfc3339_micros(e.timestamp_ns(), out);
        out.push(b' ');
        out.extend_from_slice(h.hostname.as_bytes());
        out.push(b' ');
        out.extend_from_slice(h.app_name.as_bytes());
        out.push(b' ');
        out.extend_from_slice(h.procid.as_bytes());
        out.extend_from_slice(b" - ");
        let header_len = out.len() - start;

        self.sd.clear();
        self.sd_ends.clear();
        let msg: &[u8] = match self.fields_as {
            SyslogFieldsAs::StructuredData => {
                self.structured_data(e);
                e.message().as_bytes()
            }
            SyslogFieldsAs::Msg => match line {
                Some(l) => l,
                None => {
                    self.line.clear();
                    match self.msg_format {
                        Format::Json => json::encode(e, &mut self.line),
                        Format::Text => text::encode(e, &mut self.line),
                    }
                    self.line.pop();
                    &self.line
                }
            },
        };
        let mut cut = false;
        // Drop whole SD elements from the end while the header and SD alone are too long.
        let mut sd_len = self.sd.len();
        while header_len + sd_len.max(1) > self.max_bytes && !self.sd_ends.is_empty() {
            self.sd_ends.pop();
            sd_len = self.sd_ends.last().copied().unwrap_or(0);
            cut = true;
        }
        if sd_len == 0 {
            out.push(b'-');
        } else {
            out.extend_from_slice(&self.sd[..sd_len]);
        }
        if !msg.is_empty() {
            let room = self.max_bytes.saturating_sub(out.len() - start + 1);
            let mut n = msg.len().min(room);
            if n < msg.len() {
                cut = true;
                // Cut at a character boundary: back off continuation bytes.
                while n > 0 && (msg[n] & 0xC0) == 0x80 {
                    n -= 1;
                }
            }
            if n > 0 {
                out.push(b' ');
                out.extend_from_slice(&msg[..n]);
            }
        }
        cut
    }

    fn structured_data(&mut self, e: &EntryData) {
        let id = self.header.enterprise_id;
        let sd = &mut self.sd;
        open_element(sd, "logcap", id);
        param(sd, "level", e.level().as_str());
        if let Some(t) = e.trace_id() {
            param(sd, "trace_id", t);
        }
        if let Some(s) = e.span_id() {
            param(sd, "span_id", s);
        }
        sd.push(b']');
        self.sd_ends.push(sd.len());
        if e.label_count() > 0 {
            open_element(sd, "labels", id);
            for (k, v) in e.labels() {
                param(sd, k, v);
            }
            sd.push(b']');
            self.sd_ends.push(sd.len());
        }
        if e.field_count() > 0 {
            open_element(sd, "fields", id);
            for (k, v) in e.fields() {
                value_text(v, &mut self.value);
                param(sd, k, &self.value);
            }
            sd.push(b']');
            self.sd_ends.push(sd.len());
        }
    }
}

fn open_element(sd: &mut Vec<u8>, name: &str, enterprise_id: u32) {
    sd.push(b'[');
    sd.extend_from_slice(name.as_bytes());
    sd.push(b'@');
    sd.extend_from_slice(itoa::Buffer::new().format(enterprise_id).as_bytes());
}

/// Appends ` name="value"`: the name made a valid SD-NAME, the value escaped.
fn param(sd: &mut Vec<u8>, name: &str, value: &str) {
    sd.push(b' ');
    let mut n = 0;
    for c in name.chars() {
        if n == 32 {
            break;
        }
        let ok = c.is_ascii_graphic() && !matches!(c, '=' | ']' | '"');
        sd.push(if ok { c as u8 } else { b'_' });
        n += 1;
    }
    if n == 0 {
        sd.push(b'_');
    }
    sd.extend_from_slice(b"=\"");
    let bytes = value.as_bytes();
    let mut from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if matches!(b, b'"' | b'\\' | b']') {
            sd.extend_from_slice(&bytes[from..i]);
            sd.push(b'\\');
            from = i;
        }
    }
    sd.extend_from_slice(&bytes[from..]);
    sd.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> SyslogHeader {
        SyslogHeader {
            facility: 16,
            hostname: "web-1".into(),
            app_name: "checkout".into(),
            procid: "4242".into(),
            enterprise_id: 32473,
        }
    }

    fn standard() -> EntryData {
        let mut e = EntryData::new();
        e.set_timestamp_ns(1_795_812_128_123_456_789);
        e.set_message("request completed");
        e.set_label("service", "checkout").unwrap();
        e.set_field("status", 200i64).unwrap();
        e.set_field("latency_ms", 12.5).unwrap();
        e
    }

    fn one(f: &mut SyslogFormatter, e: &EntryData) -> String {
        let mut out = Vec::new();
        f.format(e, None, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn standard_event_with_structured_data() {
        let mut f =
            SyslogFormatter::new(header(), SyslogFieldsAs::StructuredData, Format::Json, 2048);
        assert_eq!(
            one(&mut f, &standard()),
            "<134>1 2026-11-27T20:42:08.123456Z web-1 checkout 4242 - \
             [logcap@32473 level=\"info\"][labels@32473 service=\"checkout\"]\
             [fields@32473 status=\"200\" latency_ms=\"12.5\"] request completed"
        );
        let mut e = EntryData::new();
        e.set_level(Level::Fatal);
        e.set_trace_id("t1");
        assert_eq!(
            one(&mut f, &e),
            "<130>1 1970-01-01T00:00:00.000000Z web-1 checkout 4242 - \
             [logcap@32473 level=\"fatal\" trace_id=\"t1\"]"
        );
    }

    #[test]
    fn msg_mode_carries_the_encoded_entry() {
        for format in Format::ALL {
            let mut f = SyslogFormatter::new(header(), SyslogFieldsAs::Msg, format, 2048);
            let mut line = Vec::new();
            crate::encode::encode(format, &standard(), &mut line);
            line.pop();
            let msg = one(&mut f, &standard());
            let prefix = "<134>1 2026-11-27T20:42:08.123456Z web-1 checkout 4242 - - ";
            assert_eq!(msg, format!("{prefix}{}", String::from_utf8(line).unwrap()));
        }
    }

    #[test]
    fn severities_follow_levels() {
        let got: Vec<u8> = Level::ALL.iter().map(|&l| severity(l)).collect();
        assert_eq!(got, [7, 7, 6, 4, 3, 2]);
    }

    #[test]
    fn sd_values_are_escaped_and_names_made_valid() {
        let mut f =
            SyslogFormatter::new(header(), SyslogFieldsAs::StructuredData, Format::Json, 2048);
        let mut e = EntryData::new();
        e.set_label("a b=c]\"d", "x\"y\\z]w\nv").unwrap();
        e.set_label(&"k".repeat(40), "é").unwrap();
        e.set_label("", "empty name").unwrap();
        let msg = one(&mut f, &e);
        let sd = msg.split_once(" - ").unwrap().1;
        assert_eq!(
            sd,
            format!(
                "[logcap@32473 level=\"info\"][labels@32473 a_b_c__d=\"x\\\"y\\\\z\\]w\nv\" {}=\"é\" _=\"empty name\"]",
                "k".repeat(32)
            )
        );
    }

    #[test]
    fn long_messages_are_cut_at_a_character_boundary() {
        let mut f =
            SyslogFormatter::new(header(), SyslogFieldsAs::StructuredData, Format::Json, 480);
        let mut e = standard();
        e.set_message(&"é".repeat(400));
        let mut out = Vec::new();
        assert!(f.format(&e, None, &mut out));
        assert!(out.len() <= 480 && out.len() >= 478, "{}", out.len());
        let s = String::from_utf8(out).expect("still UTF-8");
        assert!(s.contains("[fields@32473"));
        // SD elements that do not fit are dropped whole, from the end.
        let mut e = standard();
        e.set_field("big", "v".repeat(600).as_str()).unwrap();
        let mut out = Vec::new();
        assert!(f.format(&e, None, &mut out));
        let s = String::from_utf8(out).unwrap();
        assert!(s.len() <= 480);
        assert!(
            s.contains("[labels@32473 service=\"checkout\"] request completed"),
            "{s}"
        );
        assert!(!s.contains("fields@"));
        // Short messages are not cut.
        let mut out = Vec::new();
        assert!(!f.format(&standard(), None, &mut out));
    }

    #[test]
    fn header_fields_are_printable_ascii() {
        assert_eq!(header_field("my app", 48), "my_app");
        assert_eq!(header_field("", 48), "-");
        assert_eq!(header_field("hôte", 255), "h_te");
        assert_eq!(header_field(&"a".repeat(60), 48).len(), 48);
    }
}
