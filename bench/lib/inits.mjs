// The inits under test, in the order of every table: how each one runs a program, and what it
// has instead of a grace period. Every argv is absolute, so nothing searches PATH at start-up.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bench } from './setup.mjs';

export const INIT_NAMES = ['lastcall', 'Node floor', 'tini', 'dumb-init', 'catatonit', 'supervisord', 'pm2-runtime'];

let serial = 0;

/**
 * Each init: `argv(program, options)` runs `program` (an argv) under it; options.graceMs asks for
 * its TERM -> SIGKILL escalation where it has one. `env` is added to the container environment.
 * `slow`: seconds per start or stop, so measures run it fewer times. `exitsWithProgram`: whether
 * it exits by itself when its program does.
 */
export function makeInits({ node, lastcall, tools, pm2Runtime, scratchDir }) {
  const all = {
    lastcall: {
      node: true,
      exitsWithProgram: true,
      argv: (program, o = {}) => [node, lastcall, ...(o.graceMs ? ['--grace', `${o.graceMs}ms`] : []), '--', ...program],
      escalation: (graceMs) => ({ planMs: graceMs - Math.min(2000, graceMs / 10), how: `\`--grace ${graceMs / 1000}s\`: SIGKILL at grace − min(2 s, 10 %)` }),
      multiArgv: (programs, o = {}) => [node, lastcall, '--config', lastcallConfig(scratchDir, programs, o)],
    },
    'Node floor': {
      node: true,
      exitsWithProgram: true,
      argv: (program) => [node, join(bench, 'peers', 'node-floor.mjs'), ...program],
    },
    tini: { exitsWithProgram: true, argv: (program) => [tools.tini, '--', ...program] },
    'dumb-init': { exitsWithProgram: true, argv: (program) => [tools['dumb-init'], '--', ...program] },
    catatonit: { exitsWithProgram: true, argv: (program) => [tools.catatonit, '--', ...program] },
    supervisord: {
      slow: true,
      exitsWithProgram: false,
      argv: (program, o = {}) => [tools.supervisord, '-n', '-c', supervisordConfig(scratchDir, { main: program }, o)],
      multiArgv: (programs, o = {}) => [tools.supervisord, '-n', '-c', supervisordConfig(scratchDir, programs, o)],
      escalation: (graceMs) => ({ planMs: graceMs, how: `\`stopwaitsecs=${graceMs / 1000}\`: SIGKILL after it` }),
    },
    'pm2-runtime': {
      node: true,
      slow: true,
      exitsWithProgram: true,
      // An ecosystem file: the only way to give pm2-runtime a kill_timeout (its SIGINT -> SIGKILL delay).
      argv: (program, o = {}) => [node, pm2Runtime, 'start', pm2Ecosystem(scratchDir, { main: program }, o)],
      multiArgv: (programs, o = {}) => [node, pm2Runtime, 'start', pm2Ecosystem(scratchDir, programs, o)],
      // Its own state directory per run: pm2 writes logs, a dump and sockets there.
      env: () => {
        const home = join(scratchDir, `pm2-${++serial}`);
        mkdirSync(home, { recursive: true });
        return { PM2_HOME: home };
      },
      escalation: (graceMs) => ({ planMs: graceMs, how: `\`kill_timeout: ${graceMs}\`: SIGINT, SIGKILL after it` }),
    },
  };
  return INIT_NAMES.map((name) => ({ name, ...all[name], env: all[name].env ?? (() => ({})) }));
}

/** supervisord's own words for `programs` (name -> argv): nodaemon, output to its own stdout. */
export function supervisordConfig(dir, programs, { graceMs, logs = true } = {}) {
  const lines = [
    '[supervisord]',
    'nodaemon=true',
    'user=root',
    'logfile=/dev/null',
    'logfile_maxbytes=0',
    `pidfile=${join(dir, `supervisord-${++serial}.pid`)}`,
    'loglevel=warn',
  ];
  for (const [name, argv] of Object.entries(programs)) {
    lines.push(
      '',
      `[program:${name}]`,
      `command=${argv.map(shellQuote).join(' ')}`,
      'autostart=true',
      'autorestart=false',
      'startsecs=0',
      'startretries=0',
      'stopsignal=TERM',
      `stopwaitsecs=${graceMs ? graceMs / 1000 : 10}`,
    );
    if (logs) lines.push('stdout_logfile=/dev/stdout', 'stdout_logfile_maxbytes=0', 'stderr_logfile=/dev/stderr', 'stderr_logfile_maxbytes=0');
  }
  const path = join(dir, `supervisord-${serial}.conf`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** pm2's own words for `programs` (name -> argv): no restart, run as is (no interpreter). */
function pm2Ecosystem(dir, programs, { graceMs } = {}) {
  const apps = Object.entries(programs).map(([name, argv]) => ({
    name, script: argv[0], args: argv.slice(1), interpreter: 'none', autorestart: false, ...(graceMs ? { kill_timeout: graceMs } : {}),
  }));
  const path = join(dir, `pm2-${++serial}.json`);
  writeFileSync(path, JSON.stringify({ apps }));
  return path;
}

/** lastcall's YAML for `programs` (name -> argv), each with `logs` and no restart. */
export function lastcallConfig(dir, programs, { logs } = {}) {
  const lines = ['programs:'];
  for (const [name, argv] of Object.entries(programs)) {
    lines.push(`  ${name}:`, `    command: ${JSON.stringify(argv)}`, '    restart: never');
    if (logs) lines.push(`    logs: ${logs}`);
  }
  const path = join(dir, `lastcall-${++serial}.yaml`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

function shellQuote(arg) {
  return /^[\w/.:=,@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'"'"'`)}'`;
}
