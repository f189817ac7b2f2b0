import { readFileSync } from 'node:fs';

// Sockets in these states are a connection (not a listener): everything but LISTEN (0A).
const LISTEN = '0A';

/**
 * Adaptive drain: watches the kernel's socket tables (/proc/net/tcp and tcp6) for connections
 * to `ports` that were not there at the previous look, and calls `onNew` when one appears.
 * Runs only while draining. A connection that opens and fully closes between two looks is
 * missed; the sampling interval is kept well below the idle time (docs/shutdown.md).
 */
export function watchNewConnections(ports: readonly number[], intervalMs: number, onNew: () => void): () => void {
  const wanted = new Set(ports);
  let seen = snapshot(wanted);
  const timer = setInterval(() => {
    const now = snapshot(wanted);
    for (const key of now) {
      if (!seen.has(key)) {
        onNew();
        break;
      }
    }
    seen = now;
  }, intervalMs);
  return () => clearInterval(timer);
}

/** Connection keys (local port + remote address) of every non-listening socket on the ports. */
export function snapshot(ports: ReadonlySet<number>): Set<string> {
  const keys = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'latin1');
    } catch {
      continue; // no IPv6 in this namespace
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 4 || fields[3] === LISTEN) continue;
      const local = fields[1]!;
      const port = parseInt(local.slice(local.lastIndexOf(':') + 1), 16);
      if (ports.has(port)) keys.add(`${port} ${fields[2]} ${fields[9] ?? ''}`);
    }
  }
  return keys;
}
