#!/usr/bin/env node
// Log relay throughput: a producer floods 100 MB of numbered lines through a real pipe, either
// straight into the consumer (the direct pipe) or through lastcall's relay (prefix, json) in this
// process, and out through another real pipe into the consumer (`wc -lc`). Prints MB/s of input
// relayed (and of output: json writes ~1.85 times what it reads), and lines lost. `raw` is the
// relay's own I/O with no formatting at all: the floor a Node relay starts from.
//
//   env -u NODE_EXTRA_CA_CERTS node bench/logs-relay.mjs [--runs 5] [--mb 100] [--lines plain|escapes]
//
// The relay is compiled on the fly with esbuild into node_modules/.cache (koffi resolves from
// there). Not part of npm test; docs/logging.md keeps a result.
import { spawn } from 'node:child_process';
import { closeSync, createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { Socket } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    mb: { type: 'string', default: '100' },
    lines: { type: 'string', default: 'plain' },
  },
});
const runs = Number(values.runs);
const megabytes = Number(values.mb);
if (!Number.isInteger(runs) || runs < 1 || !(megabytes > 0) || !['plain', 'escapes'].includes(values.lines)) {
  console.error('usage: node bench/logs-relay.mjs [--runs N] [--mb MB] [--lines plain|escapes]');
  process.exit(2);
}

const cache = join(root, 'node_modules', '.cache', 'lastcall-bench');
mkdirSync(cache, { recursive: true });
const bundle = join(cache, 'relay.mjs');
await build({
  stdin: {
    contents: "export * from './src/log/relay.ts'; export { createSink } from './src/log/sink.ts'; export { pipe } from './src/os/libc.ts';",
    resolveDir: root,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  packages: 'external',
  outfile: bundle,
  logLevel: 'warning',
});
const relay = await import(pathToFileURL(bundle).href);

const input = join(cache, `lines-${values.lines}-${megabytes}mb.txt`);
const expectedLines = await ensureInput(input, megabytes * 1024 * 1024, values.lines);
const inputBytes = statSync(input).size;
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

/** Time one flood: producer -> [relay] -> consumer. Returns { seconds, lines, bytes }. */
async function flood(mode) {
  const out = relay.pipe();
  const consumer = spawn('wc', ['-lc'], { stdio: [out.read, 'pipe', 'inherit'], env });
  closeSync(out.read);
  let counted = '';
  consumer.stdout.on('data', (d) => (counted += d));
  const consumed = new Promise((resolve) => consumer.on('close', resolve)); // close: after its output was read
  const started = process.hrtime.bigint();
  if (mode === 'direct') {
    const producer = spawn('cat', [input], { stdio: ['ignore', out.write, 'inherit'], env });
    closeSync(out.write);
    await new Promise((resolve) => producer.on('exit', resolve));
  } else {
    const into = relay.pipe();
    const producer = spawn('cat', [input], { stdio: ['ignore', into.write, 'inherit'], env });
    const produced = new Promise((resolve) => producer.on('exit', resolve));
    closeSync(into.write);
    const sink = relay.createSink(out.write);
    closeSync(out.write); // the sink has a description of its own
    if (mode === 'raw') await rawRelay(into.read, sink);
    else await relay.startRelay({ fd: into.read, program: 'web', width: 7, stream: 'stdout', mode, sink }).done;
    await sink.flush();
    sink.close();
    await produced;
  }
  await consumed;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const [lines, bytes] = counted.trim().split(/\s+/).map(Number);
  return { seconds, lines, bytes };
}

/** Pipe to sink with no formatting: the floor of the relay's own I/O. */
function rawRelay(fd, sink) {
  return new Promise((resolve) => {
    const socket = new Socket({ fd, readable: true, writable: false });
    socket.on('data', (chunk) => {
      if (!sink.write(chunk)) {
        socket.pause();
        sink.onDrain(() => socket.resume());
      }
    });
    socket.on('end', resolve);
  });
}

async function ensureInput(path, size, kind) {
  const pad = kind === 'plain' ? 'x'.repeat(80) : 'level=info msg="GET /a\\\\b" q=\t"x" ';
  const line = (i) => `line ${String(i).padStart(10, '0')} ${pad}\n`;
  let count = 0;
  for (let total = 0; total < size; count++) total += Buffer.byteLength(line(count));
  if (existsSync(path) && statSync(path).size > 0) return count;
  const stream = createWriteStream(path);
  for (let i = 0; i < count; ) {
    const batch = [];
    for (let n = 0; n < 10_000 && i < count; n++) batch.push(line(i++));
    if (!stream.write(batch.join(''))) await new Promise((resolve) => stream.once('drain', resolve));
  }
  await new Promise((resolve) => stream.end(resolve));
  return count;
}

console.log(`machine: ${cpus().length} cores, node ${process.version}, load ${loadavg()[0].toFixed(2)}, ${new Date().toISOString().slice(0, 10)}`);
console.log(`input: ${(inputBytes / 1e6).toFixed(1)} MB, ${expectedLines} ${values.lines} lines; best and median of ${runs} runs\n`);
console.log('| path | best MB/s in | median MB/s in | median MB/s out | vs direct (median, in) | lines lost |');
console.log('|---|---|---|---|---|---|');
let direct = 0;
for (const mode of (process.env.MODES ?? 'direct,raw,prefix,json').split(',')) {
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await flood(mode));
  results.sort((a, b) => b.seconds - a.seconds); // slowest first
  const best = results.at(-1);
  const median = results[Math.floor(results.length / 2)];
  const rate = (r) => inputBytes / 1e6 / r.seconds;
  if (mode === 'direct') direct = rate(median);
  const lost = Math.max(...results.map((r) => expectedLines - r.lines));
  const cells = [mode, rate(best).toFixed(0), rate(median).toFixed(0), (median.bytes / 1e6 / median.seconds).toFixed(0), `${((rate(median) / direct) * 100).toFixed(0)}%`, lost];
  console.log(`| ${cells.join(' | ')} |`);
}
