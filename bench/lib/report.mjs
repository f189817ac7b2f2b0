// Numbers -> text: statistics, markdown tables, and target checks (PASS / MISS / NOT MEASURED).

export const median = (xs) => percentile(xs, 50);

/** Nearest-rank percentile; undefined for no data. */
export function percentile(xs, p) {
  if (!xs.length) return undefined;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);
export const min = (xs) => (xs.length ? Math.min(...xs) : undefined);
export const max = (xs) => (xs.length ? Math.max(...xs) : undefined);

/** A cell that is not a number: "n/a" by design (with the reason in a footnote), or a failure. */
export const na = (reason) => ({ na: reason });
export const failed = (reason) => ({ failed: reason });

/** Formats a number with `digits` decimals, or a non-number cell. */
export function fmt(value, digits = 1, unit = '') {
  if (value === undefined || value === null) return '–';
  if (typeof value === 'object') return value.na !== undefined ? 'n/a' : 'FAILED';
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return '∞';
  return `${value.toFixed(digits)}${unit}`;
}

export function table(header, rows, align) {
  const a = align ?? header.map((_, i) => (i === 0 ? 'l' : 'r'));
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(a.map((x) => (x === 'l' ? ':---' : '---:'))), ...rows.map(line)].join('\n');
}

/**
 * A measure's result, built up as it goes: text (markdown), checks against targets, notes, and
 * failures (something that could not be measured; the run then exits non-zero).
 */
export class Section {
  constructor(title) {
    this.title = title;
    this.parts = [];
    this.checks = [];
    this.failures = [];
    this.notes = [];
  }

  say(text) {
    this.parts.push(text);
  }

  note(text) {
    if (!this.notes.includes(text)) this.notes.push(text);
  }

  fail(what, error) {
    const reason = error instanceof Error ? error.message : String(error);
    this.failures.push(`${what}: ${reason}`);
    return failed(reason);
  }

  /**
   * A target line: `value` against `limit` (pass when value <= limit, or >= with atLeast).
   * A value that is a failure or missing makes it NOT MEASURED.
   */
  check(what, value, limit, { atLeast = false, show = (v) => String(v), target } = {}) {
    const measured = typeof value === 'number' && Number.isFinite(value) && typeof limit === 'number' && Number.isFinite(limit);
    const pass = measured ? (atLeast ? value >= limit : value <= limit) : undefined;
    this.checks.push({
      what,
      value: measured ? show(value) : typeof value === 'number' ? show(value) : fmt(value),
      target: target ?? `${atLeast ? '≥' : '≤'} ${measured || typeof limit === 'number' ? show(limit) : '?'}`,
      verdict: pass === undefined ? 'NOT MEASURED' : pass ? 'PASS' : 'MISS',
    });
    if (pass === undefined && !this.failures.some((f) => f.startsWith(what))) this.failures.push(`${what}: not measured`);
  }

  render() {
    const out = [`## ${this.title}`, '', ...this.parts.flatMap((p) => [p, ''])];
    if (this.notes.length) out.push(...this.notes.map((n) => `- ${n}`), '');
    if (this.checks.length) {
      out.push(table(['check', 'lastcall', 'target', 'verdict'], this.checks.map((c) => [c.what, c.value, c.target, `**${c.verdict}**`]), ['l', 'r', 'l', 'l']), '');
    }
    if (this.failures.length) out.push(...this.failures.map((f) => `- could not measure: ${f}`), '');
    return out.join('\n');
  }
}
