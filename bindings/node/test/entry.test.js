'use strict';
// The handle API: acquire, every setter and getter, clone, submit, release.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const logcap = require('..');
const { NULL_CONFIG, tmpdir, fileConfig, readLines, outputProblems } = require('../support/helpers');

test('labels: set, replace, get, delete', async () => {
  const p = logcap.open(NULL_CONFIG);
  const e = p.acquire();
  assert.equal(e.setLabel('service', 'checkout'), e, 'setters chain');
  e.setLabel('region', '東京');
  assert.equal(e.getLabel('service'), 'checkout');
  assert.equal(e.getLabel('region'), '東京');
  e.setLabel('service', 'billing');
  assert.equal(e.getLabel('service'), 'billing');
  assert.equal(e.getLabel('absent'), undefined);
  assert.deepEqual(e.counts(), { labels: 2, fields: 0 });
  assert.equal(e.deleteLabel('service'), true);
  assert.equal(e.deleteLabel('service'), false);
  assert.equal(e.getLabel('service'), undefined);
  // A value longer than the read buffer is read whole.
  const long = 'v'.repeat(10000);
  e.setLabel('long', long);
  assert.equal(e.getLabel('long'), long);
  e.release();
  await p.close();
});

test('typed setters and getField', async () => {
  const p = logcap.open(NULL_CONFIG);
  const e = p.acquire();
  e.setString('method', 'GET')
    .setInt('status', 200)
    .setInt('neg', -9007199254740991)
    .setBigInt('big', 2n ** 62n)
    .setBigInt('min', -(2n ** 63n))
    .setBigInt('umax', 2n ** 64n - 1n)
    .setFloat('latency_ms', 12.5)
    .setFloat('whole', 200)
    .setFloat('nan', NaN)
    .setBool('cache_hit', true)
    .setBool('no', false);
  assert.equal(e.getField('method'), 'GET');
  assert.equal(e.getField('status'), 200);
  assert.equal(e.getField('neg'), -9007199254740991);
  assert.equal(e.getField('big'), 2n ** 62n);
  assert.equal(e.getField('min'), -(2n ** 63n));
  assert.equal(e.getField('umax'), 2n ** 64n - 1n);
  assert.equal(e.getField('latency_ms'), 12.5);
  assert.equal(e.getField('whole'), 200);
  assert.ok(Number.isNaN(e.getField('nan')));
  assert.equal(e.getField('cache_hit'), true);
  assert.equal(e.getField('no'), false);
  assert.equal(e.getField('absent'), undefined);
  assert.deepEqual(e.getTypedField('status'), { type: 'i64', value: 200n });
  assert.deepEqual(e.getTypedField('umax'), { type: 'u64', value: 2n ** 64n - 1n });
  assert.deepEqual(e.getTypedField('whole'), { type: 'f64', value: 200 });
  assert.deepEqual(e.getTypedField('method'), { type: 'str', value: 'GET' });
  assert.deepEqual(e.getTypedField('no'), { type: 'bool', value: false });
  assert.equal(e.getTypedField('absent'), undefined);
  const long = 'é'.repeat(5000);
  e.setString('long', long);
  assert.equal(e.getField('long'), long);
  assert.deepEqual(e.counts(), { labels: 0, fields: 12 });
  assert.equal(e.deleteField('method'), true);
  assert.equal(e.deleteField('method'), false);
  e.release();
  await p.close();
});

test('setField chooses the type from the JS value, or takes it given', async () => {
  const p = logcap.open(NULL_CONFIG);
  const e = p.acquire();
  const cases = [
    ['s', 'text', 'str', 'text'],
    ['b', true, 'bool', true],
    ['i', 42, 'i64', 42n],
    ['negi', -7, 'i64', -7n],
    ['f', 1.5, 'f64', 1.5],
    ['unsafe', 2 ** 60, 'f64', 2 ** 60],
    ['negzero', -0, 'f64', -0],
    ['inf', Infinity, 'f64', Infinity],
    ['bi', 5n, 'i64', 5n],
    ['bineg', -(2n ** 63n), 'i64', -(2n ** 63n)],
    ['bimax', 2n ** 63n - 1n, 'i64', 2n ** 63n - 1n],
    ['bu', 2n ** 63n, 'u64', 2n ** 63n],
    ['typed_f', logcap.f64(200), 'f64', 200],
    ['typed_u', logcap.u64(7), 'u64', 7n],
    ['typed_i', logcap.i64(-1n), 'i64', -1n],
    ['typed_s', logcap.str('x'), 'str', 'x'],
  ];
  for (const [k, v, type, value] of cases) {
    e.setField(k, v);
    assert.deepEqual(e.getTypedField(k), { type, value }, k);
  }
  e.setField('given_u', 3, 'u64');
  assert.deepEqual(e.getTypedField('given_u'), { type: 'u64', value: 3n });
  e.setField('given_f', 3, 'f64');
  assert.deepEqual(e.getTypedField('given_f'), { type: 'f64', value: 3 });
  // A field can change type.
  e.setField('i', 'now text');
  assert.deepEqual(e.getTypedField('i'), { type: 'str', value: 'now text' });
  e.release();
  await p.close();
});

