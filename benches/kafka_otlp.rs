//! Throughput of the Kafka and OTLP sinks against real servers, in one run (`make bench-net`):
//!
//! - **Kafka**: entries/s from one producer thread through a logcap pipeline with one Kafka
//!   sink, beside the Kafka distribution's own `kafka-producer-perf-test`
//!   (`org.apache.kafka.tools.ProducerPerformance`) with records of the same size and the same
//!   acks (all, idempotent), against the same broker. Reported as the median of the rounds and
//!   the ratio logcap ÷ ProducerPerformance.
//! - **OTLP**: entries/s into an OpenTelemetry Collector over OTLP/HTTP (protobuf), and the
//!   bytes sent per entry, with and without gzip.
//!
//! Needs `LOGCAP_KAFKA_JARS` and `LOGCAP_OTELCOL_BIN` (`make bench-net` provisions them);
//! without them it says so and measures nothing.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/common/kafka.rs"]
mod kafka;
#[path = "../tests/common/otel.rs"]
mod otel;
#[path = "../tests/common/servers.rs"]
mod servers;

use common::{fill_standard, sink};
use logcap_core::{EntryData, Format, Pipeline};
use std::time::{Duration, Instant};

const ROUNDS: usize = 5;
const KAFKA_RECORDS: u64 = 200_000;
const OTLP_ENTRIES: u64 = 100_000;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// The standard event with a `seq` field.
fn standard(seq: u64) -> EntryData {
    let mut e = EntryData::new();
    fill_standard(&mut e);
    e.set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
    e.set_field("seq", seq).unwrap();
    e
}

/// Submits `n` standard events from this thread and closes the pipeline; entries/s from the
/// first submit to the close's return (every delivery report in).
fn run_pipeline(p: &Pipeline, n: u64) -> f64 {
    let start = Instant::now();
    for seq in 0..n {
        let e = p.acquire();
        e.with(|d| {
            fill_standard(d);
            d.set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
            d.set_field("seq", seq).unwrap();
        });
        p.submit(e).unwrap();
    }
    p.close(Duration::from_secs(300)).unwrap();
    n as f64 / start.elapsed().as_secs_f64()
}

fn blocking_pipeline(batch_entries: usize, sink_json: &str) -> Pipeline {
    Pipeline::from_json(&format!(
        r#"{{"queue":{{"capacity":65536,"when_full":"block","block_timeout_ms":60000}},
             "batch":{{"max_entries":{batch_entries},"max_bytes":4194304,"max_delay_ms":50}},
             "sinks":[{sink_json}]}}"#
    ))
    .unwrap()
}

/// `records/sec` from ProducerPerformance's summary line.
fn perf_records_per_sec(out: &str) -> f64 {
    let line = out
        .lines()
        .rev()
        .find(|l| l.contains("records sent"))
        .unwrap_or_else(|| panic!("no summary in {out}"));
    let before = line.split(" records/sec").next().unwrap();
    before.rsplit(", ").next().unwrap().trim().parse().unwrap()
}

