// The results as a table: one row per run, then what each variant did.
import { VARIANTS } from './variants.mjs';

export const seconds = (ms) => (ms === null ? '-' : `${(ms / 1000).toFixed(2)} s`);

export function kindsText(kinds) {
  return Object.entries(kinds).map(([kind, n]) => `${n} ${kind}`).join(', ') || '-';
}

export function printTable(results, options) {
  const rows = [['variant', 'run', 'sent', 'failed', 'failures by kind', 'LB stopped sending', 'SIGTERM', 'pod stopped']];
  for (const r of results) {
    if (r.unavailable) rows.push([r.variant, '-', '-', '-', `not run: ${r.unavailable}`, '-', '-', '-']);
    else rows.push([r.variant, String(r.run), String(r.sent), String(r.failed), kindsText(r.kinds), seconds(r.removedMs), seconds(r.sigtermMs), r.stopMs === null ? 'did not stop' : seconds(r.stopMs)]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const line = (row) => row.map((cell, c) => (c >= 1 && c <= 3 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  console.log(`lag ${seconds(options.lagMs)}, haproxy checks every ${seconds(options.checkIntervalMs)} (down after 2 failures), ${options.rate} req/s of 200-500 ms requests;`);
  console.log('times from t=0, when pod 1 begins terminating (endpoint removal and, unless held back, SIGTERM)');
  console.log(line(rows[0]));
  for (const row of rows.slice(1)) console.log(line(row));
  console.log('');
  for (const name of new Set(results.map((r) => r.variant))) {
    const v = VARIANTS[name];
    const env = (v.env?.({ http: 'HTTP_PORT', health: 'HEALTH_PORT' }) ?? []).join(' ');
    console.log(`${name}: ${v.about}\n  ${env ? `${env} ` : ''}lastcall ${v.flags({ http: 'HTTP_PORT', health: 'HEALTH_PORT' }).join(' ') || '(no options)'}${v.program === false ? '' : ' -- start.sh'}`);
  }
}
