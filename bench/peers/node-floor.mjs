// The Node floor: the least a Node init can do, to show what Node itself costs as PID 1.
// Spawns its program, forwards TERM, INT and USR1 (a listener also keeps SIGUSR1 from opening
// the inspector), and exits with the program's status. It does not reap orphans, has no grace
// period and no terminal handling: anything lastcall costs beyond this is lastcall's own.
//   node bench/peers/node-floor.mjs PROGRAM [ARGS...]
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

const [file, ...args] = process.argv.slice(2);
const child = spawn(file, args, { stdio: 'inherit' });

for (const signal of ['SIGTERM', 'SIGINT', 'SIGUSR1']) {
  process.on(signal, () => child.kill(signal));
}

child.on('error', (error) => {
  process.stderr.write(`node-floor: ${error.message}\n`);
  process.exit(error.code === 'ENOENT' ? 127 : 126);
});

// As PID 1 a process cannot die of its own signal: pass a signal death on as 128+N.
child.on('exit', (code, signal) => {
  process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
});
