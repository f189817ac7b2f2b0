// Real containers for test/container/: the images built from Dockerfile.example and
// examples/nginx-php-fpm/Dockerfile, run by a private Docker daemon the way users run them
// (docker run -d, docker stop, docker exec, docker run -it, docker logs, docker inspect).
// scripts/container-setup.mjs makes the base, starts the daemon and builds the images;
// docs/containers.md says why Docker and how it is set up.
//
//   const docker = await useDocker(t);           // fails the file loudly when no runtime can start
//   const c = await docker.run(t, docker.images.fixtures, { env: { LASTCALL_DRAIN: '2s' }, cmd: ['sigrecord'] });
//   await c.out.waitFor(/^ready pid=/);
//   const stop = await c.stop(10);                // `docker stop -t 10`, timed
//   const { stdout, stderr } = await c.logs();    // `docker logs`: the program's output, lastcall's timeline
//   const state = await c.state();                // `docker inspect`: State.ExitCode
import { spawn } from 'node:child_process';
import { dockerBin, dockerEnv, docker as dockerCli, images, lock, missing, missingMessage, prepare, stopDaemon, testLabel, type Daemon, type DockerResult } from '../../scripts/container-setup.mjs';
import { Transcript, type TimelineEvent } from './init.js';
import { runPtyDriver, type Step, type TerminalRun } from './pty.js';

/** The part of tap's Test a helper uses: teardown and comments. */
interface Scope {
  teardown(fn: () => unknown): void;
}

export interface ContainerState {
  Status: string;
  ExitCode: number;
  OOMKilled: boolean;
  StartedAt: string;
  FinishedAt: string;
}

/** How the suite runs an image: as it was built, and locked down (the issue's `--read-only` check). */
export interface Mode {
  label: string;
  /** docker run options for this mode. */
  args: string[];
  /** The user lastcall and the programs run as, by name, in this mode. */
  user: string;
}
export const asBuilt = (user: string): Mode => ({ label: `as built, USER ${user}`, args: [], user });
export const lockedDown: Mode = {
  label: 'read-only root, tmpfs on /tmp, --user 65534',
  args: ['--read-only', '--tmpfs', '/tmp', '--user', '65534:65534'],
  user: 'nobody',
};

export interface RunOptions {
  /** docker run options placed before the image (--read-only, --user, ...). */
  args?: string[];
  /** -e NAME=VALUE for each entry. */
  env?: Record<string, string>;
  /** The command after the image: the CMD, so lastcall runs `lastcall -- CMD...`. */
  cmd?: string[];
  /** --network (default none: the only network here is loopback; `host` shares it). */
  network?: 'none' | 'host';
}

/** `docker …` against the private daemon; never rejects. */
export function docker(args: string[], timeoutMs = 120_000): Promise<DockerResult> {
  return dockerCli(args, { timeoutMs });
}

/** A container started with `docker run -d`, its output followed with `docker logs -f`. */
export class Container {
  constructor(
    readonly name: string,
    /** What the container wrote to stdout and stderr so far (the programs' output, lastcall's log). */
    readonly out: Transcript,
    readonly err: Transcript,
  ) {}

  /** `docker logs NAME`, split as the runtime keeps it: stdout and stderr. */
  async logs(): Promise<{ stdout: string; stderr: string }> {
    const result = await must(['logs', this.name]);
    return { stdout: result.stdout, stderr: result.stderr };
  }

  /** `docker inspect NAME`: .State */
  async state(): Promise<ContainerState> {
    const result = await must(['inspect', '--format', '{{json .State}}', this.name]);
    return JSON.parse(result.stdout) as ContainerState;
  }

  /** `docker stop -t SECONDS NAME`, and how long it took: the whole stop as a user sees it. */
  async stop(seconds: number): Promise<{ ms: number }> {
    const started = performance.now();
    await must(['stop', '-t', String(seconds), this.name], (seconds + 30) * 1000);
    return { ms: performance.now() - started };
  }

  /** `docker exec NAME ARGV...` (as the container's user). */
  exec(argv: string[]): Promise<DockerResult> {
    return docker(['exec', this.name, ...argv]);
  }

  /** `docker wait NAME`: resolves with the exit code once the container has stopped. */
  async wait(timeoutMs: number): Promise<number> {
    const result = await must(['wait', this.name], timeoutMs);
    return Number(result.stdout.trim());
  }

