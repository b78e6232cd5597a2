'use strict';
// logcap for Node.js: the logcap log pipeline core through its C ABI, with koffi.

const { open, Pipeline, Logger } = require('./lib/pipeline');
const { Entry } = require('./lib/entry');
const { LogcapError, codes, codeName } = require('./lib/errors');
const { TypedValue, LEVELS } = require('./lib/values');
const { encodeRecord } = require('./lib/record');
const { fn, file } = require('./lib/ffi');

/** A field value logged as f64 whatever its value (`f64(200)` is 200.0, not the integer 200). */
const f64 = (v) => new TypedValue('f64', v);
/** A field value logged as i64 (a bigint or a safe integer). */
const i64 = (v) => new TypedValue('i64', v);
/** A field value logged as u64 (a bigint or a safe integer, not negative). */
const u64 = (v) => new TypedValue('u64', v);
/** A field value logged as str. */
const str = (v) => new TypedValue('str', v);

/** The loaded library's version ("MAJOR.MINOR.PATCH"). */
function version() {
  return fn.logcap_version();
}

module.exports = {
  open,
  Pipeline,
  Logger,
  Entry,
  LogcapError,
  codes,
  codeName,
  levels: LEVELS,
  TypedValue,
  f64,
  i64,
  u64,
  str,
  encodeRecord,
  version,
  libraryPath: file,
};
// For `import logcap from 'logcap'` in TypeScript and bundlers that look for `default`.
module.exports.default = module.exports;
