// lastcall.yaml -> validated, frozen ConfigPlan. Every problem at once, each at file:line:column.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { UsageError } from '../errors.js';
import { buildShutdownPlan, type WrittenShutdown } from '../shutdown.js';
import { startWaves } from './order.js';
import { locate, positionsOf, type Position } from './positions.js';
import { checkProgram, interpolate, type Checker } from './program.js';
import { unknownKey } from './suggest.js';
import type { ConfigPlan, ConfigProblem, ProgramSpec } from './types.js';
import '../../one-chunk.js'; // one start-up chunk: see src/one-chunk.ts

const SHUTDOWN_KEYS: Record<string, keyof WrittenShutdown> = {
  grace: 'grace', drain: 'drain', drain_idle: 'drainIdle', drain_ports: 'drainPort', kill_margin: 'killMargin',
  health: 'health', shutdown_on: 'shutdownOn', ready_file: 'readyFile',
};
export const TOP_KEYS = [...Object.keys(SHUTDOWN_KEYS), 'programs'];

/** Thrown with every problem found; `message` is one line per problem, `file:line:column: ...`. */
export class ConfigError extends UsageError {
  constructor(readonly file: string, readonly problems: readonly ConfigProblem[]) {
    super(problems.map((p) => `${file}:${p.line}:${p.column}: ${p.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv, runningAs: { uid: number } = { uid: process.getuid?.() ?? 0 }): ConfigPlan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--config ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check the path`);
  }
  return parseConfig(text, file, env, runningAs);
}

export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv, runningAs: { uid: number }): ConfigPlan {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const problems: (ConfigProblem & { order: number })[] = [];
  for (const error of document.errors) {
    const { line, col: column } = lines.linePos(error.pos[0]);
    const message = error.code === 'DUPLICATE_KEY' ? 'this key appears twice; each program (and each setting) must be named once' : `YAML syntax: ${error.message.split(' at line')[0]}`;
    problems.push({ line, column, message, order: problems.length });
  }
  if (problems.length > 0) throw new ConfigError(file, problems);

  const positions = positionsOf(document, lines);
  const checker: Checker = {
    problem(path: string, message: string) {
      const at: Position = locate(positions, path);
      problems.push({ line: at.line, column: at.column, message, order: problems.length });
    },
  };
  // ${VAR} and ${VAR:-default} work in every string value, as in compose files; keys stay literal.
  // ${LASTCALL_CONFIG_DIR} is the file's own directory, for paths next to it.
  const scope = { LASTCALL_CONFIG_DIR: dirname(resolve(file)), ...env };
  const root: unknown = interpolateAll(document.toJS(), scope, '', (path) => checker.problem(path, `${path.replace(/^programs\.[^.]+\./, '')}: unterminated \`\${\`; write \${VAR}, \${VAR:-default}, or $$ for a literal $`));
  if (root === null || typeof root !== 'object' || Array.isArray(root)) {
    checker.problem('', 'the file must be a map with `programs:` (and optional shutdown settings such as `grace:`)');
    throw new ConfigError(file, problems);
  }
  const top = root as Record<string, unknown>;
  for (const key of Object.keys(top)) if (!TOP_KEYS.includes(key)) checker.problem(key, unknownKey(key, TOP_KEYS));

  const written: WrittenShutdown = {};
  for (const [key, field] of Object.entries(SHUTDOWN_KEYS)) {
    const value = top[key];
    if (value === undefined) continue;
    if (Array.isArray(value)) (written[field] as string[] | undefined) = value.map(String);
    else if (typeof value === 'object' && value !== null) checker.problem(key, `\`${key}\` must be a single value`);
    else (written as Record<string, unknown>)[field] = field === 'drainPort' || field === 'shutdownOn' ? [String(value)] : String(value);
  }
  const shutdownProblems: string[] = [];
  const shutdown = buildShutdownPlan(written, shutdownProblems);
  for (const message of shutdownProblems) {
    const flag = /--([a-z-]+)/.exec(message)?.[1] ?? '';
    checker.problem(flag.replace(/-/g, '_'), message.replace(/--([a-z-]+)/g, (_m, name: string) => name.replace(/-/g, '_')));
  }

  const programs = new Map<string, ProgramSpec>();
  const rawPrograms = top.programs;
  if (rawPrograms === undefined || rawPrograms === null || typeof rawPrograms !== 'object' || Array.isArray(rawPrograms) || Object.keys(rawPrograms).length === 0) {
    checker.problem('programs', '`programs` must map at least one name to a program, e.g. `programs: { web: { command: ["nginx", "-g", "daemon off;"] } }`');
  } else {
    const names = Object.keys(rawPrograms);
    const raw = rawPrograms as Record<string, unknown>;
    for (const name of names) {
      const spec = checkProgram(checker, name, raw[name], { names, raw, env, runningAs });
      if (spec) programs.set(name, spec);
    }
  }

  let waves: string[][] = [];
  if (programs.size > 0 && problems.length === 0) {
    const order = startWaves(new Map([...programs].map(([name, spec]) => [name, spec.dependsOn.map((d) => d.name)])));
    if ('cycle' in order) checker.problem(`programs.${order.cycle[0]}.depends_on`, `dependency cycle: ${order.cycle.join(' -> ')}; remove one of these depends_on entries`);
    else waves = order;
  }
  if (problems.length > 0) throw new ConfigError(file, problems.sort((a, b) => a.line - b.line || a.column - b.column || a.order - b.order));
  return Object.freeze({ file, programs, startWaves: waves, stopWaves: [...waves].reverse(), shutdown, written });
}

function interpolateAll(value: unknown, env: NodeJS.ProcessEnv, path: string, unterminated: (path: string) => void): unknown {
  if (typeof value === 'string') {
    const expanded = interpolate(value, env);
    if (expanded === undefined) unterminated(path);
    return expanded ?? value;
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolateAll(item, env, path ? `${path}.${i}` : String(i), unterminated));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateAll(v, env, path ? `${path}.${k}` : k, unterminated)]));
  }
  return value;
}
