// One program's settings: written shape -> ProgramSpec, or problems reported through the Checker.
import { readFileSync } from 'node:fs';
import { parseDuration } from '../duration.js';
import { UsageError } from '../errors.js';
import { parseSignal } from '../signals.js';
import { findSetpriv } from '../../os/setpriv.js';
import { unknownKey } from './suggest.js';
import type { Condition, ProgramSpec, ReadyCheck } from './types.js';

export interface Checker {
  problem(path: string, message: string): void;
}

interface Context {
  readonly names: readonly string[];
  readonly raw: Readonly<Record<string, unknown>>;
  readonly env: NodeJS.ProcessEnv;
  readonly runningAs: { readonly uid: number };
}

export const PROGRAM_KEYS = ['command', 'shell', 'env', 'cwd', 'user', 'group', 'type', 'depends_on', 'ready', 'restart', 'essential', 'stop', 'logs'];
export const READY_KINDS = ['tcp', 'unix', 'http', 'cmd', 'file'] as const;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function checkProgram(checker: Checker, name: string, value: unknown, context: Context): ProgramSpec | undefined {
  const at = (key: string) => `programs.${name}${key ? `.${key}` : ''}`;
  let ok = true;
  const problem = (key: string, message: string) => {
    ok = false;
    checker.problem(at(key), `${name}: ${message}`);
  };
  /** Runs a parser that throws UsageError (durations, signals), reporting instead of throwing. */
  const parse = <T>(key: string, fn: () => T, fallback: T): T => {
    try {
      return fn();
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      problem(key, error.message.replace(/^--?[\w-]+: /, `${key.split('.').pop()}: `));
      return fallback;
    }
  };

  if (!NAME.test(name)) problem('', 'a program name may hold letters, digits, `.`, `_` and `-`, and must start with a letter or digit');
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problem('', 'expected a map with at least `command:`');
    return undefined;
  }
  const p = value as Record<string, unknown>;
  for (const key of Object.keys(p)) if (!PROGRAM_KEYS.includes(key)) problem(key, unknownKey(key, PROGRAM_KEYS));

  // command
  let argv: string[] = [];
  const shell = p.shell === true;
  if (p.shell !== undefined && typeof p.shell !== 'boolean') problem('shell', '`shell` must be true or false');
  if (p.command === undefined) problem('', 'no `command`; give the program and its arguments as a list, e.g. command: ["nginx", "-g", "daemon off;"]');
  else if (typeof p.command === 'string') {
    if (shell) argv = ['/bin/sh', '-c', p.command];
    else problem('command', 'command is a string: write it as a list (["nginx", "-g", "daemon off;"]) so nothing is split by a shell, or set `shell: true`');
  } else if (Array.isArray(p.command) && p.command.length > 0 && p.command.every((a) => typeof a === 'string' || typeof a === 'number')) {
    if (shell) problem('shell', '`shell: true` takes the command as one string, e.g. command: "nginx -g \'daemon off;\'"');
    argv = p.command.map(String);
  } else problem('command', 'command must be a non-empty list of strings, e.g. ["php-fpm8.2", "-F"]');

  // env, with ${VAR} and ${VAR:-default} from lastcall's own environment
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(context.env)) if (v !== undefined) env[k] = v;
  if (p.env !== undefined) {
    if (p.env === null || typeof p.env !== 'object' || Array.isArray(p.env)) problem('env', 'env must be a map of NAME: value');
    else {
      for (const [k, v] of Object.entries(p.env)) {
        if (typeof v === 'object' && v !== null) problem(`env.${k}`, `env.${k} must be a string, number or boolean`);
        else env[k] = String(v ?? ''); // already interpolated with the whole file (load.ts)
      }
    }
  }

  if (p.cwd !== undefined && typeof p.cwd !== 'string') problem('cwd', 'cwd must be a path');

  // user / group
  let user: ProgramSpec['user'];
  if (p.user !== undefined || p.group !== undefined) {
    const sameUser = p.group === undefined && (String(p.user) === String(context.runningAs.uid) || lookup('/etc/passwd', p.user, 2) === context.runningAs.uid);
    if (sameUser && context.runningAs.uid !== 0) {
      // Already that user (an image with USER www-data running a config written for root): nothing to switch.
    } else if (context.runningAs.uid !== 0) {
      problem(p.user !== undefined ? 'user' : 'group', `switching user or group needs lastcall to run as root (it runs as uid ${context.runningAs.uid}); remove \`user\`/\`group\`, or run the container as root`);
    } else if (!findSetpriv()) {
      problem(p.user !== undefined ? 'user' : 'group', 'switching user or group needs setpriv (util-linux), which is not installed; install util-linux in the image, or drop `user`/`group`');
    } else {
      const uid = p.user === undefined ? 0 : lookup('/etc/passwd', p.user, 2);
      const passwdGid = p.user === undefined ? 0 : lookup('/etc/passwd', p.user, 3);
      const gid = p.group === undefined ? passwdGid : lookup('/etc/group', p.group, 2);
      if (uid === undefined) problem('user', `no user \`${String(p.user)}\` in /etc/passwd; use a name from it or a numeric uid`);
      if (gid === undefined) problem(p.group === undefined ? 'user' : 'group', `no group \`${String(p.group ?? p.user)}\` in /etc/group; use a name from it or a numeric gid`);
      if (uid !== undefined && gid !== undefined) user = { uid, gid, initGroups: typeof p.user === 'string' && !/^\d+$/.test(p.user) };
    }
  }

  const type = p.type ?? 'longrun';
  if (type !== 'longrun' && type !== 'oneshot') problem('type', `type must be longrun or oneshot, got \`${String(type)}\``);

  // ready
  let ready: ProgramSpec['ready'];
  if (p.ready !== undefined) {
    const r = p.ready as Record<string, unknown>;
    const kinds = r !== null && typeof r === 'object' ? READY_KINDS.filter((k) => r[k] !== undefined) : [];
    if (kinds.length !== 1) problem('ready', `ready takes exactly one check of ${READY_KINDS.join(', ')}, e.g. ready: { tcp: 8080 }`);
    else {
      for (const key of Object.keys(r)) if (![...READY_KINDS, 'interval', 'timeout'].includes(key)) problem(`ready.${key}`, unknownKey(key, [...READY_KINDS, 'interval', 'timeout']));
      const check = readyCheck(kinds[0]!, r[kinds[0]!], (message) => problem(`ready.${kinds[0]}`, message));
      const intervalMs = parse('ready.interval', () => parseDuration(String(r.interval ?? '250ms'), 'interval'), 250);
      const timeoutMs = parse('ready.timeout', () => parseDuration(String(r.timeout ?? '60s'), 'timeout'), 60_000);
      if (intervalMs === 0) problem('ready.interval', 'ready.interval must be more than 0, e.g. 250ms');
      if (check) ready = { check, intervalMs, timeoutMs };
    }
  }

  // restart
  const restartRaw = typeof p.restart === 'string' ? { policy: p.restart } : (p.restart ?? {}) as Record<string, unknown>;
  const policy = restartRaw.policy ?? (type === 'oneshot' ? 'never' : 'on-failure');
  if (!['never', 'on-failure', 'always'].includes(String(policy))) problem('restart', `restart must be never, on-failure or always, got \`${String(policy)}\``);
  if (type === 'oneshot' && policy === 'always') problem('restart', 'a oneshot cannot restart `always`: it is meant to finish; use on-failure or never');
  for (const key of Object.keys(restartRaw)) if (!['policy', 'initial', 'max', 'max_restarts', 'window'].includes(key)) problem(`restart.${key}`, unknownKey(key, ['policy', 'initial', 'max', 'max_restarts', 'window']));
  const initialMs = parse('restart.initial', () => parseDuration(String(restartRaw.initial ?? '1s'), 'initial'), 1000);
  const maxMs = parse('restart.max', () => parseDuration(String(restartRaw.max ?? '30s'), 'max'), 30_000);
  const windowMs = parse('restart.window', () => parseDuration(String(restartRaw.window ?? '60s'), 'window'), 60_000);
  const maxRestarts = Number(restartRaw.max_restarts ?? 5);
  if (!Number.isInteger(maxRestarts) || maxRestarts < 0) problem('restart.max_restarts', `restart.max_restarts must be a whole number, got \`${String(restartRaw.max_restarts)}\``);
  if (maxMs < initialMs) problem('restart.max', `restart.max is shorter than restart.initial; backoff doubles from initial up to max`);

  if (p.essential !== undefined && typeof p.essential !== 'boolean') problem('essential', '`essential` must be true or false');

  // stop
  const stopRaw = (p.stop ?? {}) as Record<string, unknown>;
  if (p.stop !== undefined && (p.stop === null || typeof p.stop !== 'object' || Array.isArray(p.stop))) problem('stop', 'stop must be a map, e.g. stop: { signal: QUIT }');
  for (const key of Object.keys(stopRaw)) if (!['signal', 'command', 'http', 'timeout'].includes(key)) problem(`stop.${key}`, unknownKey(key, ['signal', 'command', 'http', 'timeout']));
  // A stop command or request replaces the signal unless one is written too (then it follows them).
  const signal = stopRaw.signal === undefined && (stopRaw.command !== undefined || stopRaw.http !== undefined)
    ? undefined
    : parse('stop.signal', () => parseSignal(String(stopRaw.signal ?? 'TERM'), 'signal'), 15);
  let stopCommand: string[] | undefined;
  if (stopRaw.command !== undefined) {
    if (Array.isArray(stopRaw.command) && stopRaw.command.length > 0) stopCommand = stopRaw.command.map(String);
    else problem('stop.command', 'stop.command must be a non-empty list, e.g. ["nginx", "-s", "quit"]');
  }
  let stopHttp: { method: string; url: string } | undefined;
  if (stopRaw.http !== undefined) {
    const h = typeof stopRaw.http === 'string' ? { method: 'POST', url: stopRaw.http } : stopRaw.http as Record<string, unknown>;
    const url = String(h?.url ?? '');
    if (!/^http:\/\/[^/\s]+/.test(url)) problem('stop.http', `stop.http needs an http:// URL, e.g. "http://127.0.0.1:9901/drain_listeners?graceful", got \`${url}\``);
    else stopHttp = { method: String(h.method ?? 'POST').toUpperCase(), url };
  }
  const stopTimeoutMs = parse('stop.timeout', () => parseDuration(String(stopRaw.timeout ?? '10s'), 'timeout'), 10_000);

  const logs = p.logs ?? 'inherit';
  if (!['inherit', 'prefix', 'json'].includes(String(logs))) problem('logs', `logs must be inherit, prefix or json, got \`${String(logs)}\``);

  const dependsOn = checkDependsOn(p.depends_on, context, (key, message) => problem(key, message));

  if (!ok) return undefined;
  return Object.freeze({
    name, argv, env, cwd: p.cwd as string | undefined, user, type: type as ProgramSpec['type'], dependsOn, ready,
    restart: { policy: policy as ProgramSpec['restart']['policy'], initialMs, maxMs, maxRestarts, windowMs },
    essential: p.essential === true,
    stop: { signal, command: stopCommand, http: stopHttp, timeoutMs: stopTimeoutMs },
    logs: logs as ProgramSpec['logs'],
  });
}