  /**
   * Resolves once process PID (as the container sees it) has a handler for signal SIGNO
   * (SigCgt in /proc/PID/status): a program that says it is up may not have installed its
   * handlers yet, and until it has, the signal kills it by its default action.
   */
  async waitForHandler(pid: number, signo: number, boundMs = 15_000): Promise<void> {
    const deadline = Date.now() + boundMs;
    for (;;) {
      const status = await this.exec(['cat', `/proc/${pid}/status`]);
      const caught = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status.stdout)?.[1];
      if (caught && (BigInt(`0x${caught}`) >> BigInt(signo - 1)) & 1n) return;
      if (Date.now() > deadline) throw new Error(`pid ${pid} in ${this.name} had no handler for signal ${signo} within ${boundMs} ms (${status.stdout || status.stderr})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** What the container said (the last 40 lines of each stream), for a failed test's diagnostics. */
  transcript(): string {
    const last = (text: string) => text.split('\n').slice(-41).join('\n');
    return `--- ${this.name} stdout ---\n${last(this.out.all)}\n--- ${this.name} stderr ---\n${last(this.err.all)}`;
  }
}

let containers = 0;

export interface Docker {
  images: typeof images;
  /** `docker run -d` an image; the container is removed (`docker rm -f`) at the scope's teardown. */
  run(scope: Scope, image: string, options?: RunOptions): Promise<Container>;
}

/**
 * The runtime for one test file: the cached base, a private dockerd (started here, stopped at the
 * end of the file, or the one `container-setup.mjs up` left running) and freshly built images.
 * Throws, naming everything that is missing, when no runtime can be started: the suite fails
 * instead of skipping.
 */
export async function useDocker(file: Scope): Promise<Docker> {
  const problems = missing();
  if (problems.length) throw new Error(missingMessage(problems));
  // Another run on this machine (npm test in two shells) waits for this file to end, and this
  // file for it.
  const release = await lock();
  let daemon: Daemon;
  try {
    ({ daemon } = await prepare({ tiedToCaller: true }));
  } catch (error) {
    release();
    throw error;
  }
  file.teardown(async () => {
    if (daemon.startedHere) await stopDaemon(daemon.pid);
    release();
  });
  return {
    images,
    async run(scope, image, options = {}) {
      const name = `lastcall-test-${process.pid}-${++containers}`;
      const env = Object.entries(options.env ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
      let follower: ReturnType<typeof spawn> | undefined;
      scope.teardown(async () => {
        follower?.kill('SIGKILL');
        await docker(['rm', '--force', '--volumes', name]);
      });
      await must(['run', '--detach', '--name', name, '--label', testLabel, '--network', options.network ?? 'none', ...env, ...(options.args ?? []), image, ...(options.cmd ?? [])]);
      follower = spawn(dockerBin, ['logs', '--follow', name], { env: dockerEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      return new Container(name, new Transcript(follower.stdout), new Transcript(follower.stderr));
    },
  };
}

async function must(args: string[], timeoutMs = 120_000): Promise<DockerResult> {
  const result = await docker(args, timeoutMs);
  if (result.code !== 0) throw new Error(`docker ${args.join(' ')} failed (exit ${result.code ?? result.signal}): ${result.stderr.trim()}`);
  return result;
}

/**
 * `docker run -it [args] IMAGE CMD...` on a real pseudo-terminal, driven by
 * test/helpers/pty-driver.py (the driver test/pid1/terminal.test.ts uses): the docker client gets
 * the terminal, puts it in raw mode and relays keys to the container's own terminal. `exit` in
 * the result is the docker client's status, which is the container's.
 */
export async function runInDockerTerminal(image: string, cmd: string[], steps: Step[], options: { args?: string[]; env?: Record<string, string>; deadline?: number } = {}): Promise<TerminalRun> {
  const name = `lastcall-test-${process.pid}-${++containers}`;
  const env = Object.entries(options.env ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  const deadline = options.deadline ?? 90;
  const spec = {
    argv: [dockerBin, 'run', '--interactive', '--tty', '--rm', '--name', name, '--label', testLabel, '--network', 'none', ...env, ...(options.args ?? []), image, ...cmd],
    env: dockerEnv(),
    rows: 50,
    cols: 200,
    deadline,
    steps,
  };
  try {
    return await runPtyDriver(spec);
  } finally {
    // The driver kills the docker client when a step fails; the container would go on without it.
    await docker(['rm', '--force', name]);
  }
}

/** /proc/PID/stat of every process in a container, read from inside (what `ps` reads). */
export interface ProcessEntry { pid: number; comm: string; state: string; ppid: number }

export async function processesIn(container: Container): Promise<ProcessEntry[]> {
  // One `cat` of every stat file: a process that ends between the glob and the read is just
  // missing from the list (cat then exits 1, which is fine here).
  const result = await container.exec(['sh', '-c', 'cat /proc/[0-9]*/stat 2>/dev/null; true']);
  if (result.code !== 0) throw new Error(`docker exec ${container.name} cat /proc/*/stat failed: ${result.stderr}`);
  return result.stdout.split('\n').filter(Boolean).map((line) => {
    const open = line.indexOf('(');
    const close = line.lastIndexOf(')');
    const [state, ppid] = line.slice(close + 2).split(' ');
    return { pid: Number(line.slice(0, open).trim()), comm: line.slice(open + 1, close), state: state!, ppid: Number(ppid) };
  });
}

/** The first event of lastcall's JSON timeline with this name and these fields. */
export function findEvent(events: TimelineEvent[], event: string, match: Record<string, unknown> = {}): TimelineEvent | undefined {
  return events.find((e) => e.event === event && Object.entries(match).every(([k, v]) => e[k] === v));
}
