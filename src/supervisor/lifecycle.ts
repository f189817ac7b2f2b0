// Each program's life while the container runs: start when its dependencies allow, become
// ready, exit, and then restart with backoff, stay down, or fail, as its policy says.
import { gate, type DependencyState } from './gating.js';
import { decideRestart } from './restart.js';
import { beginStop, checkAllDown, cleanStop, essentialEnded } from './stopping.js';
import type { Tx } from './tx.js';
import type { ExitStatus } from './types.js';

/** Spawn every waiting program whose dependencies are met; fail those whose dependencies never can be. */
export function startWhatCan(tx: Tx): void {
  if (tx.state.phase.kind !== 'starting' && tx.state.phase.kind !== 'running') return;
  // A failed program can block its dependents in turn: go round until nothing changes.
  for (let changed = true; changed; ) {
    changed = false;
    for (const spec of tx.plan.programs) {
      const record = tx.record(spec.name);
      if (record.run.kind !== 'waiting' || record.held) continue;
      const verdict = gate(spec.dependsOn, (name) => dependencyState(tx, name));
      if (verdict.kind === 'open') {
        tx.setRun(spec.name, { kind: 'starting' });
        tx.emit({ type: 'spawn', program: spec.name });
      } else if (verdict.kind === 'blocked') {
        fail(tx, spec.name, `cannot start: ${verdict.why}`, blockerCode(tx, verdict.by));
        changed = true;
      }
    }
  }
}

function dependencyState(tx: Tx, name: string): DependencyState {
  const record = tx.record(name);
  const run = record.run;
  switch (run.kind) {
    case 'waiting':
    case 'starting':
    case 'backoff':
      return 'waiting';
    case 'running':
      return run.ready ? 'ready' : 'started';
    case 'stopping':
      return 'started';
    case 'exited':
      return record.held ? 'waiting' : 'stopped';
    case 'completed':
      return 'completed';
    case 'failed':
      return 'failed';
  }
}

/** A blocked program reports the status of what blocked it, so the container's exit code tells the cause. */
function blockerCode(tx: Tx, name: string): number {
  const record = tx.record(name);
  if (record.run.kind === 'failed') return record.run.exitCode;
  return record.lastExit ? exitCodeOf(record.lastExit) : 1;
}

export function onSpawned(tx: Tx, name: string, pid: number): void {
  const spec = tx.spec(name);
  tx.setRun(name, { kind: 'running', pid, since: tx.now, ready: spec.ready === undefined });
  tx.log({ kind: 'spawned', program: name, pid, argv: spec.argv });
  if (spec.ready) {
    tx.emit({ type: 'probe', program: name, active: true }, { type: 'set-timer', name: `ready-timeout:${name}`, at: tx.now + spec.ready.timeoutMs });
  }
  startWhatCan(tx);
  // Spawned just as the container began to stop: it stops in its turn.
  if (tx.state.phase.kind === 'stopping') checkAllDown(tx);
}

export function onSpawnFailed(tx: Tx, name: string, exitCode: number, reason: string): void {
  tx.log({ kind: 'spawn-failed', program: name, reason, exitCode });
  tx.update(name, { run: { kind: 'failed', reason, exitCode } });
  programDown(tx, name, exitCode, false);
}

export function onReady(tx: Tx, name: string): void {
  const run = tx.run(name);
  if (run.kind !== 'running' || run.ready) return;
  tx.setRun(name, { ...run, ready: true });
  tx.emit({ type: 'cancel-timer', name: `ready-timeout:${name}` });
  tx.log({ kind: 'program-ready', program: name, afterMs: tx.now - run.since });
  startWhatCan(tx);
}

/** Never ready within its timeout: kill it (there is nothing to drain), and let its restart policy decide. */
export function onReadyTimeout(tx: Tx, name: string): void {
  const run = tx.run(name);
  if (run.kind !== 'running' || run.ready) return;
  tx.log({ kind: 'ready-timeout', program: name, afterMs: tx.now - run.since });
  tx.emit({ type: 'probe', program: name, active: false }, { type: 'send', target: { kind: 'group', pgid: run.pid }, signo: 9, reason: 'ready-timeout', program: name });
}

