import { constants } from 'node:os';
import { UsageError } from './errors.js';

// Kernel numbers of the realtime range as glibc numbers it for programs (32 and 33 are glibc's own).
// musl reserves one more, so a program built on musl calls 35 SIGRTMIN; numbers are forwarded unchanged either way.
export const SIGRTMIN = 34;
export const SIGRTMAX = 64;

const byName = new Map<string, number>(Object.entries(constants.signals));
const byNumber = new Map<number, string>();
for (const [name, num] of byName) if (!byNumber.has(num)) byNumber.set(num, name);

/** "TERM", "SIGTERM", "sigterm", "15", "RTMIN+2", "SIGRTMAX-1" -> signal number. */
export function parseSignal(text: string, option: string, { allowZero = false } = {}): number {
  const raw = String(text).trim();
  const fix = `expected a signal name like SIGTERM, TERM or RTMIN+2, or a number from ${allowZero ? 0 : 1} to ${SIGRTMAX}`;
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    if ((n === 0 && allowZero) || (n >= 1 && n <= SIGRTMAX)) return n;
    throw new UsageError(`${option}: ${fix}, got \`${text}\``);
  }
  const name = raw.toUpperCase().replace(/^SIG/, '');
  const rt = /^RT(MIN|MAX)([+-]\d+)?$/.exec(name);
  if (rt) {
    const n = (rt[1] === 'MIN' ? SIGRTMIN : SIGRTMAX) + Number(rt[2] ?? 0);
    if (n >= SIGRTMIN && n <= SIGRTMAX) return n;
    throw new UsageError(`${option}: \`${text}\` is outside SIGRTMIN..SIGRTMAX (${SIGRTMIN}..${SIGRTMAX})`);
  }
  const n = byName.get(`SIG${name}`);
  if (n === undefined) throw new UsageError(`${option}: ${fix}, got \`${text}\``);
  return n;
}

export function signalName(signo: number): string {
  if (signo >= SIGRTMIN && signo <= SIGRTMAX) {
    return signo - SIGRTMIN <= SIGRTMAX - signo ? `SIGRTMIN+${signo - SIGRTMIN}` : `SIGRTMAX-${SIGRTMAX - signo}`;
  }
  return byNumber.get(signo) ?? `signal ${signo}`;
}
