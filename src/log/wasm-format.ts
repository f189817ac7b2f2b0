// The hot path of both formats, in WebAssembly with SIMD (wasm-code.ts): in JavaScript each line
// costs a few Buffer.copy calls (~70 ns each) and json a byte-by-byte scan; there a line is a few
// 16-byte copies and 16 bytes are checked at once. libuv reads straight into the module's memory,
// so lines are formatted where they were read. line-formats.ts stays the reference (and the
// fallback); test/os/relay.test.ts checks both give the same bytes. Measured in docs/logging.md.
import { FULL, HEAD, HEAD_MAX, HEX, ESCAPES, LINES_DONE, moduleBytes, OUT, OUT_LENGTH, PARTIAL_TAIL, PORCH_SIZE, READ_AT, READ_SIZE, RECORDS, RECORDS_MAX, TAIL } from './wasm-code.js';
import type { Records } from './lines.js';

export { READ_SIZE } from './wasm-code.js';

// The WebAssembly global, which this project's lib settings (ES2022, no DOM) do not declare.
declare const WebAssembly: {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
};

interface Exports {
  memory: { buffer: ArrayBuffer };
  prefix(first: number, count: number, prefixLength: number): number;
  json(first: number, count: number, headLength: number, tailLength: number, partialTailLength: number): number;
  prefixLines(from: number, to: number, maxLine: number, prefixLength: number): number;
  jsonLines(from: number, to: number, maxLine: number, headLength: number, tailLength: number): number;
}

/** Takes formatted output: whole lines, in a buffer that may be reused once emit returns. */
export type Emit = (output: Buffer) => void;

/** What formatting lines in place did: `lines` whole lines; the first byte not done is chunk[next]. */
export interface InPlace {
  readonly lines: number;
  readonly next: number;
}

export interface FastFormat {
  /** The read buffer every relay shares: lines read into it are formatted in place. */
  readonly readBuffer: Buffer;
  /**
   * The memory right before readBuffer: the unfinished line of a program's last read is moved
   * here, so that it and the new read are one run of memory and that line is formatted in place too.
   */
  readonly porch: Buffer;
  /** Whether buffer lies in the porch and read buffer, in this module's memory. */
  owns(buffer: Buffer): boolean;
  /**
   * Format records [from, to), handing the output to emit as views of this module's memory, valid
   * only until emit returns; returns the first record not done (it did not fit), or to.
   */
  prefix(records: Records, from: number, to: number, prefix: Buffer, emit: Emit): number;
  json(records: Records, from: number, to: number, head: Buffer, tail: Buffer, partialTail: Buffer, emit: Emit): number;
  /**
   * The whole lines of chunk (a part of the porch and read buffer) from `from` on, found and
   * formatted here in one pass, with no records: up to its last '\n', or before a line longer than
   * maxLine. The caller does the rest.
   */
  prefixLines(chunk: Buffer, from: number, maxLine: number, prefix: Buffer, emit: Emit): InPlace;
  jsonLines(chunk: Buffer, from: number, maxLine: number, head: Buffer, tail: Buffer, partialTail: Buffer, emit: Emit): InPlace;
}

let loaded: FastFormat | null | undefined;

/** The WebAssembly formatter, or null where WebAssembly SIMD is not available. */
export function fastFormat(): FastFormat | null {
  if (loaded === undefined) loaded = instantiate();
  return loaded;
}