/** One of lastcall's programs exited. */
export function onProgramExit(tx: Tx, name: string, pid: number, status: ExitStatus): void {
  const run = tx.run(name);
  const record = tx.record(name);
  const spec = tx.spec(name);
  tx.log({ kind: 'program-exited', program: name, pid, status });
  tx.update(name, { lastExit: status });
  if (spec.ready && run.kind === 'running' && !run.ready) tx.emit({ type: 'probe', program: name, active: false });
  if (spec.ready) tx.emit({ type: 'cancel-timer', name: `ready-timeout:${name}` });
  if (spec.stop.timeoutMs !== undefined) tx.emit({ type: 'cancel-timer', name: `stop-timeout:${name}` });
  const phase = tx.state.phase.kind;
  const containerRuns = phase === 'starting' || phase === 'running';

  if (record.restartWhenDown && containerRuns) {
    // `ctl restart`: back at once, without backoff, as the operator asked.
    tx.update(name, { run: { kind: 'waiting' }, restartWhenDown: false, held: false, restarts: record.restarts + 1 });
    startWhatCan(tx);
    return;
  }
  if (record.held) {
    tx.setRun(name, { kind: 'exited', at: tx.now });
    tx.log({ kind: 'program-done', program: name, why: 'held' });
    checkAllDown(tx);
    return;
  }
  if (run.kind === 'stopping' || !containerRuns) {
    // Stopped by lastcall (or the container is stopping anyway): down for good, no restart.
    tx.setRun(name, { kind: 'exited', at: tx.now });
    programDown(tx, name, exitCodeOf(status), run.kind === 'stopping' && cleanStop(tx, name, status));
    return;
  }

  const decision = decideRestart(spec, status, record.restartTimes, tx.now);
  switch (decision.kind) {
    case 'restart':
      tx.update(name, { run: { kind: 'backoff', until: decision.at }, restartTimes: [...record.restartTimes, tx.now], restarts: record.restarts + 1 });
      tx.emit({ type: 'set-timer', name: `restart:${name}`, at: decision.at });
      tx.log({ kind: 'restart-scheduled', program: name, inMs: decision.at - tx.now, attempt: decision.attempt });
      return;
    case 'stay-down':
      // A oneshot must exit 0: anything else is a failure its dependents cannot get past.
      if (spec.type === 'oneshot' && decision.why === 'policy' && !('code' in status && status.code === 0)) {
        fail(tx, name, `it ${'code' in status ? `exited with code ${status.code}` : `was killed by signal ${status.signal}`}`, exitCodeOf(status));
        return;
      }
      tx.setRun(name, decision.why === 'completed' ? { kind: 'completed', at: tx.now } : { kind: 'exited', at: tx.now });
      if (tx.plan.mode === 'multi') tx.log({ kind: 'program-done', program: name, why: decision.why });
      programDown(tx, name, exitCodeOf(status), 'code' in status && status.code === 0);
      return;
    case 'give-up':
      fail(tx, name, decision.why, exitCodeOf(status));
      return;
  }
}

export function onRestartTimer(tx: Tx, name: string): void {
  if (tx.run(name).kind !== 'backoff') return;
  tx.setRun(name, { kind: 'waiting' });
  startWhatCan(tx);
}

function fail(tx: Tx, name: string, reason: string, exitCode: number): void {
  tx.setRun(name, { kind: 'failed', reason, exitCode });
  tx.log({ kind: 'program-failed', program: name, reason });
  programDown(tx, name, exitCode, false);
}

/** A program is down for good: note how, end the container if it was essential, unblock or block others. */
function programDown(tx: Tx, name: string, exitCode: number, clean: boolean): void {
  if (!clean && tx.state.firstUnclean === undefined) tx.set({ firstUnclean: exitCode });
  const phase = tx.state.phase.kind;
  if (tx.spec(name).essential && (phase === 'starting' || phase === 'running')) {
    essentialEnded(tx, name, exitCode);
    return;
  }
  // During the drain: an essential program gone, or nothing left to drain for, means stop now.
  const draining = tx.state.phase;
  if (draining.kind === 'draining' && (tx.spec(name).essential || tx.alive().length === 0)) {
    beginStop(tx, draining.signo, 'signal');
    return;
  }
  startWhatCan(tx);
  checkAllDown(tx);
}

/** Shell convention: the code, or 128+N for death by signal N. */
export function exitCodeOf(status: ExitStatus): number {
  return 'code' in status ? status.code : 128 + status.signal;
}
