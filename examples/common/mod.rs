//! What the examples share: the standard event (the integration tests' own fill) and the
//! kernel's per-thread CPU counters (Linux only).

#[path = "../../tests/common/mod.rs"]
mod fixtures;
// Not every example uses both.
use fixtures::fill_standard;
#[allow(unused_imports)]
pub use fixtures::LABELS;

use logcap_core::entry::EntryData;
use std::collections::BTreeMap;

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
    fill_standard(&mut d);
    let mut out = Vec::new();
    logcap_core::record::encode_entry(&d, &mut out).unwrap();
    out
}
