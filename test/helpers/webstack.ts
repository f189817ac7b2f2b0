// The nginx + php-fpm example (examples/nginx-php-fpm) as lastcall's program in a test, and the
// loopback HTTP client that tells a graceful stop from a fast one: a run directory with the
// configs rendered for one port, the argv that starts the stack, a GET that names how it failed,
// and a bounded steady load of slow requests.
// Needs nginx and php-fpm (Debian: nginx php8.2-fpm). As root, start.sh drops to www-data, so
// the checkout must be readable by www-data (the document root is examples/nginx-php-fpm/app).
// The HTTP client and the load loop live in examples/nginx-php-fpm/scale-down/load.mjs (plain JS,
// so the example runs without a TypeScript toolchain); this file adds the stack and a summary.
//
//   const stack = await prepareWebstack();
//   const run = await startWatched(stack.program, { flags: ['--drain', '2s', '-r', 'TERM:QUIT'] });
//   await waitFor200(`${stack.url}/healthz`);
//   const load = steadyLoad({ url: (i) => `${stack.url}/slow.php?ms=${200 + (i % 4) * 100}`, concurrency: 12, ratePerSecond: 25, durationMs: 3000 });
//   await sleep(1000);
//   process.kill(run.initPid, 'SIGTERM');
//   const report = await load; // requests started before the SIGTERM all end in 200: graceful
//   await run.child;
//   stack.remove();
import { execa } from 'execa';
import { chmodSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as load from '../../examples/nginx-php-fpm/scale-down/load.mjs';
import type { ErrorKind, HttpResult, LoadSample } from '../../examples/nginx-php-fpm/scale-down/load.mjs';
import { describe, freePort, httpGet } from '../../examples/nginx-php-fpm/scale-down/load.mjs';
import { root } from './fixtures.js';

// One implementation of the HTTP client and the load, shared with the example (plain JS there).
export { describe, freePort, httpGet } from '../../examples/nginx-php-fpm/scale-down/load.mjs';
export type { ErrorKind, HttpResult, LoadSample } from '../../examples/nginx-php-fpm/scale-down/load.mjs';

export const exampleDir = join(root, 'examples', 'nginx-php-fpm');
export const startScript = join(exampleDir, 'start.sh');

export interface Webstack {
  /** nginx's port on 127.0.0.1. */
  port: number;
  /** http://127.0.0.1:PORT */
  url: string;
  /** Configs (nginx.conf, php-fpm.conf), the php-fpm socket, pid and temp files. */
  runDir: string;
  /** The program for lastcall: `env LISTEN=… RUN_DIR=… start.sh` (env execs, the pid stays). */
  program: string[];
  /** Removes the run directory; call it after the stack has stopped. */
  remove(): void;
}

/**
 * Renders the example's configs into a new run directory for `port` and checks them (`start.sh
 * --check`: the same renderer the container uses, then nginx -t and php-fpm -t), so a broken
 * config fails here with nginx's own words instead of as a stack that never answers.
 */
export async function prepareWebstack(options: { port?: number } = {}): Promise<Webstack> {
  const port = options.port ?? (await freePort());
  const runDir = mkdtempSync(join(tmpdir(), 'lastcall-webstack-'));
  // A world-readable copy of the example: start.sh drops to www-data, which may not be able to
  // reach the checkout itself (a clone under /root or in a mode-0700 mktemp directory).
  const copy = mkdtempSync(join(tmpdir(), 'lastcall-webstack-example-'));
  cpSync(exampleDir, copy, { recursive: true, filter: (source) => !source.includes('scale-down') });
  chmodSync(copy, 0o755);
  const script = join(copy, 'start.sh');
  const env = { LISTEN: `127.0.0.1:${port}`, RUN_DIR: runDir };
  const check = await execa(script, ['--check'], { env, extendEnv: true, reject: false, all: true, timeout: 20_000 });
  const remove = () => {
    rmSync(runDir, { recursive: true, force: true });
    rmSync(copy, { recursive: true, force: true });
  };
  if (check.exitCode !== 0) {
    remove();
    throw new Error(`start.sh --check failed (exit ${check.exitCode}):\n${check.all}`);
  }
  const program = ['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), script];
  return { port, url: `http://127.0.0.1:${port}`, runDir, program, remove };
}

/** Polls GET url until it answers 200, e.g. `${stack.url}/healthz` (nginx and php-fpm both up). */
export async function waitFor200(url: string, { timeoutMs = 15_000 } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: HttpResult | undefined;
  while (Date.now() < deadline) {
    last = await httpGet(url, { timeoutMs: 1000 });
    if (last.kind === 'response' && last.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${describe(last)})`);
}

export interface LoadOptions {
  /** A fixed URL, or one per request (e.g. a random `?ms=`); `i` counts from 0. */
  url: string | ((i: number) => string);
  /** Requests in flight at most; a tick that finds them all busy is skipped (and counted). */
  concurrency: number;
  ratePerSecond: number;
  /** The load stops starting requests after this long (at most 10 minutes). */
  durationMs: number;
  /** Per request (default 10 s). */
  timeoutMs?: number;
  /** Stops starting requests early; those in flight still finish. */
  signal?: AbortSignal;
}

export interface LoadReport {
  sent: number;
  ok: number;
  /** 5xx responses (a load balancer's 502/503 when a backend cut or refused the request). */
  serverErrors: number;
  /** Responses that are neither 200 nor 5xx. */
  otherStatus: number;
  errors: Record<ErrorKind, number>;
  /** Everything but 200. */
  failed: number;
  /** Ticks with every slot busy: the target was slower than rate x concurrency allows. */
  skipped: number;
  samples: LoadSample[];
}

/**
 * An open-loop load: a request every 1/rate seconds, up to `concurrency` at once, for at most
 * `durationMs` (or until `signal` aborts), then waits for those in flight. Bounded in count
 * (rate x duration) and time (duration + timeout).
 */
export async function steadyLoad(options: LoadOptions): Promise<LoadReport> {
  const { concurrency, ratePerSecond, durationMs } = options;
  if (!(concurrency >= 1 && concurrency <= 512)) throw new RangeError(`concurrency must be 1..512, got ${concurrency}`);
  if (!(ratePerSecond > 0 && ratePerSecond <= 2000)) throw new RangeError(`ratePerSecond must be in (0, 2000], got ${ratePerSecond}`);
  if (!(durationMs >= 0 && durationMs <= 600_000)) throw new RangeError(`durationMs must be 0..600000, got ${durationMs}`);
  const url = options.url;
  const { samples, skipped } = await load.steadyLoad({ ...options, url: typeof url === 'string' ? () => url : url });
  return summarise(samples, skipped);
}

function summarise(samples: LoadSample[], skipped: number): LoadReport {
  const report: LoadReport = { sent: samples.length, ok: 0, serverErrors: 0, otherStatus: 0, errors: { reset: 0, refused: 0, timeout: 0, other: 0 }, failed: 0, skipped, samples };
  for (const { result } of samples) {
    if (result.kind === 'error') report.errors[result.error]++;
    else if (result.status === 200) report.ok++;
    else if (result.status >= 500) report.serverErrors++;
    else report.otherStatus++;
  }
  report.failed = report.sent - report.ok;
  return report;
}

