import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { root } from '../helpers/fixtures.js';
import { startPid1 } from '../helpers/init.js';

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

t.test('--help lists every option and examples, exits 0', async (t) => {
  const result = await startPid1([], { flags: ['--help'], noSeparator: true });
  t.equal(result.exitCode, 0);
  for (const flag of ['--pgroup', '--rewrite', '--remap-exit', '--leftover-grace', '--subreaper', '--pdeathsig', '--warn-on-reap', '--verbose', '--log-format', '--shutdown-on', '--stop-signal', '--drain', '--drain-idle', '--drain-port', '--grace', '--kill-margin', '--health', '--ready-file', 'lastcall explain', 'Examples', 'LASTCALL_']) {
    t.match(result.stdout, flag);
  }
});

t.test('--version prints the package version', async (t) => {
  const result = await startPid1([], { flags: ['--version'], noSeparator: true });
  t.equal(result.stdout.trim(), pkg.version);
  t.equal(result.exitCode, 0);
});

t.test('tini\'s short flags work together: -s -g -e -p -v -w', async (t) => {
  const result = await startPid1(['sh', '-c', 'exit 3'], { flags: ['-s', '-g', '-e', '3', '-p', 'SIGKILL', '-v', '-w'] });
  t.equal(result.exitCode, 0, `-e 3 remapped 3; stderr: ${result.stderr}`);
});

t.test('every option can be set as LASTCALL_<NAME>; a flag wins over the variable', async (t) => {
  const fromEnv = await startPid1(['sh', '-c', 'exit 3'], { env: { LASTCALL_REMAP_EXIT: '3,4', LASTCALL_VERBOSE: '1' } });
  t.equal(fromEnv.exitCode, 0);
  t.match(fromEnv.stderr, /exiting with 0 \(remapped from 3\)/);
  const bad = await startPid1(['true'], { env: { LASTCALL_LEFTOVER_GRACE: 'soon' } });
  t.equal(bad.exitCode, 2);
  t.match(bad.stderr, /--leftover-grace: .*`soon`/);
  const flagWins = await startPid1(['true'], { env: { LASTCALL_LEFTOVER_GRACE: 'soon' }, flags: ['--leftover-grace', '1s'] });
  t.equal(flagWins.exitCode, 0);
  const badBool = await startPid1(['true'], { env: { LASTCALL_PGROUP: 'maybe' } });
  t.equal(badBool.exitCode, 2);
  t.match(badBool.stderr, /LASTCALL_PGROUP: .*`maybe`/);
});

t.test('-v logs short human lines on stderr: start, exit and the status', async (t) => {
  const result = await startPid1(['sh', '-c', 'kill -TERM $$'], { flags: ['-v'] });
  t.equal(result.exitCode, 143);
  const lines = result.stderr.trim().split('\n');
  t.match(lines[0], /^lastcall \+\d+\.\d{3}s: started sh -c 'kill -TERM \$\$' as pid \d+$/);
  t.match(result.stderr, /was killed by SIGTERM/);
  t.match(lines.at(-1), /exiting with 143$/);
});

t.test('--log-format json writes one pino JSON object per line, with the event named', async (t) => {
  const result = await startPid1(['sh', '-c', 'exit 6'], { flags: ['--log-format', 'json'] });
  t.equal(result.exitCode, 6);
  const events = result.stderr.trim().split('\n').map((line) => JSON.parse(line) as { event: string; level: number; name: string; time: number; msg: string });
  t.same(events.map((e) => e.event), ['spawned', 'readiness', 'program-exited', 'readiness', 'exiting']);
  t.ok(events.every((e) => e.name === 'lastcall' && typeof e.time === 'number' && e.level === 30 && e.msg.length > 0));
});

t.test('-w warns for every zombie reaped', async (t) => {
  const result = await startPid1(['sh', '-c', '(sh -c "exit 9" &); sleep 0.3'], { flags: ['-w'] });
  t.equal(result.exitCode, 0);
  t.match(result.stderr, /reaped zombie pid \d+ \(exited with code 9\)/);
});

t.test('check --config validates a config, prints start and stop order, and runs nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lastcall-check-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const good = join(dir, 'good.yaml');
  writeFileSync(good, 'drain: 2s\ngrace: 10s\nprograms:\n  db: { command: [postgres], ready: { tcp: 5432 } }\n  web: { command: [nginx], depends_on: [db], stop: { signal: QUIT } }\n');
  const ok = await startPid1(['check', '--config', good], { noSeparator: true });
  t.equal(ok.exitCode, 0, ok.stderr);
  t.match(ok.stdout, /1\. db .*\n  2\. web .*after db ready/);
  t.match(ok.stdout, /Stop order[^\n]*\n  1\. web: SIGQUIT/);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'programs:\n  web: { command: nginx, depends_on: [db] }\n');
  const refused = await startPid1(['check', bad], { noSeparator: true });
  t.equal(refused.exitCode, 2);
  const lines = refused.stderr.trim().split('\n');
  t.equal(lines.length, 2, refused.stderr);
  t.ok(lines.every((l) => l.startsWith(`lastcall: ${bad}:2:`)), 'each problem at file:line:column');
  const missing = await startPid1(['check', '--config', join(dir, 'nope.yaml')], { noSeparator: true });
  t.equal(missing.exitCode, 2);
  t.match(missing.stderr, /cannot read it \(ENOENT\)/);
});
