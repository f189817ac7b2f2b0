// Stop hooks against real commands and servers: exit codes in words, a timeout that kills the
// command's whole process group, and HTTP results that never throw.
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runStopCommand, runStopHttp } from '../../src/os/stop-actions.js';
import { freePort } from '../../examples/nginx-php-fpm/scale-down/load.mjs';
import { liveInGroup, plainEnv as env, waitFor } from '../helpers/conditions.js';

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'lastcall-stop-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function listenAnywhere(server: ReturnType<typeof createServer> | ReturnType<typeof createHttpServer>): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

t.test('a stop command\'s exit code decides ok; its last stderr line comes back', async (t) => {
  t.same(await runStopCommand(['sh', '-c', 'exit 0'], { env, timeoutMs: 10_000 }), { ok: true, detail: 'exited with 0' });
  t.same(await runStopCommand(['sh', '-c', 'echo first >&2; echo "nginx: [error] invalid PID" >&2; exit 3'], { env, timeoutMs: 10_000 }), {
    ok: false,
    detail: 'exited with 3',
    stderr: 'nginx: [error] invalid PID',
  });
  t.same(await runStopCommand(['sh', '-c', 'kill -SEGV $$'], { env, timeoutMs: 10_000 }), { ok: false, detail: 'killed by SIGSEGV' });
});

t.test('a stop command runs with the program\'s env and cwd', async (t) => {
  const dir = tempDir(t);
  const result = await runStopCommand(['sh', '-c', `test "$APP_MODE" = drain && test "$(pwd -P)" = "$(cd ${dir} && pwd -P)"`], {
    env: { ...env, APP_MODE: 'drain' },
    cwd: dir,
    timeoutMs: 10_000,
  });
  t.same(result, { ok: true, detail: 'exited with 0' });
});

t.test('a missing stop command or cwd is reported, not thrown', async (t) => {
  t.same(await runStopCommand(['lastcall-no-such-command', '-s', 'quit'], { env, timeoutMs: 10_000 }), { ok: false, detail: 'not found' });
  t.same(await runStopCommand(['/etc'], { env, timeoutMs: 10_000 }), { ok: false, detail: 'not executable' });
  t.same(await runStopCommand(['true'], { env, cwd: '/nonexistent/lastcall', timeoutMs: 10_000 }), { ok: false, detail: 'cwd /nonexistent/lastcall not found' });
});

t.test('at the timeout the stop command\'s whole group is killed, background children too', async (t) => {
  const dir = tempDir(t);
  const pidFile = join(dir, 'pid');
  const started = Date.now();
  const result = await runStopCommand(['sh', '-c', `echo $$ > ${pidFile}; sleep 100 & sleep 100`], { env, timeoutMs: 1500 });
  const took = Date.now() - started;
  t.same(result, { ok: false, detail: 'killed after 1.5s timeout' });
  t.ok(took >= 1490 && took < 10_000, `settled ${took} ms after it started`);
  const pgid = Number(readFileSync(pidFile, 'utf8'));
  await waitFor(() => liveInGroup(pgid).length === 0, 10_000, 'the group to be gone');
  t.pass('neither sleep is left');
});

t.test('stop http: the method is sent, 2xx is ok, 5xx is not', async (t) => {
  const seen: string[] = [];
  let status = 200;
  const server = createHttpServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.writeHead(status).end('draining');
  });
  const port = await listenAnywhere(server);
  t.teardown(() => server.close());
  t.same(await runStopHttp({ method: 'POST', url: `http://127.0.0.1:${port}/drain_listeners?graceful` }, 5000), { ok: true, detail: 'HTTP 200' });
  status = 503;
  t.same(await runStopHttp({ method: 'PUT', url: `http://127.0.0.1:${port}/quit` }, 5000), { ok: false, detail: 'HTTP 503' });
  t.same(seen, ['POST /drain_listeners?graceful', 'PUT /quit']);
});

t.test('stop http: refused and unparsable URLs are results, not exceptions', async (t) => {
  const port = await freePort();
  t.same(await runStopHttp({ method: 'POST', url: `http://127.0.0.1:${port}/` }, 5000), { ok: false, detail: 'connection refused' });
  const bad = await runStopHttp({ method: 'POST', url: 'not a url' }, 5000);
  t.equal(bad.ok, false);
  t.match(bad.detail, /invalid url/i);
});

t.test('stop http: a server that never answers is cut off at the timeout', async (t) => {
  let open = 0;
  const server = createServer((socket: Socket) => {
    open++;
    socket.on('close', () => open--);
    socket.on('error', () => {});
    socket.resume();
  });
  const port = await listenAnywhere(server);
  t.teardown(() => server.close());
  const started = Date.now();
  const result = await runStopHttp({ method: 'POST', url: `http://127.0.0.1:${port}/` }, 300);
  const took = Date.now() - started;
  t.same(result, { ok: false, detail: 'timed out after 300ms' });
  t.ok(took >= 290 && took < 10_000, `settled ${took} ms after it started`);
  await waitFor(() => open === 0, 10_000, 'the connection to be closed');
});
