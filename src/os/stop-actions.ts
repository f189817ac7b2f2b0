// A program's stop hook, run before its stop signal: a command (nginx -s quit) or an HTTP
// call (Envoy's /drain_listeners). Their results only feed a log line, so they never throw.
import { httpOnce } from './http-once.js';
import { describeOutcome, runCommand } from './run-command.js';

export interface StopResult {
  readonly ok: boolean;
  /** "exited with 0", "exited with 3", "killed after 5s timeout", "not found", "HTTP 200", "connection refused". */
  readonly detail: string;
  /** The command's last line of stderr, if it wrote any: usually the reason it failed. */
  readonly stderr?: string;
}

/** Runs argv to completion; at timeoutMs its whole process group is SIGKILLed, leftovers included. */
export async function runStopCommand(
  argv: readonly string[],
  options: { env: Readonly<Record<string, string>>; cwd?: string | undefined; timeoutMs: number },
): Promise<StopResult> {
  const { outcome, stderr } = await runCommand(argv, options).done;
  const result = { ok: outcome.kind === 'exited' && outcome.code === 0, detail: describeOutcome(outcome) };
  return stderr === undefined ? result : { ...result, stderr };
}

/** Sends the request with an empty body; ok on 2xx. Bounded by timeoutMs, connection included. */
export function runStopHttp(request: { readonly method: string; readonly url: string }, timeoutMs: number): Promise<StopResult> {
  return httpOnce(request.method, request.url, timeoutMs).done;
}
