// Multi-program mode as a real PID 1: start order gated on real readiness, oneshots, crash loops,
// essential programs, env/cwd/user, and an invalid config that spawns nothing.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { root } from '../helpers/fixtures.js';
import { sleep, startPid1 } from '../helpers/init.js';
import { at, startConfig } from '../helpers/multi.js';
import { freePort } from '../helpers/webstack.js';

/** utime + stime of a process, in clock ticks (10 ms). */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

const listenAfter = join(root, 'test', 'fixtures', 'listen-after.mjs');
const node = process.execPath;

t.test('a dependent starts only once its dependency is really ready (a TCP port that opens 700 ms late)', async (t) => {
  const port = await freePort();
  const run = await startConfig(t, `
programs:
  db: { command: ["${node}", "${listenAfter}", "700", "${port}"], ready: { tcp: ${port}, interval: 50ms } }
  app: { command: [sleep, "100"], depends_on: [db], essential: true }
`);
  await run.waitForEvent((e) => e.event === 'spawned' && e.program === 'app');
  process.kill(run.initPid, 'SIGTERM');
  const result = await run.child;
  const events = run.events();
  const dbStarted = at(events, 'spawned', 'db');
  const ready = at(events, 'program-ready', 'db');
  t.ok(ready - dbStarted >= 700, `db was ready ${Math.round(ready - dbStarted)} ms after it started (it listens after 700 ms)`);
  t.ok(ready - dbStarted < 700 + 1500, 'and found ready within a few intervals of listening');
  t.ok(at(events, 'spawned', 'app') >= ready, 'app was spawned after db was ready');
  t.equal(result.exitCode, 0, 'both stopped cleanly on SIGTERM: exit 0');
});

/** fd -> what it points to (`pipe:[123]`, `/dev/null`...), from `ls -l /proc/PID/fd` output. */
function fdTable(listing: string): Map<number, string> {
  return new Map([...listing.matchAll(/ (\d+) -> (.+)$/gm)].map((m) => [Number(m[1]), m[2]!]));
}

t.test("programs get the fds lastcall inherited and none of its own (Node's pipes, log pipes, its socket)", async (t) => {
  // Node holds both ends of a few pipes. With one fd handed to lastcall at 3, one such pair sits
  // at 15 and 16: the end at 15 once passed for an inherited fd and reached every program.
  // Each program lists its own fds (exec: no shell keeps a saved copy of its stdout around).
  const run = await startConfig(t, `
programs:
  a: { command: [sh, -c, "exec ls -l /proc/self/fd > \${DIR}/a-fds"], logs: prefix, restart: never }
  b: { command: [sh, -c, "exec ls -l /proc/self/fd > \${DIR}/b-fds"], depends_on: { a: started }, logs: json, restart: never }
  keep: { command: [sleep, "30"] }
`, { extraFds: ['pipe'] });
  const listed = (program: string) => existsSync(join(run.dir, `${program}-fds`)) && readFileSync(join(run.dir, `${program}-fds`), 'utf8').includes('->');
  for (let waited = 0; !(listed('a') && listed('b')) && waited < 15_000; waited += 20) await sleep(20);
  const lastcall = fdTable(execFileSync('ls', ['-l', `/proc/${run.initPid}/fd`], { encoding: 'utf8' }));
  const heldTwice = (target: string) => [...lastcall.values()].filter((x) => x === target).length > 1;
  for (const program of ['a', 'b']) {
    const fds = fdTable(readFileSync(join(run.dir, `${program}-fds`), 'utf8'));
    t.equal(fds.get(3), lastcall.get(3), `${program}: fd 3, handed to lastcall, reached it`);
    const own = [...fds].filter(([fd, target]) => {
      if (fd < 3 || fd > 15 || target.startsWith('/proc/')) return false; // stdio; ls's own directory fd
      return lastcall.get(fd) !== target || target.startsWith('anon_inode:') || (target.startsWith('pipe:') && heldTwice(target));
    });
    t.same(own, [], `${program}: no fd in 3..15 that is lastcall's own`, { fds: [...fds], lastcall: [...lastcall] });
  }
  process.kill(run.initPid, 'SIGTERM');
  t.equal((await run.child).exitCode, 0);
});

t.test('a failing oneshot blocks its dependents and sets the exit status; nothing that depends on it runs', async (t) => {
  const run = await startConfig(t, `
programs:
  migrate: { type: oneshot, command: [sh, -c, "echo migrating; exit 3"] }
  web: { command: [touch, "\${DIR}/web-ran"], depends_on: { migrate: completed } }
`);
  const result = await run.child;
  t.equal(result.exitCode, 3);
  t.notOk(existsSync(join(run.dir, 'web-ran')), 'web never ran');
  const failed = run.events().find((e) => e.event === 'program-failed' && e.program === 'web');
  t.equal(failed?.msg, 'web failed: cannot start: migrate failed before it was completed');
  t.ok(run.events().some((e) => e.event === 'program-failed' && e.msg === 'migrate failed: it exited with code 3'));
});

