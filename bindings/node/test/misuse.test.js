'use strict';
// Misuse: every case gives a LogcapError with its code, or a TypeError/RangeError for values
// JS can check itself; nothing crashes.

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const logcap = require('..');
const ffi = require('../lib/ffi');
const { NULL_CONFIG, tmpdir } = require('../support/helpers');

const { LogcapError } = logcap;

/** assert.throws for a LogcapError of `codeName`, optionally with `text` in its message. */
function throwsCode(f, codeName, text) {
  assert.throws(f, (e) => {
    assert.ok(e instanceof LogcapError, `${e && e.stack}`);
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'LogcapError');
    assert.equal(e.codeName, codeName, e.message);
    assert.equal(e.code, `LOGCAP_RESULT_${codeName}`);
    assert.equal(e.result, logcap.codes[codeName]);
    if (text) assert.ok(e.message.includes(text), e.message);
    return true;
  });
}

/** Every entry call, each expected to fail with `codeName`. */
function everyEntryCall(e, codeName) {
  const calls = {
    setLabel: () => e.setLabel('k', 'v'),
    getLabel: () => e.getLabel('k'),
    deleteLabel: () => e.deleteLabel('k'),
    setString: () => e.setString('k', 'v'),
    setInt: () => e.setInt('k', 1),
    setBigInt: () => e.setBigInt('k', 1n),
    setFloat: () => e.setFloat('k', 1.5),
    setBool: () => e.setBool('k', true),
    setField: () => e.setField('k', 1),
    getField: () => e.getField('k'),
    getTypedField: () => e.getTypedField('k'),
    deleteField: () => e.deleteField('k'),
    counts: () => e.counts(),
    setMessage: () => e.setMessage('m'),
    getMessage: () => e.getMessage(),
    setLevel: () => e.setLevel('warn'),
    getLevel: () => e.getLevel(),
    setTime: () => e.setTime(1n),
    getTime: () => e.getTime(),
    setTraceId: () => e.setTraceId('t'),
    setSpanId: () => e.setSpanId('s'),
    clone: () => e.clone(),
    submit: () => e.submit(),
    release: () => e.release(),
  };
  for (const [name, call] of Object.entries(calls)) {
    assert.throws(call, (err) => {
      assert.ok(err instanceof LogcapError, `${name}: ${err}`);
      assert.equal(err.codeName, codeName, `${name}: ${err.message}`);
      // The message names the operation, then the library's detail.
      const op = name === 'getTypedField' ? 'getField' : name;
      assert.ok(err.message.startsWith(`${op}: `), err.message);
      return true;
    });
  }
}

test('use after submit: STALE_HANDLE from every entry call, saying why', async () => {
  const p = logcap.open(NULL_CONFIG);
  const e = p.acquire();
  e.submit();
  throwsCode(() => e.setLabel('k', 'v'), 'STALE_HANDLE', 'submitted');
  everyEntryCall(e, 'STALE_HANDLE');
  await p.close();
});

test('use after release, and release twice: STALE_HANDLE', async () => {
  const p = logcap.open(NULL_CONFIG);
  const e = p.acquire();
  e.release();
  throwsCode(() => e.release(), 'STALE_HANDLE', 'released');
  everyEntryCall(e, 'STALE_HANDLE');
  // The stale handle's slot is reused: the new entry is untouched by the old handle.
  const fresh = p.acquire().setLabel('owner', 'fresh');
  throwsCode(() => e.setLabel('owner', 'old'), 'STALE_HANDLE');
  assert.equal(fresh.getLabel('owner'), 'fresh');
  fresh.release();
  await p.close();
});

