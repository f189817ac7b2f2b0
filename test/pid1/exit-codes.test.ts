import t from 'tap';
import { startPid1 } from '../helpers/init.js';

// Run a few at a time: each is a whole PID namespace with a Node start-up.
async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

t.test('exits with the program\'s exit code, for every code 0-255', async (t) => {
  const codes = Array.from({ length: 256 }, (_, i) => i);
  const wrong: string[] = [];
  await inBatches(codes, 8, async (code) => {
    const result = await startPid1(['sh', '-c', `exit ${code}`]);
    if (result.exitCode !== code) wrong.push(`${code} -> ${result.exitCode} (${result.stderr.trim()})`);
  });
  t.same(wrong, [], 'every exit code passes through unchanged');
});

t.test('exits with 128+N when the program is killed by signal N', async (t) => {
  // Signals whose default action ends the process.
  const fatal = [1, 2, 3, 4, 6, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 31, 34, 40, 64];
  const wrong: string[] = [];
  await inBatches(fatal, 8, async (signo) => {
    const result = await startPid1(['sh', '-c', `kill -${signo} $$; sleep 5`]);
    if (result.exitCode !== 128 + signo) wrong.push(`signal ${signo} -> ${result.exitCode}`);
  });
  t.same(wrong, [], 'every fatal signal N gives 128+N');
});

t.test('-e CODE reports CODE as 0 and leaves other codes alone', async (t) => {
  const remapped = await startPid1(['sh', '-c', 'exit 3'], { flags: ['-e', '3'] });
  t.equal(remapped.exitCode, 0);
  const twice = await startPid1(['sh', '-c', 'kill -TERM $$'], { flags: ['-e', '3', '-e', '143'] });
  t.equal(twice.exitCode, 0, '128+15 can be remapped too');
  const other = await startPid1(['sh', '-c', 'exit 4'], { flags: ['-e', '3'] });
  t.equal(other.exitCode, 4);
});

t.test('a clean run prints nothing of its own', async (t) => {
  const result = await startPid1(['sh', '-c', 'echo out; echo err >&2; exit 0']);
  t.equal(result.stdout, 'out\n');
  t.equal(result.stderr, 'err\n');
  t.equal(result.exitCode, 0);
});
