/** Start order in waves: each wave's programs depend only on earlier waves, so a wave starts in parallel. */
export function startWaves(dependsOn: ReadonlyMap<string, readonly string[]>): string[][] | { cycle: string[] } {
  const cycle = findCycle(dependsOn);
  if (cycle) return { cycle };
  const waves: string[][] = [];
  const placed = new Set<string>();
  while (placed.size < dependsOn.size) {
    const wave = [...dependsOn.keys()].filter((name) => !placed.has(name) && dependsOn.get(name)!.every((d) => placed.has(d)));
    for (const name of wave) placed.add(name);
    waves.push(wave);
  }
  return waves;
}

/** One dependency cycle as a path that returns to its start (a -> b -> a), if there is one. */
function findCycle(dependsOn: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of dependsOn.get(name) ?? []) {
      const found = visit(dep);
      if (found) return found;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const name of dependsOn.keys()) {
    const found = visit(name);
    if (found) return found;
  }
  return undefined;
}