t.test('crash loop: restarts after 300, 600, 1200, 1200 ms (never early), then gives up; lastcall does not spin', async (t) => {
  const run = await startConfig(t, `
programs:
  crashy: { command: [sh, -c, "exit 1"], restart: { policy: on-failure, initial: 300ms, max: 1200ms, max_restarts: 4, window: 60s } }
`);
  // During the last 1.2 s backoff nothing happens: an init that polled or spun would burn CPU here.
  await run.waitForEvent(() => run.events().filter((e) => e.event === 'restart-scheduled').length >= 4);
  const before = cpuTicks(run.initPid);
  await sleep(900);
  const idleTicks = cpuTicks(run.initPid) - before;
  t.ok(idleTicks <= 2, `lastcall used ${idleTicks * 10} ms of CPU in 900 ms of backoff`);
  const result = await run.child;
  const events = run.events();
  const spawns = events.filter((e) => e.event === 'spawned').map((e) => e.t);
  const exitsAt = events.filter((e) => e.event === 'program-exited').map((e) => e.t);
  t.equal(spawns.length, 5, 'first start and 4 restarts');
  const gaps = spawns.slice(1).map((s, i) => s - exitsAt[i]!);
  [300, 600, 1200, 1200].forEach((delay, i) => {
    t.ok(gaps[i]! >= delay - 1 && gaps[i]! < delay + 400, `restart ${i + 1}: ${Math.round(gaps[i]!)} ms after the exit (backoff ${delay} ms)`);
  });
  t.ok(events.some((e) => e.event === 'program-failed' && /restarted 4 times within 60s/.test(String(e.msg))), 'gave up after max_restarts');
  t.equal(result.exitCode, 1, 'the only program failed with 1: lastcall exits 1');
});

t.test('an essential program exiting stops the rest (SIGKILL at the deadline for one that ignores TERM) and lastcall exits with its status', async (t) => {
  const run = await startConfig(t, `
grace: 3s
programs:
  main: { command: [sh, -c, "sleep 0.5; exit 5"], essential: true, restart: never }
  stubborn: { command: [sh, -c, "trap '' TERM; while :; do sleep 0.1; done"] }
`);
  const result = await run.child;
  const events = run.events();
  t.equal(result.exitCode, 5);
  const ended = at(events, 'essential-ended', 'main');
  const kill = events.find((e) => e.event === 'signal-sent' && e.signo === 9);
  t.ok(kill, 'the TERM-ignoring program was SIGKILLed');
  const killAfter = kill!.t - ended;
  t.ok(killAfter >= 2700 - 1 && killAfter < 2700 + 300, `SIGKILL ${Math.round(killAfter)} ms after the essential exit (deadline: grace 3s minus margin 300ms)`);
  t.ok(at(events, 'exiting') - ended < 3000, 'lastcall was gone within the grace budget');
});

t.test('env (merged, interpolated), cwd and user reach the program', async (t) => {
  const run = await startConfig(t, `
programs:
  show:
    command: [sh, -c, 'echo "x=$X home=$HOME_SEEN pwd=$(pwd) uid=$(id -u) gid=$(id -g)"']
    env: { X: "\${GREETING:-hello}-there", HOME_SEEN: "\${DIR}" }
    cwd: /tmp
    user: nobody
    logs: prefix
    restart: never
`, { env: { GREETING: 'hi' } });
  const result = await run.child;
  t.equal(result.exitCode, 0, result.stderr);
  t.match(result.stdout, new RegExp(`^show \\| x=hi-there home=${run.dir} pwd=/tmp uid=65534 gid=65534$`, 'm'));
});

t.test('an invalid config: exit 2, one line per problem with file:line:column, nothing spawned', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lastcall-bad-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, `programs:\n  ok: { command: [touch, "${dir}/spawned"] }\n  bad: { command: [x], depends_on: [nope], stop: { signal: SIGFOO } }\n`);
  const result = await startPid1([], { flags: ['--config', file], noSeparator: true });
  t.equal(result.exitCode, 2);
  const lines = result.stderr.trim().split('\n');
  t.equal(lines.length, 2, result.stderr);
  t.match(lines[0], new RegExp(`^lastcall: ${file}:3:\\d+: bad: depends on unknown program \`nope\``));
  t.match(lines[1], new RegExp(`^lastcall: ${file}:3:\\d+: bad: signal: .*SIGFOO`));
  t.notOk(existsSync(join(dir, 'spawned')), 'the valid program was not started either');
});
