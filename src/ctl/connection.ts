// One client of the control socket. lastcall is PID 1: whatever a client sends or does (garbage,
// a 10 MB line, silence, hanging up mid-answer), this file answers or hangs up and never throws.
import type { Socket } from 'node:net';
import type { ControlRequest, ControlResponse } from '../supervisor/status.js';
import { encodeResponse, MAX_REQUEST_BYTES, parseRequest } from './protocol.js';

export type Handler = (request: ControlRequest) => ControlResponse | Promise<ControlResponse>;

export interface Connection {
  /** Hang up once the answer in progress (if any) is written: close() must not swallow the reply to `shutdown`. */
  finish(): void;
}

/**
 * Requests on one connection are answered one at a time, in order, while reading is paused, so a
 * client that pipelines lines cannot queue unbounded work. The idle timer runs only while we wait
 * for the client: a slow handler does not count against it.
 */
export function serveConnection(socket: Socket, handle: Handler, idleMs: number, onGone: () => void): Connection {
  const lines: string[] = [];
  let partial: Buffer[] = [];
  let partialBytes = 0;
  let busy = false;
  let finishing = false;

  socket.on('error', () => {}); // ECONNRESET/EPIPE from a client that left: nothing to do, 'close' follows
  socket.on('close', onGone);
  socket.setTimeout(idleMs, () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    let start = 0;
    for (let newline = chunk.indexOf(10); newline !== -1; newline = chunk.indexOf(10, start)) {
      if (!keep(chunk.subarray(start, newline))) return;
      lines.push(Buffer.concat(partial).toString('utf8').replace(/\r$/, ''));
      partial = [];
      partialBytes = 0;
      start = newline + 1;
    }
    if (!keep(chunk.subarray(start))) return;
    void pump();
  });
  // `printf '{"command":"status"}' | nc -U PATH` sends its last line without a newline and then
  // half-closes: answer it, then hang up (the server is created with allowHalfOpen for this).
  socket.on('end', () => {
    if (partialBytes > 0) lines.push(Buffer.concat(partial).toString('utf8'));
    partial = [];
    partialBytes = 0;
    finishing = true;
    void pump();
  });

  /** Buffers part of a line, or refuses the connection once the line passes the cap. */
  function keep(piece: Buffer): boolean {
    partialBytes += piece.length;
    if (partialBytes <= MAX_REQUEST_BYTES) {
      if (piece.length > 0) partial.push(piece);
      return true;
    }
    partial = [];
    lines.length = 0;
    socket.removeAllListeners('data');
    socket.removeAllListeners('end');
    const error = `the request line is longer than ${MAX_REQUEST_BYTES / 1024} KiB; send one short JSON object per line, like {"command":"status"}`;
    socket.end(encodeResponse({ ok: false, error }), () => socket.destroy());
    return false;
  }

  /** Drains the queued lines one by one; re-entrant calls return at once while a request is in flight. */
  async function pump(): Promise<void> {
    if (busy) return;
    busy = true;
    socket.pause();
    socket.setTimeout(0);
    while (lines.length > 0 && !socket.destroyed) {
      const line = lines.shift()!;
      if (line.trim() === '') continue;
      const reply = await answer(line, handle);
      if (!socket.destroyed) socket.write(reply);
    }
    busy = false;
    if (finishing) {
      socket.end(() => socket.destroy());
      return;
    }
    socket.setTimeout(idleMs);
    socket.resume();
  }

  return {
    finish: () => {
      finishing = true;
      if (!busy) socket.destroy();
    },
  };
}

/** Validates, calls the handler and serialises; a handler that throws or returns nonsense becomes an ok:false line. */
async function answer(line: string, handle: Handler): Promise<string> {
  const parsed = parseRequest(line);
  if (!parsed.ok) return encodeResponse({ ok: false, error: parsed.error });
  try {
    const response = await handle(parsed.request);
    if (typeof response !== 'object' || response === null) throw new Error(`the handler answered ${String(response)}`);
    return encodeResponse(response);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return encodeResponse({ ok: false, error: `lastcall could not carry out "${parsed.request.command}": ${why.split('\n')[0]}` });
  }
}
