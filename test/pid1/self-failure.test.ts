import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { execa } from 'execa';
import { cleanEnvArgv, initArgv, namespacePrefix } from '../helpers/init.js';

// The init runs NOT as PID 1 here, on purpose: as PID 1 the kernel would kill everything when it
// dies, hiding whether it cleaned up itself. A shell is PID 1 of a fresh namespace instead; it runs
// the init, then reports which of the program's processes are still alive. The namespace (and so
// any init that ignores the fault) ends with the shell, which bounds the test.
t.test('an internal error SIGKILLs every descendant and exits 125, leaving no orphan', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lastcall-crash-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pids = join(dir, 'pids');
  const program = `sleep 300 & echo $! >> ${pids}; setsid sleep 300 & echo $! >> ${pids}; echo $$ >> ${pids}; wait`;
  const init = [...cleanEnvArgv({ LASTCALL_INJECT_FAULT: '500' }), ...initArgv(), '--', 'sh', '-c', program].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const shell = `(sleep 8; kill -KILL -1) & timeout -s KILL 6 ${init}; echo "init-exit=$?"; sleep 0.2
    for pid in $(cat ${pids}); do grep -q '^State:[[:space:]]*Z' /proc/$pid/status 2>/dev/null || { kill -0 $pid 2>/dev/null && echo "alive=$pid"; }; done; exit 0`;
  const prefix = namespacePrefix();
  const result = await execa(prefix[0]!, [...prefix.slice(1), 'sh', '-c', shell], { reject: false, timeout: 30_000 });
  t.match(result.stdout, /^init-exit=125$/m, 'the documented exit code for a failure of lastcall itself');
  t.match(result.stderr, /internal error: .*injected fault/);
  t.same(result.stdout.match(/^alive=\d+$/gm) ?? [], [], 'no process of the program is still alive');
});
