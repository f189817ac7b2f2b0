import { EPILOGUE, EXAMPLES, OPTIONS, SUMMARY, USAGE, type OptionSpec } from './options.js';
import '../one-chunk.js'; // one start-up chunk: see src/one-chunk.ts

/** The help text, rendered by yargs from the same table the parser reads. Loaded only for --help. */
export async function renderHelp(): Promise<string> {
  const { default: yargs } = await import('yargs');
  const parser = yargs([])
    .scriptName('lastcall')
    .usage(`${USAGE}\n\n${SUMMARY}`)
    .example(EXAMPLES as [string, string][])
    .epilogue(EPILOGUE)
    .version(false)
    .help(false)
    .wrap(Math.min(120, process.stdout.columns || 100));
  for (const [name, spec] of Object.entries(OPTIONS) as [string, OptionSpec][]) {
    parser.option(name, {
      alias: spec.short,
      type: spec.type === 'count' ? 'count' : spec.type,
      description: spec.describe,
      ...(spec.multiple ? { array: true } : {}),
      ...(spec.default !== undefined ? { default: spec.default } : {}),
      ...(spec.choices ? { choices: [...spec.choices] } : {}),
    });
  }
  return parser.getHelp();
}
