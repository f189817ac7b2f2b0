#!/usr/bin/env node
import { constants } from 'node:os'; // built into Node: costs nothing to load

// lastcall's entry point. Its first job is to listen for signals: the kernel drops any
// signal sent to a PID 1 that has no handler, so a SIGTERM that arrives while the rest
// of lastcall is still loading would otherwise be lost for good. Nothing is imported
// before these listeners exist; signals are queued until the supervisor takes them.

// Every catchable signal lastcall forwards. Not here: SIGCHLD (ours to reap), SIGKILL and
// SIGSTOP (uncatchable), synchronous faults (SEGV, BUS, FPE, ILL, TRAP, SYS, ABRT), and
// SIGTTIN/SIGTTOU (terminal job control aimed at lastcall itself).
const FORWARDED = [
  'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT',
  'SIGCONT', 'SIGTSTP', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR',
];
const SIGRTMIN = 34; // glibc's; 32 and 33 belong to the C library
const SIGRTMAX = 64;

// Profiling lastcall itself (node --cpu-prof / --prof): V8 samples with SIGPROF, which must stay V8's.
const profiling = process.execArgv.some((a) => /^--(cpu-)?prof\b/.test(a));
if (profiling) FORWARDED.splice(FORWARDED.indexOf('SIGPROF'), 1);

const queued = [];
let deliver = (signo) => queued.push(signo);
// A listener on SIGUSR1 also keeps Node from opening its inspector on 127.0.0.1:9229.
for (const name of FORWARDED) {
  const signo = constants.signals[name];
  process.on(name, () => deliver(signo));
}

// Realtime signals: process.on() refuses them. Node 20 and 22 still expose the internal
// signal handle that process.on() is built on; Node 24 removed that access, so there
// lastcall cannot receive them and ignores them instead (docs/signals.md).
const realtime = listenRealtime();

function listenRealtime() {
  const handles = [];
  const warn = process.emitWarning;
  process.emitWarning = () => {}; // DEP0111 is the price of the only way in; do not print it
  try {
    const { Signal } = process.binding('signal_wrap');
    for (let signo = SIGRTMIN; signo <= SIGRTMAX; signo++) {
      const handle = new Signal();
      handle.onsignal = (n) => deliver(n);
      if (handle.start(signo) !== 0) throw new Error(`cannot listen to signal ${signo}`);
      handle.unref();
      handles.push(handle);
    }
    return handles;
  } catch {
    for (const handle of handles) handle.close();
    return undefined;
  } finally {
    process.emitWarning = warn;
  }
}

const signals = {
  realtime: realtime !== undefined,
  subscribe(fn) {
    deliver = fn;
    for (const signo of queued.splice(0)) fn(signo);
  },
  unsubscribe() {
    deliver = () => {};
  },
};

const { main, version } = await import('../dist/lastcall.js');
await main({ signals, version });
