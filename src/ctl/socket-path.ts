// Where the control socket lives. Server and client call the same function, so `lastcall ctl`
// finds a lastcall started with the same environment without being told the path.
import { accessSync, constants } from 'node:fs';
import { UsageError } from '../config/errors.js';
import '../one-chunk.js'; // one start-up chunk: see src/one-chunk.ts

/** Linux's sun_path holds 108 bytes including the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

/** Whether this process may create files in `dir` (W_OK also fails on a read-only mount: EROFS). */
function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * $XDG_RUNTIME_DIR is the per-user place for sockets where a session manager set it up; /run is
 * the system place (root in most containers); /tmp is the last resort, named by uid so two users
 * sharing /tmp do not collide. `canWrite` is a parameter only so tests can pick the branch.
 */
export function defaultSocketPath(env: NodeJS.ProcessEnv, uid: number, canWrite: (dir: string) => boolean = writable): string {
  const runtimeDir = env.XDG_RUNTIME_DIR;
  if (runtimeDir !== undefined && runtimeDir !== '') return `${runtimeDir.replace(/\/+$/, '')}/lastcall.sock`;
  if (canWrite('/run')) return '/run/lastcall.sock';
  return `/tmp/lastcall-${uid}.sock`;
}

/** An explicit `--socket PATH` wins over LASTCALL_SOCKET, which wins over the default: the usual flag > env > default order. */
export function resolveSocketPath(flag: string | undefined, env: NodeJS.ProcessEnv, uid: number): string {
  const chosen = flag ?? (env.LASTCALL_SOCKET !== undefined && env.LASTCALL_SOCKET !== '' ? env.LASTCALL_SOCKET : undefined);
  return checkSocketPath(chosen ?? defaultSocketPath(env, uid));
}

/** An over-long path fails in bind()/connect() with a bare ENAMETOOLONG (or is truncated by older libuv); say why up front. */
export function checkSocketPath(path: string): string {
  if (path === '') throw new UsageError('--socket: the path is empty; pass --socket PATH or set LASTCALL_SOCKET to a file path');
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new UsageError(`--socket ${path}: ${bytes} bytes is longer than the ${MAX_SOCKET_PATH_BYTES} a unix socket path may have; pick a shorter path`);
  }
  return path;
}
