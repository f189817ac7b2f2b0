// A short-lived helper command (a readiness cmd, a stop command): its own process group so a
// timeout or cancel kills everything it started, tracked so the reaper leaves its exit to libuv.
import type { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { formatDuration } from '../config/duration.js';
import { childProcess } from './builtins.js';
import { trackChild } from './node-children.js';

export type CommandOutcome =
  | { readonly kind: 'exited'; readonly code: number }
  | { readonly kind: 'killed'; readonly signal: string }
  | { readonly kind: 'timed-out'; readonly afterMs: number }
  | { readonly kind: 'failed'; readonly reason: string };

export interface CommandRun {
  /** Settles once the command's leader has exited (or it never started); never rejects. */
  readonly done: Promise<{ readonly outcome: CommandOutcome; readonly stderr: string | undefined }>;
  /** SIGKILL the whole group; `done` still settles when the leader's exit arrives. */
  kill(): void;
}

const STDERR_TAIL_BYTES = 4096;

/** Runs argv with stdin/stdout ignored, keeping the last line of stderr for the message about it. */
export function runCommand(argv: readonly string[], options: { env: Readonly<Record<string, string>>; cwd?: string | undefined; timeoutMs: number }): CommandRun {
  let tail = '';
  let timedOut = false;
  let child: ReturnType<typeof spawn>;
  try {
    child = trackChild(childProcess().spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...options.env }, cwd: options.cwd }));
  } catch (error) {
    return { done: Promise.resolve({ outcome: { kind: 'failed', reason: (error as Error).message }, stderr: undefined }), kill: () => {} };
  }
  const killGroup = () => {
    // The leader's pid is the group id. ESRCH (everyone already gone) is routine.
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }
  };
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-STDERR_TAIL_BYTES);
  });
  child.stderr?.on('error', () => {});
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, options.timeoutMs);
  const done = new Promise<{ outcome: CommandOutcome; stderr: string | undefined }>((resolve) => {
    const finish = (outcome: CommandOutcome) => {
      clearTimeout(timer);
      // A background grandchild may hold stderr open forever: stop reading at the leader's exit.
      child.stderr?.destroy();
      resolve({ outcome, stderr: lastLine(tail) });
    };
    child.once('error', (error: NodeJS.ErrnoException) => finish({ kind: 'failed', reason: spawnFailure(error, options.cwd) }));
    child.once('exit', (code, signal) => {
      if (timedOut) finish({ kind: 'timed-out', afterMs: options.timeoutMs });
      else if (code !== null) finish({ kind: 'exited', code });
      else finish({ kind: 'killed', signal: signal ?? 'unknown signal' });
    });
  });
  return { done, kill: killGroup };
}

/** tini's words for a spawn that failed; Node says ENOENT for a missing cwd too, so tell those apart. */
function spawnFailure(error: NodeJS.ErrnoException, cwd: string | undefined): string {
  if (error.code === 'ENOENT') return cwd !== undefined && !existsSync(cwd) ? `cwd ${cwd} not found` : 'not found';
  if (error.code === 'EACCES' || error.code === 'EISDIR' || error.code === 'EPERM') return 'not executable';
  return error.message;
}

/** "exited with 3", "killed by SIGSEGV", "killed after 5s timeout", "not found". */
export function describeOutcome(outcome: CommandOutcome): string {
  switch (outcome.kind) {
    case 'exited':
      return `exited with ${outcome.code}`;
    case 'killed':
      return `killed by ${outcome.signal}`;
    case 'timed-out':
      return `killed after ${formatDuration(outcome.afterMs)} timeout`;
    case 'failed':
      return outcome.reason;
  }
}

function lastLine(text: string): string | undefined {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return lines[lines.length - 1];
}
