// The supervisor as a pure function: (plan, state, input, now) -> (state, effects).
// No I/O, no timers, no clock: the OS layer feeds facts in and carries effects out,
// which is what lets every timing rule be tested exactly with a fake clock.
import type { Plan } from '../config/plan.js';
import { killDeadlineMs } from '../config/shutdown.js';
import type { Effect, ExitStatus, Input, ProgramState, State, TimerName } from './types.js';

export interface Step {
  readonly state: State;
  readonly effects: readonly Effect[];
}

const SIGKILL = 9;
const SIGCONT = 18;
const SIGTERM = 15;

export function initialState(plan: Plan): State {
  return { phase: { kind: 'starting' }, pendingSignals: [], programs: { [plan.main.name]: { kind: 'pending' } }, orphansReaped: 0 };
}

export function step(plan: Plan, state: State, input: Input, now: number): Step {
  if (state.phase.kind === 'done') return { state, effects: [] };
  switch (input.type) {
    case 'boot':
      return { state, effects: [{ type: 'spawn', program: plan.main.name }] };

    case 'spawned': {
      let next: State = { ...withProgram(state, input.program, { kind: 'running', pid: input.pid, since: now }), phase: { kind: 'running' }, pendingSignals: [] };
      const effects: Effect[] = [
        { type: 'log', event: { kind: 'spawned', program: input.program, pid: input.pid, argv: plan.main.argv } },
        { type: 'readiness', ready: true },
        { type: 'log', event: { kind: 'readiness', ready: true } },
      ];
      // Signals that arrived while lastcall was starting are handled now, shutdown signals included.
      for (const signo of state.pendingSignals) {
        const result = onSignal(plan, next, signo, now, false);
        next = result.state;
        effects.push(...result.effects);
      }
      return { state: next, effects };
    }

    case 'spawn-failed': {
      const next = withProgram(state, input.program, { kind: 'failed', exitCode: input.exitCode, reason: input.reason });
      return finish(plan, { ...next, mainExitCode: input.exitCode }, [
        { type: 'log', event: { kind: 'spawn-failed', program: input.program, reason: input.reason, exitCode: input.exitCode } },
      ]);
    }

    case 'signal':
      return onSignal(plan, state, input.signo, now, true);

    case 'reaped':
      return onReaped(plan, state, input.pid, input.status, now);

    case 'sweep-done':
      return onSweepDone(plan, state, input.childrenLeft, now);

    case 'timer':
      return onTimer(plan, state, input.name, now);

    case 'connection-seen':
      if (state.phase.kind !== 'draining' || plan.shutdown.drainIdleMs === undefined) return { state, effects: [] };
      return { state, effects: [{ type: 'set-timer', name: 'drain-idle', at: now + plan.shutdown.drainIdleMs }] };
  }
}

function onSignal(plan: Plan, state: State, signo: number, now: number, logIt: boolean): Step {
  const effects: Effect[] = logIt ? [{ type: 'log', event: { kind: 'signal-received', signo } }] : [];
  const isShutdown = plan.shutdown.signals.has(signo);
  const phase = state.phase;
  switch (phase.kind) {
    case 'starting':
      return { state: { ...state, pendingSignals: [...state.pendingSignals, signo] }, effects };
    case 'running':
      if (isShutdown) return startShutdown(plan, state, signo, now, effects);
      return { state, effects: [...effects, ...forward(plan, state, signo)] };
    case 'draining':
      // A second shutdown signal means "stop now": the drain ends, the program is asked to stop.
      if (isShutdown) return stop(plan, state, phase.signo, now, [...effects, ...endDrain(plan, state, 'signal', now)]);
      return { state, effects: [...effects, ...forward(plan, state, signo)] };
    case 'stopping':
      return { state, effects: [...effects, ...forward(plan, state, signo)] };
    case 'main-exited':
    case 'leftovers':
      // Another stop request while leftovers are draining means "now": skip the rest of the grace.
      if (isShutdown) return killEverything(plan, state, now, 'leftover-kill', effects);
      return { state, effects: [...effects, dropped(signo)] };
    case 'killing':
    case 'done':
      return { state, effects: [...effects, dropped(signo)] };
  }
}

