//! Pipeline functions.

use super::error::{fail, from_error};
use super::panic::{boundary, FfiResult};
use super::pointer::{
    bytes, copy_out, out, take_box, text, to_boxed_ptr, try_ref, Castable, OwnedBox,
};
use super::result::logcap_result;
use super::types::{level, logcap_sink_stats, logcap_stats};
use logcap_core::pipeline::Pipeline;
use std::time::Duration;

/// A pipeline: a pool of entries, a dispatcher and its sinks.
pub struct logcap_pipeline {
    _private: [u8; 0],
}

impl Castable for logcap_pipeline {
    type Ownership = OwnedBox;
    type Rust = Pipeline;
    const NAME: &'static str = "pipeline";
}

/// Parses a JSON configuration (`len` bytes; NULL or empty gives the embedded default: one
/// JSON-lines sink on stdout), starts a pipeline and writes it to `*out_pipeline`.
///
/// Does not take ownership of `config`. The pipeline must later be freed with
/// logcap_pipeline_free. LOGCAP_RESULT_CONFIG for an invalid document (logcap_last_error()
/// names the key); LOGCAP_RESULT_SINK_SETUP when a sink cannot start (a configuration with a
/// callback sink needs logcap_builder_new instead).
#[no_mangle]
pub extern "C" fn logcap_pipeline_new(
    config: *const u8,
    len: usize,
    out_pipeline: *mut *mut logcap_pipeline,
) -> logcap_result {
    boundary(|| {
        let o = out(out_pipeline, "out_pipeline")?;
        let doc = text(config, len, "config")?;
        let p = Pipeline::from_json(&doc).map_err(|e| from_error(&e))?;
        *o = to_boxed_ptr(p);
        Ok(())
    })
}

/// Closes the pipeline if it is open (waiting up to 5 seconds for delivery, as
/// logcap_pipeline_close: what is not delivered by then is counted as dropped) and frees it.
/// Once it returns, no callback of the pipeline runs: a callback running at the deadline is
/// waited for, and no other is started.
///
/// `pipeline` is consumed; must not be used afterwards. Needs exclusive use: no other call on
/// this pipeline may be running. Entries still acquired stay valid handles that can only be
/// released. Freeing NULL is a no-op.
#[no_mangle]
pub extern "C" fn logcap_pipeline_free(pipeline: *mut logcap_pipeline) {
    let _ = boundary(|| {
        drop(take_box(pipeline));
        Ok(())
    });
}

/// Waits until everything submitted before the call has been delivered, dropped or failed by
/// every sink, and every sink has flushed (a file sink fsyncs).
///
/// Does not take ownership of `pipeline`. LOGCAP_RESULT_TIMEOUT after `timeout_ms`
/// milliseconds; LOGCAP_RESULT_CLOSED after close; LOGCAP_RESULT_SINK_FLUSH when a sink
/// failed to flush.
#[no_mangle]
pub extern "C" fn logcap_pipeline_flush(
    pipeline: *const logcap_pipeline,
    timeout_ms: u64,
) -> logcap_result {
    boundary(|| {
        let p = try_ref(pipeline)?;
        p.flush(Duration::from_millis(timeout_ms))
            .map_err(|e| from_error(&e))
    })
}

/// Stops intake (later submits give LOGCAP_RESULT_CLOSED), delivers everything queued, closes
/// the sinks and stops the pipeline's threads. Idempotent.
///
/// Does not take ownership of `pipeline`; it must still be freed with logcap_pipeline_free.
/// LOGCAP_RESULT_TIMEOUT after `timeout_ms` milliseconds: delivery is then abandoned (no sink
/// is called again; what was not delivered is counted as dropped by each sink), except that a
/// callback running at the deadline is waited for. Once close returns, whatever it returns,
/// no callback of the pipeline runs. A later call waits for the threads to be gone.
#[no_mangle]
pub extern "C" fn logcap_pipeline_close(
    pipeline: *const logcap_pipeline,
    timeout_ms: u64,
) -> logcap_result {
    boundary(|| {
        let p = try_ref(pipeline)?;
        p.close(Duration::from_millis(timeout_ms))
            .map_err(|e| from_error(&e))
    })
}

