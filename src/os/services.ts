// Multi-program mode's OS side around the core: spawning with env, cwd, user and log pipes,
// ready checks, stop commands. Loaded only with --config, so `lastcall -- CMD` never pays for it.
import { closeSync, fchownSync, fstatSync, openSync } from 'node:fs';
import type { Plan, ProgramPlan } from '../config/plan.js';
import { flushAllRelays, queueBehindRelays, startRelay, takeOwnSigpipe } from '../log/relay.js';
import { queueLinesWith } from '../log/logger.js';
import { net } from './builtins.js';
import * as libc from './libc.js';
import { hasNodeChildren, isNodeChild } from './node-children.js';
import { findSetpriv } from './setpriv.js';
import { startReadyProbe } from './probes.js';
import type { Services } from './runtime.js';
import { spawnProgram, type SpawnResult } from './spawn.js';
import { runStopCommand, runStopHttp } from './stop-actions.js';
import '../one-chunk.js'; // one start-up chunk: see src/one-chunk.ts

const STOP_ACTION_DEFAULT_TIMEOUT_MS = 10_000;

export function multiProgramServices(plan: Plan): Services {
  keepStdioOpen();
  queueLinesWith((line) => queueBehindRelays(2, line));
  // Names in prefixed lines are padded to one width, so the lines line up as in docker compose.
  const relayed = plan.programs.filter((p) => p.logs !== 'inherit');
  const width = Math.max(0, ...relayed.map((p) => p.name.length));
  // A relay reads through node:net, which costs ~7-10 ms to load here (compiled: see builtins.ts).
  // Loaded now, before the first spawn, the relay reads from a program's first write on (measured:
  // first read ~6 ms after the spawn, not ~17); configs with no relayed program never load it here.
  if (relayed.length > 0) net();
  const setpriv = findSetpriv();
  return {
    spawn: (spec) => spawnWithServices(spec, width, setpriv),
    probe: (spec, onReady) => startReadyProbe(spec.ready!.check, { intervalMs: spec.ready!.intervalMs, env: envOf(spec), cwd: spec.cwd }, onReady),
    stopAction: (spec) => {
      const timeoutMs = spec.stop.timeoutMs ?? STOP_ACTION_DEFAULT_TIMEOUT_MS;
      return spec.stop.command
        ? runStopCommand(spec.stop.command, { env: envOf(spec), cwd: spec.cwd, timeoutMs })
        : runStopHttp(spec.stop.http!, timeoutMs);
    },
    flush: flushAllRelays,
    isNodeChild,
    hasNodeChildren,
    takeOwnSigpipe,
  };
}

/**
 * Started with fd 0, 1 or 2 closed, pipe() would hand out that number, and a program's log pipe
 * would become lastcall's own stdout. /dev/null in each closed slot keeps the numbers taken.
 */
function keepStdioOpen(): void {
  for (const fd of [0, 1, 2]) {
    try {
      fstatSync(fd);
    } catch {
      const opened = openSync('/dev/null', fd === 0 ? 'r' : 'w');
      if (opened !== fd) closeSync(opened); // a lower slot was free after all: leave it alone
    }
  }
}

function envOf(spec: ProgramPlan): Readonly<Record<string, string>> {
  return spec.env ?? (Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)) as Record<string, string>);
}

/**
 * posix_spawn cannot change user, so a program with `user:` is started through setpriv, which
 * drops group and user ids (and supplementary groups) and execs it in place: same pid, same group.
 */
function spawnWithServices(spec: ProgramPlan, width: number, setpriv: string | undefined): SpawnResult {
  let argv = spec.argv;
  if (spec.user) {
    if (!setpriv) return { exitCode: 127, reason: `cannot start ${spec.name} as uid ${spec.user.uid}: setpriv (util-linux) is not installed; install util-linux in the image` };
    argv = [setpriv, `--reuid=${spec.user.uid}`, `--regid=${spec.user.gid}`, spec.user.initGroups ? '--init-groups' : '--clear-groups', '--', ...argv];
  }
  if (spec.logs === 'inherit') return spawnProgram({ argv, env: spec.env, cwd: spec.cwd });

  const out = libc.pipe();
  const err = libc.pipe();
  // A bigger pipe means fewer, larger reads: measured +11-13 % relay throughput (docs/logging.md).
  for (const fd of [out.read, err.read]) libc.growPipe(fd, 1 << 20);
  if (spec.user) {
    // nginx and php-fpm reopen /proc/self/fd/2 by name; a pipe owned by root refuses another user.
    for (const fd of [out.write, err.write]) fchownSync(fd, spec.user.uid, spec.user.gid);
  }
  const result = spawnProgram({ argv, env: spec.env, cwd: spec.cwd, stdio: [0, out.write, err.write] });
  // Our copies of the write ends must go, or the pipes never reach EOF when the program exits.
  closeSync(out.write);
  closeSync(err.write);
  if (!('pid' in result)) {
    closeSync(out.read);
    closeSync(err.read);
    return result;
  }
  startRelay({ fd: out.read, program: spec.name, width, stream: 'stdout', mode: spec.logs });
  startRelay({ fd: err.read, program: spec.name, width, stream: 'stderr', mode: spec.logs });
  return result;
}