function instantiate(): FastFormat | null {
  const bytes = moduleBytes();
  if (typeof WebAssembly !== 'object' || !WebAssembly.validate(bytes)) return null;
  const wasm = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as Exports;
  const memory = Buffer.from(wasm.memory.buffer); // fixed size: never grown, so never detached
  const records32 = new Int32Array(wasm.memory.buffer, RECORDS, RECORDS_MAX * 2);
  for (let b = 0; b < 0x20; b++) memory[ESCAPES + b] = 0x75; // \u00XX
  for (const [b, c] of [[0x08, 'b'], [0x09, 't'], [0x0a, 'n'], [0x0c, 'f'], [0x0d, 'r'], [0x22, '"'], [0x5c, '\\']] as const) memory[ESCAPES + b] = c.charCodeAt(0);
  memory.write('0123456789abcdef', HEX, 'latin1');

  /** One WebAssembly format call over records [first, count): returns the first record not done. */
  type Format = (first: number, count: number) => number;

  /** Hand on what the last format call wrote, where it is: the next call overwrites it. */
  const takeOutput = (emit: Emit): void => {
    const length = memory.readUInt32LE(OUT_LENGTH);
    if (length > 0) emit(memory.subarray(OUT, OUT + length));
  };

  /** Run one wasm format over records [from, to), RECORDS_MAX records at a time. */
  const run = (records: Records, from: number, to: number, emit: Emit, format: Format): number => {
    const { starts, ends, kinds, bufferOf, buffers } = records;
    let i = from;
    while (i < to) {
      const count = Math.min(to - i, RECORDS_MAX);
      for (let r = 0; r < count; r++) {
        const base = buffers[bufferOf[i + r]!]!.byteOffset;
        records32[2 * r] = base + starts[i + r]!;
        records32[2 * r + 1] = (base + ends[i + r]!) | (kinds[i + r]! << 24);
      }
      const done = format(0, count);
      takeOutput(emit);
      if (done === 0) return i;
      i += done;
    }
    return to;
  };

  /** One WebAssembly in-place call over [from, to): returns where it stopped (see prefixLines in wasm-code.ts). */
  type Lines = (from: number, to: number, maxLine: number) => number;

  /** Format chunk[from..]'s whole lines where they are, one output (OUT) at a time. */
  const inPlace = (chunk: Buffer, from: number, maxLine: number, emit: Emit, format: Lines): InPlace => {
    const base = chunk.byteOffset;
    const to = base + chunk.length;
    const max = Math.min(maxLine, 0x7fffffff);
    let p = base + from;
    let lines = 0;
    for (;;) {
      const before = p;
      p = format(p, to, max);
      lines += memory.readUInt32LE(LINES_DONE);
      takeOutput(emit);
      if (memory.readUInt32LE(FULL) === 0 || p === before) break; // the rest is the caller's
    }
    return { lines, next: p - base };
  };

  /** The prefix into the module's memory; false if it does not fit. */
  const loadPrefix = (prefix: Buffer): boolean => {
    if (prefix.length > HEAD_MAX) return false;
    prefix.copy(memory, HEAD);
    return true;
  };
  const loadJson = (head: Buffer, tail: Buffer, partialTail: Buffer): boolean => {
    if (head.length > HEAD_MAX) return false;
    head.copy(memory, HEAD);
    tail.copy(memory, TAIL);
    partialTail.copy(memory, PARTIAL_TAIL);
    return true;
  };

  const owns = (buffer: Buffer): boolean => buffer.buffer === wasm.memory.buffer && buffer.byteOffset + buffer.length <= READ_AT + READ_SIZE;
  const none = (from: number): InPlace => ({ lines: 0, next: from });
  return {
    readBuffer: memory.subarray(READ_AT, READ_AT + READ_SIZE),
    porch: memory.subarray(0, PORCH_SIZE),
    owns,
    prefix(records, from, to, prefix, emit) {
      if (!loadPrefix(prefix)) return from;
      return run(records, from, to, emit, (first, count) => wasm.prefix(first, count, prefix.length));
    },
    prefixLines(chunk, from, maxLine, prefix, emit) {
      if (!owns(chunk) || !loadPrefix(prefix)) return none(from);
      return inPlace(chunk, from, maxLine, emit, (p, to, max) => wasm.prefixLines(p, to, max, prefix.length));
    },
    json(records, from, to, head, tail, partialTail, emit) {
      if (!loadJson(head, tail, partialTail)) return from;
      return run(records, from, to, emit, (first, count) => wasm.json(first, count, head.length, tail.length, partialTail.length));
    },
    jsonLines(chunk, from, maxLine, head, tail, partialTail, emit) {
      if (!owns(chunk) || !loadJson(head, tail, partialTail)) return none(from);
      return inPlace(chunk, from, maxLine, emit, (p, to, max) => wasm.jsonLines(p, to, max, head.length, tail.length));
    },
  };
}
