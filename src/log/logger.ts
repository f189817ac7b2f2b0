import type { LogPlan } from '../config/plan.js';
import type { LogEvent } from '../supervisor/types.js';
import { describe, levelOf, type Level } from './words.js';
import { writeSync } from 'node:fs';

export interface Logger {
  /** `at` is ms on the monotonic clock lastcall started at 0. */
  event(event: LogEvent, at: number): void;
  /** lastcall's own failures, always printed. */
  fatal(message: string): void;
}

const RANK: Record<Level, number> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };

/**
 * Quiet by default: the container's stdout and stderr belong to its programs. Lines go to
 * stderr synchronously, so none is lost at exit. pino is loaded only when JSON is asked for.
 */
export async function createLogger(plan: LogPlan): Promise<Logger> {
  const enabled = (level: Level) => RANK[level] <= RANK[plan.level];
  if (plan.format === 'json') {
    const { pino } = await import('pino');
    const out = pino({ base: { name: 'lastcall' }, level: plan.level }, pino.destination({ fd: 2, sync: true }));
    return {
      event(event, at) {
        const level = levelOf(event);
        if (enabled(level)) out[level]({ event: event.kind, t: Math.round(at * 10) / 10, ...fields(event) }, describe(event));
      },
      fatal: (message) => out.fatal({ event: 'fatal' }, message),
    };
  }
  return {
    event(event, at) {
      if (enabled(levelOf(event))) line(`lastcall +${(at / 1000).toFixed(3)}s: ${describe(event)}`);
    },
    fatal: (message) => line(`lastcall: ${message}`),
  };
}

function fields(event: LogEvent): Record<string, unknown> {
  const { kind: _kind, ...rest } = event;
  return rest;
}

function line(text: string): void {
  try {
    writeSync(2, `${text}\n`);
  } catch {
    // stderr closed: nowhere left to say anything
  }
}
