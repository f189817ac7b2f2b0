import type { LogPlan } from '../config/plan.js';
import type { LogEvent } from '../supervisor/types.js';
import { describe, levelOf, type Level } from './words.js';
import { writeSync } from 'node:fs';

export interface Logger {
  /** `at` is ms on the monotonic clock lastcall started at 0. */
  event(event: LogEvent, at: number): void;
  /** lastcall's own failures, always printed. */
  fatal(message: string): void;
  /**
   * True (once) for each SIGPIPE that lastcall caused itself by writing to a closed stderr: that
   * one is lastcall's, not a signal for the program, and must not be forwarded to it.
   */
  takeOwnSigpipe(): boolean;
}

let stderrClosed = false;
let ownSigpipes = 0;
const takeOwnSigpipe = (): boolean => (ownSigpipes > 0 ? (ownSigpipes--, true) : false);

const RANK: Record<Level, number> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };

/**
 * Quiet by default: the container's stdout and stderr belong to its programs. Lines go to
 * stderr synchronously, so none is lost at exit. pino is loaded only when JSON is asked for.
 */
export async function createLogger(plan: LogPlan): Promise<Logger> {
  const enabled = (level: Level) => RANK[level] <= RANK[plan.level];
  if (plan.format === 'json') {
    const { pino } = await import('pino');
    // pino writes through line() too, so a closed stderr is handled the same way in both formats.
    const out = pino({ base: { name: 'lastcall' }, level: plan.level }, { write: (text: string) => line(text.replace(/\n$/, '')) });
    return {
      event(event, at) {
        const level = levelOf(event);
        if (enabled(level)) out[level]({ event: event.kind, t: Math.round(at * 10) / 10, ...fields(event) }, describe(event));
      },
      fatal: (message) => out.fatal({ event: 'fatal' }, message),
      takeOwnSigpipe,
    };
  }
  return {
    event(event, at) {
      if (enabled(levelOf(event))) line(`lastcall +${(at / 1000).toFixed(3)}s: ${describe(event)}`);
    },
    fatal: (message) => line(`lastcall: ${message}`),
    takeOwnSigpipe,
  };
}

function fields(event: LogEvent): Record<string, unknown> {
  const { kind: _kind, ...rest } = event;
  return rest;
}

/**
 * With relayed program output on stderr (logs: prefix | json), a line written now could land in
 * the middle of a relayed line the pipe only half took: multi-program mode routes lastcall's lines
 * behind the relay's queue while it is busy (`queue` returns false when it is not).
 */
let queue: ((line: string) => boolean) | undefined;
export function queueLinesWith(route: (line: string) => boolean): void {
  queue = route;
}

function line(text: string): void {
  if (stderrClosed) return;
  if (queue?.(`${text}\n`)) return;
  try {
    writeSync(2, `${text}\n`);
  } catch (error) {
    // Nobody reads our stderr any more: stop writing, and remember the SIGPIPE this write raised.
    stderrClosed = true;
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') ownSigpipes++;
  }
}
