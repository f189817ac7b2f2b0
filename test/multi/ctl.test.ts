// `lastcall ctl` against a real lastcall --config as PID 1: every command, as an operator runs it.
import { execa } from 'execa';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { containerEnv, lastcallBin, signalsIn } from '../helpers/init.js';
import { fixture, root } from '../helpers/fixtures.js';
import { startConfig } from '../helpers/multi.js';
import { freePort } from '../helpers/webstack.js';

t.test('status, signal, stop, start, restart and shutdown over the control socket', async (t) => {
  const sigrecord = fixture('sigrecord');
  const healthPort = await freePort();
  const run = await startConfig(t, `
health: "127.0.0.1:${healthPort}"
programs:
  web: { command: [sleep, "1000"], restart: always }
  rec: { command: ["${sigrecord}", "--exit-on", "15"], logs: prefix }
`);
  await run.waitForEvent((e) => e.event === 'spawned' && e.program === 'rec');
  await run.out.waitFor(/^rec \| ready/);
  t.equal(statSync(run.socket).mode & 0o777, 0o600, 'the socket is mode 0600');
  const metrics = await fetch(`http://127.0.0.1:${healthPort}/metrics`);
  t.equal(metrics.status, 200);
  const body = await metrics.text();
  t.match(body, /^lastcall_program_up\{program="web"\} 1$/m);
  t.match(body, /^lastcall_program_restarts_total\{program="rec"\} 0$/m);
  t.match(body, /^lastcall_shutdown_phase\{phase="running"\} 1$/m);

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

t.test('lastcall import writes a config that lastcall check accepts (supervisord.conf and Procfile)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lastcall-import-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lastcall = (...args: string[]) => execa(process.execPath, [lastcallBin, ...args], { env: containerEnv(), extendEnv: false, reject: false });
  for (const source of ['nginx-php-fpm.conf', 'Procfile']) {
    const out = join(dir, `${source}.yaml`);
    const imported = await lastcall('import', join(root, 'test', 'fixtures', 'import', source), '-o', out);
    t.equal(imported.exitCode, 0, imported.stderr);
    const checked = await lastcall('check', '--config', out);
    t.equal(checked.exitCode, 0, checked.stderr);
    t.match(checked.stdout, /valid\n\nStart order/);
  }
  const missing = await lastcall('import', join(dir, 'nope.conf'));
  t.equal(missing.exitCode, 2);
  t.equal(missing.stderr.trim().split('\n').length, 1, 'one line');
});