/// Checks one packed record (docs/record-format.md), copies it into a pooled entry and
/// submits it: one call per log event (see logcap_core::Pipeline::submit_record).
///
/// Does not take ownership of `record`. LOGCAP_RESULT_MALFORMED_RECORD when the record is
/// malformed, LOGCAP_RESULT_LIMIT when it is over a limit (more than 64 labels or 1024
/// fields, a key over 1024 bytes, a message over 256 KiB, more than 1 MiB in all; counted in
/// refused_limit, as the handle API counts the same refusals); logcap_last_error() says where.
/// Nothing is submitted then. Otherwise as logcap_submit.
#[no_mangle]
pub extern "C" fn logcap_pipeline_submit_record(
    pipeline: *const logcap_pipeline,
    record: *const u8,
    len: usize,
) -> logcap_result {
    submit_bytes(pipeline, record, len, Pipeline::submit_record)
}

/// Submits a packed record from an encoder that keeps every rule of docs/record-format.md
/// itself, limits included (see logcap_core::Pipeline::submit_trusted_record): with lanes
/// (`queue.lanes`), only the record's header is checked here (magic, version, level, total
/// length against `len`, counts within the limits) and the body where the pipeline decodes it;
/// a body that breaks a rule is then dropped and counted in dropped_malformed, after this call
/// returned LOGCAP_RESULT_OK. A header that does not hold, and every record of a pipeline
/// without lanes, are checked in full and answered as logcap_pipeline_submit_record answers.
/// For an encoder that checks the limits as it encodes and calls
/// logcap_pipeline_submit_record for a record it finds over one, so that the refusal keeps its
/// code and counter (logcap.hpp's log() does). Does not take ownership of `record`.
#[no_mangle]
pub extern "C" fn logcap_pipeline_submit_trusted_record(
    pipeline: *const logcap_pipeline,
    record: *const u8,
    len: usize,
) -> logcap_result {
    submit_bytes(pipeline, record, len, Pipeline::submit_trusted_record)
}

/// The two record submits: `len` bytes at `record` given to `submit`.
fn submit_bytes(
    pipeline: *const logcap_pipeline,
    record: *const u8,
    len: usize,
    submit: fn(&Pipeline, &[u8]) -> Result<(), logcap_core::Error>,
) -> logcap_result {
    boundary(|| {
        let p = try_ref(pipeline)?;
        let buf = bytes(record, len, "record")?;
        submit(p, buf).map_err(|e| from_error(&e))
    })
}

/// Sets the minimum level (a logcap_level, 0 trace to 5 fatal): entries below it are dropped
/// at submit and counted. Takes effect for submits that start after the call.
/// Does not take ownership of `pipeline`.
#[no_mangle]
pub extern "C" fn logcap_pipeline_set_min_level(
    pipeline: *const logcap_pipeline,
    min_level: u32,
) -> logcap_result {
    boundary(|| {
        let p = try_ref(pipeline)?;
        p.set_min_level(level(min_level)?);
        Ok(())
    })
}

/// Writes the minimum level (a logcap_level) to `*out_level`.
/// Does not take ownership of `pipeline`.
#[no_mangle]
pub extern "C" fn logcap_pipeline_min_level(
    pipeline: *const logcap_pipeline,
    out_level: *mut u32,
) -> logcap_result {
    boundary(|| {
        let p = try_ref(pipeline)?;
        *out(out_level, "out_level")? = p.min_level() as u32;
        Ok(())
    })
}

/// Writes the pipeline's counters to `*out_stats`. Does not take ownership of `pipeline`.
#[no_mangle]
pub extern "C" fn logcap_pipeline_stats(
    pipeline: *const logcap_pipeline,
    out_stats: *mut logcap_stats,
) -> logcap_result {
    boundary(|| {
        let p = try_ref(pipeline)?;
        let o = out(out_stats, "out_stats")?;
        *o = c_stats(&p.stats());
        Ok(())
    })
}

