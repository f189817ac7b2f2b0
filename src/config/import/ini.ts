// supervisord.conf read as supervisord 4 reads it: Python 3's RawConfigParser with
// inline_comment_prefixes (';', '#') and strict=False, keys lower-cased. Quirks kept on purpose,
// because the import must see the values supervisord saw: `;` or `#` after whitespace starts a
// comment even inside quotes, a more-indented line continues the value above, a repeated section
// or key merges (the last value wins).
import { escapeDollars, ImportProblem } from './emit.js';

export interface IniEntry {
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

export interface IniSection {
  readonly name: string;
  readonly line: number;
  /** Last value per key, in the order keys first appeared. */
  readonly entries: Map<string, IniEntry>;
}

export function parseIni(text: string, file: string): IniSection[] {
  const sections = new Map<string, IniSection>();
  let section: IniSection | undefined;
  let open: { key: string; line: number; indent: number; parts: string[] } | undefined;
  const close = () => {
    if (open && section) section.entries.set(open.key, { key: open.key, value: open.parts.join('\n').trimEnd(), line: open.line });
    open = undefined;
  };
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const content = stripComment(raw).trim();
    // Blank and comment lines neither end a value nor add to it (empty_lines_in_values).
    if (content === '') return;
    const indent = raw.length - raw.trimStart().length;
    if (open && indent > open.indent) {
      open.parts.push(content);
      return;
    }
    close();
    const header = /^\[(.+)\]/.exec(content);
    if (header) {
      const name = header[1]!.trim();
      section = sections.get(name) ?? { name, line, entries: new Map() };
      sections.set(name, section);
      return;
    }
    const option = /^(.*?)\s*[=:]\s*(.*)$/.exec(content);
    if (!section) throw new ImportProblem(file, line, `\`${content}\` comes before any [section]; put it under [program:NAME] or [supervisord]`);
    if (!option || option[1] === '') throw new ImportProblem(file, line, `cannot read \`${content}\`: expected \`key=value\`, a [section] header, or a ; comment`);
    open = { key: option[1]!.toLowerCase(), line, indent, parts: [option[2]!] };
  });
  close();
  return [...sections.values()];
}

/** configparser's inline comments: `;` or `#` at the start of the line or after whitespace. */
function stripComment(raw: string): string {
  for (let i = 0; i < raw.length; i++) {
    if ((raw[i] === ';' || raw[i] === '#') && (i === 0 || /\s/.test(raw[i - 1]!))) return raw.slice(0, i);
  }
  return raw;
}

/**
 * `command=` as supervisord splits it (Python's shlex.split: POSIX quotes and backslashes, no
 * shell). `operators` lists shell syntax found outside quotes, which supervisord would have passed
 * to the program as plain text.
 */
