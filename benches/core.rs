//! Benchmarks of logcap's core, through the Rust API, doing what users do.
//!
//! Every benchmark logs the standard event (level info, message `request completed`, four
//! labels, six typed fields; the same event every binding benchmarks). Groups and functions:
//!
//! | name                         | what one iteration is                                        |
//! |------------------------------|--------------------------------------------------------------|
//! | `pool/acquire_release`       | `Pipeline::acquire()`, then drop the `Entry`                 |
//! | `pool/take_put`              | `Pool::take()`, then `Pool::put()`                           |
//! | `pool/alloc_drop`            | a fresh `Box<EntryData>`, dropped (no pool)                  |
//! | `pool/alloc_fill_drop`       | a fresh `Box<EntryData>` filled with the event, dropped      |
//! | `pool/take_fill_put`         | the same with a pooled entry (what reuse saves)              |
//! | `entry/set_label`            | overwrite label `region` on a locked `Entry`                 |
//! | `entry/get_label`            | read label `region` with `with_label` (no copy)              |
//! | `entry/set_field`            | overwrite i64 field `status`                                 |
//! | `entry/get_field`            | read field `status` with `with_field`                        |
//! | `deep_copy/entry`            | `Entry::deep_copy()` (pooled), copy dropped back to the pool |
//! | `deep_copy/data_clone`       | `EntryData::clone()` (fresh allocation), dropped             |
//! | `dispatch/null_{1,2,4}p`     | 1, 2 or 4 producers build and submit `N` events, then flush  |
//! | `batch/{10,50,100,500,1000}` | as `dispatch/null_1p` with `batch.max_entries` set           |
//! | `file/json_lines`            | `N` events into a JSON-lines file, then flush (entries/s)    |
//! | `file/json_lines_bytes`      | the same, reported in bytes/s                                |
//! | `produce/build_submit`       | acquire, fill through `Entry`, submit (producer side)        |
//! | `produce/build_submit_data`  | `Pool::take`, fill `EntryData`, `submit_data`                |
//! | `produce/submit_record`      | `Pipeline::submit_record` of the event encoded beforehand (`block`) |
//! | `produce/lane_submit_record` | the same record into the thread's lane (`lane::LaneSet`, `block`; its reader only checks) |
//! | `encode/json`, `encode/text` | one entry holding the event encoded as a line (what a file or stream sink does per entry) |
//! | `encode/json_long`           | the same with a 220-byte message and a 79-byte `path`: the encoders' string copies |
//! | `encode/decode_json`         | the event's packed record decoded into an entry, then encoded as JSON (a file sink's work per record with lanes) |
//!
//! The end-to-end groups (`dispatch`, `batch`, `file`) use a bounded queue with the `block`
//! policy and panic after the run unless every submitted entry was delivered and none dropped.
//! The `file` group also checks that every line of the file is JSON and that there is one line
//! per submitted entry. The `produce` group's queue drops the newest entry when full, so that a
//! producer never waits; after each of its benchmarks the pipeline is closed and the benchmark
//! panics unless nothing was dropped and every entry was delivered.
//!
//! Run everything with `cargo bench --bench core`; `cargo bench --bench core -- --test` runs
//! each benchmark once, as a check.

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode,
    Throughput,
};
use logcap_core::{Entry, EntryData, Level, Pipeline, Pool, PoolLimits, Stats};
use std::hint::black_box;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

mod common;
use common::{fill_standard, LABELS};

// ---------------------------------------------------------------------------------------------
// The standard event, as docs/output.md describes it (without trace context).

const MESSAGE: &str = "request completed";

/// Fills a locked entry with the standard event, one call per attribute, as users write it.
#[inline]
fn fill_entry(e: &Entry) {
    e.set_level(Level::Info);
    e.set_message(MESSAGE);
    for (k, v) in LABELS {
        e.set_label(k, v).expect("label");
    }
    e.set_field("method", "GET").expect("field");
    e.set_field("path", "/api/v1/orders/12345").expect("field");
    e.set_field("status", 200i64).expect("field");
    e.set_field("latency_ms", 12.5).expect("field");
    e.set_field("user_id", "u-998877").expect("field");
    e.set_field("cache_hit", true).expect("field");
}

