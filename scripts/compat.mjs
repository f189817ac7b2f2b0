#!/usr/bin/env node
// Runs the black-box PID-1 suite (test/pid1/*.test.ts) once per init (lastcall, tini,
// dumb-init) and records which behaviours each one has. The same tests, unchanged, with
// LASTCALL_TEST_INIT naming the init (test/helpers/init.ts); tap's raw TAP output is parsed
// for the result of every top-level subtest of every file.
//
//   node scripts/compat.mjs                       run all three, rewrite the table in docs/compat.md
//   node scripts/compat.mjs --check               compare with test/compat-expectations.json;
//                                                 exit 1 with a diff if anything differs
//   node scripts/compat.mjs --write-expectations  run the peers, rewrite the expectations file
//                                                 (reasons already written are kept)
//   --inits=tini,dumb-init                        only these inits (any mode)
//   --reuse                                       read the last run's TAP from .tap/compat/
//   FILE...                                       only these test files (names or paths)
//
// Built-ins only, plus tap's own CLI from node_modules. Runs with the Node that runs it.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, release } from 'node:os';
import { basename, join, relative } from 'node:path';
import { createInterface } from 'node:readline';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const suiteDir = join(root, 'test', 'pid1');
const expectationsPath = join(root, 'test', 'compat-expectations.json');
const docPath = join(root, 'docs', 'compat.md');
const rawDir = join(root, '.tap', 'compat'); // .tap/ is git-ignored
const ALL_INITS = ['lastcall', 'tini', 'dumb-init'];
const PEERS = ['tini', 'dumb-init'];
const BEGIN = '<!-- compat:begin -->';
const END = '<!-- compat:end -->';
const MARK = { pass: '✅', fail: '❌', skip: '➖', todo: '🚧', unreliable: '⚠️' };
const KINDS = ['fail', 'unreliable']; // expectation kinds, per peer

/** A problem with the environment or the run itself, not a behaviour difference: exit 2. */
class RunError extends Error {}

const USAGE = `Usage: node scripts/compat.mjs [--check | --write-expectations] [--inits=a,b] [FILE...]
  (no mode)             run the pid1 suite per init, rewrite the table in docs/compat.md
  --check               compare with test/compat-expectations.json; exit 1 on any difference
  --write-expectations  run tini and dumb-init, rewrite test/compat-expectations.json
  --inits=LIST          comma-separated inits (default: lastcall,tini,dumb-init; peers only
                        for --write-expectations)
  --reuse               do not run the tests: read the last run of each init from .tap/compat/
  FILE...               only these test files of test/pid1 (names or paths)`;

function parseArgs(argv) {
  const options = { mode: 'table', inits: undefined, files: [], reuse: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--check') options.mode = 'check';
    else if (arg === '--write-expectations') options.mode = 'write-expectations';
    else if (arg === '--reuse') options.reuse = true;
    else if (arg === '--inits' || arg.startsWith('--inits=')) {
      const value = arg === '--inits' ? argv[++i] : arg.slice('--inits='.length);
      if (!value) throw new RunError(`--inits needs a comma-separated list like tini,dumb-init\n${USAGE}`);
      options.inits = value.split(',').map((s) => s.trim()).filter(Boolean);
    } else if (arg === '-h' || arg === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else if (arg.startsWith('-')) throw new RunError(`Unknown option \`${arg}\`\n${USAGE}`);
    else options.files.push(arg);
  }
  options.inits ??= options.mode === 'write-expectations' ? PEERS : ALL_INITS;
  const unknown = options.inits.filter((i) => !ALL_INITS.includes(i));
  if (unknown.length) throw new RunError(`Unknown init ${unknown.map((u) => `\`${u}\``).join(', ')}: expected some of ${ALL_INITS.join(', ')}`);
  if (options.mode === 'write-expectations' && options.inits.includes('lastcall'))
    throw new RunError('--write-expectations is for the peers only: lastcall is expected to pass everything');
  return options;
}

/** The suite as it is now: every test/pid1/*.test.ts, or the ones named. Never a fixed list. */
function suiteFiles(named) {
  const all = readdirSync(suiteDir).filter((f) => f.endsWith('.test.ts')).sort();
  if (all.length === 0) throw new RunError(`no *.test.ts files in ${relative(root, suiteDir)}`);
  if (named.length === 0) return all;
  return named.map((n) => {
    const name = basename(n);
    if (!all.includes(name)) throw new RunError(`\`${n}\` is not a test file of ${relative(root, suiteDir)} (have: ${all.join(', ')})`);
    return name;
  });
}

