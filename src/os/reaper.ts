import { monotonicMs } from './clock.js';
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

// A storm of exits (a script forking thousands of commands, a CGI server) would wake lastcall
// once per SIGCHLD, and for Node a wake alone costs ~15 µs, more than reaping. Once STORM_REAPS
// children were reaped within STORM_WINDOW_MS, the reaper stops listening and sweeps every
// STORM_POLL_MS instead: one wake per poll, however many exited. After STORM_QUIET_POLLS polls
// in a row found nothing it listens again. Interrupt mitigation, as network drivers do it; idle,
// nothing changes (no SIGCHLD, no wake), and an exit is still seen within STORM_POLL_MS.
const STORM_REAPS = 16;
const STORM_WINDOW_MS = 10;
const STORM_POLL_MS = 4;
const STORM_QUIET_POLLS = 3;

/**
 * Reaps every exited child, lastcall's programs and reparented orphans alike. Never
 * waitpid(-1) while a child of Node's child_process lives: it would steal that child's exit.
 * Then peek (waitid WNOWAIT) and reap only pids Node does not own. Driven by SIGCHLD (listen()),
 * which coalesces, so each sweep loops until nothing is left: no polling while idle, and
 * polling instead of SIGCHLD during a storm of exits (see STORM_REAPS).
 */
export class Reaper {
  private retry: NodeJS.Timeout | undefined;
  private listening = false;
  private storm: NodeJS.Timeout | undefined;
  private quietPolls = 0;
  private windowStart = 0;
  private reapedInWindow = 0;
  /** Storms met so far (each one a switch from SIGCHLD to polling and back). */
  storms = 0;
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

  /** Sweep at every SIGCHLD from now on (and once now: a child may have exited before). */
  listen(): void {
    if (this.listening) return;
    this.listening = true;
    this.hearSigchld();
  }

  /** An exit between the last sweep and the listener raised a SIGCHLD nobody heard: sweep once. */
  private hearSigchld(): void {
    process.on('SIGCHLD', this.sweep);
    this.sweep();
  }

  sweep = (): void => {
    const reaped = this.mayReapAny() ? this.sweepAny() : this.sweepPeeking();
    if (this.listening) this.watchForStorm(reaped);
  };

  /** Returns how many it reaped. */
  private sweepPeeking(): number {
    for (let reaped = 0; ; reaped++) {
      const pid = libc.peekExited();
      if (pid === -1 || pid === 0) {
        this.events.sweepDone(pid === 0);
        return reaped;
      }
      if (this.ownedByNode(pid)) {
        this.retry ??= setTimeout(() => {
          this.retry = undefined;
          this.sweep();
        }, RUNTIME_CHILD_RETRY_MS);
        this.events.sweepDone(true);
        return reaped;
      }
      this.events.reaped(pid, decodeWaitStatus(libc.reap(pid)));
    }
  }

  private sweepAny(): number {
    for (let reaped = 0; ; reaped++) {
      const { pid, status } = libc.reapAny();
      if (pid <= 0) {
        this.events.sweepDone(pid === 0);
        return reaped;
      }
      this.events.reaped(pid, decodeWaitStatus(status));
    }
  }

  private watchForStorm(reaped: number): void {
    if (this.storm !== undefined) {
      this.quietPolls = reaped === 0 ? this.quietPolls + 1 : 0;
      if (this.quietPolls < STORM_QUIET_POLLS) return;
      clearInterval(this.storm);
      this.storm = undefined;
      this.reapedInWindow = 0;
      this.hearSigchld();
      return;
    }
    if (reaped === 0) return;
    const now = monotonicMs();
    if (now - this.windowStart > STORM_WINDOW_MS) {
      this.windowStart = now;
      this.reapedInWindow = 0;
    }
    this.reapedInWindow += reaped;
    if (this.reapedInWindow < STORM_REAPS) return;
    this.storms++;
    this.quietPolls = 0;
    process.removeListener('SIGCHLD', this.sweep);
    this.storm = setInterval(this.sweep, STORM_POLL_MS);
  }

  stop(): void {
    if (this.retry) clearTimeout(this.retry);
    if (this.storm) clearInterval(this.storm);
    this.storm = undefined;
    this.listening = false;
    process.removeListener('SIGCHLD', this.sweep);
  }
}
