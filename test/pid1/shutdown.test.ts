// The shutdown choreography, black-box: lastcall as PID 1, timings read from its own JSON
// timeline (ms since it started) and checked with tolerances sized for a loaded 2-core machine.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { connect, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { fixture } from '../helpers/fixtures.js';
import { signalsIn, sleep, startPid1, startWatched, timeline, type TimelineEvent } from '../helpers/init.js';
import { freePort } from '../helpers/webstack.js';

const sigrecord = fixture('sigrecord');

const find = (events: TimelineEvent[], name: string, extra: (e: TimelineEvent) => boolean = () => true) => events.find((e) => e.event === name && extra(e));

function get(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.setTimeout(2000, () => req.destroy());
    req.end();
  });
}

t.test('/readyz turns 503 within 50 ms of SIGTERM while /livez stays 200 until exit', async (t) => {
  const port = await freePort();
  const run = await startWatched([sigrecord, '--exit-on', '15'], { flags: ['--health', `127.0.0.1:${port}`, '--drain', '1s'] });
  await run.out.waitFor(/^ready /);
  t.equal(await get(`http://127.0.0.1:${port}/readyz`), 200, 'ready while running');
  const sent = performance.now();
  process.kill(run.initPid, 'SIGTERM');
  let firstNotReady = Infinity;
  while (performance.now() - sent < 1000) {
    if ((await get(`http://127.0.0.1:${port}/readyz`)) === 503) {
      firstNotReady = performance.now() - sent;
      break;
    }
  }
  t.ok(firstNotReady <= 50, `503 after ${firstNotReady.toFixed(1)} ms`);
  t.equal(await get(`http://127.0.0.1:${port}/livez`), 200, 'still alive while draining');
  const result = await run.child;
  t.equal(result.exitCode, 0);
  t.equal(await get(`http://127.0.0.1:${port}/livez`), 0, 'gone with lastcall');
});

t.test('the stop signal comes only after the drain, and the JSON timeline has every step in order', async (t) => {
  const run = await startWatched([sigrecord, '--exit-on', '3'], { flags: ['--drain', '700ms', '--stop-signal', 'QUIT', '--log-format', 'json'] });
  await run.out.waitFor(/^ready /);
  process.kill(run.initPid, 'SIGTERM');
  const result = await run.child;
  t.same(signalsIn(result.stdout).map((s) => s.signo), [3], 'the program saw SIGQUIT and nothing else');
  const events = timeline(result.stderr);
  t.same(
    events.map((e) => e.event).filter((name) => name !== 'orphan-reaped'),
    ['spawned', 'readiness', 'signal-received', 'shutdown-started', 'readiness', 'drain-ended', 'signal-sent', 'program-exited', 'exiting'],
  );
  const start = find(events, 'shutdown-started')!;
  const stop = find(events, 'signal-sent', (e) => e.reason === 'stop')!;
  t.equal(stop.signo, 3);
  t.ok(stop.t - start.t >= 700 && stop.t - start.t <= 700 + 100, `stop signal ${stop.t - start.t} ms after SIGTERM (drain 700 ms)`);
  t.equal(result.exitCode, 0);
});

