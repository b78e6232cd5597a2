'use strict';
// The memo of strings that repeat from record to record (the encoder's one piece of state
// beyond its buffer), as an object its owner creates and passes to the encoders that share it.

const { putShort } = require('./utf8');

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
 * MEMO_FIELDS; NO_SLOT is none. A StringMemo may be shared by several encoders (the
 * pipeline's encoders share one, see pipeline.js): a slot holds a string and, once filled,
 * that string's bytes, so a match is right whichever encoder wrote it.
 */
const MEMO_LABELS = 32;
const MEMO_FIELDS = 32;
const MESSAGE_SLOT = 0;
const LABEL_SLOTS = 1;
const FIELD_SLOTS = LABEL_SLOTS + 2 * MEMO_LABELS;
const NO_SLOT = FIELD_SLOTS + MEMO_FIELDS;
/** A short string written: a 4-byte prefix and at most 60 bytes of UTF-8, 16 words. */
const SLOT_WORDS = 16;

/** The memo's state: which string each slot holds and, once filled, its bytes. */
class StringMemo {
  constructor() {
    this.strings = new Array(NO_SLOT).fill(null);
    /** The bytes of strings[i] in words, or 0 until they are there. */
    this.bytes = new Int32Array(NO_SLOT);
    this.words = new Int32Array(NO_SLOT * SLOT_WORDS);
  }
}
/** putMemo copies whole words: up to 3 bytes past the string, which the next write overwrites. */
const MEMO_SLACK = 3;

/**
 * Writes a short string as putShort does, through slot `slot` of `memo`; the caller has made
 * room for MEMO_SLACK bytes more than putShort needs.
 */
function putMemo(memo, b, view, s, p, slot) {
  const same = slot !== NO_SLOT && memo.strings[slot] === s;
  if (same) {
    const n = memo.bytes[slot];
    if (n !== 0) {
      const base = slot * SLOT_WORDS;
      const words = memo.words;
      for (let j = 0; j < n; j += 4) view.setInt32(p + j, words[base + (j >> 2)], true);
      return p + n;
    }
  }
  const end = putShort(b, view, s, p);
  if (same) {
    fillSlot(memo, view, p, end, slot);
  } else if (slot !== NO_SLOT) {
    memo.strings[slot] = s;
    memo.bytes[slot] = 0;
  }
  return end;
}

/** Copies a slot's string, just written at [p, end), into the slot. */
function fillSlot(memo, view, p, end, slot) {
  const base = slot * SLOT_WORDS;
  const n = end - p;
  const words = memo.words;
  for (let j = 0; j < n; j += 4) words[base + (j >> 2)] = view.getInt32(p + j, true);
  memo.bytes[slot] = n;
}

module.exports = {
  StringMemo,
  putMemo,
  MEMO_LABELS,
  MEMO_FIELDS,
  MESSAGE_SLOT,
  LABEL_SLOTS,
  FIELD_SLOTS,
  NO_SLOT,
  MEMO_SLACK,
};
