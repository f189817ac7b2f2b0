// 4. Reaping: the init's child (storm.c) makes orphans that exit at once; the init must reap
// them. Zombies left, lag after the storm, and the init's CPU time per zombie reaped.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpuNsOf } from '../lib/proc.mjs';
import { MeasureError, sleep, startPid1, waitUntil } from '../lib/pid1.mjs';
import { fmt, table } from '../lib/report.mjs';

export const title = '4. Reaping';

export async function measure(ctx, section) {
  const count = ctx.quick ? 1000 : 10_000;
  const watchMs = ctx.quick ? 3000 : 5000;
  const results = new Map();
  for (const init of ctx.inits) {
    ctx.progress(`reaping: ${init.name}, ${count} orphans`);
    try {
      results.set(init.name, await once(ctx, init, count, watchMs));
    } catch (error) {
      results.set(init.name, section.fail(`${init.name} reaping`, error));
    }
  }

  const rows = ctx.inits.map((init) => {
    const r = results.get(init.name);
    if (!r || r.failed) return [init.name, fmt(r), '', '', '', '', ''];
    const lag = r.lagMs === undefined ? `> ${watchMs / 1000} s` : fmt(r.lagMs, 1);
    return [init.name, String(r.left), lag, fmt(r.cpuMs, 1), r.reaped ? fmt((r.cpuMs * 1000) / r.reaped, 1) : 'n/a (none reaped)', String(r.madeMs)];
  });
  section.say(
    `storm.c, the init's only child, makes ${count} orphans in bursts of 100 (1 ms apart): each is the grandchild of a process that exits at once, so the init adopts it, and exits at once itself. ` +
      'Each orphan writes its exit time (CLOCK_MONOTONIC) to shared memory just before _exit. Lag = from the last orphan\'s exit until the namespace\'s /proc shows no orphan left ' +
      `(checked every 1 ms; given up after ${watchMs / 1000} s). Zombies left: processes in state Z at that point. ` +
      'Init CPU: schedstat of every thread of the init, from just before the storm until the end of the lag, divided by the zombies it reaped.',
  );
  section.say(table(['init', 'zombies left', 'lag (ms)', 'init CPU (ms)', 'CPU per reaped zombie (µs)', 'storm took (ms)'], rows));

  const l = results.get('lastcall');
  section.check('zombies left', l?.left ?? l, 0, { show: (v) => v.toFixed(0) });
  section.check('lag after the storm', l?.failed ? l : l?.lagMs ?? Infinity, 10, { show: (v) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : `> ${watchMs / 1000} s`) });
  section.check('init CPU per zombie', l?.failed ? l : l?.reaped ? (l.cpuMs * 1000) / l.reaped : undefined, 30, { show: (v) => `${v.toFixed(1)} µs` });
  return results;
}

async function once(ctx, init, count, watchMs) {
  const base = join(ctx.scratch, `storm-${init.name.replace(/\W/g, '')}`);
  const fifo = `${base}.go`;
  const result = `${base}.txt`;
  const made = spawnSync('mkfifo', [fifo]);
  if (made.status !== 0) throw new MeasureError(`mkfifo ${fifo} failed`);
  const run = startPid1(ctx, init, [ctx.bin.storm, String(count), fifo, result, String(watchMs)]);
  try {
    await run.program(ctx.bin.storm, { timeoutMs: 60_000 });
    await sleep(500);
    const pids = run.initPids(ctx.bin.storm);
    const cpuBefore = pids.reduce((a, p) => a + cpuNsOf(p), 0);
    writeFileSync(fifo, 'g'); // storm is blocked opening the FIFO: this lets it go
    const text = await waitUntil(() => (existsSync(result) ? readFileSync(result, 'utf8') : undefined), { timeoutMs: 300_000, intervalMs: 20, what: 'the storm to end', run });
    const cpuAfter = pids.reduce((a, p) => a + cpuNsOf(p), 0);
    const field = (k) => Number(new RegExp(`${k}=(-?\\d+)`).exec(text)?.[1]);
    const left = field('left');
    const lagUs = field('lag_us');
    return { left, reaped: count - left, lagMs: lagUs < 0 ? undefined : lagUs / 1000, cpuMs: (cpuAfter - cpuBefore) / 1e6, madeMs: field('made_ms') };
  } finally {
    await run.kill();
  }
}
