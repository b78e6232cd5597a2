'use strict';
// LogcapError: a failed C call, with the logcap_result code, its name, and the library's
// detail of the failure.

const { fn } = require('./ffi');

/**
 * logcap_result codes by name (include/logcap.h, whose enum test/errors.test.js compares with
 * this table; the numbers are stable).
 */
const codes = Object.freeze({
  OK: 0,
  NULL_ARGUMENT: 1,
  INVALID_ARGUMENT: 2,
  INVALID_HANDLE: 3,
  STALE_HANDLE: 4,
  WRONG_PIPELINE: 5,
  CONFIG: 6,
  SINK_SETUP: 7,
  CLOSED: 8,
  QUEUE_FULL: 9,
  TIMEOUT: 10,
  NOT_FOUND: 11,
  LIMIT: 12,
  BUFFER_TOO_SMALL: 13,
  MALFORMED_RECORD: 14,
  SINK_FLUSH: 15,
  PANIC: 16,
  IO: 17,
});

const NAMES = [];
for (const [name, code] of Object.entries(codes)) NAMES[code] = name;

/** The name of a logcap_result code ('STALE_HANDLE'), or 'UNKNOWN_<n>'. */
function codeName(code) {
  return NAMES[code] || `UNKNOWN_${code}`;
}

class LogcapError extends Error {
  /**
   * @param {number} code a logcap_result
   * @param {string} detail what failed, in the library's words
   * @param {string} [op] the operation, for the message
   */
  constructor(code, detail, op) {
    const what = `${detail || fn.logcap_result_text(code)} (${codeName(code)})`;
    super(op ? `${op}: ${what}` : what);
    this.name = 'LogcapError';
    /** The code's name in include/logcap.h, such as 'LOGCAP_RESULT_STALE_HANDLE' (Node's convention: a string). */
    this.code = `LOGCAP_RESULT_${codeName(code)}`;
    /** The logcap_result number, such as 4. */
    this.result = code;
    /** The name without its prefix, such as 'STALE_HANDLE'. */
    this.codeName = codeName(code);
  }
}

/**
 * The error for a code returned by a synchronous call just made on this thread: the detail
 * comes from logcap_last_error(), which is per thread and still describes that call.
 */
function lastError(code, op) {
  return new LogcapError(code, fn.logcap_last_error(), op);
}

/**
 * The error for a code returned by an asynchronous call. Those run on one of koffi's worker
 * threads, and logcap_last_error() is per thread, so the main thread cannot read their detail:
 * the message is the code's text.
 */
function asyncError(code, op) {
  return new LogcapError(code, '', op);
}

module.exports = { LogcapError, codes, codeName, lastError, asyncError };
