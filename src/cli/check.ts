// `lastcall check --config FILE`: validate a config and print what lastcall would do with it.
import { formatDuration } from '../config/duration.js';
import { loadConfig } from '../config/file/load.js';
import type { ConfigPlan, ProgramSpec } from '../config/file/types.js';
import { killDeadlineMs } from '../config/shutdown.js';
import { signalName } from '../config/signals.js';
import '../one-chunk.js'; // one start-up chunk: see src/one-chunk.ts

export function check(file: string, env: NodeJS.ProcessEnv): string {
  return describeConfig(loadConfig(file, env));
}

export function describeConfig(plan: ConfigPlan): string {
  const s = plan.shutdown;
  const rows = [`${plan.file}: ${plan.programs.size} program${plan.programs.size === 1 ? '' : 's'}, valid`, '', 'Start order (a line starts once the lines above are satisfied; names on one line start in parallel):'];
  plan.startWaves.forEach((wave, i) => rows.push(`  ${i + 1}. ${wave.map((name) => describeStart(plan.programs.get(name)!)).join('; ')}`));
  rows.push('', 'Stop order on shutdown (dependents first; names on one line stop in parallel):');
  plan.stopWaves.forEach((wave, i) => rows.push(`  ${i + 1}. ${wave.map((name) => describeStop(plan.programs.get(name)!)).join('; ')}`));
  const deadline = killDeadlineMs(s);
  rows.push('', `Shutdown on ${[...s.signals].map(signalName).join(', ')}: readiness off at t = 0, drain ${formatDuration(s.drainMs)}${s.drainIdleMs === undefined ? '' : ` (or ${formatDuration(s.drainIdleMs)} without new connections on port ${s.drainPorts.join(', ')})`}, then the stop order above; ${deadline === undefined ? 'no SIGKILL deadline (grace 0)' : `SIGKILL to everything left at t = ${formatDuration(deadline)} (grace ${formatDuration(s.graceMs)} minus margin ${formatDuration(s.killMarginMs)})`}.`);
  return rows.join('\n');
}

function describeStart(p: ProgramSpec): string {
  const after = p.dependsOn.length === 0 ? '' : ` after ${p.dependsOn.map((d) => `${d.name} ${d.condition}`).join(', ')}`;
  const ready = p.ready ? `, ready when ${p.ready.check.kind} ${'port' in p.ready.check ? `${p.ready.check.host}:${p.ready.check.port}` : 'path' in p.ready.check ? p.ready.check.path : 'url' in p.ready.check ? p.ready.check.url : p.ready.check.argv.join(' ')}` : '';
  return `${p.name} (${p.type}${p.essential ? ', essential' : ''}${after}${ready}; restart ${p.restart.policy})`;
}

function describeStop(p: ProgramSpec): string {
  if (p.type === 'oneshot') return `${p.name} (oneshot: already finished)`;
  const how = [p.stop.http ? `${p.stop.http.method} ${p.stop.http.url}` : '', p.stop.command ? p.stop.command.join(' ') : '', p.stop.signal === undefined ? '' : signalName(p.stop.signal)].filter(Boolean).join(', then ');
  const wait = p.stop.signal === undefined ? ', then wait for it to exit' : '';
  return `${p.name}: ${how}${wait}${p.stop.timeoutMs === undefined ? '' : `, SIGKILL after ${formatDuration(p.stop.timeoutMs)}`}`;
}
