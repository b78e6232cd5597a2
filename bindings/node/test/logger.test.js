'use strict';
// One-call logging: open(), log() and the level methods, child loggers, min level, stats.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const logcap = require('..');
const { tmpdir, fileConfig, readLines, outputProblems, STANDARD, NULL_CONFIG } = require('../support/helpers');

test('open takes an object, a JSON string, or nothing for the default', async () => {
  const a = logcap.open({ sinks: [{ type: 'null', name: 'a' }, { type: 'null', name: 'b' }] });
  assert.deepEqual(a.sinkNames(), ['a', 'b']);
  const b = logcap.open('{"sinks":[{"type":"null","name":"from-json"}]}');
  assert.deepEqual(b.sinkNames(), ['from-json']);
  const c = logcap.open(); // the embedded default: JSON lines on stdout (nothing logged here)
  assert.deepEqual(c.sinkNames(), ['stdout']);
  assert.ok(a instanceof logcap.Pipeline && a instanceof logcap.Logger);
  await Promise.all([a.close(), b.close(), c.close()]);
  assert.equal(a.closed, true);
});

test('log() and every level method write one JSON line each, as docs/output.md says', async () => {
  const file = path.join(tmpdir(), 'levels.log');
  const p = logcap.open(fileConfig(file));
  assert.equal(p.log(STANDARD.level, STANDARD.message, { labels: STANDARD.labels, fields: STANDARD.fields }), true);
  for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal']) {
    assert.equal(p[level](`at ${level}`, { fields: { n: 1 } }), true);
  }
  p.log(3, 'numeric level');
  p.info('no options');
  p.info('trace context', {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    time: 1735689600000000000n,
  });
  p.info('typed', { fields: { whole: logcap.f64(200), u: logcap.u64(5n), big: 2n ** 64n - 1n, skipped: undefined } });
  await p.close();
  const lines = readLines(file);
  assert.equal(lines.length, 11);
  for (const l of lines) assert.deepEqual(outputProblems(l), [], JSON.stringify(l));
  assert.deepEqual(
    { level: lines[0].level, msg: lines[0].msg, labels: lines[0].labels, fields: lines[0].fields },
    { level: 'info', msg: 'request completed', labels: STANDARD.labels, fields: STANDARD.fields },
  );
  assert.deepEqual(
    lines.slice(1, 7).map((l) => [l.level, l.msg]),
    ['trace', 'debug', 'info', 'warn', 'error', 'fatal'].map((l) => [l, `at ${l}`]),
  );
  assert.equal(lines[7].level, 'warn');
  assert.deepEqual([lines[8].msg, lines[8].labels, lines[8].fields], ['no options', {}, {}]);
  assert.equal(lines[9].trace_id, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(lines[9].span_id, '00f067aa0ba902b7');
  assert.equal(lines[9].ts, '2025-01-01T00:00:00.000000000Z');
  assert.deepEqual(Object.keys(lines[10].fields), ['whole', 'u', 'big']);
  const raw = require('node:fs').readFileSync(file, 'utf8').split('\n')[10];
  assert.ok(raw.includes('"whole":200.0'), raw);
  assert.ok(raw.includes('"big":18446744073709551615'), raw);
});

