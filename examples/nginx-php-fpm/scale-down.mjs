#!/usr/bin/env node
// A Kubernetes scale-down on loopback: two "pods" (lastcall as PID 1 of its own PID namespace,
// over start.sh = nginx + php-fpm), haproxy in front as the Service, a steady load of slow
// requests through it, and then pod 1 is stopped the way the kubelet does it: SIGTERM to its
// PID 1 while, in parallel, the load balancer goes on sending it traffic for `--lag` (endpoint
// removal is not instant) or until its own health checks mark it down. Prints, per run, how many
// requests failed and how long pod 1 took to stop. See README.md, "Measure it".
//
//   node examples/nginx-php-fpm/scale-down.mjs [--variant NAME]... [--runs N] [--lag 3s]
//
// Needs root (unshare), nginx, php-fpm, haproxy (Debian: nginx php8.2-fpm haproxy) and a built
// lastcall (npm run build). Loopback only. Every process it starts is stopped when it ends, on
// Ctrl-C, on an error, and (parent-death signal) when it is killed outright.
// Exit status: 0 every run measured; 1 something could not be measured (a pod never became
// ready, a variant needs options this lastcall lacks, a tool is missing); 2 usage; 130 interrupted.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { killAll, removeScratch, scratchDirs } from './scale-down/children.mjs';
import { Unmeasurable } from './scale-down/pods.mjs';
import { printTable, seconds } from './scale-down/report.mjs';
import { scaleDown } from './scale-down/run.mjs';
import { VARIANTS } from './scale-down/variants.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

const usage = `usage: node examples/nginx-php-fpm/scale-down.mjs [options]
  --variant NAME      ${Object.keys(VARIANTS).join(', ')} (repeatable or comma-separated; default: all)
  --runs N            runs per variant (default 1, at most 20)
  --lag DURATION      how long the load balancer keeps sending to pod 1 after t=0 (default 3s)
  --check-interval D  haproxy's health-check interval (default 1s; a pod is down after 2 failures)
  --rate N            requests per second through haproxy (default 40, at most 500)
  --concurrency N     requests in flight at most (default 32, at most 256)
  --lastcall PATH     lastcall's bin/lastcall.js (default: this checkout's)
  --json              one JSON line per run on stdout instead of the table
  --keep              keep each run's scratch directory (configs, pod and haproxy logs)
  -v, --verbose       progress and pod 1's timeline on stderr`;

class UsageError extends Error {}

function duration(text, name) {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${name}: expected a duration like 3s or 500ms, got \`${text}\``);
  return Math.round(Number(m[1]) * (m[2] === 'ms' ? 1 : 1000));
}

function integer(text, name, min, max) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name}: expected an integer from ${min} to ${max}, got \`${text}\``);
  return n;
}

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      variant: { type: 'string', multiple: true },
      runs: { type: 'string', default: '1' },
      lag: { type: 'string', default: '3s' },
      'check-interval': { type: 'string', default: '1s' },
      rate: { type: 'string', default: '40' },
      concurrency: { type: 'string', default: '32' },
      lastcall: { type: 'string', default: join(root, 'bin', 'lastcall.js') },
      json: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      verbose: { type: 'boolean', short: 'v', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const variants = (values.variant ?? Object.keys(VARIANTS)).flatMap((v) => v.split(','));
  for (const v of variants) if (!VARIANTS[v]) throw new UsageError(`--variant: expected one of ${Object.keys(VARIANTS).join(', ')}, got \`${v}\``);
  const checkIntervalMs = duration(values['check-interval'], '--check-interval');
  if (checkIntervalMs < 100) throw new UsageError(`--check-interval: at least 100ms, got \`${values['check-interval']}\``);
  return {
    help: values.help,
    variants,
    runs: integer(values.runs, '--runs', 1, 20),
    lagMs: duration(values.lag, '--lag'),
    checkIntervalMs,
    rate: integer(values.rate, '--rate', 1, 500),
    concurrency: integer(values.concurrency, '--concurrency', 1, 256),
    lastcall: values.lastcall,
    json: values.json,
    keep: values.keep,
    verbose: values.verbose,
  };
}

function preflight(options) {
  if (process.getuid?.() !== 0) throw new Unmeasurable('run as root: each pod is a PID namespace (unshare) and start.sh drops to www-data');
  for (const tool of ['unshare', 'setpriv', 'haproxy', 'nginx']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      throw new Unmeasurable(`${tool} is missing (Debian: apt-get install nginx php8.2-fpm haproxy util-linux)`);
    }
  }
  if (!existsSync(options.lastcall)) throw new Unmeasurable(`no lastcall at ${options.lastcall} (npm run build)`);
}

/** The options this lastcall knows, from its --help: the shutdown ones are landing one by one. */
function knownOptions(lastcall) {
  const help = execFileSync(process.execPath, [lastcall, '--help'], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  return new Set(help.match(/--[a-z][a-z-]*/g));
}

async function main() {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`scale-down: ${error.message}\n${usage}\n`);
    return 2;
  }
  if (options.help) {
    console.log(usage);
    return 0;
  }
  keepScratch = options.keep;
  const say = options.verbose ? (text) => process.stderr.write(`scale-down: ${text}\n`) : () => {};
  preflight(options);
  const known = knownOptions(options.lastcall);
  const results = [];
  let unmeasured = 0;
  for (const name of options.variants) {
    const missing = (VARIANTS[name].needs ?? []).filter((option) => !known.has(option));
    const runs = missing.length ? [{ variant: name, unavailable: `this lastcall lacks ${missing.join(', ')}` }] : [];
    for (let run = 1; run <= options.runs && !missing.length; run++) {
      const result = { run, ...(await scaleDown(name, { ...options, say })) };
      say(`${name} run ${run}: ${result.failed} of ${result.sent} failed; pod 1 stopped after ${seconds(result.stopMs)}`);
      runs.push(result);
    }
    for (const result of runs) {
      if (result.unavailable || result.stopMs === null) unmeasured++;
      if (options.json) console.log(JSON.stringify(result));
      results.push(result);
    }
  }
  if (!options.json) printTable(results, options);
  return unmeasured ? 1 : 0;
}

let ending = false;
let keepScratch = false;
async function end(code, message) {
  if (ending) return;
  ending = true;
  if (message) process.stderr.write(`scale-down: ${message}\n`);
  await killAll();
  for (const dir of [...scratchDirs]) removeScratch(dir, keepScratch);
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => end(130, `${signal}: stopping every process started`));

main().then(
  (code) => end(code),
  (error) => end(1, error instanceof Unmeasurable ? `could not measure: ${error.message}` : (error.stack ?? String(error))),
);
