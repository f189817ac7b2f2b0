// All of lastcall's wording in one place: each event becomes one level and one short line.
import { formatDuration } from '../config/duration.js';
import { signalName } from '../config/signals.js';
import type { ExitStatus, LogEvent, Target } from '../supervisor/types.js';

export type Level = 'error' | 'warn' | 'info' | 'debug' | 'trace';

export function levelOf(event: LogEvent): Level {
  switch (event.kind) {
    case 'spawn-failed':
    case 'program-failed':
    case 'ready-timeout':
      return 'error';
    case 'restart-scheduled':
    case 'essential-ended':
      return 'warn';
    case 'stop-action-done':
      return event.ok ? 'info' : 'warn';
    case 'program-ready':
    case 'program-done':
    case 'stop-action':
    case 'all-programs-down':
    case 'control':
      return 'info';
    case 'leftovers-kill-wait-expired':
    case 'deadline-reached':
      return 'warn';
    case 'orphan-reaped':
      return event.warn ? 'warn' : 'debug';
    case 'signal-sent':
      if (['leftover-kill', 'deadline-kill', 'stop-timeout', 'ready-timeout'].includes(event.reason) && event.pids.length > 0) return 'warn';
      return event.reason === 'leftover-cont' ? 'debug' : 'info';
    case 'signal-dropped':
      return 'debug';
    case 'spawned':
    case 'signal-received':
    case 'program-exited':
    case 'exiting':
    case 'shutdown-started':
    case 'readiness':
    case 'drain-ended':
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
      return describeSend(event.signo, event.target, event.reason, event.pids, event.program);
    case 'signal-dropped':
      return `dropped ${signalName(event.signo)} (${event.why === 'rewrite' ? 'rewritten to 0' : 'no program running'})`;
    case 'program-exited':
      return `${event.program} (pid ${event.pid}) ${describeStatus(event.status)}`;
    case 'program-ready':
      return `${event.program} is ready (${formatDuration(event.afterMs)} after it started)`;
    case 'restart-scheduled':
      return `${event.program} restarts in ${formatDuration(event.inMs)} (restart ${event.attempt} within the window)`;
    case 'program-done':
      return `${event.program} ${{ completed: 'completed', policy: 'stays down (its restart policy)', held: 'stays down (stopped by lastcall ctl)' }[event.why]}`;
    case 'program-failed':
      return `${event.program} failed: ${event.reason}`;
    case 'ready-timeout':
      return `${event.program} was not ready ${formatDuration(event.afterMs)} after it started (ready.timeout): killing it`;
    case 'stop-action':
      return `stopping ${event.program}: ${event.what}`;
    case 'stop-action-done':
      return `${event.program}: stop ${event.ok ? 'action done' : 'action failed'} (${event.detail})`;
    case 'essential-ended':
      return `${event.program} is essential and is down (status ${event.exitCode}): stopping everything`;
    case 'all-programs-down':
      return `every program has stopped for good (status ${event.exitCode})`;
    case 'control':
      return `lastcall ctl ${event.request}`;
    case 'orphan-reaped':
      return `reaped zombie pid ${event.pid} (${describeStatus(event.status)})`;
    case 'leftovers-kill-wait-expired':
      return `processes still not reaped ${event.afterMs} ms after SIGKILL (stuck in the kernel?); exiting anyway`;
    case 'shutdown-started':
      return `shutdown: ${signalName(event.signo)} received; ${event.drainMs > 0 ? `draining for up to ${formatDuration(event.drainMs)}` : 'no drain'}, ${event.deadlineMs === undefined ? 'no deadline (--grace 0)' : `SIGKILL deadline in ${formatDuration(event.deadlineMs)}`}`;
    case 'readiness':
      return event.ready ? 'ready' : 'not ready';
    case 'drain-ended':
      return `drain ended after ${formatDuration(event.afterMs)} (${{ timer: '--drain elapsed', idle: 'no new connections for --drain-idle', signal: 'second shutdown signal or the program exited' }[event.why]})`;
    case 'deadline-reached':
      return `deadline reached ${formatDuration(event.afterMs)} after the shutdown signal (--grace minus --kill-margin): killing everything left`;
    case 'exiting':
      return event.remappedFrom === undefined ? `exiting with ${event.code}` : `exiting with ${event.code} (remapped from ${event.remappedFrom})`;
  }
}

function describeSend(signo: number, target: Target, reason: string, pids: readonly number[], program: string | undefined): string {
  const sig = signalName(signo);
  const verb = reason === 'forward' ? 'forwarded' : 'sent';
  const whose = program === undefined ? '' : ` (${program}${reason === 'stop-timeout' ? ': stop.timeout' : reason === 'ready-timeout' ? ': ready.timeout' : ''})`;
  if (target.kind === 'pid') return pids.length > 0 ? `${verb} ${sig} to pid ${target.pid}${whose}` : `could not send ${sig}: pid ${target.pid} is gone${whose}`;
  if (target.kind === 'group') return pids.length > 0 ? `${verb} ${sig} to process group ${target.pgid}${whose}` : `could not send ${sig}: process group ${target.pgid} is gone${whose}`;
  const which = reason === 'deadline-kill' ? 'still running' : 'leftover';
  if (pids.length === 0) return `no ${which} processes to send ${sig}`;
  const plural = `${pids.length} ${which} process${pids.length === 1 ? '' : 'es'}`;
  return `${signo === 9 ? `SIGKILLed ${plural}` : `sent ${sig} to ${plural}`}: ${pids.join(' ')}`;
}

export function describeStatus(status: ExitStatus): string {
  return 'code' in status ? `exited with code ${status.code}` : `was killed by ${signalName(status.signal)}`;
}

function quoteArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
