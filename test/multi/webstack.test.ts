// examples/nginx-php-fpm/lastcall.yaml as PID 1 with real nginx and php-fpm under load: the
// supervisord replacement's reason to exist. Needs nginx and php8.2-fpm (installed by .ci/run).
import { chmodSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { sleep, startWatched, timeline } from '../helpers/init.js';
import { exampleDir, freePort, httpGet, steadyLoad, waitFor200 } from '../helpers/webstack.js';

t.test('ordered stop under load: nginx gets SIGQUIT and finishes, then php-fpm; no request fails', async (t) => {
  // A world-readable copy: nginx and php-fpm drop to www-data, which may not reach the checkout.
  const copy = mkdtempSync(join(tmpdir(), 'lastcall-webstack-example-'));
  const runDir = mkdtempSync(join(tmpdir(), 'lastcall-webstack-'));
  t.teardown(() => {
    rmSync(copy, { recursive: true, force: true });
    rmSync(runDir, { recursive: true, force: true });
  });
  cpSync(exampleDir, copy, { recursive: true, filter: (source) => !source.includes('scale-down') });
  chmodSync(copy, 0o755);
  chmodSync(runDir, 0o755); // the stack's RUN_DIR is made inside, and www-data must reach it
  const [port, healthPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const run = await startWatched([], {
    flags: ['--config', join(copy, 'lastcall.yaml'), '--socket', join(runDir, 'ctl.sock'), '--log-format', 'json'],
    noSeparator: true,
    env: { LISTEN: `127.0.0.1:${port}`, RUN_DIR: join(runDir, 'stack'), HEALTH: `127.0.0.1:${healthPort}`, DRAIN: '2s', GRACE: '20s' },
  });
  await waitFor200(`${url}/healthz`, { timeoutMs: 30_000 }).catch((error: Error) => {
    throw new Error(`${error.message}\nlastcall said:\n${run.err.all}\n${run.out.all}`);
  });
  const events = () => timeline(run.err.all);
  t.ok(events().some((e) => e.event === 'program-ready' && e.program === 'php-fpm'), 'php-fpm was ready (its socket) before nginx started');
  const readyAt = events().find((e) => e.event === 'program-ready' && e.program === 'php-fpm')!.t;
  const nginxAt = events().find((e) => e.event === 'spawned' && e.program === 'nginx')!.t;
  t.ok(nginxAt >= readyAt, 'nginx was spawned after php-fpm was ready');
  // /readyz follows the ready checks (nginx's port, every 250 ms), a moment after nginx answers.
  await waitFor200(`http://127.0.0.1:${healthPort}/readyz`, { timeoutMs: 5000 });
  t.pass('/readyz 200 once both essential programs are ready');

  const stopLoad = new AbortController();
  const load = steadyLoad({ url: (i) => `${url}/slow.php?ms=${400 + (i % 3) * 100}`, concurrency: 16, ratePerSecond: 20, durationMs: 10_000, signal: stopLoad.signal });
  await sleep(1000);
  const term = Date.now();
  process.kill(run.initPid, 'SIGTERM');
  await sleep(300);
  const readyz = await httpGet(`http://127.0.0.1:${healthPort}/readyz`);
  t.match(readyz, { kind: 'response', status: 503 }, '/readyz answers 503 during the drain');
  await sleep(1200);
  stopLoad.abort();
  const report = await load;
  const result = await run.child;

  const inFlight = report.samples.filter((s) => s.startedAt < term && s.endedAt > term).length;
  t.ok(inFlight >= 3, `${inFlight} requests were in flight at SIGTERM`);
  t.equal(report.failed, 0, `no request failed (${report.sent} sent: ${JSON.stringify(report.errors)}, ${report.serverErrors} 5xx)`);
  const all = events();
  const quitNginx = all.find((e) => e.event === 'signal-sent' && e.program === 'nginx' && e.signo === 3);
  const nginxExit = all.find((e) => e.event === 'program-exited' && e.program === 'nginx');
  const quitFpm = all.find((e) => e.event === 'signal-sent' && e.program === 'php-fpm' && e.signo === 3);
  t.ok(quitNginx && nginxExit && quitFpm, 'nginx and php-fpm each got SIGQUIT');
  t.ok(quitNginx!.t >= all.find((e) => e.event === 'shutdown-started')!.t + 2000 - 1, 'nginx was told to stop after the 2 s drain');
  t.ok(quitFpm!.t >= nginxExit!.t, 'php-fpm was told to stop only after nginx had exited');
  t.equal(result.exitCode, 0, `both stopped cleanly: ${result.stderr.split('\n').slice(-3).join(' | ')}`);
  t.match(result.stdout, /^nginx +\| 127\.0\.0\.1 - - \[.*\] "GET \/slow\.php/m, 'nginx access log lines arrive prefixed');
});
