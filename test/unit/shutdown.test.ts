// The shutdown choreography in the pure core, with a fake clock: every deadline edge exactly.
import t from 'tap';
import { buildPlan, type WrittenOptions } from '../../src/config/plan.js';
import { initialState, step } from '../../src/supervisor/core.js';
import type { Effect, Input, State } from '../../src/supervisor/types.js';

function running(options: Partial<WrittenOptions> = {}) {
  const plan = buildPlan({ command: ['nginx'], ...options });
  let state: State = initialState(plan);
  let now = 0;
  const h = {
    get phase() {
      return state.phase.kind;
    },
    feed(input: Input, at = now): Effect[] {
      now = at;
      const result = step(plan, state, input, now);
      state = result.state;
      return [...result.effects];
    },
  };
  h.feed({ type: 'boot' });
  h.feed({ type: 'spawned', program: 'nginx', pid: 10 });
  return h;
}

const sent = (effects: Effect[]) => effects.flatMap((e) => (e.type === 'send' ? [`${e.reason}:${e.signo}:${e.target.kind}`] : []));
const timersSet = (effects: Effect[]) => effects.flatMap((e) => (e.type === 'set-timer' ? [`${e.name}@${e.at}`] : []));
const readiness = (effects: Effect[]) => effects.flatMap((e) => (e.type === 'readiness' ? [e.ready] : []));
const events = (effects: Effect[]) => effects.flatMap((e) => (e.type === 'log' ? [e.event.kind] : []));
const exits = (effects: Effect[]) => effects.flatMap((e) => (e.type === 'exit' ? [e.code] : []));

t.test('the program is ready once spawned', async (t) => {
  const plan = buildPlan({ command: ['x'] });
  const state = step(plan, initialState(plan), { type: 'boot' }, 0).state;
  t.same(readiness([...step(plan, state, { type: 'spawned', program: 'x', pid: 3 }, 1).effects]), [true]);
});

t.test('SIGTERM at t: not ready at once, drain until t+drain, then the stop signal; deadline at t+grace-margin', async (t) => {
  const h = running({ drain: '5s', grace: '30s', stopSignal: 'QUIT' });
  const start = h.feed({ type: 'signal', signo: 15 }, 1000);
  t.same(readiness(start), [false]);
  t.same(sent(start), [], 'nothing is sent during the drain');
  t.same(timersSet(start), ['deadline@29000', 'drain-end@6000']);
  t.equal(h.phase, 'draining');
  const stop = h.feed({ type: 'timer', name: 'drain-end' }, 6000);
  t.same(sent(stop), ['stop:3:pid']);
  t.ok(events(stop).includes('drain-ended'));
  t.equal(h.phase, 'stopping');
  h.feed({ type: 'reaped', pid: 10, status: { code: 0 } }, 7000);
  const done = h.feed({ type: 'sweep-done', childrenLeft: false }, 7000);
  t.same(exits(done), [0]);
  t.ok(done.some((e) => e.type === 'cancel-timer' && e.name === 'deadline'), 'the deadline is disarmed on the way out');
});

t.test('without --stop-signal the received signal is sent, after --rewrite', async (t) => {
  t.same(sent(running({ rewrite: ['TERM:QUIT'] }).feed({ type: 'signal', signo: 15 })), ['stop:3:pid']);
  t.same(sent(running().feed({ type: 'signal', signo: 2 })), ['stop:2:pid'], 'SIGINT stops with SIGINT');
  t.same(sent(running({ pgroup: true, stopSignal: 'QUIT' }).feed({ type: 'signal', signo: 15 })), ['stop:3:group']);
});

t.test('a second shutdown signal during the drain ends it at once', async (t) => {
  const h = running({ drain: '20s' });
  h.feed({ type: 'signal', signo: 15 }, 0);
  const second = h.feed({ type: 'signal', signo: 2 }, 1500);
  t.same(sent(second), ['stop:15:pid'], 'stopped with the first signal\'s stop signal');
  t.ok(second.some((e) => e.type === 'log' && e.event.kind === 'drain-ended' && e.event.why === 'signal' && e.event.afterMs === 1500));
  t.same(sent(h.feed({ type: 'timer', name: 'drain-end' }, 20_000)), [], 'the cancelled drain timer firing late does nothing');
});

t.test('after the stop signal, further signals (shutdown ones too) are forwarded as usual', async (t) => {
  const h = running({ rewrite: ['TERM:QUIT'] });
  h.feed({ type: 'signal', signo: 15 }, 0);
  t.same(sent(h.feed({ type: 'signal', signo: 15 }, 100)), ['forward:3:pid']);
  t.same(sent(h.feed({ type: 'signal', signo: 10 }, 200)), ['forward:10:pid']);
});

t.test('other signals during the drain are forwarded and do not end it', async (t) => {
  const h = running({ drain: '5s' });
  h.feed({ type: 'signal', signo: 15 }, 0);
  t.same(sent(h.feed({ type: 'signal', signo: 1 }, 100)), ['forward:1:pid']);
  t.equal(h.phase, 'draining');
});

t.test('--shutdown-on changes which signals start the choreography', async (t) => {
  const h = running({ shutdownOn: ['USR2'], drain: '1s' });
  t.same(sent(h.feed({ type: 'signal', signo: 15 })), ['forward:15:pid'], 'TERM is only forwarded now');
  h.feed({ type: 'signal', signo: 12 }, 10);
  t.equal(h.phase, 'draining');
});

