'use strict';
// Scratch buffers for strings passed to the handle API as (pointer, length), and for strings
// read back from it. The calls are synchronous and on this thread, so one of each serves every
// call; nothing is allocated per call once the buffers are large enough.

const { koffi } = require('./ffi');
const { utf8Short, SHORT_STRING } = require('./utf8');

class Scratch {
  constructor(size) {
    this.buf = Buffer.allocUnsafeSlow(size);
  }

  /** Writes `s` as UTF-8 at the start of the buffer and returns its length in bytes. */
  put(s) {
    if (3 * s.length > this.buf.length) {
      const need = Buffer.byteLength(s, 'utf8');
      if (need > this.buf.length) this.buf = Buffer.allocUnsafeSlow(Math.max(need, 2 * this.buf.length));
    }
    return s.length <= SHORT_STRING ? utf8Short(this.buf, s, 0) : this.buf.utf8Write(s, 0);
  }

  /** Makes the buffer at least `n` bytes long. */
  reserve(n) {
    if (n > this.buf.length) this.buf = Buffer.allocUnsafeSlow(Math.max(n, 2 * this.buf.length));
  }

  /** The first `n` bytes as text. */
  text(n) {
    return n === 0 ? '' : this.buf.toString('utf8', 0, n);
  }
}

/** For keys. */
const KEY = new Scratch(1024);
/** For values and texts. */
const VALUE = new Scratch(4096);
/** For outputs: labels, fields, messages, sink names read back. */
const OUT = new Scratch(4096);

function requireString(v, what) {
  if (typeof v !== 'string') {
    throw new TypeError(`${what} must be a string, not ${v === null ? 'null' : typeof v}`);
  }
  return v;
}

/**
 * A logcap_str the library points into its own memory (a batch, during a callback) as a JS
 * string. The bytes are UTF-8 by the library's contract and may hold NUL characters, so they
 * are decoded with their explicit length, not as a C string.
 */
function fromStr(s) {
  const n = Number(s.len);
  return n === 0 ? '' : koffi.decode.string(s.ptr, n);
}

module.exports = { Scratch, KEY, VALUE, OUT, requireString, fromStr };
