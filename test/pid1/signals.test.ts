import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import t from 'tap';
import { fixture } from '../helpers/fixtures.js';
import { killFromInside, signalsIn, sleep, startWatched, testingLastcall, timeline, type TimelineEvent } from '../helpers/init.js';

const sigrecord = fixture('sigrecord');
// The list of catchable signals, sent one by one; TERM last, as it ends the program.
const LISTED = ['HUP', 'INT', 'QUIT', 'USR1', 'USR2', 'WINCH', 'ALRM', 'CONT', 'PIPE', 'URG', 'XCPU', 'XFSZ', 'VTALRM', 'PROF', 'IO', 'PWR'];
const number = (name: string) => constants.signals[`SIG${name}` as keyof typeof constants.signals];

/** Send each signal and wait until the program has reported it before sending the next. */
async function sendEach(run: Awaited<ReturnType<typeof startWatched>>, names: string[], send: (name: string) => Promise<void> | void) {
  await run.out.waitFor(/^ready /);
  for (const [i, name] of names.entries()) {
    await send(name);
    await run.out.waitFor(/^signal \d+ from/, { count: i + 1 });
  }
}

t.test('every listed catchable signal sent to the init reaches the program, in order, from the init', async (t) => {
  const run = await startWatched([sigrecord, '--exit-on', '15']);
  await sendEach(run, [...LISTED, 'TERM'], (name) => void process.kill(run.initPid, `SIG${name}` as NodeJS.Signals));
  const result = await run.child;
  t.same(signalsIn(result.stdout).map((s) => s.signo), [...LISTED, 'TERM'].map(number), 'each arrived once, in the order sent');
  t.ok(signalsIn(result.stdout).every((s) => s.from === 1), 'each was sent by PID 1');
  t.equal(result.exitCode, 0, 'the program exited 0 on SIGTERM, and so did the init');
});

t.test('kill 1 from inside the namespace reaches the program (docker exec … kill 1)', async (t) => {
  const run = await startWatched([sigrecord, '--exit-on', '15']);
  await sendEach(run, ['USR1', 'HUP', 'TERM'], (name) => killFromInside(run.initPid, name));
  const result = await run.child;
  t.same(signalsIn(result.stdout).map((s) => s.signo), [10, 1, 15]);
  t.equal(result.exitCode, 0);
});

t.test('SIGUSR1 is forwarded and never opens a Node inspector', async (t) => {
  const run = await startWatched([sigrecord, '--exit-on', '15']);
  await sendEach(run, ['USR1'], (name) => void process.kill(run.initPid, `SIG${name}` as NodeJS.Signals));
  await sleep(300); // give an inspector, if one were starting, time to bind
  const listening = readFileSync('/proc/net/tcp', 'utf8').split('\n').filter((l) => / [0-9A-F]{8}:2405 .* 0A /.test(l));
  t.same(listening, [], 'nothing listens on port 9229');
  process.kill(run.initPid, 'SIGTERM');
  t.equal((await run.child).exitCode, 0);
});

t.test('SIGCHLD is never forwarded', async (t) => {
  const run = await startWatched([sigrecord, '--exit-on', '15']);
  await run.out.waitFor(/^ready /);
  process.kill(run.initPid, 'SIGCHLD');
  await sleep(200);
  process.kill(run.initPid, 'SIGUSR2'); // a marker: once it arrives, an earlier SIGCHLD would have too
  await run.out.waitFor(/^signal 12 /);
  process.kill(run.initPid, 'SIGTERM');
  const result = await run.child;
  t.same(signalsIn(result.stdout).map((s) => s.signo), [12, 15]);
});

t.test('realtime signals reach the program where Node can listen to them, and never kill the init', async (t) => {
  const run = await startWatched([sigrecord, '--exit-on', '15']);
  await run.out.waitFor(/^ready /);
  const realtime = [34, 35, 36, 50, 64];
  for (const signo of realtime) process.kill(run.initPid, signo);
  await sleep(200);
  process.kill(run.initPid, 'SIGTERM');
  const result = await run.child;
  // Each arrives exactly once; the order between realtime signals sent back to back is not a promise
  // (they are separate signal handles in Node), so compare them sorted.
  const got = signalsIn(result.stdout).map((s) => s.signo).sort((a, b) => a - b);
  // A C init always can; lastcall can where its Node lets it listen (docs/signals.md).
  if (!testingLastcall || nodeCanListenToRealtime()) t.same(got, [15, ...realtime], 'each realtime signal was forwarded once');
  else t.same(got, [15], 'on this Node version realtime signals are ignored (docs/signals.md), and the init lives on');
  t.equal(result.exitCode, 0);
});