// --- versions --------------------------------------------------------------------------

/** git's answer, or undefined where there is no git or no repository. */
function git(args) {
  const result = spawnSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** Each init's version; an init that is not installed is an error, never a skip. */
function initVersions(inits) {
  const versions = {};
  for (const init of inits) {
    if (init === 'lastcall') {
      const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
      const rev = git(['rev-parse', '--short', 'HEAD']);
      const dirty = git(['status', '--porcelain', '--untracked-files=no']);
      versions.lastcall = `${pkg.version}${rev ? ` (git ${rev}${dirty ? ', uncommitted changes' : ''})` : ''}`;
      continue;
    }
    // dumb-init prints its version on stderr and tini on stdout; both exit 0.
    const result = spawnSync(init, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (result.error?.code === 'ENOENT') throw new RunError(`${init} is not installed (apt-get install -y ${init}): the compat run needs every init it names`);
    if (result.error || result.status !== 0) throw new RunError(`\`${init} --version\` failed: ${result.error?.message ?? `${result.stdout}${result.stderr}`.trim()}`);
    const text = `${result.stdout}${result.stderr}`.trim();
    versions[init] = text.match(/(\d+\.\d+(?:\.\d+)?)/)?.[1] ?? (text || 'unknown version');
  }
  return versions;
}

function machine() {
  const osRelease = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  const distro = osRelease.match(/^PRETTY_NAME="?([^"\n]*)"?/m)?.[1] ?? 'Linux';
  return `${distro}, kernel ${release()}, ${arch()}, ${cpus().length} CPUs, Node ${process.version}`;
}

// --- running tap and reading its TAP ---------------------------------------------------

/** The environment for tap: ours, less anything that would make it a child of another tap run. */
function tapEnv(init) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (k !== 'TAP' && !k.startsWith('TAP_') && !k.startsWith('LASTCALL_')) env[k] = v;
  env.LASTCALL_TEST_INIT = init;
  return env;
}

/** TAP escapes '#' and '\' in names; a directive (time, SKIP, TODO) follows an unescaped '#'. */
function splitPoint(rest) {
  let name = '';
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (c === '\\' && i + 1 < rest.length) name += rest[++i];
    else if (c === '#') return { name: name.trim(), directive: rest.slice(i + 1).trim() };
    else name += c;
  }
  return { name: name.trim(), directive: '' };
}

function pointStatus(ok, directive) {
  if (/^skip\b/i.test(directive)) return 'skip';
  if (/^todo\b/i.test(directive)) return 'todo';
  return ok ? 'pass' : 'fail';
}

const POINT = /^(not )?ok\b(?:\s+\d+)?(?:\s+-)?\s*(.*)$/;

/**
 * Reads the runner's TAP line by line. With the tap reporter, each test file is a subtest
 * at the top level ("# Subtest: test/pid1/x.test.ts" ... "ok N - test/pid1/x.test.ts"),
 * printed whole when the file ends, even when files run in parallel; the file's own
 * top-level subtests are its points at four spaces of indentation.
 */
class TapReader {
  files = new Map(); // file -> { file, path, points: [{ name, status, detail }], plan, status, detail }
  runner = []; // top-level points that are not a file's result (tap's own "timeout!")
  bailedOut = false;
  current = undefined; // the file being read
  block = []; // lines since the last point: the nested subtest's own assertions
  after = undefined; // the point just read, whose YAML diagnostics may follow
  diag = undefined; // the point whose YAML diagnostics are being read

