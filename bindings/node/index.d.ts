// Type declarations for logcap's Node.js binding.

/** Level names, lowest first. */
export type LevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
/** A level by name, or by number: 0 trace … 5 fatal. */
export type Level = LevelName | 0 | 1 | 2 | 3 | 4 | 5;

/** Field types of the core. */
export type FieldType = 'str' | 'i64' | 'u64' | 'f64' | 'bool';

/** A field value with an explicit type; made by f64(), i64(), u64() and str(). */
export class TypedValue {
  constructor(type: FieldType, value: string | number | bigint | boolean);
  readonly type: FieldType;
  readonly value: string | number | bigint | boolean;
}

/**
 * A field value. string → str, boolean → bool, bigint → i64 (u64 above the i64 maximum),
 * safe integer → i64, any other number → f64, TypedValue → its type. In log() calls an
 * undefined value leaves the field out.
 */
export type FieldValue = string | number | bigint | boolean | TypedValue;

/** Labels: low-cardinality string pairs (stream labels for backends such as Loki). */
export type Labels = Record<string, string> | Map<string, string>;
/** Fields: typed values. */
export type Fields = Record<string, FieldValue | undefined> | Map<string, FieldValue | undefined>;

/** The per-call options of a log call. */
export interface LogOptions {
  labels?: Labels;
  fields?: Fields;
  /** Nanoseconds since the Unix epoch, or a Date; by default the pipeline stamps at submit. */
  time?: bigint | Date;
  traceId?: string;
  spanId?: string;
}

/** f64 whatever the value: `f64(200)` is logged as 200.0. */
export function f64(value: number): TypedValue;
/** i64 from a bigint or a safe integer. */
export function i64(value: bigint | number): TypedValue;
/** u64 from a bigint or a non-negative safe integer. */
export function u64(value: bigint | number): TypedValue;
/** str. */
export function str(value: string): TypedValue;

/** logcap_result codes by name. */
export const codes: Readonly<{
  OK: 0;
  NULL_ARGUMENT: 1;
  INVALID_ARGUMENT: 2;
  INVALID_HANDLE: 3;
  STALE_HANDLE: 4;
  WRONG_PIPELINE: 5;
  CONFIG: 6;
  SINK_SETUP: 7;
  CLOSED: 8;
  QUEUE_FULL: 9;
  TIMEOUT: 10;
  NOT_FOUND: 11;
  LIMIT: 12;
  BUFFER_TOO_SMALL: 13;
  MALFORMED_RECORD: 14;
  SINK_FLUSH: 15;
  PANIC: 16;
}>;

export type CodeName = keyof typeof codes;

/** The name of a logcap_result code, or 'UNKNOWN_<n>'. */
export function codeName(code: number): CodeName | string;

/** Level numbers by name. */
export const levels: Readonly<Record<LevelName, number>>;

/** A call the library refused: the logcap_result code, its name, and the library's detail. */
export class LogcapError extends Error {
  readonly name: 'LogcapError';
  /** The code's name in include/logcap.h, such as 'LOGCAP_RESULT_STALE_HANDLE'. */
  readonly code: `LOGCAP_RESULT_${CodeName}` | string;
  /** The logcap_result number, such as 4. */
  readonly result: number;
  /** The name without its prefix, such as 'STALE_HANDLE'. */
  readonly codeName: CodeName | string;
}

/** One entry of a batch given to a callback sink: a plain copy. */
export interface BatchEntry {
  level: LevelName;
  /** Nanoseconds since the Unix epoch. */
  time: bigint;
  message: string;
  traceId?: string;
  spanId?: string;
  labels: Record<string, string>;
  /** i64/u64 values are numbers when safe integers, bigints beyond. */
  fields: Record<string, string | number | bigint | boolean>;
  /** Each field's type. */
  types: Record<string, FieldType>;
}

/** A batch given to a callback sink. */
export interface Batch {
  /** The batch as JSON lines (the repository's docs/output.md), one line per entry. */
  json: string;
  entries: BatchEntry[];
}

/**
 * A callback sink's function. It runs on the event loop, synchronously; a throw counts the
 * batch as failed for this sink. A returned promise is not awaited. While it is slow, its
 * sink's queue drops batches by default (`when_full: 'drop_newest'`), counted as `dropped`.
 */