/// The C view of a pipeline's counters: every counter of `Stats` but the sinks', which
/// logcap_pipeline_sink_stats gives one sink at a time (the tests below check that none is
/// left out).
fn c_stats(s: &logcap_core::Stats) -> logcap_stats {
    logcap_stats {
        submitted: s.submitted,
        accepted: s.accepted,
        dropped_level: s.dropped_level,
        dropped_queue_full: s.dropped_queue_full,
        dropped_queue_evicted: s.dropped_queue_evicted,
        dropped_queue_timeout: s.dropped_queue_timeout,
        queued: s.queued,
        batches: s.batches,
        pool_acquired: s.pool.acquired,
        pool_reused: s.pool.reused,
        pool_allocated: s.pool.allocated,
        pool_discarded: s.pool.discarded,
        pool_trimmed: s.pool.trimmed,
        pool_idle: s.pool.idle,
        sink_count: s.sinks.len() as u64,
        sampled_out: s.sampled_out,
        rate_limited: s.rate_limited,
        deduplicated: s.deduplicated,
        dropped_by_hook: s.dropped_by_hook,
        hook_errors: s.hook_errors,
        held: s.held,
        refused_limit: s.refused_limit,
        dropped_malformed: s.dropped_malformed,
        lanes: s.lanes,
        lane_bytes: s.lane_bytes,
    }
}

/// The C view of one sink's counters (every one but its name).
fn c_sink_stats(k: &logcap_core::stats::SinkStats) -> logcap_sink_stats {
    logcap_sink_stats {
        received: k.received,
        delivered: k.delivered,
        dropped: k.dropped,
        failed: k.failed,
        batches: k.batches,
        bytes: k.bytes,
        panics: k.panics,
        queued_batches: k.queued_batches,
        requests: k.requests,
        retries: k.retries,
        permanent_failures: k.permanent_failures,
        dead_lettered: k.dead_lettered,
        bytes_sent: k.bytes_sent,
    }
}

fn sink_at(p: &Pipeline, index: usize) -> FfiResult<logcap_core::stats::SinkStats> {
    let mut s = p.stats().sinks;
    if index >= s.len() {
        return Err(fail(
            logcap_result::InvalidArgument,
            format!(
                "sink index {index} is out of range: the pipeline has {} sinks",
                s.len()
            ),
        ));
    }
    Ok(s.swap_remove(index))
}

/// Writes the counters of the sink at `index` (configuration order) to `*out_stats`.
/// Does not take ownership of `pipeline`. LOGCAP_RESULT_INVALID_ARGUMENT for an index out of
/// range.
#[no_mangle]
pub extern "C" fn logcap_pipeline_sink_stats(
    pipeline: *const logcap_pipeline,
    index: usize,
    out_stats: *mut logcap_sink_stats,
) -> logcap_result {
    boundary(|| {
        let p = try_ref(pipeline)?;
        let o = out(out_stats, "out_stats")?;
        *o = c_sink_stats(&sink_at(p, index)?);
        Ok(())
    })
}

/// Re-submits the entries of a dead-letter file through the pipeline (see
/// docs/network-sinks.md) and writes how many were submitted to `*out_count`.
///
/// `path` is `len` bytes (a file name, not NUL-terminated). Does not take ownership of
/// `pipeline` or `path`. The file is renamed aside first and deleted once every entry is
/// submitted; entries that fail again are dead-lettered into a new file at `path`.
/// `*out_count` is the number of entries taken into the queue; entries the minimum level,
/// sampling, rate limiting or the processor hook drop are not counted and are written back to
/// the file at `path`. Leftovers of a replay that did not finish (`<path>.replay-*`) are read
/// first. A missing file submits nothing (`*out_count` is 0). LOGCAP_RESULT_IO when the file cannot be read;
/// LOGCAP_RESULT_CLOSED, LOGCAP_RESULT_QUEUE_FULL or LOGCAP_RESULT_TIMEOUT when the pipeline
/// refused an entry: it and the entries after it are put back into the file.
#[no_mangle]
pub extern "C" fn logcap_pipeline_replay(
    pipeline: *const logcap_pipeline,
    path: *const u8,
    len: usize,
    out_count: *mut u64,
) -> logcap_result {
    boundary(|| {
        let p = try_ref(pipeline)?;
        let o = out(out_count, "out_count")?;
        let raw = bytes(path, len, "path")?;
        if raw.is_empty() {
            return Err(fail(logcap_result::InvalidArgument, "the path is empty"));
        }
        let path = std::path::Path::new(
            <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(raw),
        );
        let report = p.replay_dead_letters(path).map_err(|e| from_error(&e))?;
        *o = report.submitted;
        Ok(())
    })
}

