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
  t.equal(plan.programs[0]!.name, 'nginx');
  t.equal(plan.leftoverGraceMs, 2000);
  t.equal(plan.log.level, 'debug');
  t.equal(buildPlan({ command: ['x'], logFormat: 'json' }).log.level, 'info', 'json implies the timeline');
  t.equal(buildPlan({ command: ['x'] }).log.level, 'warn', 'quiet by default');
  t.ok(Object.isFrozen(plan));
});

t.test('arguments with NUL bytes are refused: no program could receive them', async (t) => {
  t.throws(() => buildPlan({ command: ['sh', '-c', 'a\0b'] }), /NUL byte/);
});

t.test('shutdown options: defaults, and inconsistent combinations refused with the fix', async (t) => {
  const plan = buildPlan({ command: ['x'] });
  t.same([...plan.shutdown.signals], [15, 2]);
  t.equal(plan.shutdown.graceMs, 30_000);
  t.equal(plan.shutdown.killMarginMs, 2000);
  t.equal(plan.shutdown.drainMs, 0);
  t.same(buildPlan({ command: ['x'], health: ':8079' }).shutdown.health, { host: '0.0.0.0', port: 8079 });
  t.same(buildPlan({ command: ['x'], health: '127.0.0.1:9' }).shutdown.health, { host: '127.0.0.1', port: 9 });
  t.same(buildPlan({ command: ['x'], health: '[::1]:80' }).shutdown.health, { host: '::1', port: 80 });
  const refused: [Partial<Parameters<typeof buildPlan>[0]>, RegExp][] = [
    [{ drain: 'soon' }, /--drain: expected a duration like 2s, 500ms or 1m30s, got `soon`/],
    [{ grace: '-5s' }, /--grace: .*`-5s`/],
    [{ drain: '30s' }, /--drain 30s is not shorter than --grace 30s minus --kill-margin 2s/],
    [{ grace: '5s', killMargin: '5s' }, /--kill-margin 5s is not shorter than --grace 5s/],
    [{ drain: '5s', drainIdle: '1s' }, /--drain-idle and --drain-port go together/],
    [{ drainPort: ['80'] }, /--drain-idle and --drain-port go together/],
    [{ drainIdle: '1s', drainPort: ['80'] }, /--drain-idle needs --drain/],
    [{ drain: '2s', drainIdle: '2s', drainPort: ['80'] }, /--drain-idle 2s is not shorter than --drain 2s/],
    [{ drain: '5s', drainIdle: '1s', drainPort: ['http'] }, /--drain-port: expected a TCP port .*`http`/],
    [{ drainIdle: '1s', drain: '5s', drainPort: ['70000'] }, /--drain-port: .*`70000`/],
    [{ stopSignal: 'QUITE' }, /--stop-signal: .*`QUITE`/],
    [{ shutdownOn: ['TERM,NOPE'] }, /--shutdown-on: .*`NOPE`/],
    [{ health: 'localhost' }, /--health: expected an address like :8079/],
    [{ health: ':99999' }, /--health: .*`:99999`/],
  ];
  for (const [options, message] of refused) {
    t.throws(() => buildPlan({ command: ['x'], ...options }), { name: 'UsageError', message }, JSON.stringify(options));
  }
});
