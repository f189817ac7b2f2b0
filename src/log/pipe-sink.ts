import { closeSync, writeSync } from 'node:fs';
import type { Socket, SocketConstructorOpts } from 'node:net';
import { net } from '../os/builtins.js';
import type { SinkStats } from './sink.js';
import { BaseSink } from './sink-base.js';

// Copies of relayed output waiting for the pipe: at least one read's output each, and enough kept
// for the sink's queue (1 MiB) plus the write in flight.
const SPARE_SIZE = 512 * 1024;
const MAX_SPARES = 4;

/**
 * A pipe through a description of its own, opened from /proc/self/fd with O_NONBLOCK: libuv
 * writes it from the event loop. O_NONBLOCK on lastcall's inherited fd itself would be shared
 * with every program writing there directly, and they would start failing with EAGAIN.
 */
export class PipeSink extends BaseSink {
  readonly stats: SinkStats = { via: 'pipe', bytesWritten: 0, bytesDropped: 0 };
  private readonly socket: Socket;
  private inFlight = 0;
  private readonly spares: Buffer[] = [];

  constructor(private readonly fd: number, highWaterMark: number) {
    super();
    try {
      // Socket passes stream options on to Duplex; @types/node does not list them.
      const options: SocketConstructorOpts & { writableHighWaterMark: number } = { fd, readable: false, writable: true, writableHighWaterMark: highWaterMark };
      this.socket = new (net().Socket)(options);
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

  /**
   * A write straight from the caller's buffer while nothing is queued (the fd is nonblocking, so
   * this never waits): no copy, no trip through the event loop. What the pipe does not take
   * now is copied and queued behind, in order.
   */
  override writeNow(view: Buffer): boolean {
    if (this.closed || this.inFlight > 0) return this.writeCopy(view);
    let written = 0;
    try {
      written = writeSync(this.fd, view);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN') {
        this.stats.bytesDropped += view.length;
        this.die(error as NodeJS.ErrnoException);
        this.socket.destroy();
        return true;
      }
    }
    this.stats.bytesWritten += written;
    return written === view.length || this.writeCopy(view.subarray(written));
  }

  /**
   * Queue a copy of view. The copies go into buffers kept for reuse: a fresh buffer per copy
   * costs its page faults every time (~1/3 of the relay's time when the pipe is often full).
   */
  private writeCopy(view: Buffer): boolean {
    if (this.closed) return this.write(view);
    let spare = this.spares.pop();
    if (spare === undefined || spare.length < view.length) spare = Buffer.allocUnsafeSlow(Math.max(view.length, SPARE_SIZE));
    view.copy(spare);
    const backing = spare;
    return this.send(spare.subarray(0, view.length), () => {
      if (this.spares.length < MAX_SPARES) this.spares.push(backing);
    });
  }

  write(chunk: Buffer): boolean {
    if (this.closed) {
      this.stats.bytesDropped += chunk.length;
      return true;
    }
    return this.send(chunk);
  }

  /** Queue chunk on the socket; `written` runs once libuv is done with it. */
  private send(chunk: Buffer, written?: () => void): boolean {
    this.inFlight++;
    const length = chunk.length;
    return this.socket.write(chunk, (error) => {
      this.inFlight--;
      if (error) this.stats.bytesDropped += length;
      else this.stats.bytesWritten += length;
      written?.();
      this.settled();
    });
  }

  close(): void {
    this.socket.destroy();
    this.die();
    this.forget();
  }
}
