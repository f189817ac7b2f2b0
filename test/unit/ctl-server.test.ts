// The control socket's server as a hostile or clumsy client sees it: permissions, leftovers from a
// dead lastcall, and bad input answered with one line instead of a crashed PID 1.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { startControl } from '../../src/ctl/server.js';
import { ctl, fakeHandler, raw, rig, tempDir } from '../helpers/ctl.js';

t.test('the socket file is mode 0600 from the start, and the umask is left as it was', async (t) => {
  const umask = process.umask(0o022);
  t.teardown(() => process.umask(umask));
  const { dir, path } = await rig(t);
  t.equal(statSync(path).mode & 0o777, 0o600);
  t.ok(statSync(path).isSocket());
  writeFileSync(join(dir, 'after'), '');
  t.equal(statSync(join(dir, 'after')).mode & 0o777, 0o644, 'files created later get the usual mode');
});

t.test('a stale socket left by a SIGKILLed lastcall is replaced', async (t) => {
  const path = join(tempDir(t), 'ctl.sock');
  const dead = spawn(process.execPath, ['-e', "require('net').createServer().listen(process.argv[1], () => console.log('up'))", path], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve) => dead.stdout.once('data', resolve));
  dead.kill('SIGKILL');
  await new Promise((resolve) => dead.once('exit', resolve));
  t.ok(statSync(path).isSocket(), 'the dead server left its socket file behind');
  t.equal((await ctl(['status', '--socket', path])).code, 3, 'nobody answers on it');
  const server = await startControl(path, fakeHandler([]));
  t.teardown(() => server.close());
  t.equal((await ctl(['status', '--socket', path])).code, 0, 'the new server answers');
});

t.test('a live lastcall on the path is refused and keeps working', async (t) => {
  const { path } = await rig(t);
  await t.rejects(startControl(path, fakeHandler([])), {
    name: 'UsageError',
    message: `--socket ${path}: another lastcall is listening there; stop it first, or give this one another path with --socket PATH or LASTCALL_SOCKET`,
  });
  t.equal((await ctl(['status', '--socket', path])).code, 0);
});

t.test('a path that is not a socket is named and left alone', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'notes.txt');
  writeFileSync(file, 'mine');
  await t.rejects(startControl(file, fakeHandler([])), { name: 'UsageError', message: `--socket ${file}: a file is there, not a socket; remove it or pick another path with --socket PATH` });
  t.ok(existsSync(file));
  const folder = join(dir, 'folder');
  mkdirSync(folder);
  await t.rejects(startControl(folder, fakeHandler([])), { message: `--socket ${folder}: a directory is there, not a socket; remove it or pick another path with --socket PATH` });
  await t.rejects(startControl(join(dir, 'no', 'such', 'dir.sock'), fakeHandler([])), { name: 'UsageError', message: /cannot listen \(EACCES\); pick a path in an existing directory lastcall can write to$/ }, 'libuv reports a missing directory as EACCES');
});

t.test('bad requests are each answered with one ok:false line naming the problem', async (t) => {
  const { path, seen } = await rig(t);
  const lines = [
    'not json',
    '[1]',
    '{}',
    '{"command":"fly"}',
    '{"command":"start"}',
    '{"command":"stop","name":""}',
    '{"command":"signal","name":"web"}',
    '{"command":"signal","name":"web","signal":"NOPE"}',
    '',
    '{"command":"signal","name":"web","signal":1}',
    '{"command":"status"}',
  ];
  const { lines: answers } = await raw(path, lines.map((l) => `${l}\r\n`).join(''));
  const parsed = answers.map((a) => JSON.parse(a));
  t.equal(parsed.length, 10, 'one answer per non-empty line');
  t.match(parsed[0].error, /^the request is not valid JSON \(.+\); send one object per line, like \{"command":"status"\}$/);
  t.same(parsed.slice(1, 8), [
    { ok: false, error: 'the request must be a JSON object, like {"command":"status"}' },
    { ok: false, error: 'the request has no "command" string; expected one of status, start, stop, restart, signal, shutdown' },
    { ok: false, error: 'unknown command "fly"; expected one of status, start, stop, restart, signal, shutdown' },
    { ok: false, error: '"start" needs a "name" (a program from the config), like {"command":"start","name":"web"}' },
    { ok: false, error: '"stop" needs a "name" (a program from the config), like {"command":"stop","name":"web"}' },
    { ok: false, error: '"signal" needs a "signal" to send, like {"command":"signal","name":"web","signal":"SIGHUP"}' },
    { ok: false, error: '"signal": expected a signal name like SIGTERM, TERM or RTMIN+2, or a number from 1 to 64, got `NOPE`' },
  ]);
  t.same(parsed[8], { ok: true, message: 'sent SIGHUP to web' });
  t.equal(parsed[9].ok, true);
  t.same(seen, [{ command: 'signal', name: 'web', signal: 'SIGHUP' }, { command: 'status' }], 'the handler saw only valid requests');
});

t.test('a last line without a newline is answered when the client half-closes', async (t) => {
  const { path } = await rig(t);
  const { lines } = await raw(path, '{"command":"shutdown"}');
  t.same(lines.map((l) => JSON.parse(l)), [{ ok: true, message: 'shutting down' }]);
});

t.test('a line over 64 KiB is refused and the connection closed; the server goes on', async (t) => {
  const { path, seen } = await rig(t);
  const { lines } = await raw(path, `{"command":"status","pad":"${'x'.repeat(70 * 1024)}"}\n`, { end: false });
  t.same(lines.map((l) => JSON.parse(l)), [{ ok: false, error: 'the request line is longer than 64 KiB; send one short JSON object per line, like {"command":"status"}' }]);
  t.same(seen, []);
  t.equal((await ctl(['status', '--socket', path])).code, 0);
});

t.test('a client that says nothing is hung up on after the idle timeout; a slow handler is not', async (t) => {
  const { path } = await rig(t, async () => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    return { ok: true, message: 'slow but sure' };
  }, { idleTimeoutMs: 100 });
  const silent = await raw(path, '', { end: false });
  t.same(silent.lines, []);
  t.ok(silent.closedAfterMs >= 90 && silent.closedAfterMs < 1000, `closed after ${silent.closedAfterMs.toFixed(0)} ms`);
  t.same(await ctl(['stop', 'nginx', '--socket', path]), { code: 0, stdout: 'slow but sure\n', stderr: '' }, 'answered after 300 ms');
});

t.test('a handler that throws becomes an ok:false answer, not a crash', async (t) => {
  const { path } = await rig(t, () => {
    throw new Error('the core is confused\nsecond line');
  });
  t.same(await ctl(['restart', 'nginx', '--socket', path]), { code: 1, stdout: '', stderr: 'lastcall ctl: lastcall could not carry out "restart": the core is confused\n' });
});
