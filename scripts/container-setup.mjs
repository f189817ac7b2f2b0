// The container suite's runtime, made from scratch on this machine (no image registry is
// reachable): a private Docker daemon (Debian's docker.io) and the images test/container/ runs.
//
//   node scripts/container-setup.mjs prepare   base image (cached), daemon, image builds, daemon stopped
//   node scripts/container-setup.mjs up        the same, but the daemon stays up: prints DOCKER_HOST
//   node scripts/container-setup.mjs down      stops the daemon `up` left and removes what it made
//   node scripts/container-setup.mjs status    what is cached and whether a daemon answers
//
// test/helpers/container.ts imports this file: each test file starts a daemon (or uses the one
// `up` left running), builds the images (cached layers: seconds) and stops what it started.
// Only Node built-ins: it runs by hand and in .ci/run, before anything else. docs/containers.md
// explains every choice made here.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cache = process.env.LASTCALL_CONTAINER_CACHE ?? '/var/cache/lastcall-container';
const run = process.env.LASTCALL_CONTAINER_RUN ?? '/run/lastcall-container';

/** Where everything lives. The cache survives runs; the run directory is removed by stopDaemon(). */
export const paths = Object.freeze({
  cache,
  /** The daemon's images and layers: the base, the built images and their build cache. */
  dataRoot: join(cache, 'docker'),
  run,
  execRoot: join(run, 'exec'),
  socket: join(run, 'docker.sock'),
  pidfile: join(run, 'docker.pid'),
  /** The daemons' output, kept across runs (a dying daemon says why here); rotated at 8 MiB. */
  log: join(cache, 'dockerd.log'),
});
export const dockerHost = `unix://${paths.socket}`;
/** Debian's client and daemon, by full path: another `docker` may come first on PATH. */
export const dockerBin = '/usr/bin/docker';
const dockerdBin = '/usr/sbin/dockerd';

/** Bump when the base recipe below changes: a new name, so the cached base is made again. */
const RECIPE = 'r1';
const NODE_MAJOR = 24;
const NPM_MAJOR = 11;
const SUITE = 'bookworm';
const mirror = process.env.LASTCALL_CONTAINER_MIRROR ?? 'http://deb.debian.org/debian';
const arch = { x64: 'x64', arm64: 'arm64' }[process.arch];

export const images = Object.freeze({
  /** Dockerfile.example as it is (the demo app as CMD). */
  example: 'lastcall-container/example:latest',
  /** The example plus test programs (sigrecord); same ENTRYPOINT, same USER. */
  fixtures: 'lastcall-container/example-fixtures:latest',
  /** examples/nginx-php-fpm/Dockerfile: lastcall --config /app/lastcall.yaml. */
  webstack: 'lastcall-container/webstack:latest',
});

/** The label test/helpers/container.ts puts on every container it runs. */
export const testLabel = 'lastcall-container-test';

const say = (text) => process.stderr.write(`container-setup: ${text}\n`);

/**
 * What this machine lacks to run the suite, one entry each with how to get it; empty when
 * nothing is missing. The suite fails with this list rather than skipping.
 */
export function missing() {
  const problems = [];
  if (process.getuid?.() !== 0) problems.push('root (dockerd, debootstrap and chroot need it; run as root or with sudo)');
  if (!arch) problems.push(`a supported CPU (x64 or arm64, for Node's binary from the npm registry), not ${process.arch}`);
  const tools = [
    [dockerdBin, 'dockerd (apt-get install docker.io)'],
    [dockerBin, 'the docker client of docker.io (apt-get install docker.io)'],
    ['/usr/sbin/debootstrap', 'debootstrap (apt-get install debootstrap)'],
  ];
  for (const [path, what] of tools) if (!existsSync(path)) problems.push(what);
  for (const [tool, what] of [['runc', 'runc (a dependency of docker.io)'], ['containerd', 'containerd (a dependency of docker.io)'], ['setpriv', 'setpriv (util-linux)'], ['cc', 'cc (apt-get install gcc libc6-dev)'], ['tar', 'tar'], ['chroot', 'chroot (coreutils)'], ['npm', 'npm']]) {
    if (!onPath(tool)) problems.push(what);
  }
  return problems;
}

