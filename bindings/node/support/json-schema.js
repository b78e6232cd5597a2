'use strict';
// A small JSON Schema validator (the 2020-12 keywords schemars writes, and draft-07's
// `definitions`), for test/config-schema.test.js. Not part of the package.
//
// validate(schema, value) returns a list of errors, each "path: what", empty when the value
// is valid. Supported: $ref (local), $defs/definitions, allOf, anyOf, oneOf, not, type,
// enum, const, properties, required, additionalProperties, unevaluatedProperties (over the
// properties that this schema and its valid subschemas evaluated), items, prefixItems,
// minItems, maxItems, uniqueItems, minimum, maximum, exclusiveMinimum, exclusiveMaximum,
// minLength, maxLength, pattern, minProperties. Annotations (description, default, format,
// title, examples) are ignored.

function typeOf(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function hasType(v, t) {
  const actual = typeOf(v);
  return actual === t || (t === 'number' && actual === 'integer');
}

function equal(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function resolve(root, ref) {
  if (!ref.startsWith('#')) throw new Error(`json-schema: only local $ref is supported, not ${ref}`);
  let at = root;
  for (const part of ref.slice(1).split('/').filter(Boolean)) {
    at = at[decodeURIComponent(part.replace(/~1/g, '/').replace(/~0/g, '~'))];
    if (at === undefined) throw new Error(`json-schema: $ref ${ref} does not resolve`);
  }
  return at;
}

// Checks `value` against `schema`; returns { errors, evaluated } where `evaluated` is the set
// of property names this schema (with its in-place subschemas) evaluated.
function check(root, schema, value, path) {
  const errors = [];
  const evaluated = new Set();
  if (schema === true || schema === undefined) return { errors, evaluated };
  if (schema === false) return { errors: [`${path}: no value is allowed here`], evaluated };
  const sub = (s, v = value, p = path) => check(root, s, v, p);
  const merge = (r) => r.evaluated.forEach((k) => evaluated.add(k));

  if (schema.$ref) {
    const r = sub(resolve(root, schema.$ref));
    errors.push(...r.errors);
    merge(r);
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => hasType(value, t))) errors.push(`${path}: ${typeOf(value)}, expected ${types.join(' or ')}`);
  }
  if (schema.enum && !schema.enum.some((e) => equal(e, value))) {
    errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  }
  if ('const' in schema && !equal(schema.const, value)) {
    errors.push(`${path}: ${JSON.stringify(value)} is not ${JSON.stringify(schema.const)}`);
  }
  for (const s of schema.allOf || []) {
    const r = sub(s);
    errors.push(...r.errors);
    merge(r);
  }
  if (schema.anyOf) {
    const ok = schema.anyOf.map((s) => sub(s)).filter((r) => r.errors.length === 0);
    if (ok.length === 0) errors.push(`${path}: matches none of anyOf`);
    ok.forEach(merge);
  }
  if (schema.oneOf) {
    const results = schema.oneOf.map((s) => sub(s));
    const ok = results.filter((r) => r.errors.length === 0);
    if (ok.length !== 1) {
      const why = ok.length === 0 ? results.map((r) => r.errors[0]).join('; ') : `${ok.length} match`;
      errors.push(`${path}: must match exactly one of oneOf (${why})`);
    }
    ok.forEach(merge);
  }
  if (schema.not && sub(schema.not).errors.length === 0) errors.push(`${path}: matches "not"`);

  if (typeOf(value) === 'object') {
    const props = schema.properties || {};
    for (const k of schema.required || []) {
      if (!(k in value)) errors.push(`${path}: ${k} is required`);
    }
    if (schema.minProperties !== undefined && Object.keys(value).length < schema.minProperties) {
      errors.push(`${path}: fewer than ${schema.minProperties} properties`);
    }
    for (const [k, v] of Object.entries(value)) {
      if (k in props) {
        errors.push(...sub(props[k], v, `${path}.${k}`).errors);
        evaluated.add(k);
      } else if (schema.additionalProperties !== undefined) {
        errors.push(...sub(schema.additionalProperties, v, `${path}.${k}`).errors);
        evaluated.add(k);
      }
    }
    if (schema.unevaluatedProperties !== undefined) {
      for (const [k, v] of Object.entries(value)) {
        if (!evaluated.has(k)) errors.push(...sub(schema.unevaluatedProperties, v, `${path}.${k}`).errors);
      }
    }
  }
  if (Array.isArray(value)) {
    const prefix = schema.prefixItems || [];
    value.forEach((v, i) => {
      const s = i < prefix.length ? prefix[i] : schema.items;
      if (s !== undefined) errors.push(...sub(s, v, `${path}[${i}]`).errors);
    });
    if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${path}: fewer than ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) errors.push(`${path}: more than ${schema.maxItems} items`);
    if (schema.uniqueItems && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) {
      errors.push(`${path}: items are not unique`);
    }
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${path}: below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${path}: above ${schema.maximum}`);
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) {
      errors.push(`${path}: not above ${schema.exclusiveMinimum}`);
    }
    if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) {
      errors.push(`${path}: not below ${schema.exclusiveMaximum}`);
    }
  }
  if (typeof value === 'string') {
    const n = [...value].length;
    if (schema.minLength !== undefined && n < schema.minLength) errors.push(`${path}: shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && n > schema.maxLength) errors.push(`${path}: longer than ${schema.maxLength}`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
      errors.push(`${path}: does not match ${schema.pattern}`);
    }
  }
  return { errors, evaluated };
}

/** The errors of `value` against `schema` ([] when valid). */
function validate(schema, value) {
  return check(schema, schema, value, '$').errors;
}

module.exports = { validate, resolve };