t.test('-g forwards to the program\'s whole process group', async (t) => {
  // sh ignores SIGWINCH; the two recorders in its process group each report it.
  const run = await startWatched(['sh', '-c', `${sigrecord} --exit-on 15 & ${sigrecord} --exit-on 15 & wait`], { flags: ['-g'] });
  await run.out.waitFor(/^ready /, { count: 2 });
  process.kill(run.initPid, 'SIGWINCH');
  await run.out.waitFor(/^signal 28 /, { count: 2 });
  process.kill(run.initPid, 'SIGTERM');
  const result = await run.child;
  t.equal(signalsIn(result.stdout).filter((s) => s.signo === 28).length, 2);
  t.equal(result.exitCode, 143, 'sh itself died of the forwarded SIGTERM');
});

t.test('-r rewrites signals: 15:3 (dumb-init style), names, and TO of 0 drops', async (t) => {
  const run = await startWatched([sigrecord, '--exit-on', '3'], { flags: ['-r', '15:3', '-r', 'SIGHUP:USR2', '-r', 'WINCH:0'] });
  await run.out.waitFor(/^ready /);
  process.kill(run.initPid, 'SIGWINCH'); // dropped
  process.kill(run.initPid, 'SIGHUP');
  await run.out.waitFor(/^signal 12 /);
  process.kill(run.initPid, 'SIGTERM');
  const result = await run.child;
  t.same(signalsIn(result.stdout).map((s) => s.signo), [12, 3], 'HUP arrived as USR2, TERM as QUIT, WINCH not at all');
  t.equal(result.exitCode, 0);
});

t.test('the same signal again and again: each is forwarded (or dropped) and logged once, as the first was', async (t) => {
  // After the first, lastcall performs the same effects again without running its core
  // (src/os/runtime.ts): this is that path, end to end, rewrites and drops included.
  const run = await startWatched([sigrecord, '--exit-on', '15'], { flags: ['-r', 'HUP:USR2', '-r', 'WINCH:0', '--log-format', 'json', '-v', '-v'] });
  await run.out.waitFor(/^ready /);
  // Each waits for the last to be handled: the kernel would merge a signal sent while one is pending.
  let arrived = 0;
  let dropped = 0;
  for (const [name, times] of [['USR1', 5], ['WINCH', 3], ['HUP', 3], ['USR1', 2]] as const) {
    for (let i = 0; i < times; i++) {
      process.kill(run.initPid, `SIG${name}`);
      if (name === 'WINCH') await run.err.waitFor(/"event":"signal-dropped"/, { count: ++dropped });
      else await run.out.waitFor(/^signal \d+ from/, { count: ++arrived });
    }
  }
  process.kill(run.initPid, 'SIGTERM');
  const result = await run.child;
  t.same(signalsIn(result.stdout).map((s) => s.signo), [10, 10, 10, 10, 10, 12, 12, 12, 10, 10, 15], 'each USR1 once, each HUP once as USR2, no WINCH');
  const events = timeline(result.stderr);
  const count = (event: string, signo: number, extra: (e: TimelineEvent) => boolean = () => true) => events.filter((e) => e.event === event && e.signo === signo && extra(e)).length;
  t.equal(count('signal-received', 10), 7, 'every USR1 logged as received');
  t.equal(count('signal-sent', 10, (e) => e.reason === 'forward'), 7, 'and as sent');
  t.equal(count('signal-received', 28), 3, 'every WINCH logged as received');
  t.equal(count('signal-dropped', 28), 3, 'and as dropped');
  t.equal(count('signal-sent', 12, (e) => e.reason === 'forward'), 3, 'every HUP sent as USR2');
  t.equal(result.exitCode, 0);
});

function nodeCanListenToRealtime(): boolean {
  const warn = process.emitWarning;
  process.emitWarning = () => {};
  try {
    return typeof (process as unknown as { binding(name: string): { Signal?: unknown } }).binding('signal_wrap').Signal === 'function';
  } catch {
    return false;
  } finally {
    process.emitWarning = warn;
  }
}

t.test('a SIGPIPE the init raises itself (writing its log to a closed stderr) is not forwarded', async (t) => {
  const run = await startWatched([sigrecord, '--exit-on', '15'], { flags: ['-v'] });
  await run.out.waitFor(/^ready /);
  await run.err.waitFor(/started/);
  run.child.stderr!.destroy(); // whoever read the init's log is gone
  process.kill(run.initPid, 'SIGUSR1'); // the init logs "received SIGUSR1" into the closed pipe
  await run.out.waitFor(/^signal 10 /);
  await sleep(200);
  process.kill(run.initPid, 'SIGTERM');
  const result = await run.child;
  t.same(signalsIn(result.stdout).map((s) => s.signo), [10, 15], 'no SIGPIPE reached the program');
  t.equal(result.exitCode, 0);
});
