import { UsageError } from './errors.js';

/**
 * Validation that reports every problem at once: `attempt` runs a parser, and if it throws a
 * UsageError, records the message and returns `fallback` so checking can go on.
 */
export function collector(problems: string[]) {
  return <T>(parse: () => T, fallback: T): T => {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      problems.push(error.message);
      return fallback;
    }
  };
}

/** Repeatable options also come from one LASTCALL_* variable, so accept "a,b" as two values. */
export function splitList(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => String(v).split(',')).map((v) => v.trim()).filter((v) => v !== '');
}
