//! A real Apache Kafka broker for the Kafka sink's tests and benchmark: one KRaft node
//! (broker and controller in one JVM) on two free ports of 127.0.0.1, with its own temporary
//! directory, from the jars that `.ci/netservers.sh` copies (`LOGCAP_KAFKA_JARS`).
//!
//! The broker is a child of the test, so a kill is reaped at once (no zombie that still
//! answers `kill -0`). It restarts on the same data directory and ports; its session timeout
//! is short (3 s) so that a restart after `kill -9` is not refused for long as a duplicate
//! registration of the old incarnation.
#![allow(dead_code)]

use super::servers::{free_port, kill_child, signal, start_logged};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{Offset, TopicPartitionList};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// One message as consumed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    /// The message's timestamp in milliseconds.
    pub timestamp: Option<i64>,
    pub key: Option<String>,
    pub value: String,
    pub headers: Vec<(String, String)>,
}

/// A Kafka broker.
pub struct Kafka {
    jars: PathBuf,
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// The PLAINTEXT listener's port.
    pub port: u16,
    /// The controller listener's port.
    pub controller_port: u16,
}

impl Kafka {
    /// A broker that creates topics on first use, started.
    pub fn start(jars: &Path) -> Kafka {
        Self::start_with(jars, &[])
    }

    /// A broker with extra `server.properties` lines, started.
    pub fn start_with(jars: &Path, extra: &[&str]) -> Kafka {
        let k = Kafka {
            jars: jars.to_owned(),
            dir: tempfile::tempdir().unwrap(),
            child: None,
            port: free_port(),
            controller_port: free_port(),
        };
        let d = k.dir.path();
        let props = format!(
            "process.roles=broker,controller\nnode.id=1\n\
             controller.quorum.bootstrap.servers=127.0.0.1:{c}\n\
             listeners=PLAINTEXT://127.0.0.1:{p},CONTROLLER://127.0.0.1:{c}\n\
             advertised.listeners=PLAINTEXT://127.0.0.1:{p},CONTROLLER://127.0.0.1:{c}\n\
             inter.broker.listener.name=PLAINTEXT\ncontroller.listener.names=CONTROLLER\n\
             listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT\n\
             log.dirs={data}\nnum.partitions=1\n\
             offsets.topic.replication.factor=1\ntransaction.state.log.replication.factor=1\n\
             transaction.state.log.min.isr=1\nshare.coordinator.state.topic.replication.factor=1\n\
             share.coordinator.state.topic.min.isr=1\noffsets.topic.num.partitions=1\n\
             transaction.state.log.num.partitions=1\nshare.coordinator.state.topic.num.partitions=1\n\
             group.initial.rebalance.delay.ms=0\nbroker.heartbeat.interval.ms=500\n\
             broker.session.timeout.ms=3000\nnum.network.threads=2\nnum.io.threads=2\n\
             background.threads=2\nlog.cleaner.dedupe.buffer.size=8388608\n{extra}\n",
            p = k.port,
            c = k.controller_port,
            data = d.join("data").display(),
            extra = extra.join("\n"),
        );
        fs::write(d.join("server.properties"), props).unwrap();
        let cluster = k.tool("kafka.tools.StorageTool", &["random-uuid"]);
        let cluster = cluster.trim().to_owned();
        let props = d.join("server.properties");
        k.tool(
            "kafka.tools.StorageTool",
            &[
                "format",
                "--standalone",
                "-t",
                &cluster,
                "-c",
                props.to_str().unwrap(),
            ],
        );
        let mut k = k;
        k.up();
        k
    }

    /// Runs a main class of the jars with a small heap and a quick-starting JIT (for the
    /// short-lived tools: topics, storage); returns its standard output.
    pub fn tool(&self, class: &str, args: &[&str]) -> String {
        self.tool_with(&["-Xmx128m", "-XX:TieredStopAtLevel=1"], class, args)
    }

    /// Runs a main class with the JVM options of the Kafka distribution's scripts
    /// (kafka-run-class.sh's defaults: a 256 MB heap, G1), as `kafka-producer-perf-test.sh`
    /// runs `ProducerPerformance`.
    pub fn tool_as_scripts(&self, class: &str, args: &[&str]) -> String {
        self.tool_with(
            &[
                "-Xmx256M",
                "-server",
                "-XX:+UseG1GC",
                "-XX:MaxGCPauseMillis=20",
                "-XX:InitiatingHeapOccupancyPercent=35",
                "-XX:+ExplicitGCInvokesConcurrent",
                "-Djava.awt.headless=true",
            ],
            class,
            args,
        )
    }

