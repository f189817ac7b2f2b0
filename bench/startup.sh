#!/usr/bin/env bash
# Start-up cost: `INIT -- true` wall time, lastcall against Node's own floor and the C inits.
# Runs with NODE_EXTRA_CA_CERTS unset (containers do not have it; it adds 40-60 ms to every Node start).
# Needs hyperfine, tini and dumb-init (Debian packages). Not part of `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in hyperfine tini dumb-init; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install $tool)" >&2; exit 1; }
done
node scripts/ensure-ready.mjs
floor=$(mktemp --suffix=.mjs)
table=$(mktemp)
trap 'rm -f "$floor" "$table"' EXIT
# The Node floor: the least a Node init must do (spawn, forward TERM/INT/USR1, pass the status on).
cat > "$floor" <<'JS'
import { spawn } from 'node:child_process';
const child = spawn(process.argv[2], process.argv.slice(3), { stdio: 'inherit' });
for (const s of ['SIGTERM', 'SIGINT', 'SIGUSR1']) process.on(s, () => child.kill(s));
child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal ? 15 : 0)));
JS
echo "machine: $(nproc) cores, $(uname -r), node $(node --version), $(date -u +%Y-%m-%d)"
env -u NODE_EXTRA_CA_CERTS hyperfine -N --warmup 5 --runs "${RUNS:-50}" --style basic --export-markdown "$table" \
  'node -e 0' \
  "node $floor true" \
  'bin/lastcall.js -- true' \
  'tini -- true' \
  'dumb-init -- true' >/dev/null
sed "s|$floor|node-floor.mjs|" "$table"
