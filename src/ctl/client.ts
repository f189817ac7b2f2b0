// `lastcall ctl`: one request, one answer, one exit code. It never calls process.exit; the CLI
// does, with the number this returns.
import { connect } from 'node:net';
import { UsageError } from '../config/errors.js';
import { formatDuration } from '../config/duration.js';
import type { ControlRequest, ControlResponse } from '../supervisor/status.js';
import { formatStatus } from './format.js';
import { CTL_USAGE, parseCtlArgs } from './parse-ctl.js';
import '../one-chunk.js'; // one start-up chunk: see src/one-chunk.ts

export interface CtlIo {
  /** Receives whole lines, each ending in "\n". */
  stdout(s: string): void;
  stderr(s: string): void;
}

/** 0 done; 1 lastcall refused; 2 bad arguments; 3 lastcall could not be reached or did not answer. */
export const CTL_EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3 } as const;

/** An answer bigger than this is not from lastcall; stop reading rather than buffer without bound. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** Parses, asks, prints. Every failure ends as one `lastcall ctl: ...` line on stderr and an exit code. */
export async function runCtl(args: readonly string[], env: NodeJS.ProcessEnv, io: CtlIo): Promise<number> {
  let invocation;
  try {
    invocation = parseCtlArgs(args, env, process.getuid?.() ?? 0);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`lastcall ctl: ${error.message}\n`);
    return CTL_EXIT.usage;
  }
  if (invocation.kind === 'help') {
    io.stdout(`${CTL_USAGE}\n`);
    return CTL_EXIT.ok;
  }
  const { request, socket, timeoutMs, json } = invocation;
  const outcome = await ask(socket, request, timeoutMs);
  if (outcome.kind === 'failed') {
    io.stderr(`lastcall ctl: ${outcome.message}\n`);
    return CTL_EXIT.unreachable;
  }
  const response = outcome.response;
  if (!response.ok) {
    io.stderr(`lastcall ctl: ${response.error}\n`);
    return CTL_EXIT.refused;
  }
  if (request.command === 'status') {
    if (response.status === undefined) {
      io.stderr(`lastcall ctl: the lastcall on ${socket} answered status without a status; is it the same version as this one?\n`);
      return CTL_EXIT.unreachable;
    }
    io.stdout(json ? `${JSON.stringify(response.status, null, 2)}\n` : formatStatus(response.status));
    return CTL_EXIT.ok;
  }
  io.stdout(`${response.message ?? 'ok'}\n`);
  return CTL_EXIT.ok;
}

type Outcome = { readonly kind: 'answered'; readonly response: ControlResponse } | { readonly kind: 'failed'; readonly message: string };

/** One connection, one request line, the first line back. The timeout covers connecting and answering together. */
function ask(path: string, request: ControlRequest, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const chunks: Buffer[] = [];
    let bytes = 0;
    let connected = false;
    const done = (outcome: Outcome) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const failed = (message: string) => done({ kind: 'failed', message });
    const timer = setTimeout(() => failed(`no answer from ${path} within ${formatDuration(timeoutMs)}; lastcall may be busy, or raise --timeout`), timeoutMs);
    socket.on('connect', () => {
      connected = true;
      socket.write(`${JSON.stringify(request)}\n`);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? error.message;
      if (connected) failed(`the connection to ${path} failed (${code}) before an answer came`);
      else if (code === 'EACCES') failed(`permission denied on ${path} (EACCES); the socket is mode 0600: run lastcall ctl as the user lastcall runs as`);
      else failed(`no lastcall is listening on ${path} (${code}); is it running with --config? pass --socket PATH or set LASTCALL_SOCKET`);
    });
    socket.on('data', (chunk: Buffer) => {
      const newline = chunk.indexOf(10);
      chunks.push(newline === -1 ? chunk : chunk.subarray(0, newline));
      bytes += chunk.length;
      if (newline !== -1) done(decode(Buffer.concat(chunks).toString('utf8'), path));
      else if (bytes > MAX_RESPONSE_BYTES) failed(`the answer from ${path} is over ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB without a newline; is a lastcall listening there?`);
    });
    socket.on('end', () => failed(`${path} closed the connection without answering; is a lastcall listening there?`));
  });
}

/** The server's line -> a response, checking just the shape runCtl relies on. */
function decode(line: string, path: string): Outcome {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { kind: 'failed', message: `the answer from ${path} is not JSON: ${line.slice(0, 80)}; is a lastcall listening there?` };
  }
  const fields = value as Partial<Record<'ok' | 'error', unknown>> | null;
  if (fields === null || typeof fields !== 'object' || typeof fields.ok !== 'boolean' || (fields.ok === false && typeof fields.error !== 'string')) {
    return { kind: 'failed', message: `the answer from ${path} is not a lastcall response: ${line.slice(0, 80)}` };
  }
  return { kind: 'answered', response: value as ControlResponse };
}