export type BatchCallback = (batch: Batch) => void;

export interface OpenOptions {
  /** Functions for the configuration's sinks of type "callback", by sink name. */
  callbacks?: Record<string, BatchCallback>;
  /** Hears about callbacks that threw; by default a process warning is emitted. */
  onCallbackError?: (err: unknown, sinkName: string) => void;
}

/** A sink's counters (entries, except batches and bytes). */
export interface SinkStats {
  name: string;
  received: number;
  delivered: number;
  dropped: number;
  failed: number;
  batches: number;
  bytes: number;
  panics: number;
  queuedBatches: number;
  /** Network sinks: requests attempted, retries included. */
  requests: number;
  /** Network sinks: requests repeated after a transient failure. */
  retries: number;
  /** Network sinks: requests refused permanently (HTTP 400 and the like). */
  permanentFailures: number;
  /** Network sinks: entries written to the dead-letter file. */
  deadLettered: number;
  /** Network sinks: bytes sent, after compression. */
  bytesSent: number;
}

/** A pipeline's counters. */
export interface Stats {
  submitted: number;
  accepted: number;
  droppedLevel: number;
  droppedQueueFull: number;
  droppedQueueEvicted: number;
  droppedQueueTimeout: number;
  queued: number;
  batches: number;
  poolAcquired: number;
  poolReused: number;
  poolAllocated: number;
  poolDiscarded: number;
  poolTrimmed: number;
  poolIdle: number;
  /** Refused by sampling. */
  sampledOut: number;
  /** Refused by the rate limiter. */
  rateLimited: number;
  /** Collapsed into an earlier identical entry (which carries a `repeats` field). */
  deduplicated: number;
  /** Dropped by the processor hook. */
  droppedByHook: number;
  /** Errors of the processor hook (the entry was kept). */
  hookErrors: number;
  /** Held for deduplication now. */
  held: number;
  /**
   * Calls refused with LIMIT (an entry setter, a log call, a record over a limit), whatever
   * the API; not part of `submitted`.
   */
  refusedLimit: number;
  /**
   * Records found malformed in a lane and dropped: something broke the lane protocol (the
   * library's own writers never do). Part of the dropped entries.
   */
  droppedMalformed: number;
  /** Lanes in use now (with `"queue": {"lanes": true}`): one per thread that has logged. */
  lanes: number;
  /** The bytes those lanes take. */
  laneBytes: number;
  sinks: SinkStats[];
}

export interface TimeoutOptions {
  /** Milliseconds; 5000 by default. */
  timeoutMs?: number;
}

/** Logs through a pipeline, adding its bound labels and fields to every record. */
export class Logger {
  protected constructor();
  /** The pipeline this logger writes to. */
  readonly pipeline: Pipeline;
  /** A logger adding `labels` (and `fields`) on top of this one's; the newer value wins. */
  child(labels?: Labels, fields?: Fields): Logger;
  /** The labels and fields this logger adds (copies). */
  bindings(): { labels: Record<string, string>; fields: Record<string, FieldValue> };
  /**
   * Logs one event with one call into the library. True, or false when the queue policy
   * dropped it (counted in stats()). Throws LogcapError (CLOSED after close()), TypeError or
   * RangeError for values that cannot be logged.
   */
  log(level: Level, message?: string, opts?: LogOptions): boolean;
  trace(message?: string, opts?: LogOptions): boolean;
  debug(message?: string, opts?: LogOptions): boolean;
  info(message?: string, opts?: LogOptions): boolean;
  warn(message?: string, opts?: LogOptions): boolean;
  error(message?: string, opts?: LogOptions): boolean;
  fatal(message?: string, opts?: LogOptions): boolean;
}

