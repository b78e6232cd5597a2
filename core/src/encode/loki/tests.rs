use super::*;
use crate::Level;
use std::io::Read;

const TS: u64 = 1_795_812_128_123_456_789;

fn standard(ts: u64) -> EntryData {
    let mut e = EntryData::new();
    e.set_timestamp_ns(ts);
    e.set_message("request completed");
    for (k, v) in [
        ("service", "checkout"),
        ("env", "prod"),
        ("host", "web-1"),
        ("region", "eu-west-1"),
    ] {
        e.set_label(k, v).unwrap();
    }
    e.set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
    e.set_field("method", "GET").unwrap();
    e.set_field("status", 200i64).unwrap();
    e.set_field("latency_ms", 12.5).unwrap();
    e.set_field("cache_hit", true).unwrap();
    e
}

const NO_LIMIT: RequestLimits = RequestLimits {
    max_entries: usize::MAX,
    max_bytes: usize::MAX,
};

fn proto(entries: &[&EntryData], fields_as: LokiFieldsAs) -> Vec<PushRequest> {
    let mut enc = LokiEncoder::new(LokiEncoding::Protobuf, fields_as, Format::Json);
    enc.encode(entries, None, NO_LIMIT)
        .iter()
        .map(|r| decode_protobuf(&r.body).unwrap())
        .collect()
}

fn pairs(e: &EntryAdapter) -> Vec<(&str, &str)> {
    e.structured_metadata
        .iter()
        .map(|p| (p.name.as_str(), p.value.as_str()))
        .collect()
}

#[test]
fn standard_event_as_structured_metadata() {
    let e = standard(TS);
    let reqs = proto(&[&e], LokiFieldsAs::StructuredMetadata);
    assert_eq!(reqs.len(), 1);
    let s = &reqs[0].streams[0];
    assert_eq!(
        s.labels,
        r#"{env="prod", host="web-1", region="eu-west-1", service="checkout"}"#
    );
    let entry = &s.entries[0];
    assert_eq!(entry.line, "request completed");
    assert_eq!(entry.timestamp, Some(Timestamp::from_nanos(TS)));
    assert_eq!(entry.timestamp.unwrap().nanos_since_epoch(), TS);
    assert_eq!(
        pairs(entry),
        [
            ("level", "info"),
            ("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"),
            ("method", "GET"),
            ("status", "200"),
            ("latency_ms", "12.5"),
            ("cache_hit", "true"),
        ]
    );
}

#[test]
fn line_mode_sends_the_encoded_entry_and_no_metadata() {
    let e = standard(TS);
    for format in Format::ALL {
        let mut enc = LokiEncoder::new(LokiEncoding::Protobuf, LokiFieldsAs::Line, format);
        let mut expect = Vec::new();
        crate::encode::encode(format, &e, &mut expect);
        // From the batch's cached lines or encoded here: the same body.
        let a = enc.encode(&[&e, &e], None, NO_LIMIT);
        let both = [expect.clone(), expect.clone()].concat();
        let b = enc.encode(&[&e, &e], Some(&both), NO_LIMIT);
        assert_eq!(a, b);
        let req = decode_protobuf(&a[0].body).unwrap();
        let entry = &req.streams[0].entries[0];
        assert_eq!(entry.line.as_bytes(), &expect[..expect.len() - 1]);
        assert!(entry.structured_metadata.is_empty());
    }
}

