// Runs the pure core against the real OS: feeds it inputs (signals, reaped children,
// timers, ready checks, control requests) one at a time and performs the effects it returns.
import { rmSync, writeFileSync } from 'node:fs';
import type { Health } from '../health/server.js';
import type { Plan, ProgramPlan } from '../config/plan.js';
import { initialState, step } from '../supervisor/core.js';
import { snapshotOf, type ControlResponse, type StatusSnapshot } from '../supervisor/status.js';
import type { ControlCommand, Effect, Input, State, Target, TimerName } from '../supervisor/types.js';
import type { Logger } from '../log/logger.js';
import * as libc from './libc.js';
import { watchNewConnections } from './connections.js';
import { descendantsOf } from './processes.js';
import { Reaper } from './reaper.js';
import { spawnProgram, type SpawnResult } from './spawn.js';
import { monotonicMs } from './clock.js';

export interface SignalSource {
  /** Calls `deliver` for every signal received, starting with those queued before lastcall was ready. */
  subscribe(deliver: (signo: number) => void): void;
  unsubscribe(): void;
}

/**
 * What multi-program mode adds around a spawn, loaded only when a config file asks for it
 * (src/os/services.ts), so `lastcall -- CMD` starts without any of it.
 */
export interface Services {
  spawn(spec: ProgramPlan): SpawnResult;
  probe(spec: ProgramPlan, onReady: () => void): () => void;
  stopAction(spec: ProgramPlan): Promise<{ ok: boolean; detail: string }>;
  /** Every relayed line written out, or false after `timeoutMs`. */
  flush(timeoutMs: number): Promise<boolean>;
  /** Children that node:child_process spawned (ready and stop commands): libuv reaps those. */
  isNodeChild(pid: number): boolean;
  hasNodeChildren(): boolean;
  /** True (once) for a SIGPIPE raised by relaying a program's output to a closed stdout. */
  takeOwnSigpipe(): boolean;
}

export interface Running {
  /** lastcall's exit code, once everything is down and flushed. */
  readonly exitCode: Promise<number>;
  snapshot(): StatusSnapshot;
  control(request: ControlCommand): Promise<ControlResponse>;
}

const FOREVER_MS = 2 ** 31 - 1;
const SIGPIPE = 13;
/** How long relayed output may take to drain at exit: programs are gone, their pipes at EOF. */
const FLUSH_AT_EXIT_MS = 2000;