/** A pipeline: a pool of entries, a dispatcher and its sinks. Also the root logger. */
export class Pipeline extends Logger {
  /** Whether close() has completed. */
  readonly closed: boolean;
  /** Acquires an empty entry (level info, stamped at submit). */
  acquire(): Entry;
  /** Submits an entry of this pipeline; see Entry.submit(). */
  submit(entry: Entry): boolean;
  /** Submits one packed record as it is (see encodeRecord). */
  submitRecord(record: Uint8Array): boolean;
  setMinLevel(level: Level): void;
  minLevel(): LevelName;
  /** Sink names in configuration order. */
  sinkNames(): string[];
  stats(): Stats;
  /**
   * Re-submits a network sink's dead-letter file; returns how many entries were taken into the
   * queue. Entries the minimum level, sampling, rate limiting or hook drop stay in the file.
   */
  replayDeadLetters(path: string): number;
  /** Every counter in the Prometheus text exposition format. */
  metrics(): string;
  /** Everything logged before the call delivered (or accounted for); on a worker thread. */
  flush(opts?: TimeoutOptions): Promise<void>;
  /**
   * Stops intake, delivers what is queued, stops the sinks; on a worker thread. Idempotent.
   * At the deadline (rejects with code 'LOGCAP_RESULT_TIMEOUT') delivery is abandoned: what
   * is left counts as dropped, a callback then running is waited for, and once the promise
   * settles no callback function is called again.
   */
  close(opts?: TimeoutOptions): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A pooled entry filled through the handle API; submit() or release() ends it. */
export class Entry {
  private constructor();
  readonly pipeline: Pipeline;
  setLabel(key: string, value: string): this;
  /** undefined when not set. */
  getLabel(key: string): string | undefined;
  /** false when it was not set. */
  deleteLabel(key: string): boolean;
  setString(key: string, value: string): this;
  /** i64 from a safe integer or a bigint in range. */
  setInt(key: string, value: number | bigint): this;
  /** i64, or u64 above the i64 maximum. */
  setBigInt(key: string, value: bigint): this;
  setFloat(key: string, value: number): this;
  setBool(key: string, value: boolean): this;
  /** The type from the value (see FieldValue), or as given. */
  setField(key: string, value: FieldValue, type?: FieldType): this;
  /** i64/u64 as numbers when safe integers, bigints beyond; undefined when not set. */
  getField(key: string): string | number | bigint | boolean | undefined;
  /** With its type; i64/u64 values always bigints. */
  getTypedField(key: string): { type: FieldType; value: string | number | bigint | boolean } | undefined;
  deleteField(key: string): boolean;
  counts(): { labels: number; fields: number };
  setMessage(message: string): this;
  getMessage(): string;
  setLevel(level: Level): this;
  getLevel(): LevelName;
  /** Nanoseconds since the Unix epoch, or a Date; 0n: stamp at submit. */
  setTime(time: bigint | Date): this;
  getTime(): bigint;
  setTraceId(id: string): this;
  setSpanId(id: string): this;
  /** A deep copy, owned by the caller. */
  clone(): Entry;
  /** True, or false when the queue policy dropped it. The entry must not be used afterwards. */
  submit(): boolean;
  /** Back to the pool unsubmitted. The entry must not be used afterwards. */
  release(): void;
}

// Symbol.asyncDispose (explicit resource management, `await using`), declared here too so that
// projects whose `lib` does not include esnext.disposable can use these declarations.
declare global {
  interface SymbolConstructor {
    readonly asyncDispose: unique symbol;
  }
}

// The configuration document (the repository's docs/configuration.md and
// docs/network-sinks.md; its JSON Schema is docs/config.schema.json, which test/config-schema.test.js
// checks these types against). Every key is optional unless marked otherwise; integers are
// JavaScript numbers.

/** What a full queue does with one more item. */
export type WhenFull = 'block' | 'drop_newest' | 'drop_oldest';
/** An output encoding (docs/output.md). */
export type OutputFormat = 'json' | 'text';

/** The intake queue between producers and the batcher. */
export interface QueueConfig {
  capacity?: number;
  when_full?: WhenFull;
  block_timeout_ms?: number;
  /** Each thread (each isolate) submits into a lane of its own (default true); docs/lane-protocol.md. */
  lanes?: boolean;
  /** The bytes of each lane's ring: a power of two from 4096 (default 262144). */
  lane_bytes?: number;
}

/** When a batch closes: whichever limit comes first. */
export interface BatchConfig {
  max_entries?: number;
  max_bytes?: number;
  max_delay_ms?: number;
}

/** Bounds of the entry pool. */
export interface PoolConfig {
  max_idle?: number;
  max_retained_bytes?: number;
}

/** Keys every sink takes. */
export interface SinkCommon {
  /** Unique; 1 to 64 of ASCII letters, digits, '_', '-', '.'; names the sink's counters.
   * Default "<type>-<index>". */
  name?: string;
  queue_capacity?: number;
  /** What this sink's full queue does with one more batch: 'drop_newest' by default for
   * callback and network sinks (each drop counted in stats().sinks[i].dropped), so that a slow
   * one degrades only itself; 'block' by default for file, stdout, stderr and null. */
  when_full?: WhenFull;
  block_timeout_ms?: number;
}

/** Discards batches (benchmarks). */
export interface NullSinkConfig extends SinkCommon {
  type: 'null';
}

/** Standard output or standard error. */
export interface StreamSinkConfig extends SinkCommon {
  type: 'stdout' | 'stderr';
  format?: OutputFormat;
}

/** A file, appended to, rotated by size. */
export interface FileSinkConfig extends SinkCommon {
  type: 'file';
  path: string;
  format?: OutputFormat;
  max_bytes?: number;
  keep?: number;
  fsync_on_flush?: boolean;
  /** Create the missing directories of `path` (default false). */
  create_dirs?: boolean;
}

/** A function given to open() under the sink's name (OpenOptions.callbacks). */
export interface CallbackSinkConfig extends SinkCommon {
  type: 'callback';
  name: string;
}

/** Retries of a network sink's transient failures. */
export interface RetryConfig {
  initial_ms?: number;
  max_ms?: number;
  attempts?: number;
}

/** Loki's push API (docs/network-sinks.md). */
export interface LokiSinkConfig extends SinkCommon {
  type: 'loki';
  url: string;
  tenant_id?: string;
  basic_auth?: { username: string; password: string };
  bearer_token?: string;
  headers?: Record<string, string>;
  ca_file?: string;
  encoding?: 'protobuf' | 'json';
  fields_as?: 'structured_metadata' | 'line';
  line_format?: OutputFormat;
  max_request_entries?: number;
  max_request_bytes?: number;
  timeout_ms?: number;
  retry?: RetryConfig;
  dead_letter_path?: string;
}

/** A syslog facility: a name or its code, 0 to 23. */
export type SyslogFacility =
  | 'kern' | 'user' | 'mail' | 'daemon' | 'auth' | 'syslog' | 'lpr' | 'news' | 'uucp' | 'cron'
  | 'authpriv' | 'ftp' | 'ntp' | 'audit' | 'alert' | 'clock'
  | 'local0' | 'local1' | 'local2' | 'local3' | 'local4' | 'local5' | 'local6' | 'local7'
  | number;

/** RFC 5424 syslog over UDP, TCP or a unix socket (docs/network-sinks.md). */
export interface SyslogSinkConfig extends SinkCommon {
  type: 'syslog';
  transport?: 'udp' | 'tcp' | 'unix' | 'unix_stream';
  /** "host:port", for udp and tcp. */
  address?: string;
  /** The socket, for unix and unix_stream. */
  path?: string;
  facility?: SyslogFacility;
  app_name?: string;
  hostname?: string;
  max_message_bytes?: number;
  fields_as?: 'structured_data' | 'msg';
  msg_format?: OutputFormat;
  enterprise_id?: number;
  timeout_ms?: number;
  retry?: RetryConfig;
  dead_letter_path?: string;
}

/** A Kafka sink: one message per entry (docs/network-sinks.md). */
export interface KafkaSinkConfig extends SinkCommon {
  type: 'kafka';
  /** Bootstrap brokers, "host:port" each. */
  brokers: string[];
  /** The topic of every entry that no rule below sends elsewhere. */
  topic: string;
  /** An entry with this label goes to the topic the label names. */
  topic_label?: string;
  /** The topic of error and fatal entries. */
  error_topic?: string;
  /** The topic of trace and debug entries. */
  debug_topic?: string;
  /** The message key is this label's value (default: no key). */
  key_label?: string;
  /** The message value: the entry's JSON-lines line (default) or text line. */
  format?: 'json' | 'text';
  compression?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  acks?: 'all' | '1' | '0';
  /** The idempotent producer; default true with acks "all". */
  idempotence?: boolean;
  /** How long the client may try a message before it is dead-lettered (default 30000). */
  message_timeout_ms?: number;
  /** Further librdkafka properties. */
  properties?: Record<string, string>;
  dead_letter_path?: string;
}

/** An OTLP logs sink: OTLP/HTTP export (docs/network-sinks.md). */
export interface OtlpSinkConfig extends SinkCommon {
  type: 'otlp';
  /** The logs endpoint; a URL without a path gets /v1/logs. */
  url: string;
  encoding?: 'protobuf' | 'json';
  compression?: 'gzip' | 'none';
  /** Where labels go: resource attributes (default) or log record attributes. */
  labels_as?: 'resource' | 'attributes';
  /** Resource attributes of every request ("service.name"…). */
  resource?: Record<string, string>;
  headers?: Record<string, string>;
  ca_file?: string;
  max_request_entries?: number;
  max_request_bytes?: number;
  timeout_ms?: number;
  retry?: RetryConfig;
  dead_letter_path?: string;
}

/** One sink: the union is discriminated by `type`. */
export type SinkConfig =
  | NullSinkConfig
  | StreamSinkConfig
  | FileSinkConfig
  | CallbackSinkConfig
  | LokiSinkConfig
  | SyslogSinkConfig
  | KafkaSinkConfig
  | OtlpSinkConfig;

/** Keep the first `initial` entries per (level, message) and tick, then every `thereafter`-th. */
export interface SamplingConfig {
  initial?: number;
  thereafter?: number;
  tick_ms?: number;
}

/** A token bucket for the pipeline, or one per value of a label. */
export interface RateLimitConfig {
  per_second: number;
  burst?: number;
  by_label?: string;
  max_keys?: number;
}

/** Collapse identical entries within a window into one with a `repeats` count. */
export interface DedupConfig {
  window_ms?: number;
  max_keys?: number;
}

/** Replace sensitive values before any sink sees them. */
export interface RedactConfig {
  keys?: string[];
  patterns?: string[];
  censor?: string;
}

/** A pipeline's configuration, sent as JSON. An empty object gives one JSON sink on stdout. */
export interface Config {
  min_level?: LevelName;
  queue?: QueueConfig;
  batch?: BatchConfig;
  pool?: PoolConfig;
  sinks?: SinkConfig[];
  /** Off unless present (null is the same as absent). */
  sampling?: SamplingConfig | null;
  rate_limit?: RateLimitConfig | null;
  dedup?: DedupConfig | null;
  redact?: RedactConfig | null;
}

/**
 * Opens a pipeline: `config` as an object or a JSON string, undefined for the default (one
 * JSON-lines sink on stdout).
 */
export function open(config?: Config | string, options?: OpenOptions): Pipeline;

/** One packed record, encoded as log() encodes it (a copy, in a Buffer). */
export function encodeRecord(record?: {
  level?: Level;
  message?: string;
  time?: bigint | Date;
  traceId?: string | null;
  spanId?: string | null;
  labels?: Labels;
  fields?: Fields;
}): Uint8Array;

/** The loaded library's version. */
export function version(): string;

/**
 * The library loaded: $LOGCAP_LIB, the package's own build for the platform
 * (prebuilds/<platform>-<arch>/), or the system library's name (liblogcap.so.0.1 for 0.1.x).
 */
export const libraryPath: string;

declare const logcap: {
  open: typeof open;
  Pipeline: typeof Pipeline;
  Logger: typeof Logger;
  Entry: typeof Entry;
  LogcapError: typeof LogcapError;
  codes: typeof codes;
  codeName: typeof codeName;
  levels: typeof levels;
  TypedValue: typeof TypedValue;
  f64: typeof f64;
  i64: typeof i64;
  u64: typeof u64;
  str: typeof str;
  encodeRecord: typeof encodeRecord;
  version: typeof version;
  libraryPath: typeof libraryPath;
};
export default logcap;
