// The supervisor as a pure function: (plan, state, input, now) -> (state, effects).
// No I/O, no timers, no clock: the OS layer feeds facts in and carries effects out,
// which is what lets every timing rule be tested exactly with a fake clock.
import type { Plan } from '../config/plan.js';
import { onControl } from './control.js';
import { exitCodeOf, onProgramExit, onReady, onReadyTimeout, onRestartTimer, onSpawned, onSpawnFailed, startWhatCan } from './lifecycle.js';
import { beginStop, hurryStop, killEverything, onStopActionDone, onStopTimeout, onSweepDone, setReadiness, startShutdown, targetOf } from './stopping.js';
import { newRecord, Tx } from './tx.js';
import type { Effect, Input, State, TimerName } from './types.js';

export { exitCodeOf } from './lifecycle.js';

export interface Step {
  readonly state: State;
  readonly effects: readonly Effect[];
}

const SIGKILL = 9;

export function initialState(plan: Plan): State {
  return {
    phase: { kind: 'starting' },
    pendingSignals: [],
    programs: Object.fromEntries(plan.programs.map((p) => [p.name, newRecord()])),
    orphansReaped: 0,
    ready: false,
  };
}

export function step(plan: Plan, state: State, input: Input, now: number): Step {
  if (state.phase.kind === 'done') return { state, effects: [] };
  const tx = new Tx(plan, state, now);
  handle(tx, input);
  if (tx.state.phase.kind !== 'done') setReadiness(tx, shouldBeReady(tx));
  return { state: tx.state, effects: tx.effects };
}

function handle(tx: Tx, input: Input): void {
  switch (input.type) {
    case 'boot':
      startWhatCan(tx);
      return;
    case 'spawned':
      onSpawned(tx, input.program, input.pid);
      return leaveStarting(tx);
    case 'spawn-failed':
      onSpawnFailed(tx, input.program, input.exitCode, input.reason);
      return leaveStarting(tx);
    case 'signal':
      tx.log({ kind: 'signal-received', signo: input.signo });
      return onSignal(tx, input.signo);
    case 'reaped': {
      const name = tx.programWithPid(input.pid);
      if (name !== undefined) return onProgramExit(tx, name, input.pid, input.status);
      tx.set({ orphansReaped: tx.state.orphansReaped + 1 });
      tx.log({ kind: 'orphan-reaped', pid: input.pid, status: input.status, warn: tx.plan.log.warnOnReap });
      return;
    }
    case 'sweep-done':
      if (onSweepDone(tx, input.childrenLeft)) finish(tx);
      return;
    case 'timer':
      return onTimer(tx, input.name);
    case 'connection-seen':
      if (tx.state.phase.kind === 'draining' && tx.plan.shutdown.drainIdleMs !== undefined) {
        tx.emit({ type: 'set-timer', name: 'drain-idle', at: tx.now + tx.plan.shutdown.drainIdleMs });
      }
      return;
    case 'ready':
      return onReady(tx, input.program);
    case 'stop-action-done':
      return onStopActionDone(tx, input.program, input.pid, input.ok, input.detail);
    case 'control':
      return onControl(tx, input.id, input.request, (signo) => onSignal(tx, signo));
  }
}

/** Once the first programs exist, the container runs; signals that came before are handled now, in order. */
function leaveStarting(tx: Tx): void {
  if (tx.state.phase.kind !== 'starting' || tx.alive().some((name) => tx.run(name).kind === 'starting')) return;
  const pending = tx.state.pendingSignals;
  tx.set({ phase: { kind: 'running' }, pendingSignals: [] });
  for (const signo of pending) onSignal(tx, signo);
}

function onSignal(tx: Tx, signo: number): void {
  const isShutdown = tx.plan.shutdown.signals.has(signo);
  const phase = tx.state.phase;
  switch (phase.kind) {
    case 'starting':
      tx.set({ pendingSignals: [...tx.state.pendingSignals, signo] });
      return;
    case 'running':
      if (isShutdown) return startShutdown(tx, signo);
      return forward(tx, signo);
    case 'draining':
      // A second shutdown signal means "stop now": the drain ends, the programs are asked to stop.
      if (isShutdown) return beginStop(tx, phase.signo, 'signal');
      return forward(tx, signo);
    case 'stopping':
      // With several programs, a second one also skips the stop order; one program just gets it forwarded.
      if (isShutdown && tx.plan.mode === 'multi') return hurryStop(tx);
      return forward(tx, signo);
    case 'programs-down':
    case 'leftovers':
      // Another stop request while leftovers are draining means "now": skip the rest of the grace.
      if (isShutdown) return killEverything(tx, 'leftover-kill');
      return dropped(tx, signo);
    case 'killing':
    case 'done':
      return dropped(tx, signo);
  }
}