/// Builds `n` standard events and submits them. Refusals are not checked here: they are
/// counted by the pipeline and checked from its stats after the run.
#[inline]
fn submit_standard(p: &Pipeline, n: usize) {
    for _ in 0..n {
        let e = p.acquire();
        fill_entry(&e);
        let _ = black_box(p.submit(e));
    }
}

// ---------------------------------------------------------------------------------------------
// Pipelines.

/// No submit and no batch offer may time out during a run.
const NO_TIMEOUT_MS: u64 = 600_000;
const FLUSH_TIMEOUT: Duration = Duration::from_secs(600);
const CLOSE_TIMEOUT: Duration = Duration::from_secs(600);

/// A pipeline whose queues block (so nothing is dropped) in front of `sink`, a JSON object.
fn blocking_pipeline(batch: usize, sink: &str) -> Pipeline {
    let doc = format!(
        r#"{{"queue": {{"capacity": 65536, "when_full": "block", "block_timeout_ms": {NO_TIMEOUT_MS}}},
            "batch": {{"max_entries": {batch}}},
            "sinks": [{sink}]}}"#
    );
    Pipeline::from_json(&doc).expect("benchmark configuration")
}

/// [`blocking_pipeline`], with lanes on or off (`queue.lanes`). With lanes, `capacity` is
/// each thread's lane's.
fn lanes_pipeline(batch: usize, sink: &str, lanes: bool) -> Pipeline {
    let doc = format!(
        r#"{{"queue": {{"capacity": 65536, "when_full": "block", "block_timeout_ms": {NO_TIMEOUT_MS},
                        "lanes": {lanes}}},
            "batch": {{"max_entries": {batch}}},
            "sinks": [{sink}]}}"#
    );
    Pipeline::from_json(&doc).expect("benchmark configuration")
}

fn null_sink() -> String {
    format!(
        r#"{{"type": "null", "name": "null", "when_full": "block", "block_timeout_ms": {NO_TIMEOUT_MS}}}"#
    )
}

/// A pipeline into a null sink with the default batch size.
fn null_pipeline() -> Pipeline {
    blocking_pipeline(512, &null_sink())
}

/// Panics unless exactly `submitted` entries were submitted and every one was delivered by
/// every sink: a benchmark must not silently measure drops.
fn assert_all_delivered(name: &str, s: &Stats, submitted: u64) {
    let lost = s.dropped() != 0
        || s.submitted != submitted
        || s.accepted != submitted
        || s.queued != 0
        || s.sinks
            .iter()
            .any(|k| k.dropped != 0 || k.failed != 0 || k.delivered != submitted);
    if lost {
        panic!("{name}: {submitted} entries submitted, but not all were delivered: {s:#?}");
    }
}

/// What each producer submits.
#[derive(Clone)]
enum Work {
    /// Standard events built through the entry API (acquire, set, submit).
    Entries,
    /// The standard event encoded beforehand as a packed record (as a binding or the C
    /// record writer hands it over), submitted with `submit_record`.
    Record(Arc<Vec<u8>>),
}

impl Work {
    fn record() -> Work {
        let mut record = Vec::new();
        let mut d = EntryData::new();
        fill_standard(&mut d);
        logcap_core::record::encode_entry(&d, &mut record).expect("the standard event encodes");
        Work::Record(Arc::new(record))
    }

    #[inline]
    fn submit(&self, p: &Pipeline, n: usize) {
        match self {
            Work::Entries => submit_standard(p, n),
            Work::Record(r) => {
                for _ in 0..n {
                    let _ = black_box(p.submit_record(black_box(r)));
                }
            }
        }
    }
}

