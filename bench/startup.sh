#!/usr/bin/env bash
# Start-up cost is now one measure of the benchmark suite (bench/run.mjs, docs/performance.md):
# `INIT -- true` wall time with hyperfine and exec -> first instruction of the child, lastcall
# against the Node floor, tini, dumb-init, catatonit, supervisord and pm2-runtime, as PID 1.
exec node "$(dirname "$0")/run.mjs" startup "$@"
