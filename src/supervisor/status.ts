// What the outside world (ctl status, /metrics, /readyz) may see of the supervisor's state:
// a plain snapshot, so adapters never reach into the core's internals.
import type { Plan } from '../config/plan.js';
import type { State } from './types.js';

/** One program as `lastcall ctl status` shows it. */
export interface ProgramStatus {
  readonly name: string;
  /**
   * waiting: for its dependencies; backoff: restart pending; exited: down for good by policy;
   * completed: a oneshot that exited 0; failed: gave up (spawn failure, max_restarts, blocked dependency).
   */
  readonly state: 'waiting' | 'starting' | 'running' | 'backoff' | 'stopping' | 'exited' | 'completed' | 'failed';
  readonly pid: number | null;
  /** Whether its ready check passed (a program without one is ready once running). */
  readonly ready: boolean;
  /** Since the current process started; null when not running. */
  readonly uptimeMs: number | null;
  readonly restarts: number;
  /** The last exit: `{ code }` or `{ signal }` (a number); null if it never exited. */
  readonly lastExit: { readonly code: number } | { readonly signal: number } | null;
  readonly essential: boolean;
  /** Why it is failed or waiting, in words; null otherwise. */
  readonly detail: string | null;
}

export interface StatusSnapshot {
  /** running, draining, stopping, exiting (after the decision to exit), done. */
  readonly phase: string;
  readonly ready: boolean;
  readonly programs: readonly ProgramStatus[];
  readonly zombiesReaped: number;
  /** ms since lastcall started */
  readonly uptimeMs: number;
}

/** Requests over the control socket, one JSON object per line. */
export type ControlRequest =
  | { readonly command: 'status' }
  | { readonly command: 'start' | 'stop' | 'restart'; readonly name: string }
  | { readonly command: 'signal'; readonly name: string; readonly signal: string }
  | { readonly command: 'shutdown' };

/** One JSON object per line back; `error` is one line that names the problem and the fix. */
export type ControlResponse =
  | { readonly ok: true; readonly status?: StatusSnapshot; readonly message?: string }
  | { readonly ok: false; readonly error: string };

/** The core's state as the outside world sees it; `now` on the core's clock. */
export function snapshotOf(plan: Plan, state: State, now: number): StatusSnapshot {
  const phase = state.phase.kind;
  return {
    phase: phase === 'starting' ? 'running' : phase === 'programs-down' || phase === 'leftovers' || phase === 'killing' ? 'exiting' : phase,
    ready: state.ready,
    zombiesReaped: state.orphansReaped,
    uptimeMs: Math.round(now),
    programs: plan.programs.map((spec): ProgramStatus => {
      const record = state.programs[spec.name]!;
      const run = record.run;
      const live = run.kind === 'running' || run.kind === 'stopping';
      return {
        name: spec.name,
        state: run.kind,
        pid: live ? run.pid : null,
        ready: run.kind === 'running' && run.ready,
        uptimeMs: live ? Math.round(now - run.since) : null,
        restarts: record.restarts,
        lastExit: record.lastExit,
        essential: spec.essential,
        detail: run.kind === 'failed' ? run.reason : record.held ? 'stopped by lastcall ctl' : run.kind === 'backoff' ? `restarts in ${Math.max(0, Math.round(run.until - now))} ms` : null,
      };
    }),
  };
}
