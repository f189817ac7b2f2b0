// GET /metrics: the status snapshot in Prometheus text exposition format 0.0.4, hand-written
// because six metric families do not earn a client library on PID 1's start-up path.
import type { StatusSnapshot } from '../supervisor/status.js';

/** Every phase gets a sample, so a query like `lastcall_shutdown_phase{phase="draining"} == 1` never hits a missing series. */
export const PHASES = ['running', 'draining', 'stopping', 'exiting', 'done'] as const;

type Sample = readonly [labels: Readonly<Record<string, string>>, value: number];

/** The whole exposition, one family after another, ending in a newline as the format requires. */
export function renderMetrics(snapshot: StatusSnapshot): string {
  const programs = snapshot.programs;
  const phases: string[] = [...PHASES];
  if (!phases.includes(snapshot.phase)) phases.push(snapshot.phase); // a phase added to the core later still shows up
  const out: string[] = [];
  family(out, 'lastcall_program_up', 'gauge', 'Whether the program has a live process (1) or not (0).', programs.map((p) => [{ program: p.name }, p.pid === null ? 0 : 1]));
  family(out, 'lastcall_program_ready', 'gauge', 'Whether the program passed its ready check (1) or not (0).', programs.map((p) => [{ program: p.name }, p.ready ? 1 : 0]));
  family(out, 'lastcall_program_restarts_total', 'counter', 'Times lastcall restarted the program.', programs.map((p) => [{ program: p.name }, p.restarts]));
  family(
    out,
    'lastcall_program_last_exit_code',
    'gauge',
    'Exit code of the program\'s last exit, or 128 plus the signal number that killed it; absent until it first exits.',
    programs.flatMap((p): Sample[] => (p.lastExit === null ? [] : [[{ program: p.name }, 'code' in p.lastExit ? p.lastExit.code : 128 + p.lastExit.signal]])),
  );
  family(out, 'lastcall_ready', 'gauge', 'Whether /readyz would answer 200 (1) or not (0).', [[{}, snapshot.ready ? 1 : 0]]);
  family(out, 'lastcall_zombies_reaped_total', 'counter', 'Orphaned processes lastcall reaped as PID 1 (not counting its own programs).', [[{}, snapshot.zombiesReaped]]);
  family(out, 'lastcall_shutdown_phase', 'gauge', 'The current shutdown phase: 1 for the current one, 0 for the others.', phases.map((phase) => [{ phase }, phase === snapshot.phase ? 1 : 0]));
  family(out, 'lastcall_uptime_seconds', 'gauge', 'Seconds since lastcall started.', [[{}, snapshot.uptimeMs / 1000]]);
  return out.join('');
}

/** HELP and TYPE before the samples, all of one family together: what the format requires of a family. */
function family(out: string[], name: string, type: 'gauge' | 'counter', help: string, samples: readonly Sample[]): void {
  out.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n`, `# TYPE ${name} ${type}\n`);
  for (const [labels, value] of samples) {
    const pairs = Object.entries(labels).map(([key, text]) => `${key}="${escapeLabel(text)}"`);
    out.push(`${name}${pairs.length > 0 ? `{${pairs.join(',')}}` : ''} ${formatValue(value)}\n`);
  }
}

/** A label value may hold any UTF-8, but a backslash, double quote or newline must be escaped or the line breaks. */
export function escapeLabel(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Go's float parsing reads JavaScript's shortest round-trip form; only the non-finite values are spelt differently. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return String(value);
}
