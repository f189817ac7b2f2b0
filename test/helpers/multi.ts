// lastcall --config as a real PID 1: a config written to a temp dir, a control socket beside it,
// the JSON timeline on stderr, and `lastcall ctl` run from outside the namespace.
import { execa } from 'execa';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { containerEnv, lastcallBin, startWatched, timeline, type TimelineEvent } from './init.js';

export interface ConfigRunOptions {
  flags?: string[];
  env?: Record<string, string>;
  /** Extra files to write beside the config: name -> content. */
  files?: Record<string, string>;
  stdoutFile?: string;
  /** Extra fds 3, 4, ... handed to lastcall (socket activation). */
  extraFds?: ('pipe' | number)[];
}

/** Writes `yaml` as lastcall.yaml in a fresh temp dir and starts `lastcall --config` on it as PID 1. */
export async function startConfig(t: Test, yaml: string, options: ConfigRunOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'lastcall-multi-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'lastcall.yaml');
  writeFileSync(file, yaml);
  for (const [name, content] of Object.entries(options.files ?? {})) writeFileSync(join(dir, name), content, { mode: 0o755 });
  const socket = join(dir, 'ctl.sock');
  const run = await startWatched([], {
    flags: ['--config', file, '--socket', socket, '--log-format', 'json', ...(options.flags ?? [])],
    noSeparator: true,
    env: { DIR: dir, ...options.env },
    ...(options.stdoutFile ? { stdoutFile: options.stdoutFile } : {}),
    ...(options.extraFds ? { extraFds: options.extraFds } : {}),
  });
  return {
    ...run,
    dir,
    socket,
    /** `lastcall ctl ARGS --socket SOCKET`, as an operator would run it from outside. */
    ctl: (...args: string[]) => execa(process.execPath, [lastcallBin, 'ctl', '--socket', socket, ...args], { env: containerEnv(), extendEnv: false, reject: false, timeout: 20_000 }),
    events: (): TimelineEvent[] => timeline(run.err.all),
    /** Resolves with the first timeline event matching, within `timeoutMs`. */
    async waitForEvent(match: (e: TimelineEvent) => boolean, timeoutMs = 15_000): Promise<TimelineEvent> {
      await run.err.waitFor(/^\{/, { count: 1, timeoutMs });
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = timeline(run.err.all).find(match);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching event within ${timeoutMs} ms; timeline:\n${run.err.all}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

/** The time (ms since lastcall started) of the first event of `kind` for `program`. */
export function at(events: TimelineEvent[], kind: string, program?: string): number {
  const found = events.find((e) => e.event === kind && (program === undefined || e.program === program));
  if (!found) throw new Error(`no ${kind}${program ? ` for ${program}` : ''} in the timeline: ${events.map((e) => `${e.event}:${String(e.program ?? '')}`).join(', ')}`);
  return found.t;
}
