// Multi-program supervision in the pure core, with a fake clock: start order, readiness gates,
// restarts with backoff, essential programs, ordered stop, the exit-code rule and ctl requests.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/config/file/load.js';
import { buildPlan, type WrittenOptions } from '../../src/config/plan.js';
import { initialState, step } from '../../src/supervisor/core.js';
import { snapshotOf } from '../../src/supervisor/status.js';
import type { ControlCommand, Effect, ExitStatus, State, TimerName } from '../../src/supervisor/types.js';

const dir = mkdtempSync(join(tmpdir(), 'lastcall-multi-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** A core over a config file, driven like the OS layer drives it; programs get pids 100, 101, ... */
function supervise(yaml: string, flags: Partial<WrittenOptions> = {}) {
  const file = join(dir, `c${files++}.yaml`);
  writeFileSync(file, yaml);
  const plan = buildPlan({ command: [], config: file, ...flags }, { config: loadConfig(file, process.env) });
  let state: State = initialState(plan);
  let now = 0;
  let nextPid = 100;
  const pids = new Map<string, number>();
  const log: Effect[] = [];
  const h = {
    plan,
    get state() {
      return state;
    },
    get now() {
      return now;
    },
    /** Feeds one input; answers spawn effects with spawned (as the OS layer does) and returns every effect. */
    feed(input: Parameters<typeof step>[2], at = now): Effect[] {
      now = at;
      const out: Effect[] = [];
      const queue = [input];
      for (let next = queue.shift(); next; next = queue.shift()) {
        const result = step(plan, state, next, now);
        state = result.state;
        for (const effect of result.effects) {
          out.push(effect);
          if (effect.type === 'spawn') {
            const pid = nextPid++;
            pids.set(effect.program, pid);
            queue.push({ type: 'spawned', program: effect.program, pid });
          }
        }
      }
      log.push(...out);
      return out;
    },
    pid: (name: string) => pids.get(name)!,
    exit(name: string, status: ExitStatus, at = now) {
      return h.feed({ type: 'reaped', pid: pids.get(name)!, status }, at);
    },
    timer: (name: TimerName, at: number) => h.feed({ type: 'timer', name }, at),
    signal: (signo: number, at = now) => h.feed({ type: 'signal', signo }, at),
    ready: (program: string, at = now) => h.feed({ type: 'ready', program }, at),
    control(request: ControlCommand, at = now) {
      const effects = h.feed({ type: 'control', id: 1, request }, at);
      const reply = effects.find((e) => e.type === 'control-reply');
      return { effects, response: reply && reply.type === 'control-reply' ? reply.response : undefined };
    },
    run: (name: string) => state.programs[name]!.run.kind,
  };
  return h;
}

const spawned = (effects: Effect[]) => effects.flatMap((e) => (e.type === 'spawn' ? [e.program] : []));
const sends = (effects: Effect[]) => effects.flatMap((e) => (e.type === 'send' ? [`${e.program ?? '*'}:${e.signo}:${e.target.kind}`] : []));
const timersSet = (effects: Effect[]) => effects.flatMap((e) => (e.type === 'set-timer' ? [`${e.name}@${e.at}`] : []));
const exits = (effects: Effect[]) => effects.flatMap((e) => (e.type === 'exit' ? [e.code] : []));
const readiness = (effects: Effect[]) => effects.flatMap((e) => (e.type === 'readiness' ? [e.ready] : []));
const sweepDone = (h: ReturnType<typeof supervise>) => h.feed({ type: 'sweep-done', childrenLeft: false });

const WEB = `
drain: 2s
grace: 30s
programs:
  migrate: { type: oneshot, command: [migrate] }
  php: { command: [php-fpm], depends_on: { migrate: completed }, ready: { unix: /run/php.sock, timeout: 10s }, stop: { signal: QUIT } }
  nginx: { command: [nginx], depends_on: [php], stop: { signal: QUIT }, essential: true }
  agent: { command: [agent] }
`;

t.test('start order: roots first, in parallel; each dependent once its condition is met', async (t) => {
  const h = supervise(WEB);
  t.same(spawned(h.feed({ type: 'boot' })), ['migrate', 'agent'], 'independent programs start together');
  t.same(spawned(h.exit('migrate', { code: 0 }, 500)), ['php'], 'php waits for migrate to complete');
  t.equal(h.run('migrate'), 'completed');
  t.equal(h.run('nginx'), 'waiting', 'nginx waits for php to be ready, not just started');
  t.same(spawned(h.ready('php', 900)), ['nginx']);
  t.equal(h.state.phase.kind, 'running');
});

t.test('/readyz follows the essential programs: ready only when nginx is up and ready', async (t) => {
  const h = supervise(WEB);
  h.feed({ type: 'boot' });
  h.exit('migrate', { code: 0 }, 100);
  t.equal(h.state.ready, false, 'php is up but nginx (the essential one) is not');
  t.same(readiness(h.ready('php', 200)), [true], 'nginx has no ready check: ready once spawned');
  t.same(readiness(h.signal(15, 300)), [false], 'a shutdown turns it off at once');
});

t.test('a failing oneshot blocks its dependents, which fail with its status; the container ends with it', async (t) => {
  const h = supervise(WEB);
  h.feed({ type: 'boot' });
  const effects = h.exit('migrate', { code: 3 }, 100);
  t.equal(h.run('php'), 'failed');
  t.equal(h.run('nginx'), 'failed');
  t.same(spawned(effects), [], 'nothing that depends on it starts');
  t.same(sends(effects), ['agent:15:pid'], 'nginx is essential and failed: the rest is stopped');
  h.exit('agent', { signal: 15 }, 150);
  t.same(exits(sweepDone(h)), [3], 'exit status: the failed oneshot that blocked the essential program');
});

t.test('crash loop: backoff doubles from initial up to max; past max_restarts in the window the program fails', async (t) => {
  const h = supervise('programs:\n  w: { command: [w], restart: { policy: on-failure, initial: 1s, max: 4s, max_restarts: 4, window: 60s } }\n  other: { command: [sleep] }\n');
  h.feed({ type: 'boot' });
  const delays: string[] = [];
  let at = 0;
  for (let i = 0; i < 4; i++) {
    at += 100;
    const effects = h.exit('w', { code: 1 }, at);
    delays.push(...timersSet(effects));
    t.equal(h.run('w'), 'backoff');
    const until = Number(timersSet(effects)[0]!.split('@')[1]);
    t.same(spawned(h.timer('restart:w', until)), ['w'], 'restarted exactly when the backoff ends');
    at = until;
  }
  t.same(delays, ['restart:w@1100', 'restart:w@3200', 'restart:w@7300', 'restart:w@11400'], '1 s, 2 s, 4 s, then capped at 4 s');
  h.exit('w', { code: 1 }, at + 100);
  t.equal(h.run('w'), 'failed', 'the fifth exit within 60 s: given up');
  t.equal(h.state.programs.w!.restarts, 4);
  t.equal(h.state.phase.kind, 'running', 'not essential: the container goes on');
  t.equal(h.state.ready, false, 'but it is no longer ready: a longrun it serves with is down');
});

t.test('restart policies: never stays down, always restarts a clean exit, on-failure does not', async (t) => {
  const h = supervise('programs:\n  a: { command: [a], restart: never }\n  b: { command: [b], restart: always }\n  c: { command: [c], restart: on-failure }\n  keep: { command: [k] }\n');
  h.feed({ type: 'boot' });
  h.exit('a', { code: 1 }, 10);
  h.exit('b', { code: 0 }, 10);
  h.exit('c', { code: 0 }, 10);
  t.same([h.run('a'), h.run('b'), h.run('c')], ['exited', 'backoff', 'exited']);
});

t.test('without an essential program the container ends when every program is down for good: 0 if all clean, else the first unclean status', async (t) => {
  const clean = supervise('programs:\n  a: { command: [a], restart: never }\n  b: { type: oneshot, command: [b] }\n');
  clean.feed({ type: 'boot' });
  clean.exit('b', { code: 0 }, 10);
  clean.exit('a', { code: 0 }, 20);
  t.same(exits(sweepDone(clean)), [0]);
  const failed = supervise('programs:\n  a: { command: [a], restart: never }\n  b: { command: [b], restart: never }\n');
  failed.feed({ type: 'boot' });
  failed.exit('b', { signal: 11 }, 10);
  failed.exit('a', { code: 4 }, 20);
  t.same(exits(sweepDone(failed)), [139], 'b died first, of SIGSEGV');
});

t.test('an essential program exiting stops everything else within the grace budget and sets the exit status', async (t) => {
  const h = supervise('grace: 10s\nprograms:\n  main: { command: [m], essential: true, restart: never }\n  side: { command: [s] }\n');
  h.feed({ type: 'boot' });
  const effects = h.exit('main', { code: 7 }, 1000);
  t.same(sends(effects), ['side:15:pid']);
  t.same(timersSet(effects).filter((x) => x.startsWith('deadline')), ['deadline@10000'], 'deadline at grace minus margin from the exit');
  h.exit('side', { signal: 15 }, 1200);
  t.same(exits(sweepDone(h)), [7]);
});

t.test('shutdown: drain, then reverse dependency order; php-fpm is told to stop only after nginx is gone', async (t) => {
  const h = supervise(WEB);
  h.feed({ type: 'boot' });
  h.exit('migrate', { code: 0 }, 100);
  h.ready('php', 200);
  const start = h.signal(15, 1000);
  t.same(sends(start), [], 'nothing during the drain');
  t.same(timersSet(start), ['deadline@29000', 'drain-end@3000']);
  const stop = h.timer('drain-end', 3000);
  t.same(sends(stop).sort(), ['agent:15:pid', 'nginx:3:pid'], 'nginx (SIGQUIT) and agent (no dependents) first');
  t.equal(h.run('php'), 'running', 'php still serves nginx');
  t.same(sends(h.exit('nginx', { code: 0 }, 4000)), ['php:3:pid'], 'php gets its SIGQUIT once nginx is down');
  h.exit('agent', { signal: 15 }, 4100);
  t.same(exits(h.exit('php', { code: 0 }, 4500)), []);
  t.same(exits(sweepDone(h)), [0], 'every program stopped cleanly (SIGTERM death from its own stop signal included): 0');
});

t.test('a second shutdown signal while stopping in order stops everything left at once', async (t) => {
  const h = supervise(WEB);
  h.feed({ type: 'boot' });
  h.exit('migrate', { code: 0 }, 100);
  h.ready('php', 200);
  h.signal(15, 1000);
  h.signal(15, 1100);
  t.equal(h.run('php'), 'running');
  t.same(sends(h.signal(15, 1200)), ['php:3:pid']);
});

t.test('stop command first, then the stop signal; stop.timeout SIGKILLs the group; a SIGKILL is an unclean stop', async (t) => {
  const h = supervise('programs:\n  envoy: { command: [envoy], stop: { http: "http://127.0.0.1:9901/drain", signal: TERM, timeout: 5s } }\n  worker: { command: [w], stop: { command: [w, --stop], timeout: 3s } }\n');
  h.feed({ type: 'boot' });
  const stop = h.signal(15, 1000);
  t.same(stop.filter((e) => e.type === 'stop-action').map((e) => e.type === 'stop-action' && e.program), ['envoy', 'worker']);
  t.same(sends(stop), [], 'no signal before the actions finish');
  t.same(timersSet(stop).filter((x) => x.startsWith('stop-timeout')), ['stop-timeout:envoy@6000', 'stop-timeout:worker@4000']);
  t.same(sends(h.feed({ type: 'stop-action-done', program: 'envoy', pid: h.pid('envoy'), ok: true, detail: 'HTTP 200' }, 2000)), ['envoy:15:pid']);
  t.same(sends(h.feed({ type: 'stop-action-done', program: 'worker', pid: h.pid('worker'), ok: true, detail: 'exited with 0' }, 2000)), [], 'a command alone: wait for the exit');
  t.same(sends(h.timer('stop-timeout:worker', 4000)), ['worker:9:group']);
  h.exit('envoy', { signal: 15 }, 4100);
  h.exit('worker', { signal: 9 }, 4100);
  t.same(exits(sweepDone(h)), [137], 'the SIGKILLed worker makes the stop unclean');
});

t.test('ready.timeout: never ready in time -> SIGKILL to its group, then its restart policy', async (t) => {
  const h = supervise('programs:\n  db: { command: [db], ready: { tcp: 5432, timeout: 5s } }\n  app: { command: [app], depends_on: [db] }\n');
  const boot = h.feed({ type: 'boot' }, 0);
  t.ok(boot.some((e) => e.type === 'probe' && e.active && e.program === 'db'), 'the ready check starts with the program');
  const timeout = h.timer('ready-timeout:db', 5000);
  t.same(sends(timeout), ['db:9:group']);
  t.ok(timeout.some((e) => e.type === 'probe' && !e.active));
  h.exit('db', { signal: 9 }, 5010);
  t.equal(h.run('db'), 'backoff', 'on-failure restarts it');
  t.equal(h.run('app'), 'waiting');
});

t.test('ctl: stop holds a program down (no restart, container stays), start brings it back, restart cycles it', async (t) => {
  const h = supervise('programs:\n  a: { command: [a], restart: always }\n  b: { command: [b] }\n');
  h.feed({ type: 'boot' });
  const stop = h.control({ command: 'stop', name: 'a' }, 100);
  t.same(sends(stop.effects), ['a:15:pid']);
  t.match(stop.response, { ok: true, message: /stays down/ });
  h.exit('a', { signal: 15 }, 200);
  t.equal(h.run('a'), 'exited', 'not restarted, although restart: always');
  t.same(snapshotOf(h.plan, h.state, 300).programs[0]!.detail, 'stopped by lastcall ctl');
  h.exit('b', { code: 0 }, 300);
  t.equal(h.state.phase.kind, 'running', 'a held program keeps the container up');
  const start = h.control({ command: 'start', name: 'a' }, 400);
  t.same(spawned(start.effects), ['a']);
  const restart = h.control({ command: 'restart', name: 'a' }, 500);
  t.same(sends(restart.effects), ['a:15:pid']);
  t.same(spawned(h.exit('a', { signal: 15 }, 600)), ['a'], 'back at once, no backoff');
  t.equal(h.state.programs.a!.restarts, 1);
});

t.test('ctl: signal, shutdown, and refusals that name the problem', async (t) => {
  const h = supervise('programs:\n  a: { command: [a] }\n');
  h.feed({ type: 'boot' });
  t.same(sends(h.control({ command: 'signal', name: 'a', signo: 1 }).effects), ['a:1:pid']);
  t.match(h.control({ command: 'stop', name: 'zz' }).response, { ok: false, error: 'no program named `zz`; the programs are: a' });
  t.match(h.control({ command: 'start', name: 'a' }).response, { ok: false, error: /a is already running \(pid 100\); use restart/ });
  const down = h.control({ command: 'shutdown' }, 50);
  t.same(sends(down.effects), ['a:15:pid']);
  t.match(h.control({ command: 'shutdown' }).response, { ok: false, error: /already shutting down/ });
  t.match(h.control({ command: 'start', name: 'a' }).response, { ok: false, error: /shutting down/ });
});

t.test('the deadline SIGKILLs everything when a program ignores its stop signal', async (t) => {
  const h = supervise('grace: 5s\nprograms:\n  stubborn: { command: [s] }\n');
  h.feed({ type: 'boot' });
  h.signal(15, 0);
  t.same(sends(h.timer('deadline', 4500)), ['*:9:descendants']);
  h.exit('stubborn', { signal: 9 }, 4510);
  t.same(exits(sweepDone(h)), [137]);
});

t.test('a spawn failure fails the program: with restart it is not retried (a missing binary stays missing)', async (t) => {
  const h = supervise('programs:\n  a: { command: [nope], restart: always }\n  b: { command: [b] }\n');
  h.feed({ type: 'boot' });
  h.feed({ type: 'spawn-failed', program: 'a', exitCode: 127, reason: 'not found' });
  t.equal(h.run('a'), 'failed');
  h.exit('b', { code: 0 }, 10);
  t.same(exits(sweepDone(h)), [127]);
});
