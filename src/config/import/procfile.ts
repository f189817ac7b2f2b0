// Procfile (Heroku, foreman, honcho) -> lastcall programs. Each `name: command` line is a process
// type that those tools run with a shell, so it stays a shell string; their output is printed with
// the process name in front, which is `logs: prefix`.
import { escapeDollars, ImportProblem, uniqueName, type ImportedProgram, type ImportResult, type ImportWarning } from './emit.js';
import { splitWords } from './ini.js';

/** `name: command`: the name is what comes before the first colon (sanitized later if lastcall would refuse it). */
export const PROCFILE_LINE = /^([^:#\s][^:]*?)\s*:\s*(.*)$/;

export function convertProcfile(text: string, file: string): ImportResult {
  const programs: ImportedProgram[] = [];
  const warnings: ImportWarning[] = [];
  const seen = new Map<string, number>();
  const taken = new Set<string>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const content = raw.trim();
    if (content === '' || content.startsWith('#')) return;
    const match = PROCFILE_LINE.exec(content);
    if (!match) throw new ImportProblem(file, line, `cannot read \`${content}\`: a Procfile line is \`name: command\`; fix it, or comment it out with #`);
    const written = match[1]!;
    const command = match[2]!;
    if (command === '') throw new ImportProblem(file, line, `\`${written}:\` has no command; write \`${written}: COMMAND\`, or remove the line`);
    const first = seen.get(written);
    if (first !== undefined) {
      warnings.push({ line, message: `\`${written}\` is already defined at line ${first}; the first one is kept and this line is not imported (rename it if both should run)` });
      return;
    }
    seen.set(written, line);
    const name = uniqueName(written, taken);
    if (name !== written) warnings.push({ line, message: `\`${written}\` renamed to \`${name}\`: lastcall names hold letters, digits, \`.\`, \`_\` and \`-\`, start with a letter or digit, and are unique` });
    if (/\$\{?PORT\b/.test(command)) warnings.push({ line, message: `\`${written}\` uses $PORT: Heroku and foreman set it (foreman from 5000), lastcall does not; set PORT in the container's environment` });
    const split = splitWords(command);
    const operators = 'error' in split ? [] : split.operators.filter((op) => ['&&', '||', ';', '|', '&'].includes(op));
    if (operators.length > 0 && !/(^|[\s;&|(])exec\s/.test(command)) {
      warnings.push({ line, message: `\`${written}\` runs ${operators.map((op) => `\`${op}\``).join(', ')} through /bin/sh, which then gets the stop signal and does not pass it on; start the long-running part with \`exec\` (\`a && exec b\`)` });
    }
    programs.push({ name, command: { shell: escapeDollars(command) }, env: [], logs: { value: 'prefix', why: 'as foreman prints it: each line labelled with the process name' } });
  });
  if (programs.length === 0) throw new ImportProblem(file, undefined, 'no `name: command` line, so nothing to import; is this a Procfile? (a supervisord.conf needs --format supervisord)');
  return { programs, warnings };
}

/** A Procfile by its name (Procfile, Procfile.dev) or by content: no [section] and `name: command` lines. */
export function looksLikeProcfile(file: string, text: string): boolean {
  if (/^Procfile/.test(file.split('/').pop() ?? '')) return true;
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith(';'));
  return lines.length > 0 && !lines.some((l) => /^\[[^\]]+\]/.test(l)) && lines.every((l) => PROCFILE_LINE.test(l) && !/^[^:]*=/.test(l));
}
