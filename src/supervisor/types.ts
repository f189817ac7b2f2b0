// The core's vocabulary. Inputs are facts the OS layer observed; effects are what the core asks it to do.
// Programs are keyed by name: the same core supervises one program (`lastcall -- CMD`) or several (--config).
import type { ControlResponse } from './status.js';

/** How a process ended, as waitpid decoded it. */
export type ExitStatus = { readonly code: number } | { readonly signal: number };

/** Where one program is in its life. */
export type ProgramRun =
  /** Its dependencies have not met their conditions yet. */
  | { readonly kind: 'waiting' }
  /** A spawn was asked for; the OS layer answers with spawned or spawn-failed. */
  | { readonly kind: 'starting' }
  | { readonly kind: 'running'; readonly pid: number; readonly since: number; readonly ready: boolean }
  /** Asked to stop (shutdown, or `ctl stop`); `signalled` once its stop signal went out. */
  | { readonly kind: 'stopping'; readonly pid: number; readonly since: number; readonly signalled: boolean }
  /** Exited; restarts at `until`. */
  | { readonly kind: 'backoff'; readonly until: number }
  /** Down for good: its restart policy said so, or it was stopped. */
  | { readonly kind: 'exited'; readonly at: number }
  /** A oneshot that exited 0. */
  | { readonly kind: 'completed'; readonly at: number }
  /** Could not start, gave up restarting, or a dependency can never be met. */
  | { readonly kind: 'failed'; readonly reason: string; readonly exitCode: number };

export interface ProgramRecord {
  readonly run: ProgramRun;
  /** When each restart happened, newest last: the backoff and max_restarts window read it. */
  readonly restartTimes: readonly number[];
  readonly restarts: number;
  readonly lastExit: ExitStatus | null;
  /** Stopped by `ctl stop`: stays down until `ctl start`, and does not end the container. */
  readonly held: boolean;
  /** `ctl restart`: spawn again as soon as it is down. */
  readonly restartWhenDown: boolean;
}

export type Phase =
  | { readonly kind: 'starting' }
  | { readonly kind: 'running' }
  /** A shutdown signal arrived: not ready, programs still serve until `endsAt` (or idle). */
  | { readonly kind: 'draining'; readonly signo: number; readonly endsAt: number }
  /** Programs are being stopped in reverse dependency order; `signo` is the signal that started it. */
  | { readonly kind: 'stopping'; readonly signo: number }
  /** Every program is down; waiting for the reaper to say whether anything else is left. */
  | { readonly kind: 'programs-down' }
  /** Leftovers were sent SIGTERM; SIGKILL at `killAt`. */
  | { readonly kind: 'leftovers'; readonly killAt: number }
  /** Everything was sent SIGKILL; waiting for the kernel to let it be reaped. */
  | { readonly kind: 'killing' }
  | { readonly kind: 'done'; readonly exitCode: number };

export interface State {
  readonly phase: Phase;
  /** Signals that arrived before the programs existed; handled once the first ones are spawned. */
  readonly pendingSignals: readonly number[];
  readonly programs: Readonly<Record<string, ProgramRecord>>;
  readonly orphansReaped: number;
  /** What /readyz and the ready file say now. */
  readonly ready: boolean;
  /** Set when the stop began (shutdown signal or essential exit); the deadline holds in every later phase. */
  readonly shutdown?: { readonly startedAt: number; readonly deadlineAt: number | undefined };
  /** Decided when an essential program ended the container: lastcall exits with this. */
  readonly exitCode?: number;
  /** The first status of a program that went down for good uncleanly (multi-program exit rule). */
  readonly firstUnclean?: number;
}

export type TimerName =
  | 'drain-end' | 'drain-idle' | 'deadline' | 'leftover-kill' | 'kill-wait'
  | `restart:${string}` | `ready-timeout:${string}` | `stop-timeout:${string}`;

export type Input =
  | { readonly type: 'boot' }
  | { readonly type: 'spawned'; readonly program: string; readonly pid: number }
  | { readonly type: 'spawn-failed'; readonly program: string; readonly exitCode: number; readonly reason: string }
  | { readonly type: 'signal'; readonly signo: number }
  | { readonly type: 'reaped'; readonly pid: number; readonly status: ExitStatus }
  /** End of one reaping sweep: whether lastcall still has any child (and so any descendant). */
  | { readonly type: 'sweep-done'; readonly childrenLeft: boolean }
  | { readonly type: 'timer'; readonly name: TimerName }
  /** Adaptive drain: a new connection reached one of the drain ports. */
  | { readonly type: 'connection-seen' }
  /** A program's ready check passed. */
  | { readonly type: 'ready'; readonly program: string }
  /** A stop command or stop request finished (its outcome is only logged). */
  | { readonly type: 'stop-action-done'; readonly program: string; readonly pid: number; readonly ok: boolean; readonly detail: string }
  | { readonly type: 'control'; readonly id: number; readonly request: ControlCommand };

