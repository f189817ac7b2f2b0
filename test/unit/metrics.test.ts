// /metrics: the exact exposition text for a snapshot, label escaping, a line-by-line check
// against the text format's grammar, and the HTTP endpoint itself.
import { request } from 'node:http';
import { createServer } from 'node:net';
import t from 'tap';
import { renderMetrics } from '../../src/health/metrics.js';
import { startHealth } from '../../src/health/server.js';
import type { ProgramStatus, StatusSnapshot } from '../../src/supervisor/status.js';
import { SNAPSHOT } from '../helpers/ctl.js';

const program = (name: string, extra: Partial<ProgramStatus> = {}): ProgramStatus => ({
  name, state: 'running', pid: 10, ready: true, uptimeMs: 1000, restarts: 0, lastExit: null, essential: true, detail: null, ...extra,
});

const NAME = /[a-zA-Z_:][a-zA-Z0-9_:]*/.source;
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(${LABEL}(?:,${LABEL})*)?\\})? (-?\\d+(?:\\.\\d+)?(?:e[+-]?\\d+)?|NaN|[+-]Inf)$`);
const COMMENT = new RegExp(`^# (HELP|TYPE) (${NAME}) (.*)$`);

/** Text format 0.0.4, line by line: HELP/TYPE precede their samples, families are not interleaved, types are known. */
function validate(text: string): string[] {
  const problems: string[] = [];
  if (!text.endsWith('\n')) problems.push('does not end in a newline');
  const typed = new Map<string, string>();
  const finished = new Set<string>();
  let current = '';
  for (const [i, line] of text.slice(0, -1).split('\n').entries()) {
    const comment = COMMENT.exec(line);
    const sample = SAMPLE.exec(line);
    const name = comment?.[2] ?? sample?.[1] ?? '';
    const family = comment || typed.has(name) ? name : name.replace(/_(sum|count|bucket)$/, ''); // summaries and histograms
    if (!comment && !sample) {
      problems.push(`line ${i + 1} is neither a comment nor a sample: ${line}`);
      continue;
    }
    if (family !== current) {
      if (finished.has(family)) problems.push(`line ${i + 1}: ${family} appears in two places`);
      finished.add(current);
      current = family;
    }
    if (comment?.[1] === 'TYPE') {
      if (!['counter', 'gauge', 'untyped', 'summary', 'histogram'].includes(comment[3]!)) problems.push(`line ${i + 1}: unknown type ${comment[3]}`);
      typed.set(family, comment[3]!);
    }
    if (sample && !typed.has(family)) problems.push(`line ${i + 1}: sample before the TYPE of ${family}`);
  }
  return problems;
}

t.test('the exact text for a snapshot', async (t) => {
  const snapshot: StatusSnapshot = {
    phase: 'draining', ready: false, uptimeMs: 61_250, zombiesReaped: 3,
    programs: [program('web', { pid: 42, restarts: 2, lastExit: { code: 3 } }), program('worker', { pid: null, ready: false, uptimeMs: null, state: 'backoff', lastExit: { signal: 9 } }), program('cron', { ready: false })],
  };
  t.equal(renderMetrics(snapshot), [
    '# HELP lastcall_program_up Whether the program has a live process (1) or not (0).',
    '# TYPE lastcall_program_up gauge',
    'lastcall_program_up{program="web"} 1',
    'lastcall_program_up{program="worker"} 0',
    'lastcall_program_up{program="cron"} 1',
    '# HELP lastcall_program_ready Whether the program passed its ready check (1) or not (0).',
    '# TYPE lastcall_program_ready gauge',
    'lastcall_program_ready{program="web"} 1',
    'lastcall_program_ready{program="worker"} 0',
    'lastcall_program_ready{program="cron"} 0',
    '# HELP lastcall_program_restarts_total Times lastcall restarted the program.',
    '# TYPE lastcall_program_restarts_total counter',
    'lastcall_program_restarts_total{program="web"} 2',
    'lastcall_program_restarts_total{program="worker"} 0',
    'lastcall_program_restarts_total{program="cron"} 0',
    "# HELP lastcall_program_last_exit_code Exit code of the program's last exit, or 128 plus the signal number that killed it; absent until it first exits.",
    '# TYPE lastcall_program_last_exit_code gauge',
    'lastcall_program_last_exit_code{program="web"} 3',
    'lastcall_program_last_exit_code{program="worker"} 137',
    '# HELP lastcall_ready Whether /readyz would answer 200 (1) or not (0).',
    '# TYPE lastcall_ready gauge',
    'lastcall_ready 0',
    '# HELP lastcall_zombies_reaped_total Orphaned processes lastcall reaped as PID 1 (not counting its own programs).',
    '# TYPE lastcall_zombies_reaped_total counter',
    'lastcall_zombies_reaped_total 3',
    '# HELP lastcall_shutdown_phase The current shutdown phase: 1 for the current one, 0 for the others.',
    '# TYPE lastcall_shutdown_phase gauge',
    'lastcall_shutdown_phase{phase="running"} 0',
    'lastcall_shutdown_phase{phase="draining"} 1',
    'lastcall_shutdown_phase{phase="stopping"} 0',
    'lastcall_shutdown_phase{phase="exiting"} 0',
    'lastcall_shutdown_phase{phase="done"} 0',
    '# HELP lastcall_uptime_seconds Seconds since lastcall started.',
    '# TYPE lastcall_uptime_seconds gauge',
    'lastcall_uptime_seconds 61.25',
    '',
  ].join('\n'));
});

