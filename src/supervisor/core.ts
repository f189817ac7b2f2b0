// The supervisor as a pure function: (plan, state, input, now) -> (state, effects).
// No I/O, no timers, no clock: the OS layer feeds facts in and carries effects out,
// which is what lets every timing rule be tested exactly with a fake clock.
import type { Plan } from '../config/plan.js';
import type { Effect, ExitStatus, Input, Phase, ProgramState, State } from './types.js';

export interface Step {
  readonly state: State;
  readonly effects: readonly Effect[];
}

const SIGTERM = 15;
const SIGINT = 2;
const SIGKILL = 9;
const SIGCONT = 18;

export function initialState(plan: Plan): State {
  return { phase: { kind: 'starting' }, pendingSignals: [], programs: { [plan.main.name]: { kind: 'pending' } }, orphansReaped: 0 };
}

export function step(plan: Plan, state: State, input: Input, now: number): Step {
  switch (input.type) {
    case 'boot':
      return { state, effects: [{ type: 'spawn', program: plan.main.name }] };

    case 'spawned': {
      const next = withProgram(state, input.program, { kind: 'running', pid: input.pid, since: now });
      const started: State = { ...next, phase: { kind: 'running' }, pendingSignals: [] };
      const effects: Effect[] = [{ type: 'log', event: { kind: 'spawned', program: input.program, pid: input.pid, argv: plan.main.argv } }];
      for (const signo of state.pendingSignals) effects.push(...forward(plan, started, signo));
      return { state: started, effects };
    }

    case 'spawn-failed': {
      const next = withProgram(state, input.program, { kind: 'failed', exitCode: input.exitCode, reason: input.reason });
      return finish(next, input.exitCode, undefined, [
        { type: 'log', event: { kind: 'spawn-failed', program: input.program, reason: input.reason, exitCode: input.exitCode } },
      ]);
    }

    case 'signal':
      return onSignal(plan, state, input.signo, now);

    case 'reaped':
      return onReaped(plan, state, input.pid, input.status, now);

    case 'sweep-done':
      return onSweepDone(plan, state, input.childrenLeft, now);

    case 'timer':
      return onTimer(plan, state, input.name, now);
  }
}

function onSignal(plan: Plan, state: State, signo: number, now: number): Step {
  const received: Effect = { type: 'log', event: { kind: 'signal-received', signo } };
  const phase = state.phase;
  switch (phase.kind) {
    case 'starting':
      return { state: { ...state, pendingSignals: [...state.pendingSignals, signo] }, effects: [received] };
    case 'running':
      return { state, effects: [received, ...forward(plan, state, signo)] };
    case 'main-exited':
    case 'leftovers':
      // A second stop request while leftovers are draining means "now": skip the rest of the grace.
      if (signo === SIGTERM || signo === SIGINT) return killLeftovers(plan, state, phase.exitCode, now, [received]);
      return { state, effects: [received, { type: 'log', event: { kind: 'signal-dropped', signo, why: 'no-program' } }] };
    case 'killing':
    case 'done':
      return { state, effects: [received, { type: 'log', event: { kind: 'signal-dropped', signo, why: 'no-program' } }] };
  }
}

function forward(plan: Plan, state: State, signo: number): Effect[] {
  const sent = plan.rewrite.get(signo) ?? signo;
  if (sent === 0) return [{ type: 'log', event: { kind: 'signal-dropped', signo, why: 'rewrite' } }];
  const main = state.programs[plan.main.name];
  if (main?.kind !== 'running') return [{ type: 'log', event: { kind: 'signal-dropped', signo, why: 'no-program' } }];
  const target = plan.toGroup ? ({ kind: 'group', pgid: main.pid } as const) : ({ kind: 'pid', pid: main.pid } as const);
  return [{ type: 'send', target, signo: sent, reason: 'forward' }];
}

function onReaped(plan: Plan, state: State, pid: number, status: ExitStatus, now: number): Step {
  const main = state.programs[plan.main.name];
  if (main?.kind === 'running' && main.pid === pid) {
    const next = withProgram(state, plan.main.name, { kind: 'exited', pid, status, at: now });
    const exitCode = exitCodeOf(status);
    return {
      state: { ...next, phase: { kind: 'main-exited', exitCode } },
      effects: [{ type: 'log', event: { kind: 'program-exited', program: plan.main.name, pid, status } }],
    };
  }
  return {
    state: { ...state, orphansReaped: state.orphansReaped + 1 },
    effects: [{ type: 'log', event: { kind: 'orphan-reaped', pid, status, warn: plan.log.warnOnReap } }],
  };
}

function onSweepDone(plan: Plan, state: State, childrenLeft: boolean, now: number): Step {
  const phase = state.phase;
  switch (phase.kind) {
    case 'main-exited':
      if (!childrenLeft) return finish(state, phase.exitCode, plan);
      if (plan.leftoverGraceMs === 0) return killLeftovers(plan, state, phase.exitCode, now, []);
      return {
        state: { ...state, phase: { kind: 'leftovers', exitCode: phase.exitCode, killAt: now + plan.leftoverGraceMs } },
        effects: [
          { type: 'send', target: { kind: 'descendants' }, signo: SIGTERM, reason: 'leftover-term' },
          // A stopped process would sit on SIGTERM until the SIGKILL; wake it so it can exit cleanly.
          { type: 'send', target: { kind: 'descendants' }, signo: SIGCONT, reason: 'leftover-cont' },
          { type: 'set-timer', name: 'leftover-kill', at: now + plan.leftoverGraceMs },
        ],
      };
    case 'leftovers':
    case 'killing':
      if (childrenLeft) return { state, effects: [] };
      return finish(state, phase.exitCode, plan, [
        { type: 'cancel-timer', name: 'leftover-kill' },
        { type: 'cancel-timer', name: 'kill-wait' },
      ]);
    case 'starting':
    case 'running':
    case 'done':
      return { state, effects: [] };
  }
}

function onTimer(plan: Plan, state: State, name: 'leftover-kill' | 'kill-wait', now: number): Step {
  const phase = state.phase;
  if (name === 'leftover-kill' && phase.kind === 'leftovers') return killLeftovers(plan, state, phase.exitCode, now, []);
  if (name === 'kill-wait' && phase.kind === 'killing') {
    return finish(state, phase.exitCode, plan, [{ type: 'log', event: { kind: 'leftovers-kill-wait-expired', afterMs: plan.killWaitMs } }]);
  }
  return { state, effects: [] };
}

function killLeftovers(plan: Plan, state: State, exitCode: number, now: number, before: Effect[]): Step {
  return {
    state: { ...state, phase: { kind: 'killing', exitCode } },
    effects: [
      ...before,
      { type: 'cancel-timer', name: 'leftover-kill' },
      { type: 'send', target: { kind: 'descendants' }, signo: SIGKILL, reason: 'leftover-kill' },
      { type: 'set-timer', name: 'kill-wait', at: now + plan.killWaitMs },
    ],
  };
}

/** The one way out: every path that ends lastcall goes through here. */
function finish(state: State, rawCode: number, plan: Plan | undefined, before: Effect[] = []): Step {
  const code = plan?.remapExit.has(rawCode) ? 0 : rawCode;
  const phase: Phase = { kind: 'done', exitCode: code };
  return {
    state: { ...state, phase },
    effects: [
      ...before,
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
