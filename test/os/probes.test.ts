// Readiness probes against real sockets, servers and processes. Each test waits for a condition
// with a generous bound instead of sleeping and hoping: a loaded 2-core machine only makes it slower.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { existsSync, linkSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { ReadyCheck } from '../../src/config/file/types.js';
import { isNodeChild } from '../../src/os/node-children.js';
import { startReadyProbe } from '../../src/os/probes.js';
import { Reaper } from '../../src/os/reaper.js';
import { freePort } from '../../examples/nginx-php-fpm/scale-down/load.mjs';
import { liveInGroup, plainEnv, waitFor } from '../helpers/conditions.js';

const env = plainEnv;

/** A probe with its failures and its ready moment recorded, and a hook run on each failure. */
function probe(check: ReadyCheck, intervalMs: number, onFailure: (detail: string) => void = () => {}) {
  const seen = { failures: [] as string[], readyAt: undefined as number | undefined, readyCalls: 0 };
  const cancel = startReadyProbe(check, {
    intervalMs,
    env,
    onNotReady: (detail) => {
      seen.failures.push(detail);
      onFailure(detail);
    },
  }, () => {
    seen.readyCalls++;
    seen.readyAt ??= Date.now();
  });
  return { seen, cancel };
}

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'lastcall-probe-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Listens on loopback TCP (a port, 0 for any) or a unix socket path; resolves with the port. */
function listen(server: Server | ReturnType<typeof createHttpServer>, where: number | string): Promise<number> {
  return new Promise((resolve) => {
    const done = () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    };
    if (typeof where === 'string') server.listen(where, done);
    else server.listen(where, '127.0.0.1', done);
  });
}

t.test('tcp: ready only once the port listens, and within about an interval of it', async (t) => {
  const port = await freePort();
  const server = createServer((socket) => socket.destroy());
  t.teardown(() => server.close());
  let listeningAt: number | undefined;
  const { seen, cancel } = probe({ kind: 'tcp', host: '127.0.0.1', port }, 100, () => {
    // Start listening only after the probe was refused twice: it must have tried, and failed, first.
    if (seen.failures.length === 2) void listen(server, port).then(() => (listeningAt = Date.now()));
  });
  t.teardown(cancel);
  await waitFor(() => seen.readyAt !== undefined, 15_000, 'ready');
  t.same(seen.failures.slice(0, 2), ['connection refused', 'connection refused'], 'refused while nothing listened');
  t.ok(listeningAt !== undefined && seen.readyAt! >= listeningAt, 'not ready before the port listened');
  t.ok(seen.readyAt! - listeningAt! < 3000, `ready ${seen.readyAt! - listeningAt!} ms after listening (interval 100 ms)`);
  await new Promise((r) => setTimeout(r, 300));
  t.equal(seen.readyCalls, 1, 'onReady is called exactly once, and probing stops');
});

t.test('unix: a plain file and a socket nobody listens on are not ready; a listening socket is', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'app.sock');
  writeFileSync(path, 'not a socket');
  const server = createServer((socket) => socket.destroy());
  const stale = createServer();
  t.teardown(() => server.close());
  let stage: 'file' | 'stale' | 'listening' = 'file';
  let failuresWhenStale = 0;
  const { seen, cancel } = probe({ kind: 'unix', path }, 50, () => {
    if (stage === 'file' && seen.failures.length === 2) {
      stage = 'stale';
      unlinkSync(path);
      // A socket inode with no listener behind it: keep a hard link, then let the server go.
      const other = join(dir, 'other.sock');
      void listen(stale, other).then(() => {
        linkSync(other, path);
        stale.close();
        failuresWhenStale = seen.failures.length;
      });
    } else if (stage === 'stale' && failuresWhenStale > 0 && seen.failures.length >= failuresWhenStale + 2) {
      stage = 'listening';
      unlinkSync(path);
      void listen(server, path);
    }
  });
  t.teardown(cancel);
  await waitFor(() => seen.readyAt !== undefined, 15_000, 'ready');
  t.equal(stage, 'listening', 'ready only after a real listener appeared');
  t.ok(seen.failures.length >= 4, `refused ${seen.failures.length} times before: ${seen.failures.join(', ')}`);
  t.ok(seen.failures.every((f) => f === 'connection refused' || f === 'no such socket'), 'for the reason an operator expects');
});

