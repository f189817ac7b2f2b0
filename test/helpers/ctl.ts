// A real control server in a temp dir with a fake handler that records what it was asked, and
// a raw client for the protocol tests that must misbehave in ways `lastcall ctl` never would.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCtl } from '../../src/ctl/client.js';
import { startControl, type ControlOptions, type ControlServer } from '../../src/ctl/server.js';
import type { ControlRequest, ControlResponse, StatusSnapshot } from '../../src/supervisor/status.js';

export const SNAPSHOT: StatusSnapshot = {
  phase: 'running',
  ready: false,
  uptimeMs: 3_723_000,
  zombiesReaped: 7,
  programs: [
    { name: 'nginx', state: 'running', pid: 42, ready: true, uptimeMs: 192_400, restarts: 0, lastExit: null, essential: true, detail: null },
    { name: 'worker', state: 'backoff', pid: null, ready: false, uptimeMs: null, restarts: 3, lastExit: { code: 1 }, essential: false, detail: null },
    { name: 'php-fpm', state: 'running', pid: 1234, ready: false, uptimeMs: 4_000, restarts: 12, lastExit: { signal: 9 }, essential: true, detail: null },
    { name: 'cron', state: 'failed', pid: null, ready: false, uptimeMs: null, restarts: 5, lastExit: { signal: 15 }, essential: false, detail: 'restarted 5 times within 1m (max_restarts 5)' },
  ],
};

/** What a lead's handler might say: known programs are acted on, unknown ones refused. */
export function fakeHandler(seen: ControlRequest[]): (request: ControlRequest) => ControlResponse {
  return (request) => {
    seen.push(request);
    switch (request.command) {
      case 'status':
        return { ok: true, status: SNAPSHOT };
      case 'shutdown':
        return { ok: true, message: 'shutting down' };
      case 'signal':
        return { ok: true, message: `sent ${request.signal} to ${request.name}` };
      default:
        if (request.name === 'ghost') return { ok: false, error: 'no program named "ghost"; the programs are nginx, worker, php-fpm, cron' };
        return { ok: true, message: `${request.command} ${request.name}: done` };
    }
  };
}

export interface Rig {
  readonly dir: string;
  readonly path: string;
  readonly seen: ControlRequest[];
  readonly server: ControlServer;
}

/** A fresh directory per test, so socket files never leak between tests. */
export function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'lastcall-ctl-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts a server with the fake handler (or the given one) and closes it at teardown. */
export async function rig(t: { teardown(fn: () => void): void }, handle?: Parameters<typeof startControl>[1], options?: ControlOptions): Promise<Rig> {
  const dir = tempDir(t);
  const path = join(dir, 'ctl.sock');
  const seen: ControlRequest[] = [];
  const server = await startControl(path, handle ?? fakeHandler(seen), options);
  t.teardown(() => server.close());
  return { dir, path, seen, server };
}

/** runCtl with captured output; the environment is empty so the developer's XDG_RUNTIME_DIR cannot leak in. */
export async function ctl(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCtl(args, env, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

/** Writes raw bytes, optionally half-closes, and collects every line until the server hangs up. */
export function raw(path: string, text: string, { end = true } = {}): Promise<{ lines: string[]; closedAfterMs: number; error?: string }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect(path);
    let received = '';
    let error: string | undefined;
    socket.on('connect', () => (end ? socket.end(text) : socket.write(text)));
    socket.on('data', (chunk) => (received += chunk.toString('utf8')));
    // A server that hangs up on a flood may reset the connection while we still write: not a test failure.
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code));
    socket.on('close', () => resolve({ lines: received.split('\n').filter((l) => l !== ''), closedAfterMs: performance.now() - started, ...(error ? { error } : {}) }));
  });
}
