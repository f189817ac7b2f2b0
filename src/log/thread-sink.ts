import { writev } from 'node:fs';
import type { SinkStats } from './sink.js';
import { BaseSink } from './sink-base.js';

const IOV_MAX = 1024;

/**
 * Blocking writes on libuv's threadpool, one at a time, for what cannot be reopened (a terminal,
 * a file, a socket, a pipe of another user). Caveat: a write blocked on a pipe nobody reads keeps
 * a threadpool thread, and Node's process.exit waits for it (see docs/logging.md).
 */
export class ThreadSink extends BaseSink {
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
    this.forget();
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
