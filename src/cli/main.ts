// The CLI: the only code that reads argv and env, and the one place lastcall exits.
import { EXIT, UsageError } from '../config/errors.js';
import { buildPlan, type Plan } from '../config/plan.js';
import { parseSignal } from '../config/signals.js';
import { createLogger, type Logger } from '../log/logger.js';
import { run, type Running, type Services, type SignalSource } from '../os/runtime.js';
import type { ControlRequest, ControlResponse } from '../supervisor/status.js';
import { exitNow } from '../os/libc.js';
import { inheritedFds } from '../os/inherited-fds.js';
import { killEverything, noIdleGc, prepareProcess } from '../os/setup.js';
import { parseRunArgs } from './parse-run.js';
import { readFileSync } from 'node:fs';

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
    if (parsed.kind === 'ctl') {
      const { runCtl } = await import('../ctl/client.js');
      return exit(await runCtl(parsed.args, process.env, { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) }));
    }
    if (parsed.kind === 'import') {
      const { runImport } = await import('./import.js');
      return exit(runImport(parsed.args, { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s), readFile: (path) => readFileSync(path, 'utf8') }));
    }
    noIdleGc(); // before anything of the run is loaded: see why there
    inheritedFds(); // now, before lastcall opens an fd of its own that could pass for an inherited one
    const config = parsed.options.config === undefined ? undefined : (await import('../config/file/load.js')).loadConfig(parsed.options.config, process.env);
    const plan = buildPlan(parsed.options, { config });
    logger = await createLogger(plan.log);
    installLastResort(logger);
    // Everything that can refuse (a port in use, a socket path given and taken) does so before any spawn.
    let running: Running | undefined;
    const snapshot = () => running!.snapshot();
    const health = plan.shutdown.health
      ? await (await import('../health/server.js')).startHealth(plan.shutdown.health, plan.mode === 'multi' ? { snapshot } : {})
      : undefined;
    const services: Services | undefined = plan.mode === 'multi' ? (await import('../os/services.js')).multiProgramServices(plan) : undefined;
    // An explicit --socket refuses before any spawn too. The default one only warns when it cannot
    // be served, so it comes up right after the programs start: listening loads node:net and
    // node:cluster (~15 ms here), which would otherwise delay every program (docs/control.md).
    const serveControl = (log: Logger) => startControlSocket(plan, log, (request) => handleControl(running!, request));
    const explicitSocket = plan.mode === 'multi' && explicitSocketPath(plan) !== undefined;
    let control = explicitSocket ? await serveControl(logger) : undefined;
    prepareProcess(plan, boot.signals.realtime);
    injectFault(process.env.LASTCALL_INJECT_FAULT);
    running = run(plan, boot.signals, logger, health, services);
    if (plan.mode === 'multi' && !explicitSocket) control = await serveControl(logger);
    const code = await running.exitCode;
    control?.close();
    // Every line is out by now (lastcall's own are written synchronously, relayed ones were flushed).
    // _exit skips Node's teardown: ~4 ms off every stop here, and a worker thread still blocked on a
    // dead terminal (relayed output) cannot hold PID 1. A profile (--cpu-prof) is written by that teardown.
    if (process.execArgv.some((a) => /^--(cpu-|heap-)?prof\b/.test(a))) return exit(code);
    exitNow(code);
  } catch (error) {
    if (error instanceof UsageError) {
      for (const line of error.message.split('\n')) process.stderr.write(`lastcall: ${line}\n`);
      return exit(error.exitCode);
    }
    return crash(error, logger);
  }
}

/**
 * The control socket. An explicit --socket (or LASTCALL_SOCKET) that cannot be served is a usage
 * error; the default path failing (a read-only root with no /tmp) only costs `ctl`, so it warns.
 */
async function startControlSocket(plan: Plan, logger: Logger, handle: (request: ControlRequest) => Promise<ControlResponse>) {
  const { resolveSocketPath } = await import('../ctl/socket-path.js');
  const { startControl } = await import('../ctl/server.js');
  const explicit = explicitSocketPath(plan);
  const path = resolveSocketPath(plan.socket, process.env, process.getuid?.() ?? 0);
  try {
    return await startControl(path, handle, { onError: (error) => logger.fatal(`control socket: ${error.message}`) });
  } catch (error) {
    if (explicit !== undefined || !(error instanceof UsageError)) throw error;
    logger.fatal(`${error.message}; lastcall ctl will not work (set --socket to a writable path)`);
    return undefined;
  }
}

/** The socket path the user chose (--socket or LASTCALL_SOCKET), if any. */
function explicitSocketPath(plan: Plan): string | undefined {
  return plan.socket ?? (process.env.LASTCALL_SOCKET || undefined);
}

/** ctl requests: status is read from a snapshot; everything else is the core's decision. */
async function handleControl(running: Running, request: ControlRequest): Promise<ControlResponse> {
  switch (request.command) {
    case 'status':
      return { ok: true, status: running.snapshot() };
    case 'signal': {
      let signo: number;
      try {
        signo = parseSignal(request.signal, 'signal');
      } catch (error) {
        return { ok: false, error: (error as Error).message };
      }
      return running.control({ command: 'signal', name: request.name, signo });
    }
    default:
      return running.control(request);
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
