// Each log mode under a 100 MB flood, lastcall as PID 1: every line arrives whole, once, in order,
// none interleaved with another program's, the partial last line is flushed, memory stays bounded.
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import t from 'tap';
import { startConfig } from '../helpers/multi.js';

const PAD = 'x'.repeat(89);
/** LINES numbered lines of 101 bytes each, then a last line without a newline. */
const flood = (lines: number) => `[sh, -c, "seq -f '%010.0f ${PAD}' 1 ${lines}; printf partial-last-line"]`;

/** Peak resident memory of a process so far (VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match![1]) / 1024;
}

interface Seen { count: number; next: number; partial: boolean; bad: string[] }

/** Reads the output file line by line; `parse` returns [program, payload] or undefined for a malformed line. */
async function verify(file: string, parse: (line: string) => [string, string] | undefined): Promise<Map<string, Seen>> {
  const seen = new Map<string, Seen>();
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    const parsed = parse(line);
    const [program, payload] = parsed ?? ['?', line];
    const s = seen.get(program) ?? { count: 0, next: 1, partial: false, bad: [] };
    seen.set(program, s);
    if (payload === 'partial-last-line') s.partial = true;
    else if (parsed && payload === `${String(s.next).padStart(10, '0')} ${PAD}`) s.next++;
    else if (s.bad.length < 3) s.bad.push(line.slice(0, 200));
    s.count++;
  }
  return seen;
}

for (const mode of ['inherit', 'prefix', 'json'] as const) {
  t.test(`logs: ${mode} — 100 MB from ${mode === 'inherit' ? 'one program' : 'two programs at once'}: every line whole, once, in order`, async (t) => {
    const out = mkdtempSync(join(tmpdir(), 'lastcall-flood-'));
    t.teardown(() => rmSync(out, { recursive: true, force: true }));
    const file = join(out, 'stdout');
    const programs = mode === 'inherit' ? { a: 1_000_000 } : { a: 500_000, bb: 500_000 };
    const yaml = `programs:\n${Object.entries(programs).map(([name, n]) => `  ${name}: { command: ${flood(n)}, logs: ${mode}, restart: never }`).join('\n')}\n`;
    const run = await startConfig(t, yaml, { stdoutFile: file });
    let peak = 0;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, peakRssMb(run.initPid));
      } catch {
        // gone
      }
    }, 100);
    const result = await run.child;
    clearInterval(sampler);
    t.equal(result.exitCode, 0, result.stderr.slice(-500));

    const parse = (line: string): [string, string] | undefined => {
      if (mode === 'inherit') return ['a', line];
      if (mode === 'prefix') {
        const m = /^(a |bb) \| (.*)$/.exec(line);
        return m ? [m[1]!.trim(), m[2]!] : undefined;
      }
      try {
        const o = JSON.parse(line) as { program: string; stream: string; message: string; time: string };
        return o.stream === 'stdout' && /^\d{4}-\d\d-\d\dT/.test(o.time) ? [o.program, o.message] : undefined;
      } catch {
        return undefined;
      }
    };
    const seen = await verify(file, parse);
    for (const [name, lines] of Object.entries(programs)) {
      const s = seen.get(name);
      t.ok(s, `${name} was heard`);
      t.same(s?.bad, [], `${name}: no malformed, missing, repeated or interleaved line`);
      t.equal(s?.next, lines + 1, `${name}: all ${lines} numbered lines, in order`);
      t.ok(s?.partial, `${name}: the last line without a newline was flushed too`);
    }
    t.notOk(seen.has('?'), 'no line outside the format');
    if (mode !== 'inherit') t.ok(peak > 0 && peak < 160, `lastcall's peak RSS ${peak.toFixed(0)} MB while relaying 100 MB (bounded: backpressure, not buffering)`);
  });
}

t.test('logs: prefix and json keep a 900 KB line whole, and split a 3 MiB one into 1 MiB pieces', async (t) => {
  const run = await startConfig(t, `
programs:
  long: { command: [sh, -c, "head -c 900000 /dev/zero | tr '\\\\0' a; echo; head -c 3145728 /dev/zero | tr '\\\\0' b; echo"], logs: prefix, restart: never }
  longj: { command: [sh, -c, "head -c 900000 /dev/zero | tr '\\\\0' a; echo"], logs: json, restart: never }
`);
  const result = await run.child;
  t.equal(result.exitCode, 0, result.stderr);
  const lines = result.stdout.split('\n');
  const prefixed = lines.filter((l) => l.startsWith('long  | '));
  t.equal(prefixed[0]!.length, 'long  | '.length + 900_000, 'the 900 KB line in one piece');
  t.same(prefixed.slice(1).map((l) => l.length - 'long  | '.length), [1_048_576, 1_048_576, 1_048_576], 'the 3 MiB line in three 1 MiB pieces, each prefixed');
  const json = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { program: string; message: string });
  t.equal(json.find((o) => o.program === 'longj')!.message.length, 900_000);
});
