// All of lastcall's wording in one place: each event becomes one level and one short line.
import { signalName } from '../config/signals.js';
import type { ExitStatus, LogEvent, Target } from '../supervisor/types.js';

export type Level = 'error' | 'warn' | 'info' | 'debug' | 'trace';

export function levelOf(event: LogEvent): Level {
  switch (event.kind) {
    case 'spawn-failed':
      return 'error';
    case 'leftovers-kill-wait-expired':
      return 'warn';
    case 'orphan-reaped':
      return event.warn ? 'warn' : 'debug';
    case 'signal-sent':
      if (event.reason === 'leftover-kill' && event.pids.length > 0) return 'warn';
      return event.reason === 'leftover-cont' ? 'debug' : 'info';
    case 'signal-dropped':
      return 'debug';
    case 'spawned':
    case 'signal-received':
    case 'program-exited':
    case 'exiting':
      return 'info';
  }
}

export function describe(event: LogEvent): string {
  switch (event.kind) {
    case 'spawned':
      return `started ${quoteArgv(event.argv)} as pid ${event.pid}`;
    case 'spawn-failed':
      return event.reason;
    case 'signal-received':
      return `received ${signalName(event.signo)}`;
    case 'signal-sent':
      return describeSend(event.signo, event.target, event.reason, event.pids);
    case 'signal-dropped':
      return `dropped ${signalName(event.signo)} (${event.why === 'rewrite' ? 'rewritten to 0' : 'no program running'})`;
    case 'program-exited':
      return `${event.program} (pid ${event.pid}) ${describeStatus(event.status)}`;
    case 'orphan-reaped':
      return `reaped zombie pid ${event.pid} (${describeStatus(event.status)})`;
    case 'leftovers-kill-wait-expired':
      return `processes still not reaped ${event.afterMs} ms after SIGKILL (stuck in the kernel?); exiting anyway`;
    case 'exiting':
      return event.remappedFrom === undefined ? `exiting with ${event.code}` : `exiting with ${event.code} (remapped from ${event.remappedFrom})`;
  }
}

function describeSend(signo: number, target: Target, reason: string, pids: readonly number[]): string {
  const sig = signalName(signo);
  if (target.kind === 'pid') return pids.length > 0 ? `forwarded ${sig} to pid ${target.pid}` : `could not forward ${sig}: pid ${target.pid} is gone`;
  if (target.kind === 'group') return `forwarded ${sig} to process group ${target.pgid}`;
  if (pids.length === 0) return `no leftover processes to send ${sig}`;
  const what = reason === 'leftover-kill' ? 'killed' : 'sent';
  return `${what === 'killed' ? 'SIGKILLed' : `sent ${sig} to`} ${pids.length} leftover process${pids.length === 1 ? '' : 'es'}: ${pids.join(' ')}`;
}

export function describeStatus(status: ExitStatus): string {
  return 'code' in status ? `exited with code ${status.code}` : `was killed by ${signalName(status.signal)}`;
}

function quoteArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
