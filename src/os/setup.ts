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

/**
 * An idle init should not wake up. V8 starts its "memory reducer" once the old generation has
 * grown by 1 MB before any full GC, which loading a config and lastcall's services does: ~8 s
 * after start it then runs full GCs (~70-100 wakeups, 20-30 ms of CPU) in a process that is only
 * waiting. V8 reads the flag at that moment, so main() sets it as soon as it knows it will run
 * programs, before the config or the services load. Not earlier (bin/lastcall.js), and not for
 * ctl, check or help: once a V8 flag changes, V8 rejects the code cache of the Node modules loaded
 * after it (at the top of bin/, the ES module loader's own: start-up took ~6 ms longer).
 */
export function noIdleGc(): void {
  const flag = '--no-memory-reducer-for-small-heaps';
  const warn = process.emitWarning;
  process.emitWarning = () => {}; // DEP0111: the binding is deprecated, but node:v8 costs ~1 ms to load
  try {
    (process as unknown as { binding(name: string): { setFlagsFromString(flag: string): void } }).binding('v8').setFlagsFromString(flag);
  } catch {
    process.getBuiltinModule('node:v8').setFlagsFromString(flag); // Node 24 no longer has the binding
  } finally {
    process.emitWarning = warn;
  }
}

/** Last resort on an internal error: SIGKILL everything below us, synchronously. */
export function killEverything(): void {
  if (process.pid === 1) {
    libc.sendSignal(-1, 9);
    return;
  }
  for (const pid of descendantsOf(process.pid)) libc.sendSignal(pid, 9);
}
