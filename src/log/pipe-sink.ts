import { closeSync } from 'node:fs';
import { Socket, type SocketConstructorOpts } from 'node:net';
import type { SinkStats } from './sink.js';
import { BaseSink } from './sink-base.js';

/**
 * A pipe through a description of its own, opened from /proc/self/fd with O_NONBLOCK: libuv
 * writes it from the event loop. O_NONBLOCK on lastcall's inherited fd itself would be shared
 * with every program writing there directly, and they would start failing with EAGAIN.
 */
export class PipeSink extends BaseSink {
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
    this.forget();
  }
}
