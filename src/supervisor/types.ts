// The core's vocabulary. Inputs are facts the OS layer observed; effects are what the core asks it to do.
// Programs are keyed by name so the same core can supervise one program or several.

/** How a process ended, as waitpid decoded it. */
export type ExitStatus = { readonly code: number } | { readonly signal: number };

export type ProgramState =
  | { readonly kind: 'pending' }
  | { readonly kind: 'running'; readonly pid: number; readonly since: number }
  | { readonly kind: 'exited'; readonly pid: number; readonly status: ExitStatus; readonly at: number }
  | { readonly kind: 'failed'; readonly exitCode: number; readonly reason: string };

export type Phase =
  | { readonly kind: 'starting' }
  | { readonly kind: 'running' }
  /** A shutdown signal arrived: not ready, the program still serves until `endsAt` (or idle). */
  | { readonly kind: 'draining'; readonly signo: number; readonly endsAt: number }
  /** The program was asked to stop; waiting for it to exit. */
  | { readonly kind: 'stopping' }
  /** The main program is gone; waiting for the reaper to say whether anything else is left. */
  | { readonly kind: 'main-exited'; readonly exitCode: number }
  /** Leftovers were sent SIGTERM; SIGKILL at `killAt`. */
  | { readonly kind: 'leftovers'; readonly exitCode: number; readonly killAt: number }
  /** Everything was sent SIGKILL; waiting for the kernel to let it be reaped. */
  | { readonly kind: 'killing' }
  | { readonly kind: 'done'; readonly exitCode: number };

export interface State {
  readonly phase: Phase;
  /** Signals that arrived before the main program existed; forwarded once it does. */
  readonly pendingSignals: readonly number[];
  readonly programs: Readonly<Record<string, ProgramState>>;
  readonly orphansReaped: number;
  /** Set when a shutdown signal started the choreography; the deadline holds in every later phase. */
  readonly shutdown?: { readonly startedAt: number; readonly deadlineAt: number | undefined };
  /** The exit code lastcall will report, once the main program has exited. */
  readonly mainExitCode?: number;
}

export type TimerName = 'drain-end' | 'drain-idle' | 'deadline' | 'leftover-kill' | 'kill-wait';

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
  | { readonly type: 'connection-seen' };

export type Target =
  | { readonly kind: 'pid'; readonly pid: number }
  | { readonly kind: 'group'; readonly pgid: number }
  /** Every process below lastcall (every process in the namespace when lastcall is PID 1). */
  | { readonly kind: 'descendants' };

export type Effect =
  | { readonly type: 'spawn'; readonly program: string }
  /** The OS layer logs each send as it performs it, with the pids it actually reached. */
  | { readonly type: 'send'; readonly target: Target; readonly signo: number; readonly reason: SendReason }
  | { readonly type: 'set-timer'; readonly name: TimerName; readonly at: number }
  | { readonly type: 'cancel-timer'; readonly name: TimerName }
  | { readonly type: 'log'; readonly event: LogEvent }
  /** Health endpoint and ready file follow this. */
  | { readonly type: 'readiness'; readonly ready: boolean }
  /** Adaptive drain: start or stop sampling the kernel's socket tables for new connections. */
  | { readonly type: 'watch-connections'; readonly active: boolean }
  | { readonly type: 'exit'; readonly code: number };

/** Every line lastcall can log; src/log turns these into words. */
export type LogEvent =
  | { readonly kind: 'spawned'; readonly program: string; readonly pid: number; readonly argv: readonly string[] }
  | { readonly kind: 'spawn-failed'; readonly program: string; readonly reason: string; readonly exitCode: number }
  | { readonly kind: 'signal-received'; readonly signo: number }
  | { readonly kind: 'signal-sent'; readonly signo: number; readonly target: Target; readonly reason: SendReason; readonly pids: readonly number[] }
  | { readonly kind: 'signal-dropped'; readonly signo: number; readonly why: 'rewrite' | 'no-program' }
  | { readonly kind: 'program-exited'; readonly program: string; readonly pid: number; readonly status: ExitStatus }
  | { readonly kind: 'orphan-reaped'; readonly pid: number; readonly status: ExitStatus; readonly warn: boolean }
  | { readonly kind: 'leftovers-kill-wait-expired'; readonly afterMs: number }
  | { readonly kind: 'shutdown-started'; readonly signo: number; readonly drainMs: number; readonly deadlineMs: number | undefined }
  | { readonly kind: 'readiness'; readonly ready: boolean }
  | { readonly kind: 'drain-ended'; readonly why: 'timer' | 'idle' | 'signal'; readonly afterMs: number }
  | { readonly kind: 'deadline-reached'; readonly afterMs: number }
  | { readonly kind: 'exiting'; readonly code: number; readonly remappedFrom?: number };

export type SendReason = 'forward' | 'stop' | 'deadline-kill' | 'leftover-term' | 'leftover-kill' | 'leftover-cont';
