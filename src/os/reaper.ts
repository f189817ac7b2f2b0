import * as libc from './libc.js';
import { decodeWaitStatus } from './wait-status.js';
import type { ExitStatus } from '../supervisor/types.js';

export interface ReaperEvents {
  reaped(pid: number, status: ExitStatus): void;
  sweepDone(childrenLeft: boolean): void;
}

// How soon to look again when the oldest zombie is one of Node's own children: libuv
// reaps those itself on its next turn, and must be left to, or it never reports their exit.
const RUNTIME_CHILD_RETRY_MS = 2;

/**
 * Reaps every exited child, lastcall's programs and reparented orphans alike. Never
 * waitpid(-1): it would steal the exit of children Node's child_process spawned. Instead
 * peek (waitid WNOWAIT) and reap only pids Node does not own. Driven by SIGCHLD, which
 * coalesces, so each sweep loops until nothing is left: no polling while idle.
 */
export class Reaper {
  private retry: NodeJS.Timeout | undefined;
  private readonly ownedByNode: (pid: number) => boolean;
  /** Whether waitpid(-1) is safe now: no child of Node's is alive to be robbed of its exit. */
  private readonly mayReapAny: () => boolean;

  /**
   * Without `ownedByNode`, no child is Node's. With it, `hasNodeChildren` says when none is alive
   * (then one waitpid(-1) per child replaces peek + reap + peek, about 40 % of the CPU per zombie);
   * without `hasNodeChildren` every sweep peeks.
   */
  constructor(private readonly events: ReaperEvents, ownedByNode?: (pid: number) => boolean, hasNodeChildren?: () => boolean) {
    this.ownedByNode = ownedByNode ?? (() => false);
    this.mayReapAny = ownedByNode === undefined ? () => true : hasNodeChildren ? () => !hasNodeChildren() : () => false;
  }

  sweep = (): void => {
    if (this.mayReapAny()) return this.sweepAny();
    for (;;) {
      const pid = libc.peekExited();
      if (pid === -1) return this.events.sweepDone(false);
      if (pid === 0) return this.events.sweepDone(true);
      if (this.ownedByNode(pid)) {
        this.retry ??= setTimeout(() => {
          this.retry = undefined;
          this.sweep();
        }, RUNTIME_CHILD_RETRY_MS);
        return this.events.sweepDone(true);
      }
      this.events.reaped(pid, decodeWaitStatus(libc.reap(pid)));
    }
  };

  private sweepAny(): void {
    for (;;) {
      const { pid, status } = libc.reapAny();
      if (pid <= 0) return this.events.sweepDone(pid === 0);
      this.events.reaped(pid, decodeWaitStatus(status));
    }
  }

  stop(): void {
    if (this.retry) clearTimeout(this.retry);
  }
}
