'use strict';
// Pipeline and Logger: opening a pipeline, one-call logging through packed records, child
// loggers, the handle API's acquire/submit, asynchronous flush and close, counters.

const { fn, koffi, addressOf } = require('./ffi');
const { LogcapError, lastError, asyncError, codes } = require('./errors');
const { Entry, acquire, consumedBy } = require('./entry');
const { registerCallback } = require('./batch');
const { OUT, KEY, requireString } = require('./strings');
const rec = require('./record');
const values = require('./values');

const DEFAULT_TIMEOUT_MS = 5000;

/**
 * The memo of repeated strings that the log path's encoders share (lib/memo.js): the main
 * encoder, the ones reentrant calls make, and those that encode a child logger's bindings.
 */
const MEMO = new rec.StringMemo();

/** The encoder every log call uses; a reentrant call (from a getter, say) gets its own. */
const ENCODER = new rec.Encoder(16 * 1024, MEMO);

/**
 * The function of every log call, looked up once: `fn` holds some fifty functions, too many
 * for V8 to keep it a fast-properties object, so each `fn.name` is a dictionary lookup.
 */
const submitRecordFn = fn.logcap_pipeline_submit_record;
const submitRecordAt = fn.submitRecordAt;
const submitTrustedRecordAt = fn.submitTrustedRecordAt;
const submitTrustedRecordFn = fn.logcap_pipeline_submit_trusted_record;

/** The address of the encoder's buffer, noted again when the buffer has grown. */
function bufferAddress(enc) {
  if (enc.addrOf !== enc.buf) {
    enc.addr = addressOf(enc.buf);
    enc.addrOf = enc.buf;
  }
  return enc.addr;
}

/**
 * Native pipelines whose Pipeline object was collected without close(): freed on a koffi
 * worker thread, since logcap_pipeline_free closes an open pipeline and waits for delivery,
 * which for callback sinks needs this very event loop. Their callbacks are unregistered once
 * that is done.
 */
const unfreed = new FinalizationRegistry(({ ptr, callbacks, keepAlive }) => {
  fn.logcap_pipeline_free.async(ptr, () => {
    for (const cb of callbacks) koffi.unregister(cb);
    if (keepAlive) clearInterval(keepAlive);
  });
});

/**
 * koffi's calls from a sink thread into JS do not keep the event loop alive: a process could
 * leave its loop with batches waiting for it, and a sink thread that calls into JS while the
 * process exits aborts it (inside napi_call_threadsafe_function). So a pipeline with callback
 * sinks holds this timer until close() completes, as an open socket holds the process. There
 * is deliberately no unref(): exiting with callback sinks open is the abort above.
 */
function keepAliveTimer() {
  return setInterval(() => {}, 0x7fffffff);
}

function configBytes(config) {
  if (config === undefined || config === null) return null;
  if (typeof config === 'string') return Buffer.from(config, 'utf8');
  if (Buffer.isBuffer(config)) return config;
  if (typeof config === 'object') return Buffer.from(JSON.stringify(config), 'utf8');
  throw new TypeError('config: an object, a JSON string, or undefined for the default');
}

function timeoutOf(opts) {
  if (opts === undefined || opts === null || opts.timeoutMs === undefined) return DEFAULT_TIMEOUT_MS;
  const t = opts.timeoutMs;
  if (typeof t !== 'number' || !Number.isInteger(t) || t < 0) {
    throw new TypeError('timeoutMs: a non-negative integer number of milliseconds');
  }
  return t;
}

function labelsObject(labels, what) {
  if (labels === undefined || labels === null) return {};
  if (labels instanceof Map) return Object.fromEntries(labels);
  if (typeof labels !== 'object') throw new TypeError(`${what}: an object or a Map`);
  return labels;
}

/**
 * Logs through a pipeline with bound labels and fields. A Pipeline is itself the root logger;
 * `child()` makes loggers that add labels (and fields) to every record, as pino's child
 * loggers bind theirs: a child of a child has both sets, the newer value winning.
 */
