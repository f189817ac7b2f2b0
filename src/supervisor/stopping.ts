// The way down: readiness off, drain, programs stopped in reverse dependency order (each with its
// own signal, command or request), leftovers, and SIGKILL for what is left at the deadline.
import { killDeadlineMs } from '../config/shutdown.js';
import type { Tx } from './tx.js';
import type { ExitStatus, Target } from './types.js';

const SIGKILL = 9;
const SIGTERM = 15;
const SIGCONT = 18;

/** t = 0 of the choreography: not ready, arm the deadline, drain (or stop at once). */
export function startShutdown(tx: Tx, signo: number): void {
  const { drainMs, drainIdleMs } = tx.plan.shutdown;
  const deadlineMs = killDeadlineMs(tx.plan.shutdown);
  armDeadline(tx);
  tx.log({ kind: 'shutdown-started', signo, drainMs, deadlineMs });
  setReadiness(tx, false);
  if (tx.state.shutdown?.deadlineAt !== undefined) tx.emit({ type: 'set-timer', name: 'deadline', at: tx.state.shutdown.deadlineAt });
  if (drainMs === 0) return beginStop(tx, signo);
  tx.emit({ type: 'set-timer', name: 'drain-end', at: tx.now + drainMs });
  if (drainIdleMs !== undefined) tx.emit({ type: 'watch-connections', active: true }, { type: 'set-timer', name: 'drain-idle', at: tx.now + drainIdleMs });
  tx.set({ phase: { kind: 'draining', signo, endsAt: tx.now + drainMs } });
}

function armDeadline(tx: Tx): void {
  if (tx.state.shutdown) return;
  const deadlineMs = killDeadlineMs(tx.plan.shutdown);
  tx.set({ shutdown: { startedAt: tx.now, deadlineAt: deadlineMs === undefined ? undefined : tx.now + deadlineMs } });
}

export function setReadiness(tx: Tx, ready: boolean): void {
  if (tx.state.ready === ready) return;
  tx.set({ ready });
  tx.emit({ type: 'readiness', ready });
  tx.log({ kind: 'readiness', ready });
}

/** Ends the drain (if one is under way) and starts stopping programs. */
export function beginStop(tx: Tx, signo: number, drainEndedBy?: 'timer' | 'idle' | 'signal'): void {
  if (tx.state.phase.kind === 'draining') {
    tx.emit({ type: 'cancel-timer', name: 'drain-end' });
    tx.log({ kind: 'drain-ended', why: drainEndedBy ?? 'signal', afterMs: tx.now - (tx.state.shutdown?.startedAt ?? tx.now) });
    if (tx.plan.shutdown.drainIdleMs !== undefined) tx.emit({ type: 'cancel-timer', name: 'drain-idle' }, { type: 'watch-connections', active: false });
  }
  tx.set({ phase: { kind: 'stopping', signo } });
  setReadiness(tx, false);
  // Nothing new starts once the container is stopping.
  for (const spec of tx.plan.programs) {
    const run = tx.run(spec.name);
    if (run.kind === 'backoff') tx.emit({ type: 'cancel-timer', name: `restart:${spec.name}` });
    if (run.kind === 'backoff' || run.kind === 'waiting') tx.setRun(spec.name, { kind: 'exited', at: tx.now });
  }
  checkAllDown(tx);
}

/** Second shutdown signal while programs stop in order: stop all that are left now. */
export function hurryStop(tx: Tx): void {
  for (const spec of tx.plan.programs) if (tx.run(spec.name).kind === 'running') stopProgram(tx, spec.name);
}

/** Its stop command or request first (when it has one), then its stop signal; SIGKILL after its stop timeout. */
export function stopProgram(tx: Tx, name: string): void {
  const run = tx.run(name);
  if (run.kind !== 'running') return;
  const spec = tx.spec(name);
  tx.setRun(name, { kind: 'stopping', pid: run.pid, since: tx.now, signalled: false });
  if (spec.ready && !run.ready) tx.emit({ type: 'probe', program: name, active: false });
  if (spec.stop.timeoutMs !== undefined) tx.emit({ type: 'set-timer', name: `stop-timeout:${name}`, at: tx.now + spec.stop.timeoutMs });
  if (spec.stop.command || spec.stop.http) {
    const what = spec.stop.command ? `running ${spec.stop.command.join(' ')}` : `${spec.stop.http!.method} ${spec.stop.http!.url}`;
    tx.log({ kind: 'stop-action', program: name, what });
    tx.emit({ type: 'stop-action', program: name, pid: run.pid });
    return;
  }
  sendStopSignal(tx, name);
}

/** The signal a program stops with: its own, or (single mode) the one received after --rewrite. */
export function stopSignalOf(tx: Tx, name: string): number | undefined {
  const spec = tx.spec(name);
  if (spec.stop.signal !== undefined) return spec.stop.signal;
  if (spec.stop.command || spec.stop.http) return undefined;
  const received = receivedSignal(tx);
  return tx.plan.rewrite.get(received) ?? received;
}

/** The signal that started the stop (SIGTERM when an essential exit or `ctl` started it). */
function receivedSignal(tx: Tx): number {
  const phase = tx.state.phase;
  return phase.kind === 'stopping' || phase.kind === 'draining' ? phase.signo : SIGTERM;
}

function sendStopSignal(tx: Tx, name: string): void {
  const run = tx.run(name);
  if (run.kind !== 'stopping' || run.signalled) return;
  const signo = stopSignalOf(tx, name);
  if (signo === undefined) return; // a stop command alone: wait for the program to exit by itself
  tx.setRun(name, { ...run, signalled: true });
  if (signo === 0) {
    tx.log({ kind: 'signal-dropped', signo: receivedSignal(tx), why: 'rewrite' });
    return;
  }
  tx.emit({ type: 'send', target: targetOf(tx, run.pid), signo, reason: 'stop', program: name });
}

