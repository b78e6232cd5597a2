'use strict';
// The packed record encoder (src/record/mod.rs documents the layout, version 1): one log
// event in one little-endian buffer, submitted with one foreign call.
//
//   0  2  magic 'L' 'C'          8   8  u64 timestamp ns (0: stamped at submit)
//   2  1  version 1              16  2  u16 label count
//   3  1  level 0..5             18  2  u16 field count
//   4  4  u32 total length       20  .. str message, str trace_id, str span_id,
//                                       labels (str key, str value),
//                                       fields (str key, u8 type, payload)
//   str = u32 byte length + UTF-8 bytes; types 0 str, 1 i64, 2 u64, 3 f64, 4 bool (1 byte).
//
// The encoder writes into one Buffer that it keeps and grows, strings straight into it at
// their offsets, so a log call allocates nothing of its own. Short strings are encoded by JS
// loops, and the ones that repeat from record to record (the message, label keys and values,
// field keys) are copied from a memo of the last ones written (putMemo). It checks only what
// the layout itself cannot carry (counts above 65535, records above 1 MiB); the library's
// decoder checks the rest (empty or long keys, too many labels or fields) and its error names
// the problem.

const { LogcapError, codes } = require('./errors');

const HEADER_LEN = 20;
const VERSION = 1;
const MAX_RECORD_BYTES = 1 << 20;
const U16_MAX = 0xffff;

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

/** Strings up to this many UTF-16 code units are encoded by utf8Short. */
const SHORT_STRING = 20;

/**
 * Writes `s` as UTF-8 at `at` and returns the byte count; the caller has made room for 3 bytes
 * per code unit. A lone surrogate becomes U+FFFD, as Buffer.write does.
 */
function utf8Short(b, s, at) {
  return utf8From(b, s, 0, at);
}

/** utf8Short from code unit `i` of `s` on. */
function utf8From(b, s, i, at) {
  const n = s.length;
  let p = at;
  for (; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      b[p++] = c;
    } else if (c < 0x800) {
      b[p++] = 0xc0 | (c >> 6);
      b[p++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          b[p++] = 0xf0 | (cp >> 18);
          b[p++] = 0x80 | ((cp >> 12) & 0x3f);
          b[p++] = 0x80 | ((cp >> 6) & 0x3f);
          b[p++] = 0x80 | (cp & 0x3f);
          i++;
          continue;
        }
        c = 0xfffd;
      }
      b[p++] = 0xe0 | (c >> 12);
      b[p++] = 0x80 | ((c >> 6) & 0x3f);
      b[p++] = 0x80 | (c & 0x3f);
    }
  }
  return p - at;
}

// The entry limits (labels, fields, key and message size, MAX_RECORD_BYTES) are the
// library's: a record over one is encoded all the same and refused by the library with LIMIT,
// counted in stats().refusedLimit like the same refusal from any API. Only what the format
// cannot express at all is refused here, with the same code.

/** Longer than the format's 32-bit length can say. */
function tooLarge(what) {
  return new LogcapError(codes.LIMIT, `the record cannot be encoded: ${what}`, 'encode');
}

/** More labels or fields than the format's 16-bit counts can say. */
function tooMany(what) {
  return new LogcapError(codes.LIMIT, `the record cannot be encoded: more than ${U16_MAX} ${what}`, 'encode');
}

/** The longest record the format can express. */
const U32_MAX = 0xffffffff;
/** An encoder whose buffer grew past this for one huge record gives it back afterwards. */
const KEEP_BYTES = MAX_RECORD_BYTES + 64;

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

/**
 * Labels and fields that a child logger adds to every record, encoded once: the record's
 * label and field sections are concatenations, so these bytes are copied in as they are.
 */
