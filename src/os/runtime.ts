// Runs the pure core against the real OS: feeds it inputs (signals, reaped children,
// timers) one at a time and performs the effects it returns.
import { rmSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Health } from '../health/server.js';
import type { Plan } from '../config/plan.js';
import { initialState, step } from '../supervisor/core.js';
import type { Effect, Input, State, Target, TimerName } from '../supervisor/types.js';
import type { Logger } from '../log/logger.js';
import * as libc from './libc.js';
import { watchNewConnections } from './connections.js';
import { descendantsOf } from './processes.js';
import { Reaper } from './reaper.js';
import { spawnProgram } from './spawn.js';

export interface SignalSource {
  /** Calls `deliver` for every signal received, starting with those queued before lastcall was ready. */
  subscribe(deliver: (signo: number) => void): void;
  unsubscribe(): void;
}

const FOREVER_MS = 2 ** 31 - 1;
const SIGPIPE = 13;

/** `health` is already listening (started by the CLI, so a port in use fails before any spawn). */
export function run(plan: Plan, signals: SignalSource, logger: Logger, health?: Health): Promise<number> {
  return new Promise((resolve) => {
    const started = performance.now();
    const now = () => performance.now() - started;
    const isPid1 = process.pid === 1;
    const timers = new Map<TimerName, NodeJS.Timeout>();
    const queue: Input[] = [];
    let state: State = initialState(plan);
    let draining = false;
    let finished = false;
    let stopWatching: (() => void) | undefined;

    // Nothing else holds the event loop open while we wait for signals; a timer that
    // fires every 24.8 days does, without waking the process.
    const keepAlive = setInterval(() => {}, FOREVER_MS);
    const reaper = new Reaper({
      reaped: (pid, status) => dispatch({ type: 'reaped', pid, status }),
      sweepDone: (childrenLeft) => dispatch({ type: 'sweep-done', childrenLeft }),
    });

    function dispatch(input: Input): void {
      queue.push(input);
      if (draining) return; // an effect fed back an input: handled after the current one
      draining = true;
      try {
        for (let next = queue.shift(); next && !finished; next = queue.shift()) {
          const result = step(plan, state, next, now());
          state = result.state;
          for (const effect of result.effects) perform(effect);
        }
      } finally {
        draining = false;
      }
    }

    function perform(effect: Effect): void {
      switch (effect.type) {
        case 'spawn': {
          const result = spawnProgram({ argv: plan.main.argv });
          dispatch('pid' in result
            ? { type: 'spawned', program: effect.program, pid: result.pid }
            : { type: 'spawn-failed', program: effect.program, exitCode: result.exitCode, reason: result.reason });
          return;
        }
        case 'send': {
          const pids = send(effect.target, effect.signo);
          logger.event({ kind: 'signal-sent', signo: effect.signo, target: effect.target, reason: effect.reason, pids }, now());
          return;
        }
        case 'set-timer': {
          clearTimeout(timers.get(effect.name));
          timers.set(effect.name, setTimeout(() => {
            timers.delete(effect.name);
            dispatch({ type: 'timer', name: effect.name });
          }, Math.max(0, Math.ceil(effect.at - now())))); // rounded up: late is possible, early never
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
        case 'exit':
          finished = true;
          stopWatching?.();
          health?.close();
          for (const timer of timers.values()) clearTimeout(timer);
          clearInterval(keepAlive);
          reaper.stop();
          process.removeListener('SIGCHLD', reaper.sweep);
          signals.unsubscribe();
          resolve(effect.code);
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

    process.on('SIGCHLD', reaper.sweep);
    signals.subscribe((signo) => {
      if (signo === SIGPIPE && logger.takeOwnSigpipe()) return; // raised by our own write to a closed stderr
      dispatch({ type: 'signal', signo });
    });
    dispatch({ type: 'boot' });
    reaper.sweep(); // children may have exited before the SIGCHLD listener existed
  });
}
