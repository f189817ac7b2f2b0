// Bounded waits and process-group lookups for tests against real processes and sockets: wait for
// a condition with a generous bound rather than sleeping and hoping (CI runs on 2 loaded cores).
import { readFileSync, readdirSync } from 'node:fs';

/** Polls a condition every 10 ms; rejects, naming what it waited for, after boundMs. */
export async function waitFor(condition: () => boolean, boundMs: number, what: string): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up after ${boundMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Live (not zombie) processes in a process group, read from /proc: what a group kill must leave empty. */
export function liveInGroup(pgid: number): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') found.push(Number(name));
    } catch {} // it exited while we looked
  }
  return found;
}

/** The environment as a plain string record, as a ProgramSpec carries it. */
export const plainEnv: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
);
