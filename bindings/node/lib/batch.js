'use strict';
// Callback sinks: a JS function bound to a sink of type "callback".
//
// The library calls the sink's function on the sink's own thread. koffi queues that call to
// the JS event loop and blocks the sink thread until the JS function has returned, so the
// batch view stays valid for the whole call, and the function gets a plain copy of it, made
// during the call. The main thread must therefore never wait synchronously on the pipeline
// (flush and close are asynchronous calls for that reason).

const { fn, koffi } = require('./ffi');
const { lastError } = require('./errors');
const { fromStr } = require('./strings');
const { LEVEL_NAMES } = require('./values');
const { fieldValue } = require('./entry');

function check(rc, op) {
  if (rc !== 0) throw lastError(rc, op);
}

/** A plain copy of a field value: bigints for i64/u64 beyond 2^53, numbers otherwise. */
function plain(v) {
  if (typeof v === 'bigint') {
    const n = Number(v);
    if (Number.isSafeInteger(n)) return n;
  }
  return v;
}

/**
 * Copies a batch into plain objects:
 * `{json, entries: [{level, time, message, traceId?, spanId?, labels, fields, types}]}`.
 * `json` is the batch as JSON lines (docs/output.md), one line per entry; `time` is a bigint
 * (ns since the Unix epoch); `types` names each field's type ('str', 'i64', …).
 */
function readBatch(batch) {
  const len = [0];
  check(fn.logcap_batch_len(batch, len), 'batch length');
  const jsonView = {};
  check(fn.logcap_batch_json(batch, jsonView), 'batch json');
  const n = Number(len[0]);
  const entries = new Array(n);
  const view = {};
  const key = {};
  const value = {};
  const field = {};
  for (let i = 0; i < n; i++) {
    check(fn.logcap_batch_entry(batch, i, view), 'batch entry');
    const labels = {};
    const labelCount = Number(view.label_count);
    for (let j = 0; j < labelCount; j++) {
      check(fn.logcap_batch_label(batch, i, j, key, value), 'batch label');
      labels[fromStr(key)] = fromStr(value);
    }
    const fields = {};
    const types = {};
    const fieldCount = Number(view.field_count);
    for (let j = 0; j < fieldCount; j++) {
      check(fn.logcap_batch_field(batch, i, j, key, field), 'batch field');
      const k = fromStr(key);
      const f = fieldValue(field, () => fromStr(field.str));
      fields[k] = plain(f.value);
      types[k] = f.type;
    }
    const e = {
      level: LEVEL_NAMES[view.level],
      time: BigInt(view.timestamp_ns),
      message: fromStr(view.message),
      labels,
      fields,
      types,
    };
    if (Number(view.trace_id.len) > 0) e.traceId = fromStr(view.trace_id);
    if (Number(view.span_id.len) > 0) e.spanId = fromStr(view.span_id);
    entries[i] = e;
  }
  return { json: fromStr(jsonView), entries };
}

function defaultOnError(err, sink) {
  process.emitWarning(`callback sink ${JSON.stringify(sink)} failed: ${err && err.message}`, {
    code: 'LOGCAP_CALLBACK',
  });
}

/**
 * Registers `userFn` as the native function of callback sink `sink` and returns koffi's
 * function pointer, to be unregistered once the pipeline has closed. A throw (in the copy or
 * in the function) becomes a non-zero return, which the sink counts as a failed batch; it is
 * also reported to `onError(err, sink)`.
 */
function registerCallback(sink, userFn, onError = defaultOnError) {
  const call = (_userdata, batch) => {
    try {
      userFn(readBatch(batch));
      return 0;
    } catch (err) {
      try {
        onError(err, sink);
      } catch {
        // The failure is counted either way; an error handler that throws changes nothing.
      }
      return 1;
    }
  };
  return koffi.register(call, 'logcap_batch_fn');
}

module.exports = { readBatch, registerCallback };