/** `health` is already listening (started by the CLI, so a port in use fails before any spawn). */
export function run(plan: Plan, signals: SignalSource, logger: Logger, health?: Health, services?: Services): Running {
  const started = monotonicMs();
  const now = () => monotonicMs() - started;
  const isPid1 = process.pid === 1;
  const timers = new Map<TimerName, NodeJS.Timeout>();
  const probes = new Map<string, () => void>();
  const replies = new Map<number, (response: ControlResponse) => void>();
  const specs = new Map(plan.programs.map((p) => [p.name, p]));
  const queue: Input[] = [];
  let state: State = initialState(plan);
  // The effects of a signal whose step changed nothing and only sends and logs (a forward, a
  // drop), kept while the state stays the same: step is pure, and such a step does not read the clock
  // (test/unit/signal-repeat.test.ts), so the same signal gets the same effects without running
  // the core. A process asleep between signals runs the core's code cold: it cost 25-50 µs of
  // every forward's latency here, most of the gap to a bare Node forwarder (docs/signals.md).
  const sameAgain = new Map<number, readonly Effect[]>();
  let handling = false;
  let finished = false;
  let nextRequest = 1;
  let stopWatching: (() => void) | undefined;
  let resolveExit!: (code: number) => void;
  const exitCode = new Promise<number>((resolve) => (resolveExit = resolve));

  // Nothing else holds the event loop open while we wait for signals; a timer that
  // fires every 24.8 days does, without waking the process.
  const keepAlive = setInterval(() => {}, FOREVER_MS);
  const reaper = new Reaper(
    {
      reaped: (pid, status) => dispatch({ type: 'reaped', pid, status }),
      sweepDone: (childrenLeft) => dispatch({ type: 'sweep-done', childrenLeft }),
    },
    services?.isNodeChild,
    services?.hasNodeChildren,
  );

  function dispatch(input: Input): void {
    queue.push(input);
    if (handling) return; // an effect fed back an input: handled after the current one
    handling = true;
    try {
      for (let next = queue.shift(); next && !finished; next = queue.shift()) {
        const result = step(plan, state, next, now());
        if (result.state !== state) sameAgain.clear();
        else if (next.type === 'signal' && result.effects.every((e) => e.type === 'send' || e.type === 'log')) sameAgain.set(next.signo, result.effects);
        state = result.state;
        for (const effect of result.effects) perform(effect);
      }
    } finally {
      handling = false;
    }
  }

  function perform(effect: Effect): void {
    switch (effect.type) {
      case 'spawn': {
        const spec = specs.get(effect.program)!;
        const result = services ? services.spawn(spec) : spawnProgram({ argv: spec.argv });
        dispatch('pid' in result
          ? { type: 'spawned', program: effect.program, pid: result.pid }
          : { type: 'spawn-failed', program: effect.program, exitCode: result.exitCode, reason: result.reason });
        return;
      }
      case 'send': {
        const pids = send(effect.target, effect.signo);
        logger.event({ kind: 'signal-sent', signo: effect.signo, target: effect.target, reason: effect.reason, pids, program: effect.program }, now());
        return;
      }
      case 'set-timer': {
        clearTimeout(timers.get(effect.name));
        // Node measures a timeout from the loop's cached clock, which lags the monotonic clock by the
        // work of the current tick, so a timer can fire a few ms early: re-arm for what is left.
        // Late is possible, early never.
        const arm = (): void => {
          timers.set(effect.name, setTimeout(() => {
            if (now() < effect.at) return arm();
            timers.delete(effect.name);
            dispatch({ type: 'timer', name: effect.name });
          }, Math.max(0, Math.ceil(effect.at - now()))));
        };
        arm();
        return;
      }
      case 'cancel-timer':
        clearTimeout(timers.get(effect.name));
        timers.delete(effect.name);
        return;
      case 'log':
        logger.event(effect.event, now());
        return;
      case 'readiness':
        health?.setReady(effect.ready);
        if (plan.shutdown.readyFile !== undefined) setReadyFile(plan.shutdown.readyFile, effect.ready);
        return;
      case 'watch-connections': {
        stopWatching?.();
        stopWatching = undefined;
        if (!effect.active) return;
        // Sample several times per idle period, but not more often than every 20 ms.
        const interval = Math.min(100, Math.max(20, Math.floor((plan.shutdown.drainIdleMs ?? 500) / 5)));
        stopWatching = watchNewConnections(plan.shutdown.drainPorts, interval, () => dispatch({ type: 'connection-seen' }));
        return;
      }
      case 'probe': {
        probes.get(effect.program)?.();
        probes.delete(effect.program);
        if (effect.active && services) {
          probes.set(effect.program, services.probe(specs.get(effect.program)!, () => {
            probes.delete(effect.program);
            dispatch({ type: 'ready', program: effect.program });
          }));
        }
        return;
      }
      case 'stop-action': {
        const { program, pid } = effect;
        void services?.stopAction(specs.get(program)!).then(({ ok, detail }) => dispatch({ type: 'stop-action-done', program, pid, ok, detail }));
        return;
      }
      case 'sweep':
        // Never inside another sweep: the reaper's answer comes back through dispatch either way.
        queueMicrotask(reaper.sweep);
        return;
      case 'control-reply':
        replies.get(effect.id)?.(effect.response);
        replies.delete(effect.id);
        return;
      case 'exit':
        finished = true;
        stopWatching?.();
        health?.close();
        for (const cancel of probes.values()) cancel();
        for (const timer of timers.values()) clearTimeout(timer);
        reaper.stop();
        signals.unsubscribe();
        for (const reply of replies.values()) reply({ ok: false, error: 'lastcall is exiting' });
        // Every line a program wrote reaches our stdout before we exit.
        void (services ? services.flush(FLUSH_AT_EXIT_MS) : Promise.resolve(true)).then(() => {
          clearInterval(keepAlive);
          resolveExit(effect.code);
        });
        return;
    }
  }

  function setReadyFile(path: string, ready: boolean): void {
    try {
      if (ready) writeFileSync(path, '');
      else rmSync(path, { force: true });
    } catch (error) {
      logger.fatal(`--ready-file ${path}: ${(error as Error).message}`);
    }
  }

  /** Returns the pids the signal was sent to. */
  function send(target: Target, signo: number): number[] {
    switch (target.kind) {
      case 'pid':
        return libc.sendSignal(target.pid, signo) === 0 ? [target.pid] : [];
      case 'group':
        return libc.sendSignal(-target.pgid, signo) === 0 ? [target.pgid] : [];
      case 'descendants': {
        const pids = descendantsOf(process.pid);
        // As PID 1, kill(-1) reaches every process in the namespace at once, even one forked
        // after the scan; otherwise only our own descendants may be touched.
        if (isPid1 && pids.length > 0) libc.sendSignal(-1, signo);
        else for (const pid of pids) libc.sendSignal(pid, signo);
        return pids;
      }
    }
  }

  signals.subscribe((signo) => {
    // Raised by our own write to a closed stderr or stdout: lastcall's, not a signal for the programs.
    if (signo === SIGPIPE && (logger.takeOwnSigpipe() || services?.takeOwnSigpipe())) return;
    const effects = sameAgain.get(signo);
    if (effects === undefined || finished) return dispatch({ type: 'signal', signo });
    for (const effect of effects) perform(effect);
  });
  dispatch({ type: 'boot' });
  reaper.listen(); // and sweeps once: children may have exited before the SIGCHLD listener existed

  return {
    exitCode,
    snapshot: () => snapshotOf(plan, state, now()),
    control(request) {
      if (finished) return Promise.resolve({ ok: false, error: 'lastcall is exiting' });
      const id = nextRequest++;
      const answer = new Promise<ControlResponse>((resolve) => replies.set(id, resolve));
      dispatch({ type: 'control', id, request });
      return answer;
    },
  };
}