  line(raw) {
    const line = raw.replace(/\r$/, '');
    if (this.diag) {
      this.diag.detail.push(line);
      if (line.trim() === '...') this.diag = undefined;
      return;
    }
    const after = this.after;
    this.after = undefined;
    if (after && line.trim() === '---') {
      this.diag = after;
      after.detail.push(line);
      return;
    }
    if (/^Bail out!/.test(line)) this.bailedOut = true;
    let m;
    if ((m = line.match(/^# Subtest: (.*)$/))) {
      const path = m[1].trim();
      this.current = { file: basename(path), path, points: [], plan: undefined, status: undefined, detail: [] };
      this.files.set(this.current.file, this.current);
      this.block = [];
      return;
    }
    if (!line.startsWith(' ') && (m = line.match(POINT))) {
      const { name, directive } = splitPoint(m[2]);
      const point = { name, status: pointStatus(!m[1], directive), detail: [line] };
      this.after = point;
      const entry = this.current;
      this.current = undefined;
      if (entry && name === entry.path) {
        entry.status = point.status;
        entry.detail = point.detail;
        this.onFileEnd?.(entry);
        return;
      }
      // Not the file's own result: seen when tap's runner times a file out while another
      // file's output is being printed ("not ok 10 - timeout!" with "expired: <file>").
      // The file being printed then gets no result line; its subtests and plan still count.
      this.runner.push(point);
      if (entry) this.onFileEnd?.(entry);
      return;
    }
    if (!this.current) return;
    if ((m = line.match(/^    1\.\.(\d+)/))) this.current.plan = Number(m[1]);
    if (line.startsWith('    ') && line[4] !== ' ' && (m = line.slice(4).match(POINT))) {
      const { name, directive } = splitPoint(m[2]);
      const point = { name, status: pointStatus(!m[1], directive), detail: [...this.block, line] };
      this.current.points.push(point);
      this.block = [];
      this.after = point;
      return;
    }
    this.block.push(line);
  }
}

/**
 * Runs the chosen files under one init with tap's default parallelism. Returns per-file
 * results and what the run was (version, date, machine), saved beside the raw TAP so that
 * --reuse reports the run it read, not the checkout as it is now.
 */
async function runInit(init, files, reuse, version) {
  const rawPath = join(rawDir, `${init}.tap`);
  const aboutPath = join(rawDir, `${init}.json`);
  const reader = new TapReader();
  if (reuse) {
    if (!existsSync(rawPath)) throw new RunError(`--reuse: no earlier run of ${init} (${relative(root, rawPath)} is missing)`);
    console.log(`compat: ${init}: reading the last run from ${relative(root, rawPath)}`);
    for (const line of readFileSync(rawPath, 'utf8').split('\n')) reader.line(line);
    if (reader.bailedOut) throw new RunError(`tap bailed out in the run saved in ${relative(root, rawPath)}`);
    const about = existsSync(aboutPath) ? JSON.parse(readFileSync(aboutPath, 'utf8')) : { version, date: 'unknown date', machine: machine() };
    return { results: resultsOf(reader, files), about };
  }
  const about = { version, date: new Date().toISOString().slice(0, 10), machine: machine() };
  const tapBin = join(root, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs');
  if (!existsSync(tapBin)) throw new RunError(`tap is not installed (${relative(root, tapBin)} missing): run npm ci`);
  const args = [tapBin, '--reporter=tap', '--no-color', '--disable-coverage', ...files.map((f) => join('test', 'pid1', f))];
  console.log(`\ncompat: ${init}: running ${files.length} file(s): ${files.join(' ')}`);
  const started = Date.now();
  const child = spawn(process.execPath, args, { cwd: root, env: tapEnv(init), stdio: ['ignore', 'pipe', 'inherit'] });
  const raw = [];
  reader.onFileEnd = (entry) => {
    const failed = entry.points.filter((p) => p.status === 'fail').length;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const verdict = entry.status === 'fail' || failed ? 'not ok' : entry.status === undefined ? 'no result line' : 'ok';
    console.log(`compat: ${init}: ${verdict.padEnd(6)} ${entry.file}: ${entry.points.length} subtests, ${failed} failed (at ${seconds}s)`);
  };
  const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
  lines.on('line', (l) => {
    raw.push(l);
    reader.line(l);
  });
  const [code, signal] = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, s) => resolve([c, s]));
  });
  mkdirSync(rawDir, { recursive: true });
  writeFileSync(rawPath, `${raw.join('\n')}\n`);
  writeFileSync(aboutPath, `${JSON.stringify(about)}\n`);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`compat: ${init}: tap exited ${signal ?? code} after ${seconds}s; raw TAP in ${relative(root, rawPath)}`);
  if (signal) throw new RunError(`tap was killed by ${signal} while running ${init}`);
  if (reader.bailedOut) throw new RunError(`tap bailed out while running ${init} (see ${relative(root, rawPath)})`);
  const results = resultsOf(reader, files);
  // tap exits non-zero whenever a test fails, which the peers are expected to do; but a
  // non-zero exit with every file passing means the run itself went wrong.
  const anyFailed = [...results.values()].some((ps) => ps.some((p) => p.status === 'fail'));
  if (code !== 0 && !anyFailed) throw new RunError(`tap exited ${code} for ${init} although every file passed (see ${relative(root, rawPath)})`);
  return { results, about };
}

