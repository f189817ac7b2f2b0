// The WebAssembly code of wasm-format.ts, written with wasm-asm.ts: the memory layout and the
// six functions. A br's depth counts the blocks, loops and ifs around it, innermost 0.
import {
  add, and, assemble, block, br, brIf, call, ctz, eq, geU, get, gtU, i32, i8x16Bitmask, i8x16Eq, i8x16LtS,
  i8x16Splat, I32, ifElse, leU, load, load8, loop, ltU, memoryCopy, mul, ne, ret, select, set, shl, shrU, store,
  store8, sub, tee, v128Load, v128Or, v128Store, V128, when, type Code,
} from './wasm-asm.js';
import { PIECE, WHOLE } from './lines.js';

// Memory layout (bytes).
export const READ_SIZE = 256 * 1024; // [0, READ_SIZE): libuv reads here
export const HEAD = READ_SIZE; // the prefix, or json's head up to the message's opening quote
export const HEAD_MAX = 4096;
export const TAIL = HEAD + HEAD_MAX; // json: `"}\n`
export const PARTIAL_TAIL = TAIL + 64; // json: `","partial":true}\n`
export const ESCAPES = PARTIAL_TAIL + 64; // 128 bytes: the letter after '\' for bytes < 0x20, '"' and '\'
export const HEX = ESCAPES + 128;
export const OUT_LENGTH = HEX + 16;
export const RECORDS = HEAD + 8192; // (start, end | kind << 24) pairs
export const RECORDS_MAX = READ_SIZE; // a read has at most one line per byte
export const OUT = RECORDS + RECORDS_MAX * 8;
export const PAGES = Math.ceil((OUT + 2 * 1024 * 1024) / 65536);
const OUT_END = PAGES * 65536 - 16; // copy() may write 15 bytes past what it copies

// Function indices, in the order moduleBytes() lists them.
const ESCAPE = 2;
const UTF8 = 3;
const COPY = 4;

/** Record i of RECORDS into locals: its start s, end e and kind k (packed as end | kind << 24). */
function readRecord(i: number, s: number, e: number, k: number): Code {
  return [
    get(i), i32(3), shl, load(RECORDS), set(s),
    get(i), i32(3), shl, load(RECORDS + 4), set(e),
    get(e), i32(24), shrU, set(k),
    get(e), i32(0xffffff), and, set(e),
  ];
}

/**
 * prefix(first, count, prefixLength): for records [first, count), the prefix then the line and
 * '\n'. Returns the first record not done (count, or less if OUT is full); the output's length is
 * at OUT_LENGTH.
 */
function prefixFunc(): Code {
  const [i, count, plen, o, s, e, k, len] = [0, 1, 2, 3, 4, 5, 6, 7];
  return [
    i32(OUT), set(o),
    block(loop(
      get(i), get(count), geU, brIf(1),
      ...readRecord(i, s, e, k),
      get(e), get(s), sub, set(len),
      get(o), get(plen), add, get(len), add, i32(1), add, i32(OUT_END), gtU, brIf(1),
      get(o), i32(HEAD), get(plen), call(COPY), set(o),
      ifElse(
        [get(k), i32(WHOLE), eq],
        [get(o), get(s), get(len), i32(1), add, call(COPY), set(o)], // with its '\n'
        [get(o), get(s), get(len), call(COPY), set(o), get(o), i32(10), store8(), get(o), i32(1), add, set(o)],
      ),
      get(i), i32(1), add, set(i),
      br(0),
    )),
    i32(OUT_LENGTH), get(o), i32(OUT), sub, store(),
    get(i),
  ];
}

