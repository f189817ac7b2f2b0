// One plain HTTP request, bounded in time, on a fresh connection: readiness probes and stop
// hooks must not keep sockets alive in a pool that would hold lastcall's event loop open.
import type { request } from 'node:http';
import { formatDuration } from '../config/duration.js';
import { http } from './builtins.js';

export interface HttpAttempt {
  /** ok on a 2xx status; detail "HTTP 503", "connection refused", "timed out after 5s". Never rejects. */
  readonly done: Promise<{ readonly ok: boolean; readonly detail: string }>;
  /** Drops the connection; `done` then settles with "cancelled". */
  cancel(): void;
}

/** Sends method url with an empty body; settles at the status line and drains the body after. */
export function httpOnce(method: string, url: string, timeoutMs: number): HttpAttempt {
  let settle: (result: { ok: boolean; detail: string }) => void = () => {};
  const done = new Promise<{ ok: boolean; detail: string }>((resolve) => {
    settle = resolve;
  });
  let req: ReturnType<typeof request>;
  try {
    req = http().request(url, { method, agent: false, headers: { connection: 'close', 'content-length': '0' } });
  } catch (error) {
    settle({ ok: false, detail: (error as Error).message });
    return { done, cancel: () => {} };
  }
  // One timer bounds the whole exchange, body included, so a response that never ends is cut too.
  const timer = setTimeout(() => {
    settle({ ok: false, detail: `timed out after ${formatDuration(timeoutMs)}` });
    req.destroy();
  }, timeoutMs);
  const finish = () => clearTimeout(timer);
  req.on('response', (res) => {
    const status = res.statusCode ?? 0;
    settle({ ok: status >= 200 && status < 300, detail: `HTTP ${status}` });
    res.on('error', () => {});
    res.on('end', finish);
    res.on('close', finish);
    res.resume();
  });
  req.on('error', (error: NodeJS.ErrnoException) => {
    finish();
    settle({ ok: false, detail: describeError(error) });
  });
  req.on('close', finish);
  req.end();
  return {
    done,
    cancel: () => {
      settle({ ok: false, detail: 'cancelled' });
      finish();
      req.destroy();
    },
  };
}

/** Socket errors in the words an operator reads in a log line. */
export function describeError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOENT':
      return 'no such socket';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host not found (${error.code})`;
    case 'ECONNRESET':
      return 'connection reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default:
      return error.message;
  }
}
