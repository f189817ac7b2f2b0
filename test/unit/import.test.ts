// `lastcall import`: supervisord.conf and Procfile -> lastcall YAML that lastcall itself accepts,
// with one warning line per setting that has no equivalent.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import t, { type Test } from 'tap';
import { parse as parseYaml } from 'yaml';
import { runImport } from '../../src/cli/import.js';
import { parseConfig } from '../../src/config/file/load.js';
import { emitYaml } from '../../src/config/import/emit.js';
import { parseIni, splitWords } from '../../src/config/import/ini.js';

const DIR = 'test/fixtures/import';

interface Run {
  code: number;
  out: string;
  warnings: string[];
  errors: string[];
  written: Map<string, string>;
}

/** Runs the command with files from `files` (else the disk) and nothing written to the disk. */
function run(args: string[], files: Record<string, string> = {}): Run {
  const r: Run = { code: -1, out: '', warnings: [], errors: [], written: new Map() };
  let err = '';
  r.code = runImport(args, {
    stdout: (s) => (r.out += s),
    stderr: (s) => (err += s),
    readFile: (path) => files[path] ?? readFileSync(path, 'utf8'),
    writeFile: (path, text) => r.written.set(path, text),
  });
  const lines = err.split('\n').filter(Boolean);
  r.warnings = lines.filter((l) => l.includes(': warning: ')).map((l) => l.replace(/^lastcall: import: [^:]+:(\d+): warning: /, '$1: '));
  r.errors = lines.filter((l) => !l.includes(': warning: '));
  return r;
}

/** The YAML as data, after lastcall's own validation accepted it. */
function accepted(t: Test, yaml: string, env: NodeJS.ProcessEnv = {}) {
  const plan = parseConfig(yaml, 'out.yaml', env, { uid: 0 });
  t.pass('lastcall accepts the generated config');
  return { plan, doc: parseYaml(yaml) as { programs: Record<string, Record<string, unknown>> } };
}

