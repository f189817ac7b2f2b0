// Records -> output buffers of whole lines, usually one per read. Lines still in the shared read
// buffer are formatted by wasm-format.ts; the rest (a line that spanned two reads, the pieces of a
// long one) here, sized exactly first and then copied. This file is also the reference the
// WebAssembly version is tested against.
import { PIECE, WHOLE, type Records } from './lines.js';
import { fastFormat, type Emit, type FastFormat, type InPlace } from './wasm-format.js';

export interface LineFormat {
  /** The records, formatted, handed to emit in order (usually as one buffer). */
  records(records: Records, emit: Emit): void;
  /**
   * The whole lines of chunk (in the shared read buffer) from `from` on, found and formatted by
   * the WebAssembly formatter (see FastFormat.prefixLines); null without it.
   */
  readonly inPlace: ((chunk: Buffer, from: number, maxLine: number, emit: Emit) => InPlace) | null;
  /** Where a carried line goes to be formatted in place with the next read (FastFormat.porch); null without it. */
  readonly porch: Buffer | null;
}
type Slow = (records: Records, from: number, to: number) => Buffer;
type Quick = (from: number, to: number) => number;

/** `name    | line`, the name padded to `width` like docker compose. */
export function prefixFormat(program: string, width: number, fast: FastFormat | null = fastFormat()): LineFormat {
  const prefix = Buffer.from(`${program.padEnd(width)} | `);
  const pl = prefix.length;
  const slow: Slow = (records, from, to) => {
    const { starts, ends, bufferOf, buffers } = records;
    let size = 0;
    for (let i = from; i < to; i++) size += pl + ends[i]! - starts[i]! + 1;
    const out = Buffer.allocUnsafe(size);
    let o = 0;
    for (let i = from; i < to; i++) {
      for (let k = 0; k < pl; k++) out[o + k] = prefix[k]!; // cheaper than a copy call for a short prefix
      o += pl;
      const buffer = buffers[bufferOf[i]!]!;
      if (records.kinds[i] === WHOLE) {
        o += buffer.copy(out, o, starts[i]!, ends[i]! + 1); // the line with its own '\n'
      } else {
        o += buffer.copy(out, o, starts[i]!, ends[i]!);
        out[o++] = 0x0a;
      }
    }
    return out;
  };
  return {
    records: (records, emit) => runs(records, emit, fast, slow, (from, to) => fast!.prefix(records, from, to, prefix, emit)),
    inPlace: fast && ((chunk, from, maxLine, emit) => fast.prefixLines(chunk, from, maxLine, prefix, emit)),
    porch: fast && fast.porch,
  };
}

/** Records in the fast formatter's memory (the read buffer) go to it, the others to slow. */
function runs(records: Records, emit: Emit, fast: FastFormat | null, slow: Slow, quick: Quick): void {
  const { count, buffers, firsts } = records;
  for (let b = 0; b < buffers.length; b++) {
    const from = firsts[b]!;
    const to = b + 1 < buffers.length ? firsts[b + 1]! : count;
    if (fast === null || !fast.owns(buffers[b]!)) {
      emit(slow(records, from, to));
      continue;
    }
    for (let k = quick(from, to); k < to; k = k + 1 < to ? quick(k + 1, to) : to) emit(slow(records, k, k + 1)); // one too big for it
  }
}

/**
 * One JSON object per line: {"time","program","stream","message"} and `"partial":true` on the
 * pieces of a long line. The time is the moment the batch was read (one clock call per read).
 * A '\r' before the '\n' is dropped; invalid UTF-8 becomes U+FFFD, so every line parses.
 */
