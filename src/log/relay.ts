// Multi-process mode's `logs: prefix` and `logs: json`: read a program's pipe, turn each line into
// `name | line` or a JSON object, hand whole lines to the shared sink. When the sink is full the
// pipe is no longer read, so the program blocks in write(): backpressure, not buffering. See
// docs/logging.md for the guarantees.
import type { OnReadOpts, SocketConstructorOpts } from 'node:net';
import { net } from '../os/builtins.js';
import { jsonFormat, prefixFormat, type LineFormat } from './line-formats.js';
import { DEFAULT_MAX_LINE, LineSplitter, Records } from './lines.js';
import { allSinks, sinkFor, type Sink } from './sink.js';
import { fastFormat, READ_SIZE, type Emit } from './wasm-format.js';

export { queueBehindRelays, sinkFor, takeOwnSigpipe, type Sink, type SinkStats } from './sink.js';
export { DEFAULT_MAX_LINE } from './lines.js';

export type RelayMode = 'prefix' | 'json';

export interface RelayOptions {
  /** The read end of the program's pipe; the relay owns it from now on and closes it. */
  readonly fd: number;
  readonly program: string;
  /** Prefix mode: the width every program name is padded to. */
  readonly width: number;
  readonly stream: 'stdout' | 'stderr';
  readonly mode: RelayMode;
  /** Default: sinkFor(1) for stdout, sinkFor(2) for stderr. */
  readonly sink?: Sink;
  /** Longest line kept whole, in bytes; longer ones go out in pieces (default 1 MiB). */
  readonly maxLine?: number;
  /** Wall clock for json's "time", in ms since the epoch (default Date.now). */
  readonly clock?: () => number;
}

export interface Relay {
  /** EOF reached (or close()), partial line flushed, and all its output handed to the sink. */
  readonly done: Promise<void>;
  /** bytesIn: read from the pipe; lines: lines completed (a line cut in pieces counts once). */
  readonly stats: { bytesIn: number; lines: number };
  /** Stop reading now and close the fd; what was read is still flushed. */
  close(): void;
}

// Every relay reads into the same buffer: libuv reads and our callback runs, synchronously, one
// stream at a time, and nothing keeps a reference to it past the callback (lines.ts copies).
// It lives in the WebAssembly formatter's memory, so lines are formatted where they were read.
let readBuffer: Buffer | undefined;
const sharedReadBuffer = (): Buffer => (readBuffer ??= fastFormat()?.readBuffer ?? Buffer.allocUnsafe(READ_SIZE));
// Shared for the same reason: filled and emptied within one callback.
const records = new Records();
const active = new Set<Promise<void>>();
const usedSinks = new Set<Sink>();

export function startRelay(options: RelayOptions): Relay {
  const sink = options.sink ?? sinkFor(options.stream === 'stdout' ? 1 : 2);
  usedSinks.add(sink);
  const format: LineFormat =
    options.mode === 'prefix'
      ? prefixFormat(options.program, options.width)
      : jsonFormat(options.program, options.stream, options.clock ?? Date.now);
  const splitter = new LineSplitter(options.maxLine ?? DEFAULT_MAX_LINE);
  const readInto = sharedReadBuffer();
  const stats = { bytesIn: 0, lines: 0 };
  let finished = false;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));

  // Formatted output (whole lines, in a buffer reused once emit returns) goes to the sink; `more`
  // turns false if the sink wants us to wait.
  let more = true;
  const emit: Emit = (output) => {
    more = sink.writeNow(output) && more;
  };

  // `onread` reads into our buffer and lets the callback pause reading (libuv readStop) by
  // returning false; net.Socket takes it like net.connect does, though @types/node lists it only there.
  const socketOptions: SocketConstructorOpts & { onread: OnReadOpts } = {
    fd: options.fd,
    readable: true,
    writable: false,
    onread: {
      buffer: readInto,
      callback: (bytes: number): boolean => {
        stats.bytesIn += bytes;
        more = true;
        stats.lines += formatChunk(readInto.subarray(0, bytes), splitter, records, format, emit);
        if (more) return true;
        sink.onDrain(() => {
          if (!finished) socket.resume();
        });
        return false; // stop reading until the sink drains: the program blocks in write()
      },
    },
  };
  const socket = new (net().Socket)(socketOptions);

  const end = (): void => {
    if (finished) return;
    finished = true;
    splitter.end(records);
    stats.lines += formatRecords(records, format, emit);
    active.delete(done);
    finish();
  };
  socket.on('end', end);
  socket.on('error', end); // a read error ends the stream like EOF; the caller sees the program's exit
  socket.on('close', end);
  active.add(done);

  return {
    done,
    stats,
    close() {
      socket.destroy();
      end();
    },
  };
}

/**
 * One read of a program's output, in order: the line carried over from the last read; the whole
 * lines after it, found and formatted where they were read when the WebAssembly formatter is
 * there; then, through the splitter, whatever is left (a line over maxLine, and the unfinished last
 * line, which is carried). The output goes to emit, in order; returns the lines completed.
 * With the WebAssembly formatter the carried line is first moved in front of the chunk (the
 * porch), so it too is formatted in place: it ends nearly every read of a busy program.
 */
export function formatChunk(chunk: Buffer, splitter: LineSplitter, records: Records, format: LineFormat, emit: Emit): number {
  if (format.porch !== null) chunk = splitter.prependCarried(chunk, format.porch);
  let pos = splitter.finishCarried(chunk, records);
  let lines = formatRecords(records, format, emit);
  if (format.inPlace !== null && pos < chunk.length) {
    const done = format.inPlace(chunk, pos, splitter.maxLine, emit);
    lines += done.lines;
    pos = done.next;
  }
  if (pos < chunk.length) {
    splitter.push(chunk.subarray(pos), records);
    lines += formatRecords(records, format, emit);
  }
  return lines;
}

/** Format and hand on the records the splitter found, and clear them; returns the lines completed. */
function formatRecords(records: Records, format: LineFormat, emit: Emit): number {
  if (records.count === 0) return 0;
  const lines = records.lines;
  format.records(records, emit);
  records.clear();
  return lines;
}

/** Resolves once every relay is done and every sink flushed, or after timeoutMs (returns false then). */
export async function flushAllRelays(timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  const all = (async () => {
    while (active.size > 0) await Promise.all(active);
    await Promise.all([...new Set([...allSinks(), ...usedSinks])].map((sink) => sink.flush()));
    return true as const;
  })();
  try {
    return await Promise.race([all, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
