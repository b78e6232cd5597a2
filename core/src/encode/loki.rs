//! The Loki push request: entries grouped into streams by their label set, sorted by time
//! within a stream, encoded as `logproto.PushRequest` in protobuf (snappy block format, Loki's
//! default) or as the JSON push body (gzip).
//!
//! How an entry becomes a Loki entry (docs/network-sinks.md has the full rules):
//! - **Stream labels**: the entry's labels with non-empty values, names sanitised to
//!   `[a-zA-Z_][a-zA-Z0-9_]*`, at most [`MAX_STREAM_LABELS`], the first ones set winning. Labels
//!   past the limit, and a label whose sanitised name repeats an earlier one, go to structured
//!   metadata (or only stay in the line, with `fields_as: line`). An entry without labels goes
//!   to the stream `{job="logcap"}`.
//! - **`fields_as: structured_metadata`**: the line is the message; `level`, `trace_id`,
//!   `span_id`, the overflow labels and the fields are structured metadata, names sanitised
//!   like label names (a repeated name gets `_2`, `_3`…), values as text.
//! - **`fields_as: line`**: the line is the entry in JSON lines or text (docs/output.md), without
//!   its newline; no structured metadata.

use super::{json, text, Format};
use crate::config::{LokiEncoding, LokiFieldsAs};
use crate::entry::EntryData;
use prost::Message;
use std::collections::{HashMap, HashSet};
use std::io::Write;

/// At most this many labels in a stream: Loki's default `max_label_names_per_series`.
pub const MAX_STREAM_LABELS: usize = 15;

/// The stream of an entry that has no label.
pub const DEFAULT_STREAM: (&str, &str) = ("job", "logcap");

/// `logproto.PushRequest`.
#[derive(Clone, PartialEq, Message)]
pub struct PushRequest {
    /// The streams.
    #[prost(message, repeated, tag = "1")]
    pub streams: Vec<StreamAdapter>,
}

/// `logproto.StreamAdapter`: one label set and its entries.
#[derive(Clone, PartialEq, Message)]
pub struct StreamAdapter {
    /// The label set as a selector: `{env="prod", service="checkout"}`.
    #[prost(string, tag = "1")]
    pub labels: String,
    /// The entries, oldest first.
    #[prost(message, repeated, tag = "2")]
    pub entries: Vec<EntryAdapter>,
}

/// `logproto.EntryAdapter`: one log line.
#[derive(Clone, PartialEq, Message)]
pub struct EntryAdapter {
    /// When.
    #[prost(message, optional, tag = "1")]
    pub timestamp: Option<Timestamp>,
    /// The line.
    #[prost(string, tag = "2")]
    pub line: String,
    /// Structured metadata.
    #[prost(message, repeated, tag = "3")]
    pub structured_metadata: Vec<LabelPairAdapter>,
}

/// `logproto.LabelPairAdapter`.
#[derive(Clone, PartialEq, Message)]
pub struct LabelPairAdapter {
    /// The name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// The value.
    #[prost(string, tag = "2")]
    pub value: String,
}

/// `google.protobuf.Timestamp`.
#[derive(Clone, Copy, PartialEq, Eq, Message)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    /// Nanoseconds within the second.
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

impl Timestamp {
    /// The timestamp of `ns` nanoseconds since the Unix epoch.
    pub fn from_nanos(ns: u64) -> Self {
        Timestamp {
            seconds: (ns / 1_000_000_000) as i64,
            nanos: (ns % 1_000_000_000) as i32,
        }
    }

    /// Nanoseconds since the Unix epoch (0 before it).
    pub fn nanos_since_epoch(&self) -> u64 {
        u64::try_from(self.seconds)
            .unwrap_or(0)
            .saturating_mul(1_000_000_000)
            .saturating_add(u64::try_from(self.nanos).unwrap_or(0))
    }
}

/// Rewrites `name` into Loki's label-name alphabet, `[a-zA-Z_][a-zA-Z0-9_]*`: every other
/// character becomes `_`, a leading digit gets a `_` before it, and an empty name is `_`.
pub fn sanitize_label_name(name: &str, out: &mut String) {
    out.clear();
    if name.is_empty() || name.as_bytes()[0].is_ascii_digit() {
        out.push('_');
    }
    out.extend(name.chars().map(|c| {
        if c.is_ascii_alphanumeric() || c == '_' {
            c
        } else {
            '_'
        }
    }));
}