const NOT_REPORTED = '(test file did not report)';

/** Each file's top-level subtests, plus a row for a file that failed without a failing subtest. */
function resultsOf(reader, files) {
  const results = new Map();
  for (const file of files) {
    const entry = reader.files.get(file);
    // Two subtests of one file with the same name stay two rows: the second is "name (#2)".
    const seen = new Map();
    const points = (entry?.points ?? []).map((p) => {
      const n = (seen.get(p.name) ?? 0) + 1;
      seen.set(p.name, n);
      return { ...p, name: n === 1 ? p.name : `${p.name} (#${n})` };
    });
    const failed = points.some((p) => p.status === 'fail');
    // A file that crashed, timed out or threw at the top level, or never reported, gets a
    // row of its own, so it can't pass silently.
    if (!entry) points.push({ name: NOT_REPORTED, status: 'fail', detail: [] });
    else if (entry.status === undefined) {
      // No result line of its own: complete only if its plan was met.
      if (entry.plan === undefined || entry.plan !== points.length)
        points.push({ name: '(test file did not finish)', status: 'fail', detail: [`plan ${entry.plan ?? 'missing'}, ${points.length} subtests reported`] });
    } else if (entry.status === 'fail' && !failed) points.push({ name: '(test file failed outside its subtests)', status: 'fail', detail: entry.detail });
    else if (points.length === 0) points.push({ name: '(test file has no subtests)', status: entry.status, detail: [] });
    results.set(file, points);
  }
  // A failure of tap's runner names the file it is about; that file must show a failure.
  for (const point of reader.runner.filter((p) => p.status === 'fail')) {
    const expired = point.detail.map((l) => /^\s*expired: (.*)$/.exec(l)?.[1]?.trim()).find(Boolean);
    const file = expired && basename(expired);
    if (!file || !results.has(file)) throw new RunError(`tap reported a failure of its own that names no test file of this run:\n${point.detail.join('\n')}`);
    if (!results.get(file).some((p) => p.status === 'fail')) results.get(file).push({ name: `(tap: ${point.name})`, status: 'fail', detail: point.detail });
  }
  return results;
}

// --- comparing, rendering --------------------------------------------------------------

/** Rows in suite order: files sorted, subtests in the order the inits ran them. */
function rowsOf(files, runs) {
  const rows = [];
  for (const file of files) {
    const names = [];
    for (const results of Object.values(runs)) for (const p of results.get(file) ?? []) if (!names.includes(p.name)) names.push(p.name);
    for (const name of names) {
      const cells = {};
      for (const [init, results] of Object.entries(runs)) cells[init] = results.get(file)?.find((p) => p.name === name);
      rows.push({ file, name, cells });
    }
  }
  return rows;
}

const mdEscape = (s) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;');
const shortFile = (file) => file.replace(/\.test\.ts$/, '');
const expected = (expectations, init, kind, file, name) => expectations?.[init]?.[kind]?.[file]?.[name];

