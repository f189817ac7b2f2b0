// One scale-down: two pods behind haproxy, a steady load of slow requests, then pod 1 stops the
// way the kubelet stops it: at t=0 endpoint removal begins (it takes `lagMs`, or until haproxy's
// own health checks mark the pod down) and, in parallel, its PID 1 gets SIGTERM.
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { children, killNow, removeScratch, scratchDirs, sleep, startChild, stopChild } from './children.mjs';
import { haproxyCommand, haproxyConfig, serverStates, waitAllUp } from './haproxy.mjs';
import { failureKinds, freePort, steadyLoad } from './load.mjs';
import { startPod, tail, Unmeasurable, waitReady } from './pods.mjs';
import { usesHealth, VARIANTS } from './variants.mjs';

const WARMUP_MS = 2000; // load on both pods before t=0
const TAIL_MS = 2000; // load after pod 1 is gone: pod 2 alone must serve it all
const STOP_TIMEOUT_MS = 45_000; // --grace 30s plus room: a pod slower than this is a finding

/** options: { lagMs, checkIntervalMs, rate, concurrency, lastcall, keep, say(text) } */
export async function scaleDown(variantName, options) {
  const variant = VARIANTS[variantName];
  const health = usesHealth(variant);
  const scratch = mkdtempSync(join(tmpdir(), 'lastcall-scale-down-'));
  scratchDirs.add(scratch);
  chmodSync(scratch, 0o711); // start.sh drops to www-data, which must reach its run directory
  const started = [];
  try {
    for (let i = 1; i <= 2; i++) {
      const ports = { http: await freePort(), health: await freePort() };
      started.push(await startPod(`pod${i}`, ports, variant, { scratch, lastcall: options.lastcall }));
    }
    const [pod1] = started;
    options.say(`${variantName}: pods on ports ${started.map((p) => p.ports.http).join(' and ')}`);
    await Promise.all(started.map((pod) => waitReady(pod, health)));

    const front = await freePort();
    const socket = join(scratch, 'haproxy.sock');
    const config = join(scratch, 'haproxy.cfg');
    writeFileSync(config, haproxyConfig({ front, pods: started, socket, checkInterval: `${options.checkIntervalMs}ms`, usesHealth: health }));
    const haproxy = startChild(['haproxy', '-db', '-f', config], join(scratch, 'haproxy.log'));
    for (let i = 0; !existsSync(socket); i++) {
      if (!haproxy.alive || i > 100) throw new Unmeasurable(`haproxy did not start:\n${tail(haproxy.logFile)}`);
      await sleep(50);
    }
    await waitAllUp(socket, ['pod1', 'pod2']);

    // Requests of 200-500 ms, in a fixed sequence so that runs compare.
    const abort = new AbortController();
    const sigtermDelayMs = variant.sigtermDelayMs ?? 0;
    const loadDone = steadyLoad({
      url: (i) => `http://127.0.0.1:${front}/slow.php?ms=${200 + ((i * 137) % 301)}`,
      concurrency: options.concurrency,
      ratePerSecond: options.rate,
      durationMs: WARMUP_MS + sigtermDelayMs + STOP_TIMEOUT_MS + TAIL_MS + 5000,
      timeoutMs: 10_000,
      signal: abort.signal,
    });
    await sleep(WARMUP_MS);

    const t0 = Date.now();
    let sigtermAt = null;
    let removedAt = null;
    const sigtermTimer = setTimeout(() => {
      sigtermAt = Date.now();
      process.kill(pod1.initPid, 'SIGTERM');
    }, sigtermDelayMs);
    const lagTimer = setTimeout(() => haproxyCommand(socket, 'set server be/pod1 state maint').catch(() => {}), options.lagMs);
    // When haproxy stopped sending to pod 1: the lag's maint or its own checks, whichever first.
    const watching = (async () => {
      while (removedAt === null && !abort.signal.aborted) {
        const state = (await serverStates(socket).catch(() => ({}))).pod1;
        // "UP 1/2" is one failed check: still in rotation. DOWN or MAINT: out.
        if (state && /^(DOWN|MAINT)/.test(state)) removedAt = Date.now();
        else await sleep(50);
      }
    })();
    const stopped = await Promise.race([pod1.entry.exited, sleep(sigtermDelayMs + STOP_TIMEOUT_MS).then(() => null)]);
    clearTimeout(sigtermTimer);
    if (!stopped) killNow(pod1.entry);
    // Requests go on failing until haproxy stops sending to the gone pod: count them all.
    for (const until = t0 + options.lagMs + 2000; removedAt === null && Date.now() < until; ) await sleep(50);
    await sleep(TAIL_MS);
    abort.abort();
    clearTimeout(lagTimer);
    const { samples, skipped } = await loadDone;
    await watching;
    await stopChild(haproxy, 'SIGTERM', 5000);

    const failed = samples.filter((s) => !(s.result.kind === 'response' && s.result.status === 200));
    // Failed and over before t=0, when nothing was stopping yet: the setup itself is failing.
    const failedBeforeT0 = failed.filter((s) => s.endedAt < t0).length;
    if (failedBeforeT0) options.say(`${variantName}: ${failedBeforeT0} requests failed before pod 1 began to stop: the setup or the machine is overloaded`);
    options.say(`${variantName}: pod 1's timeline (ms from t=0):\n${timeline(pod1, t0, sigtermAt)}`);
    return {
      variant: variantName,
      flags: pod1.flags.join(' '),
      lagMs: options.lagMs,
      checkIntervalMs: options.checkIntervalMs,
      sent: samples.length,
      failed: failed.length,
      failedBeforeT0,
      kinds: failureKinds(samples),
      skipped,
      sigtermMs: sigtermAt === null ? null : sigtermAt - t0,
      removedMs: removedAt === null ? null : removedAt - t0,
      stopMs: stopped ? stopped.at - t0 : null,
      podExit: stopped ? (stopped.code ?? `signal ${stopped.signal}`) : 'did not stop in time (SIGKILLed)',
      failuresStartedMs: failed.length ? [failed[0].startedAt - t0, failed.at(-1).startedAt - t0] : null,
    };
  } finally {
    // Pods still there stop as in a cluster: SIGTERM to their PID 1 (a signal to unshare would
    // SIGKILL the namespace). One that does not stop in time is SIGKILLed.
    await Promise.all(started.map((pod) => stopChild(pod.entry, 'SIGTERM', 15_000, pod.initPid)));
    const left = [...children];
    for (const entry of left) killNow(entry);
    await Promise.all(left.map((entry) => entry.exited));
    removeScratch(scratch, options.keep);
  }
}

/**
 * lastcall's and start.sh's lines from the pod's log, lastcall's clock (from its own start) moved
 * to t=0 by its "received SIGTERM" line, whose time the harness knows.
 */
function timeline(pod, t0, sigtermAt) {
  const lines = readFileSync(pod.entry.logFile, 'utf8').split('\n').filter((l) => /^(lastcall|start\.sh)/.test(l));
  const clock = (line) => /^lastcall \+(\d+\.\d+)s: (.*)$/.exec(line);
  const anchor = lines.map(clock).find((m) => m && /received SIGTERM/.test(m[2]));
  const offset = anchor && sigtermAt !== null ? sigtermAt - t0 - Number(anchor[1]) * 1000 : pod.startedAt - t0;
  return lines
    .map((line) => {
      const m = clock(line);
      return m ? `  ${String(Math.round(offset + Number(m[1]) * 1000)).padStart(7)} ms  lastcall: ${m[2]}` : `              ${line}`;
    })
    .join('\n');
}