/// Appends `v` as a double-quoted label value that Loki's (Go) selector parser reads back.
fn write_label_value(v: &str, out: &mut String) {
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// One stream's label set.
#[derive(Debug, Clone)]
struct Stream {
    /// `{a="1", b="2"}`, names sorted.
    selector: String,
    /// The same pairs, names sorted.
    pairs: Vec<(String, String)>,
}

/// The labels of the previous entry and what they became, so that a batch of entries with
/// the same labels (the common case) sanitises them once.
#[derive(Default)]
struct LabelCache {
    raw: Vec<(String, String)>,
    stream: usize,
    overflow: Vec<(String, String)>,
    valid: bool,
}

/// One request's worth of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LokiRequest {
    /// The body, compressed.
    pub body: Vec<u8>,
    /// The positions in the batch of the entries it carries.
    pub entries: Vec<usize>,
    /// The estimated uncompressed size that limits a request.
    pub estimated_bytes: usize,
}

/// Limits of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLimits {
    /// At most this many entries.
    pub max_entries: usize,
    /// At most about this many uncompressed bytes (an entry larger than this goes alone).
    pub max_bytes: usize,
}

/// Turns batches into Loki push requests. Keeps its buffers and its table of streams between
/// batches.
pub struct LokiEncoder {
    encoding: LokiEncoding,
    fields_as: LokiFieldsAs,
    line_format: Format,
    streams: Vec<Stream>,
    by_selector: HashMap<String, usize>,
    cache: LabelCache,
    name: String,
    value: String,
    line: Vec<u8>,
    raw: Vec<u8>,
    snappy: snap::raw::Encoder,
}

impl LokiEncoder {
    /// An encoder for this encoding and field placement; `line_format` is the line's encoding
    /// with [`LokiFieldsAs::Line`].
    pub fn new(encoding: LokiEncoding, fields_as: LokiFieldsAs, line_format: Format) -> Self {
        LokiEncoder {
            encoding,
            fields_as,
            line_format,
            streams: Vec::new(),
            by_selector: HashMap::new(),
            cache: LabelCache::default(),
            name: String::new(),
            value: String::new(),
            line: Vec::new(),
            raw: Vec::new(),
            snappy: snap::raw::Encoder::new(),
        }
    }

