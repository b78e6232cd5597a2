'use strict';
// Dead-letter replay from Node: the count is what the pipeline took into its queue; entries
// its minimum level drops stay in the file; leftovers of an unfinished replay are read first.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const logcap = require('..');
const { tmpdir } = require('../support/helpers');

const record = (level, msg) =>
  JSON.stringify({
    entry: { ts: '2026-11-27T20:42:08.000000001Z', level, msg, labels: {}, fields: { n: 1 } },
    sink: 'loki-0',
    error: 'HTTP 400',
    attempts: 1,
    time: '2026-11-27T20:42:09Z',
  });

test('replay counts what the pipeline queued and keeps what it dropped', async () => {
  const dir = tmpdir();
  const file = path.join(dir, 'dead.jsonl');
  const infos = [0, 1, 2].map((i) => record('info', `info-${i}`));
  fs.writeFileSync(file, [...infos, record('warn', 'warn-0'), record('fatal', 'fatal-0')].join('\n') + '\n');
  const left = `${file}.replay-999999-2`;
  fs.writeFileSync(left, record('error', 'left-0') + '\n');

  const got = [];
  const p = logcap.open(
    { min_level: 'warn', batch: { max_delay_ms: 1 }, sinks: [{ type: 'callback', name: 'cb' }] },
    { callbacks: { cb: (b) => got.push(...b.entries.map((e) => e.message)) } },
  );
  assert.equal(p.replayDeadLetters(file), 3);
  await p.close();
  assert.deepEqual(got, ['left-0', 'warn-0', 'fatal-0']);
  assert.equal(fs.readFileSync(file, 'utf8'), infos.join('\n') + '\n', 'the info entries stay in the file');
  assert.equal(fs.existsSync(left), false);
  assert.deepEqual(fs.readdirSync(dir), ['dead.jsonl']);
});