function cellText(point, init, row, expectations) {
  if (!point) return '·';
  return expected(expectations, init, 'unreliable', row.file, row.name) === undefined ? MARK[point.status] : `${MARK[point.status]}${MARK.unreliable}`;
}

function renderTable(files, runs, about, expectations) {
  const inits = Object.keys(runs);
  const rows = rowsOf(files, runs);
  const out = [];
  const once = (key) => [...new Set(inits.map((i) => about[i][key]))].join('; ');
  out.push(`Generated ${once('date')} by \`npm run compat\` on ${once('machine')}.`);
  out.push(`Versions: ${inits.map((i) => `${i} ${about[i].version}`).join(', ')}.`);
  out.push('');
  const totals = inits.map((i) => {
    const points = rows.map((r) => r.cells[i]).filter(Boolean);
    return `${i} ${points.filter((p) => p.status === 'pass').length}/${points.length}`;
  });
  out.push(`Passed: ${totals.join(', ')}. ${MARK.pass} passes, ${MARK.fail} fails, ${MARK.skip} skipped by the test for this init, ${MARK.unreliable} the result varies from run to run (see below), · not run.`);
  out.push('');
  out.push(`| test file | behaviour | ${inits.join(' | ')} |`);
  out.push(`| --- | --- | ${inits.map(() => ':---:').join(' | ')} |`);
  let previous;
  for (const row of rows) {
    const file = row.file === previous ? '' : `\`${shortFile(row.file)}\``;
    previous = row.file;
    out.push(`| ${file} | ${mdEscape(row.name)} | ${inits.map((i) => cellText(row.cells[i], i, row, expectations)).join(' | ')} |`);
  }
  const notes = { fail: [], unreliable: [] };
  for (const init of inits)
    for (const row of rows) {
      const line = (reason) => `- **${init}**, ${shortFile(row.file)} › ${mdEscape(row.name)}: ${mdEscape(reason)}`;
      const why = expected(expectations, init, 'fail', row.file, row.name);
      if (row.cells[init]?.status === 'fail' && why) notes.fail.push(line(why));
      const flaky = expected(expectations, init, 'unreliable', row.file, row.name);
      if (row.cells[init] && flaky) notes.unreliable.push(line(flaky));
    }
  if (notes.fail.length) out.push('', 'Why the peers fail (from `test/compat-expectations.json`):', '', ...notes.fail);
  if (notes.unreliable.length) out.push('', `${MARK.unreliable} Results not checked because they vary from run to run:`, '', ...notes.unreliable);
  return out.join('\n');
}

function writeDoc(table) {
  let doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Compatibility with tini and dumb-init\n';
  const begin = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (begin === -1 || end === -1 || end < begin) doc = `${doc.trimEnd()}\n\n${BEGIN}\n${table}\n${END}\n`;
  else doc = `${doc.slice(0, begin + BEGIN.length)}\n${table}\n${doc.slice(end)}`;
  mkdirSync(join(root, 'docs'), { recursive: true });
  writeFileSync(docPath, doc);
  console.log(`compat: wrote the table to ${relative(root, docPath)}`);
}

const SHAPE = '{ "fail": { "x.test.ts": { "subtest name": "why it fails" } }, "unreliable": { ... same shape ... } }';

/** Reads the expectations and reports every problem with their shape at once. */
function readExpectations() {
  if (!existsSync(expectationsPath)) return undefined;
  let data;
  try {
    data = JSON.parse(readFileSync(expectationsPath, 'utf8'));
  } catch (error) {
    throw new RunError(`${relative(root, expectationsPath)} is not valid JSON: ${error.message}`);
  }
  const problems = [];
  const isMap = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
  for (const [init, kinds] of Object.entries(data)) {
    if (init.startsWith('$')) continue;
    if (!PEERS.includes(init)) {
      problems.push(`${init}: expected one of ${PEERS.join(', ')} (lastcall must pass everything)`);
      continue;
    }
    if (!isMap(kinds)) {
      problems.push(`${init}: expected ${SHAPE}`);
      continue;
    }
    for (const [kind, byFile] of Object.entries(kinds)) {
      if (!KINDS.includes(kind)) problems.push(`${init}.${kind}: expected one of ${KINDS.join(', ')}`);
      else if (!isMap(byFile)) problems.push(`${init}.${kind}: expected { "x.test.ts": { "subtest name": "why" } }`);
      else
        for (const [file, names] of Object.entries(byFile)) {
          if (!isMap(names)) problems.push(`${init}.${kind}.${file}: expected { "subtest name": "why" }`);
          else for (const [name, why] of Object.entries(names)) if (typeof why !== 'string' || !why.trim()) problems.push(`${init}.${kind}.${file}.${name}: the reason must be a non-empty string`);
        }
    }
  }
  if (problems.length) throw new RunError(`${relative(root, expectationsPath)} has the wrong shape:\n  ${problems.join('\n  ')}`);
  return data;
}

