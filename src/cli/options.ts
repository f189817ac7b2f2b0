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
  config: { short: 'c', type: 'string', describe: 'Run the programs described in this YAML file (multi-program mode) instead of one program after `--`' },
  socket: { type: 'string', describe: 'Control socket for `lastcall ctl` (default $XDG_RUNTIME_DIR/lastcall.sock, else /run/lastcall.sock, else /tmp/lastcall-UID.sock)' },
  pgroup: { short: 'g', type: 'boolean', describe: "Forward signals to the program's process group, not only the program" },
  rewrite: { short: 'r', type: 'string', multiple: true, describe: 'Rewrite signal FROM to TO before forwarding (FROM:TO, names or numbers; TO of 0 drops it). Repeatable' },
  'remap-exit': { short: 'e', type: 'string', multiple: true, describe: 'Report exit code CODE as 0 (like tini -e). Repeatable' },
  'leftover-grace': { type: 'string', default: '2s', describe: 'After the program exits, time between SIGTERM and SIGKILL for processes it left behind' },
  'shutdown-on': { type: 'string', multiple: true, describe: 'Signals that start the graceful shutdown (default TERM,INT). Repeatable or comma-separated' },
  'stop-signal': { type: 'string', describe: "Signal that asks the program to stop after the drain (default: the one received, after --rewrite); QUIT for nginx and php-fpm" },
  drain: { type: 'string', describe: 'After a shutdown signal, how long the program keeps serving while traffic moves away (default 0)' },
  'drain-idle': { type: 'string', describe: 'End the drain early once no new connection reached --drain-port for this long' },
  'drain-port': { type: 'string', multiple: true, describe: 'Local TCP port whose new connections keep the adaptive drain going. Repeatable' },
  grace: { type: 'string', describe: "The orchestrator's grace period (terminationGracePeriodSeconds; default 30s); 0 turns the SIGKILL deadline off" },
  'kill-margin': { type: 'string', describe: 'SIGKILL everything this long before --grace runs out (default: the smaller of 2s and 10% of --grace)' },
  health: { type: 'string', describe: 'Serve GET /readyz (503 from the shutdown signal on) and /livez on ADDR, e.g. :8079 or 127.0.0.1:8079' },
  'ready-file': { type: 'string', describe: 'Create PATH when the program has started; remove it when the shutdown begins' },
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
  ['lastcall --health :8079 --drain 5s --stop-signal QUIT --grace 30s -- nginx -g "daemon off;"', 'on SIGTERM: /readyz 503, serve 5 s more, SIGQUIT, SIGKILL at 28 s'],
  ['lastcall explain --drain 5s --grace 10s -- nginx', 'print the planned shutdown timeline and warnings, run nothing'],
  ['lastcall --config lastcall.yaml', 'run several programs: dependencies, readiness, restarts, ordered stop'],
  ['lastcall ctl status', 'show the programs of a running lastcall --config (also start, stop, restart, signal, shutdown)'],
  ['lastcall import supervisord.conf -o lastcall.yaml', 'convert a supervisord.conf (or a Procfile) to a lastcall config'],
  ['lastcall check --config lastcall.yaml', 'validate a multi-program config and print its start and stop order (every problem at file:line:column)'],
];

export const USAGE = 'Usage: lastcall [options] -- PROGRAM [ARGS...]\n       lastcall [options] --config FILE\n       lastcall explain [options] [-- PROGRAM [ARGS...]]\n       lastcall check --config FILE\n       lastcall ctl status|start|stop|restart|signal|shutdown [NAME] [SIG] [--json] [--socket PATH]\n       lastcall import FILE [-o OUT] [--format supervisord|procfile]';
export const SUMMARY = 'Runs PROGRAM as a correct PID 1: forwards every signal, reaps every zombie, exits with its status.';
export const EPILOGUE =
  "Exit status: the program's, or 128+N if signal N killed it; 2 usage error; 126 not executable; 127 not found; 125 lastcall itself failed.\n" +
  'Every option can also be set in the environment as LASTCALL_<NAME>, e.g. LASTCALL_PGROUP=1, LASTCALL_REWRITE=TERM:QUIT,HUP:0.';

export function envName(option: string): string {
  return `LASTCALL_${option.toUpperCase().replace(/-/g, '_')}`;
}
