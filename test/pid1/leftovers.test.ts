import t from 'tap';
import { startPid1, startWatched, timeline } from '../helpers/init.js';

// A daemon that escaped into its own session (setsid), as a forking server would.
const escapee = (onTerm: string) => `setsid sh -c 'trap "${onTerm}" TERM; echo escapee-ready; while :; do sleep 0.05; done' &`;

t.test('a leftover that handles SIGTERM gets it after the main program exits, and the init exits as soon as it is gone', async (t) => {
  const started = Date.now();
  const result = await startPid1(['sh', '-c', `${escapee('echo escapee-got-TERM; exit 0')} sleep 0.3; exit 7`]);
  const elapsed = Date.now() - started;
  t.equal(result.exitCode, 7, 'the main program\'s status, not the leftover\'s');
  t.match(result.stdout, /escapee-got-TERM/, 'the escapee was told to stop and could finish its work');
  t.ok(elapsed < 1900, `did not wait for the 2 s grace to run out (took ${elapsed} ms)`);
});

t.test('a leftover that ignores SIGTERM is SIGKILLed when --leftover-grace runs out, and the kill is logged', async (t) => {
  const result = await startPid1(['sh', '-c', `${escapee('')} sleep 0.3; exit 5`], { flags: ['--leftover-grace', '1s', '--log-format', 'json'] });
  t.equal(result.exitCode, 5);
  const events = timeline(result.stderr);
  const exited = events.find((e) => e.event === 'program-exited');
  const term = events.find((e) => e.event === 'signal-sent' && e.reason === 'leftover-term');
  const kill = events.find((e) => e.event === 'signal-sent' && e.reason === 'leftover-kill');
  const exiting = events.find((e) => e.event === 'exiting');
  t.ok(exited && term && kill && exiting, 'program-exited, leftover-term, leftover-kill and exiting are all in the timeline');
  if (!exited || !term || !kill || !exiting) return;
  t.ok((kill.pids as number[]).length >= 1, 'the kill names the processes it killed');
  // The grace runs from the program's exit. Sized for a loaded 2-core machine: a timer may fire late, never early.
  const grace = kill.t - exited.t;
  t.ok(grace >= 1000 && grace <= 1000 + 150, `SIGKILL ${grace} ms after the program exited (planned 1000)`);
  t.ok(term.t <= exited.t + 50, `SIGTERM to the leftovers ${term.t - exited.t} ms after the program exited`);
  t.ok(exiting.t - kill.t <= 500, `exited ${exiting.t - kill.t} ms after the SIGKILL`);
});

t.test('--leftover-grace 0 SIGKILLs leftovers at once', async (t) => {
  const started = Date.now();
  const result = await startPid1(['sh', '-c', `${escapee('')} sleep 0.3; exit 0`], { flags: ['--leftover-grace', '0'] });
  t.equal(result.exitCode, 0);
  t.ok(Date.now() - started < 1500, `exited in ${Date.now() - started} ms`);
});

t.test('a stopped leftover is woken so it can handle SIGTERM', async (t) => {
  const stopped = `sh -c 'trap "echo stopped-one-got-TERM; exit 0" TERM; kill -STOP $$; while :; do sleep 0.05; done' &`;
  const result = await startPid1(['sh', '-c', `${stopped} sleep 0.3; exit 0`], { flags: ['--leftover-grace', '5s'] });
  t.equal(result.exitCode, 0);
  t.match(result.stdout, /stopped-one-got-TERM/);
});

t.test('a second SIGTERM during the leftover grace kills the leftovers at once', async (t) => {
  const run = await startWatched(['sh', '-c', `${escapee('')} sleep 0.3; exit 0`], { flags: ['--leftover-grace', '20s', '-v'] });
  await run.err.waitFor(/sent SIGTERM to \d+ leftover/);
  const sent = Date.now();
  process.kill(run.initPid, 'SIGTERM');
  const result = await run.child;
  t.equal(result.exitCode, 0);
  t.ok(Date.now() - sent < 2000, `exited ${Date.now() - sent} ms after the second SIGTERM, not after the 20 s grace`);
  t.match(result.stderr, /SIGKILLed \d+ leftover/);
});