function detailOf(point, max = 40) {
  const lines = point.detail.filter((l) => l.trim() !== '');
  const shown = lines.slice(0, max).map((l) => `      ${l}`);
  if (lines.length > max) shown.push(`      ... (${lines.length - max} more lines in .tap/compat/)`);
  return shown;
}

/** Every difference between what ran and what was expected, for each init that ran. */
function compare(files, runs, expectations) {
  const problems = [];
  for (const [init, results] of Object.entries(runs)) {
    const peer = init !== 'lastcall';
    for (const file of files) {
      const points = results.get(file) ?? [];
      const expectedFail = (peer && expectations?.[init]?.fail?.[file]) || {};
      const unreliable = (peer && expectations?.[init]?.unreliable?.[file]) || {};
      for (const point of points) {
        if (Object.hasOwn(unreliable, point.name)) continue;
        const shouldFail = Object.hasOwn(expectedFail, point.name);
        const label = `${init}: ${file} › ${point.name}`;
        if (point.status === 'fail' && !shouldFail)
          problems.push([`+ ${label}`, `    FAILED, expected to pass${peer ? '' : ' (lastcall must pass everything)'}`, ...detailOf(point)]);
        else if (point.status !== 'fail' && shouldFail)
          problems.push([`- ${label}`, `    ${point.status === 'pass' ? 'PASSED' : `was ${point.status.toUpperCase()}PED`}, expected to fail because: ${expectedFail[point.name]}`]);
      }
      for (const [kind, names] of [['fail', expectedFail], ['unreliable', unreliable]])
        for (const [name, why] of Object.entries(names)) {
          if (!points.some((p) => p.name === name)) problems.push([`- ${init}: ${file} › ${name}`, `    listed as ${kind === 'fail' ? 'expected to fail' : 'unreliable'}, but no such subtest ran (renamed or removed?)`]);
          // An expectation is only worth checking once someone has looked at why it fails.
          else if (/^TODO\b/.test(why)) problems.push([`? ${init}: ${file} › ${name}`, `    listed with no reason yet ("${why}"): look at the failure in .tap/compat/${init}.tap and write why`]);
        }
    }
  }
  return problems;
}

/** New expectations from this run: failures become "fail" (reasons kept); "unreliable" is kept as written. */
function nextExpectations(files, runs, expectations) {
  const next = { $comment: COMMENT };
  let todo = 0;
  for (const init of PEERS) {
    const ran = runs[init];
    const before = expectations?.[init] ?? {};
    const fail = {};
    // Files not run this time keep what they had, unless they left the suite.
    const suite = suiteFiles([]);
    for (const [file, names] of Object.entries(before.fail ?? {})) if (!ran || (!files.includes(file) && suite.includes(file))) fail[file] = names;
    if (ran)
      for (const file of files)
        for (const point of ran.get(file) ?? []) {
          if (point.status !== 'fail' || Object.hasOwn(before.unreliable?.[file] ?? {}, point.name)) continue;
          const reason = before.fail?.[file]?.[point.name] ?? `TODO: explain why ${init} fails this`;
          if (reason.startsWith('TODO')) todo++;
          (fail[file] ??= {})[point.name] = reason;
        }
    next[init] = { fail: sortKeys(fail), unreliable: before.unreliable ?? {} };
  }
  return { next, todo };
}

const sortKeys = (o) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