class Logger {
  constructor(pipeline, bound) {
    this._pipeline = pipeline;
    this._bound = bound;
  }

  /** The pipeline this logger writes to. */
  get pipeline() {
    return this._pipeline;
  }

  /**
   * A logger that adds `labels` (and `fields`) to every record, on top of this logger's own.
   * They are encoded once, here.
   */
  child(labels, fields) {
    const b = this._bound;
    const l = { ...b.labels, ...labelsObject(labels, 'labels') };
    const f = { ...b.fields, ...labelsObject(fields, 'fields') };
    return new Logger(this._pipeline, new rec.Bound(l, f, MEMO));
  }

  /** The labels and fields this logger adds: `{labels, fields}` (copies). */
  bindings() {
    return { labels: { ...this._bound.labels }, fields: { ...this._bound.fields } };
  }

  /**
   * Logs one event: one packed record, one call into the library.
   * `opts`: `{labels, fields, time, traceId, spanId}`; labels are strings, field values as
   * for Entry.setField. Returns true, or false when the queue policy dropped the event
   * (counted in stats()). Throws LogcapError (CLOSED after close), TypeError for a value that
   * cannot be logged.
   */
  log(level, message, opts) {
    return this._pipeline._log(values.levelOf(level), message, opts, this._bound);
  }

  trace(message, opts) {
    return this._pipeline._log(0, message, opts, this._bound);
  }

  debug(message, opts) {
    return this._pipeline._log(1, message, opts, this._bound);
  }

  info(message, opts) {
    return this._pipeline._log(2, message, opts, this._bound);
  }

  warn(message, opts) {
    return this._pipeline._log(3, message, opts, this._bound);
  }

  error(message, opts) {
    return this._pipeline._log(4, message, opts, this._bound);
  }

  fatal(message, opts) {
    return this._pipeline._log(5, message, opts, this._bound);
  }
}

class Pipeline extends Logger {
  /** @internal Use open(). */
  constructor(ptr, callbacks) {
    super(null, rec.EMPTY_BOUND);
    this._pipeline = this;
    this._ptr = ptr;
    /** `ptr` as a number, for the log path's submit by address (null if not representable). */
    this._addr = addressOf(ptr);
    this._callbacks = callbacks;
    this._closed = false;
    this._closing = null;
    /** Asynchronous calls in flight. */
    this._pending = 0;
    this._sinkNames = this._readSinkNames();
    this._keepAlive = callbacks.length > 0 ? keepAliveTimer() : null;
    unfreed.register(this, { ptr, callbacks, keepAlive: this._keepAlive }, this);
  }

  _readSinkNames() {
    const st = {};
    check(fn.logcap_pipeline_stats(this._ptr, st), 'stats');
    const names = [];
    const len = [0];
    for (let i = 0; i < Number(st.sink_count); i++) {
      for (;;) {
        const rc = fn.logcap_pipeline_sink_name(this._ptr, i, OUT.buf, OUT.buf.length, len);
        if (rc === codes.BUFFER_TOO_SMALL) {
          OUT.reserve(Number(len[0]));
          continue;
        }
        check(rc, 'sink name');
        break;
      }
      names.push(OUT.text(Number(len[0])));
    }
    return names;
  }

