// The supervisor core with a fake clock: every timing rule is asserted exactly.
import t from 'tap';
import { buildPlan, type WrittenOptions } from '../../src/config/plan.js';
import { initialState, step } from '../../src/supervisor/core.js';
import type { Effect, Input, State } from '../../src/supervisor/types.js';

/** Drives the core like the OS layer does, recording effects, with time under the test's control. */
function harness(options: Partial<WrittenOptions> = {}) {
  const plan = buildPlan({ command: ['app', '--serve'], ...options });
  let state: State = initialState(plan);
  let now = 0;
  return {
    plan,
    get state() {
      return state;
    },
    at(ms: number) {
      now = ms;
      return this;
    },
    feed(input: Input): Effect[] {
      const result = step(plan, state, input, now);
      state = result.state;
      return [...result.effects];
    },
  };
}

const sends = (effects: Effect[]) => effects.filter((e) => e.type === 'send');
const exits = (effects: Effect[]) => effects.filter((e) => e.type === 'exit');
const timers = (effects: Effect[]) => effects.filter((e) => e.type === 'set-timer');

/** Boots the program as pid 10. */
function running(options: Partial<WrittenOptions> = {}) {
  const h = harness(options);
  const boot = h.feed({ type: 'boot' });
  if (boot.length !== 1 || boot[0]!.type !== 'spawn') throw new Error(`boot should only spawn, got ${JSON.stringify(boot)}`);
  h.feed({ type: 'spawned', program: 'app', pid: 10 });
  return h;
}

t.test('a signal is forwarded to the program, or to its group with -g', async (t) => {
  t.same(sends(running().feed({ type: 'signal', signo: 10 })), [{ type: 'send', target: { kind: 'pid', pid: 10 }, signo: 10, reason: 'forward', program: 'app' }]);
  t.same(sends(running({ pgroup: true }).feed({ type: 'signal', signo: 10 })), [{ type: 'send', target: { kind: 'group', pgid: 10 }, signo: 10, reason: 'forward', program: 'app' }]);
});

t.test('--rewrite changes the signal sent, and 0 drops it', async (t) => {
  const h = running({ rewrite: ['TERM:QUIT', 'HUP:0'] });
  t.same(sends(h.feed({ type: 'signal', signo: 15 })).map((e) => e.type === 'send' && e.signo), [3]);
  const dropped = h.feed({ type: 'signal', signo: 1 });
  t.same(sends(dropped), []);
  t.ok(dropped.some((e) => e.type === 'log' && e.event.kind === 'signal-dropped'));
});

t.test('signals that arrive before the program exists are forwarded once it is spawned, in order', async (t) => {
  const h = harness();
  h.feed({ type: 'signal', signo: 1 });
  h.feed({ type: 'signal', signo: 15 });
  h.feed({ type: 'boot' });
  const effects = h.feed({ type: 'spawned', program: 'app', pid: 7 });
  t.same(sends(effects).map((e) => e.type === 'send' && [e.signo, e.target]), [[1, { kind: 'pid', pid: 7 }], [15, { kind: 'pid', pid: 7 }]]);
});

t.test('a spawn failure exits with its code once a sweep finds nothing else to wait for', async (t) => {
  const h = harness();
  h.feed({ type: 'boot' });
  const failed = h.feed({ type: 'spawn-failed', program: 'app', exitCode: 127, reason: 'not found' });
  t.same(exits(failed), []);
  t.ok(failed.some((e) => e.type === 'sweep'), 'asks for a sweep: lastcall may have inherited children');
  t.same(exits(h.feed({ type: 'sweep-done', childrenLeft: false })), [{ type: 'exit', code: 127 }]);
});

t.test('the program\'s exit: exit at once when nothing else is left', async (t) => {
  const h = running();
  t.same(exits(h.feed({ type: 'reaped', pid: 10, status: { code: 3 } })), [], 'waits for the sweep to say whether anything is left');
  t.same(exits(h.feed({ type: 'sweep-done', childrenLeft: false })), [{ type: 'exit', code: 3 }]);
});

t.test('death by signal N exits 128+N; -e remaps', async (t) => {
  const h = running({ remapExit: ['143'] });
  h.feed({ type: 'reaped', pid: 10, status: { signal: 15 } });
  t.same(exits(h.feed({ type: 'sweep-done', childrenLeft: false })), [{ type: 'exit', code: 0 }]);
  const plain = running();
  plain.feed({ type: 'reaped', pid: 10, status: { signal: 9 } });
  t.same(exits(plain.feed({ type: 'sweep-done', childrenLeft: false })), [{ type: 'exit', code: 137 }]);
});

