'use strict';
// The shared limit vectors (tests/vectors/limits.json): log() and the entry API get the
// library's result for each case, with the same counts: one refusedLimit for a refusal, one
// submitted for an accepted entry.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const logcap = require('..');

const V = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'tests', 'vectors', 'limits.json'), 'utf8'));

function parts(c) {
  const labels = {};
  for (let i = 0; i < c.labels; i++) labels[`l${i}`] = 'v';
  if (c.long_label_key) labels['k'.repeat(c.long_label_key)] = 'v';
  const fields = {};
  for (let i = 0; i < c.fields; i++) fields[`f${i}`] = i;
  if (c.long_field_key) fields['k'.repeat(c.long_field_key)] = 0;
  return { message: 'm'.repeat(c.message_bytes), labels, fields };
}

/** The header's name of what `f` did: LOGCAP_RESULT_OK, or the error's code. */
function outcome(f) {
  try {
    assert.equal(f(), true, 'not dropped by the queue');
    return 'LOGCAP_RESULT_OK';
  } catch (e) {
    if (!(e instanceof logcap.LogcapError)) throw e;
    return e.code;
  }
}

const APIS = {
  'log()': (p, c) => {
    const { message, labels, fields } = parts(c);
    return outcome(() => p.info(message, { labels, fields }));
  },
  'child().log()': (p, c) => {
    const { message, labels, fields } = parts(c);
    return outcome(() => p.child(labels).info(message, { fields }));
  },
  entry: (p, c) => {
    const { message, labels, fields } = parts(c);
    const e = p.acquire();
    return outcome(() => {
      try {
        e.setMessage(message);
        for (const [k, v] of Object.entries(labels)) e.setLabel(k, v);
        for (const [k, v] of Object.entries(fields)) e.setField(k, v);
      } catch (err) {
        e.release();
        throw err;
      }
      return e.submit();
    });
  },
};

test('the limits are the library constants the vectors name', () => {
  assert.deepEqual(V.limits, {
    max_labels: 64,
    max_fields: 1024,
    max_key_bytes: 1024,
    max_message_bytes: 262144,
    max_record_bytes: 1048576,
  });
  assert.ok(V.cases.length >= 10);
});

for (const [api, run] of Object.entries(APIS)) {
  for (const lanes of [false, true]) {
    // With lanes, log() sends a record within every limit with its header checked only
    // (logcap_pipeline_submit_trusted_record): the batcher must then find nothing malformed.
    test(`limit vectors through ${api}${lanes ? ', with lanes' : ''}: one code, one counter`, async () => {
      const p = logcap.open({ queue: { lanes }, sinks: [{ type: 'null' }] });
      for (const c of V.cases) {
        const before = p.stats();
        assert.equal(run(p, c), c.result, `${api}, ${c.name}`);
        const after = p.stats();
        const refused = c.result === 'LOGCAP_RESULT_LIMIT' ? 1 : 0;
        assert.deepEqual(
          [after.refusedLimit - before.refusedLimit, after.submitted - before.submitted],
          [refused, 1 - refused],
          `${api}, ${c.name}`,
        );
      }
      await p.flush();
      const s = p.stats();
      assert.deepEqual([s.droppedMalformed, s.accepted], [0, s.submitted], api);
      await p.close();
    });
  }
}

test('below the minimum level, log() and the entry API are counted alike', async () => {
  const p = logcap.open({ min_level: 'warn', sinks: [{ type: 'null' }] });
  assert.equal(p.info('filtered'), true);
  const e = p.acquire();
  e.setMessage('filtered too');
  assert.equal(e.submit(), true);
  const s = p.stats();
  assert.equal(s.submitted, 2);
  assert.equal(s.droppedLevel, 2);
  await p.close();
});
