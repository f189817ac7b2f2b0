// 5. Shutdown: SIGTERM to the init (from outside, as `docker stop` does) with a child that dies
// of TERM at once: time until the init is gone (killwait.c polls a pidfd). Escalation: a child
// that ignores TERM; time until the SIGKILL took it, against the init's own plan.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MeasureError, sleep, startPid1, waitUntil } from '../lib/pid1.mjs';
import { fmt, max, median, min, na, table } from '../lib/report.mjs';

export const title = '5. Shutdown';
const GRACE_MS = 2000;

export async function measure(ctx, section) {
  const runsOf = (init) => (init.slow ? (ctx.quick ? 1 : 3) : ctx.quick ? 3 : 20);
  const escalationRunsOf = (init) => (init.slow ? (ctx.quick ? 1 : 3) : ctx.quick ? 2 : 7);

  const stop = new Map(ctx.inits.map((i) => [i.name, []]));
  const errors = new Map();
  const most = Math.max(...ctx.inits.map(runsOf));
  ctx.progress(`shutdown: SIGTERM, up to ${most} runs per init`);
  for (let n = 0; n < most; n++) {
    for (const init of ctx.inits) {
      if (n >= runsOf(init) || errors.has(init.name)) continue;
      try {
        const { initUs } = await once(ctx, init, n, {});
        stop.get(init.name).push(initUs / 1000);
      } catch (error) {
        errors.set(init.name, section.fail(`${init.name} shutdown`, error));
      }
    }
  }

  const escalation = new Map();
  for (const init of ctx.inits) {
    if (!init.escalation) {
      escalation.set(init.name, na('no grace period: a program that ignores TERM runs until something else SIGKILLs it'));
      continue;
    }
    const plan = init.escalation(GRACE_MS);
    ctx.progress(`shutdown: escalation, ${init.name}, ${escalationRunsOf(init)} runs`);
    const killed = [];
    const gone = [];
    try {
      for (let n = 0; n < escalationRunsOf(init); n++) {
        const r = await once(ctx, init, `e${n}`, { ignoreTerm: true, graceMs: GRACE_MS });
        if (r.childUs < 0) throw new MeasureError(`the TERM-ignoring child was still running ${r.timeoutMs / 1000} s after the SIGTERM`);
        killed.push(r.childUs / 1000);
        gone.push(r.initUs / 1000);
      }
      escalation.set(init.name, { plan, overshoot: killed.map((k) => k - plan.planMs), gone });
    } catch (error) {
      escalation.set(init.name, section.fail(`${init.name} escalation`, error));
    }
  }

  const rows = ctx.inits.map((init) => {
    const s = stop.get(init.name);
    const e = escalation.get(init.name);
    const stopCells = errors.has(init.name) ? [fmt(errors.get(init.name)), '', ''] : [fmt(median(s), 1), s.length ? `${fmt(min(s), 1)} – ${fmt(max(s), 1)}` : '', String(s.length)];
    const escCells = e.na || e.failed ? [fmt(e), '', '', ''] : [`${e.plan.planMs} ms (${e.plan.how})`, fmt(median(e.overshoot), 1), `${fmt(min(e.overshoot), 1)} – ${fmt(max(e.overshoot), 1)}`, fmt(median(e.gone), 1)];
    return [init.name, ...stopCells, ...escCells];
  });
  section.say(
    'Stop: the program is firstlight.c --stay (default dispositions: SIGTERM kills it). 500 ms after it started, killwait.c sends SIGTERM to the init\'s host pid and polls pidfds: ' +
      'ms until the init has exited (as PID 1, its exit also ends the namespace). ' +
      `Escalation: the program ignores SIGTERM and SIGINT (pm2's stop signal); the init is given a ${GRACE_MS / 1000} s grace where it has one; overshoot = when the SIGKILL took the program − the init's planned SIGKILL time, in ms. ` +
      'tini, dumb-init, catatonit and the Node floor have no grace period or escalation (n/a); supervisord and pm2-runtime are modelled with their own equivalents, named in the table.',
  );
  section.say(table(['init', 'stop median (ms)', 'stop min – max', 'runs', 'planned SIGKILL', 'overshoot median (ms)', 'overshoot min – max', 'init gone median (ms)'], rows));

  const l = errors.get('lastcall') ?? median(stop.get('lastcall') ?? []);
  section.check('shutdown, stop p50', l, 10, { show: (v) => `${v.toFixed(1)} ms` });
  const le = escalation.get('lastcall');
  section.check('escalation overshoot (median)', le?.failed ? le : le ? median(le.overshoot) : undefined, 10, { show: (v) => `${v.toFixed(1)} ms` });
  return { stop, escalation };
}

/** One start and SIGTERM; returns µs until the init and the program were gone (-1: never). */
async function once(ctx, init, n, { ignoreTerm = false, graceMs }) {
  const file = join(ctx.scratch, `stop-${init.name.replace(/\W/g, '')}-${n}.txt`);
  const run = startPid1(ctx, init, [ctx.bin.firstlight, file, ignoreTerm ? '--ignore-stop' : '--stay'], { initOptions: { graceMs } });
  try {
    await waitUntil(() => (existsSync(file) && /^child /m.test(readFileSync(file, 'utf8')) ? true : undefined), { timeoutMs: 60_000, what: 'the program to start', run });
    const [child] = await run.program(ctx.bin.firstlight);
    await sleep(500);
    const timeoutMs = ignoreTerm ? graceMs + 10_000 : 30_000;
    const r = spawnSync(ctx.bin.killwait, ['15', String(run.hostPid), String(timeoutMs), String(child)], { encoding: 'utf8' });
    if (r.status !== 0) throw new MeasureError(`killwait: ${r.stderr.trim()}`);
    const [initUs, childUs] = r.stdout.trim().split(' ').map(Number);
    if (!ignoreTerm && initUs < 0) throw new MeasureError(`still running ${timeoutMs / 1000} s after SIGTERM`);
    return { initUs, childUs, timeoutMs };
  } finally {
    await run.kill();
  }
}
