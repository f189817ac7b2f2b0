// A bundling aid, not code. esbuild puts each module in a chunk by the set of entries (the main
// one and every dynamic import()) that reach it, so modules shared between start-up and a lazy
// path (errors, signals, libc, logger...) used to land in eight small chunks, each one more file
// to resolve, read and compile on every container start (~0.7 ms each here). Every lazily loaded
// module imports this file, so everything the start-up path loads is reached from every entry and
// lands in one chunk. scripts/build.mjs fails if the start-up path grows past two files.
import './cli/main.js';
