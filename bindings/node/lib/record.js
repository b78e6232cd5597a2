'use strict';
// The packed record encoder (core/src/record/mod.rs documents the layout, version 1): one log
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
// loops (utf8.js), and the ones that repeat from record to record (the message, label keys
// and values, field keys) are copied from the memo of the last ones written that the encoder
// is given (memo.js). It checks only what
// the layout itself cannot carry (counts above 65535, records above 1 MiB); the library's
// decoder checks the rest (empty or long keys, too many labels or fields) and its error names
// the problem.

const { LogcapError, codes } = require('./errors');
const { SHORT_STRING, putShort } = require('./utf8');
const {
  StringMemo,
  putMemo,
  MEMO_LABELS,
  MEMO_FIELDS,
  MESSAGE_SLOT,
  LABEL_SLOTS,
  FIELD_SLOTS,
  NO_SLOT,
  MEMO_SLACK,
} = require('./memo');
const { typeOf, isI64, levelOf, timeOf, stringOpt, T_STR, T_I64, T_U64, T_F64, T_BOOL } = require('./values');

const HEADER_LEN = 20;
const VERSION = 1;
const MAX_RECORD_BYTES = 1 << 20;
const U16_MAX = 0xffff;
/** The library's entry limits (include/logcap.h), for Encoder.inLimits. */
const MAX_LABELS = 64;
const MAX_FIELDS = 1024;
const MAX_MESSAGE_BYTES = 256 * 1024;
const MAX_KEY_BYTES = 1024;
/** A key of 1 to this many UTF-16 code units is 1 to MAX_KEY_BYTES bytes of UTF-8. */
const KEY_UNITS_IN_LIMIT = Math.floor(MAX_KEY_BYTES / 3);

// The entry limits (labels, fields, key and message size, MAX_RECORD_BYTES) are the
// library's: a record over one is encoded all the same and refused by the library with LIMIT,
// counted in stats().refusedLimit like the same refusal from any API. Only what the format
// cannot express at all is refused here, with the same code. The encoder notes whether the
// record it wrote keeps every limit (`inLimits`, a key's length judged by its code units):
// only such a record goes through logcap_pipeline_submit_trusted_record, which with lanes
// checks its header only and leaves the body to the batcher, where a fault could no longer be
// refused with its code; the others go through the library's full check.

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

/**
 * Labels and fields that a child logger adds to every record, encoded once: the record's
 * label and field sections are concatenations, so these bytes are copied in as they are.
 */
class Bound {
  /** `memo`: the string memo of the encoder that writes them (a fresh one by default). */
  constructor(labels, fields, memo = new StringMemo()) {
    /** Merged plain objects, for bindings() and for making children of children. */
    this.labels = labels;
    this.fields = fields;
    const enc = new Encoder(256, memo);
    enc.pos = 0;
    enc.keysOk = true;
    this.labelCount = enc.labelsFrom(labels);
    this.labelBytes = Buffer.from(enc.buf.subarray(0, enc.pos));
    enc.pos = 0;
    this.fieldCount = enc.fieldsFrom(fields);
    this.fieldBytes = Buffer.from(enc.buf.subarray(0, enc.pos));
    /** Whether every key is within MAX_KEY_BYTES and not empty. */
    this.keysOk = enc.keysOk;
  }
}

function labelTypeError(k, v) {
  return new TypeError(`label ${k}: a label value is a string, not ${v === null ? 'null' : typeof v}`);
}

class Encoder {
  /**
   * An encoder with a buffer of `size` bytes (grown as needed) that remembers repeated strings
   * in `memo`: encoders given the same StringMemo share it; by default the encoder has its own.
   */
  constructor(size = 4096, memo = new StringMemo()) {
    this.buf = Buffer.allocUnsafeSlow(size);
    this.memo = memo;
    /** Over `buf`: fixed-width numbers, and strings a word at a time. */
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
    this.pos = 0;
    /** Set while a record is being written, so that a reentrant log call uses another encoder. */
    this.busy = false;
    /** The address of `addrOf`'s memory, noted by the caller that submits `buf` by address. */
    this.addr = null;
    this.addrOf = null;
    /** Whether every key written since encode() began is 1 to MAX_KEY_BYTES bytes long. */
    this.keysOk = true;
    /** Whether the last record encode() wrote keeps every limit of the library. */
    this.inLimits = false;
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
    const memo = this.memo;
    for (const k in labels) {
      const v = labels[k];
      if (typeof v !== 'string') {
        if (v === undefined) continue;
        throw labelTypeError(k, v);
      }
      const kn = k.length;
      const vn = v.length;
      if (kn === 0 || kn > KEY_UNITS_IN_LIMIT) this.keysOk = false;
      if (kn <= SHORT_STRING && vn <= SHORT_STRING && p + 8 + 2 * MEMO_SLACK + 3 * (kn + vn) <= b.length) {
        const slot = count < MEMO_LABELS ? LABEL_SLOTS + 2 * count : NO_SLOT;
        p = putMemo(memo, b, view, k, p, slot);
        p = putMemo(memo, b, view, v, p, slot === NO_SLOT ? NO_SLOT : slot + 1);
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
    if (k.length === 0 || k.length > KEY_UNITS_IN_LIMIT) this.keysOk = false;
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
    const memo = this.memo;
    for (const k in fields) {
      const v = fields[k];
      const kn = k.length;
      if (kn === 0 || kn > KEY_UNITS_IN_LIMIT) this.keysOk = false;
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
      p = putMemo(memo, b, view, k, p, count < MEMO_FIELDS ? FIELD_SLOTS + count : NO_SLOT);
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
    this.keysOk = bound.keysOk;
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
      this.pos = putMemo(this.memo, b, this.view, message, HEADER_LEN, MESSAGE_SLOT);
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
    this.inLimits =
      this.keysOk &&
      labelCount <= MAX_LABELS &&
      fieldCount <= MAX_FIELDS &&
      this.pos <= MAX_RECORD_BYTES &&
      view.getUint32(HEADER_LEN, true) <= MAX_MESSAGE_BYTES;
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

module.exports = {
  Encoder,
  Bound,
  EMPTY_BOUND,
  StringMemo,
  encodeRecord,
  MAX_RECORD_BYTES,
};