/// Producers that build and submit standard events: the calling thread and `n - 1` others,
/// started together for each round.
struct Producers {
    pipeline: Arc<Pipeline>,
    work: Work,
    count: usize,
    share: Arc<AtomicUsize>,
    start: Arc<Barrier>,
    done: Arc<Barrier>,
    threads: Vec<JoinHandle<()>>,
    submitted: u64,
}

const STOP: usize = usize::MAX;

impl Producers {
    fn new(pipeline: Pipeline, count: usize) -> Self {
        Producers::with(pipeline, count, Work::Entries)
    }

    fn with(pipeline: Pipeline, count: usize, work: Work) -> Self {
        let pipeline = Arc::new(pipeline);
        let share = Arc::new(AtomicUsize::new(0));
        let start = Arc::new(Barrier::new(count));
        let done = Arc::new(Barrier::new(count));
        let threads = (1..count)
            .map(|_| {
                let (p, share, start, done, work) = (
                    Arc::clone(&pipeline),
                    Arc::clone(&share),
                    Arc::clone(&start),
                    Arc::clone(&done),
                    work.clone(),
                );
                std::thread::spawn(move || loop {
                    start.wait();
                    let n = share.load(Ordering::Acquire);
                    if n == STOP {
                        return;
                    }
                    work.submit(&p, n);
                    done.wait();
                })
            })
            .collect();
        Producers {
            pipeline,
            work,
            count,
            share,
            start,
            done,
            threads,
            submitted: 0,
        }
    }

    /// Submits `n` events, split evenly between the producers, and flushes: on return every
    /// one of them has been delivered (or counted as lost).
    fn round(&mut self, n: usize) {
        let each = n / self.count;
        self.share.store(each, Ordering::Release);
        if self.count > 1 {
            self.start.wait();
        }
        self.work.submit(&self.pipeline, each);
        if self.count > 1 {
            self.done.wait();
        }
        self.submitted += (each * self.count) as u64;
        self.pipeline.flush(FLUSH_TIMEOUT).expect("flush");
    }

    /// `iters` rounds of `n` events, timed (for `iter_custom`).
    fn timed_rounds(&mut self, iters: u64, n: usize) -> Duration {
        let t = Instant::now();
        for _ in 0..iters {
            self.round(n);
        }
        t.elapsed()
    }

    /// Stops the other producers, closes the pipeline and checks that nothing was lost.
    fn finish(self, name: &str) -> Stats {
        self.share.store(STOP, Ordering::Release);
        if self.count > 1 {
            self.start.wait();
        }
        for t in self.threads {
            t.join().expect("producer thread");
        }
        self.pipeline.close(CLOSE_TIMEOUT).expect("close");
        let s = self.pipeline.stats();
        assert_all_delivered(name, &s, self.submitted);
        s
    }
}

// ---------------------------------------------------------------------------------------------
// Group settings, tuned so that the whole run stays within a few minutes on two cores.

fn fast_group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.warm_up_time(Duration::from_millis(1000))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50);
    g
}

fn throughput_group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.warm_up_time(Duration::from_millis(1000))
        .measurement_time(Duration::from_secs(3))
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat);
    g
}

/// Entries per round of the end-to-end benchmarks (divisible by every producer count).
const ROUND: usize = 20_000;

fn pool_note(name: &str, s: &Stats) {
    if s.submitted == 0 {
        return; // the benchmark was filtered out
    }
    let p = &s.pool;
    println!(
        "note: {name}: pool acquired {} (reused {}, allocated {}), discarded {}",
        p.acquired, p.reused, p.allocated, p.discarded
    );
}

// ---------------------------------------------------------------------------------------------
// 1. Pool.

