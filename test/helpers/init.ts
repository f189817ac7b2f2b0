// Runs an init (lastcall by default) as a real PID 1 in a fresh PID namespace, the way a
// container runtime does. The init under test is a parameter, LASTCALL_TEST_INIT:
//   lastcall (default) | tini | dumb-init | any command line, e.g. "/usr/bin/tini -s"
// so the same black-box tests can be run against the peers (see scripts/compat.mjs).
import { execa, type ResultPromise } from 'execa';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './fixtures.js';

export type InitName = 'lastcall' | 'tini' | 'dumb-init' | string;
export const initName: InitName = process.env.LASTCALL_TEST_INIT ?? 'lastcall';
export const testingLastcall = initName === 'lastcall';

export const lastcallBin = join(root, 'bin', 'lastcall.js');

/** The init's own argv, before its options. */
export function initArgv(): string[] {
  switch (initName) {
    case 'lastcall':
      return [process.execPath, lastcallBin];
    case 'tini':
      return ['tini'];
    case 'dumb-init':
      return ['dumb-init'];
    default:
      return initName.split(' ');
  }
}

/**
 * A container's environment, not the test runner's: tap sets NODE_OPTIONS (its loaders and a
 * process-info hook that listens to signals) and this sandbox sets NODE_EXTRA_CA_CERTS (40-60 ms
 * per Node start). Neither exists in a container, and both change how a Node init behaves.
 */
export function containerEnv(extra: Record<string, string> = {}): Record<string, string> {
  const runnerOnly = /^(NODE_OPTIONS|NODE_EXTRA_CA_CERTS|NODE_CHANNEL_FD|NODE_V8_COVERAGE|TS_NODE_.*|TAP.*|_TAPJS_.*|LASTCALL_.*)$/;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !runnerOnly.test(k)) env[k] = v;
  return { ...env, ...extra };
}

/**
 * unshare needs root, or a user namespace where unprivileged ones are allowed. --kill-child:
 * if a test times out and unshare is killed, the whole namespace goes with it instead of
 * holding the output pipes open forever.
 */
export function namespacePrefix(): string[] {
  const asRoot = process.getuid?.() === 0;
  return ['unshare', ...(asRoot ? [] : ['--user', '--map-root-user']), '--pid', '--fork', '--mount-proc', '--kill-child=SIGKILL', '--'];
}

export interface Pid1Options {
  /** Options for the init, placed before `--`. */
  flags?: string[];
  env?: Record<string, string>;
  stdin?: 'ignore' | 'pipe' | 'inherit';
  /** Extra fds 3, 4, ... for the init, as execa stdio entries (socket activation). */
  extraFds?: ('pipe' | number)[];
  cwd?: string;
  /** Leave out the `--` between the init's options and the program. */
  noSeparator?: boolean;
  /** Send the init's stdout to this file instead of a pipe to the test (floods of 100 MB). */
  stdoutFile?: string;
  timeout?: number;
}

export type Pid1 = ResultPromise<{ reject: false; stdin: 'ignore' | 'pipe' | 'inherit'; stdout: 'pipe'; stderr: 'pipe'; encoding: 'utf8'; buffer: true }>;

/**
 * `env -i K=V... ` before the init: tap's process-info hook rewrites the environment of every
 * process a test spawns (it adds NODE_OPTIONS with its loaders, which made a Node init start in
 * 150 ms instead of 25 and listen to signals itself). env execs the init, so it is still PID 1.
 */
export function cleanEnvArgv(extra: Record<string, string> = {}): string[] {
  return ['env', '-i', ...Object.entries(containerEnv(extra)).map(([k, v]) => `${k}=${v}`)];
}

/** Starts `init [flags] -- program...` as PID 1 in a new PID namespace. */
export function startPid1(program: string[], options: Pid1Options = {}): Pid1 {
  const separator = options.noSeparator ? [] : ['--'];
  // `sh -c 'exec "$@" >FILE'` execs, as env does: the init is still PID 1.
  const redirect = options.stdoutFile ? ['sh', '-c', 'exec "$@" >"$0"', options.stdoutFile] : [];
  const argv = [...namespacePrefix(), ...redirect, ...cleanEnvArgv(options.env), ...initArgv(), ...(options.flags ?? []), ...separator, ...program];
  const stdin = options.stdin ?? 'ignore';
  return execa(argv[0]!, argv.slice(1), {
    reject: false,
    ...(options.extraFds ? { stdio: [stdin, 'pipe', 'pipe', ...options.extraFds] } : { stdin, stdout: 'pipe', stderr: 'pipe' }),
    stripFinalNewline: false,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    timeout: options.timeout ?? 60_000,
    killSignal: 'SIGKILL',
  } as never) as unknown as Pid1;
}

