// The CLI: the only code that reads argv and env, and the one place lastcall exits.
import { EXIT, UsageError } from '../config/errors.js';
import { buildPlan } from '../config/plan.js';
import { createLogger, type Logger } from '../log/logger.js';
import { run, type SignalSource } from '../os/runtime.js';
import { killEverything, prepareProcess } from '../os/setup.js';
import { parseRunArgs } from './parse-run.js';

export interface Boot {
  readonly signals: SignalSource & { readonly realtime: boolean };
  readonly version: string;
}

export async function main(boot: Boot): Promise<never> {
  let logger: Logger | undefined;
  try {
    const parsed = parseRunArgs(process.argv.slice(2), process.env);
    if (parsed.kind === 'help' || parsed.kind === 'version') {
      const text = parsed.kind === 'version' ? boot.version : await (await import('./help.js')).renderHelp();
      process.stdout.write(`${text}\n`);
      return exit(0);
    }
    if (parsed.kind === 'explain') {
      const { explain } = await import('./explain.js');
      process.stdout.write(`${explain(buildPlan(parsed.options, { requireProgram: false }))}\n`);
      return exit(0);
    }
    if (parsed.kind === 'check') {
      const { check } = await import('./check.js');
      process.stdout.write(`${check(parsed.file, process.env)}\n`);
      return exit(0);
    }
    const plan = buildPlan(parsed.options);
    logger = await createLogger(plan.log);
    installLastResort(logger);
    const health = plan.shutdown.health ? await (await import('../health/server.js')).startHealth(plan.shutdown.health) : undefined;
    prepareProcess(plan, boot.signals.realtime);
    injectFault(process.env.LASTCALL_INJECT_FAULT);
    return exit(await run(plan, boot.signals, logger, health));
  } catch (error) {
    if (error instanceof UsageError) {
      for (const line of error.message.split('\n')) process.stderr.write(`lastcall: ${line}\n`);
      return exit(error.exitCode);
    }
    return crash(error, logger);
  }
}

/** Whatever breaks inside lastcall, no child may outlive it unsupervised: kill them all, then exit 125. */
function installLastResort(logger: Logger): void {
  process.on('uncaughtException', (error) => crash(error, logger));
  process.on('unhandledRejection', (error) => crash(error, logger));
}

function crash(error: unknown, logger: Logger | undefined): never {
  const message = `internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
  try {
    killEverything();
  } catch {
    // the native layer itself may be what failed; as PID 1 our exit kills the rest anyway
  }
  if (logger) logger.fatal(message);
  else process.stderr.write(`lastcall: ${message}\n`);
  return exit(EXIT.internal);
}

/**
 * Fault injection for the self-failure tests: LASTCALL_INJECT_FAULT=MS throws an uncaught error
 * MS ms after start, from inside the event loop, as a real bug would.
 */
function injectFault(after: string | undefined): void {
  if (after === undefined) return;
  setTimeout(() => {
    throw new Error('injected fault (LASTCALL_INJECT_FAULT)');
  }, Number(after) || 0).unref();
}

function exit(code: number): never {
  process.exit(code);
}
