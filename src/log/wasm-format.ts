// The hot path of both formats, in WebAssembly with SIMD: in JavaScript each line costs a few
// Buffer.copy calls (~70 ns each) and json a byte-by-byte scan; here a line is a few memory.copy
// and 16 bytes are checked at once. libuv reads straight into this module's memory, so lines in
// the read buffer are formatted in place; line-formats.ts stays the reference (and the fallback),
// and test/os/relay.test.ts checks the two give the same bytes. Measured in docs/logging.md.
import {
  add, and, assemble, block, br, brIf, call, ctz, eq, eqz, geU, get, gtU, i32, i8x16Bitmask, i8x16Eq, i8x16LtS,
  i8x16Splat, I32, ifElse, leU, load, load8, loop, ltU, memoryCopy, mul, ne, ret, select, set, shl, shrU, store,
  store8, sub, tee, v128Load, v128Or, V128, when, type Code,
} from './wasm-asm.js';
import { PIECE, WHOLE, type Records } from './lines.js';

// Memory layout (bytes).
export const READ_SIZE = 64 * 1024; // [0, READ_SIZE): libuv reads here
const HEAD = 65536; // the prefix, or json's head up to the message's opening quote
export const HEAD_MAX = 4096;
const TAIL = HEAD + HEAD_MAX; // json: `"}\n`
const PARTIAL_TAIL = TAIL + 64; // json: `","partial":true}\n`
const ESCAPES = PARTIAL_TAIL + 64; // 128 bytes: the letter after '\' for bytes < 0x20, '"' and '\'
const HEX = ESCAPES + 128;
const OUT_LENGTH = HEX + 16;
const RECORDS = 73728; // (start, end | kind << 24) pairs
const RECORDS_MAX = 65536;
const OUT = 655360;
const PAGES = 48;
const OUT_END = PAGES * 65536;

/**
 * prefix(count, prefixLength): for each record, the prefix then the line and '\n'. Returns the
 * number of records done (fewer if OUT is full); the output's length is at OUT_LENGTH.
 */
function prefixFunc(): Code {
  const [count, plen, i, o, s, e, k, len] = [0, 1, 2, 3, 4, 5, 6, 7];
  return [
    i32(OUT), set(o),
    block(loop(
      get(i), get(count), geU, brIf(1),
      get(i), i32(3), shl, load(RECORDS), set(s),
      get(i), i32(3), shl, load(RECORDS + 4), set(e),
      get(e), i32(24), shrU, set(k),
      get(e), i32(0xffffff), and, set(e),
      get(e), get(s), sub, set(len),
      get(o), get(plen), add, get(len), add, i32(1), add, i32(OUT_END), gtU, brIf(1),
      get(o), i32(HEAD), get(plen), memoryCopy,
      get(o), get(plen), add, set(o),
      ifElse(
        [get(k), i32(WHOLE), eq],
        [get(o), get(s), get(len), i32(1), add, memoryCopy, get(o), get(len), add, i32(1), add, set(o)], // with its '\n'
        [get(o), get(s), get(len), memoryCopy, get(o), get(len), add, set(o), get(o), i32(10), store8(), get(o), i32(1), add, set(o)],
      ),
      get(i), i32(1), add, set(i),
      br(0),
    )),
    i32(OUT_LENGTH), get(o), i32(OUT), sub, store(),
    get(i),
  ];
}

/** json(count, headLength, tailLength, partialTailLength): like prefix, escaping each message. */
function jsonFunc(): Code {
  const [count, hlen, tlen, plen, i, o, s, e, k] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  return [
    i32(OUT), set(o),
    block(loop(
      get(i), get(count), geU, brIf(1),
      get(i), i32(3), shl, load(RECORDS), set(s),
      get(i), i32(3), shl, load(RECORDS + 4), set(e),
      get(e), i32(24), shrU, set(k),
      get(e), i32(0xffffff), and, set(e),
      // "\r\n" ends a line too: drop the '\r'.
      when([get(k), i32(WHOLE), eq, get(e), get(s), gtU, and], when([get(e), i32(1), sub, load8(), i32(13), eq], get(e), i32(1), sub, set(e))),
      // Room for the worst case, every byte escaped as \u00XX.
      get(o), get(hlen), add, get(e), get(s), sub, i32(6), mul, add, get(plen), add, i32(OUT_END), gtU, brIf(1),
      get(o), i32(HEAD), get(hlen), memoryCopy,
      get(o), get(hlen), add, set(o),
      get(s), get(e), get(o), call(2), set(o),
      ifElse(
        [get(k), i32(PIECE), eq],
        [get(o), i32(PARTIAL_TAIL), get(plen), memoryCopy, get(o), get(plen), add, set(o)],
        [get(o), i32(TAIL), get(tlen), memoryCopy, get(o), get(tlen), add, set(o)],
      ),
      get(i), i32(1), add, set(i),
      br(0),
    )),
    i32(OUT_LENGTH), get(o), i32(OUT), sub, store(),
    get(i),
  ];
}

