// supervisord.conf -> lastcall programs: supervisord's meaning kept where lastcall has one, one
// warning per setting where it has none. docs/import.md has the table and the reasons.
import { UsageError } from '../errors.js';
import { unknownKey } from '../file/suggest.js';
import { parseSignal, signalName } from '../signals.js';
import { ImportProblem, uniqueName, type ImportedProgram, type ImportResult, type ImportWarning, type RestartPolicy } from './emit.js';
import { envRef, expand, hasEnvRef, onlyEnvRefs, parseIni, parseKeyValues, splitWords, toLastcall, type IniEntry, type IniSection } from './ini.js';

const TRUE = ['yes', 'true', 'on', '1'];
const FALSE = ['no', 'false', 'off', '0'];
const LOG_KEYS = ['stdout_logfile', 'stderr_logfile', 'redirect_stderr', 'stdout_logfile_maxbytes', 'stderr_logfile_maxbytes', 'stdout_logfile_backups', 'stderr_logfile_backups'];
const PROGRAM_KEYS = ['command', 'process_name', 'numprocs', 'numprocs_start', 'priority', 'directory', 'user', 'environment', 'autorestart', 'startretries', 'stopsignal', 'stopwaitsecs', 'autostart', 'startsecs', 'exitcodes', 'stopasgroup', 'killasgroup', 'umask', 'serverurl', ...LOG_KEYS, 'stdout_capture_maxbytes', 'stderr_capture_maxbytes', 'stdout_events_enabled', 'stderr_events_enabled', 'stdout_syslog', 'stderr_syslog'];
const SUPERVISORD_SILENT = ['nodaemon', 'logfile', 'logfile_maxbytes', 'logfile_backups', 'loglevel', 'pidfile', 'childlogdir', 'nocleanup', 'identifier', 'strip_ansi', 'silent', 'environment'];
const SUPERVISORD_WARN: Record<string, string> = {
  user: "no equivalent: lastcall runs as the container's user; set USER in the Dockerfile, or `user:` on each program",
  directory: 'no equivalent: lastcall does not change directory; set WORKDIR in the Dockerfile, or `cwd:` on each program',
  umask: 'no equivalent: lastcall does not set a umask; set it in the image or in the commands',
  minfds: 'no equivalent: raise the limit on the container instead (docker run --ulimit nofile=N)',
  minprocs: 'no equivalent: raise the limit on the container instead (docker run --ulimit nproc=N)',
};
const SECTION_WARN: Record<string, string> = {
  unix_http_server: 'no equivalent: lastcall has no XML-RPC server; `lastcall ctl` talks to its own control socket',
  inet_http_server: 'no equivalent: lastcall has no XML-RPC server; `lastcall ctl` talks to its own control socket, and `health:` serves /readyz and /livez',
  supervisorctl: 'no equivalent: use `lastcall ctl` instead of supervisorctl',
  rpcinterface: 'no equivalent: lastcall has no XML-RPC interface to extend',
  ctlplugin: 'no equivalent: `lastcall ctl` has no plugins',
  'fcgi-program': 'no equivalent: lastcall does not open sockets for its programs; not imported',
  eventlistener: 'no equivalent: lastcall has no event listeners; not imported',
};

type Warn = (line: number, message: string) => void;

interface Context {
  readonly file: string;
  readonly group: string | undefined;
  readonly warn: Warn;
  /** Program names already used, so sanitized or numbered names never collide. */
  readonly taken: Set<string>;
}

interface Pool {
  readonly priority: number;
  readonly programs: ImportedProgram[];
}

