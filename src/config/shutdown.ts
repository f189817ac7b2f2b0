import { formatDuration, parseDuration } from './duration.js';
import { UsageError } from './errors.js';
import { collector, splitList } from './problems.js';
import { parseSignal, signalName } from './signals.js';

/** The shutdown options as written (flags or LASTCALL_* variables). */
export interface WrittenShutdown {
  shutdownOn?: string[];
  stopSignal?: string;
  drain?: string;
  drainIdle?: string;
  drainPort?: string[];
  grace?: string;
  killMargin?: string;
  health?: string;
  readyFile?: string;
}

export interface ShutdownPlan {
  /** Signals that start the choreography (after them, in the draining phase, a second one ends the drain). */
  readonly signals: ReadonlySet<number>;
  /** Signal that asks the program to stop; undefined = the signal received, after --rewrite. */
  readonly stopSignal: number | undefined;
  readonly drainMs: number;
  /** Adaptive drain: end early after this long without a new connection on drainPorts. */
  readonly drainIdleMs: number | undefined;
  readonly drainPorts: readonly number[];
  /** The orchestrator's grace period; 0 = no deadline. */
  readonly graceMs: number;
  readonly killMarginMs: number;
  readonly health: { readonly host: string; readonly port: number } | undefined;
  readonly readyFile: string | undefined;
}

/** Kubernetes' default terminationGracePeriodSeconds. */
const DEFAULT_GRACE = '30s';

/** Deadline for SIGKILL, relative to the shutdown signal; undefined when --grace 0. */
export function killDeadlineMs(plan: ShutdownPlan): number | undefined {
  return plan.graceMs === 0 ? undefined : plan.graceMs - plan.killMarginMs;
}

/** Validates the shutdown options; every problem goes to `problems`, one line each. */
export function buildShutdownPlan(written: WrittenShutdown, problems: string[]): ShutdownPlan {
  const attempt = collector(problems);
  const signals = new Set<number>();
  for (const name of splitList(written.shutdownOn ?? ['TERM', 'INT'])) signals.add(attempt(() => parseSignal(name, '--shutdown-on'), 15));
  const stopSignal = written.stopSignal === undefined ? undefined : attempt(() => parseSignal(written.stopSignal!, '--stop-signal'), 15);
  const drainMs = attempt(() => parseDuration(written.drain ?? '0', '--drain'), 0);
  const drainIdleMs = written.drainIdle === undefined ? undefined : attempt(() => parseDuration(written.drainIdle!, '--drain-idle'), 0);
  const drainPorts: number[] = [];
  for (const port of splitList(written.drainPort)) {
    const n = Number(port);
    if (!/^\d+$/.test(port) || n < 1 || n > 65535) problems.push(`--drain-port: expected a TCP port from 1 to 65535, got \`${port}\``);
    else drainPorts.push(n);
  }
  const graceMs = attempt(() => parseDuration(written.grace ?? DEFAULT_GRACE, '--grace'), 30_000);
  const killMarginMs = written.killMargin === undefined
    ? Math.min(2000, Math.round(graceMs / 10))
    : attempt(() => parseDuration(written.killMargin!, '--kill-margin'), 0);
  const health = written.health === undefined ? undefined : attempt(() => parseAddress(written.health!), undefined);

  if ((drainIdleMs === undefined) !== (drainPorts.length === 0)) {
    problems.push('--drain-idle and --drain-port go together: the idle time is measured on those ports (e.g. --drain-idle 2s --drain-port 8080)');
  }
  if (drainIdleMs !== undefined && drainMs === 0) {
    problems.push('--drain-idle needs --drain, the longest the drain may last (e.g. --drain 20s --drain-idle 2s)');
  } else if (drainIdleMs !== undefined && drainIdleMs >= drainMs) {
    problems.push(`--drain-idle ${formatDuration(drainIdleMs)} is not shorter than --drain ${formatDuration(drainMs)}, so it could never end the drain early; shorten --drain-idle`);
  }
  if (graceMs > 0 && killMarginMs >= graceMs) {
    problems.push(`--kill-margin ${formatDuration(killMarginMs)} is not shorter than --grace ${formatDuration(graceMs)}; shorten --kill-margin`);
  } else if (graceMs > 0 && drainMs >= graceMs - killMarginMs) {
    problems.push(`--drain ${formatDuration(drainMs)} is not shorter than --grace ${formatDuration(graceMs)} minus --kill-margin ${formatDuration(killMarginMs)}: the program would be killed before it is asked to stop; shorten --drain or raise --grace`);
  }
  return Object.freeze({ signals, stopSignal, drainMs, drainIdleMs, drainPorts: Object.freeze(drainPorts), graceMs, killMarginMs, health, readyFile: written.readyFile });
}

/** ":8079", "8079", "127.0.0.1:8079", "[::1]:8079" -> host and port; no host means every address. */
export function parseAddress(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*))?:?(\d+)$/.exec(text.trim());
  const port = Number(m?.[3]);
  if (!m || port < 1 || port > 65535) throw new UsageError(`--health: expected an address like :8079 or 127.0.0.1:8079, got \`${text}\``);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export function describeSignals(signals: ReadonlySet<number>): string {
  return [...signals].map(signalName).join(', ');
}
