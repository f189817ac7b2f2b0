import { EXIT } from '../config/errors.js';
import { inheritedFds } from './inherited-fds.js';
import * as libc from './libc.js';

export type SpawnResult = { readonly pid: number } | { readonly exitCode: number; readonly reason: string };

export interface SpawnOptions {
  readonly argv: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** fds that become the program's 0, 1 and 2 (log pipes); default lastcall's own. */
  readonly stdio?: readonly [number, number, number];
}

/**
 * Starts a program as its own process-group leader, with clean signal state, and
 * gives it the terminal when lastcall holds the foreground of one (docker run -it).
 */
export function spawnProgram(options: SpawnOptions): SpawnResult {
  const file = options.argv[0]!;
  const env = Object.entries(options.env ?? process.env)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  // Only take the terminal if we are its foreground group: a lastcall started in the
  // background of an interactive shell must not steal the shell's terminal.
  const foreground = libc.foregroundGroup(0);
  const takeTerminal = foreground >= 0 && foreground === libc.ownGroup();
  let pid: number;
  try {
    pid = libc.spawn({ file, argv: options.argv, env, cwd: options.cwd, takeTerminal, keepFds: inheritedFds(), stdio: options.stdio });
  } catch (error) {
    if (!(error instanceof libc.NativeError)) throw error;
    return describeFailure(file, error.errno);
  }
  if (takeTerminal && !libc.spawnCanTakeTerminal) {
    // musl has no addtcsetpgrp_np: hand the terminal over from here. If the child touched the
    // terminal first it was stopped by SIGTTIN/SIGTTOU; SIGCONT lets it go on as foreground.
    libc.giveTerminal(0, pid);
    libc.sendSignal(-pid, 18);
  }
  return { pid };
}

export function describeFailure(file: string, errno: number): SpawnResult {
  const why = libc.describeErrno(errno);
  switch (errno) {
    case libc.ERRNO.ENOENT:
    case libc.ERRNO.ENOTDIR:
      return { exitCode: EXIT.notFound, reason: `cannot run \`${file}\`: not found (${why}); check the name and PATH` };
    case libc.ERRNO.EACCES:
    case libc.ERRNO.EISDIR:
    case libc.ERRNO.EPERM:
      return { exitCode: EXIT.notExecutable, reason: `cannot run \`${file}\`: not executable (${why}); check its mode (chmod +x) and that it is a file` };
    case libc.ERRNO.ENOEXEC:
      return { exitCode: EXIT.notExecutable, reason: `cannot run \`${file}\`: ${why}; a script needs a #! line` };
    default:
      return { exitCode: EXIT.notExecutable, reason: `cannot run \`${file}\`: ${why}` };
  }
}