export function convertSupervisord(text: string, file: string): ImportResult {
  const sections = parseIni(text, file);
  const warnings: ImportWarning[] = [];
  const warn = (line: number, message: string) => warnings.push({ line, message });
  const groupOf = new Map<string, string>();
  for (const s of sections) if (s.name.startsWith('group:')) for (const p of (s.entries.get('programs')?.value ?? '').split(',')) groupOf.set(p.trim(), s.name.slice(6));
  let globalEnv: [string, string][] = [];
  const pools: Pool[] = [];
  const taken = new Set<string>();
  for (const section of sections) {
    const kind = section.name.split(':')[0]!;
    const ctx: Context = { file, group: groupOf.get(section.name.slice(section.name.indexOf(':') + 1)), warn, taken };
    if (kind === 'program') pools.push(convertProgram(section, ctx));
    else if (kind === 'supervisord') globalEnv = convertGlobals(section, ctx);
    else if (kind === 'group') {
      const priority = section.entries.get('priority');
      const members = (section.entries.get('programs')?.value ?? '').split(',').map((p) => p.trim()).join(', ');
      warn(section.line, `[${section.name}]: no equivalent: lastcall has no groups; its programs (${members}) are imported one by one${priority ? `, and its priority=${priority.value} is not used` : ''}`);
    } else if (kind === 'include') {
      warn(section.line, `[include] files=${(section.entries.get('files')?.value ?? '').replace(/\s+/g, ' ')}: not followed: import each included file too and merge its programs into this config`);
    } else if (SECTION_WARN[kind]) warn(section.line, `[${section.name}]: ${SECTION_WARN[kind]}`);
    else warn(section.line, `[${section.name}]: not a supervisord section; ignored`);
    if (kind === 'eventlistener') listenerHints(section, warn);
  }
  const programs = pools.flatMap((pool) => pool.programs);
  if (programs.length === 0) throw new ImportProblem(file, undefined, 'no [program:NAME] section, so nothing to import; is this a supervisord.conf? (a Procfile needs --format procfile)');
  for (const p of programs) p.env = [...new Map([...globalEnv, ...p.env])];
  orderByPriority(pools);
  return { programs, warnings: warnings.sort((a, b) => a.line - b.line) };
}

/** supervisord starts lower priorities first and stops them last: each level depends on the one below. */
function orderByPriority(pools: readonly Pool[]): void {
  const levels = [...new Set(pools.map((p) => p.priority))].sort((a, b) => a - b);
  for (const pool of pools) {
    const below = levels[levels.indexOf(pool.priority) - 1];
    if (below === undefined) continue;
    const names = pools.filter((p) => p.priority === below).flatMap((p) => p.programs.map((x) => x.name));
    const why = `priority ${pool.priority}: supervisord starts it after priority ${below} and stops it before`;
    for (const program of pool.programs) program.dependsOn = { names, why };
  }
}

function convertGlobals(section: IniSection, ctx: Context): [string, string][] {
  const r = reader(section, ctx);
  for (const e of section.entries.values()) {
    // user=root is there to quiet supervisord's "running as root" message; it asks for nothing.
    if (e.key === 'user' && e.value === 'root') continue;
    if (SUPERVISORD_WARN[e.key]) ctx.warn(e.line, `${r.label(e)}: ${SUPERVISORD_WARN[e.key]}`);
    else if (!SUPERVISORD_SILENT.includes(e.key)) ctx.warn(e.line, `${r.label(e)}: ignored: ${unknownKey(e.key, [...SUPERVISORD_SILENT, ...Object.keys(SUPERVISORD_WARN)])}`);
  }
  const e = section.entries.get('environment');
  return e ? environment(r, e, r.expand(e), ctx.warn) : [];
}

function listenerHints(section: IniSection, warn: Warn): void {
  const events = section.entries.get('events');
  if (!events) return;
  if (/PROCESS_STATE/.test(events.value)) warn(events.line, `[${section.name}] events=${events.value}: if it stops supervisord when a program dies (the usual reason to listen for PROCESS_STATE), mark that program \`essential: true\` instead: lastcall then stops everything and exits with its status`);
  if (/PROCESS_LOG/.test(events.value)) warn(events.line, `[${section.name}] events=${events.value}: if it forwards program output (like supervisor-stdout), \`logs: prefix\` does that in lastcall`);
}