/** t = 0 of the choreography: not ready, arm the deadline, drain (or stop at once). */
function startShutdown(plan: Plan, state: State, signo: number, now: number, before: Effect[]): Step {
  const { drainMs, drainIdleMs } = plan.shutdown;
  const deadlineMs = killDeadlineMs(plan.shutdown);
  const deadlineAt = deadlineMs === undefined ? undefined : now + deadlineMs;
  const next: State = { ...state, shutdown: { startedAt: now, deadlineAt } };
  const effects: Effect[] = [
    ...before,
    { type: 'log', event: { kind: 'shutdown-started', signo, drainMs, deadlineMs } },
    { type: 'readiness', ready: false },
    { type: 'log', event: { kind: 'readiness', ready: false } },
  ];
  if (deadlineAt !== undefined) effects.push({ type: 'set-timer', name: 'deadline', at: deadlineAt });
  if (drainMs === 0) return stop(plan, next, signo, now, effects);
  effects.push({ type: 'set-timer', name: 'drain-end', at: now + drainMs });
  if (drainIdleMs !== undefined) {
    effects.push({ type: 'watch-connections', active: true }, { type: 'set-timer', name: 'drain-idle', at: now + drainIdleMs });
  }
  return { state: { ...next, phase: { kind: 'draining', signo, endsAt: now + drainMs } }, effects };
}

function endDrain(plan: Plan, state: State, why: 'timer' | 'idle' | 'signal', now: number): Effect[] {
  const effects: Effect[] = [
    { type: 'cancel-timer', name: 'drain-end' },
    { type: 'log', event: { kind: 'drain-ended', why, afterMs: now - (state.shutdown?.startedAt ?? now) } },
  ];
  if (plan.shutdown.drainIdleMs !== undefined) effects.push({ type: 'cancel-timer', name: 'drain-idle' }, { type: 'watch-connections', active: false });
  return effects;
}

/** Ask the program to stop: its own stop signal, or the one received (after --rewrite). */
function stop(plan: Plan, state: State, received: number, _now: number, before: Effect[]): Step {
  const signo = plan.shutdown.stopSignal ?? plan.rewrite.get(received) ?? received;
  const main = state.programs[plan.main.name];
  const next: State = { ...state, phase: { kind: 'stopping' } };
  if (main?.kind !== 'running' || signo === 0) return { state: next, effects: [...before, dropped(received)] };
  return { state: next, effects: [...before, { type: 'send', target: targetOf(plan, main.pid), signo, reason: 'stop' }] };
}

function forward(plan: Plan, state: State, signo: number): Effect[] {
  const sent = plan.rewrite.get(signo) ?? signo;
  if (sent === 0) return [{ type: 'log', event: { kind: 'signal-dropped', signo, why: 'rewrite' } }];
  const main = state.programs[plan.main.name];
  if (main?.kind !== 'running') return [dropped(signo)];
  return [{ type: 'send', target: targetOf(plan, main.pid), signo: sent, reason: 'forward' }];
}

function targetOf(plan: Plan, pid: number) {
  return plan.toGroup ? ({ kind: 'group', pgid: pid } as const) : ({ kind: 'pid', pid } as const);
}

function dropped(signo: number): Effect {
  return { type: 'log', event: { kind: 'signal-dropped', signo, why: 'no-program' } };
}

function onReaped(plan: Plan, state: State, pid: number, status: ExitStatus, now: number): Step {
  const main = state.programs[plan.main.name];
  if (main?.kind !== 'running' || main.pid !== pid) {
    return {
      state: { ...state, orphansReaped: state.orphansReaped + 1 },
      effects: [{ type: 'log', event: { kind: 'orphan-reaped', pid, status, warn: plan.log.warnOnReap } }],
    };
  }
  const exitCode = exitCodeOf(status);
  const next: State = { ...withProgram(state, plan.main.name, { kind: 'exited', pid, status, at: now }), mainExitCode: exitCode };
  const effects: Effect[] = [{ type: 'log', event: { kind: 'program-exited', program: plan.main.name, pid, status } }];
  if (state.phase.kind === 'draining') effects.push(...endDrain(plan, state, 'signal', now).filter((e) => e.type !== 'log'));
  if (state.phase.kind === 'running' || state.phase.kind === 'draining') effects.push({ type: 'readiness', ready: false });
  // After a deadline SIGKILL the phase stays 'killing'; otherwise wait for the sweep's verdict.
  if (state.phase.kind === 'killing') return { state: next, effects };
  return { state: { ...next, phase: { kind: 'main-exited', exitCode } }, effects };
}

