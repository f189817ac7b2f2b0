// The Node floor of a log relay: lastcall's I/O with no formatting, to show what Node's read and
// write path costs on its own (bench/measures/logs.mjs sets it beside a C relay that only copies).
// Like lastcall it spawns the program with its stdout on a 1 MiB pipe, reads that pipe through
// libuv (net.Socket `onread`, into one 512 KiB buffer), writes each read at once to a nonblocking
// description of its own stdout (grown to 1 MiB), and only what that pipe does not take is copied
// and queued, with reading paused until it drains. Exits with the program's status.
//   node bench/peers/node-relay.mjs PROGRAM [ARGS...] | READER    (stdout must be a pipe)
import { spawn } from 'node:child_process';
import { closeSync, constants, fstatSync, openSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { constants as os } from 'node:os';
import koffi from 'koffi';

const F_SETPIPE_SZ = 1031;
const O_CLOEXEC = 0o2000000; // Linux; node:fs does not export it
const PIPE_SIZE = 1 << 20;
const libc = koffi.load('libc.so.6');
const pipe2 = libc.func('int pipe2(void *fds, int flags)');
const fcntl = libc.func('int fcntl(int fd, int cmd, ...)');

if (!fstatSync(1).isFIFO()) {
  process.stderr.write('node-relay: stdout must be a pipe, as for the relay it stands for\n');
  process.exit(2);
}
const fds = Buffer.alloc(8);
if (pipe2(fds, O_CLOEXEC) !== 0) throw new Error('node-relay: pipe2 failed');
const [readFd, writeFd] = [fds.readInt32LE(0), fds.readInt32LE(4)];
fcntl(readFd, F_SETPIPE_SZ, 'int', PIPE_SIZE);
fcntl(1, F_SETPIPE_SZ, 'int', PIPE_SIZE);

const [file, ...args] = process.argv.slice(2);
const child = spawn(file, args, { stdio: ['ignore', writeFd, 'inherit'] });
closeSync(writeFd);
let status;
child.on('exit', (code, signal) => (status = code ?? 128 + (os.signals[signal] ?? 0)));

const out = openSync('/proc/self/fd/1', constants.O_WRONLY | constants.O_NONBLOCK);
const queue = new Socket({ fd: out, readable: false, writable: true });
const spare = Buffer.allocUnsafeSlow(512 * 1024);
let waiting = false; // a copy is queued: reading is paused until it is written
let afterWrite = () => {};
const buffer = Buffer.allocUnsafe(512 * 1024);
const input = new Socket({
  fd: readFd,
  readable: true,
  writable: false,
  onread: {
    buffer,
    callback: (bytes) => {
      let written = 0;
      try {
        written = writeSync(out, buffer, 0, bytes);
      } catch (error) {
        if (error.code !== 'EAGAIN') throw error;
      }
      if (written === bytes) return true;
      buffer.copy(spare, 0, written, bytes);
      waiting = true;
      queue.write(spare.subarray(0, bytes - written), () => {
        waiting = false;
        input.resume();
        afterWrite();
      });
      return false;
    },
  },
});
input.on('end', () => {
  const exitWhenDone = () => {
    if (waiting) afterWrite = exitWhenDone;
    else if (status === undefined) child.once('exit', exitWhenDone);
    else process.exit(status);
  };
  exitWhenDone();
});
