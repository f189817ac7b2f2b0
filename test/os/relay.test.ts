// The log relay with real pipes and real writer processes: floods, long lines, escaping,
// backpressure (the writer blocks, memory stays flat), and the ways a run can end.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StringDecoder } from 'node:string_decoder';
import { build } from 'esbuild';
import t from 'tap';
import * as libc from '../../src/os/libc.js';
import { jsonFormat, prefixFormat } from '../../src/log/line-formats.js';
import { DEFAULT_MAX_LINE, LineSplitter, Records } from '../../src/log/lines.js';
import { flushAllRelays, formatChunk, startRelay, takeOwnSigpipe, type Relay, type RelayMode } from '../../src/log/relay.js';
import { createSink, queueBehind } from '../../src/log/sink.js';
import { fastFormat } from '../../src/log/wasm-format.js';
import { moduleBytes, OUT, OUT_SIZE, PORCH_SIZE, READ_AT, READ_SIZE, RECORDS } from '../../src/log/wasm-code.js';

const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS; // 40-60 ms per node start here, and containers do not have it
// tap puts its hooks into every node child through NODE_OPTIONS, even a deleted one; they touch
// process.stdout, which makes the writer's pipe O_NONBLOCK and its writeSync fail with EAGAIN.
const plainNode = ['env', '-u', 'NODE_OPTIONS', process.execPath];
const MiB = 1024 * 1024;

/** Poll until cond() holds; fail after timeoutMs. */
async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A writer process whose stdout is the write end of a fresh pipe; returns the read end. */
function writer(command: string[], stdio: { stdout?: number } = {}): { child: ChildProcess; read: number; exited: Promise<number | null> } {
  const pipe = libc.pipe();
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', stdio.stdout ?? pipe.write, 'inherit'], env });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  closeSync(pipe.write);
  return { child, read: pipe.read, exited };
}

const sh = (script: string) => writer(['sh', '-c', script]);

// The numbered lines of the floods; the writer and the checker share this function.
function lineFor(program: string, i: number): string {
  const fill = 'abcdefghijklmnopqrstuvwxyz0123456789-_=+ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  let text = `${program} ${i} `;
  for (let n = (i * 7919) % 230; n > 0; n -= fill.length) text += fill.slice(0, n);
  if (i % 7 === 0) text += ' "quoted" back\\slash \ttab é ✓ 🎉';
  return text;
}

/** A node process writing `count` numbered lines for `program` as fast as its pipe takes them. */
function flooder(program: string, count: number) {
  const script = `
    const { writeSync } = require('node:fs');
    ${lineFor.toString()}
    let batch = [];
    let size = 0;
    const flush = () => { let b = Buffer.from(batch.join('')); while (b.length) b = b.subarray(writeSync(1, b)); batch = []; size = 0; };
    for (let i = 0; i < ${count}; i++) { const l = lineFor(${JSON.stringify(program)}, i) + '\\n'; batch.push(l); size += l.length; if (size > 60000) flush(); }
    flush();`;
  return writer([...plainNode, '-e', script]);
}

/** Reads a pipe in this process, line by line, and can stop reading (a slow or stuck consumer). */
class Consumer {
  bytes = 0;
  readonly ended: Promise<void>;
  private readonly socket: Socket;
  private carry = '';
  private readonly decoder = new StringDecoder('utf8');

  constructor(fd: number, private readonly onLine: (line: string) => void, private readonly throttle = false) {
    this.socket = new Socket({ fd, readable: true, writable: false });
    this.ended = new Promise((resolve) => this.socket.on('close', () => resolve()));
    this.socket.on('data', (chunk: Buffer) => {
      this.bytes += chunk.length;
      const lines = (this.carry + this.decoder.write(chunk)).split('\n');
      this.carry = lines.pop()!;
      for (const line of lines) this.onLine(line);
      if (this.throttle && !this.paused) {
        this.socket.pause();
        setTimeout(() => this.paused || this.socket.resume(), 1);
      }
    });
    this.socket.on('end', () => {
      if (this.carry !== '') this.onLine(this.carry + '<no newline>');
    });
  }

