//! Network sink benchmarks: the Loki request encoder (entries/s, both encodings) and delivery
//! of the standard event to a local VictoriaLogs through a whole pipeline (entries/s).
//!
//! The end-to-end group needs VictoriaLogs: it starts the binary in `LOGCAP_VLOGS_BIN` on
//! 127.0.0.1 (`make bench-net` builds it), or pushes to `LOGCAP_VLOGS_URL` (a Loki push
//! endpoint of a server already running on this machine). Without either it is skipped.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/common/servers.rs"]
mod servers;

use common::fill_standard;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use logcap_core::config::{LokiEncoding, LokiFieldsAs};
use logcap_core::encode::loki::{LokiEncoder, RequestLimits};
use logcap_core::{EntryData, Format, Pipeline};
use std::time::{Duration, Instant};

/// The pipeline's default batch size: what the sink encodes per write.
const BATCH: usize = 512;

fn standard_batch() -> Vec<EntryData> {
    let now = logcap_core::clock::now_ns();
    (0..BATCH)
        .map(|i| {
            let mut e = EntryData::new();
            fill_standard(&mut e);
            e.set_timestamp_ns(now + i as u64);
            e
        })
        .collect()
}

fn encoder(c: &mut Criterion) {
    let batch = standard_batch();
    let refs: Vec<&EntryData> = batch.iter().collect();
    let limits = RequestLimits {
        max_entries: 10_000,
        max_bytes: 4 << 20,
    };
    let mut g = c.benchmark_group("loki_encode");
    g.throughput(Throughput::Elements(BATCH as u64));
    for (name, encoding, fields_as) in [
        (
            "protobuf_snappy/structured_metadata",
            LokiEncoding::Protobuf,
            LokiFieldsAs::StructuredMetadata,
        ),
        (
            "json_gzip/structured_metadata",
            LokiEncoding::Json,
            LokiFieldsAs::StructuredMetadata,
        ),
        (
            "protobuf_snappy/line_json",
            LokiEncoding::Protobuf,
            LokiFieldsAs::Line,
        ),
        (
            "json_gzip/line_json",
            LokiEncoding::Json,
            LokiFieldsAs::Line,
        ),
    ] {
        let mut enc = LokiEncoder::new(encoding, fields_as, Format::Json);
        g.bench_function(name, |b| {
            b.iter(|| black_box(enc.encode(black_box(&refs), None, limits)))
        });
    }
    g.finish();
}

/// Where to push: a server started here (kept alive for the whole group), or a given URL.
fn target() -> Option<(Option<servers::VictoriaLogs>, String)> {
    if let Ok(url) = std::env::var("LOGCAP_VLOGS_URL") {
        return Some((None, url));
    }
    let bin = std::env::var_os("LOGCAP_VLOGS_BIN")?;
    let vl = servers::VictoriaLogs::start(std::path::Path::new(&bin));
    let url = vl.push_url();
    Some((Some(vl), url))
}

fn end_to_end(c: &mut Criterion) {
    let Some((_server, url)) = target() else {
        eprintln!(
            "loki_deliver skipped: set LOGCAP_VLOGS_BIN or LOGCAP_VLOGS_URL (make bench-net)"
        );
        return;
    };
    const N: u64 = 20_000;
    let mut g = c.benchmark_group("loki_deliver");
    g.throughput(Throughput::Elements(N));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    for encoding in ["protobuf", "json"] {
        let p = Pipeline::from_json(&format!(
            r#"{{"queue":{{"capacity":65536}},
                 "sinks":[{{"type":"loki","name":"loki","url":"{url}","encoding":"{encoding}",
                            "when_full":"block","block_timeout_ms":60000,"queue_capacity":256}}]}}"#
        ))
        .unwrap();
        g.bench_function(format!("{encoding}/standard_event"), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    for _ in 0..N {
                        let e = p.acquire();
                        e.with(fill_standard);
                        p.submit(e).unwrap();
                    }
                    p.flush(Duration::from_secs(120)).unwrap();
                }
                start.elapsed()
            })
        });
        p.close(Duration::from_secs(120)).unwrap();
        let k = &p.stats().sinks[0];
        assert_eq!(k.failed + k.dropped, 0, "{k:#?}");
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5)).warm_up_time(Duration::from_secs(1));
    targets = encoder, end_to_end
}
criterion_main!(benches);
