import { parseDuration } from './duration.js';
import { parseSignal } from './signals.js';
import { UsageError } from './errors.js';
import { collector, splitList } from './problems.js';
import { buildShutdownPlan, type ShutdownPlan, type WrittenShutdown } from './shutdown.js';
import type { ConfigPlan, ProgramSpec } from './file/types.js';

/** What the user wrote, as strings, before validation (from flags or LASTCALL_* variables). */
export interface WrittenOptions extends WrittenShutdown {
  command: string[];
  /** Multi-program mode: the YAML file (--config or LASTCALL_CONFIG). */
  config?: string;
  /** The control socket's path (--socket or LASTCALL_SOCKET). */
  socket?: string;
  pgroup?: boolean;
  rewrite?: string[];
  remapExit?: (string | number)[];
  leftoverGrace?: string;
  pdeathsig?: string;
  warnOnReap?: boolean;
  verbosity?: number;
  logFormat?: string;
}

/** One program, however it was described: `-- CMD` or an entry of the config file. */
export type ProgramPlan = ProgramSpec;

/** Everything the supervisor needs, validated and in numbers: the core never parses text. */
export interface Plan {
  /**
   * single: `lastcall -- CMD`, tini-compatible: lastcall exits with the program's status.
   * multi: `--config FILE`: the exit rule of docs/multi-process.md.
   */
  readonly mode: 'single' | 'multi';
  /** In config order; single mode has exactly one. */
  readonly programs: readonly ProgramPlan[];
  /** The control socket: the path asked for, or undefined for the default (multi mode only). */
  readonly socket: string | undefined;
  /** The config file, for messages. */
  readonly configFile: string | undefined;
  /** Forward to the child's process group (-g) instead of the child alone. */
  readonly toGroup: boolean;
  /** Signal number received -> number sent; 0 drops the signal. */
  readonly rewrite: ReadonlyMap<number, number>;
  /** Exit codes reported as 0. */
  readonly remapExit: ReadonlySet<number>;
  /** After the main program exits: time between SIGTERM and SIGKILL for processes left behind. */
  readonly leftoverGraceMs: number;
  /** How long to wait for SIGKILLed processes to be reaped before giving up on them. */
  readonly killWaitMs: number;
  readonly pdeathsig: number | undefined;
  readonly shutdown: ShutdownPlan;
  readonly log: LogPlan;
}

export interface LogPlan {
  readonly format: 'human' | 'json';
  readonly level: 'warn' | 'info' | 'debug' | 'trace';
  /** -w: every reaped orphan is a warning (tini's -w). */
  readonly warnOnReap: boolean;
}

const LEVELS = ['warn', 'info', 'debug', 'trace'] as const;

/**
 * Validates every option and reports all problems at once, one per line.
 * `explain` plans without a program, so it can show the timeline for flags alone.
 */
export interface PlanContext {
  /** `explain` plans without a program. */
  requireProgram?: boolean;
  /**
   * The config file, already loaded (src/config/file/load.ts): the YAML parser is loaded only when
   * --config is given, because every container start would otherwise pay for it.
   */
  config?: ConfigPlan;
}