/** `[a, b]` (short form) or `{ a: completed, b: { condition: ready } }`. */
function checkDependsOn(value: unknown, context: Context, problem: (key: string, message: string) => void): ProgramSpec['dependsOn'] {
  if (value === undefined) return [];
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((n) => [String(n), undefined]) : value !== null && typeof value === 'object' ? Object.entries(value) : [];
  if (entries.length === 0 && !(Array.isArray(value) || typeof value === 'object')) problem('depends_on', 'depends_on must be a list of names or a map of name: condition');
  const result: { name: string; condition: Condition }[] = [];
  for (const [name, raw] of entries) {
    const where = Array.isArray(value) ? `depends_on.${(value as unknown[]).indexOf(name)}` : `depends_on.${name}`;
    if (!context.names.includes(name)) {
      problem(where, unknownKey(name, context.names).replace('unknown key', 'depends on unknown program'));
      continue;
    }
    const dep = context.raw[name] as Record<string, unknown> | null;
    const depType = dep?.type ?? 'longrun';
    const written = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).condition : raw;
    const condition = (written ?? (depType === 'oneshot' ? 'completed' : dep?.ready !== undefined ? 'ready' : 'started')) as Condition;
    if (!['started', 'ready', 'completed'].includes(condition)) problem(where, `condition must be started, ready or completed, got \`${String(condition)}\``);
    else if (condition === 'ready' && dep?.ready === undefined) problem(where, `depends on ${name} being ready, but ${name} has no \`ready\` check; add one to ${name} or use started`);
    else if (condition === 'completed' && depType !== 'oneshot') problem(where, `depends on ${name} having completed, but ${name} is a longrun that never completes; make it type: oneshot or use started/ready`);
    else result.push({ name, condition });
  }
  return result;
}

