#!/usr/bin/env node
// Shutdown benchmark: the scale-down of examples/nginx-php-fpm (two pods behind haproxy, pod 1
// stopped under load) for every variant, several runs each, in two scenarios, as one markdown
// table with the machine and the date. docs/shutdown-bench.md explains it and keeps a result.
//
//   sudo node bench/shutdown/run.mjs [--runs 3] [--scenario NAME]...
//
// lastcall is copied (bin/ and dist/) before the first run, so that a rebuild in the middle
// (other work on the same checkout) does not mix two versions in one table. Not part of npm test.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..', '..');
const scaleDown = join(root, 'examples', 'nginx-php-fpm', 'scale-down.mjs');

// The lag is how long the load balancer keeps sending to pod 1 after t=0; the check interval
// how often haproxy asks the pod (/readyz with --health, else nginx's /healthz; down after 2).
const SCENARIOS = {
  'fast-removal': { lag: '3s', checkInterval: '1s', about: 'endpoint removal within 3 s, health checks every 1 s' },
  'slow-removal': { lag: '8s', checkInterval: '10s', about: 'endpoint removal after 8 s (longer than the 5 s fixed drain), health checks every 10 s' },
};

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    scenario: { type: 'string', multiple: true },
  },
});
const runs = Number(values.runs);
const scenarios = values.scenario ?? Object.keys(SCENARIOS);
if (!Number.isInteger(runs) || runs < 1 || runs > 20 || scenarios.some((s) => !SCENARIOS[s])) {
  console.error(`usage: node bench/shutdown/run.mjs [--runs 1..20] [--scenario ${Object.keys(SCENARIOS).join('|')}]...`);
  process.exit(2);
}

const snapshot = mkdtempSync(join(here, '.lastcall-'));
const cleanup = () => rmSync(snapshot, { recursive: true, force: true });
process.on('exit', cleanup);
let child = null;
// ^C reaches scale-down too (same terminal group): it stops its pods; we wait for it, then go.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (child) child.kill(signal);
    else process.exit(130);
  });
}
cpSync(join(root, 'bin'), join(snapshot, 'bin'), { recursive: true });
cpSync(join(root, 'dist'), join(snapshot, 'dist'), { recursive: true });
const lastcall = join(snapshot, 'bin', 'lastcall.js');

const sh = (command) => {
  try {
    return execFileSync('sh', ['-c', command], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '?';
  }
};
const version = (command, pattern) => (pattern.exec(sh(`${command} 2>&1`)) ?? [])[1] ?? '?';
const build = `lastcall ${sh(`git -C ${root} rev-parse --short HEAD`)}${sh(`git -C ${root} status --porcelain src bin | head -1`) ? ' + uncommitted changes' : ''}, dist built ${statSync(join(root, 'dist', 'lastcall.js')).mtime.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
const header = [
  `date: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  `machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? '?'}, kernel ${sh('uname -r')}, node ${process.version}; load average ${loadavg()[0].toFixed(2)} at the start`,
  `servers: nginx ${version('nginx -v', /nginx\/(\S+)/)}, php-fpm ${version('php-fpm8.2 -v || php-fpm -v', /PHP (\S+)/)}, haproxy ${version('haproxy -v', /version (\S+)/)}`,
  build,
];
console.log(header.join('\n'));

/** Runs scale-down.mjs once for every variant, `runs` times each; resolves with its JSON results. */
function runScenario(name) {
  const { lag, checkInterval } = SCENARIOS[name];
  const argv = [scaleDown, '--json', '--runs', String(runs), '--lag', lag, '--check-interval', checkInterval, '--lastcall', lastcall];
  process.stderr.write(`bench: ${name}: node ${argv.map((a) => a.replace(root, '')).join(' ')}\n`);
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS; // not in containers; slows every Node start
    delete env.NODE_OPTIONS;
    child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'], env });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('exit', (code, signal) => {
      child = null;
      if (signal || code === 130) process.exit(130);
      const results = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
      resolve({ code, results });
    });
  });
}

const seconds = (ms) => (ms === null || !Number.isFinite(ms) ? 'did not stop' : (ms / 1000).toFixed(1));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

let status = 0;
const rows = [];
for (const name of scenarios) {
  const { code, results } = await runScenario(name);
  if (code !== 0) status = 1;
  const variants = [...new Set(results.map((r) => r.variant))];
  for (const variant of variants) {
    const mine = results.filter((r) => r.variant === variant);
    if (mine[0].unavailable) {
      rows.push(`| ${name} | ${variant} | not run: ${mine[0].unavailable} | | | |`);
      continue;
    }
    const failed = mine.map((r) => `${r.failed}/${r.sent}`).join(', ');
    const stops = mine.map((r) => seconds(r.stopMs)).join(', ');
    const removed = mine.map((r) => (r.removedMs === null ? '-' : seconds(r.removedMs))).join(', ');
    const kinds = {};
    for (const r of mine) for (const [k, n] of Object.entries(r.kinds)) kinds[k] = (kinds[k] ?? 0) + n;
    const kindText = Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(', ') || '-';
    rows.push(`| ${name} | ${variant} | ${failed} | ${kindText} | ${removed} | ${stops} (median ${seconds(median(mine.map((r) => r.stopMs ?? Infinity)))}) |`);
  }
}

console.log('');
for (const name of scenarios) console.log(`- ${name}: ${SCENARIOS[name].about}`);
console.log(`- ${runs} runs per variant; 40 req/s of 200-500 ms requests through haproxy; times in seconds from t=0 (pod 1 begins terminating)`);
console.log('');
console.log('| scenario | variant | failed/sent per run | failures by kind (all runs) | LB stopped sending (s) | pod 1 stopped (s) |');
console.log('|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
console.log(`\nload average ${loadavg()[0].toFixed(2)} at the end`);
process.exitCode = status;