/** Reads one section's values as supervisord would, failing with file:line like supervisord refusing to start. */
interface Reader {
  entry(key: string): IniEntry | undefined;
  label(e: IniEntry): string;
  fail(e: IniEntry, message: string): never;
  expand(e: IniEntry, extra?: Readonly<Record<string, string | number>>): string;
  int(key: string, fallback: number, min?: number): number;
  bool(key: string, fallback: boolean): boolean;
}

function reader(section: IniSection, ctx: Context): Reader {
  const program = section.name.slice(section.name.indexOf(':') + 1);
  // %(here)s is the directory of the config file, as ${LASTCALL_CONFIG_DIR} is for lastcall's; the
  // host name is in $HOSTNAME in Docker and Kubernetes.
  const base = { here: envRef('LASTCALL_CONFIG_DIR'), program_name: program, group_name: ctx.group ?? program, host_node_name: envRef('HOSTNAME') };
  const r: Reader = {
    entry: (key) => section.entries.get(key),
    label: (e) => `[${section.name}] ${e.key}=${e.value.replace(/\s*\n\s*/g, ' ')}`,
    fail: (e, message) => {
      throw new ImportProblem(ctx.file, e.line, `${r.label(e)}: ${message}`);
    },
    expand: (e, extra = {}) => {
      const result = expand(e.value, { ...base, ...extra });
      return 'error' in result ? r.fail(e, result.error) : result.value;
    },
    int: (key, fallback, min = 0) => {
      const e = r.entry(key);
      if (!e) return fallback;
      const text = r.expand(e);
      return /^-?\d+$/.test(text) && Number(text) >= min ? Number(text) : r.fail(e, hasEnvRef(text) ? 'lastcall needs the number itself here, not %(ENV_...)s' : `expected a whole number${min > -Infinity ? ` from ${min}` : ''}`);
    },
    bool: (key, fallback) => {
      const e = r.entry(key);
      if (!e) return fallback;
      const text = r.expand(e).toLowerCase();
      return TRUE.includes(text) || (FALSE.includes(text) ? false : r.fail(e, 'expected true or false'));
    },
  };
  return r;
}

function convertProgram(section: IniSection, ctx: Context): Pool {
  const r = reader(section, ctx);
  const programName = section.name.slice('program:'.length);
  const numprocs = r.int('numprocs', 1);
  const start = r.int('numprocs_start', 0);
  const priority = r.int('priority', 999, -Infinity);
  const command = r.entry('command') ?? r.fail({ key: 'command', value: '', line: section.line }, 'there is no command; add one, or remove the section');
  const processName = r.entry('process_name');
  const numbered = processName !== undefined && /process_num/.test(processName.value);
  const programs: ImportedProgram[] = [];
  for (let num = start; num < start + numprocs; num++) {
    const warn: Warn = num === start ? ctx.warn : () => undefined;
    const vars = { process_num: num, numprocs };
    const wanted = numprocs === 1 ? programName : numbered ? r.expand(processName, vars) : `${programName}_${String(num).padStart(2, '0')}`;
    const name = uniqueName(wanted, ctx.taken);
    if (name !== wanted) warn(section.line, `[${section.name}]: renamed to \`${name}\`: lastcall names hold letters, digits, \`.\`, \`_\` and \`-\`, start with a letter or digit, and are unique`);
    const program: ImportedProgram = { name, command: commandOf(r, command, r.expand(command, vars), warn), env: [] };
    if (numprocs > 1) program.note = `[${section.name}] process ${num} of numprocs=${numprocs}`;
    const env = r.entry('environment');
    if (env) program.env = environment(r, env, r.expand(env, vars), warn);
    for (const [key, field] of [['directory', 'cwd'], ['user', 'user']] as const) {
      const e = r.entry(key);
      if (e) program[field] = toLastcall(r.expand(e, vars));
    }
    program.restart = restartOf(r);
    const signal = r.entry('stopsignal');
    const wait = r.entry('stopwaitsecs');
    if (signal || wait) program.stop = {};
    if (signal) program.stop!.signal = signalName(signalNumber(r, signal)).replace(/^SIG/, '');
    if (wait) program.stop!.timeout = `${r.int('stopwaitsecs', 10)}s`;
    const logs = logsOf(r, warn);
    if (logs) program.logs = logs;
    programs.push(program);
  }
  const count = r.entry('numprocs');
  if (count && numprocs === 0) ctx.warn(count.line, `${r.label(count)}: supervisord starts no process for it; not imported`);
  if (count && numprocs > 1) ctx.warn(count.line, `${r.label(count)}: lastcall has no process pools; imported as ${numprocs} programs: ${programs.map((p) => p.name).join(', ')}${numbered ? '' : ' (names made up: supervisord wants %(process_num) in process_name)'}`);
  for (const e of section.entries.values()) {
    if (!PROGRAM_KEYS.includes(e.key)) ctx.warn(e.line, `${r.label(e)}: ignored: ${unknownKey(e.key, PROGRAM_KEYS)}`);
    else noEquivalent(r, e, programs[0]?.restart?.policy ?? 'on-failure', ctx);
  }
  return { priority, programs };
}