  _log(level, message, opts, bound) {
    if (typeof message !== 'string') {
      if (message !== undefined) throw new TypeError('message must be a string');
      message = '';
    }
    let labels;
    let fields;
    let time = 0n;
    let traceId = '';
    let spanId = '';
    if (opts !== undefined && opts !== null) {
      labels = opts.labels;
      fields = opts.fields;
      if (opts.time !== undefined) time = values.timeOf(opts.time);
      if (opts.traceId !== undefined) traceId = values.stringOpt(opts.traceId, 'traceId');
      if (opts.spanId !== undefined) spanId = values.stringOpt(opts.spanId, 'spanId');
    }
    let enc = ENCODER;
    if (enc.busy) enc = new rec.Encoder(1024, MEMO);
    let rc;
    enc.busy = true;
    try {
      const n = enc.encode(level, message, time, traceId, spanId, bound, labels, fields);
      const at = bufferAddress(enc);
      // A record within every limit needs only its header checked here (with lanes, the
      // batcher checks the rest as it decodes it); one over a limit gets the full check, so
      // that its refusal keeps its code and its count in refusedLimit.
      if (at !== null && this._addr !== null) {
        rc = enc.inLimits ? submitTrustedRecordAt(this._addr, at, n) : submitRecordAt(this._addr, at, n);
      } else {
        rc = enc.inLimits ? submitTrustedRecordFn(this._ptr, enc.buf, n) : submitRecordFn(this._ptr, enc.buf, n);
      }
    } finally {
      enc.busy = false;
    }
    if (rc === 0) return true;
    return submitResult(rc, 'log');
  }

  /**
   * Submits one packed record as it is (docs/record-format.md); see encodeRecord(). Returns
   * as log() does; a malformed record is a LogcapError MALFORMED_RECORD, naming the problem.
   */
  submitRecord(record) {
    if (!(record instanceof Uint8Array)) throw new TypeError('record: a Buffer or Uint8Array');
    const rc = submitRecordFn(this._ptr, record, record.length);
    if (rc === 0) return true;
    return submitResult(rc, 'submitRecord');
  }

  /** Acquires an empty entry from the pipeline's pool (level info, stamped at submit). */
  acquire() {
    return acquire(this);
  }

  /**
   * Submits an entry acquired from this pipeline; see Entry.submit(). An entry of another
   * pipeline is refused (LogcapError WRONG_PIPELINE) and stays its owner's.
   */
  submit(entry) {
    if (!(entry instanceof Entry)) throw new TypeError('submit: an Entry from acquire()');
    const rc = fn.logcap_submit(this._ptr, entry._h);
    if (consumedBy(rc)) entry._ended();
    if (rc === 0) return true;
    return submitResult(rc, 'submit');
  }

  /** Sets the minimum level (a name or 0 … 5): entries below it are dropped and counted. */
  setMinLevel(level) {
    check(fn.logcap_pipeline_set_min_level(this._ptr, values.levelOf(level)), 'setMinLevel');
  }

  /** The minimum level's name. */
  minLevel() {
    const out = [0];
    check(fn.logcap_pipeline_min_level(this._ptr, out), 'minLevel');
    return values.LEVEL_NAMES[out[0]];
  }

  /** The names of the sinks, in configuration order. */
  sinkNames() {
    return [...this._sinkNames];
  }

  /** The pipeline's counters, with each sink's counters and name under `sinks`. */
  stats() {
    const st = {};
    check(fn.logcap_pipeline_stats(this._ptr, st), 'stats');
    const sinks = [];
    const ks = {};
    for (let i = 0; i < this._sinkNames.length; i++) {
      check(fn.logcap_pipeline_sink_stats(this._ptr, i, ks), 'sink stats');
      sinks.push({
        name: this._sinkNames[i],
        received: Number(ks.received),
        delivered: Number(ks.delivered),
        dropped: Number(ks.dropped),
        failed: Number(ks.failed),
        batches: Number(ks.batches),
        bytes: Number(ks.bytes),
        panics: Number(ks.panics),
        queuedBatches: Number(ks.queued_batches),
        requests: Number(ks.requests),
        retries: Number(ks.retries),
        permanentFailures: Number(ks.permanent_failures),
        deadLettered: Number(ks.dead_lettered),
        bytesSent: Number(ks.bytes_sent),
      });
    }
    return {
      submitted: Number(st.submitted),
      accepted: Number(st.accepted),
      droppedLevel: Number(st.dropped_level),
      droppedQueueFull: Number(st.dropped_queue_full),
      droppedQueueEvicted: Number(st.dropped_queue_evicted),
      droppedQueueTimeout: Number(st.dropped_queue_timeout),
      queued: Number(st.queued),
      batches: Number(st.batches),
      poolAcquired: Number(st.pool_acquired),
      poolReused: Number(st.pool_reused),
      poolAllocated: Number(st.pool_allocated),
      poolDiscarded: Number(st.pool_discarded),
      poolTrimmed: Number(st.pool_trimmed),
      poolIdle: Number(st.pool_idle),
      sampledOut: Number(st.sampled_out),
      rateLimited: Number(st.rate_limited),
      deduplicated: Number(st.deduplicated),
      droppedByHook: Number(st.dropped_by_hook),
      hookErrors: Number(st.hook_errors),
      held: Number(st.held),
      refusedLimit: Number(st.refused_limit),
      droppedMalformed: Number(st.dropped_malformed),
      lanes: Number(st.lanes),
      laneBytes: Number(st.lane_bytes),
      sinks,
    };
  }

