//! The Kafka sink: one message per entry, produced with librdkafka (the `rdkafka` crate).
//!
//! A batch is produced as a whole, then the sink's thread waits for every message's delivery
//! report before it takes the next batch, so the sink's `delivered` and `failed` counters are
//! the delivery reports exactly, and what the client gave up on is still at hand to be
//! dead-lettered. librdkafka does the retrying (within `message_timeout_ms`); with the
//! idempotent producer (the default) its retries do not duplicate messages.

use super::{Sink, SinkError};
use crate::batch::Batch;
use crate::config::{BatchConfig, KafkaSinkConfig};
use crate::delivery::DeadLetters;
use crate::encode;
use crate::entry::{EntryData, Level};
use crate::stats::DeliveryCounters;
use parking_lot::{Condvar, Mutex};
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{
    BaseRecord, DeliveryResult, Producer, ProducerContext, PurgeConfig, ThreadedProducer,
};
use rdkafka::ClientContext;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long past `message_timeout_ms` a batch may wait for its last delivery reports before
/// the sink purges what is left (which then fails with a purge error).
const REPORT_GRACE: Duration = Duration::from_secs(5);

/// The outcome of one message.
#[derive(Debug, Clone)]
enum Outcome {
    Delivered,
    Failed {
        error: String,
        /// The client tried until `message_timeout_ms` ran out, or the message was purged;
        /// any other error (unknown topic, message too large…) is the broker's final answer.
        timed_out: bool,
    },
}

/// The reports of the batch being delivered.
#[derive(Default)]
struct Reports {
    /// The current batch's number; reports of an earlier one are ignored.
    generation: u32,
    outcomes: Vec<Option<Outcome>>,
    pending: usize,
}

/// Receives delivery reports on the producer's polling thread.
#[derive(Default)]
struct Context {
    reports: Mutex<Reports>,
    done: Condvar,
}

impl ClientContext for Context {
    /// librdkafka's statistics (emitted only when `statistics.interval.ms` is set through
    /// `properties`) are left alone: rdkafka's default parses them into its `Statistics` types
    /// only to log them through the `log` crate, and that parser was about 150 KB of the stripped
    /// library.
    fn stats_raw(&self, _statistics: &[u8]) {}
}

impl ProducerContext for Context {
    /// `generation << 32 | index in the batch`.
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, opaque: usize) {
        let (generation, index) = ((opaque >> 32) as u32, opaque & 0xFFFF_FFFF);
        let outcome = match result {
            Ok(_) => Outcome::Delivered,
            Err((e, _)) => failure(e),
        };
        let mut r = self.reports.lock();
        if r.generation != generation {
            return;
        }
        if let Some(slot @ None) = r.outcomes.get_mut(index) {
            *slot = Some(outcome);
            r.pending -= 1;
            if r.pending == 0 {
                self.done.notify_all();
            }
        }
    }
}

fn failure(e: &KafkaError) -> Outcome {
    let timed_out = matches!(
        e.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::MessageTimedOut
                | RDKafkaErrorCode::PurgeQueue
                | RDKafkaErrorCode::PurgeInflight
        )
    );
    Outcome::Failed {
        error: e.to_string(),
        timed_out,
    }
}

/// Produces every entry of a batch to Kafka and waits for the delivery reports.
pub struct KafkaSink {
    name: String,
    cfg: KafkaSinkConfig,
    client_config: ClientConfig,
    producer: ThreadedProducer<Context>,
    dead: DeadLetters,
    counters: Arc<DeliveryCounters>,
    value: Vec<u8>,
    generation: u32,
}

