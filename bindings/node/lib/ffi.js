'use strict';
// The C ABI of include/logcap.h, declared once at load.
//
// Every prototype below is the header's, with `_Out_` (koffi's prototype-string spelling of
// koffi.out()) on the output parameters, so that koffi copies them back into the JS object or
// one-element array given for them. test/ffi.test.js checks this table against the header, and
// declaring every function here at load makes a library without one of them fail at once
// rather than at first use.

const fs = require('node:fs');
const path = require('node:path');
const koffi = require('koffi');

/** The header this table was written from (LOGCAP_VERSION_MAJOR.MINOR). */
const HEADER_VERSION = '0.1.0';

const PROTOTYPES = [
  // Batches (callback sinks)
  'logcap_result logcap_batch_len(const logcap_batch *batch, _Out_ size_t *out_len)',
  'logcap_result logcap_batch_json(const logcap_batch *batch, _Out_ logcap_str *out_json)',
  'logcap_result logcap_batch_entry(const logcap_batch *batch, size_t index, _Out_ logcap_entry_view *out_entry)',
  'logcap_result logcap_batch_label(const logcap_batch *batch, size_t index, size_t label_index, _Out_ logcap_str *out_key, _Out_ logcap_str *out_value)',
  'logcap_result logcap_batch_field(const logcap_batch *batch, size_t index, size_t field_index, _Out_ logcap_str *out_key, _Out_ logcap_field_view *out_value)',
  // Builder
  'logcap_result logcap_builder_new(const uint8_t *config, size_t len, _Out_ logcap_builder **out_builder)',
  'logcap_result logcap_builder_add_callback(logcap_builder *builder, const uint8_t *name_ptr, size_t name_len, logcap_batch_fn callback, void *userdata)',
  'logcap_result logcap_builder_build(logcap_builder *builder, _Out_ logcap_pipeline **out_pipeline)',
  'void logcap_builder_free(logcap_builder *builder)',
  'logcap_result logcap_builder_set_processor(logcap_builder *builder, logcap_processor_fn processor, void *userdata)',
  // Entries
  'logcap_result logcap_acquire(const logcap_pipeline *pipeline, _Out_ logcap_entry **out_entry)',
  'logcap_result logcap_release(logcap_entry *entry)',
  'logcap_result logcap_submit(const logcap_pipeline *pipeline, logcap_entry *entry)',
  'logcap_result logcap_set_label(logcap_entry *entry, const uint8_t *key_ptr, size_t key_len, const uint8_t *value_ptr, size_t value_len)',
  'logcap_result logcap_entry_get_label(const logcap_entry *entry, const uint8_t *key_ptr, size_t key_len, uint8_t *buf, size_t buf_len, _Out_ size_t *out_len)',
  'logcap_result logcap_entry_delete_label(logcap_entry *entry, const uint8_t *key_ptr, size_t key_len)',
  'logcap_result logcap_entry_set_field_str(logcap_entry *entry, const uint8_t *key_ptr, size_t key_len, const uint8_t *value_ptr, size_t value_len)',
  'logcap_result logcap_entry_set_field_i64(logcap_entry *entry, const uint8_t *key_ptr, size_t key_len, int64_t value)',
  'logcap_result logcap_entry_set_field_u64(logcap_entry *entry, const uint8_t *key_ptr, size_t key_len, uint64_t value)',
  'logcap_result logcap_entry_set_field_f64(logcap_entry *entry, const uint8_t *key_ptr, size_t key_len, double value)',
  'logcap_result logcap_entry_set_field_bool(logcap_entry *entry, const uint8_t *key_ptr, size_t key_len, bool value)',
  'logcap_result logcap_entry_get_field(const logcap_entry *entry, const uint8_t *key_ptr, size_t key_len, uint8_t *buf, size_t buf_len, _Out_ logcap_field_view *out_value)',
  'logcap_result logcap_entry_delete_field(logcap_entry *entry, const uint8_t *key_ptr, size_t key_len)',
  'logcap_result logcap_entry_counts(const logcap_entry *entry, _Out_ size_t *out_labels, _Out_ size_t *out_fields)',
  'logcap_result logcap_entry_set_message(logcap_entry *entry, const uint8_t *ptr, size_t len)',
  'logcap_result logcap_entry_get_message(const logcap_entry *entry, uint8_t *buf, size_t buf_len, _Out_ size_t *out_len)',
  'logcap_result logcap_entry_set_level(logcap_entry *entry, uint32_t level)',
  'logcap_result logcap_entry_get_meta(const logcap_entry *entry, _Out_ uint32_t *out_level, _Out_ uint64_t *out_timestamp_ns)',
  'logcap_result logcap_entry_set_timestamp(logcap_entry *entry, uint64_t timestamp_ns)',
  'logcap_result logcap_entry_set_trace_id(logcap_entry *entry, const uint8_t *ptr, size_t len)',
  'logcap_result logcap_entry_set_span_id(logcap_entry *entry, const uint8_t *ptr, size_t len)',
  'logcap_result logcap_entry_clone(const logcap_entry *entry, _Out_ logcap_entry **out_entry)',
  // Errors
  'const char *logcap_last_error(void)',
  // Pipelines
  'logcap_result logcap_pipeline_new(const uint8_t *config, size_t len, _Out_ logcap_pipeline **out_pipeline)',
  'void logcap_pipeline_free(logcap_pipeline *pipeline)',
  'logcap_result logcap_pipeline_flush(const logcap_pipeline *pipeline, uint64_t timeout_ms)',
  'logcap_result logcap_pipeline_close(const logcap_pipeline *pipeline, uint64_t timeout_ms)',
  'logcap_result logcap_pipeline_submit_record(const logcap_pipeline *pipeline, const uint8_t *record, size_t len)',
  'logcap_result logcap_pipeline_submit_trusted_record(const logcap_pipeline *pipeline, const uint8_t *record, size_t len)',
  'logcap_result logcap_pipeline_set_min_level(const logcap_pipeline *pipeline, uint32_t min_level)',
  'logcap_result logcap_pipeline_min_level(const logcap_pipeline *pipeline, _Out_ uint32_t *out_level)',
  'logcap_result logcap_pipeline_stats(const logcap_pipeline *pipeline, _Out_ logcap_stats *out_stats)',
  'logcap_result logcap_pipeline_sink_stats(const logcap_pipeline *pipeline, size_t index, _Out_ logcap_sink_stats *out_stats)',
  'logcap_result logcap_pipeline_sink_name(const logcap_pipeline *pipeline, size_t index, uint8_t *buf, size_t buf_len, _Out_ size_t *out_len)',
  'logcap_result logcap_pipeline_metrics(const logcap_pipeline *pipeline, uint8_t *buf, size_t buf_len, _Out_ size_t *out_len)',
  'logcap_result logcap_pipeline_replay(const logcap_pipeline *pipeline, const uint8_t *path, size_t len, _Out_ uint64_t *out_count)',
  // The thread's lane, for a producer that writes it directly (logcap.hpp's log() does; a
  // JS producer measured slower than one call per record, docs/benchmarks.md); declared so
  // that this list is the whole header
  'logcap_result logcap_pipeline_lane(const logcap_pipeline *pipeline, _Out_ logcap_lane **out_lane, _Out_ uint8_t **out_memory, _Out_ size_t *out_len)',
  'logcap_result logcap_lane_wake(const logcap_lane *lane)',
  'void logcap_lane_release(logcap_lane *lane)',
  // Lanes bound to no thread, for writers that move between threads (the Go binding's); an
  // isolate is one thread, so Node.js uses its thread's lane. Declared so that this list is
  // the whole header
  'logcap_result logcap_pipeline_unbound_lane(const logcap_pipeline *pipeline, _Out_ logcap_unbound_lane **out_lane, _Out_ uint8_t **out_memory, _Out_ size_t *out_len)',
  'logcap_result logcap_unbound_lane_submit_record(const logcap_pipeline *pipeline, logcap_unbound_lane *lane, const uint8_t *record, size_t len, _Out_ uint8_t **out_memory, _Out_ size_t *out_len)',
  'logcap_result logcap_unbound_lane_submit_entry(const logcap_pipeline *pipeline, logcap_unbound_lane *lane, logcap_entry *entry, _Out_ uint8_t **out_memory, _Out_ size_t *out_len)',
  'logcap_result logcap_unbound_lane_wake(const logcap_unbound_lane *lane)',
  'void logcap_unbound_lane_release(logcap_unbound_lane *lane)',
  // The record writer (for C: Node encodes its records itself, lib/record.js); declared so that
  // this list is the whole header
  'logcap_result logcap_write_begin(const logcap_pipeline *pipeline, uint32_t level, const uint8_t *message, size_t len)',
  'logcap_result logcap_write_label(const uint8_t *key, size_t key_len, const uint8_t *value, size_t value_len)',
  'logcap_result logcap_write_str(const uint8_t *key, size_t key_len, const uint8_t *value, size_t value_len)',
  'logcap_result logcap_write_i64(const uint8_t *key, size_t key_len, int64_t value)',
  'logcap_result logcap_write_u64(const uint8_t *key, size_t key_len, uint64_t value)',
  'logcap_result logcap_write_f64(const uint8_t *key, size_t key_len, double value)',
  'logcap_result logcap_write_bool(const uint8_t *key, size_t key_len, bool value)',
  'logcap_result logcap_write_trace(const uint8_t *trace_id, size_t trace_id_len, const uint8_t *span_id, size_t span_id_len)',
  'logcap_result logcap_write_timestamp(uint64_t timestamp_ns)',
  'logcap_result logcap_write_commit(void)',
  'logcap_result logcap_write_abort(void)',
  // Texts and version
  'const char *logcap_result_text(uint32_t code)',
  'const char *logcap_version(void)',
];