t.test('orphans are counted and never mistaken for the program', async (t) => {
  const h = running();
  const effects = h.feed({ type: 'reaped', pid: 99, status: { code: 0 } });
  t.same(exits(effects), []);
  t.equal(h.state.orphansReaped, 1);
  t.equal(h.state.phase.kind, 'running');
});

t.test('leftovers: SIGTERM (and SIGCONT) at once, SIGKILL exactly --leftover-grace later', async (t) => {
  const h = running({ leftoverGrace: '1500ms' });
  h.at(1000).feed({ type: 'reaped', pid: 10, status: { code: 4 } });
  const term = h.at(1001).feed({ type: 'sweep-done', childrenLeft: true });
  t.same(sends(term).map((e) => e.type === 'send' && [e.signo, e.target.kind]), [[15, 'descendants'], [18, 'descendants']]);
  t.same(timers(term), [{ type: 'set-timer', name: 'leftover-kill', at: 2501 }]);
  t.same(h.at(2000).feed({ type: 'sweep-done', childrenLeft: true }), [], 'still waiting');
  const kill = h.at(2501).feed({ type: 'timer', name: 'leftover-kill' });
  t.same(sends(kill).map((e) => e.type === 'send' && e.signo), [9]);
  t.same(timers(kill), [{ type: 'set-timer', name: 'kill-wait', at: 3501 }]);
  t.same(exits(h.at(2502).feed({ type: 'sweep-done', childrenLeft: false })), [{ type: 'exit', code: 4 }], 'the program\'s status, not the leftovers\'');
});

t.test('leftovers that exit on SIGTERM end the wait early, and the kill timer is cancelled', async (t) => {
  const h = running();
  h.feed({ type: 'reaped', pid: 10, status: { code: 0 } });
  h.feed({ type: 'sweep-done', childrenLeft: true });
  h.at(300).feed({ type: 'reaped', pid: 11, status: { signal: 15 } });
  const done = h.at(300).feed({ type: 'sweep-done', childrenLeft: false });
  t.ok(done.some((e) => e.type === 'cancel-timer' && e.name === 'leftover-kill'));
  t.same(exits(done), [{ type: 'exit', code: 0 }]);
  t.same(h.at(2000).feed({ type: 'timer', name: 'leftover-kill' }), [], 'a late timer does nothing');
});

t.test('--leftover-grace 0 sends SIGKILL straight away', async (t) => {
  const h = running({ leftoverGrace: '0' });
  h.feed({ type: 'reaped', pid: 10, status: { code: 0 } });
  t.same(sends(h.feed({ type: 'sweep-done', childrenLeft: true })).map((e) => e.type === 'send' && e.signo), [9]);
});

t.test('a second SIGTERM or SIGINT during the leftover grace kills at once; other signals are dropped', async (t) => {
  for (const signo of [15, 2]) {
    const h = running({ leftoverGrace: '20s' });
    h.feed({ type: 'reaped', pid: 10, status: { code: 0 } });
    h.feed({ type: 'sweep-done', childrenLeft: true });
    t.same(sends(h.at(100).feed({ type: 'signal', signo: 10 })), [], 'USR1 has nowhere to go');
    t.same(sends(h.at(200).feed({ type: 'signal', signo })).map((e) => e.type === 'send' && e.signo), [9]);
    t.equal(h.state.phase.kind, 'killing');
  }
});

t.test('processes the kernel will not let go of do not keep lastcall forever: exit after kill-wait', async (t) => {
  const h = running({ leftoverGrace: '1s' });
  h.feed({ type: 'reaped', pid: 10, status: { code: 2 } });
  h.feed({ type: 'sweep-done', childrenLeft: true });
  h.at(1000).feed({ type: 'timer', name: 'leftover-kill' });
  t.same(h.at(1500).feed({ type: 'sweep-done', childrenLeft: true }), []);
  const late = h.at(2000).feed({ type: 'timer', name: 'kill-wait' });
  t.ok(late.some((e) => e.type === 'log' && e.event.kind === 'leftovers-kill-wait-expired'));
  t.same(exits(late), [{ type: 'exit', code: 2 }]);
});

t.test('after the exit effect, nothing more happens', async (t) => {
  const h = running();
  h.feed({ type: 'reaped', pid: 10, status: { code: 0 } });
  h.feed({ type: 'sweep-done', childrenLeft: false });
  t.equal(h.state.phase.kind, 'done');
  t.same(sends(h.feed({ type: 'signal', signo: 15 })), []);
  t.same(h.feed({ type: 'sweep-done', childrenLeft: false }), []);
});