/** escape(p, end, o) -> o: JSON string contents of [p, end) at o; invalid UTF-8 becomes U+FFFD. */
function escapeFunc(): Code {
  const [p, end, o, run, b, n, m, c, v] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const flushRun: Code = [get(o), get(run), get(p), get(run), sub, memoryCopy, get(o), get(p), get(run), sub, add, set(o)];
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
        when([get(p), get(end), call(3), tee(n)], get(p), get(n), add, set(p), br(2)), // valid UTF-8: part of the run
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

// The WebAssembly global, which this project's lib settings (ES2022, no DOM) do not declare.
declare const WebAssembly: {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
};

interface Exports {
  memory: { buffer: ArrayBuffer };
  prefix(count: number, prefixLength: number): number;
  json(count: number, headLength: number, tailLength: number, partialTailLength: number): number;
}

export interface FastFormat {
  /** The read buffer every relay shares: lines read into it are formatted in place. */
  readonly readBuffer: Buffer;
  /** Whether a record's buffer lives in this module's memory. */
  owns(buffer: Buffer): boolean;
  /** Format records [from, to) into out; returns the first record not done (it did not fit), or to. */
  prefix(records: Records, from: number, to: number, prefix: Buffer, out: Buffer[]): number;
  json(records: Records, from: number, to: number, head: Buffer, tail: Buffer, partialTail: Buffer, out: Buffer[]): number;
}

let loaded: FastFormat | null | undefined;

/** The WebAssembly formatter, or null where WebAssembly SIMD is not available. */
export function fastFormat(): FastFormat | null {
  if (loaded === undefined) loaded = instantiate();
  return loaded;
}

function instantiate(): FastFormat | null {
  const bytes = assemble(PAGES, [
    { name: 'prefix', params: 2, locals: [I32, I32, I32, I32, I32, I32], body: prefixFunc() },
    { name: 'json', params: 4, locals: [I32, I32, I32, I32, I32], body: jsonFunc() },
    { name: 'escape', params: 3, locals: [I32, I32, I32, I32, I32, V128], body: escapeFunc() },
    { name: 'utf8', params: 2, locals: [I32, I32, I32], body: utf8Func() },
  ]);
  if (typeof WebAssembly !== 'object' || !WebAssembly.validate(bytes)) return null;
  const wasm = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as Exports;
  const memory = Buffer.from(wasm.memory.buffer); // fixed size: never grown, so never detached
  const records32 = new Int32Array(wasm.memory.buffer, RECORDS, RECORDS_MAX * 2);
  for (let b = 0; b < 0x20; b++) memory[ESCAPES + b] = 0x75; // \u00XX
  for (const [b, c] of [[0x08, 'b'], [0x09, 't'], [0x0a, 'n'], [0x0c, 'f'], [0x0d, 'r'], [0x22, '"'], [0x5c, '\\']] as const) memory[ESCAPES + b] = c.charCodeAt(0);
  memory.write('0123456789abcdef', HEX, 'latin1');

  /** Run one wasm format over records [from, to), 64k records at a time; output copied out. */
  const run = (records: Records, from: number, to: number, out: Buffer[], format: (count: number) => number): number => {
    const { starts, ends, kinds, bufferOf, buffers } = records;
    let i = from;
    while (i < to) {
      const count = Math.min(to - i, RECORDS_MAX);
      for (let r = 0; r < count; r++) {
        const base = buffers[bufferOf[i + r]!]!.byteOffset;
        records32[2 * r] = base + starts[i + r]!;
        records32[2 * r + 1] = (base + ends[i + r]!) | (kinds[i + r]! << 24);
      }
      const done = format(count);
      const length = memory.readUInt32LE(OUT_LENGTH);
      if (length > 0) out.push(Buffer.from(memory.subarray(OUT, OUT + length)));
      if (done === 0) return i;
      i += done;
    }
    return to;
  };

  return {
    readBuffer: memory.subarray(0, READ_SIZE),
    owns: (buffer) => buffer.buffer === wasm.memory.buffer,
    prefix(records, from, to, prefix, out) {
      if (prefix.length > HEAD_MAX) return from;
      prefix.copy(memory, HEAD);
      return run(records, from, to, out, (count) => wasm.prefix(count, prefix.length));
    },
    json(records, from, to, head, tail, partialTail, out) {
      if (head.length > HEAD_MAX) return from;
      head.copy(memory, HEAD);
      tail.copy(memory, TAIL);
      partialTail.copy(memory, PARTIAL_TAIL);
      return run(records, from, to, out, (count) => wasm.json(count, head.length, tail.length, partialTail.length));
    },
  };
}