    fn tool_with(&self, jvm: &[&str], class: &str, args: &[&str]) -> String {
        let out = Command::new("java")
            .args(jvm)
            .args(["-Dorg.slf4j.simpleLogger.defaultLogLevel=error", "-cp"])
            .arg(self.classpath())
            .arg(class)
            .args(args)
            .output()
            .expect("java is needed for the Kafka tests");
        assert!(
            out.status.success(),
            "{class} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn classpath(&self) -> String {
        format!("{}/*", self.jars.display())
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("broker.log")
    }

    /// The broker's own log (every incarnation's).
    pub fn log(&self) -> String {
        fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Starts (or restarts) the broker on the same data and ports, and waits until it is
    /// serving.
    pub fn up(&mut self) {
        assert!(self.child.is_none(), "already running");
        let mut cmd = Command::new("java");
        cmd.args([
            "-Xms256m",
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-cp",
        ])
        .arg(self.classpath())
        .arg("kafka.Kafka")
        .arg(self.dir.path().join("server.properties"));
        self.child = Some(start_logged(
            &mut cmd,
            &self.log_path(),
            "Kafka Server started",
            Duration::from_secs(60),
        ));
    }

    /// Kills the broker at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        kill_child(&mut self.child);
    }

    /// Stops the broker (SIGTERM, a controlled shutdown); after 20 s, kills it.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            signal(&c, "TERM");
            let deadline = Instant::now() + Duration::from_secs(20);
            while c.try_wait().unwrap().is_none() {
                if Instant::now() > deadline {
                    let _ = c.kill();
                    let _ = c.wait();
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// `host:port` of the broker.
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Creates a topic.
    pub fn create_topic(&self, topic: &str, partitions: u32) {
        self.tool(
            "org.apache.kafka.tools.TopicCommand",
            &[
                "--bootstrap-server",
                &self.bootstrap(),
                "--create",
                "--topic",
                topic,
                "--partitions",
                &partitions.to_string(),
                "--replication-factor",
                "1",
            ],
        );
    }

    /// The bytes of a topic partition's log segments on disk.
    pub fn segment_bytes(&self, topic: &str, partition: i32) -> u64 {
        let dir = self
            .dir
            .path()
            .join("data")
            .join(format!("{topic}-{partition}"));
        fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|f| f.ok())
            .filter(|f| f.path().extension().is_some_and(|x| x == "log"))
            .map(|f| f.metadata().unwrap().len())
            .sum()
    }

    /// Reads `topic` from the beginning, every partition, until at least `n` messages came or
    /// 60 s passed; then half a second more, to see any message beyond `n`.
    pub fn consume(&self, topic: &str, n: usize) -> Vec<Record> {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", self.bootstrap())
            .set("group.id", "logcap-tests")
            .set("enable.auto.commit", "false")
            .set("enable.partition.eof", "false")
            .create()
            .expect("consumer");
        let deadline = Instant::now() + Duration::from_secs(60);
        let partitions = loop {
            let md = consumer
                .fetch_metadata(Some(topic), Duration::from_secs(10))
                .expect("metadata");
            let parts: Vec<i32> = md
                .topics()
                .iter()
                .filter(|t| t.error().is_none())
                .flat_map(|t| t.partitions().iter().map(|p| p.id()))
                .collect();
            if !parts.is_empty() {
                break parts;
            }
            assert!(Instant::now() < deadline, "topic {topic} has no partitions");
            std::thread::sleep(Duration::from_millis(200));
        };
        let mut tpl = TopicPartitionList::new();
        for p in partitions {
            tpl.add_partition_offset(topic, p, Offset::Beginning)
                .unwrap();
        }
        consumer.assign(&tpl).unwrap();
        let mut out = Vec::new();
        let mut extra_until: Option<Instant> = None;
        loop {
            if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
                let text = |b: Option<&[u8]>| b.map(|b| String::from_utf8(b.to_vec()).unwrap());
                out.push(Record {
                    topic: m.topic().to_owned(),
                    partition: m.partition(),
                    offset: m.offset(),
                    timestamp: m.timestamp().to_millis(),
                    key: text(m.key()),
                    value: text(m.payload()).unwrap_or_default(),
                    headers: m
                        .headers()
                        .map(|h| {
                            h.iter()
                                .map(|h| (h.key.to_owned(), text(h.value).unwrap_or_default()))
                                .collect()
                        })
                        .unwrap_or_default(),
                });
            }
            let now = Instant::now();
            if out.len() >= n && extra_until.is_none() {
                extra_until = Some(now + Duration::from_millis(500));
            }
            if extra_until.is_some_and(|t| now > t) || now > deadline {
                return out;
            }
        }
    }
}

impl Drop for Kafka {
    fn drop(&mut self) {
        self.kill();
    }
}
