#!/usr/bin/env node
// lastcall's benchmark suite: lastcall and its peers side by side, each as real PID 1 of a fresh
// PID namespace, in the same run, with ratios against the targets of issue 5.
//
//   node bench/run.mjs [MEASURE...] [--quick] [--inits NAME,NAME]
//     MEASURE: startup idle signals reaping shutdown multi logs (default: all, in that order)
//     --quick: small counts, for trying the bench out (results go to bench/results/partial.md)
//     --inits: only these peers besides lastcall and the Node floor (the targets' reference), e.g.
//              --inits tini,supervisord; a target whose reference peer is left out (supervisord
//              for multi) is NOT MEASURED and the exit status is 1
//
// Prints markdown tables and writes the same text to bench/results/latest.md (a full run) or
// bench/results/partial.md (a subset or --quick). Exit status: 0 when everything was measured
// (targets may still be missed: see the verdicts), 1 when something could not be measured,
// 2 on a usage or setup error. Needs root (or unprivileged user namespaces). Not part of npm test.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeInits, INIT_NAMES } from './lib/inits.mjs';
import { active } from './lib/pid1.mjs';
import { Section, table } from './lib/report.mjs';
import { bench, buildHelpers, ensurePm2, findTools, PM2_VERSION, root, scratch, SetupError, snapshotLastcall } from './lib/setup.mjs';

const MEASURES = ['startup', 'idle', 'signals', 'reaping', 'shutdown', 'multi', 'logs'];

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { quick: { type: 'boolean', default: false }, inits: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
});
const usage = `usage: node bench/run.mjs [${MEASURES.join('|')}]... [--quick] [--inits ${INIT_NAMES.join(',')}]`;
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const unknown = positionals.filter((m) => !MEASURES.includes(m));
const wantedInits = values.inits?.split(',').map((s) => s.trim());
const badInit = wantedInits?.find((n) => !INIT_NAMES.includes(n));
if (unknown.length || badInit) {
  console.error(`bench: unknown ${unknown.length ? `measure ${unknown.join(', ')}` : `init ${badInit}`}\n${usage}`);
  process.exit(2);
}
const selected = positionals.length ? MEASURES.filter((m) => positionals.includes(m)) : MEASURES;
const started = Date.now();
const progress = (message) => process.stderr.write(`bench [${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);

let tmp;
let lastcall;
function cleanup() {
  for (const run of active) run.unshare.kill('SIGKILL');
  tmp?.remove();
  if (lastcall) rmSync(lastcall.dir, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

let ctx;
try {
  const tools = findTools();
  const bin = buildHelpers(tools.cc);
  lastcall = snapshotLastcall();
  const needPm2 = !wantedInits || wantedInits.includes('pm2-runtime');
  const pm2Runtime = needPm2 ? ensurePm2() : undefined;
  tmp = scratch();
  const inits = makeInits({ node: process.execPath, lastcall: lastcall.bin, tools, pm2Runtime, scratchDir: tmp.dir })
    .filter((i) => !wantedInits || ['lastcall', 'Node floor'].includes(i.name) || wantedInits.includes(i.name));
  ctx = { quick: values.quick, tools, bin, node: process.execPath, inits, scratch: tmp.dir, progress, lastcall };
} catch (error) {
  if (!(error instanceof SetupError)) throw error;
  console.error(`bench: ${error.message}`);
  process.exit(2);
}

const out = [];
const say = (text) => {
  out.push(text);
  console.log(text);
};

say(`# lastcall benchmarks${ctx.quick ? ' (--quick: small counts, not for comparison)' : ''}`);
say('');
say(header().map((l) => `- ${l}`).join('\n'));
say('');

const sections = [];
for (const name of selected) {
  const module = await import(`./measures/${name}.mjs`);
  const section = new Section(module.title);
  progress(`${module.title}`);
  try {
    await module.measure(ctx, section);
  } catch (error) {
    section.fail('the whole measure', error?.stack ?? error);
  }
  for (const run of active) await run.kill(); // a measure that failed half-way
  sections.push(section);
  say(section.render());
}

const checks = sections.flatMap((s) => s.checks.map((c) => ({ ...c, section: s.title })));
if (checks.length) {
  say('## Summary: lastcall against the targets');
  say('');
  say(table(['measure', 'target', 'lastcall', 'limit', 'verdict'], checks.map((c) => [c.section.replace(/^\d+\. /, ''), c.what, c.value, c.target, `**${c.verdict}**`]), ['l', 'l', 'r', 'l', 'l']));
  say('');
}
const failures = sections.flatMap((s) => s.failures.map((f) => `${s.title}: ${f}`));
const tally = ['PASS', 'MISS', 'NOT MEASURED'].map((v) => `${checks.filter((c) => c.verdict === v).length} ${v.toLowerCase()}`).join(', ');
say(`${tally}. Finished in ${((Date.now() - started) / 1000).toFixed(0)} s; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end.`);
if (failures.length) say(`\nCould not measure:\n${failures.map((f) => `- ${f}`).join('\n')}`);

const full = !ctx.quick && selected.length === MEASURES.length && !wantedInits;
const resultFile = join(bench, 'results', full ? 'latest.md' : 'partial.md');
mkdirSync(join(bench, 'results'), { recursive: true });
writeFileSync(resultFile, `${out.join('\n')}\n`);
progress(`written to ${resultFile.replace(`${root}/`, '')}`);
process.exitCode = failures.length ? 1 : 0;

function header() {
  const sh = (cmd) => {
    try {
      return execFileSync('sh', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    } catch {
      return '?';
    }
  };
  const built = new Date(lastcall.builtAt).toISOString().slice(0, 16).replace('T', ' ');
  const dirty = sh(`git -C ${root} status --porcelain src bin | head -1`) ? ' + uncommitted changes' : '';
  return [
    `date: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    `machine: ${cpus().length} CPUs (nproc ${sh('nproc')}), ${cpus()[0]?.model.trim() ?? '?'}, kernel ${sh('uname -r')}, node ${process.version}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the start`,
    `lastcall ${sh(`git -C ${root} rev-parse --short HEAD`)}${dirty}, dist built ${built} UTC${lastcall.stale ? ' (**older than src/: run `npm run build` to measure the current source**)' : ''}`,
    `peers: tini ${sh('tini --version').replace('tini version ', '')}, dumb-init ${sh('dumb-init --version 2>&1').replace('dumb-init ', '')}, catatonit ${sh('catatonit --version 2>&1').replace(/.*version /, '')}, supervisord ${sh('supervisord --version')}, pm2-runtime ${PM2_VERSION} (npm, bench/.peers), Node floor (bench/peers/node-floor.mjs); hyperfine ${sh('hyperfine --version').replace('hyperfine ', '')}`,
    'environment of every process in the bench: PATH and HOME only, as in a container: NODE_EXTRA_CA_CERTS (set on this machine; +40-60 ms per Node start) and NODE_OPTIONS are unset',
    `inits measured: ${ctx.inits.map((i) => i.name).join(', ')}; measures: ${selected.join(', ')}`,
  ];
}
