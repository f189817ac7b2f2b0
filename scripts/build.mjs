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
// module that forgot `import '.../one-chunk.js'`, or a dynamic import() of a module the start-up
// path already loads, splits it again, silently costing every start. Follow the static imports.
const dist = new URL('../dist/', import.meta.url);
const startupFiles = new Set();
const visit = (file) => {
  if (startupFiles.has(file)) return;
  startupFiles.add(file);
  const text = readFileSync(new URL(file, dist), 'utf8');
  const here = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : '';
  for (const m of text.matchAll(/^import[^;]*?from "\.\/([^"]+)";/gm)) visit(here + m[1]);
};
visit('lastcall.js');
if (startupFiles.size > 2) {
  console.error(`build: the start-up path loads ${startupFiles.size} files (${[...startupFiles].join(', ')}), not 2: see src/one-chunk.ts`);
  process.exit(1);
}