  paused = false;
  pause(): void {
    this.paused = true;
    this.socket.pause();
  }
  resume(): void {
    this.paused = false;
    this.socket.resume();
  }
  destroy(): void {
    this.socket.destroy();
  }
}

/** A pipe with a sink on its write end and a Consumer on its read end. */
function output(onLine: (line: string) => void, options: { throttle?: boolean; reopen?: boolean; highWaterMark?: number } = {}) {
  const pipe = libc.pipe();
  const sink = createSink(pipe.write, options);
  if (options.reopen !== false) closeSync(pipe.write); // the sink has a description of its own
  const consumer = new Consumer(pipe.read, onLine, options.throttle);
  const close = () => {
    sink.close();
    if (options.reopen === false) closeSync(pipe.write);
  };
  return { sink, consumer, close };
}

/** Relay small outputs and collect the lines (without their '\n'). */
async function relayLines(script: string, options: { mode: RelayMode; maxLine?: number; width?: number; stream?: 'stdout' | 'stderr' }): Promise<string[]> {
  const lines: string[] = [];
  const out = output((line) => lines.push(line));
  const source = sh(script);
  const relay = startRelay({ fd: source.read, program: 'web', width: options.width ?? 3, stream: options.stream ?? 'stdout', mode: options.mode, sink: out.sink, maxLine: options.maxLine, clock: () => Date.UTC(2024, 0, 2, 3, 4, 5, 67) });
  await relay.done;
  await out.sink.flush();
  out.close();
  await out.consumer.ended;
  await source.exited;
  return lines;
}

const PREFIX_LINE = /^(\S+)\s* \| (.*)$/s;

t.test('100 MB from two programs in prefix mode: every line intact, in order, exactly once', async (t) => {
  const programs = ['php-fpm', 'nginx'];
  const count = 440_000; // ~50 MB each
  const next = new Map(programs.map((p) => [p, 0]));
  const bad: string[] = [];
  const out = output((line) => {
    const m = PREFIX_LINE.exec(line);
    const program = m?.[1] ?? '';
    const i = next.get(program);
    if (i === undefined || m![2] !== lineFor(program, i) || !line.startsWith(program.padEnd(7) + ' | ')) {
      if (bad.length < 5) bad.push(line.slice(0, 200));
    } else next.set(program, i + 1);
  });
  const writers = programs.map((program) => flooder(program, count));
  const relays = programs.map((program, i) => startRelay({ fd: writers[i]!.read, program, width: 7, stream: 'stdout', mode: 'prefix', sink: out.sink }));
  await Promise.all(relays.map((r) => r.done));
  t.equal(await flushAllRelays(30_000), true, 'flushAllRelays: all relayed');
  out.close();
  await out.consumer.ended;
  t.same(bad, [], 'no line was cut, merged or out of order');
  t.same(Object.fromEntries(next), { 'php-fpm': count, nginx: count }, 'every line of both programs arrived');
  t.ok(relays.reduce((n, r) => n + r.stats.bytesIn, 0) > 95 * MiB, 'about 100 MB went through');
  t.same(relays.map((r) => r.stats.lines), [count, count], 'the relays counted the lines');
  t.same(await Promise.all(writers.map((w) => w.exited)), [0, 0]);
});

t.test('100 MB from two programs in json mode: every line parses, intact, in order, exactly once', async (t) => {
  const programs = ['php-fpm', 'nginx'];
  const count = 440_000;
  const next = new Map(programs.map((p) => [p, 0]));
  const bad: string[] = [];
  const out = output((line) => {
    let record: { time?: unknown; program?: unknown; stream?: unknown; message?: unknown; partial?: unknown };
    try {
      record = JSON.parse(line);
    } catch {
      if (bad.length < 5) bad.push(`unparsable: ${line.slice(0, 200)}`);
      return;
    }
    const program = String(record.program);
    const i = next.get(program);
    const keys = Object.keys(record).join(',');
    if (i === undefined || record.message !== lineFor(program, i) || record.stream !== 'stderr' || keys !== 'time,program,stream,message' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(String(record.time))) {
      if (bad.length < 5) bad.push(line.slice(0, 200));
    } else next.set(program, i + 1);
  });
  const writers = programs.map((program) => flooder(program, count));
  const relays = programs.map((program, i) => startRelay({ fd: writers[i]!.read, program, width: 7, stream: 'stderr', mode: 'json', sink: out.sink }));
  await Promise.all(relays.map((r) => r.done));
  t.equal(await flushAllRelays(30_000), true);
  out.close();
  await out.consumer.ended;
  t.same(bad, [], 'every line is one whole JSON object with the right message');
  t.same(Object.fromEntries(next), { 'php-fpm': count, nginx: count }, 'every line of both programs arrived');
  t.same(await Promise.all(writers.map((w) => w.exited)), [0, 0]);
});

