// The CLI: the only code that reads argv and env, and the one place lastcall exits.
import { EXIT, UsageError } from '../config/errors.js';
import { buildPlan, type Plan } from '../config/plan.js';
import { createLogger, type Logger } from '../log/logger.js';
import type { SignalSource } from '../os/runtime.js';
import { parseArgs } from './args.js';

export interface Boot {
  readonly signals: SignalSource & { readonly realtime: boolean };
  readonly version: string;
}

export async function main(boot: Boot): Promise<never> {
  let logger: Logger | undefined;
  try {
    const parsed = await parseArgs(process.argv.slice(2), boot.version);
    if ('print' in parsed) {
      process.stdout.write(`${parsed.print}\n`);
      return exit(0);
    }
    const plan = buildPlan(parsed);
    logger = await createLogger(plan.log);
    installLastResort(logger);
    const os = await import('../os/setup.js');
    os.prepareProcess(plan, boot.signals.realtime);
    const { run } = await import('../os/runtime.js');
    return exit(await run(plan, boot.signals, logger));
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

async function crash(error: unknown, logger: Logger | undefined): Promise<never> {
  const message = `internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
  try {
    const { killEverything } = await import('../os/setup.js');
    killEverything();
  } catch {
    // the native layer itself may be what failed; as PID 1 our exit kills the rest anyway
  }
  if (logger) logger.fatal(message);
  else process.stderr.write(`lastcall: ${message}\n`);
  return exit(EXIT.internal);
}

function exit(code: number): never {
  process.exit(code);
}

export type { Plan };
