// ESM entry: the CommonJS module's exports, re-exported.
import logcap from './index.js';

export const {
  open,
  Pipeline,
  Logger,
  Entry,
  LogcapError,
  codes,
  codeName,
  levels,
  TypedValue,
  f64,
  i64,
  u64,
  str,
  encodeRecord,
  version,
  libraryPath,
} = logcap;
export default logcap;
