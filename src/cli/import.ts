// `lastcall import FILE [-o OUT] [--format supervisord|procfile]`: a supervisord.conf or a Procfile
// -> lastcall YAML on stdout (or OUT), with one warning line on stderr per setting that did not carry over.
import { writeFileSync } from 'node:fs';
import { EXIT, UsageError } from '../config/errors.js';
import { emitYaml } from '../config/import/emit.js';
import { convertProcfile, looksLikeProcfile } from '../config/import/procfile.js';
import { convertSupervisord } from '../config/import/supervisord.js';
import '../one-chunk.js'; // one start-up chunk: see src/one-chunk.ts

export interface ImportIo {
  /** Each call gets whole lines, newline included, as process.stdout.write does. */
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly readFile: (path: string) => string;
  /** For -o; the real file system when absent. */
  readonly writeFile?: (path: string, text: string) => void;
}

const USAGE = 'usage: lastcall import FILE [-o OUT] [--format supervisord|procfile]';
const FORMATS = ['supervisord', 'procfile'] as const;
type Format = (typeof FORMATS)[number];

/** Exit 0 when converted (warnings included), 2 with one `lastcall: import: ...` line when it cannot be. */
export function runImport(args: readonly string[], io: ImportIo): number {
  try {
    const parsed = parseImportArgs(args);
    if ('help' in parsed) {
      io.stdout(`${USAGE}\nConverts a supervisord.conf or a Procfile to a lastcall config; see docs/import.md.\n`);
      return 0;
    }
    const { file, output, format: forced } = parsed;
    let text: string;
    try {
      text = io.readFile(file);
    } catch (error) {
      throw new UsageError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check the path`);
    }
    const format = forced ?? (looksLikeProcfile(file, text) ? 'procfile' : 'supervisord');
    const result = format === 'procfile' ? convertProcfile(text, file) : convertSupervisord(text, file);
    const yaml = emitYaml(file, result.programs);
    for (const w of result.warnings) io.stderr(`lastcall: import: ${file}:${w.line}: warning: ${w.message}\n`);
    if (output === undefined) io.stdout(yaml);
    else {
      try {
        (io.writeFile ?? ((path, data) => writeFileSync(path, data)))(output, yaml);
      } catch (error) {
        throw new UsageError(`cannot write ${output} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check the directory exists and is writable`);
      }
      const n = result.programs.length;
      io.stdout(`wrote ${output}: ${n} program${n === 1 ? '' : 's'} from ${file} (${format}); check it with: lastcall check --config ${output}\n`);
    }
    return 0;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`lastcall: import: ${error.message}\n`);
    return EXIT.usage;
  }
}

function parseImportArgs(args: readonly string[]): { help: true } | { file: string; output: string | undefined; format: Format | undefined } {
  let file: string | undefined;
  let output: string | undefined;
  let format: Format | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value; ${USAGE}`);
      return v;
    };
    if (flag === '-h' || flag === '--help') return { help: true };
    if (flag === '-o' || flag === '--output') output = value();
    else if (flag === '--format') {
      const v = value();
      if (!(FORMATS as readonly string[]).includes(v)) throw new UsageError(`--format must be supervisord or procfile, got \`${v}\``);
      format = v as Format;
    } else if (flag.startsWith('-') && flag !== '-') throw new UsageError(`unknown option \`${flag}\`; ${USAGE}`);
    else if (file === undefined) file = arg;
    else throw new UsageError(`one FILE at a time, got \`${file}\` and \`${arg}\`; ${USAGE}`);
  }
  if (file === undefined) throw new UsageError(`which file? ${USAGE}`);
  return { file, output, format };
}
