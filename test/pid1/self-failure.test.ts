import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { execa } from 'execa';
import { cleanEnvArgv, initArgv, sleep } from '../helpers/init.js';

// Run NOT as PID 1 on purpose: as PID 1 the kernel would kill everything when the init dies,
// hiding whether the init cleaned up itself. Here a careless crash would leave the sleeps running.
t.test('an internal error SIGKILLs every descendant and exits 125, leaving no orphan', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lastcall-crash-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pids = join(dir, 'pids');
  const program = ['sh', '-c', `sleep 300 & echo $! >> ${pids}; setsid sleep 300 & echo $! >> ${pids}; echo $$ >> ${pids}; wait`];
  const argv = [...cleanEnvArgv({ LASTCALL_INJECT_FAULT: '500' }), ...initArgv(), '--', ...program];
  const result = await execa(argv[0]!, argv.slice(1), { reject: false, timeout: 20_000 });
  t.equal(result.exitCode, 125, 'the documented exit code for a failure of lastcall itself');
  t.match(result.stderr, /internal error: .*injected fault/);
  await sleep(100);
  const left = readFileSync(pids, 'utf8').trim().split('\n').filter((pid) => existsSync(`/proc/${pid}`) && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')));
  t.same(left, [], 'no process of the program is still alive');
});
