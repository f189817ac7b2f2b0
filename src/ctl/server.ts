// The control socket's server: a unix socket only the user lastcall runs as may connect to,
// answering newline-delimited JSON with whatever the handler (the lead's adapter over the core) says.
import { lstatSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { UsageError } from '../config/errors.js';
import { serveConnection, type Connection, type Handler } from './connection.js';
import { checkSocketPath } from './socket-path.js';
import '../one-chunk.js'; // one start-up chunk: see src/one-chunk.ts

export interface ControlServer {
  readonly path: string;
  /** Stops accepting, hangs up on every client (after the answer in progress) and removes the socket file. */
  close(): void;
}

export interface ControlOptions {
  /** A client that connects and says nothing is hung up on after this long (default 5 s). */
  readonly idleTimeoutMs?: number;
  /** Errors the server cannot attribute to one client (accept() failing with EMFILE, say), for the log. */
  readonly onError?: (error: Error) => void;
}

/** Connections beyond this are dropped on accept: each costs PID 1 a file descriptor. */
const MAX_CONNECTIONS = 32;

/**
 * Starts listening before anything is spawned, so a bad --socket path is a usage error with
 * nothing running. The socket file is created with mode 0600 (see listenPrivately).
 */
export async function startControl(path: string, handle: Handler, options: ControlOptions = {}): Promise<ControlServer> {
  checkSocketPath(path);
  await clearStale(path);
  const connections = new Set<Connection>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    const connection = serveConnection(socket, handle, options.idleTimeoutMs ?? 5000, () => connections.delete(connection));
    connections.add(connection);
  });
  server.maxConnections = MAX_CONNECTIONS;
  const identity = await listenPrivately(server, path);
  server.on('error', (error) => options.onError?.(error)); // an unhandled 'error' would crash PID 1
  let closed = false;
  return {
    path,
    close: () => {
      if (closed) return;
      closed = true;
      server.close();
      for (const connection of connections) connection.finish();
      removeIfOurs(path, identity);
    },
  };
}

/**
 * bind() creates the socket file with mode 0777 & ~umask, and connect() on Linux checks write
 * permission on that file. A chmod after listen() leaves a window in which another user can connect,
 * and a connection made then survives the chmod. So the umask is narrowed around listen(): Node binds
 * synchronously inside that call, and the file is born 0600. The umask is process-wide; the only
 * side effect is that a file created by a libuv worker thread in that same microsecond is also
 * born 0600, stricter and never looser. The mode is checked afterwards, and startup fails rather
 * than serving from a socket others could reach, should Node ever bind later.
 */
async function listenPrivately(server: Server, path: string): Promise<{ dev: number; ino: number }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const fix = error.code === 'EADDRINUSE' ? 'another process created a socket there a moment ago; stop it or pick another path' : 'pick a path in an existing directory lastcall can write to';
      reject(new UsageError(`--socket ${path}: cannot listen (${error.code ?? error.message}); ${fix}`));
    });
    const previous = process.umask(0o177);
    try {
      server.listen(path, () => resolve());
    } finally {
      process.umask(previous);
    }
  });
  server.removeAllListeners('error');
  const stats = lstatSync(path);
  if ((stats.mode & 0o777) !== 0o600) {
    server.close();
    throw new Error(`the control socket ${path} was created with mode ${(stats.mode & 0o777).toString(8)}, not 600; refusing to serve it`);
  }
  return { dev: stats.dev, ino: stats.ino };
}

/**
 * A socket file outlives a lastcall that was SIGKILLed, and bind() then fails with EADDRINUSE.
 * Only a socket nobody answers on is removed: connecting tells a dead one (ECONNREFUSED) from a
 * live one, and anything that is not a socket is the user's file, never ours to delete.
 */
async function clearStale(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    const stats = lstatSync(path);
    isSocket = stats.isSocket();
    if (!isSocket) {
      const kind = stats.isDirectory() ? 'a directory' : stats.isSymbolicLink() ? 'a symbolic link' : 'a file';
      throw new UsageError(`--socket ${path}: ${kind} is there, not a socket; remove it or pick another path with --socket PATH`);
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    throw new UsageError(`--socket ${path}: cannot look at it (${code}); pick a path in a directory lastcall can read and write`);
  }
  const probe = await knock(path);
  if (probe === 'ECONNREFUSED') {
    unlinkSync(path);
    return;
  }
  if (probe === 'answered' || probe === 'EAGAIN' || probe === 'timeout') {
    throw new UsageError(`--socket ${path}: another lastcall is listening there; stop it first, or give this one another path with --socket PATH or LASTCALL_SOCKET`);
  }
  throw new UsageError(`--socket ${path}: a socket is there and connecting to it failed (${probe}); remove it or pick another path with --socket PATH`);
}

/** Connects and hangs up at once: 'answered', or the errno connect() failed with. EAGAIN means a full backlog, so alive. */
function knock(path: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const done = (result: string) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(1000, () => done('timeout'));
    socket.once('connect', () => done('answered'));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
  });
}

/**
 * libuv already unlinks the path when the server closes; this catches the case where it could not.
 * The inode check keeps us from deleting a socket a newer lastcall has since created at the same path.
 */
function removeIfOurs(path: string, identity: { dev: number; ino: number }): void {
  try {
    const stats = lstatSync(path);
    if (stats.isSocket() && stats.dev === identity.dev && stats.ino === identity.ino) unlinkSync(path);
  } catch {
    // already gone, which is the usual case
  }
}
