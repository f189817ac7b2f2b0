// Bundles src/ into one ESM file: one file to load is measurably faster to start than
// dozens of modules (docs/startup.md). koffi (native) and pino (loaded only for JSON logs) stay outside.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';

// Node's built-in modules through require(), not import. An ES import of a built-in makes Node
// build its ES facade, which reads every export, getters included: node:fs's ReadStream getter
// alone loads the whole streams stack (~3 ms of every start, --cpu-prof). Each built-in that src/
// imports becomes a small module that requires it and exports just the names src/ imports from it
// (found in the sources below): no other getter runs, and no CommonJS interop copies ~100 property
// names per module at start-up. The bundle's banner provides require(). Only for src/: a
// dependency's imports (yargs, yaml: lazily loaded chunks) would make the wrappers a chunk of their
// own (see src/one-chunk.ts).
const builtin = new RegExp(`^(node:)?(${builtinModules.map((m) => m.replace(/[/]/g, '\\/')).join('|')})$`);
const ownSource = new URL('../src/', import.meta.url).pathname;
/** Per built-in module, the names src/ imports from it (`import { a, b as c } from 'node:x'`). */
function namesImportedBySrc() {
  const names = new Map();
  const files = readdirSync(ownSource, { recursive: true }).filter((f) => f.endsWith('.ts'));
  for (const file of files) {
    const text = readFileSync(join(ownSource, file), 'utf8');
    for (const [, list, from] of text.matchAll(/^import\s+\{([^}]*)\}\s+from\s+'([^']+)';/gm)) {
      if (!builtin.test(from)) continue;
      const set = names.get(from) ?? new Set();
      for (const item of list.split(',').map((i) => i.trim()).filter((i) => i && !i.startsWith('type '))) set.add(item.split(/\s+as\s+/)[0]);
      names.set(from, set);
    }
    for (const [, from] of text.matchAll(/^import\s+(?!type\b)(?:\*|\w+)[^;]*from\s+'([^']+)';/gm)) {
      if (builtin.test(from)) throw new Error(`build: ${file} imports ${from} whole; import its names ({ ... }) instead (scripts/build.mjs)`);
    }
  }
  return names;
}
const builtinsByRequire = {
  name: 'builtins-by-require',
  setup(on) {
    const imported = namesImportedBySrc();
    on.onResolve({ filter: builtin }, (args) => {
      if (args.namespace === 'builtin') return { path: args.path, external: true };
      return args.importer.startsWith(ownSource) ? { path: args.path, namespace: 'builtin' } : undefined;
    });
    on.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => {
      const names = [...(imported.get(args.path) ?? [])];
      return { contents: `const m = require(${JSON.stringify(args.path)});\nexport const { ${names.join(', ')} } = m;\n`, loader: 'js' };
    });
  },
};

// The log formatter's WebAssembly module (src/log/wasm-code.ts), assembled here once instead of
// in JavaScript at every start: that took 4-6 ms of the first relay's start-up, while the program's
// first lines waited in the pipe (docs/logging.md). The bundle gets wasm-code.ts's exports as
// literals: its layout numbers, and moduleBytes() returning the bytes the same source assembles.
const prebuiltWasm = {
  name: 'prebuilt-wasm',
  setup(on) {
    on.onLoad({ filter: /[/]src[/]log[/]wasm-code\.ts$/ }, async (args) => {
      const { outputFiles } = await build({ entryPoints: [args.path], bundle: true, format: 'esm', platform: 'node', write: false, logLevel: 'warning' });
      const code = await import(`data:text/javascript;base64,${Buffer.from(outputFiles[0].text).toString('base64')}`);
      const lines = [];
      for (const [name, value] of Object.entries(code)) {
        if (name === 'moduleBytes') continue;
        if (typeof value !== 'number') throw new Error(`build: wasm-code.ts exports ${name}, which is not a number; only numbers and moduleBytes are carried into the bundle (scripts/build.mjs)`);
        lines.push(`export const ${name} = ${value};`);
      }
      const bytes = Buffer.from(code.moduleBytes()).toString('base64');
      lines.push(`export function moduleBytes() {\n  return Buffer.from(${JSON.stringify(bytes)}, "base64");\n}`);
      return { contents: `${lines.join('\n')}\n`, loader: 'js' };
    });
  },
};

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
  plugins: [builtinsByRequire, prebuiltWasm],
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
  for (const m of text.matchAll(/^import[^;]*?"\.\/([^"]+)";/gm)) visit(here + m[1]);
};
visit('lastcall.js');
// The entry, the start-up chunk and esbuild's runtime helpers (require, CommonJS interop: every
// chunk that uses them imports them from one small chunk).
if (startupFiles.size > 3) {
  console.error(`build: the start-up path loads ${startupFiles.size} files (${[...startupFiles].join(', ')}), not 3: see src/one-chunk.ts`);
  process.exit(1);
}
