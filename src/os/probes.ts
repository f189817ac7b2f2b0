// Readiness probes for multi-process mode: run one check until it passes once. The "ready
// within timeout" rule belongs to the core (it arms a timer); this only reports the pass.
import { stat } from 'node:fs';
import type { NetConnectOpts } from 'node:net';
import type { ReadyCheck } from '../config/file/types.js';
import { formatDuration } from '../config/duration.js';
import { net } from './builtins.js';
import { describeError, httpOnce } from './http-once.js';
import { describeOutcome, runCommand } from './run-command.js';

export interface ProbeOptions {
  readonly intervalMs: number;
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string | undefined;
  /** Why an attempt failed ("connection refused", "exited with 1: no response"), for a debug line. */
  readonly onNotReady?: (detail: string) => void;
}

interface Attempt {
  readonly done: Promise<{ readonly ok: boolean; readonly detail: string }>;
  cancel(): void;
}

/**
 * Runs the check at once, then intervalMs after each failed attempt ends (attempts never overlap,
 * so a slow check cannot pile up processes or sockets). onReady is called once, never
 * synchronously, and never after the returned cancel function has been called.
 */
export function startReadyProbe(check: ReadyCheck, options: ProbeOptions, onReady: () => void): () => void {
  const attemptTimeoutMs = Math.max(1000, options.intervalMs);
  let over = false;
  let current: Attempt | undefined;
  let timer: NodeJS.Timeout | undefined;

  const next = (): void => {
    timer = undefined;
    const attempt = runAttempt(check, attemptTimeoutMs, options);
    current = attempt;
    void attempt.done.then(({ ok, detail }) => {
      if (over || current !== attempt) return;
      current = undefined;
      if (ok) {
        over = true;
        onReady();
      } else {
        options.onNotReady?.(detail);
        if (!over) timer = setTimeout(next, options.intervalMs);
      }
    });
  };
  next();

  return () => {
    over = true;
    if (timer) clearTimeout(timer);
    timer = undefined;
    current?.cancel();
    current = undefined;
  };
}

/** One attempt of any kind, bounded by timeoutMs and cancellable. */
function runAttempt(check: ReadyCheck, timeoutMs: number, options: ProbeOptions): Attempt {
  switch (check.kind) {
    case 'tcp':
      return connectOnce({ host: check.host, port: check.port }, timeoutMs);
    case 'unix':
      return connectOnce({ path: check.path }, timeoutMs);
    case 'http':
      return httpOnce('GET', check.url, timeoutMs);
    case 'cmd':
      return commandOnce(check.argv, timeoutMs, options);
    case 'file':
      return fileOnce(check.path);
  }
}

/** Ready when a connection is accepted; closed at once, so the program sees a bare connect. */
function connectOnce(target: NetConnectOpts, timeoutMs: number): Attempt {
  let settle: (result: { ok: boolean; detail: string }) => void = () => {};
  const done = new Promise<{ ok: boolean; detail: string }>((resolve) => {
    settle = resolve;
  });
  const socket = net().connect(target);
  const end = (ok: boolean, detail: string) => {
    clearTimeout(timer);
    socket.destroy();
    settle({ ok, detail });
  };
  const timer = setTimeout(() => end(false, `connect timed out after ${formatDuration(timeoutMs)}`), timeoutMs);
  socket.once('connect', () => end(true, 'connected'));
  socket.on('error', (error: NodeJS.ErrnoException) => end(false, describeError(error)));
  return { done, cancel: () => end(false, 'cancelled') };
}

/** Ready when the command exits 0; a timed-out or cancelled command's whole group is killed. */
function commandOnce(argv: readonly string[], timeoutMs: number, options: ProbeOptions): Attempt {
  const run = runCommand(argv, { env: options.env, cwd: options.cwd, timeoutMs });
  const done = run.done.then(({ outcome, stderr }) => ({
    ok: outcome.kind === 'exited' && outcome.code === 0,
    detail: describeOutcome(outcome) + (stderr === undefined ? '' : `: ${stderr}`),
  }));
  return { done, cancel: run.kill };
}

/** Ready when the path exists (stat follows symlinks: a dangling link is not ready). */
function fileOnce(path: string): Attempt {
  const done = new Promise<{ ok: boolean; detail: string }>((resolve) => {
    stat(path, (error) => resolve(error ? { ok: false, detail: error.code === 'ENOENT' ? 'does not exist' : error.message } : { ok: true, detail: 'exists' }));
  });
  return { done, cancel: () => {} };
}
