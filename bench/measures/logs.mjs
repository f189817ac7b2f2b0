// 7. Logs: 1 GB of numbered lines from loggen.c through each log path into logcheck.c, which
// verifies every line. Throughput from the generator's first write to the last line's arrival.
// Why 1 GB: 100 MB went by in 40-115 ms, so each run measured start-up transients (an init's work
// right after the spawn, JIT warm-up, first page faults) more than throughput; docs/performance.md.
import { spawn } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { lastcallConfig, supervisordConfig } from '../lib/inits.mjs';
import { peakRssKbOf } from '../lib/proc.mjs';
import { MeasureError, sleep, startPid1 } from '../lib/pid1.mjs';
import { containerEnv } from '../lib/setup.mjs';
import { fmt, max, median, table } from '../lib/report.mjs';

export const title = '7. Logs';
const LINE_BYTES = 100;

export async function measure(ctx, section) {
  const lines = ctx.quick ? 100_000 : 10_000_000;
  // pm2-runtime keeps what its program writes in memory (~4 GB of RSS for a 1 GB flood, and ~40 s
  // a run): it gets a tenth of the flood, so the bench fits a smaller machine. Its row says so.
  const linesOf = (path) => (path.init?.name === 'pm2-runtime' ? lines / 10 : lines);
  const runsOf = (path) => (ctx.quick ? 1 : path.init?.slow ? 2 : 5);
  const byName = Object.fromEntries(ctx.inits.map((i) => [i.name, i]));
  const paths = [
    { name: 'direct pipe (no init)', direct: true },
    // What a line-by-line relay costs in C: the bar for a prefixing relay, not a target.
    { name: 'reference: GNU sed adding "gen: " to each line (C)', direct: true, through: "sed 's/^/gen: /'" },
    // The floor of a relay on this machine: lastcall's two formats, its read and write sizes and
    // pipe sizes, in plain C (bench/c/relayref.c). What is left between it and lastcall is Node's I/O
    // and lastcall's own formatting: the two unformatted rows below tell them apart.
    { name: 'reference: C relay, `logs: prefix` format (relayref.c)', direct: true, through: `"${ctx.bin.relayref}" prefix` },
    { name: 'reference: C relay, `logs: json` format (relayref.c)', direct: true, through: `"${ctx.bin.relayref}" json` },
    // The same without the copy into the output pipe (vmsplice): what any json relay could make
    // here. Safe only for a reader that read()s, as logcheck does; not a design lastcall can use.
    { name: 'reference: C relay, `logs: json`, output lent with vmsplice (relayref.c; unsafe for an init)', direct: true, through: `"${ctx.bin.relayref}" json-vmsplice` },
    // The I/O alone, unformatted: in C, and in Node the way lastcall does it (libuv reads into one
    // buffer, a nonblocking write per read). Their gap is what Node's read and write path costs.
    { name: 'reference: C relay, no formatting (relayref.c copy)', direct: true, through: `"${ctx.bin.relayref}" copy` },
    { name: 'reference: Node relay, no formatting (bench/peers/node-relay.mjs)', direct: true, wrap: [ctx.node, new URL('../peers/node-relay.mjs', import.meta.url).pathname] },
  ];
  for (const mode of ['inherit', 'prefix', 'json']) {
    paths.push({ name: `lastcall \`logs: ${mode}\``, init: byName.lastcall, argv: (program) => byName.lastcall.multiArgv({ gen: program }, { logs: mode }) });
  }
  if (byName.supervisord) paths.push({ name: 'supervisord (stdout_logfile=/dev/stdout)', init: byName.supervisord, argv: (program) => [ctx.tools.supervisord, '-n', '-c', supervisordConfig(ctx.scratch, { gen: program })] });
  if (byName['pm2-runtime']) paths.push({ name: 'pm2-runtime', init: byName['pm2-runtime'], argv: (program) => byName['pm2-runtime'].argv(program) });

  const results = new Map(paths.map((p) => [p.name, []]));
  const errors = new Map();
  const most = Math.max(...paths.map(runsOf));
  for (let n = 0; n < most; n++) {
    for (const path of paths) {
      if (errors.has(path.name) || n >= runsOf(path)) continue;
      ctx.progress(`logs: ${path.name}, run ${n + 1}/${runsOf(path)}, ${(linesOf(path) * LINE_BYTES) / 1e6} MB`);
      try {
        results.get(path.name).push(await once(ctx, path, linesOf(path), n));
      } catch (error) {
        errors.set(path.name, section.fail(`logs through ${path.name}`, error));
      }
    }
  }

  const mbps = (name) => (errors.has(name) ? errors.get(name) : median(results.get(name).map((r) => r.mbps)));
  const direct = mbps(paths[0].name);
  const rows = paths.map((p) => {
    const rs = results.get(p.name);
    if (errors.has(p.name)) return [p.name, fmt(errors.get(p.name)), '', '', '', '', '', ''];
    const t = mbps(p.name);
    const worst = (k) => String(max(rs.map((r) => r[k])));
    return [
      p.name,
      fmt(t, 0) + (rs.some((r) => !r.lastArrived) ? ' *' : ''),
      typeof direct === 'number' ? `${((t / direct) * 100).toFixed(0)} %` : '',
      worst('lost'),
      `${worst('corrupt')} / ${worst('dup')} / ${worst('reordered')}`,
      worst('other'),
      p.direct ? '' : fmt(max(rs.map((r) => r.peakMiB)), 1),
      [linesOf(p) !== lines ? `${(linesOf(p) * LINE_BYTES) / 1e6} MB flood` : '', rs.map((r) => r.note).filter(Boolean)[0] ?? ''].filter(Boolean).join('; '),
    ];
  });
  section.say(
    `loggen.c writes ${lines.toLocaleString('en')} lines of ${LINE_BYTES} bytes (${(lines * LINE_BYTES) / 1e6} MB; "~N~" + a fixed filler) in 64 KiB writes to its stdout; ` +
      'under an init it is the only program (lastcall `--config` with `restart: never` and the mode shown). The init\'s stdout is a FIFO read by logcheck.c, ' +
      'which finds every numbered line inside whatever wrapping the path adds and checks the filler byte for byte. ' +
      'MB/s = the flood\'s MB (a smaller flood is in the row\'s note) ÷ (last line read − first write), median of ' + (ctx.quick ? '1 run' : '5 runs (2 for pm2-runtime and supervisord)') + '; * = the last line never came, time to EOF used. ' +
      'Lost (includes corrupt), corrupt, duplicated, reordered: worst run. Other = lines without a number (the init\'s own). Peak RSS: VmHWM of the init.',
  );
  section.say(table(['path', 'MB/s', 'vs direct pipe', 'lines lost', 'corrupt / dup / reordered', 'other lines', 'init peak RSS (MiB)', 'note'], rows));
  const againstC = ['prefix', 'json'].map((mode) => {
    const [t, c] = [mbps(`lastcall \`logs: ${mode}\``), mbps(`reference: C relay, \`logs: ${mode}\` format (relayref.c)`)];
    return `${mode} ${typeof t === 'number' && typeof c === 'number' ? `${((t / c) * 100).toFixed(0)} %` : 'n/a'}`;
  });
  section.say(`- lastcall's MB/s as a share of the C relay's, same format: ${againstC.join(', ')}.`);
  const [nodeCopy, cCopy] = [mbps('reference: Node relay, no formatting (bench/peers/node-relay.mjs)'), mbps('reference: C relay, no formatting (relayref.c copy)')];
  if (typeof nodeCopy === 'number' && typeof cCopy === 'number' && typeof direct === 'number') {
    const share = (a, b) => `${((a / b) * 100).toFixed(0)} %`;
    const [prefix, cPrefix] = [mbps('lastcall `logs: prefix`'), mbps('reference: C relay, `logs: prefix` format (relayref.c)')];
    section.say(
      `- Unformatted, a Node relay makes ${share(nodeCopy, cCopy)} of the C relay's MB/s (${share(nodeCopy, direct)} of the direct pipe): what Node's read and write path costs on its own.` +
        (typeof prefix === 'number' && typeof cPrefix === 'number' ? ` Adding the prefix: lastcall makes ${share(prefix, nodeCopy)} of that Node relay's MB/s, the C prefix relay ${share(cPrefix, cCopy)} of the C copy's.` : ''),
    );
  }

  for (const mode of ['prefix', 'json']) {
    const name = `lastcall \`logs: ${mode}\``;
    const t = mbps(name);
    section.check(`logs ${mode}: share of direct-pipe MB/s`, typeof t === 'number' && typeof direct === 'number' ? (t / direct) * 100 : t, 50, { atLeast: true, show: (v) => `${v.toFixed(0)} %` });
  }
  for (const mode of ['inherit', 'prefix', 'json']) {
    const name = `lastcall \`logs: ${mode}\``;
    const rs = results.get(name);
    section.check(`logs ${mode}: lines lost or damaged`, errors.get(name) ?? max(rs.map((r) => r.lost + r.dup)), 0, { show: (v) => v.toFixed(0) });
  }
  return results;
}