export function buildPlan(written: WrittenOptions, { requireProgram = true, config }: PlanContext = {}): Plan {
  const problems: string[] = [];
  const attempt = collector(problems);

  const argv = written.command;
  const multi = written.config !== undefined;
  if (multi && argv.length > 0) {
    problems.push(`--config ${written.config} and a program after \`--\` (${argv[0]}): give one or the other; add the program to the config file's \`programs\``);
  } else if (!multi && requireProgram && (argv.length === 0 || argv[0] === '')) {
    problems.push('no program given: write it after `--`, e.g. `lastcall -- nginx -g "daemon off;"`');
  }
  for (const arg of argv) {
    if (arg.includes('\0')) problems.push(`program argument \`${arg.replace(/\0/g, '\\0')}\` contains a NUL byte, which no program can receive`);
  }

  const rewrite = new Map<number, number>();
  for (const pair of splitList(written.rewrite)) {
    attempt(() => {
      const m = /^([^:]+):([^:]+)$/.exec(pair);
      if (!m) throw new UsageError(`--rewrite: expected FROM:TO like TERM:QUIT or 15:3 (TO of 0 drops the signal), got \`${pair}\``);
      const from = parseSignal(m[1]!, '--rewrite');
      if (from === 9 || from === 19) throw new UsageError(`--rewrite: ${m[1]} cannot be caught, so it cannot be rewritten`);
      rewrite.set(from, parseSignal(m[2]!, '--rewrite', { allowZero: true }));
    }, undefined);
  }

  const remapExit = new Set<number>();
  for (const code of splitList(written.remapExit?.map(String))) {
    const n = Number(code);
    if (!/^\d+$/.test(code) || n > 255) problems.push(`--remap-exit: expected an exit code from 0 to 255, got \`${code}\``);
    else remapExit.add(n);
  }

  const leftoverGraceMs = attempt(() => parseDuration(written.leftoverGrace ?? '2s', '--leftover-grace'), 0);
  const pdeathsig = written.pdeathsig === undefined ? undefined : attempt<number | undefined>(() => parseSignal(written.pdeathsig!, '--pdeathsig'), undefined);

  // A config file brings its own shutdown settings; flags and LASTCALL_* variables override them.
  if (multi && !config) throw new Error(`buildPlan: --config ${written.config} was not loaded`);
  const fromFlags = Object.fromEntries(Object.entries(written).filter(([, v]) => v !== undefined));
  const shutdown = buildShutdownPlan({ ...config?.written, ...fromFlags }, problems);
  if (multi && written.stopSignal !== undefined) problems.push('--stop-signal applies to a single program; with --config, set `stop: { signal: ... }` for each program');
  if (multi && written.pgroup) problems.push('--pgroup applies to a single program; with --config, each program is already its own process group');

  const format = written.logFormat ?? 'human';
  if (format !== 'human' && format !== 'json') problems.push(`--log-format: expected human or json, got \`${format}\``);
  // JSON is asked for by a log collector, so it implies the timeline (info) even without -v.
  const verbosity = Math.max(written.verbosity ?? 0, format === 'json' ? 1 : 0);

  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  return Object.freeze({
    mode: multi ? 'multi' : 'single',
    programs: config ? Object.freeze([...config.programs.values()]) : [singleProgram(argv, shutdown)],
    socket: written.socket,
    configFile: written.config,
    toGroup: written.pgroup ?? false,
    rewrite,
    remapExit,
    leftoverGraceMs,
    killWaitMs: 1000,
    pdeathsig,
    shutdown,
    log: Object.freeze({
      format: format as 'human' | 'json',
      level: LEVELS[Math.min(verbosity, LEVELS.length - 1)]!,
      warnOnReap: written.warnOnReap ?? false,
    }),
  });
}

/** `lastcall -- CMD`: one essential program that never restarts and stops with the signal received (or --stop-signal). */
function singleProgram(argv: readonly string[], shutdown: ShutdownPlan): ProgramPlan {
  return Object.freeze({
    name: basename(argv[0] ?? 'program'),
    argv: Object.freeze([...argv]),
    env: undefined,
    cwd: undefined,
    user: undefined,
    type: 'longrun',
    dependsOn: [],
    ready: undefined,
    restart: { policy: 'never' as const, initialMs: 0, maxMs: 0, maxRestarts: 0, windowMs: 0 },
    essential: true,
    stop: { signal: shutdown.stopSignal, command: undefined, http: undefined, timeoutMs: undefined },
    logs: 'inherit',
  });
}

/** The first program: the only one in single mode (explain and the CLI's messages use it). */
export function mainProgram(plan: Plan): ProgramPlan {
  return plan.programs[0]!;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1) || path;
}