function readyCheck(kind: (typeof READY_KINDS)[number], value: unknown, problem: (message: string) => void): ReadyCheck | undefined {
  switch (kind) {
    case 'tcp': {
      const m = /^(?:(.+):)?(\d+)$/.exec(String(value));
      const port = Number(m?.[2]);
      if (!m || port < 1 || port > 65535) return problem(`ready.tcp must be a port or host:port, e.g. 8080 or 127.0.0.1:8080, got \`${String(value)}\``), undefined;
      return { kind, host: m[1] ?? '127.0.0.1', port };
    }
    case 'unix':
    case 'file':
      if (typeof value !== 'string' || value === '') return problem(`ready.${kind} must be a path`), undefined;
      return { kind, path: value };
    case 'http':
      if (typeof value !== 'string' || !/^http:\/\/[^/\s]+/.test(value)) return problem(`ready.http needs an http:// URL, e.g. http://127.0.0.1:8080/healthz, got \`${String(value)}\``), undefined;
      return { kind, url: value };
    case 'cmd':
      if (!Array.isArray(value) || value.length === 0) return problem('ready.cmd must be a non-empty list, e.g. ["pg_isready"]'), undefined;
      return { kind, argv: value.map(String) };
  }
}

/** ${VAR}, ${VAR:-default} and $$; undefined when a ${ is never closed. Unset variables become "" (as in compose). */
export function interpolate(text: string, env: NodeJS.ProcessEnv): string | undefined {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '$') {
      out += text[i];
      continue;
    }
    if (text[i + 1] === '$') {
      out += '$';
      i++;
    } else if (text[i + 1] === '{') {
      const end = text.indexOf('}', i);
      if (end < 0) return undefined;
      const [name, fallback] = text.slice(i + 2, end).split(/:-(.*)/s);
      const value = env[name!];
      out += value === undefined || value === '' ? (fallback ?? '') : value;
      i = end;
    } else out += '$';
  }
  return out;
}

/** A name or number from /etc/passwd or /etc/group -> its numeric field; undefined if unknown. */
function lookup(file: string, value: unknown, field: number): number | undefined {
  if (typeof value === 'number' || /^\d+$/.test(String(value))) return Number(value);
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const parts = line.split(':');
      if (parts[0] === String(value)) return Number(parts[field]);
    }
  } catch {
    // no such file: fall through
  }
  return undefined;
}
