// haproxy as the Service in front of the pods: round robin, health checks, and its runtime API
// (a unix socket) to take a pod out of rotation the way endpoint removal does, late.
import { connect } from 'node:net';
import { sleep } from './children.mjs';
import { Unmeasurable } from './pods.mjs';

export function haproxyConfig({ front, pods, socket, checkInterval, usesHealth }) {
  const check = usesHealth ? 'GET /readyz' : 'GET /healthz';
  const servers = pods.map((p) => `  server ${p.name} 127.0.0.1:${p.ports.http} check${usesHealth ? ` port ${p.ports.health}` : ''}`);
  return `# Written by scale-down.mjs: the Service in front of two pods.
global
  stats socket ${socket} mode 600 level admin
  log stderr format short local0 notice
  maxconn 2000
defaults
  mode http
  log global
  option httplog
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  timeout check 1s
  # kube-proxy does not retry: a connection to a pod that stopped listening fails for the client.
  retries 0
frontend service
  bind 127.0.0.1:${front}
  default_backend be
backend be
  balance roundrobin
  option httpchk ${check}
  http-check expect status 200
  default-server inter ${checkInterval} fall 2 rise 2
${servers.join('\n')}
`;
}

/** One command on haproxy's runtime API (a unix socket); resolves with its answer. */
export function haproxyCommand(socket, command, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const conn = connect(socket);
    let answer = '';
    const timer = setTimeout(() => conn.destroy(new Error(`haproxy did not answer \`${command}\` in ${timeoutMs} ms`)), timeoutMs);
    conn.on('connect', () => conn.end(`${command}\n`));
    conn.on('data', (chunk) => (answer += chunk));
    conn.on('error', (error) => (clearTimeout(timer), reject(error)));
    conn.on('close', () => (clearTimeout(timer), resolve(answer)));
  });
}

/** Server name -> status (UP, DOWN, MAINT, "UP 1/2"...) from `show stat`. */
export async function serverStates(socket) {
  const csv = (await haproxyCommand(socket, 'show stat')).trim().split('\n');
  const header = csv[0].replace(/^# /, '').split(',');
  const [px, sv, status] = ['pxname', 'svname', 'status'].map((f) => header.indexOf(f));
  const states = {};
  for (const line of csv.slice(1)) {
    const fields = line.split(',');
    if (fields[px] === 'be' && fields[sv] !== 'BACKEND') states[fields[sv]] = fields[status];
  }
  return states;
}

export async function waitAllUp(socket, names, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let states = {};
  while (Date.now() < deadline) {
    states = await serverStates(socket).catch(() => ({}));
    if (names.every((n) => states[n] === 'UP')) return;
    await sleep(100);
  }
  throw new Unmeasurable(`haproxy did not see every pod UP within ${timeoutMs} ms: ${JSON.stringify(states)}`);
}