#[test]
fn entries_group_into_streams_sorted_by_time() {
    let mut a1 = standard(TS + 30);
    a1.set_message("a1");
    let mut a2 = standard(TS + 10);
    a2.set_message("a2");
    let mut b1 = standard(TS + 20);
    b1.set_label("env", "dev").unwrap();
    b1.set_message("b1");
    let mut a3 = standard(TS + 20);
    a3.set_message("a3");
    // The same label set in another order is the same stream.
    let mut a4 = EntryData::new();
    a4.set_timestamp_ns(TS);
    a4.set_message("a4");
    for (k, v) in [
        ("region", "eu-west-1"),
        ("host", "web-1"),
        ("env", "prod"),
        ("service", "checkout"),
    ] {
        a4.set_label(k, v).unwrap();
    }
    let reqs = proto(&[&a1, &b1, &a2, &a3, &a4], LokiFieldsAs::StructuredMetadata);
    let streams = &reqs[0].streams;
    assert_eq!(streams.len(), 2);
    let lines = |s: &StreamAdapter| s.entries.iter().map(|e| e.line.clone()).collect::<Vec<_>>();
    assert_eq!(lines(&streams[0]), ["a4", "a2", "a3", "a1"]);
    assert!(streams[1].labels.contains(r#"env="dev""#));
    assert_eq!(lines(&streams[1]), ["b1"]);
}

#[test]
fn label_names_are_sanitised_and_values_quoted() {
    let mut e = EntryData::new();
    e.set_label("service.name", "a\"b\\c\nd").unwrap();
    e.set_label("1st", "x").unwrap();
    e.set_label("ünï", "y").unwrap();
    e.set_label("service_name", "collides").unwrap();
    e.set_label("empty", "").unwrap();
    e.set_field("http.status", 200i64).unwrap();
    e.set_field("level", "custom").unwrap();
    let reqs = proto(&[&e], LokiFieldsAs::StructuredMetadata);
    let s = &reqs[0].streams[0];
    assert_eq!(
        s.labels,
        r#"{_1st="x", _n_="y", service_name="a\"b\\c\nd"}"#
    );
    assert_eq!(
        pairs(&s.entries[0]),
        [
            ("level", "info"),
            ("service_name", "collides"),
            ("http_status", "200"),
            ("level_2", "custom"),
        ]
    );
    let mut n = String::new();
    for (raw, want) in [
        ("", "_"),
        ("ok_Name9", "ok_Name9"),
        ("9", "_9"),
        ("a-b c", "a_b_c"),
    ] {
        sanitize_label_name(raw, &mut n);
        assert_eq!(n, want);
    }
}

#[test]
fn at_most_fifteen_labels_the_first_set_win() {
    let mut e = EntryData::new();
    for i in 0..20 {
        e.set_label(&format!("l{i:02}"), &i.to_string()).unwrap();
    }
    let reqs = proto(&[&e], LokiFieldsAs::StructuredMetadata);
    let s = &reqs[0].streams[0];
    assert_eq!(s.labels.matches('=').count(), MAX_STREAM_LABELS);
    assert!(s.labels.contains(r#"l14="14""#) && !s.labels.contains("l15"));
    let moved: Vec<_> = pairs(&s.entries[0]).into_iter().skip(1).collect();
    assert_eq!(
        moved,
        [
            ("l15", "15"),
            ("l16", "16"),
            ("l17", "17"),
            ("l18", "18"),
            ("l19", "19")
        ]
    );
}

#[test]
fn an_entry_without_labels_goes_to_the_default_stream() {
    let mut e = EntryData::new();
    e.set_level(Level::Error);
    e.set_label("blank", "").unwrap();
    let reqs = proto(&[&e], LokiFieldsAs::StructuredMetadata);
    assert_eq!(reqs[0].streams[0].labels, r#"{job="logcap"}"#);
}

#[test]
fn requests_split_by_entries_and_bytes_in_order() {
    let entries: Vec<EntryData> = (0..10)
        .map(|i| {
            let mut e = standard(TS + i);
            e.set_label("env", if i.is_multiple_of(2) { "a" } else { "b" })
                .unwrap();
            e
        })
        .collect();
    let refs: Vec<&EntryData> = entries.iter().collect();
    let mut enc = LokiEncoder::new(
        LokiEncoding::Protobuf,
        LokiFieldsAs::StructuredMetadata,
        Format::Json,
    );
    let reqs = enc.encode(
        &refs,
        None,
        RequestLimits {
            max_entries: 3,
            max_bytes: usize::MAX,
        },
    );
    let split: Vec<Vec<usize>> = reqs.iter().map(|r| r.entries.clone()).collect();
    assert_eq!(
        split,
        [vec![0, 1, 2], vec![3, 4, 5], vec![6, 7, 8], vec![9]]
    );
    for r in &reqs {
        let n: usize = decode_protobuf(&r.body)
            .unwrap()
            .streams
            .iter()
            .map(|s| s.entries.len())
            .sum();
        assert_eq!(n, r.entries.len());
    }
    let one = enc.encode(&refs[..1], None, NO_LIMIT)[0].estimated_bytes;
    let reqs = enc.encode(
        &refs,
        None,
        RequestLimits {
            max_entries: 100,
            max_bytes: one * 2 + one / 2,
        },
    );
    assert!(reqs.len() >= 4, "{}", reqs.len());
    assert!(reqs.iter().all(|r| r.estimated_bytes <= one * 2 + one / 2));
    let all: Vec<usize> = reqs.iter().flat_map(|r| r.entries.clone()).collect();
    assert_eq!(all, (0..10).collect::<Vec<_>>());
    // An entry larger than the limit goes alone.
    let reqs = enc.encode(
        &refs[..3],
        None,
        RequestLimits {
            max_entries: 100,
            max_bytes: 1,
        },
    );
    assert_eq!(reqs.len(), 3);
}

#[test]
fn json_body_is_gzip_of_the_push_format() {
    let a = standard(TS);
    let mut b = standard(TS + 1);
    b.set_label("env", "dev").unwrap();
    b.set_field("tab", "a\tb").unwrap();
    let mut enc = LokiEncoder::new(
        LokiEncoding::Json,
        LokiFieldsAs::StructuredMetadata,
        Format::Json,
    );
    assert_eq!(enc.content_encoding(), Some("gzip"));
    let reqs = enc.encode(&[&a, &b], None, NO_LIMIT);
    let mut raw = String::new();
    flate2::read::GzDecoder::new(&reqs[0].body[..])
        .read_to_string(&mut raw)
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&raw).unwrap();
    let streams = v["streams"].as_array().unwrap();
    assert_eq!(streams.len(), 2);
    assert_eq!(
        streams[0]["stream"],
        serde_json::json!({"env":"prod","host":"web-1","region":"eu-west-1","service":"checkout"})
    );
    assert_eq!(streams[1]["stream"]["env"], "dev");
    let value = &streams[1]["values"][0];
    assert_eq!(value[0], (TS + 1).to_string());
    assert_eq!(value[1], "request completed");
    assert_eq!(value[2]["status"], "200");
    assert_eq!(value[2]["tab"], "a\tb");
    assert_eq!(value[2]["level"], "info");
}

#[test]
fn many_repeated_metadata_names_stay_unique() {
    let mut e = EntryData::new();
    for i in 0..40 {
        // "a.b" and "a-b" both become "a_b".
        e.set_field(
            &format!("f{}{}", i % 20, if i < 20 { "." } else { "-" }),
            i as i64,
        )
        .unwrap();
    }
    e.set_field("level", "x").unwrap();
    let reqs = proto(&[&e], LokiFieldsAs::StructuredMetadata);
    let names: Vec<String> = reqs[0].streams[0].entries[0]
        .structured_metadata
        .iter()
        .map(|p| p.name.clone())
        .collect();
    let unique: HashSet<&String> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "{names:?}");
    assert_eq!(names.len(), 42);
    assert!(names.contains(&"f3_".to_string()) && names.contains(&"f3__2".to_string()));
    assert_eq!(names.last().unwrap(), "level_2");
}
