//! The pipeline: a pool, a dispatcher and its sinks, built from one configuration.

use crate::batch::Batch;
use crate::config::{Config, ConfigError, SinkKind};
use crate::delivery::dead_letter::{self, Replayed};
use crate::delivery::ReplayReport;
use crate::dispatcher::Dispatcher;
use crate::entry::{EntryData, EntryError, Level};
use crate::error::Error;
use crate::pool::{Entry, Pool, PoolLimits};
use crate::process::{
    self, BatcherDedup, Clock, EntryHook, FnHook, HookAction, HookContext, MonotonicClock, Stages,
};
use crate::sink::{self, CallbackSink, Sink, SinkError};
use crate::stats::Stats;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How long dropping an open pipeline waits for it to close.
pub const DROP_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A log pipeline: acquire entries, fill them, submit them; batches go to every sink.
///
/// All methods take `&self`: share a pipeline between threads with an `Arc` (or a reference).
/// Dropping an open pipeline closes it, waiting up to [`DROP_CLOSE_TIMEOUT`]; once the drop
/// returns no callback of the pipeline runs (see [`Pipeline::close`]).
pub struct Pipeline {
    id: u64,
    pool: Arc<Pool>,
    dispatcher: Dispatcher,
    config: Config,
}

/// Builds a pipeline, binding sinks that the configuration declares with type `callback`, a
/// processor hook and, for tests, the clock of the processing stages.
pub struct PipelineBuilder {
    config: Config,
    bound: HashMap<String, Box<dyn Sink>>,
    hook: Option<Arc<dyn EntryHook>>,
    clock: Option<Arc<dyn Clock>>,
}

impl PipelineBuilder {
    /// Binds a function to the `callback` sink of this name: it is called with each batch.
    pub fn callback(
        self,
        name: &str,
        f: impl FnMut(&Batch) -> Result<(), SinkError> + Send + 'static,
    ) -> Self {
        self.sink(name, Box::new(CallbackSink::new(f)))
    }

    /// Binds any sink to the `callback` sink of this name.
    pub fn sink(mut self, name: &str, sink: Box<dyn Sink>) -> Self {
        self.bound.insert(name.to_owned(), sink);
        self
    }

    /// Sets the processor hook: `f` is called with every entry that passes the level check,
    /// sampling and rate limiting, before redaction and the queue, on the thread that submits
    /// it (from any number of threads at once). It may change the entry and returns whether
    /// to keep it; [`HookAction::Drop`] counts it as `dropped_by_hook`.
    ///
    /// A panic in `f` is caught and counted as a `hook_errors`, and the entry is **kept**, as
    /// the hook left it: losing logs to a bug in an enrichment hook is worse than an entry
    /// without its enrichment, and redaction still runs after the hook. A second call replaces
    /// the hook.
    pub fn processor(
        mut self,
        f: impl Fn(&mut EntryData) -> HookAction + Send + Sync + 'static,
    ) -> Self {
        self.hook = Some(Arc::new(FnHook(f)));
        self
    }

    /// Sets a hook that may lend entries out and take them back ([`EntryHook`]): the C ABI's
    /// processor callback. A Rust closure is simpler through [`PipelineBuilder::processor`].
    pub fn hook(mut self, h: Arc<dyn EntryHook>) -> Self {
        self.hook = Some(h);
        self
    }