class Bound {
  constructor(labels, fields) {
    /** Merged plain objects, for bindings() and for making children of children. */
    this.labels = labels;
    this.fields = fields;
    const enc = new Encoder(256);
    enc.pos = 0;
    this.labelCount = enc.labelsFrom(labels);
    this.labelBytes = Buffer.from(enc.buf.subarray(0, enc.pos));
    enc.pos = 0;
    this.fieldCount = enc.fieldsFrom(fields);
    this.fieldBytes = Buffer.from(enc.buf.subarray(0, enc.pos));
  }
}

/**
 * Writes a short string (at most SHORT_STRING code units) with its length prefix at `p` and
 * returns the offset after it; the caller has made room for 4 + 3 bytes per code unit. ASCII,
 * the common case, goes four characters to a store; the first other character hands the rest
 * to utf8From. The byte length is at most 60, so the prefix is one byte and three zeros.
 */
function putShort(b, view, s, p) {
  const n = s.length;
  const at = p + 4;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const c0 = s.charCodeAt(i);
    const c1 = s.charCodeAt(i + 1);
    const c2 = s.charCodeAt(i + 2);
    const c3 = s.charCodeAt(i + 3);
    if ((c0 | c1 | c2 | c3) >= 0x80) break;
    view.setUint32(at + i, c0 | (c1 << 8) | (c2 << 16) | (c3 << 24), true);
  }
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) break;
    b[at + i] = c;
  }
  const w = i === n ? n : i + utf8From(b, s, i, at + i);
  view.setUint32(p, w, true);
  return at + w;
}

/**
 * Strings that repeat from record to record, remembered by where they are written: the
 * message, label keys and values (stream labels, low-cardinality by design) and field keys.
 * One call site logs the same ones in the same places, and copying a string's bytes a word at
 * a time from the slot of its place costs less than encoding its characters. A slot takes a
 * string's bytes the second time in a row it is written there, so that strings which change
 * every record (records from call sites that alternate, messages made per call) cost only a
 * comparison and a store. Field values are data, and not remembered.
 *
 * Slot 0 is the message; label i has slots LABEL_SLOTS + 2i (key) and LABEL_SLOTS + 2i + 1
 * (value) for i below MEMO_LABELS; field i's key has slot FIELD_SLOTS + i for i below
 * MEMO_FIELDS; NO_SLOT is none. The slots are shared by every encoder: a slot holds a string
 * and, once filled, that string's bytes, so a match is right whichever encoder wrote it.
 */
const MEMO_LABELS = 32;
const MEMO_FIELDS = 32;
const MESSAGE_SLOT = 0;
const LABEL_SLOTS = 1;
const FIELD_SLOTS = LABEL_SLOTS + 2 * MEMO_LABELS;
const NO_SLOT = FIELD_SLOTS + MEMO_FIELDS;
/** A short string written: a 4-byte prefix and at most 60 bytes of UTF-8, 16 words. */
const SLOT_WORDS = 16;
const slotStrings = new Array(NO_SLOT).fill(null);
/** The bytes of slotStrings[i] in slotWords, or 0 until they are there. */
const slotBytes = new Int32Array(NO_SLOT);
const slotWords = new Int32Array(NO_SLOT * SLOT_WORDS);
/** putMemo copies whole words: up to 3 bytes past the string, which the next write overwrites. */
const MEMO_SLACK = 3;

/**
 * Writes a short string as putShort does, through memo slot `slot`; the caller has made room
 * for MEMO_SLACK bytes more than putShort needs.
 */
function putMemo(b, view, s, p, slot) {
  const same = slot !== NO_SLOT && slotStrings[slot] === s;
  if (same) {
    const n = slotBytes[slot];
    if (n !== 0) {
      const base = slot * SLOT_WORDS;
      for (let j = 0; j < n; j += 4) view.setInt32(p + j, slotWords[base + (j >> 2)], true);
      return p + n;
    }
  }
  const end = putShort(b, view, s, p);
  if (same) {
    fillSlot(view, p, end, slot);
  } else if (slot !== NO_SLOT) {
    slotStrings[slot] = s;
    slotBytes[slot] = 0;
  }
  return end;
}