test('an entry of another pipeline: WRONG_PIPELINE, and it stays its owner\'s', async () => {
  const p = logcap.open(NULL_CONFIG);
  const q = logcap.open(NULL_CONFIG);
  const e = p.acquire().setLabel('k', 'v');
  throwsCode(() => q.submit(e), 'WRONG_PIPELINE');
  e.setLabel('still', 'mine');
  assert.equal(e.submit(), true);
  await Promise.all([p.close(), q.close()]);
  assert.equal(p.stats().submitted, 1);
  assert.equal(q.stats().submitted, 0);
});

test('use after close: CLOSED for log, acquire, submit, flush; close again is fine', async () => {
  const p = logcap.open(NULL_CONFIG);
  const held = p.acquire();
  const child = p.child({ a: 'b' });
  await p.close();
  throwsCode(() => p.info('late'), 'CLOSED');
  throwsCode(() => child.info('late'), 'CLOSED');
  throwsCode(() => p.log('info', 'late'), 'CLOSED');
  throwsCode(() => p.acquire(), 'CLOSED');
  throwsCode(() => p.submitRecord(logcap.encodeRecord({ message: 'late' })), 'CLOSED');
  // An entry acquired before close can be filled, not submitted; the submit consumed it.
  held.setLabel('k', 'v');
  throwsCode(() => held.submit(), 'CLOSED');
  throwsCode(() => held.release(), 'STALE_HANDLE');
  await assert.rejects(p.flush(), (e) => e instanceof LogcapError && e.codeName === 'CLOSED');
  await p.close();
  // Reading is still allowed.
  assert.equal(p.stats().submitted, 0);
  assert.equal(p.minLevel(), 'trace');
});

test('wrong types are TypeErrors (or RangeErrors), raised before any call', async () => {
  const p = logcap.open(NULL_CONFIG);
  const e = p.acquire();
  assert.throws(() => e.setField('obj', { a: 1 }), TypeError);
  assert.throws(() => e.setField('null', null), TypeError);
  assert.throws(() => e.setField('undef', undefined), TypeError);
  assert.throws(() => e.setField('fn', () => 1), TypeError);
  assert.throws(() => e.setField('sym', Symbol('s')), TypeError);
  assert.throws(() => e.setField('k', 'text', 'i64'), TypeError);
  assert.throws(() => e.setField('k', 1.5, 'i64'), TypeError);
  assert.throws(() => e.setField('k', -1, 'u64'), RangeError);
  assert.throws(() => e.setField('k', 1, 'decimal'), TypeError);
  assert.throws(() => e.setField(42, 'v'), TypeError);
  assert.throws(() => e.setLabel('k', 5), TypeError);
  assert.throws(() => e.setString('k', 5), TypeError);
  assert.throws(() => e.setInt('k', 1.5), TypeError);
  assert.throws(() => e.setInt('k', 2n ** 63n), RangeError);
  assert.throws(() => e.setBigInt('k', 5), TypeError);
  assert.throws(() => e.setBigInt('k', 2n ** 64n), RangeError);
  assert.throws(() => e.setBigInt('k', -(2n ** 63n) - 1n), RangeError);
  assert.throws(() => e.setFloat('k', '1.5'), TypeError);
  assert.throws(() => e.setBool('k', 1), TypeError);
  assert.throws(() => e.setMessage(5), TypeError);
  assert.throws(() => e.setLevel('verbose'), RangeError);
  assert.throws(() => e.setLevel(6), RangeError);
  assert.throws(() => e.setLevel({}), TypeError);
  assert.throws(() => e.setTime(5), TypeError);
  assert.throws(() => e.setTime(-1n), RangeError);
  assert.throws(() => logcap.u64(-1n), RangeError);
  assert.throws(() => logcap.f64('x'), TypeError);
  assert.deepEqual(e.counts(), { labels: 0, fields: 0 }, 'nothing was set');
  e.release();
  assert.throws(() => p.info('x', { fields: { obj: {} } }), TypeError);
  assert.throws(() => p.info('x', { fields: { n: null } }), TypeError);
  assert.throws(() => p.info('x', { labels: { port: 8080 } }), TypeError);
  assert.throws(() => p.info({ msg: 'x' }), TypeError);
  assert.throws(() => p.log('verbose', 'x'), RangeError);
  // Not a name found on Object.prototype either.
  assert.throws(() => p.log('toString', 'x'), RangeError);
  assert.throws(() => p.setMinLevel('constructor'), RangeError);
  assert.throws(() => p.info('x', { time: 'now' }), TypeError);
  assert.throws(() => p.child({ port: 8080 }), TypeError);
  assert.throws(() => p.submitRecord('LC'), TypeError);
  assert.throws(() => p.submit({}), TypeError);
  assert.throws(() => p.setMinLevel('loud'), RangeError);
  await assert.rejects(p.flush({ timeoutMs: -1 }), TypeError);
  await p.flush();
  assert.equal(p.stats().submitted, 0, 'a refused call submits nothing');
  await p.close();
});

