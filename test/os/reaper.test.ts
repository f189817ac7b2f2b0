// The reaper beside Node's own child_process, in one process: libuv must still see every exit
// of the children it spawned (waitpid(-1) would steal them), and every orphan must be reaped.
import { spawn } from 'node:child_process';
import t from 'tap';
import * as libc from '../../src/os/libc.js';
import { hasNodeChildren, isNodeChild, trackChild } from '../../src/os/node-children.js';
import { Reaper } from '../../src/os/reaper.js';

t.test('orphans are reaped while 300 child_process children still get their own exit events', async (t) => {
  libc.setChildSubreaper(); // this test process adopts the orphans
  const orphanExits: number[] = [];
  // The registry lastcall uses: peek while a child_process child lives, waitpid(-1) once none does
  // (orphans still exiting after the last child_process child are reaped that way).
  const reaper = new Reaper(
    { reaped: (_pid, status) => orphanExits.push('code' in status ? status.code : -1), sweepDone: () => {} },
    isNodeChild,
    hasNodeChildren,
  );
  process.on('SIGCHLD', reaper.sweep);
  // libuv handles SIGCHLD before our listener, so on its own it usually wins the race. Sweeping at
  // arbitrary moments too, as an orphan's SIGCHLD can, makes the reaper meet Node's zombies first.
  const meddler = setInterval(reaper.sweep, 1);

  const ORPHAN_MAKERS = 20;
  const PER_MAKER = 50;
  const CHILDREN = 300;
  const childExits: Promise<[number, number | null]>[] = [];
  for (let i = 0; i < CHILDREN; i++) {
    if (i < ORPHAN_MAKERS) {
      // Each maker leaves 50 orphans that exit with 7 a moment later, while its siblings are exiting too.
      const maker = trackChild(spawn('sh', ['-c', `for i in $(seq ${PER_MAKER}); do (sleep 0.0$((RANDOM % 9)); exit 7) & done; exit ${i % 256}`]));
      childExits.push(new Promise((resolve) => maker.on('exit', (code) => resolve([i % 256, code]))));
    } else {
      const child = trackChild(spawn('sh', ['-c', `exit ${i % 256}`]));
      childExits.push(new Promise((resolve) => child.on('exit', (code) => resolve([i % 256, code]))));
    }
  }
  const timeout = new Promise<'lost'>((resolve) => setTimeout(() => resolve('lost'), 30_000).unref());
  const results = await Promise.race([Promise.all(childExits), timeout]);
  clearInterval(meddler);
  if (results === 'lost') return t.fail('some child_process children never reported their exit: their status was stolen');
  t.same(results.filter(([want, got]) => want !== got), [], 'every child_process child reported its own exit code');

  const deadline = Date.now() + 20_000;
  while (orphanExits.length < ORPHAN_MAKERS * PER_MAKER && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  process.off('SIGCHLD', reaper.sweep);
  reaper.stop();
  t.equal(orphanExits.length, ORPHAN_MAKERS * PER_MAKER, 'every orphan was reaped by the reaper');
  t.ok(orphanExits.every((code) => code === 7), 'with its real status');
  t.equal(libc.peekExited(), -1, 'nothing is left to reap');
});