  /**
   * Re-submits the entries of a network sink's dead-letter file (docs/network-sinks.md) through
   * this pipeline; returns how many were taken into its queue (entries the minimum level,
   * sampling, rate limiting or hook drop are not counted and stay in the file). Throws
   * LogcapError IO when the file cannot be read, CLOSED after close.
   */
  replayDeadLetters(path) {
    requireString(path, 'path');
    const bytes = Buffer.from(path, 'utf8');
    const count = [0];
    check(fn.logcap_pipeline_replay(this._ptr, bytes, bytes.length, count), 'replayDeadLetters');
    return Number(count[0]);
  }

  /**
   * Every counter of the pipeline, its sinks and its processing stage in the Prometheus text
   * exposition format, for a service to serve on its own /metrics.
   */
  metrics() {
    const len = [0];
    for (;;) {
      const rc = fn.logcap_pipeline_metrics(this._ptr, OUT.buf, OUT.buf.length, len);
      if (rc === codes.BUFFER_TOO_SMALL) {
        OUT.reserve(Number(len[0]));
        continue;
      }
      check(rc, 'metrics');
      return OUT.buf.toString('utf8', 0, Number(len[0]));
    }
  }

  /** Whether close() has completed. */
  get closed() {
    return this._closed;
  }

  /**
   * Resolves once everything logged before the call has been delivered, dropped or failed by
   * every sink and every sink has flushed. Runs on a worker thread: the event loop stays free
   * (callback sinks need it). Rejects with LogcapError TIMEOUT after `timeoutMs` (default
   * 5000), CLOSED after close, SINK_FLUSH when a sink failed to flush.
   */
  flush(opts) {
    let timeout;
    try {
      timeout = timeoutOf(opts);
    } catch (e) {
      return Promise.reject(e);
    }
    return this._onWorker(fn.logcap_pipeline_flush, timeout, 'flush');
  }

  /**
   * Stops intake, delivers everything queued, closes the sinks and stops the pipeline's
   * threads, on a worker thread. Idempotent; concurrent calls share one. Rejects with
   * LogcapError TIMEOUT after `timeoutMs` (default 5000): delivery is then abandoned, what was
   * not delivered is counted in each sink's `dropped`, and a callback running at the deadline
   * is waited for (so the promise can settle later than the deadline by the rest of that
   * call); a later call waits for the pipeline's threads and resolves. Once close() has
   * settled, resolved or rejected with TIMEOUT, no callback function is called again and they
   * are released. A process with callback sinks must await close() before it exits.
   */
  close(opts) {
    if (this._closed) return Promise.resolve();
    if (this._closing) return this._closing;
    let timeout;
    try {
      timeout = timeoutOf(opts);
    } catch (e) {
      return Promise.reject(e);
    }
    const closing = this._onWorker(fn.logcap_pipeline_close, timeout, 'close').then(
      () => {
        this._closing = null;
        this._closed = true;
        this._releaseCallbacks();
      },
      (err) => {
        this._closing = null;
        if (err instanceof LogcapError && err.code === 'LOGCAP_RESULT_TIMEOUT') this._releaseCallbacks();
        throw err;
      },
    );
    this._closing = closing;
    return closing;
  }