test('values the library refuses: INVALID_ARGUMENT, LIMIT, MALFORMED_RECORD', async () => {
  const p = logcap.open(NULL_CONFIG);
  const e = p.acquire();
  throwsCode(() => e.setLabel('', 'v'), 'INVALID_ARGUMENT', 'empty');
  for (let i = 0; i < 64; i++) e.setLabel(`k${i}`, 'v');
  throwsCode(() => e.setLabel('one-too-many', 'v'), 'LIMIT');
  e.release();
  throwsCode(() => p.info('x', { fields: { '': 1 } }), 'MALFORMED_RECORD', 'empty_key');
  // Limits: the same code as the entry API's, from the library (test/limits.test.js).
  throwsCode(() => p.info('x', { labels: { ['k'.repeat(1025)]: 'v' } }), 'LIMIT', 'key_too_long');
  const many = {};
  for (let i = 0; i < 65; i++) many[`k${i}`] = 'v';
  throwsCode(() => p.info('x', { labels: many }), 'LIMIT', 'too_many_labels');
  await p.close();
});

test('configuration errors name the key; sinks that cannot start say so', () => {
  throwsCode(() => logcap.open({ queue: { capacity: 'big' } }), 'CONFIG', 'queue.capacity');
  throwsCode(() => logcap.open({ sinks: [{ type: 'file' }] }), 'CONFIG', 'sinks[0].path');
  throwsCode(() => logcap.open('{not json'), 'CONFIG');
  throwsCode(
    () => logcap.open({ sinks: [{ type: 'file', path: '/nonexistent/dir/x.log' }] }),
    'SINK_SETUP',
  );
  // A callback sink without a function bound.
  throwsCode(() => logcap.open({ sinks: [{ type: 'callback', name: 'cb' }] }), 'SINK_SETUP', 'cb');
  throwsCode(
    () => logcap.open({ sinks: [{ type: 'callback', name: 'cb' }] }, { callbacks: { other: () => {} } }),
    'CONFIG',
    'other',
  );
  throwsCode(
    () => logcap.open({ sinks: [{ type: 'null', name: 'n' }] }, { callbacks: { n: () => {} } }),
    'CONFIG',
  );
  assert.throws(() => logcap.open({ sinks: [{ type: 'callback', name: 'cb' }] }, { callbacks: { cb: 5 } }), TypeError);
  assert.throws(() => logcap.open(42), TypeError);
  // No callback slot leaks from the failures above.
  assert.equal(require('koffi').stats().callbacks, 0);
});