/** The message when missing() is not empty: one line naming everything at once. */
export function missingMessage(problems) {
  return `the container suite cannot start a container runtime: missing ${problems.join('; ')}. ` +
    'On Debian 12: apt-get install -y docker.io debootstrap gcc libc6-dev (.ci/run does this). See docs/containers.md.';
}

function onPath(tool) {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(join(dir, tool)));
}

// ---------------------------------------------------------------------------------------------
// The base image: a debootstrap minbase bookworm with Node 24 and npm from the npm registry,
// standing in for node:24-bookworm-slim (Debian 12's own nodejs is 18, too old).

/** The cached base tarball, made first if there is none. */
export function ensureBase() {
  mkdirSync(paths.cache, { recursive: true });
  const cached = cachedBase();
  if (cached) return cached;
  const started = Date.now();
  const work = mkdtempSync(join(paths.cache, 'work-'));
  try {
    say(`making the base root filesystem in ${work} (debootstrap ${SUITE} from ${mirror}, Node ${NODE_MAJOR} from the npm registry)`);
    // npm pack resolves the newest matching versions and downloads their tarballs, nothing else.
    const packed = JSON.parse(must('npm', ['pack', '--json', '--silent', `node-linux-${arch}@${NODE_MAJOR}`, `npm@${NPM_MAJOR}`], { cwd: work }).stdout);
    const nodePack = packed.find((p) => p.name === `node-linux-${arch}`);
    const npmPack = packed.find((p) => p.name === 'npm');
    const rootfs = join(work, 'rootfs');
    must('debootstrap', ['--variant=minbase', SUITE, rootfs, mirror]);
    // Node: the binary of the platform package the `node` package installs.
    const nodeDir = join(work, 'node');
    mkdirSync(nodeDir);
    must('tar', ['-xzf', join(work, nodePack.filename), '-C', nodeDir, '--strip-components=1']);
    copyFileSync(join(nodeDir, 'bin', 'node'), join(rootfs, 'usr/local/bin/node'));
    chmodSync(join(rootfs, 'usr/local/bin/node'), 0o755);
    // npm is not in that package: its own package carries every dependency bundled.
    const npmDir = join(rootfs, 'usr/local/lib/node_modules/npm');
    mkdirSync(npmDir, { recursive: true });
    must('tar', ['-xzf', join(work, npmPack.filename), '-C', npmDir, '--strip-components=1']);
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(rootfs, 'usr/local/bin/npm'));
    symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(rootfs, 'usr/local/bin/npx'));
    // This machine reaches the npm registry through a TLS proxy whose CA only the host's bundle
    // has: npm in the image (Dockerfile.example's `npm ci`) trusts what the host trusts.
    const hostBundle = '/etc/ssl/certs/ca-certificates.crt';
    if (existsSync(hostBundle)) {
      mkdirSync(join(rootfs, 'etc/ssl/certs'), { recursive: true });
      copyFileSync(hostBundle, join(rootfs, 'etc/ssl/certs/ca-certificates.crt'));
      mkdirSync(join(rootfs, 'usr/local/etc'), { recursive: true });
      writeFileSync(join(rootfs, 'usr/local/etc/npmrc'), `cafile=${hostBundle}\n`);
    }
    // node:*-slim images have a `node` user (1000:1000); Dockerfile.example runs as it.
    must('chroot', [rootfs, 'groupadd', '--gid', '1000', 'node']);
    must('chroot', [rootfs, 'useradd', '--uid', '1000', '--gid', 'node', '--shell', '/bin/bash', '--create-home', 'node']);
    must('chroot', [rootfs, 'apt-get', 'clean']);
    rmSync(join(rootfs, 'var/lib/apt/lists'), { recursive: true, force: true });
    mkdirSync(join(rootfs, 'var/lib/apt/lists/partial'), { recursive: true });
    const nodeVersion = must('chroot', [rootfs, '/usr/local/bin/node', '--version']).stdout.trim();
    const npmVersion = must('chroot', [rootfs, '/usr/local/bin/node', '/usr/local/bin/npm', '--version']).stdout.trim();
    if (!nodeVersion.startsWith(`v${NODE_MAJOR}.`)) throw new Error(`the base's node says ${nodeVersion}, expected v${NODE_MAJOR}.x`);
    rmSync(join(rootfs, 'root/.npm'), { recursive: true, force: true }); // that npm --version's logs
    const name = `base-${SUITE}-node${nodeVersion.slice(1)}-npm${npmVersion}-${RECIPE}-${arch}.tar`;
    const tarball = join(paths.cache, name);
    must('tar', ['-C', rootfs, '--numeric-owner', '-cf', `${tarball}.partial`, '.']);
    renameSync(`${tarball}.partial`, tarball);
    say(`base ${name} made in ${Math.round((Date.now() - started) / 1000)} s`);
    return baseOf(tarball);
  } finally {
    // debootstrap mounts /proc and /sys inside while it runs; never recurse into a mount.
    unmountUnder(work);
    rmSync(work, { recursive: true, force: true });
  }
}