    /// Sets the clock that sampling ticks, rate-limit buckets and deduplication windows read
    /// (by default a monotonic clock). Tests pass a [`process::ManualClock`] to step time.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Opens the sinks and starts the threads.
    pub fn build(mut self) -> Result<Pipeline, Error> {
        self.config.validate_processing()?;
        let mut sinks = Vec::with_capacity(self.config.sinks.len());
        for (i, sc) in self.config.sinks.iter().enumerate() {
            let s = match sc.kind {
                SinkKind::Callback => {
                    self.bound
                        .remove(&sc.name)
                        .ok_or_else(|| Error::SinkSetup {
                            sink: sc.name.clone(),
                            key: format!("sinks[{i}].name"),
                            message: format!(
                                "no function is bound to the callback sink {:?}",
                                sc.name
                            ),
                        })?
                }
                _ => sink::build(sc, &self.config.batch).map_err(|e| Error::SinkSetup {
                    sink: sc.name.clone(),
                    key: format!("sinks[{i}].{}", e.key),
                    message: e.message,
                })?,
            };
            sinks.push(s);
        }
        if let Some(name) = self.bound.keys().next() {
            return Err(Error::Config(ConfigError {
                key: "sinks".into(),
                message: format!("no callback sink named {name:?} to bind a function to"),
            }));
        }
        let pool = Arc::new(Pool::new(PoolLimits {
            max_idle: self.config.pool.max_idle,
            max_retained_bytes: self.config.pool.max_retained_bytes,
        }));
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let clock = self
            .clock
            .unwrap_or_else(|| Arc::new(MonotonicClock::new()));
        let seed = process::seed();
        let ctx = HookContext {
            pool: Arc::clone(&pool),
            pipeline_id: id,
        };
        let stages = Stages::build(&self.config, self.hook, &clock, ctx, seed)?;
        let dedup = BatcherDedup::build(&self.config, &clock, seed);
        let dispatcher = Dispatcher::start(&self.config, sinks, Arc::clone(&pool), stages, dedup)?;
        Ok(Pipeline {
            id,
            pool,
            dispatcher,
            config: self.config,
        })
    }
}

impl Pipeline {
    /// Builds and starts a pipeline with no callback sinks.
    pub fn new(config: Config) -> Result<Pipeline, Error> {
        Pipeline::builder(config).build()
    }

    /// Parses a JSON configuration (empty for the default) and starts a pipeline.
    pub fn from_json(doc: &str) -> Result<Pipeline, Error> {
        Pipeline::new(Config::from_json(doc)?)
    }

    /// A builder, for binding callback sinks.
    pub fn builder(config: Config) -> PipelineBuilder {
        PipelineBuilder {
            config,
            bound: HashMap::new(),
            hook: None,
            clock: None,
        }
    }

    /// A process-unique id of this pipeline.
    #[inline]
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The configuration the pipeline runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The pipeline's entry pool.
    #[inline]
    pub fn pool(&self) -> &Arc<Pool> {
        &self.pool
    }

    /// An empty pooled entry, at level info, that any number of threads may fill at once.
    #[inline]
    pub fn acquire(&self) -> Entry {
        Entry::new(self.pool.take(), Arc::clone(&self.pool))
    }

    /// Submits an entry: it is stamped (if its timestamp is 0), processed (crate::process) and
    /// queued. Entries below the minimum level, sampled out, rate limited or dropped by the
    /// hook are counted and `Ok` is returned: they are decisions of the configuration, not
    /// failures. On `Err` the entry was not queued; every such refusal is counted.
    ///
    /// A message longer than [`crate::entry::MAX_MESSAGE_BYTES`] is refused with
    /// [`Error::Entry`] ([`EntryError::MessageTooLong`]) and counted in `refused_limit`.
    #[inline]
    pub fn submit(&self, entry: Entry) -> Result<(), Error> {
        self.submit_data(entry.into_data())
    }

    /// Submits entry data taken from this pipeline's pool (see [`Pipeline::submit`]).
    #[inline]
    pub fn submit_data(&self, data: Box<EntryData>) -> Result<(), Error> {
        self.dispatcher.submit(self.within_limits(data)?)
    }

    /// `data`, unless its message is over the limit: then refused, counted, back to the pool.
    #[inline]
    fn within_limits(&self, data: Box<EntryData>) -> Result<Box<EntryData>, Error> {
        if data.message().len() > crate::entry::MAX_MESSAGE_BYTES {
            return Err(self.refuse(data));
        }
        Ok(data)
    }

    /// Refuses an entry whose message is over the limit: counted, back to the pool.
    #[cold]
    fn refuse(&self, data: Box<EntryData>) -> Error {
        self.pool.count_limit_refusal();
        self.pool.put(data);
        Error::Entry(EntryError::MessageTooLong)
    }