/** A `lastcall ctl` request as the core takes it (status is read from a snapshot, not decided). */
export type ControlCommand =
  | { readonly command: 'start' | 'stop' | 'restart'; readonly name: string }
  | { readonly command: 'signal'; readonly name: string; readonly signo: number }
  | { readonly command: 'shutdown' };

export type Target =
  | { readonly kind: 'pid'; readonly pid: number }
  | { readonly kind: 'group'; readonly pgid: number }
  /** Every process below lastcall (every process in the namespace when lastcall is PID 1). */
  | { readonly kind: 'descendants' };

export type Effect =
  | { readonly type: 'spawn'; readonly program: string }
  /** The OS layer logs each send as it performs it, with the pids it actually reached. */
  | { readonly type: 'send'; readonly target: Target; readonly signo: number; readonly reason: SendReason; readonly program?: string }
  | { readonly type: 'set-timer'; readonly name: TimerName; readonly at: number }
  | { readonly type: 'cancel-timer'; readonly name: TimerName }
  | { readonly type: 'log'; readonly event: LogEvent }
  /** Health endpoint and ready file follow this. */
  | { readonly type: 'readiness'; readonly ready: boolean }
  /** Adaptive drain: start or stop sampling the kernel's socket tables for new connections. */
  | { readonly type: 'watch-connections'; readonly active: boolean }
  /** Start or cancel a program's ready check. */
  | { readonly type: 'probe'; readonly program: string; readonly active: boolean }
  /** Run a program's stop command or stop request; answered with stop-action-done. */
  | { readonly type: 'stop-action'; readonly program: string; readonly pid: number }
  /** Reap now: the answer (sweep-done) tells whether anything is left. */
  | { readonly type: 'sweep' }
  | { readonly type: 'control-reply'; readonly id: number; readonly response: ControlResponse }
  | { readonly type: 'exit'; readonly code: number };

/** Every line lastcall can log; src/log turns these into words. */
export type LogEvent =
  | { readonly kind: 'spawned'; readonly program: string; readonly pid: number; readonly argv: readonly string[] }
  | { readonly kind: 'spawn-failed'; readonly program: string; readonly reason: string; readonly exitCode: number }
  | { readonly kind: 'signal-received'; readonly signo: number }
  | { readonly kind: 'signal-sent'; readonly signo: number; readonly target: Target; readonly reason: SendReason; readonly pids: readonly number[]; readonly program?: string }
  | { readonly kind: 'signal-dropped'; readonly signo: number; readonly why: 'rewrite' | 'no-program' }
  | { readonly kind: 'program-exited'; readonly program: string; readonly pid: number; readonly status: ExitStatus }
  | { readonly kind: 'program-ready'; readonly program: string; readonly afterMs: number }
  | { readonly kind: 'restart-scheduled'; readonly program: string; readonly inMs: number; readonly attempt: number }
  | { readonly kind: 'program-done'; readonly program: string; readonly why: 'completed' | 'policy' | 'held' }
  | { readonly kind: 'program-failed'; readonly program: string; readonly reason: string }
  | { readonly kind: 'ready-timeout'; readonly program: string; readonly afterMs: number }
  | { readonly kind: 'stop-action'; readonly program: string; readonly what: string }
  | { readonly kind: 'stop-action-done'; readonly program: string; readonly ok: boolean; readonly detail: string }
  | { readonly kind: 'essential-ended'; readonly program: string; readonly exitCode: number }
  | { readonly kind: 'all-programs-down'; readonly exitCode: number }
  | { readonly kind: 'control'; readonly request: string }
  | { readonly kind: 'orphan-reaped'; readonly pid: number; readonly status: ExitStatus; readonly warn: boolean }
  | { readonly kind: 'leftovers-kill-wait-expired'; readonly afterMs: number }
  | { readonly kind: 'shutdown-started'; readonly signo: number; readonly drainMs: number; readonly deadlineMs: number | undefined }
  | { readonly kind: 'readiness'; readonly ready: boolean }
  | { readonly kind: 'drain-ended'; readonly why: 'timer' | 'idle' | 'signal'; readonly afterMs: number }
  | { readonly kind: 'deadline-reached'; readonly afterMs: number }
  | { readonly kind: 'exiting'; readonly code: number; readonly remappedFrom?: number };

export type SendReason =
  | 'forward' | 'stop' | 'stop-timeout' | 'ready-timeout' | 'control'
  | 'deadline-kill' | 'leftover-term' | 'leftover-kill' | 'leftover-cont';