/** One flood through `path`; resolves with the verifier's counts and the throughput. */
async function once(ctx, path, lines, n) {
  const stamp = join(ctx.scratch, `logs-${n}-${path.name.replace(/\W/g, '')}.stamp`);
  const fifo = `${stamp}.fifo`;
  if (spawnSync('mkfifo', [fifo]).status !== 0) throw new MeasureError(`mkfifo ${fifo} failed`);
  const readFd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeFd = openSync(fifo, 'w');
  const check = spawn(ctx.bin.logcheck, [String(lines)], { stdio: [readFd, 'pipe', 'inherit'] });
  let verdict = '';
  check.stdout.on('data', (chunk) => (verdict += chunk));
  const checked = new Promise((resolve) => check.on('exit', resolve));
  const program = [ctx.bin.loggen, String(lines), stamp];
  let run;
  try {
    if (path.through) spawn(ctx.tools.sh, ['-c', `"$0" "$1" "$2" | ${path.through}`, ...program], { stdio: ['ignore', writeFd, 'inherit'], env: containerEnv() });
    else if (path.wrap) spawn(path.wrap[0], [...path.wrap.slice(1), ...program], { stdio: ['ignore', writeFd, 'inherit'], env: containerEnv() });
    else if (path.direct) spawn(program[0], program.slice(1), { stdio: ['ignore', writeFd, 'inherit'], env: containerEnv() });
    else run = startPid1(ctx, path.init, [], { initArgv: path.argv(program), stdio: ['ignore', writeFd] });
  } finally {
    closeSync(readFd);
    closeSync(writeFd);
  }

  let peakKb = 0;
  // The init's own processes, found once the generator runs: walking /proc for them every 20 ms
  // (and reading smaps_rollup, under the init's mmap lock) took ~1.25 ms of CPU per poll from the
  // cores the flood runs on, for the init paths only. Now each poll reads one status file per pid.
  let initPids = [];
  let ended;
  let note = '';
  let lastRead = -1;
  let quietSince = Date.now();
  const deadline = Date.now() + 300_000;
  for (let finished = false; !finished;) {
    finished = await Promise.race([checked.then(() => true), sleep(20).then(() => false)]);
    if (finished) break;
    if (run?.hostPid === undefined && run) await run.pid().catch(() => {});
    const text = existsSync(stamp) ? readFileSync(stamp, 'utf8') : '';
    if (run?.hostPid !== undefined && initPids.length === 0 && /^start /m.test(text)) initPids = run.initPids(ctx.bin.loggen);
    for (const p of initPids) peakKb = Math.max(peakKb, peakRssKbOf(p) ?? 0);
    if (ended === undefined && /^end /m.test(text)) ended = Date.now();
    const read = readChars(check.pid);
    if (read !== lastRead) {
      lastRead = read;
      quietSince = Date.now();
    }
    // An init that stays up after its program (supervisord) is stopped once its output is quiet;
    // one that should exit by itself but does not after 10 s is noted and stopped.
    if (run && ended !== undefined && !run.done) {
      const quiet = Date.now() - quietSince > 1000;
      if (!path.init.exitsWithProgram && quiet) await run.kill();
      else if (path.init.exitsWithProgram && Date.now() - ended > (path.init.slow ? 20_000 : 10_000)) {
        note = `${path.init.name} still running ${(Date.now() - ended) / 1000 | 0} s after its program ended`;
        await run.kill();
      }
    }
    if (Date.now() > deadline) {
      await run?.kill();
      check.kill('SIGKILL');
      throw new MeasureError('no end after 300 s');
    }
  }
  await run?.kill();
  const counts = Object.fromEntries([...verdict.matchAll(/(\w+)=(-?\d+)/g)].map((m) => [m[1], Number(m[2])]));
  if (counts.good === undefined) throw new MeasureError(`logcheck said: ${verdict.trim() || 'nothing'}`);
  // A path that delivered nothing (a relay that failed to start) measured nothing: no MB/s for it.
  if (counts.good === 0) throw new MeasureError(`no line arrived${run ? `: ${run.why()}` : ''}`);
  const start = Number(/^start (\d+)/m.exec(readFileSync(stamp, 'utf8'))?.[1]);
  if (!start) throw new MeasureError(`the generator never started${run ? `: ${run.why()}` : ''}`);
  const lastArrived = counts.last_ns > 0;
  const seconds = ((lastArrived ? counts.last_ns : counts.eof_ns) - start) / 1e9;
  return { ...counts, lastArrived, mbps: (lines * LINE_BYTES) / 1e6 / seconds, peakMiB: peakKb / 1024, note };
}

/** Bytes read so far by a process (/proc/PID/io rchar), to see when a stream has gone quiet. */
function readChars(pid) {
  try {
    return Number(/^rchar: (\d+)/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))[1]);
  } catch {
    return -1;
  }
}
