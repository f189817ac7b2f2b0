// What an import produces: programs in lastcall's written shape, warnings with the line they came
// from, and the YAML text. The YAML is written by hand so key order and comments are stable; every
// string is JSON-quoted, which is valid YAML and never re-read as a number, boolean or null.
import { UsageError } from '../errors.js';

export type RestartPolicy = 'never' | 'on-failure' | 'always';

export interface ImportedProgram {
  name: string;
  /** A comment written above the program, e.g. where a renamed program came from. */
  note?: string;
  command: { readonly argv: readonly string[] } | { readonly shell: string };
  env: [string, string][];
  cwd?: string;
  user?: string;
  dependsOn?: { readonly names: readonly string[]; readonly why: string };
  restart?: { policy: RestartPolicy; maxRestarts?: number };
  stop?: { signal?: string; timeout?: string };
  logs?: { readonly value: 'prefix'; readonly why: string };
}

/** One thing that did not carry over, at the line of the input that holds it. */
export interface ImportWarning {
  readonly line: number;
  readonly message: string;
}

export interface ImportResult {
  readonly programs: readonly ImportedProgram[];
  readonly warnings: readonly ImportWarning[];
}

/** Input that cannot be converted; the message says where and how to fix it. */
export class ImportProblem extends UsageError {
  constructor(file: string, line: number | undefined, message: string) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${message}`);
    this.name = 'ImportProblem';
  }
}

/**
 * lastcall expands ${VAR} and $$ in every string of its config; text meant literally gets its `$`
 * doubled where lastcall would read it otherwise (before `{` or `$`), and nowhere else.
 */
export function escapeDollars(text: string): string {
  return text.replace(/\$(?=[{$])/g, '$$$$');
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** A lastcall program name from any text: other characters become `_`, a leading one is dropped. */
export function sanitizeName(raw: string): string {
  const name = raw.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[^A-Za-z0-9]+/, '');
  return NAME.test(name) ? name : 'program';
}

/** A valid lastcall name for `wanted`, made unique among those taken (and then taken). */
export function uniqueName(wanted: string, taken: Set<string>): string {
  const base = sanitizeName(wanted);
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
  taken.add(name);
  return name;
}

export function emitYaml(source: string, programs: readonly ImportedProgram[]): string {
  const out = [`# converted from ${source.replace(/[\r\n]/g, ' ')} by \`lastcall import\``, '# review the warnings it printed, then validate: lastcall check --config FILE', 'programs:'];
  for (const p of programs) {
    if (p.note) out.push(`  # ${p.note}`);
    out.push(`  ${key(p.name)}:`);
    if ('shell' in p.command) out.push(`    command: ${quote(p.command.shell)}`, '    shell: true');
    else out.push(`    command: [${p.command.argv.map(quote).join(', ')}]`);
    if (p.env.length > 0) out.push('    env:', ...p.env.map(([k, v]) => `      ${key(k)}: ${quote(v)}`));
    if (p.cwd !== undefined) out.push(`    cwd: ${quote(p.cwd)}`);
    if (p.user !== undefined) out.push(`    user: ${quote(p.user)}`);
    if (p.dependsOn) out.push(`    depends_on: { ${p.dependsOn.names.map((n) => `${key(n)}: started`).join(', ')} }  # ${p.dependsOn.why}`);
    if (p.restart) {
      const { policy, maxRestarts } = p.restart;
      out.push(`    restart: ${maxRestarts === undefined ? policy : `{ policy: ${policy}, max_restarts: ${maxRestarts} }`}`);
    }
    const stop = Object.entries({ signal: p.stop?.signal, timeout: p.stop?.timeout }).filter(([, v]) => v !== undefined);
    // Plain: a signal name (QUIT, RTMIN+2) or a whole number of seconds (30s), never read as anything else.
    if (stop.length > 0) out.push(`    stop: { ${stop.map(([k, v]) => `${k}: ${v}`).join(', ')} }`);
    if (p.logs) out.push(`    logs: ${p.logs.value}  # ${p.logs.why}`);
  }
  return `${out.join('\n')}\n`;
}

/** A map key: plain when YAML cannot mistake it for anything but a string, else quoted. */
function key(text: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(text) && !/^(true|false|null|yes|no|on|off|y|n)$/i.test(text) ? text : quote(text);
}

/** JSON quoting, plus escapes for the few characters JSON leaves raw but YAML does not allow. */
function quote(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\u0084\u0086-\u009f\ufeff\ufffe\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
