'use strict';
// The encoder against the shared packed record vectors (tests/vectors/records.json).

const test = require('node:test');
const assert = require('node:assert/strict');
const logcap = require('..');
const { vectors, NULL_CONFIG } = require('../support/helpers');

const V = vectors();

/** A vector's entry as encodeRecord() input, every field with its explicit type. */
function recordOf(entry) {
  const fields = new Map();
  for (const f of entry.fields) {
    let v = f.value;
    if (f.type === 'i64' || f.type === 'u64') v = BigInt(v);
    fields.set(f.key, new logcap.TypedValue(f.type, v));
  }
  return {
    level: entry.level,
    message: entry.message,
    time: BigInt(entry.timestamp_ns),
    traceId: entry.trace_id,
    spanId: entry.span_id,
    labels: new Map(entry.labels),
    fields,
  };
}

test('the vectors file is the version this encoder writes', () => {
  assert.equal(V.version, 1);
  assert.ok(V.valid.length >= 5);
  assert.ok(V.malformed.length >= 10);
});

for (const v of V.valid.filter((v) => !v.decode_only)) {
  test(`encodes vector ${v.name} byte for byte`, () => {
    const got = logcap.encodeRecord(recordOf(v.entry));
    assert.equal(got.toString('hex'), v.hex);
  });
}

test('the standard event logged with plain JS values encodes as its vector', () => {
  const v = V.valid.find((x) => x.name === 'standard_event');
  const got = logcap.encodeRecord({
    level: 'info',
    message: 'request completed',
    time: BigInt(v.entry.timestamp_ns),
    labels: { service: 'checkout', env: 'prod', host: 'web-1', region: 'eu-west-1' },
    fields: {
      method: 'GET',
      path: '/api/v1/orders/12345',
      status: 200,
      latency_ms: 12.5,
      user_id: 'u-998877',
      cache_hit: true,
    },
  });
  assert.equal(got.toString('hex'), v.hex);
});

test('long and non-ASCII strings encode as Buffer.from does', () => {
  const samples = [
    'x'.repeat(19),
    'x'.repeat(20),
    'x'.repeat(21),
    'é'.repeat(20),
    '🎉'.repeat(10),
    'é'.repeat(300),
    '日本語'.repeat(40),
    '🎉'.repeat(30),
    'a\uD800b', // lone high surrogate
    'a\uDC00b', // lone low surrogate
    '\uD83D', // high surrogate at the end
    '\uD83D\uDE00\uD83D', // a pair, then a lone one
    'ascii then é then 🎉 then \u0000 and \u2028',
  ];
  for (const s of samples) {
    const rec = logcap.encodeRecord({ message: s });
    const n = rec.readUInt32LE(20);
    assert.deepEqual(rec.subarray(24, 24 + n), Buffer.from(s, 'utf8'), JSON.stringify(s));
  }
});

test('a message near 1 MiB grows the buffer; beyond the limits the library refuses, not the encoder', async () => {
  const big = 'x'.repeat((1 << 20) - 200);
  const rec = logcap.encodeRecord({ message: big });
  assert.equal(rec.readUInt32LE(4), rec.length);
  const huge = logcap.encodeRecord({ message: 'é'.repeat(1 << 20) });
  assert.equal(huge.readUInt32LE(4), huge.length);
  const p = logcap.open(NULL_CONFIG);
  assert.throws(() => p.submitRecord(huge), (e) => e.code === 'LOGCAP_RESULT_LIMIT' && /too_large/.test(e.message));
  assert.equal(p.stats().refusedLimit, 1);
  await p.close();
});

test('every valid vector is accepted when submitted raw, decode-only ones included', async () => {
  const p = logcap.open(NULL_CONFIG);
  for (const v of V.valid) {
    assert.equal(p.submitRecord(Buffer.from(v.hex, 'hex')), true, v.name);
  }
  await p.close();
  const s = p.stats();
  assert.equal(s.submitted, V.valid.length);
  assert.equal(s.sinks[0].delivered, V.valid.length);
});

test('every malformed vector is refused with its result (LIMIT or MALFORMED_RECORD) naming the problem', async () => {
  const p = logcap.open(NULL_CONFIG);
  for (const v of V.malformed) {
    assert.throws(
      () => p.submitRecord(Buffer.from(v.hex, 'hex')),
      (e) => {
        assert.ok(e instanceof logcap.LogcapError, v.name);
        assert.equal(e.code, v.result, v.name);
        assert.equal(e.result, logcap.codes[v.result.replace('LOGCAP_RESULT_', '')], v.name);
        assert.ok(e.message.includes(`(${v.error})`), `${v.name}: ${e.message}`);
        assert.ok(e.message.includes(`at byte ${v.offset}`), `${v.name}: ${e.message}`);
        return true;
      },
    );
  }
  await p.flush();
  // Nothing was half-submitted.
  assert.equal(p.stats().submitted, 0);
  await p.close();
});
