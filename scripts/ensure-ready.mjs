// Makes a fresh clone runnable: installs npm dependencies if they are missing or stale,
// then builds dist/ if any source is newer. Uses only Node built-ins, since it runs before
// anything is installed. `npm test` and `npm run demo` both start here.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { newest } from './newest.mjs';

const root = new URL('..', import.meta.url).pathname;
const at = (p) => join(root, p);
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);


const installed = at('node_modules/.package-lock.json');
if (!existsSync(installed) || mtime(installed) < mtime(at('package-lock.json'))) {
  console.error('lastcall: installing npm dependencies (npm ci)...');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
}
if (mtime(at('dist/lastcall.js')) < Math.max(newest(at('src')), mtime(at('scripts/build.mjs')), mtime(at('package.json')))) {
  execFileSync(process.execPath, [at('scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
}