/** Copies a slot's string, just written at [p, end), into the slot. */
function fillSlot(view, p, end, slot) {
  const base = slot * SLOT_WORDS;
  const n = end - p;
  for (let j = 0; j < n; j += 4) slotWords[base + (j >> 2)] = view.getInt32(p + j, true);
  slotBytes[slot] = n;
}

/** Whether a number is logged as i64: a safe integer, and not -0 (only f64 keeps its sign). */
function isI64(v) {
  return Number.isSafeInteger(v) && !(v === 0 && 1 / v < 0);
}

function labelTypeError(k, v) {
  return new TypeError(`label ${k}: a label value is a string, not ${v === null ? 'null' : typeof v}`);
}

class Encoder {
  constructor(size = 4096) {
    this.buf = Buffer.allocUnsafeSlow(size);
    /** Over `buf`: fixed-width numbers, and strings a word at a time. */
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
    this.pos = 0;
    /** Set while a record is being written, so that a reentrant log call uses another encoder. */
    this.busy = false;
    /** The address of `addrOf`'s memory, noted by the caller that submits `buf` by address. */
    this.addr = null;
    this.addrOf = null;
  }

  /** Starts over with a buffer of a usual size, after one huge record. */
  reset() {
    this.buf = Buffer.allocUnsafeSlow(16 * 1024);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }

