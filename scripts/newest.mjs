// The newest modification time under a directory, in ms: whether dist/ is older than src/
// (scripts/ensure-ready.mjs rebuilds; bench/lib/setup.mjs warns that it measures a stale build).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}
