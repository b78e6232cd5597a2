'use strict';
// Callback sinks: JS functions receiving batches on the event loop.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const koffi = require('koffi');
const logcap = require('..');
const { spin, vectors, outputProblems, STANDARD, tmpdir } = require('../support/helpers');

const cbConfig = (names, batch = {}) => ({
  batch: { max_delay_ms: 5, ...batch },
  // block: these tests count on every entry reaching the callback (callback sinks drop by
  // default when their queue is full).
  sinks: names.map((name) => ({ type: 'callback', name, when_full: 'block' })),
});

test('a callback gets plain copies of its batches: entries and their JSON lines', async () => {
  const batches = [];
  const p = logcap.open(cbConfig(['cb'], { max_entries: 64 }), { callbacks: { cb: (b) => batches.push(b) } });
  const log = p.child(STANDARD.labels);
  for (let i = 0; i < 1000; i++) {
    log.info(STANDARD.message, { fields: { ...STANDARD.fields, i }, traceId: i % 2 ? 'abc' : undefined });
  }
  await p.flush();
  const entries = batches.flatMap((b) => b.entries);
  assert.equal(entries.length, 1000);
  assert.ok(batches.length >= 1000 / 64);
  for (const b of batches) {
    assert.ok(b.entries.length <= 64);
    const lines = b.json.split('\n');
    assert.equal(lines.pop(), '', 'JSON lines end with a newline');
    assert.equal(lines.length, b.entries.length);
    lines.forEach((line, j) => {
      const o = JSON.parse(line);
      assert.deepEqual(outputProblems(o), []);
      const e = b.entries[j];
      assert.equal(o.msg, e.message);
      assert.equal(o.level, e.level);
      assert.deepEqual(o.labels, e.labels);
      assert.deepEqual(o.fields, e.fields);
      assert.equal(o.trace_id, e.traceId);
      // ts and time are the same instant.
      const ms = BigInt(Date.parse(o.ts));
      assert.equal(e.time / 1000000n, ms);
      assert.equal(o.ts.slice(20, 29), String(e.time % 1000000000n).padStart(9, '0'));
    });
  }
  entries.forEach((e, i) => {
    assert.equal(e.level, 'info');
    assert.equal(typeof e.time, 'bigint');
    assert.ok(e.time > 1600000000000000000n);
    assert.equal(e.message, 'request completed');
    assert.deepEqual(e.labels, STANDARD.labels);
    assert.deepEqual(e.fields, { ...STANDARD.fields, i });
    assert.deepEqual(e.types, {
      method: 'str', path: 'str', status: 'i64', latency_ms: 'f64', user_id: 'str', cache_hit: 'bool', i: 'i64',
    });
    assert.equal(e.traceId, i % 2 ? 'abc' : undefined);
    assert.equal('spanId' in e, false);
  });
  const s = p.stats().sinks[0];
  assert.equal(s.name, 'cb');
  assert.equal(s.delivered, 1000);
  assert.equal(s.batches, batches.length);
  await p.close();
});

test('batches carry every value the record vectors hold, as decoded', async () => {
  const got = [];
  const p = logcap.open(cbConfig(['cb'], { max_entries: 1 }), { callbacks: { cb: (b) => got.push(...b.entries) } });
  const V = vectors().valid;
  for (const v of V) p.submitRecord(Buffer.from(v.hex, 'hex'));
  await p.close();
  assert.equal(got.length, V.length);
  got.forEach((e, i) => {
    const want = V[i].entry;
    const name = V[i].name;
    assert.equal(e.level, want.level, name);
    assert.equal(e.message, want.message, name);
    if (want.timestamp_ns !== '0') assert.equal(e.time, BigInt(want.timestamp_ns), name);
    assert.equal(e.traceId, want.trace_id ?? undefined, name);
    assert.equal(e.spanId, want.span_id ?? undefined, name);
    assert.deepEqual(Object.entries(e.labels), want.labels, name);
    assert.deepEqual(
      Object.keys(e.fields).map((k) => {
        const v = e.fields[k];
        return { key: k, type: e.types[k], value: typeof v === 'bigint' || e.types[k].endsWith('64') && e.types[k] !== 'f64' ? String(v) : v };
      }),
      want.fields,
      name,
    );
  });
});