fn pool(c: &mut Criterion) {
    let mut g = fast_group(c, "pool");
    let p = null_pipeline();
    g.bench_function("acquire_release", |b| {
        b.iter(|| drop(black_box(p.acquire())))
    });
    drop(p);

    let pool = Pool::new(PoolLimits::default());
    g.bench_function("take_put", |b| b.iter(|| pool.put(black_box(pool.take()))));

    g.bench_function("alloc_drop", |b| {
        b.iter(|| drop(black_box(Box::<EntryData>::default())))
    });
    g.bench_function("alloc_fill_drop", |b| {
        b.iter(|| {
            let mut d = black_box(Box::<EntryData>::default());
            fill_standard(&mut d);
            drop(black_box(d));
        })
    });
    g.bench_function("take_fill_put", |b| {
        b.iter(|| {
            let mut d = black_box(pool.take());
            fill_standard(&mut d);
            pool.put(black_box(d));
        })
    });
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// 2. Entry operations on a locked entry holding the standard event.

fn entry(c: &mut Criterion) {
    let mut g = fast_group(c, "entry");
    let p = null_pipeline();
    let e = p.acquire();
    fill_entry(&e);
    g.bench_function("set_label", |b| {
        b.iter(|| e.set_label(black_box("region"), black_box("eu-west-1")))
    });
    g.bench_function("get_label", |b| {
        b.iter(|| e.with_label(black_box("region"), |v| black_box(v).map(str::len)))
    });
    g.bench_function("set_field", |b| {
        b.iter(|| e.set_field(black_box("status"), black_box(200i64)))
    });
    g.bench_function("get_field", |b| {
        b.iter(|| {
            e.with_field(black_box("status"), |v| match black_box(v) {
                Some(logcap_core::ValueRef::I64(n)) => n,
                _ => -1,
            })
        })
    });
    g.finish();
    assert_eq!(e.label("region").as_deref(), Some("eu-west-1"));
}

// ---------------------------------------------------------------------------------------------
// 3. Deep copy of the standard event.

fn deep_copy(c: &mut Criterion) {
    let mut g = fast_group(c, "deep_copy");
    let p = null_pipeline();
    let e = p.acquire();
    fill_entry(&e);
    g.bench_function("entry", |b| b.iter(|| drop(black_box(e.deep_copy()))));
    let mut d = EntryData::new();
    fill_standard(&mut d);
    g.bench_function("data_clone", |b| b.iter(|| drop(black_box(d.clone()))));
    g.finish();
    let copy = e.deep_copy();
    assert!(e.with(|a| copy.with(|b| a == b)), "deep copy differs");
}

// ---------------------------------------------------------------------------------------------
// 4. Dispatcher throughput into a null sink, end to end.

fn dispatch(c: &mut Criterion) {
    let mut g = throughput_group(c, "dispatch");
    g.throughput(Throughput::Elements(ROUND as u64));
    for producers in [1, 2, 4] {
        let name = format!("null_{producers}p");
        let mut run = Producers::new(null_pipeline(), producers);
        g.bench_function(name.as_str(), |b| {
            b.iter_custom(|iters| run.timed_rounds(iters, ROUND))
        });
        let s = run.finish(&format!("dispatch/{name}"));
        pool_note(&format!("dispatch/{name}"), &s);
    }
    // The standard event encoded beforehand, as bindings and the C record writer submit it:
    // what the pipeline itself takes from producer to sink. `_queue`: every producer into the
    // shared queue (`queue.lanes` off) rather than a lane of its own.
    for (producers, lanes) in [(1, true), (2, true), (1, false), (2, false)] {
        let name = format!(
            "record_null_{producers}p{}",
            if lanes { "" } else { "_queue" }
        );
        let p = lanes_pipeline(512, &null_sink(), lanes);
        let mut run = Producers::with(p, producers, Work::record());
        g.bench_function(name.as_str(), |b| {
            b.iter_custom(|iters| run.timed_rounds(iters, ROUND))
        });
        run.finish(&format!("dispatch/{name}"));
    }
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// 5. Batch sizes.

fn batch(c: &mut Criterion) {
    let mut g = throughput_group(c, "batch");
    g.throughput(Throughput::Elements(ROUND as u64));
    for size in [10, 50, 100, 500, 1000] {
        let mut run = Producers::new(blocking_pipeline(size, &null_sink()), 1);
        g.bench_function(BenchmarkId::from_parameter(size), |b| {
            b.iter_custom(|iters| run.timed_rounds(iters, ROUND))
        });
        let s = run.finish(&format!("batch/{size}"));
        if s.submitted > 0 && s.batches < s.submitted.div_ceil(size as u64) {
            panic!(
                "batch/{size}: {} batches for {} entries",
                s.batches, s.submitted
            );
        }
    }
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// 6. The standard event into a JSON-lines file.

/// A pipeline into a JSON-lines file. The file is not fsynced on flush: each round ends with a
/// flush, which would otherwise measure the disk's sync latency rather than the pipeline.
fn file_pipeline(path: &Path) -> Pipeline {
    file_lanes_pipeline(path, true)
}

/// [`file_pipeline`], with lanes on or off.
fn file_lanes_pipeline(path: &Path, lanes: bool) -> Pipeline {
    let path = serde_json::to_string(path.to_str().expect("UTF-8 temporary path")).unwrap();
    let sink = format!(
        r#"{{"type": "file", "name": "file", "path": {path}, "format": "json",
            "fsync_on_flush": false, "when_full": "block", "block_timeout_ms": {NO_TIMEOUT_MS}}}"#
    );
    lanes_pipeline(512, &sink, lanes)
}

/// Panics unless the file holds exactly `entries` lines and each is a JSON object carrying the
/// standard event's message. Returns the file's size.
fn verify_json_lines(name: &str, path: &Path, entries: u64) -> u64 {
    #[derive(serde::Deserialize)]
    struct Line<'a> {
        msg: &'a str,
        level: &'a str,
    }
    let file = std::fs::File::open(path).expect("open the benchmark's file");
    let size = file.metadata().expect("file metadata").len();
    let mut lines = 0u64;
    let mut buf = String::new();
    let mut r = BufReader::with_capacity(1 << 20, file);
    loop {
        buf.clear();
        if r.read_line(&mut buf).expect("read the benchmark's file") == 0 {
            break;
        }
        lines += 1;
        let text = buf.strip_suffix('\n').unwrap_or_else(|| {
            panic!("{name}: line {lines} has no line feed");
        });
        match serde_json::from_str::<Line>(text) {
            Ok(l) if l.msg == MESSAGE && l.level == "info" => {}
            Ok(_) => panic!("{name}: line {lines} is not the standard event: {text}"),
            Err(e) => panic!("{name}: line {lines} is not valid JSON ({e}): {text}"),
        }
    }
    if lines != entries {
        panic!("{name}: {entries} entries submitted but the file has {lines} lines");
    }
    size
}

