// The WebAssembly code of wasm-format.ts, written with wasm-asm.ts: the memory layout and the
// seven functions. A br's depth counts the blocks, loops and ifs around it, innermost 0.
import {
  add, and, assemble, block, br, brIf, call, ctz, eq, geU, get, gtU, i32, i8x16Bitmask, i8x16Eq, i8x16LtS,
  i8x16Splat, I32, ifElse, leU, load, load8, loop, ltU, memoryCopy, mul, ne, ret, select, set, shl, shrU, store,
  store8, sub, tee, v128Load, v128Or, v128Store, V128, when, type Code,
} from './wasm-asm.js';
import { PIECE, WHOLE } from './lines.js';

// Memory layout (bytes).
export const PORCH_SIZE = 64 * 1024; // [0, PORCH_SIZE): a line carried from the last read, moved next to this read
export const READ_AT = PORCH_SIZE;
export const READ_SIZE = 512 * 1024; // [READ_AT, READ_AT + READ_SIZE): libuv reads here (size: docs/logging.md)
export const HEAD = READ_AT + READ_SIZE; // the prefix, or json's head up to the message's opening quote
export const HEAD_MAX = 4096;
export const TAIL = HEAD + HEAD_MAX; // json: `"}\n`
export const PARTIAL_TAIL = TAIL + 64; // json: `","partial":true}\n`
export const ESCAPES = PARTIAL_TAIL + 64; // 128 bytes: the letter after '\' for bytes < 0x20, '"' and '\'
export const HEX = ESCAPES + 128;
export const OUT_LENGTH = HEX + 16;
export const LINES_DONE = OUT_LENGTH + 4; // prefixLines, jsonLines: the lines they did
export const FULL = OUT_LENGTH + 8; // prefixLines, jsonLines: 1 if they stopped because OUT was full
export const RECORDS = HEAD + 8192; // (start, end | kind << 24) pairs
export const RECORDS_MAX = READ_SIZE; // a read has at most one line per byte
export const OUT = RECORDS + RECORDS_MAX * 8;
// Room for the json of a whole read and its carried line with every byte escaped (\u00XX, 6
// bytes), so jsonLines and prefixLines always get at least their first line done.
export const OUT_SIZE = 6 * (PORCH_SIZE + READ_SIZE) + HEAD_MAX + 4096;
export const PAGES = Math.ceil((OUT + OUT_SIZE) / 65536);
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

/** Whether byte b (a local) is printable ASCII other than '"' and '\': JSON takes it as it is. */
const plainJson = (b: number): Code => [get(b), i32(0x20), sub, i32(0x60), ltU, get(b), i32(0x22), ne, and, get(b), i32(0x5c), ne, and];

/** U+FFFD at out (a local), which then moves past it. */
const replacementAt = (out: number): Code => [
  get(out), i32(0xef), store8(), get(out), i32(0xbf), store8(1), get(out), i32(0xbd), store8(2),
  get(out), i32(3), add, set(out),
];

/** Byte b's JSON escape (\n, \", \u00XX...) at out (locals; c a scratch one), which then moves past it. */
const escapeAt = (out: number, b: number, c: number): Code => [
  get(out), i32(0x5c), store8(),
  get(b), load8(ESCAPES), set(c),
  get(out), get(c), store8(1),
  get(out), i32(2), add, set(out),
  when(
    [get(c), i32(0x75), eq],
    get(out), i32(0x30), store8(), get(out), i32(0x30), store8(1),
    get(out), get(b), i32(4), shrU, load8(HEX), store8(2),
    get(out), get(b), i32(15), and, load8(HEX), store8(3),
    get(out), i32(4), add, set(out),
  ),
];

/** The in-place functions' end: the output's length (OUT to o) and the lines done n, then return s. */
const linesDone = (o: number, n: number, s: number): Code => [
  i32(OUT_LENGTH), get(o), i32(OUT), sub, store(),
  i32(LINES_DONE), get(n), store(),
  get(s),
];

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

// The in-place functions below scan 16 bytes at a time and store those 16 bytes to the output
// in the same step, whatever they hold: what follows a line's end is overwritten by what comes
// next (the next line's head, or its tail). One pass over each line, no records in between.

/**
 * prefixLines(p, to, maxLine, prefixLength) -> next: the whole lines from p on, each as the prefix,
 * the line and its '\n'. Stops at the first line without a '\n' before `to`, or longer than
 * maxLine (lines.ts cuts that one), or when OUT is full (and then sets FULL). Returns where it
 * stopped, always a line's start; the lines done are at LINES_DONE, the output's length at OUT_LENGTH.
 */
function prefixLinesFunc(): Code {
  const [p, to, max, plen, o, s, n, m, d, v, newlines] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  return [
    i32(OUT), set(o),
    i32(10), i8x16Splat, set(newlines), // splats made once, not once per 16 bytes
    i32(FULL), i32(0), store(),
    block(loop( // done: 1, next line: 0
      get(p), set(s),
      // room for the prefix, all the input left and the 16-byte stores past it
      when([get(o), get(plen), add, get(to), get(p), sub, add, i32(48), add, i32(OUT_END), gtU], i32(FULL), i32(1), store(), br(2)),
      get(o), i32(HEAD), get(plen), call(COPY), get(p), sub, set(d), // byte p goes to p + d
      block( // found: p is at the line's '\n'
        block(loop( // 16 bytes at a time while they fit
          get(p), i32(16), add, get(to), gtU, brIf(1),
          get(p), v128Load, set(v),
          get(p), get(d), add, get(v), v128Store,
          when([get(v), get(newlines), i8x16Eq, i8x16Bitmask, tee(m)], get(p), get(m), ctz, add, set(p), br(3)),
          get(p), i32(16), add, set(p),
          br(0),
        )),
        loop( // the last few bytes one at a time
          get(p), get(to), geU, brIf(3), // no '\n' yet: this line waits for the next read
          get(p), get(d), add, get(p), load8(), store8(),
          get(p), load8(), i32(10), eq, brIf(1),
          get(p), i32(1), add, set(p),
          br(0),
        ),
      ),
      get(p), get(s), sub, get(max), gtU, brIf(1),
      get(p), get(d), add, i32(10), store8(),
      get(p), get(d), add, i32(1), add, set(o),
      get(p), i32(1), add, set(p),
      get(n), i32(1), add, set(n),
      br(0),
    )),
    ...linesDone(o, n, s),
  ];
}

