// One init as real PID 1 of a fresh PID namespace (unshare --pid --fork --mount-proc), the way
// a container runtime starts it, seen from outside: its host pid, its program, its end.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerEnv, namespaceArgv } from './setup.mjs';
import { exeOf, isAlive, stateOf, treeOf } from './proc.mjs';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class MeasureError extends Error {}

/** Namespaces still running, so that an interrupted bench can take them all down. */
export const active = new Set();
let serial = 0;

/**
 * Starts `init` running `program`. options: initOptions (for init.argv), or initArgv instead of
 * init.argv (multi-program runs); env; stampFile (execstamp writes the exec time there first);
 * stdio for stdin and stdout (default ignore; stderr always goes to a file).
 */
export function startPid1(ctx, init, program, options = {}) {
  const initArgv = options.initArgv ?? init.argv(program, options.initOptions);
  const argv = [...namespaceArgv(ctx.tools.unshare), ...(options.stampFile ? [ctx.bin.execstamp, options.stampFile] : []), ...initArgv];
  // stderr goes to a file, not a pipe: Node's pipes are sockets, and supervisord's
  // `stderr_logfile=/dev/stderr` cannot open a socket (ENXIO) and then silently runs nothing.
  const errFile = join(ctx.scratch, `stderr-${++serial}.txt`);
  const errFd = openSync(errFile, 'w');
  const stdio = options.stdio ?? ['ignore', 'ignore'];
  const child = spawn(argv[0], argv.slice(1), {
    env: { ...containerEnv(), ...init.env(), ...(options.env ?? {}) },
    stdio: [stdio[0], stdio[1], errFd],
  });
  closeSync(errFd);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let done = false;
  const run = {
    init,
    unshare: child,
    exited,
    get done() {
      return done;
    },
    get stderr() {
      try {
        return readFileSync(errFile, 'utf8').slice(-20_000);
      } catch {
        return '';
      }
    },
    hostPid: undefined,
    /** Resolves with the init's pid outside the namespace (unshare's child). */
    async pid(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (this.hostPid === undefined) {
        const kids = treeOf(child.pid).slice(1);
        if (kids.length) this.hostPid = kids[0];
        else if (done) throw new MeasureError(`${init.name} did not start: ${this.why()}`);
        else if (Date.now() > deadline) throw new MeasureError(`${init.name}: no process in the namespace after ${timeoutMs} ms`);
        else await sleep(2);
      }
      return this.hostPid;
    },
    /** Resolves with the host pids of `count` live processes below the init running `exe`. */
    async program(exe, { count = 1, timeoutMs = 30_000 } = {}) {
      const pid = await this.pid();
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = treeOf(pid).slice(1).filter((p) => exeOf(p) === exe && isAlive(p));
        if (found.length >= count) return found;
        if (done) throw new MeasureError(`${init.name} exited before its program ran: ${this.why()}`);
        if (Date.now() > deadline) throw new MeasureError(`${init.name}: ${found.length}/${count} programs running after ${timeoutMs} ms`);
        await sleep(2);
      }
    },
    /** The init's processes: everything in the namespace that is not one of the programs. */
    initPids(programExe) {
      if (this.hostPid === undefined || !isAlive(this.hostPid)) return [];
      return treeOf(this.hostPid).filter((p) => p === this.hostPid || (exeOf(p) !== programExe && stateOf(p) !== 'Z'));
    },
    why() {
      const said = this.stderr.trim().split('\n').filter(Boolean).slice(-3).join(' / ');
      return said || 'it said nothing on stderr';
    },
    /** SIGKILLs the init (the kernel then kills the whole namespace) and waits for unshare. */
    async kill() {
      if (!done) {
        if (this.hostPid !== undefined) {
          try {
            process.kill(this.hostPid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        child.kill('SIGKILL'); // --kill-child takes the namespace down with it
      }
      await exited;
    },
  };
  active.add(run);
  exited.then(() => {
    done = true;
    active.delete(run);
  });
  return run;
}

/** Polls `fn` until it returns a value other than undefined. */
export async function waitUntil(fn, { timeoutMs = 30_000, intervalMs = 2, what = 'condition', run } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value !== undefined) return value;
    if (run?.done) throw new MeasureError(`${run.init.name} exited while waiting for ${what}: ${run.why()}`);
    if (Date.now() > deadline) throw new MeasureError(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
