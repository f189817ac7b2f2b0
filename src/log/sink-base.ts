// What every sink shares: waiting for drain and flush, dying quietly when its fd breaks, and
// owning up to the SIGPIPEs its writes raise.
import type { OwnedSink, SinkStats } from './sink.js';

/**
 * A write to a broken pipe raises SIGPIPE, which lastcall would otherwise forward to its program.
 * True (once per such write) when the SIGPIPE just received was raised by a sink.
 */
export function takeOwnSigpipe(): boolean {
  for (const sink of liveSinks) {
    if (sink.claimSigpipe()) return true;
  }
  return false;
}

/** Every sink that can still raise a SIGPIPE (created and not closed). */
const liveSinks = new Set<BaseSink>();

export abstract class BaseSink implements OwnedSink {
  abstract readonly stats: SinkStats;
  protected closed = false;
  private waiting: (() => void)[] = [];
  private flushers: (() => void)[] = [];
  protected epipes = 0;

  constructor() {
    liveSinks.add(this);
  }

  abstract write(chunk: Buffer): boolean;

  writeNow(view: Buffer): boolean {
    return this.write(Buffer.from(view));
  }
  abstract close(): void;
  protected abstract get needsDrain(): boolean;
  protected abstract get idle(): boolean;

  /** Some output is queued or part-way written. */
  get busy(): boolean {
    return !this.closed && !this.idle;
  }

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

  /** Closed by its owner: it can raise no more SIGPIPEs. */
  protected forget(): void {
    liveSinks.delete(this);
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
export class DroppingSink extends BaseSink {
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
  override writeNow(view: Buffer): boolean {
    return this.write(view);
  }
  close(): void {
    this.forget();
  }
}