t.test('http: 503 is not ready, the first 2xx is; bodies are drained and connections closed', async (t) => {
  let requests = 0;
  const headers: string[] = [];
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    requests++;
    headers.push(String(req.headers.connection));
    res.writeHead(requests <= 3 ? 503 : 200).end('x'.repeat(100_000));
  });
  const port = await listen(server, 0);
  t.teardown(() => server.close());
  const { seen, cancel } = probe({ kind: 'http', url: `http://127.0.0.1:${port}/healthz` }, 50);
  t.teardown(cancel);
  await waitFor(() => seen.readyAt !== undefined, 15_000, 'ready');
  t.same(seen.failures, ['HTTP 503', 'HTTP 503', 'HTTP 503']);
  t.equal(requests, 4, 'one request per attempt, none after success');
  t.ok(headers.every((h) => h === 'close'), 'no keep-alive');
  await waitFor(() => (server as unknown as { _connections: number })._connections === 0, 10_000, 'every connection closed');
});

t.test('cmd: exits 1 until the file exists, then 0; its stderr explains the failures', async (t) => {
  const dir = tempDir(t);
  const flag = join(dir, 'up');
  const check: ReadyCheck = { kind: 'cmd', argv: ['sh', '-c', `test -e ${flag} || { echo "waiting for $WHO" >&2; exit 1; }`] };
  const failures: string[] = [];
  let readyAt: number | undefined;
  const cancel = startReadyProbe(check, {
    intervalMs: 50,
    env: { ...env, WHO: 'postgres' },
    cwd: dir,
    onNotReady: (detail) => {
      failures.push(detail);
      if (failures.length === 2) writeFileSync(flag, '');
    },
  }, () => (readyAt = Date.now()));
  t.teardown(cancel);
  await waitFor(() => readyAt !== undefined, 15_000, 'ready');
  t.same(failures, ['exited with 1: waiting for postgres', 'exited with 1: waiting for postgres'], 'env reached the command');
});

t.test('cmd: a command that does not exist is reported, not thrown', async (t) => {
  const { seen, cancel } = probe({ kind: 'cmd', argv: ['lastcall-no-such-command'] }, 50);
  t.teardown(cancel);
  await waitFor(() => seen.failures.length >= 2, 10_000, 'two failures');
  t.same(seen.failures.slice(0, 2), ['not found', 'not found']);
  t.equal(seen.readyAt, undefined);
});

t.test('file: ready once the path exists', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'ready');
  const { seen, cancel } = probe({ kind: 'file', path }, 50, () => {
    if (seen.failures.length === 3) writeFileSync(path, '');
  });
  t.teardown(cancel);
  await waitFor(() => seen.readyAt !== undefined, 15_000, 'ready');
  t.equal(seen.failures.length, 3, 'not ready while missing, ready on the first look after');
  t.same(seen.failures, ['does not exist', 'does not exist', 'does not exist']);
});

t.test('cancel during a cmd attempt kills its whole group; onReady never comes', async (t) => {
  const dir = tempDir(t);
  const [pidFile, bgFile, go] = ['pid', 'bg', 'go'].map((name) => join(dir, name)) as [string, string, string];
  // Leaves a background child in its group, and would pass as soon as `go` exists.
  const script = `echo $$ > ${pidFile}; sleep 100 & echo $! > ${bgFile}; while [ ! -e ${go} ]; do sleep 0.05; done; exit 0`;
  const { seen, cancel } = probe({ kind: 'cmd', argv: ['sh', '-c', script] }, 50);
  const read = (file: string) => (existsSync(file) ? Number(readFileSync(file, 'utf8')) : 0);
  await waitFor(() => read(pidFile) > 0 && read(bgFile) > 0, 10_000, 'the command and its background child to start');
  const pgid = read(pidFile);
  t.ok(liveInGroup(pgid).includes(pgid) && liveInGroup(pgid).includes(read(bgFile)), 'the command leads its own group, its child in it');
  cancel();
  await waitFor(() => liveInGroup(pgid).length === 0, 10_000, 'the group to be gone');
  t.pass('no process of the probe is left');
  writeFileSync(go, '');
  await new Promise((r) => setTimeout(r, 500)); // ten intervals in which a live probe would pass
  t.equal(seen.readyCalls, 0, 'onReady was never called');
});

