import { UsageError } from './errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "2s", "500ms", "1.5m", "1m30s" or a bare number of seconds (as Kubernetes writes grace periods) -> ms. */
export function parseDuration(text: string, option: string): number {
  const trimmed = String(text).trim();
  const fix = `expected a duration like 2s, 500ms or 1m30s`;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed) {
    throw new UsageError(`${option}: ${fix}, got \`${text}\``);
  }
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * (UNIT_MS[p[2]!] ?? 0), 0));
}

export function formatDuration(milliseconds: number): string {
  const ms = Math.round(milliseconds);
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(3).replace(/0+$/, '')}s`;
}
