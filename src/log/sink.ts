// The one writer per output fd that every relay shares, so relayed lines never interleave with
// each other. Writes are asynchronous and bounded: write() says when to stop, onDrain() when to go
// on. Why a pipe is reopened instead of written in place: see docs/logging.md.
import { constants, fstatSync, openSync } from 'node:fs';
import { growPipe } from '../os/libc.js';
import { PipeSink } from './pipe-sink.js';
import { DroppingSink } from './sink-base.js';
import { ThreadSink } from './thread-sink.js';

export { takeOwnSigpipe } from './sink-base.js';

export interface Sink {
  /** Queue whole lines. False once the queue is over the high-water mark: wait for onDrain. */
  write(chunk: Buffer): boolean;
  /**
   * Like write, for a buffer that is reused once this returns: written at once if nothing is
   * queued and the fd takes it, else (the rest) copied and queued.
   */
  writeNow(view: Buffer): boolean;
  /** cb runs once, when the queue is below the mark again (at once if it is; also when the sink dies). */
  onDrain(cb: () => void): void;
  /** Resolves once everything queued so far has been written or dropped. */
  flush(): Promise<void>;
  readonly stats: SinkStats;
}

export interface SinkStats {
  /** pipe: a nonblocking description of its own; thread: blocking writes on libuv's threadpool; none: dropped. */
  readonly via: 'pipe' | 'thread' | 'none';
  bytesWritten: number;
  /** Output dropped because the fd was closed or broken (EBADF, EPIPE, ...). */
  bytesDropped: number;
}

export interface OwnedSink extends Sink {
  /** Some output is queued or part-way written. */
  readonly busy: boolean;
  /** Stop writing; what is still queued is dropped. Leaves the original fd open. */
  close(): void;
}

export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;
/** What lastcall asks its stdout and stderr pipes to hold when it relays (the default pipe-max-size). */
export const OUTPUT_PIPE_SIZE = 1024 * 1024;

export interface SinkOptions {
  /** Bytes queued before write() says stop (default 1 MiB). */
  readonly highWaterMark?: number;
  /** Reopen a pipe through /proc (default true); false forces the threadpool writer. */
  readonly reopen?: boolean;
}

/** A sink on fd: a pipe is reopened nonblocking; anything else is written from the threadpool. */
export function createSink(fd: number, options: SinkOptions = {}): OwnedSink {
  const highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  let fifo: boolean;
  try {
    fifo = fstatSync(fd).isFIFO();
  } catch {
    return new DroppingSink(); // fd closed: a container started with no stdout
  }
  // A relay writes one read's worth of lines at a time (up to ~0.5 MB in json mode): in a 64 KiB
  // pipe most writes would go in pieces, each waiting for the reader. Best effort: the pipe's
  // reader may be another user's, and /proc/sys/fs/pipe-max-size caps what non-root may ask.
  if (fifo) growPipe(fd, OUTPUT_PIPE_SIZE);
  if (fifo && options.reopen !== false) {
    try {
      // libuv opens everything close-on-exec, so no program inherits this description.
      const own = openSync(`/proc/self/fd/${fd}`, constants.O_WRONLY | constants.O_NONBLOCK);
      return new PipeSink(own, highWaterMark);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENXIO') return new DroppingSink(); // nobody reads this pipe any more
      // EACCES (a pipe created by another user) or no /proc: write it in place, from the threadpool.
    }
  }
  return new ThreadSink(fd, highWaterMark);
}

const sinks = new Map<number, OwnedSink>();

/** One async, backpressured writer per output fd (1 or 2), shared by every relay writing to it. */
export function sinkFor(fd: 1 | 2): Sink {
  const existing = sinks.get(fd);
  if (existing) return existing;
  const other = sinks.get(fd === 1 ? 2 : 1);
  // stdout and stderr on one pipe or terminal (2>&1, a tty): one queue, or lines could interleave.
  const sink = other && sameFile(1, 2) ? other : createSink(fd);
  sinks.set(fd, sink);
  return sink;
}

/** The sinks created so far by sinkFor (each once). */
export function allSinks(): Sink[] {
  return [...new Set(sinks.values())];
}

function sameFile(a: number, b: number): boolean {
  try {
    const [x, y] = [fstatSync(a), fstatSync(b)];
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}

/**
 * For lastcall's own log lines: if relayed output to fd is part-way through a write (the pipe was
 * full, so the kernel took only part of it, maybe half a line), queue the line behind it and return
 * true; else return false, and the caller writes it itself: the pipe then ends at a line boundary.
 */
export function queueBehindRelays(fd: 1 | 2, line: string): boolean {
  return queueBehind(sinks.get(fd), line);
}

export function queueBehind(sink: OwnedSink | undefined, line: string): boolean {
  if (!sink?.busy) return false;
  sink.write(Buffer.from(line));
  return true;
}