t.test('nginx + php-fpm for Docker: priority becomes depends_on, /dev/stdout becomes logs: prefix', async (t) => {
  const r = run([`${DIR}/nginx-php-fpm.conf`]);
  t.equal(r.code, 0);
  t.same(r.warnings, [], 'nodaemon, user=root, logfile and pidfile ask nothing of lastcall');
  t.match(r.out, /^# converted from test\/fixtures\/import\/nginx-php-fpm\.conf by `lastcall import`\n/);
  const { plan, doc } = accepted(t, r.out);
  t.same(Object.keys(doc.programs), ['php-fpm', 'nginx'], 'file order kept');
  t.same(doc.programs.nginx, {
    command: ['nginx', '-g', 'daemon off;'],
    depends_on: { 'php-fpm': 'started' },
    restart: 'always',
    stop: { signal: 'QUIT' },
    logs: 'prefix',
  });
  t.same(doc.programs['php-fpm'], { command: ['php-fpm8.2', '-F'], restart: 'always', logs: 'prefix' });
  t.match(r.out, /logs: prefix {2}# was stdout_logfile=\/dev\/stdout: still the container log, each line labelled with the program name/, 'the output says why');
  t.same(plan.startWaves, [['php-fpm'], ['nginx']], 'lower priority starts first');
  t.same(plan.stopWaves, [['nginx'], ['php-fpm']], 'and stops last');
  t.equal(plan.programs.get('nginx')!.stop.signal, 3);
});

t.test('every mapped key: environment, directory, user, autorestart, startretries, stop*, priority, numprocs', async (t) => {
  const r = run([`${DIR}/full.conf`]);
  t.equal(r.code, 0);
  t.same(r.warnings, [
    '10: [program:migrate] startsecs=0: with autorestart=false this looks like a one-off task: consider `type: oneshot`, so other programs can depend on it having completed',
    '24: [program:app] exitcodes=0,2: no equivalent: restart on-failure counts only exit 0 as success',
    '26: [program:app] startsecs=5: no equivalent: lastcall counts a program as started once it is spawned, and backs off between restarts (restart.initial, restart.max); add a `ready` check if other programs should wait for it',
    "29: [program:app] stopasgroup=true: no equivalent: lastcall sends stop.signal to the program's pid only; children it does not pass the signal on to are SIGKILLed at the shutdown deadline",
    '30: [program:app] killasgroup=true: not needed: at the shutdown deadline lastcall SIGKILLs every process left, children included',
    "32: [program:app] redirect_stderr=true: no equivalent: the program's stderr stays the container's stderr (docker logs shows both); add 2>&1 to the command, with shell: true, to merge them",
    '33: [program:app] stdout_logfile=/var/log/app.log: no equivalent: lastcall does not write log files; the output goes to the container log (redirect it in the command, with shell: true, if that matters)',
    '38: [program:worker] numprocs=3: lastcall has no process pools; imported as 3 programs: worker_00, worker_01, worker_02',
    '48: [program:cron] autostart=false: no equivalent: lastcall starts every program in its config; leave this one out if it should not run',
    '49: [program:cron] umask=022: no equivalent: lastcall does not set a umask; use `umask NNN; exec ...` with shell: true, or set it in the image',
    '51: [program:cron] autorestrat=true: ignored: unknown key `autorestrat`; did you mean `autorestart`?',
  ]);
  const { plan, doc } = accepted(t, r.out, { PORT: '8000', PATH: '/usr/bin' });
  const p = doc.programs;
  t.same(Object.keys(p), ['migrate', 'app', 'worker_00', 'worker_01', 'worker_02', 'cron']);
  t.same(p.migrate, { command: ['php', 'artisan', 'migrate', '--force'], env: { APP_ENV: 'production', TZ: 'UTC' }, cwd: '/var/www/html', user: 'www-data', restart: 'never' }, 'the inline ; comment is not part of the command');
  t.same(p.app!.command, ['/usr/local/bin/gunicorn', '--bind', '0.0.0.0:${PORT}', '--workers', '4', 'app:wsgi'], 'continuation lines joined; %(ENV_PORT)s is ${PORT}');
  t.equal(p.app!.cwd, '/srv/app', '%(program_name)s expanded');
  t.equal(p.app!.user, 'nobody');
  t.same(p.app!.restart, { policy: 'on-failure', max_restarts: 10 }, 'autorestart=unexpected is on-failure; startretries is max_restarts');
  t.same(p.app!.stop, { signal: 'INT', timeout: '30s' });
  t.equal(p.app!.logs, undefined, 'a log file is not the console: no prefix');
  const app = plan.programs.get('app')!;
  t.same(app.argv, ['/usr/local/bin/gunicorn', '--bind', '0.0.0.0:8000', '--workers', '4', 'app:wsgi'], 'lastcall fills in ${PORT} when it loads the config');
  const env = app.env!;
  t.equal(env.DATABASE_URL, 'postgres://db/app?sslmode=disable');
  t.equal(env.PATH, '/srv/venv/bin:/usr/bin', '%(ENV_PATH)s in environment= is ${PATH} too');
  t.equal(env.GREETING, 'hello, world', 'single quotes, and a comma inside them');
  t.same([env.PRICE, env.TEMPLATE], ['$5', '${user}'], 'a literal $ survives lastcall\'s own interpolation');
  t.equal(env.APP_ENV, 'production', '[supervisord] environment= reaches every program');
  t.has(app.user, { uid: 65534, gid: 65534 });
  t.same(app.restart.maxRestarts, 10);
  t.same([app.stop.signal, app.stop.timeoutMs], [2, 30_000]);
  t.same(p.worker_01!.command, ['python', '-m', 'worker', '--queue', 'default', '--id', '1'], '%(process_num)d per process');
  t.same(p.worker_02!.stop, { timeout: '60s' });
  t.equal(p.worker_00!.logs, 'prefix', '/dev/fd/1 is the console too');
  t.same(p.cron!.depends_on, { app: 'started', worker_00: 'started', worker_01: 'started', worker_02: 'started' }, 'on every program of the next lower priority');
  t.equal(p.cron!.restart, 'on-failure', 'a misspelt autorestart is not read');
  t.same(plan.startWaves, [['migrate'], ['app', 'worker_00', 'worker_01', 'worker_02'], ['cron']], 'equal priorities start together');
});

t.test('a word that is only %(ENV_X)s may be several arguments: the shell splits it as supervisord did', async (t) => {
  const conf = '[program:echo]\ncommand=printf "[%%s]" a "b c" %(ENV_X)s \'$HOME\' \'${HOME}\'\n';
  const r = run(['echo.conf'], { 'echo.conf': conf });
  t.match(r.out, 'command: "exec printf \\"[%s]\\" a \\"b c\\" ${X} \'$HOME\' \'$${HOME}\'"');
  const { plan } = accepted(t, r.out, { X: 'x y' });
  const argv = plan.programs.get('echo')!.argv;
  const printed = execFileSync(argv[0]!, argv.slice(1), { env: { X: 'x y', HOME: '/root' }, encoding: 'utf8' });
  t.equal(printed, '[a][b c][x][y][$HOME][${HOME}]', 'supervisord expanded X, then split; lastcall fills in ${X}, then the shell splits');
});

t.test('eventlisteners, groups, the control sections and [include] are warned about, one line each', async (t) => {
  const r = run([`${DIR}/listeners.conf`]);
  t.equal(r.code, 0);
  t.same(r.warnings, [
    '1: [unix_http_server]: no equivalent: lastcall has no XML-RPC server; `lastcall ctl` talks to its own control socket',
    '5: [supervisorctl]: no equivalent: use `lastcall ctl` instead of supervisorctl',
    '8: [rpcinterface:supervisor]: no equivalent: lastcall has no XML-RPC interface to extend',
    '11: [include] files=/etc/supervisor/conf.d/*.conf: not followed: import each included file too and merge its programs into this config',
    '14: [group:web]: no equivalent: lastcall has no groups; its programs (nginx, app) are imported one by one, and its priority=100 is not used',
    '22: [program:app] command=node server.js | tee -a /var/log/app.log: `|` outside quotes: supervisord runs no shell and passes it to the program as an argument; imported as `shell: true`, as surely meant (start the long-running part with `exec` so it gets the stop signal)',
    '23: [program:app] directory=%(here)s/app: %(here)s became ${LASTCALL_CONFIG_DIR}, the directory of the lastcall config: keep the config where supervisord.conf was, or write the path',
    '25: [eventlistener:quit_on_failure]: no equivalent: lastcall has no event listeners; not imported',
    '27: [eventlistener:quit_on_failure] events=PROCESS_STATE_EXITED,PROCESS_STATE_FATAL: if it stops supervisord when a program dies (the usual reason to listen for PROCESS_STATE), mark that program `essential: true` instead: lastcall then stops everything and exits with its status',
    '29: [eventlistener:stdout]: no equivalent: lastcall has no event listeners; not imported',
    '32: [eventlistener:stdout] events=PROCESS_LOG: if it forwards program output (like supervisor-stdout), `logs: prefix` does that in lastcall',
  ]);
  const { plan, doc } = accepted(t, r.out);
  t.same(Object.keys(doc.programs), ['nginx', 'app'], 'listeners are not programs');
  t.same(doc.programs.app, { command: 'node server.js | tee -a /var/log/app.log', shell: true, cwd: '${LASTCALL_CONFIG_DIR}/app', restart: 'on-failure' });
  t.equal(plan.programs.get('app')!.cwd, resolve('app'), 'next to the lastcall config (out.yaml here)');
  t.same(doc.programs.nginx!.command, ['nginx', '-g', 'daemon off;']);
});

t.test('bad input: exit 2 with one line naming the place and the fix, and no output', async (t) => {
  const cases: [string, string[], Record<string, string>][] = [
    [`${DIR}/malformed.conf:5: [program:web] command=nginx -g "daemon off;: no closing double quote; supervisord refuses it too`, [`${DIR}/malformed.conf`], {}],
    ['a.conf:3: cannot read `just some words`: expected `key=value`, a [section] header, or a ; comment', ['a.conf'], { 'a.conf': '[program:a]\ncommand=a\njust some words\n' }],
    ['a.conf:1: `command=a` comes before any [section]; put it under [program:NAME] or [supervisord]', ['a.conf'], { 'a.conf': 'command=a\n' }],
    ['a.conf:3: [program:a] autorestart=sometimes: expected true, false or unexpected', ['a.conf'], { 'a.conf': '[program:a]\ncommand=a\nautorestart=sometimes\n' }],
    ['a.conf:3: [program:a] environment=A=1,B: expected KEY="value" at `B`; write KEY="value",KEY2="value" (supervisord refuses it too)', ['a.conf'], { 'a.conf': '[program:a]\ncommand=a\nenvironment=A=1,B\n' }],
    ['a.conf:2: [program:a] command=run %(nope)s: supervisord cannot expand `%(nope)`; known names are here, program_name, group_name, host_node_name, process_num, numprocs and ENV_<VARIABLE>', ['a.conf'], { 'a.conf': '[program:a]\ncommand=run %(nope)s\n' }],
    ['a.conf:3: [program:a] stopsignal=TERMINATE: expected a signal name like SIGTERM, TERM or RTMIN+2, or a number from 1 to 64, got `TERMINATE`', ['a.conf'], { 'a.conf': '[program:a]\ncommand=a\nstopsignal=TERMINATE\n' }],
    ['a.conf:1: [program:a] command=: there is no command; add one, or remove the section', ['a.conf'], { 'a.conf': '[program:a]\nuser=nobody\n' }],
    ['a.conf: no [program:NAME] section, so nothing to import; is this a supervisord.conf? (a Procfile needs --format procfile)', ['a.conf'], { 'a.conf': '[supervisord]\nnodaemon=true\n' }],
    ['Procfile:2: cannot read `bundle exec puma`: a Procfile line is `name: command`; fix it, or comment it out with #', ['Procfile'], { Procfile: 'web: a\nbundle exec puma\n' }],
    ['Procfile:1: `web:` has no command; write `web: COMMAND`, or remove the line', ['Procfile'], { Procfile: 'web:\n' }],
    ['cannot read missing.conf (ENOENT); check the path', ['missing.conf'], {}],
    ['--format must be supervisord or procfile, got `ini`', ['--format', 'ini', 'a.conf'], {}],
    ['which file? usage: lastcall import FILE [-o OUT] [--format supervisord|procfile]', [], {}],
    ['unknown option `--yaml`; usage: lastcall import FILE [-o OUT] [--format supervisord|procfile]', ['--yaml', 'a.conf'], {}],
  ];
  for (const [expected, args, files] of cases) {
    const r = run(args, files);
    t.equal(r.code, 2, expected);
    t.same(r.errors, [`lastcall: import: ${expected}`]);
    t.equal(r.out, '');
  }
});

t.test('Procfile: each line a shell command with prefixed logs; $PORT is pointed out', async (t) => {
  const r = run([`${DIR}/Procfile`]);
  t.equal(r.code, 0);
  t.same(r.warnings, ["2: `web` uses $PORT: Heroku and foreman set it (foreman from 5000), lastcall does not; set PORT in the container's environment"]);
  const { plan, doc } = accepted(t, r.out, { PORT: '5000' });
  t.same(Object.keys(doc.programs), ['web', 'worker', 'release']);
  t.same(doc.programs.web, { command: 'bundle exec puma -C config/puma.rb -p $PORT', shell: true, logs: 'prefix' });
  t.same(plan.programs.get('worker')!.argv, ['/bin/sh', '-c', 'bundle exec sidekiq -q default -q mailers']);
  const dollars = run(['Procfile'], { Procfile: 'web: echo $$ $HOME ${PORT:-5000}\n' });
  t.same(accepted(t, dollars.out).plan.programs.get('web')!.argv, ['/bin/sh', '-c', 'echo $$ $HOME ${PORT:-5000}'], 'the shell, not lastcall, expands what the Procfile meant for it');
  t.equal(plan.programs.get('web')!.logs, 'prefix');
});

t.test('Procfile: duplicates keep the first, invalid names are sanitized, && without exec is pointed out', async (t) => {
  const r = run([`${DIR}/Procfile.dev`]);
  t.equal(r.code, 0);
  t.same(r.warnings, [
    '5: `web` is already defined at line 1; the first one is kept and this line is not imported (rename it if both should run)',
    '6: `assets build` renamed to `assets_build`: lastcall names hold letters, digits, `.`, `_` and `-`, start with a letter or digit, and are unique',
    '7: `clock` runs `&&` through /bin/sh, which then gets the stop signal and does not pass it on; start the long-running part with `exec` (`a && exec b`)',
  ]);
  const { doc } = accepted(t, r.out);
  t.same(Object.keys(doc.programs), ['web', 'css', 'assets_build', 'clock']);
  t.equal(doc.programs.web!.command, 'bin/rails server -p 3000');
  t.equal(doc.programs.clock!.command, 'bin/rails db:prepare && bin/clock');
});

t.test('format: a Procfile by name or by content, --format to force, -o to write a file', async (t) => {
  const procfile = 'web: node server.js\n';
  t.match(run(['app.procs'], { 'app.procs': procfile }).out, /command: "node server.js"\n {4}shell: true/, 'no [section] and name: command lines');
  const forced = run(['--format', 'supervisord', 'app.procs'], { 'app.procs': procfile });
  t.equal(forced.code, 2, 'forced to supervisord, the same text is not an INI file');
  const written = run(['Procfile.web', '-o', 'out.yaml'], { 'Procfile.web': procfile });
  t.equal(written.code, 0);
  t.equal(written.out, 'wrote out.yaml: 1 program from Procfile.web (procfile); check it with: lastcall check --config out.yaml\n');
  accepted(t, written.written.get('out.yaml')!);
  const inline = run(['--format=procfile', '--output=o.yaml', 'x'], { x: procfile });
  t.ok(inline.written.has('o.yaml'), '--flag=value works too');
});

t.test('environment= drops what supervisord drops, and says so', async (t) => {
  const r = run(['a.conf'], { 'a.conf': '[program:a]\ncommand=a\nenvironment=B=2,GREETING=hello world\n' });
  t.same(r.warnings, ['3: [program:a] environment=B=2,GREETING=hello world: supervisord ignores `world` (an unquoted value ends at a space or a symbol), and so does the import; quote the value if it was meant']);
  t.same(accepted(t, r.out).doc.programs.a!.env, { B: '2', GREETING: 'hello' });
});

t.test('names: sanitized, numbered pools named by process_name, collisions made unique', async (t) => {
  const conf = '[program:my app]\ncommand=a\n[program:my_app]\ncommand=b\n[program:q]\ncommand=c\nnumprocs=2\nnumprocs_start=1\nprocess_name=%(program_name)s-%(process_num)d\n';
  const r = run(['a.conf'], { 'a.conf': conf });
  t.same(r.warnings, [
    '1: [program:my app]: renamed to `my_app`: lastcall names hold letters, digits, `.`, `_` and `-`, start with a letter or digit, and are unique',
    '3: [program:my_app]: renamed to `my_app-2`: lastcall names hold letters, digits, `.`, `_` and `-`, start with a letter or digit, and are unique',
    '7: [program:q] numprocs=2: lastcall has no process pools; imported as 2 programs: q-1, q-2',
  ]);
  t.same(Object.keys(accepted(t, r.out).doc.programs), ['my_app', 'my_app-2', 'q-1', 'q-2']);
});

t.test('the INI dialect is supervisord\'s: inline comments after whitespace, continuations, key: value', async (t) => {
  const [a, b] = parseIni('[a]\nCommand: x ;comment\nenv=A="1;2" # c\nlong=one\n  two\n\n  ; note\n  three\nurl=http://x/#frag\n[b]\nk=v\n[a]\nk=again\n', 'f');
  t.same([...a!.entries.values()].map((e) => [e.key, e.value, e.line]), [
    ['command', 'x', 2],
    ['env', 'A="1;2"', 3],
    ['long', 'one\ntwo\nthree', 4],
    ['url', 'http://x/#frag', 9],
    ['k', 'again', 13],
  ], 'keys lower-cased; a repeated section merges into the first');
  t.equal(b!.entries.get('k')!.value, 'v');
});

t.test('commands split like shlex.split; shell operators only count outside quotes', async (t) => {
  t.same(splitWords(`nginx -g 'daemon off;' "a \\"b\\" \\n" c\\ d ''`), { words: ['nginx', '-g', 'daemon off;', 'a "b" \\n', 'c d', ''], operators: [] });
  t.same(splitWords('sh -c "a && b | c"'), { words: ['sh', '-c', 'a && b | c'], operators: [] });
  t.same(splitWords('a && b 2>&1 | c $(d)'), { words: ['a', '&&', 'b', '2>&1', '|', 'c', '$(d)'], operators: ['&&', '>', '&', '|', '$('] });
  t.same(splitWords("it's"), { error: 'no closing single quote' });
});

t.test('any string survives the YAML quoting, and names YAML would misread are quoted', async (t) => {
  const odd = ['a"b', 'c\\d', 'tab\there', 'x: #y', '- z', '\u007f\u0085\u2028', 'null', '0x10', '~'];
  const yaml = emitYaml('x', [{ name: 'on', command: { argv: odd }, env: [['1A', 'yes']], dependsOn: { names: ['true'], why: 'w' } }, { name: 'true', command: { argv: ['t'] }, env: [] }]);
  const doc = parseYaml(yaml) as { programs: Record<string, { command: string[]; env: Record<string, string>; depends_on: Record<string, string> }> };
  t.same(Object.keys(doc.programs), ['on', 'true']);
  t.same(doc.programs.on!.command, odd);
  t.same(doc.programs.on!.env, { '1A': 'yes' });
  t.same(doc.programs.on!.depends_on, { true: 'started' });
});