test('child loggers bind labels and fields; children of children merge, the call wins', async () => {
  const file = path.join(tmpdir(), 'children.log');
  const p = logcap.open(fileConfig(file));
  const svc = p.child({ service: 'checkout', env: 'prod' });
  const req = svc.child({ env: 'staging', host: 'web-1' }, { request_id: 'r-1' });
  const deeper = req.child(new Map([['region', 'eu-west-1']]), { attempt: 2 });
  assert.deepEqual(svc.bindings(), { labels: { service: 'checkout', env: 'prod' }, fields: {} });
  assert.deepEqual(req.bindings(), {
    labels: { service: 'checkout', env: 'staging', host: 'web-1' },
    fields: { request_id: 'r-1' },
  });
  assert.equal(deeper.pipeline, p);
  svc.info('from svc');
  req.warn('from req', { fields: { status: 200 } });
  deeper.error('from deeper', { labels: { host: 'web-2' }, fields: { attempt: 3 } });
  deeper.log('debug', 'via log');
  p.info('from the root');
  await p.close();
  const lines = readLines(file);
  assert.equal(lines.length, 5);
  for (const l of lines) assert.deepEqual(outputProblems(l), []);
  assert.deepEqual([lines[0].labels, lines[0].fields], [{ service: 'checkout', env: 'prod' }, {}]);
  assert.deepEqual(lines[1].labels, { service: 'checkout', env: 'staging', host: 'web-1' });
  assert.deepEqual(lines[1].fields, { request_id: 'r-1', status: 200 });
  assert.deepEqual(lines[2].labels, { service: 'checkout', env: 'staging', host: 'web-2', region: 'eu-west-1' });
  assert.deepEqual(lines[2].fields, { request_id: 'r-1', attempt: 3 });
  assert.equal(lines[3].level, 'debug');
  assert.deepEqual(lines[4].labels, {}, 'the root logger has no bindings');
});

test('min level: set, read, and entries below it dropped and counted', async () => {
  const file = path.join(tmpdir(), 'minlevel.log');
  const p = logcap.open(fileConfig(file));
  assert.equal(p.minLevel(), 'trace');
  p.setMinLevel('warn');
  assert.equal(p.minLevel(), 'warn');
  assert.equal(p.info('dropped'), true);
  assert.equal(p.debug('dropped too'), true);
  p.warn('kept');
  p.acquire().setMessage('dropped entry').submit();
  p.setMinLevel(0);
  assert.equal(p.minLevel(), 'trace');
  p.trace('kept again');
  await p.close();
  const s = p.stats();
  assert.equal(s.droppedLevel, 3);
  assert.equal(s.submitted, 5);
  assert.equal(s.accepted, 2);
  assert.deepEqual(readLines(file).map((l) => l.msg), ['kept', 'kept again']);
  const q = logcap.open({ min_level: 'error', sinks: [{ type: 'null' }] });
  assert.equal(q.minLevel(), 'error');
  await q.close();
});

test('stats: pipeline counters and every sink by name keep the invariants', async () => {
  const file = path.join(tmpdir(), 'stats.log');
  const p = logcap.open({
    batch: { max_entries: 100, max_delay_ms: 5 },
    sinks: [
      { type: 'null', name: 'nothing' },
      { type: 'file', name: 'disk', path: file },
    ],
  });
  for (let i = 0; i < 1000; i++) p.info('counted', { fields: { i } });
  await p.flush();
  const s = p.stats();
  assert.equal(s.submitted, 1000);
  assert.equal(s.accepted, 1000);
  assert.equal(s.queued, 0);
  assert.ok(s.batches >= 10);
  assert.deepEqual(s.sinks.map((k) => k.name), ['nothing', 'disk']);
  for (const k of s.sinks) {
    assert.equal(k.received, 1000);
    assert.equal(k.received, k.delivered + k.dropped + k.failed);
    assert.equal(k.queuedBatches, 0);
  }
  assert.ok(s.sinks[1].bytes > 1000 * 50);
  assert.equal(readLines(file).length, 1000);
  await p.close();
});

test('a full queue with drop_newest: log() returns false and the drop is counted', async () => {
  const p = logcap.open({
    queue: { capacity: 1, when_full: 'drop_newest' },
    batch: { max_delay_ms: 1000, max_entries: 100000 },
    sinks: [{ type: 'null' }],
  });
  let dropped = 0;
  for (let i = 0; i < 10000; i++) if (!p.info('x')) dropped++;
  await p.flush();
  const s = p.stats();
  assert.ok(dropped > 0, 'some were dropped');
  assert.equal(s.droppedQueueFull, dropped);
  assert.equal(s.submitted, 10000);
  assert.equal(s.accepted + s.droppedQueueFull, 10000);
  await p.close();
});