/// The librdkafka properties of a sink: the sink's own, then the configured `properties`.
fn client_config(name: &str, cfg: &KafkaSinkConfig, batch: &BatchConfig) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", cfg.brokers.join(","))
        .set("client.id", format!("logcap-{name}"))
        .set("acks", cfg.acks.as_str())
        .set("enable.idempotence", cfg.idempotence.to_string())
        .set("compression.codec", cfg.compression.as_str())
        .set("message.timeout.ms", cfg.message_timeout_ms.to_string())
        // The pipeline's batcher already waited (batch.max_delay_ms) to fill the batch, and
        // the sink hands it over whole: the client sends at once, in record batches as large
        // as the pipeline's.
        .set("linger.ms", "0")
        .set(
            "batch.num.messages",
            batch.max_entries.clamp(1, 1_000_000).to_string(),
        )
        .set(
            "batch.size",
            batch.max_bytes.clamp(1, 1_000_000).to_string(),
        )
        .set(
            "queue.buffering.max.messages",
            (batch.max_entries.saturating_mul(2))
                .clamp(100_000, i32::MAX as usize)
                .to_string(),
        );
    for (k, v) in &cfg.properties {
        c.set(k, v);
    }
    c
}

fn create(config: &ClientConfig) -> Result<ThreadedProducer<Context>, SinkError> {
    config
        .create_with_context(Context::default())
        .map_err(|e| SinkError::new(format!("kafka client: {e}")))
}

impl KafkaSink {
    /// A sink named `name`. Creates the client, which connects in the background: a broker
    /// that is down delays delivery, not the pipeline's start.
    pub fn new(name: &str, cfg: KafkaSinkConfig, batch: &BatchConfig) -> Result<Self, SinkError> {
        let client_config = client_config(name, &cfg, batch);
        let producer = create(&client_config)?;
        Ok(KafkaSink {
            client_config,
            name: name.to_owned(),
            dead: DeadLetters::new(cfg.dead_letter_path.clone(), name),
            counters: Arc::default(),
            value: Vec::new(),
            generation: 0,
            producer,
            cfg,
        })
    }

    /// The sink's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The topic of an entry: its `topic_label`, else the topic of its level, else `topic`.
    fn topic<'a>(&'a self, e: &'a EntryData) -> &'a str {
        if let Some(t) = self.cfg.topic_label.as_deref().and_then(|l| e.label(l)) {
            return t;
        }
        let by_level = match e.level() {
            Level::Error | Level::Fatal => self.cfg.error_topic.as_deref(),
            Level::Trace | Level::Debug => self.cfg.debug_topic.as_deref(),
            Level::Info | Level::Warn => None,
        };
        by_level.unwrap_or(&self.cfg.topic)
    }

    /// Hands one message to the client, waiting for room while its queue is full.
    fn produce(&mut self, e: &EntryData, opaque: usize) -> Result<(), Outcome> {
        self.value.clear();
        encode::encode(self.cfg.format, e, &mut self.value);
        self.value.pop(); // the line's newline: a message is one record already
        let mut headers = OwnedHeaders::new_with_capacity(e.labels().len());
        for (k, v) in e.labels() {
            headers = headers.insert(Header {
                key: k,
                value: Some(v),
            });
        }
        let topic = self.topic(e);
        // The message's create time is the entry's, in milliseconds.
        let millis = i64::try_from(e.timestamp_ns() / 1_000_000).unwrap_or(i64::MAX);
        let mut record = BaseRecord::<str, [u8], usize>::with_opaque_to(topic, opaque)
            .payload(&self.value[..])
            .headers(headers)
            .timestamp(millis);
        if let Some(k) = self.cfg.key_label.as_deref().and_then(|l| e.label(l)) {
            record = record.key(k);
        }
        self.counters.request(false);
        loop {
            match self.producer.send(record) {
                Ok(()) => return Ok(()),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    // Deliveries make room; the polling thread serves them meanwhile.
                    std::thread::sleep(Duration::from_millis(1));
                    record = back;
                }
                Err((e, _)) => return Err(failure(&e)),
            }
        }
    }

    /// Waits for the current batch's reports until `deadline`; then purges what is left and
    /// waits for the purge's reports.
    fn wait_reports(&self, deadline: Instant) -> Vec<Option<Outcome>> {
        let ctx = self.producer.context();
        let mut r = ctx.reports.lock();
        while r.pending > 0 {
            if ctx.done.wait_until(&mut r, deadline).timed_out() && r.pending > 0 {
                drop(r);
                self.producer
                    .purge(PurgeConfig::default().queue().inflight());
                r = ctx.reports.lock();
                let after = Instant::now() + Duration::from_secs(2);
                while r.pending > 0 && !ctx.done.wait_until(&mut r, after).timed_out() {}
                break;
            }
        }
        std::mem::take(&mut r.outcomes)
    }
}

