// A monotonic clock in milliseconds. Not performance.now(): `performance` is a lazily loaded
// global, and its first use loads perf_hooks and what it needs (1.5-4 ms of every start here,
// --cpu-prof; the upper end once a V8 flag change has cost Node's code cache, see noIdleGc()).

/** Milliseconds since an arbitrary fixed point (CLOCK_MONOTONIC), with sub-microsecond resolution. */
export function monotonicMs(): number {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1e3 + nanoseconds / 1e6;
}
