import type { ShutdownPlan } from '../shutdown.js';

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
  /** The complete environment: lastcall's, with the program's `env` merged over it and interpolated. */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string | undefined;
  readonly user: { readonly uid: number; readonly gid: number } | undefined;
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
    readonly signal: number;
    readonly command: readonly string[] | undefined;
    readonly http: { readonly method: string; readonly url: string } | undefined;
    readonly timeoutMs: number;
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
}

/** One problem in a config file, with where it is and how to fix it. */
export interface ConfigProblem {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}
