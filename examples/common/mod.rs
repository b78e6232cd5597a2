//! What the examples share: the standard event (docs/output.md, "The standard event") and the
//! kernel's per-thread CPU counters (Linux only).

use logcap_core::entry::EntryData;
use logcap_core::Level;
use std::collections::BTreeMap;

/// The standard event's labels.
pub const LABELS: [(&str, &str); 4] = [
    ("service", "checkout"),
    ("env", "prod"),
    ("host", "web-1"),
    ("region", "eu-west-1"),
];

/// utime + stime of every thread of this process, by thread name, in clock ticks.
pub fn thread_ticks() -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for t in std::fs::read_dir("/proc/self/task").expect("Linux /proc") {
        let path = t.expect("a task").path();
        let Ok(stat) = std::fs::read_to_string(path.join("stat")) else {
            continue; // the thread is gone
        };
        // "tid (comm) state ...": the name may hold spaces, so split after the last ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[open + 1..close].to_string();
        let rest: Vec<&str> = stat[close + 2..].split(' ').collect();
        // Fields 14 and 15 of stat, 12 and 13 after the name and state.
        let ticks: u64 = rest[11].parse::<u64>().unwrap() + rest[12].parse::<u64>().unwrap();
        *out.entry(name).or_default() += ticks;
    }
    out
}

/// The kernel's clock ticks per second (`getconf CLK_TCK`; 100 if that fails).
pub fn clk_tck() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// The standard event, encoded as a packed record (docs/record-format.md).
pub fn standard_record() -> Vec<u8> {
    let mut d = EntryData::new();
    d.set_level(Level::Info);
    d.set_message("request completed");
    for (k, v) in LABELS {
        d.set_label(k, v).unwrap();
    }
    d.set_field("method", "GET").unwrap();
    d.set_field("path", "/api/v1/orders/12345").unwrap();
    d.set_field("status", 200i64).unwrap();
    d.set_field("latency_ms", 12.5).unwrap();
    d.set_field("user_id", "u-998877").unwrap();
    d.set_field("cache_hit", true).unwrap();
    let mut out = Vec::new();
    logcap_core::record::encode_entry(&d, &mut out).unwrap();
    out
}
