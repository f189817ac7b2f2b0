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

t.test('a storm of exits: the reaper polls instead of waking at each SIGCHLD, then listens again', async (t) => {
  libc.setChildSubreaper();
  const codes: number[] = [];
  const reaper = new Reaper({ reaped: (_pid, status) => codes.push('code' in status ? status.code : -1), sweepDone: () => {} });
  const waitFor = async (what: string, ok: () => boolean): Promise<void> => {
    const deadline = Date.now() + 20_000;
    while (!ok() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    t.ok(ok(), what);
  };
  reaper.listen();
  t.ok(process.listeners('SIGCHLD').includes(reaper.sweep), 'listening for SIGCHLD');
  // perl forks 2000 children that exit at once and never reaps them; when perl exits they are
  // ours, 2000 zombies at a time (spawned with posix_spawn: not Node's child).
  const env = [`PATH=${process.env.PATH}`];
  libc.spawn({ file: 'perl', argv: ['perl', '-e', 'for (1..2000) { exit 3 if fork == 0 } exit 4'], env, keepFds: [], takeTerminal: false });
  await waitFor('perl and its 2000 children were reaped', () => codes.length === 2001);
  t.equal(codes.filter((c) => c === 3).length, 2000, 'each child with its status');
  t.equal(reaper.storms, 1, 'that was a storm');
  await waitFor('after a few quiet polls the reaper listens for SIGCHLD again', () => process.listeners('SIGCHLD').includes(reaper.sweep));
  libc.spawn({ file: 'sh', argv: ['sh', '-c', 'exit 5'], env, keepFds: [], takeTerminal: false });
  await waitFor('and a single exit after the storm is reaped (so a SIGCHLD woke it)', () => codes.length === 2002);
  t.equal(codes.at(-1), 5);
  reaper.stop();
  t.notOk(process.listeners('SIGCHLD').includes(reaper.sweep), 'stop() stops listening');
});