test('a callback that throws fails its batches, counted by its sink alone', async () => {
  const errors = [];
  let good = 0;
  const p = logcap.open(cbConfig(['good', 'bad'], { max_entries: 10 }), {
    callbacks: {
      good: (b) => {
        good += b.entries.length;
      },
      bad: () => {
        throw new Error('sink is down');
      },
    },
    onCallbackError: (err, sink) => errors.push([sink, err.message]),
  });
  for (let i = 0; i < 100; i++) p.info('x');
  await p.flush();
  const [g, b] = p.stats().sinks;
  assert.equal(good, 100);
  assert.deepEqual([g.name, g.delivered, g.failed], ['good', 100, 0]);
  assert.deepEqual([b.name, b.received, b.delivered, b.failed], ['bad', 100, 0, 100]);
  assert.ok(b.batches === 0 || b.batches <= 10);
  assert.ok(errors.length >= 10);
  assert.deepEqual(errors[0], ['bad', 'sink is down']);
  await p.close();
});

test('without onCallbackError a failing callback emits a process warning', async () => {
  const warned = new Promise((resolve) => process.once('warning', resolve));
  const p = logcap.open(cbConfig(['bad']), { callbacks: { bad: () => { throw new Error('nope'); } } });
  p.info('x');
  const w = await warned;
  assert.equal(w.code, 'LOGCAP_CALLBACK');
  assert.match(w.message, /"bad" failed: nope/);
  await p.close();
  assert.equal(p.stats().sinks[0].failed, 1);
});

test('flush and close awaited while a slow callback has batches pending: no deadlock', async () => {
  let delivered = 0;
  const p = logcap.open(cbConfig(['slow'], { max_entries: 10 }), {
    callbacks: {
      slow: (b) => {
        spin(20); // occupies the event loop, and so the sink thread
        delivered += b.entries.length;
      },
    },
  });
  for (let i = 0; i < 200; i++) p.info('x', { fields: { i } });
  let ticked = false;
  setTimeout(() => {
    ticked = true;
  }, 0);
  const t0 = process.hrtime.bigint();
  const flushing = p.flush({ timeoutMs: 30000 });
  const callMs = Number(process.hrtime.bigint() - t0) / 1e6;
  // The 20 batches take 400 ms of callbacks; flush() itself must not wait for them.
  assert.ok(callMs < 150, `flush() returned at once (${callMs} ms), not after the batches`);
  await flushing;
  assert.equal(delivered, 200, 'everything logged before flush was delivered');
  assert.ok(ticked, 'the event loop ran while flush was pending');
  for (let i = 0; i < 200; i++) p.info('more');
  await p.close({ timeoutMs: 30000 });
  assert.equal(delivered, 400, 'close delivered everything queued');
  assert.equal(p.stats().sinks[0].delivered, 400);
});

