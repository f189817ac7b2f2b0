// Cuts a program's output into lines, whatever the read boundaries, without ever holding more
// than one line (at most maxLine bytes) beyond the chunk being read. See docs/logging.md.

/** A whole line; the byte at `end` in its buffer is its '\n'. */
export const WHOLE = 0;
/** maxLine bytes of a longer line; more of the same line follows. */
export const PIECE = 1;
/** The last line of the stream, which had no '\n'. */
export const UNTERMINATED = 2;
export type RecordKind = typeof WHOLE | typeof PIECE | typeof UNTERMINATED;

export const DEFAULT_MAX_LINE = 1024 * 1024;
const NEWLINE = 0x0a;

/**
 * The records found in one chunk, as offsets into a few buffers (no per-line objects): the
 * formatters turn a whole batch into one output buffer. Valid until the next clear().
 */
export class Records {
  count = 0;
  /** Lines completed (WHOLE or UNTERMINATED) since the last clear: pieces do not count. */
  lines = 0;
  /** The buffers the records point into; buffers[b]'s records are firsts[b] up to firsts[b + 1]. */
  readonly buffers: Buffer[] = [];
  readonly firsts: number[] = [];
  bufferOf = new Uint16Array(256);
  starts = new Int32Array(256);
  ends = new Int32Array(256);
  kinds = new Uint8Array(256);

  add(buffer: Buffer, start: number, end: number, kind: RecordKind): void {
    if (this.count === this.starts.length) this.grow();
    let b = this.buffers.length - 1;
    if (b < 0 || this.buffers[b] !== buffer) {
      b = this.buffers.push(buffer) - 1;
      this.firsts.push(this.count);
    }
    const i = this.count++;
    this.bufferOf[i] = b;
    this.starts[i] = start;
    this.ends[i] = end;
    this.kinds[i] = kind;
    if (kind !== PIECE) this.lines++;
  }

  clear(): void {
    this.count = 0;
    this.lines = 0;
    this.buffers.length = 0; // drop references: a chunk must not outlive its batch
    this.firsts.length = 0;
  }

  private grow(): void {
    const size = this.starts.length * 2;
    const copy = <T extends Uint8Array | Uint16Array | Int32Array>(from: T, to: T): T => (to.set(from), to);
    this.bufferOf = copy(this.bufferOf, new Uint16Array(size));
    this.starts = copy(this.starts, new Int32Array(size));
    this.ends = copy(this.ends, new Int32Array(size));
    this.kinds = copy(this.kinds, new Uint8Array(size));
  }
}

/**
 * Splits a byte stream into records. A line longer than maxLine bytes (not counting its '\n')
 * becomes PIECEs of at most maxLine bytes, cut before a UTF-8 sequence rather than inside it, then
 * a last WHOLE record: a piece is cut only once more than maxLine bytes are waiting, so a line of
 * exactly maxLine bytes stays whole.
 */
export class LineSplitter {
  private carry: Buffer[] = [];
  private carryLength = 0;

  constructor(readonly maxLine: number = DEFAULT_MAX_LINE) {
    if (!Number.isInteger(maxLine) || maxLine < 4) throw new RangeError(`maxLine must be an integer of at least 4 bytes, got ${maxLine}`);
  }

  /** The chunk may be a reused read buffer: records point into it, the carried tail is copied. */
  push(chunk: Buffer, out: Records): void {
    let pos = this.finishCarried(chunk, out);
    const max = this.maxLine;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, pos);
      if (nl < 0) break;
      if (nl - pos > max) this.line(chunk, pos, nl, out);
      else out.add(chunk, pos, nl, WHOLE);
      pos = nl + 1;
    }
    if (pos < chunk.length) this.keep(chunk, pos, out);
  }

  /**
   * The line carried over from the last chunk, completed with chunk's first line; returns where
   * the rest of chunk starts (0 if nothing was carried, chunk.length if chunk has no '\n' and is
   * carried along too).
   */
  finishCarried(chunk: Buffer, out: Records): number {
    if (this.carryLength === 0) return 0;
    const nl = chunk.indexOf(NEWLINE);
    if (nl < 0) {
      this.keep(chunk, 0, out);
      return chunk.length;
    }
    const line = Buffer.concat([...this.carry, chunk.subarray(0, nl + 1)]);
    this.carry = [];
    this.carryLength = 0;
    this.line(line, 0, line.length - 1, out);
    return nl + 1;
  }

  /**
   * If chunk starts right where `porch` ends, in the same memory, and the carried bytes fit in
   * porch: moves them to porch's end and returns the view from there to chunk's end, carrying
   * nothing any more. Otherwise returns chunk as it is.
   */
  prependCarried(chunk: Buffer, porch: Buffer): Buffer {
    const n = this.carryLength;
    if (n === 0 || n > porch.length || porch.buffer !== chunk.buffer || porch.byteOffset + porch.length !== chunk.byteOffset) return chunk;
    let at = porch.length - n;
    for (const piece of this.carry) at += piece.copy(porch, at);
    this.carry = [];
    this.carryLength = 0;
    return Buffer.from(chunk.buffer, chunk.byteOffset - n, chunk.length + n);
  }

  /** At EOF: what is left becomes the last line. */
  end(out: Records): void {
    if (this.carryLength === 0) return;
    const rest = this.carry.length === 1 ? this.carry[0]! : Buffer.concat(this.carry);
    this.carry = [];
    this.carryLength = 0;
    out.add(rest, 0, rest.length, UNTERMINATED);
  }

  /** Bytes held for an unfinished line. */
  get pending(): number {
    return this.carryLength;
  }

  /** A complete line [start, end) whose '\n' is at end: in pieces if it is too long. */
  private line(buffer: Buffer, start: number, end: number, out: Records): void {
    const from = this.pieces(buffer, start, end, out);
    out.add(buffer, from, end, WHOLE);
  }

  /** Emit maxLine pieces while more than maxLine bytes remain; returns where the rest starts. */
  private pieces(buffer: Buffer, start: number, end: number, out: Records): number {
    const max = this.maxLine;
    while (end - start > max) {
      const cut = utf8Boundary(buffer, start + max, start);
      out.add(buffer, start, cut, PIECE);
      start = cut;
    }
    return start;
  }

  /** Carry chunk[from..] into the next chunk, cutting pieces off if the line grows too long. */
  private keep(chunk: Buffer, from: number, out: Records): void {
    const length = chunk.length - from;
    if (this.carryLength + length <= this.maxLine) {
      this.carry.push(Buffer.from(chunk.subarray(from))); // a copy: the read buffer is reused
      this.carryLength += length;
      return;
    }
    const joined = Buffer.concat([...this.carry, chunk.subarray(from)]);
    const rest = this.pieces(joined, 0, joined.length, out);
    this.carry = [Buffer.from(joined.subarray(rest))];
    this.carryLength = joined.length - rest;
  }
}

/** Move a cut back (at most 3 bytes) so it does not fall inside a UTF-8 sequence. */
function utf8Boundary(buffer: Buffer, cut: number, floor: number): number {
  for (let c = cut; c > floor && c > cut - 4; c--) {
    if ((buffer[c]! & 0xc0) !== 0x80) return c;
  }
  return cut; // not UTF-8 (or a run of continuation bytes): cut where the limit says
}
