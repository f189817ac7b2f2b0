// `lastcall explain`: the shutdown timeline these flags would produce, and what looks wrong.
import { formatDuration } from '../config/duration.js';
import { mainProgram, type Plan } from '../config/plan.js';
import { describeSignals, killDeadlineMs } from '../config/shutdown.js';
import { signalName } from '../config/signals.js';
import '../one-chunk.js'; // one start-up chunk: see src/one-chunk.ts

/** Docker's default stop timeout: `docker stop` SIGKILLs 10 s after its SIGTERM. */
const DOCKER_STOP_TIMEOUT_MS = 10_000;
/** Programs whose SIGTERM is a fast (request-dropping) shutdown, and their graceful signal. */
const GRACEFUL_SIGNAL: Record<string, string> = { nginx: 'QUIT', 'php-fpm': 'QUIT', httpd: 'WINCH', apache2: 'WINCH', haproxy: 'USR1' };

export function explain(plan: Plan): string {
  const s = plan.shutdown;
  const main = mainProgram(plan);
  const program = main.argv.length > 0 ? main.name : 'the program';
  const received = [...s.signals][0] ?? 15;
  const stopSignal = s.stopSignal ?? plan.rewrite.get(received) ?? received;
  const target = plan.toGroup ? `${program}'s process group` : program;
  const deadline = killDeadlineMs(s);
  const at = (ms: number) => `t = ${formatDuration(ms)}`.padEnd(14);
  const rows: string[] = [];
  rows.push(`On ${describeSignals(s.signals)} (t = 0 is when lastcall receives it):`);
  rows.push(`  ${at(0)}readiness off: ${[s.health ? `GET /readyz on ${s.health.host}:${s.health.port} answers 503` : '', s.readyFile ? `${s.readyFile} is removed` : ''].filter(Boolean).join(', ') || 'nothing to tell (no --health, no --ready-file)'}`);
  if (s.drainMs > 0) {
    const adaptive = s.drainIdleMs === undefined ? '' : `, or until no new connection reached port ${s.drainPorts.join(', ')} for ${formatDuration(s.drainIdleMs)}`;
    rows.push(`  ${at(0)}drain: ${program} keeps serving while traffic moves away, for ${formatDuration(s.drainMs)}${adaptive}; a second signal ends it`);
  }
  const stopWhy = s.stopSignal !== undefined ? '--stop-signal' : plan.rewrite.has(received) ? `${signalName(received)} rewritten by --rewrite` : 'the signal received';
  rows.push(`  ${at(s.drainMs)}${stopSignal === 0 ? 'no stop signal (rewritten to 0)' : `${signalName(stopSignal)} to ${target} (${stopWhy})`}`);
  rows.push(`  ${''.padEnd(14)}${program} finishes its work; lastcall exits with its status (${128 + stopSignal} if it dies of ${signalName(stopSignal)})`);
  rows.push(`  ${''.padEnd(14)}processes it leaves behind get SIGTERM, then SIGKILL after --leftover-grace ${formatDuration(plan.leftoverGraceMs)}${deadline === undefined ? '' : ' or at the deadline, whichever is first'}`);
  if (deadline === undefined) rows.push(`  ${''.padEnd(14)}no SIGKILL deadline (--grace 0): lastcall waits as long as ${program} takes`);
  else {
    rows.push(`  ${at(deadline)}SIGKILL to every process still running, then exit (--grace ${formatDuration(s.graceMs)} minus --kill-margin ${formatDuration(s.killMarginMs)})`);
    rows.push(`  ${at(s.graceMs)}the orchestrator's own SIGKILL (terminationGracePeriodSeconds: ${s.graceMs / 1000})`);
  }
  const warnings = warningsFor(plan, stopSignal, deadline);
  if (warnings.length > 0) rows.push('', 'Warnings:', ...warnings.map((w) => `  - ${w}`));
  return rows.join('\n');
}

function warningsFor(plan: Plan, stopSignal: number, deadline: number | undefined): string[] {
  const s = plan.shutdown;
  const warnings: string[] = [];
  if (s.graceMs > DOCKER_STOP_TIMEOUT_MS) {
    warnings.push(`--grace ${formatDuration(s.graceMs)} is longer than Docker's default stop timeout (10s): run \`docker stop -t ${Math.ceil(s.graceMs / 1000)}\` (or stop_grace_period in compose), or docker will SIGKILL at 10s`);
  }
  if (s.drainMs === 0 && s.health) warnings.push('--health without --drain: the program is told to stop at t = 0, while load balancers may still send it traffic for a few seconds');
  if (deadline !== undefined && s.drainMs > 0 && deadline - s.drainMs < 1000) {
    warnings.push(`only ${formatDuration(deadline - s.drainMs)} between the stop signal and the SIGKILL: in-flight work may not finish; shorten --drain or raise --grace`);
  }
  const main = mainProgram(plan);
  const graceful = GRACEFUL_SIGNAL[main.name.replace(/[\d.]+$/, '')];
  if (graceful && stopSignal === 15) {
    warnings.push(`${main.name} treats SIGTERM as a fast shutdown and drops requests in flight; its graceful signal is SIG${graceful}: add --stop-signal ${graceful}`);
  }
  return warnings;
}
