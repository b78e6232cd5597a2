'use strict';
// Entry: one pooled log entry, filled through the handle API and then submitted or released.

const { fn } = require('./ffi');
// Bound once: the table holds every function of the library, and a lookup in it per call
// is a slow dictionary lookup.
const {
  logcap_acquire,
  logcap_entry_clone,
  logcap_entry_counts,
  logcap_entry_delete_field,
  logcap_entry_delete_label,
  logcap_entry_get_field,
  logcap_entry_get_label,
  logcap_entry_get_message,
  logcap_entry_get_meta,
  logcap_entry_set_field_bool,
  logcap_entry_set_field_f64,
  logcap_entry_set_field_i64,
  logcap_entry_set_field_str,
  logcap_entry_set_field_u64,
  logcap_entry_set_level,
  logcap_entry_set_message,
  logcap_entry_set_span_id,
  logcap_entry_set_timestamp,
  logcap_entry_set_trace_id,
  logcap_release,
  logcap_set_label,
} = fn;
const { lastError, codes } = require('./errors');
const { KEY, VALUE, OUT, requireString } = require('./strings');
const values = require('./values');

/**
 * Entries that are garbage collected while still acquired go back to their pool. The C ABI
 * checks handles, so a release of a handle that was consumed in the meantime would only be
 * refused (STALE_HANDLE); entries are unregistered when consumed all the same, so that no
 * release ever runs for a handle that has ended.
 */
const unreleased = new FinalizationRegistry((handle) => {
  logcap_release(handle);
});

function check(rc, op) {
  if (rc !== 0) throw lastError(rc, op);
}

/** Whether a submit result means the entry was consumed (submitted, or dropped and counted). */
function consumedBy(rc) {
  return !(
    rc === codes.NULL_ARGUMENT ||
    rc === codes.INVALID_HANDLE ||
    rc === codes.STALE_HANDLE ||
    rc === codes.WRONG_PIPELINE
  );
}

const OUT_LEN = [0];
const OUT_LEN2 = [0];
/**
 * The out-parameter of acquire and clone: koffi writes a pointer into a typed array directly,
 * which costs a third of the one-element-array form on the handle API's hottest call.
 */
const OUT_HANDLE = new BigUint64Array(1);

/** A new entry handle from `call(out)`, or the LogcapError. */
function handleFrom(rc, op) {
  if (rc !== 0) throw lastError(rc, op);
  return OUT_HANDLE[0];
}

class Entry {
  /** @internal Use pipeline.acquire(). */
  constructor(pipeline, handle) {
    this._pipeline = pipeline;
    this._h = handle;
    unreleased.register(this, handle, this);
  }

  /** The pipeline this entry was acquired from. */
  get pipeline() {
    return this._pipeline;
  }

  _ended() {
    unreleased.unregister(this);
  }

  // ---- labels ----

  /** Sets a label (a low-cardinality stream label), replacing its value if set. */
  setLabel(key, value) {
    const k = KEY.put(requireString(key, 'key'));
    const v = VALUE.put(requireString(value, 'label value'));
    check(logcap_set_label(this._h, KEY.buf, k, VALUE.buf, v), 'setLabel');
    return this;
  }

  /** A label's value, or undefined when it is not set. */
  getLabel(key) {
    const k = KEY.put(requireString(key, 'key'));
    for (;;) {
      const rc = logcap_entry_get_label(this._h, KEY.buf, k, OUT.buf, OUT.buf.length, OUT_LEN);
      if (rc === 0) return OUT.text(OUT_LEN[0]);
      if (rc === codes.NOT_FOUND) return undefined;
      if (rc === codes.BUFFER_TOO_SMALL) {
        OUT.reserve(OUT_LEN[0]);
        continue;
      }
      throw lastError(rc, 'getLabel');
    }
  }

  /** Removes a label; false when it was not set. */
  deleteLabel(key) {
    const k = KEY.put(requireString(key, 'key'));
    const rc = logcap_entry_delete_label(this._h, KEY.buf, k);
    if (rc === codes.NOT_FOUND) return false;
    check(rc, 'deleteLabel');
    return true;
  }

  // ---- fields ----

  /** Sets a string field. */
  setString(key, value) {
    const k = KEY.put(requireString(key, 'key'));
    const v = VALUE.put(requireString(value, 'value'));
    check(logcap_entry_set_field_str(this._h, KEY.buf, k, VALUE.buf, v), 'setString');
    return this;
  }

