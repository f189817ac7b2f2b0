import type { Plan } from '../config/plan.js';
import { SIGRTMAX, SIGRTMIN } from '../config/signals.js';
import * as libc from './libc.js';
import { descendantsOf } from './processes.js';

/** Process-wide settings, made once before the program is spawned. */
export function prepareProcess(plan: Plan, realtimeForwarded: boolean): void {
  libc.setProcessName('lastcall');
  // As PID 1 the kernel reparents orphans to us anyway; elsewhere (a laptop, under another init)
  // this makes them ours, so they are reaped and their exit cannot go unnoticed.
  if (process.pid !== 1) libc.setChildSubreaper();
  if (plan.pdeathsig !== undefined) libc.setParentDeathSignal(plan.pdeathsig);
  // Where Node offers no way to listen to realtime signals, their default action would kill
  // a lastcall that is not PID 1 and orphan its program. Ignoring them is the lesser harm.
  if (!realtimeForwarded) for (let s = SIGRTMIN; s <= SIGRTMAX; s++) libc.ignoreSignal(s);
}

/** Last resort on an internal error: SIGKILL everything below us, synchronously. */
export function killEverything(): void {
  if (process.pid === 1) {
    libc.sendSignal(-1, 9);
    return;
  }
  for (const pid of descendantsOf(process.pid)) libc.sendSignal(pid, 9);
}
