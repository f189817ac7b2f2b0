// A pod: lastcall as PID 1 of a new PID namespace, over start.sh (nginx + php-fpm), the way a
// container runtime starts the image's ENTRYPOINT.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep, startChild } from './children.mjs';
import { describe, httpGet } from './load.mjs';

const startScript = fileURLToPath(new URL('../start.sh', import.meta.url));

/** A run could not be measured (as opposed to a measured failure). */
export class Unmeasurable extends Error {}

/** The pod's PID 1 as the host sees it: unshare's child (under setpriv, which exec'd unshare). */
export async function hostPidOfInit(unsharePid, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const kids = readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').trim();
      if (kids) return Number(kids.split(' ')[0]);
    } catch {
      // not there yet
    }
    await sleep(5);
  }
  throw new Unmeasurable(`unshare (pid ${unsharePid}) started no PID 1 within ${timeoutMs} ms`);
}

/** Starts pod `name` with the variant's lastcall flags; its output goes to SCRATCH/NAME.log. */
export async function startPod(name, ports, variant, ctx) {
  const runDir = join(ctx.scratch, name);
  const flags = variant.flags(ports);
  // env -i: a container's environment, not ours (NODE_OPTIONS, NODE_EXTRA_CA_CERTS slow Node down).
  const env = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', `LISTEN=127.0.0.1:${ports.http}`, `RUN_DIR=${runDir}`, ...(variant.env?.(ports) ?? [])];
  const program = variant.program === false ? [] : ['--', startScript];
  const argv = ['unshare', '--pid', '--fork', '--mount-proc', '--kill-child=SIGKILL', '--', 'env', '-i', ...env, process.execPath, ctx.lastcall, '-v', ...flags, ...program];
  const startedAt = Date.now();
  const entry = startChild(argv, join(ctx.scratch, `${name}.log`));
  const initPid = await hostPidOfInit(entry.child.pid);
  return { name, ports, flags, entry, initPid, runDir, startedAt };
}

/** Until nginx's /healthz (nginx and php-fpm) and, with --health, lastcall's /readyz answer 200. */
export async function waitReady(pod, usesHealth, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  const urls = [`http://127.0.0.1:${pod.ports.http}/healthz`, ...(usesHealth ? [`http://127.0.0.1:${pod.ports.health}/readyz`] : [])];
  for (const url of urls) {
    for (;;) {
      if (!pod.entry.alive) throw new Unmeasurable(`${pod.name} exited before it was ready:\n${tail(pod.entry.logFile)}`);
      const result = await httpGet(url, { timeoutMs: 1000 });
      if (result.kind === 'response' && result.status === 200) break;
      if (Date.now() > deadline) throw new Unmeasurable(`${pod.name} never became ready (${url}: ${describe(result)}):\n${tail(pod.entry.logFile)}`);
      await sleep(100);
    }
  }
}

export function tail(file, lines = 15) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

