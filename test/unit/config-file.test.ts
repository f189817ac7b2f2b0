// lastcall.yaml validation: every problem at once, each at file:line:column with a fix.
import t from 'tap';
import { ConfigError, parseConfig } from '../../src/config/file/load.js';
import { interpolate } from '../../src/config/file/program.js';

const root = { uid: 0 };
const parse = (text: string, env: NodeJS.ProcessEnv = {}, runningAs = root) => parseConfig(text, 'lastcall.yaml', env, runningAs);

function problems(text: string, runningAs = root): string[] {
  try {
    parse(text, {}, runningAs);
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n');
    throw error;
  }
  throw new Error('expected the config to be refused');
}

const CLASSIC = `
grace: 30s
drain: 5s
health: ":8079"
programs:
  migrate:
    type: oneshot
    command: ["php", "artisan", "migrate", "--force"]
  php-fpm:
    command: ["php-fpm8.2", "-F"]
    depends_on: { migrate: completed }
    ready: { unix: /run/php/php-fpm.sock }
    stop: { signal: QUIT }
  nginx:
    command: ["nginx", "-g", "daemon off;"]
    depends_on: [php-fpm]
    ready: { http: "http://127.0.0.1:8080/healthz" }
    stop: { signal: QUIT }
    essential: true
`;

t.test('the issue\'s example: start in dependency waves, stop in reverse, defaults filled in', async (t) => {
  const plan = parse(CLASSIC);
  t.same(plan.startWaves, [['migrate'], ['php-fpm'], ['nginx']]);
  t.same(plan.stopWaves, [['nginx'], ['php-fpm'], ['migrate']]);
  const nginx = plan.programs.get('nginx')!;
  t.same(nginx.dependsOn, [{ name: 'php-fpm', condition: 'ready' }], 'short form: ready, as php-fpm has a ready check');
  t.equal(nginx.stop.signal, 3);
  t.equal(nginx.essential, true);
  t.same(nginx.restart, { policy: 'on-failure', initialMs: 1000, maxMs: 30_000, maxRestarts: 5, windowMs: 60_000 });
  t.equal(plan.programs.get('migrate')!.restart.policy, 'never');
  t.equal(plan.shutdown.drainMs, 5000);
  t.same(plan.shutdown.health, { host: '0.0.0.0', port: 8079 });
});

t.test('independent programs share a wave and start in parallel', async (t) => {
  const plan = parse('programs:\n  a: { command: [a] }\n  b: { command: [b] }\n  c: { command: [c], depends_on: [a, b] }\n');
  t.same(plan.startWaves, [['a', 'b'], ['c']]);
});

t.test('env merges over lastcall\'s and interpolates ${VAR} and ${VAR:-default}', async (t) => {
  const plan = parse('programs:\n  a:\n    command: [a]\n    env: { PORT: "${PORT:-8080}", URL: "http://${HOST}/x", N: 3, COST: "$$5" }\n', { HOST: 'db', KEEP: '1' });
  t.same(plan.programs.get('a')!.env, { HOST: 'db', KEEP: '1', PORT: '8080', URL: 'http://db/x', N: '3', COST: '$5' });
  t.equal(interpolate('${A:-x}', { A: 'set' }), 'set');
  t.equal(interpolate('${A}', {}), '', 'unset becomes empty, as in compose');
  t.equal(interpolate('${A', {}), undefined);
});

t.test('shell: true takes a string command and runs it with /bin/sh -c', async (t) => {
  t.same(parse('programs:\n  a: { command: "echo $HOME", shell: true }\n').programs.get('a')!.argv, ['/bin/sh', '-c', 'echo $HOME']);
});

