'use strict';
// The declarations in lib/ffi.js are the header's prototypes, all of them.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { REPO } = require('../support/helpers');
const ffi = require('../lib/ffi');

const HEADER = fs.readFileSync(path.join(REPO, 'include', 'logcap.h'), 'utf8');

/** Every function prototype in the header, whitespace normalised, without the `;`. */
function headerPrototypes() {
  const body = HEADER.slice(HEADER.indexOf('extern "C" {'), HEADER.lastIndexOf('#ifdef __cplusplus'));
  const withoutComments = body
    .replace(/\/\/[^\n]*/g, '')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*#[^\n]*/gm, '');
  const decls = withoutComments.split(';').map((d) => d.replace(/\s+/g, ' ').trim());
  return decls.filter((d) => /^[a-z].*\(.*\)$/.test(d)).map(normalise);
}

function normalise(p) {
  return p
    .replace(/\s+/g, ' ')
    .replace(/\( /g, '(')
    .replace(/ \)/g, ')')
    .replace(/ \*/g, ' *')
    .replace(/^extern "C" \{ /, '')
    .trim();
}

test('every function of include/logcap.h is declared, with the header\'s prototype', () => {
  const header = headerPrototypes();
  assert.ok(header.length >= 40, `found ${header.length} prototypes`);
  const ours = ffi.PROTOTYPES.map((p) => normalise(p.replace(/_Out_ /g, '')));
  assert.deepEqual([...ours].sort(), [...header].sort());
});

test('every declared function is bound at load', () => {
  for (const p of ffi.PROTOTYPES) {
    const name = /([a-z0-9_]+)\(/.exec(p)[1];
    assert.equal(typeof ffi.fn[name], 'function', name);
    assert.equal(typeof ffi.fn[name].async, 'function', name);
  }
});

test('the struct layouts match the header (sizes and offsets on this platform)', () => {
  const { koffi, types } = ffi;
  // logcap_str: a pointer and a size_t.
  assert.equal(koffi.sizeof(types.str), 16);
  // logcap_entry_view: u32 level (padded), u64 timestamp, three logcap_str, two size_t.
  assert.equal(koffi.offsetof(types.entryView, 'timestamp_ns'), 8);
  assert.equal(koffi.offsetof(types.entryView, 'message'), 16);
  assert.equal(koffi.sizeof(types.entryView), 80);
  // logcap_field_view: kind, i64, u64, f64, bool, logcap_str.
  assert.equal(koffi.offsetof(types.fieldView, 'boolean'), 32);
  assert.equal(koffi.offsetof(types.fieldView, 'str'), 40);
  assert.equal(koffi.sizeof(types.fieldView), 56);
  // The two counter structs: every field of the header's, in its order, each a uint64_t.
  for (const [name, type] of [['logcap_stats', types.stats], ['logcap_sink_stats', types.sinkStats]]) {
    const body = new RegExp(`typedef struct \\{([^}]*)\\} ${name};`).exec(HEADER)[1];
    const fields = [...body.matchAll(/^\s*uint64_t (\w+);/gm)].map((m) => m[1]);
    assert.ok(fields.length >= 13, name);
    assert.equal(koffi.sizeof(type), fields.length * 8, name);
    fields.forEach((f, i) => assert.equal(koffi.offsetof(type, f), i * 8, `${name}.${f}`));
  }
});

test('the library and the header agree on the version', () => {
  const major = /#define LOGCAP_VERSION_STRING "([^"]+)"/.exec(HEADER)[1];
  assert.equal(ffi.fn.logcap_version(), major);
  assert.equal(ffi.HEADER_VERSION, major);
  assert.equal(ffi.fn.logcap_result_text(0), 'ok');
});

test('addressOf: the address of a Buffer that owns its memory; a slice of a pool is refused', () => {
  const own = Buffer.allocUnsafeSlow(64);
  const a = ffi.addressOf(own);
  assert.ok(Number.isSafeInteger(a) && a > 0, String(a));
  assert.equal(BigInt(a), ffi.koffi.address(own));
  assert.throws(() => ffi.addressOf(Buffer.from('pooled')), TypeError);
  assert.throws(() => ffi.addressOf(own.subarray(1)), TypeError);
});