fn kafka_bench(jars: &std::path::Path) {
    let k = kafka::Kafka::start(jars);
    let mut line = Vec::new();
    logcap_core::encode::encode(Format::Json, &standard(123_456), &mut line);
    let record_size = line.len() - 1;
    println!("kafka: {KAFKA_RECORDS} records of {record_size} bytes, acks=all, idempotent, no compression, one producer, {ROUNDS} rounds");
    // ProducerPerformance as it comes (the Java client's defaults: batch.size 16 KB,
    // linger.ms 5), and with record batches as large as logcap's (1 MB).
    let peers: [(&str, &[&str]); 2] = [
        ("defaults", &[]),
        ("batch.size=1000000", &["batch.size=1000000"]),
    ];
    let mut perf: Vec<Vec<f64>> = vec![Vec::new(); peers.len()];
    let mut ours: Vec<(usize, Vec<f64>)> = vec![(512, Vec::new()), (8192, Vec::new())];
    for round in 0..ROUNDS {
        for (i, (name, extra)) in peers.iter().enumerate() {
            let topic = format!("perf-java-{i}-{round}");
            k.create_topic(&topic, 1);
            let bootstrap = format!("bootstrap.servers={}", k.bootstrap());
            let n = KAFKA_RECORDS.to_string();
            let size = record_size.to_string();
            let mut args = vec![
                "--topic",
                &topic,
                "--num-records",
                &n,
                "--record-size",
                &size,
                "--throughput",
                "-1",
                "--producer-props",
                &bootstrap,
                "acks=all",
                "enable.idempotence=true",
            ];
            args.extend_from_slice(extra);
            let out = k.tool_as_scripts("org.apache.kafka.tools.ProducerPerformance", &args);
            perf[i].push(perf_records_per_sec(&out));
            println!(
                "  round {round}: ProducerPerformance ({name}) {:.0}/s",
                perf[i][round]
            );
        }
        for (batch, rates) in &mut ours {
            let topic = format!("perf-logcap-{batch}-{round}");
            k.create_topic(&topic, 1);
            let p = blocking_pipeline(
                *batch,
                &format!(
                    r#"{{"type":"kafka","name":"k","brokers":["{}"],"topic":"{topic}","queue_capacity":16,"when_full":"block","block_timeout_ms":60000}}"#,
                    k.bootstrap()
                ),
            );
            let rate = run_pipeline(&p, KAFKA_RECORDS);
            let st = sink(&p.stats(), "k").clone();
            assert_eq!(st.delivered, KAFKA_RECORDS, "{st:#?}");
            rates.push(rate);
        }
        println!(
            "  round {round}: logcap batch 512 {:.0}/s, batch 8192 {:.0}/s",
            ours[0].1[round], ours[1].1[round]
        );
    }
    let medians: Vec<f64> = perf.into_iter().map(median).collect();
    for ((name, _), m) in peers.iter().zip(&medians) {
        println!("kafka_producer_perf_test ({name})  median {m:>9.0} records/s");
    }
    for (batch, rates) in ours {
        let m = median(rates);
        let ratios: Vec<String> = medians.iter().map(|p| format!("{:.2}", m / p)).collect();
        println!(
            "logcap_kafka_batch_{batch:<5}  median {m:>9.0} entries/s  ratio to each: {}",
            ratios.join(", ")
        );
    }
}

fn otlp_bench(bin: &std::path::Path) {
    let c = otel::Collector::start(bin);
    println!("otlp: {OTLP_ENTRIES} standard events, protobuf, one producer, {ROUNDS} rounds, collector with the file exporter");
    for compression in ["gzip", "none"] {
        let mut rates = Vec::new();
        let mut per_entry = 0.0;
        for _ in 0..ROUNDS {
            let p = blocking_pipeline(
                512,
                &format!(
                    r#"{{"type":"otlp","name":"o","url":"{}","compression":"{compression}","queue_capacity":16,"when_full":"block","block_timeout_ms":60000}}"#,
                    c.url()
                ),
            );
            rates.push(run_pipeline(&p, OTLP_ENTRIES));
            let st = sink(&p.stats(), "o").clone();
            assert_eq!(st.delivered, OTLP_ENTRIES, "{st:#?}");
            per_entry = st.bytes_sent as f64 / OTLP_ENTRIES as f64;
        }
        println!(
            "logcap_otlp_protobuf_{compression:<5} median {:>9.0} entries/s  {per_entry:.1} bytes/entry sent",
            median(rates)
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument selects "kafka" or "otlp".
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f));
    println!(
        "machine: {} cpus; {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::fs::read_to_string("/proc/loadavg")
            .map(|l| format!("load average {}", l.trim()))
            .unwrap_or_default()
    );
    if wanted("kafka") {
        match servers::server_bin("LOGCAP_KAFKA_JARS") {
            Some(jars) => kafka_bench(&jars),
            None => println!("kafka: skipped (LOGCAP_KAFKA_JARS not set)"),
        }
    }
    if wanted("otlp") {
        match servers::server_bin("LOGCAP_OTELCOL_BIN") {
            Some(bin) => otlp_bench(&bin),
            None => println!("otlp: skipped (LOGCAP_OTELCOL_BIN not set)"),
        }
    }
}
