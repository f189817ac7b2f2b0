// The one writer per output fd that every relay shares, so relayed lines never interleave with
// each other. Writes are asynchronous and bounded: write() says when to stop, onDrain() when to go
// on. Why a pipe is reopened instead of written in place: see docs/logging.md.
import { closeSync, constants, fstatSync, openSync, writev } from 'node:fs';
import { Socket, type SocketConstructorOpts } from 'node:net';

export interface Sink {
  /** Queue whole lines. False once the queue is over the high-water mark: wait for onDrain. */
  write(chunk: Buffer): boolean;
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
  /** Stop writing; what is still queued is dropped. Leaves the original fd open. */
  close(): void;
}

export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;

/** A sink on fd: a pipe is reopened nonblocking; anything else is written from the threadpool. */
export function createSink(fd: number, highWaterMark = DEFAULT_HIGH_WATER_MARK): OwnedSink {
  let fifo: boolean;
  try {
    fifo = fstatSync(fd).isFIFO();
  } catch {
    return new DroppingSink(); // fd closed: a container started with no stdout
  }
  if (fifo) {
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
 * A write to a broken pipe raises SIGPIPE, which lastcall would otherwise forward to its program.
 * True (once per such write) when the SIGPIPE just received was raised by a sink.
 */
export function takeOwnSigpipe(): boolean {
  for (const sink of new Set(sinks.values())) {
    if (sink instanceof BaseSink && sink.claimSigpipe()) return true;
  }
  return false;
}

abstract class BaseSink implements OwnedSink {
  abstract readonly stats: SinkStats;
  protected closed = false;
  private waiting: (() => void)[] = [];
  private flushers: (() => void)[] = [];
  protected epipes = 0;

  abstract write(chunk: Buffer): boolean;
  abstract close(): void;
  protected abstract get needsDrain(): boolean;
  protected abstract get idle(): boolean;

  onDrain(cb: () => void): void {
    if (this.closed || !this.needsDrain) queueMicrotask(cb);
    else this.waiting.push(cb);
  }

  flush(): Promise<void> {
    if (this.closed || this.idle) return Promise.resolve();
    return new Promise((resolve) => this.flushers.push(resolve));
  }

  claimSigpipe(): boolean {
    if (this.epipes === 0) return false;
    this.epipes--;
    return true;
  }

  protected drained(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const cb of waiting) cb();
  }

  protected settled(): void {
    if (!this.closed && !this.idle) return;
    const flushers = this.flushers;
    this.flushers = [];
    for (const resolve of flushers) resolve();
  }

  /** The fd is gone for good: from now on everything is dropped and nobody waits. */
  protected die(error?: NodeJS.ErrnoException): void {
    if (error?.code === 'EPIPE') this.epipes++;
    if (this.closed) return;
    this.closed = true;
    this.drained();
    this.settled();
  }
}

/** Drops everything: the fd was closed. */
class DroppingSink extends BaseSink {
  readonly stats: SinkStats = { via: 'none', bytesWritten: 0, bytesDropped: 0 };
  protected override closed = true;
  protected get needsDrain() {
    return false;
  }
  protected get idle() {
    return true;
  }
  write(chunk: Buffer): boolean {
    this.stats.bytesDropped += chunk.length;
    return true;
  }
  close(): void {}
}

/**
 * A pipe through a description of its own, opened from /proc/self/fd with O_NONBLOCK: libuv
 * writes it from the event loop. O_NONBLOCK on lastcall's inherited fd itself would be shared
 * with every program writing there directly, and they would start failing with EAGAIN.
 */
class PipeSink extends BaseSink {
  readonly stats: SinkStats = { via: 'pipe', bytesWritten: 0, bytesDropped: 0 };
  private readonly socket: Socket;
  private inFlight = 0;

  constructor(fd: number, highWaterMark: number) {
    super();
    try {
      // Socket passes stream options on to Duplex; @types/node does not list them.
      const options: SocketConstructorOpts & { writableHighWaterMark: number } = { fd, readable: false, writable: true, writableHighWaterMark: highWaterMark };
      this.socket = new Socket(options);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    this.socket.on('drain', () => this.drained());
    this.socket.on('error', (error: NodeJS.ErrnoException) => this.die(error));
    this.socket.on('close', () => this.die());
  }

  protected get needsDrain() {
    return this.socket.writableNeedDrain;
  }
  protected get idle() {
    return this.inFlight === 0;
  }

  write(chunk: Buffer): boolean {
    if (this.closed) {
      this.stats.bytesDropped += chunk.length;
      return true;
    }
    this.inFlight++;
    const length = chunk.length;
    return this.socket.write(chunk, (error) => {
      this.inFlight--;
      if (error) this.stats.bytesDropped += length;
      else this.stats.bytesWritten += length;
      this.settled();
    });
  }

  close(): void {
    this.socket.destroy();
    this.die();
  }
}

const IOV_MAX = 1024;

/**
 * Blocking writes on libuv's threadpool, one at a time, for what cannot be reopened (a terminal,
 * a file, a socket, a pipe of another user). Caveat: a write blocked on a pipe nobody reads keeps
 * a threadpool thread, and Node's process.exit waits for it (see docs/logging.md).
 */
class ThreadSink extends BaseSink {
  readonly stats: SinkStats = { via: 'thread', bytesWritten: 0, bytesDropped: 0 };
  private queue: Buffer[] = [];
  private queued = 0;
  private writing = false;
  private wantDrain = false;
  private retrying = false;
  private backoffMs = 0;
  private claimedEarly = false;

  constructor(private readonly fd: number, private readonly highWaterMark: number) {
    super();
  }

  protected get needsDrain() {
    return this.wantDrain;
  }
  protected get idle() {
    return this.queued === 0 && !this.writing;
  }

  write(chunk: Buffer): boolean {
    if (this.closed) {
      this.stats.bytesDropped += chunk.length;
      return true;
    }
    this.queue.push(chunk);
    this.queued += chunk.length;
    if (!this.writing && !this.retrying) this.pump();
    if (this.queued < this.highWaterMark) return true;
    this.wantDrain = true;
    return false;
  }

  /** The SIGPIPE may arrive before the write's EPIPE: a write in flight is presumed to be its cause. */
  override claimSigpipe(): boolean {
    if (super.claimSigpipe()) return true;
    if (!this.writing || this.claimedEarly) return false;
    this.claimedEarly = true;
    return true;
  }

  close(): void {
    this.stats.bytesDropped += this.queued;
    this.queue = [];
    this.queued = 0;
    this.die();
  }

  private pump = (): void => {
    this.retrying = false;
    if (this.closed || this.queue.length === 0) return;
    const batch = this.queue.length <= IOV_MAX ? this.queue : this.queue.slice(0, IOV_MAX);
    this.queue = this.queue.length <= IOV_MAX ? [] : this.queue.slice(IOV_MAX);
    this.writing = true;
    writev(this.fd, batch, (error, written) => {
      this.writing = false;
      const claimed = this.claimedEarly;
      this.claimedEarly = false;
      if (error && error.code !== 'EAGAIN') {
        this.stats.bytesDropped += this.queued;
        this.queue = [];
        this.queued = 0;
        return this.die(error.code === 'EPIPE' && claimed ? undefined : error);
      }
      const n = error ? 0 : written;
      this.queue = unwritten(batch, n).concat(this.queue);
      this.queued -= n;
      this.stats.bytesWritten += n;
      if (this.wantDrain && this.queued < this.highWaterMark) {
        this.wantDrain = false;
        this.drained();
      }
      this.settled();
      if (!error) {
        this.backoffMs = 0;
        return this.pump();
      }
      // Someone set O_NONBLOCK on this shared description: poll, gently, until it takes more.
      this.backoffMs = Math.min(100, Math.max(1, this.backoffMs * 2));
      this.retrying = true;
      setTimeout(this.pump, this.backoffMs);
    });
  };
}

function unwritten(batch: Buffer[], written: number): Buffer[] {
  let i = 0;
  while (i < batch.length && written >= batch[i]!.length) written -= batch[i++]!.length;
  if (i === batch.length) return [];
  const rest = batch.slice(i);
  rest[0] = rest[0]!.subarray(written);
  return rest;
}