t.test('backpressure: a stuck consumer blocks the writer, and memory stays flat over 100 MB', async (t) => {
  const count = 880_000; // ~100 MB
  let next = 0;
  let bad = 0;
  let consumed = 0; // the writer's bytes that reached the consumer
  const out = output(
    (line) => {
      const m = PREFIX_LINE.exec(line);
      if (m?.[2] === lineFor('flood', next)) next++;
      else bad++;
      consumed += Buffer.byteLength(m?.[2] ?? '') + 1;
    },
    { throttle: true },
  );
  const rss = () => process.memoryUsage().rss;
  const before = rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rss())), 20);

  const source = flooder('flood', count);
  const relay = startRelay({ fd: source.read, program: 'flood', width: 5, stream: 'stdout', mode: 'prefix', sink: out.sink });
  await waitFor(() => out.consumer.bytes > 10 * MiB, 30_000, 'the first 10 MB');
  out.consumer.pause();

  // Wait until nothing has moved for 300 ms: every buffer between the writer and the consumer is full.
  let last = -1;
  let since = Date.now();
  await waitFor(
    () => {
      if (relay.stats.bytesIn !== last) [last, since] = [relay.stats.bytesIn, Date.now()];
      return Date.now() - since >= 300;
    },
    30_000,
    'the relay to stop reading',
  );
  t.ok(relay.stats.bytesIn < 50 * MiB, 'the relay stopped reading while the consumer is stuck');
  const inFlight = relay.stats.bytesIn - consumed;
  t.ok(inFlight > 0 && inFlight < 4 * MiB, `read but not consumed: ${(inFlight / MiB).toFixed(2)} MB (sink high-water mark 1 MiB, limit 4)`);
  t.equal(source.child.exitCode, null, 'the writer has not finished...');
  const wchan = readFileSync(`/proc/${source.child.pid}/wchan`, 'utf8');
  if (wchan !== '0' && wchan !== '') t.match(wchan, /pipe_write/, '...it is blocked writing to its pipe');

  out.consumer.resume();
  await relay.done;
  t.equal(await flushAllRelays(60_000), true);
  clearInterval(sampler);
  out.close();
  await out.consumer.ended;
  t.equal(await source.exited, 0);
  t.equal(bad, 0, 'no line damaged');
  t.equal(next, count, 'every line arrived, in order');
  const growth = (peak - before) / MiB;
  t.ok(growth < 100, `RSS grew by ${growth.toFixed(1)} MB while relaying ${(relay.stats.bytesIn / MiB).toFixed(0)} MB (limit 100)`);
});

t.test('a 3 MiB line goes out as 1 MiB pieces; a 500 KB line stays whole', async (t) => {
  const script = `head -c ${3 * MiB} /dev/zero | tr '\\0' a; echo; head -c 500000 /dev/zero | tr '\\0' b; echo; echo after`;
  const prefix = await relayLines(script, { mode: 'prefix' });
  t.same(
    prefix.map((l) => [l.slice(0, 7), l.length - 6]),
    [['web | a', MiB], ['web | a', MiB], ['web | a', MiB], ['web | b', 500000], ['web | a', 5]],
    'prefix: each piece has its prefix',
  );
  const json = (await relayLines(script, { mode: 'json' })).map((l) => JSON.parse(l));
  t.same(
    json.map((r) => [r.message.length, r.partial]),
    [[MiB, true], [MiB, true], [MiB, undefined], [500000, undefined], [5, undefined]],
    'json: every piece but the last is "partial": true',
  );
  t.ok(json.slice(0, 3).every((r) => /^a+$/.test(r.message)));
});