export function splitWords(text: string): { words: string[]; operators: string[] } | { error: string } {
  const words: string[] = [];
  const operators: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'" || c === '"') {
      const end = c === "'" ? text.indexOf("'", i + 1) : closingDoubleQuote(text, i + 1);
      if (end < 0) return { error: `no closing ${c === "'" ? 'single' : 'double'} quote` };
      const inner = text.slice(i + 1, end);
      word = (word ?? '') + (c === "'" ? inner : inner.replace(/\\(["\\])/g, '$1'));
      i = end;
    } else if (c === '\\') {
      if (i + 1 >= text.length) return { error: 'a backslash at the end escapes nothing' };
      word = (word ?? '') + text[++i];
    } else {
      OPERATOR.lastIndex = i;
      const op = OPERATOR.exec(text)?.[0];
      if (op && !operators.includes(op)) operators.push(op);
      word = (word ?? '') + (op ?? c);
      i += (op?.length ?? 1) - 1;
    }
  }
  if (word !== undefined) words.push(word);
  return { words, operators };
}

const OPERATOR = /\|\||&&|>>|\$\(|[|&;<>`]/y;

function closingDoubleQuote(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

/**
 * `environment=A="1",B=x` as supervisord reads it (Python's non-POSIX shlex, then KEY = VALUE
 * triples with one separator skipped between them). Returns the pairs, and the tokens supervisord
 * silently skipped (an unquoted value with a space loses its second word).
 */
export function parseKeyValues(text: string): { pairs: [string, string][]; skipped: string[] } | { error: string } {
  const tokens: string[] = [];
  // shlex's word characters, plus the marks around an %(ENV_X)s reference (supervisord saw its value there).
  const word = /[A-Za-z0-9_/.+\-():\uE000\uE001]/;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (/\s/.test(c)) continue;
    if (c === '#') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    } else if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1);
      if (end < 0) return { error: `no closing ${c === "'" ? 'single' : 'double'} quote` };
      tokens.push(text.slice(i, end + 1));
      i = end;
    } else if (word.test(c)) {
      let j = i;
      while (j < text.length && word.test(text[j]!)) j++;
      tokens.push(text.slice(i, j));
      i = j - 1;
    } else tokens.push(c);
  }
  const pairs: [string, string][] = [];
  const skipped: string[] = [];
  for (let i = 0; i < tokens.length; i += 4) {
    if (tokens[i + 1] !== '=' || tokens[i + 2] === undefined) return { error: `expected KEY="value" at \`${tokens.slice(i, i + 3).join('')}\`` };
    pairs.push([tokens[i]!, tokens[i + 2]!.replace(/^['"]+|['"]+$/g, '')]);
    if (tokens[i + 3] !== undefined && tokens[i + 3] !== ',') skipped.push(tokens[i + 3]!);
  }
  return { pairs, skipped };
}

// %(ENV_X)s stays a reference to X, resolved when lastcall loads its config as supervisord resolved
// it when it started; private-use characters mark it until the value's destination is known.
const ENV_REF = /\u{E000}([^\u{E001}]*)\u{E001}/gu;
export const envRef = (name: string): string => `\u{E000}${name}\u{E001}`;
export const hasEnvRef = (text: string): boolean => text.includes('\u{E000}');
/** A word that is nothing but references: supervisord split it after expanding, so it may be several words. */
export const onlyEnvRefs = (word: string): boolean => /^(\u{E000}[^\u{E001}]*\u{E001})+$/u.test(word);

/** An expanded value as a lastcall string: references become ${X}, every other `$` means itself. */
export function toLastcall(text: string): string {
  return text.split(ENV_REF).map((part, i) => (i % 2 === 1 ? `\${${part}}` : escapeDollars(part))).join('');
}

/** supervisord's Python %-expansions: `%(program_name)s`, `%(process_num)02d`, `%(ENV_X)s`, `%%`. */
export function expand(text: string, vars: Readonly<Record<string, string | number>>): { value: string } | { error: string } {
  let error: string | undefined;
  const value = text.replace(/%(?:(%)|\(([^)]*)\)([-#0 +]*)(\d*)(?:\.\d+)?([sdir])|)/g, (_m, percent?: string, name?: string, flags = '', width = '', conversion = 's') => {
    if (percent) return '%';
    if (name === undefined) {
      error ??= 'a `%` that is neither `%(name)s` nor `%%`; write `%%` for a literal percent sign';
      return '';
    }
    if (name.startsWith('ENV_')) return envRef(name.slice(4));
    const raw = vars[name];
    if (raw === undefined) {
      error ??= `supervisord cannot expand \`%(${name})\`; known names are ${Object.keys(vars).join(', ')} and ENV_<VARIABLE>`;
      return '';
    }
    const numeric = conversion === 'd' || conversion === 'i';
    const shown = numeric ? String(Math.trunc(Number(raw))) : String(raw);
    const size = Number(width || 0);
    if (flags.includes('-')) return shown.padEnd(size);
    return shown.padStart(size, numeric && flags.includes('0') ? '0' : ' ');
  });
  return error === undefined ? { value } : { error };
}
