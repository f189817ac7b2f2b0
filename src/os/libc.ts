// The native layer: the few libc calls Node does not expose, through koffi (FFI).
// Why koffi and not an addon or child_process: see docs/native-layer.md.
// Every wrapper checks its arguments before crossing into C, so misuse throws instead of crashing.
import { createRequire } from 'node:module';
import type koffiModule from 'koffi';

/** Which way koffi was loaded: its native module directly, or through its entry point. */
export let koffiLoadedFrom: 'native-module' | 'entry-point' = 'native-module';
const koffi = loadKoffi();
const libc = koffi.load(null); // the process's own libc: glibc or musl, whichever Node was built against

/**
 * koffi's entry point spends ~7 ms of JavaScript (platform probing, deprecation shims) before it
 * loads its native module, on every container start. Load that module directly from koffi's own
 * platform package (glibc build first; on musl it fails to load and the musl build is next), and
 * fall back to the entry point if koffi's layout ever changes (test/os/libc.test.ts notices).
 */
function loadKoffi(): typeof koffiModule {
  const require = createRequire(import.meta.url);
  for (const libcName of ['linux', 'musl']) {
    try {
      return require(`@koromix/koffi-linux-${process.arch}/${libcName}_${process.arch}/koffi.node`) as typeof koffiModule;
    } catch {
      // not this libc, or not this layout
    }
  }
  koffiLoadedFrom = 'entry-point';
  return require('koffi') as typeof koffiModule;
}

const c = {
  posix_spawnp: libc.func('int posix_spawnp(_Out_ int *pid, const char *file, void *actions, void *attr, const char **argv, const char **envp)'),
  attr_init: libc.func('int posix_spawnattr_init(void *attr)'),
  attr_destroy: libc.func('int posix_spawnattr_destroy(void *attr)'),
  attr_setflags: libc.func('int posix_spawnattr_setflags(void *attr, short flags)'),
  attr_setsigdefault: libc.func('int posix_spawnattr_setsigdefault(void *attr, void *set)'),
  attr_setsigmask: libc.func('int posix_spawnattr_setsigmask(void *attr, void *set)'),
  attr_setpgroup: libc.func('int posix_spawnattr_setpgroup(void *attr, int pgid)'),
  actions_init: libc.func('int posix_spawn_file_actions_init(void *actions)'),
  actions_destroy: libc.func('int posix_spawn_file_actions_destroy(void *actions)'),
  actions_adddup2: libc.func('int posix_spawn_file_actions_adddup2(void *actions, int fd, int newfd)'),
  actions_addchdir: optional('int posix_spawn_file_actions_addchdir_np(void *actions, const char *path)'),
  // glibc >= 2.35 only; on musl the parent hands the terminal over instead (see spawn.ts).
  actions_addtcsetpgrp: optional('int posix_spawn_file_actions_addtcsetpgrp_np(void *actions, int fd)'),
  waitid: libc.func('int waitid(int idtype, uint32_t id, void *info, int options)'),
  waitpid: libc.func('int waitpid(int pid, _Out_ int *status, int options)'),
  kill: libc.func('int kill(int pid, int sig)'),
  prctl: libc.func('int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)'),
  prctlName: libc.func('int prctl(int option, const char *name, unsigned long arg3, unsigned long arg4, unsigned long arg5)'),
  tcgetpgrp: libc.func('int tcgetpgrp(int fd)'),
  tcsetpgrp: libc.func('int tcsetpgrp(int fd, int pgrp)'),
  getpgrp: libc.func('int getpgrp()'),
  pthread_sigmask: libc.func('int pthread_sigmask(int how, void *set, void *old)'),
  sigaction: libc.func('int sigaction(int sig, void *act, void *old)'),
  strerror: libc.func('const char *strerror(int errnum)'),
  pipe2: libc.func('int pipe2(void *fds, int flags)'),
  fcntl: libc.func('int fcntl(int fd, int cmd, ...)'),
  _exit: libc.func('void _exit(int status)'),
};

function optional(signature: string): ReturnType<typeof libc.func> | undefined {
  try {
    return libc.func(signature);
  } catch {
    return undefined;
  }
}

// Opaque libc structures are allocated generously: 336 and 80 bytes on glibc and musl x86_64/arm64.
const OPAQUE_BYTES = 1024;
const SIGSET_BYTES = 128;
const SIGINFO_BYTES = 128;
const SIGINFO_PID_OFFSET = 16; // si_pid in siginfo_t on 64-bit Linux

const POSIX_SPAWN_SETPGROUP = 0x02;
const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const P_ALL = 0;
const WNOHANG = 1;
const WEXITED = 4;
const WNOWAIT = 0x0100_0000;
const PR_SET_PDEATHSIG = 1;
const PR_SET_CHILD_SUBREAPER = 36;
const PR_SET_NAME = 15;
const SIG_BLOCK = 0;
const O_CLOEXEC = 0o2000000;
const SIG_SETMASK = 2;
export const ERRNO = { EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, ECHILD: 10, EACCES: 13, ENOTDIR: 20, EISDIR: 21, ENOEXEC: 8 } as const;

