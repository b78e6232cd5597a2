'use strict';
// Lanes (`queue.lanes`) from Node.js: each isolate's calls go into its thread's lane, the main
// thread's and each worker's; every record arrives once and in its isolate's order, also when
// a worker exits right after logging (its lane is retired with its records in it), and every
// way in (log(), the handle API, submitRecord) keeps one order per isolate.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const logcap = require('..');
const { tmpdir, readLines } = require('../support/helpers');

const N = 20000;

/** Logs `n` records with seq 0..n-1 into a pipeline with lanes writing `file`, then closes it. */
const WORKER = `
  const { workerData, parentPort } = require('node:worker_threads');
  const logcap = require(${JSON.stringify(path.join(__dirname, '..'))});
  (async () => {
    const p = logcap.open({
      queue: { lanes: true, lane_bytes: 8192, when_full: 'block', block_timeout_ms: 60000 },
      sinks: [{ type: 'file', name: 'file', path: workerData.file }],
    });
    const log = p.child({ isolate: workerData.name });
    for (let i = 0; i < workerData.n; i++) log.info('lane', { fields: { seq: i } });
    const lanes = p.stats().lanes;
    await p.close();
    const s = p.stats();
    parentPort.postMessage({ lanes, submitted: s.submitted, accepted: s.accepted, dropped: s.droppedMalformed });
  })();
`;

function runWorker(name, file, n) {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { eval: true, workerData: { name, file, n } });
    let result;
    w.on('message', (m) => (result = m));
    w.on('error', reject);
    w.on('exit', (code) => (code === 0 ? resolve(result) : reject(new Error(`worker ${name} exited with ${code}`))));
  });
}

function seqsOf(file) {
  return readLines(file).map((l) => l.fields.seq);
}

test('every isolate logs into its own lane: each record once and in order, workers and the main thread at once', async () => {
  const dir = tmpdir();
  const files = [0, 1, 2].map((i) => path.join(dir, `worker-${i}.log`));
  const workers = files.map((f, i) => runWorker(`w${i}`, f, N));
  // The main thread logs meanwhile, through a pipeline of its own.
  const mainFile = path.join(dir, 'main.log');
  const p = logcap.open({
    queue: { lanes: true, lane_bytes: 8192, when_full: 'block', block_timeout_ms: 60000 },
    sinks: [{ type: 'file', name: 'file', path: mainFile }],
  });
  for (let i = 0; i < N; i++) p.info('lane', { fields: { seq: i } });
  const results = await Promise.all(workers);
  await p.close();
  const want = Array.from({ length: N }, (_, i) => i);
  for (const [i, r] of results.entries()) {
    assert.deepEqual(r, { lanes: 1, submitted: N, accepted: N, dropped: 0 }, `worker ${i}`);
    assert.deepEqual(seqsOf(files[i]), want, `worker ${i}`);
  }
  const s = p.stats();
  assert.deepEqual([s.submitted, s.accepted, s.droppedMalformed], [N, N, 0]);
  assert.deepEqual(seqsOf(mainFile), want);
});

test('log(), the handle API and submitRecord from one isolate keep one order in its lane', async () => {
  const file = path.join(tmpdir(), 'mixed.log');
  const p = logcap.open({ queue: { lanes: true }, sinks: [{ type: 'file', name: 'file', path: file }] });
  for (let i = 0; i < 300; i += 3) {
    p.info('mixed', { fields: { seq: i } });
    const e = p.acquire();
    e.setMessage('mixed');
    e.setInt('seq', i + 1);
    p.submit(e);
    p.submitRecord(logcap.encodeRecord({ message: 'mixed', fields: { seq: i + 2 } }));
  }
  await p.flush();
  assert.equal(p.stats().lanes, 1);
  await p.close();
  assert.deepEqual(seqsOf(file), Array.from({ length: 300 }, (_, i) => i));
});