/** json(first, count, headLength, tailLength, partialTailLength): like prefix, escaping each message. */
function jsonFunc(): Code {
  const [i, count, hlen, tlen, plen, o, s, e, k] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  return [
    i32(OUT), set(o),
    block(loop(
      get(i), get(count), geU, brIf(1),
      ...readRecord(i, s, e, k),
      // "\r\n" ends a line too: drop the '\r'.
      when([get(k), i32(WHOLE), eq, get(e), get(s), gtU, and], when([get(e), i32(1), sub, load8(), i32(13), eq], get(e), i32(1), sub, set(e))),
      // Room for the worst case, every byte escaped as \u00XX.
      get(o), get(hlen), add, get(e), get(s), sub, i32(6), mul, add, get(plen), add, i32(OUT_END), gtU, brIf(1),
      get(o), i32(HEAD), get(hlen), call(COPY), set(o),
      get(s), get(e), get(o), call(ESCAPE), set(o),
      ifElse(
        [get(k), i32(PIECE), eq],
        [get(o), i32(PARTIAL_TAIL), get(plen), call(COPY), set(o)],
        [get(o), i32(TAIL), get(tlen), call(COPY), set(o)],
      ),
      get(i), i32(1), add, set(i),
      br(0),
    )),
    i32(OUT_LENGTH), get(o), i32(OUT), sub, store(),
    get(i),
  ];
}

/**
 * split(p, to, maxLine) -> count: the whole lines from p on as records [0, count), WHOLE, each
 * ending at its '\n'. Stops after the last '\n' before `to`, or before a line longer than maxLine
 * (lines.ts cuts that one). Searches 16 bytes at a time.
 */
function splitFunc(): Code {
  const [p, to, max, s, n, m] = [0, 1, 2, 3, 4, 5];
  return [
    get(p), set(s),
    block(loop( // done: 1, next line: 0
      block( // found: p is at a '\n'
        block(loop( // 16 bytes at a time while they fit
          get(p), i32(16), add, get(to), gtU, brIf(1),
          when([get(p), v128Load, i32(10), i8x16Splat, i8x16Eq, i8x16Bitmask, tee(m)], get(p), get(m), ctz, add, set(p), br(3)),
          get(p), i32(16), add, set(p),
          br(0),
        )),
        loop( // the last few bytes one at a time
          get(p), get(to), geU, brIf(3),
          get(p), load8(), i32(10), eq, brIf(1),
          get(p), i32(1), add, set(p),
          br(0),
        ),
      ),
      get(p), get(s), sub, get(max), gtU, brIf(1),
      get(n), i32(3), shl, get(s), store(RECORDS),
      get(n), i32(3), shl, get(p), store(RECORDS + 4), // kind WHOLE is 0
      get(n), i32(1), add, set(n),
      get(p), i32(1), add, tee(p), set(s),
      br(0),
    )),
    get(n),
  ];
}

/** escape(p, end, o) -> o: JSON string contents of [p, end) at o; invalid UTF-8 becomes U+FFFD. */
function escapeFunc(): Code {
  const [p, end, o, run, b, n, m, c, v] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const flushRun: Code = [get(o), get(run), get(p), get(run), sub, call(COPY), set(o)];
  return [
    get(p), set(run),
    block(loop( // $scan: depth 0 here, the outer block (done) is 1
      block(loop( // 16 bytes at a time until one needs a look
        get(p), i32(16), add, get(end), gtU, brIf(1),
        when(
          [
            get(p), v128Load, tee(v), i32(0x20), i8x16Splat, i8x16LtS, // < 0x20, or >= 0x80 (negative)
            get(v), i32(0x22), i8x16Splat, i8x16Eq, v128Or,
            get(v), i32(0x5c), i8x16Splat, i8x16Eq, v128Or,
            i8x16Bitmask, tee(m),
          ],
          get(p), get(m), ctz, add, set(p), br(2), // to the first such byte
        ),
        get(p), i32(16), add, set(p),
        br(0),
      )),
      get(p), get(end), geU, brIf(1),
      get(p), load8(), set(b),
      // printable ASCII other than '"' and '\': part of the run
      when([get(b), i32(0x20), sub, i32(0x60), ltU, get(b), i32(0x22), ne, and, get(b), i32(0x5c), ne, and], get(p), i32(1), add, set(p), br(1)),
      when(
        [get(b), i32(0x80), geU],
        when([get(p), get(end), call(UTF8), tee(n)], get(p), get(n), add, set(p), br(2)), // valid UTF-8: part of the run
        flushRun,
        get(o), i32(0xef), store8(), get(o), i32(0xbf), store8(1), get(o), i32(0xbd), store8(2),
        get(o), i32(3), add, set(o),
        get(p), i32(1), add, tee(p), set(run),
        br(1),
      ),
      flushRun,
      get(o), i32(0x5c), store8(),
      get(b), load8(ESCAPES), set(c),
      get(o), get(c), store8(1),
      get(o), i32(2), add, set(o),
      when(
        [get(c), i32(0x75), eq],
        get(o), i32(0x30), store8(), get(o), i32(0x30), store8(1),
        get(o), get(b), i32(4), shrU, load8(HEX), store8(2),
        get(o), get(b), i32(15), and, load8(HEX), store8(3),
        get(o), i32(4), add, set(o),
      ),
      get(p), i32(1), add, tee(p), set(run),
      br(0),
    )),
    flushRun,
    get(o),
  ];
}

