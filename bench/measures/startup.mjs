// 1. Startup: `INIT -- true` wall time (hyperfine), and exec of the init -> first instruction of
// its child (execstamp.c timestamps just before execve; firstlight.c, static, at the top of main).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { containerEnv, namespaceArgv } from '../lib/setup.mjs';
import { MeasureError, sleep, startPid1, waitUntil } from '../lib/pid1.mjs';
import { fmt, max, median, min, na, table } from '../lib/report.mjs';

export const title = '1. Startup';

export async function measure(ctx, section) {
  const wallRuns = ctx.quick ? 5 : 40;
  // hyperfine runs one command's runs back to back; in rounds of 5 the commands take turns, so a
  // slow or quiet minute on this shared host falls on all of them alike (with 40 in a row each, the
  // Node floor's median was 39.9 ms in one full run and 44-45 ms in the others around it).
  const wallRounds = ctx.quick ? 1 : 8;
  const childRuns = (init) => (init.slow ? (ctx.quick ? 1 : 5) : ctx.quick ? 3 : 30);
  const ns = namespaceArgv(ctx.tools.unshare).join(' ');

  // Wall time of the whole `unshare ... INIT -- true`, as a runtime would see it.
  const commands = [{ name: 'no init (unshare … true)', argv: [ctx.tools.true] }, { name: 'node -e 0 (reference)', argv: [ctx.node, '-e', '0'] }];
  const wall = new Map();
  for (const init of ctx.inits) {
    if (!init.exitsWithProgram) wall.set(init.name, na(`${init.name} keeps running after its program exits`));
    else if (init.slow) wall.set(init.name, ctx.quick ? na('not run in --quick') : undefined);
    else commands.push({ name: init.name, argv: init.argv([ctx.tools.true]) });
  }
  ctx.progress(`startup: hyperfine, ${commands.length} commands × ${wallRuns} runs, in ${wallRounds} rounds`);
  for (const r of hyperfine(ctx, commands, wallRuns, ns, 3, false, wallRounds)) wall.set(r.name, r);
  for (const init of ctx.inits.filter((i) => i.slow && i.exitsWithProgram && !ctx.quick)) {
    ctx.progress(`startup: hyperfine ${init.name}, 2 runs (it exits seconds after its program)`);
    try {
      // pm2-runtime exits with status 2 after its program exits 0: its status is not the point here.
      for (const r of hyperfine(ctx, [{ name: init.name, argv: init.argv([ctx.tools.true]), env: init.env() }], 2, ns, 0, true)) wall.set(r.name, r);
      section.note(`${init.name} wall: 2 runs only (it exits seconds after its program), with hyperfine --ignore-failure: it exits with status 2 after its program exited 0.`);
    } catch (error) {
      wall.set(init.name, section.fail(`${init.name} wall time`, error));
    }
  }

  // exec -> child, runs interleaved across inits so that drift on a shared machine hits all alike.
  const gaps = new Map(ctx.inits.map((i) => [i.name, []]));
  const errors = new Map();
  const most = Math.max(...ctx.inits.map(childRuns));
  ctx.progress(`startup: exec → child, up to ${most} runs per init`);
  for (let run = 0; run < most; run++) {
    for (const init of ctx.inits) {
      if (run >= childRuns(init) || errors.has(init.name)) continue;
      try {
        gaps.get(init.name).push(await execToChild(ctx, init, run));
      } catch (error) {
        errors.set(init.name, section.fail(`${init.name} exec → child`, error));
      }
    }
  }

  const floorWall = wall.get('Node floor')?.median;
  const floorChild = median(gaps.get('Node floor') ?? []);
  const rows = [];
  for (const r of commands.slice(0, 2)) rows.push([r.name, fmt(wall.get(r.name)?.median, 1), meanSd(wall.get(r.name)), '', '', '', '']);
  for (const init of ctx.inits) {
    const w = wall.get(init.name);
    const g = gaps.get(init.name);
    const child = errors.get(init.name) ?? median(g);
    rows.push([
      init.name,
      fmt(w?.median ?? w, 1),
      meanSd(w),
      fmt(child, 2),
      g.length ? `${fmt(min(g), 2)} – ${fmt(max(g), 2)}` : '',
      String(g.length),
      init.name === 'Node floor' || floorChild === undefined || typeof child !== 'number' ? '' : `${child - floorChild >= 0 ? '+' : ''}${fmt(child - floorChild, 2)}`,
    ]);
  }
  section.say(
    'Each init is PID 1 of a fresh PID namespace (`' + ns + ' INIT -- PROGRAM`). ' +
      `Wall: hyperfine -N, ${wallRuns} runs of \`INIT -- true\` in ${wallRounds} rounds of ${wallRuns / wallRounds}, every init in each round (3 warm-up runs in the first, 1 in the others), median and mean ± σ in ms over all runs. ` +
      'exec → child: execstamp.c reads CLOCK_MONOTONIC just before execve(INIT) in the namespace; the child (firstlight.c, static) reads it as the first statement of main; ms, median of the runs.',
  );
  section.say(table(['init', 'wall median (ms)', 'wall mean ± σ (ms)', 'exec → child median (ms)', 'exec → child min – max', 'runs', 'exec → child vs Node floor'], rows));
  for (const [name, w] of wall) if (w?.na) section.note(`${name} wall: n/a, ${w.na}.`);

  const lastWall = wall.get('lastcall')?.median;
  section.check('startup wall (median)', lastWall, floorWall === undefined ? undefined : floorWall + 15, { show: ms, target: `≤ Node floor + 15 ms = ${fmt(floorWall === undefined ? undefined : floorWall + 15, 1)} ms` });
  const lastChild = errors.get('lastcall') ?? median(gaps.get('lastcall') ?? []);
  section.check('exec → child (median)', lastChild, floorChild === undefined ? undefined : floorChild + 15, { show: ms, target: `≤ Node floor + 15 ms = ${fmt(floorChild === undefined ? undefined : floorChild + 15, 1)} ms` });
  return { wall, gaps };
}