  /** Sets an i64 field from a safe integer (or a bigint in the i64 range). */
  setInt(key, value) {
    // A safe integer goes as it is; anything else is checked (and made a bigint) first.
    const v = Number.isSafeInteger(value) ? value : values.checkTyped(values.T_I64, value, `field ${key}`);
    const k = KEY.put(requireString(key, 'key'));
    check(logcap_entry_set_field_i64(this._h, KEY.buf, k, v), 'setInt');
    return this;
  }

  /** Sets an integer field from a bigint: i64, or u64 above the i64 maximum. */
  setBigInt(key, value) {
    if (typeof value !== 'bigint') throw new TypeError(`field ${key}: setBigInt needs a bigint`);
    const k = KEY.put(requireString(key, 'key'));
    const t = values.typeOf(value, key);
    const f = t === values.T_U64 ? logcap_entry_set_field_u64 : logcap_entry_set_field_i64;
    check(f(this._h, KEY.buf, k, value), 'setBigInt');
    return this;
  }

  /** Sets an f64 field (NaN and the infinities are allowed). */
  setFloat(key, value) {
    const k = KEY.put(requireString(key, 'key'));
    if (typeof value !== 'number') throw new TypeError(`field ${key}: setFloat needs a number`);
    check(logcap_entry_set_field_f64(this._h, KEY.buf, k, value), 'setFloat');
    return this;
  }

  /** Sets a boolean field. */
  setBool(key, value) {
    const k = KEY.put(requireString(key, 'key'));
    if (typeof value !== 'boolean') throw new TypeError(`field ${key}: setBool needs a boolean`);
    check(logcap_entry_set_field_bool(this._h, KEY.buf, k, value), 'setBool');
    return this;
  }

  /**
   * Sets a field. Without `type`, the value's JS type chooses: string → str, boolean → bool,
   * bigint → i64 (u64 above the i64 maximum), safe integer → i64, other number → f64, and a
   * logcap.f64()/i64()/u64()/str() value its own type. With `type` ('str', 'i64', 'u64', 'f64'
   * or 'bool') the value must fit it. Anything else (an object, null, undefined …) is a TypeError.
   */
  setField(key, value, type) {
    let t;
    if (type !== undefined) {
      t = values.TYPE_CODES[type];
      if (t === undefined) throw new TypeError(`unknown field type ${String(type)}`);
      value = values.checkTyped(t, value instanceof values.TypedValue ? value.value : value, `field ${key}`);
    } else {
      t = values.typeOf(value, key);
      if (t < 0) throw new TypeError(`field ${key}: cannot set undefined`);
      if (value instanceof values.TypedValue) value = value.value;
    }
    const k = KEY.put(requireString(key, 'key'));
    let rc;
    switch (t) {
      case values.T_STR: {
        const v = VALUE.put(value);
        rc = logcap_entry_set_field_str(this._h, KEY.buf, k, VALUE.buf, v);
        break;
      }
      case values.T_I64:
        rc = logcap_entry_set_field_i64(this._h, KEY.buf, k, value);
        break;
      case values.T_U64:
        rc = logcap_entry_set_field_u64(this._h, KEY.buf, k, value);
        break;
      case values.T_F64:
        rc = logcap_entry_set_field_f64(this._h, KEY.buf, k, value);
        break;
      default:
        rc = logcap_entry_set_field_bool(this._h, KEY.buf, k, value);
    }
    check(rc, 'setField');
    return this;
  }

  /**
   * A field's value, or undefined when it is not set: a string, a boolean, a number (f64, and
   * i64/u64 values that are safe integers) or a bigint (i64/u64 values beyond 2^53).
   */
  getField(key) {
    const f = this.getTypedField(key);
    if (f === undefined) return undefined;
    if (typeof f.value === 'bigint') {
      const n = Number(f.value);
      if (Number.isSafeInteger(n)) return n;
    }
    return f.value;
  }

  /**
   * A field with its type, or undefined: `{type: 'i64', value: 200n}`. i64 and u64 values are
   * always bigints here.
   */
  getTypedField(key) {
    const k = KEY.put(requireString(key, 'key'));
    for (;;) {
      const view = {};
      const rc = logcap_entry_get_field(this._h, KEY.buf, k, OUT.buf, OUT.buf.length, view);
      if (rc === codes.NOT_FOUND) return undefined;
      if (rc === codes.BUFFER_TOO_SMALL) {
        OUT.reserve(Number(view.str.len));
        continue;
      }
      check(rc, 'getField');
      return fieldValue(view, () => OUT.text(Number(view.str.len)));
    }
  }