test('flush and close resolve; close is idempotent and concurrent closes share one call', async () => {
  const p = logcap.open(NULL_CONFIG);
  p.info('x');
  await p.flush({ timeoutMs: 10000 });
  const [a, b] = [p.close(), p.close()];
  assert.equal(a, b);
  await a;
  await p.close();
  assert.equal(p.closed, true);
});

test('the ESM entry exports the same API', async () => {
  const esm = await import('../index.mjs');
  assert.equal(esm.open, logcap.open);
  assert.equal(esm.LogcapError, logcap.LogcapError);
  assert.equal(esm.default, logcap);
  assert.equal(logcap.version(), '0.1.0');
});

test('the processing stage is configured by the document, counted in stats() and metrics()', async () => {
  const p = logcap.open({
    sampling: { initial: 2, thereafter: 1000, tick_ms: 600000 },
    redact: { keys: ['password'] },
    sinks: [{ type: 'null', name: 'n' }],
  });
  for (let i = 0; i < 10; i++) p.info('same message', { fields: { password: 'hunter2' } });
  await p.flush({ timeoutMs: 10000 });
  const st = p.stats();
  assert.equal(st.submitted, 10);
  assert.equal(st.sampledOut, 8);
  assert.equal(st.accepted, 2);
  assert.equal(st.sinks[0].delivered, 2);
  const m = p.metrics();
  assert.match(m, /^# TYPE logcap_entries_dropped_total counter$/m);
  assert.match(m, /^logcap_entries_dropped_total\{reason="sampled_out"\} 8$/m);
  assert.match(m, /^logcap_sink_entries_delivered_total\{sink="n"\} 2$/m);
  await p.close();
});

test('replayDeadLetters: a missing file submits nothing; after close it is CLOSED', async () => {
  const p = logcap.open(NULL_CONFIG);
  assert.equal(p.replayDeadLetters(path.join(tmpdir(), 'none.jsonl')), 0);
  await p.close();
  assert.throws(() => p.replayDeadLetters('x'), (e) => e instanceof logcap.LogcapError && e.codeName === 'CLOSED');
});

test('log() submits the right bytes after its buffer grows, and from a reentrant call', async () => {
  const file = path.join(tmpdir(), 'grow.log');
  const p = logcap.open(fileConfig(file));
  const big = 'x'.repeat(100 * 1024);
  p.info('small before');
  p.info(big, { labels: { service: 'grow' } });
  p.info('small after', { fields: { n: 1 } });
  // A getter that logs while the outer record is being written: the inner call gets an
  // encoder (and a buffer) of its own.
  const fields = {
    get inner() {
      p.warn('from the getter', { fields: { depth: 2 } });
      return 'outer value';
    },
  };
  p.info('outer', { fields });
  p.info(big.slice(0, 50 * 1024));
  await p.close();
  const lines = readLines(file);
  assert.deepEqual(
    lines.map((l) => [l.level, l.msg.length > 64 ? l.msg.length : l.msg, l.fields]),
    [
      ['info', 'small before', {}],
      ['info', big.length, {}],
      ['info', 'small after', { n: 1 }],
      ['warn', 'from the getter', { depth: 2 }],
      ['info', 'outer', { inner: 'outer value' }],
      ['info', 50 * 1024, {}],
    ],
  );
  assert.deepEqual(lines[1].labels, { service: 'grow' });
});

test('stats count the lane of the thread that logged, with lanes on, and none without', async () => {
  const p = logcap.open({ queue: { lanes: true, lane_bytes: 8192 }, sinks: [{ type: 'null' }] });
  assert.equal(p.log('info', 'one'), true);
  await p.flush();
  let s = p.stats();
  // The main thread's lane: a 256-byte header and the ring.
  assert.deepEqual([s.lanes, s.laneBytes, s.accepted, s.droppedMalformed], [1, 256 + 8192, 1, 0]);
  await p.close();
  const q = logcap.open({ sinks: [{ type: 'null' }] });
  assert.equal(q.log('info', 'one'), true);
  await q.flush();
  s = q.stats();
  assert.deepEqual([s.lanes, s.laneBytes, s.accepted], [0, 0, 1]);
  await q.close();
});