const ms = (v) => `${v.toFixed(1)} ms`;
const meanSd = (w) => (w && typeof w.mean === 'number' ? `${w.mean.toFixed(1)} ± ${w.stddev.toFixed(1)}` : '');

/** Runs hyperfine over `commands` (each {name, argv, env}); returns {name, mean, stddev, median, ...} in ms. */
/** hyperfine over commands, `runs` each, in `rounds` turns; statistics in ms over every run. */
function hyperfine(ctx, commands, runs, ns, warmup = 3, ignoreFailure = false, rounds = 1) {
  const times = new Map(commands.map((c) => [c.name, []]));
  const env = { ...containerEnv(), ...Object.assign({}, ...commands.map((c) => c.env ?? {})) };
  for (let round = 0; round < rounds; round++) {
    const json = join(ctx.scratch, `hyperfine-${Date.now()}-${round}.json`);
    const argv = ['-N', '--warmup', String(round === 0 ? warmup : Math.min(warmup, 1)), '--runs', String(runs / rounds), '--export-json', json, '--style', 'none', ...(ignoreFailure ? ['--ignore-failure'] : [])];
    for (const c of commands) argv.push('--command-name', c.name, `${ns} ${c.argv.join(' ')}`);
    const result = spawnSync(ctx.tools.hyperfine, argv, { env, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
    if (result.status !== 0 || !existsSync(json)) throw new MeasureError(`hyperfine failed: ${(result.stderr ?? '').trim().split('\n').slice(-2).join(' / ')}`);
    for (const r of JSON.parse(readFileSync(json, 'utf8')).results) times.get(r.command).push(...r.times.map((t) => t * 1000));
  }
  return [...times].map(([name, ms]) => {
    const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
    const stddev = ms.length > 1 ? Math.sqrt(ms.reduce((a, b) => a + (b - mean) ** 2, 0) / (ms.length - 1)) : 0;
    return { name, mean, stddev, median: median(ms), min: min(ms), max: max(ms) };
  });
}

/** One run: ms from the init's exec to its child's first instruction. */
async function execToChild(ctx, init, run) {
  const file = join(ctx.scratch, `startup-${init.name.replace(/\W/g, '')}-${run}.txt`);
  const pid1 = startPid1(ctx, init, [ctx.bin.firstlight, file], { stampFile: file });
  try {
    const text = await waitUntil(() => {
      const t = existsSync(file) ? readFileSync(file, 'utf8') : '';
      return /^child /m.test(t) && /^exec /m.test(t) ? t : undefined;
    }, { timeoutMs: 60_000, what: 'the child to start', run: pid1 });
    const exec = Number(/^exec (\d+)/m.exec(text)[1]);
    const child = Number(/^child (\d+)/m.exec(text)[1]);
    if (init.exitsWithProgram && !init.slow) {
      await Promise.race([pid1.exited, sleep(5000)]);
      if (!pid1.done) throw new MeasureError(`${init.name} still running 5 s after its program exited`);
    }
    return (child - exec) / 1e6;
  } finally {
    await pid1.kill();
  }
}