function onSweepDone(plan: Plan, state: State, childrenLeft: boolean, now: number): Step {
  const phase = state.phase;
  switch (phase.kind) {
    case 'main-exited': {
      if (!childrenLeft) return finish(plan, state);
      if (plan.leftoverGraceMs === 0) return killEverything(plan, state, now, 'leftover-kill', []);
      // The orchestrator's deadline still holds: leftovers never get longer than it allows.
      const deadlineAt = state.shutdown?.deadlineAt;
      const killAt = Math.min(now + plan.leftoverGraceMs, deadlineAt ?? Infinity);
      return {
        state: { ...state, phase: { kind: 'leftovers', exitCode: phase.exitCode, killAt } },
        effects: [
          { type: 'send', target: { kind: 'descendants' }, signo: SIGTERM, reason: 'leftover-term' },
          // A stopped process would sit on SIGTERM until the SIGKILL; wake it so it can exit cleanly.
          { type: 'send', target: { kind: 'descendants' }, signo: SIGCONT, reason: 'leftover-cont' },
          { type: 'set-timer', name: 'leftover-kill', at: killAt },
        ],
      };
    }
    case 'leftovers':
    case 'killing':
      return childrenLeft ? { state, effects: [] } : finish(plan, state);
    case 'starting':
    case 'running':
    case 'draining':
    case 'stopping':
    case 'done':
      return { state, effects: [] };
  }
}

function onTimer(plan: Plan, state: State, name: TimerName, now: number): Step {
  const phase = state.phase;
  switch (name) {
    case 'drain-end':
    case 'drain-idle':
      if (phase.kind !== 'draining') return { state, effects: [] };
      return stop(plan, state, phase.signo, now, endDrain(plan, state, name === 'drain-end' ? 'timer' : 'idle', now));
    case 'deadline':
      if (phase.kind === 'killing') return { state, effects: [] };
      return killEverything(plan, state, now, 'deadline-kill', [
        { type: 'log', event: { kind: 'deadline-reached', afterMs: now - (state.shutdown?.startedAt ?? now) } },
        ...(phase.kind === 'draining' ? endDrain(plan, state, 'timer', now).filter((e) => e.type !== 'log') : []),
      ]);
    case 'leftover-kill':
      return phase.kind === 'leftovers' ? killEverything(plan, state, now, 'leftover-kill', []) : { state, effects: [] };
    case 'kill-wait':
      if (phase.kind !== 'killing') return { state, effects: [] };
      return finish(plan, state, [{ type: 'log', event: { kind: 'leftovers-kill-wait-expired', afterMs: plan.killWaitMs } }]);
  }
}

/** SIGKILL every process below lastcall, then wait (bounded) for the kernel to hand them back. */
function killEverything(plan: Plan, state: State, now: number, reason: 'leftover-kill' | 'deadline-kill', before: Effect[]): Step {
  return {
    state: { ...state, phase: { kind: 'killing' } },
    effects: [
      ...before,
      { type: 'cancel-timer', name: 'leftover-kill' },
      { type: 'send', target: { kind: 'descendants' }, signo: SIGKILL, reason },
      { type: 'set-timer', name: 'kill-wait', at: now + plan.killWaitMs },
    ],
  };
}

/** The one way out: every path that ends lastcall goes through here. */
function finish(plan: Plan, state: State, before: Effect[] = []): Step {
  // Killed by the deadline and never reaped within kill-wait: report it as SIGKILLed.
  const rawCode = state.mainExitCode ?? 128 + SIGKILL;
  const code = plan.remapExit.has(rawCode) ? 0 : rawCode;
  const timers: TimerName[] = ['drain-end', 'drain-idle', 'deadline', 'leftover-kill', 'kill-wait'];
  return {
    state: { ...state, phase: { kind: 'done', exitCode: code } },
    effects: [
      ...before,
      ...timers.map((name): Effect => ({ type: 'cancel-timer', name })),
      { type: 'log', event: code === rawCode ? { kind: 'exiting', code } : { kind: 'exiting', code, remappedFrom: rawCode } },
      { type: 'exit', code },
    ],
  };
}

/** Shell convention: the code, or 128+N for death by signal N. */
export function exitCodeOf(status: ExitStatus): number {
  return 'code' in status ? status.code : 128 + status.signal;
}

function withProgram(state: State, name: string, program: ProgramState): State {
  return { ...state, programs: { ...state.programs, [name]: program } };
}
