//! OTLP logs: entries as an `ExportLogsServiceRequest` of the opentelemetry-proto crate,
//! encoded in protobuf or OTLP/JSON, optionally gzip-compressed.
//!
//! An entry becomes one `LogRecord`:
//!
//! | entry | log record |
//! |---|---|
//! | timestamp | `timeUnixNano` and `observedTimeUnixNano` |
//! | level | `severityNumber` (TRACE 1, DEBUG 5, INFO 9, WARN 13, ERROR 17, FATAL 21) and `severityText` (`"INFO"`…) |
//! | message | `body` (a string) |
//! | fields | `attributes`, typed: string, int (i64, and u64 up to i64's maximum), double, bool; a u64 above i64's range is a string of its decimal digits |
//! | trace_id, span_id | `traceId` (16 bytes from 32 hex digits), `spanId` (8 bytes from 16); an id that is not that is kept as the string attribute `trace_id` or `span_id` |
//! | labels | resource attributes (`labels_as: "resource"`, entries grouped into one `ResourceLogs` per label set) or string attributes before the fields (`"attributes"`) |
//!
//! Every resource also has the configured `resource` attributes (a label of the same name
//! wins), and one `ScopeLogs` with the scope `logcap`.

use crate::config::{OtlpEncoding, OtlpLabelsAs};
use crate::entry::{EntryData, Level, ValueRef};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs, SeverityNumber};
use opentelemetry_proto::tonic::resource::v1::Resource;
use std::collections::BTreeMap;
use std::io::Write;

/// The severity number and text of a level.
pub fn severity(level: Level) -> (SeverityNumber, &'static str) {
    match level {
        Level::Trace => (SeverityNumber::Trace, "TRACE"),
        Level::Debug => (SeverityNumber::Debug, "DEBUG"),
        Level::Info => (SeverityNumber::Info, "INFO"),
        Level::Warn => (SeverityNumber::Warn, "WARN"),
        Level::Error => (SeverityNumber::Error, "ERROR"),
        Level::Fatal => (SeverityNumber::Fatal, "FATAL"),
    }
}

fn string_value(s: &str) -> Option<AnyValue> {
    Some(AnyValue {
        value: Some(any_value::Value::StringValue(s.to_owned())),
    })
}

fn key_value(key: &str, value: Option<AnyValue>) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value,
        ..Default::default()
    }
}

/// The OTLP value of a field. OTLP/JSON has no not-finite number, so there those are the
/// strings `"NaN"`, `"Infinity"` and `"-Infinity"`.
fn field_value(v: ValueRef<'_>, json: bool) -> Option<AnyValue> {
    use any_value::Value as V;
    let value = match v {
        ValueRef::Str(s) => V::StringValue(s.to_owned()),
        ValueRef::I64(n) => V::IntValue(n),
        ValueRef::U64(n) => match i64::try_from(n) {
            Ok(n) => V::IntValue(n),
            Err(_) => V::StringValue(n.to_string()),
        },
        ValueRef::F64(n) if json && !n.is_finite() => {
            V::StringValue(super::json::non_finite_name(n).to_owned())
        }
        ValueRef::F64(n) => V::DoubleValue(n),
        ValueRef::Bool(b) => V::BoolValue(b),
    };
    Some(AnyValue { value: Some(value) })
}

