// Bundles src/ into one ESM file: one file to load is measurably faster to start than
// dozens of modules (docs/startup.md). koffi (native) and pino (loaded only for JSON logs) stay outside.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
// Chunk names carry content hashes: start clean so old chunks do not pile up in the package.
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: [new URL('../src/index.ts', import.meta.url).pathname],
  outdir: new URL('../dist', import.meta.url).pathname,
  entryNames: 'lastcall',
  chunkNames: 'chunks/[name]-[hash]',
  // Code loaded only on some paths (help text via yargs) goes to its own chunk, off the start-up path.
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['koffi', 'pino'],
  define: { LASTCALL_VERSION: JSON.stringify(pkg.version) },
  // yargs (ESM) reaches for require(); give the bundle one.
  banner: { js: "import { createRequire as __lcCreateRequire } from 'node:module'; const require = __lcCreateRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});

// The start-up path must stay the entry and one chunk (src/one-chunk.ts says why): a lazily loaded
// module that forgot `import '.../one-chunk.js'` splits it again, silently costing every start.
const entry = readFileSync(new URL('../dist/lastcall.js', import.meta.url), 'utf8');
const startupChunks = [...entry.matchAll(/^import[^;]*from "\.\/chunks\/[^"]+";/gm)].length;
if (startupChunks > 1) {
  console.error(`build: the start-up path loads ${startupChunks} chunks, not 1: a lazily imported module is missing \`import '.../one-chunk.js'\` (see src/one-chunk.ts)`);
  process.exit(1);
}