export function onStopActionDone(tx: Tx, name: string, pid: number, ok: boolean, detail: string): void {
  tx.log({ kind: 'stop-action-done', program: name, ok, detail });
  const run = tx.run(name);
  if (run.kind === 'stopping' && run.pid === pid) sendStopSignal(tx, name);
}

export function onStopTimeout(tx: Tx, name: string): void {
  const run = tx.run(name);
  if (run.kind !== 'stopping') return;
  tx.emit({ type: 'send', target: { kind: 'group', pgid: run.pid }, signo: SIGKILL, reason: 'stop-timeout', program: name });
}

/** A clean stop: exit 0, or death by (or the shell's 128+N for) the stop signal lastcall sent. */
export function cleanStop(tx: Tx, name: string, status: ExitStatus): boolean {
  const signo = stopSignalOf(tx, name) ?? SIGTERM;
  if ('code' in status) return status.code === 0 || status.code === 128 + signo;
  return status.signal === signo;
}

/** An essential program is down for good: its status becomes lastcall's, and everything else stops. */
export function essentialEnded(tx: Tx, name: string, exitCode: number): void {
  tx.set({ exitCode });
  if (tx.plan.mode === 'multi') tx.log({ kind: 'essential-ended', program: name, exitCode });
  // The grace budget starts now when no shutdown signal started it.
  if (tx.alive().length > 0 && !tx.state.shutdown) {
    armDeadline(tx);
    if (tx.state.shutdown!.deadlineAt !== undefined) tx.emit({ type: 'set-timer', name: 'deadline', at: tx.state.shutdown!.deadlineAt });
  }
  beginStop(tx, SIGTERM);
}

/**
 * Every program down for good (and none held by `ctl stop`): on to leftovers and the exit.
 * While stopping, it also stops each program whose dependents are all down: reverse dependency order.
 */
export function checkAllDown(tx: Tx): void {
  const phase = tx.state.phase.kind;
  if (phase !== 'starting' && phase !== 'running' && phase !== 'stopping' && phase !== 'draining') return;
  const stopping = phase === 'stopping';
  const allDown = tx.plan.programs.every((p) => {
    const record = tx.record(p.name);
    const kind = record.run.kind;
    if (stopping) return kind !== 'running' && kind !== 'stopping' && kind !== 'starting';
    return (kind === 'exited' && !record.held) || kind === 'completed' || kind === 'failed';
  });
  if (!allDown) {
    if (stopping) stopWhatMay(tx);
    return;
  }
  if (tx.plan.mode === 'multi' && phase !== 'stopping') tx.log({ kind: 'all-programs-down', exitCode: tx.state.firstUnclean ?? 0 });
  if (phase === 'draining') tx.emit({ type: 'cancel-timer', name: 'drain-end' }, { type: 'cancel-timer', name: 'drain-idle' }, { type: 'watch-connections', active: false });
  setReadiness(tx, false);
  tx.set({ phase: { kind: 'programs-down' } });
  tx.emit({ type: 'sweep' });
}

/** Stop every running program that no live program depends on; the rest wait for their dependents. */
function stopWhatMay(tx: Tx): void {
  for (const spec of tx.plan.programs) {
    if (tx.run(spec.name).kind !== 'running') continue;
    const dependents = tx.plan.programs.filter((p) => p.dependsOn.some((d) => d.name === spec.name));
    if (dependents.every((d) => !['running', 'stopping', 'starting'].includes(tx.run(d.name).kind))) stopProgram(tx, spec.name);
  }
}

/** After every program is down: anything else left (daemons, escapees) gets SIGTERM, then SIGKILL. */
export function onSweepDone(tx: Tx, childrenLeft: boolean): boolean {
  const phase = tx.state.phase;
  switch (phase.kind) {
    case 'programs-down': {
      if (!childrenLeft) return true;
      if (tx.plan.leftoverGraceMs === 0) {
        killEverything(tx, 'leftover-kill');
        return false;
      }
      // The orchestrator's deadline still holds: leftovers never get longer than it allows.
      const killAt = Math.min(tx.now + tx.plan.leftoverGraceMs, tx.state.shutdown?.deadlineAt ?? Infinity);
      tx.set({ phase: { kind: 'leftovers', killAt } });
      tx.emit(
        { type: 'send', target: { kind: 'descendants' }, signo: SIGTERM, reason: 'leftover-term' },
        // A stopped process would sit on SIGTERM until the SIGKILL; wake it so it can exit cleanly.
        { type: 'send', target: { kind: 'descendants' }, signo: SIGCONT, reason: 'leftover-cont' },
        { type: 'set-timer', name: 'leftover-kill', at: killAt },
      );
      return false;
    }
    case 'leftovers':
    case 'killing':
      return !childrenLeft;
    default:
      return false;
  }
}

/** SIGKILL every process below lastcall, then wait (bounded) for the kernel to hand them back. */
export function killEverything(tx: Tx, reason: 'leftover-kill' | 'deadline-kill'): void {
  tx.set({ phase: { kind: 'killing' } });
  tx.emit(
    { type: 'cancel-timer', name: 'leftover-kill' },
    { type: 'send', target: { kind: 'descendants' }, signo: SIGKILL, reason },
    { type: 'set-timer', name: 'kill-wait', at: tx.now + tx.plan.killWaitMs },
  );
}

export function targetOf(tx: Tx, pid: number): Target {
  return tx.plan.toGroup ? { kind: 'group', pgid: pid } : { kind: 'pid', pid };
}
