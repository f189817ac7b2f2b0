// 3. Signal forwarding latency: usr1send.c sends SIGUSR1 to the init (from outside, as
// `docker kill -s USR1` does) on a fixed schedule; usr1rec.c, the init's child, timestamps each
// arrival in its handler. Both read CLOCK_MONOTONIC (vDSO, one clock for the whole machine).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep, startPid1, waitUntil, MeasureError } from '../lib/pid1.mjs';
import { fmt, max, na, percentile, table } from '../lib/report.mjs';

export const title = '3. Signal forwarding';

// SIGUSR1 with no listener makes a Node process open its inspector on 127.0.0.1:9229 of the
// host network (this bench does not unshare the network); pm2-runtime has no listener.
const NOT_SENT = { 'pm2-runtime': 'SIGUSR1 opens pm2-runtime\'s inspector on 127.0.0.1:9229 (it forwards no USR1); not sent' };

export async function measure(ctx, section) {
  const count = ctx.quick ? 100 : 500;
  const intervalUs = 2000;
  const results = new Map();
  for (const init of ctx.inits) {
    if (NOT_SENT[init.name]) {
      results.set(init.name, na(NOT_SENT[init.name]));
      section.note(`${init.name}: n/a, ${NOT_SENT[init.name]}.`);
      continue;
    }
    ctx.progress(`signals: ${init.name}, ${count} × SIGUSR1 every ${intervalUs} µs`);
    try {
      results.set(init.name, await once(ctx, init, count, intervalUs));
    } catch (error) {
      results.set(init.name, section.fail(`${init.name} signals`, error));
    }
  }

  const us = (v) => fmt(v, 0);
  const rows = ctx.inits.map((init) => {
    const r = results.get(init.name);
    if (!r || r.na || r.failed) return [init.name, fmt(r), '', '', '', '', ''];
    return [init.name, us(r.p50), us(r.p90), us(r.p99), us(r.max), `${r.lost} / ${r.sent}`, r.paired];
  });
  section.say(
    `${count} SIGUSR1 sent to the init's host pid, ${intervalUs / 1000} ms apart (usr1send.c: CLOCK_MONOTONIC read just before kill(2); the next send is timed from the previous one, so a delayed sender never bursts); ` +
      'the child (usr1rec.c) reads CLOCK_MONOTONIC first thing in its SIGUSR1 handler. Latency in µs from send to handler. ' +
      'Lost = sent − handler runs. With none lost, the n-th arrival is paired with the n-th send; with losses each arrival is paired with the latest unpaired send before it (a lower bound).',
  );
  section.say(table(['init', 'p50 (µs)', 'p90 (µs)', 'p99 (µs)', 'max (µs)', 'lost / sent', 'pairing'], rows));

  const l = results.get('lastcall');
  section.check('signal latency p50', l?.p50 ?? l, 100, { show: (v) => `${v.toFixed(0)} µs` });
  section.check('signal latency p99', l?.p99 ?? l, 500, { show: (v) => `${v.toFixed(0)} µs` });
  section.check('signals lost', l?.lost ?? l, 0, { show: (v) => v.toFixed(0) });
  return results;
}

async function once(ctx, init, count, intervalUs) {
  const received = join(ctx.scratch, `usr1-${init.name.replace(/\W/g, '')}.bin`);
  const sent = `${received}.sent`;
  const run = startPid1(ctx, init, [ctx.bin.usr1rec, received]);
  try {
    const pid = await run.pid();
    await waitUntil(() => (existsSync(received) ? true : undefined), { timeoutMs: 60_000, what: 'the receiver to be ready', run });
    await sleep(500); // the init has spawned; let a Node init finish what it does after the spawn
    const result = spawnSync(ctx.bin.usr1send, [String(pid), String(count), String(intervalUs), sent], { encoding: 'utf8' });
    if (result.status !== 0) throw new MeasureError(`usr1send: ${result.stderr.trim()}`);
    if (!/failed=0/.test(result.stdout)) throw new MeasureError(`kill() failed: ${result.stdout.trim()} (${run.why()})`);
    // Late arrivals still count; supervisord-like ticks need a second.
    await sleep(init.slow ? 2500 : 300);
    if (run.done) throw new MeasureError(`the init exited: ${run.why()}`);
    return analyse(readTimes(sent), readTimes(received));
  } finally {
    await run.kill();
  }
}

function readTimes(path) {
  const buf = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
  const out = [];
  for (let i = 0; i + 8 <= buf.length; i += 8) out.push(Number(buf.readBigInt64LE(i)));
  return out;
}

/** Latencies in µs; see the pairing rule in the text above. */
export function analyse(sent, received) {
  const latencies = [];
  let paired = 'in order';
  if (received.length === sent.length) {
    for (let i = 0; i < sent.length; i++) latencies.push((received[i] - sent[i]) / 1000);
  } else {
    paired = 'latest send before';
    let next = 0; // first send not yet paired
    for (const r of received) {
      let j = next;
      while (j + 1 < sent.length && sent[j + 1] <= r) j++;
      if (j >= sent.length || sent[j] > r) continue;
      latencies.push((r - sent[j]) / 1000);
      next = j + 1;
    }
  }
  if (!latencies.length) return { sent: sent.length, lost: sent.length - received.length, p50: 'none arrived', p90: undefined, p99: undefined, max: undefined, paired: '–' };
  return {
    sent: sent.length,
    lost: Math.max(0, sent.length - received.length),
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: max(latencies),
    paired,
  };
}
