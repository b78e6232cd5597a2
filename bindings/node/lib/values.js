'use strict';
// What a log call's arguments become in a record: field values and their type codes (the
// record's types: 0 str, 1 i64, 2 u64, 3 f64, 4 bool), levels and timestamps. Checks and
// conversions only; the bytes are written by the encoder (record.js).

const T_STR = 0;
const T_I64 = 1;
const T_U64 = 2;
const T_F64 = 3;
const T_BOOL = 4;

const TYPE_CODES = { str: T_STR, i64: T_I64, u64: T_U64, f64: T_F64, bool: T_BOOL };
const TYPE_NAMES = ['str', 'i64', 'u64', 'f64', 'bool'];

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const U64_MAX = (1n << 64n) - 1n;

/**
 * A field value with an explicit type, for the cases a JS value's own type does not say:
 * `f64(200)` (a float that happens to be integral), `u64(5n)`, `i64(-1n)`, `str(...)`.
 */
class TypedValue {
  constructor(type, value) {
    const code = TYPE_CODES[type];
    if (code === undefined) throw new TypeError(`unknown field type ${String(type)}`);
    this.type = type;
    this.value = checkTyped(code, value, 'value');
    Object.freeze(this);
  }
}

function bigintRange(v, lo, hi, what, type) {
  if (v < lo || v > hi) throw new RangeError(`${what}: ${v} is out of range for ${type}`);
  return v;
}

/** Checks (and normalises) a value given with an explicit type code. */
function checkTyped(code, v, what) {
  switch (code) {
    case T_STR:
      if (typeof v !== 'string') throw new TypeError(`${what}: a str field needs a string`);
      return v;
    case T_BOOL:
      if (typeof v !== 'boolean') throw new TypeError(`${what}: a bool field needs a boolean`);
      return v;
    case T_F64:
      if (typeof v !== 'number') throw new TypeError(`${what}: an f64 field needs a number`);
      return v;
    case T_I64:
    case T_U64: {
      let b;
      if (typeof v === 'bigint') b = v;
      else if (typeof v === 'number' && Number.isSafeInteger(v)) b = BigInt(v);
      else throw new TypeError(`${what}: an ${TYPE_NAMES[code]} field needs a bigint or a safe integer`);
      return code === T_I64
        ? bigintRange(b, I64_MIN, I64_MAX, what, 'i64')
        : bigintRange(b, 0n, U64_MAX, what, 'u64');
    }
    default:
      throw new TypeError(`${what}: unknown field type`);
  }
}

/**
 * The type code a JS value is logged as: string → str, boolean → bool, bigint → i64 (u64 above
 * the i64 maximum), safe integer → i64, any other number → f64, TypedValue → its type.
 * undefined → -1 (the field is left out). Anything else is a TypeError.
 */
function typeOf(v, key) {
  switch (typeof v) {
    case 'string':
      return T_STR;
    case 'number':
      // -0 is an integer to Number.isInteger, but only f64 keeps its sign.
      return Number.isSafeInteger(v) && !(v === 0 && 1 / v < 0) ? T_I64 : T_F64;
    case 'boolean':
      return T_BOOL;
    case 'bigint':
      if (v > I64_MAX) {
        bigintRange(v, 0n, U64_MAX, `field ${key}`, 'u64');
        return T_U64;
      }
      bigintRange(v, I64_MIN, I64_MAX, `field ${key}`, 'i64');
      return T_I64;
    case 'undefined':
      return -1;
    case 'object':
      if (v instanceof TypedValue) return TYPE_CODES[v.type];
    // fall through
    default:
      throw new TypeError(
        `field ${key}: cannot log a value of type ${v === null ? 'null' : typeof v} ` +
          '(string, number, bigint, boolean or a typed value from logcap.f64/i64/u64/str)',
      );
  }
}

/** Whether a number is logged as i64: a safe integer, and not -0 (only f64 keeps its sign). */
function isI64(v) {
  return Number.isSafeInteger(v) && !(v === 0 && 1 / v < 0);
}

const LEVEL_NAMES = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const LEVELS = Object.freeze({ trace: 0, debug: 1, info: 2, warn: 3, error: 4, fatal: 5 });

/** A level name or number (0 trace … 5 fatal) to its number; TypeError/RangeError otherwise. */
function levelOf(level) {
  // A switch, not LEVELS[level]: that keyed load sees every level name at one call site and
  // goes megamorphic, and it would find 'toString' and the like on Object.prototype.
  switch (level) {
    case 'trace':
      return 0;
    case 'debug':
      return 1;
    case 'info':
      return 2;
    case 'warn':
      return 3;
    case 'error':
      return 4;
    case 'fatal':
      return 5;
    default:
      break;
  }
  if (typeof level === 'string') throw new RangeError(`unknown level ${JSON.stringify(level)}`);
  if (typeof level === 'number' && Number.isInteger(level) && level >= 0 && level <= 5) return level;
  if (typeof level === 'number') throw new RangeError(`level ${level} is not 0 (trace) to 5 (fatal)`);
  throw new TypeError('a level is a name (trace … fatal) or a number 0 … 5');
}

/** A timestamp option to nanoseconds since the Unix epoch: bigint (ns) or Date; 0n = unset. */
function timeOf(t) {
  if (t === undefined || t === null) return 0n;
  if (typeof t === 'bigint') return bigintRange(t, 0n, U64_MAX, 'time', 'a u64 nanosecond timestamp');
  if (t instanceof Date) {
    const ms = t.getTime();
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('time: the Date is invalid or before 1970');
    return BigInt(ms) * 1000000n;
  }
  throw new TypeError('time: a bigint (nanoseconds since the Unix epoch) or a Date');
}

function stringOpt(v, what) {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new TypeError(`${what}: a string`);
  return v;
}

module.exports = {
  TypedValue,
  bigintRange,
  checkTyped,
  typeOf,
  isI64,
  levelOf,
  timeOf,
  stringOpt,
  LEVELS,
  LEVEL_NAMES,
  TYPE_CODES,
  TYPE_NAMES,
  T_STR,
  T_I64,
  T_U64,
  T_F64,
  T_BOOL,
  I64_MAX,
};
