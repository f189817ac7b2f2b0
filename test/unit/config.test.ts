import t from 'tap';
import { parseDuration } from '../../src/config/duration.js';
import { UsageError } from '../../src/config/errors.js';
import { buildPlan } from '../../src/config/plan.js';
import { parseSignal, signalName } from '../../src/config/signals.js';

t.test('durations: units, compounds and bare seconds', async (t) => {
  const cases: [string, number][] = [['2s', 2000], ['500ms', 500], ['1.5s', 1500], ['1m30s', 90_000], ['2', 2000], ['0', 0], ['1h', 3_600_000], ['0.25', 250]];
  for (const [text, ms] of cases) t.equal(parseDuration(text, '--x'), ms, text);
  for (const bad of ['', 'soon', '-1s', '2 s', '1d', 's', '1s2', '1.s']) {
    t.throws(() => parseDuration(bad, '--x'), { name: 'UsageError', message: /--x: expected a duration like 2s/ }, JSON.stringify(bad));
  }
});

t.test('signals: names with or without SIG, any case, numbers, realtime offsets', async (t) => {
  const cases: [string, number][] = [['TERM', 15], ['SIGTERM', 15], ['sigquit', 3], ['15', 15], ['RTMIN', 34], ['SIGRTMIN+2', 36], ['RTMAX-1', 63], ['64', 64]];
  for (const [text, n] of cases) t.equal(parseSignal(text, '--s'), n, text);
  t.equal(parseSignal('0', '--s', { allowZero: true }), 0);
  for (const bad of ['0', '65', 'TERMINATE', 'RTMIN+40', 'RTMAX+1', '', '1.5']) t.throws(() => parseSignal(bad, '--s'), UsageError, JSON.stringify(bad));
  t.equal(signalName(15), 'SIGTERM');
  t.equal(signalName(36), 'SIGRTMIN+2');
  t.equal(signalName(63), 'SIGRTMAX-1');
});

t.test('a plan reports every problem at once, one line each', async (t) => {
  try {
    buildPlan({ command: [], rewrite: ['TERM'], remapExit: ['256'], leftoverGrace: 'x', logFormat: 'xml' });
    t.fail('should have thrown');
  } catch (error) {
    t.type(error, UsageError);
    const lines = (error as Error).message.split('\n');
    t.equal(lines.length, 5, lines.join('\n'));
    t.match(lines.join('\n'), /no program given/);
    t.match(lines.join('\n'), /--rewrite: expected FROM:TO/);
    t.match(lines.join('\n'), /--remap-exit: .*`256`/);
    t.match(lines.join('\n'), /--leftover-grace: .*`x`/);
    t.match(lines.join('\n'), /--log-format: expected human or json, got `xml`/);
  }
});

t.test('a plan in numbers: rewrites, remaps (also comma-separated, as from one variable), verbosity', async (t) => {
  const plan = buildPlan({ command: ['/usr/sbin/nginx', '-g', 'daemon off;'], rewrite: ['15:3,HUP:0'], remapExit: ['143,0'], verbosity: 2 });
  t.same([...plan.rewrite], [[15, 3], [1, 0]]);
  t.same([...plan.remapExit], [143, 0]);
  t.equal(plan.main.name, 'nginx');
  t.equal(plan.leftoverGraceMs, 2000);
  t.equal(plan.log.level, 'debug');
  t.equal(buildPlan({ command: ['x'], logFormat: 'json' }).log.level, 'info', 'json implies the timeline');
  t.equal(buildPlan({ command: ['x'] }).log.level, 'warn', 'quiet by default');
  t.ok(Object.isFrozen(plan));
});

t.test('arguments with NUL bytes are refused: no program could receive them', async (t) => {
  t.throws(() => buildPlan({ command: ['sh', '-c', 'a\0b'] }), /NUL byte/);
});