/** The library's file name on this platform, as the package carries it. */
function libraryFileName() {
  switch (process.platform) {
    case 'win32':
      return 'logcap.dll';
    case 'darwin':
      return 'liblogcap.dylib';
    default:
      return 'liblogcap.so';
  }
}

/** Where the package carries a library per platform: prebuilds/<platform>-<arch>/. */
const PREBUILDS = path.join(__dirname, '..', 'prebuilds');

/** The platforms whose library this copy of the package carries. */
function bundledPlatforms() {
  try {
    return fs.readdirSync(PREBUILDS).filter((d) => fs.readdirSync(path.join(PREBUILDS, d)).length > 0);
  } catch {
    return [];
  }
}

/**
 * The installed library's name for the dynamic loader: on ELF systems its SONAME, which
 * build.rs derives from the version as cargo-c does (liblogcap.so.MAJOR, or liblogcap.so.0.MINOR
 * while the major version is 0).
 */
function systemLibraryName() {
  const [major, minor, patch] = HEADER_VERSION.split('.');
  switch (process.platform) {
    case 'win32':
      return 'logcap.dll';
    case 'darwin':
      return 'liblogcap.dylib';
    default: {
      const sover = major !== '0' ? major : minor !== '0' ? `0.${minor}` : `0.0.${patch}`;
      return `liblogcap.so.${sover}`;
    }
  }
}

