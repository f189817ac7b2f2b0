// Children that Node's child_process spawned (probe and stop commands). libuv reaps these
// itself and reports their exit only if it gets to waitpid them first, so lastcall's Reaper
// asks isNodeChild() before reaping any pid and leaves these alone.
import type { ChildProcess } from 'node:child_process';

const live = new Set<number>();

/**
 * Registers a child the moment spawn() returns. No sweep can run in between: sweeps run on the
 * event loop and this is called synchronously, so the reaper can never meet the pid unregistered.
 */
export function trackChild<T extends ChildProcess>(child: T): T {
  const pid = child.pid;
  if (pid === undefined) return child; // spawn failed ('error' follows): nothing exists to reap
  live.add(pid);
  // libuv has reaped the child by the time 'exit' is emitted; only then may the pid be forgotten.
  // Not on 'error': that also comes from a failed kill() while the child still runs, and
  // forgetting the pid then would let the reaper steal its exit. (A spawn that fails has no pid.)
  child.once('exit', () => live.delete(pid));
  return child;
}

/** The Reaper's ownedByNode predicate: true while libuv still owes this pid's exit to Node. */
export function isNodeChild(pid: number): boolean {
  return live.has(pid);
}

/** Whether any such child is alive: when none is, the Reaper may reap with waitpid(-1), one call per child. */
export function hasNodeChildren(): boolean {
  return live.size > 0;
}