  /** Removes a field; false when it was not set. */
  deleteField(key) {
    const k = KEY.put(requireString(key, 'key'));
    const rc = logcap_entry_delete_field(this._h, KEY.buf, k);
    if (rc === codes.NOT_FOUND) return false;
    check(rc, 'deleteField');
    return true;
  }

  /** How many labels and fields are set. */
  counts() {
    check(logcap_entry_counts(this._h, OUT_LEN, OUT_LEN2), 'counts');
    return { labels: Number(OUT_LEN[0]), fields: Number(OUT_LEN2[0]) };
  }

  // ---- message, level, time, trace context ----

  setMessage(message) {
    const n = VALUE.put(requireString(message, 'message'));
    check(logcap_entry_set_message(this._h, VALUE.buf, n), 'setMessage');
    return this;
  }

  getMessage() {
    for (;;) {
      const rc = logcap_entry_get_message(this._h, OUT.buf, OUT.buf.length, OUT_LEN);
      if (rc === 0) return OUT.text(OUT_LEN[0]);
      if (rc === codes.BUFFER_TOO_SMALL) {
        OUT.reserve(OUT_LEN[0]);
        continue;
      }
      throw lastError(rc, 'getMessage');
    }
  }

  /** Sets the level: a name ('info') or a number (0 trace … 5 fatal). */
  setLevel(level) {
    check(logcap_entry_set_level(this._h, values.levelOf(level)), 'setLevel');
    return this;
  }

  /** The level's name. */
  getLevel() {
    const level = [0];
    check(logcap_entry_get_meta(this._h, level, null), 'getLevel');
    return values.LEVEL_NAMES[level[0]];
  }

  /** Sets the time: a bigint (ns since the Unix epoch) or a Date; 0n means "stamp at submit". */
  setTime(time) {
    check(logcap_entry_set_timestamp(this._h, values.timeOf(time)), 'setTime');
    return this;
  }

  /** The time in ns since the Unix epoch (0n until set or submitted). */
  getTime() {
    const ts = [0];
    check(logcap_entry_get_meta(this._h, null, ts), 'getTime');
    return BigInt(ts[0]);
  }

  /** Sets the trace id; '' clears it. */
  setTraceId(id) {
    const n = VALUE.put(requireString(id, 'trace id'));
    check(logcap_entry_set_trace_id(this._h, VALUE.buf, n), 'setTraceId');
    return this;
  }

  /** Sets the span id; '' clears it. */
  setSpanId(id) {
    const n = VALUE.put(requireString(id, 'span id'));
    check(logcap_entry_set_span_id(this._h, VALUE.buf, n), 'setSpanId');
    return this;
  }

  // ---- lifetime ----

  /** A deep copy: a new entry of the same pipeline, owned by the caller. */
  clone() {
    const h = handleFrom(logcap_entry_clone(this._h, OUT_HANDLE), 'clone');
    return new Entry(this._pipeline, h);
  }

  /**
   * Submits the entry to its pipeline; the entry must not be used afterwards. Returns true,
   * or false when the queue policy dropped it (counted in stats()). Throws LogcapError
   * (CLOSED after close, STALE_HANDLE after submit or release).
   */
  submit() {
    return this._pipeline.submit(this);
  }

  /** Returns the entry to its pool without submitting it; it must not be used afterwards. */
  release() {
    const rc = logcap_release(this._h);
    check(rc, 'release');
    this._ended();
  }
}

/** A logcap_field_view as {type, value}; `str` reads the string value. */
function fieldValue(view, str) {
  switch (view.kind) {
    case values.T_STR:
      return { type: 'str', value: str() };
    case values.T_I64:
      return { type: 'i64', value: BigInt(view.i64) };
    case values.T_U64:
      return { type: 'u64', value: BigInt(view.u64) };
    case values.T_F64:
      return { type: 'f64', value: view.f64 };
    case values.T_BOOL:
      return { type: 'bool', value: view.boolean };
    default:
      throw new Error(`logcap: unknown field kind ${view.kind}`);
  }
}

/** Acquires an entry of `pipeline` (see Pipeline.acquire). */
function acquire(pipeline) {
  const h = handleFrom(logcap_acquire(pipeline._ptr, OUT_HANDLE), 'acquire');
  return new Entry(pipeline, h);
}

module.exports = { Entry, acquire, fieldValue, consumedBy };
