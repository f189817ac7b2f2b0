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
  const bytes = moduleBytes();
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
      if (length > 0) {
        const copy = Buffer.allocUnsafe(length); // not Buffer.from: that zero-fills first
        memory.copy(copy, 0, OUT, OUT + length);
        out.push(copy);
      }
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