    /// Submits one packed record (docs/record-format.md) as an entry: one call per log event
    /// for bindings that encode records in their own language.
    ///
    /// The whole record is checked here, on the caller's thread, and a malformed one is
    /// refused with [`Error::Record`] (nothing is submitted); one over a limit
    /// ([`crate::record::RecordErrorKind::is_limit`]: labels, fields, key, message, record
    /// size) is counted in `refused_limit`, as the handle API counts the same refusals, and a
    /// malformed one is not counted. After close, any record gets [`Error::Closed`]. An accepted
    /// record is copied into a pooled entry and submitted as [`Pipeline::submit`] does; its
    /// text is decoded into that same entry by the batcher thread (or before the processing
    /// stages, when any is on), so the caller pays for a check and a copy only. Invalid UTF-8
    /// is no error: it is replaced when decoded, as [`crate::record::decode_into`] does.
    #[inline]
    pub fn submit_record(&self, record: &[u8]) -> Result<(), Error> {
        if self.is_closed() {
            return Err(Error::Closed);
        }
        let (level, timestamp_ns) = match crate::record::check(record) {
            Ok(header) => header,
            Err(e) => return Err(self.refuse_record(e)),
        };
        self.dispatcher.submit_record(record, level, timestamp_ns)
    }

    /// Submits a packed record from an encoder that keeps every rule of
    /// docs/record-format.md itself, limits included, as [`Pipeline::submit_record`] does,
    /// with one difference: when the pipeline has lanes, only the record's header (magic,
    /// version, level, total length against `record`, counts within the limits) is checked on
    /// the caller's thread. The body is checked where the batcher reads the record out of the
    /// lane, as every record read from a lane is: a record that breaks a rule there is dropped
    /// and counted in `dropped_malformed`, and this call has returned `Ok` for it. Nothing is
    /// read out of bounds either way. A header that does not hold, and every record of a pipeline without
    /// lanes (whose batcher decodes what it is given without checking it again), are checked
    /// in full and refused as `submit_record` refuses them.
    ///
    /// For encoders that check the limits as they encode and use `submit_record` for what
    /// they would refuse, so that a refusal keeps its code and counter: logcap.hpp's `log()`,
    /// the record writer ([`Pipeline::submit_written`]).
    #[inline]
    pub fn submit_trusted_record(&self, record: &[u8]) -> Result<(), Error> {
        if !self.dispatcher.has_lanes() {
            return self.submit_record(record);
        }
        if self.is_closed() {
            return Err(Error::Closed);
        }
        match crate::record::header(record) {
            Some(h) => self
                .dispatcher
                .submit_record(record, h.level, h.timestamp_ns),
            None => self.submit_record(record),
        }
    }

    /// The calling thread's lane, for a producer in another language on this thread that
    /// writes records into it directly, as docs/lane-protocol.md says, with no call into the
    /// library per record (logcap.hpp's `log()`); `Ok(None)` when the pipeline takes
    /// its submits through the shared queue (lanes off, or a processor hook set).
    /// `Err(Error::Closed)` after close.
    ///
    /// Every submit of this thread through the library goes into the same lane, after taking
    /// up what the other writer published, so the thread's records stay in one order. The
    /// lane's memory lives as long as the returned value. When the library replaces the lane
    /// (it was poisoned, or a record did not fit), it marks the old one retired: a writer that
    /// finds `retired` set asks again.
    pub fn thread_lane(&self) -> Result<Option<crate::lane::ThreadLane>, Error> {
        self.dispatcher.thread_lane()
    }

    /// A new lane bound to no thread, for a binding whose writers move between threads and
    /// take turns at the lane themselves (the Go binding: goroutines under a lock of the
    /// lane's), writing records into its memory directly as docs/lane-protocol.md says and
    /// calling [`Pipeline::submit_record_to`] for the rest; `Ok(None)` when the pipeline takes
    /// its submits through the shared queue. `Err(Error::Closed)` after close. Dropping the
    /// lane retires it; its records are still delivered.
    pub fn unbound_lane(&self) -> Result<Option<crate::lane::UnboundLane>, Error> {
        self.dispatcher.unbound_lane()
    }

