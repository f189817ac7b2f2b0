// `lastcall ctl` against a real control socket with a fake handler: what users type, what they
// see, and the exit code scripts read.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { defaultSocketPath, resolveSocketPath } from '../../src/ctl/socket-path.js';
import { startControl } from '../../src/ctl/server.js';
import { ctl, rig, SNAPSHOT, tempDir } from '../helpers/ctl.js';

t.test('every command makes one round trip and prints what lastcall answered', async (t) => {
  const { path, seen } = await rig(t);
  const cases: [string[], string][] = [
    [['start', 'nginx'], 'start nginx: done\n'],
    [['stop', 'nginx'], 'stop nginx: done\n'],
    [['restart', 'worker'], 'restart worker: done\n'],
    [['signal', 'nginx', 'hup'], 'sent SIGHUP to nginx\n'],
    [['signal', 'nginx', 'RTMIN+2'], 'sent SIGRTMIN+2 to nginx\n'],
    [['shutdown'], 'shutting down\n'],
  ];
  for (const [args, stdout] of cases) t.same(await ctl(['--socket', path, ...args]), { code: 0, stdout, stderr: '' }, args.join(' '));
  t.same(seen, [
    { command: 'start', name: 'nginx' },
    { command: 'stop', name: 'nginx' },
    { command: 'restart', name: 'worker' },
    { command: 'signal', name: 'nginx', signal: 'SIGHUP' },
    { command: 'signal', name: 'nginx', signal: 'SIGRTMIN+2' },
    { command: 'shutdown' },
  ]);
});

t.test('status prints the phase line and a table; --json prints the snapshot itself', async (t) => {
  const { path } = await rig(t);
  const table = await ctl(['status', '--socket', path]);
  t.equal(table.code, 0);
  t.equal(
    table.stdout,
    [
      'phase running, not ready, up 1h2m, 7 zombies reaped',
      'NAME     STATE                PID   UPTIME  RESTARTS  LAST EXIT',
      'nginx    running              42    3m12s   0         -',
      'worker   backoff              -     -       3         exited 1',
      'php-fpm  running (not ready)  1234  4s      12        killed by SIGKILL',
      'cron     failed               -     -       5         killed by SIGTERM',
      '',
      'cron: restarted 5 times within 1m (max_restarts 5)',
      '',
    ].join('\n'),
  );
  const json = await ctl([`--socket=${path}`, 'status', '--json']);
  t.equal(json.code, 0);
  t.same(JSON.parse(json.stdout), SNAPSHOT);
});

t.test('LASTCALL_SOCKET names the socket, and --socket wins over it', async (t) => {
  const { path } = await rig(t);
  t.equal((await ctl(['stop', 'nginx'], { LASTCALL_SOCKET: path })).code, 0);
  const wrong = join(tempDir(t), 'nobody.sock');
  t.equal((await ctl(['stop', 'nginx', '--socket', wrong], { LASTCALL_SOCKET: path })).code, 3);
});

t.test('exit 1: lastcall refused, and its reason is printed as is', async (t) => {
  const { path } = await rig(t);
  t.same(await ctl(['--socket', path, 'restart', 'ghost']), {
    code: 1,
    stdout: '',
    stderr: 'lastcall ctl: no program named "ghost"; the programs are nginx, worker, php-fpm, cron\n',
  });
});