/// `hex` as bytes when it is exactly `2 * N` hex digits and not all zero (OTLP's invalid id).
fn id_bytes<const N: usize>(hex: &str) -> Option<Vec<u8>> {
    let b = hex.as_bytes();
    if b.len() != 2 * N {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(N);
    for pair in b.chunks(2) {
        out.push(digit(pair[0])? << 4 | digit(pair[1])?);
    }
    (out.iter().any(|&x| x != 0)).then_some(out)
}

/// Builds and serialises export requests.
#[derive(Debug, Clone)]
pub struct OtlpEncoder {
    encoding: OtlpEncoding,
    labels_as: OtlpLabelsAs,
    resource: BTreeMap<String, String>,
    gzip: bool,
}

impl OtlpEncoder {
    /// An encoder with these settings; `resource` goes into every resource.
    pub fn new(
        encoding: OtlpEncoding,
        labels_as: OtlpLabelsAs,
        resource: BTreeMap<String, String>,
        gzip: bool,
    ) -> Self {
        OtlpEncoder {
            encoding,
            labels_as,
            resource,
            gzip,
        }
    }

    /// The request's `Content-Type`.
    pub fn content_type(&self) -> &'static str {
        match self.encoding {
            OtlpEncoding::Protobuf => "application/x-protobuf",
            OtlpEncoding::Json => "application/json",
        }
    }

    /// The request's `Content-Encoding`, if any.
    pub fn content_encoding(&self) -> Option<&'static str> {
        self.gzip.then_some("gzip")
    }

    /// One log record.
    pub fn record(&self, e: &EntryData) -> LogRecord {
        let json = self.encoding == OtlpEncoding::Json;
        let (number, text) = severity(e.level());
        let mut attributes = Vec::with_capacity(e.fields().len() + 2);
        if self.labels_as == OtlpLabelsAs::Attributes {
            attributes.extend(e.labels().map(|(k, v)| key_value(k, string_value(v))));
        }
        let trace_id = e.trace_id().map(|t| (t, id_bytes::<16>(t)));
        let span_id = e.span_id().map(|s| (s, id_bytes::<8>(s)));
        for (name, id) in [("trace_id", &trace_id), ("span_id", &span_id)] {
            if let Some((text, None)) = id {
                attributes.push(key_value(name, string_value(text)));
            }
        }
        attributes.extend(e.fields().map(|(k, v)| key_value(k, field_value(v, json))));
        LogRecord {
            time_unix_nano: e.timestamp_ns(),
            observed_time_unix_nano: e.timestamp_ns(),
            severity_number: number as i32,
            severity_text: text.to_owned(),
            body: string_value(e.message()),
            attributes,
            trace_id: trace_id.and_then(|(_, b)| b).unwrap_or_default(),
            span_id: span_id.and_then(|(_, b)| b).unwrap_or_default(),
            ..Default::default()
        }
    }

    fn resource_logs(&self, labels: &[(&str, &str)], records: Vec<LogRecord>) -> ResourceLogs {
        let mut attributes: Vec<KeyValue> = self
            .resource
            .iter()
            .filter(|(k, _)| !labels.iter().any(|(l, _)| l == k))
            .map(|(k, v)| key_value(k, string_value(v)))
            .collect();
        attributes.extend(labels.iter().map(|(k, v)| key_value(k, string_value(v))));
        ResourceLogs {
            resource: Some(Resource {
                attributes,
                ..Default::default()
            }),
            scope_logs: vec![ScopeLogs {
                scope: Some(InstrumentationScope {
                    name: "logcap".into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                    ..Default::default()
                }),
                log_records: records,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }
    }

    /// The request for `entries`: with `labels_as: resource`, one `ResourceLogs` per label
    /// set (the same labels in any order are the same set), in the order of first appearance.
    pub fn request<'a>(
        &self,
        entries: impl IntoIterator<Item = &'a EntryData>,
    ) -> ExportLogsServiceRequest {
        type Labels<'e> = Vec<(&'e str, &'e str)>;
        let mut groups: Vec<(Labels<'_>, Vec<LogRecord>)> = Vec::new();
        let mut index: BTreeMap<Labels<'_>, usize> = BTreeMap::new();
        for e in entries {
            let labels: Vec<(&str, &str)> = match self.labels_as {
                OtlpLabelsAs::Resource => e.labels().collect(),
                OtlpLabelsAs::Attributes => Vec::new(),
            };
            let mut key = labels.clone();
            key.sort_unstable();
            let i = *index.entry(key).or_insert_with(|| {
                groups.push((labels, Vec::new()));
                groups.len() - 1
            });
            groups[i].1.push(self.record(e));
        }
        ExportLogsServiceRequest {
            resource_logs: groups
                .into_iter()
                .map(|(labels, records)| self.resource_logs(&labels, records))
                .collect(),
        }
    }

    /// The request body: the encoding, then gzip if configured.
    pub fn body(&self, request: &ExportLogsServiceRequest) -> Vec<u8> {
        let raw = match self.encoding {
            OtlpEncoding::Protobuf => prost::Message::encode_to_vec(request),
            OtlpEncoding::Json => {
                serde_json::to_vec(request).expect("an OTLP request serialises to JSON")
            }
        };
        if !self.gzip {
            return raw;
        }
        let mut gz = flate2::write::GzEncoder::new(
            Vec::with_capacity(raw.len() / 4),
            flate2::Compression::fast(),
        );
        gz.write_all(&raw).expect("writing to a Vec");
        gz.finish().expect("writing to a Vec")
    }

    /// Reads a successful response body. An empty body is a full success.
    pub fn response(&self, body: &[u8]) -> Result<ExportLogsServiceResponse, String> {
        if body.is_empty() {
            return Ok(ExportLogsServiceResponse::default());
        }
        match self.encoding {
            OtlpEncoding::Protobuf => <ExportLogsServiceResponse as prost::Message>::decode(body)
                .map_err(|e| format!("undecodable protobuf response: {e}")),
            OtlpEncoding::Json => json_response(body),
        }
    }
}

/// An OTLP/JSON response. Read by hand: servers write `rejectedLogRecords`, an int64, as a
/// string (as the protobuf JSON mapping says) or as a number, and the crate's serde
/// implementation takes only numbers.
fn json_response(body: &[u8]) -> Result<ExportLogsServiceResponse, String> {
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsPartialSuccess;
    use serde_json::Value;
    let v: Value =
        serde_json::from_slice(body).map_err(|e| format!("undecodable JSON response: {e}"))?;
    let Some(p) = v.get("partialSuccess").filter(|p| !p.is_null()) else {
        return Ok(ExportLogsServiceResponse::default());
    };
    let rejected = match p.get("rejectedLogRecords") {
        None | Some(Value::Null) => Some(0),
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.parse().ok(),
        Some(_) => None,
    }
    .ok_or_else(|| format!("undecodable JSON response: rejectedLogRecords in {p}"))?;
    Ok(ExportLogsServiceResponse {
        partial_success: Some(ExportLogsPartialSuccess {
            rejected_log_records: rejected,
            error_message: p
                .get("errorMessage")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        }),
    })
}

/// A rough size of an entry in a request, to split batches by `max_request_bytes`.
pub fn estimated_size(e: &EntryData) -> usize {
    48 + e.message().len()
        + e.labels()
            .map(|(k, v)| k.len() + v.len() + 8)
            .sum::<usize>()
        + e.fields()
            .map(|(k, v)| {
                k.len()
                    + 12
                    + match v {
                        ValueRef::Str(s) => s.len(),
                        _ => 8,
                    }
            })
            .sum::<usize>()
        + e.trace_id().map_or(0, |t| t.len())
        + e.span_id().map_or(0, |s| s.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use any_value::Value as V;
    use prost::Message;

    fn entry() -> EntryData {
        let mut e = EntryData::new();
        e.set_timestamp_ns(1_795_812_128_123_456_789);
        e.set_level(Level::Warn);
        e.set_message("disk almost full");
        e.set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
        e.set_span_id("00f067aa0ba902b7");
        e.set_label("service", "checkout").unwrap();
        e.set_field("free_pct", 3.5).unwrap();
        e.set_field("disk", "/dev/sda1").unwrap();
        e.set_field("inodes", 12i64).unwrap();
        e.set_field("huge", u64::MAX).unwrap();
        e.set_field("ok", false).unwrap();
        e.set_field("nan", f64::NAN).unwrap();
        e
    }

    fn attr<'a>(kvs: &'a [KeyValue], k: &str) -> &'a V {
        kvs.iter()
            .find(|kv| kv.key == k)
            .and_then(|kv| kv.value.as_ref()?.value.as_ref())
            .unwrap_or_else(|| panic!("no {k}"))
    }

    #[test]
    fn an_entry_becomes_a_typed_log_record() {
        let enc = OtlpEncoder::new(
            OtlpEncoding::Protobuf,
            OtlpLabelsAs::Resource,
            BTreeMap::new(),
            false,
        );
        let r = enc.record(&entry());
        assert_eq!(r.time_unix_nano, 1_795_812_128_123_456_789);
        assert_eq!((r.severity_number, r.severity_text.as_str()), (13, "WARN"));
        assert_eq!(
            r.body.unwrap().value,
            Some(V::StringValue("disk almost full".into()))
        );
        assert_eq!(
            r.trace_id,
            [
                0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e,
                0x47, 0x36
            ]
        );
        assert_eq!(r.span_id, [0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7]);
        let a = &r.attributes;
        assert_eq!(attr(a, "free_pct"), &V::DoubleValue(3.5));
        assert_eq!(attr(a, "disk"), &V::StringValue("/dev/sda1".into()));
        assert_eq!(attr(a, "inodes"), &V::IntValue(12));
        assert_eq!(attr(a, "huge"), &V::StringValue(u64::MAX.to_string()));
        assert_eq!(attr(a, "ok"), &V::BoolValue(false));
        assert!(matches!(attr(a, "nan"), V::DoubleValue(n) if n.is_nan()));
        assert!(
            a.iter().all(|kv| kv.key != "service"),
            "labels are not attributes"
        );
        for (level, n) in [
            (Level::Trace, 1),
            (Level::Debug, 5),
            (Level::Info, 9),
            (Level::Error, 17),
            (Level::Fatal, 21),
        ] {
            assert_eq!(severity(level).0 as i32, n);
        }
    }

    #[test]
    fn invalid_ids_are_kept_as_attributes() {
        let enc = OtlpEncoder::new(
            OtlpEncoding::Protobuf,
            OtlpLabelsAs::Attributes,
            BTreeMap::new(),
            false,
        );
        let mut e = entry();
        e.set_trace_id("not-a-trace");
        e.set_span_id("00000000000000000");
        let r = enc.record(&e);
        assert!(r.trace_id.is_empty() && r.span_id.is_empty());
        assert_eq!(
            attr(&r.attributes, "trace_id"),
            &V::StringValue("not-a-trace".into())
        );
        assert_eq!(
            attr(&r.attributes, "service"),
            &V::StringValue("checkout".into())
        );
        assert_eq!(id_bytes::<8>("0000000000000000"), None);
        assert_eq!(id_bytes::<1>("fF"), Some(vec![0xff]));
        assert_eq!(id_bytes::<1>("g0"), None);
    }

    #[test]
    fn resources_group_entries_by_label_set() {
        let enc = OtlpEncoder::new(
            OtlpEncoding::Protobuf,
            OtlpLabelsAs::Resource,
            BTreeMap::from([
                ("service.name".to_owned(), "api".to_owned()),
                ("env".to_owned(), "default".to_owned()),
            ]),
            true,
        );
        let mut a = EntryData::new();
        a.set_label("env", "prod").unwrap();
        a.set_label("zone", "a").unwrap();
        let mut b = EntryData::new();
        b.set_label("zone", "a").unwrap();
        b.set_label("env", "prod").unwrap();
        let c = EntryData::new();
        let req = enc.request([&a, &c, &b]);
        assert_eq!(req.resource_logs.len(), 2);
        let first = &req.resource_logs[0];
        assert_eq!(first.scope_logs[0].log_records.len(), 2);
        let attrs = &first.resource.as_ref().unwrap().attributes;
        let keys: Vec<&str> = attrs.iter().map(|kv| kv.key.as_str()).collect();
        assert_eq!(keys, ["service.name", "env", "zone"]);
        assert_eq!(attr(attrs, "env"), &V::StringValue("prod".into()));
        let second = req.resource_logs[1].resource.as_ref().unwrap();
        assert_eq!(
            attr(&second.attributes, "env"),
            &V::StringValue("default".into())
        );
        // gzip, then protobuf, round-trips.
        let body = enc.body(&req);
        let mut raw = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&body[..]), &mut raw).unwrap();
        assert_eq!(ExportLogsServiceRequest::decode(&raw[..]).unwrap(), req);
    }

    #[test]
    fn json_follows_otlp_json() {
        let enc = OtlpEncoder::new(
            OtlpEncoding::Json,
            OtlpLabelsAs::Resource,
            BTreeMap::new(),
            false,
        );
        let body = enc.body(&enc.request([&entry()]));
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let r = &v["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0];
        assert_eq!(r["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(r["spanId"], "00f067aa0ba902b7");
        assert_eq!(r["timeUnixNano"], "1795812128123456789");
        assert_eq!(r["severityNumber"], 13);
        assert_eq!(r["body"]["stringValue"], "disk almost full");
        let attrs = r["attributes"].as_array().unwrap();
        let get = |k: &str| attrs.iter().find(|a| a["key"] == k).unwrap()["value"].clone();
        assert_eq!(get("inodes"), serde_json::json!({"intValue": "12"}));
        assert_eq!(get("free_pct"), serde_json::json!({"doubleValue": 3.5}));
        assert_eq!(get("nan"), serde_json::json!({"stringValue": "NaN"}));
        assert_eq!(get("ok"), serde_json::json!({"boolValue": false}));
    }

    #[test]
    fn responses_are_read_in_the_request_encoding() {
        use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsPartialSuccess;
        let resp = ExportLogsServiceResponse {
            partial_success: Some(ExportLogsPartialSuccess {
                rejected_log_records: 3,
                error_message: "too old".into(),
            }),
        };
        let pb = OtlpEncoder::new(
            OtlpEncoding::Protobuf,
            OtlpLabelsAs::Resource,
            BTreeMap::new(),
            true,
        );
        assert_eq!(pb.response(&resp.encode_to_vec()).unwrap(), resp);
        assert_eq!(
            pb.response(b"").unwrap(),
            ExportLogsServiceResponse::default()
        );
        assert!(pb.response(b"\xff\xff").is_err());
        let js = OtlpEncoder::new(
            OtlpEncoding::Json,
            OtlpLabelsAs::Resource,
            BTreeMap::new(),
            false,
        );
        let got = js
            .response(br#"{"partialSuccess":{"rejectedLogRecords":"3","errorMessage":"too old"}}"#)
            .unwrap();
        assert_eq!(got, resp);
        let got = js
            .response(br#"{"partialSuccess":{"rejectedLogRecords":3,"errorMessage":"too old"}}"#)
            .unwrap();
        assert_eq!(got, resp);
        assert_eq!(
            js.response(b"{}").unwrap(),
            ExportLogsServiceResponse::default()
        );
        let ok = js.response(br#"{"partialSuccess":{}}"#).unwrap();
        assert_eq!(ok.partial_success.unwrap().rejected_log_records, 0);
        assert!(js
            .response(br#"{"partialSuccess":{"rejectedLogRecords":[]}}"#)
            .is_err());
    }
}