/**
 * jsonLines(p, to, maxLine, headLength, tailLength) -> next: like prefixLines, each line as a JSON
 * object: the head, the line escaped (a '\r' before the '\n' dropped, invalid UTF-8 as U+FFFD),
 * the tail.
 */
function jsonLinesFunc(): Code {
  const [p, to, max, hlen, tlen, o, q, s, n, m, b, c, k, v, spaces, quotes, backslashes] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
  const special: Code = [
    get(v), get(spaces), i8x16LtS, // < 0x20 ('\n' among them), or >= 0x80 (negative)
    get(v), get(quotes), i8x16Eq, v128Or,
    get(v), get(backslashes), i8x16Eq, v128Or,
    i8x16Bitmask, tee(m),
  ];
  return [
    i32(OUT), set(o),
    i32(0x20), i8x16Splat, set(spaces), // splats made once, not once per 16 bytes
    i32(0x22), i8x16Splat, set(quotes),
    i32(0x5c), i8x16Splat, set(backslashes),
    i32(FULL), i32(0), store(),
    block(loop( // done: 1, next line: 0
      get(p), set(s),
      // room for the head, all the input left escaped at worst (\u00XX), the tail and the 16-byte stores
      when([get(o), get(hlen), add, get(to), get(p), sub, i32(6), mul, add, get(tlen), add, i32(48), add, i32(OUT_END), gtU], i32(FULL), i32(1), store(), br(2)),
      get(o), i32(HEAD), get(hlen), call(COPY), set(q),
      block( // eol: p is at the line's '\n'
        loop( // scan: 0, eol: 1, next line: 2, done: 3
          block(loop( // 16 bytes at a time until one needs a look
            get(p), i32(16), add, get(to), gtU, brIf(1),
            get(p), v128Load, set(v),
            get(q), get(v), v128Store,
            when(special, get(p), get(m), ctz, tee(k), add, set(p), get(q), get(k), add, set(q), br(2)),
            get(p), i32(16), add, set(p),
            get(q), i32(16), add, set(q),
            br(0),
          )),
          get(p), get(to), geU, brIf(3), // no '\n' yet: this line waits for the next read
          get(p), load8(), set(b),
          get(b), i32(10), eq, brIf(1),
          // "\r\n" ends a line too: drop the '\r' (a '\r' last in the read waits with its line)
          when([get(b), i32(13), eq, get(p), i32(1), add, get(to), ltU, and, get(p), load8(1), i32(10), eq, and], get(p), i32(1), add, set(p), br(2)),
          // printable ASCII other than '"' and '\': as it is
          when(plainJson(b), get(q), get(b), store8(), get(q), i32(1), add, set(q), get(p), i32(1), add, set(p), br(1)),
          when(
            [get(b), i32(0x80), geU],
            when(
              [get(p), get(to), call(UTF8), tee(k)], // valid UTF-8: as it is (4 bytes stored, the extra overwritten)
              get(q), get(p), load(), store(), get(p), get(k), add, set(p), get(q), get(k), add, set(q), br(2),
            ),
            ...replacementAt(q), get(p), i32(1), add, set(p), br(1),
          ),
          ...escapeAt(q, b, c),
          get(p), i32(1), add, set(p),
          br(0),
        ),
      ),
      get(p), get(s), sub, get(max), gtU, brIf(1),
      get(q), i32(TAIL), get(tlen), call(COPY), set(o),
      get(p), i32(1), add, set(p),
      get(n), i32(1), add, set(n),
      br(0),
    )),
    ...linesDone(o, n, s),
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
      when(plainJson(b), get(p), i32(1), add, set(p), br(1)),
      when(
        [get(b), i32(0x80), geU],
        when([get(p), get(end), call(UTF8), tee(n)], get(p), get(n), add, set(p), br(2)), // valid UTF-8: part of the run
        flushRun,
        ...replacementAt(o),
        get(p), i32(1), add, tee(p), set(run),
        br(1),
      ),
      flushRun,
      ...escapeAt(o, b, c),
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

/** The module: exports memory, prefix, json, prefixLines, jsonLines (and the helpers, unused from outside). */
export function moduleBytes(): Uint8Array {
  return assemble(PAGES, [
    { name: 'prefix', params: 3, locals: [I32, I32, I32, I32, I32], body: prefixFunc() },
    { name: 'json', params: 5, locals: [I32, I32, I32, I32], body: jsonFunc() },
    { name: 'escape', params: 3, locals: [I32, I32, I32, I32, I32, V128], body: escapeFunc() },
    { name: 'utf8', params: 2, locals: [I32, I32, I32], body: utf8Func() },
    { name: 'copy', params: 3, locals: [I32], body: copyFunc() },
    { name: 'prefixLines', params: 4, locals: [I32, I32, I32, I32, I32, V128, V128], body: prefixLinesFunc() },
    { name: 'jsonLines', params: 5, locals: [I32, I32, I32, I32, I32, I32, I32, I32, V128, V128, V128, V128], body: jsonLinesFunc() },
  ]);
}