/// Copies the name of the sink at `index` into `buf` and writes its length to `*out_len`.
/// LOGCAP_RESULT_BUFFER_TOO_SMALL writes only the needed length to `*out_len`.
#[no_mangle]
pub extern "C" fn logcap_pipeline_sink_name(
    pipeline: *const logcap_pipeline,
    index: usize,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> logcap_result {
    boundary(|| {
        let p = try_ref(pipeline)?;
        let o = out(out_len, "out_len")?;
        let k = sink_at(p, index)?;
        copy_out(k.name.as_bytes(), buf, buf_len, o)
    })
}

/// Renders every counter of the pipeline, its sinks, its pool and its processing stages in
/// the Prometheus text exposition format (version 0.0.4), copies it into `buf` (`buf_len`
/// bytes, not NUL-terminated) and writes its length to `*out_len`.
///
/// Does not take ownership of anything. LOGCAP_RESULT_BUFFER_TOO_SMALL writes only the needed
/// length to `*out_len`; counters move, so retry with some room to spare (4 KiB more is
/// plenty).
#[no_mangle]
pub extern "C" fn logcap_pipeline_metrics(
    pipeline: *const logcap_pipeline,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> logcap_result {
    boundary(|| {
        let p = try_ref(pipeline)?;
        let o = out(out_len, "out_len")?;
        copy_out(p.metrics_text().as_bytes(), buf, buf_len, o)
    })
}

#[cfg(test)]
mod tests {
    use super::{c_sink_stats, c_stats};
    use logcap_core::stats::SinkStats;
    use logcap_core::Stats;
    use serde_json::Value;
    use std::collections::BTreeSet;

    /// Replaces every number in `v` with a distinct one, counting up from `next`.
    fn numbered(v: &mut Value, next: &mut u64) {
        match v {
            Value::Number(_) => {
                *next += 1;
                *v = Value::from(*next);
            }
            Value::Array(a) => a.iter_mut().for_each(|x| numbered(x, next)),
            Value::Object(o) => o.values_mut().for_each(|x| numbered(x, next)),
            _ => {}
        }
    }

    /// The numbers in a value's JSON or a struct's Debug text (whose names hold no digit).
    fn numbers(text: &str) -> BTreeSet<u64> {
        text.split(|c: char| !c.is_ascii_digit())
            .filter_map(|t| t.parse().ok())
            .collect()
    }

    #[test]
    fn the_c_structs_carry_every_counter_of_the_rust_ones() {
        // Every counter of a Stats with one sink set to its own number, from 1001 up: a
        // counter the C view leaves out is a number missing from it.
        let mut v = serde_json::to_value(Stats {
            sinks: vec![SinkStats::default()],
            ..Stats::default()
        })
        .unwrap();
        numbered(&mut v, &mut 1000);
        let sink = v["sinks"][0].take();
        v["sinks"] = Value::Array(Vec::new());
        let want = numbers(&v.to_string());
        assert!(want.len() >= 20, "{v}");
        let mut s: Stats = serde_json::from_value(v).unwrap();
        let k: SinkStats = serde_json::from_value(sink.clone()).unwrap();
        s.sinks.push(k.clone());
        let mut got = numbers(&format!("{:?}", c_stats(&s)));
        // The one field of the C struct that is not a counter: the number of sinks.
        assert!(got.remove(&1), "sink_count");
        assert_eq!(got, want, "logcap_stats against Stats");
        assert_eq!(
            numbers(&format!("{:?}", c_sink_stats(&k))),
            numbers(&sink.to_string()),
            "logcap_sink_stats against SinkStats"
        );
    }
}
