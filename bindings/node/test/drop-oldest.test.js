'use strict';
// drop_oldest at the intake queue and at a sink's queue: the entries that survive a full
// queue are the newest, and the evictions are counted under their reason.
//
// A callback sink's thread calls into JS and waits until the event loop runs the function,
// so while this test runs synchronously the callback holds its sink still, as a gate would.

const test = require('node:test');
const assert = require('node:assert/strict');
const logcap = require('..');

/** Polls the counters, synchronously, until `cond` holds (at most 60 s). */
function waitStats(p, what, cond) {
  const end = Date.now() + 60000;
  for (;;) {
    const s = p.stats();
    if (cond(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s)}`);
  }
}

function logSeq(p, from, to) {
  for (let i = from; i < to; i++) {
    assert.equal(p.info('request completed', { fields: { seq: i } }), true, `seq ${i} refused`);
  }
}

const range = (from, to) => Array.from({ length: to - from }, (_, i) => from + i);

test('a full intake queue under drop_oldest keeps the newest entries', async () => {
  const seen = [];
  const p = logcap.open(
    {
      queue: { capacity: 8, when_full: 'drop_oldest' },
      batch: { max_entries: 1, max_delay_ms: 1 },
      sinks: [{ type: 'callback', name: 'gate', queue_capacity: 1, when_full: 'block', block_timeout_ms: 600000 }],
    },
    { callbacks: { gate: (b) => seen.push(...b.entries.map((e) => e.fields.seq)) } },
  );
  // Entry 0 in the callback (waiting for this loop), entry 1 in the sink's queue of one,
  // entry 2 in the batcher's hand: 3 received means entry 0 has left the sink's queue.
  logSeq(p, 0, 1);
  waitStats(p, 'entry 0 offered', (s) => s.sinks[0].received === 1);
  logSeq(p, 1, 2);
  waitStats(p, 'entry 1 offered', (s) => s.sinks[0].received === 2);
  logSeq(p, 2, 3);
  waitStats(p, 'entry 2 offered', (s) => s.sinks[0].received === 3 && s.queued === 0);
  logSeq(p, 3, 16);
  let s = p.stats();
  assert.equal(s.queued, 8);
  assert.equal(s.droppedQueueEvicted, 5);
  await p.close();
  assert.deepEqual(seen, [...range(0, 3), ...range(8, 16)], 'the newest entries survive, in order');
  s = p.stats();
  assert.equal(s.submitted, 16);
  assert.equal(s.accepted, 11);
  assert.equal(s.droppedQueueEvicted, 5);
  assert.equal(s.droppedQueueFull + s.droppedQueueTimeout + s.droppedLevel, 0);
  assert.deepEqual([s.sinks[0].received, s.sinks[0].delivered, s.sinks[0].dropped], [11, 11, 0]);
});

test('a full sink queue under drop_oldest keeps the newest batches', async () => {
  const seen = [];
  const p = logcap.open(
    {
      queue: { capacity: 1024, when_full: 'block', block_timeout_ms: 600000 },
      batch: { max_entries: 1, max_delay_ms: 1 },
      sinks: [{ type: 'callback', name: 'gate', queue_capacity: 4, when_full: 'drop_oldest' }],
    },
    { callbacks: { gate: (b) => seen.push(...b.entries.map((e) => e.fields.seq)) } },
  );
  logSeq(p, 0, 1);
  waitStats(p, 'batch 0 offered', (s) => s.sinks[0].received === 1 && s.sinks[0].queuedBatches === 0);
  logSeq(p, 1, 11);
  let s = waitStats(p, 'every batch offered', (st) => st.sinks[0].received === 11);
  // The sink's thread took at most one batch (the one it now waits in, almost surely batch
  // 0) before this loop stopped running callbacks; the queue of 4 kept the newest.
  const held = s.sinks[0].queuedBatches === 4 ? 11 - 4 - s.sinks[0].dropped : -1;
  assert.ok(held === 0 || held === 1, `sink counters ${JSON.stringify(s.sinks[0])}`);
  await p.close();
  assert.deepEqual(seen.slice(-4), range(7, 11), 'the newest batches survive, in order');
  assert.equal(seen.length, 4 + held);
  if (held === 1) assert.ok(seen[0] < 7);
  s = p.stats();
  assert.equal(s.droppedQueueEvicted, 0);
  const k = s.sinks[0];
  assert.deepEqual([k.received, k.delivered, k.dropped, k.failed], [11, seen.length, 11 - seen.length, 0]);
});
