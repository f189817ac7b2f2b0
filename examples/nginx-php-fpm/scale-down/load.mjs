// Loopback HTTP load: a GET that names how it failed, and a bounded open-loop load of slow
// requests. A plain-JS copy of test/helpers/webstack.ts's httpGet and steadyLoad (the example
// runs without a TypeScript toolchain); keep the two in step.
import { request } from 'node:http';
import { createServer } from 'node:net';

/** A free TCP port on loopback, found by binding port 0. */
export async function freePort() {
  const server = createServer();
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One GET on a fresh connection, body read to the end; never rejects. */
export function httpGet(url, { timeoutMs = 10_000 } = {}) {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const fail = (error, detail) => settle({ kind: 'error', error, detail, ms: ms() });
    const req = request(url, { agent: false }, (res) => {
      res.on('data', () => {});
      res.on('end', () => settle({ kind: 'response', status: res.statusCode ?? 0, ms: ms() }));
      res.on('aborted', () => fail('reset', 'response cut off'));
      res.on('error', (error) => fail(kindOf(error), error.code ?? error.message));
    });
    req.on('error', (error) => fail(kindOf(error), error.code ?? error.message));
    const timer = setTimeout(() => {
      fail('timeout', `no complete response in ${timeoutMs} ms`);
      req.destroy();
    }, timeoutMs);
    req.end();
  });
}

function kindOf(error) {
  if (error.code === 'ECONNREFUSED') return 'refused';
  if (['ECONNRESET', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE'].includes(error.code) || error.message === 'aborted') return 'reset';
  return 'other';
}

export function describe(result) {
  if (!result) return 'no request';
  return result.kind === 'response' ? `HTTP ${result.status}` : `${result.error} (${result.detail})`;
}

/** Open loop: a request every 1/rate s, at most `concurrency` in flight, until duration or abort. */
export async function steadyLoad({ url, concurrency, ratePerSecond, durationMs, timeoutMs = 10_000, signal }) {
  const samples = [];
  const inFlight = new Set();
  const start = performance.now();
  const maxTicks = Math.floor((durationMs / 1000) * ratePerSecond) + 1;
  let skipped = 0;
  let started = 0;
  for (let tick = 0; tick < maxTicks && !signal?.aborted; tick++) {
    const wait = start + (tick * 1000) / ratePerSecond - performance.now();
    if (wait > 0) await sleepUnlessAborted(wait, signal);
    if (signal?.aborted || performance.now() - start > durationMs) break;
    if (inFlight.size >= concurrency) {
      skipped++;
      continue;
    }
    const startedAt = Date.now();
    const done = httpGet(url(started++), { timeoutMs }).then((result) => {
      samples.push({ startedAt, endedAt: Date.now(), result });
      inFlight.delete(done);
    });
    inFlight.add(done);
  }
  await Promise.all(inFlight);
  samples.sort((a, b) => a.startedAt - b.startedAt);
  return { samples, skipped };
}

function sleepUnlessAborted(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** "HTTP 503" and "refused" style labels, counted. */
export function failureKinds(samples) {
  const kinds = {};
  for (const { result } of samples) {
    if (result.kind === 'response' && result.status === 200) continue;
    const label = result.kind === 'response' ? String(result.status) : result.error;
    kinds[label] = (kinds[label] ?? 0) + 1;
  }
  return kinds;
}

