#!/usr/bin/env node
// Where lastcall's start-up goes, module by module: hyperfine times `node FILE` for an empty ES
// module, for each chunk that dist/lastcall.js imports statically (with the chunks it imports in
// turn), and for dist/lastcall.js itself (loaded, not run). The difference to the empty module is
// what loading that part costs before the program can be spawned.
//
//   node bench/profile/startup-parts.mjs [--runs 20]
//
// Needs hyperfine and a built dist/. NODE_EXTRA_CA_CERTS and NODE_OPTIONS are unset, as in the bench.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { containerEnv, root, which } from '../lib/setup.mjs';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' } } });
const hyperfine = which('hyperfine');
if (!hyperfine) {
  console.error('startup-parts: hyperfine is missing (apt-get install hyperfine)');
  process.exit(2);
}
const dist = join(root, 'dist');
const entry = join(dist, 'lastcall.js');
const source = readFileSync(entry, 'utf8');
const chunks = [...new Set([...source.matchAll(/(?:from|import)\s+"\.\/(chunks\/[^"]+)"/g)].map((m) => m[1]))];
const scratch = mkdtempSync(join(tmpdir(), 'lastcall-parts-'));
const empty = join(scratch, 'empty.mjs');
writeFileSync(empty, '');
const json = join(scratch, 'out.json');

const parts = [{ name: 'empty ES module', path: empty }];
for (const chunk of chunks) {
  const text = readFileSync(join(dist, chunk), 'utf8');
  const packages = [...new Set([...text.matchAll(/\/\/ node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].map((m) => m[1]))];
  parts.push({ name: `${chunk}${packages.length ? ` (bundles ${packages.join(', ')})` : ''}`, path: join(dist, chunk) });
}
parts.push({ name: 'dist/lastcall.js (everything above, loaded)', path: entry });

const argv = ['-N', '--warmup', '3', '--runs', values.runs, '--export-json', json, '--style', 'none'];
for (const p of parts) argv.push('--command-name', p.name, `${process.execPath} ${p.path}`);
const result = spawnSync(hyperfine, argv, { env: containerEnv(), stdio: ['ignore', 'ignore', 'inherit'] });
if (result.status !== 0) process.exit(1);
const results = JSON.parse(readFileSync(json, 'utf8')).results;
rmSync(scratch, { recursive: true, force: true });

const base = results[0].median * 1000;
console.log(`node ${process.version}, ${values.runs} runs each, medians; dist built ${statSync(entry).mtime.toISOString().slice(0, 16)}\n`);
console.log('| module | size (kB) | node FILE (ms) | over an empty module (ms) |');
console.log('| :--- | ---: | ---: | ---: |');
results.forEach((r, i) => {
  const size = i === 0 ? 0 : statSync(parts[i].path).size / 1024;
  console.log(`| ${parts[i].name} | ${size.toFixed(1)} | ${(r.median * 1000).toFixed(1)} | ${i === 0 ? '' : `+${(r.median * 1000 - base).toFixed(1)}`} |`);
});
