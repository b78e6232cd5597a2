'use strict';
// index.d.ts's Config against docs/config.schema.json, the JSON Schema generated from the Rust
// configuration types. support/types/configs.ts holds configurations typed as Config: tsc
// (test/types.test.js) makes sure the types accept `valid` and refuse `invalid`; here the schema
// must do the same, and the valid ones must between them use every key the schema knows for
// the top level and for each sink type, and every sink type, so that a key or a sink added on
// the Rust side fails this test until the TypeScript types (and the samples) have it too.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const ts = require('typescript');
const { validate, resolve } = require('../support/json-schema');

const SCHEMA_FILE = path.join(__dirname, '..', '..', '..', 'docs', 'config.schema.json');
const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8'));

// support/types/configs.ts, compiled in memory to CommonJS (its imports are types only).
function loadSamples() {
  const file = path.join(__dirname, '..', 'support', 'types', 'configs.ts');
  const { outputText } = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  });
  const m = new Module(file);
  m.filename = file;
  m._compile(outputText, file);
  return m.exports;
}
const samples = loadSamples();

// A schema that is only a $ref, followed.
const deref = (s) => (s && s.$ref && Object.keys(s).length === 1 ? deref(resolve(schema, s.$ref)) : s);

// The schemas a value may match: the branches of oneOf/anyOf, $refs followed, a bare schema as itself.
function branches(s) {
  s = deref(s);
  const list = s.oneOf || s.anyOf;
  return list ? list.flatMap(branches) : [s];
}

// Every property name a schema lists, with those of what it refers to and its allOf parts.
function propertyNames(s) {
  return [
    ...Object.keys(s.properties || {}),
    ...(s.$ref ? propertyNames(resolve(schema, s.$ref)) : []),
    ...(s.allOf || []).flatMap(propertyNames),
  ];
}

// The sink schemas by type name.
function sinkSchemas() {
  const sinks = deref(schema.properties.sinks);
  const items = branches(sinks).find((b) => b.items).items;
  const byType = new Map();
  for (const b of branches(items)) {
    const t = deref(b.properties.type);
    for (const name of t.const !== undefined ? [t.const] : t.enum) byType.set(name, b);
  }
  return byType;
}

test('the schema is a JSON Schema of an object with the configuration keys', () => {
  assert.match(schema.$schema, /json-schema\.org/);
  assert.equal(schema.type, 'object');
  assert.ok(schema.properties.sinks && schema.properties.min_level);
});

test('every configuration the TypeScript types accept is valid against the schema', () => {
  assert.ok(samples.valid.length >= 4);
  for (const [i, config] of samples.valid.entries()) {
    assert.deepEqual(validate(schema, config), [], `valid[${i}]: ${JSON.stringify(config)}`);
  }
});

test('every configuration the TypeScript types refuse is invalid against the schema', () => {
  assert.ok(samples.invalid.length >= 10);
  for (const [i, config] of samples.invalid.entries()) {
    assert.notDeepEqual(validate(schema, config), [], `invalid[${i}] passed: ${JSON.stringify(config)}`);
  }
});

test('the sink types of the schema are those of the TypeScript union', () => {
  assert.deepEqual([...sinkSchemas().keys()].sort(), [...samples.sinkTypes].sort());
});

test('the samples use every key the schema has, at the top level and for each sink type', () => {
  const used = new Set(samples.valid.flatMap((c) => Object.keys(c)));
  assert.deepEqual([...used].sort(), Object.keys(schema.properties).sort());
  for (const [type, s] of sinkSchemas()) {
    const keys = new Set(
      samples.valid.flatMap((c) => (c.sinks || []).filter((k) => k.type === type).flatMap((k) => Object.keys(k))),
    );
    assert.deepEqual([...keys].sort(), [...new Set(propertyNames(s))].sort(), `sink type ${type}`);
  }
});
