// `lastcall ctl` arguments -> one validated request, the socket path and the timeout. Every
// mistake is a UsageError naming the bad word and the fix, before anything connects.
import { parseDuration } from '../config/duration.js';
import { UsageError } from '../config/errors.js';
import { parseSignal, signalName } from '../config/signals.js';
import type { ControlRequest } from '../supervisor/status.js';
import { resolveSocketPath } from './socket-path.js';

export const CTL_USAGE = 'usage: lastcall ctl [--socket PATH] [--timeout DURATION] status [--json] | start NAME | stop NAME | restart NAME | signal NAME SIG | shutdown';
const COMMANDS = 'status, start NAME, stop NAME, restart NAME, signal NAME SIG, shutdown';

export type CtlInvocation =
  | { readonly kind: 'help' }
  | { readonly kind: 'request'; readonly request: ControlRequest; readonly socket: string; readonly timeoutMs: number; readonly json: boolean };

/** Options may come anywhere (`ctl status --socket /x` and `ctl --socket /x status` both work), as users type them both ways. */
export function parseCtlArgs(args: readonly string[], env: NodeJS.ProcessEnv, uid: number): CtlInvocation {
  const words: string[] = [];
  let socket: string | undefined;
  let timeout = '10s';
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const next = inline ?? args[++i];
      if (next === undefined || (inline === undefined && next.startsWith('--'))) throw new UsageError(`${flag} needs a value: ${flag === '--socket' ? '--socket PATH' : '--timeout DURATION (like 10s)'}`);
      return next;
    };
    if (flag === '--help' || flag === '-h') return { kind: 'help' };
    else if (flag === '--socket') socket = value();
    else if (flag === '--timeout') timeout = value();
    else if (flag === '--json' && inline === undefined) json = true;
    else if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg}; the options are --socket PATH, --timeout DURATION and --json (with status)`);
    else words.push(arg);
  }
  const timeoutMs = parseDuration(timeout, '--timeout');
  if (timeoutMs <= 0) throw new UsageError(`--timeout: must be more than 0, got \`${timeout}\``);
  const request = parseWords(words);
  if (json && request.command !== 'status') throw new UsageError(`--json goes with status only; ${request.command} prints one line either way`);
  return { kind: 'request', request, socket: resolveSocketPath(socket, env, uid), timeoutMs, json };
}

/** The positional words -> a request; counts are checked so `ctl stop web worker` is not read as `stop web`. */
function parseWords(words: readonly string[]): ControlRequest {
  const [command, ...rest] = words;
  if (command === undefined) throw new UsageError(`missing command; expected one of ${COMMANDS}`);
  const expect = (count: number, shape: string): void => {
    if (rest.length < count) throw new UsageError(`${command} needs ${shape}: lastcall ctl ${command} ${shape}`);
    if (rest.length > count) throw new UsageError(`unexpected \`${rest[count]}\` after ${[command, ...rest.slice(0, count)].join(' ')}; usage: lastcall ctl ${command}${count > 0 ? ` ${shape}` : ''}`);
  };
  switch (command) {
    case 'status':
    case 'shutdown':
      expect(0, '');
      return { command };
    case 'start':
    case 'stop':
    case 'restart':
      expect(1, 'NAME');
      return { command, name: rest[0]! };
    case 'signal':
      expect(2, 'NAME SIG');
      return { command, name: rest[0]!, signal: signalName(parseSignal(rest[1]!, 'SIG')) };
    default:
      throw new UsageError(`unknown command \`${command}\`; expected one of ${COMMANDS}`);
  }
}