t.test('label values escape backslash, double quote and newline', async (t) => {
  const text = renderMetrics({ ...SNAPSHOT, programs: [program('a\\b"c\nd')] });
  t.match(text, 'lastcall_program_up{program="a\\\\b\\"c\\nd"} 1\n');
  t.same(validate(text), []);
});

t.test('every rendering parses as Prometheus text, including an unknown phase and no programs', async (t) => {
  t.same(validate(renderMetrics(SNAPSHOT)), []);
  const odd = renderMetrics({ ...SNAPSHOT, phase: 'leftovers', programs: [] });
  t.same(validate(odd), []);
  t.match(odd, 'lastcall_shutdown_phase{phase="leftovers"} 1\n');
  t.notMatch(odd, /lastcall_program_up\{/);
  t.same(validate('# TYPE x gauge\nx{a="b} 1\n'), ['line 2 is neither a comment nor a sample: x{a="b} 1'], 'the validator itself catches a broken label');
  t.same(validate('y 1\n# TYPE y gauge\n'), ['line 1: sample before the TYPE of y'], 'and a sample before its TYPE');
  t.same(validate('# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n'), ['line 5: a appears in two places'], 'and interleaved families');
});

/** Asks the OS for a port nobody uses, so the health server can be reached at a known address. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function get(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    }).on('error', reject).end();
  });
}

t.test('GET /metrics serves the snapshot when a provider is given, and a hint otherwise', async (t) => {
  const port = await freePort();
  let calls = 0;
  const health = await startHealth({ host: '127.0.0.1', port }, { snapshot: () => (calls++, SNAPSHOT) });
  t.teardown(() => health.close());
  t.same(await get(port, '/metrics'), { status: 200, type: 'text/plain; version=0.0.4; charset=utf-8', body: renderMetrics(SNAPSHOT) });
  t.equal(calls, 1, 'a fresh snapshot per scrape');
  t.equal((await get(port, '/readyz')).status, 503, 'readiness still comes from setReady');
  health.setReady(true);
  t.equal((await get(port, '/readyz')).status, 200);
  const plainPort = await freePort();
  const plain = await startHealth({ host: '127.0.0.1', port: plainPort });
  t.teardown(() => plain.close());
  t.same(await get(plainPort, '/metrics'), { status: 404, type: 'text/plain', body: 'metrics are not enabled in this lastcall; try /readyz or /livez\n' });
});

t.test('a snapshot provider that throws costs one scrape a 500, not the process', async (t) => {
  const port = await freePort();
  const health = await startHealth({ host: '127.0.0.1', port }, { snapshot: () => { throw new Error('no core yet'); } });
  t.teardown(() => health.close());
  t.same(await get(port, '/metrics'), { status: 500, type: 'text/plain', body: 'cannot render metrics: no core yet\n' });
  t.equal((await get(port, '/livez')).status, 200);
});