/** supervisord execs the split words without a shell, and so does lastcall unless shell syntax needs one. */
function commandOf(r: Reader, e: IniEntry, text: string, warn: Warn): ImportedProgram['command'] {
  const split = splitWords(text);
  if ('error' in split) return r.fail(e, `${split.error}; supervisord refuses it too`);
  if (split.words.length === 0) return r.fail(e, 'the command is empty; give the program to run');
  const line = toLastcall(text.replace(/\s*\n\s*/g, ' '));
  if (split.operators.length > 0) {
    warn(e.line, `${r.label(e)}: ${split.operators.map((o) => `\`${o}\``).join(', ')} outside quotes: supervisord runs no shell and passes it to the program as an argument; imported as \`shell: true\`, as surely meant (start the long-running part with \`exec\` so it gets the stop signal)`);
    return { shell: line };
  }
  // supervisord split the command after expanding it, so %(ENV_ARGS)s may be several arguments:
  // lastcall puts the value into the text and the shell splits it the same way; exec keeps the
  // program itself the one that gets the stop signal.
  return split.words.some(onlyEnvRefs) ? { shell: `exec ${line}` } : { argv: split.words.map(toLastcall) };
}

function environment(r: Reader, e: IniEntry, text: string, warn: Warn): [string, string][] {
  const parsed = parseKeyValues(text);
  if ('error' in parsed) return r.fail(e, `${parsed.error}; write KEY="value",KEY2="value" (supervisord refuses it too)`);
  if (parsed.skipped.length > 0) warn(e.line, `${r.label(e)}: supervisord ignores \`${parsed.skipped.join(' ')}\` (an unquoted value ends at a space or a symbol), and so does the import; quote the value if it was meant`);
  return parsed.pairs.map(([k, v]) => [k, toLastcall(v)]);
}

function restartOf(r: Reader): { policy: RestartPolicy; maxRestarts?: number } {
  const e = r.entry('autorestart');
  const value = e ? r.expand(e).toLowerCase() : 'unexpected';
  const policy: RestartPolicy = TRUE.includes(value) ? 'always' : FALSE.includes(value) ? 'never' : value === 'unexpected' ? 'on-failure' : r.fail(e!, 'expected true, false or unexpected');
  // startretries bounds failed starts in a row; max_restarts bounds restarts inside restart.window: the nearest lastcall has.
  return r.entry('startretries') && policy !== 'never' ? { policy, maxRestarts: r.int('startretries', 3) } : { policy };
}

function signalNumber(r: Reader, e: IniEntry): number {
  try {
    return parseSignal(r.expand(e), 'stopsignal');
  } catch (error) {
    if (error instanceof UsageError) return r.fail(e, error.message.replace(/^stopsignal: /, ''));
    throw error;
  }
}

const CONSOLE = /^\/dev\/(stdout|stderr|fd\/[12])$|^\/proc\/self\/fd\/[12]$/;

