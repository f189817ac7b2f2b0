import t from 'tap';
import { UsageError } from '../../src/config/errors.js';
import { parseRunArgs } from '../../src/cli/parse-run.js';

const run = (argv: string[], env: Record<string, string> = {}) => {
  const parsed = parseRunArgs(argv, env);
  if (parsed.kind !== 'run') throw new Error(`expected a run, got ${parsed.kind}`);
  return parsed.options;
};

t.test('options end at `--` or at the first word that is not an option or its value', async (t) => {
  t.same(run(['-g', '--', 'sh', '-c', 'x']).command, ['sh', '-c', 'x']);
  t.same(run(['-g', 'sh', '-c', 'x']).command, ['sh', '-c', 'x']);
  t.same(run(['-r', 'TERM:QUIT', 'nginx', '-g', 'daemon off;']).command, ['nginx', '-g', 'daemon off;']);
  t.same(run(['-rTERM:QUIT', 'nginx']).rewrite, ['TERM:QUIT']);
  t.same(run(['--leftover-grace=3s', 'x']).leftoverGrace, '3s');
  t.same(run(['--', '--version']).command, ['--version'], 'after --, even our own flags are the program\'s');
  t.same(run(['-gv', 'x']).command, ['x']);
});

t.test('counts, groups and repeats: -vvv, -e twice, -ge 3', async (t) => {
  t.equal(run(['-vvv', 'x']).verbosity, 3);
  t.same(run(['-e', '1', '-e', '2', 'x']).remapExit, ['1', '2']);
  const grouped = run(['-ge', '3', 'x']);
  t.equal(grouped.pgroup, true);
  t.same(grouped.remapExit, ['3']);
});

t.test('LASTCALL_<NAME> variables fill in what the flags leave out', async (t) => {
  const options = run(['x'], { LASTCALL_PGROUP: 'true', LASTCALL_REWRITE: '15:3,1:0', LASTCALL_VERBOSE: '2', LASTCALL_LEFTOVER_GRACE: '5s', LASTCALL_LOG_FORMAT: 'json', LASTCALL_WARN_ON_REAP: '1' });
  t.same(options, { command: ['x'], pgroup: true, rewrite: ['15:3,1:0'], remapExit: undefined, leftoverGrace: '5s', pdeathsig: undefined, warnOnReap: true, verbosity: 2, logFormat: 'json' });
  t.equal(run(['--leftover-grace', '1s', 'x'], { LASTCALL_LEFTOVER_GRACE: '5s' }).leftoverGrace, '1s', 'the flag wins');
  t.equal(run(['x'], { LASTCALL_PGROUP: '0' }).pgroup, false);
  t.throws(() => run(['x'], { LASTCALL_PGROUP: 'perhaps' }), UsageError);
  t.throws(() => run(['x'], { LASTCALL_VERBOSE: 'lots' }), UsageError);
  t.throws(() => run(['x'], { LASTCALL_LOG_FORMAT: 'xml' }), /--log-format: expected human or json/);
});

t.test('help and version', async (t) => {
  t.equal(parseRunArgs(['--help'], {}).kind, 'help');
  t.equal(parseRunArgs(['-h'], {}).kind, 'help');
  t.equal(parseRunArgs(['--version'], {}).kind, 'version');
});

t.test('unknown or malformed options: a usage error naming the option', async (t) => {
  t.throws(() => parseRunArgs(['--bogus', 'x'], {}), { name: 'UsageError', message: /unknown option --bogus/ });
  t.throws(() => parseRunArgs(['-x', 'y'], {}), { message: /unknown option -x/ });
  t.throws(() => parseRunArgs(['-r'], {}), { message: /--rewrite needs a value/ });
  t.throws(() => parseRunArgs(['--pgroup=1', 'x'], {}), { message: /--pgroup takes no value/ });
});