t.test('a long line is cut before a UTF-8 character, never inside one', async (t) => {
  const lines = await relayLines(`i=0; while [ $i -lt 100 ]; do printf 'é✓🎉'; i=$((i+1)); done; echo`, { mode: 'json', maxLine: 64 });
  const messages = lines.map((l) => JSON.parse(l).message as string);
  t.equal(messages.join(''), 'é✓🎉'.repeat(100), 'the pieces join back into the line');
  t.ok(messages.every((m) => !m.includes('\ufffd')), 'no piece has a broken character');
  t.ok(messages.every((m) => Buffer.byteLength(m) <= 64), 'no piece is over the limit');
});

t.test('a last line without a newline is flushed at EOF, with one added; empty lines are kept', async (t) => {
  t.same(await relayLines(`printf '\\n\\nfirst\\n\\nlast'`, { mode: 'prefix', width: 5 }), ['web   | ', 'web   | ', 'web   | first', 'web   | ', 'web   | last']);
  const json = await relayLines(`printf '\\nlast'`, { mode: 'json' });
  t.same(json.map((l) => JSON.parse(l).message), ['', 'last']);
  t.same(await relayLines(`true`, { mode: 'prefix' }), [], 'no output, no lines');
});

t.test('json: quotes, backslashes, control characters and invalid UTF-8 still parse', async (t) => {
  const script = `printf 'say "hi"\\\\n\\tand\\001\\037\\033[31mred\\r\\n\\377bad \\300\\200 \\355\\240\\200 ok é\\r\\nlone\\rcr\\n'`;
  const lines = await relayLines(script, { mode: 'json', stream: 'stderr' });
  const records = lines.map((l) => JSON.parse(l));
  t.same(records[0], { time: '2024-01-02T03:04:05.067Z', program: 'web', stream: 'stderr', message: 'say "hi"\\n\tand\u0001\u001f\u001b[31mred' }, '"\\r\\n" ends a line; the rest is escaped');
  t.equal(records[1].message, '\ufffdbad \ufffd\ufffd \ufffd\ufffd\ufffd ok é', 'invalid bytes become U+FFFD, valid UTF-8 passes');
  t.equal(records[2].message, 'lone\rcr', 'a lone \\r is kept (escaped)');
  const prefix = await relayLines(`printf 'a\\r\\n'`, { mode: 'prefix' });
  t.same(prefix, ['web | a\r'], 'prefix mode keeps the \\r');
});

/**
 * data cut into reads of the given sizes, each read into the shared read buffer as libuv would,
 * through formatChunk, then EOF: the output, with the WebAssembly formatter or without.
 */
function formatReads(data: Buffer, reads: number[], maxLine: number, mode: RelayMode, withFast: boolean): Buffer {
  const fast = fastFormat()!;
  const f = mode === 'prefix' ? prefixFormat('web', 5, withFast ? fast : null) : jsonFormat('web', 'stdout', () => 0, withFast ? fast : null);
  const splitter = new LineSplitter(maxLine);
  const records = new Records();
  const out: Buffer[] = [];
  let at = 0;
  for (const size of reads) {
    const n = data.copy(fast.readBuffer, 0, at, at + size);
    at += n;
    formatChunk(fast.readBuffer.subarray(0, n), splitter, records, f, (view) => out.push(Buffer.from(view)));
  }
  splitter.end(records);
  f.records(records, (view) => out.push(Buffer.from(view)));
  return Buffer.concat(out);
}

