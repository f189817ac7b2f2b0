// Real nginx + php-fpm (examples/nginx-php-fpm) under lastcall as PID 1, under load: what the
// shutdown choreography is for. Needs nginx and php8.2-fpm (installed by .ci/run).
import t, { type Test } from 'tap';
import { sleep, startWatched } from '../helpers/init.js';
import { prepareWebstack, steadyLoad, waitFor200, type LoadSample } from '../helpers/webstack.js';

const slow = (url: string) => (i: number) => `${url}/slow.php?ms=${400 + (i % 3) * 100}`;
const inFlightAt = (samples: LoadSample[], at: number) => samples.filter((s) => s.startedAt < at && s.endedAt > at);

/** The stack as PID 1's program, serving a steady load of slow requests; SIGTERM after 1 s. */
async function terminateUnderLoad(t: Test, flags: string[], keepSendingMs: number) {
  const stack = await prepareWebstack();
  t.teardown(() => stack.remove());
  const run = await startWatched(stack.program, { flags });
  await waitFor200(`${stack.url}/healthz`);
  const stopLoad = new AbortController();
  const load = steadyLoad({ url: slow(stack.url), concurrency: 16, ratePerSecond: 20, durationMs: 10_000, signal: stopLoad.signal });
  await sleep(1000);
  const term = Date.now();
  process.kill(run.initPid, 'SIGTERM');
  await sleep(keepSendingMs);
  stopLoad.abort();
  return { term, report: await load, result: await run.child };
}

t.test('with a drain and SIGQUIT: requests in flight at SIGTERM and new ones during the drain all get 200', async (t) => {
  // New requests keep coming during most of the drain; they stop well before the SIGQUIT at +2 s.
  const { term, report, result } = await terminateUnderLoad(t, ['--drain', '2s', '--stop-signal', 'QUIT', '--grace', '20s', '-v'], 1500);
  const duringDrain = report.samples.filter((s) => s.startedAt > term);
  t.ok(inFlightAt(report.samples, term).length >= 3, `${inFlightAt(report.samples, term).length} requests were in flight at SIGTERM`);
  t.ok(duringDrain.length >= 10, `${duringDrain.length} new requests arrived during the drain`);
  t.equal(report.failed, 0, `no request failed (${report.sent} sent: ${JSON.stringify(report.errors)}, ${report.serverErrors} 5xx)`);
  t.match(result.stderr, /sent SIGQUIT to pid \d+/);
  t.equal(result.exitCode, 0, `the stack stopped cleanly: ${result.stderr.split('\n').slice(-4).join(' | ')}`);
});

t.test('control: a plain SIGTERM to nginx (no choreography) cuts the requests in flight', async (t) => {
  const { term, report } = await terminateUnderLoad(t, [], 0);
  const cut = inFlightAt(report.samples, term).filter((s) => s.result.kind !== 'response' || s.result.status !== 200);
  t.ok(cut.length >= 1, `${cut.length} of ${inFlightAt(report.samples, term).length} requests in flight failed: the test tells graceful from fast`);
});