export function jsonFormat(program: string, stream: 'stdout' | 'stderr', clock: () => number, fast: FastFormat | null = fastFormat()): LineFormat {
  const middle = `","program":${JSON.stringify(program)},"stream":"${stream}","message":"`;
  const tail = Buffer.from('"}\n');
  const partialTail = Buffer.from('","partial":true}\n');
  let headAt = Number.NaN;
  let head = Buffer.alloc(0);

  // Local scratch, not kept: this path sees few records (but possibly a long line), rarely.
  const slow: Slow = (records, from, to) => {
    const { starts, ends, kinds, bufferOf, buffers } = records;
    const escaped = new Int32Array(to - from); // per record: end of its escaped form in `spill`, or -1
    let spill: Buffer = Buffer.allocUnsafe(0);
    let size = 0;
    let spilled = 0;
    for (let i = from; i < to; i++) {
      const buffer = buffers[bufferOf[i]!]!;
      const start = starts[i]!;
      let end = ends[i]!;
      if (kinds[i] === WHOLE && end > start && buffer[end - 1] === 0x0d) ends[i] = --end;
      size += head.length + (kinds[i] === PIECE ? partialTail.length : tail.length);
      const first = firstToEscape(buffer, start, end);
      if (first === end) {
        escaped[i - from] = -1;
        size += end - start;
        continue;
      }
      const worst = spilled + (end - start) * 6;
      if (worst > spill.length) spill = grow(spill, spilled, worst);
      const at = spilled;
      spilled += buffer.copy(spill, spilled, start, first);
      spilled = escapeInto(buffer, first, end, spill, spilled);
      escaped[i - from] = spilled;
      size += spilled - at;
    }
    const out = Buffer.allocUnsafe(size);
    let o = 0;
    let spillFrom = 0;
    for (let i = from; i < to; i++) {
      o += head.copy(out, o);
      const spillTo = escaped[i - from]!;
      if (spillTo < 0) {
        o += buffers[bufferOf[i]!]!.copy(out, o, starts[i]!, ends[i]!);
      } else {
        o += spill.copy(out, o, spillFrom, spillTo);
        spillFrom = spillTo;
      }
      o += (kinds[i] === PIECE ? partialTail : tail).copy(out, o);
    }
    return out;
  };
  const readClock = (): void => {
    const now = clock();
    if (now === headAt) return;
    headAt = now;
    head = Buffer.from(`{"time":"${new Date(now).toISOString()}${middle}`);
  };
  return {
    records: (records, emit) => {
      readClock();
      runs(records, emit, fast, slow, (from, to) => fast!.json(records, from, to, head, tail, partialTail, emit));
    },
    inPlace: fast && ((chunk, from, maxLine, emit) => {
      readClock();
      return fast.jsonLines(chunk, from, maxLine, head, tail, partialTail, emit);
    }),
    porch: fast && fast.porch,
  };
}

function grow(buffer: Buffer, used: number, needed: number): Buffer {
  const bigger = Buffer.allocUnsafe(Math.max(needed, buffer.length * 2));
  buffer.copy(bigger, 0, 0, used);
  return bigger;
}

// 0: copied as is; otherwise the character after the backslash ('u' for \u00XX).
const ESCAPE = new Uint8Array(128);
for (let b = 0; b < 0x20; b++) ESCAPE[b] = 0x75;
for (const [b, c] of [[0x08, 'b'], [0x09, 't'], [0x0a, 'n'], [0x0c, 'f'], [0x0d, 'r'], [0x22, '"'], [0x5c, '\\']] as const) ESCAPE[b] = c.charCodeAt(0);
const HEX = Buffer.from('0123456789abcdef');

/** The first byte that needs escaping or UTF-8 checking, or end. */
function firstToEscape(buffer: Buffer, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    const b = buffer[i]!;
    if (b >= 0x80 || ESCAPE[b] !== 0) return i;
  }
  return end;
}

/** JSON-escape buffer[start..end) into out at o (room for 6 bytes per input byte); returns the new o. */
function escapeInto(buffer: Buffer, start: number, end: number, out: Buffer, o: number): number {
  let run = start; // start of the bytes copied as they are
  let i = start;
  while (i < end) {
    const b = buffer[i]!;
    if (b < 0x80) {
      const e = ESCAPE[b]!;
      if (e === 0) {
        i++;
        continue;
      }
      if (run < i) o += buffer.copy(out, o, run, i);
      out[o++] = 0x5c;
      out[o++] = e;
      if (e === 0x75) {
        out[o++] = 0x30;
        out[o++] = 0x30;
        out[o++] = HEX[b >> 4]!;
        out[o++] = HEX[b & 15]!;
      }
      run = ++i;
      continue;
    }
    const n = utf8SequenceLength(buffer, i, end);
    if (n > 0) {
      i += n;
      continue;
    }
    if (run < i) o += buffer.copy(out, o, run, i);
    out[o++] = 0xef; // U+FFFD for each byte that starts no valid sequence
    out[o++] = 0xbf;
    out[o++] = 0xbd;
    run = ++i;
  }
  if (run < end) o += buffer.copy(out, o, run, end);
  return o;
}

/** Length of the valid UTF-8 sequence at i (RFC 3629: no overlongs, surrogates or > U+10FFFF), or 0. */
function utf8SequenceLength(buffer: Buffer, i: number, end: number): number {
  const b = buffer[i]!;
  const cont = (at: number, lo = 0x80, hi = 0xbf): boolean => at < end && buffer[at]! >= lo && buffer[at]! <= hi;
  if (b >= 0xc2 && b <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (b >= 0xe0 && b <= 0xef) {
    const lo = b === 0xe0 ? 0xa0 : 0x80;
    const hi = b === 0xed ? 0x9f : 0xbf;
    return cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
  }
  if (b >= 0xf0 && b <= 0xf4) {
    const lo = b === 0xf0 ? 0x90 : 0x80;
    const hi = b === 0xf4 ? 0x8f : 0xbf;
    return cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}