/**
 * copy(to, from, n) -> to + n. memory.copy costs a call into the engine each time, a lot for the
 * ~10-100 bytes of a prefix or a line: short copies go 16 bytes at a time instead, writing up to
 * 15 bytes past the end (overwritten by what comes next; OUT keeps that much spare).
 */
function copyFunc(): Code {
  const [to, from, n, end] = [0, 1, 2, 3];
  return [
    get(to), get(n), add, set(end),
    when([get(n), i32(256), geU], get(to), get(from), get(n), memoryCopy, get(end), ret),
    block(loop(
      get(to), get(end), geU, brIf(1),
      get(to), get(from), v128Load, v128Store,
      get(to), i32(16), add, set(to),
      get(from), i32(16), add, set(from),
      br(0),
    )),
    get(end),
  ];
}

/** utf8(p, end) -> length of the valid UTF-8 sequence at p (RFC 3629), or 0. */
function utf8Func(): Code {
  const [p, end, b, lo, hi] = [0, 1, 2, 3, 4];
  const continuation = (offset: number): Code => [get(p), load8(offset), i32(0xc0), and, i32(0x80), eq];
  const secondInRange: Code = [get(p), load8(1), get(lo), sub, get(hi), get(lo), sub, leU];
  const fits = (n: number): Code => [get(p), i32(n - 1), add, get(end), ltU];
  return [
    get(p), load8(), set(b),
    when([get(b), i32(0xc2), sub, i32(0xdf - 0xc2), leU], when(fits(2), when(continuation(1), i32(2), ret)), i32(0), ret),
    when(
      [get(b), i32(0xe0), sub, i32(0xef - 0xe0), leU],
      when(
        fits(3),
        i32(0xa0), i32(0x80), get(b), i32(0xe0), eq, select, set(lo), // no overlongs
        i32(0x9f), i32(0xbf), get(b), i32(0xed), eq, select, set(hi), // no surrogates
        when([secondInRange, continuation(2), and], i32(3), ret),
      ),
      i32(0), ret,
    ),
    when(
      [get(b), i32(0xf0), sub, i32(0xf4 - 0xf0), leU],
      when(
        fits(4),
        i32(0x90), i32(0x80), get(b), i32(0xf0), eq, select, set(lo),
        i32(0x8f), i32(0xbf), get(b), i32(0xf4), eq, select, set(hi), // nothing above U+10FFFF
        when([secondInRange, continuation(2), and, continuation(3), and], i32(4), ret),
      ),
    ),
    i32(0),
  ];
}

/** The module: exports memory, prefix, json, split (and the helpers, unused from outside). */
export function moduleBytes(): Uint8Array {
  return assemble(PAGES, [
    { name: 'prefix', params: 3, locals: [I32, I32, I32, I32, I32], body: prefixFunc() },
    { name: 'json', params: 5, locals: [I32, I32, I32, I32], body: jsonFunc() },
    { name: 'escape', params: 3, locals: [I32, I32, I32, I32, I32, V128], body: escapeFunc() },
    { name: 'utf8', params: 2, locals: [I32, I32, I32], body: utf8Func() },
    { name: 'copy', params: 3, locals: [I32], body: copyFunc() },
    { name: 'split', params: 3, locals: [I32, I32, I32], body: splitFunc() },
  ]);
}