impl Sink for KafkaSink {
    fn write(&mut self, batch: &Batch) -> Result<u64, SinkError> {
        if self.producer.client().fatal_error().is_some() {
            // A fatal error of the idempotent producer (such as a sequence gap the broker
            // cannot resolve) leaves the client unusable; its messages were reported failed.
            // A new client starts with a new producer id.
            self.producer = create(&self.client_config)?;
        }
        let n = batch.len();
        self.generation = self.generation.wrapping_add(1);
        {
            let mut r = self.producer.context().reports.lock();
            r.generation = self.generation;
            r.outcomes.clear();
            r.outcomes.resize(n, None);
            r.pending = n;
        }
        let mut sizes = Vec::with_capacity(n);
        for (i, e) in batch.iter().enumerate() {
            let opaque = (self.generation as usize) << 32 | i;
            let refused = self.produce(e, opaque).err();
            sizes.push(self.value.len() as u64);
            if let Some(outcome) = refused {
                let mut r = self.producer.context().reports.lock();
                r.outcomes[i] = Some(outcome);
                r.pending -= 1;
            }
        }
        let deadline =
            Instant::now() + Duration::from_millis(self.cfg.message_timeout_ms) + REPORT_GRACE;
        let outcomes = self.wait_reports(deadline);

        let mut bytes = 0;
        let mut failed: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, o) in outcomes.into_iter().enumerate() {
            match o {
                Some(Outcome::Delivered) => bytes += sizes[i],
                Some(Outcome::Failed { error, timed_out }) => {
                    if !timed_out {
                        self.counters.permanent_failure();
                    }
                    failed.entry(error).or_default().push(i);
                }
                None => failed
                    .entry("no delivery report".to_owned())
                    .or_default()
                    .push(i),
            }
        }
        self.counters.sent(bytes);
        if failed.is_empty() {
            return Ok(bytes);
        }
        let n_failed: usize = failed.values().map(Vec::len).sum();
        let mut first = None;
        for (error, idx) in &failed {
            let entries = idx.iter().filter_map(|&i| batch.get(i));
            let msg = self.dead.give_up(entries, error, 1, &self.counters);
            first.get_or_insert(msg);
        }
        let first = first.unwrap_or_default();
        Err(SinkError::partial(
            format!("{n_failed} of {n} entries not delivered to Kafka: {first}",),
            n_failed as u64,
            bytes,
        ))
    }

    fn flush(&mut self) -> Result<(), SinkError> {
        // Every write waited for its reports; this only drains what librdkafka holds besides.
        self.producer
            .flush(Duration::from_millis(self.cfg.message_timeout_ms) + REPORT_GRACE)
            .map_err(|e| SinkError::new(format!("kafka flush: {e}")))
    }

    fn delivery_counters(&self) -> Option<Arc<DeliveryCounters>> {
        Some(Arc::clone(&self.counters))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, SinkKind};

    fn sink(extra: &str) -> KafkaSink {
        let c = Config::from_json(&format!(
            r#"{{"sinks":[{{"type":"kafka","brokers":["127.0.0.1:1"],"topic":"logs"{extra}}}]}}"#
        ))
        .unwrap();
        let SinkKind::Kafka(k) = &c.sinks[0].kind else {
            unreachable!()
        };
        KafkaSink::new("kafka-0", (**k).clone(), &c.batch).unwrap()
    }

    #[test]
    fn topics_route_by_label_then_level() {
        let s = sink(r#","topic_label":"stream","error_topic":"errs","debug_topic":"dbg""#);
        let mut e = EntryData::new();
        for (level, topic) in [
            (Level::Trace, "dbg"),
            (Level::Debug, "dbg"),
            (Level::Info, "logs"),
            (Level::Warn, "logs"),
            (Level::Error, "errs"),
            (Level::Fatal, "errs"),
        ] {
            e.set_level(level);
            assert_eq!(s.topic(&e), topic, "{level:?}");
        }
        e.set_label("stream", "audit").unwrap();
        assert_eq!(s.topic(&e), "audit");
        let plain = sink("");
        e.set_level(Level::Error);
        assert_eq!(plain.topic(&e), "logs");
        assert_eq!(plain.name(), "kafka-0");
    }

    #[test]
    fn properties_follow_the_configuration_and_batching() {
        let c = Config::from_json(
            r#"{"batch":{"max_entries":2000,"max_bytes":4000000},
                "sinks":[{"type":"kafka","brokers":["a:1","b:2"],"topic":"t","compression":"lz4",
                          "properties":{"linger.ms":"7","acks":"all"}}]}"#,
        )
        .unwrap();
        let SinkKind::Kafka(k) = &c.sinks[0].kind else {
            unreachable!()
        };
        let cc = client_config("k", k, &c.batch);
        for (key, v) in [
            ("bootstrap.servers", "a:1,b:2"),
            ("compression.codec", "lz4"),
            ("enable.idempotence", "true"),
            ("batch.num.messages", "2000"),
            ("batch.size", "1000000"),
            ("queue.buffering.max.messages", "100000"),
            ("message.timeout.ms", "30000"),
            // Configured properties come last.
            ("linger.ms", "7"),
        ] {
            assert_eq!(cc.get(key), Some(v), "{key}");
        }
    }

    #[test]
    fn an_invalid_property_fails_at_setup() {
        let c = Config::from_json(
            r#"{"sinks":[{"type":"kafka","brokers":["a:1"],"topic":"t","properties":{"no.such":"1"}}]}"#,
        )
        .unwrap();
        let SinkKind::Kafka(k) = &c.sinks[0].kind else {
            unreachable!()
        };
        let err = KafkaSink::new("k", (**k).clone(), &c.batch).err().unwrap();
        assert!(err.to_string().contains("no.such"), "{err}");
    }

    /// No broker: the client gives up after `message_timeout_ms`, and every entry is counted
    /// failed and dead-lettered, with the client's error.
    #[test]
    fn undeliverable_entries_are_dead_lettered() {
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join("dead.jsonl");
        let mut s = sink(&format!(
            r#","message_timeout_ms":300,"dead_letter_path":"{}""#,
            dead.display()
        ));
        let entries: Vec<Box<EntryData>> = (0..3)
            .map(|i| {
                let mut e = Box::new(EntryData::new());
                e.set_message(&format!("m{i}"));
                e
            })
            .collect();
        let batch = Batch::from_entries(entries);
        let err = s.write(&batch).unwrap_err();
        assert_eq!(
            err.partial_delivery(),
            Some(super::super::Partial {
                failed: 3,
                bytes: 0
            })
        );
        let text = std::fs::read_to_string(&dead).unwrap();
        let msgs: Vec<String> = text
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                assert!(v["error"].as_str().unwrap().contains("timed out"), "{v}");
                v["entry"]["msg"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(msgs, ["m0", "m1", "m2"]);
        let mut st = crate::SinkStats::default();
        s.counters.fill_for_test(&mut st);
        assert_eq!(
            (st.requests, st.dead_lettered, st.permanent_failures),
            (3, 3, 0)
        );
    }
}