t.test('the WebAssembly formatter gives the same bytes as the JavaScript one', async (t) => {
  const fast = fastFormat();
  t.ok(fast, 'WebAssembly SIMD is there (Node 20+ on x64 and arm64): else every line takes the slower path');
  if (!fast) return;
  const alphabet = [0x41, 0x20, 0x22, 0x5c, 0x0a, 0x0a, 0x0d, 0x09, 0x01, 0x1f, 0x7f, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xff, 0xc0, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0xe0];
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  let differ = 0;
  for (let run = 0; run < 1500; run++) {
    const data = Buffer.alloc(Math.floor(random() * 600));
    const plain = [0.6, 0.95, 0.995][run % 3]!; // long clean runs take the 16-byte path
    for (let i = 0; i < data.length; i++) data[i] = random() < plain ? 0x61 + Math.floor(random() * 26) : alphabet[Math.floor(random() * alphabet.length)]!;
    const maxLine = run % 4 === 0 ? DEFAULT_MAX_LINE : 8 + (run % 50); // short: lines cut in pieces too
    const reads: number[] = [];
    const longestRead = run % 2 === 0 ? 80 : 600; // whole lines within one read go the in-place path
    for (let at = 0; at < data.length; ) at += reads[reads.push(1 + Math.floor(random() * longestRead)) - 1]!;
    for (const mode of ['prefix', 'json'] as const) {
      const quick = formatReads(data, reads, maxLine, mode, true);
      if (!quick.equals(formatReads(data, reads, maxLine, mode, false))) differ++;
      if (mode === 'json') for (const line of quick.toString().split('\n').slice(0, -1)) JSON.parse(line);
    }
  }
  t.equal(differ, 0, '3000 random inputs, cut into random reads, give identical output');
});