/**
 * Opens the library, looking in this order: $LOGCAP_LIB (a path; nothing else is tried when it
 * is set); the package's own build for this platform (prebuilds/); the system's, by name, as the
 * dynamic loader finds it (LD_LIBRARY_PATH, the ld.so cache). Returns { file, lib }.
 */
function openLibrary() {
  if (process.env.LOGCAP_LIB) {
    const file = path.resolve(process.env.LOGCAP_LIB);
    if (!fs.existsSync(file)) throw new Error(`logcap: LOGCAP_LIB points to ${file}, which does not exist`);
    return { file, lib: loadFile(file) };
  }
  const platform = `${process.platform}-${process.arch}`;
  const bundled = path.join(PREBUILDS, platform, libraryFileName());
  if (fs.existsSync(bundled)) return { file: bundled, lib: loadFile(bundled) };
  const name = systemLibraryName();
  try {
    return { file: name, lib: koffi.load(name) };
  } catch (e) {
    const have = bundledPlatforms();
    throw new Error(
      `logcap: no library for ${platform}: this package bundles one for ` +
        `${have.length > 0 ? have.join(', ') : 'no platform'}, and the system library ${name} ` +
        `could not be loaded (${e.message}). Install logcap (\`make install\` in its repository), ` +
        'or set LOGCAP_LIB to the path of a logcap shared library.',
    );
  }
}

function loadFile(file) {
  try {
    return koffi.load(file);
  } catch (e) {
    throw new Error(`logcap: cannot load ${file}: ${e.message}`);
  }
}