    /// Whether `lane` is one of this pipeline's (from [`Pipeline::unbound_lane`]).
    pub fn owns_lane(&self, lane: &crate::lane::UnboundLane) -> bool {
        self.dispatcher.owns(lane)
    }

    /// [`Pipeline::submit_record`] into `lane`, which must be one of this pipeline's (see
    /// [`Pipeline::owns_lane`]; another pipeline's lane takes the record into that pipeline):
    /// the slow path of a binding that writes the lane itself (a full lane, a record over a
    /// limit or larger than the ring, a poisoned lane). The lane takes up what the binding
    /// published first, and may be replaced by a new one (see
    /// [`crate::lane::UnboundLane::submit_stamped`]).
    pub fn submit_record_to(
        &self,
        lane: &mut crate::lane::UnboundLane,
        record: &[u8],
    ) -> Result<(), Error> {
        if self.is_closed() {
            return Err(Error::Closed);
        }
        let (level, timestamp_ns) = match crate::record::check(record) {
            Ok(header) => header,
            Err(e) => return Err(self.refuse_record(e)),
        };
        self.dispatcher
            .submit_record_to(lane, record, level, timestamp_ns)
    }

    /// [`Pipeline::submit_data`] into `lane`, which must be one of this pipeline's (see
    /// [`Pipeline::owns_lane`]): the entry API of a binding that writes the lane itself, so
    /// that an entry keeps its place among the records written there (an entry frame in the
    /// ring, the entry in the lane's entry queue). A poisoned lane is replaced as
    /// [`Pipeline::submit_record_to`] replaces it.
    pub fn submit_data_to(
        &self,
        lane: &mut crate::lane::UnboundLane,
        data: Box<EntryData>,
    ) -> Result<(), Error> {
        self.dispatcher
            .submit_entry_to(lane, self.within_limits(data)?)
    }

    /// Submits the record `writer` holds (begun with `encode` true and not yet reset) with
    /// [`Pipeline::submit_trusted_record`]: the writer refused every fault as it came.
    #[inline]
    pub fn submit_written(&self, writer: &mut crate::record::Writer) -> Result<(), Error> {
        self.submit_trusted_record(writer.finish())
    }

    /// What [`Pipeline::submit_record`] answers for a record refused with `e`: [`Error::Closed`]
    /// after close; otherwise [`Error::Record`], counted in `refused_limit` when `e` is over a
    /// limit. For an encoder that found the fault itself while writing the record (the C
    /// record writer), so that its refusal is answered and counted as the packed record's.
    #[cold]
    pub fn refuse_record(&self, e: crate::record::RecordError) -> Error {
        if self.is_closed() {
            return Error::Closed;
        }
        if e.kind.is_limit() {
            self.pool.count_limit_refusal();
        }
        Error::Record(e)
    }

    /// Counts a well-formed record whose level is below the minimum, as
    /// [`Pipeline::submit_record`] counts it (`submitted` and `dropped_level`), without its
    /// bytes: for an encoder that saw the level with [`Pipeline::enabled`] before writing
    /// anything (the C record writer). [`Error::Closed`] after close.
    #[inline]
    pub fn submit_below_level(&self) -> Result<(), Error> {
        self.dispatcher.submit_below_level()
    }

    /// Whether an entry at `level` would pass the minimum level now.
    #[inline]
    pub fn enabled(&self, level: Level) -> bool {
        level >= self.dispatcher.min_level()
    }

    /// The minimum level.
    #[inline]
    pub fn min_level(&self) -> Level {
        self.dispatcher.min_level()
    }

    /// Changes the minimum level; takes effect for submits that start after the call.
    #[inline]
    pub fn set_min_level(&self, level: Level) {
        self.dispatcher.set_min_level(level)
    }

