// Runs the init under test as PID 1 with a terminal, the way `docker run -it` does, and plays a
// script against it through test/helpers/pty-driver.py (python3's pty module). Every wait is
// "until this appears", so the script is as fast as the machine and no slower.
import { execa } from 'execa';
import { join } from 'node:path';
import { root } from './fixtures.js';
import { containerEnv, initArgv, namespacePrefix } from './init.js';

export type Step =
  | { expect: string; timeout?: number }
  | { send: string }
  | { sleep: number }
  | { exit: number };

export interface StepRecord {
  step: Step;
  ok: boolean;
  startMs: number;
  ms: number;
  match?: string | null;
}

export interface TerminalRun {
  ok: boolean;
  error: string | null;
  failedStep: number | null;
  /** Everything the terminal showed, with the terminal's \r\n turned into \n. */
  text: string;
  /** The init's exit status (unshare passes it through); null if it was still running and had to be killed. */
  exit: { code?: number; signal?: number } | null;
  killed: boolean;
  steps: StepRecord[];
  elapsedMs: number;
}

/** Keys for the terminal itself: what the line discipline turns into signals. */
export const key = { ctrlC: '\u0003', ctrlBackslash: '\u001c', ctrlZ: '\u001a' } as const;

/** The interactive shell's prompt, fixed through the environment (bash --norc reads PS1 from it). */
export const PROMPT = 'READY$ ';
export const promptPattern = 'READY\\$ ';

const driver = join(root, 'test', 'helpers', 'pty-driver.py');
const python = process.env.PYTHON ?? 'python3';

export interface TerminalOptions {
  /** Options for the init, placed before `--`. */
  flags?: string[];
  env?: Record<string, string>;
  /**
   * Make the init the terminal's session leader inside the namespace, as runc does for
   * `docker run -it` (`setsid --ctty` execs the init, so it is still PID 1). Without it the
   * session and the init's process group belong to unshare, outside the namespace (seen as 0).
   */
  sessionLeader?: boolean;
  /** Seconds for the whole script; the driver kills everything when it runs out. */
  deadline?: number;
}

/** Starts `unshare ... <init> [flags] -- program...` on a new terminal and plays `steps`. */
export async function runInTerminal(program: string[], steps: Step[], options: TerminalOptions = {}): Promise<TerminalRun> {
  // namespacePrefix() has --kill-child: if the driver dies, unshare dies (PDEATHSIG), and then so does the namespace.
  const prefix = namespacePrefix();
  // The runner's shell settings must not reach the interactive shells under test.
  const base = containerEnv();
  for (const name of ['PROMPT_COMMAND', 'PS0', 'BASH_ENV', 'ENV', 'TMOUT', 'COLUMNS', 'LINES']) delete base[name];
  const env = { ...base, TERM: 'dumb', PS1: PROMPT, HISTFILE: '/dev/null', ...options.env };
  const deadline = options.deadline ?? 90;
  const spec = {
    argv: [...prefix, ...(options.sessionLeader ? ['setsid', '--ctty'] : []), ...initArgv(), ...(options.flags ?? []), '--', ...program],
    env,
    rows: 50,
    cols: 200,
    deadline,
    steps,
  };
  return runPtyDriver(spec);
}

/** What pty-driver.py takes: a command on a new terminal of rows x cols, and the steps to play. */
export interface DriverSpec {
  argv: string[];
  env: Record<string, string>;
  rows: number;
  cols: number;
  /** Seconds for the whole script; the driver kills everything when it runs out. */
  deadline: number;
  steps: Step[];
}

/** Runs test/helpers/pty-driver.py on `spec` (also for `docker run -it`, test/helpers/container.ts). */
export async function runPtyDriver(spec: DriverSpec): Promise<TerminalRun> {
  const result = await execa(python, [driver], {
    input: JSON.stringify(spec),
    reject: false,
    timeout: (spec.deadline + 30) * 1000,
    killSignal: 'SIGTERM', // the driver cleans up on SIGTERM
  });
  let parsed: Omit<TerminalRun, 'text'> & { transcript: string };
  try {
    parsed = JSON.parse(result.stdout);
  } catch {
    throw new Error(`pty-driver gave no result (exit ${result.exitCode}, signal ${result.signal}):\n${result.stderr}\n${result.stdout}`);
  }
  const { transcript, ...rest } = parsed;
  return { ...rest, text: transcript.replace(/\r\n/g, '\n') };
}

/** What a failed run said, for a test's diagnostics. */
export function explain(run: TerminalRun): string {
  const steps = run.steps.map((s, i) => `  ${i}: ${s.ok ? 'ok  ' : 'FAIL'} at ${s.startMs} ms, ${s.ms} ms: ${JSON.stringify(s.step)}`).join('\n');
  return `${run.error ?? 'script completed'}; exit ${JSON.stringify(run.exit)}${run.killed ? ' (killed)' : ''}\nsteps:\n${steps}\nterminal:\n${run.text}`;
}