test('message, level, time, trace and span ids', async () => {
  const dir = tmpdir();
  const file = path.join(dir, 'meta.log');
  const p = logcap.open(fileConfig(file));
  const e = p.acquire();
  assert.equal(e.getLevel(), 'info', 'an acquired entry is at info');
  assert.equal(e.getTime(), 0n, 'and not stamped');
  assert.equal(e.getMessage(), '');
  e.setMessage('disk almost full').setLevel('warn');
  assert.equal(e.getMessage(), 'disk almost full');
  assert.equal(e.getLevel(), 'warn');
  e.setLevel(4);
  assert.equal(e.getLevel(), 'error');
  e.setTime(1735689600123456789n);
  assert.equal(e.getTime(), 1735689600123456789n);
  e.setTime(new Date('2025-01-01T00:00:00.250Z'));
  assert.equal(e.getTime(), 1735689600250000000n);
  e.setTraceId('4bf92f3577b34da6a3ce929d0e0e4736').setSpanId('00f067aa0ba902b7');
  const long = 'm'.repeat(20000);
  const e2 = p.acquire().setMessage(long);
  assert.equal(e2.getMessage(), long);
  e2.release();
  assert.equal(e.submit(), true);
  const stamped = p.acquire().setMessage('stamped at submit');
  const before = BigInt(Date.now()) * 1000000n;
  stamped.submit();
  await p.close();
  const lines = readLines(file);
  assert.equal(lines.length, 2);
  for (const l of lines) assert.deepEqual(outputProblems(l), []);
  assert.deepEqual(lines[0], {
    ts: '2025-01-01T00:00:00.250000000Z',
    level: 'error',
    msg: 'disk almost full',
    trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    span_id: '00f067aa0ba902b7',
    labels: {},
    fields: {},
  });
  const ts = BigInt(Date.parse(lines[1].ts)) * 1000000n;
  assert.ok(ts >= before - 1000000n, `${lines[1].ts} is the submit time`);
});

test('clone is deep, and both copies live on their own', async () => {
  const p = logcap.open(NULL_CONFIG);
  const e = p.acquire().setLabel('service', 'checkout').setField('status', 200).setMessage('m');
  const c = e.clone();
  assert.notEqual(c, e);
  assert.equal(c.pipeline, p);
  c.setLabel('service', 'copy').setField('status', 500);
  assert.equal(e.getLabel('service'), 'checkout');
  assert.equal(e.getField('status'), 200);
  assert.equal(c.getLabel('service'), 'copy');
  assert.equal(c.getMessage(), 'm');
  assert.equal(c.submit(), true);
  e.release();
  await p.close();
  const s = p.stats();
  assert.equal(s.submitted, 1);
  assert.equal(s.sinks[0].delivered, 1);
});

test('submit through the pipeline, and acquire + setters + submit deliver what was set', async () => {
  const dir = tmpdir();
  const file = path.join(dir, 'entries.log');
  const p = logcap.open(fileConfig(file));
  for (let i = 0; i < 100; i++) {
    const e = p.acquire();
    e.setLevel('debug').setMessage(`entry ${i}`).setLabel('n', String(i)).setField('i', i);
    assert.equal(i % 2 ? p.submit(e) : e.submit(), true);
  }
  await p.flush();
  const lines = readLines(file);
  assert.equal(lines.length, 100);
  lines.forEach((l, i) => {
    assert.deepEqual(outputProblems(l), []);
    assert.equal(l.msg, `entry ${i}`);
    assert.equal(l.level, 'debug');
    assert.deepEqual(l.labels, { n: String(i) });
    assert.deepEqual(l.fields, { i });
  });
  const s = p.stats();
  assert.equal(s.poolAcquired, 100);
  assert.equal(s.poolReused + s.poolAllocated, 100);
  await p.close();
});

/** The garbage collector, without --expose-gc on the command line. */
function gcFunction() {
  require('node:v8').setFlagsFromString('--expose-gc');
  return require('node:vm').runInNewContext('gc');
}

test('entries that are garbage collected unreleased go back to the pool', async () => {
  const gc = gcFunction();
  const p = logcap.open(NULL_CONFIG);
  for (let i = 0; i < 1000; i++) p.acquire().setLabel('k', 'v');
  assert.equal(p.stats().poolIdle, 0);
  for (let i = 0; i < 50 && p.stats().poolIdle < 1000; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(p.stats().poolIdle, 1000);
  await p.close();
});