function cachedBase() {
  const pattern = new RegExp(`^base-${SUITE}-node${NODE_MAJOR}\\.[0-9.]+-npm[0-9.]+-${RECIPE}-${arch}\\.tar$`);
  const found = readdirSync(paths.cache).filter((name) => pattern.test(name)).sort();
  return found.length ? baseOf(join(paths.cache, found.at(-1))) : null;
}

function baseOf(tarball) {
  const name = tarball.split('/').at(-1).replace(/^base-/, '').replace(/\.tar$/, '');
  return { tarball, tag: `lastcall-container/base:${name}` };
}

// ---------------------------------------------------------------------------------------------
// The daemon: private sockets, state and pid file, so it never meets a system-wide Docker.

/** GET /_ping on the private socket: true when a daemon answers. */
export function ping(timeoutMs = 1000) {
  return new Promise((resolve) => {
    const req = request({ socketPath: paths.socket, path: '/_ping', timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/**
 * Starts dockerd on the private socket, unless one already answers there (left by `up`); then
 * `startedHere` is false and the caller must leave it running. With `tiedToCaller`, the daemon
 * gets SIGTERM if the caller dies (setpriv --pdeathsig), so a test run killed by its timeout
 * does not leave a daemon behind.
 */
export async function startDaemon({ tiedToCaller = true } = {}) {
  if (await ping()) return { pid: readPid(), startedHere: false };
  // A daemon still shutting down (its test run was killed, and --pdeathsig told it to stop):
  // give it the time it takes to stop its containers.
  const stale = readPid();
  const staleDeadline = Date.now() + 60_000;
  while (stale && ours(stale) && Date.now() < staleDeadline) await sleep(100);
  if (stale && ours(stale)) throw new Error(`a dockerd (pid ${stale}, ${paths.pidfile}) is running but does not answer on ${paths.socket}; stop it with \`node scripts/container-setup.mjs down\``);
  cleanRunState();
  mkdirSync(paths.execRoot, { recursive: true });
  mkdirSync(paths.dataRoot, { recursive: true });
  // A config file of its own: a /etc/docker/daemon.json on this machine must not change the
  // daemon, and its identity key goes to the cache, not /etc/docker/key.json (no flag for that).
  const config = join(paths.run, 'daemon.json');
  writeFileSync(config, `${JSON.stringify({ 'deprecated-key-path': join(paths.cache, 'key.json') })}\n`);
  const argv = [
    dockerdBin,
    '--config-file', config,
    '--data-root', paths.dataRoot,
    '--exec-root', paths.execRoot,
    '-H', dockerHost,
    '--pidfile', paths.pidfile,
    // No docker0 bridge, no iptables chains, no NAT: containers use --network none or host
    // (the only network here is loopback), so there is nothing of the host's network to undo.
    '--bridge', 'none',
    '--iptables=false',
    '--ip-masq=false',
    '--userland-proxy=false',
    '--log-level', 'info',
  ];
  // env and setpriv both exec: the pid spawned is dockerd's.
  const [command, ...args] = tiedToCaller ? ['setpriv', '--pdeathsig', 'SIGTERM', '--', ...argv] : argv;
  const full = cleanly(command, args);
  if (existsSync(paths.log) && statSync(paths.log).size > 8 << 20) renameSync(paths.log, `${paths.log}.1`);
  appendFileSync(paths.log, `--- ${new Date().toISOString()}: started by pid ${process.pid} (${process.argv.slice(1).join(' ')})\n`);
  const log = openSync(paths.log, 'a');
  const child = spawn(full[0], full.slice(1), { stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  child.unref();
  const deadline = Date.now() + 30_000;
  while (!(await ping(500))) {
    if (exited) throw new Error(`dockerd exited at start (${JSON.stringify(exited)}); its log ${paths.log} ends:\n${tail(paths.log)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`dockerd did not answer on ${paths.socket} within 30 s; its log ends:\n${tail(paths.log)}`);
    }
    await sleep(50);
  }
  // Containers a killed test run could not remove (stopped when the daemon stopped).
  await docker(['container', 'prune', '--force', '--filter', `label=${testLabel}`]);
  return { pid: child.pid, startedHere: true };
}

/**
 * Stops the daemon (SIGTERM: it stops what still runs, containerd with it), waits for it to exit,
 * then removes what it made outside the cache: its mounts (network namespaces under the exec
 * root, overlay mounts of containers), its socket, pid file and run directory.
 */
export async function stopDaemon(pid) {
  if (pid && ours(pid)) {
    appendFileSync(paths.log, `--- ${new Date().toISOString()}: SIGTERM to dockerd ${pid} from pid ${process.pid}\n`);
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 45_000;
    while (alive(pid) && Date.now() < deadline) await sleep(50);
    if (alive(pid)) {
      say(`dockerd (pid ${pid}) did not stop within 45 s of SIGTERM: SIGKILL`);
      process.kill(pid, 'SIGKILL');
      while (alive(pid)) await sleep(50);
    }
  }
  // containerd-shims outlive the daemon only if a container was still running: name them.
  const left = processesUsing(paths.execRoot);
  if (left.length) say(`still running after dockerd stopped (started by it): ${left.map((p) => `${p.pid} ${p.cmd}`).join('; ')}`);
  cleanRunState();
}

function cleanRunState() {
  unmountUnder(paths.run);
  unmountUnder(paths.dataRoot);
  rmSync(paths.run, { recursive: true, force: true });
}

function readPid() {
  try {
    return Number(readFileSync(paths.pidfile, 'utf8').trim()) || null;
  } catch {
    return null;
  }
}

/** A live dockerd on this data root: never signal a pid from an old pid file that is now another process. */
function ours(pid) {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return alive(pid) && argv[0] === dockerdBin && argv.includes(paths.dataRoot);
  } catch {
    return false;
  }
}

/** Alive and not a zombie: a stopped daemon whose parent has not reaped it yet is gone. */
function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function processesUsing(prefix) {
  const found = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (cmd.includes(prefix) && alive(Number(name))) found.push({ pid: Number(name), cmd });
    } catch {} // gone while we looked
  }
  return found;
}

/** Unmounts every mount point at or below `prefix`, deepest first (lazily: a busy one goes once free). */
function unmountUnder(prefix) {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point) => point && (point === prefix || point.startsWith(`${prefix}/`)))
    .map((point) => point.replace(/\\040/g, ' '));
  for (const point of mounts.sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', point]);
}

// ---------------------------------------------------------------------------------------------
// One user of the data root at a time: two daemons on one data root would corrupt it, and a run
// that stopped the daemon another run was using would fail that run. Test files of two runs on
// one machine (npm test in two shells) take turns, file by file.

const lockDir = join(cache, 'lock');

/** Waits (bounded) until this process holds the lock; resolves with the function that releases it. */
export async function lock({ boundMs = 180_000 } = {}) {
  mkdirSync(paths.cache, { recursive: true });
  const me = `${process.pid} ${startTime(process.pid)}`;
  const deadline = Date.now() + boundMs;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'owner'), `${me}\n${process.argv.slice(1).join(' ')}\n`);
      return () => {
        if (readOwner()?.id === me) rmSync(lockDir, { recursive: true, force: true });
      };
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    const owner = readOwner();
    // The owner is gone (killed, or `up` that has exited): the lock is stale.
    const gone = owner ? startTime(owner.pid) !== owner.start : Date.now() - statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs > 10_000;
    if (gone) {
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`another run of the container suite (pid ${owner?.pid}: ${owner?.what}) has held ${lockDir} for ${boundMs / 1000} s`);
    await sleep(250);
  }
}

function readOwner() {
  try {
    const [id, what] = readFileSync(join(lockDir, 'owner'), 'utf8').split('\n');
    const [pid, start] = id.split(' ');
    return { id, pid: Number(pid), start, what };
  } catch {
    return null;
  }
}

/** A process's start time (clock ticks since boot): with the pid, names it even after pid reuse. */
function startTime(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Images: the base imported once, the examples built from the checkout with the base as BASE.

/** Runs the docker client against the private daemon; resolves with its output, never rejects. */
export function docker(args, { input, timeoutMs = 600_000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(dockerBin, args, { env: dockerEnv(), stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    if (input) input.pipe(child.stdin);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The environment the docker client runs in: the private daemon, the classic builder. */
export function dockerEnv() {
  const env = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: process.env.HOME ?? '/root', DOCKER_HOST: dockerHost, DOCKER_BUILDKIT: '0' };
  if (process.env.TERM) env.TERM = process.env.TERM;
  return env;
}

/** Imports the base tarball as an image, unless the daemon already has it. */
export async function importBase(base) {
  if ((await docker(['image', 'inspect', base.tag])).code === 0) return;
  say(`importing ${base.tarball} as ${base.tag}`);
  const { createReadStream } = await import('node:fs');
  const result = await docker(['import', '--change', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', '--change', 'CMD ["node"]', '-', base.tag], { input: createReadStream(base.tarball) });
  if (result.code !== 0) throw new Error(`docker import ${base.tarball} failed: ${result.stderr}`);
}

/**
 * Builds the suite's images from the checkout: Dockerfile.example, the fixtures layer over it,
 * and examples/nginx-php-fpm/Dockerfile, each with `--build-arg BASE=<the local base>`. Builds
 * use the host's network (apt-get and npm ci reach their registries; there is no bridge). Layers
 * are cached in the data root, so a build with nothing changed takes seconds.
 */
export async function buildImages(base) {
  await build('example', ['-f', join(root, 'Dockerfile.example'), '--build-arg', `BASE=${base.tag}`, '-t', images.example, root]);
  await build('webstack', ['-f', join(root, 'examples/nginx-php-fpm/Dockerfile'), '--build-arg', `BASE=${base.tag}`, '-t', images.webstack, root]);
  // The test programs, as one more layer over the example: a static binary runs on any base.
  const context = mkdtempSync(join(paths.cache, 'fixtures-'));
  try {
    must('cc', ['-O2', '-Wall', '-static', '-o', join(context, 'sigrecord'), join(root, 'test/fixtures/sigrecord.c')]);
    writeFileSync(join(context, 'Dockerfile'), `FROM ${images.example}\nCOPY sigrecord /usr/local/bin/sigrecord\n`);
    await build('fixtures', ['-t', images.fixtures, context]);
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  // Superseded layers of older checkouts pile up in the data root; a week is plenty for reuse.
  await docker(['image', 'prune', '--force', '--filter', 'until=168h']);
}

async function build(name, args) {
  const started = Date.now();
  const result = await docker(['build', '--network', 'host', ...args]);
  const log = join(paths.cache, `build-${name}.log`);
  writeFileSync(log, result.stdout + result.stderr);
  if (result.code !== 0) throw new Error(`docker build of ${name} failed (exit ${result.code}); ${log} ends:\n${tail(log, 30)}`);
  const steps = (result.stdout.match(/^Step \d+\//gm) ?? []).length;
  const cached = (result.stdout.match(/^ ---> Using cache$/gm) ?? []).length;
  say(`built ${name} in ${((Date.now() - started) / 1000).toFixed(1)} s (${cached} of ${steps} steps cached)`);
}

/** Everything a test file needs: base, daemon (started here unless one answers), images. */
export async function prepare({ tiedToCaller = true } = {}) {
  const problems = missing();
  if (problems.length) throw new Error(missingMessage(problems));
  const base = ensureBase();
  const daemon = await startDaemon({ tiedToCaller });
  try {
    await importBase(base);
    await buildImages(base);
  } catch (error) {
    if (daemon.startedHere) await stopDaemon(daemon.pid);
    throw error;
  }
  return { base, daemon };
}

// ---------------------------------------------------------------------------------------------

/**
 * `env -i NAME=VALUE... COMMAND ARGS...`: the caller's environment less what a test runner adds.
 * Under tap, a hook gives every spawned process NODE_OPTIONS with tap's loaders (by absolute
 * path) whatever env is passed to spawn; the Node inside the chroot cannot load them. env execs
 * COMMAND with only the names given.
 */
function cleanly(command, args) {
  const runnerOnly = /^(NODE_OPTIONS|NODE_CHANNEL_FD|NODE_V8_COVERAGE|TS_NODE_.*|TAP.*|_TAPJS_.*)$/;
  const env = Object.entries(process.env).filter(([name, value]) => value !== undefined && !runnerOnly.test(name));
  return ['env', '-i', ...env.map(([name, value]) => `${name}=${value}`), command, ...args];
}

function must(command, args, { cwd } = {}) {
  const argv = cleanly(command, args);
  const result = spawnSync(argv[0], argv.slice(1), { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.split('\n').slice(-30).join('\n');
    throw new Error(`${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}):\n${output}`);
  }
  return result;
}

function tail(file, lines = 20) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function main(command) {
  const started = Date.now();
  switch (command) {
    case 'prepare': {
      const release = await lock();
      try {
        const { daemon } = await prepare({ tiedToCaller: true });
        if (daemon.startedHere) await stopDaemon(daemon.pid);
      } finally {
        release();
      }
      say(`ready in ${Math.round((Date.now() - started) / 1000)} s: ${Object.values(images).join(', ')}`);
      return 0;
    }
    case 'up': {
      // Held while the daemon starts and the images build; test files use the daemon after.
      const release = await lock();
      const { daemon } = await prepare({ tiedToCaller: false }).finally(release);
      say(`dockerd ${daemon.startedHere ? 'started' : 'already running'} (pid ${daemon.pid}); stop it with: node scripts/container-setup.mjs down`);
      console.log(`export DOCKER_HOST=${dockerHost}; alias docker=${dockerBin}`);
      return 0;
    }
    case 'down': {
      const release = await lock();
      await stopDaemon(readPid()).finally(release);
      say('dockerd stopped, run directory removed; the cache stays in ' + paths.cache);
      return 0;
    }
    case 'status': {
      const base = existsSync(paths.cache) ? cachedBase() : null;
      say(`cache ${paths.cache}: ${base ? `base ${base.tarball} (${Math.round(statSync(base.tarball).size / 2 ** 20)} MiB)` : 'no base yet'}`);
      say(`daemon on ${paths.socket}: ${(await ping()) ? `answers (pid ${readPid()})` : 'not running'}`);
      const problems = missing();
      if (problems.length) say(missingMessage(problems));
      return 0;
    }
    default:
      process.stderr.write('usage: node scripts/container-setup.mjs prepare|up|down|status\n');
      return 2;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv[2]).then(
    (code) => (process.exitCode = code),
    (error) => {
      say(`error: ${error.message}`);
      process.exitCode = 1;
    },
  );
}
