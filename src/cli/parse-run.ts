import { parseArgs as nodeParseArgs } from 'node:util';
import { UsageError } from '../config/errors.js';
import type { WrittenOptions } from '../config/plan.js';
import { envName, OPTIONS, type OptionName, type OptionSpec } from './options.js';

export type Parsed =
  | { readonly kind: 'run'; readonly options: WrittenOptions }
  | { readonly kind: 'explain'; readonly options: WrittenOptions }
  | { readonly kind: 'check'; readonly file: string }
  /** `ctl` and `import` take their own arguments, parsed by their own modules. */
  | { readonly kind: 'ctl'; readonly args: readonly string[] }
  | { readonly kind: 'import'; readonly args: readonly string[] }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' };

const SPECS: Record<string, OptionSpec> = OPTIONS;
const BY_SHORT = new Map(Object.entries(SPECS).filter(([, s]) => s.short).map(([name, s]) => [s.short!, name]));

/**
 * The hot path's parser: node:util only, because yargs costs ~35 ms of start-up here
 * (docs/startup.md) and every container start pays it. Options end at `--` or at the first
 * word that is not an option, so `lastcall bash -c ...` works as `lastcall -- bash -c ...`.
 */
export function parseRunArgs(allArgs: readonly string[], env: NodeJS.ProcessEnv): Parsed {
  if (allArgs[0] === 'check') return parseCheck(allArgs.slice(1), env);
  if (allArgs[0] === 'ctl') return { kind: 'ctl', args: allArgs.slice(1) };
  if (allArgs[0] === 'import') return { kind: 'import', args: allArgs.slice(1) };
  // `explain` is a command only as the very first word; a program named explain goes after `--`.
  const explaining = allArgs[0] === 'explain';
  const argv = explaining ? allArgs.slice(1) : allArgs;
  const split = endOfOptions(argv);
  const flags = argv.slice(0, split);
  const command = argv.slice(argv[split] === '--' ? split + 1 : split);
  let values: Record<string, unknown>;
  try {
    values = nodeParseArgs({
      args: flags,
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(Object.entries(SPECS).map(([name, s]) => [name, {
        type: s.type === 'string' ? 'string' : 'boolean',
        multiple: s.type === 'count' || s.multiple === true,
        ...(s.short ? { short: s.short } : {}),
      }])),
    }).values;
  } catch (error) {
    throw new UsageError(reword(error));
  }
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };

  const pick = <T>(name: OptionName, fromEnv: (text: string) => T): T | undefined => {
    if (values[name] !== undefined) return values[name] as T;
    const text = env[envName(name)];
    return text === undefined ? undefined : fromEnv(text);
  };
  const choice = (name: OptionName) => (text: string) => {
    const spec = SPECS[name]!;
    if (spec.choices && !spec.choices.includes(text)) {
      throw new UsageError(`--${name}: expected ${spec.choices.join(' or ')}, got \`${text}\``);
    }
    return text;
  };
  const verbose = values.verbose as boolean[] | undefined;
  const list = (t: string) => [t];
  return {
    kind: explaining ? 'explain' : 'run',
    options: {
      command,
      config: pick('config', String),
      socket: pick('socket', String),
      pgroup: pick('pgroup', envBoolean('pgroup')),
      rewrite: pick('rewrite', list),
      remapExit: pick('remap-exit', list),
      leftoverGrace: pick('leftover-grace', String),
      pdeathsig: pick('pdeathsig', String),
      warnOnReap: pick('warn-on-reap', envBoolean('warn-on-reap')),
      verbosity: verbose ? verbose.length : envCount(env[envName('verbose')]),
      logFormat: pick('log-format', choice('log-format')),
      shutdownOn: pick('shutdown-on', list),
      stopSignal: pick('stop-signal', String),
      drain: pick('drain', String),
      drainIdle: pick('drain-idle', String),
      drainPort: pick('drain-port', list),
      grace: pick('grace', String),
      killMargin: pick('kill-margin', String),
      health: pick('health', String),
      readyFile: pick('ready-file', String),
    },
  };
}

/** Index of `--` or of the program name: the first word that is neither a flag nor a flag's value. */
function endOfOptions(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--' || !arg.startsWith('-') || arg === '-') return i;
    if (arg.startsWith('--')) {
      if (!arg.includes('=') && takesValue(arg.slice(2))) i++;
      continue;
    }
    // A group of short flags (-gv); a value flag takes the rest of the word or the next word.
    for (let j = 1; j < arg.length; j++) {
      const name = BY_SHORT.get(arg[j]!);
      if (name !== undefined && takesValue(name)) {
        if (j === arg.length - 1) i++;
        break;
      }
    }
  }
  return argv.length;
}

function takesValue(name: string): boolean {
  return SPECS[name]?.type === 'string';
}

function envBoolean(name: string) {
  return (text: string): boolean => {
    if (/^(1|true|yes|on)$/i.test(text)) return true;
    if (/^(0|false|no|off|)$/i.test(text)) return false;
    throw new UsageError(`${envName(name)}: expected 1 or 0 (true/false), got \`${text}\``);
  };
}

function envCount(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`${envName('verbose')}: expected a number like 1 or 2, got \`${text}\``);
  return Number(text);
}

/** node:util's messages suggest positionals; say what lastcall needs instead. */
function reword(error: unknown): string {
  const e = error as { code?: string; message?: string };
  const option = /'(-[^']*)'/.exec(e.message ?? '')?.[1];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option}; see lastcall --help (the program and its flags go after \`--\`)`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /argument missing/.test(e.message ?? '')
        ? `option ${option?.replace(' <value>', '')} needs a value; see lastcall --help`
        : `option ${option} takes no value; see lastcall --help`;
    default:
      return `${e.message ?? String(error)}; see lastcall --help`;
  }
}

/** `check --config FILE`, `check FILE`, or LASTCALL_CONFIG. */
function parseCheck(argv: readonly string[], env: NodeJS.ProcessEnv): Parsed {
  let values: { config?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = nodeParseArgs({ args: [...argv], strict: true, allowPositionals: true, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (error) {
    throw new UsageError(reword(error).replace('see lastcall --help', 'usage: lastcall check --config FILE'));
  }
  if (values.help) return { kind: 'help' };
  const file = values.config ?? positionals[0] ?? env.LASTCALL_CONFIG;
  if (!file || positionals.length > (values.config ? 0 : 1)) throw new UsageError('check takes one config file: lastcall check --config lastcall.yaml (or set LASTCALL_CONFIG)');
  return { kind: 'check', file };
}