// At least fifteen ways to get it wrong, each with its message and position asserted.
const INVALID: [string, string, RegExp][] = [
  ['YAML syntax', 'programs:\n  a: { command: [a\n', /^lastcall\.yaml:\d+:\d+: YAML syntax: /],
  ['not a map', '- a\n- b\n', /lastcall\.yaml:1:1: the file must be a map with `programs:`/],
  ['no programs', 'grace: 10s\n', /lastcall\.yaml:1:1: `programs` must map at least one name/],
  ['unknown top-level key', 'gracee: 10s\nprograms:\n  a: { command: [a] }\n', /lastcall\.yaml:1:9: unknown key `gracee`; did you mean `grace`\?/],
  ['duplicate program', 'programs:\n  a: { command: [a] }\n  a: { command: [b] }\n', /lastcall\.yaml:3:3: this key appears twice/],
  ['bad program name', 'programs:\n  "my app": { command: [a] }\n', /my app: a program name may hold letters/],
  ['no command', 'programs:\n  a: { type: oneshot }\n', /lastcall\.yaml:2:6: a: no `command`/],
  ['string command without shell', 'programs:\n  a:\n    command: nginx -g x\n', /lastcall\.yaml:3:14: a: command is a string: write it as a list/],
  ['empty command', 'programs:\n  a: { command: [] }\n', /a: command must be a non-empty list of strings/],
  ['unknown program key', 'programs:\n  a: { command: [a], depend_on: [b] }\n', /a: unknown key `depend_on`; did you mean `depends_on`\?/],
  ['unknown dependency', 'programs:\n  a: { command: [a], depends_on: [bb] }\n  b: { command: [b] }\n', /lastcall\.yaml:2:35: a: depends on unknown program `bb`/],
  ['dependency cycle', 'programs:\n  a: { command: [a], depends_on: [b] }\n  b: { command: [b], depends_on: [c] }\n  c: { command: [c], depends_on: [a] }\n', /dependency cycle: a -> b -> c -> a; remove one of these depends_on entries/],
  ['self dependency', 'programs:\n  a: { command: [a], depends_on: [a] }\n', /dependency cycle: a -> a/],
  ['ready condition without a check', 'programs:\n  a: { command: [a], depends_on: { b: ready } }\n  b: { command: [b] }\n', /a: depends on b being ready, but b has no `ready` check/],
  ['completed on a longrun', 'programs:\n  a: { command: [a], depends_on: { b: completed } }\n  b: { command: [b] }\n', /b is a longrun that never completes/],
  ['bad condition', 'programs:\n  a: { command: [a], depends_on: { b: finished } }\n  b: { command: [b] }\n', /condition must be started, ready or completed, got `finished`/],
  ['two ready checks', 'programs:\n  a: { command: [a], ready: { tcp: 80, file: /x } }\n', /a: ready takes exactly one check of tcp, unix, http, cmd, file/],
  ['bad ready port', 'programs:\n  a: { command: [a], ready: { tcp: 99999 } }\n', /ready\.tcp must be a port or host:port/],
  ['bad ready url', 'programs:\n  a: { command: [a], ready: { http: "localhost:8080" } }\n', /ready\.http needs an http:\/\/ URL/],
  ['bad duration', 'programs:\n  a: { command: [a], ready: { tcp: 80, interval: fast } }\n', /a: interval: expected a duration like 2s, 500ms or 1m30s, got `fast`/],
  ['bad restart policy', 'programs:\n  a: { command: [a], restart: sometimes }\n', /restart must be never, on-failure or always, got `sometimes`/],
  ['oneshot restarting always', 'programs:\n  a: { command: [a], type: oneshot, restart: always }\n', /a oneshot cannot restart `always`/],
  ['backoff max below initial', 'programs:\n  a: { command: [a], restart: { initial: 10s, max: 1s } }\n', /restart\.max is shorter than restart\.initial/],
  ['bad stop signal', 'programs:\n  a: { command: [a], stop: { signal: QUITE } }\n', /a: signal: expected a signal name like SIGTERM.*got `QUITE`/],
  ['bad stop http', 'programs:\n  a: { command: [a], stop: { http: "ftp://x" } }\n', /stop\.http needs an http:\/\/ URL/],
  ['bad logs mode', 'programs:\n  a: { command: [a], logs: syslog }\n', /logs must be inherit, prefix or json, got `syslog`/],
  ['bad type', 'programs:\n  a: { command: [a], type: daemon }\n', /type must be longrun or oneshot, got `daemon`/],
  ['unterminated interpolation', 'programs:\n  a: { command: [a], env: { X: "${HOME" } }\n', /env\.X: unterminated `\$\{`/],
  ['drain not shorter than grace', 'grace: 10s\ndrain: 9s\nprograms:\n  a: { command: [a] }\n', /lastcall\.yaml:2:8: drain 9s is not shorter than grace 10s minus kill_margin 1s/],
  ['bad health address', 'health: localhost\nprograms:\n  a: { command: [a] }\n', /health: expected an address like :8079/],
];

for (const [what, text, message] of INVALID) {
  t.test(`refused: ${what}`, async (t) => {
    const found = problems(text);
    t.ok(found.some((line) => message.test(line)), `${message} in:\n${found.join('\n')}`);
  });
}

t.test('user needs root, and names must exist', async (t) => {
  t.match(problems('programs:\n  a: { command: [a], user: nobody }\n', { uid: 1000 }).join('\n'), /switching user or group needs lastcall to run as root \(it runs as uid 1000\)/);
  t.match(problems('programs:\n  a: { command: [a], user: no-such-user-xyz }\n').join('\n'), /no user `no-such-user-xyz` in \/etc\/passwd/);
  t.same(parse('programs:\n  a: { command: [a], user: "65534", group: "65534" }\n').programs.get('a')!.user, { uid: 65534, gid: 65534, initGroups: false });
});

t.test('every problem is reported at once, in file order', async (t) => {
  const found = problems('grace: 30s\ndrain: 40s\nprograms:\n  web:\n    command: nginx\n    depend_on: [db]\n  db:\n    command: [postgres]\n    restart: sometimes\n');
  t.equal(found.length, 4, found.join('\n'));
  const lines = found.map((l) => Number(/^lastcall\.yaml:(\d+):/.exec(l)?.[1]));
  t.same(lines, [...lines].sort((a, b) => a - b));
});

t.test('the shipped JSON Schema names exactly the keys the validator accepts', async (t) => {
  const { readFileSync } = await import('node:fs');
  const { TOP_KEYS } = await import('../../src/config/file/load.js');
  const { PROGRAM_KEYS, READY_KINDS } = await import('../../src/config/file/program.js');
  const schema = JSON.parse(readFileSync(new URL('../../docs/lastcall.schema.json', import.meta.url), 'utf8'));
  t.same(Object.keys(schema.properties).sort(), [...TOP_KEYS].sort(), 'top level');
  const program = schema.properties.programs.additionalProperties;
  t.same(Object.keys(program.properties).sort(), [...PROGRAM_KEYS].sort(), 'program');
  t.same(Object.keys(program.properties.ready.properties).sort(), [...READY_KINDS, 'interval', 'timeout'].sort(), 'ready');
});
