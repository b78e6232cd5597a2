'use strict';
// UTF-8 written by JS loops: for short strings a call into Node's native writer costs more than
// the loop. putShort writes a record string (u32 length prefix, then the bytes).

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

module.exports = { SHORT_STRING, utf8Short, utf8From, putShort };
