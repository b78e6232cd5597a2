'use strict';
// Result codes: the binding's table is the header's enum, and errors carry the code's name as
// a string (Node's convention) with the number beside it.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const logcap = require('..');

const HEADER = path.join(__dirname, '..', '..', '..', 'include', 'logcap.h');

/** The members of `enum logcap_result` in include/logcap.h, by name without the prefix. */
function headerCodes() {
  const h = fs.readFileSync(HEADER, 'utf8');
  const body = /enum logcap_result\b[^{;]*\{([^}]*)\}/.exec(h);
  assert.ok(body, 'include/logcap.h declares enum logcap_result');
  const out = {};
  for (const m of body[1].matchAll(/LOGCAP_RESULT_([A-Z_]+)\s*=\s*(\d+)/g)) out[m[1]] = Number(m[2]);
  return out;
}

test('the result codes are exactly those of include/logcap.h', () => {
  const fromHeader = headerCodes();
  assert.ok(Object.keys(fromHeader).length >= 18);
  assert.deepEqual({ ...logcap.codes }, fromHeader);
  for (const [name, n] of Object.entries(fromHeader)) assert.equal(logcap.codeName(n), name);
});

test('err.code is the header name as a string; the number is err.result', () => {
  const p = logcap.open({ sinks: [{ type: 'null' }] });
  const e = p.acquire();
  e.release();
  assert.throws(
    () => e.setLabel('k', 'v'),
    (err) => {
      assert.ok(err instanceof logcap.LogcapError);
      assert.equal(err.code, 'LOGCAP_RESULT_STALE_HANDLE');
      assert.equal(err.result, logcap.codes.STALE_HANDLE);
      assert.equal(err.codeName, 'STALE_HANDLE');
      assert.match(err.message, /^setLabel: the entry was released \(STALE_HANDLE\)$/);
      return true;
    },
  );
  assert.throws(
    () => logcap.open('{"sinks":[{"type":"null"}]} trailing'),
    (err) => err.code === 'LOGCAP_RESULT_CONFIG' && /nothing may follow/.test(err.message),
  );
  return p.close();
});
