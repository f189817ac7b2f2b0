// `lastcall ctl status` for people: one summary line, then a table like ps prints, then any
// reasons a program is failed or waiting. Scripts use --json instead, so this wording may change.
import { signalName } from '../config/signals.js';
import type { ProgramStatus, StatusSnapshot } from '../supervisor/status.js';

const HEADER = ['NAME', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'LAST EXIT'] as const;

/** The whole status output, ending in a newline. */
export function formatStatus(snapshot: StatusSnapshot): string {
  const summary = `phase ${snapshot.phase}, ${snapshot.ready ? 'ready' : 'not ready'}, up ${formatUptime(snapshot.uptimeMs)}, ${snapshot.zombiesReaped} zombies reaped`;
  if (snapshot.programs.length === 0) return `${summary}\nno programs\n`;
  const rows = snapshot.programs.map(row);
  const details = snapshot.programs.filter((p) => p.detail !== null).map((p) => `${p.name}: ${p.detail}`);
  return [summary, ...table([HEADER, ...rows]), ...(details.length > 0 ? ['', ...details] : [])].join('\n') + '\n';
}

/** One program's cells; "-" where there is nothing to show, so columns never collapse. */
function row(program: ProgramStatus): string[] {
  return [
    program.name,
    program.state === 'running' && !program.ready ? 'running (not ready)' : program.state,
    program.pid === null ? '-' : String(program.pid),
    program.uptimeMs === null ? '-' : formatUptime(program.uptimeMs),
    String(program.restarts),
    formatExit(program.lastExit),
  ];
}

/** Left-aligned columns two spaces apart; the last column is not padded, so lines carry no trailing blanks. */
function table(rows: readonly (readonly string[])[]): string[] {
  const widths = HEADER.map((_, column) => Math.max(...rows.map((cells) => (cells[column] ?? '').length)));
  return rows.map((cells) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  '));
}

/** "exited 1" or "killed by SIGKILL", as a shell would describe it; "-" if it never exited. */
export function formatExit(exit: ProgramStatus['lastExit']): string {
  if (exit === null) return '-';
  return 'code' in exit ? `exited ${exit.code}` : `killed by ${signalName(exit.signal)}`;
}

/** Two units at most, like kubectl: 45s, 3m12s, 2h5m, 3d4h. Precision beyond that is noise in a table. */
export function formatUptime(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const [d, h, m, s] = [Math.floor(seconds / 86_400), Math.floor(seconds / 3600) % 24, Math.floor(seconds / 60) % 60, seconds % 60];
  if (d > 0) return `${d}d${h}h`;
  if (h > 0) return `${h}h${m}m`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
