// One step of the core as a small transaction: the state so far and the effects asked for.
// Helpers mutate the transaction, never the states they read, so step() stays a pure function.
import type { Plan, ProgramPlan } from '../config/plan.js';
import type { Effect, LogEvent, ProgramRecord, ProgramRun, State } from './types.js';

export class Tx {
  readonly effects: Effect[] = [];

  constructor(
    readonly plan: Plan,
    public state: State,
    readonly now: number,
  ) {}

  emit(...effects: Effect[]): void {
    this.effects.push(...effects);
  }

  log(event: LogEvent): void {
    this.effects.push({ type: 'log', event });
  }

  set(patch: Partial<State>): void {
    this.state = { ...this.state, ...patch };
  }

  record(name: string): ProgramRecord {
    return this.state.programs[name]!;
  }

  run(name: string): ProgramRun {
    return this.record(name).run;
  }

  spec(name: string): ProgramPlan {
    return this.plan.programs.find((p) => p.name === name)!;
  }

  update(name: string, patch: Partial<ProgramRecord>): void {
    this.state = { ...this.state, programs: { ...this.state.programs, [name]: { ...this.record(name), ...patch } } };
  }

  setRun(name: string, run: ProgramRun): void {
    this.update(name, { run });
  }

  /** The program (if any) whose current process is `pid`. */
  programWithPid(pid: number): string | undefined {
    for (const [name, record] of Object.entries(this.state.programs)) {
      const run = record.run;
      if ((run.kind === 'running' || run.kind === 'stopping') && run.pid === pid) return name;
    }
    return undefined;
  }

  /** Programs with a live process (running or being stopped). */
  alive(): string[] {
    return this.plan.programs.map((p) => p.name).filter((name) => ['running', 'stopping', 'starting'].includes(this.run(name).kind));
  }
}

export function newRecord(): ProgramRecord {
  return { run: { kind: 'waiting' }, restartTimes: [], restarts: 0, lastExit: null, held: false, restartWhenDown: false };
}