async function main() {
  const options = parseArgs(process.argv.slice(2));
  let files = suiteFiles(options.files);
  const versions = initVersions(options.inits);
  const expectations = readExpectations();
  if (options.mode === 'check' && !expectations && options.inits.some((i) => i !== 'lastcall'))
    throw new RunError(`${relative(root, expectationsPath)} is missing: create it with node scripts/compat.mjs --write-expectations`);

  // lastcall runs from dist/; build it (and install dependencies) as `npm test` would.
  if (!options.reuse) execFileSync(process.execPath, [join(root, 'scripts', 'ensure-ready.mjs')], { cwd: root, stdio: 'inherit' });
  console.log(`compat: ${machine()}`);
  console.log(`compat: ${options.inits.map((i) => `${i} ${versions[i]}`).join(', ')}`);

  const runs = {};
  const about = {};
  for (const init of options.inits) ({ results: runs[init], about: about[init] } = await runInit(init, files, options.reuse, versions[init]));
  if (options.reuse) {
    // An old run knows nothing of files added since: leave them out, and say so.
    const missing = files.filter((f) => Object.values(runs).some((r) => r.get(f)?.[0]?.name === NOT_REPORTED));
    if (missing.length && options.files.length) throw new RunError(`--reuse: the last run did not include ${missing.join(', ')}`);
    if (missing.length) console.log(`compat: --reuse: the last run did not include ${missing.join(', ')}; leaving them out`);
    files = files.filter((f) => !missing.includes(f));
  }

  if (options.mode === 'write-expectations') {
    const { next, todo } = nextExpectations(files, runs, expectations);
    writeFileSync(expectationsPath, `${JSON.stringify(next, null, 2)}\n`);
    console.log(`\n${renderTable(files, runs, about, next)}\n\ncompat: wrote ${relative(root, expectationsPath)}`);
    if (todo) console.log(`compat: ${todo} expected failure(s) have no reason yet: look at each (raw TAP in .tap/compat/) and replace its TODO with why that init behaves differently`);
    return 0;
  }

  const table = renderTable(files, runs, about, expectations);
  console.log(`\n${table}\n`);
  if (options.mode === 'table') {
    if (options.files.length || options.inits.length !== ALL_INITS.length)
      console.log('compat: not writing docs/compat.md from a partial run (files or inits were chosen)');
    else writeDoc(table);
    const lastcallFailed = runs.lastcall ? compare(files, { lastcall: runs.lastcall }, expectations) : [];
    if (lastcallFailed.length) {
      console.error(`\ncompat: lastcall failed ${lastcallFailed.length} subtest(s):\n${lastcallFailed.map((p) => p.join('\n')).join('\n')}`);
      return 1;
    }
    return 0;
  }

  // --check
  const problems = compare(files, runs, expectations);
  if (problems.length === 0) {
    console.log(`compat: every result matches ${relative(root, expectationsPath)} (${options.inits.join(', ')})`);
    return 0;
  }
  console.error(`compat: ${problems.length} result(s) differ from ${relative(root, expectationsPath)}:`);
  console.error('  (+ failed but expected to pass; - passed but expected to fail, or listed but not run; ? no reason given)');
  for (const p of problems) console.error(p.map((l) => `  ${l}`).join('\n'));
  console.error('\nIf a change of behaviour is intended, run `node scripts/compat.mjs --write-expectations`,');
  console.error('then give each new entry its reason. A failure on lastcall is a bug in lastcall or its test.');
  return 1;
}

const COMMENT =
  'Per peer init: "fail" lists the subtests of test/pid1/*.test.ts expected to FAIL, each with why (a real behaviour difference of that init); everything not listed must pass, and lastcall must pass everything. "unreliable" lists subtests whose result varies from run to run for a harness reason; they are not checked until the harness is fixed. Checked by `node scripts/compat.mjs --check`; regenerate with `node scripts/compat.mjs --write-expectations` (keeps the reasons already written, and "unreliable" as it is).';

try {
  process.exitCode = await main();
} catch (error) {
  if (error instanceof RunError) {
    console.error(`compat: ${error.message}`);
    process.exitCode = 2;
  } else throw error;
}