t.test('the deadline SIGKILLs everything, exactly at grace minus margin, and exits with the program\'s status', async (t) => {
  const h = running({ grace: '10s' }); // margin: min(2s, 10%) = 1s
  const start = h.feed({ type: 'signal', signo: 15 }, 500);
  t.same(timersSet(start), ['deadline@9500']);
  const kill = h.feed({ type: 'timer', name: 'deadline' }, 9500);
  t.same(sent(kill), ['deadline-kill:9:descendants']);
  t.ok(events(kill).includes('deadline-reached'));
  h.feed({ type: 'reaped', pid: 10, status: { signal: 9 } }, 9501);
  t.same(exits(h.feed({ type: 'sweep-done', childrenLeft: false }, 9501)), [137]);
});

t.test('the deadline also cuts a drain short, and cuts leftovers short', async (t) => {
  const inDrain = running({ grace: '10s', killMargin: '1s', drain: '8s' });
  inDrain.feed({ type: 'signal', signo: 15 }, 0);
  t.same(sent(inDrain.feed({ type: 'timer', name: 'deadline' }, 9000)), ['deadline-kill:9:descendants']);

  const leftovers = running({ grace: '10s', leftoverGrace: '30s' });
  leftovers.feed({ type: 'signal', signo: 15 }, 0);
  leftovers.feed({ type: 'reaped', pid: 10, status: { signal: 15 } }, 1000);
  const term = leftovers.feed({ type: 'sweep-done', childrenLeft: true }, 1000);
  t.same(timersSet(term), ['leftover-kill@9000'], 'leftover SIGKILL at the deadline, not 30 s later');
});

t.test('--grace 0: no deadline at all', async (t) => {
  const h = running({ grace: '0' });
  t.same(timersSet(h.feed({ type: 'signal', signo: 15 }, 0)), []);
});

t.test('kill margin defaults to the smaller of 2 s and 10 % of grace', async (t) => {
  t.same(timersSet(running({ grace: '30s' }).feed({ type: 'signal', signo: 15 }, 0)), ['deadline@28000']);
  t.same(timersSet(running({ grace: '5s' }).feed({ type: 'signal', signo: 15 }, 0)), ['deadline@4500']);
  t.same(timersSet(running({ grace: '5s', killMargin: '100ms' }).feed({ type: 'signal', signo: 15 }, 0)), ['deadline@4900']);
});

t.test('adaptive drain: ends after drain-idle without new connections, each connection pushes it back', async (t) => {
  const h = running({ drain: '10s', drainIdle: '1s', drainPort: ['8080'] });
  const start = h.feed({ type: 'signal', signo: 15 }, 0);
  t.ok(start.some((e) => e.type === 'watch-connections' && e.active));
  t.same(timersSet(start).filter((x) => x.startsWith('drain')), ['drain-end@10000', 'drain-idle@1000']);
  t.same(timersSet(h.feed({ type: 'connection-seen' }, 700)), ['drain-idle@1700']);
  t.same(timersSet(h.feed({ type: 'connection-seen' }, 1500)), ['drain-idle@2500']);
  const end = h.feed({ type: 'timer', name: 'drain-idle' }, 2500);
  t.same(sent(end), ['stop:15:pid']);
  t.ok(end.some((e) => e.type === 'log' && e.event.kind === 'drain-ended' && e.event.why === 'idle'));
  t.ok(end.some((e) => e.type === 'watch-connections' && !e.active), 'sampling stops with the drain');
  t.same(h.feed({ type: 'connection-seen' }, 2600), [], 'connections after the drain change nothing');
});

t.test('adaptive drain never lasts longer than --drain', async (t) => {
  const h = running({ drain: '3s', drainIdle: '1s', drainPort: ['8080'] });
  h.feed({ type: 'signal', signo: 15 }, 0);
  for (let at = 500; at < 3000; at += 500) h.feed({ type: 'connection-seen' }, at);
  const end = h.feed({ type: 'timer', name: 'drain-end' }, 3000);
  t.same(sent(end), ['stop:15:pid']);
  t.ok(end.some((e) => e.type === 'log' && e.event.kind === 'drain-ended' && e.event.why === 'timer'));
});

t.test('the program dying during the drain ends the drain and leads to exit with its status', async (t) => {
  const h = running({ drain: '5s', drainIdle: '1s', drainPort: ['80'] });
  h.feed({ type: 'signal', signo: 15 }, 0);
  const died = h.feed({ type: 'reaped', pid: 10, status: { code: 3 } }, 2000);
  t.ok(died.some((e) => e.type === 'cancel-timer' && e.name === 'drain-end'));
  t.ok(died.some((e) => e.type === 'watch-connections' && !e.active));
  t.same(exits(h.feed({ type: 'sweep-done', childrenLeft: false }, 2000)), [3]);
});

t.test('a shutdown signal before the program exists is handled once it is spawned', async (t) => {
  const plan = buildPlan({ command: ['x'], drain: '2s' });
  let state = initialState(plan);
  state = step(plan, state, { type: 'signal', signo: 15 }, 0).state;
  state = step(plan, state, { type: 'boot' }, 1).state;
  const spawned = step(plan, state, { type: 'spawned', program: 'x', pid: 4 }, 30);
  t.equal(spawned.state.phase.kind, 'draining');
  t.same(readiness([...spawned.effects]), [], 'never reported ready: the shutdown had already begun');
});