    /// Waits until everything submitted before this call has been delivered, dropped or
    /// failed by every sink, and every sink has flushed (a file sink fsyncs). Returns
    /// [`Error::Timeout`] if that takes longer than `timeout`, [`Error::Closed`] after close.
    pub fn flush(&self, timeout: Duration) -> Result<(), Error> {
        self.dispatcher.flush(timeout)
    }

    /// Stops intake (later submits get [`Error::Closed`]), delivers everything queued, closes
    /// the sinks and joins the threads. Idempotent.
    ///
    /// If that takes longer than `timeout`, delivery is abandoned at the deadline and
    /// [`Error::Timeout`] is returned: no sink is called again; a callback sink's call in
    /// progress is waited for (the caller's code cannot be interrupted), so close may return
    /// later than the deadline by the rest of that one call; what was not delivered is counted
    /// as `dropped` by each sink (what is still queued now at once, what the pipeline's
    /// threads still hold as they wind down) and never delivered later. A later call waits
    /// for those threads again and returns `Ok` once they are gone. Either way, once close
    /// returns, no callback of this pipeline runs.
    pub fn close(&self, timeout: Duration) -> Result<(), Error> {
        self.pool.close();
        self.dispatcher.close(timeout)
    }

    /// Whether close has been called.
    #[inline]
    pub fn is_closed(&self) -> bool {
        self.dispatcher.is_closed()
    }

    /// The counters now.
    pub fn stats(&self) -> Stats {
        self.dispatcher.stats(&self.pool)
    }

    /// Every counter of the pipeline, its sinks, its pool and its processing stages in the
    /// Prometheus text exposition format (version 0.0.4), ready to serve on `/metrics`.
    pub fn metrics_text(&self) -> String {
        crate::metrics::prometheus_text(&self.stats())
    }

    /// Re-submits the entries of a dead-letter file (docs/network-sinks.md) through this
    /// pipeline, as if they were submitted now: they keep their timestamps and go to every
    /// sink, under the intake queue's policy.
    ///
    /// The file is taken first (locked and renamed aside), so entries that fail again are
    /// dead-lettered into a fresh file at the same path and a replay never reads its own
    /// failures; files `<path>.replay-<pid>-<n>` left by a replay that did not finish are read
    /// first. The report's `submitted` counts the entries taken into the queue; entries that
    /// this pipeline's minimum level, sampling, rate limiting or hook drop are not replayed:
    /// they are counted in `kept` and written back to the file at `path`. A taken file is
    /// deleted once each of its lines is replayed, kept or, not being a dead-letter record,
    /// moved to `<path>.malformed` (counted in `malformed`). A missing file replays nothing.
    /// If the pipeline refuses an entry ([`Error::Closed`], [`Error::QueueFull`],
    /// [`Error::Timeout`]), that entry and the ones after it are put back into the file and
    /// the refusal is returned; [`Error::Io`] if a file cannot be read or written.
    ///
    /// Under `drop_oldest`, an entry taken into the queue may still be evicted by a later one;
    /// that is counted in [`Stats::dropped_queue_evicted`] like any other eviction.
    pub fn replay_dead_letters(
        &self,
        path: impl AsRef<std::path::Path>,
    ) -> Result<ReplayReport, Error> {
        if self.is_closed() {
            return Err(Error::Closed);
        }
        dead_letter::replay(path.as_ref(), |line| {
            let mut data = self.pool.take();
            if dead_letter::decode_record(line, &mut data).is_err() {
                self.pool.put(data);
                return Replayed::Malformed;
            }
            match self.dispatcher.submit_queued(data) {
                Ok(true) => Replayed::Submitted,
                Ok(false) => Replayed::Kept,
                Err(e) => Replayed::Refused(e),
            }
        })
    }

    /// The last error the named sink reported, if any.
    pub fn sink_last_error(&self, name: &str) -> Option<String> {
        self.dispatcher.sink_last_error(name)
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        let _ = self.close(DROP_CLOSE_TIMEOUT);
        self.pool.retire();
    }
}