  /** Makes room for `n` more bytes. */
  grow(n) {
    const need = this.pos + n;
    if (need > U32_MAX) throw tooLarge(`${need} bytes`);
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafeSlow(Math.min(size, Math.max(need, KEEP_BYTES)));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.length);
  }

  u32(v, at) {
    this.view.setUint32(at, v, true);
  }

  /** A length-prefixed UTF-8 string. Lone surrogates become U+FFFD, as they must. */
  str(s) {
    const n = s.length;
    // A UTF-16 code unit is at most 3 bytes of UTF-8.
    if (this.pos + 4 + 3 * n > this.buf.length && this.growFor(s)) return;
    // Short strings (keys, most values) are written in JS: a call into Node's native UTF-8
    // writer costs more than the loop.
    if (n <= SHORT_STRING) {
      this.pos = putShort(this.buf, this.view, s, this.pos);
      return;
    }
    const at = this.pos;
    const w = this.buf.utf8Write(s, at + 4);
    this.u32(w, at);
    this.pos = at + 4 + w;
  }

  growFor(s) {
    const bytes = Buffer.byteLength(s, 'utf8');
    // Room for the exact bytes, and for the estimate str() checks before writing.
    this.grow(4 + Math.min(3 * s.length, bytes + 64));
    if (this.pos + 4 + 3 * s.length > this.buf.length) {
      // The estimate is far above the real size: write exactly, without growing further.
      const at = this.pos;
      const w = this.buf.write(s, at + 4, bytes, 'utf8');
      this.u32(w, at);
      this.pos = at + 4 + w;
      return true;
    }
    return false;
  }

  /** Writes labels from a plain object or a Map; returns how many. */
  labelsFrom(labels) {
    if (labels instanceof Map) {
      let count = 0;
      for (const [k, v] of labels) count += this.label(k, v);
      return count;
    }
    // The loop keeps the buffer and the offset in locals; only the general path (a long
    // string, or too little room) goes through this.pos, and the buffer is reloaded after it.
    let count = 0;
    let b = this.buf;
    let view = this.view;
    let p = this.pos;
    for (const k in labels) {
      const v = labels[k];
      if (typeof v !== 'string') {
        if (v === undefined) continue;
        throw labelTypeError(k, v);
      }
      const kn = k.length;
      const vn = v.length;
      if (kn <= SHORT_STRING && vn <= SHORT_STRING && p + 8 + 2 * MEMO_SLACK + 3 * (kn + vn) <= b.length) {
        const slot = count < MEMO_LABELS ? LABEL_SLOTS + 2 * count : NO_SLOT;
        p = putMemo(b, view, k, p, slot);
        p = putMemo(b, view, v, p, slot === NO_SLOT ? NO_SLOT : slot + 1);
      } else {
        this.pos = p;
        this.str(k);
        this.str(v);
        p = this.pos;
        b = this.buf;
        view = this.view;
      }
      count++;
    }
    this.pos = p;
    return count;
  }

  /** One label from a Map: the key may be anything, and is checked. */
  label(k, v) {
    if (typeof v !== 'string') {
      if (v === undefined) return 0;
      throw labelTypeError(k, v);
    }
    this.key(k);
    this.str(v);
    return 1;
  }

  key(k) {
    if (typeof k !== 'string') throw new TypeError('a key is a string');
    this.str(k);
  }

  /** Writes fields from a plain object or a Map; returns how many. */
  fieldsFrom(fields) {
    if (fields instanceof Map) {
      let count = 0;
      for (const [k, v] of fields) count += this.field(k, v);
      return count;
    }
    // As in labelsFrom: strings, numbers and booleans with a short key are written here, with
    // the buffer, its view and the offset in locals; anything else goes through field(). The
    // key is written at one place, after the checks, so that putMemo is inlined once.
    let count = 0;
    let b = this.buf;
    let view = this.view;
    let p = this.pos;
    for (const k in fields) {
      const v = fields[k];
      const kn = k.length;
      // Room for the key, the type byte and an 8-byte payload; a string value checks its own.
      // typeof is compared directly, each a type check: a `typeof` kept in a variable is a
      // call that makes the type's name.
      let here = kn <= SHORT_STRING && p + 13 + MEMO_SLACK + 3 * kn <= b.length;
      if (here) {
        if (typeof v === 'string') {
          here = v.length <= SHORT_STRING && p + 9 + MEMO_SLACK + 3 * (kn + v.length) <= b.length;
        } else if (v === undefined) {
          continue;
        } else {
          here = typeof v === 'number' || typeof v === 'boolean';
        }
      }
      if (!here) {
        this.pos = p;
        count += this.field(k, v);
        p = this.pos;
        b = this.buf;
        view = this.view;
        continue;
      }
      p = putMemo(b, view, k, p, count < MEMO_FIELDS ? FIELD_SLOTS + count : NO_SLOT);
      if (typeof v === 'string') {
        b[p] = T_STR;
        p = putShort(b, view, v, p + 1);
      } else if (typeof v === 'number') {
        if ((v | 0) === v && (v !== 0 || 1 / v > 0)) {
          // An int32 (not -0): the upper half is its sign.
          b[p] = T_I64;
          view.setInt32(p + 1, v, true);
          view.setInt32(p + 5, v >> 31, true);
        } else if (isI64(v)) {
          // A safe integer: its two's complement halves without a BigInt.
          const hi = Math.floor(v / 4294967296);
          b[p] = T_I64;
          view.setUint32(p + 1, v - hi * 4294967296, true);
          view.setInt32(p + 5, hi, true);
        } else {
          b[p] = T_F64;
          view.setFloat64(p + 1, v, true);
        }
        p += 9;
      } else {
        b[p] = T_BOOL;
        b[p + 1] = v ? 1 : 0;
        p += 2;
      }
      count++;
    }
    this.pos = p;
    return count;
  }

  /** One field, of any type typeOf accepts; the key is checked. */
  field(k, v) {
    const t = typeOf(v, k);
    if (t < 0) return 0;
    this.key(k);
    // typeOf accepts no object but a TypedValue.
    this.typed(t, typeof v === 'object' ? v.value : v);
    return 1;
  }

  /** A field's type byte and payload. */
  typed(t, v) {
    if (this.pos + 9 > this.buf.length) this.grow(9);
    const b = this.buf;
    b[this.pos++] = t;
    switch (t) {
      case T_STR:
        this.str(v);
        return;
      case T_BOOL:
        b[this.pos++] = v ? 1 : 0;
        return;
      case T_F64:
        this.view.setFloat64(this.pos, v, true);
        break;
      case T_I64:
        if (typeof v === 'number') {
          // A safe integer: its two's complement halves without a BigInt.
          const hi = Math.floor(v / 4294967296);
          this.view.setUint32(this.pos, v - hi * 4294967296, true);
          this.view.setInt32(this.pos + 4, hi, true);
        } else {
          this.view.setBigInt64(this.pos, v, true);
        }
        break;
      case T_U64:
        this.view.setBigUint64(this.pos, typeof v === 'number' ? BigInt(v) : v, true);
        break;
      default:
        throw new TypeError('unknown field type');
    }
    this.pos += 8;
  }

  /** Copies pre-encoded label or field bytes. */
  bytes(src) {
    const n = src.length;
    if (n === 0) return;
    if (this.pos + n > this.buf.length) this.grow(n);
    this.buf.set(src, this.pos);
    this.pos += n;
  }

  /**
   * Encodes one record; the bytes are buf[0, return value). `bound` holds pre-encoded labels
   * and fields; `labels` and `fields` (plain objects or Maps, optional) come after them, so
   * that a key given at the call wins (the decoder keeps the last value of a repeated key).
   */
  encode(level, message, timeNs, traceId, spanId, bound, labels, fields) {
    // One huge record must not pin its buffer: the next record starts from a usual size.
    if (this.buf.length > KEEP_BYTES) this.reset();
    if (this.buf.length < HEADER_LEN + 12) this.grow(HEADER_LEN + 12);
    const b = this.buf;
    b[0] = 0x4c; // 'L'
    b[1] = 0x43; // 'C'
    b[2] = VERSION;
    b[3] = level;
    if (timeNs === 0n) {
      this.view.setUint32(8, 0, true);
      this.view.setUint32(12, 0, true);
    } else {
      this.view.setBigUint64(8, timeNs, true);
    }
    // Most messages name the event, and repeat from record to record.
    const mn = message.length;
    if (mn <= SHORT_STRING && HEADER_LEN + 4 + MEMO_SLACK + 3 * mn <= b.length) {
      this.pos = putMemo(b, this.view, message, HEADER_LEN, MESSAGE_SLOT);
    } else {
      this.pos = HEADER_LEN;
      this.str(message);
    }
    this.str(traceId);
    this.str(spanId);

    let labelCount = bound.labelCount;
    this.bytes(bound.labelBytes);
    if (labels !== undefined && labels !== null) labelCount += this.labelsFrom(labels);
    let fieldCount = bound.fieldCount;
    this.bytes(bound.fieldBytes);
    if (fields !== undefined && fields !== null) fieldCount += this.fieldsFrom(fields);

    if (labelCount > U16_MAX) throw tooMany('labels');
    if (fieldCount > U16_MAX) throw tooMany('fields');
    const view = this.view;
    view.setUint16(16, labelCount, true);
    view.setUint16(18, fieldCount, true);
    view.setUint32(4, this.pos, true);
    return this.pos;
  }
}

const EMPTY_BOUND = new Bound({}, {});

/**
 * Encodes one record and returns a copy of its bytes. `record` is
 * `{level, message, time, traceId, spanId, labels, fields}`; labels and fields are plain
 * objects or Maps (a Map keeps any key order), field values as for log() calls.
 */
function encodeRecord(record = {}) {
  const enc = new Encoder(256);
  const n = enc.encode(
    levelOf(record.level === undefined ? 'info' : record.level),
    stringOpt(record.message, 'message'),
    timeOf(record.time),
    stringOpt(record.traceId, 'traceId'),
    stringOpt(record.spanId, 'spanId'),
    EMPTY_BOUND,
    record.labels,
    record.fields,
  );
  return Buffer.from(enc.buf.subarray(0, n));
}

function stringOpt(v, what) {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new TypeError(`${what}: a string`);
  return v;
}

module.exports = {
  utf8Short,
  SHORT_STRING,
  Encoder,
  Bound,
  EMPTY_BOUND,
  TypedValue,
  encodeRecord,
  levelOf,
  timeOf,
  typeOf,
  checkTyped,
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
  MAX_RECORD_BYTES,
};
