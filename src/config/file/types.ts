import type { ShutdownPlan, WrittenShutdown } from '../shutdown.js';

export type ReadyCheck =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'http'; readonly url: string }
  | { readonly kind: 'cmd'; readonly argv: readonly string[] }
  | { readonly kind: 'file'; readonly path: string };

export type Condition = 'started' | 'ready' | 'completed';

export interface ProgramSpec {
  readonly name: string;
  readonly argv: readonly string[];
  /** The complete environment: lastcall's, with the program's `env` merged over it and interpolated; undefined = lastcall's own. */
  readonly env: Readonly<Record<string, string>> | undefined;
  readonly cwd: string | undefined;
  /** Drop to this uid/gid before exec (through setpriv: posix_spawn cannot); `initGroups` when the user has a passwd entry. */
  readonly user: { readonly uid: number; readonly gid: number; readonly initGroups: boolean } | undefined;
  readonly type: 'longrun' | 'oneshot';
  readonly dependsOn: readonly { readonly name: string; readonly condition: Condition }[];
  readonly ready: { readonly check: ReadyCheck; readonly intervalMs: number; readonly timeoutMs: number } | undefined;
  readonly restart: {
    readonly policy: 'never' | 'on-failure' | 'always';
    readonly initialMs: number;
    readonly maxMs: number;
    readonly maxRestarts: number;
    readonly windowMs: number;
  };
  readonly essential: boolean;
  readonly stop: {
    /** undefined: after a stop command or request, wait for the program to exit by itself; with neither, the signal received (single-program mode). */
    readonly signal: number | undefined;
    readonly command: readonly string[] | undefined;
    readonly http: { readonly method: string; readonly url: string } | undefined;
    /** SIGKILL to the program's group this long after its stop began; undefined: only the global deadline. */
    readonly timeoutMs: number | undefined;
  };
  readonly logs: 'inherit' | 'prefix' | 'json';
}

export interface ConfigPlan {
  readonly file: string;
  readonly programs: ReadonlyMap<string, ProgramSpec>;
  /** Programs in start order, in waves that may start in parallel. */
  readonly startWaves: readonly (readonly string[])[];
  /** The reverse: dependents stop before what they depend on. */
  readonly stopWaves: readonly (readonly string[])[];
  readonly shutdown: ShutdownPlan;
  /** The shutdown settings as written in the file, so flags can override them one by one. */
  readonly written: WrittenShutdown;
}

/** One problem in a config file, with where it is and how to fix it. */
export interface ConfigProblem {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}
