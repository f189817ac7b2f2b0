// Restart decisions for a program that exited: pure, so crash-loop timing is tested exactly.
import type { ProgramSpec } from '../config/file/types.js';
import type { ExitStatus } from './types.js';

export type RestartDecision =
  | { readonly kind: 'restart'; readonly at: number; readonly attempt: number }
  | { readonly kind: 'stay-down'; readonly why: 'policy' | 'completed' }
  | { readonly kind: 'give-up'; readonly why: string };

/** Restarts so far, newest last; only those inside the window count against max_restarts. */
export type RestartHistory = readonly number[];

/**
 * After an exit at `now`: restart after a backoff that starts at `initial` and doubles per
 * restart still inside the window, capped at `max`; past `max_restarts` inside `window`, give up.
 * A oneshot that exits 0 has completed; `on-failure` treats 0 as success.
 */
export function decideRestart(spec: Pick<ProgramSpec, 'type' | 'restart'>, status: ExitStatus, history: RestartHistory, now: number): RestartDecision {
  const success = 'code' in status && status.code === 0;
  if (spec.type === 'oneshot' && success) return { kind: 'stay-down', why: 'completed' };
  const { policy, initialMs, maxMs, maxRestarts, windowMs } = spec.restart;
  if (policy === 'never' || (policy === 'on-failure' && success)) return { kind: 'stay-down', why: 'policy' };
  const recent = history.filter((at) => at > now - windowMs).length;
  if (recent >= maxRestarts) {
    return { kind: 'give-up', why: `restarted ${recent} times within ${windowMs / 1000}s (max_restarts ${maxRestarts})` };
  }
  const delay = Math.min(maxMs, initialMs * 2 ** recent);
  return { kind: 'restart', at: now + delay, attempt: recent + 1 };
}