test('the library: LOGCAP_LIB, else the bundled build, else the system one, else a clear error', () => {
  const pkg = path.join(__dirname, '..');
  const run = (cwd, env, code = "process.stdout.write(require('.').libraryPath)") => {
    const e = { ...process.env, ...env };
    for (const k of Object.keys(env)) if (env[k] === undefined) delete e[k];
    return spawnSync(process.execPath, ['-e', code], { cwd, env: e, encoding: 'utf8' });
  };
  const missing = run(pkg, { LOGCAP_LIB: '/nonexistent/liblogcap.so' });
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /LOGCAP_LIB points to \/nonexistent\/liblogcap\.so, which does not exist/);

  // Copies of the package: one without a bundled library, one with it.
  const real = fs.realpathSync(logcap.libraryPath);
  const copy = (name, bundle) => {
    const dir = fs.mkdtempSync(path.join(tmpdir(), `logcap-${name}-`));
    fs.cpSync(path.join(pkg, 'lib'), path.join(dir, 'lib'), { recursive: true });
    fs.copyFileSync(path.join(pkg, 'index.js'), path.join(dir, 'index.js'));
    fs.symlinkSync(path.join(pkg, 'node_modules'), path.join(dir, 'node_modules'));
    if (bundle) {
      const where = path.join(dir, 'prebuilds', `${process.platform}-${process.arch}`);
      fs.mkdirSync(where, { recursive: true });
      fs.symlinkSync(real, path.join(where, path.basename(logcap.libraryPath)));
    }
    return dir;
  };
  const bundled = copy('bundled', true);
  const found = run(bundled, { LOGCAP_LIB: undefined });
  assert.equal(found.status, 0, found.stderr);
  assert.equal(found.stdout, path.join(bundled, 'prebuilds', `${process.platform}-${process.arch}`, 'liblogcap.so'));
  const overridden = run(bundled, { LOGCAP_LIB: real });
  assert.equal(overridden.stdout, real);

  // Without a bundled build: the system library by its SONAME, found by the dynamic loader.
  const bare = copy('bare', false);
  const soname = ffi.systemLibraryName();
  assert.match(soname, /^liblogcap\.so\.\d+(\.\d+)*$/);
  const libdir = fs.mkdtempSync(path.join(tmpdir(), 'logcap-libdir-'));
  fs.symlinkSync(real, path.join(libdir, soname));
  const system = run(bare, { LOGCAP_LIB: undefined, LD_LIBRARY_PATH: libdir });
  assert.equal(system.status, 0, system.stderr);
  assert.equal(system.stdout, soname);
  // And when the loader has none either (unless one is installed on this machine, which a
  // fresh process tells: this one has loaded the library, so dlopen finds its SONAME): an
  // error naming what is bundled, the library looked for, and LOGCAP_LIB.
  const noPath = { LOGCAP_LIB: undefined, LD_LIBRARY_PATH: undefined };
  const installed = run(bare, noPath, `require('koffi').load('${soname}')`).status === 0;
  const none = run(bare, noPath);
  if (installed) {
    assert.equal(none.stdout, soname);
  } else {
    assert.notEqual(none.status, 0);
    assert.match(none.stderr, /no library for \S+: this package bundles one for no platform/);
    assert.match(none.stderr, new RegExp(`system library ${soname.replace(/\./g, '\\.')} could not be loaded`));
    assert.match(none.stderr, /set LOGCAP_LIB/);
  }
  for (const d of [bundled, bare, libdir]) fs.rmSync(d, { recursive: true, force: true });
});

test('a library without one of the header\'s functions fails at load, naming it', (t) => {
  // Any shared library that is not logcap will do: the C library.
  const libc = [
    '/lib/x86_64-linux-gnu/libc.so.6',
    '/usr/lib/x86_64-linux-gnu/libc.so.6',
    '/lib/aarch64-linux-gnu/libc.so.6',
    '/lib64/libc.so.6',
    '/usr/lib/libc.so.6',
  ].find((f) => fs.existsSync(f));
  if (!libc) return t.skip('no libc.so.6 at a known path');
  const r = spawnSync(process.execPath, ['-e', "require('.')"], {
    cwd: path.join(__dirname, '..'),
    env: { ...process.env, LOGCAP_LIB: libc },
    encoding: 'utf8',
  });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /does not provide logcap_batch_len as declared/);
});