    /// `Content-Type` of the bodies.
    pub fn content_type(&self) -> &'static str {
        match self.encoding {
            LokiEncoding::Protobuf => "application/x-protobuf",
            LokiEncoding::Json => "application/json",
        }
    }

    /// `Content-Encoding` of the bodies, if one is sent (snappy is implied for protobuf).
    pub fn content_encoding(&self) -> Option<&'static str> {
        match self.encoding {
            LokiEncoding::Protobuf => None,
            LokiEncoding::Json => Some("gzip"),
        }
    }

    /// Encodes `entries` into as many requests as `limits` need, entries kept in order across
    /// requests. `lines`, if given, is the entries already encoded in `line_format`, one line
    /// each (a batch's cached encoding), used for `fields_as: line` instead of encoding again.
    pub fn encode(
        &mut self,
        entries: &[&EntryData],
        lines: Option<&[u8]>,
        limits: RequestLimits,
    ) -> Vec<LokiRequest> {
        // Streams are renumbered per call, so the table cannot grow without bound.
        self.streams.clear();
        self.by_selector.clear();
        self.cache.valid = false;
        let mut lines = lines.map(|l| l.split(|&b| b == b'\n'));
        let mut prepared = Vec::with_capacity(entries.len());
        for e in entries {
            let line = lines.as_mut().and_then(|l| l.next());
            prepared.push(self.prepare(e, line));
        }
        let mut requests = Vec::new();
        let mut in_request = vec![false; self.streams.len()];
        let mut start = 0;
        let mut bytes = 0;
        for (i, (stream, entry)) in prepared.iter().enumerate() {
            let mut size = 16 + entry.line.len();
            for p in &entry.structured_metadata {
                size += p.name.len() + p.value.len() + 4;
            }
            if !in_request[*stream] {
                size += self.streams[*stream].selector.len() + 8;
            }
            if i > start && (i - start >= limits.max_entries || bytes + size > limits.max_bytes) {
                requests.push((start..i, bytes));
                in_request.iter_mut().for_each(|b| *b = false);
                start = i;
                size += self.streams[*stream].selector.len() + 8;
                bytes = 0;
            }
            in_request[*stream] = true;
            bytes += size;
        }
        if start < prepared.len() {
            requests.push((start..prepared.len(), bytes));
        }
        let mut prepared: Vec<Option<(usize, EntryAdapter)>> =
            prepared.into_iter().map(Some).collect();
        requests
            .into_iter()
            .map(|(range, estimated_bytes)| {
                let mut push = PushRequest::default();
                let mut slot: Vec<Option<usize>> = vec![None; self.streams.len()];
                for p in &mut prepared[range.clone()] {
                    let (stream, entry) = p.take().expect("each entry is in one request");
                    let at = *slot[stream].get_or_insert_with(|| {
                        push.streams.push(StreamAdapter {
                            labels: self.streams[stream].selector.clone(),
                            entries: Vec::new(),
                        });
                        push.streams.len() - 1
                    });
                    push.streams[at].entries.push(entry);
                }
                for s in &mut push.streams {
                    s.entries
                        .sort_by_key(|e| e.timestamp.unwrap_or_default().nanos_since_epoch());
                }
                LokiRequest {
                    body: self.body(&push, &slot),
                    entries: range.collect(),
                    estimated_bytes,
                }
            })
            .collect()
    }

    /// The stream and the Loki entry of one entry.
    fn prepare(&mut self, e: &EntryData, line: Option<&[u8]>) -> (usize, EntryAdapter) {
        let stream = self.stream_of(e);
        let mut metadata = Vec::new();
        let line = match self.fields_as {
            LokiFieldsAs::Line => {
                let bytes = match line {
                    Some(l) => l,
                    None => {
                        self.line.clear();
                        match self.line_format {
                            Format::Json => json::encode(e, &mut self.line),
                            Format::Text => text::encode(e, &mut self.line),
                        }
                        self.line.pop();
                        &self.line
                    }
                };
                String::from_utf8_lossy(bytes).into_owned()
            }
            LokiFieldsAs::StructuredMetadata => {
                self.metadata(e, &mut metadata);
                e.message().to_owned()
            }
        };
        (
            stream,
            EntryAdapter {
                timestamp: Some(Timestamp::from_nanos(e.timestamp_ns())),
                line,
                structured_metadata: metadata,
            },
        )
    }

    fn metadata(&mut self, e: &EntryData, out: &mut Vec<LabelPairAdapter>) {
        out.reserve(3 + self.cache.overflow.len() + e.field_count());
        let mut names = Names::default();
        names.push(out, "level", e.level().as_str().to_owned());
        if let Some(t) = e.trace_id() {
            names.push(out, "trace_id", t.to_owned());
        }
        if let Some(s) = e.span_id() {
            names.push(out, "span_id", s.to_owned());
        }
        for (k, v) in &self.cache.overflow {
            names.push(out, k, v.clone());
        }
        for (k, v) in e.fields() {
            sanitize_label_name(k, &mut self.name);
            super::value_text(v, &mut self.value);
            names.push(out, &self.name, self.value.clone());
        }
    }

    /// The stream of an entry, made on first sight; leaves the entry's overflow labels in
    /// `self.cache.overflow`.
    fn stream_of(&mut self, e: &EntryData) -> usize {
        let c = &mut self.cache;
        if c.valid
            && c.raw.len() == e.label_count()
            && e.labels()
                .eq(c.raw.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        {
            return c.stream;
        }
        c.raw.clear();
        c.raw
            .extend(e.labels().map(|(k, v)| (k.to_owned(), v.to_owned())));
        c.overflow.clear();
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (k, v) in e.labels() {
            if v.is_empty() {
                continue;
            }
            sanitize_label_name(k, &mut self.name);
            let repeated = pairs.iter().any(|(n, _)| *n == self.name);
            if repeated || pairs.len() >= MAX_STREAM_LABELS {
                c.overflow.push((self.name.clone(), v.to_owned()));
            } else {
                pairs.push((self.name.clone(), v.to_owned()));
            }
        }
        if pairs.is_empty() {
            pairs.push((DEFAULT_STREAM.0.into(), DEFAULT_STREAM.1.into()));
        }
        pairs.sort();
        let mut selector = String::from("{");
        for (i, (k, v)) in pairs.iter().enumerate() {
            if i > 0 {
                selector.push_str(", ");
            }
            selector.push_str(k);
            selector.push('=');
            write_label_value(v, &mut selector);
        }
        selector.push('}');
        let stream = match self.by_selector.get(&selector) {
            Some(&i) => i,
            None => {
                self.streams.push(Stream {
                    selector: selector.clone(),
                    pairs,
                });
                self.by_selector.insert(selector, self.streams.len() - 1);
                self.streams.len() - 1
            }
        };
        c.stream = stream;
        c.valid = true;
        stream
    }

    /// The compressed body of one request. `slot` maps stream numbers to positions in `push`.
    fn body(&mut self, push: &PushRequest, slot: &[Option<usize>]) -> Vec<u8> {
        self.raw.clear();
        match self.encoding {
            LokiEncoding::Protobuf => {
                push.encode(&mut self.raw).expect("a Vec grows as needed");
                self.snappy
                    .compress_vec(&self.raw)
                    .expect("snappy compresses any input below 4 GiB")
            }
            LokiEncoding::Json => {
                let mut pos_to_stream = vec![0; push.streams.len()];
                for (stream, at) in slot.iter().enumerate() {
                    if let Some(at) = at {
                        pos_to_stream[*at] = stream;
                    }
                }
                let out = &mut self.raw;
                out.extend_from_slice(b"{\"streams\":[");
                for (i, s) in push.streams.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(b"{\"stream\":{");
                    for (j, (k, v)) in self.streams[pos_to_stream[i]].pairs.iter().enumerate() {
                        if j > 0 {
                            out.push(b',');
                        }
                        json::write_str(k, out);
                        out.push(b':');
                        json::write_str(v, out);
                    }
                    out.extend_from_slice(b"},\"values\":[");
                    for (j, e) in s.entries.iter().enumerate() {
                        if j > 0 {
                            out.push(b',');
                        }
                        out.extend_from_slice(b"[\"");
                        let ns = e.timestamp.unwrap_or_default().nanos_since_epoch();
                        out.extend_from_slice(itoa::Buffer::new().format(ns).as_bytes());
                        out.extend_from_slice(b"\",");
                        json::write_str(&e.line, out);
                        if !e.structured_metadata.is_empty() {
                            out.extend_from_slice(b",{");
                            for (m, p) in e.structured_metadata.iter().enumerate() {
                                if m > 0 {
                                    out.push(b',');
                                }
                                json::write_str(&p.name, out);
                                out.push(b':');
                                json::write_str(&p.value, out);
                            }
                            out.push(b'}');
                        }
                        out.push(b']');
                    }
                    out.extend_from_slice(b"]}");
                }
                out.extend_from_slice(b"]}");
                let mut gz = flate2::write::GzEncoder::new(
                    Vec::with_capacity(out.len() / 4),
                    flate2::Compression::fast(),
                );
                gz.write_all(out).expect("writing to a Vec cannot fail");
                gz.finish().expect("writing to a Vec cannot fail")
            }
        }
    }
}