/** Every other signal goes to every program that has a process (after --rewrite). */
function forward(tx: Tx, signo: number): void {
  const sent = tx.plan.rewrite.get(signo) ?? signo;
  if (sent === 0) return tx.log({ kind: 'signal-dropped', signo, why: 'rewrite' });
  let any = false;
  for (const spec of tx.plan.programs) {
    const run = tx.run(spec.name);
    if (run.kind !== 'running' && run.kind !== 'stopping') continue;
    tx.emit({ type: 'send', target: targetOf(tx, run.pid), signo: sent, reason: 'forward', program: spec.name });
    any = true;
  }
  if (!any) dropped(tx, signo);
}

function dropped(tx: Tx, signo: number): void {
  tx.log({ kind: 'signal-dropped', signo, why: 'no-program' });
}

function onTimer(tx: Tx, name: TimerName): void {
  const phase = tx.state.phase;
  const [kind, program] = name.split(/:(.*)/s) as [string, string | undefined];
  if (program !== undefined && !tx.state.programs[program]) return; // a timer for no known program
  switch (kind) {
    case 'drain-end':
    case 'drain-idle':
      if (phase.kind === 'draining') beginStop(tx, phase.signo, name === 'drain-end' ? 'timer' : 'idle');
      return;
    case 'deadline':
      if (phase.kind === 'killing') return;
      tx.log({ kind: 'deadline-reached', afterMs: tx.now - (tx.state.shutdown?.startedAt ?? tx.now) });
      if (phase.kind === 'draining') tx.emit({ type: 'cancel-timer', name: 'drain-end' }, { type: 'cancel-timer', name: 'drain-idle' }, { type: 'watch-connections', active: false });
      return killEverything(tx, 'deadline-kill');
    case 'leftover-kill':
      if (phase.kind === 'leftovers') killEverything(tx, 'leftover-kill');
      return;
    case 'kill-wait':
      if (phase.kind !== 'killing') return;
      tx.log({ kind: 'leftovers-kill-wait-expired', afterMs: tx.plan.killWaitMs });
      return finish(tx);
    case 'restart':
      return onRestartTimer(tx, program!);
    case 'ready-timeout':
      return onReadyTimeout(tx, program!);
    case 'stop-timeout':
      return onStopTimeout(tx, program!);
  }
}

/**
 * /readyz: while the container runs, every essential program is running and ready (with no
 * essential program: every longrun not stopped by `ctl stop`). A oneshot never serves.
 */
function shouldBeReady(tx: Tx): boolean {
  const phase = tx.state.phase.kind;
  if (phase !== 'running' && phase !== 'starting') return false;
  const essential = tx.plan.programs.filter((p) => p.essential);
  const serving = essential.length > 0 ? essential : tx.plan.programs.filter((p) => p.type === 'longrun' && !tx.record(p.name).held);
  return serving.every((p) => {
    const run = tx.run(p.name);
    return run.kind === 'running' && run.ready;
  });
}

/**
 * The one way out: every path that ends lastcall goes through here. Single program: its status
 * (tini's rule). Several: the essential program's status if one ended the container, else 0 when
 * every program stopped cleanly, else the first unclean status (docs/multi-process.md).
 */
function finish(tx: Tx): void {
  const rawCode = tx.plan.mode === 'single' ? singleCode(tx) : (tx.state.exitCode ?? tx.state.firstUnclean ?? uncleanLeft(tx) ?? 0);
  const code = tx.plan.remapExit.has(rawCode) ? 0 : rawCode;
  const timers: TimerName[] = ['drain-end', 'drain-idle', 'deadline', 'leftover-kill', 'kill-wait'];
  tx.set({ phase: { kind: 'done', exitCode: code } });
  tx.emit(...timers.map((name): Effect => ({ type: 'cancel-timer', name })));
  tx.log(code === rawCode ? { kind: 'exiting', code } : { kind: 'exiting', code, remappedFrom: rawCode });
  tx.emit({ type: 'exit', code });
}

function singleCode(tx: Tx): number {
  const record = tx.record(tx.plan.programs[0]!.name);
  if (record.run.kind === 'failed') return record.run.exitCode;
  // Killed by the deadline and never reaped within kill-wait: report it as SIGKILLed.
  return record.lastExit && record.run.kind !== 'stopping' && record.run.kind !== 'running' ? exitCodeOf(record.lastExit) : 128 + SIGKILL;
}

/** A program still not reaped after the SIGKILL wait counts as killed. */
function uncleanLeft(tx: Tx): number | undefined {
  return tx.alive().length > 0 ? 128 + SIGKILL : undefined;
}