export class NativeError extends Error {
  constructor(readonly call: string, readonly errno: number) {
    super(`${call}: ${describeErrno(errno)}`);
    this.name = 'NativeError';
  }
}

export function describeErrno(errno: number): string {
  return String(c.strerror(errno) ?? `errno ${errno}`);
}

function check(call: string, result: number): number {
  if (result < 0) throw new NativeError(call, koffi.errno());
  return result;
}

function int(value: number, what: string): number {
  if (!Number.isInteger(value) || value < -0x8000_0000 || value > 0x7fff_ffff) throw new TypeError(`${what} must be a 32-bit integer, got ${value}`);
  return value;
}

function sigset(signals: Iterable<number>): Buffer {
  const set = Buffer.alloc(SIGSET_BYTES);
  for (const s of signals) {
    int(s, 'signal');
    if (s < 1 || s > 64) throw new RangeError(`signal ${s} is outside 1..64`);
    set[(s - 1) >> 3]! |= 1 << ((s - 1) & 7);
  }
  return set;
}

// Built bit by bit on purpose: glibc's sigfillset leaves out 32 and 33, and a child spawned
// with that set kept them ignored (measured here).
const EVERY_SIGNAL = sigset(Array.from({ length: 64 }, (_, i) => i + 1));

export interface SpawnRequest {
  readonly file: string;
  readonly argv: readonly string[];
  readonly env: readonly string[];
  readonly cwd?: string;
  /** fds above 2 to pass on although Node marked them close-on-exec (see inherited-fds.ts). */
  readonly keepFds: readonly number[];
  /** Make the child's new process group the terminal's foreground group (fd 0). */
  readonly takeTerminal: boolean;
  /** The fds that become the child's 0, 1 and 2 (default: lastcall's own 0, 1 and 2). */
  readonly stdio?: readonly [number, number, number];
}

/** posix_spawnp into a new process group with default dispositions and an empty mask. Throws NativeError. */
export function spawn(request: SpawnRequest): number {
  for (const s of [request.file, ...request.argv, ...request.env, request.cwd ?? '']) {
    if (typeof s !== 'string' || s.includes('\0')) throw new TypeError('spawn: arguments must be strings without NUL bytes');
  }
  const attr = Buffer.alloc(OPAQUE_BYTES);
  const actions = Buffer.alloc(OPAQUE_BYTES);
  posixCall('posix_spawnattr_init', c.attr_init(attr));
  posixCall('posix_spawn_file_actions_init', c.actions_init(actions));
  try {
    // Node marks 0-2 close-on-exec at startup; dup2 onto itself clears the flag in the child.
    const stdio = request.stdio ?? [0, 1, 2];
    stdio.forEach((fd, target) => posixCall('posix_spawn_file_actions_adddup2', c.actions_adddup2(actions, int(fd, 'fd'), target)));
    for (const fd of request.keepFds) posixCall('posix_spawn_file_actions_adddup2', c.actions_adddup2(actions, int(fd, 'fd'), fd));
    if (request.cwd !== undefined) {
      if (!c.actions_addchdir) throw new NativeError('posix_spawn_file_actions_addchdir_np', ERRNO.ENOENT);
      posixCall('posix_spawn_file_actions_addchdir_np', c.actions_addchdir(actions, request.cwd));
    }
    if (request.takeTerminal && c.actions_addtcsetpgrp) posixCall('posix_spawn_file_actions_addtcsetpgrp_np', c.actions_addtcsetpgrp(actions, 0));
    posixCall('posix_spawnattr_setsigdefault', c.attr_setsigdefault(attr, EVERY_SIGNAL));
    posixCall('posix_spawnattr_setsigmask', c.attr_setsigmask(attr, sigset([])));
    posixCall('posix_spawnattr_setpgroup', c.attr_setpgroup(attr, 0));
    posixCall('posix_spawnattr_setflags', c.attr_setflags(attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK));
    const pid = [0];
    posixCall('posix_spawnp', c.posix_spawnp(pid, request.file, actions, attr, [...request.argv, null], [...request.env, null]));
    return pid[0]!;
  } finally {
    c.actions_destroy(actions);
    c.attr_destroy(attr);
  }
}

/**
 * A pipe whose both ends are close-on-exec, so no other program inherits them; the spawn
 * dup2s the write end onto the child's stdout or stderr (dup2 clears the flag there).
 */
export function pipe(): { readonly read: number; readonly write: number } {
  const fds = Buffer.alloc(8);
  check('pipe2', c.pipe2(fds, O_CLOEXEC));
  return { read: fds.readInt32LE(0), write: fds.readInt32LE(4) };
}

/**
 * Exit without Node's shutdown, which joins libuv's worker threads: one stuck in a write to a
 * terminal nobody reads (relayed output, ^S) would keep PID 1 from ever exiting.
 */
