//! A real OpenTelemetry Collector for the OTLP sink's tests and benchmark: otelcol-mini
//! (`LOGCAP_OTELCOL_BIN`, built by `.ci/netservers.sh`) with the OTLP/HTTP receiver on a free
//! port of 127.0.0.1 and the file exporter, which writes one line of OTLP/JSON per export
//! request the collector received. Each incarnation writes its own file, so a restart loses
//! nothing that was written.
#![allow(dead_code)]

use super::servers::{free_port, kill_child, signal, start_logged};
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A collector.
pub struct Collector {
    bin: PathBuf,
    dir: tempfile::TempDir,
    child: Option<Child>,
    incarnation: u32,
    /// The OTLP/HTTP port.
    pub port: u16,
}

/// One log record as the file exporter wrote it, with its resource's attributes.
#[derive(Debug, Clone)]
pub struct Received {
    /// The resource's attributes, `key → {"stringValue": …}`.
    pub resource: serde_json::Map<String, Value>,
    /// The scope's name.
    pub scope: String,
    /// The log record, in OTLP/JSON.
    pub record: Value,
}

impl Received {
    /// The value object of the record attribute `key` (`{"intValue": "200"}`…).
    pub fn attr(&self, key: &str) -> Option<&Value> {
        self.record["attributes"]
            .as_array()?
            .iter()
            .find(|a| a["key"] == key)
            .map(|a| &a["value"])
    }
}

impl Collector {
    /// A collector, started.
    pub fn start(bin: &Path) -> Collector {
        Self::start_with(bin, "")
    }

    /// A collector whose OTLP/HTTP receiver has extra settings (YAML flow mappings' members,
    /// such as `max_request_body_size: 512`), started.
    pub fn start_with(bin: &Path, http_extra: &str) -> Collector {
        let mut c = Self::prepared(bin, http_extra);
        c.up();
        c
    }

    /// A collector that is not started yet (see [`Collector::up`]).
    pub fn prepared(bin: &Path, http_extra: &str) -> Collector {
        let c = Collector {
            bin: bin.to_owned(),
            dir: tempfile::tempdir().unwrap(),
            child: None,
            incarnation: 0,
            port: free_port(),
        };
        let extra = if http_extra.is_empty() {
            String::new()
        } else {
            format!(", {http_extra}")
        };
        let conf = format!(
            "receivers: {{otlp: {{protocols: {{http: {{endpoint: \"127.0.0.1:{port}\"{extra}}}}}}}}}\n\
             exporters: {{file: {{path: \"${{env:OTEL_OUT}}\", flush_interval: 50ms}}}}\n\
             service:\n  telemetry: {{metrics: {{level: none}}}}\n  \
             pipelines: {{logs: {{receivers: [otlp], exporters: [file]}}}}\n",
            port = c.port
        );
        fs::write(c.dir.path().join("config.yaml"), conf).unwrap();
        c
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("collector.log")
    }

    /// The collector's own log (every incarnation's).
    pub fn log(&self) -> String {
        fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Starts (or restarts) the collector on the same port, writing to a new file.
    pub fn up(&mut self) {
        assert!(self.child.is_none(), "already running");
        self.incarnation += 1;
        let out = self
            .dir
            .path()
            .join(format!("out-{}.jsonl", self.incarnation));
        let mut cmd = Command::new(&self.bin);
        cmd.arg("--config")
            .arg(self.dir.path().join("config.yaml"))
            .env("OTEL_OUT", out);
        self.child = Some(start_logged(
            &mut cmd,
            &self.log_path(),
            "Everything is ready",
            Duration::from_secs(30),
        ));
    }

    /// Stops the collector gracefully (SIGTERM: it finishes what it received) and waits.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            signal(&c, "TERM");
            let _ = c.wait();
        }
    }

    /// Kills the collector at once (SIGKILL).
    pub fn kill(&mut self) {
        kill_child(&mut self.child);
    }

    /// The base URL (the sink appends `/v1/logs`).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every export request written so far, as OTLP/JSON documents.
    pub fn requests(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for i in 1..=self.incarnation {
            let path = self.dir.path().join(format!("out-{i}.jsonl"));
            let text = fs::read_to_string(path).unwrap_or_default();
            // A line being written may be incomplete: only whole lines count.
            for line in text.split_inclusive('\n').filter(|l| l.ends_with('\n')) {
                if !line.trim().is_empty() {
                    out.push(serde_json::from_str(line).unwrap());
                }
            }
        }
        out
    }

    /// Every log record written so far.
    pub fn records(&self) -> Vec<Received> {
        let mut out = Vec::new();
        for req in self.requests() {
            for rl in req["resourceLogs"].as_array().into_iter().flatten() {
                let mut resource = serde_json::Map::new();
                for a in rl["resource"]["attributes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    resource.insert(a["key"].as_str().unwrap().to_owned(), a["value"].clone());
                }
                for sl in rl["scopeLogs"].as_array().into_iter().flatten() {
                    let scope = sl["scope"]["name"].as_str().unwrap_or("").to_owned();
                    for r in sl["logRecords"].as_array().into_iter().flatten() {
                        out.push(Received {
                            resource: resource.clone(),
                            scope: scope.clone(),
                            record: r.clone(),
                        });
                    }
                }
            }
        }
        out
    }

    /// Waits until at least `n` records were written, or 30 s; then a little longer, to see
    /// any beyond `n`.
    pub fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.records().len() < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(300));
        self.records()
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.kill();
    }
}
