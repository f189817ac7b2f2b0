// Whether a program may start yet: every dependency must have reached its condition.
import type { Condition } from '../config/file/types.js';

/** What the gate needs to know of a dependency's state. */
export type DependencyState = 'waiting' | 'started' | 'ready' | 'completed' | 'failed' | 'stopped';

export type Gate =
  | { readonly kind: 'open' }
  | { readonly kind: 'wait'; readonly on: readonly string[] }
  /** A dependency can never meet its condition: the program cannot start. */
  | { readonly kind: 'blocked'; readonly by: string; readonly why: string };

const MEETS: Record<Condition, readonly DependencyState[]> = {
  // A oneshot that has completed has certainly started; it is never "ready" (it does not serve).
  started: ['started', 'ready', 'completed'],
  ready: ['ready'],
  completed: ['completed'],
};

export function gate(dependsOn: readonly { readonly name: string; readonly condition: Condition }[], stateOf: (name: string) => DependencyState): Gate {
  const waiting: string[] = [];
  for (const { name, condition } of dependsOn) {
    const state = stateOf(name);
    if (MEETS[condition].includes(state)) continue;
    if (state === 'failed' || state === 'stopped' || (condition === 'ready' && state === 'completed')) {
      return { kind: 'blocked', by: name, why: `${name} ${state === 'completed' ? 'exited' : state} before it was ${condition}` };
    }
    waiting.push(name);
  }
  return waiting.length === 0 ? { kind: 'open' } : { kind: 'wait', on: waiting };
}
