// The image built from Dockerfile.example under a real Docker daemon: `docker stop`, `docker exec
// … kill 1` and a program that ignores SIGTERM, each as it was built (USER node) and locked down
// (--read-only, a tmpfs on /tmp, --user 65534). lastcall's options come from the environment
// (LASTCALL_<NAME>), as a user would set them in a Dockerfile or at `docker run -e`.
// Timing bounds: lastcall's own timeline is exact to a few ms (test/pid1/shutdown.test.ts); a
// whole `docker stop` adds the client, the daemon and runc, so wall-clock bounds get 2 s of slack.
import t from 'tap';
import { asBuilt, findEvent, lockedDown, useDocker, type Container, type Mode } from '../helpers/container.js';
import { signalsIn, timeline } from '../helpers/init.js';

const docker = await useDocker(t);
type Subtest = Parameters<Parameters<typeof t.test>[0]>[0];

const DRAIN_MS = 2000;
const TIMER_SLACK_MS = 250; // lastcall's timers on a loaded 2-core machine
const WALL_SLACK_MS = 2000; // docker client -> daemon -> containerd -> runc, both ways

/** sigrecord as the program: SIGTERM rewritten to SIGQUIT, after a 2 s drain; exits 42 on SIGQUIT. */
async function startTranslating(t: Subtest, mode: Mode): Promise<Container> {
  const c = await docker.run(t, docker.images.fixtures, {
    args: mode.args,
    env: { LASTCALL_DRAIN: '2s', LASTCALL_REWRITE: 'TERM:QUIT', LASTCALL_LOG_FORMAT: 'json' },
    cmd: ['sigrecord', '--exit-on', '3', '--exit-code', '42'],
  });
  await c.out.waitFor(/^ready pid=/, { timeoutMs: 30_000 });
  return c;
}

/** What docker stop and kill 1 must both leave: the translated signal after the drain, the timeline, 42. */
async function checkGracefulStop(t: Subtest, c: Container, stoppedInMs: number) {
  const { stdout, stderr } = await c.logs();
  const state = await c.state();
  t.same(signalsIn(stdout).map((s) => [s.signo, s.from]), [[3, 1]], 'the program got one signal: SIGQUIT (SIGTERM translated), from PID 1');
  const events = timeline(stderr);
  const received = findEvent(events, 'signal-received', { signo: 15 });
  const drained = findEvent(events, 'drain-ended');
  const sent = findEvent(events, 'signal-sent', { reason: 'stop' });
  const exited = findEvent(events, 'program-exited');
  const exiting = findEvent(events, 'exiting');
  t.ok(received && drained && sent && exited && exiting, 'docker logs has the whole timeline: signal-received, drain-ended, signal-sent, program-exited, exiting');
  if (received && drained && sent && exiting) {
    t.match(drained, { why: 'timer' }, 'the drain ran to its end');
    t.match(sent, { signo: 3 }, 'lastcall sent SIGQUIT');
    const after = sent.t - received.t;
    t.ok(after >= DRAIN_MS - 5 && after <= DRAIN_MS + TIMER_SLACK_MS, `SIGQUIT went ${after.toFixed(0)} ms after SIGTERM: the 2 s drain, then at once`);
    t.equal(exiting.code, 42, 'lastcall exits with the program\'s status');
  }
  t.equal(state.ExitCode, 42, 'docker inspect: State.ExitCode is the program\'s status');
  t.ok(stoppedInMs >= DRAIN_MS && stoppedInMs <= DRAIN_MS + WALL_SLACK_MS, `stopped in ${stoppedInMs.toFixed(0)} ms: the drain and no more`);
  if (!t.passing()) t.comment(c.transcript());
}

for (const mode of [asBuilt('node'), lockedDown]) {
  t.test(`docker stop -t 10: after the 2 s drain the program gets SIGQUIT (TERM translated), the timeline is in docker logs, the exit status is the program's [${mode.label}]`, async (t) => {
    const c = await startTranslating(t, mode);
    const stop = await c.stop(10);
    await checkGracefulStop(t, c, stop.ms);
  });

  t.test(`docker exec … kill -TERM 1 stops the container as docker stop does [${mode.label}]`, async (t) => {
    const c = await startTranslating(t, mode);
    const started = performance.now();
    // From inside, as the container's own user: PID 1 only gets signals it has a handler for.
    const kill = await c.exec(['sh', '-c', 'kill -TERM 1']);
    t.equal(kill.code, 0, `kill -TERM 1 inside the container succeeded ${kill.stderr}`);
    await c.wait(30_000);
    await checkGracefulStop(t, c, performance.now() - started);
  });

  t.test(`a program that ignores SIGTERM is SIGKILLed by lastcall at 4.5 s (--grace 5s), before docker stop -t 10 would; the kill is logged; exit status 137 [${mode.label}]`, async (t) => {
    const c = await docker.run(t, docker.images.fixtures, {
      args: mode.args,
      env: { LASTCALL_GRACE: '5s', LASTCALL_LOG_FORMAT: 'json' },
      cmd: ['sigrecord', '--ignore', '15'],
    });
    await c.out.waitFor(/^ready pid=/, { timeoutMs: 30_000 });
    const stop = await c.stop(10);
    const { stderr } = await c.logs();
    const events = timeline(stderr);
    const received = findEvent(events, 'signal-received', { signo: 15 });
    const deadline = findEvent(events, 'deadline-reached');
    const kill = findEvent(events, 'signal-sent', { reason: 'deadline-kill' });
    t.ok(received && deadline && kill, 'docker logs has signal-received, deadline-reached and the deadline kill');
    if (received && kill) {
      t.match(kill, { signo: 9 }, 'the kill is a SIGKILL');
      const after = kill.t - received.t;
      t.ok(after >= 4500 - 5 && after <= 4500 + TIMER_SLACK_MS, `SIGKILL ${after.toFixed(0)} ms after SIGTERM: grace 5 s minus the 0.5 s margin`);
    }
    t.equal(findEvent(events, 'exiting')?.code, 137, 'lastcall exits 137 (128 + SIGKILL)');
    t.equal((await c.state()).ExitCode, 137, 'docker inspect: State.ExitCode 137');
    t.ok(stop.ms >= 4500 && stop.ms <= 4500 + WALL_SLACK_MS, `docker stop returned after ${stop.ms.toFixed(0)} ms: lastcall's kill, not docker's at 10 s`);
    if (!t.passing()) t.comment(c.transcript());
  });

  t.test(`the image's own CMD (examples/demo/app.mjs): docker stop gives it SIGTERM, it finishes, exit 0, and lastcall prints nothing [${mode.label}]`, async (t) => {
    const c = await docker.run(t, docker.images.example, { args: mode.args });
    const [serving] = await c.out.waitFor(/^app: serving \(pid \d+\)/, { timeoutMs: 30_000 });
    // The app says it serves a moment before it installs its SIGTERM handler.
    await c.waitForHandler(Number(/pid (\d+)/.exec(serving!)![1]), 15);
    const stop = await c.stop(10);
    const { stdout, stderr } = await c.logs();
    t.match(stdout, /app: got SIGTERM[^]*app: done, exiting 0/, 'the app got SIGTERM and finished its work');
    t.equal(stderr, '', 'a clean run: nothing from lastcall on stderr');
    t.equal((await c.state()).ExitCode, 0, 'docker inspect: State.ExitCode 0');
    // The app takes 300 ms to finish.
    t.ok(stop.ms >= 300 && stop.ms <= 300 + WALL_SLACK_MS, `stopped in ${stop.ms.toFixed(0)} ms`);
    if (!t.passing()) t.comment(c.transcript());
  });
}