t.test('exit 2: bad arguments are named with the fix, and nothing connects', async (t) => {
  const { path, seen } = await rig(t);
  const cases: [string[], string][] = [
    [[], 'missing command; expected one of status, start NAME, stop NAME, restart NAME, signal NAME SIG, shutdown'],
    [['reload'], 'unknown command `reload`; expected one of status, start NAME, stop NAME, restart NAME, signal NAME SIG, shutdown'],
    [['start'], 'start needs NAME: lastcall ctl start NAME'],
    [['stop', 'a', 'b'], 'unexpected `b` after stop a; usage: lastcall ctl stop NAME'],
    [['status', 'nginx'], 'unexpected `nginx` after status; usage: lastcall ctl status'],
    [['signal', 'nginx'], 'signal needs NAME SIG: lastcall ctl signal NAME SIG'],
    [['signal', 'nginx', 'NOPE'], 'SIG: expected a signal name like SIGTERM, TERM or RTMIN+2, or a number from 1 to 64, got `NOPE`'],
    [['status', '--verbose'], 'unknown option --verbose; the options are --socket PATH, --timeout DURATION and --json (with status)'],
    [['status', '--timeout', 'soon'], '--timeout: expected a duration like 2s, 500ms or 1m30s, got `soon`'],
    [['status', '--timeout', '0'], '--timeout: must be more than 0, got `0`'],
    [['status', '--socket'], '--socket needs a value: --socket PATH'],
    [['stop', 'nginx', '--json'], '--json goes with status only; stop prints one line either way'],
  ];
  for (const [args, message] of cases) t.same(await ctl(['--socket', path, ...args]), { code: 2, stdout: '', stderr: `lastcall ctl: ${message}\n` }, args.join(' '));
  t.same(seen, [], 'the server never heard from them');
});

t.test('exit 3: nothing listening, a stale socket, or no answer in time', async (t) => {
  const dir = tempDir(t);
  const missing = join(dir, 'missing.sock');
  t.same(await ctl(['status', '--socket', missing]), {
    code: 3,
    stdout: '',
    stderr: `lastcall ctl: no lastcall is listening on ${missing} (ENOENT); is it running with --config? pass --socket PATH or set LASTCALL_SOCKET\n`,
  });
  const slow = join(dir, 'slow.sock');
  const server = await startControl(slow, () => new Promise(() => {}));
  t.teardown(() => server.close());
  const started = performance.now();
  t.same(await ctl(['status', '--socket', slow, '--timeout', '200ms']), {
    code: 3,
    stdout: '',
    stderr: `lastcall ctl: no answer from ${slow} within 200ms; lastcall may be busy, or raise --timeout\n`,
  });
  t.ok(performance.now() - started < 1000, 'gave up at the timeout');
});

t.test('after close() the socket file is gone and ctl says nothing is listening', async (t) => {
  const { path, server } = await rig(t);
  server.close();
  server.close(); // twice is harmless
  t.notOk(existsSync(path));
  t.match((await ctl(['status', '--socket', path])).stderr, `no lastcall is listening on ${path} (ENOENT)`);
});

t.test('close() during a request still delivers its answer: the reply to shutdown is not lost', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'ctl.sock');
  const server = await startControl(path, async () => {
    server.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    return { ok: true, message: 'shutting down' };
  });
  t.same(await ctl(['shutdown', '--socket', path]), { code: 0, stdout: 'shutting down\n', stderr: '' });
});

t.test('the default path: XDG_RUNTIME_DIR, then /run if writable, then /tmp by uid', async (t) => {
  t.equal(defaultSocketPath({ XDG_RUNTIME_DIR: '/run/user/1000/' }, 1000, () => true), '/run/user/1000/lastcall.sock');
  t.equal(defaultSocketPath({}, 0, (dir) => dir === '/run'), '/run/lastcall.sock');
  t.equal(defaultSocketPath({ XDG_RUNTIME_DIR: '' }, 1000, () => false), '/tmp/lastcall-1000.sock');
  t.equal(resolveSocketPath(undefined, { LASTCALL_SOCKET: '/x/env.sock', XDG_RUNTIME_DIR: '/y' }, 0), '/x/env.sock');
  t.equal(resolveSocketPath('/x/flag.sock', { LASTCALL_SOCKET: '/x/env.sock' }, 0), '/x/flag.sock');
  t.throws(() => resolveSocketPath(`/${'a'.repeat(120)}`, {}, 0), { name: 'UsageError', message: /121 bytes is longer than the 107 a unix socket path may have/ });
});
