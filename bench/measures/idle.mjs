// 2. Idle: memory of the init with a sleeping child (each init alone, so that PSS does not split
// shared pages between two inits under test), then CPU time and wakeups over an idle window
// (all inits side by side: idle processes do not disturb each other).
import { counterDelta, countersOf, memoryOf } from '../lib/proc.mjs';
import { sleep, startPid1 } from '../lib/pid1.mjs';
import { fmt, table } from '../lib/report.mjs';

export const title = '2. Idle';

export async function measure(ctx, section) {
  const settleMs = ctx.quick ? 1000 : 2000;
  const windowMs = ctx.quick ? 3000 : 10_000;
  const program = [ctx.tools.sleep, 'infinity'];
  const exe = ctx.tools.sleep;
  const mem = new Map();
  const idle = new Map();

  ctx.progress('idle: memory, one init at a time');
  for (const init of ctx.inits) {
    const run = startPid1(ctx, init, program);
    try {
      await run.program(exe);
      await sleep(settleMs);
      const pids = run.initPids(exe);
      const m = pids.map(memoryOf);
      if (m.some((x) => x.rssKb === undefined || x.pssKb === undefined)) throw new Error('its /proc entries vanished');
      mem.set(init.name, { rss: sum(m, 'rssKb') / 1024, pss: sum(m, 'pssKb') / 1024, processes: pids.length });
    } catch (error) {
      mem.set(init.name, section.fail(`${init.name} memory`, error));
    } finally {
      await run.kill();
    }
  }

  // Two windows: the first 10 s after the settle, and the 10 s after that. A Node process that
  // allocated enough while starting runs V8's memory reducer (a full GC) ~8 s after start: once,
  // in the first window only. The second window is the steady state.
  ctx.progress(`idle: CPU and wakeups over 2 × ${windowMs / 1000} s, all inits side by side`);
  const runs = ctx.inits.map((init) => ({ init, run: startPid1(ctx, init, program) }));
  const windows = [new Map(), new Map()];
  try {
    await Promise.all(runs.map(async ({ init, run }) => {
      try {
        await run.program(exe);
      } catch (error) {
        idle.set(init.name, section.fail(`${init.name} idle`, error));
      }
    }));
    await sleep(settleMs);
    let before = sample(runs, exe);
    for (const window of windows) {
      await sleep(windowMs);
      const after = sample(runs, exe);
      runs.forEach(({ init, run }, i) => {
        if (idle.has(init.name)) return;
        if (run.done) return idle.set(init.name, section.fail(`${init.name} idle`, new Error(`exited during the window: ${run.why()}`)));
        const total = { cpuNs: 0, voluntary: 0, involuntary: 0, threads: 0 };
        for (const { pid, c } of before[i]) {
          const d = counterDelta(c, after[i].find((x) => x.pid === pid)?.c ?? c);
          for (const k of Object.keys(total)) total[k] += d[k];
        }
        const per10s = 10_000 / windowMs;
        window.set(init.name, { cpuMs: (total.cpuNs / 1e6) * per10s, wakeups: total.voluntary * per10s, involuntary: total.involuntary * per10s, threads: total.threads });
      });
      before = after;
    }
  } finally {
    await Promise.all(runs.map(({ run }) => run.kill()));
  }

  const at = (w, name) => idle.get(name) ?? windows[w].get(name);
  const rows = ctx.inits.map((init) => {
    const m = mem.get(init.name);
    const [a, b] = [at(0, init.name), at(1, init.name)];
    return [init.name, fmt(m?.rss ?? m, 1), fmt(m?.pss ?? m, 1), String(m?.processes ?? ''), String(b?.threads ?? ''), fmt(a?.cpuMs ?? a, 2), fmt(a?.wakeups ?? a, 0), fmt(b?.cpuMs ?? b, 2), fmt(b?.wakeups ?? b, 0)];
  });
  const first = `${settleMs / 1000}–${(settleMs + windowMs) / 1000} s`;
  const second = `${(settleMs + windowMs) / 1000}–${(settleMs + 2 * windowMs) / 1000} s`;
  section.say(
    `The program is \`sleep infinity\`. Memory after ${settleMs / 1000} s settled, each init alone: VmRSS and Pss (smaps_rollup) summed over the init's processes ` +
      '(all processes of the namespace but the program; 1 for every init here). Then all inits side by side, two windows of ' +
      `${windowMs / 1000} s: ${first} and ${second} after the program started. ` +
      'CPU time from /proc/PID/task/*/schedstat (ns, every thread), wakeups = voluntary context switches of every thread, normalised to 10 s. ' +
      'PSS splits shared pages (libc, the node binary) among every process mapping them on this machine, the bench runner included, so it varies with what else runs.',
  );
  section.say(table(['init', 'RSS (MiB)', 'PSS (MiB)', 'processes', 'threads', `CPU (ms), ${first}`, `wakeups, ${first}`, `CPU (ms), ${second}`, `wakeups, ${second}`], rows));

  const floor = mem.get('Node floor');
  const last = mem.get('lastcall');
  section.check('RSS with a sleeping child', last?.rss ?? last, typeof floor?.rss === 'number' ? floor.rss + 6 : undefined, { show: (v) => `${v.toFixed(1)} MiB`, target: `≤ Node floor + 6 MiB = ${fmt(floor?.rss === undefined ? undefined : floor.rss + 6, 1)} MiB` });
  for (const [w, span] of [[0, first], [1, second]]) {
    const l = at(w, 'lastcall');
    section.check(`idle wakeups per 10 s, ${span}`, l?.wakeups ?? l, 0, { show: (v) => v.toFixed(0) });
    section.check(`idle CPU per 10 s, ${span}`, l?.cpuMs ?? l, 1, { show: (v) => `${v.toFixed(2)} ms` });
  }
  return { mem, windows };
}

const sum = (xs, key) => xs.reduce((a, x) => a + x[key], 0);

/** Counters of every init process of every run: [[{pid, c}]]. */
function sample(runs, exe) {
  return runs.map(({ run }) => run.initPids(exe).map((pid) => ({ pid, c: countersOf(pid) })));
}