fn file(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut g = throughput_group(c, "file");

    // Entries per second.
    let path = dir.path().join("json_lines.log");
    let mut run = Producers::new(file_pipeline(&path), 1);
    g.throughput(Throughput::Elements(ROUND as u64));
    g.bench_function("json_lines", |b| {
        b.iter_custom(|iters| run.timed_rounds(iters, ROUND))
    });
    let s = run.finish("file/json_lines");
    let size = verify_json_lines("file/json_lines", &path, s.submitted);
    if s.submitted > 0 {
        println!(
            "note: file/json_lines: {} lines, {} bytes, all valid JSON",
            s.submitted, size
        );
    }
    std::fs::remove_file(&path).expect("remove the benchmark's file");

    // The standard event encoded beforehand, through lanes and through the shared queue.
    for lanes in [true, false] {
        let name = format!("record_json_lines{}", if lanes { "" } else { "_queue" });
        let path = dir.path().join(format!("{name}.log"));
        let mut run = Producers::with(file_lanes_pipeline(&path, lanes), 1, Work::record());
        g.bench_function(name.as_str(), |b| {
            b.iter_custom(|iters| run.timed_rounds(iters, ROUND))
        });
        let s = run.finish(&format!("file/{name}"));
        verify_json_lines(&format!("file/{name}"), &path, s.submitted);
        std::fs::remove_file(&path).expect("remove the benchmark's file");
    }

    // Bytes per second, with the bytes per line measured on a first round.
    let path = dir.path().join("json_lines_bytes.log");
    let mut run = Producers::new(file_pipeline(&path), 1);
    run.round(1000);
    let st = run.pipeline.stats();
    let line_bytes = st.sinks[0].bytes / st.sinks[0].delivered;
    g.throughput(Throughput::Bytes(ROUND as u64 * line_bytes));
    g.bench_function("json_lines_bytes", |b| {
        b.iter_custom(|iters| run.timed_rounds(iters, ROUND))
    });
    let s = run.finish("file/json_lines_bytes");
    let size = verify_json_lines("file/json_lines_bytes", &path, s.submitted);
    if s.submitted > 1000 {
        println!(
            "note: file/json_lines_bytes: {} lines, {size} bytes ({line_bytes} per line \
             measured on a first round of 1000), all valid JSON",
            s.submitted
        );
    }
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// 7. Building and submitting the standard event, producer side.

/// A pipeline whose large queue drops rather than blocks, so a producer never waits.
fn non_blocking_pipeline() -> Pipeline {
    // With lanes, the calling thread's lane is the queue: the largest (64 MiB, four million
    // entry frames), so that it never fills while the batcher keeps up.
    Pipeline::from_json(
        r#"{"queue": {"capacity": 1048576, "when_full": "drop_newest", "lane_bytes": 67108864},
            "sinks": [{"type": "null", "name": "null"}]}"#,
    )
    .expect("benchmark configuration")
}

