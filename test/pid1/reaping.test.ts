import { readdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import { fixture } from '../helpers/fixtures.js';
import { sleep, startPid1, startWatched } from '../helpers/init.js';

const orphans = fixture('orphans');
const sigrecord = fixture('sigrecord');

t.test('10 000 orphans exiting in bursts are all reaped: no zombie left in the namespace', async (t) => {
  const result = await startPid1([orphans, '10000', '500', '20000'], { timeout: 180_000 });
  t.match(result.stdout, /witness_ppid=1 init=1 /, 'orphans were adopted by PID 1');
  t.match(result.stdout, / zombies=0 /, 'no zombie whose parent is PID 1 was left');
  t.equal(result.exitCode, 0, result.stdout);
});

/** Context switches of every thread of a process: each one is a wake-up. */
function wakeups(pid: number): number {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
    total += Number(/voluntary_ctxt_switches:\s*(\d+)/.exec(status)?.[1] ?? 0);
    total += Number(/nonvoluntary_ctxt_switches:\s*(\d+)/.exec(status)?.[1] ?? 0);
  }
  return total;
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (10 ms)
}

t.test('an idle init does not poll: no wake-ups and no CPU over 5 s with a sleeping program', async (t) => {
  const run = await startWatched([sigrecord, '--exit-on', '15']);
  await run.out.waitFor(/^ready /);
  await sleep(1000); // let start-up work (module loading, a first GC) finish before counting
  const before = { wakeups: wakeups(run.initPid), cpu: cpuTicks(run.initPid) };
  await sleep(5000);
  const after = { wakeups: wakeups(run.initPid), cpu: cpuTicks(run.initPid) };
  process.kill(run.initPid, 'SIGTERM');
  await run.child;
  // A 1-second tick (tini, supervisord) shows 5 or more here.
  t.ok(after.wakeups - before.wakeups <= 2, `${after.wakeups - before.wakeups} wake-ups in 5 s`);
  t.ok(after.cpu - before.cpu <= 1, `${(after.cpu - before.cpu) * 10} ms of CPU in 5 s`);
});
