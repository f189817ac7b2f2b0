// Crash-loop backoff and dependency gates, exactly, with times as plain numbers.
import t from 'tap';
import { gate } from '../../src/supervisor/gating.js';
import { decideRestart } from '../../src/supervisor/restart.js';

const longrun = (restart: Partial<{ policy: 'never' | 'on-failure' | 'always'; initialMs: number; maxMs: number; maxRestarts: number; windowMs: number }> = {}) => ({
  type: 'longrun' as const,
  restart: { policy: 'on-failure' as const, initialMs: 1000, maxMs: 30_000, maxRestarts: 5, windowMs: 60_000, ...restart },
});

t.test('backoff doubles from initial per restart inside the window, capped at max', async (t) => {
  const spec = longrun({ maxRestarts: 10, maxMs: 5000 });
  const history: number[] = [];
  const delays: number[] = [];
  let now = 0;
  for (let i = 0; i < 6; i++) {
    const decision = decideRestart(spec, { code: 1 }, history, now);
    if (decision.kind !== 'restart') throw new Error(decision.kind);
    delays.push(decision.at - now);
    history.push(decision.at);
    now = decision.at + 10; // crashes 10 ms after each start
  }
  t.same(delays, [1000, 2000, 4000, 5000, 5000, 5000]);
});

t.test('past max_restarts inside the window the program is failed; restarts outside it do not count', async (t) => {
  const spec = longrun({ maxRestarts: 3, windowMs: 10_000 });
  const decision = decideRestart(spec, { code: 1 }, [1000, 2000, 3000], 5000);
  t.equal(decision.kind, 'give-up');
  t.match(decision.kind === 'give-up' ? decision.why : '', /restarted 3 times within 10s \(max_restarts 3\)/);
  const later = decideRestart(spec, { code: 1 }, [1000, 2000, 3000], 12_500);
  t.same(later, { kind: 'restart', at: 12_500 + 2000, attempt: 2 }, 'only the restart at 3000 is inside the window');
});

t.test('policies: never stays down, on-failure restarts only failures, always restarts a clean exit too', async (t) => {
  t.same(decideRestart(longrun({ policy: 'never' }), { code: 1 }, [], 0), { kind: 'stay-down', why: 'policy' });
  t.same(decideRestart(longrun(), { code: 0 }, [], 0), { kind: 'stay-down', why: 'policy' });
  t.equal(decideRestart(longrun(), { signal: 9 }, [], 0).kind, 'restart', 'death by signal is a failure');
  t.equal(decideRestart(longrun({ policy: 'always' }), { code: 0 }, [], 0).kind, 'restart');
});

t.test('a oneshot that exits 0 has completed; a failing one follows its policy', async (t) => {
  const oneshot = { ...longrun(), type: 'oneshot' as const };
  t.same(decideRestart(oneshot, { code: 0 }, [], 0), { kind: 'stay-down', why: 'completed' });
  t.equal(decideRestart(oneshot, { code: 2 }, [], 0).kind, 'restart');
  t.same(decideRestart({ ...oneshot, restart: { ...oneshot.restart, policy: 'never' } }, { code: 2 }, [], 0), { kind: 'stay-down', why: 'policy' });
});

t.test('gates: open when every condition is met, wait otherwise, blocked when it never can be', async (t) => {
  const deps = [{ name: 'migrate', condition: 'completed' as const }, { name: 'php', condition: 'ready' as const }];
  t.same(gate(deps, (n) => (n === 'migrate' ? 'completed' : 'ready')), { kind: 'open' });
  t.same(gate(deps, (n) => (n === 'migrate' ? 'completed' : 'started')), { kind: 'wait', on: ['php'] });
  t.same(gate(deps, () => 'waiting'), { kind: 'wait', on: ['migrate', 'php'] });
  t.same(gate(deps, (n) => (n === 'migrate' ? 'failed' : 'ready')), { kind: 'blocked', by: 'migrate', why: 'migrate failed before it was completed' });
  t.same(gate([{ name: 'db', condition: 'started' }], () => 'ready'), { kind: 'open' }, 'ready implies started');
  t.same(gate([{ name: 'job', condition: 'started' }], () => 'completed'), { kind: 'open' }, 'a completed oneshot has started');
  t.same(gate([{ name: 'db', condition: 'ready' }], () => 'completed'), { kind: 'blocked', by: 'db', why: 'db exited before it was ready' });
  t.same(gate([{ name: 'db', condition: 'started' }], () => 'stopped'), { kind: 'blocked', by: 'db', why: 'db stopped before it was started' });
});
