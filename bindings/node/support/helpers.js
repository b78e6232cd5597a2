'use strict';
// Shared by the tests (kept out of test/, where `node --test` runs every file).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..', '..', '..');

/** tests/vectors/records.json, the packed record vectors shared by every binding. */
function vectors() {
  return JSON.parse(fs.readFileSync(path.join(REPO, 'tests', 'vectors', 'records.json'), 'utf8'));
}

/** A fresh temporary directory, removed when the process exits. */
function tmpdir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logcap-node-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A configuration with one null sink (nothing on stdout, which the test runner reads). */
const NULL_CONFIG = { sinks: [{ type: 'null', name: 'null' }] };

/** One JSON-lines file sink at `file`, batches closed fast. */
function fileConfig(file, extra = {}) {
  return {
    batch: { max_delay_ms: 5 },
    sinks: [{ type: 'file', name: 'file', path: file }],
    ...extra,
  };
}

/** The JSON lines of a file, parsed. */
function readLines(file) {
  const text = fs.readFileSync(file, 'utf8');
  if (text === '') return [];
  if (!text.endsWith('\n')) throw new Error(`${file} does not end with a newline`);
  return text.slice(0, -1).split('\n').map((l) => JSON.parse(l));
}

/** A busy wait: keeps the event loop (and so a callback sink's thread) occupied. */
function spin(ms) {
  const end = Date.now() + ms;
  while (Date.now() < end);
}

/** ts as docs/output.md specifies it. */
const TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/;

/** Checks one parsed JSON line against docs/output.md; returns a list of problems. */
function outputProblems(o) {
  const p = [];
  const keys = Object.keys(o);
  const want = ['ts', 'level', 'msg'];
  if (o.trace_id !== undefined) want.push('trace_id');
  if (o.span_id !== undefined) want.push('span_id');
  want.push('labels', 'fields');
  if (keys.join() !== want.join()) p.push(`keys ${keys.join()} (want ${want.join()})`);
  if (typeof o.ts !== 'string' || !TS.test(o.ts)) p.push(`ts ${o.ts}`);
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal'].includes(o.level)) p.push(`level ${o.level}`);
  if (typeof o.msg !== 'string') p.push('msg');
  if (typeof o.labels !== 'object' || o.labels === null) p.push('labels');
  else for (const v of Object.values(o.labels)) if (typeof v !== 'string') p.push('label value');
  if (typeof o.fields !== 'object' || o.fields === null) p.push('fields');
  return p;
}

/** The standard event (/work/shared/standard-event.json, also in docs/output.md). */
const STANDARD = {
  level: 'info',
  message: 'request completed',
  labels: { service: 'checkout', env: 'prod', host: 'web-1', region: 'eu-west-1' },
  fields: {
    method: 'GET',
    path: '/api/v1/orders/12345',
    status: 200,
    latency_ms: 12.5,
    user_id: 'u-998877',
    cache_hit: true,
  },
};

module.exports = {
  REPO,
  vectors,
  tmpdir,
  NULL_CONFIG,
  fileConfig,
  readLines,
  spin,
  TS,
  outputProblems,
  STANDARD,
};