/** The init's pid as seen from outside its namespace (the child of unshare). */
export async function hostPidOfInit(unsharePid: number, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const children = readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').trim();
      if (children) return Number(children.split(' ')[0]);
    } catch {
      // not there yet
    }
    // An init that refused its options has already exited: say so now, not after the timeout.
    if (!/\) [RSDT]/.test(readProcStat(unsharePid))) throw new Error(`unshare (pid ${unsharePid}) exited: the init under test did not start`);
    if (Date.now() > deadline) throw new Error(`unshare (pid ${unsharePid}) started no init within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Everything a stream has said so far, and a way to wait for what it will say. */
export class Transcript {
  private text = '';
  private waiters = new Set<() => void>();
  private ended = false;

  constructor(stream: NodeJS.ReadableStream | null | undefined) {
    stream?.on('data', (chunk: Buffer | string) => {
      this.text += chunk.toString();
      for (const wake of this.waiters) wake();
    });
    stream?.on('end', () => {
      this.ended = true;
      for (const wake of this.waiters) wake();
    });
  }

  get all(): string {
    return this.text;
  }

  lines(pattern: RegExp): string[] {
    return this.text.split('\n').filter((l) => pattern.test(l));
  }

  /** Resolves once `count` lines match; rejects on timeout or if the stream ends first. */
  waitFor(pattern: RegExp, { count = 1, timeoutMs = 15_000 } = {}): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.lines(pattern);
        if (found.length >= count) return finish(undefined, found);
        if (this.ended) return finish(new Error(`stream ended with ${found.length}/${count} lines matching ${pattern}; it said:\n${this.text}`));
      };
      const timer = setTimeout(() => finish(new Error(`${timeoutMs} ms without ${count} lines matching ${pattern}; it said:\n${this.text}`)), timeoutMs);
      const finish = (error?: Error, found?: string[]) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        if (error) reject(error);
        else resolve(found!);
      };
      this.waiters.add(check);
      check();
    });
  }
}

/** A PID-1 run with transcripts of its stdout and stderr. */
export function watch(child: Pid1): { child: Pid1; out: Transcript; err: Transcript } {
  return { child, out: new Transcript(child.stdout), err: new Transcript(child.stderr) };
}

/** Signals received, parsed from sigrecord's output. */
export function signalsIn(stdout: string): { signo: number; from: number; code: number }[] {
  return [...stdout.matchAll(/^signal (\d+) from (-?\d+) code (-?\d+)$/gm)].map((m) => ({ signo: Number(m[1]), from: Number(m[2]), code: Number(m[3]) }));
}

/** Sends a signal to the init from inside its namespace, as `docker exec … kill -SIG 1` does. */
export async function killFromInside(initHostPid: number, signal: string): Promise<void> {
  const result = await execa('nsenter', ['--target', String(initHostPid), '--pid', '--', 'kill', `-${signal}`, '1'], { reject: false });
  // An init that exits at once on this signal ends the namespace, and the kernel SIGKILLs the
  // `kill` process itself on its way out: the signal was delivered all the same.
  if (result.exitCode !== 0 && result.signal !== 'SIGKILL') throw new Error(`kill -${signal} 1 inside the namespace failed: ${result.stderr || result.exitCode}`);
}

/** Starts the init as PID 1 and waits until it has a pid we can signal from outside. */
export async function startWatched(program: string[], options: Pid1Options = {}) {
  const run = watch(startPid1(program, options));
  const initPid = await hostPidOfInit(run.child.pid!);
  return { ...run, initPid };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function readProcStat(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return '';
  }
}

/** One event of lastcall's JSON timeline (--log-format json on stderr); `t` is ms since it started. */
export interface TimelineEvent { event: string; t: number; [key: string]: unknown }

export function timeline(stderr: string): TimelineEvent[] {
  // Programs' own lines (logs: json) are JSON too, without an `event`: not lastcall's timeline.
  return stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as TimelineEvent).filter((e) => typeof e.event === 'string');
}