t.test("the bundle's prebuilt WebAssembly module is the one the source assembles, with the same layout", async (t) => {
  // scripts/build.mjs assembles the module at build time; the relay tests above run the source.
  const dist = fileURLToPath(new URL('../../dist/chunks/', import.meta.url));
  const chunk = readdirSync(dist).map((f) => readFileSync(join(dist, f), 'utf8')).find((text) => text.includes('function moduleBytes()'));
  if (!chunk) return t.fail('no chunk of dist/ defines moduleBytes(): run npm run build');
  const embedded = /function moduleBytes\(\) \{\s*return Buffer\.from\("([A-Za-z0-9+/=]+)", "base64"\);/.exec(chunk)?.[1];
  t.equal(embedded, Buffer.from(moduleBytes()).toString('base64'), 'same bytes');
  for (const [name, value] of Object.entries({ PORCH_SIZE, READ_AT, READ_SIZE, RECORDS, OUT })) {
    t.match(chunk, new RegExp(`\\b${name} = ${value};`), `${name} = ${value}`);
  }
  t.notMatch(chunk, /function assemble\(/, 'the assembler itself is not in the bundle');
});

t.test('the WebAssembly formatter matches on full reads too: output past its buffer, lines longer than the porch', async (t) => {
  const fast = fastFormat();
  if (!fast) return t.fail('no WebAssembly SIMD');
  const full = fast.readBuffer.length;
  const repeat = (line: string): Buffer => Buffer.alloc(5 * full, line);
  // One full read of these is more output than the formatter's output area (OUT_SIZE) holds, so
  // it stops part-way and is called again: empty lines in prefix mode (9 bytes out per byte in),
  // a control character per line in json (\u0001 and a head: ~45 bytes out per byte in).
  const cases = [
    { name: 'empty lines', data: repeat('\n'), mode: 'prefix', outputOfOneRead: 9 * full },
    { name: 'control characters', data: repeat('\u0001\n'), mode: 'json', outputOfOneRead: OUT_SIZE },
    // ~100 KiB lines (more than the 64 KiB porch) that end mid-read: carried the slower way.
    { name: 'long lines', data: repeat(`${'a'.repeat(100_000)}\n`), mode: 'prefix', outputOfOneRead: 0 },
    { name: 'long lines', data: repeat(`${'a'.repeat(100_000)}\n`), mode: 'json', outputOfOneRead: 0 },
  ] as const;
  const reads = [full, full - 7, full, 13, full];
  t.ok(9 * full > OUT_SIZE, 'a full read of empty lines is more output than the output area holds');
  for (const { name, data, mode, outputOfOneRead } of cases) {
    const quick = formatReads(data, reads, DEFAULT_MAX_LINE, mode, true);
    t.ok(quick.equals(formatReads(data, reads, DEFAULT_MAX_LINE, mode, false)), `${name}, ${mode}: the same bytes`);
    const input = data.subarray(0, reads.reduce((a, b) => a + b));
    const newlines = (b: Buffer): number => b.toString('latin1').split('\n').length - 1;
    const lines = newlines(input) + (input.at(-1) === 0x0a ? 0 : 1); // a last, cut line is flushed at EOF
    t.equal(newlines(quick), lines, `${name}, ${mode}: every line`);
    t.ok(formatReads(data, [full], DEFAULT_MAX_LINE, mode, true).length >= outputOfOneRead, `${name}, ${mode}: one read gives at least ${outputOfOneRead} bytes`);
  }
});

t.test('EOF while the sink is backed up: the relay finishes, and everything still arrives', async (t) => {
  let received = 0;
  const out = output(() => received++);
  out.consumer.pause();
  // ~1.5 MB of output: more than the output pipe holds (1 MiB, grown by the sink), less than the
  // pipe and the sink's queue (1 MiB) together, so the relay reads on to EOF
  const source = sh(`i=0; while [ $i -lt 17000 ]; do echo "line $i ........................................................................"; i=$((i+1)); done`);
  const relay = startRelay({ fd: source.read, program: 'web', width: 3, stream: 'stdout', mode: 'prefix', sink: out.sink });
  await relay.done;
  t.equal(await source.exited, 0, 'the writer finished');
  let flushed = false;
  void out.sink.flush().then(() => (flushed = true));
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(flushed, false, 'the sink still holds output nobody has read');
  out.consumer.resume();
  t.equal(await flushAllRelays(10_000), true);
  out.close();
  await out.consumer.ended;
  t.equal(received, 17000);
});

t.test('flushAllRelays gives up after its timeout while a consumer is stuck', async (t) => {
  let received = 0;
  const out = output(() => received++);
  out.consumer.pause();
  const source = flooder('stuck', 200_000);
  const relay = startRelay({ fd: source.read, program: 'stuck', width: 5, stream: 'stdout', mode: 'json', sink: out.sink });
  const started = Date.now();
  t.equal(await flushAllRelays(300), false, 'not everything could be flushed');
  t.ok(Date.now() - started < 5000, 'and it returned on time');
  out.consumer.resume();
  await relay.done;
  t.equal(await flushAllRelays(30_000), true, 'once the consumer reads again, it all goes');
  out.close();
  await out.consumer.ended;
  t.equal(received, 200_000);
  await source.exited;
});

t.test('a closed or broken output never crashes: output is dropped and counted, programs are not blocked', async (t) => {
  const closed = createSink(987_654);
  t.equal(closed.stats.via, 'none');
  t.equal(closed.write(Buffer.from('x\n')), true);
  t.equal(closed.stats.bytesDropped, 2);
  await closed.flush();
  closed.close();

  const sigpipes: boolean[] = [];
  const onSigpipe = () => sigpipes.push(takeOwnSigpipe());
  process.on('SIGPIPE', onSigpipe);
  const out = output(() => {});
  out.consumer.destroy(); // nobody reads the output pipe any more
  await out.consumer.ended;
  const source = flooder('gone', 100_000);
  const relay = startRelay({ fd: source.read, program: 'gone', width: 4, stream: 'stdout', mode: 'prefix', sink: out.sink });
  await relay.done;
  t.equal(await source.exited, 0, 'the program wrote everything and exited: the relay kept reading');
  t.ok(out.sink.stats.bytesDropped > 10 * MiB, 'what could not be written was dropped and counted');
  await waitFor(() => sigpipes.length > 0, 5000, 'the SIGPIPE of the broken pipe');
  t.same(sigpipes, [true], 'the SIGPIPE our own write raised is recognised as ours');
  // The listener stays: removing the last one resets SIGPIPE to its default, which kills.
  out.close();
});

t.test('the threadpool writer (terminals, files, pipes it cannot reopen) keeps order and backpressure', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'relay-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = openSync(join(dir, 'out.log'), 'w');
  const sink = createSink(file);
  t.equal(sink.stats.via, 'thread', 'a regular file is written from the threadpool');
  const source = flooder('file', 50_000);
  const relay = startRelay({ fd: source.read, program: 'file', width: 4, stream: 'stdout', mode: 'prefix', sink });
  await relay.done;
  await sink.flush();
  sink.close();
  closeSync(file);
  const lines = readFileSync(join(dir, 'out.log'), 'utf8').split('\n');
  t.equal(lines.pop(), '');
  t.equal(lines.length, 50_000);
  t.ok(lines.every((line, i) => line === `file | ${lineFor('file', i)}`), 'every line in order');

  let received = 0;
  const out = output(() => received++, { reopen: false, highWaterMark: 64 * 1024 });
  t.equal(out.sink.stats.via, 'thread');
  out.consumer.pause();
  const big = Buffer.alloc(32 * 1024, 'x\n');
  let accepted = 0;
  while (out.sink.write(big)) accepted++;
  t.ok(accepted < 4, 'write() says stop once the high-water mark is passed');
  let drained = false;
  out.sink.onDrain(() => (drained = true));
  out.consumer.resume();
  await waitFor(() => drained, 10_000, 'drain');
  await out.sink.flush();
  out.close();
  await out.consumer.ended;
  t.equal(received, (accepted + 1) * 16 * 1024);
});

t.test("lastcall's own log line waits behind relayed output that is part-way written", async (t) => {
  const lines: string[] = [];
  const out = output((line) => lines.push(line));
  t.equal(queueBehind(out.sink, 'idle\n'), false, 'nothing pending: the caller writes its line itself');
  out.consumer.pause();
  const relayed = Buffer.from(`${'r'.repeat(99_999)}\n`.repeat(15)); // 1.5 MB: more than the pipe holds (1 MiB, grown by the sink)
  out.sink.write(relayed);
  t.equal(out.sink.busy, true, 'the kernel took only part of it');
  t.equal(queueBehind(out.sink, 'lastcall: hello\n'), true, 'queued behind the relayed lines');
  out.consumer.resume();
  await out.sink.flush();
  out.close();
  await out.consumer.ended;
  t.same(lines.map((l) => (l.startsWith('r') ? l.length : l)), [...Array(15).fill(99_999), 'lastcall: hello']);
});

t.test('process.exit is not held up by output nobody reads (it would be, by a threadpool write)', async (t) => {
  // Inside the project, so the bundle finds koffi (libc) in node_modules.
  const cache = fileURLToPath(new URL('../../node_modules/.cache', import.meta.url));
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'relay-exit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bundle = join(dir, 'sink.mjs');
  await build({ entryPoints: [fileURLToPath(new URL('../../src/log/sink.ts', import.meta.url))], bundle: true, platform: 'node', format: 'esm', outfile: bundle, logLevel: 'warning' });
  const exitsIn = async (reopen: boolean): Promise<number | 'stuck'> => {
    const script = `import { createSink } from ${JSON.stringify(bundle)};
      createSink(1, { reopen: ${reopen} }).write(Buffer.alloc(4 << 20, 0x0a));
      setTimeout(() => process.exit(0), 100);`;
    const unread = libc.pipe(); // this test never reads it
    const child = spawn(plainNode[0]!, [...plainNode.slice(1), '--input-type=module', '-e', script], { stdio: ['ignore', unread.write, 'inherit'], env });
    closeSync(unread.write);
    const started = Date.now();
    const exited = new Promise<number>((resolve) => child.on('exit', () => resolve(Date.now() - started)));
    const result = await Promise.race([exited, new Promise<'stuck'>((resolve) => setTimeout(() => resolve('stuck'), 3000))]);
    child.kill('SIGKILL');
    await exited;
    closeSync(unread.read);
    return result;
  };
  const reopened = await exitsIn(true);
  t.ok(reopened !== 'stuck' && reopened < 3000, `with the pipe reopened nonblocking, exit is immediate (${reopened} ms)`);
  t.equal(await exitsIn(false), 'stuck', 'a blocked threadpool write holds process.exit (Node joins its threads): why pipes are reopened');
});

t.test('close() stops reading at once and still flushes what was read', async (t) => {
  const lines: string[] = [];
  const out = output((line) => lines.push(line));
  const source = sh(`printf 'one\\ntwo'; exec sleep 30`);
  const relay: Relay = startRelay({ fd: source.read, program: 'web', width: 3, stream: 'stdout', mode: 'prefix', sink: out.sink });
  await waitFor(() => relay.stats.bytesIn === 7, 10_000, 'the first bytes');
  relay.close();
  await relay.done;
  await out.sink.flush();
  out.close();
  await out.consumer.ended;
  t.same(lines, ['web | one', 'web | two']);
  source.child.kill('SIGKILL');
  await source.exited;
});
