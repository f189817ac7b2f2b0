// The OS layer performs a signal's effects again without running the core when the same signal
// comes in the same state and its step changed nothing (src/os/runtime.ts). That is only sound if
// such a step depends on nothing but the state and the signal: not on the clock. Checked here in
// every state a random walk through the core reaches, single and multi-program, for every signal.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/config/file/load.js';
import { buildPlan, type Plan, type WrittenOptions } from '../../src/config/plan.js';
import { initialState, step } from '../../src/supervisor/core.js';
import type { Input, State, TimerName } from '../../src/supervisor/types.js';

const dir = mkdtempSync(join(tmpdir(), 'lastcall-repeat-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const SIGNALS = Array.from({ length: 64 }, (_, i) => i + 1).filter((s) => s !== 9 && s !== 19 && s !== 17);

function multiPlan(yaml: string, flags: Partial<WrittenOptions> = {}): Plan {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yaml);
  return buildPlan({ command: [], config: file, ...flags }, { config: loadConfig(file, process.env) });
}

const plans: [string, Plan][] = [
  ['single', buildPlan({ command: ['app'] })],
  ['single, drain, grace, rewrite, -g', buildPlan({ command: ['app'], drain: '5s', drainIdle: '1s', drainPort: ['8080'], grace: '30s', rewrite: ['TERM:QUIT', 'HUP:0'], pgroup: true })],
  ['multi', multiPlan(`
programs:
  web:
    command: ["nginx"]
    stop: { signal: QUIT, timeout: 5s }
  worker:
    command: ["worker"]
    depends_on: [web]
    restart: always
  once:
    command: ["migrate"]
    type: oneshot
`, { drain: '2s', grace: '20s' })],
];

for (const [name, plan] of plans) {
  t.test(`${name}: a signal whose step changes nothing gives the same effects at any time`, async (t) => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const timerNames: TimerName[] = ['drain-end', 'drain-idle', 'deadline', 'leftover-kill', 'kill-wait', ...plan.programs.flatMap((p) => [`restart:${p.name}`, `ready-timeout:${p.name}`, `stop-timeout:${p.name}`] as TimerName[])];
    let checked = 0;
    let unchanged = 0;
    const phases = new Set<string>();
    for (let walk = 0; walk < 40; walk++) {
      let state: State = initialState(plan);
      let now = 0;
      const pids = new Map<string, number>();
      let nextPid = 100;
      const feed = (input: Input) => {
        const result = step(plan, state, input, now);
        state = result.state;
        for (const effect of result.effects) {
          if (effect.type !== 'spawn') continue;
          pids.set(effect.program, nextPid);
          feed({ type: 'spawned', program: effect.program, pid: nextPid++ });
        }
      };
      feed({ type: 'boot' });
      for (let move = 0; move < 30 && state.phase.kind !== 'done'; move++) {
        for (const signo of SIGNALS) {
          const first = step(plan, state, { type: 'signal', signo }, now);
          checked++;
          if (first.state !== state) continue;
          unchanged++;
          phases.add(state.phase.kind);
          const later = step(plan, state, { type: 'signal', signo }, now + 12_345);
          if (later.state !== state || JSON.stringify(later.effects) !== JSON.stringify(first.effects)) {
            t.fail(`signal ${signo} in phase ${state.phase.kind}: effects differ with the time, or the state changes`, { first: first.effects, later: later.effects });
            return;
          }
        }
        now += Math.floor(random() * 3000);
        const program = pick(plan.programs).name;
        const moves: Input[] = [
          { type: 'signal', signo: pick([15, 2, 1, 10, 3]) },
          { type: 'timer', name: pick(timerNames) },
          { type: 'reaped', pid: pids.get(program) ?? 999, status: pick([{ code: 0 }, { code: 1 }, { signal: 15 }]) },
          { type: 'reaped', pid: 4242, status: { code: 0 } },
          { type: 'sweep-done', childrenLeft: random() < 0.5 },
          { type: 'connection-seen' },
          { type: 'ready', program },
        ];
        feed(pick(moves));
      }
    }
    t.ok(unchanged > 100, `${unchanged} of ${checked} signal steps changed nothing, and none of them depends on the time`);
    t.ok(phases.has('running') && phases.has('stopping'), `seen in phases ${[...phases].join(', ')}`);
  });
}