/// Keeps the names of one entry's structured metadata unique: a repeated name gets `_2`,
/// `_3`… A few names are compared in place; past [`Names::SMALL`] they are indexed.
#[derive(Default)]
struct Names {
    index: Option<HashSet<String>>,
}

impl Names {
    const SMALL: usize = 16;

    fn taken(&self, out: &[LabelPairAdapter], n: &str) -> bool {
        match &self.index {
            Some(set) => set.contains(n),
            None => out.iter().any(|p| p.name == n),
        }
    }

    fn push(&mut self, out: &mut Vec<LabelPairAdapter>, name: &str, value: String) {
        let name = if self.taken(out, name) {
            (2..)
                .map(|k| format!("{name}_{k}"))
                .find(|n| !self.taken(out, n))
                .expect("some suffix is free")
        } else {
            name.to_owned()
        };
        if let Some(set) = &mut self.index {
            set.insert(name.clone());
        } else if out.len() >= Self::SMALL {
            let mut set: HashSet<String> = out.iter().map(|p| p.name.clone()).collect();
            set.insert(name.clone());
            self.index = Some(set);
        }
        out.push(LabelPairAdapter { name, value });
    }
}

/// Decodes a protobuf push body (snappy block format), as a receiver would: for tests and
/// tools.
pub fn decode_protobuf(body: &[u8]) -> Result<PushRequest, String> {
    let raw = snap::raw::Decoder::new()
        .decompress_vec(body)
        .map_err(|e| format!("snappy: {e}"))?;
    PushRequest::decode(raw.as_slice()).map_err(|e| format!("protobuf: {e}"))
}

#[cfg(test)]
mod tests;