export function exitNow(code: number): never {
  c._exit(int(code, 'exit code'));
  throw new Error('_exit returned');
}

const F_SETPIPE_SZ = 1031;

/** Best effort: a non-root process may be refused above /proc/sys/fs/pipe-max-size; the default pipe still works. */
export function growPipe(fd: number, bytes: number): boolean {
  return c.fcntl(int(fd, 'fd'), F_SETPIPE_SZ, 'int', int(bytes, 'bytes')) >= 0;
}

/** posix_spawn* and pthread_* return the error number instead of setting errno. */
function posixCall(call: string, result: number): void {
  if (result !== 0) throw new NativeError(call, result);
}

/** Whether the spawn can hand the terminal over itself (glibc), or the caller must (musl). */
export const spawnCanTakeTerminal = c.actions_addtcsetpgrp !== undefined;

const info = Buffer.alloc(SIGINFO_BYTES);

/** The pid of a child that has exited, without reaping it; 0 if none yet; -1 if lastcall has no child at all. */
export function peekExited(): number {
  info.writeInt32LE(0, SIGINFO_PID_OFFSET); // Linux leaves si_pid 0 when nothing has exited; be sure
  for (;;) {
    if (c.waitid(P_ALL, 0, info, WEXITED | WNOHANG | WNOWAIT) === 0) return info.readInt32LE(SIGINFO_PID_OFFSET);
    const errno = koffi.errno();
    if (errno === ERRNO.ECHILD) return -1;
    if (errno !== ERRNO.EINTR) throw new NativeError('waitid', errno);
  }
}

/** Reap one known exited child; returns the raw wait status. */
export function reap(pid: number): number {
  const status = [0];
  for (;;) {
    if (c.waitpid(int(pid, 'pid'), status, WNOHANG) >= 0) return status[0]!;
    const errno = koffi.errno();
    if (errno !== ERRNO.EINTR) throw new NativeError('waitpid', errno);
  }
}

const anyStatus = [0];
const anyExited = { pid: 0, status: 0 };

/**
 * waitpid(-1, WNOHANG): any exited child, reaped. `pid` 0: none has exited yet; -1: no child at
 * all. Only while Node's child_process owns no child (it would never learn of its exit). The
 * returned object is reused by the next call.
 */
export function reapAny(): { readonly pid: number; readonly status: number } {
  for (;;) {
    const pid = c.waitpid(-1, anyStatus, WNOHANG);
    if (pid >= 0) {
      anyExited.pid = pid;
      anyExited.status = anyStatus[0]!;
      return anyExited;
    }
    const errno = koffi.errno();
    if (errno === ERRNO.ECHILD) {
      anyExited.pid = -1;
      return anyExited;
    }
    if (errno !== ERRNO.EINTR) throw new NativeError('waitpid', errno);
  }
}

/** kill(2); returns 0 or the errno (ESRCH is routine: the process may have just exited). */
export function sendSignal(pid: number, signo: number): number {
  return c.kill(int(pid, 'pid'), int(signo, 'signal')) === 0 ? 0 : koffi.errno();
}

/** The thread's name, what `ps -e` and `top` show: Node 24 names its main thread "MainThread". */
export function setProcessName(name: string): void {
  c.prctlName(PR_SET_NAME, name.slice(0, 15), 0, 0, 0);
}

export function setChildSubreaper(): void {
  check('prctl(PR_SET_CHILD_SUBREAPER)', c.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
}

export function setParentDeathSignal(signo: number): void {
  check('prctl(PR_SET_PDEATHSIG)', c.prctl(PR_SET_PDEATHSIG, int(signo, 'signal'), 0, 0, 0));
}

/** The foreground process group of the terminal on fd, or -1 if fd is not our controlling terminal. */
export function foregroundGroup(fd: number): number {
  return c.tcgetpgrp(int(fd, 'fd'));
}

export function ownGroup(): number {
  return c.getpgrp();
}

/** tcsetpgrp from a background group: SIGTTOU is blocked for the call, or the kernel would stop us. */
export function giveTerminal(fd: number, pgrp: number): void {
  const old = Buffer.alloc(SIGSET_BYTES);
  posixCall('pthread_sigmask', c.pthread_sigmask(SIG_BLOCK, sigset([22]), old));
  try {
    check('tcsetpgrp', c.tcsetpgrp(int(fd, 'fd'), int(pgrp, 'pgrp')));
  } finally {
    c.pthread_sigmask(SIG_SETMASK, old, null);
  }
}

/** SIG_IGN for a signal Node cannot listen to, so it cannot kill lastcall when it is not PID 1. */
export function ignoreSignal(signo: number): void {
  const act = Buffer.alloc(256); // struct sigaction: handler first, then mask, flags, restorer
  act.writeBigUInt64LE(1n, 0); // SIG_IGN
  check('sigaction', c.sigaction(int(signo, 'signal'), act, null));
}