/// Prints the pool's reuse, and panics unless every entry the producers submitted was queued
/// and delivered: a refused submit (a full queue) would otherwise be timed as a cheap one.
fn produce_check(name: &str, p: Pipeline) {
    p.flush(FLUSH_TIMEOUT).expect("flush");
    let s = p.stats();
    pool_note(name, &s);
    p.close(CLOSE_TIMEOUT).expect("close");
    let s = p.stats();
    if s.submitted == 0 {
        return; // the benchmark was filtered out (`cargo bench --bench core -- encode`)
    }
    assert_all_delivered(name, &s, s.submitted);
}

fn produce(c: &mut Criterion) {
    let mut g = fast_group(c, "produce");

    let p = non_blocking_pipeline();
    g.bench_function("build_submit", |b| {
        b.iter(|| {
            let e = p.acquire();
            fill_entry(&e);
            black_box(p.submit(e))
        })
    });
    produce_check("produce/build_submit", p);

    // The same event filled under one lock (`Entry::with`), as a thread that owns the entry
    // while filling it would write it.
    let p = non_blocking_pipeline();
    g.bench_function("build_submit_one_lock", |b| {
        b.iter(|| {
            let e = p.acquire();
            e.with(fill_standard);
            black_box(p.submit(e))
        })
    });
    produce_check("produce/build_submit_one_lock", p);

    let p = non_blocking_pipeline();
    g.bench_function("build_submit_data", |b| {
        b.iter(|| {
            let mut d = p.pool().take();
            fill_standard(&mut d);
            black_box(p.submit_data(d))
        })
    });
    produce_check("produce/build_submit_data", p);

    // The standard event encoded beforehand (as a binding encodes it), submitted as a packed
    // record: through the pipeline (into the calling thread's lane), and into a bare
    // `lane::LaneSet` whose reader thread only counts the checked records. The batcher
    // decodes more slowly than a producer submits records, so the pipeline's lane blocks when
    // full: the time includes waiting for the batcher.
    let mut record = Vec::new();
    let mut d = EntryData::new();
    fill_standard(&mut d);
    logcap_core::record::encode_entry(&d, &mut record).expect("the standard event encodes");
    let p = Pipeline::from_json(
        r#"{"queue": {"capacity": 1048576, "when_full": "block", "block_timeout_ms": 600000},
            "sinks": [{"type": "null", "name": "null"}]}"#,
    )
    .expect("benchmark configuration");
    g.bench_function("submit_record", |b| {
        b.iter(|| black_box(p.submit_record(black_box(&record))))
    });
    produce_check("produce/submit_record", p);
    lane_submit_record(&mut g, &record);
    g.finish();
}

