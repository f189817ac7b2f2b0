// lastcall when it is NOT PID 1: on a laptop, in CI, under another init. No namespace here.
import { execa } from 'execa';
import t from 'tap';
import { fixture } from '../helpers/fixtures.js';
import { cleanEnvArgv, initArgv, signalsIn } from '../helpers/init.js';

const orphans = fixture('orphans');
const sigrecord = fixture('sigrecord');

function run(args: string[], options: { timeout?: number } = {}) {
  const argv = [...cleanEnvArgv(), ...initArgv(), ...args];
  return execa(argv[0]!, argv.slice(1), { reject: false, timeout: options.timeout ?? 60_000, stripFinalNewline: false });
}

t.test('not PID 1, it adopts orphans as a child subreaper and reaps them all', async (t) => {
  const result = await run(['--', orphans, '2000', '200', '20000']);
  const m = /witness_ppid=(\d+) init=(\d+) .* zombies=(\d+)/.exec(result.stdout);
  t.ok(m, result.stdout);
  if (!m) return;
  t.equal(m[1], m[2], 'the orphan\'s new parent is the init, not the machine\'s PID 1');
  t.equal(m[3], '0', 'no zombie left under the init');
  t.equal(result.exitCode, 0);
});

t.test('-s is accepted (tini compatibility) and changes nothing', async (t) => {
  const result = await run(['-s', '--', 'sh', '-c', 'exit 4']);
  t.equal(result.exitCode, 4);
  t.equal(result.stderr, '');
});

t.test('-p SIG: when the init\'s parent dies, the init gets SIG and forwards it', async (t) => {
  // A parent shell starts the init in the background and exits at once; the recorder exits on USR2.
  const init = [...cleanEnvArgv(), ...initArgv()].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const result = await execa('sh', ['-c', `${init} -p SIGUSR2 -- ${sigrecord} --exit-on 12 & sleep 0.5; exit 0`], { reject: false, timeout: 20_000, stripFinalNewline: false });
  // The shell's stdout is shared with the init and the recorder; execa waits until they close it.
  t.match(result.stdout, /^signal 12 from \d+ /m, 'the recorder got SIGUSR2');
  t.equal(signalsIn(result.stdout).length, 1);
});

t.test('not PID 1, a realtime signal never kills the init (its default action would)', async (t) => {
  const argv = [...cleanEnvArgv(), ...initArgv(), '--', sigrecord, '--exit-on', '15'];
  const child = execa(argv[0]!, argv.slice(1), { reject: false, timeout: 20_000, stripFinalNewline: false });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  while (!out.includes('ready')) await new Promise((resolve) => setTimeout(resolve, 10));
  // execa runs `env`, which execs the init: the child's pid is the init's.
  process.kill(child.pid!, 40);
  await new Promise((resolve) => setTimeout(resolve, 200));
  process.kill(child.pid!, 'SIGTERM');
  const result = await child;
  t.equal(result.exitCode, 0, 'the init lived on and passed SIGTERM through');
  t.match(result.stdout, /^signal 15 from /m);
});