test('flush and close time out on a callback slower than the timeout; later calls complete', async () => {
  const p = logcap.open(cbConfig(['slow'], { max_entries: 1 }), { callbacks: { slow: () => spin(100) } });
  for (let i = 0; i < 5; i++) p.info('x');
  await assert.rejects(p.flush({ timeoutMs: 20 }), (e) => {
    assert.ok(e instanceof logcap.LogcapError);
    assert.equal(e.codeName, 'TIMEOUT');
    assert.match(e.message, /^flush: /);
    return true;
  });
  await p.flush({ timeoutMs: 30000 });
  assert.equal(p.stats().sinks[0].delivered, 5);
  for (let i = 0; i < 5; i++) p.info('y');
  const before = koffi.stats().callbacks;
  const delivered = () => p.stats().sinks[0].delivered;
  await assert.rejects(p.close({ timeoutMs: 20 }), (e) => e.code === 'LOGCAP_RESULT_TIMEOUT');
  // At the deadline delivery was abandoned: the call then running was waited for, no other
  // starts, so the function can be released at once.
  assert.equal(p.closed, false);
  assert.equal(koffi.stats().callbacks, before - 1, 'released: the sink calls no more');
  assert.throws(() => p.info('late'), (e) => e.codeName === 'CLOSED', 'intake stopped');
  const atClose = delivered();
  assert.ok(atClose < 10, `the deadline cut delivery short (${atClose})`);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(delivered(), atClose, 'no callback ran after close returned');
  await p.close({ timeoutMs: 30000 });
  assert.equal(p.closed, true);
  assert.equal(koffi.stats().callbacks, before - 1);
  const k = p.stats().sinks[0];
  assert.equal(k.delivered, atClose);
  assert.equal(k.received, 10);
  assert.equal(k.delivered + k.dropped + k.failed, 10, 'the rest is counted as dropped');
});

test('a slow callback sink drops its own batches by default and slows no other sink', async () => {
  const file = path.join(tmpdir(), 'beside-slow.log');
  let calls = 0;
  const p = logcap.open(
    { batch: { max_entries: 10, max_delay_ms: 1 }, sinks: [{ type: 'file', name: 'disk', path: file }, { type: 'callback', name: 'slow' }] },
    { callbacks: { slow: () => { calls++; spin(20); } } },
  );
  for (let i = 0; i < 2000; i++) p.info('x', { fields: { i } });
  await p.close({ timeoutMs: 30000 });
  const [disk, slow] = p.stats().sinks;
  assert.equal(disk.delivered, 2000);
  assert.equal(fs.readFileSync(file, 'utf8').split('\n').length - 1, 2000);
  assert.ok(slow.dropped > 0, 'the slow sink dropped');
  assert.equal(slow.delivered + slow.dropped + slow.failed, 2000);
  assert.equal(slow.batches, calls);
});

test('callbacks are registered while open and unregistered once close completes', async () => {
  const before = koffi.stats().callbacks;
  const p = logcap.open(cbConfig(['a', 'b']), { callbacks: { a: () => {}, b: () => {} } });
  assert.equal(koffi.stats().callbacks, before + 2);
  p.info('x');
  await p.close();
  assert.equal(koffi.stats().callbacks, before);
});

test('a callback may log to another pipeline while it runs', async () => {
  const seen = [];
  const audit = logcap.open(cbConfig(['audit']), { callbacks: { audit: (b) => seen.push(...b.entries) } });
  const p = logcap.open(cbConfig(['relay']), {
    callbacks: { relay: (b) => { for (const e of b.entries) audit.info(`relayed ${e.message}`); } },
  });
  p.info('one');
  p.info('two');
  await p.close();
  await audit.close();
  assert.deepEqual(seen.map((e) => e.message), ['relayed one', 'relayed two']);
});

test('a pipeline with callback sinks that is collected without close() delivers, then lets go', async () => {
  require('node:v8').setFlagsFromString('--expose-gc');
  const gc = require('node:vm').runInNewContext('gc');
  const before = koffi.stats().callbacks;
  let delivered = 0;
  (() => {
    for (let i = 0; i < 5; i++) {
      const p = logcap.open(cbConfig(['cb']), { callbacks: { cb: (b) => (delivered += b.entries.length) } });
      p.info('one');
      p.info('two');
    }
  })();
  assert.equal(koffi.stats().callbacks, before + 5);
  for (let i = 0; i < 50 && koffi.stats().callbacks > before; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(koffi.stats().callbacks, before, 'freed (closed on a worker thread) and unregistered');
  assert.equal(delivered, 10, 'what they held was delivered first');
});
