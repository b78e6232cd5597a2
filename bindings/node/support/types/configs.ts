// Configurations typed as `Config`: compiled by test/types.test.js (tsc --strict), so index.d.ts
// must accept every one of `valid` and refuse every one of `invalid` (each is marked as an
// expected error, and tsc fails if one is accepted). test/config-schema.test.js compiles this file
// and checks both lists against docs/config.schema.json, the schema generated from the Rust
// types: what the types accept, the schema accepts, and the reverse for what they refuse.
import type { Config, SinkConfig } from 'logcap';

export const valid: Config[] = [
  {},
  { sinks: [{ type: 'null' }] },
  // Every key every sink takes, on each type.
  {
    sinks: [
      { type: 'null', name: 'n', queue_capacity: 4, when_full: 'drop_oldest', block_timeout_ms: 5 },
      { type: 'stdout', name: 'out', queue_capacity: 4, when_full: 'block', block_timeout_ms: 5, format: 'json' },
      { type: 'stderr', name: 'err', queue_capacity: 4, when_full: 'drop_newest', block_timeout_ms: 5, format: 'text' },
      { type: 'file', name: 'f', queue_capacity: 4, when_full: 'block', block_timeout_ms: 5, path: 'app.log' },
      { type: 'callback', name: 'cb', queue_capacity: 4, when_full: 'drop_newest', block_timeout_ms: 5 },
      { type: 'loki', name: 'l', queue_capacity: 4, when_full: 'drop_newest', block_timeout_ms: 5, url: 'http://l' },
      { type: 'syslog', name: 's', queue_capacity: 4, when_full: 'drop_newest', block_timeout_ms: 5 },
      { type: 'kafka', name: 'k', queue_capacity: 4, when_full: 'drop_newest', block_timeout_ms: 5, brokers: ['b:9092'], topic: 't' },
      { type: 'otlp', name: 'o', queue_capacity: 4, when_full: 'drop_newest', block_timeout_ms: 5, url: 'http://c' },
    ],
  },
  {
    min_level: 'info',
    queue: { capacity: 16384, when_full: 'block', block_timeout_ms: 1000, lanes: true, lane_bytes: 262144 },
    batch: { max_entries: 512, max_bytes: 1048576, max_delay_ms: 100 },
    pool: { max_idle: 16384, max_retained_bytes: 65536 },
    sinks: [
      { type: 'file', name: 'app', path: '/var/log/app/app.log', max_bytes: 104857600, keep: 5, format: 'json', fsync_on_flush: false, create_dirs: true },
      { type: 'stderr', format: 'text', when_full: 'drop_newest' },
      { type: 'stdout', queue_capacity: 32, block_timeout_ms: 10 },
      { type: 'callback', name: 'audit' },
      {
        type: 'loki',
        url: 'http://loki:3100',
        tenant_id: 'team-a',
        basic_auth: { username: 'u', password: 'p' },
        headers: { 'X-Team': 'a' },
        ca_file: '/etc/ssl/ca.pem',
        encoding: 'json',
        fields_as: 'line',
        line_format: 'text',
        max_request_entries: 1000,
        max_request_bytes: 1 << 20,
        timeout_ms: 5000,
        retry: { initial_ms: 50, max_ms: 1000, attempts: 3 },
        dead_letter_path: '/var/lib/app/loki-dead.jsonl',
      },
      { type: 'loki', name: 'loki-2', url: 'https://logs.example', bearer_token: 't' },
      { type: 'syslog', transport: 'udp', address: '127.0.0.1:514', facility: 'local0', app_name: 'app', hostname: 'web-1', max_message_bytes: 2048, fields_as: 'msg', msg_format: 'json', enterprise_id: 32473, timeout_ms: 1000, retry: { attempts: 1 }, dead_letter_path: '/tmp/d.jsonl' },
      { type: 'syslog', name: 'sys-2', transport: 'unix', path: '/dev/log', facility: 16 },
      { type: 'kafka', brokers: ['127.0.0.1:9092'], topic: 'logs', topic_label: 'topic', error_topic: 'errors', debug_topic: 'debug', key_label: 'service', format: 'json', compression: 'zstd', acks: 'all', idempotence: true, message_timeout_ms: 30000, properties: { 'linger.ms': '5' }, dead_letter_path: '/tmp/k.jsonl' },
      { type: 'otlp', url: 'http://127.0.0.1:4318', encoding: 'protobuf', compression: 'gzip', labels_as: 'attributes', resource: { 'service.name': 'checkout' }, headers: { 'X-A': 'b' }, ca_file: '/ca.pem', max_request_entries: 100, max_request_bytes: 1048576, timeout_ms: 1000, retry: { attempts: 2 }, dead_letter_path: '/tmp/o.jsonl' },
    ],
    sampling: { initial: 100, thereafter: 100, tick_ms: 1000 },
    rate_limit: { per_second: 0.5, burst: 10, by_label: 'service', max_keys: 1024 },
    dedup: { window_ms: 1000, max_keys: 1024 },
    redact: { keys: ['password', '*token*'], patterns: ['email', '\\bsk-[A-Za-z0-9]{20,}\\b'], censor: '[REDACTED]' },
  },
  { sampling: null, rate_limit: null, dedup: null, redact: null },
];

export const invalid: Config[] = [
  // @ts-expect-error: no such sink type
  { sinks: [{ type: 'fille', path: 'app.log' }] },
  // @ts-expect-error: a file sink needs a path
  { sinks: [{ type: 'file' }] },
  // @ts-expect-error: path is not a key of a stdout sink
  { sinks: [{ type: 'stdout', path: 'app.log' }] },
  // @ts-expect-error: a callback sink needs a name
  { sinks: [{ type: 'callback' }] },
  // @ts-expect-error: a Loki sink needs a URL
  { sinks: [{ type: 'loki' }] },
  // @ts-expect-error: no such encoding
  { sinks: [{ type: 'loki', url: 'http://l', encoding: 'xml' }] },
  // @ts-expect-error: no such transport
  { sinks: [{ type: 'syslog', transport: 'sctp' }] },
  // @ts-expect-error: a kafka sink needs brokers and a topic
  { sinks: [{ type: 'kafka', topic: 'logs' }] },
  // @ts-expect-error: an otlp sink's compression is gzip or none
  { sinks: [{ type: 'otlp', url: 'http://c', compression: 'zstd' }] },
  // @ts-expect-error: no such level
  { min_level: 'verbose' },
  // @ts-expect-error: no such queue policy
  { queue: { when_full: 'drop_all' } },
  // @ts-expect-error: a rate limit needs its rate
  { rate_limit: { burst: 10 } },
  // @ts-expect-error: an unknown top-level key
  { sinkz: [] },
  // @ts-expect-error: a number where a string goes
  { redact: { censor: 0 } },
];

/** Every sink type `valid` uses, for the check that the schema has no other. */
export const sinkTypes: SinkConfig['type'][] = ['null', 'stdout', 'stderr', 'file', 'callback', 'loki', 'syslog', 'kafka', 'otlp'];