function declareTypes() {
  koffi.alias('logcap_result', 'uint32_t');
  koffi.alias('logcap_value_kind', 'uint32_t');
  koffi.opaque('logcap_batch');
  koffi.opaque('logcap_builder');
  koffi.opaque('logcap_entry');
  koffi.opaque('logcap_lane');
  koffi.opaque('logcap_unbound_lane');
  koffi.opaque('logcap_pipeline');
  const str = koffi.struct('logcap_str', {
    ptr: 'const uint8_t *',
    len: 'size_t',
  });
  const entryView = koffi.struct('logcap_entry_view', {
    level: 'uint32_t',
    timestamp_ns: 'uint64_t',
    message: 'logcap_str',
    trace_id: 'logcap_str',
    span_id: 'logcap_str',
    label_count: 'size_t',
    field_count: 'size_t',
  });
  const fieldView = koffi.struct('logcap_field_view', {
    kind: 'logcap_value_kind',
    i64: 'int64_t',
    u64: 'uint64_t',
    f64: 'double',
    boolean: 'bool',
    str: 'logcap_str',
  });
  const stats = koffi.struct('logcap_stats', {
    submitted: 'uint64_t',
    accepted: 'uint64_t',
    dropped_level: 'uint64_t',
    dropped_queue_full: 'uint64_t',
    dropped_queue_evicted: 'uint64_t',
    dropped_queue_timeout: 'uint64_t',
    queued: 'uint64_t',
    batches: 'uint64_t',
    pool_acquired: 'uint64_t',
    pool_reused: 'uint64_t',
    pool_allocated: 'uint64_t',
    pool_discarded: 'uint64_t',
    pool_trimmed: 'uint64_t',
    pool_idle: 'uint64_t',
    sink_count: 'uint64_t',
    sampled_out: 'uint64_t',
    rate_limited: 'uint64_t',
    deduplicated: 'uint64_t',
    dropped_by_hook: 'uint64_t',
    hook_errors: 'uint64_t',
    held: 'uint64_t',
    refused_limit: 'uint64_t',
    dropped_malformed: 'uint64_t',
    lanes: 'uint64_t',
    lane_bytes: 'uint64_t',
  });
  const sinkStats = koffi.struct('logcap_sink_stats', {
    received: 'uint64_t',
    delivered: 'uint64_t',
    dropped: 'uint64_t',
    failed: 'uint64_t',
    batches: 'uint64_t',
    bytes: 'uint64_t',
    panics: 'uint64_t',
    queued_batches: 'uint64_t',
    requests: 'uint64_t',
    retries: 'uint64_t',
    permanent_failures: 'uint64_t',
    dead_lettered: 'uint64_t',
    bytes_sent: 'uint64_t',
  });
  // The header's `typedef int32_t (*logcap_batch_fn)(...)` is a pointer type: a named pointer
  // to the prototype lets the prototype strings say `logcap_batch_fn callback` as the header does.
  const batchProto = koffi.proto(
    'int32_t logcap_batch_callback(void *userdata, const logcap_batch *batch)',
  );
  const batchFn = koffi.pointer('logcap_batch_fn', batchProto);
  const processorProto = koffi.proto(
    'int32_t logcap_processor_callback(void *userdata, logcap_entry *entry)',
  );
  koffi.pointer('logcap_processor_fn', processorProto);
  return { str, entryView, fieldView, stats, sinkStats, batchFn };
}

function nameOf(prototype) {
  const m = /([A-Za-z_][A-Za-z0-9_]*)\s*\(/.exec(prototype);
  return m[1];
}

function load() {
  const { file, lib } = openLibrary();
  const types = declareTypes();
  const fn = {};
  for (const p of PROTOTYPES) {
    const name = nameOf(p);
    try {
      fn[name] = lib.func(p);
    } catch (e) {
      throw new Error(`logcap: ${file} does not provide ${name} as declared (${e.message})`);
    }
  }
  // The log path's submit, with the pipeline and the record given as addresses (JS numbers)
  // rather than as a koffi pointer and a Buffer: koffi converts numbers faster, and a pointer
  // and a uintptr_t are passed alike on every platform koffi runs on. Only for buffers whose
  // memory cannot move; see addressOf().
  fn.submitRecordAt = lib.func(
    'logcap_result logcap_pipeline_submit_record(uintptr_t pipeline, uintptr_t record, size_t len)',
  );
  // The same for a record the encoder found within every limit (lib/record.js, inLimits).
  fn.submitTrustedRecordAt = lib.func(
    'logcap_result logcap_pipeline_submit_trusted_record(uintptr_t pipeline, uintptr_t record, size_t len)',
  );
  const version = fn.logcap_version();
  const [maj, min] = version.split('.');
  const [hmaj, hmin] = HEADER_VERSION.split('.');
  if (maj !== hmaj || min !== hmin) {
    throw new Error(
      `logcap: ${file} is version ${version}, this package was written for ${HEADER_VERSION}`,
    );
  }
  return { lib, fn, types, file, version };
}

// koffi's type names are process-wide: a second copy of this module (a test runner's module
// reset, say) reuses the first one's declarations instead of failing on duplicate names.
const CACHE = Symbol.for('logcap.ffi.v1');
const ffi = globalThis[CACHE] || (globalThis[CACHE] = load());

/**
 * The address of a native pointer, or of the memory of a Buffer that owns a whole off-heap
 * ArrayBuffer (Buffer.allocUnsafeSlow's), as a JS number; null when it is not exactly
 * representable. V8 never moves such memory, so the address holds while the Buffer is alive;
 * a small typed array may live on the JS heap and move, and is never given here.
 */
function addressOf(value) {
  if (value instanceof Uint8Array && (value.byteOffset !== 0 || value.buffer.byteLength !== value.length)) {
    throw new TypeError('addressOf: a Buffer that owns its whole ArrayBuffer');
  }
  const a = Number(koffi.address(value));
  return Number.isSafeInteger(a) && a !== 0 ? a : null;
}

module.exports = {
  ...ffi,
  koffi,
  PROTOTYPES,
  HEADER_VERSION,
  systemLibraryName,
  bundledPlatforms,
  addressOf,
};
