// Every flag in one table: the fast parser (parse-run.ts) and the help text (help.ts) both read it,
// and every flag can also be set as LASTCALL_<NAME> (e.g. LASTCALL_LEFTOVER_GRACE=5s).
export interface OptionSpec {
  readonly short?: string;
  readonly type: 'boolean' | 'string' | 'count';
  readonly multiple?: boolean;
  readonly default?: string;
  readonly choices?: readonly string[];
  readonly describe: string;
}

export const OPTIONS = {
  pgroup: { short: 'g', type: 'boolean', describe: "Forward signals to the program's process group, not only the program" },
  rewrite: { short: 'r', type: 'string', multiple: true, describe: 'Rewrite signal FROM to TO before forwarding (FROM:TO, names or numbers; TO of 0 drops it). Repeatable' },
  'remap-exit': { short: 'e', type: 'string', multiple: true, describe: 'Report exit code CODE as 0 (like tini -e). Repeatable' },
  'leftover-grace': { type: 'string', default: '2s', describe: 'After the program exits, time between SIGTERM and SIGKILL for processes it left behind' },
  subreaper: { short: 's', type: 'boolean', describe: 'Accepted for tini compatibility: lastcall is always a child subreaper when not PID 1' },
  pdeathsig: { short: 'p', type: 'string', describe: 'Signal lastcall receives (and forwards) when its parent dies' },
  'warn-on-reap': { short: 'w', type: 'boolean', describe: 'Log a warning for every zombie reaped (like tini -w)' },
  verbose: { short: 'v', type: 'count', describe: 'Log the timeline on stderr: -v events, -vv debug, -vvv trace' },
  'log-format': { type: 'string', choices: ['human', 'json'], describe: 'human: short lines; json: pino JSON lines (implies -v)' },
  help: { short: 'h', type: 'boolean', describe: 'Show this help' },
  version: { type: 'boolean', describe: 'Show the version' },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

export const EXAMPLES: readonly [string, string][] = [
  ['lastcall -- nginx -g "daemon off;"', 'run nginx as PID 1: forward signals, reap zombies, exit with its status'],
  ['lastcall -r TERM:QUIT -- nginx -g "daemon off;"', "turn the orchestrator's SIGTERM into nginx's graceful SIGQUIT"],
  ['lastcall -g -e 143 -- ./run-tests.sh', 'signal the whole process group; report 143 (SIGTERM) as success'],
  ['LASTCALL_LEFTOVER_GRACE=5s lastcall -v -- ./start.sh', 'give daemons 5 s after the main program exits; log the timeline'],
];

export const USAGE = 'Usage: lastcall [options] -- PROGRAM [ARGS...]';
export const SUMMARY = 'Runs PROGRAM as a correct PID 1: forwards every signal, reaps every zombie, exits with its status.';
export const EPILOGUE =
  "Exit status: the program's, or 128+N if signal N killed it; 2 usage error; 126 not executable; 127 not found; 125 lastcall itself failed.\n" +
  'Every option can also be set in the environment as LASTCALL_<NAME>, e.g. LASTCALL_PGROUP=1, LASTCALL_REWRITE=TERM:QUIT,HUP:0.';

export function envName(option: string): string {
  return `LASTCALL_${option.toUpperCase().replace(/-/g, '_')}`;
}