  /**
   * Once close has returned, OK or TIMEOUT, the library calls no callback of this pipeline
   * any more: the functions are unregistered and the process is no longer held for them.
   */
  _releaseCallbacks() {
    for (const cb of this._callbacks) koffi.unregister(cb);
    this._callbacks = [];
    if (this._keepAlive) clearInterval(this._keepAlive);
    this._keepAlive = null;
    unfreed.unregister(this);
    unfreed.register(this, { ptr: this._ptr, callbacks: [], keepAlive: null }, this);
  }

  /**
   * Runs `f(pipeline, timeout)` on one of koffi's worker threads; resolves on OK, rejects with
   * the LogcapError otherwise. The completion callback holds `this`, so the pipeline cannot be
   * collected (and freed) while the call runs.
   */
  _onWorker(f, timeout, op) {
    return new Promise((resolve, reject) => {
      this._pending++;
      try {
        f.async(this._ptr, timeout, (err, rc) => {
          this._pending--;
          if (err) reject(err);
          else if (rc !== 0) reject(asyncError(rc, op));
          else resolve();
        });
      } catch (e) {
        // koffi refuses a call when its queue of asynchronous calls is full.
        this._pending--;
        reject(e);
      }
    });
  }
}

if (typeof Symbol.asyncDispose === 'symbol') {
  Pipeline.prototype[Symbol.asyncDispose] = function asyncDispose() {
    return this.close();
  };
}

function check(rc, op) {
  if (rc !== 0) throw lastError(rc, op);
}

/** Queue-policy drops are a result (false); every other failure is an error. */
function submitResult(rc, op) {
  if (rc === codes.QUEUE_FULL || rc === codes.TIMEOUT) return false;
  throw lastError(rc, op);
}

/**
 * Opens a pipeline. `config` is an object (sent as JSON), a JSON string, or undefined for the
 * library's default (one JSON-lines sink on stdout); docs/configuration in the repository
 * lists the keys. `options.callbacks` binds JS functions to the configuration's sinks of type
 * "callback", by sink name; `options.onCallbackError(err, sinkName)` hears about callbacks
 * that threw (the default emits a process warning).
 */
function open(config, options) {
  const cfg = configBytes(config);
  const cfgLen = cfg === null ? 0 : cfg.length;
  const callbacks = options && options.callbacks;
  const names = callbacks ? Object.keys(callbacks) : [];
  if (names.length === 0) {
    const out = [null];
    check(fn.logcap_pipeline_new(cfg, cfgLen, out), 'open');
    return new Pipeline(out[0], []);
  }
  for (const name of names) {
    if (typeof callbacks[name] !== 'function') {
      throw new TypeError(`callbacks.${name}: a function`);
    }
  }
  const onError = options.onCallbackError;
  if (onError !== undefined && typeof onError !== 'function') {
    throw new TypeError('onCallbackError: a function');
  }
  const bout = [null];
  check(fn.logcap_builder_new(cfg, cfgLen, bout), 'open');
  const builder = bout[0];
  const registered = [];
  try {
    for (const name of names) {
      const ptr = registerCallback(name, callbacks[name], onError);
      registered.push(ptr);
      const n = KEY.put(name);
      check(fn.logcap_builder_add_callback(builder, KEY.buf, n, ptr, null), `callback sink ${name}`);
    }
  } catch (e) {
    fn.logcap_builder_free(builder);
    for (const ptr of registered) koffi.unregister(ptr);
    throw e;
  }
  const out = [null];
  // The builder is consumed whatever the result.
  const rc = fn.logcap_builder_build(builder, out);
  if (rc !== 0) {
    const err = lastError(rc, 'open');
    for (const ptr of registered) koffi.unregister(ptr);
    throw err;
  }
  return new Pipeline(out[0], registered);
}

module.exports = { open, Pipeline, Logger, LogcapError };
