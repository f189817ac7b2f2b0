import yargs from 'yargs';
import { UsageError } from '../config/errors.js';
import type { WrittenOptions } from '../config/plan.js';

const EXAMPLES: [string, string][] = [
  ['lastcall -- nginx -g "daemon off;"', 'run nginx as PID 1: forward signals, reap zombies, exit with its status'],
  ['lastcall -r TERM:QUIT -- nginx -g "daemon off;"', 'turn the orchestrator\'s SIGTERM into nginx\'s graceful SIGQUIT'],
  ['lastcall -g -e 143 -- ./run-tests.sh', 'signal the whole process group; report 143 (SIGTERM) as success'],
  ['LASTCALL_LEFTOVER_GRACE=5s lastcall -v -- ./start.sh', 'give daemons 5 s after the main program exits; log the timeline'],
];

/** argv -> WrittenOptions. Every option is also read from a LASTCALL_<NAME> variable. */
export async function parseArgs(argv: string[], version: string): Promise<WrittenOptions | { print: string }> {
  let printed: string | undefined;
  const parser = yargs(argv)
    .scriptName('lastcall')
    .usage('Usage: lastcall [options] -- PROGRAM [ARGS...]\n\nRuns PROGRAM as a correct PID 1: forwards every signal, reaps every zombie, exits with its status.')
    .env('LASTCALL')
    .parserConfiguration({ 'halt-at-non-option': true, 'populate--': true, 'strip-aliased': true, 'strip-dashed': true })
    .option('pgroup', { alias: 'g', type: 'boolean', description: 'Forward signals to the program\'s process group, not only the program' })
    .option('rewrite', { alias: 'r', type: 'string', array: true, requiresArg: true, description: 'Rewrite signal FROM to TO before forwarding (FROM:TO, names or numbers; TO of 0 drops it). Repeatable' })
    .option('remap-exit', { alias: 'e', type: 'string', array: true, requiresArg: true, description: 'Report exit code CODE as 0 (like tini -e). Repeatable' })
    .option('leftover-grace', { type: 'string', requiresArg: true, default: '2s', description: 'After the program exits, time between SIGTERM and SIGKILL for processes it left behind' })
    .option('subreaper', { alias: 's', type: 'boolean', description: 'Accepted for tini compatibility: lastcall is always a child subreaper when not PID 1' })
    .option('pdeathsig', { alias: 'p', type: 'string', requiresArg: true, description: 'Signal lastcall receives (and forwards) when its parent dies' })
    .option('warn-on-reap', { alias: 'w', type: 'boolean', description: 'Log a warning for every zombie reaped (like tini -w)' })
    .option('verbose', { alias: 'v', type: 'count', description: 'Log the timeline on stderr: -v events, -vv debug, -vvv trace' })
    .option('log-format', { type: 'string', choices: ['human', 'json'], requiresArg: true, description: 'human: short lines; json: pino JSON lines (implies -v)' })
    .example(EXAMPLES)
    .epilogue('Exit status: the program\'s, or 128+N if signal N killed it; 2 usage error; 126 not executable; 127 not found; 125 lastcall itself failed.\nDocs: docs/ in the package.')
    .version(version)
    .help('help')
    .alias('help', 'h')
    .strictOptions()
    .wrap(null)
    .exitProcess(false)
    .fail((message, error) => {
      throw new UsageError(error?.message ?? `${reword(message)}; see lastcall --help`);
    });
  const parsed = await parser.parse(argv, {}, (_err, _args, output) => {
    if (output) printed = output;
  });
  if (printed !== undefined) return { print: printed };
  const command = [...(parsed._ ?? []), ...((parsed['--'] as (string | number)[] | undefined) ?? [])].map(String);
  return {
    command,
    pgroup: parsed.pgroup,
    rewrite: parsed.rewrite,
    remapExit: parsed.remapExit,
    leftoverGrace: parsed.leftoverGrace,
    pdeathsig: parsed.pdeathsig,
    warnOnReap: parsed.warnOnReap,
    verbosity: parsed.verbose,
    logFormat: parsed.logFormat,
  };
}

/** yargs says "Unknown argument: bogus"; name the flag as the user typed it. */
function reword(message: string): string {
  const unknown = /^Unknown arguments?: (.*)$/.exec(message);
  if (!unknown) return message;
  const flags = unknown[1]!.split(', ').map((f) => (f.length === 1 ? `-${f}` : `--${f}`));
  return `unknown option ${flags.join(', ')}`;
}