/** Pointing supervisord's log files at the container's stdout/stderr is what lastcall does anyway. */
function logsOf(r: Reader, warn: Warn): ImportedProgram['logs'] {
  const redirect = r.bool('redirect_stderr', false);
  const out = r.entry('stdout_logfile');
  const files = redirect ? [out] : [out, r.entry('stderr_logfile')];
  for (const e of files) {
    if (!e || CONSOLE.test(e.value) || /^auto$/i.test(e.value)) continue;
    const what = /^(none|off)$/i.test(e.value) ? 'lastcall does not discard output' : /^syslog$/i.test(e.value) ? 'lastcall does not write to syslog' : 'lastcall does not write log files';
    warn(e.line, `${r.label(e)}: no equivalent: ${what}; the output goes to the container log (redirect it in the command, with shell: true, if that matters)`);
  }
  const merged = r.entry('redirect_stderr');
  if (redirect && merged && !(out && CONSOLE.test(out.value))) warn(merged.line, `${r.label(merged)}: no equivalent: the program's stderr stays the container's stderr (docker logs shows both); add 2>&1 to the command, with shell: true, to merge them`);
  const toConsole = files.find((e) => e && CONSOLE.test(e.value));
  if (!toConsole) return undefined;
  return { value: 'prefix', why: `was ${toConsole.key}=${toConsole.value}: still the container log, each line labelled with the program name` };
}

/** Settings lastcall has no equivalent for: one warning each, unless the value changes nothing. */
function noEquivalent(r: Reader, e: IniEntry, policy: RestartPolicy, ctx: Context): void {
  const warn = (message: string) => ctx.warn(e.line, `${r.label(e)}: ${message}`);
  if (/%\(here\)s/.test(e.value) && ['command', 'directory', 'user', 'environment'].includes(e.key)) warn('%(here)s became ${LASTCALL_CONFIG_DIR}, the directory of the lastcall config: keep the config where supervisord.conf was, or write the path');
  const events = 'no equivalent: capture mode and log events feed event listeners, which lastcall does not have';
  switch (e.key) {
    case 'autostart':
      if (!r.bool(e.key, true)) warn('no equivalent: lastcall starts every program in its config; leave this one out if it should not run');
      return;
    case 'startsecs':
      if (r.int(e.key, 1) > 0) warn('no equivalent: lastcall counts a program as started once it is spawned, and backs off between restarts (restart.initial, restart.max); add a `ready` check if other programs should wait for it');
      else if (policy === 'never') warn('with autorestart=false this looks like a one-off task: consider `type: oneshot`, so other programs can depend on it having completed');
      return;
    case 'exitcodes':
      if (!/^\s*\d+(\s*,\s*\d+)*\s*$/.test(e.value)) r.fail(e, 'expected exit codes like 0,2');
      if (policy === 'on-failure' && e.value.replace(/\s/g, '') !== '0') warn('no equivalent: restart on-failure counts only exit 0 as success');
      return;
    case 'stopasgroup':
      if (r.bool(e.key, false)) warn("no equivalent: lastcall sends stop.signal to the program's pid only; children it does not pass the signal on to are SIGKILLed at the shutdown deadline");
      return;
    case 'killasgroup':
      if (r.bool(e.key, false)) warn('not needed: at the shutdown deadline lastcall SIGKILLs every process left, children included');
      return;
    case 'umask':
      return warn('no equivalent: lastcall does not set a umask; use `umask NNN; exec ...` with shell: true, or set it in the image');
    case 'serverurl':
      if (!/^auto$/i.test(e.value)) warn('no equivalent: lastcall has no XML-RPC server, so SUPERVISOR_SERVER_URL is not set');
      return;
    case 'stdout_capture_maxbytes':
    case 'stderr_capture_maxbytes':
      if (!/^0+\s*(kb|mb|gb)?$/i.test(e.value)) warn(events);
      return;
    case 'stdout_events_enabled':
    case 'stderr_events_enabled':
      if (r.bool(e.key, false)) warn(events);
      return;
    case 'stdout_syslog':
    case 'stderr_syslog':
      if (r.bool(e.key, false)) warn('no equivalent: lastcall does not write to syslog; the output goes to the container log');
      return;
  }
}
