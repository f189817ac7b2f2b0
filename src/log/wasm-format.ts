// The hot path of both formats, in WebAssembly with SIMD (wasm-code.ts): in JavaScript each line
// costs a few Buffer.copy calls (~70 ns each) and json a byte-by-byte scan; there a line is a few
// 16-byte copies and 16 bytes are checked at once. libuv reads straight into the module's memory,
// so lines are formatted where they were read. line-formats.ts stays the reference (and the
// fallback); test/os/relay.test.ts checks both give the same bytes. Measured in docs/logging.md.
import { HEAD, HEAD_MAX, HEX, ESCAPES, moduleBytes, OUT, OUT_LENGTH, PARTIAL_TAIL, READ_SIZE, RECORDS, RECORDS_MAX, TAIL } from './wasm-code.js';
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
  split(from: number, to: number, maxLine: number): number;
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
  /** Whether buffer lies in the read buffer, in this module's memory. */
  owns(buffer: Buffer): boolean;
  /**
   * Format records [from, to), handing the output to emit as views of this module's memory, valid
   * only until emit returns; returns the first record not done (it did not fit), or to.
   */
  prefix(records: Records, from: number, to: number, prefix: Buffer, emit: Emit): number;
  json(records: Records, from: number, to: number, head: Buffer, tail: Buffer, partialTail: Buffer, emit: Emit): number;
  /**
   * The whole lines of chunk (a part of the read buffer) from `from` on, found and formatted here,
   * with no records in JavaScript: up to its last '\n', or before a line longer than maxLine.
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

  /** Split chunk[from..] into records here, then format them; a record that does not fit OUT is left to the caller. */
  const inPlace = (chunk: Buffer, from: number, maxLine: number, emit: Emit, format: Format): InPlace => {
    const base = chunk.byteOffset;
    const count = wasm.split(base + from, base + chunk.length, Math.min(maxLine, 0xffffff)); // an end is 24 bits
    let i = 0;
    while (i < count) {
      const done = format(i, count);
      takeOutput(emit);
      if (done === i) break;
      i = done;
    }
    const next = i === 0 ? base + from : i < count ? records32[2 * i]! : records32[2 * count - 1]! + 1;
    return { lines: i, next: next - base };
  };

  /** The prefix into the module's memory; the format to run, or null if it does not fit. */
  const loadPrefix = (prefix: Buffer): Format | null => {
    if (prefix.length > HEAD_MAX) return null;
    prefix.copy(memory, HEAD);
    return (first, count) => wasm.prefix(first, count, prefix.length);
  };
  const loadJson = (head: Buffer, tail: Buffer, partialTail: Buffer): Format | null => {
    if (head.length > HEAD_MAX) return null;
    head.copy(memory, HEAD);
    tail.copy(memory, TAIL);
    partialTail.copy(memory, PARTIAL_TAIL);
    return (first, count) => wasm.json(first, count, head.length, tail.length, partialTail.length);
  };

  const owns = (buffer: Buffer): boolean => buffer.buffer === wasm.memory.buffer && buffer.byteOffset + buffer.length <= READ_SIZE;
  const none = (from: number): InPlace => ({ lines: 0, next: from });
  return {
    readBuffer: memory.subarray(0, READ_SIZE),
    owns,
    prefix(records, from, to, prefix, emit) {
      const format = loadPrefix(prefix);
      return format ? run(records, from, to, emit, format) : from;
    },
    prefixLines(chunk, from, maxLine, prefix, emit) {
      const format = owns(chunk) ? loadPrefix(prefix) : null;
      return format ? inPlace(chunk, from, maxLine, emit, format) : none(from);
    },
    json(records, from, to, head, tail, partialTail, emit) {
      const format = loadJson(head, tail, partialTail);
      return format ? run(records, from, to, emit, format) : from;
    },
    jsonLines(chunk, from, maxLine, head, tail, partialTail, emit) {
      const format = owns(chunk) ? loadJson(head, tail, partialTail) : null;
      return format ? inPlace(chunk, from, maxLine, emit, format) : none(from);
    },
  };
}
