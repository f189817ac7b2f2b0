import { fileURLToPath } from 'node:url';

const configFile = fileURLToPath(new URL('../lastcall.yaml', import.meta.url));

// The ways pod 1 can be stopped. `flags(ports)` are lastcall's options before `--`; `needs` are
// the options this lastcall must list in --help; `sigtermDelayMs` holds the SIGTERM back after
// endpoint removal begins, as a preStop `sleep` does.
export const VARIANTS = {
  naive: {
    about: 'no drain; SIGTERM reaches start.sh, which stops nginx and php-fpm fast',
    flags: () => [],
  },
  'quit-now': {
    about: 'SIGTERM rewritten to SIGQUIT (graceful), but at once: no drain',
    flags: () => ['-r', 'TERM:QUIT'],
  },
  'prestop-sleep': {
    about: "as quit-now, behind a preStop `sleep 5`: SIGTERM 5 s after removal begins (the usual workaround)",
    flags: () => ['-r', 'TERM:QUIT'],
    sigtermDelayMs: 5000,
  },
  'fixed-drain': {
    about: 'readiness 503 at once, keep serving 5 s, then SIGQUIT',
    flags: (p) => ['--drain', '5s', '-r', 'TERM:QUIT', '--grace', '30s', '--health', `127.0.0.1:${p.health}`],
    needs: ['--drain', '--grace', '--health'],
  },
  adaptive: {
    about: 'readiness 503 at once, keep serving until no new connection for 1 s (at most 10 s), then SIGQUIT',
    flags: (p) => ['--drain', '10s', '--drain-idle', '1s', '--drain-port', String(p.http), '-r', 'TERM:QUIT', '--grace', '30s', '--health', `127.0.0.1:${p.health}`],
    needs: ['--drain', '--drain-idle', '--drain-port', '--grace', '--health'],
  },
  'config-file': {
    about: 'lastcall.yaml (no start.sh): readiness 503 at once, drain 5 s, SIGQUIT to nginx, then to php-fpm once nginx has exited',
    flags: () => ['--config', configFile],
    // `env(ports)`: the pod's extra environment; `program: false`: nothing after `--`.
    env: (p) => [`HEALTH=127.0.0.1:${p.health}`, 'DRAIN=5s', 'GRACE=30s'],
    program: false,
    health: true,
    needs: ['--config'],
  },
};

/** Whether the variant serves /readyz (then haproxy checks that, else nginx's /healthz). */
export const usesHealth = (variant) => variant.health === true || variant.flags({ http: 1, health: 2 }).includes('--health');
