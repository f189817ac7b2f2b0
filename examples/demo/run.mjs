// `npm run demo`: lastcall supervising a program as PID 1, a SIGTERM forwarded, the exit status.
// As root it uses a fresh PID namespace (unshare), as a container runtime does; otherwise lastcall
// runs as a child subreaper, which behaves the same for this demo.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const asPid1 = process.getuid?.() === 0;
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS; // not in containers; costs 40-60 ms per Node start
const lastcall = [process.execPath, `${root}bin/lastcall.js`, '-v', '-w', '--', process.execPath, `${root}examples/demo/app.mjs`];
const argv = asPid1 ? ['unshare', '--pid', '--fork', '--mount-proc', '--kill-child', '--', ...lastcall] : lastcall;

const bold = process.stdout.isTTY ? (text) => `\x1b[1m${text}\x1b[0m` : (text) => text;
const say = (text) => console.log(bold(`demo: ${text}`));
say(`running lastcall ${asPid1 ? 'as PID 1 in a new PID namespace' : 'as a child subreaper (not root, so no PID namespace)'}`);
say(`$ ${argv.map((a) => a.replace(root, '')).join(' ')}`);
const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], env });

child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  if (chunk.toString().includes('app: serving')) {
    setTimeout(() => {
      say('sending SIGTERM to lastcall, as `docker stop` or the kubelet would');
      process.kill(initPid(), 'SIGTERM');
    }, 700);
  }
});
child.on('exit', (code) => {
  say(`lastcall exited with status ${code} (the app's own status)`);
  process.exitCode = code === 0 ? 0 : 1;
});

/** The pid to signal: lastcall itself, which under unshare is unshare's child. */
function initPid() {
  if (!asPid1) return child.pid;
  return Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ')[0]);
}