t.test('a second SIGTERM during the drain ends it at once', async (t) => {
  const run = await startWatched([sigrecord, '--exit-on', '15'], { flags: ['--drain', '20s', '-v'] });
  await run.out.waitFor(/^ready /);
  process.kill(run.initPid, 'SIGTERM');
  await run.err.waitFor(/shutdown: SIGTERM received/);
  const second = performance.now();
  process.kill(run.initPid, 'SIGTERM');
  const result = await run.child;
  t.ok(performance.now() - second < 2000, 'did not wait out the 20 s drain');
  t.match(result.stderr, /drain ended after .* \(second shutdown signal/);
  t.equal(result.exitCode, 0);
});

t.test('a program that ignores SIGTERM is SIGKILLed within 50 ms of grace minus margin, and the kill is logged', async (t) => {
  const run = await startWatched(['sh', '-c', 'trap "" TERM; echo started; while :; do sleep 0.05; done'], { flags: ['--grace', '2s', '--kill-margin', '500ms', '--log-format', 'json'] });
  await run.out.waitFor(/^started/);
  process.kill(run.initPid, 'SIGTERM');
  const result = await run.child;
  const events = timeline(result.stderr);
  const start = find(events, 'shutdown-started')!;
  const kill = find(events, 'signal-sent', (e) => e.reason === 'deadline-kill')!;
  t.ok(kill, 'the deadline kill is in the timeline');
  t.ok(Math.abs(kill.t - start.t - 1500) <= 50, `SIGKILL ${kill.t - start.t} ms after SIGTERM (planned 1500)`);
  t.ok((kill.pids as number[]).length >= 2, `it names what it killed: ${JSON.stringify(kill.pids)}`);
  t.ok(find(events, 'deadline-reached'), 'the deadline is logged as a warning');
  t.equal(result.exitCode, 137, 'the program died of SIGKILL');
});

t.test('adaptive drain ends within idle + 200 ms after new connections stop', async (t) => {
  const server: Server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const run = await startWatched([sigrecord, '--exit-on', '15'], { flags: ['--drain', '10s', '--drain-idle', '600ms', '--drain-port', String(port), '--log-format', 'json'] });
    await run.out.waitFor(/^ready /);
    const sent = performance.now();
    process.kill(run.initPid, 'SIGTERM');
    // Traffic keeps arriving for 1.5 s (one new connection every 150 ms), then stops.
    while (performance.now() - sent < 1500) {
      const socket = connect(port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      await sleep(150);
      socket.destroy();
    }
    const stopped = performance.now() - sent;
    const result = await run.child;
    const events = timeline(result.stderr);
    const start = find(events, 'shutdown-started')!;
    const ended = find(events, 'drain-ended')!;
    t.equal(ended.why, 'idle', 'ended by idleness, not by the 10 s limit');
    const afterTrafficStopped = ended.t - start.t - stopped;
    t.ok(afterTrafficStopped >= 600 - 150 && afterTrafficStopped <= 600 + 200, `drain ended ${afterTrafficStopped.toFixed(0)} ms after the last new connection (idle 600 ms)`);
    t.ok(ended.t - start.t >= 1500, `the drain lasted while traffic came (${ended.t - start.t} ms)`);
    t.equal(result.exitCode, 0);
  } finally {
    server.close();
  }
});

t.test('exit status after shutdown: 143 after SIGTERM, 131 after SIGQUIT, remapped with -e', async (t) => {
  const cases: [string[], number][] = [[[], 143], [['--stop-signal', 'QUIT'], 131], [['-e', '143'], 0], [['-r', 'TERM:QUIT'], 131]];
  for (const [flags, code] of cases) {
    const run = await startWatched(['sh', '-c', 'echo started; exec sleep 100'], { flags });
    await run.out.waitFor(/^started/);
    process.kill(run.initPid, 'SIGTERM');
    t.equal((await run.child).exitCode, code, flags.join(' ') || 'no flags');
  }
});

t.test('--ready-file is created when the program starts and removed at the shutdown signal', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lastcall-ready-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'ready');
  const run = await startWatched([sigrecord, '--exit-on', '15'], { flags: ['--ready-file', file, '--drain', '1s', '-v'] });
  // lastcall logs "ready" right after it writes the file; the program's own output can come first.
  await run.err.waitFor(/\bready$/);
  t.ok(existsSync(file), 'exists while running');
  process.kill(run.initPid, 'SIGTERM');
  await run.err.waitFor(/not ready/);
  t.notOk(existsSync(file), 'removed at t = 0, during the drain');
  t.equal((await run.child).exitCode, 0);
});

t.test('--health on an address in use: exit 2 with one line, nothing spawned', async (t) => {
  const blocker = createTcpServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'lastcall-health-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const marker = join(dir, 'spawned');
  const result = await startPid1(['touch', marker], { flags: ['--health', `127.0.0.1:${port}`] });
  blocker.close();
  t.equal(result.exitCode, 2);
  t.match(result.stderr, new RegExp(`--health 127.0.0.1:${port}: cannot listen \\(EADDRINUSE\\)`));
  t.equal(result.stderr.trim().split('\n').length, 1);
  t.notOk(existsSync(marker));
});

t.test('explain prints the planned timeline and warns; it runs nothing', async (t) => {
  const result = await startPid1(['explain', '--health', ':8079', '--drain', '5s', '--grace', '30s', '--', 'nginx', '-g', 'daemon off;'], { noSeparator: true });
  t.equal(result.exitCode, 0);
  t.match(result.stdout, /t = 0s\s+readiness off: GET \/readyz on 0\.0\.0\.0:8079 answers 503/);
  t.match(result.stdout, /t = 5s\s+SIGTERM to nginx/);
  t.match(result.stdout, /t = 28s\s+SIGKILL to every process still running/);
  t.match(result.stdout, /longer than Docker's default stop timeout/);
  t.match(result.stdout, /nginx treats SIGTERM as a fast shutdown.*--stop-signal QUIT/);
  const bad = await startPid1(['explain', '--drain', '29s'], { noSeparator: true });
  t.equal(bad.exitCode, 2);
  t.match(bad.stderr, /--drain 29s is not shorter than --grace 30s minus --kill-margin 2s/);
});
