// 6. Multi-process: 10 programs under one init (lastcall --config, supervisord, pm2-runtime with
// an ecosystem file): time until all 10 started, the init's memory, time to stop on SIGTERM.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { memoryOf } from '../lib/proc.mjs';
import { MeasureError, sleep, startPid1, waitUntil } from '../lib/pid1.mjs';
import { fmt, max, median, min, table } from '../lib/report.mjs';

export const title = '6. Multi-process';
const PROGRAMS = 10;

export async function measure(ctx, section) {
  const runs = ctx.quick ? 1 : 5;
  const inits = ctx.inits.filter((i) => i.multiArgv);
  const results = new Map(inits.map((i) => [i.name, { started: [], stopped: [], rss: [] }]));
  const errors = new Map();
  ctx.progress(`multi: ${PROGRAMS} programs, ${runs} runs of ${inits.map((i) => i.name).join(', ')}`);
  for (let n = 0; n < runs; n++) {
    for (const init of inits) {
      if (errors.has(init.name)) continue;
      try {
        const r = await once(ctx, init, n);
        const acc = results.get(init.name);
        acc.started.push(r.startedMs);
        acc.stopped.push(r.stoppedMs);
        acc.rss.push(r.rssMiB);
      } catch (error) {
        errors.set(init.name, section.fail(`${init.name} multi-process`, error));
      }
    }
  }

  const stat = (name, key) => (errors.has(name) ? errors.get(name) : median(results.get(name)[key]));
  const range = (xs) => (xs.length ? `${fmt(min(xs), 1)} – ${fmt(max(xs), 1)}` : '');
  const rows = inits.map((init) => {
    const r = results.get(init.name);
    return [init.name, fmt(stat(init.name, 'started'), 1), range(r.started), fmt(stat(init.name, 'rss'), 1), fmt(stat(init.name, 'stopped'), 1), range(r.stopped), String(r.started.length)];
  });
  section.say(
    `${PROGRAMS} programs, each firstlight.c --stay (it notes its start time, then waits; SIGTERM kills it), under lastcall \`--config\` (YAML, \`restart: never\`), ` +
      'supervisord (`[program:pN]`, autorestart=false, startsecs=0) and pm2-runtime (an ecosystem file, autorestart false). ' +
      'All started: from the init\'s exec (execstamp.c) to the last program\'s first instruction. RSS: VmRSS of the init\'s processes 1 s after all started. ' +
      'Stop: SIGTERM to the init until it is gone (killwait.c). Medians in ms over the runs.',
  );
  section.say(table(['init', 'all started (ms)', 'started min – max', 'RSS (MiB)', 'stop (ms)', 'stop min – max', 'runs'], rows));

  const ratio = (key) => {
    const s = stat('supervisord', key);
    const l = stat('lastcall', key);
    return typeof s === 'number' && typeof l === 'number' ? s / l : typeof l === 'object' ? l : s;
  };
  section.check('10 programs started, supervisord ÷ lastcall', ratio('started'), 10, { atLeast: true, show: (v) => `${v.toFixed(1)}×` });
  section.check('10 programs stopped, supervisord ÷ lastcall', ratio('stopped'), 10, { atLeast: true, show: (v) => `${v.toFixed(1)}×` });
  return results;
}

async function once(ctx, init, n) {
  const file = join(ctx.scratch, `multi-${init.name.replace(/\W/g, '')}-${n}.txt`);
  const programs = {};
  for (let i = 1; i <= PROGRAMS; i++) programs[`p${i}`] = [ctx.bin.firstlight, file, '--stay'];
  const run = startPid1(ctx, init, [], { stampFile: file, initArgv: init.multiArgv(programs) });
  try {
    const text = await waitUntil(() => {
      const t = existsSync(file) ? readFileSync(file, 'utf8') : '';
      return (t.match(/^child /gm) ?? []).length >= PROGRAMS ? t : undefined;
    }, { timeoutMs: 60_000, what: `${PROGRAMS} programs to start`, run });
    const exec = Number(/^exec (\d+)/m.exec(text)[1]);
    const last = Math.max(...[...text.matchAll(/^child (\d+)/gm)].map((m) => Number(m[1])));
    await run.program(ctx.bin.firstlight, { count: PROGRAMS });
    await sleep(1000);
    const rssKb = run.initPids(ctx.bin.firstlight).reduce((a, p) => a + (memoryOf(p).rssKb ?? 0), 0);
    const r = spawnSync(ctx.bin.killwait, ['15', String(run.hostPid), '30000'], { encoding: 'utf8' });
    if (r.status !== 0) throw new MeasureError(`killwait: ${r.stderr.trim()}`);
    const stoppedUs = Number(r.stdout.trim());
    if (stoppedUs < 0) throw new MeasureError('still running 30 s after SIGTERM');
    return { startedMs: (last - exec) / 1e6, stoppedMs: stoppedUs / 1000, rssMiB: rssKb / 1024 };
  } finally {
    await run.kill();
  }
}
