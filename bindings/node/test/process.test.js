'use strict';
// Whole processes: logging then exiting, and the event-loop rule of callback sinks.

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { tmpdir, outputProblems } = require('../support/helpers');

const SUPPORT = path.join(__dirname, '..', 'support');

test('a child process logs 100,000 entries to a file, awaits close() and exits: every line is there', async () => {
  const file = path.join(tmpdir(), 'child.log');
  const N = 100000;
  const child = spawn(process.execPath, [path.join(SUPPORT, 'log-child.js'), file, String(N)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise((resolve) => child.on('close', resolve));
  assert.equal(code, 0, err);
  const stats = JSON.parse(out);
  assert.equal(stats.submitted, N);
  assert.equal(stats.accepted, N);
  assert.equal(stats.sinks[0].delivered, N);
  assert.equal(stats.droppedQueueFull + stats.droppedQueueTimeout + stats.sinks[0].dropped, 0);

  const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
  let count = 0;
  const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    const o = JSON.parse(line);
    const problems = outputProblems(o);
    if (problems.length) assert.fail(`line ${count + 1}: ${problems.join(', ')}: ${line}`);
    // One producer, one queue, one sink: the order is kept.
    assert.equal(o.fields.seq, count);
    assert.equal(o.level, levels[count % 6]);
    assert.equal(o.fields.path, `/api/v1/orders/${count}`);
    if (count % 1000 === 0) assert.equal(o.fields.note, 'quote " backslash \\ newline \n tab \t é 🎉');
    count++;
  }
  assert.equal(count, N);
  const raw = fs.readFileSync(file, 'utf8');
  assert.ok(raw.endsWith('\n') && !raw.includes('\r'));
  assert.equal(raw.split('\n').length, N + 1);
});

test('a process with a callback sink stays alive for its batches until close()', () => {
  const r = spawnSync(process.execPath, [path.join(SUPPORT, 'callback-child.js')], {
    encoding: 'utf8',
    timeout: 30000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'got one\ngot two\ngot three\nclosed\n');
});
