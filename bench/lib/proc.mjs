// What the bench reads about a process from /proc (host view). Every reader tolerates a process
// that has just gone: it returns undefined or skips it, and the measure decides what that means.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

function read(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function tids(pid) {
  try {
    return readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    return [];
  }
}

/** Direct children of every thread of `pid`. */
export function childrenOf(pid) {
  const out = [];
  for (const tid of tids(pid)) {
    const text = read(`/proc/${pid}/task/${tid}/children`);
    if (text) for (const c of text.trim().split(/\s+/)) if (c) out.push(Number(c));
  }
  return out;
}

/** `pid` and everything below it. */
export function treeOf(pid) {
  const out = [];
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop();
    out.push(p);
    todo.push(...childrenOf(p));
  }
  return out;
}

export function exeOf(pid) {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

/** Fields of /proc/PID/stat after the command name: [state, ppid, ...], 0-based from field 3. */
function statFields(path) {
  const text = read(path);
  if (!text) return undefined;
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

export function stateOf(pid) {
  return statFields(`/proc/${pid}/stat`)?.[0];
}

export function isAlive(pid) {
  const s = stateOf(pid);
  return s !== undefined && s !== 'Z' && s !== 'X';
}

function statusField(pid, name, path = `/proc/${pid}/status`) {
  const text = read(path);
  const m = text && new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

/**
 * Peak resident set size in kB (VmHWM). Cheap enough to poll while a process is being measured,
 * unlike memoryOf: smaps_rollup walks the process's page tables under its mmap lock.
 */
export function peakRssKbOf(pid) {
  return statusField(pid, 'VmHWM');
}

/** Resident set size in kB (VmRSS), peak (VmHWM), and proportional set size (smaps_rollup). */
export function memoryOf(pid) {
  const rollup = read(`/proc/${pid}/smaps_rollup`);
  const pss = rollup && /^Pss:\s+(\d+)/m.exec(rollup);
  return {
    rssKb: statusField(pid, 'VmRSS'),
    hwmKb: statusField(pid, 'VmHWM'),
    pssKb: pss ? Number(pss[1]) : undefined,
  };
}

/**
 * CPU and scheduling counters of one process, per thread (threads come and go in Node):
 * ns on CPU from /proc/PID/task/TID/schedstat, and voluntary/involuntary context switches.
 * Also utime+stime of the whole process in clock ticks (includes threads that have exited).
 */
export function countersOf(pid) {
  const threads = new Map();
  for (const tid of tids(pid)) {
    const sched = read(`/proc/${pid}/task/${tid}/schedstat`);
    const status = read(`/proc/${pid}/task/${tid}/status`);
    if (!sched || !status) continue;
    threads.set(tid, {
      cpuNs: Number(sched.split(' ')[0]),
      voluntary: Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0),
      involuntary: Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0),
    });
  }
  const f = statFields(`/proc/${pid}/stat`);
  return { threads, ticks: f ? Number(f[11]) + Number(f[12]) : undefined };
}

/** The growth from `a` to `b` (countersOf the same pid), summed over threads; new threads count whole. */
export function counterDelta(a, b) {
  const d = { cpuNs: 0, voluntary: 0, involuntary: 0, threads: b.threads.size, ticks: (b.ticks ?? 0) - (a.ticks ?? 0) };
  for (const [tid, t] of b.threads) {
    const before = a.threads.get(tid) ?? { cpuNs: 0, voluntary: 0, involuntary: 0 };
    d.cpuNs += t.cpuNs - before.cpuNs;
    d.voluntary += t.voluntary - before.voluntary;
    d.involuntary += t.involuntary - before.involuntary;
  }
  return d;
}

/** Total ns on CPU of the live threads of `pid`. */
export function cpuNsOf(pid) {
  let sum = 0;
  for (const t of countersOf(pid).threads.values()) sum += t.cpuNs;
  return sum;
}
