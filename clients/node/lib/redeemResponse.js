'use strict';

// Parses a redeem response ({"value": "...", "version": n}, or for a secret {"value" | "binary":
// "...", "versionId": "..."}) byte by byte into a Buffer, never through a JS string: strings are
// immutable, cannot be wiped, and live until the garbage collector reuses their memory.

class Malformed extends Error {}

const ESCAPES = { 0x22: 0x22, 0x5c: 0x5c, 0x2f: 0x2f, 0x62: 0x08, 0x66: 0x0c, 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09 };

function isWS(c) {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function skipWS(b, i) {
  while (i < b.length && isWS(b[i])) i++;
  return i;
}

function hex4(b, i) {
  if (i + 4 > b.length) throw new Malformed('truncated \\u escape');
  let v = 0;
  for (let k = i; k < i + 4; k++) {
    const c = b[k];
    let d;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
    else throw new Malformed('bad \\u escape');
    v = (v << 4) | d;
  }
  return v;
}

function utf8Length(cp) {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

function putUTF8(out, o, cp) {
  if (cp < 0x80) {
    out[o] = cp;
    return o + 1;
  }
  if (cp < 0x800) {
    out[o] = 0xc0 | (cp >> 6);
    out[o + 1] = 0x80 | (cp & 0x3f);
    return o + 2;
  }
  if (cp < 0x10000) {
    out[o] = 0xe0 | (cp >> 12);
    out[o + 1] = 0x80 | ((cp >> 6) & 0x3f);
    out[o + 2] = 0x80 | (cp & 0x3f);
    return o + 3;
  }
  out[o] = 0xf0 | (cp >> 18);
  out[o + 1] = 0x80 | ((cp >> 12) & 0x3f);
  out[o + 2] = 0x80 | ((cp >> 6) & 0x3f);
  out[o + 3] = 0x80 | (cp & 0x3f);
  return o + 4;
}

/**
 * Decodes the JSON string at b[i] (a quote) as UTF-8. Without `out` it only measures; with one of
 * the measured size it writes. Returns [index after the closing quote, decoded length].
 */
function jsonString(b, i, out = null) {
  if (i >= b.length || b[i] !== 0x22) throw new Malformed('expected a string');
  i++;
  let o = 0;
  for (;;) {
    if (i >= b.length) throw new Malformed('unterminated string');
    const c = b[i];
    if (c === 0x22) return [i + 1, o];
    if (c !== 0x5c) {
      if (out) out[o] = c;
      o++;
      i++;
      continue;
    }
    if (i + 1 >= b.length) throw new Malformed('truncated escape');
    const e = b[i + 1];
    if (e in ESCAPES) {
      if (out) out[o] = ESCAPES[e];
      o++;
      i += 2;
      continue;
    }
    if (e !== 0x75) throw new Malformed('bad escape');
    let cp = hex4(b, i + 2);
    i += 6;
    if (cp >= 0xd800 && cp < 0xdc00 && i + 6 <= b.length && b[i] === 0x5c && b[i + 1] === 0x75) {
      const low = hex4(b, i + 2);
      if (low >= 0xdc00 && low < 0xe000) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        i += 6;
      }
    }
    if (out) o = putUTF8(out, o, cp);
    else o += utf8Length(cp);
  }
}

/** Skips any JSON value (the members that hold no secret). */
function skipValue(b, i) {
  i = skipWS(b, i);
  if (i >= b.length) throw new Malformed('truncated value');
  const c = b[i];
  if (c === 0x22) return jsonString(b, i)[0];
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    while (i < b.length) {
      const d = b[i];
      if (d === 0x22) {
        i = jsonString(b, i)[0];
        continue;
      }
      if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    throw new Malformed('unterminated container');
  }
  let j = i;
  while (j < b.length && b[j] !== 0x2c && b[j] !== 0x7d && b[j] !== 0x5d && !isWS(b[j])) j++;
  if (j === i) throw new Malformed('empty value');
  return j;
}

const B64 = new Int16Array(256).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.split('').forEach((ch, n) => {
  B64[ch.charCodeAt(0)] = n;
});

/** Standard base64 into a new exactly-sized Buffer, byte by byte (Buffer.from(s, 'base64') needs a string). */
function base64Into(text) {
  if (text.length % 4) throw new Malformed('binary is not base64');
  const n = text.length;
  const pad = n >= 2 && text[n - 1] === 0x3d && text[n - 2] === 0x3d ? 2 : n >= 1 && text[n - 1] === 0x3d ? 1 : 0;
  const out = Buffer.alloc((n / 4) * 3 - pad);
  let o = 0;
  try {
    for (let q = 0; q < n; q += 4) {
      let acc = 0;
      for (let k = 0; k < 4; k++) {
        const c = text[q + k];
        if (c === 0x3d && q + 4 === n && k >= 4 - pad) {
          acc <<= 6;
          continue;
        }
        const v = B64[c];
        if (v < 0) throw new Malformed('binary is not base64');
        acc = (acc << 6) | v;
      }
      for (const shift of [16, 8, 0]) {
        if (o < out.length) out[o++] = (acc >> shift) & 0xff;
      }
    }
    return out;
  } catch (e) {
    out.fill(0);
    throw e;
  }
}

function keyIs(b, start, end, name) {
  // start..end spans the raw key bytes between its quotes; our member names need no escapes.
  if (end - start !== name.length) return false;
  for (let k = 0; k < name.length; k++) if (b[start + k] !== name.charCodeAt(k)) return false;
  return true;
}

/**
 * Returns { value: Buffer, version, binary } from a redeem (or env decrypt) body. `value` is a new
 * exactly-sized Buffer, its own allocation (not a slice of Node's shared pool); `version` is a
 * parameter's version number or a secret's version id. Throws Malformed; on any failure every
 * partial copy of the value is zeroed.
 */
function parseRedeem(body) {
  const b = body;
  let value = null;
  let version = null;
  let binary = false;
  try {
    let i = skipWS(b, 0);
    if (i >= b.length || b[i] !== 0x7b) throw new Malformed('expected an object');
    i = skipWS(b, i + 1);
    if (i < b.length && b[i] === 0x7d) throw new Malformed('empty object');
    for (;;) {
      const [keyEnd] = jsonString(b, i);
      const keyStart = i + 1;
      const keyStop = keyEnd - 1;
      i = skipWS(b, keyEnd);
      if (i >= b.length || b[i] !== 0x3a) throw new Malformed("expected ':'");
      i = skipWS(b, i + 1);
      const isValue = keyIs(b, keyStart, keyStop, 'value');
      const isBinary = keyIs(b, keyStart, keyStop, 'binary');
      if (isValue || isBinary) {
        if (value !== null) throw new Malformed('duplicate value');
        const [end, len] = jsonString(b, i);
        const text = Buffer.alloc(len);
        jsonString(b, i, text);
        if (isBinary) {
          try {
            value = base64Into(text);
          } finally {
            text.fill(0);
          }
          binary = true;
        } else {
          value = text;
        }
        i = end;
      } else if (keyIs(b, keyStart, keyStop, 'version')) {
        const end = skipValue(b, i);
        version = Number(b.toString('latin1', i, end));
        if (!Number.isInteger(version)) throw new Malformed('version is not a number');
        i = end;
      } else if (keyIs(b, keyStart, keyStop, 'versionId')) {
        const [end, len] = jsonString(b, i);
        const ident = Buffer.alloc(len);
        jsonString(b, i, ident);
        version = ident.toString('utf8');
        i = end;
      } else {
        i = skipValue(b, i);
      }
      i = skipWS(b, i);
      if (i < b.length && b[i] === 0x2c) {
        i = skipWS(b, i + 1);
        continue;
      }
      if (i < b.length && b[i] === 0x7d) break;
      throw new Malformed("expected ',' or '}'");
    }
    if (value === null) throw new Malformed('no value member');
    return { value, version, binary };
  } catch (e) {
    if (value !== null) value.fill(0);
    throw e;
  }
}

module.exports = { parseRedeem, Malformed };
