// The nginx + php-fpm image (examples/nginx-php-fpm/Dockerfile: lastcall --config
// /app/lastcall.yaml) under a real Docker daemon, stopped with `docker stop` under a steady load
// of slow requests: /readyz turns 503, both keep serving through the drain, nginx gets SIGQUIT
// and finishes the requests it has, php-fpm gets SIGQUIT only once nginx has exited, and no
// request fails. As built (USER www-data) and locked down (--read-only, a tmpfs on /tmp, --user
// 65534). --network host: the load comes from this machine's loopback, the only network here.
import t from 'tap';
import { asBuilt, findEvent, lockedDown, useDocker, type Container, type Mode } from '../helpers/container.js';
import { sleep, timeline } from '../helpers/init.js';
import { freePort, httpGet, steadyLoad, waitFor200 } from '../helpers/webstack.js';

const docker = await useDocker(t);
const DRAIN_MS = 2000;

/** Polls url until it answers `status`; resolves with Date.now() at that answer. */
async function waitForStatus(url: string, status: number, boundMs: number): Promise<number> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const result = await httpGet(url, { timeoutMs: 1000 });
    if (result.kind === 'response' && result.status === status) return Date.now();
    if (Date.now() > deadline) throw new Error(`${url} did not answer ${status} within ${boundMs} ms`);
    await sleep(20);
  }
}

const modes: (Mode & { env: Record<string, string> })[] = [
  { ...asBuilt('www-data'), env: {} },
  // lastcall.yaml runs both as RUN_AS; lastcall already is that user, so nothing is switched.
  { ...lockedDown, env: { RUN_AS: 'nobody' } },
];

for (const mode of modes) {
  t.test(`docker stop under load: nginx gets SIGQUIT after the drain and finishes its requests, php-fpm only after nginx exited, no request fails, exit 0 [${mode.label}]`, async (t) => {
    const [port, healthPort] = [await freePort(), await freePort()];
    const url = `http://127.0.0.1:${port}`;
    const readyz = `http://127.0.0.1:${healthPort}/readyz`;
    const c: Container = await docker.run(t, docker.images.webstack, {
      network: 'host',
      args: mode.args,
      env: { LISTEN: `127.0.0.1:${port}`, HEALTH: `127.0.0.1:${healthPort}`, DRAIN: '2s', LASTCALL_LOG_FORMAT: 'json', ...mode.env },
    });
    try {
      await waitFor200(`${url}/healthz`, { timeoutMs: 60_000 });
      await waitFor200(readyz, { timeoutMs: 10_000 });
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${c.transcript()}`);
    }

    // The control socket: / and /run are not writable for this user, so it is in /tmp.
    const ctl = await c.exec(['lastcall', 'ctl', 'status', '--json']);
    t.equal(ctl.code, 0, `lastcall ctl status answers inside the container ${ctl.stderr}`);
    if (ctl.code === 0) {
      const programs = (JSON.parse(ctl.stdout) as { programs: { name: string; state: string }[] }).programs;
      t.same(programs.map((p) => [p.name, p.state]), [['configure', 'completed'], ['php-fpm', 'running'], ['nginx', 'running']], 'configure completed, php-fpm and nginx running');
    }

    // 1-2.6 s requests, about 14 at once (php-fpm has 16 workers): whatever the phase of the
    // load, at least 5 of them are still in progress when nginx gets SIGQUIT at the drain's end.
    const stopLoad = new AbortController();
    const load = steadyLoad({ url: (i) => `${url}/slow.php?ms=${1000 + (i % 5) * 400}`, concurrency: 16, ratePerSecond: 8, durationMs: 20_000, signal: stopLoad.signal });
    await sleep(2000); // the load reaches its steady state
    const stopping = c.stop(30);
    // /readyz turns 503 once lastcall has the SIGTERM; new traffic stops 1 s later, well inside
    // the drain (as a load balancer moves it away), while the requests already sent go on.
    const notReadyAt = await waitForStatus(readyz, 503, 5000);
    t.pass('/readyz answers 503 during the drain');
    await sleep(Math.max(0, notReadyAt + 1000 - Date.now()));
    stopLoad.abort();
    const [report, stop] = await Promise.all([load, stopping]);

    const { stderr } = await c.logs();
    const events = timeline(stderr);
    const started = findEvent(events, 'shutdown-started');
    const quitNginx = findEvent(events, 'signal-sent', { program: 'nginx', signo: 3 });
    const nginxExited = findEvent(events, 'program-exited', { program: 'nginx' });
    const quitFpm = findEvent(events, 'signal-sent', { program: 'php-fpm', signo: 3 });
    const fpmExited = findEvent(events, 'program-exited', { program: 'php-fpm' });
    t.ok(started && quitNginx && nginxExited && quitFpm && fpmExited, 'docker logs has the stop: shutdown-started, SIGQUIT to nginx, nginx exited, SIGQUIT to php-fpm, php-fpm exited');
    if (started && quitNginx && nginxExited && quitFpm && fpmExited) {
      t.ok(quitNginx.t >= started.t + DRAIN_MS - 5, `nginx got SIGQUIT ${(quitNginx.t - started.t).toFixed(0)} ms after SIGTERM: after the 2 s drain`);
      t.ok(quitFpm.t >= nginxExited.t, `php-fpm got SIGQUIT ${(quitFpm.t - nginxExited.t).toFixed(0)} ms after nginx exited, not before`);
      t.match([nginxExited.status, fpmExited.status], [{ code: 0 }, { code: 0 }], 'both exited 0');
      // pino's `time` is the wall clock, the same clock the load's samples use.
      const quitAt = quitNginx.time as number;
      const inProgress = report.samples.filter((s) => s.startedAt < quitAt && s.endedAt > quitAt).length;
      t.ok(inProgress >= 3, `${inProgress} requests were in progress when nginx got SIGQUIT`);
    }
    t.equal(report.failed, 0, `no request failed: ${report.ok} of ${report.sent} answered 200 (${JSON.stringify(report.errors)}, ${report.serverErrors} 5xx)`);
    t.ok(report.sent >= 16, `${report.sent} requests were sent`);
    t.equal(findEvent(events, 'exiting')?.code, 0, 'lastcall exits 0: every program stopped cleanly');
    t.equal((await c.state()).ExitCode, 0, 'docker inspect: State.ExitCode 0');
    // The drain, the longest request (2.6 s), then php-fpm's own stop: far from the 28 s deadline.
    t.ok(stop.ms < DRAIN_MS + 2600 + 3000, `docker stop -t 30 returned after ${stop.ms.toFixed(0)} ms`);
    if (!t.passing()) t.comment(c.transcript());
  });
}