t.test('cancel while refused: no further attempt, even once the port listens', async (t) => {
  const port = await freePort();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  t.teardown(() => server.close());
  const { seen, cancel } = probe({ kind: 'tcp', host: '127.0.0.1', port }, 50);
  await waitFor(() => seen.failures.length >= 1, 10_000, 'a refusal');
  cancel();
  await listen(server, port);
  await new Promise((r) => setTimeout(r, 500)); // ten intervals in which a live probe would connect
  t.equal(connections, 0, 'the cancelled probe never connected');
  t.equal(seen.readyCalls, 0);
});

t.test('http: a server that never answers costs one bounded attempt at a time', async (t) => {
  const opened: number[] = [];
  let open = 0;
  let mostOpen = 0;
  const server = createServer((socket: Socket) => {
    opened.push(Date.now());
    mostOpen = Math.max(mostOpen, ++open);
    socket.on('close', () => open--);
    socket.on('error', () => {});
    socket.resume(); // read, or the client's close is never noticed
  });
  const port = await listen(server, 0);
  t.teardown(() => server.close());
  const { seen, cancel } = probe({ kind: 'http', url: `http://127.0.0.1:${port}/` }, 100); // attempts bounded by 1 s
  t.teardown(cancel);
  await waitFor(() => opened.length >= 3, 20_000, 'three attempts');
  cancel();
  t.equal(seen.failures[0], 'timed out after 1s');
  const gaps = opened.slice(1).map((at, i) => at - opened[i]!);
  t.ok(gaps.every((gap) => gap >= 1050), `each attempt waited its 1 s bound plus the 100 ms interval (gaps ${gaps.join(', ')} ms)`);
  t.equal(mostOpen, 1, 'attempts never overlap');
  await waitFor(() => open === 0, 10_000, 'the cancelled attempt to close its socket');
});

t.test('a Reaper sweeping at every SIGCHLD and every millisecond never steals a cmd probe\'s exit', async (t) => {
  const reaped: number[] = [];
  const reaper = new Reaper({ reaped: (pid) => reaped.push(pid), sweepDone: () => {} }, isNodeChild);
  process.on('SIGCHLD', reaper.sweep);
  const meddler = setInterval(reaper.sweep, 1);
  t.teardown(() => {
    clearInterval(meddler);
    process.off('SIGCHLD', reaper.sweep);
    reaper.stop();
  });
  const dir = tempDir(t);
  // Twenty probes at once, each exiting 3 four times and then 0: a stolen exit leaves its probe waiting forever.
  const probes = Array.from({ length: 20 }, (_, i) => {
    const counter = join(dir, `n${i}`);
    return probe({ kind: 'cmd', argv: ['sh', '-c', `n=$(cat ${counter} 2>/dev/null || echo 0); echo $((n + 1)) > ${counter}; [ "$n" -ge 4 ] || exit 3`] }, 10);
  });
  t.teardown(() => probes.forEach((p) => p.cancel()));
  await waitFor(() => probes.every((p) => p.seen.readyAt !== undefined), 60_000, 'every probe to pass');
  t.ok(probes.every((p) => p.seen.failures.length === 4 && p.seen.failures.every((f) => f === 'exited with 3')), 'every probe saw each of its exit codes');
  t.same(reaped, [], 'the reaper reaped none of Node\'s children');
});
