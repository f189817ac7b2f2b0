import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { fixture } from '../helpers/fixtures.js';
import { startPid1, startWatched } from '../helpers/init.js';

const sigrecord = fixture('sigrecord');
const scratch = mkdtempSync(join(tmpdir(), 'lastcall-spawn-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

t.test('argv reaches the program verbatim, with no shell in between', async (t) => {
  const args = ['a b', '', '$HOME', '*', "it's", '--', '-v', 'ünïcødé'];
  const result = await startPid1(['printf', '[%s]\\n', ...args]);
  t.equal(result.stdout, args.map((a) => `[${a}]\n`).join(''));
  t.equal(result.exitCode, 0);
});

t.test('the program does not need `--` when it follows the options', async (t) => {
  const result = await startPid1(['sh', '-c', 'echo "$0 $1"', 'x', '-v']);
  t.equal(result.stdout, 'x -v\n', 'options after the program name belong to the program');
});

t.test('environment and working directory pass through', async (t) => {
  const result = await startPid1(['sh', '-c', 'echo "$FOO|$EMPTY|$(pwd)"'], { env: { FOO: 'bar baz', EMPTY: '' }, cwd: scratch });
  t.equal(result.stdout, `bar baz||${scratch}\n`);
});

t.test('stdin, stdout and stderr pass through', async (t) => {
  const run = startPid1(['sh', '-c', 'read line; echo "out:$line"; echo "err:$line" >&2'], { stdin: 'pipe' });
  run.stdin!.end('hello\n');
  const result = await run;
  t.equal(result.stdout, 'out:hello\n');
  t.equal(result.stderr, 'err:hello\n');
});

t.test('inherited file descriptors above 2 pass through (socket activation)', async (t) => {
  const result = await startPid1(['sh', '-c', 'echo "fds:$LISTEN_FDS" >&3; echo via-fd-4 >&4'], {
    env: { LISTEN_FDS: '2' },
    extraFds: ['pipe', 'pipe'],
  });
  const fd3 = (result as unknown as { stdio: string[] }).stdio[3];
  const fd4 = (result as unknown as { stdio: string[] }).stdio[4];
  t.equal(fd3, 'fds:2\n');
  t.equal(fd4, 'via-fd-4\n');
  t.equal(result.exitCode, 0);
});

t.test('the program starts with default signal dispositions and an empty signal mask', async (t) => {
  // Node itself ignores SIGPIPE and SIGXFSZ; a child must not inherit that.
  const run = await startWatched([sigrecord, '--exit-on', '15']);
  await run.out.waitFor(/^ready /);
  process.kill(run.initPid, 'SIGTERM');
  const result = await run.child;
  t.match(result.stdout, /^ready .* ign=0000000000000000 blk=0000000000000000$/m);
});

t.test('the program is the leader of its own process group', async (t) => {
  const result = await startPid1(['sh', '-c', 'read -r s </proc/$$/stat; set -- ${s##*) }; echo "pid=$$ pgid=$3"']);
  const m = /pid=(\d+) pgid=(\d+)/.exec(result.stdout);
  t.ok(m && m[1] === m[2], result.stdout);
});

t.test('a program that is not found exits 127 and the message names it', async (t) => {
  const result = await startPid1(['no-such-program-xyz', 'arg']);
  t.equal(result.exitCode, 127);
  t.match(result.stderr, /no-such-program-xyz/);
  t.equal(result.stderr.trim().split('\n').length, 1, `one line: ${result.stderr}`);
});

t.test('a program that is not executable exits 126 and the message names it', async (t) => {
  const file = join(scratch, 'not-executable.sh');
  writeFileSync(file, '#!/bin/sh\necho hi\n');
  chmodSync(file, 0o644);
  for (const target of [file, scratch]) {
    const result = await startPid1([target]);
    t.equal(result.exitCode, 126, target);
    t.match(result.stderr, target);
  }
});

t.test('a script without a #! line is not executable: 126', async (t) => {
  const file = join(scratch, 'no-shebang');
  writeFileSync(file, 'echo hi\n');
  chmodSync(file, 0o755);
  const result = await startPid1([file]);
  t.equal(result.exitCode, 126);
});

t.test('no program is a usage error: exit 2 with a one-line hint', async (t) => {
  for (const flags of [[], ['-v']]) {
    for (const noSeparator of [false, true]) {
      const result = await startPid1([], { flags, noSeparator });
      const what = `${flags.join(' ')}${noSeparator ? '' : ' --'}`;
      t.equal(result.exitCode, 2, `\`${what}\` exits 2`);
      t.match(result.stderr, /program/, `\`${what}\`: ${result.stderr.trim()}`);
    }
  }
});

t.test('invalid options exit 2 with one line that names the value, and spawn nothing', async (t) => {
  const marker = join(scratch, 'spawned');
  const cases: [string[], RegExp][] = [
    [['--bogus'], /--bogus/],
    [['-r', 'TERM'], /--rewrite: .*`TERM`/],
    [['-r', 'TERM:NOPE'], /`NOPE`/],
    [['-r', '99:1'], /`99`/],
    [['-r', 'KILL:TERM'], /KILL cannot be caught/],
    [['-e', '300'], /--remap-exit: .*`300`/],
    [['-p', 'sigterm2'], /--pdeathsig: .*`sigterm2`/],
    [['--leftover-grace', '2 seconds'], /--leftover-grace: .*`2 seconds`/],
    [['--leftover-grace', '-1s'], /--leftover-grace/],
    [['--log-format', 'xml'], /--log-format: .*`xml`/],
    [['--pgroup=yes'], /--pgroup/],
  ];
  for (const [flags, message] of cases) {
    const result = await startPid1(['touch', marker], { flags });
    t.equal(result.exitCode, 2, `${flags.join(' ')} exits 2`);
    t.match(result.stderr, message, `${flags.join(' ')}: ${result.stderr.trim()}`);
    t.equal(result.stderr.trim().split('\n').length, 1, `${flags.join(' ')}: one line`);
    t.notOk(existsSync(marker), `${flags.join(' ')}: nothing was spawned`);
  }
});
