// `lastcall ctl` against a real lastcall --config as PID 1: every command, as an operator runs it.
import { statSync } from 'node:fs';
import t from 'tap';
import { signalsIn } from '../helpers/init.js';
import { fixture } from '../helpers/fixtures.js';
import { startConfig } from '../helpers/multi.js';

t.test('status, signal, stop, start, restart and shutdown over the control socket', async (t) => {
  const sigrecord = fixture('sigrecord');
  const run = await startConfig(t, `
programs:
  web: { command: [sleep, "1000"], restart: always }
  rec: { command: ["${sigrecord}", "--exit-on", "15"], logs: prefix }
`);
  await run.waitForEvent((e) => e.event === 'spawned' && e.program === 'rec');
  await run.out.waitFor(/^rec \| ready/);
  t.equal(statSync(run.socket).mode & 0o777, 0o600, 'the socket is mode 0600');

  const table = await run.ctl('status');
  t.equal(table.exitCode, 0, table.stderr);
  t.match(table.stdout, /^phase running, ready/);
  t.match(table.stdout, /\nNAME +STATE +PID +UPTIME +RESTARTS +LAST EXIT\n/);
  t.match(table.stdout, /\nweb +running +\d+ +\S+ +0 +-\n/);

  const json = await run.ctl('status', '--json');
  const status = JSON.parse(json.stdout) as { phase: string; programs: { name: string; state: string; pid: number; restarts: number }[] };
  t.same(status.programs.map((p) => [p.name, p.state]), [['web', 'running'], ['rec', 'running']]);
  const webPid = status.programs[0]!.pid;

  const signal = await run.ctl('signal', 'rec', 'USR2');
  t.equal(signal.exitCode, 0, signal.stderr);
  await run.out.waitFor(/^rec \| signal 12 from/);
  t.same(signalsIn(run.out.all.replace(/^rec \| /gm, '')).map((s) => s.signo), [12], 'rec got exactly the SIGUSR2');

  const stop = await run.ctl('stop', 'web');
  t.equal(stop.exitCode, 0, stop.stderr);
  t.match(stop.stdout, /stopping web/);
  await run.waitForEvent((e) => e.event === 'program-done' && e.program === 'web');
  const held = JSON.parse((await run.ctl('status', '--json')).stdout) as typeof status;
  t.equal(held.programs[0]!.state, 'exited', 'web stays down although restart: always');

  const start = await run.ctl('start', 'web');
  t.equal(start.exitCode, 0, start.stderr);
  const started = JSON.parse((await run.ctl('status', '--json')).stdout) as typeof status;
  t.equal(started.programs[0]!.state, 'running');
  t.not(started.programs[0]!.pid, webPid, 'a new process');

  const restart = await run.ctl('restart', 'web');
  t.equal(restart.exitCode, 0, restart.stderr);
  await run.waitForEvent(() => run.events().filter((e) => e.event === 'spawned' && e.program === 'web').length >= 3);
  const restarted = JSON.parse((await run.ctl('status', '--json')).stdout) as typeof status;
  t.equal(restarted.programs[0]!.restarts, 1);

  const unknown = await run.ctl('stop', 'nope');
  t.equal(unknown.exitCode, 1);
  t.match(unknown.stderr, /no program named `nope`; the programs are: web, rec/);
  const badSignal = await run.ctl('signal', 'rec', 'SIGFOO');
  t.equal(badSignal.exitCode, 2, 'a bad signal name is a usage error, caught before anything is sent');

  const shutdown = await run.ctl('shutdown');
  t.equal(shutdown.exitCode, 0, shutdown.stderr);
  const result = await run.child;
  t.equal(result.exitCode, 0, 'every program stopped cleanly');
  t.throws(() => statSync(run.socket), 'the socket file is removed at exit');
  const after = await run.ctl('status');
  t.equal(after.exitCode, 3);
  t.match(after.stderr, /no lastcall is listening on/);
});
