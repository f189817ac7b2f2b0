// Everything a run needs before the first measurement: tools on PATH, the C helpers built,
// a private copy of lastcall, pm2 installed in bench/.peers. Fails with one line naming the fix.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newest } from '../../scripts/newest.mjs';

export const bench = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
export const root = join(bench, '..');
const build = join(bench, '.build');
const peersDir = join(bench, '.peers');
export const PM2_VERSION = '7.0.4';

export class SetupError extends Error {}

/** Absolute path of a command on PATH, or undefined. */
export function which(name) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const path = join(dir, name);
    try {
      if (statSync(path).isFile()) return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The tools every measure needs, and the Debian packages of the peers. */
export function findTools() {
  const wanted = { unshare: 'util-linux', cc: 'gcc', hyperfine: 'hyperfine', tini: 'tini', 'dumb-init': 'dumb-init', catatonit: 'catatonit', supervisord: 'supervisor' };
  const tools = {};
  const missing = [];
  for (const [tool, pkg] of Object.entries(wanted)) {
    tools[tool] = which(tool);
    if (!tools[tool]) missing.push(pkg);
  }
  if (missing.length) throw new SetupError(`missing ${missing.join(', ')}: apt-get install -y ${[...new Set(missing)].join(' ')}`);
  for (const sys of ['true', 'sleep', 'sh']) {
    tools[sys] = which(sys);
    if (!tools[sys]) throw new SetupError(`\`${sys}\` is not on PATH`);
  }
  return tools;
}

/** Builds bench/c/*.c into bench/.build/ when missing or older than the source. */
export function buildHelpers(cc) {
  mkdirSync(build, { recursive: true });
  const bins = {};
  for (const file of readdirSync(join(bench, 'c')).filter((f) => f.endsWith('.c'))) {
    const name = file.slice(0, -2);
    const source = join(bench, 'c', file);
    const binary = join(build, name);
    bins[name] = binary;
    if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) continue;
    // Static where it matters: the child whose first instruction is timed runs no dynamic loader.
    const flags = name === 'firstlight' ? ['-static'] : [];
    const result = spawnSync(cc, ['-O2', '-Wall', ...flags, '-o', `${binary}.tmp`, source], { encoding: 'utf8' });
    if (result.status !== 0) throw new SetupError(`cannot build ${file} (${result.stderr.trim().split('\n')[0]}); a static build needs libc6-dev`);
    execFileSync('mv', ['-f', `${binary}.tmp`, binary]);
  }
  return bins;
}

/**
 * A private copy of bin/ and dist/, so a rebuild in the middle of a run (others work on the same
 * checkout) cannot mix two versions in one table. dist/ is built only if it is missing; a dist/
 * older than src/ is measured as it is, and the header says so.
 *
 * The copy lives at /tmp/lc-XXXXXX, as deep and about as long as Dockerfile.example's
 * /opt/lastcall, because the install path can change lastcall's RSS: Node converts every module
 * URL to a path character by character (getPathFromURLPosix), and with ten modules on the
 * start-up path (build db64f29) a 4-level-deep copy made that function hot enough for TurboFan,
 * which touched ~4 MB more of the node binary (47.1 MB at 2 levels, 51.2 MB at 4). With two
 * modules (ef8536d) both gave 46.0 MB; see docs/performance.md.
 */
export function snapshotLastcall() {
  const dist = join(root, 'dist', 'lastcall.js');
  if (!existsSync(dist)) {
    process.stderr.write('bench: dist/ is missing: npm run build\n');
    execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
  }
  const builtAt = statSync(dist).mtimeMs;
  const stale = newest(join(root, 'src')) > builtAt;
  const dir = mkdtempSync('/tmp/lc-');
  cpSync(join(root, 'bin'), join(dir, 'bin'), { recursive: true });
  cpSync(join(root, 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(root, 'package.json'), join(dir, 'package.json')); // "type": "module"
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules')); // koffi
  return { dir, bin: join(dir, 'bin', 'lastcall.js'), builtAt, stale };
}


/** pm2-runtime from npm, in bench/.peers (git-ignored); installed on first use. */
export function ensurePm2() {
  const runtime = join(peersDir, 'node_modules', 'pm2', 'bin', 'pm2-runtime');
  if (!existsSync(runtime)) {
    process.stderr.write(`bench: installing pm2@${PM2_VERSION} into bench/.peers (npm install --prefix bench/.peers)\n`);
    // npm keeps the caller's environment: a TLS proxy may need NODE_EXTRA_CA_CERTS here.
    const result = spawnSync('npm', ['install', '--prefix', peersDir, `pm2@${PM2_VERSION}`, '--no-audit', '--no-fund', '--loglevel=error'], { stdio: 'inherit' });
    if (result.status !== 0 || !existsSync(runtime)) throw new SetupError(`cannot install pm2: npm install --prefix bench/.peers pm2@${PM2_VERSION}`);
  }
  return runtime;
}

/** A scratch directory for FIFOs, config files and result files; removed at exit. */
export function scratch() {
  const dir = mkdtempSync(join(tmpdir(), 'lastcall-bench-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The environment of every process in the bench: what a container has (PATH, HOME), nothing
 * from this shell. In particular NODE_EXTRA_CA_CERTS (40-60 ms per Node start here) and
 * NODE_OPTIONS are unset.
 */
export function containerEnv() {
  return { PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: process.env.HOME ?? '/' };
}

/** unshare's argv for a fresh PID namespace with its own /proc; as non-root, in a user namespace. */
export function namespaceArgv(unshare) {
  const asRoot = process.getuid?.() === 0;
  return [unshare, ...(asRoot ? [] : ['--user', '--map-root-user']), '--pid', '--fork', '--mount-proc', '--kill-child=SIGKILL', '--'];
}
