// `lastcall ctl` requests, decided by the core like any other input: an operator's stop holds a
// program down (no restart, and it does not end the container) until it is started again.
import { startWhatCan } from './lifecycle.js';
import { checkAllDown, stopProgram } from './stopping.js';
import type { Tx } from './tx.js';
import type { ControlCommand as Request } from './types.js';

export function onControl(tx: Tx, id: number, request: Request, signal: (signo: number) => void): void {
  const reply = (message: string) => tx.emit({ type: 'control-reply', id, response: { ok: true, message } });
  const refuse = (error: string) => tx.emit({ type: 'control-reply', id, response: { ok: false, error } });
  const phase = tx.state.phase.kind;
  const running = phase === 'running' || phase === 'starting';
  tx.log({ kind: 'control', request: 'name' in request ? `${request.command} ${request.name}` : request.command });

  if (request.command === 'shutdown') {
    if (!running) return refuse(`already shutting down (${phase}); wait for it, or send SIGTERM again to hurry it`);
    signal(15);
    return reply('shutdown started');
  }
  const name = request.name;
  if (!tx.state.programs[name]) {
    return refuse(`no program named \`${name}\`; the programs are: ${tx.plan.programs.map((p) => p.name).join(', ')}`);
  }
  const run = tx.run(name);
  const hasProcess = run.kind === 'running' || run.kind === 'stopping';

  switch (request.command) {
    case 'signal':
      if (!hasProcess) return refuse(`${name} is not running (${run.kind}); nothing to signal`);
      tx.emit({ type: 'send', target: { kind: 'pid', pid: run.pid }, signo: request.signo, reason: 'control', program: name });
      return reply(`signal sent to ${name} (pid ${run.pid})`);
    case 'stop':
      if (!running) return refuse(`the container is shutting down (${phase}); ${name} stops with it`);
      if (run.kind === 'running') {
        tx.update(name, { held: true, restartWhenDown: false });
        stopProgram(tx, name);
        return reply(`stopping ${name} (pid ${run.pid}); it stays down until \`lastcall ctl start ${name}\``);
      }
      if (run.kind === 'stopping') return refuse(`${name} is already stopping`);
      if (run.kind === 'backoff') tx.emit({ type: 'cancel-timer', name: `restart:${name}` });
      tx.update(name, { held: true, run: run.kind === 'waiting' || run.kind === 'backoff' ? { kind: 'exited', at: tx.now } : run });
      return reply(`${name} was not running (${run.kind}); it stays down until \`lastcall ctl start ${name}\``);
    case 'start':
    case 'restart':
      if (!running) return refuse(`the container is shutting down (${phase}); nothing starts now`);
      if (run.kind === 'running' && request.command === 'restart') {
        tx.update(name, { restartWhenDown: true, held: false });
        stopProgram(tx, name);
        return reply(`restarting ${name}: stopping pid ${run.pid} first`);
      }
      if (hasProcess || run.kind === 'starting') return refuse(`${name} is already ${run.kind}${hasProcess ? ` (pid ${run.pid})` : ''}; use restart to start it afresh`);
      if (run.kind === 'backoff') tx.emit({ type: 'cancel-timer', name: `restart:${name}` });
      tx.update(name, { held: false, restartTimes: [], run: { kind: 'waiting' } });
      startWhatCan(tx);
      checkAllDown(tx);
      return tx.run(name).kind === 'waiting' ? reply(`${name} waits for its dependencies`) : reply(`${name} started`);
  }
}