fn lane_submit_record(g: &mut BenchmarkGroup<'_, WallTime>, record: &[u8]) {
    use logcap_core::lane::{FullPolicy, LaneSet};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    // As the queue above, the lane blocks when full: its reader checks records more slowly
    // than a producer writes them, so the time includes waiting for the reader.
    let policy = FullPolicy::Block(Duration::from_secs(600));
    let set = LaneSet::new(1 << 20, 0, policy).expect("a valid lane size");
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (set, stop) = (Arc::clone(&set), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut r = set.reader();
            let mut n = 0u64;
            loop {
                r.pass(|x| n += black_box(x.record.len()) as u64 / x.record.len() as u64);
                if stop.load(Ordering::Acquire) && r.is_empty() {
                    return n;
                }
                r.sleep(Some(Duration::from_millis(1)));
            }
        })
    };
    g.bench_function("lane_submit_record", |b| {
        b.iter(|| black_box(set.submit(black_box(record))))
    });
    stop.store(true, Ordering::Release);
    set.wake();
    let read = reader.join().expect("the lane reader");
    let c = set.counters();
    if c.submitted == 0 {
        return; // the benchmark was filtered out
    }
    assert_eq!(
        (c.dropped_full + c.dropped_timeout, read),
        (0, c.submitted),
        "produce/lane_submit_record: every record read, none dropped"
    );
}

// ---------------------------------------------------------------------------------------------
// 8. Encoding: a sink's work per entry.

fn encode(c: &mut Criterion) {
    use logcap_core::encode::Format;
    let mut g = fast_group(c, "encode");
    let mut d = EntryData::new();
    fill_standard(&mut d);
    d.set_timestamp_ns(1_764_000_000_123_456_789);
    let mut long = d.clone();
    long.set_message(&"request completed after a retry against the secondary; ".repeat(4));
    long.set_field(
        "path",
        "/api/v1/orders/12345/items/67890/shipments?expand=carrier,tracking&limit=50&page=2",
    )
    .expect("field");
    let mut record = Vec::new();
    logcap_core::record::encode_entry(&d, &mut record).expect("the standard event encodes");
    let mut out = Vec::with_capacity(4096);
    for (name, e, format) in [
        ("json", &d, Format::Json),
        ("text", &d, Format::Text),
        ("json_long", &long, Format::Json),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                out.clear();
                logcap_core::encode::encode(format, black_box(e), &mut out);
                black_box(out.len())
            })
        });
        check_line(name, format, &out, e.message());
    }
    let mut decoded = EntryData::new();
    g.bench_function("decode_json", |b| {
        b.iter(|| {
            logcap_core::record::decode_into(black_box(&record), &mut decoded).expect("decodes");
            out.clear();
            logcap_core::encode::encode(Format::Json, &decoded, &mut out);
            black_box(out.len())
        })
    });
    check_line("decode_json", Format::Json, &out, MESSAGE);
    g.finish();
}

/// Panics unless `out` (when a benchmark ran) is one line holding `message`, and, for JSON, an
/// object whose `msg` is `message`.
fn check_line(name: &str, format: logcap_core::encode::Format, out: &[u8], message: &str) {
    if out.is_empty() {
        return; // the benchmark was filtered out
    }
    let line = std::str::from_utf8(out).expect("UTF-8 output");
    assert!(
        line.ends_with('\n') && line.matches('\n').count() == 1,
        "{name}: {line:?}"
    );
    if format == logcap_core::encode::Format::Json {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON object");
        assert_eq!(v["msg"], message, "{name}: {line}");
    } else {
        assert!(line.contains(message), "{name}: {line}");
    }
}

criterion_group!(benches, pool, entry, deep_copy, dispatch, batch, file, produce, encode);
criterion_main!(benches);
